/**
 * kill -9 at several moments of a real rechunk process, then --resume: the result must equal an
 * uninterrupted run file for file, and an interrupted output must not look complete meanwhile.
 */
import { existsSync } from "node:fs";
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixture, runCli } from "../helpers/cli.js";
import { expectSameData, expectSameTree } from "../rechunk/helpers.js";

const source = fixture("zarr2", "climate.zarr");
// Two stages (12 + 10 tasks, 120 intermediate and 180 target units) under 1 MiB with 2 threads.
const options = ["--chunks", "time=-1,lat=8,lon=8", "--max-mem", "1MiB", "--threads", "2", "--format", "zarr2", "--verify", "sample"];

let tmp: string;
let reference: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "chunkwise-rechunk-crash-"));
  reference = path.join(tmp, "reference.zarr");
  const r = await runCli(["rechunk", source, reference, ...options]);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function killThenResume(name: string, env: Record<string, string>): Promise<string> {
  const dst = path.join(tmp, name);
  const killed = await runCli(["rechunk", source, dst, ...options], { env });
  expect(killed.signal, `${killed.stdout}\n${killed.stderr}`).toBe("SIGKILL");
  const resumed = await runCli(["rechunk", source, dst, ...options, "--resume", "--json"]);
  expect(resumed.code, resumed.stderr).toBe(0);
  const doc = JSON.parse(resumed.stdout);
  expect(doc.resumed).toBe(true);
  expect(doc.verification.units_checked).toBeGreaterThan(0);
  await expectSameTree(reference, dst);
  await expectSameData(source, dst);
  return dst;
}

describe("rechunk after kill -9", () => {
  it("early (stage 1): the interrupted output has no final metadata; --resume finishes it identically", async () => {
    const dst = path.join(tmp, "early.zarr");
    const killed = await runCli(["rechunk", source, dst, ...options], { env: { CHUNKWISE_TEST_KILL_AFTER: "3" } });
    expect(killed.signal).toBe("SIGKILL");
    // Not mistaken for a complete store: no root group, no array metadata yet; chunkwise refuses to start over silently.
    expect(existsSync(path.join(dst, ".zgroup"))).toBe(false);
    expect(existsSync(path.join(dst, "tas", ".zarray"))).toBe(false);
    const again = await runCli(["rechunk", source, dst, ...options]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/--resume/);
    const resumed = await runCli(["rechunk", source, dst, ...options, "--resume"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/Resumed:/);
    await expectSameTree(reference, dst);
  });

  it("in the middle of stage 2: journalled tasks are skipped", async () => {
    const dst = path.join(tmp, "middle.zarr");
    // Each thread writes about 60 units in stage 1 and 90 in stage 2: its 100th is well inside stage 2.
    const killed = await runCli(["rechunk", source, dst, ...options], { env: { CHUNKWISE_TEST_KILL_AFTER: "100" } });
    expect(killed.signal).toBe("SIGKILL");
    const journal = await readdir(path.join(dst, ".chunkwise", "journal"));
    expect(journal.length).toBeGreaterThan(0);
    const resumed = await runCli(["rechunk", source, dst, ...options, "--resume", "--json"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const doc = JSON.parse(resumed.stdout);
    // All of stage 1 at least.
    expect(doc.execution.tasks_skipped).toBeGreaterThanOrEqual(12);
    expect(doc.execution.tasks_run).toBeGreaterThan(0);
    await expectSameTree(reference, dst);
  });

  it("just before finalization", async () => {
    await killThenResume("before-final.zarr", { CHUNKWISE_TEST_KILL_AT: "before-finalize" });
  });

  it("just after the final metadata, before the journal says so", async () => {
    await killThenResume("after-final.zarr", { CHUNKWISE_TEST_KILL_AT: "after-finalize" });
  });

  it("HDF5 output killed in the middle resumes to the same data", async () => {
    const dst = path.join(tmp, "killed.nc");
    const hdf5Options = ["--chunks", "time=-1,lat=8,lon=8", "--max-mem", "1MiB", "--threads", "2", "--verify", "sample"];
    const killed = await runCli(["rechunk", source, dst, ...hdf5Options], { env: { CHUNKWISE_TEST_KILL_AFTER: "60" } });
    expect(killed.signal).toBe("SIGKILL");
    expect(existsSync(dst)).toBe(false);
    const resumed = await runCli(["rechunk", source, dst, ...hdf5Options, "--resume"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    await expectSameData(source, dst);
  });

  it.each(["before-finalize", "after-finalize"])("HDF5 output killed %s resumes to the same data", async (at) => {
    const dst = path.join(tmp, `killed-${at}.nc`);
    const hdf5Options = ["--chunks", "time=-1,lat=8,lon=8", "--max-mem", "1MiB", "--threads", "2", "--verify", "full"];
    const killed = await runCli(["rechunk", source, dst, ...hdf5Options], { env: { CHUNKWISE_TEST_KILL_AT: at } });
    expect(killed.signal).toBe("SIGKILL");
    expect(existsSync(dst)).toBe(at === "after-finalize");
    const resumed = await runCli(["rechunk", source, dst, ...hdf5Options, "--resume"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(existsSync(`${dst}.chunkwise`)).toBe(false);
    await expectSameData(source, dst);
  });

  it("an unreadable source chunk stops the run with exit 3 naming it; once fixed, --resume finishes", async () => {
    const src = path.join(tmp, "corrupt.zarr");
    await cp(source, src, { recursive: true });
    const chunk = path.join(src, "tas", "5.0.0");
    const good = await readFile(chunk);
    await writeFile(chunk, Buffer.alloc(300, 0xab));
    const dst = path.join(tmp, "from-corrupt.zarr");
    const failed = await runCli(["rechunk", src, dst, ...options]);
    expect(failed.code).toBe(3);
    expect(failed.stderr).toMatch(/tas\/5\.0\.0: \/tas stage 1 block .*corrupt/);
    await writeFile(chunk, good);
    const resumed = await runCli(["rechunk", src, dst, ...options, "--resume"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    await expectSameTree(reference, dst);
  });

  it("--resume with other target chunks is refused", async () => {
    const dst = path.join(tmp, "other.zarr");
    const killed = await runCli(["rechunk", source, dst, ...options], { env: { CHUNKWISE_TEST_KILL_AFTER: "3" } });
    expect(killed.signal).toBe("SIGKILL");
    const other = await runCli(["rechunk", source, dst, ...options.map((o) => (o === "time=-1,lat=8,lon=8" ? "time=-1,lat=4,lon=4" : o)), "--resume"]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/--resume must ask for what the interrupted run asked/);
  });
});
