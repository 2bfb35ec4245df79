/**
 * Splitting one rechunk job across processes or machines (`--partition I/N`): pure arithmetic
 * over the stored plans, no I/O.
 *
 * - The unit of work is a planned task (a block of whole write units, journalled as one line), so
 *   a partition's share is a set of task indexes, stable for a given job.json.
 * - Per stage, the tasks of every array that has that stage are laid end to end (array order,
 *   then C order inside an array) and cut into N contiguous ranges of about equal BYTES (edge
 *   tasks are smaller): a task goes to partition floor(N × midpoint / total), where midpoint is
 *   the byte offset of the middle of the task. So each share holds total/N bytes give or take one
 *   task, and neighbouring tasks (neighbouring source and target regions) stay together.
 * - Stage 2 of a two-stage array reads intermediate chunks written by stage-1 tasks of other
 *   partitions: `stageOneDependencies` names the stage-1 tasks a partition's stage-2 share reads
 *   (the stage-1 task grid is a grid of blocks, so this is the set of blocks its regions overlap).
 */
import { ChunkwiseError } from "../errors.js";
import { product } from "../model/layout.js";
import { type RechunkPlan, type Region, cellsIn, ravel, taskAt } from "./plan.js";

export interface Partition {
  /** 0-based. */
  readonly index: number;
  readonly count: number;
}

/** The largest N accepted: far more machines than anyone runs one rechunk on. */
export const MAX_PARTITIONS = 100_000;

/** Parse `I/N` (0 ≤ I < N). */
export function parsePartition(text: string): Partition {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const usage = (why: string): ChunkwiseError => new ChunkwiseError("UsageError", `--partition ${text}: ${why}; give I/N with 0 ≤ I < N, e.g. --partition 0/16 … 15/16`);
  if (match === null) throw usage("not of the form I/N");
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1) throw usage("N must be at least 1");
  if (count > MAX_PARTITIONS) throw usage(`N must be at most ${MAX_PARTITIONS}`);
  if (index >= count) throw usage(`I must be below N (partitions are numbered from 0)`);
  return { index, count };
}

export const partitionLabel = (p: Partition): string => `${p.index}/${p.count}`;

/**
 * Cut items of the given weights (in order) into `count` contiguous ranges of about equal total
 * weight. Returns `count + 1` boundaries: range k is [bounds[k], bounds[k + 1]). Each range's
 * weight is within one item's weight of total / count. All-zero weights are split by count.
 */
export function splitByWeight(weights: ArrayLike<number>, count: number): number[] {
  const n = weights.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += weights[i]!;
  const bounds = new Array<number>(count + 1).fill(n);
  bounds[0] = 0;
  let before = 0;
  let next = 1;
  for (let i = 0; i < n; i++) {
    const w = weights[i]!;
    const owner = total > 0 ? Math.min(count - 1, Math.floor((count * (before + w / 2)) / total)) : Math.min(count - 1, Math.floor((count * (i + 0.5)) / n));
    // Item i starts range `owner`: every range up to it (some may be empty) begins here or earlier.
    while (next <= owner) bounds[next++] = i;
    before += w;
  }
  return bounds;
}

/** What the partition arithmetic needs of one array of the job. */
export interface PartitionedArray {
  readonly path: string;
  readonly plan: RechunkPlan;
}

/** Uncompressed bytes of task `index` of stage `stage`. */
export function taskBytes(plan: RechunkPlan, stage: number, index: number): number {
  const region = taskAt(plan.shape, plan.stages[stage]!, index);
  return plan.itemSize * product(region.stop.map((s, axis) => s - region.start[axis]!));
}

/** One stage's tasks over all arrays, cut into partitions. */
export interface StageShares {
  readonly stage: number;
  readonly count: number;
  /** Per array: the position of its first task in the stage's sequence (-1 when it has no such stage). */
  readonly offsets: readonly number[];
  /** Partition k owns sequence positions [bounds[k], bounds[k + 1]). */
  readonly bounds: readonly number[];
  readonly bytes: readonly number[];
}

export function stageShares(arrays: readonly PartitionedArray[], stage: number, count: number): StageShares {
  const offsets: number[] = [];
  let length = 0;
  for (const { plan } of arrays) {
    offsets.push(stage < plan.stages.length ? length : -1);
    if (stage < plan.stages.length) length += plan.stages[stage]!.tasks;
  }
  const weights = new Float64Array(length);
  arrays.forEach(({ plan }, a) => {
    if (offsets[a]! < 0) return;
    for (let t = 0; t < plan.stages[stage]!.tasks; t++) weights[offsets[a]! + t] = taskBytes(plan, stage, t);
  });
  const bounds = splitByWeight(weights, count);
  const bytes = new Array<number>(count).fill(0);
  for (let k = 0; k < count; k++) for (let i = bounds[k]!; i < bounds[k + 1]!; i++) bytes[k]! += weights[i]!;
  return { stage, count, offsets, bounds, bytes };
}

/** The partition that owns task `task` of array `array` (by index) in this stage. */
export function ownerOf(shares: StageShares, array: number, task: number): number {
  const position = shares.offsets[array]! + task;
  let lo = 0;
  let hi = shares.count - 1;
  // The last k with bounds[k] <= position (empty ranges share a boundary with the next one).
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (shares.bounds[mid]! <= position) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The task indexes of `array` in partition `index`'s share of this stage, as a range [start, stop). */
export function shareRange(shares: StageShares, array: number, tasks: number, index: number): { start: number; stop: number } {
  const offset = shares.offsets[array]!;
  if (offset < 0) return { start: 0, stop: 0 };
  const start = Math.min(tasks, Math.max(0, shares.bounds[index]! - offset));
  const stop = Math.min(tasks, Math.max(0, shares.bounds[index + 1]! - offset));
  return { start, stop: Math.max(start, stop) };
}

/** Every stage's shares of the job (one entry per stage index any array has). */
export function jobShares(arrays: readonly PartitionedArray[], count: number): StageShares[] {
  const stages = Math.max(0, ...arrays.map((a) => a.plan.stages.length));
  return Array.from({ length: stages }, (_, stage) => stageShares(arrays, stage, count));
}

/** A predicate for the executor: is task `task` of `array` (by path) in stage `stage` in this partition's share (limited to `stages`)? */
export function shareSelector(arrays: readonly PartitionedArray[], shares: readonly StageShares[], partition: Partition, stages: ReadonlySet<number>): (array: string, stage: number, task: number) => boolean {
  const indexOf = new Map(arrays.map((a, i) => [a.path, i]));
  return (array, stage, task) => {
    const a = indexOf.get(array);
    if (a === undefined || !stages.has(stage)) return false;
    const range = shareRange(shares[stage]!, a, arrays[a]!.plan.stages[stage]!.tasks, partition.index);
    return task >= range.start && task < range.stop;
  };
}

/**
 * The stage-1 tasks (stage index 0) whose intermediate chunks partition `index`'s stage-2 share
 * reads, per array index (only two-stage arrays appear).
 */
export function stageOneDependencies(arrays: readonly PartitionedArray[], stageTwo: StageShares, index: number): Map<number, Set<number>> {
  const needed = new Map<number, Set<number>>();
  arrays.forEach(({ plan }, a) => {
    if (plan.stages.length < 2) return;
    const [first, second] = [plan.stages[0]!, plan.stages[1]!];
    const { start, stop } = shareRange(stageTwo, a, second.tasks, index);
    // A stage-2 block overlaps a box of stage-1 blocks; many stage-2 blocks overlap the same box
    // (map chunks to time series: every one overlaps all of them), so each box is listed once.
    const boxes = new Map<string, { lo: number[]; hi: number[] }>();
    for (let t = start; t < stop; t++) {
      const region = taskAt(plan.shape, second, t);
      const lo = region.start.map((s, axis) => Math.floor(s / first.taskBlock[axis]!));
      const hi = region.stop.map((s, axis) => Math.ceil(s / first.taskBlock[axis]!));
      boxes.set(`${lo}|${hi}`, { lo, hi });
    }
    const set = new Set<number>();
    for (const { lo, hi } of boxes.values()) {
      const box: Region = { start: lo, stop: hi };
      for (const cell of cellsIn(box, lo.map(() => 1), first.taskGrid)) set.add(ravel(cell.coords, first.taskGrid));
    }
    if (set.size > 0) needed.set(a, set);
  });
  return needed;
}

/** Work not journalled yet, by the partition that owns it. */
export interface MissingWork {
  readonly partition: number;
  readonly stage: number;
  readonly tasks: number;
  readonly bytes: number;
}

/**
 * The tasks `isDone` does not accept, counted per (partition, stage), over the given tasks or, for
 * `only` null, every task of every stage. Sorted by partition, then stage.
 */
export function missingWork(
  arrays: readonly PartitionedArray[],
  shares: readonly StageShares[],
  isDone: (array: string, stage: number, task: number) => boolean,
  only: { readonly stage: number; readonly tasks: ReadonlyMap<number, ReadonlySet<number>> } | null = null,
): MissingWork[] {
  const found = new Map<string, { partition: number; stage: number; tasks: number; bytes: number }>();
  const note = (a: number, stage: number, task: number): void => {
    const { path, plan } = arrays[a]!;
    if (isDone(path, stage, task)) return;
    const partition = ownerOf(shares[stage]!, a, task);
    const key = `${partition}/${stage}`;
    let entry = found.get(key);
    if (entry === undefined) found.set(key, (entry = { partition, stage, tasks: 0, bytes: 0 }));
    entry.tasks++;
    entry.bytes += taskBytes(plan, stage, task);
  };
  if (only !== null) {
    for (const [a, tasks] of only.tasks) for (const task of tasks) note(a, only.stage, task);
  } else {
    arrays.forEach(({ plan }, a) => plan.stages.forEach((stage, s) => {
      for (let task = 0; task < stage.tasks; task++) note(a, s, task);
    }));
  }
  return [...found.values()].sort((x, y) => x.partition - y.partition || x.stage - y.stage);
}
