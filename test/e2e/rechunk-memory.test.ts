/**
 * Peak RSS of a real rechunk of a dataset several times larger than --max-mem stays within --max-mem
 * plus the fixed overhead, where the fixed overhead is measured, not assumed: the peak RSS of the
 * same command (same threads) on a dataset of a few KiB.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { fixture, runCli } from "../helpers/cli.js";
import { writeMapChunkedV3 } from "../rechunk/helpers.js";

const MiB = 2 ** 20;
/** Allocator and GC slack allowed over the bound, as a share of --max-mem. */
const SLACK = 0.25;

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "chunkwise-rechunk-mem-"));
  // float32 (256, 512, 512) = 256 MiB in map chunks (1, 512, 512): several times --max-mem. Uncompressed
  // chunks are read in part (one stage); gzip chunks decode only whole (two stages).
  await writeMapChunkedV3(path.join(tmp, "raw.zarr"), [256, 512, 512]);
  await writeMapChunkedV3(path.join(tmp, "gzip.zarr"), [256, 512, 512], { name: "gzip", configuration: { level: 1 } });
}, 300_000);
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

it.each([
  // At 64 MiB a strip of every map chunk does not fit a task: the raw store gets 96 MiB.
  ["raw.zarr", "one stage of partial reads", 1, 96 * MiB],
  ["gzip.zarr", "two stages", 2, 64 * MiB],
])("map → time-series chunks of 256 MiB (%s, %s) stays within --max-mem plus the fixed overhead", async (store, _plan, stages, maxMem) => {
  const common = ["--max-mem", `${maxMem / MiB}MiB`, "--threads", "2", "--json"];
  const tiny = await runCli(["rechunk", fixture("zarr2", "climate.zarr"), path.join(tmp, `tiny-${store}`), "--chunks", "time=-1,lat=8,lon=8", ...common]);
  expect(tiny.code, tiny.stderr).toBe(0);
  const fixedOverhead = JSON.parse(tiny.stdout).peak_rss_bytes as number;

  const r = await runCli(["rechunk", path.join(tmp, store), path.join(tmp, `out-${store}`), "--chunks", "time=-1,y=32,x=32", ...common], { timeoutMs: 600_000 });
  expect(r.code, r.stderr).toBe(0);
  const doc = JSON.parse(r.stdout);
  expect(doc.totals.logical_bytes).toBe(256 * MiB);
  expect(doc.arrays[0].plan.stages).toHaveLength(stages);
  expect(doc.arrays[0].plan.stages[0].partial_reads).toBe(stages === 1);
  expect(doc.totals.peak_memory_bytes).toBeLessThanOrEqual(maxMem);
  expect(doc.verification.units_checked).toBeGreaterThan(0);
  const peak = doc.peak_rss_bytes as number;
  expect(peak, `peak ${peak / MiB} MiB, fixed overhead ${fixedOverhead / MiB} MiB`).toBeLessThanOrEqual(fixedOverhead + maxMem * (1 + SLACK));
}, 900_000);
