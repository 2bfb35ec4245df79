/**
 * Writing output chunk files with O_DIRECT: from page-aligned memory straight to the device,
 * not through the page cache.
 *
 * A rechunk writes each output byte once and does not read it back (a sampled verify aside):
 * through the page cache, every megabyte costs 256 freshly allocated pages and is written to
 * the device later anyway (by the kernel, or by the sync a careful user runs). On this project's
 * benchmark VM, where a page the kernel allocates fresh may first have to be faulted in from the
 * host, `dd bs=1M count=1024` took 3.1 s buffered (+0.7 s of sync) and 0.84 s with
 * oflag=direct. For outputs larger than memory, buffered writes also evict the source being read.
 *
 * O_DIRECT asks for the memory address, file offset and length to be multiples of the device's
 * logical block size (512 or 4096 bytes): the bytes are written from a 4 KiB-aligned buffer (a
 * WebAssembly memory, page-aligned), padded to a multiple of 4 KiB, and the file is then cut to
 * its length. A file system that refuses O_DIRECT (tmpfs before Linux 6.6, some FUSE and network
 * mounts say EINVAL) is written through the page cache from then on, by the caller.
 *
 * A direct write waits for the device, so the thread does not: each file is written from one of
 * a few staging slots by libuv's I/O threads while the thread fills the next slot, and
 * settleDirectWrites() waits for them all (before a task's journal line names its units).
 *
 * Module state, per thread: on only where setDirectWrites turned it on (workers, from each task).
 */
import { close, constants, ftruncate, openSync, rmSync, write, writeFileSync } from "node:fs";
import { fromSystemError } from "../../errors.js";
import { WASM_PAGE, newMemory } from "../wasm/instantiate.js";

const ALIGN = 4096;

/**
 * Smaller files go through the page cache: a direct write waits for the device, which for a
 * small file is mostly latency the page cache would have hidden.
 */
export const DIRECT_MIN_BYTES = 128 * 1024;

/** Files being written at once by one thread (while it fills the next slot). */
const SLOTS = 3;

/** SLOTS page-aligned slots of `slotBytes` each, in one WebAssembly memory; slot `next` is free. */
interface StagingRing {
  readonly buffer: ArrayBuffer;
  readonly slotBytes: number;
  readonly writing: (Promise<void> | null)[];
  next: number;
}

/**
 * Whether a rechunk should write its output past the page cache by default: when the output
 * (its logical bytes, an upper bound) is more than half the memory, the cache could not keep it
 * and would only push out the source being read. A smaller output stays in the cache for the
 * reads that often follow; and writing it buffered was no slower on the benchmark VM (1 GiB:
 * uncompressed 3.09-3.22 s direct, 3.10-3.29 s buffered; lz4 3.86-4.04 s direct, 3.55-3.78 s
 * buffered, sync included, medians of 4-6 interleaved runs).
 */
export function directWritesPay(outputBytes: number, memoryBytes: number): boolean {
  return outputBytes > memoryBytes / 2;
}

let enabled = false;
/** Set once O_DIRECT was refused in this thread: the output's file system does not take it. */
let refused = false;
let ring: StagingRing | null = null;
/** The first failure of a write that was running when its caller had moved on; thrown by the next call. */
let failure: unknown = null;

/** Turn direct writes on or off for this thread's next writes (a refusal is forgotten: the output may be elsewhere now). */
export function setDirectWrites(on: boolean): void {
  enabled = on;
  refused = false;
}

export function directWrites(): boolean {
  return enabled && !refused && constants.O_DIRECT !== undefined;
}

const roundUp = (bytes: number): number => Math.ceil(Math.max(1, bytes) / ALIGN) * ALIGN;

/**
 * Where the next direct write's bytes may be put so that it needs no copy: the free slot of this
 * thread's staging ring, `bytes` long or more. Null when there is none that size free right now
 * (the ring must grow, which waits for the writes in flight; or no WebAssembly memory).
 */
export function alignedStaging(bytes: number): { readonly buffer: ArrayBuffer; readonly byteOffset: number } | null {
  const needed = roundUp(bytes);
  if (ring === null || ring.slotBytes < needed) {
    if (ring !== null && ring.writing.some((w) => w !== null)) return null;
    ring = newRing(needed);
  }
  return ring === null ? null : { buffer: ring.buffer, byteOffset: ring.next * ring.slotBytes };
}

function newRing(slotBytes: number): StagingRing | null {
  const memory = newMemory(Math.ceil((SLOTS * slotBytes) / WASM_PAGE));
  return memory === null ? null : { buffer: memory.buffer, slotBytes, writing: new Array<Promise<void> | null>(SLOTS).fill(null), next: 0 };
}

function isRefusal(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "EINVAL" || code === "EOPNOTSUPP" || code === "ENOTSUP";
}

/**
 * Start writing `bytes` as the whole content of `file` (created or truncated) with O_DIRECT. False
 * when it will not (direct writes off, a small file, O_DIRECT refused at open): the caller then
 * writes the file through the page cache. True once the write is under way and `bytes` may be
 * reused; the file is complete after settleDirectWrites(). A write the file system refuses
 * half-way is finished through the page cache; other errors are thrown by this call or a later
 * one (or by settleDirectWrites), naming the file, which is removed.
 */
export async function writeFileDirect(file: string, bytes: Uint8Array): Promise<boolean> {
  throwFailure();
  if (!directWrites() || bytes.length < DIRECT_MIN_BYTES) return false;
  const padded = roundUp(bytes.length);
  // A ring too small for this file grows once the writes in flight from it are done.
  if (ring !== null && ring.slotBytes < padded) await settleDirectWrites();
  const free = alignedStaging(padded);
  if (free === null) return false;
  const current = ring!;
  const slot = current.next;
  const source = new Uint8Array(free.buffer, free.byteOffset, padded);
  if (bytes.buffer !== free.buffer || bytes.byteOffset !== free.byteOffset) source.set(bytes);
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_DIRECT, 0o666);
  } catch (err) {
    if (!isRefusal(err)) throw fromSystemError(err, file);
    refused = true;
    return false;
  }
  const writing = writeAll(fd, source, bytes.length).then(
    () => undefined,
    (err: unknown) => {
      if (isRefusal(err)) {
        refused = true;
        writeFileSync(file, source.subarray(0, bytes.length));
        return;
      }
      rmSync(file, { force: true });
      throw fromSystemError(err, file);
    },
  );
  current.writing[slot] = writing.catch((err: unknown) => {
    failure ??= err;
  }).finally(() => {
    current.writing[slot] = null;
  });
  current.next = (slot + 1) % SLOTS;
  await current.writing[current.next];
  return true;
}

/** Write all of `source` (padded) at offset 0, cut the file to `length`, close it. */
async function writeAll(fd: number, source: Uint8Array, length: number): Promise<void> {
  try {
    for (let done = 0; done < source.length; ) {
      const count = await new Promise<number>((resolve, reject) => write(fd, source, done, source.length - done, done, (err, n) => (err ? reject(err) : resolve(n))));
      if (count <= 0) throw Object.assign(new Error("a direct write made no progress"), { code: "EINVAL" });
      done += count;
    }
    if (source.length !== length) await new Promise<void>((resolve, reject) => ftruncate(fd, length, (err) => (err ? reject(err) : resolve())));
  } finally {
    await new Promise<void>((resolve) => close(fd, () => resolve()));
  }
}

function throwFailure(): void {
  if (failure === null) return;
  const err = failure;
  failure = null;
  throw err;
}

/** Wait until every direct write this thread started is complete; throws the first that failed. */
export async function settleDirectWrites(): Promise<void> {
  if (ring !== null) await Promise.all(ring.writing);
  throwFailure();
}
