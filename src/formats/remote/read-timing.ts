/**
 * What one chunk read costs on a remote store: real chunk reads through the same HTTP client
 * and decoder as every other read, a few at a time and then more at once, each HTTP request
 * timed from sending to first byte (latency) and to last byte (transfer). `probe` folds the
 * figures into the cost model (docs/remote.md).
 */
import type { ArrayDescription } from "../dataset.js";
import { openZarrHttp } from "../zarr.js";
import { HttpStoreAccess } from "../zarr/http-store-access.js";
import { HttpClient, type RequestTiming } from "./http-client.js";

export interface ConcurrencyTiming {
  /** Chunk reads in flight at once. */
  readonly concurrency: number;
  readonly chunkReads: number;
  /** HTTP requests those reads made (shard indexes, chunk bodies or byte ranges). */
  readonly requests: number;
  readonly bytes: number;
  readonly wallSeconds: number;
  /** Median seconds from sending a request to its first byte. */
  readonly medianFirstByteSeconds: number;
  /** Median bytes per second of one response body, first byte to last; null when bodies were too small to time. */
  readonly medianTransferBytesPerSecond: number | null;
  /** Bytes of all requests over the wall time of the level. */
  readonly aggregateBytesPerSecond: number;
}

export interface RemoteReadTiming {
  readonly url: string;
  readonly array: string;
  readonly levels: readonly ConcurrencyTiming[];
  /** Median time to first byte with one read at a time: the store's latency per request. */
  readonly firstByteSeconds: number;
  /** Median transfer rate of one response body with one read at a time; null when not measurable. */
  readonly transferBytesPerSecond: number | null;
}

export interface ReadTimingOptions {
  /** Reads in flight per level (default 1, 4, 16). */
  readonly concurrencies?: readonly number[];
  /** Chunk reads per level, at least two per reader (default 12). */
  readonly readsPerLevel?: number;
  /** Seconds the levels may take together; later levels are skipped past it (default 5). */
  readonly budgetSeconds?: number;
}

/** Bodies shorter than this arrive in one packet: their transfer time is noise. */
const MIN_TIMED_BODY_BYTES = 64 * 2 ** 10;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** `count` chunk coordinates spread evenly over the chunk grid (row-major order), repeating when the grid is smaller. */
export function spreadChunks(grid: readonly number[], count: number): number[][] {
  const total = grid.reduce((a, b) => a * b, 1);
  const step = Math.max(1, Math.floor(total / count));
  return Array.from({ length: count }, (_, i) => {
    let linear = (i * step + Math.floor(step / 2)) % total;
    const coords = new Array<number>(grid.length);
    for (let axis = grid.length - 1; axis >= 0; axis--) {
      coords[axis] = linear % grid[axis]!;
      linear = Math.floor(linear / grid[axis]!);
    }
    return coords;
  });
}

export async function timeRemoteReads(url: string, description: Pick<ArrayDescription, "path" | "shape" | "chunks">, options: ReadTimingOptions = {}): Promise<RemoteReadTiming> {
  const concurrencies = options.concurrencies ?? [1, 4, 16];
  const readsPerLevel = options.readsPerLevel ?? 12;
  const budget = options.budgetSeconds ?? 5;
  const client = new HttpClient({ concurrency: Math.max(...concurrencies) });
  const dataset = await openZarrHttp(url, { arrayPaths: [description.path], access: new HttpStoreAccess(url, client) });
  const chunks = description.chunks ?? description.shape;
  const grid = description.shape.map((size, axis) => Math.max(1, Math.ceil(size / chunks[axis]!)));
  const started = performance.now();
  const levels: ConcurrencyTiming[] = [];
  try {
    // Not timed: opens the array and reads what zarrita keeps (a shard index) for the first chunk.
    await dataset.readChunk(description.path, grid.map(() => 0));
    for (const concurrency of concurrencies) {
      if (levels.length > 0 && (performance.now() - started) / 1000 > budget) break;
      const reads = Math.max(readsPerLevel, 2 * concurrency);
      const coords = spreadChunks(grid, reads);
      const timings: RequestTiming[] = [];
      const stop = client.observe((timing) => timings.push(timing));
      const levelStart = performance.now();
      let next = 0;
      try {
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (next < coords.length) await dataset.readChunk(description.path, coords[next++]!);
          }),
        );
      } finally {
        stop();
      }
      const wallSeconds = (performance.now() - levelStart) / 1000;
      const bytes = timings.reduce((sum, t) => sum + t.bytes, 0);
      const timed = timings.filter((t) => t.bytes >= MIN_TIMED_BODY_BYTES && t.totalSeconds > t.firstByteSeconds);
      levels.push({
        concurrency,
        chunkReads: reads,
        requests: timings.length,
        bytes,
        wallSeconds,
        medianFirstByteSeconds: median(timings.map((t) => t.firstByteSeconds)),
        medianTransferBytesPerSecond: timed.length === 0 ? null : median(timed.map((t) => t.bytes / (t.totalSeconds - t.firstByteSeconds))),
        aggregateBytesPerSecond: bytes / wallSeconds,
      });
    }
  } finally {
    await dataset.close();
  }
  return {
    url,
    array: description.path,
    levels,
    firstByteSeconds: levels[0]!.medianFirstByteSeconds,
    transferBytesPerSecond: levels[0]!.medianTransferBytesPerSecond,
  };
}
