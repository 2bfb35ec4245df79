import { readdirSync } from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { numericValue, valueArray } from "../../src/scheduler/blocks.js";
import { type Partial, finalize } from "../../src/scheduler/kernels.js";
import { treeReduce } from "../../src/scheduler/graph.js";
import { type RunResult, Scheduler } from "../../src/scheduler/scheduler.js";
import type { TaskSpec } from "../../src/scheduler/types.js";
import { ensureBuilt } from "./build.js";

let scheduler: Scheduler;
let spillParent: string;

beforeAll(() => {
  ensureBuilt();
  scheduler = new Scheduler({ threads: 2, handleSignals: false });
  spillParent = mkdtempSync(path.join(os.tmpdir(), "chunkwise-memtest-"));
});

afterAll(async () => {
  await scheduler.close();
  rmSync(spillParent, { recursive: true, force: true });
});

const MiB = 2 ** 20;
const CHUNKS = 24;

/** A persist-like workload: every task maps a 1 MiB chunk and its result is kept. */
function persistGraph(): TaskSpec[] {
  return Array.from({ length: CHUNKS }, (_, c) => {
    const values = new Float64Array(MiB / 8);
    for (let i = 0; i < values.length; i++) values[i] = c * 1e6 + i;
    return { id: `chunk-${c}`, op: "map", label: `chunk [${c}]`, keep: true, payload: { kernel: { kind: "scale-offset", scale: 2, offset: 1 } }, inputs: [numericValue(values, [values.length])] };
  });
}

async function contents(run: RunResult): Promise<number[][]> {
  const out: number[][] = [];
  for (let c = 0; c < CHUNKS; c++) {
    const values = valueArray(await run.result(`chunk-${c}`)).values as Float64Array;
    out.push([values.length, values[0]!, values[values.length - 1]!, values.reduce((a, b) => a + b, 0)]);
  }
  return out;
}

describe("memory manager", () => {
  it("spills when the working set exceeds the limit; results equal the unspilled run; held memory stays under pause + one task", async () => {
    const unlimited = await scheduler.run(persistGraph());
    expect(unlimited.spill.spilledBytes).toBe(0);
    const expected = await contents(unlimited);
    await unlimited.dispose();

    const limitBytes = 8 * MiB; // working set: 24 MiB of results
    const limited = await scheduler.run(persistGraph(), { memory: { limitBytes, spillDirectory: spillParent } });
    expect(limited.spill.spilledBytes).toBeGreaterThan(0);
    expect(limited.spill.spillEvents).toBeGreaterThan(0);
    expect(limited.spill.spillSeconds).toBeGreaterThan(0);
    expect(readdirSync(spillParent).length).toBe(1); // the run's spill directory
    const largestTask = Math.max(...limited.tasks.map((t) => t.resultBytes + t.inputBytes));
    const peakHeld = Math.max(...limited.memory.map((s) => s.managed + s.inFlight));
    expect(peakHeld).toBeLessThanOrEqual(0.8 * limitBytes + largestTask);
    expect(Math.max(...limited.memory.map((s) => s.spilled))).toBeGreaterThan(0);

    const readBefore = limited.spill.readBackBytes;
    expect(await contents(limited)).toEqual(expected);
    expect(limited.spill.readBackBytes).toBeGreaterThan(readBefore);
    expect(limited.spills.filter((s) => s.kind === "spill").length).toBe(limited.spill.spillEvents);
    expect(limited.spills.some((s) => s.kind === "unspill")).toBe(true);
    await limited.dispose();
    expect(readdirSync(spillParent)).toEqual([]); // spill files deleted
  });

  it("pauses instead of starting tasks above the pause fraction, and stays within one task of it", async () => {
    // Leaves produce 1 MiB blocks consumed by reductions: memory falls as combines run.
    const leaves: TaskSpec[] = Array.from({ length: 15 }, (_, c) => ({
      id: `m${c}`,
      op: "map",
      payload: { kernel: { kind: "copy" } },
      inputs: [numericValue(new Float64Array(MiB / 8).fill(c), [MiB / 8])],
    }));
    const reducers: TaskSpec[] = leaves.map((l, c) => ({ id: `r${c}`, op: "reduce", payload: { kernel: "sum" }, deps: [l.id] }));
    const tree = treeReduce(
      reducers.map((r) => r.id),
      4,
      (id, deps) => ({ id, op: "combine", payload: {}, deps }),
    );
    const limitBytes = 4 * MiB;
    const run = await scheduler.run([...leaves, ...reducers, ...tree.tasks], {
      memory: { limitBytes, targetFraction: 10, pauseFraction: 0.8, spillDirectory: spillParent },
    });
    expect(run.spill.spilledBytes).toBe(0); // target above the limit: nothing may spill
    expect(run.spill.pauses).toBeGreaterThan(0);
    const largestTask = Math.max(...run.tasks.map((t) => t.resultBytes + t.inputBytes));
    expect(Math.max(...run.memory.map((s) => s.managed + s.inFlight))).toBeLessThanOrEqual(0.8 * limitBytes + largestTask);
    const total = finalize((await run.result<Partial>(tree.root)).meta, "sum");
    expect(total).toBe(((15 * 14) / 2) * (MiB / 8));
    await run.dispose();
  });
});
