/**
 * `chunkwise probe`: measure, on the user's own data and machine, what a task costs on
 * chunkwise's scheduler and what spilling costs, fit the cost model, and recommend a compute
 * chunk. Steps (all inside the time budget):
 *   1. overhead — many empty tasks → scheduler seconds per task;
 *   2. sweep — the reduction on sample regions at compute chunks of 1, 2, 4, … storage chunks →
 *      robust fit of worker time per task = fixed + bytes / throughput;
 *   3. spill — a persist-like copy workload with and without a memory limit below its working
 *      set → bytes spilled, spill throughput, slowdown per spilled byte.
 * On a remote store, a step 0 first times chunk reads over HTTP at several concurrencies (time
 * to first byte, transfer rate), and the model's per-chunk read cost and throughput take them in.
 */
import { ChunkwiseError } from "../errors.js";
import type { ArrayDescription } from "../formats/dataset.js";
import { openDataset } from "../formats/open.js";
import { isRemoteLocation } from "../formats/remote/location.js";
import { type RemoteReadTiming, timeRemoteReads } from "../formats/remote/read-timing.js";
import { type CostModel, DEFAULT_COST_MODEL } from "../model/cost-model.js";
import { product } from "../model/layout.js";
import { candidateChunks, regionSize, sampleRegions } from "../probe/chunks.js";
import { type CostFit, type FitPoint, fitCost, median, mediansBySize } from "../probe/fit.js";
import { type ChunkRange, type Recommendation, chunkRange, overheadShare, recommendChunk } from "../probe/recommend.js";
import { type ReduceKernel, Scheduler, type RunResult, type TaskSpec, treeReduce } from "../scheduler/index.js";
import type { MemorySample, TaskRecord } from "../scheduler/types.js";
import { detectMachine } from "../system/index.js";
import { formatSize } from "../units.js";
import { selectArrays } from "./inspect.js";

export interface ProbeOptions {
  /** Array to probe (name or path); default: the largest readable numeric chunked array. */
  readonly array?: string;
  /** Seconds the whole probe may take (default 20). */
  readonly budgetSeconds?: number;
  /** Worker threads (default: the usable cores). */
  readonly threads?: number;
  /** Memory limit in bytes (default: the detected limit). */
  readonly memoryBytes?: number;
  /** The reduction the sweep runs (default mean). */
  readonly kernel?: ReduceKernel;
  /** Library use only (tests): a fixed wait added to every sweep task, to check the fit recovers it. */
  readonly taskDelayMs?: number;
  /** Parent directory for spill files (default: the OS temp directory). */
  readonly spillDirectory?: string;
  readonly onProgress?: (progress: ProbeProgress) => void;
}

export type ProbeStep = "remote" | "overhead" | "sweep" | "spill" | "done";

export interface ProbeProgress {
  readonly step: ProbeStep;
  readonly message: string;
  readonly elapsedSeconds: number;
  readonly budgetSeconds: number;
}

export interface OverheadMeasurement {
  readonly tasks: number;
  readonly wallSeconds: number;
  /** Wall seconds per empty task with the pool kept busy: the scheduler's serial cost per task. */
  readonly perTaskSeconds: number;
  /** Median submit-to-result time of one empty task (includes queueing behind the others). */
  readonly medianRoundTripSeconds: number;
}

export interface SweepSize {
  readonly chunks: readonly number[];
  /** Storage chunks per compute chunk. */
  readonly storageChunks: number;
  readonly bytes: number;
  readonly tasks: number;
  /** Median worker seconds per task (read + decode + compute). */
  readonly measuredSeconds: number;
  /** What the fitted line predicts for the same bytes. */
  readonly predictedSeconds: number;
  /** (overhead + fixed) over the predicted whole task time. */
  readonly overheadShare: number;
}

export interface SpillMeasurement {
  readonly chunks: readonly number[];
  readonly tasks: number;
  readonly workingSetBytes: number;
  readonly limitBytes: number;
  readonly spilledBytes: number;
  readonly readBackBytes: number;
  readonly spillSeconds: number;
  readonly pauses: number;
  readonly unlimitedSeconds: number;
  readonly limitedSeconds: number;
  /** Bytes per second written while spilling; null when nothing spilled. */
  readonly spillBytesPerSecond: number | null;
  /** Extra seconds per spilled byte, limited run against unlimited (never below 0). */
  readonly penaltySecondsPerByte: number | null;
}

/** One scheduler run, for the report's charts; times in seconds after the probe started. */
export interface ProbeRun {
  readonly name: string;
  readonly offsetSeconds: number;
  readonly wallSeconds: number;
  readonly limitBytes: number | null;
  readonly tasks: readonly TaskRecord[];
  readonly spills: RunResult["spills"];
  readonly memory: readonly MemorySample[];
}

export interface ProbeResult {
  readonly location: string;
  readonly array: Pick<ArrayDescription, "path" | "shape" | "chunks"> & { readonly dtype: string; readonly itemSize: number };
  readonly threads: number;
  readonly memoryLimitBytes: number;
  readonly kernel: ReduceKernel;
  readonly budgetSeconds: number;
  readonly elapsedSeconds: number;
  readonly overhead: OverheadMeasurement;
  readonly fit: CostFit;
  /** Every sweep task as (bytes, worker seconds). */
  readonly points: readonly FitPoint[];
  readonly sweep: readonly SweepSize[];
  readonly spill: SpillMeasurement | null;
  /** Chunk reads timed over HTTP, for a remote store; null for local data. */
  readonly remote: RemoteReadTiming | null;
  readonly range: ChunkRange;
  readonly recommended: Recommendation & { readonly overheadShare: number; readonly predictedSeconds: number };
  readonly model: CostModel;
  readonly runs: readonly ProbeRun[];
  readonly notes: readonly string[];
}

const MAX_OVERHEAD_SHARE = 0.1;
const SPILL_FRACTION = 0.6;
/** h5wasm has a 2 GiB heap per thread: no probe read comes near it. */
const MAX_TASK_BYTES = 256 * 2 ** 20;

const nowSeconds = (): number => performance.now() / 1000;

export async function probe(location: string, options: ProbeOptions = {}): Promise<ProbeResult> {
  const budget = options.budgetSeconds ?? 20;
  const t0 = nowSeconds();
  const elapsed = (): number => nowSeconds() - t0;
  const left = (): number => budget - elapsed();
  const report = (step: ProbeStep, message: string): void => options.onProgress?.({ step, message, elapsedSeconds: elapsed(), budgetSeconds: budget });
  const machine = detectMachine(options.memoryBytes);
  const memoryLimit = machine.memory.limitBytes;
  const kernel = options.kernel ?? "mean";
  const notes: string[] = [];

  const dataset = await openDataset(location, { arrayPaths: options.array === undefined ? [] : [options.array] });
  let description: ArrayDescription;
  try {
    description = pickArray(await dataset.listArrays(), options.array, location);
  } finally {
    await dataset.close();
  }
  const itemSize = description.dtype.itemSize;
  const shape = description.shape;
  const storage = description.chunks ?? defaultBlock(shape, itemSize);
  if (description.chunks === null) notes.push(`contiguous array: "storage chunk" means a block of ${storage.join("×")} elements`);

  let remote: RemoteReadTiming | null = null;
  if (isRemoteLocation(location)) {
    report("remote", "timing chunk reads over HTTP at 1, 4 and 16 in flight");
    remote = await timeRemoteReads(location, description, { budgetSeconds: Math.max(2, 0.15 * budget) });
  }

  const scheduler = new Scheduler({ threads: options.threads ?? machine.cores.usable });
  const threads = scheduler.threads;
  const runs: ProbeRun[] = [];
  const record = (name: string, run: RunResult): void => {
    runs.push({
      name,
      offsetSeconds: (run.startedAt - performance.timeOrigin) / 1000 - t0,
      wallSeconds: run.wallSeconds,
      limitBytes: Number.isFinite(run.policy.limitBytes) ? run.policy.limitBytes : null,
      tasks: run.tasks,
      spills: run.spills,
      memory: run.memory,
    });
  };
  try {
    // 1. Overhead: empty tasks, a short calibration batch and then one sized to ~8 % of the budget.
    report("overhead", "measuring per-task overhead with empty tasks");
    const noops = (n: number, tag: string): TaskSpec[] => Array.from({ length: n }, (_, i) => ({ id: `${tag}-${i}`, op: "noop", payload: {} }));
    const calibration = await scheduler.run(noops(Math.max(50, 10 * threads), "warm"));
    await calibration.dispose();
    const roughPerTask = Math.max(1e-6, calibration.wallSeconds / calibration.tasks.length);
    const overheadTasks = Math.round(Math.min(5000, Math.max(200, (0.08 * budget) / roughPerTask)));
    const overheadRun = await scheduler.run(noops(overheadTasks, "noop"));
    await overheadRun.dispose();
    record("overhead", overheadRun);
    const overhead: OverheadMeasurement = {
      tasks: overheadTasks,
      wallSeconds: overheadRun.wallSeconds,
      perTaskSeconds: overheadRun.wallSeconds / overheadTasks,
      medianRoundTripSeconds: median(overheadRun.tasks.map((t) => t.received - t.submitted)),
    };

    // 2. Sweep: compute chunks of 1, 2, 4, … storage chunks.
    const factor = DEFAULT_COST_MODEL.workingMemoryFactor;
    const memoryCap = Math.min(MAX_TASK_BYTES, (SPILL_FRACTION * memoryLimit) / (threads * factor));
    const candidates = candidateChunks(shape, storage, itemSize, Math.max(memoryCap, product(storage) * itemSize));
    const sweepRegionsFor = (chunks: readonly number[], n: number): { start: number[]; stop: number[] }[] => {
      const regions = sampleRegions(shape, chunks, n);
      return Array.from({ length: n }, (_, i) => regions[i % regions.length]!);
    };
    const taskBytes = new Map<string, number>();
    const sweepGraph = (chunks: readonly number[], n: number, tag: string): TaskSpec[] => {
      const regions = sweepRegionsFor(chunks, n);
      regions.forEach((region, i) => taskBytes.set(`${tag}-${i}`, regionSize(region) * itemSize));
      const leaves: TaskSpec[] = regions.map((region, i) => ({
        id: `${tag}-${i}`,
        op: "reduce",
        label: `region [${region.start.join(", ")}]–[${region.stop.join(", ")}]`,
        payload: { kernel, source: { location, array: description.path, ...region }, delayMs: options.taskDelayMs ?? 0 },
        memoryBytes: regionSize(region) * itemSize * factor,
      }));
      const tree = treeReduce(
        leaves.map((l) => l.id),
        8,
        (id, deps) => ({ id, op: "combine", payload: {}, deps }),
        `${tag}-combine`,
      );
      return [...leaves, ...tree.tasks];
    };
    const sweepMemory = { limitBytes: memoryLimit, ...(options.spillDirectory ? { spillDirectory: options.spillDirectory } : {}) };
    // Warm-up: every thread opens the dataset and the page cache sees the first chunks; not measured.
    report("sweep", "warming up: opening the dataset in every thread");
    const warm = await scheduler.run(sweepGraph(candidates[0]!, Math.max(8, 4 * threads), "warmup"), { memory: sweepMemory });
    await warm.dispose();
    const sweepBudgetEnd = elapsed() + 0.55 * Math.max(0, left());
    const points: FitPoint[] = [];
    const measuredSizes: { chunks: number[]; bytes: number; tasks: number }[] = [];
    let estimatePerByte = median(warm.tasks.filter((t) => t.op === "reduce").map((t) => (t.ended - t.started) / (product(candidates[0]!) * itemSize)));
    for (const [index, chunks] of candidates.entries()) {
      const remaining = sweepBudgetEnd - elapsed();
      if (index >= 2 && remaining <= 0) break;
      const bytes = product(chunks) * itemSize;
      const perTask = Math.max(1e-4, estimatePerByte * bytes);
      const share = remaining / Math.max(1, Math.min(3, candidates.length - index));
      // At least 8 tasks at the first two sizes (they anchor the fit), 4 (or one per thread, twice) later.
      const fewest = index < 2 ? Math.max(8, 2 * threads) : Math.max(4, 2 * threads);
      const n = Math.round(Math.min(48, Math.max(fewest, (share * threads) / perTask)));
      // Past the first two sizes, a size whose tasks would not finish in the time left is not started.
      if (index >= 2 && (n * perTask) / threads > remaining) break;
      report("sweep", `compute chunk ${chunks.join("×")} (${product(chunks) / product(storage)} storage chunks): ${n} tasks`);
      const run = await scheduler.run(sweepGraph(chunks, n, `sweep${index}`), { memory: sweepMemory });
      await run.dispose();
      record(`sweep ${chunks.join("×")}`, run);
      const leaves = run.tasks.filter((t) => t.op === "reduce");
      for (const t of leaves) points.push({ bytes: taskBytes.get(t.id)!, seconds: t.ended - t.started });
      measuredSizes.push({ chunks, bytes, tasks: leaves.length });
      estimatePerByte = median(leaves.map((t) => (t.ended - t.started) / bytes));
    }
    const fit = fitCost(points);

    // 3. Spill: a persist of copies, unlimited and then limited below its working set.
    let spill: SpillMeasurement | null = null;
    if (left() > 0.5) {
      report("spill", "measuring the spill penalty");
      spill = await measureSpill(scheduler, {
        location,
        array: description.path,
        shape,
        itemSize,
        measured: measuredSizes.map((m) => ({ chunks: m.chunks, bytes: m.bytes, seconds: median(points.filter((p) => p.bytes === m.bytes).map((p) => p.seconds)) })),
        threads,
        memoryLimit,
        seconds: Math.max(0.3, 0.75 * left()),
        spillDirectory: options.spillDirectory,
        record,
      });
      if (spill === null) notes.push("spill step skipped: the array is too small for a working set worth spilling");
    } else {
      notes.push("spill step skipped: the time budget ran out");
    }

    // The model, the range and the recommendation.
    const fitInput = { overheadSeconds: overhead.perTaskSeconds, fixedSeconds: fit.fixedSeconds, secondsPerByte: fit.secondsPerByte };
    const range = chunkRange({
      ...fitInput,
      threads,
      memoryLimitBytes: memoryLimit,
      workingMemoryFactor: factor,
      maxOverheadShare: MAX_OVERHEAD_SHARE,
      spillFraction: SPILL_FRACTION,
    });
    const allCandidates = candidateChunks(shape, storage, itemSize, Infinity);
    const chosen = recommendChunk(allCandidates, itemSize, range);
    const predict = (bytes: number): number => fit.fixedSeconds + (fit.secondsPerByte ?? 0) * bytes;
    const sweep: SweepSize[] = mediansBySize(points).map((m) => {
      const size = measuredSizes.find((s) => s.bytes === m.bytes);
      return {
        chunks: size?.chunks ?? [],
        storageChunks: size ? product(size.chunks) / product(storage) : m.bytes / (product(storage) * itemSize),
        bytes: m.bytes,
        tasks: points.filter((p) => p.bytes === m.bytes).length,
        measuredSeconds: m.seconds,
        predictedSeconds: predict(m.bytes),
        overheadShare: overheadShare(fitInput, m.bytes),
      };
    });
    const model = buildModel(overhead, fit, spill, remote, { location, array: description.path, threads, kernel });
    report("done", `probe finished in ${elapsed().toFixed(1)} s`);
    return {
      location,
      array: { path: description.path, shape, chunks: description.chunks, dtype: description.dtype.name, itemSize },
      threads,
      memoryLimitBytes: memoryLimit,
      kernel,
      budgetSeconds: budget,
      elapsedSeconds: elapsed(),
      overhead,
      fit,
      points,
      sweep,
      spill,
      remote,
      range,
      recommended: { ...chosen, overheadShare: overheadShare(fitInput, chosen.bytes), predictedSeconds: overhead.perTaskSeconds + predict(chosen.bytes) },
      model,
      runs,
      notes,
    };
  } finally {
    await scheduler.close();
  }
}

/** What `advise --measure` calls: a probe whose only product is the measured cost model. */
export async function measureCostModel(location: string, options: ProbeOptions = {}): Promise<CostModel> {
  return (await probe(location, options)).model;
}

/** The largest readable, numeric, non-empty array (or the one asked for). */
function pickArray(arrays: readonly ArrayDescription[], name: string | undefined, location: string): ArrayDescription {
  const numeric = (a: ArrayDescription): boolean => !["string", "vlen"].includes(a.dtype.kind) && a.dtype.kind !== "complex";
  if (name !== undefined) {
    const [chosen] = selectArrays(arrays, name, location);
    if (chosen!.unreadableReason) throw new ChunkwiseError("UnsupportedError", `cannot probe ${chosen!.path}: ${chosen!.unreadableReason}`, { path: location });
    if (!numeric(chosen!)) throw new ChunkwiseError("UnsupportedError", `cannot probe ${chosen!.path}: ${chosen!.dtype.name} data has no numeric reduction`, { path: location });
    if (product(chosen!.shape) === 0) throw new ChunkwiseError("UsageError", `cannot probe ${chosen!.path}: the array is empty`, { path: location });
    return chosen!;
  }
  const usable = arrays.filter((a) => a.unreadableReason === null && numeric(a) && product(a.shape) > 0 && a.shape.length > 0);
  if (usable.length === 0) throw new ChunkwiseError("UsageError", "no readable numeric array to probe here", { path: location });
  return usable.reduce((best, a) => (product(a.shape) * a.dtype.itemSize > product(best.shape) * best.dtype.itemSize ? a : best));
}

/** Contiguous data has no storage chunk: probe in blocks of whole rows of about 1 MiB. */
function defaultBlock(shape: readonly number[], itemSize: number): number[] {
  const block = [...shape];
  for (let axis = 0; axis < shape.length && product(block) * itemSize > 2 ** 20; axis++) {
    const rest = product(block) / block[axis]!;
    block[axis] = Math.max(1, Math.min(shape[axis]!, Math.floor(2 ** 20 / (rest * itemSize))));
  }
  return block;
}

interface SpillSetup {
  readonly location: string;
  readonly array: string;
  readonly shape: readonly number[];
  readonly itemSize: number;
  /** The sweep's sizes with their measured median worker seconds per task. */
  readonly measured: readonly { readonly chunks: number[]; readonly bytes: number; readonly seconds: number }[];
  readonly threads: number;
  readonly memoryLimit: number;
  readonly seconds: number;
  readonly spillDirectory: string | undefined;
  readonly record: (name: string, run: RunResult) => void;
}

async function measureSpill(scheduler: Scheduler, setup: SpillSetup): Promise<SpillMeasurement | null> {
  const { shape, itemSize, threads } = setup;
  // The largest measured chunk up to 8 MiB, so that the working set is many tasks of known cost.
  const measured = setup.measured.filter((m) => Number.isFinite(m.seconds));
  const chunk = [...measured].reverse().find((c) => c.bytes <= 8 * 2 ** 20) ?? measured[0];
  if (chunk === undefined) return null;
  // Two timed runs plus a warm-up; a task costs its read and copy, and about as much again to
  // spill and read back (local disk, page cache): keep both runs within the step's time.
  const perTask = 2 * Math.max(1e-4, chunk.seconds);
  const maxTasks = Math.floor(Math.min(256 * 2 ** 20, 0.25 * setup.memoryLimit) / chunk.bytes);
  const tasks = Math.min(maxTasks, Math.max(6, Math.floor(((setup.seconds / 2.5) * threads) / perTask)));
  if (tasks < 4 || tasks * chunk.bytes < 4 * 2 ** 10) return null;
  const regions = sampleRegions(shape, chunk.chunks, tasks);
  const persistGraph = (n: number, tag: string): TaskSpec[] => Array.from({ length: n }, (_, i) => {
    const region = regions[i % regions.length]!;
    return {
      id: `${tag}-${i}`,
      op: "map",
      keep: true,
      label: `region [${region.start.join(", ")}]`,
      payload: { kernel: { kind: "copy" }, source: { location: setup.location, array: setup.array, ...region } },
      memoryBytes: regionSize(region) * itemSize,
    };
  });
  const warm = await scheduler.run(persistGraph(2 * threads, "warm-persist"));
  await warm.dispose();
  const graph = persistGraph(tasks, "persist");
  const actualWorkingSet = graph.reduce((n, t) => n + (t.memoryBytes ?? 0), 0);
  const timed = async (name: string, limitBytes: number): Promise<{ seconds: number; run: RunResult }> => {
    const start = nowSeconds();
    const run = await scheduler.run(graph, { memory: { limitBytes, ...(setup.spillDirectory ? { spillDirectory: setup.spillDirectory } : {}) } });
    for (const id of run.keptIds) await run.result(id); // use every result once, as a persist's consumer would
    const seconds = nowSeconds() - start;
    setup.record(name, run);
    return { seconds, run };
  };
  const unlimited = await timed("persist, no limit", Infinity);
  await unlimited.run.dispose();
  const limitBytes = Math.floor(actualWorkingSet / 2);
  const limited = await timed("persist, limit ½ working set", limitBytes);
  const stats = limited.run.spill;
  await limited.run.dispose();
  return {
    chunks: chunk.chunks,
    tasks,
    workingSetBytes: actualWorkingSet,
    limitBytes,
    spilledBytes: stats.spilledBytes,
    readBackBytes: stats.readBackBytes,
    spillSeconds: stats.spillSeconds,
    pauses: stats.pauses,
    unlimitedSeconds: unlimited.seconds,
    limitedSeconds: limited.seconds,
    spillBytesPerSecond: stats.spilledBytes > 0 && stats.spillSeconds > 0 ? stats.spilledBytes / stats.spillSeconds : null,
    penaltySecondsPerByte: stats.spilledBytes > 0 ? Math.max(0, limited.seconds - unlimited.seconds) / stats.spilledBytes : null,
  };
}

function buildModel(
  overhead: OverheadMeasurement,
  fit: CostFit,
  spill: SpillMeasurement | null,
  remote: RemoteReadTiming | null,
  about: { location: string; array: string; threads: number; kernel: ReduceKernel },
): CostModel {
  const base = DEFAULT_COST_MODEL;
  const throughputMeasured = fit.secondsPerByte !== null;
  const fitThroughput = throughputMeasured ? 1 / fit.secondsPerByte! : base.throughputBytesPerSecond;
  const remoteFold = remote === null ? null : foldRemote(remote, fit.fixedSeconds, base.throughputBytesPerSecond);
  const spillMeasured = spill?.penaltySecondsPerByte != null;
  const us = (s: number): string => `${(s * 1e6).toFixed(1)} µs`;
  const notes = [
    `measured by chunkwise probe on ${about.location} ${about.array} with ${about.threads} threads (${about.kernel} reduction)`,
    `per-task overhead: ${overhead.tasks} empty tasks took ${overhead.wallSeconds.toFixed(3)} s → ${us(overhead.perTaskSeconds)} per task`,
    `fixed cost per task (read latency, open, in-worker dispatch): the fit's intercept, ${us(fit.fixedSeconds)}${remoteFold === null ? " — used as the per-chunk read cost" : ""}`,
    remoteFold !== null
      ? `the sweep's slope is not used on a remote store: its reads wait for requests, which would count latency again as bytes`
      : throughputMeasured
      ? `throughput per thread: ${((1 / fit.secondsPerByte!) / 2 ** 20).toFixed(1)} MiB/s from the fit's slope; fit ${fit.quality}`
      : `throughput per thread not measurable (${fit.quality}): default kept`,
    spillMeasured
      ? `spill: ${spill!.spilledBytes} B spilled, ${spill!.limitedSeconds.toFixed(3)} s limited vs ${spill!.unlimitedSeconds.toFixed(3)} s unlimited → ${spill!.penaltySecondsPerByte!.toExponential(3)} s per byte`
      : "spill penalty not measured: default kept",
    `working memory factor: default ${base.workingMemoryFactor}× (assumed)`,
    ...(remoteFold?.notes ?? []),
  ];
  return {
    perTaskOverheadSeconds: overhead.perTaskSeconds,
    perChunkReadSeconds: remoteFold?.perChunkReadSeconds ?? fit.fixedSeconds,
    throughputBytesPerSecond: remoteFold?.throughputBytesPerSecond ?? fitThroughput,
    spillSecondsPerByte: spillMeasured ? spill!.penaltySecondsPerByte! : base.spillSecondsPerByte,
    workingMemoryFactor: base.workingMemoryFactor,
    sources: {
      perTaskOverheadSeconds: "measured",
      perChunkReadSeconds: "measured",
      throughputBytesPerSecond: (remoteFold === null ? throughputMeasured : remoteFold.transferMeasured) ? "measured" : "assumed",
      spillSecondsPerByte: spillMeasured ? "measured" : "assumed",
      workingMemoryFactor: "assumed",
    },
    notes,
  };
}

/**
 * A remote store's figures in the model: a chunk read waits at least the store's time to first
 * byte (the sweep's intercept may hide it behind reads in flight), and a thread's bytes both
 * stream in (the measured transfer rate of one response) and decode (the default decode rate):
 * 1 / throughput = 1 / transfer + 1 / decode.
 */
function foldRemote(remote: RemoteReadTiming, fixedSeconds: number, decodeBytesPerSecond: number): { perChunkReadSeconds: number; throughputBytesPerSecond: number; transferMeasured: boolean; notes: string[] } {
  const ms = (s: number): string => `${(s * 1e3).toFixed(1)} ms`;
  const mibs = (b: number): string => `${formatSize(b)}/s`;
  const levels = remote.levels.map((l) => `${l.concurrency} in flight: first byte ${ms(l.medianFirstByteSeconds)}, ${mibs(l.aggregateBytesPerSecond)} in all (${l.requests} requests)`);
  const perChunkReadSeconds = Math.max(fixedSeconds, remote.firstByteSeconds);
  const transfer = remote.transferBytesPerSecond;
  const throughputBytesPerSecond = transfer === null ? decodeBytesPerSecond : 1 / (1 / transfer + 1 / decodeBytesPerSecond);
  return {
    perChunkReadSeconds,
    throughputBytesPerSecond,
    transferMeasured: transfer !== null,
    notes: [
      `remote store, chunk reads timed over HTTP — ${levels.join("; ")}`,
      `per-chunk read cost ${ms(perChunkReadSeconds)}: the larger of the median time to first byte one at a time (${ms(remote.firstByteSeconds)}) and the sweep's intercept (${ms(fixedSeconds)}); every storage chunk read pays it, so larger storage chunks (or shards read whole) amortise it`,
      transfer === null
        ? `throughput per thread ${mibs(throughputBytesPerSecond)}: the default decode rate; transfer rate not measurable (responses under 64 KiB arrive at once)`
        : `throughput per thread ${mibs(throughputBytesPerSecond)}: one response streams at ${mibs(transfer)}, decoding at the default ${mibs(decodeBytesPerSecond)} (assumed)`,
    ],
  };
}
