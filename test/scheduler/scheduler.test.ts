import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { numericValue, valueArray } from "../../src/scheduler/blocks.js";
import { type Partial, type ReduceKernel, finalize } from "../../src/scheduler/kernels.js";
import { treeReduce } from "../../src/scheduler/graph.js";
import { Scheduler } from "../../src/scheduler/scheduler.js";
import type { TaskSpec } from "../../src/scheduler/types.js";
import { ensureBuilt } from "./build.js";

let scheduler: Scheduler;

beforeAll(() => {
  ensureBuilt();
  scheduler = new Scheduler({ threads: 2, handleSignals: false });
});

afterAll(async () => {
  await scheduler.close();
});

/** Deterministic pseudo-random chunks (a linear congruential generator), kept for the direct computation. */
function makeChunks(count: number, length: number, make: (n: number) => Float32Array | Float64Array | Int16Array): { chunks: (Float32Array | Float64Array | Int16Array)[]; all: number[] } {
  let state = 12345;
  const chunks = [];
  const all: number[] = [];
  for (let c = 0; c < count; c++) {
    const chunk = make(length - (c % 3));
    for (let i = 0; i < chunk.length; i++) {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      chunk[i] = chunk instanceof Int16Array ? (state % 20000) - 10000 : (state / 2 ** 31) * 200 - 100;
      all.push(chunk[i]!);
    }
    chunks.push(chunk);
  }
  return { chunks, all };
}

function direct(values: number[], kernel: ReduceKernel): number {
  const sum = values.reduce((a, b) => a + b, 0);
  const mean = sum / values.length;
  if (kernel === "sum") return sum;
  if (kernel === "mean") return mean;
  if (kernel === "min") return values.reduce((a, b) => Math.min(a, b), Infinity);
  if (kernel === "max") return values.reduce((a, b) => Math.max(a, b), -Infinity);
  return Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
}

function reductionGraph(chunks: readonly ArrayLike<number>[], kernel: ReduceKernel, splitEvery: number): { tasks: TaskSpec[]; root: string } {
  const leaves: TaskSpec[] = chunks.map((chunk, i) => ({
    id: `leaf-${i}`,
    op: "reduce",
    label: `chunk [${i}]`,
    payload: { kernel },
    inputs: [numericValue((chunk as Float64Array).slice(), [chunk.length])],
  }));
  const tree = treeReduce(
    leaves.map((l) => l.id),
    splitEvery,
    (id, deps) => ({ id, op: "combine", payload: {}, deps }),
  );
  return { tasks: [...leaves, ...tree.tasks], root: tree.root };
}

describe("Scheduler: kernels in worker threads", () => {
  for (const kernel of ["sum", "mean", "min", "max", "std"] as const) {
    for (const [count, splitEvery] of [
      [7, 2],
      [9, 4],
      [1, 3],
    ] as const) {
      it(`${kernel} over ${count} chunks (split_every ${splitEvery}) equals the direct computation`, async () => {
        for (const make of [(n: number) => new Float64Array(n), (n: number) => new Float32Array(n), (n: number) => new Int16Array(n)]) {
          const { chunks, all } = makeChunks(count, 1001, make);
          const { tasks, root } = reductionGraph(chunks, kernel, splitEvery);
          const run = await scheduler.run(tasks);
          const value = finalize((await run.result<Partial>(root)).meta, kernel);
          expect(value).toBeCloseTo(direct(all, kernel), 6);
          expect(run.keptIds).toEqual([root]);
          expect(run.tasks).toHaveLength(tasks.length);
          await run.dispose();
        }
      });
    }
  }

  it("map kernels (copy, scale-offset) return the computed blocks, transferred", async () => {
    const { chunks } = makeChunks(5, 4096, (n) => new Float32Array(n));
    const tasks: TaskSpec[] = chunks.flatMap((chunk, i) => [
      { id: `copy-${i}`, op: "map", payload: { kernel: { kind: "copy" } }, inputs: [numericValue(chunk.slice(), [chunk.length])] },
      { id: `so-${i}`, op: "map", payload: { kernel: { kind: "scale-offset", scale: 0.5, offset: 10 } }, inputs: [numericValue(chunk.slice(), [chunk.length])] },
    ]);
    const input = tasks[0]!.inputs![0]!.buffers[0]!;
    const run = await scheduler.run(tasks);
    expect(input.byteLength).toBe(0); // transferred to the worker, not copied
    for (const [i, chunk] of chunks.entries()) {
      const copy = valueArray(await run.result(`copy-${i}`));
      expect(Array.from(copy.values as Float32Array)).toEqual(Array.from(chunk));
      const so = valueArray(await run.result(`so-${i}`));
      expect(Array.from(so.values as Float32Array)).toEqual(Array.from(chunk, (v) => Math.fround(Math.fround(v * 0.5) + 10)));
    }
    await run.dispose();
  });

  it("records every task's thread and phases in order", async () => {
    const { chunks } = makeChunks(6, 2000, (n) => new Float64Array(n));
    const { tasks } = reductionGraph(chunks, "sum", 2);
    const run = await scheduler.run(tasks);
    const threads = new Set(run.tasks.map((t) => t.thread));
    expect(threads.size).toBeGreaterThanOrEqual(1);
    for (const record of run.tasks) {
      expect(record.phases[0]!.phase).toBe("queued");
      expect(record.phases.at(-1)!.phase).toBe("return");
      expect(record.phases.map((p) => p.phase)).toContain("compute");
      for (const p of record.phases) expect(p.end).toBeGreaterThanOrEqual(p.start);
      expect(record.received).toBeGreaterThanOrEqual(record.ended);
      expect(record.ended).toBeGreaterThanOrEqual(record.started);
    }
    expect(run.memory.length).toBeGreaterThan(tasks.length);
    await run.dispose();
  });
});

describe("Scheduler: failures", () => {
  it("a failing task rejects with its chunk index, and the pool goes on", async () => {
    const { chunks } = makeChunks(6, 100, (n) => new Float64Array(n));
    const { tasks } = reductionGraph(chunks, "sum", 2);
    // chunk [3] has no data at all: the reduce op throws in the worker.
    const broken = tasks.map((t) => (t.id === "leaf-3" ? { ...t, inputs: [] } : t));
    await expect(scheduler.run(broken)).rejects.toThrow(/chunk \[3\]/);
    const missing: TaskSpec[] = [
      {
        id: "x",
        op: "reduce",
        label: "chunk [0, 5]",
        payload: { kernel: "sum", source: { location: "/nonexistent/data.zarr", array: "/a", start: [0, 0], stop: [1, 1] } },
      },
    ];
    await expect(scheduler.run(missing)).rejects.toMatchObject({ tag: "NotFoundError", message: expect.stringContaining("chunk [0, 5]") });
    const again = await scheduler.run(reductionGraph(chunks, "max", 3).tasks);
    expect(again.tasks).toHaveLength(reductionGraph(chunks, "max", 3).tasks.length);
    await again.dispose();
  });

  it("close destroys every worker thread", async () => {
    const own = new Scheduler({ threads: 2, handleSignals: false });
    const run = await own.run([{ id: "a", op: "noop", payload: {} }]);
    expect(own.liveThreads).toBe(2);
    await own.close();
    expect(own.liveThreads).toBe(0);
    await expect(own.run([{ id: "b", op: "noop", payload: {} }])).rejects.toThrow(/closed/);
    await run.dispose();
  });
});
