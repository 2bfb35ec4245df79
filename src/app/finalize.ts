/**
 * `chunkwise finalize DST` (and `chunkwise rechunk SRC DST … --finalize`): finish a job whose
 * tasks ran elsewhere — the partitions of a split job, or an interrupted run. Checks that every
 * task of every stage is journalled (else names the partitions that have not finished), writes
 * the final metadata, verifies against the source recorded in job.json, removes the state.
 * Rerunning it after it succeeded says so and does nothing.
 */
import { rm, stat } from "node:fs/promises";
import { ChunkwiseError } from "../errors.js";
import { setDurableWrites } from "../formats/write/durability.js";
import { attachWriter, unfinishedOutput } from "../formats/write/open-writer.js";
import type { OutputFormat } from "../formats/writer.js";
import { detectMachine } from "../system/index.js";
import { Journal, isTaskDone } from "../rechunk/journal.js";
import { type MissingWork, jobShares, missingWork, partitionLabel } from "../rechunk/partition.js";
import { type PartitionRecord, initLockPath, readPartitionRecords } from "../rechunk/partition-state.js";
import { stateDirectory } from "../rechunk/output.js";
import { type VerifyMode, type VerifySummary, verifyOutput } from "../rechunk/verify.js";
import { formatSize } from "../units.js";
import { type JobFile, realish } from "./rechunk.js";

export interface FinalizeRequest {
  readonly destination: string;
  /** The SRC given to `rechunk --finalize`: must be the job's source. Null for `chunkwise finalize`. */
  readonly source: string | null;
  readonly verify: VerifyMode;
  readonly threads: number | null;
  /** fsync what finalize writes (see durability.ts). */
  readonly durable?: boolean;
}

export interface FinalizeReport {
  readonly destination: string;
  /** The job's source (null when DST was already finished). */
  readonly source: string | null;
  readonly format: OutputFormat | null;
  /** N of a partitioned job, null for a single-process one. */
  readonly partitions: number | null;
  /** What each partition reported when it finished (informational). */
  readonly partitionRecords: readonly PartitionRecord[];
  /** True when DST had been finalized already (nothing done). */
  readonly alreadyFinished: boolean;
  readonly arrays: number;
  readonly logicalBytes: number;
  readonly verification: VerifySummary | null;
}

const NUMERIC_DTYPES = new Set(["bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64"]);

/** The state directory holding a job for DST, whichever format wrote it. */
async function findJob(destination: string): Promise<{ stateDir: string; job: JobFile } | null> {
  for (const format of ["zarr3", "hdf5"] as const) {
    const stateDir = stateDirectory(destination, format);
    const job = (await Journal.readJob(stateDir)) as unknown as JobFile | null;
    if (job !== null) return { stateDir, job };
  }
  return null;
}

function missingText(missing: readonly MissingWork[], partitions: number | null): string {
  if (partitions === null) {
    const tasks = missing.reduce((s, m) => s + m.tasks, 0);
    return `${tasks} task${tasks === 1 ? "" : "s"} of the rechunk ${tasks === 1 ? "is" : "are"} not done: finish it with chunkwise rechunk SRC DST … --resume`;
  }
  const byPartition = new Map<number, MissingWork[]>();
  for (const m of missing) byPartition.set(m.partition, [...(byPartition.get(m.partition) ?? []), m]);
  const parts = [...byPartition].map(([index, list]) => {
    const detail = list.map((m) => `stage ${m.stage + 1}: ${m.tasks} task${m.tasks === 1 ? "" : "s"}, ${formatSize(m.bytes)}`).join("; ");
    return `${partitionLabel({ index, count: partitions })} (${detail})`;
  });
  return `not every partition has finished: missing ${parts.join(", ")}; run those partitions (chunkwise rechunk SRC DST … --partition I/${partitions}), then finalize again`;
}

export async function finalizeJob(request: FinalizeRequest): Promise<FinalizeReport> {
  setDurableWrites(request.durable ?? false);
  const found = await findJob(request.destination);
  if (found === null) {
    const exists = (await stat(request.destination).catch(() => null)) !== null;
    if (exists && (await unfinishedOutput(request.destination)) === null) {
      return { destination: request.destination, source: null, format: null, partitions: null, partitionRecords: [], alreadyFinished: true, arrays: 0, logicalBytes: 0, verification: null };
    }
    throw new ChunkwiseError("UsageError", exists ? "holds no rechunk job to finalize (no job.json)" : "does not exist: nothing to finalize", { path: request.destination });
  }
  const { stateDir, job } = found;
  if (request.source !== null && realish(request.source) !== realish(job.source)) {
    throw new ChunkwiseError("UsageError", `the job in DST reads ${job.source}, not ${request.source}`, { path: request.destination });
  }
  const partitions = job.partitions ?? null;
  const arrays = job.arrays.map((a) => ({ path: a.path, plan: a.plan }));
  const journal = await Journal.readState(stateDir);
  const missing = missingWork(arrays, jobShares(arrays, partitions ?? 1), (array, stage, task) => isTaskDone(journal, array, stage, task));
  if (missing.length > 0) throw new ChunkwiseError("CheckFailedError", missingText(missing, partitions), { path: request.destination });
  const partitionRecords = await readPartitionRecords(stateDir);

  if (!journal.finalized) {
    // The final metadata may already be written (killed just after): then there is nothing staged.
    if ((await unfinishedOutput(request.destination)) !== null) {
      const writer = await attachWriter(request.destination);
      await writer.finalize();
      await writer.close();
    }
    const line = await Journal.openForAppend(stateDir, "main");
    line.append({ type: "finalized" });
    line.close();
  }
  const machine = detectMachine();
  const threads = Math.max(1, Math.floor(request.threads ?? machine.cores.usable));
  const verification =
    request.verify === "none"
      ? null
      : await verifyOutput({
          source: job.source,
          output: request.destination,
          arrays: job.arrays.map((a) => ({ ...a, numeric: NUMERIC_DTYPES.has(a.dtype) })),
          mode: request.verify,
          threads,
          maxMemBytes: job.max_mem_bytes,
        });
  await rm(stateDir, { recursive: true, force: true });
  await rm(initLockPath(request.destination), { force: true });
  return {
    destination: request.destination,
    source: job.source,
    format: job.format,
    partitions,
    partitionRecords,
    alreadyFinished: false,
    arrays: job.arrays.length,
    logicalBytes: job.arrays.reduce((s, a) => s + a.plan.logicalBytes, 0),
    verification,
  };
}
