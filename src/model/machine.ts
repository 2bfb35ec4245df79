/**
 * Where the advice will run: a Dask-style cluster of `workers`, each running `threadsPerWorker`
 * tasks at once within `memoryPerWorkerBytes`.
 */
export interface MachineSpec {
  readonly workers: number;
  readonly threadsPerWorker: number;
  readonly memoryPerWorkerBytes: number;
}

/**
 * The fractions of a worker's memory at which a Dask worker changes behaviour
 * (distributed.yaml, `distributed.worker.memory.*`): above `target` it spills least-recently-used
 * results to disk, above `spill` it spills on process memory, above `pause` it stops taking new
 * tasks, above `terminate` the nanny restarts it.
 */
export const DASK_MEMORY_FRACTIONS = { target: 0.6, spill: 0.7, pause: 0.8, terminate: 0.95 } as const;

export type MemoryState = "ok" | "target" | "spill" | "pause" | "terminate";

export function memoryState(fraction: number): MemoryState {
  if (fraction > DASK_MEMORY_FRACTIONS.terminate) return "terminate";
  if (fraction > DASK_MEMORY_FRACTIONS.pause) return "pause";
  if (fraction > DASK_MEMORY_FRACTIONS.spill) return "spill";
  if (fraction > DASK_MEMORY_FRACTIONS.target) return "target";
  return "ok";
}

/** Threads that run tasks at once over the whole cluster. */
export const slots = (machine: MachineSpec): number => machine.workers * machine.threadsPerWorker;
