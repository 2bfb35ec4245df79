/**
 * The built-in worker module: the ops `probe` and any caller can run without writing a worker of
 * their own. Loaded by piscina as compiled JS (dist/scheduler/worker.js).
 *
 * - noop: nothing (measures the scheduler's own cost per task).
 * - reduce: read a region (or take a block input), return a mergeable Partial (no buffers).
 * - combine: merge the Partials of its inputs (tree reduction).
 * - map: read a region (or take a block input), return the mapped block (copy, scale-offset).
 *
 * `delayMs` adds a fixed wait to the read phase of reduce/map: a stand-in for storage latency,
 * used by tests to check that the probe's fit recovers a known fixed cost.
 */
import { workerData } from "node:worker_threads";
import type { Block } from "../formats/dataset.js";
import { ChunkwiseError } from "../errors.js";
import { blockValue, numericValue, valueArray } from "./blocks.js";
import { type MapKernel, type Partial, type ReduceKernel, EMPTY_PARTIAL, applyMap, mergePartials, summarize } from "./kernels.js";
import type { TaskValue } from "./types.js";
import type { WorkerStartData } from "./pool.js";
import { type WorkerContext, defineWorkerOp } from "./worker-runtime.js";

// Task modules named at the pool's start load now, while the thread boots (piscina awaits this module).
await Promise.all(((workerData as WorkerStartData | null)?.preload ?? []).map((url) => import(url)));

/** A region [start, stop) of one array of a dataset, read inside the worker. */
export interface RegionSource {
  readonly location: string;
  readonly array: string;
  readonly start: readonly number[];
  readonly stop: readonly number[];
}

export interface ReducePayload {
  readonly kernel: ReduceKernel;
  /** Where the data comes from; without it, the task's first input (a block value). */
  readonly source?: RegionSource;
  readonly delayMs?: number;
}

export interface MapPayload {
  readonly kernel: MapKernel;
  readonly source?: RegionSource;
  readonly delayMs?: number;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Block the thread for `ms`: a fixed cost that occupies the worker like a slow read would. */
function blockFor(ms: number): void {
  if (ms > 0) Atomics.wait(sleeper, 0, 0, ms);
}

async function loadInput(payload: { source?: RegionSource; delayMs?: number }, inputs: readonly TaskValue[], ctx: WorkerContext) {
  return ctx.phase("read", async () => {
    blockFor(payload.delayMs ?? 0);
    if (payload.source) {
      const { location, array, start, stop } = payload.source;
      const dataset = await ctx.dataset(location);
      const block: Block = await dataset.readRegion(array, start, stop);
      return valueArray(blockValue(block));
    }
    const first = inputs[0];
    if (first === undefined) throw new ChunkwiseError("UsageError", "task has neither a source region nor an input block");
    return valueArray(first);
  });
}

export const noop = defineWorkerOp<Record<string, never>>(() => ({ meta: null, buffers: [] }));

export const reduce = defineWorkerOp<ReducePayload>(async (payload, inputs, ctx) => {
  const { values } = await loadInput(payload, inputs, ctx);
  const partial = await ctx.phase("compute", () => summarize(values, payload.kernel));
  return { meta: partial, buffers: [] };
});

export const combine = defineWorkerOp<Record<string, never>>(async (_payload, inputs, ctx) => {
  const merged = await ctx.phase("compute", () => inputs.reduce((acc, input) => mergePartials(acc, input.meta as Partial), EMPTY_PARTIAL));
  return { meta: merged, buffers: [] };
});

export const map = defineWorkerOp<MapPayload>(async (payload, inputs, ctx) => {
  const { values, shape } = await loadInput(payload, inputs, ctx);
  const out = await ctx.phase("compute", () => applyMap(values, payload.kernel));
  return numericValue(out, shape);
});
