import type { CostModel } from "./cost-model.js";
import { ceilDiv, product } from "./layout.js";
import type { MachineSpec } from "./machine.js";
import { type ComputePrediction, type ModelArray, predictCompute } from "./predict.js";

export interface ComputeSearchOptions {
  /** Axes every compute chunk must span fully (the access pattern's `along`/`point` axes). */
  readonly fullAxes: readonly number[];
  /** Memory per worker the chosen chunks must stay at or under, as a fraction of the worker's memory (Dask's spill threshold: 0.7). */
  readonly memoryLimitFraction: number;
  /** Shapes predicted within this relative distance of the fastest count as equally fast; among them the one using least memory wins. */
  readonly tieTolerance?: number;
}

export interface ComputeSearchResult {
  /** The chosen compute chunks: fastest under the memory limit (null when no aligned shape fits). */
  readonly best: ComputePrediction | null;
  /** The smallest shape the pattern allows (one storage chunk per axis, full extent where required). */
  readonly smallest: ComputePrediction;
  /** Shapes evaluated. */
  readonly evaluated: number;
  readonly method: "exhaustive" | "greedy";
}

export const DEFAULT_TIE_TOLERANCE = 0.02;

/** Beyond this many geometric combinations the search walks a greedy path instead of enumerating. */
const EXHAUSTIVE_LIMIT = 4_000;

/** The unit a compute chunk is a multiple of along each axis: the storage chunk (1 for contiguous data). */
export function computeUnits(array: ModelArray): number[] {
  return array.shape.map((n, axis) => Math.max(1, Math.min(array.storageChunks?.[axis] ?? 1, n)));
}

/** 1, 2, 4, … below `count`, then `count` itself. */
export function geometricMultiples(count: number): number[] {
  const out: number[] = [];
  for (let m = 1; m < count; m *= 2) out.push(m);
  out.push(Math.max(count, 1));
  return out;
}

/** Divisors of `value` between `low` and `high` inclusive, ascending. */
export function divisorsBetween(value: number, low: number, high: number): number[] {
  const out = new Set<number>();
  for (let d = 1; d * d <= value; d++) {
    if (value % d !== 0) continue;
    for (const x of [d, value / d]) if (x >= low && x <= high) out.add(x);
  }
  return [...out].sort((a, b) => a - b);
}

/** A compute tile whose last tile along some axis is under half a tile: a small task that costs a full task's overhead. */
export function hasTinyEdge(shape: readonly number[], chunks: readonly number[]): boolean {
  return shape.some((n, axis) => {
    const c = chunks[axis]!;
    const edge = n - (ceilDiv(n, c) - 1) * c;
    return n > 0 && edge < c / 2;
  });
}

interface Candidate {
  readonly prediction: ComputePrediction;
  readonly tinyEdge: boolean;
}

/**
 * The selection rule, as a total order: feasible shapes only; predicted time within the tie
 * tolerance of the fastest; then no tiny edge tile; then least memory per worker; then fewer tasks;
 * then the chunk shape itself, so the answer is deterministic.
 */
function choose(candidates: readonly Candidate[], tolerance: number): Candidate | null {
  if (candidates.length === 0) return null;
  const fastest = candidates.reduce((min, c) => Math.min(min, c.prediction.totalSeconds), Number.POSITIVE_INFINITY);
  const ties = candidates.filter((c) => c.prediction.totalSeconds <= fastest * (1 + tolerance) + 1e-12);
  const pool = ties.some((c) => !c.tinyEdge) ? ties.filter((c) => !c.tinyEdge) : ties;
  return pool.reduce((best, c) => (compareCandidates(c, best) < 0 ? c : best));
}

function compareCandidates(a: Candidate, b: Candidate): number {
  const pa = a.prediction;
  const pb = b.prediction;
  if (pa.memoryPerWorkerBytes !== pb.memoryPerWorkerBytes) return pa.memoryPerWorkerBytes - pb.memoryPerWorkerBytes;
  if (pa.tasks !== pb.tasks) return pa.tasks - pb.tasks;
  for (let axis = 0; axis < pa.chunks.length; axis++) {
    if (pa.chunks[axis] !== pb.chunks[axis]) return pa.chunks[axis]! - pb.chunks[axis]!;
  }
  return 0;
}

/**
 * Search compute chunk shapes that are whole multiples of the storage chunks (full extent along
 * the pattern's axes) and pick the fastest predicted one whose memory per worker stays under the
 * limit. Small spaces are enumerated over geometric multiples (1, 2, 4, … storage chunks and the full
 * extent per axis), pruned by memory; large ones (high rank, fine storage chunks) follow a greedy
 * path that doubles, at each step, the axis that lowers predicted time most. Either way the winner
 * is then refined with exact divisors of the chunk grid (no small edge task).
 */
export function searchComputeChunks(array: ModelArray, machine: MachineSpec, cost: CostModel, options: ComputeSearchOptions): ComputeSearchResult {
  const tolerance = options.tieTolerance ?? DEFAULT_TIE_TOLERANCE;
  const units = computeUnits(array);
  const grid = array.shape.map((n, axis) => (n === 0 ? 1 : ceilDiv(n, units[axis]!)));
  const full = new Set(options.fullAxes);
  const memoryLimit = options.memoryLimitFraction * machine.memoryPerWorkerBytes;
  const byteLimit = memoryLimit / cost.workingMemoryFactor; // at least one busy thread holds one chunk
  const seen = new Map<string, Candidate>();
  const evaluate = (multiples: readonly number[]): Candidate => {
    const key = multiples.join(",");
    const known = seen.get(key);
    if (known) return known;
    const chunks = multiples.map((m, axis) => Math.min(m * units[axis]!, array.shape[axis]!) || 1);
    const prediction = predictCompute(array, chunks, machine, cost);
    const candidate = { prediction, tinyEdge: hasTinyEdge(array.shape, prediction.chunks) };
    seen.set(key, candidate);
    return candidate;
  };
  const feasible = (c: Candidate) => c.prediction.memoryPerWorkerBytes <= memoryLimit;

  const minimal = grid.map((g, axis) => (full.has(axis) ? g : 1));
  const smallest = evaluate(minimal);
  const axisOptions = grid.map((g, axis) => (full.has(axis) ? [g] : geometricMultiples(g)));
  const combinations = axisOptions.reduce((n, options_) => n * options_.length, 1);
  const method = combinations <= EXHAUSTIVE_LIMIT ? "exhaustive" : "greedy";
  const pool: Candidate[] = [];
  if (!feasible(smallest)) {
    return { best: null, smallest: smallest.prediction, evaluated: seen.size, method };
  }
  if (method === "exhaustive") {
    const multiples = new Array<number>(grid.length).fill(1);
    const walk = (axis: number, elements: number) => {
      if (elements * array.itemSize > byteLimit) return;
      if (axis === grid.length) {
        const candidate = evaluate(multiples);
        if (feasible(candidate)) pool.push(candidate);
        return;
      }
      for (const m of axisOptions[axis]!) {
        multiples[axis] = m;
        walk(axis + 1, elements * (Math.min(m * units[axis]!, array.shape[axis]!) || 1));
      }
    };
    walk(0, 1);
  } else {
    let current = minimal;
    pool.push(smallest);
    for (;;) {
      let next: { multiples: number[]; candidate: Candidate } | null = null;
      for (let axis = 0; axis < grid.length; axis++) {
        if (full.has(axis) || current[axis]! >= grid[axis]!) continue;
        const multiples = current.map((m, a) => (a === axis ? Math.min(m * 2, grid[a]!) : m));
        const candidate = evaluate(multiples);
        if (!feasible(candidate)) continue;
        if (next === null || candidate.prediction.totalSeconds < next.candidate.prediction.totalSeconds) next = { multiples, candidate };
      }
      if (next === null) break;
      pool.push(next.candidate);
      current = next.multiples;
    }
  }

  // Refine: exact divisors of the grid near the winner's multiple on each free axis.
  let winner = choose(pool, tolerance)!;
  for (let round = 0; round < 3; round++) {
    const multiples = winner.prediction.chunks.map((c, axis) => Math.ceil(c / units[axis]!));
    for (let axis = 0; axis < grid.length; axis++) {
      if (full.has(axis)) continue;
      const m = multiples[axis]!;
      for (const d of divisorsBetween(grid[axis]!, Math.max(1, Math.floor(m / 2)), m * 2)) {
        const candidate = evaluate(multiples.map((x, a) => (a === axis ? d : x)));
        if (feasible(candidate)) pool.push(candidate);
      }
    }
    const next = choose(pool, tolerance)!;
    if (next === winner) break;
    winner = next;
  }
  return { best: winner.prediction, smallest: smallest.prediction, evaluated: seen.size, method };
}

/** Bytes of the smallest compute chunk the pattern allows: what memory must hold at least. */
export function smallestChunkBytes(array: ModelArray, fullAxes: readonly number[]): number {
  const units = computeUnits(array);
  const full = new Set(fullAxes);
  return product(array.shape.map((n, axis) => (full.has(axis) ? n : units[axis]!))) * array.itemSize;
}
