/**
 * chunkwise's native helpers (native/chunkwise_native.c, built by `npm ci` through
 * scripts/build-native.mjs): the system calls a rechunk wants that Node.js does not expose.
 * They are optional. Where they were not built (no compiler, another platform) or
 * CHUNKWISE_NATIVE=0 is set, nativeHelpers() is null and chunkwise runs without them: slower on
 * some machines, never different in what it writes.
 */
import { createRequire } from "node:module";

export interface WriteBehindStats {
  /** Files written back and dropped from the page cache. */
  readonly files: number;
  /** Their bytes. */
  readonly bytes: number;
  /** Device flushes issued (one per flushEveryBytes handed over). */
  readonly flushes: number;
  /** Files that could not be opened or written back (left to the kernel's own write-back). */
  readonly failures: number;
}

export interface NativeHelpers {
  /** madvise(MADV_HUGEPAGE) over the 2 MiB-aligned interior of an untouched buffer; bytes advised (0 when none). */
  adviseHugePages(buffer: ArrayBuffer): number;
  /**
   * Write `files` back to the disk and drop them from the page cache (sync_file_range, then
   * posix_fadvise DONTNEED) in one job on libuv's thread pool, without blocking the caller, and
   * flush the device once per `flushEveryBytes` handed over in this process (0: never). False
   * when it could not be queued.
   */
  writeBehind(files: readonly string[], flushEveryBytes: number): boolean;
  writeBehindStats(): WriteBehindStats;
}

const ADDON = "../../native/build/Release/chunkwise_native.node";

let loaded: NativeHelpers | null | undefined;

/** The helpers, or null when they are not built here or CHUNKWISE_NATIVE=0. Loaded once per thread. */
export function nativeHelpers(): NativeHelpers | null {
  if (loaded === undefined) {
    try {
      loaded = process.env.CHUNKWISE_NATIVE === "0" ? null : (createRequire(import.meta.url)(ADDON) as NativeHelpers);
    } catch {
      loaded = null;
    }
  }
  return loaded;
}
