/**
 * The figures the cost model runs on, and where each came from. `chunkwise probe --save FILE`
 * writes them (measured); `chunkwise advise --model FILE` reads them; without a file, advise uses
 * DEFAULT_COST_MODEL (assumed, with sources).
 */

export type FigureSource = "measured" | "assumed";

export interface CostModel {
  /** Scheduler overhead per task, seconds (Dask distributed: ~1 ms; chunkwise's own pool: measured). */
  readonly perTaskOverheadSeconds: number;
  /** Fixed cost per storage chunk read (open/seek/request latency), seconds. */
  readonly perChunkReadSeconds: number;
  /** Bytes per second one thread reads, decodes and computes (uncompressed bytes). */
  readonly throughputBytesPerSecond: number;
  /** Extra seconds per byte spilled to disk and read back. */
  readonly spillSecondsPerByte: number;
  /** Peak memory of a task as a multiple of its chunk's bytes (inputs, outputs, temporaries). */
  readonly workingMemoryFactor: number;
  /** Where each figure came from. */
  readonly sources: Readonly<Record<CostFigure, FigureSource>>;
  /** Free text on how the figures were obtained (probe run, fit quality, defaults' references). */
  readonly notes: readonly string[];
}

export type CostFigure =
  | "perTaskOverheadSeconds"
  | "perChunkReadSeconds"
  | "throughputBytesPerSecond"
  | "spillSecondsPerByte"
  | "workingMemoryFactor";

export const DEFAULT_COST_MODEL: CostModel = {
  perTaskOverheadSeconds: 1e-3,
  perChunkReadSeconds: 0.5e-3,
  throughputBytesPerSecond: 200 * 2 ** 20,
  spillSecondsPerByte: 1 / (150 * 2 ** 20),
  workingMemoryFactor: 3,
  sources: {
    perTaskOverheadSeconds: "assumed",
    perChunkReadSeconds: "assumed",
    throughputBytesPerSecond: "assumed",
    spillSecondsPerByte: "assumed",
    workingMemoryFactor: "assumed",
  },
  notes: [
    "per-task overhead 1 ms: Dask's documented cost of a task on the distributed scheduler (200 µs–1 ms)",
    "per-chunk read 0.5 ms: one open+read of a local file or HDF5 chunk lookup on an SSD",
    "throughput 200 MiB/s per thread: decode (lz4/zstd/deflate mix) plus a light reduction, as measured for zarrita/h5wasm decoders on this class of machine (shared/docs/libraries.md)",
    "spill 150 MiB/s: write and read back through a local SSD",
    "working memory 3× the chunk: input, output and one temporary per task",
  ],
};
