import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isChunkwiseError } from "../../src/errors.js";
import { Journal } from "../../src/rechunk/journal.js";
import { acquireInit, initLockPath, readPartitionRecords, releaseInit, waitForJob, writePartitionRecord } from "../../src/rechunk/partition-state.js";

let tmp: string;
let dst: string;
let stateDir: string;
beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "chunkwise-partition-state-"));
  dst = path.join(tmp, "out.zarr");
  stateDir = path.join(dst, ".chunkwise");
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  return null;
}

describe("the init lock", () => {
  it("is taken by one process only until released", async () => {
    expect(await acquireInit(dst)).toBe(true);
    expect(await acquireInit(dst)).toBe(false);
    expect(existsSync(initLockPath(dst))).toBe(true);
    await releaseInit(dst);
    expect(await acquireInit(dst)).toBe(true);
  });

  it("a waiting partition gets the job once the lock holder writes it", async () => {
    expect(await acquireInit(dst)).toBe(true);
    const waiting = waitForJob(dst, stateDir, 30_000);
    await Journal.writeJob(stateDir, { source: "/src", partitions: 3 });
    await releaseInit(dst);
    expect(await waiting).toMatchObject({ source: "/src", partitions: 3 });
  });

  it("no lock and no job: DST holds no job (refused, not waited for)", async () => {
    const err = await caught(waitForJob(dst, stateDir, 30_000));
    expect(isChunkwiseError(err, "UsageError")).toBe(true);
    expect((err as Error).message).toMatch(/holds no rechunk job for partitions/);
  });

  it("a lock left by a dead creator is reported after the wait, naming the lock", async () => {
    expect(await acquireInit(dst)).toBe(true);
    const err = await caught(waitForJob(dst, stateDir, 200));
    expect(isChunkwiseError(err, "UsageError")).toBe(true);
    expect((err as Error).message).toContain(initLockPath(dst));
  });
});

describe("partition records", () => {
  it("are written atomically per partition and read back in order", async () => {
    const stats = { stages: [1], tasks_run: 3, tasks_skipped: 1, bytes_copied: 100, seconds: 0.5 };
    await writePartitionRecord(stateDir, { index: 2, count: 3 }, stats);
    await writePartitionRecord(stateDir, { index: 0, count: 3 }, stats);
    const records = await readPartitionRecords(stateDir);
    expect(records.map((r) => [r.index, r.count, r.tasks_run])).toEqual([
      [0, 3, 3],
      [2, 3, 3],
    ]);
    expect(records[0]!.host).toBe(os.hostname());
  });
});
