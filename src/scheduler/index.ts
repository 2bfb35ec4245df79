/**
 * chunkwise's bundled scheduler: a pool of worker threads (piscina) and a central scheduler in
 * the main thread that runs task graphs, with a Dask-style memory manager and per-task
 * instrumentation. `probe` measures with it; `rechunk` runs on it.
 *
 * TASKS. A task (TaskSpec) names an op — a function exported by a compiled worker module, wrapped
 * in defineWorkerOp (worker-runtime.ts) — and carries a small structured-clonable `payload`.
 * Its inputs are `inputs` given directly plus the results of its `deps`, in order. Leaf tasks
 * usually read their own data inside the worker (ctx.dataset(location).readRegion(...)), so
 * reading and decoding run in parallel. The built-in ops (worker.ts) are noop, reduce
 * (sum/mean/min/max/std → a mergeable Partial), combine (merge Partials: build the tree with
 * treeReduce, Dask's split_every) and map (copy, scale-offset → a block). Your own ops live in
 * your own worker module: pass `module: compiledModuleUrl(import.meta.url, "./my-worker.js")`.
 *
 * VALUES. Every result and input is a TaskValue {meta, buffers}: `meta` is small and cloned,
 * `buffers` are whole ArrayBuffers that are always transferred between threads, never copied
 * (blocks.ts turns typed arrays into values and back).
 *
 * RUNNING. `const s = new Scheduler({threads})`; `const run = await s.run(tasks, {memory})`
 * runs the graph in dependency order (deeper tasks first, so reductions free memory early) and
 * resolves when every task is done; `await run.result(id)` gives a kept result (tasks marked
 * `keep`, and every task nothing depends on); `await run.dispose()` frees them; `await s.close()`
 * destroys the threads. A failing task rejects the run with its label ("chunk [3, 0]: …")
 * after running tasks settle; the pool stays usable. SIGINT/SIGTERM fail the run with
 * ChunkwiseError("InterruptedError") (exit 130) and destroy the threads.
 *
 * MEMORY. Results held by the scheduler count by byteLength against `memory.limitBytes`. Above
 * targetFraction (0.6) the least recently used are spilled to a temp dir and read back when a
 * consumer needs them; a task starts only while held + in-flight (inputs and `memoryBytes`, or
 * the largest result of its op so far) stays under pauseFraction (0.8), or when nothing runs.
 * Worker resourceLimits do not count ArrayBuffers: this accounting is the only bound.
 *
 * INSTRUMENTATION. run.tasks: per task its thread and phases (queued, read, compute, write,
 * return; read includes decode — the dataset layer does both in one call); run.spills: spill
 * spans; run.memory: timeline of managed, in-flight, spilled bytes and process RSS;
 * run.spill: spilled / read-back bytes, spill seconds, pauses.
 */
export { Scheduler } from "./scheduler.js";
export { BUILTIN_WORKER, compiledModuleUrl, prestartPool } from "./pool.js";
export type { SchedulerOptions, RunOptions, RunProgress, RunResult } from "./scheduler.js";
export { treeReduce, indexGraph } from "./graph.js";
export { defineWorkerOp } from "./worker-runtime.js";
export type { WorkerContext, WorkerOp } from "./worker-runtime.js";
export { blockValue, numericValue, valueArray } from "./blocks.js";
export type { BlockMeta, ElementType } from "./blocks.js";
export { REDUCE_KERNELS, finalize, mergePartials, summarize, applyMap } from "./kernels.js";
export type { MapKernel, Partial, ReduceKernel } from "./kernels.js";
export type { MapPayload, ReducePayload, RegionSource } from "./worker.js";
export type * from "./types.js";
