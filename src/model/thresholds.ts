import { DASK_MEMORY_FRACTIONS } from "./machine.js";

/** The figures findings are judged against. A policy file can change each one, globally or per array. */
export interface Thresholds {
  /** Scheduler overhead as a share of a task's time above which chunks are "too small". */
  readonly overheadShare: number;
  /** Memory per worker, as a fraction of the worker's memory, that chunks must stay under (Dask's spill threshold). */
  readonly memoryFraction: number;
  /** Bytes decoded per byte used by one access above which reads are amplified. */
  readonly readAmplification: number;
  /** Tasks in one pass above which the scheduler struggles (Dask: 10k–100k). */
  readonly maxTasks: number;
  /** Stored objects above which a file system or object store listing struggles. */
  readonly maxObjects: number;
  /** Contiguous (unchunked) datasets larger than this are reported. */
  readonly contiguousBytes: number;
  /** Share of the chunk grid outside the array (padding of edge chunks) above which it is waste. */
  readonly edgeWaste: number;
  /** Compression ratio of a sample of uncompressed data above which compressing is worth it. */
  readonly compressionGain: number;
  /** A storage rewrite that pays back within this many passes (or reads) is a warning; later, information. */
  readonly breakEvenPasses: number;
  /** Workloads predicted to take less than this (seconds per pass, or per read) get only information-level advice on speed. */
  readonly minSeconds: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  overheadShare: 0.2,
  memoryFraction: DASK_MEMORY_FRACTIONS.spill,
  readAmplification: 4,
  maxTasks: 100_000,
  maxObjects: 100_000,
  contiguousBytes: 2 ** 30,
  edgeWaste: 0.25,
  compressionGain: 1.5,
  breakEvenPasses: 10,
  minSeconds: 1,
};

/** Policy-file spelling of each threshold. */
export const THRESHOLD_KEYS: Readonly<Record<keyof Thresholds, string>> = {
  overheadShare: "overhead_share",
  memoryFraction: "memory_fraction",
  readAmplification: "read_amplification",
  maxTasks: "max_tasks",
  maxObjects: "max_objects",
  contiguousBytes: "contiguous_bytes",
  edgeWaste: "edge_waste",
  compressionGain: "compression_gain",
  breakEvenPasses: "break_even_passes",
  minSeconds: "min_seconds",
};

/** Allowed range of each threshold: [min, max], inclusive. */
export const THRESHOLD_RANGES: Readonly<Record<keyof Thresholds, readonly [number, number]>> = {
  overheadShare: [0, 1],
  memoryFraction: [0.01, DASK_MEMORY_FRACTIONS.terminate],
  readAmplification: [1, Number.MAX_SAFE_INTEGER],
  maxTasks: [1, Number.MAX_SAFE_INTEGER],
  maxObjects: [1, Number.MAX_SAFE_INTEGER],
  contiguousBytes: [0, Number.MAX_SAFE_INTEGER],
  edgeWaste: [0, 1],
  compressionGain: [1, Number.MAX_SAFE_INTEGER],
  breakEvenPasses: [0, Number.MAX_SAFE_INTEGER],
  minSeconds: [0, Number.MAX_SAFE_INTEGER],
};
