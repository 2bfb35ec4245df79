/**
 * What partitions of one job share on disk, besides the journal:
 *
 * - `DST.chunkwise-init`, next to DST: created exclusively (O_EXCL) by the one partition that
 *   creates the output and writes job.json; the others wait for job.json. Removed once job.json
 *   is durable. A lock left without a job.json means the creating partition died while creating
 *   DST: the waiting partitions say so instead of waiting for ever.
 * - `partitions/<I>.json` in the state directory: written atomically when partition I finished
 *   its share (host, time, tasks); finalize reports them. Completion itself is decided from the
 *   journal (every task journalled), not from these records.
 */
import { hostname } from "node:os";
import { open, readFile, readdir, rm } from "node:fs/promises";
import path from "node:path";
import { ChunkwiseError, fromSystemError } from "../errors.js";
import { writeFileAtomic } from "../formats/write/store-files.js";
import { Journal } from "./journal.js";
import type { Partition } from "./partition.js";

export function initLockPath(destination: string): string {
  return `${path.resolve(destination)}.chunkwise-init`;
}

/** True when this process now holds the init lock (it must create the job, then release it). */
export async function acquireInit(destination: string): Promise<boolean> {
  const lock = initLockPath(destination);
  try {
    const handle = await open(lock, "wx");
    await handle.writeFile(`${hostname()} ${process.pid}\n`);
    await handle.close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw fromSystemError(err, lock);
  }
}

export async function releaseInit(destination: string): Promise<void> {
  await rm(initLockPath(destination), { force: true });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Wait for the partition holding the init lock to write job.json. */
export async function waitForJob(destination: string, stateDir: string, timeoutMs: number): Promise<Record<string, unknown>> {
  const lock = initLockPath(destination);
  const deadline = Date.now() + timeoutMs;
  for (let delay = 100; ; delay = Math.min(2000, delay * 2)) {
    const job = await Journal.readJob(stateDir);
    if (job !== null) return job;
    const holder = await readFile(lock, "utf8").catch(() => null);
    if (holder === null) {
      // Released without a job (its creator failed), or never there.
      const again = await Journal.readJob(stateDir);
      if (again !== null) return again;
      throw new ChunkwiseError("UsageError", "exists but holds no rechunk job for partitions: remove it (or give another DST) and start the partitions again", { path: destination });
    }
    if (Date.now() > deadline) {
      throw new ChunkwiseError(
        "UsageError",
        `no job.json after ${Math.round(timeoutMs / 1000)} s although ${lock} says partition process "${holder.trim()}" creates it; if that process died, remove ${lock} and DST, and start the partitions again`,
        { path: destination },
      );
    }
    await sleep(delay);
  }
}

export interface PartitionRecord {
  readonly index: number;
  readonly count: number;
  readonly host: string;
  readonly pid: number;
  /** Stage indexes (0-based) this run finished its share of. */
  readonly stages: readonly number[];
  readonly tasks_run: number;
  readonly tasks_skipped: number;
  readonly bytes_copied: number;
  readonly seconds: number;
  readonly finished_at: string;
}

const recordsDir = (stateDir: string): string => path.join(stateDir, "partitions");

export async function writePartitionRecord(stateDir: string, partition: Partition, record: Omit<PartitionRecord, "index" | "count" | "host" | "pid" | "finished_at">): Promise<void> {
  const full: PartitionRecord = { index: partition.index, count: partition.count, host: hostname(), pid: process.pid, ...record, finished_at: new Date().toISOString() };
  await writeFileAtomic(path.join(recordsDir(stateDir), `${partition.index}.json`), `${JSON.stringify(full)}\n`);
}

/** The records of the partitions that reported done, by index (unreadable ones are skipped: they are informational). */
export async function readPartitionRecords(stateDir: string): Promise<PartitionRecord[]> {
  const dir = recordsDir(stateDir);
  const names = await readdir(dir).catch(() => [] as string[]);
  const records: PartitionRecord[] = [];
  for (const name of names.filter((n) => /^\d+\.json$/.test(n))) {
    try {
      records.push(JSON.parse(await readFile(path.join(dir, name), "utf8")) as PartitionRecord);
    } catch {
      continue;
    }
  }
  return records.sort((a, b) => a.index - b.index);
}
