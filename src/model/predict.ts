import type { CostModel } from "./cost-model.js";
import { ceilDiv, product } from "./layout.js";
import { DASK_MEMORY_FRACTIONS, type MachineSpec, type MemoryState, memoryState, slots } from "./machine.js";

/** The facts of an array the model needs. `storageChunks` null means contiguous (HDF5). */
export interface ModelArray {
  readonly shape: readonly number[];
  readonly itemSize: number;
  readonly storageChunks: readonly number[] | null;
}

/** What running one pass over the array with a given compute chunk shape is predicted to cost. */
export interface ComputePrediction {
  readonly chunks: readonly number[];
  /** Tasks in one pass (compute chunks, edge chunks included). */
  readonly tasks: number;
  /** Uncompressed bytes of one full compute chunk. */
  readonly chunkBytes: number;
  /** True when every compute chunk is a whole number of storage chunks (edges excepted). */
  readonly aligned: boolean;
  /** Storage chunk reads in one pass (a storage chunk split by two compute chunks is read twice). */
  readonly storageReads: number;
  /** Bytes decoded in one pass, edge padding and repeated reads included. */
  readonly bytesDecoded: number;
  /** bytesDecoded over the array's bytes: 1 is perfect. */
  readonly readAmplification: number;
  /** Scheduler overhead: tasks × per-task overhead (the scheduler is one process, so it does not parallelise). */
  readonly overheadSeconds: number;
  /** Read, decode and compute time spread over every thread, in waves of tasks. */
  readonly workSeconds: number;
  /** Extra time from spilling to disk when memory per worker is over the spill threshold. */
  readonly spillSeconds: number;
  readonly totalSeconds: number;
  /** overhead / (overhead + work): the share of a task's time the scheduler costs. */
  readonly overheadShare: number;
  /** Peak memory of one worker: busy threads × chunk bytes × working-memory factor. */
  readonly memoryPerWorkerBytes: number;
  /** memoryPerWorkerBytes over the worker's memory. */
  readonly memoryFraction: number;
  readonly memoryState: MemoryState;
  /** tasks / threads: below 1 some threads sit idle. */
  readonly parallelism: number;
}

/**
 * Storage chunk reads along one axis when compute tiles of extent `c` cover an axis of extent `n`
 * stored in chunks of extent `s`: every storage chunk once, plus one more for each inner compute
 * boundary that falls inside a storage chunk. Exact, O(1).
 */
export function readsAlongAxis(n: number, s: number, c: number): number {
  if (n === 0) return 0;
  const storageChunks = ceilDiv(n, s);
  const tiles = ceilDiv(n, c);
  const innerBoundaries = tiles - 1;
  const period = s / gcd(c, s); // boundaries k·c land on a storage boundary every `period` tiles
  const onBoundary = Math.floor(innerBoundaries / period);
  return storageChunks + innerBoundaries - onBoundary;
}

/**
 * Contiguous runs of C-order storage that a region of extents `region` covers: the region's rows are
 * contiguous only as far as the trailing axes it spans fully.
 */
export function contiguousRuns(shape: readonly number[], region: readonly number[]): number {
  let axis = shape.length - 1;
  while (axis > 0 && region[axis]! >= shape[axis]!) axis--;
  return product(region.slice(0, axis));
}

export function gcd(a: number, b: number): number {
  let x = Math.abs(a);
  let y = Math.abs(b);
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/** True when `chunks` is a whole multiple of `storage` on every axis, or reaches the axis end. */
export function isAligned(shape: readonly number[], storage: readonly number[] | null, chunks: readonly number[]): boolean {
  if (storage === null) return true;
  return chunks.every((c, axis) => c % storage[axis]! === 0 || c >= shape[axis]!);
}

export function predictCompute(array: ModelArray, chunks: readonly number[], machine: MachineSpec, cost: CostModel): ComputePrediction {
  const { shape, itemSize, storageChunks } = array;
  const clipped = chunks.map((c, axis) => Math.max(1, Math.min(c, shape[axis]!)));
  const tasks = product(shape.map((n, axis) => (n === 0 ? 0 : ceilDiv(n, clipped[axis]!))));
  const chunkBytes = product(clipped) * itemSize;
  const logicalBytes = product(shape) * itemSize;
  let storageReads: number;
  let bytesDecoded: number;
  if (storageChunks === null) {
    // Contiguous: each task reads its own hyperslab, one read per contiguous run of it, nothing more.
    storageReads = tasks * contiguousRuns(shape, clipped);
    bytesDecoded = logicalBytes;
  } else {
    const perAxis = shape.map((n, axis) => readsAlongAxis(n, storageChunks[axis]!, clipped[axis]!));
    storageReads = product(perAxis);
    bytesDecoded = storageReads * product(storageChunks) * itemSize;
  }
  const threads = slots(machine);
  const waves = tasks === 0 ? 0 : ceilDiv(tasks, threads);
  const taskWork = tasks === 0 ? 0 : (storageReads * cost.perChunkReadSeconds + bytesDecoded / cost.throughputBytesPerSecond) / tasks;
  const workSeconds = waves * taskWork;
  const overheadSeconds = tasks * cost.perTaskOverheadSeconds;
  const busyThreads = Math.min(machine.threadsPerWorker, ceilDiv(Math.max(tasks, 1), machine.workers));
  const memoryPerWorkerBytes = busyThreads * chunkBytes * cost.workingMemoryFactor;
  const memoryFraction = memoryPerWorkerBytes / machine.memoryPerWorkerBytes;
  // Dask spills what is over its spill threshold, once per wave of tasks, and reads it back.
  const spillLimit = DASK_MEMORY_FRACTIONS.spill * machine.memoryPerWorkerBytes;
  const spillSeconds = Math.max(0, memoryPerWorkerBytes - spillLimit) * cost.spillSecondsPerByte * waves;
  const totalSeconds = overheadSeconds + workSeconds + spillSeconds;
  const perTask = tasks === 0 ? 0 : cost.perTaskOverheadSeconds + taskWork;
  return {
    chunks: clipped,
    tasks,
    chunkBytes,
    aligned: isAligned(shape, storageChunks, clipped),
    storageReads,
    bytesDecoded,
    readAmplification: logicalBytes === 0 ? 1 : bytesDecoded / logicalBytes,
    overheadSeconds,
    workSeconds,
    spillSeconds,
    totalSeconds,
    overheadShare: perTask === 0 ? 0 : cost.perTaskOverheadSeconds / perTask,
    memoryPerWorkerBytes,
    memoryFraction,
    memoryState: memoryState(memoryFraction),
    parallelism: tasks / threads,
  };
}
