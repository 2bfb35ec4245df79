/**
 * Write-behind: each Zarr chunk file a rechunk writes through the page cache is handed to the
 * disk at once and dropped from the page cache once written (sync_file_range, then
 * posix_fadvise DONTNEED, on libuv's thread pool, see src/system/native.ts), and the device is
 * flushed once per FLUSH_EVERY_BYTES of them, so the output reaches the disk while the rechunk
 * still computes. Without it, a 1 GiB output sits dirty in the page cache when chunkwise exits and
 * the disk starts on it only then: here, a `sync` after the run took 0.7-0.8 s, about the time the
 * disk needs for it, with the CPUs idle. Dropping the written pages keeps the output from pushing
 * the source (or anything else) out of the cache, as O_DIRECT does for large outputs, and hands
 * the next files pages just freed: on a virtual machine whose host takes back memory the guest
 * leaves free, those are the cheap ones (here a rechunk that took fresh pages ran 3.7 s against
 * 2.2 s). Databases do the same for the same reasons (PostgreSQL's *_flush_after, RocksDB's
 * bytes_per_sync).
 *
 * It changes no guarantee: nothing waits for it (that is --durable's job, see durability.ts),
 * and a file it could not hand over is written back by the kernel as before. Without the native
 * helpers it does nothing.
 *
 * Module state, set once per thread (workers from each task).
 */
import { nativeHelpers } from "../../system/native.js";

/** A device flush per this much output handed over: the last one leaves little for a later sync, and each costs the disk one cache flush. */
export const FLUSH_EVERY_BYTES = 64 * 2 ** 20;

/**
 * Files are handed over in batches of about this many bytes (or BATCH_FILES files): one job on
 * the thread pool starts every file's write-back before it waits for any, so the block layer sees
 * them together. One job per file cost a (259, 10, 10) target's 10 368 files of ~60 KiB more than
 * it saved.
 */
const BATCH_BYTES = 8 * 2 ** 20;
const BATCH_FILES = 128;

let enabled = false;
let batch: string[] = [];
let batchBytes = 0;

/** Turn write-behind on or off in this thread (files already written are handed over first). */
export function setWriteBehind(on: boolean): void {
  if (!on) handOverWrittenFiles();
  enabled = on;
}

/** Whether write-behind can run here (the native helpers are built and loaded). */
export function writeBehindAvailable(): boolean {
  return nativeHelpers() !== null;
}

/** Note a file just written (and closed), of `bytes` bytes, for write-behind, when it is on in this thread. */
export function writeBehind(file: string, bytes: number): void {
  if (!enabled) return;
  batch.push(file);
  batchBytes += bytes;
  if (batchBytes >= BATCH_BYTES || batch.length >= BATCH_FILES) handOverWrittenFiles();
}

/** Hand the files noted so far to the disk (at the end of each task, so none waits for the next). */
export function handOverWrittenFiles(): void {
  if (batch.length === 0) return;
  nativeHelpers()?.writeBehind(batch, FLUSH_EVERY_BYTES);
  batch = [];
  batchBytes = 0;
}
