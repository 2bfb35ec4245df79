import { type AccessPattern, fullExtentAxes } from "./access.js";
import type { CostModel } from "./cost-model.js";
import { ceilDiv, product } from "./layout.js";
import { DASK_MEMORY_FRACTIONS, type MachineSpec, slots } from "./machine.js";
import { type ComputePrediction, type ModelArray, contiguousRuns, gcd } from "./predict.js";
import { DEFAULT_TIE_TOLERANCE, searchComputeChunks } from "./search.js";

/**
 * Published guidance for stored object sizes: roughly 1–16 MB compressed per chunk object for local
 * and object storage (Zarr docs: at least 1 MB; object stores: requests under ~512 KB are latency
 * bound, byte ranges of 8–16 MB are typical). Sharded Zarr v3: shards of ~100 MB–1 GB.
 */
export const OBJECT_SIZE_GUIDANCE = { minBytes: 1e6, maxBytes: 16e6 } as const;
export const SHARD_SIZE_GUIDANCE = { minBytes: 100e6, maxBytes: 1e9 } as const;

export type WorkloadUnit = "pass" | "read";

/** The predicted cost of the access pattern on one storage layout. */
export interface WorkloadCost {
  /** Storage chunks evaluated (null: contiguous). */
  readonly storageChunks: readonly number[] | null;
  /** `pass` for full/along/slice (the whole array once), `read` for point (one series). */
  readonly unit: WorkloadUnit;
  /** Predicted seconds per unit. */
  readonly seconds: number;
  /** For full/along/point: the best compute chunks on this layout (or the smallest allowed one when none fits). */
  readonly compute: ComputePrediction;
  /** False when no compute chunk aligned with this layout fits under the memory limit. */
  readonly feasible: boolean;
  /** Storage chunks touched by one access (slice: one index; point: one series; full/along: one task). */
  readonly chunksPerAccess: number;
  /** Bytes decoded per access over bytes the access uses. */
  readonly readAmplification: number;
  /** Stored chunk objects (before sharding). */
  readonly objectCount: number;
  /** Uncompressed bytes of one chunk. */
  readonly chunkBytes: number;
}

export interface WorkloadOptions {
  readonly memoryLimitFraction: number;
  readonly tieTolerance?: number;
}

/** `pass` or `read`: what a break-even count counts. */
export function workloadUnit(access: AccessPattern): WorkloadUnit {
  return access.kind === "point" ? "read" : "pass";
}

/**
 * Cost of the stated workload on a layout. full/along: the best aligned compute chunks' predicted
 * pass (what a Dask job on this layout would take). slice=D: one read per index along D, each
 * touching every chunk its slab crosses, spread over all threads. point=D: one read of a whole
 * series along D, its chunks read in parallel.
 */
export function workloadCost(array: ModelArray, access: AccessPattern, machine: MachineSpec, cost: CostModel, options: WorkloadOptions): WorkloadCost {
  const { shape, itemSize, storageChunks } = array;
  const search = searchComputeChunks(array, machine, cost, {
    fullAxes: fullExtentAxes(access),
    memoryLimitFraction: options.memoryLimitFraction,
    tieTolerance: options.tieTolerance ?? DEFAULT_TIE_TOLERANCE,
  });
  const compute = search.best ?? search.smallest;
  const chunkShape = storageChunks ?? shape;
  const chunkBytes = product(chunkShape) * itemSize;
  const objectCount = product(shape.map((n, axis) => (n === 0 ? 0 : ceilDiv(n, chunkShape[axis]!))));
  const base = { storageChunks, compute, feasible: search.best !== null, objectCount, chunkBytes };
  if (access.kind === "full" || access.kind === "along") {
    return {
      ...base,
      unit: "pass",
      seconds: compute.totalSeconds,
      chunksPerAccess: compute.tasks === 0 ? 0 : compute.storageReads / compute.tasks,
      readAmplification: compute.readAmplification,
    };
  }
  const region = shape.map((n, axis) => (axis === access.axis ? (access.kind === "slice" ? 1 : n) : access.kind === "slice" ? n : 1));
  const read = regionRead(array, region);
  const usedBytes = product(region) * itemSize;
  const threads = slots(machine);
  const readWork = read.chunks * cost.perChunkReadSeconds + read.bytes / cost.throughputBytesPerSecond;
  // slice: a pass is one read per index, the reads spread over every thread; point: one read, its chunks fetched in parallel.
  const seconds =
    access.kind === "slice"
      ? shape[access.axis]! * cost.perTaskOverheadSeconds + (shape[access.axis]! * readWork) / threads
      : cost.perTaskOverheadSeconds + readWork / Math.max(1, Math.min(threads, read.chunks));
  return {
    ...base,
    unit: workloadUnit(access),
    seconds,
    chunksPerAccess: read.chunks,
    readAmplification: usedBytes === 0 ? 1 : read.bytes / usedBytes,
  };
}

/** Storage chunks (or contiguous runs) and bytes decoded to read one region anchored at the origin. */
export function regionRead(array: ModelArray, region: readonly number[]): { chunks: number; bytes: number } {
  if (array.storageChunks === null) {
    return { chunks: contiguousRuns(array.shape, region), bytes: product(region) * array.itemSize };
  }
  const chunks = product(region.map((r, axis) => ceilDiv(r, array.storageChunks![axis]!)));
  return { chunks, bytes: chunks * product(array.storageChunks) * array.itemSize };
}

/** Spread `extent` evenly over the same number of chunks, so the edge chunk is as full as it can be. */
export function evenExtent(n: number, extent: number): number {
  const clipped = Math.max(1, Math.min(Math.round(extent), n));
  return ceilDiv(n, ceilDiv(n, clipped));
}

/**
 * Candidate stored chunk shapes for a workload: for every object size in the guidance band (1, 2,
 * 4, 8, 16 MB, compressed and uncompressed), the pattern's axes fixed (full
 * extent for along/point, a few small extents for the slice axis) and the other axes filled four
 * ways — balanced (equal extents, short axes whole, like Dask's auto), proportional to the array
 * (like netCDF's default), trailing axes first (C-order rows, like rechunker's consolidation), and
 * today's chunk scaled uniformly. Each extent is then evened out so no small edge chunk remains.
 */
export function storageCandidates(array: ModelArray, access: AccessPattern, compressionRatio: number): number[][] {
  const { shape, itemSize } = array;
  const rank = shape.length;
  if (rank === 0 || product(shape) === 0) return [];
  const ratio = Math.max(1, compressionRatio);
  // Object sizes in the band, compressed (converted with the ratio) and, when data compresses, also
  // uncompressed: a high ratio must not push chunks past what a task can hold.
  const bytes = [1e6, 2e6, 4e6, 8e6, 16e6].flatMap((size) => (ratio > 1 ? [size, size * ratio] : [size]));
  const sizes = [...new Set(bytes.map((size) => Math.max(1, Math.floor(size / itemSize))))].sort((a, b) => a - b);
  // Series reads (along, point) want the whole series in one chunk.
  const fixedFull = new Set(access.kind === "point" ? [access.axis] : fullExtentAxes(access));
  const sliceAxis = access.kind === "slice" ? access.axis : null;
  const sliceExtents = sliceAxis === null ? [null] : [1, 2, 4, 8, 16].filter((e) => e <= shape[sliceAxis]!);
  const out = new Map<string, number[]>();
  const add = (chunks: number[]) => {
    const even = chunks.map((c, axis) => evenExtent(shape[axis]!, c));
    out.set(even.join(","), even);
  };
  for (const elements of sizes) {
    if (elements >= product(shape)) {
      add([...shape]);
      continue;
    }
    for (const sliceExtent of sliceExtents) {
      const fixed = new Map<number, number>();
      let budget = elements;
      for (const axis of fixedFull) {
        const extent = Math.max(1, Math.min(shape[axis]!, Math.floor(budget)));
        fixed.set(axis, extent);
        budget = Math.max(1, budget / extent);
      }
      if (sliceAxis !== null && sliceExtent !== null) {
        fixed.set(sliceAxis, sliceExtent);
        budget = Math.max(1, budget / sliceExtent);
      }
      const free = shape.map((_, axis) => axis).filter((axis) => !fixed.has(axis));
      const compose = (fill: Map<number, number>) => shape.map((_, axis) => fixed.get(axis) ?? fill.get(axis) ?? 1);
      add(compose(balancedFill(shape, free, budget)));
      add(compose(proportionalFill(shape, free, budget)));
      add(compose(trailingFill(shape, free, budget)));
      if (array.storageChunks !== null) add(compose(scaledFill(shape, array.storageChunks, free, budget)));
    }
  }
  return [...out.values()];
}

/** Equal extents on the free axes; axes shorter than that are taken whole and the rest re-balanced. */
export function balancedFill(shape: readonly number[], free: readonly number[], elements: number): Map<number, number> {
  const fill = new Map<number, number>();
  let open = [...free];
  let budget = elements;
  for (;;) {
    if (open.length === 0) return fill;
    const edge = budget ** (1 / open.length);
    const short = open.filter((axis) => shape[axis]! <= edge);
    if (short.length === 0) {
      for (const axis of open) fill.set(axis, Math.max(1, Math.floor(edge)));
      return fill;
    }
    for (const axis of short) {
      fill.set(axis, shape[axis]!);
      budget = Math.max(1, budget / shape[axis]!);
    }
    open = open.filter((axis) => !short.includes(axis));
  }
}

/** Every free axis divided by the same factor. */
export function proportionalFill(shape: readonly number[], free: readonly number[], elements: number): Map<number, number> {
  const total = product(free.map((axis) => shape[axis]!));
  const factor = Math.min(1, (elements / total) ** (1 / Math.max(1, free.length)));
  return new Map(free.map((axis) => [axis, Math.max(1, Math.floor(shape[axis]! * factor))]));
}

/** Whole trailing axes while they fit, then a partial extent on the next one, 1 before it. */
export function trailingFill(shape: readonly number[], free: readonly number[], elements: number): Map<number, number> {
  const fill = new Map<number, number>();
  let budget = elements;
  for (const axis of [...free].sort((a, b) => b - a)) {
    const extent = Math.max(1, Math.min(shape[axis]!, Math.floor(budget)));
    fill.set(axis, extent);
    budget = Math.max(1, budget / extent);
  }
  return fill;
}

/** Today's chunk on the free axes, scaled by one factor to the budget. */
export function scaledFill(shape: readonly number[], current: readonly number[], free: readonly number[], elements: number): Map<number, number> {
  const now = product(free.map((axis) => current[axis]!));
  const factor = (elements / now) ** (1 / Math.max(1, free.length));
  return new Map(free.map((axis) => [axis, Math.max(1, Math.min(shape[axis]!, Math.floor(current[axis]! * factor)))]));
}

export interface RewriteCost {
  readonly seconds: number;
  /** 1 when a read block and a write block fit in a worker's memory together, else 2 (through an intermediate layout, as rechunker does). */
  readonly stages: number;
}

/**
 * One-off cost of rewriting the array from `from` to `to` storage chunks: read and decode every
 * stored chunk, encode and write every new one, spread over all threads; twice that when the
 * blocks that make a single-stage copy possible (per axis, the least common multiple of the two
 * chunk extents) do not fit in memory.
 */
export function rewriteCost(array: ModelArray, to: readonly number[], machine: MachineSpec, cost: CostModel): RewriteCost {
  const { shape, itemSize } = array;
  const from = array.storageChunks ?? shape;
  const logicalBytes = product(shape) * itemSize;
  const count = (chunks: readonly number[]) => product(shape.map((n, axis) => ceilDiv(n, chunks[axis]!)));
  const threads = slots(machine);
  const read = count(from) * cost.perChunkReadSeconds + logicalBytes / cost.throughputBytesPerSecond;
  const write = count(to) * cost.perChunkReadSeconds + logicalBytes / cost.throughputBytesPerSecond;
  const block = product(shape.map((n, axis) => Math.min(n, lcm(from[axis]!, to[axis]!)))) * itemSize;
  const perThread = (DASK_MEMORY_FRACTIONS.spill * machine.memoryPerWorkerBytes) / machine.threadsPerWorker;
  const stages = block * cost.workingMemoryFactor <= perThread ? 1 : 2;
  return { seconds: (stages * (read + write)) / threads, stages };
}

export function lcm(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}

/** Below this many objects, small chunk objects are not worth sharding. */
export const SHARDING_MIN_OBJECTS = 1000;

/**
 * Zarr v3 shard shape for `chunks`, when they would make too many objects (over `maxObjects`) or
 * many small ones (over SHARDING_MIN_OBJECTS objects under 1 MB compressed): whole multiples of the
 * chunk, grown by doubling the axis with the most shards left (lowest axis first on ties) until a
 * shard holds ~100 MB compressed and the count is under `maxObjects`, never past 1 GB or the
 * array's extent. Null when one chunk per object is fine.
 */
export function shardShape(shape: readonly number[], chunks: readonly number[], itemSize: number, compressionRatio: number, maxObjects: number): number[] | null {
  const ratio = Math.max(1, compressionRatio);
  const objectCount = (shard: readonly number[]) => product(shape.map((n, axis) => ceilDiv(n, shard[axis]!)));
  const compressed = (shard: readonly number[]) => (product(shard) * itemSize) / ratio;
  const count = objectCount(chunks);
  const tooSmall = compressed(chunks) < OBJECT_SIZE_GUIDANCE.minBytes && count > SHARDING_MIN_OBJECTS;
  if (!tooSmall && count <= maxObjects) return null;
  const limit = shape.map((n, axis) => ceilDiv(n, chunks[axis]!) * chunks[axis]!);
  let shard = [...chunks];
  while (compressed(shard) < SHARD_SIZE_GUIDANCE.minBytes || objectCount(shard) > maxObjects) {
    let axis = -1;
    let most = 1;
    shard.forEach((s, a) => {
      const left = ceilDiv(shape[a]!, s);
      if (left > most) {
        most = left;
        axis = a;
      }
    });
    if (axis < 0) break;
    const next = shard.map((s, a) => (a === axis ? Math.min(s * 2, limit[a]!) : s));
    if (compressed(next) > SHARD_SIZE_GUIDANCE.maxBytes) break;
    shard = next;
  }
  return shard.every((s, axis) => s === chunks[axis]) ? null : shard;
}
