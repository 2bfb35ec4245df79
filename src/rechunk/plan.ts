/**
 * The rechunk planner: pure arithmetic over shapes, no I/O.
 *
 * Problem: an array of `shape` is stored in source chunks S; it must be rewritten in target write
 * units T (chunks, or shards when sharded) while the tasks running at once hold at most `maxMem`
 * bytes. The approach follows pangeo rechunker's (consolidate reads and writes up to the memory
 * bound; go through an intermediate chunking when one pass cannot fit), reworked so that every
 * guarantee is exact rather than statistical:
 *
 * - A stage copies an array from one chunk grid (`readChunks`) to another (`writeChunks`). Its
 *   tasks copy disjoint *blocks* that are aligned to BOTH grids along every axis (a multiple of
 *   lcm(read, write), or the whole extent). So every read chunk is decoded by exactly one task
 *   (no source region is read twice in a stage) and every write unit is written whole by exactly
 *   one task (writes are whole-unit and idempotent).
 * - One stage when the smallest aligned block fits the per-task budget (maxMem / threads).
 *   Otherwise the cheaper, by the cost model, of: one stage with partial reads (blocks aligned to
 *   the write grid only; each task decodes just the granules of a source chunk its strip spans,
 *   so a chunk is read by every task it overlaps — its guarantee is weaker: units are still
 *   written once each, reads are counted per (task, chunk) pair), and two stages through an
 *   intermediate chunking I, chosen among divisors of the source and target chunks (always
 *   feasible: I = gcd(S, T) makes both stages' blocks one chunk): fewer, larger intermediate
 *   chunks win unless their blocks do not fit.
 * - Blocks are then grown (consolidated) from the last axis towards the first, by whole aligned
 *   steps, up to the per-task budget (and at most MAX_TASK_BLOCK_BYTES) while leaving at least
 *   MIN_TASKS_PER_THREAD tasks per thread, so per-task overhead stays small without starving the
 *   threads.
 *
 * Nothing here enumerates chunks: counts are products over axes, so planning a target of
 * millions of chunks takes microseconds. Tasks, and the chunks inside a task, are enumerated
 * lazily by the generators at the end of this file, for the executor.
 */
import { ChunkwiseError } from "../errors.js";
import { type CostModel, DEFAULT_COST_MODEL } from "../model/cost-model.js";
import { ceilDiv, product } from "../model/layout.js";
import type { Region } from "../formats/block-copy.js";
import { formatSize } from "../units.js";

export interface PlanRequest {
  readonly shape: readonly number[];
  readonly itemSize: number;
  /** Source storage chunks; null for contiguous data (any region can be read without waste). */
  readonly sourceChunks: readonly number[] | null;
  /** Target write units: the target chunk, or the shard when the output is sharded. */
  readonly targetUnits: readonly number[];
  /** Memory all running tasks together may hold, bytes. */
  readonly maxMemBytes: number;
  /** Tasks running at once. */
  readonly threads: number;
  /**
   * Bytes of the smallest piece of a source chunk that can be decoded alone, in the chunk's C
   * order (a blosc block; any byte of an uncompressed chunk). Default: the whole chunk.
   */
  readonly readGranuleBytes?: number;
  readonly costModel?: CostModel;
}

export interface StagePlan {
  /** 0-based position of this stage in the plan. */
  readonly index: number;
  readonly from: "source" | "intermediate";
  readonly to: "intermediate" | "target";
  /** The chunk grid this stage reads; null for a contiguous source. */
  readonly readChunks: readonly number[] | null;
  /** The unit grid this stage writes. */
  readonly writeChunks: readonly number[];
  /** The region one task copies: aligned to both grids, clipped at the array's edge. */
  readonly taskBlock: readonly number[];
  /** Tasks along each axis. */
  readonly taskGrid: readonly number[];
  readonly tasks: number;
  /**
   * Blocks aligned to the write grid only: a read chunk is read in part by every task that
   * overlaps it (only the granules a task needs are decoded). False: blocks are aligned to both
   * grids and every read chunk is decoded whole, once.
   */
  readonly partialReads: boolean;
  /** Chunk reads: one per read chunk, or one per (task, overlapping chunk) with partial reads; one region read per task for a contiguous source. */
  readonly readOps: number;
  /** Bytes decoded (estimated for partial reads: each part rounded out to whole granules). */
  readonly decodedBytes: number;
  /** Unit writes (one per write unit). */
  readonly writeOps: number;
  /** Peak bytes one task holds: twice its block (the block and the garbage of filling or emptying it), plus one read chunk and one write unit with their encoded forms. */
  readonly taskMemoryBytes: number;
}

export interface RechunkPlan {
  readonly shape: readonly number[];
  readonly itemSize: number;
  readonly sourceChunks: readonly number[] | null;
  readonly targetUnits: readonly number[];
  readonly threads: number;
  readonly maxMemBytes: number;
  /** Uncompressed bytes of the array. */
  readonly logicalBytes: number;
  readonly stages: readonly StagePlan[];
  /** The intermediate chunking of a two-stage plan, null for one stage. */
  readonly intermediateChunks: readonly number[] | null;
  /** The largest taskMemoryBytes over the stages. */
  readonly peakTaskMemoryBytes: number;
  /** peakTaskMemoryBytes × the threads that can run at once (never more threads than tasks). */
  readonly peakMemoryBytes: number;
  /** Scratch space for the intermediate array (uncompressed), 0 for one stage. */
  readonly temporaryBytes: number;
  /** What the cost model predicts, seconds. */
  readonly predictedSeconds: number;
}

/** Decoded + encoded copies of one read chunk and of one write unit held while a task works. */
const CHUNK_COPIES = 2;

/**
 * A task's block counts twice: while it is filled, the chunks already copied into it are garbage
 * not yet collected (as much again as the block); while it is cut into units, the units already
 * written are. The worker collects between the two phases, so twice the block is the peak.
 */
const BLOCK_COPIES = 2;

/**
 * Blocks grow no larger than this (unless the smallest aligned block is larger): bigger blocks
 * save nothing once every chunk is read once, and smaller ones keep progress, the journal's
 * granularity and the work lost to a crash fine-grained. Measured on the 1 GiB peers bench at
 * --max-mem 256MiB: 48 MiB blocks ran as fast as 64 MiB ones (lz4 Zarr 5.8-5.9 vs 5.4-6.3 s;
 * netCDF-4 11.8-11.9 vs 12.1-13.9 s of tasks) with less memory held (peak RSS 228 vs 292-300 MB;
 * netCDF-4 367-409 vs 420-498 MB).
 */
export const MAX_TASK_BLOCK_BYTES = 48 * 2 ** 20;

/** A contiguous source is read in slabs of at most this many bytes (at least one row of the block). */
export const CONTIGUOUS_SLAB_BYTES = 4 * 2 ** 20;

/** Plans predicted within this factor of the fastest count as equally fast (the cheapest in memory wins). */
const NEAR_FASTEST = 1.1;

/** Copy costs within this fraction of each other count as equal (then the cheapest in memory wins). */
const COPY_TOLERANCE = 0.02;

/** A one-stage plan may decode whole source chunks at most this many times over (more: an intermediate is cheaper). */
const MAX_WHOLE_CHUNK_REDECODE = 2;

/** Blocks stay small enough for this many tasks per thread: the last round leaves threads idle for at most a fraction of a task. */
const MIN_TASKS_PER_THREAD = 4;

export const gcd = (a: number, b: number): number => {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
};

export const lcm = (a: number, b: number): number => (a / gcd(a, b)) * b;

/** The smallest block extent along one axis that is aligned to both grids: lcm, or the whole extent. */
export function alignedStep(read: number, write: number, extent: number): number {
  const step = lcm(read, write);
  return step >= extent ? Math.max(extent, 1) : step;
}

/** Clip a chunk shape to the array (a chunk longer than its axis stores the same data). */
export function clipChunks(chunks: readonly number[], shape: readonly number[]): number[] {
  return chunks.map((c, axis) => Math.max(1, Math.min(c, shape[axis]!)));
}

interface StageInput {
  readonly shape: readonly number[];
  readonly itemSize: number;
  readonly readChunks: readonly number[] | null;
  readonly writeChunks: readonly number[];
  readonly budget: number;
  readonly minTasks: number;
  /** Granule bytes when blocks need only follow the write grid (partial reads of read chunks); null: aligned to both. */
  readonly partialGranuleBytes: number | null;
}

function taskMemory(blockElements: number, input: StageInput): number {
  const readElements =
    input.readChunks === null ? Math.min(blockElements, Math.floor(CONTIGUOUS_SLAB_BYTES / input.itemSize)) : product(input.readChunks);
  return input.itemSize * (BLOCK_COPIES * blockElements + CHUNK_COPIES * (readElements + product(input.writeChunks)));
}

function tasksOf(shape: readonly number[], block: readonly number[]): number {
  return product(shape.map((n, axis) => ceilDiv(n, block[axis]!)));
}

/**
 * One stage's blocks: the smallest aligned block, then grown axis by axis from the last, by whole
 * aligned steps, while it fits the budget and leaves at least `minTasks` tasks. Null when even
 * the smallest block does not fit.
 */
function planStage(input: StageInput, index: number, from: StagePlan["from"], to: StagePlan["to"]): StagePlan | null {
  const { shape, readChunks, writeChunks } = input;
  const ndim = shape.length;
  const partial = input.partialGranuleBytes !== null && readChunks !== null;
  const steps = shape.map((n, axis) => alignedStep(partial ? 1 : (readChunks?.[axis] ?? 1), writeChunks[axis]!, n));
  const block = [...steps];
  if (taskMemory(product(block), input) > input.budget) return null;
  // An upper bound of what a task holds besides its block (a contiguous source's slab counts in full).
  const fixed = taskMemory(0, input) + (readChunks === null ? CHUNK_COPIES * CONTIGUOUS_SLAB_BYTES : 0);
  const maxElements = Math.floor(Math.min((input.budget - fixed) / BLOCK_COPIES, MAX_TASK_BLOCK_BYTES) / input.itemSize);
  for (let axis = ndim - 1; axis >= 0; axis--) {
    const n = shape[axis]!;
    const step = steps[axis]!;
    const stepsAlong = ceilDiv(n, step);
    if (stepsAlong <= 1) continue;
    const others = product(block) / block[axis]!;
    let hi = Math.min(stepsAlong, Math.floor(maxElements / (others * step)));
    let lo = 1;
    if (hi <= 1) break;
    const tasksWith = (m: number): number => {
      const trial = [...block];
      trial[axis] = Math.min(n, m * step);
      return tasksOf(shape, trial);
    };
    // The largest multiple that keeps enough tasks (tasks only fall as the block grows).
    const floorTasks = Math.min(input.minTasks, tasksOf(shape, block));
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (tasksWith(mid) >= floorTasks) lo = mid;
      else hi = mid - 1;
    }
    block[axis] = Math.min(n, lo * step);
    if (lo < stepsAlong) break; // this axis is not whole: growing an earlier axis would break contiguity of the budget
  }
  const taskGrid = shape.map((n, axis) => ceilDiv(n, block[axis]!));
  const tasks = product(taskGrid);
  const logicalBytes = product(shape) * input.itemSize;
  let readOps = readChunks === null ? tasks : product(shape.map((n, axis) => ceilDiv(n, readChunks[axis]!)));
  let decodedBytes = logicalBytes;
  if (partial) {
    readOps = product(shape.map((n, axis) => overlapPairs(n, block[axis]!, readChunks[axis]!)));
    decodedBytes = Math.max(logicalBytes, readOps * partialReadBytes(block, readChunks, input.itemSize, input.partialGranuleBytes!));
  }
  return {
    index,
    from,
    to,
    readChunks: readChunks === null ? null : [...readChunks],
    writeChunks: [...writeChunks],
    taskBlock: block,
    taskGrid,
    tasks,
    partialReads: partial,
    readOps: product(shape) === 0 ? 0 : readOps,
    decodedBytes: product(shape) === 0 ? 0 : decodedBytes,
    writeOps: product(shape.map((n, axis) => ceilDiv(n, writeChunks[axis]!))),
    taskMemoryBytes: taskMemory(product(block), input),
  };
}

/** Pairs (block, chunk) that overlap along one axis of extent n, blocks of b, chunks of c. */
function overlapPairs(n: number, b: number, c: number): number {
  let pairs = 0;
  for (let start = 0; start < n; start += b) pairs += ceilDiv(Math.min(n, start + b), c) - Math.floor(start / c);
  return pairs;
}

/**
 * Bytes decoded for one typical partial read: the C-order span of a block's part of a chunk
 * (from its first to its last element), plus one granule for the granules cut at its ends,
 * never more than the chunk.
 */
function partialReadBytes(block: readonly number[], chunk: readonly number[], itemSize: number, granuleBytes: number): number {
  let span = 1;
  let stride = 1;
  for (let axis = chunk.length - 1; axis >= 0; axis--) {
    span += (Math.min(block[axis]!, chunk[axis]!) - 1) * stride;
    stride *= chunk[axis]!;
  }
  return Math.min(stride * itemSize, span * itemSize + granuleBytes);
}

/**
 * A stage's predicted seconds: per-operation and per-task costs, plus the bytes it decodes and
 * writes at the model's throughput. Writing and reading back an intermediate array is counted as
 * those two passes of data, not as spilling (the model's spill cost is a Dask worker's disk
 * spill): measured on the peers bench, one stage decoding 2.1× the data beat two stages (3.4 vs
 * 3.9 s) and one decoding 3.9× lost (12 vs 8.3 s), a crossover near the 3× this predicts.
 */
function stageSeconds(stage: StagePlan, logicalBytes: number, threads: number, model: CostModel): number {
  const ops = stage.readOps + stage.writeOps;
  const moved = logicalBytes + stage.decodedBytes;
  const serial = ops * model.perChunkReadSeconds + stage.tasks * model.perTaskOverheadSeconds + moved / model.throughputBytesPerSecond;
  // Tasks are (nearly) equal: the stage lasts ceil(tasks / threads) task lengths, so 5 tasks on
  // 2 threads take 3 rounds, not 2.5 (one thread idles through the last).
  const rounds = Math.ceil(stage.tasks / Math.max(1, Math.min(threads, stage.tasks)));
  return stage.tasks === 0 ? 0 : (serial / stage.tasks) * rounds;
}

function divisors(n: number): number[] {
  const small: number[] = [];
  const large: number[] = [];
  for (let d = 1; d * d <= n; d++) {
    if (n % d === 0) {
      small.push(d);
      if (d * d !== n) large.push(n / d);
    }
  }
  return [...small, ...large.reverse()];
}

/**
 * Elements in one contiguous run that a stage copies from a read chunk into a write unit: the
 * overlap along the last axis, times the axes before it while both grids cut them alike (the
 * copy merges trailing axes the two chunks span equally, see copyRegion). A contiguous source is
 * read in slabs spanning whole trailing axes.
 */
export function copyRunElements(shape: readonly number[], readChunks: readonly number[] | null, writeChunks: readonly number[]): number {
  let run = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    const n = shape[axis]!;
    const read = Math.min(n, readChunks?.[axis] ?? n);
    const write = Math.min(n, writeChunks[axis]!);
    run *= Math.min(read, write);
    if (read !== write) break;
  }
  return Math.max(1, run);
}

/**
 * Whether a stage's task reads pieces that stack into one block (see stackedBlock in pieces.ts):
 * each read chunk, cut to the task block, spans the block along every axis but the first, and
 * is one contiguous stretch of its chunk. Units are then cut with one copy call each.
 */
export function piecesStack(shape: readonly number[], readChunks: readonly number[] | null, taskBlock: readonly number[]): boolean {
  if (readChunks === null || shape.length === 0) return false;
  let partial = false;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    const chunk = Math.min(shape[axis]!, readChunks[axis]!);
    const extent = Math.min(chunk, taskBlock[axis]!);
    if (axis > 0 && extent !== taskBlock[axis]) return false;
    if (partial && extent !== 1) return false;
    if (extent !== chunk) partial = true;
  }
  return true;
}

/** Measured cost of the copy kernel (src/formats/strided-copy.ts) at 1 GiB: per contiguous run, and per call (one per unit and piece it meets). */
const SECONDS_PER_COPY_RUN = 30e-9;
const SECONDS_PER_COPY_CALL = 1.5e-6;

/**
 * Seconds a two-stage plan spends cutting units out of what it read (both stages): its runs,
 * and its copy calls, one per unit when the pieces stack and one per (unit, piece) otherwise.
 * Cutting (259, 10, 10) units from (7, 20, 720) intermediate chunks, which do not stack, made
 * 384 000 calls at 1 GiB and took 0.75 s of each thread; the same units from (7, 20, 1440)
 * chunks, which do, make 10 368.
 */
function copySeconds(shape: readonly number[], stages: readonly StagePlan[]): number {
  const elements = product(shape);
  return stages.reduce((seconds, stage) => {
    const runs = elements / copyRunElements(shape, stage.readChunks, stage.writeChunks);
    const piecesPerUnit = piecesStack(shape, stage.readChunks, stage.taskBlock)
      ? 1
      : product(shape.map((n, axis) => Math.max(1, Math.ceil(Math.min(n, stage.writeChunks[axis]!) / Math.min(n, stage.readChunks?.[axis] ?? n)))));
    return seconds + runs * SECONDS_PER_COPY_RUN + stage.writeOps * piecesPerUnit * SECONDS_PER_COPY_CALL;
  }, 0);
}

interface AxisCandidate {
  readonly chunk: number;
  readonly step1: number;
  readonly step2: number;
}

/**
 * Intermediate chunk candidates along one axis: divisors of the source and target chunks (so one
 * stage's block along the axis stays one chunk), keeping only those not dominated by another
 * (no other has steps as small and a chunk as large), at most `limit` of them.
 */
function axisCandidates(source: number, target: number, extent: number, limit: number): AxisCandidate[] {
  const values = new Set<number>([...divisors(source), ...divisors(target)].filter((v) => v <= extent));
  const all = [...values].map((chunk) => ({
    chunk,
    step1: alignedStep(source, chunk, extent),
    step2: alignedStep(chunk, target, extent),
  }));
  const front = all.filter(
    (a) => !all.some((b) => b !== a && b.step1 <= a.step1 && b.step2 <= a.step2 && b.chunk >= a.chunk && (b.step1 < a.step1 || b.step2 < a.step2 || b.chunk > a.chunk)),
  );
  front.sort((a, b) => b.chunk - a.chunk);
  if (front.length <= limit) return front;
  // Keep an even spread from the largest chunk down to the smallest (the gcd, always feasible).
  const picked: AxisCandidate[] = [];
  for (let i = 0; i < limit; i++) picked.push(front[Math.round((i * (front.length - 1)) / (limit - 1))]!);
  return [...new Set(picked)];
}

const MAX_COMBINATIONS = 20_000;

/** Plan the rechunk of one array. Throws UsageError when no plan fits the memory bound. */
export function planRechunk(request: PlanRequest): RechunkPlan {
  const model = request.costModel ?? DEFAULT_COST_MODEL;
  const { shape, itemSize } = request;
  const threads = Math.max(1, Math.floor(request.threads));
  const sourceChunks = request.sourceChunks === null ? null : clipChunks(request.sourceChunks, shape);
  const targetUnits = clipChunks(request.targetUnits, shape);
  const logicalBytes = product(shape) * itemSize;
  const budget = Math.floor(request.maxMemBytes / threads);
  const minTasks = MIN_TASKS_PER_THREAD * threads;
  const base = { shape, itemSize, budget, minTasks, partialGranuleBytes: null };
  const finish = (stages: StagePlan[], intermediate: number[] | null): RechunkPlan => {
    const peakTask = Math.max(0, ...stages.map((s) => s.taskMemoryBytes));
    const running = Math.max(1, Math.min(threads, Math.max(1, ...stages.map((s) => s.tasks))));
    return {
      shape: [...shape],
      itemSize,
      sourceChunks,
      targetUnits,
      threads,
      maxMemBytes: request.maxMemBytes,
      logicalBytes,
      stages,
      intermediateChunks: intermediate,
      peakTaskMemoryBytes: peakTask,
      peakMemoryBytes: stages.reduce((m, s) => Math.max(m, s.taskMemoryBytes * Math.min(running, s.tasks)), 0),
      temporaryBytes: intermediate === null ? 0 : logicalBytes,
      predictedSeconds: stages.reduce((t, s) => t + stageSeconds(s, logicalBytes, threads, model), 0),
    };
  };

  const single = planStage({ ...base, readChunks: sourceChunks, writeChunks: targetUnits }, 0, "source", "target");
  if (single !== null) return finish([single], null);
  // One stage reading source chunks in part, when it beats going through an intermediate.
  const granule = sourceChunks === null ? null : Math.min(request.readGranuleBytes ?? Infinity, product(sourceChunks) * itemSize);
  let partial = granule === null ? null : planStage({ ...base, readChunks: sourceChunks, writeChunks: targetUnits, partialGranuleBytes: granule }, 0, "source", "target");
  // Chunks that decode only whole are re-read whole by every task: worth it only when few tasks share each chunk.
  if (partial !== null && granule === product(sourceChunks!) * itemSize && partial.decodedBytes > MAX_WHOLE_CHUNK_REDECODE * logicalBytes) partial = null;

  // Two stages through an intermediate chunking.
  const source = sourceChunks ?? shape.map(() => 1);
  const ndim = shape.length;
  let perAxis = 64;
  let candidates: AxisCandidate[][];
  do {
    candidates = shape.map((n, axis) => axisCandidates(source[axis]!, targetUnits[axis]!, n, perAxis));
    perAxis = Math.floor(perAxis / 2);
  } while (candidates.reduce((c, list) => c * list.length, 1) > MAX_COMBINATIONS && perAxis >= 2);

  const feasible: { stages: StagePlan[]; chunks: number[]; seconds: number; copy: number; memory: number }[] = [];
  const choice = new Array<number>(ndim).fill(0);
  for (;;) {
    const chunks = choice.map((c, axis) => candidates[axis]![c]!.chunk);
    const first = planStage({ ...base, readChunks: sourceChunks, writeChunks: chunks }, 0, "source", "intermediate");
    const second = first && planStage({ ...base, readChunks: chunks, writeChunks: targetUnits }, 1, "intermediate", "target");
    if (first && second) {
      const seconds = stageSeconds(first, logicalBytes, threads, model) + stageSeconds(second, logicalBytes, threads, model);
      const stages = [first, second];
      feasible.push({ stages, chunks, seconds, copy: copySeconds(shape, stages), memory: Math.max(first.taskMemoryBytes, second.taskMemoryBytes) });
    }
    let axis = ndim - 1;
    while (axis >= 0 && ++choice[axis]! >= candidates[axis]!.length) choice[axis--] = 0;
    if (axis < 0) break;
  }
  // Among the intermediates predicted within NEAR_FASTEST of the fastest, the one cheapest to
  // copy (runs and calls, see copySeconds), then the one holding the least memory: the cost model
  // does not see what short runs and many calls cost. Measured on the 1 GiB peers bench (lz4
  // Zarr, (1, 720, 1440) → (259, 32, 32)): intermediate (7, 32, 1440), 8.4 M runs, took 4.2-4.3 s
  // of tasks where (7, 80, 160), 10 M runs and half the stage-2 block, took 4.6-5.7 s; and
  // 65×64×1440 blocks ran faster than 65×480×480 ones.
  const fastest = Math.min(...feasible.map((plan) => plan.seconds));
  const better = (a: (typeof feasible)[number], b: (typeof feasible)[number]): boolean =>
    b.copy < a.copy * (1 - COPY_TOLERANCE) || (b.copy <= a.copy * (1 + COPY_TOLERANCE) && (b.memory < a.memory || (b.memory === a.memory && b.seconds < a.seconds)));
  const best = feasible.length === 0 ? null : feasible.filter((plan) => plan.seconds <= fastest * NEAR_FASTEST).reduce((a, b) => (better(a, b) ? b : a));
  if (partial !== null && (best === null || stageSeconds(partial, logicalBytes, threads, model) <= best.seconds)) return finish([partial], null);
  if (best === null) {
    const unitBytes = product(targetUnits) * itemSize;
    const chunkBytes = sourceChunks === null ? null : product(sourceChunks) * itemSize;
    throw new ChunkwiseError(
      "UsageError",
      `no rechunk plan fits the per-task memory budget of ${formatSize(budget)} (--max-mem ${formatSize(request.maxMemBytes)} over ${threads} threads) with target units of ${formatSize(unitBytes)}${chunkBytes === null ? "" : ` and source chunks of ${formatSize(chunkBytes)}`}: raise --max-mem or lower --threads`,
    );
  }
  return finish(best.stages, best.chunks);
}

/** An intermediate array of more chunks than this costs stage 2 more small reads than any file system serves well. */
export const MANY_INTERMEDIATE_CHUNKS = 10_000_000;

/**
 * What a user should know before running a plan: an intermediate array of too many chunks (each
 * read on its own by stage 2, though stored one file per stage-1 task). Its chunks are as large
 * as the per-task memory allows (a stage-2 block spans the target's whole extent along the axes
 * the source chunk is thin in), so only more memory per task helps.
 */
export function planWarnings(arrayPath: string, plan: RechunkPlan): string[] {
  if (plan.intermediateChunks === null) return [];
  const chunks = product(plan.shape.map((n, axis) => ceilDiv(n, plan.intermediateChunks![axis]!)));
  if (chunks <= MANY_INTERMEDIATE_CHUNKS) return [];
  const chunkBytes = product(plan.intermediateChunks) * plan.itemSize;
  return [
    `${arrayPath}: the intermediate array would be ${chunks.toLocaleString("en-US")} chunks of ${formatSize(chunkBytes)} (${plan.intermediateChunks.join("×")}), each read on its own; give each task more memory (raise --max-mem or lower --threads) for fewer, larger ones`,
  ];
}

// ---------------------------------------------------------------------------------------------
// Lazy enumeration for the executor.

export type { Region } from "../formats/block-copy.js";

export interface TaskRegion extends Region {
  /** Position of the task in C order over the stage's task grid. */
  readonly index: number;
  readonly coords: readonly number[];
}

/** Grid coordinates of the `index`-th cell in C order. */
export function unravel(index: number, grid: readonly number[]): number[] {
  const coords = new Array<number>(grid.length);
  let rest = index;
  for (let axis = grid.length - 1; axis >= 0; axis--) {
    coords[axis] = rest % grid[axis]!;
    rest = Math.floor(rest / grid[axis]!);
  }
  return coords;
}

export function ravel(coords: readonly number[], grid: readonly number[]): number {
  let index = 0;
  for (let axis = 0; axis < grid.length; axis++) index = index * grid[axis]! + coords[axis]!;
  return index;
}

/** The region of task `index` of a stage. */
export function taskAt(shape: readonly number[], stage: StagePlan, index: number): TaskRegion {
  const coords = unravel(index, stage.taskGrid);
  const start = coords.map((c, axis) => c * stage.taskBlock[axis]!);
  const stop = start.map((s, axis) => Math.min(shape[axis]!, s + stage.taskBlock[axis]!));
  return { index, coords, start, stop };
}

/** Every task of a stage, in C order, lazily. */
export function* stageTasks(shape: readonly number[], stage: StagePlan): Generator<TaskRegion> {
  for (let index = 0; index < stage.tasks; index++) yield taskAt(shape, stage, index);
}

export interface GridCell extends Region {
  readonly coords: readonly number[];
}

/** The cells of the grid `chunks` that intersect `region`, in C order, clipped to `shape`. */
export function* cellsIn(region: Region, chunks: readonly number[], shape: readonly number[]): Generator<GridCell> {
  const ndim = shape.length;
  const lo = region.start.map((s, axis) => Math.floor(s / chunks[axis]!));
  const hi = region.stop.map((s, axis) => ceilDiv(s, chunks[axis]!));
  if (lo.some((l, axis) => l >= hi[axis]!)) return;
  const coords = [...lo];
  for (;;) {
    const start = coords.map((c, axis) => c * chunks[axis]!);
    const stop = start.map((s, axis) => Math.min(shape[axis]!, s + chunks[axis]!));
    yield { coords: [...coords], start, stop };
    let axis = ndim - 1;
    while (axis >= 0 && ++coords[axis]! >= hi[axis]!) coords[axis] = lo[axis--]!;
    if (axis < 0) return;
  }
}
