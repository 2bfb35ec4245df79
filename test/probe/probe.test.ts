import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probe, type ProbeResult } from "../../src/app/probe.js";
import { parseCostModel, serializeCostModel } from "../../src/model/cost-model-file.js";
import { fixture } from "../helpers/cli.js";
import { ensureBuilt } from "../scheduler/build.js";

let spillParent: string;
let delayed: ProbeResult;
const DELAY_MS = 50;

beforeAll(async () => {
  ensureBuilt();
  spillParent = mkdtempSync(path.join(os.tmpdir(), "chunkwise-probetest-"));
  // Every sweep task waits a known 50 ms before reading: the fit's fixed cost must find it.
  // Small chunks (10×10 int16) keep the size-dependent part small next to it, even on a busy machine.
  delayed = await probe(fixture("zarr2", "tiny.zarr"), { budgetSeconds: 8, threads: 2, taskDelayMs: DELAY_MS, spillDirectory: spillParent });
}, 120_000);

afterAll(() => rmSync(spillParent, { recursive: true, force: true }));

describe("probe (library)", () => {
  it("recovers a known fixed delay per task within ±30 %", () => {
    expect(delayed.fit.fixedSeconds).toBeGreaterThanOrEqual(0.7 * DELAY_MS * 1e-3);
    expect(delayed.fit.fixedSeconds).toBeLessThanOrEqual(1.3 * DELAY_MS * 1e-3);
    expect(delayed.model.perChunkReadSeconds).toBe(delayed.fit.fixedSeconds);
  });

  it("measures overhead on the run: the figure is the noop run's wall time per task", () => {
    const run = delayed.runs.find((r) => r.name === "overhead")!;
    expect(run.tasks).toHaveLength(delayed.overhead.tasks);
    expect(delayed.overhead.perTaskSeconds).toBe(run.wallSeconds / run.tasks.length);
    expect(delayed.model.perTaskOverheadSeconds).toBe(delayed.overhead.perTaskSeconds);
    expect(delayed.model.sources.perTaskOverheadSeconds).toBe("measured");
  });

  it("sweeps several sizes of whole storage chunks and fits on every task", () => {
    expect(delayed.sweep.length).toBeGreaterThanOrEqual(2);
    for (const s of delayed.sweep) expect(s.bytes % (10 * 10 * 2)).toBe(0);
    expect(delayed.fit.points).toBe(delayed.points.length);
    const sweepTasks = delayed.runs.filter((r) => r.name.startsWith("sweep")).flatMap((r) => r.tasks.filter((t) => t.op === "reduce"));
    expect(sweepTasks).toHaveLength(delayed.points.length);
    for (const t of sweepTasks) expect(t.ended - t.started).toBeGreaterThanOrEqual(DELAY_MS * 1e-3 * 0.99);
  });

  it("measures spilling with a limit below the working set, and cleans up its spill files", () => {
    const spill = delayed.spill!;
    expect(spill).not.toBeNull();
    expect(spill.limitBytes).toBeLessThan(spill.workingSetBytes);
    expect(spill.spilledBytes).toBeGreaterThan(0);
    expect(spill.readBackBytes).toBeGreaterThan(0);
    expect(readdirSync(spillParent)).toEqual([]);
  });

  it("the saved model round-trips with its measured figures marked", () => {
    const text = serializeCostModel(delayed.model, { created: new Date(0), source: "test" });
    const back = parseCostModel(text, "model.json");
    expect(back.perTaskOverheadSeconds).toBe(delayed.model.perTaskOverheadSeconds);
    expect(back.perChunkReadSeconds).toBe(delayed.model.perChunkReadSeconds);
    expect(back.sources.perTaskOverheadSeconds).toBe("measured");
    expect(back.sources.perChunkReadSeconds).toBe("measured");
    expect(back.sources.workingMemoryFactor).toBe("assumed");
    expect(back.sources).toEqual(delayed.model.sources);
  });

  it("recommends a compute chunk made of whole storage chunks", () => {
    const rec = delayed.recommended.chunks;
    expect(rec).toHaveLength(2);
    for (const extent of rec) expect(extent % 10 === 0 && extent >= 10 && extent <= 200).toBe(true);
  });
});
