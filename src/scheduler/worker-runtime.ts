/**
 * What a worker module builds on. A worker module is a compiled ES module that exports one
 * function per op, each wrapped in defineWorkerOp:
 *
 *   export const copyRegion = defineWorkerOp<MyPayload>(async (payload, inputs, ctx) => {
 *     const dataset = await ctx.dataset(payload.location);       // opened once per thread
 *     const block = await ctx.phase("read", () => dataset.readRegion(...));
 *     return blockValue(block);                                  // transferred back, not copied
 *   });
 *
 * The wrapper times the op's phases, transfers the result's buffers back to the main thread,
 * and turns any error (ChunkwiseError tags included) into a value the scheduler rethrows with
 * the task's label.
 */
import { performance } from "node:perf_hooks";
import { threadId } from "node:worker_threads";
import { move, transferableSymbol, valueSymbol } from "piscina";
import type { DatasetReader } from "../formats/dataset.js";
import type { PhaseName, TaskValue, WireReply, WireTask } from "./types.js";

export interface WorkerContext {
  /** Time `fn` as one phase of this task. */
  phase<T>(name: PhaseName, fn: () => T | Promise<T>): Promise<T>;
  /** The values of the dataset at `location`, opened on first use and kept open for this thread's life. */
  dataset(location: string): Promise<DatasetReader>;
}

export type WorkerOp<P> = (payload: P, inputs: readonly TaskValue[], ctx: WorkerContext) => TaskValue | Promise<TaskValue>;

const now = (): number => performance.timeOrigin + performance.now();

const datasets = new Map<string, Promise<DatasetReader>>();

function cachedDataset(location: string): Promise<DatasetReader> {
  let opened = datasets.get(location);
  if (opened === undefined) {
    // Imported lazily: tasks that never read (empty tasks, combines) do not load the format stack.
    opened = import("../formats/open.js").then(({ openDatasetReader }) => openDatasetReader(location));
    opened.catch(() => datasets.delete(location));
    datasets.set(location, opened);
  }
  return opened;
}

/** Wrap an op so the scheduler can run it; the result's buffers are transferred, not copied. */
export function defineWorkerOp<P>(op: WorkerOp<P>): (task: WireTask<P>) => Promise<unknown> {
  return async (task) => {
    const phases: { phase: PhaseName; start: number; end: number }[] = [];
    const ctx: WorkerContext = {
      async phase(name, fn) {
        const start = now();
        try {
          return await fn();
        } finally {
          phases.push({ phase: name, start, end: now() });
        }
      },
      dataset: cachedDataset,
    };
    const started = now();
    let reply: WireReply;
    try {
      const value = await op(task.payload, task.inputs, ctx);
      const buffers = value.buffers.map(ownBuffer);
      reply = { ok: true, value: { meta: value.meta, buffers }, thread: threadId, started, ended: now(), phases };
      return move({ [transferableSymbol]: buffers, [valueSymbol]: reply } as never);
    } catch (err) {
      const e = err as { tag?: unknown; message?: unknown; path?: unknown; stack?: unknown };
      reply = {
        ok: false,
        thread: threadId,
        error: {
          tag: typeof e?.tag === "string" ? e.tag : null,
          message: typeof e?.message === "string" ? e.message : String(err),
          path: typeof e?.path === "string" ? e.path : null,
          stack: typeof e?.stack === "string" ? e.stack : null,
        },
      };
      return reply;
    }
  };
}

/** A buffer that can be transferred: SharedArrayBuffers (and wasm memory views) are copied first. */
function ownBuffer(buffer: ArrayBuffer): ArrayBuffer {
  return buffer instanceof ArrayBuffer ? buffer : new Uint8Array(buffer as ArrayBufferLike).slice().buffer;
}
