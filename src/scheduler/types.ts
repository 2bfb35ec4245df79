/**
 * The types that cross the scheduler's boundaries: what a caller submits (TaskSpec), what a
 * worker returns (TaskValue), what travels over the thread boundary (WireTask, WireReply) and
 * what the run records (TaskRecord, MemorySample, SpillStats).
 */

/**
 * A task's result, or an input given to a task: small structured-clonable metadata plus the
 * bulk data as whole ArrayBuffers. Only `buffers` count against the memory limit (by
 * byteLength), only they are spilled, and they always travel between threads by transfer.
 */
export interface TaskValue<M = unknown> {
  readonly meta: M;
  readonly buffers: readonly ArrayBuffer[];
}

/** One node of a task graph. */
export interface TaskSpec<P = unknown> {
  /** Unique within the graph. */
  readonly id: string;
  /** Name of the function the worker module exports for this task (see defineWorkerOp). */
  readonly op: string;
  /** file: URL of the compiled worker module that exports `op`; default: the built-in kernels (src/scheduler/worker.ts). */
  readonly module?: string;
  /** Parameters for the op, structured-cloned to the worker (keep it small: no bulk data here). */
  readonly payload: P;
  /** Tasks whose results this task takes as inputs, in this order (after `inputs`). */
  readonly deps?: readonly string[];
  /** Values handed to the task directly (transferred to the worker), before the deps' results. */
  readonly inputs?: readonly TaskValue[];
  /** What a person calls this task in an error message, e.g. "chunk [3, 0]"; default: the id. */
  readonly label?: string;
  /** Hold the result until the run ends and return it (like Dask's persist). Tasks nothing depends on are always kept. */
  readonly keep?: boolean;
  /**
   * Bytes the task will hold while it runs, result included (a read chunk, its output).
   * Used to admit tasks under the pause threshold; default: the largest result seen so far
   * from the same op in this run, or 0.
   */
  readonly memoryBytes?: number;
}

/** Phases a task's time is split into in the instrumentation. */
export type PhaseName = "queued" | "read" | "compute" | "write" | "return" | "spill" | "unspill";

export interface PhaseSpan {
  readonly phase: PhaseName;
  /** Seconds since the run started. */
  readonly start: number;
  readonly end: number;
}

/** What happened to one task. Times are seconds since the run started. */
export interface TaskRecord {
  readonly id: string;
  readonly op: string;
  readonly label: string;
  /** Worker thread id that ran it. */
  readonly thread: number;
  /** Handed to the pool. */
  readonly submitted: number;
  /** Started in the worker. */
  readonly started: number;
  /** Finished in the worker. */
  readonly ended: number;
  /** Result back in the main thread. */
  readonly received: number;
  /** queued, then the worker's own phases (read, compute, …), then return. */
  readonly phases: readonly PhaseSpan[];
  readonly inputBytes: number;
  readonly resultBytes: number;
}

export interface MemorySample {
  /** Seconds since the run started. */
  readonly t: number;
  /** Bytes of results held in memory by the scheduler. */
  readonly managed: number;
  /** Bytes reserved by tasks in flight (their inputs and expected results). */
  readonly inFlight: number;
  /** Bytes currently spilled to disk. */
  readonly spilled: number;
  /** Resident set size of the whole process (all threads). */
  readonly rss: number;
}

/** A result written to the spill directory, or read back from it (seconds since the run started). */
export interface SpillSpan {
  /** The task whose result moved. */
  readonly id: string;
  readonly kind: "spill" | "unspill";
  readonly start: number;
  readonly end: number;
}

export interface SpillStats {
  /** Bytes written to the spill directory over the run. */
  readonly spilledBytes: number;
  /** Bytes read back from it. */
  readonly readBackBytes: number;
  /** Seconds spent writing spill files. */
  readonly spillSeconds: number;
  /** Seconds spent reading them back. */
  readonly readBackSeconds: number;
  readonly spillEvents: number;
  /** Times the scheduler stopped starting tasks because memory was above the pause fraction. */
  readonly pauses: number;
  /** Seconds spent paused. */
  readonly pausedSeconds: number;
}

/** Memory policy of one run, modelled on a Dask worker's. */
export interface MemoryPolicy {
  /** Managed-memory limit in bytes; Infinity for none. */
  readonly limitBytes: number;
  /** Above limit × target, least recently used results are spilled to disk (default 0.6). */
  readonly targetFraction: number;
  /** Above limit × pause, no new task starts until memory falls (default 0.8). */
  readonly pauseFraction: number;
  /** Where spill files go (a fresh directory is made inside it); default: the OS temp directory. */
  readonly spillDirectory: string;
}

/** Sent to the worker (internal). */
export interface WireTask<P = unknown> {
  readonly payload: P;
  readonly inputs: readonly TaskValue[];
}

/** A worker's answer (internal): the value, or the error it met, plus its own timings (epoch ms). */
export type WireReply =
  | {
      readonly ok: true;
      readonly value: TaskValue;
      readonly thread: number;
      readonly started: number;
      readonly ended: number;
      readonly phases: readonly { phase: PhaseName; start: number; end: number }[];
    }
  | {
      readonly ok: false;
      readonly error: { readonly tag: string | null; readonly message: string; readonly path: string | null; readonly stack: string | null };
      readonly thread: number;
    };
