/**
 * Whether what chunkwise writes must survive the machine stopping (power loss, kernel panic), or
 * only the process (kill -9, out of memory, a batch engine pre-empting it).
 *
 * A killed process loses nothing it wrote: the kernel's page cache holds it. So by default no
 * file is fsync'd: chunk files, intermediate groups and journal lines reach the disk when the
 * kernel writes them back (an fsync per journal line cost ~0.4 s of a 7 s rechunk, per thread).
 * With `--durable`, every file is fsync'd before it is renamed into place, its directory after,
 * and each journal line before the next task starts: a journal line then never names data that
 * is not on disk, at the price of waiting for the disk on every write.
 *
 * Module state, set once per thread (the main thread from the request, workers from each task).
 */
import { closeSync, fsyncSync, openSync } from "node:fs";

let durable = false;

export function setDurableWrites(on: boolean): void {
  durable = on;
}

export function durableWrites(): boolean {
  return durable;
}

/** fsync an open file when writes must be durable. */
export function syncIfDurable(fd: number): void {
  if (durable) fsyncSync(fd);
}

/** fsync a directory (after a rename into it) when writes must be durable. */
export function syncDirectoryIfDurable(directory: string): void {
  if (!durable) return;
  const fd = openSync(directory, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
