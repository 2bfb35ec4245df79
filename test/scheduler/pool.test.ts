import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adoptOrStartPool, prestartPool, releasePrestartedPool } from "../../src/scheduler/pool.js";
import { Scheduler } from "../../src/scheduler/scheduler.js";
import { repoRoot } from "../helpers/cli.js";
import { ensureBuilt } from "./build.js";

let dir: string;
let marker: string;
let reporter: string;

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(path.join(os.tmpdir(), "chunkwise-pool-"));
  // A module with a side effect at load, and a task module that reports whether it happened.
  marker = pathToFileURL(path.join(dir, "marker.mjs")).href;
  writeFileSync(path.join(dir, "marker.mjs"), "globalThis.chunkwisePreloaded = (globalThis.chunkwisePreloaded ?? 0) + 1;\n");
  reporter = pathToFileURL(path.join(dir, "reporter.mjs")).href;
  const runtime = pathToFileURL(path.join(repoRoot, "dist/scheduler/worker-runtime.js")).href;
  writeFileSync(
    path.join(dir, "reporter.mjs"),
    `import { defineWorkerOp } from ${JSON.stringify(runtime)};\nexport const loaded = defineWorkerOp(() => ({ meta: globalThis.chunkwisePreloaded ?? 0, buffers: [] }));\n`,
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function loadedCounts(scheduler: Scheduler, tasks: number): Promise<unknown[]> {
  const specs = Array.from({ length: tasks }, (_, i) => ({ id: `t${i}`, op: "loaded", module: reporter, payload: {} }));
  const run = await scheduler.run(specs);
  const counts = await Promise.all(specs.map(async (spec) => (await run.result(spec.id)).meta));
  await run.dispose();
  return counts;
}

describe("worker pool", () => {
  it("imports the preloaded modules in every thread before its first task, once", async () => {
    const scheduler = new Scheduler({ threads: 2, preload: [marker], handleSignals: false });
    try {
      expect(await loadedCounts(scheduler, 8)).toEqual(Array(8).fill(1));
    } finally {
      await scheduler.close();
    }
    const plain = new Scheduler({ threads: 1, handleSignals: false });
    try {
      expect(await loadedCounts(plain, 2)).toEqual([0, 0]);
    } finally {
      await plain.close();
    }
  });

  it("hands a prestarted pool to the first request with the same threads and preloads, once", async () => {
    const early = prestartPool(2, [marker]);
    expect(prestartPool(2, [marker])).toBe(early);
    const adopted = adoptOrStartPool(2, [marker]);
    expect(adopted).toBe(early);
    const next = adoptOrStartPool(2, [marker]);
    expect(next).not.toBe(early);
    await Promise.all([adopted.destroy(), next.destroy()]);
  });

  it("destroys a prestarted pool that does not match, and starts the one asked for", async () => {
    const early = prestartPool(2, [marker]);
    const other = adoptOrStartPool(1, [marker]);
    expect(other).not.toBe(early);
    await other.destroy();
    await expect.poll(() => early.threads.length).toBe(0);
    const early2 = prestartPool(1, []);
    const third = adoptOrStartPool(1, [marker]);
    expect(third).not.toBe(early2);
    await third.destroy();
  });

  it("runs a Scheduler's tasks on the prestarted threads", async () => {
    prestartPool(2, [marker]);
    const scheduler = new Scheduler({ threads: 2, preload: [marker], handleSignals: false });
    try {
      expect(await loadedCounts(scheduler, 4)).toEqual([1, 1, 1, 1]);
    } finally {
      await scheduler.close();
    }
  });
});

describe("releasePrestartedPool", () => {
  it("destroys a pool nothing adopted, and leaves an adopted one alone", async () => {
    const early = prestartPool(1, []);
    await releasePrestartedPool();
    expect(early.threads.length).toBe(0);
    const adopted = prestartPool(1, []);
    expect(adoptOrStartPool(1, [])).toBe(adopted);
    await releasePrestartedPool();
    expect(adopted.threads.length).toBeGreaterThan(0);
    await adopted.destroy();
  });
});
