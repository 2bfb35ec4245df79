/**
 * From measured costs to a chunk-size range and one recommended compute chunk. Pure.
 *
 * Per task: time = overhead (scheduler, measured with empty tasks) + fixed (read latency and
 * everything else that does not grow with size: the fit's intercept) + bytes / throughput.
 * The non-proportional share (overhead + fixed) / time falls as chunks grow; memory rises as
 * threads × bytes × working-memory factor. The usable range lies between the two limits.
 */
import { product } from "../model/layout.js";

export interface RangeInput {
  readonly overheadSeconds: number;
  readonly fixedSeconds: number;
  /** Null when throughput could not be measured: then no lower bound follows from overhead. */
  readonly secondsPerByte: number | null;
  readonly threads: number;
  readonly memoryLimitBytes: number;
  readonly workingMemoryFactor: number;
  /** Share of a task's time allowed for fixed costs (0.1). */
  readonly maxOverheadShare: number;
  /** Fraction of memory that all busy threads' chunks may use before spilling starts (0.6, Dask's target). */
  readonly spillFraction: number;
}

export interface ChunkRange {
  /** Smallest chunk whose fixed costs stay under the share; 0 when any size does. */
  readonly minBytes: number;
  /** Largest chunk for which every thread's working memory stays under the spill threshold. */
  readonly maxBytes: number;
}

export function chunkRange(input: RangeInput): ChunkRange {
  const fixed = input.overheadSeconds + input.fixedSeconds;
  const share = input.maxOverheadShare;
  const minBytes = input.secondsPerByte === null ? 0 : (fixed * (1 - share)) / share / input.secondsPerByte;
  const maxBytes = (input.spillFraction * input.memoryLimitBytes) / (input.threads * input.workingMemoryFactor);
  return { minBytes, maxBytes };
}

/** Fixed costs over the whole task time at `bytes` (0…1). */
export function overheadShare(input: Pick<RangeInput, "overheadSeconds" | "fixedSeconds" | "secondsPerByte">, bytes: number): number {
  const fixed = input.overheadSeconds + input.fixedSeconds;
  const total = fixed + (input.secondsPerByte ?? 0) * bytes;
  return total === 0 ? 0 : fixed / total;
}

export interface Recommendation {
  readonly chunks: readonly number[];
  readonly bytes: number;
  /** Why this one. */
  readonly reason: string;
}

/**
 * The smallest candidate inside the range (most parallelism at acceptable overhead); when the
 * range is empty, the largest that fits memory; when every candidate is under the range, the
 * largest (the whole array).
 */
export function recommendChunk(candidates: readonly (readonly number[])[], itemSize: number, range: ChunkRange): Recommendation {
  const sized = candidates.map((chunks) => ({ chunks, bytes: product(chunks) * itemSize }));
  const fitting = sized.filter((c) => c.bytes <= range.maxBytes);
  const inside = fitting.find((c) => c.bytes >= range.minBytes);
  if (inside) return { ...inside, reason: "smallest compute chunk with fixed costs under 10 % of task time and memory under the spill threshold" };
  if (fitting.length === 0) {
    return { ...sized[0]!, reason: "even one storage chunk per task is over the spill threshold: use one storage chunk and fewer threads" };
  }
  const largest = fitting[fitting.length - 1]!;
  if (largest === sized[sized.length - 1] && largest.bytes < range.minBytes) {
    return { ...largest, reason: "the whole array is smaller than the range: one task covers it" };
  }
  return { ...largest, reason: "no chunk keeps fixed costs under 10 % within memory: the largest that stays under the spill threshold" };
}
