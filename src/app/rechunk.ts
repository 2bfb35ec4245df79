/**
 * `chunkwise rechunk`: decide every array's target chunks, plan, and (unless --dry-run) create or
 * resume the output, run the plan, finalize, verify and clean up.
 *
 * Order of durable steps, so a kill -9 anywhere can be resumed:
 *   1. the writer stages the output (metadata in its staging area, nothing final)
 *   2. job.json (what to do, with every plan) is written atomically
 *   3. tasks write whole units, then journal themselves
 *   4. writer.finalize() writes the final metadata (and drops its staged description)
 *   5. verification, then the journal, job file and scratch space are removed
 * --resume reads job.json, skips journalled tasks, and redoes whatever step was cut off.
 */
import { realpathSync } from "node:fs";
import { readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { ChunkwiseError, isChunkwiseError } from "../errors.js";
import type { ArrayDescription, Dataset, DatasetFormat, GroupDescription } from "../formats/dataset.js";
import { openDataset } from "../formats/open.js";
import { attachWriter, createWriter, unfinishedOutput } from "../formats/write/open-writer.js";
import { nodeSegments } from "../formats/write/store-files.js";
import { machineSpec, recommendedStorageChunks } from "./advise.js";
import { fillValueMarksMissing, type ArraySpec, type CodecChoice, type DatasetWriter, type OutputFormat } from "../formats/writer.js";
import { type CostModel, DEFAULT_COST_MODEL } from "../model/cost-model.js";
import { product } from "../model/layout.js";
import { type MachineFacts, detectMachine } from "../system/index.js";
import { type ArrayJob, type ExecutionProgress, type ExecutionSummary, executeRechunk } from "../rechunk/executor.js";
import { Journal, type JournalState, isTaskDone } from "../rechunk/journal.js";
import { type Partition, jobShares, missingWork, partitionLabel, shareSelector, stageOneDependencies } from "../rechunk/partition.js";
import { acquireInit, releaseInit, waitForJob, writePartitionRecord } from "../rechunk/partition-state.js";
import { directWritesPay } from "../formats/write/direct-io.js";
import { writeBehindAvailable } from "../formats/write/write-behind.js";
import { setDurableWrites } from "../formats/write/durability.js";
import { chooseOutputFormat, stateDirectory } from "../rechunk/output.js";
import { type RechunkPlan, planRechunk, planWarnings } from "../rechunk/plan.js";
import { type ChunkSpec, parseChunkSpec, parseCodecChoice, resolveChunkSpec, specApplies } from "../rechunk/spec.js";
import { type VerifyMode, type VerifySummary, verifyOutput } from "../rechunk/verify.js";

export interface RechunkRequest {
  readonly source: string;
  readonly destination: string;
  readonly chunks: string | null;
  readonly auto: boolean;
  readonly access: string | null;
  readonly maxMemBytes: number | null;
  readonly format: OutputFormat | null;
  readonly codec: string | null;
  readonly shards: string | null;
  readonly arrays: readonly string[];
  readonly threads: number | null;
  readonly dryRun: boolean;
  readonly resume: boolean;
  readonly overwrite: boolean;
  readonly verify: VerifyMode;
  /** fsync every file written and every journal line, so a resume survives the machine stopping too (see durability.ts). */
  readonly durable?: boolean;
  /** Write output chunk files with O_DIRECT, past the page cache, where the file system takes it (default: when the output would not fit in half the memory; see direct-io.ts). */
  readonly directIo?: boolean;
  /** Start writing output chunk files back to the disk as they are written (default: where the native helpers are built; see write-behind.ts). */
  readonly writeBehind?: boolean;
  /** Do only this share of the job (`--partition I/N`, Zarr output): no finalize, no verification. */
  readonly partition?: Partition | null;
  /** With `partition`: only this stage (1 or 2) of the share; default every stage whose input is complete. */
  readonly stage?: 1 | 2 | null;
  readonly costModel?: CostModel;
  readonly onProgress?: (progress: ExecutionProgress) => void;
  /** Test hooks (CHUNKWISE_TEST_KILL_AFTER / CHUNKWISE_TEST_KILL_AT). */
  readonly killAfterUnits?: number;
  readonly killAt?: "before-finalize" | "after-finalize";
}

export interface ArrayDecision {
  readonly path: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly itemSize: number;
  readonly dimensionNames: readonly (string | null)[] | null;
  readonly sourceChunks: readonly number[] | null;
  readonly targetChunks: readonly number[];
  readonly targetShards: readonly number[] | null;
  /** False: copied with its own chunks (not selected, or nothing to change). */
  readonly rechunked: boolean;
  readonly plan: RechunkPlan;
}

export interface PlanTotals {
  readonly logicalBytes: number;
  readonly bytesToMove: number;
  readonly temporaryBytes: number;
  readonly peakMemoryBytes: number;
  readonly predictedSeconds: number;
}

function planTotals(decisions: readonly ArrayDecision[]): PlanTotals {
  return {
    logicalBytes: decisions.reduce((s, d) => s + d.plan.logicalBytes, 0),
    bytesToMove: decisions.reduce((s, d) => s + d.plan.logicalBytes * d.plan.stages.length, 0),
    temporaryBytes: decisions.reduce((s, d) => s + d.plan.temporaryBytes, 0),
    peakMemoryBytes: Math.max(0, ...decisions.map((d) => d.plan.peakMemoryBytes)),
    predictedSeconds: decisions.reduce((s, d) => s + d.plan.predictedSeconds, 0),
  };
}

export interface RechunkReport {
  readonly source: string;
  readonly destination: string;
  readonly sourceFormat: DatasetFormat;
  readonly outputFormat: OutputFormat;
  readonly maxMemBytes: number;
  readonly maxMemSource: "--max-mem" | "detected" | "job";
  readonly threads: number;
  readonly codec: CodecChoice | null;
  readonly dryRun: boolean;
  readonly resumed: boolean;
  readonly arrays: readonly ArrayDecision[];
  readonly totals: PlanTotals;
  readonly execution: ExecutionSummary | null;
  readonly verification: VerifySummary | null;
  /** What the writer could not keep as asked (a source codec, a filter), for the user to see. */
  readonly warnings: readonly string[];
  /** Peak resident set size of this process (all threads), bytes; null for a dry run. */
  readonly peakRssBytes: number | null;
  readonly machine: MachineFacts;
  /** A partition run: which share, and the stages (1-based) whose share it finished. */
  readonly partition: { readonly index: number; readonly count: number; readonly stagesDone: readonly number[] } | null;
}

/** Default --max-mem: half the detected memory limit, at most 4 GiB. */
export function defaultMaxMem(machine: MachineFacts): number {
  return Math.min(Math.floor(machine.memory.limitBytes / 2), 4 * 2 ** 30);
}

// ---------------------------------------------------------------------------------------------
// Paths: SRC read-only and never below or equal to DST; DST never equal to or inside SRC.

/** The real path of `p`, resolving the deepest existing ancestor (the rest may not exist yet). */
export function realish(p: string): string {
  let head = path.resolve(p);
  const tail: string[] = [];
  for (;;) {
    try {
      return path.join(realpathSync(head), ...tail);
    } catch {
      const parent = path.dirname(head);
      if (parent === head) return path.join(head, ...tail);
      tail.unshift(path.basename(head));
      head = parent;
    }
  }
}

const inside = (child: string, parent: string): boolean => child === parent || child.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);

export function checkLocations(source: string, destination: string, format: OutputFormat): void {
  const src = realish(source);
  const dst = realish(destination);
  const state = format === "hdf5" ? realish(stateDirectory(destination, format)) : dst;
  if (dst === src) throw new ChunkwiseError("UsageError", "DST is the same as SRC: write the rechunked copy somewhere else", { path: destination });
  if (inside(dst, src) || inside(state, src)) throw new ChunkwiseError("UsageError", `DST is inside SRC (${source}): SRC is never written; choose a DST outside it`, { path: destination });
  if (inside(src, dst)) throw new ChunkwiseError("UsageError", `SRC is inside DST: writing (or --overwrite) would destroy the source`, { path: destination });
}

/** Array and group names come from untrusted metadata: refuse any that could leave the store. */
export function checkNames(arrays: readonly ArrayDescription[], groups: readonly GroupDescription[], source: string): void {
  for (const node of [...groups, ...arrays]) {
    try {
      nodeSegments(node.path);
    } catch (err) {
      if (isChunkwiseError(err)) throw new ChunkwiseError("MetadataError", `refusing this store: ${err.message}`, { path: source });
      throw err;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Decisions: which arrays are rechunked, to what.

const MAX_DEFAULT_CHUNK_BYTES = 8 * 2 ** 20;

/** Chunks for an array copied as it is: its own, or (contiguous) whole rows up to 8 MiB. */
export function copyChunks(array: ArrayDescription): number[] {
  if (array.chunks) return array.chunks.map((c, axis) => Math.max(1, Math.min(c, array.shape[axis]!)));
  const rowElements = product(array.shape.slice(1));
  const rows = Math.max(1, Math.floor(MAX_DEFAULT_CHUNK_BYTES / Math.max(1, rowElements * array.dtype.itemSize)));
  return array.shape.map((n, axis) => Math.max(1, axis === 0 ? Math.min(n, rows) : n));
}

function selectByName(arrays: readonly ArrayDescription[], names: readonly string[], location: string): Set<string> {
  const chosen = new Set<string>();
  for (const name of names) {
    const wanted = name.startsWith("/") ? name : `/${name}`;
    const exact = arrays.filter((a) => a.path === wanted);
    const byName = exact.length > 0 ? exact : arrays.filter((a) => a.path.endsWith(wanted));
    if (byName.length !== 1) {
      const known = arrays.map((a) => a.path).join(", ") || "none";
      throw new ChunkwiseError("UsageError", `${byName.length > 1 ? `array name "${name}" is ambiguous` : `no array "${name}"`}; arrays here: ${known}`, { path: location });
    }
    chosen.add(byName[0]!.path);
  }
  return chosen;
}

/**
 * The arrays a job can copy, and warnings for those it leaves out. Every array of SRC is copied
 * (rechunked or as it is), so one chunkwise cannot read refuses the job — unless --array names
 * the arrays wanted: then the unreadable ones not named are skipped with a warning. A named
 * array that cannot be read is always refused.
 */
export function readableArrays(arrays: readonly ArrayDescription[], request: Pick<RechunkRequest, "arrays" | "source">): { arrays: ArrayDescription[]; skipped: string[] } {
  const unreadable = arrays.filter((a) => a.unreadableReason !== null);
  if (unreadable.length === 0) return { arrays: [...arrays], skipped: [] };
  if (request.arrays.length === 0) {
    const list = unreadable.map((a) => `${a.path} (${a.unreadableReason})`).join("; ");
    const readable = arrays.filter((a) => a.unreadableReason === null).map((a) => a.path);
    const hint = readable.length > 0 ? `name the arrays to rechunk with --array (for instance --array ${readable[0]}): arrays not named that cannot be read are then skipped` : "no array here can be read";
    throw new ChunkwiseError("UnsupportedError", `cannot read ${unreadable.length === 1 ? "array" : `${unreadable.length} arrays`} ${list}; ${hint}`, { path: request.source });
  }
  const named = selectByName(arrays, request.arrays, request.source);
  for (const array of unreadable) {
    if (named.has(array.path)) throw new ChunkwiseError("UnsupportedError", `${array.path}: cannot be read: ${array.unreadableReason}`, { path: request.source });
  }
  return {
    arrays: arrays.filter((a) => a.unreadableReason === null),
    skipped: unreadable.map((a) => `${a.path} skipped: it cannot be read (${a.unreadableReason}); the output has no copy of it`),
  };
}

function elementTypeName(array: ArrayDescription): string | null {
  const names: Record<string, string> = {
    bool: "Uint8Array",
    int8: "Int8Array",
    uint8: "Uint8Array",
    int16: "Int16Array",
    uint16: "Uint16Array",
    int32: "Int32Array",
    uint32: "Uint32Array",
    int64: "BigInt64Array",
    uint64: "BigUint64Array",
    float32: "Float32Array",
    float64: "Float64Array",
  };
  return names[array.dtype.name] ?? null;
}

interface Decided {
  readonly description: ArrayDescription;
  readonly decision: ArrayDecision;
}

function decide(
  arrays: readonly ArrayDescription[],
  request: RechunkRequest,
  autoChunks: ReadonlyMap<string, readonly number[]>,
  /** Per array, the bytes of a chunk piece that decodes alone (Dataset.readGranuleBytes). */
  granules: ReadonlyMap<string, number | null>,
  maxMemBytes: number,
  threads: number,
  format: OutputFormat,
): Decided[] {
  const spec: ChunkSpec | null = request.chunks === null ? null : parseChunkSpec(request.chunks);
  const shardSpec: ChunkSpec | null = request.shards === null ? null : parseChunkSpec(request.shards, "--shards");
  if (shardSpec && format !== "zarr3") throw new ChunkwiseError("UsageError", `--shards needs Zarr v3 output (--format zarr3); ${format} has no shards`);
  const named = request.arrays.length > 0 ? selectByName(arrays, request.arrays, request.source) : null;
  const decided: Decided[] = [];
  for (const array of arrays) {
    const own = copyChunks(array);
    const wanted = named ? named.has(array.path) : spec ? specApplies(spec, array) : autoChunks.has(array.path);
    let target = own;
    if (wanted && spec) target = resolveChunkSpec(spec, array, own);
    else if (wanted && autoChunks.has(array.path)) target = [...autoChunks.get(array.path)!];
    let shards: number[] | null = null;
    if (wanted && shardSpec) {
      shards = resolveChunkSpec(shardSpec, array, target, "--shards");
      shards.forEach((s, axis) => {
        if (s % target[axis]! !== 0 && s !== array.shape[axis]) {
          throw new ChunkwiseError("UsageError", `--shards ${shardSpec.text}: ${array.path} axis ${axis} shard ${s} is not a multiple of its chunk ${target[axis]}`);
        }
      });
      // A shard that covers a whole axis must still hold whole chunks.
      shards = shards.map((s, axis) => Math.ceil(s / target[axis]!) * target[axis]!);
    }
    const units = shards ?? target;
    const plan = planRechunk({
      shape: array.shape,
      itemSize: array.dtype.itemSize,
      sourceChunks: array.chunks,
      targetUnits: units,
      maxMemBytes,
      threads,
      ...(granules.get(array.path) == null ? {} : { readGranuleBytes: granules.get(array.path)! }),
      costModel: request.costModel ?? DEFAULT_COST_MODEL,
    });
    const rechunked = wanted && (array.chunks === null || units.some((u, axis) => u !== Math.min(array.chunks![axis]!, array.shape[axis]!)));
    decided.push({
      description: array,
      decision: {
        path: array.path,
        shape: array.shape,
        dtype: array.dtype.name,
        itemSize: array.dtype.itemSize,
        dimensionNames: array.dimensionNames,
        sourceChunks: array.chunks,
        targetChunks: target,
        targetShards: shards,
        rechunked,
        plan,
      },
    });
  }
  if (!decided.some((d) => d.decision.rechunked) && spec && named === null && !decided.some((d) => specApplies(spec, d.description))) {
    throw new ChunkwiseError("UsageError", `--chunks ${spec.text} fits no array here (by rank or dimension names); name the arrays with --array`, { path: request.source });
  }
  return decided;
}

// ---------------------------------------------------------------------------------------------

export interface JobFile {
  readonly source: string;
  readonly format: OutputFormat;
  readonly codec: CodecChoice | null;
  readonly max_mem_bytes: number;
  readonly arrays: readonly ArrayDecision[];
  /** N of `--partition I/N` when the job is split across processes, absent otherwise. */
  readonly partitions?: number;
}

async function existsPath(p: string): Promise<boolean> {
  return (await stat(p).catch(() => null)) !== null;
}

/** Refuse to delete a directory that is neither a Zarr store nor an unfinished chunkwise output. */
async function checkOverwritable(destination: string): Promise<void> {
  const info = await stat(destination).catch(() => null);
  if (!info?.isDirectory()) return;
  const entries = await readdir(destination);
  const markers = [".zgroup", ".zarray", "zarr.json", ".chunkwise"];
  if (entries.length > 0 && !entries.some((e) => markers.includes(e))) {
    throw new ChunkwiseError("UsageError", "is a directory that holds no Zarr store; --overwrite refuses to delete it", { path: destination });
  }
}

function sameTargets(job: JobFile, decided: readonly ArrayDecision[]): string | null {
  for (const d of decided) {
    const before = job.arrays.find((a) => a.path === d.path);
    if (!before) return `${d.path} was not part of the interrupted job`;
    if (JSON.stringify(before.targetChunks) !== JSON.stringify(d.targetChunks) || JSON.stringify(before.targetShards) !== JSON.stringify(d.targetShards)) {
      return `${d.path}: the interrupted job wrote chunks [${before.targetChunks.join(", ")}], not [${d.targetChunks.join(", ")}]`;
    }
  }
  return null;
}

export async function rechunk(request: RechunkRequest): Promise<RechunkReport> {
  setDurableWrites(request.durable ?? false);
  if ((request.chunks === null) === !request.auto) {
    throw new ChunkwiseError("UsageError", "give exactly one of --chunks SPEC or --auto");
  }
  if (request.access !== null && !request.auto) throw new ChunkwiseError("UsageError", "--access goes with --auto");
  if (request.dryRun && request.resume) throw new ChunkwiseError("UsageError", "--dry-run and --resume do not go together");
  if (request.resume && request.overwrite) throw new ChunkwiseError("UsageError", "--resume continues DST and --overwrite replaces it: pick one");
  if (request.partition && (request.resume || request.overwrite)) {
    throw new ChunkwiseError("UsageError", `--partition always continues its journalled work${request.overwrite ? "; --overwrite would delete the other partitions' work: remove DST yourself before starting them" : ": drop --resume"}`);
  }
  if ((request.stage ?? null) !== null && !request.partition) throw new ChunkwiseError("UsageError", "--stage goes with --partition I/N");
  const machine = detectMachine();
  const threads = Math.max(1, Math.floor(request.threads ?? machine.cores.usable));
  const codec = request.codec === null ? null : parseCodecChoice(request.codec);

  const dataset = await openDataset(request.source);
  let decided: Decided[];
  let groups: GroupDescription[];
  let format: OutputFormat;
  let maxMemBytes = request.maxMemBytes ?? defaultMaxMem(machine);
  let maxMemSource: RechunkReport["maxMemSource"] = request.maxMemBytes === null ? "detected" : "--max-mem";
  let skippedWarnings: string[] = [];
  try {
    const listed = await dataset.listArrays();
    groups = await dataset.listGroups();
    checkNames(listed, groups, request.source);
    const { arrays, skipped } = readableArrays(listed, request);
    skippedWarnings = skipped;
    format = chooseOutputFormat(request.format ?? undefined, request.destination, dataset.format);
    checkLocations(request.source, request.destination, format);
    const autoChunks = request.auto ? await autoTargets(dataset, arrays, request, machine, threads) : new Map<string, number[]>();
    const granules = new Map<string, number | null>();
    for (const array of arrays) granules.set(array.path, array.chunks === null ? null : await dataset.readGranuleBytes(array.path));
    decided = decide(arrays, request, autoChunks, granules, maxMemBytes, threads, format);
    skippedWarnings = [...skippedWarnings, ...decided.flatMap((d) => (d.decision.rechunked ? planWarnings(d.decision.path, d.decision.plan) : []))];
  } finally {
    await dataset.close();
  }
  const stateDir = stateDirectory(request.destination, format);
  let resumedJob: JobFile | null = null;
  if (request.resume) {
    resumedJob = (await Journal.readJob(stateDir)) as JobFile | null;
    if (resumedJob !== null) {
      if (resumedJob.partitions !== undefined) {
        throw new ChunkwiseError("UsageError", `is split into ${resumedJob.partitions} partitions: rerun the unfinished ones with --partition I/${resumedJob.partitions}, then chunkwise finalize`, { path: request.destination });
      }
      checkSameJob(resumedJob, request, decided, format, codec, "--resume");
      decided = adoptPlans(resumedJob, decided);
      maxMemBytes = resumedJob.max_mem_bytes;
      maxMemSource = "job";
    }
  }
  if (request.partition && !request.dryRun) {
    const run = await runPartition(request, request.partition, { decided, groups, format, codec, stateDir, maxMemBytes, threads, machine });
    return partitionReport(request, { ...run, warnings: [...skippedWarnings, ...run.warnings] }, { sourceFormat: dataset.format, format, threads, codec, machine });
  }

  const decisions = decided.map((d) => d.decision);
  const base = {
    source: request.source,
    destination: request.destination,
    sourceFormat: dataset.format,
    outputFormat: format,
    maxMemBytes,
    maxMemSource,
    threads,
    codec,
    dryRun: request.dryRun,
    resumed: resumedJob !== null,
    arrays: decisions,
    totals: planTotals(decisions),
    machine,
  };
  if (request.dryRun) return { ...base, execution: null, verification: null, warnings: skippedWarnings, peakRssBytes: null, partition: null };

  let execution: ExecutionSummary | null = null;
  const warnings: string[] = [...skippedWarnings];
  if (request.resume && resumedJob === null) {
    // Nothing journalled: either a finished output (then only verify) or nothing to resume.
    if ((await unfinishedOutput(request.destination)) !== null) {
      throw new ChunkwiseError("UsageError", "holds an unfinished output without a rechunk job file; start again with --overwrite", { path: request.destination });
    }
    if (!(await existsPath(request.destination))) {
      throw new ChunkwiseError("UsageError", "nothing to resume: DST does not exist", { path: request.destination });
    }
  } else {
    let journal: JournalState;
    let finalizeWriter: (() => Promise<DatasetWriter>) | null;
    if (resumedJob === null) {
      if ((await existsPath(request.destination)) || (await existsPath(stateDir))) {
        if (!request.overwrite) {
          throw new ChunkwiseError("UsageError", "already exists; pass --overwrite to replace it or --resume to finish an interrupted run", { path: request.destination });
        }
        await checkOverwritable(request.destination);
        if (format === "hdf5") await rm(stateDir, { recursive: true, force: true });
      }
      const writer = await createOutput(request, { decided, groups, format, codec, stateDir, maxMemBytes, threads, machine }, request.overwrite, undefined);
      warnings.push(...writer.warnings);
      journal = await Journal.readState(stateDir);
      await writer.close();
      finalizeWriter = () => attachWriter(request.destination);
    } else {
      journal = await Journal.readState(stateDir);
      const staged = (await unfinishedOutput(request.destination)) !== null;
      finalizeWriter = staged ? () => attachWriter(request.destination) : null;
    }
    if (finalizeWriter !== null && !journal.finalized) {
      const writer = await finalizeWriter();
      writer.assembleWhileWriting?.();
      try {
        execution = await executeRechunk({
          source: request.source,
          output: request.destination,
          stateDir,
          arrays: decided.map(({ description, decision }) => ({ path: decision.path, plan: decision.plan, elementType: elementTypeName(description) }) satisfies ArrayJob),
          threads,
          maxMemBytes,
          journal,
          ...(request.onProgress ? { onProgress: request.onProgress } : {}),
          ...writeOptions(request, decided, machine),
          ...(request.killAfterUnits === undefined ? {} : { killAfterUnits: request.killAfterUnits }),
        });
        if (request.killAt === "before-finalize") process.kill(process.pid, "SIGKILL");
        await writer.finalize();
      } finally {
        await writer.close();
      }
      if (request.killAt === "after-finalize") process.kill(process.pid, "SIGKILL");
      const finalJournal = await Journal.openForAppend(stateDir, "main");
      finalJournal.append({ type: "finalized" });
      finalJournal.close();
    }
  }

  const verification = request.verify === "none" ? null : await verifyOutput({
          source: request.source,
          output: request.destination,
          arrays: decided.map((d) => ({ ...d.decision, numeric: elementTypeName(d.description) !== null })),
          mode: request.verify,
          threads,
          maxMemBytes,
        });
  await rm(stateDir, { recursive: true, force: true });
  return { ...base, execution, verification, warnings, peakRssBytes: process.resourceUsage().maxRSS * 1024, partition: null };
}

/** How the workers write: the request's choices, else the defaults for this output on this machine. */
function writeOptions(request: RechunkRequest, decided: readonly Decided[], machine: MachineFacts): { durable: boolean; directIo: boolean; writeBehind: boolean } {
  const outputBytes = decided.reduce((sum, d) => sum + d.decision.plan.logicalBytes, 0);
  return {
    durable: request.durable ?? false,
    directIo: request.directIo ?? directWritesPay(outputBytes, machine.memory.limitBytes),
    writeBehind: request.writeBehind ?? writeBehindAvailable(),
  };
}

function arraySpec(d: Decided, codec: CodecChoice | null): ArraySpec {
  const { description: a, decision } = d;
  return {
    path: a.path,
    shape: a.shape,
    dtype: a.dtype,
    chunks: decision.targetChunks,
    shards: decision.targetShards,
    dimensionNames: a.dimensionNames,
    fillValue: a.fillValue,
    fillValueMarksMissing: fillValueMarksMissing(a),
    attributes: a.attributes,
    sourceCodecs: a.codecs,
    ...(codec === null ? {} : { compressor: codec }),
  };
}

/** --auto: the storage chunks advise recommends for the access pattern (default: full reads). */
async function autoTargets(dataset: Dataset, arrays: readonly ArrayDescription[], request: RechunkRequest, machine: MachineFacts, threads: number): Promise<Map<string, number[]>> {
  const spec = machineSpec(machine, { threads });
  return recommendedStorageChunks(dataset, arrays, request.access ?? "full", spec, request.costModel ?? DEFAULT_COST_MODEL);
}


// ---------------------------------------------------------------------------------------------
// Shared by a new job and by the first partition of a split one.

interface Prepared {
  readonly decided: readonly Decided[];
  readonly groups: readonly GroupDescription[];
  readonly format: OutputFormat;
  readonly codec: CodecChoice | null;
  readonly stateDir: string;
  readonly maxMemBytes: number;
  readonly threads: number;
  readonly machine: MachineFacts;
}

/** Stage the output's metadata, then write job.json (atomically): from here on the job can be resumed or joined. */
async function createOutput(request: RechunkRequest, prepared: Prepared, overwrite: boolean, partitions: number | undefined): Promise<Awaited<ReturnType<typeof createWriter>>> {
  const { decided, groups, format, codec, stateDir, maxMemBytes } = prepared;
  const writer = await createWriter(request.destination, format, { overwrite });
  for (const group of groups) await writer.createGroup(group);
  for (const d of decided) await writer.createArray(arraySpec(d, codec));
  const job: JobFile = {
    source: path.resolve(request.source),
    format,
    codec,
    max_mem_bytes: maxMemBytes,
    arrays: decided.map((d) => d.decision),
    ...(partitions === undefined ? {} : { partitions }),
  };
  await Journal.writeJob(stateDir, job);
  return writer;
}

/** Refuse to continue a job that asked for something else (`what` names the flag: --resume, --partition). */
function checkSameJob(job: JobFile, request: RechunkRequest, decided: readonly Decided[], format: OutputFormat, codec: CodecChoice | null, what: string): void {
  const run = what === "--resume" ? "the interrupted run" : "the job the first partition started";
  const differs = sameTargets(job, decided.map((d) => d.decision));
  if (differs) throw new ChunkwiseError("UsageError", `${what} must ask for what ${run} asked: ${differs}`, { path: request.destination });
  if (job.format !== format) throw new ChunkwiseError("UsageError", `${what}: ${run} wrote ${job.format}, not ${format} (give --format ${job.format})`, { path: request.destination });
  if (JSON.stringify(job.codec) !== JSON.stringify(codec)) {
    throw new ChunkwiseError("UsageError", `${what}: ${run} used --codec ${job.codec ? job.codec.name : "(the source's)"}; give the same --codec`, { path: request.destination });
  }
  if (realish(job.source) !== realish(request.source)) throw new ChunkwiseError("UsageError", `${what}: ${run} read ${job.source}, not ${request.source}`, { path: request.destination });
}

/** The journal counts tasks of the stored plans: keep them, whatever --max-mem or the cores say now. */
function adoptPlans(job: JobFile, decided: readonly Decided[]): Decided[] {
  const stored = new Map(job.arrays.map((a) => [a.path, a]));
  return decided.map((d) => ({ ...d, decision: { ...d.decision, plan: stored.get(d.decision.path)!.plan } }));
}

// ---------------------------------------------------------------------------------------------
// --partition I/N: one share of a job split across processes or machines sharing DST.

/** How long a partition waits for the one creating DST to write job.json. */
const JOB_WAIT_MS = 120_000;

interface PartitionRun {
  readonly decided: readonly Decided[];
  readonly maxMemBytes: number;
  readonly execution: ExecutionSummary;
  readonly stagesDone: readonly number[];
  readonly warnings: readonly string[];
}

async function runPartition(request: RechunkRequest, partition: Partition, prepared: Prepared): Promise<PartitionRun> {
  const { format, stateDir, threads } = prepared;
  const label = partitionLabel(partition);
  let job = (await Journal.readJob(stateDir)) as JobFile | null;
  const warnings: string[] = [];
  if (job === null) {
    if (await acquireInit(request.destination)) {
      try {
        job = (await Journal.readJob(stateDir)) as JobFile | null;
        if (job === null) {
          const writer = await createOutput(request, prepared, false, partition.count);
          warnings.push(...writer.warnings);
          await writer.close();
          job = (await Journal.readJob(stateDir)) as unknown as JobFile;
        }
      } finally {
        await releaseInit(request.destination);
      }
    } else {
      job = (await waitForJob(request.destination, stateDir, JOB_WAIT_MS)) as unknown as JobFile;
    }
  }
  if (job.partitions === undefined) {
    throw new ChunkwiseError("UsageError", `holds a rechunk that was not started with --partition: finish it with --resume`, { path: request.destination });
  }
  if (job.partitions !== partition.count) {
    throw new ChunkwiseError("UsageError", `--partition ${label}: this job is split into ${job.partitions} partitions, not ${partition.count} (give --partition I/${job.partitions})`, { path: request.destination });
  }
  checkSameJob(job, request, prepared.decided, format, prepared.codec, "--partition");
  const decided = adoptPlans(job, prepared.decided);
  const arrays = decided.map((d) => ({ path: d.decision.path, plan: d.decision.plan }));
  const shares = jobShares(arrays, partition.count);
  const twoStage = arrays.some((a) => a.plan.stages.length > 1);
  const wanted = request.stage === 1 ? [0] : request.stage === 2 ? [1] : twoStage ? [0, 1] : [0];
  const summaries: ExecutionSummary[] = [];
  const stagesDone: number[] = [];
  for (const stage of wanted.filter((s) => s < shares.length)) {
    const journal = await Journal.readState(stateDir);
    if (stage === 1) {
      const needed = stageOneDependencies(arrays, shares[1]!, partition.index);
      const missing = missingWork(arrays, shares, (array, s, task) => isTaskDone(journal, array, s, task), { stage: 0, tasks: needed });
      if (missing.length > 0) {
        const others = missing.map((m) => partitionLabel({ index: m.partition, count: partition.count })).join(", ");
        const kept = stagesDone.length > 0 ? " (its stage-1 share is done and journalled)" : "";
        throw new ChunkwiseError(
          "CheckFailedError",
          `stage 2 of partition ${label}${kept} reads intermediate chunks that stage 1 of partition${missing.length > 1 ? "s" : ""} ${others} has not written yet: run every partition with --stage 1 first, then again without it (see docs/scaling.md)`,
          { path: request.destination },
        );
      }
    }
    summaries.push(
      await executeRechunk({
        source: request.source,
        output: request.destination,
        stateDir,
        arrays: decided.map(({ description, decision }) => ({ path: decision.path, plan: decision.plan, elementType: elementTypeName(description) }) satisfies ArrayJob),
        threads,
        maxMemBytes: job.max_mem_bytes,
        journal,
        selected: shareSelector(arrays, shares, partition, new Set([stage])),
        ...(request.onProgress ? { onProgress: request.onProgress } : {}),
        ...writeOptions(request, decided, prepared.machine),
        ...(request.killAfterUnits === undefined ? {} : { killAfterUnits: request.killAfterUnits }),
      }),
    );
    stagesDone.push(stage + 1);
  }
  const execution: ExecutionSummary = {
    tasksRun: summaries.reduce((s, e) => s + e.tasksRun, 0),
    tasksSkipped: summaries.reduce((s, e) => s + e.tasksSkipped, 0),
    bytesCopied: summaries.reduce((s, e) => s + e.bytesCopied, 0),
    seconds: summaries.reduce((s, e) => s + e.seconds, 0),
  };
  await writePartitionRecord(stateDir, partition, {
    stages: stagesDone,
    tasks_run: execution.tasksRun,
    tasks_skipped: execution.tasksSkipped,
    bytes_copied: execution.bytesCopied,
    seconds: execution.seconds,
  });
  return { decided, maxMemBytes: job.max_mem_bytes, execution, stagesDone, warnings };
}

function partitionReport(
  request: RechunkRequest,
  run: PartitionRun,
  facts: { sourceFormat: DatasetFormat; format: OutputFormat; threads: number; codec: CodecChoice | null; machine: MachineFacts },
): RechunkReport {
  const decisions = run.decided.map((d) => d.decision);
  return {
    source: request.source,
    destination: request.destination,
    sourceFormat: facts.sourceFormat,
    outputFormat: facts.format,
    maxMemBytes: run.maxMemBytes,
    maxMemSource: "job",
    threads: facts.threads,
    codec: facts.codec,
    dryRun: false,
    resumed: run.execution.tasksSkipped > 0,
    arrays: decisions,
    totals: planTotals(decisions),
    execution: run.execution,
    verification: null,
    warnings: run.warnings,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    machine: facts.machine,
    partition: { index: request.partition!.index, count: request.partition!.count, stagesDone: run.stagesDone },
  };
}
