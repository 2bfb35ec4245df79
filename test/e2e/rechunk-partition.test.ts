/**
 * One rechunk split across processes (`--partition I/N`), as a batch engine runs it: separate CLI
 * processes, started together and in random order, one killed with SIGKILL and rerun, then
 * finalize. The result must equal the single-process rechunk file for file.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixture, runCli } from "../helpers/cli.js";
import { mulberry32 } from "../helpers/random.js";
import { expectSameData, expectSameTree } from "../rechunk/helpers.js";

const source = fixture("zarr2", "climate.zarr");
// Two stages (12 + 9 tasks for /tas) under 1 MiB with 2 threads; /lat, /lon, /time are copied.
const options = ["--chunks", "time=-1,lat=8,lon=8", "--max-mem", "1MiB", "--threads", "2", "--format", "zarr2"];
const N = 3;

let tmp: string;
let reference: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "chunkwise-rechunk-partition-"));
  reference = path.join(tmp, "reference.zarr");
  const r = await runCli(["rechunk", source, reference, ...options, "--verify", "none"]);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function shuffled(seed: number): number[] {
  const rand = mulberry32(seed);
  const order = Array.from({ length: N }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

describe("rechunk --partition I/N", () => {
  it("three partitions started together, one killed and rerun, then finalize: identical to the single-process rechunk", async () => {
    const dst = path.join(tmp, "split.zarr");
    const seed = Date.now() % 1000;
    const victim = seed % N;
    // Stage 1: all three at once (the first creates DST, the others wait for its job.json); one dies.
    const first = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        runCli(["rechunk", source, dst, ...options, "--partition", `${i}/${N}`, "--stage", "1", "--json"], i === victim ? { env: { CHUNKWISE_TEST_KILL_AFTER: "2" } } : {}),
      ),
    );
    first.forEach((r, i) => {
      if (i === victim) expect(r.signal, `seed ${seed}: ${r.stderr}`).toBe("SIGKILL");
      else expect(r.code, `seed ${seed}: ${r.stderr}`).toBe(0);
    });
    expect(existsSync(path.join(dst, ".zgroup"))).toBe(false);

    // Finalize too early: non-zero, naming the partition that has not finished.
    const early = await runCli(["finalize", dst]);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(new RegExp(`not every partition has finished: missing .*${victim}/${N} \\(stage 1`));
    // Stage 2 of another partition reads what the dead one should have written: refused, naming it.
    const other = (victim + 1) % N;
    const tooSoon = await runCli(["rechunk", source, dst, ...options, "--partition", `${other}/${N}`]);
    expect(tooSoon.code, tooSoon.stderr).toBe(1);
    expect(tooSoon.stderr).toMatch(new RegExp(`stage 1 of partitions? .*${victim}/${N}`));

    // The dead partition is rerun alone: it skips what it journalled before dying.
    const rerun = await runCli(["rechunk", source, dst, ...options, "--partition", `${victim}/${N}`, "--stage", "1", "--json"]);
    expect(rerun.code, rerun.stderr).toBe(0);
    const rerunDoc = JSON.parse(rerun.stdout);
    expect(rerunDoc.partition).toEqual({ index: victim, count: N, stages_done: [1] });
    expect(rerunDoc.execution.tasks_run).toBeGreaterThan(0);

    // Stage 2 (no --stage: every stage whose input is complete; stage 1 is journalled, skipped), random order.
    for (const i of shuffled(seed)) {
      const r = await runCli(["rechunk", source, dst, ...options, "--partition", `${i}/${N}`, "--json"]);
      expect(r.code, `seed ${seed}, partition ${i}: ${r.stderr}`).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(doc.partition.stages_done).toEqual([1, 2]);
      expect(doc.verification).toBeNull();
    }
    const done = await runCli(["finalize", dst, "--verify", "full", "--json"]);
    expect(done.code, done.stderr).toBe(0);
    const doc = JSON.parse(done.stdout);
    expect(doc.partitions).toBe(N);
    expect(doc.partition_records.map((r: { index: number }) => r.index)).toEqual([0, 1, 2]);
    expect(doc.verification.units_checked).toBe(doc.verification.units_total);
    await expectSameTree(reference, dst);
    await expectSameData(source, dst);
    expect(existsSync(path.join(dst, ".chunkwise"))).toBe(false);
    expect(existsSync(`${dst}.chunkwise-init`)).toBe(false);

    // Finalizing again is harmless.
    const again = await runCli(["finalize", dst]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/already finalized/);
  }, 300_000);

  it("a one-stage plan: partitions in random order run their whole share; rechunk --finalize finishes", async () => {
    const dst = path.join(tmp, "one-stage.zarr");
    const oneStage = ["--chunks", "time=-1,lat=8,lon=8", "--max-mem", "64MiB", "--threads", "2", "--format", "zarr2"];
    const ref = path.join(tmp, "one-stage-reference.zarr");
    expect((await runCli(["rechunk", source, ref, ...oneStage, "--verify", "none"])).code).toBe(0);
    for (const i of shuffled(42)) {
      const r = await runCli(["rechunk", source, dst, ...oneStage, "--partition", `${i}/${N}`, "--json"]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).partition.stages_done).toEqual([1]);
    }
    const done = await runCli(["rechunk", source, dst, ...oneStage, "--finalize"]);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toMatch(/Finalized: .* by 3 partitions/s);
    await expectSameTree(ref, dst);
  }, 180_000);

  it("refuses a different N", async () => {
    const dst = path.join(tmp, "n.zarr");
    expect((await runCli(["rechunk", source, dst, ...options, "--partition", "0/3", "--stage", "1"])).code).toBe(0);
    const otherN = await runCli(["rechunk", source, dst, ...options, "--partition", "1/4"]);
    expect(otherN.code).toBe(2);
    expect(otherN.stderr).toMatch(/split into 3 partitions, not 4/);
  });

  it("HDF5 output: two-stage partitions write staged chunks, finalize writes the file", async () => {
    const dst = path.join(tmp, "partitioned.nc");
    const hdf5 = ["--chunks", "time=-1,lat=8,lon=8", "--max-mem", "1MiB", "--threads", "2"];
    for (const stage of ["1", "2"]) {
      for (const i of shuffled(7)) {
        const r = await runCli(["rechunk", source, dst, ...hdf5, "--partition", `${i}/${N}`, "--stage", stage]);
        expect(r.code, r.stderr).toBe(0);
        expect(existsSync(dst)).toBe(false);
      }
    }
    const done = await runCli(["finalize", dst, "--verify", "full"]);
    expect(done.code, done.stderr).toBe(0);
    await expectSameData(source, dst);
  }, 180_000);

  it.each(["0/0", "3/3", "1/0", "a/b"])("--partition %s is a usage error (exit 2)", async (value) => {
    const r = await runCli(["rechunk", source, path.join(tmp, "bad.zarr"), ...options, "--partition", value]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--partition/);
    expect(existsSync(path.join(tmp, "bad.zarr"))).toBe(false);
  });

  it.each([
    [["--stage", "1"], /--stage goes with --partition/],
    [["--partition", "0/2", "--finalize"], /--finalize .* does not go with --partition/],
    [["--partition", "0/2", "--resume"], /drop --resume/],
    [["--partition", "0/2", "--overwrite"], /--overwrite would delete the other partitions' work/],
  ])("%j is refused with exit 2", async (flags, message) => {
    const r = await runCli(["rechunk", source, path.join(tmp, "clash.zarr"), ...options, ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(existsSync(path.join(tmp, "clash.zarr"))).toBe(false);
  });
});
