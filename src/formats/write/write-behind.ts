/**
 * Write-behind: each Zarr chunk file a rechunk writes through the page cache is handed to the
 * disk at once (sync_file_range on libuv's thread pool, see src/system/native.ts), and the device
 * is flushed once per FLUSH_EVERY_BYTES of them, so the output reaches the disk while the rechunk
 * still computes. Without it, a 1 GiB output sits dirty in the page cache when chunkwise exits
 * and the disk starts on it only then: here, a `sync` after the run took 0.7-0.8 s, about the
 * time the disk needs for it, with the CPUs idle. Databases do the same for the same reason
 * (PostgreSQL's *_flush_after, RocksDB's bytes_per_sync).
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

let enabled = false;

export function setWriteBehind(on: boolean): void {
  enabled = on;
}

/** Whether write-behind can run here (the native helpers are built and loaded). */
export function writeBehindAvailable(): boolean {
  return nativeHelpers() !== null;
}

/** Start writing a file just written (and closed) back to the disk, when write-behind is on in this thread. */
export function writeBehind(file: string): void {
  if (enabled) nativeHelpers()?.writeBehind(file, FLUSH_EVERY_BYTES);
}
