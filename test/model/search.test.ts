import { describe, expect, it } from "vitest";
import { DEFAULT_COST_MODEL } from "../../src/model/cost-model.js";
import type { MachineSpec } from "../../src/model/machine.js";
import { type ModelArray, predictCompute } from "../../src/model/predict.js";
import { divisorsBetween, geometricMultiples, hasTinyEdge, searchComputeChunks } from "../../src/model/search.js";
import { logInt, mulberry32, pick } from "../helpers/random.js";

interface Case {
  readonly array: ModelArray;
  readonly machine: MachineSpec;
  readonly fullAxes: number[];
}

/** Random arrays of rank 1–6 with storage chunks (sometimes contiguous), random clusters and patterns. */
function randomCase(random: () => number): Case {
  const rank = logInt(random, 1, 6);
  const shape = Array.from({ length: rank }, () => logInt(random, 1, rank > 3 ? 200 : 20000));
  const contiguous = random() < 0.1;
  const storageChunks = contiguous ? null : shape.map((n) => logInt(random, 1, n));
  const itemSize = pick(random, [1, 2, 4, 8]);
  const machine = {
    workers: logInt(random, 1, 16),
    threadsPerWorker: logInt(random, 1, 8),
    memoryPerWorkerBytes: logInt(random, 2 ** 20, 2 ** 36),
  };
  const fullAxes = shape.map((_, axis) => axis).filter(() => random() < 0.25);
  return { array: { shape, itemSize, storageChunks }, machine, fullAxes };
}

const LIMIT = 0.7;

describe("searchComputeChunks properties (600 random cases)", () => {
  const random = mulberry32(20261125);
  const cases = Array.from({ length: 600 }, () => randomCase(random));

  it("chooses whole multiples of the storage chunks on every axis, full extent on the pattern's axes", () => {
    for (const c of cases) {
      const result = searchComputeChunks(c.array, c.machine, DEFAULT_COST_MODEL, { fullAxes: c.fullAxes, memoryLimitFraction: LIMIT });
      if (result.best === null) continue;
      result.best.chunks.forEach((chunk, axis) => {
        const n = c.array.shape[axis]!;
        const s = c.array.storageChunks?.[axis] ?? 1;
        expect(chunk % Math.min(s, n) === 0 || chunk === n, JSON.stringify(c)).toBe(true);
        if (c.fullAxes.includes(axis)) expect(chunk).toBe(n);
      });
      expect(result.best.aligned).toBe(true);
    }
  });

  it("never exceeds the spill threshold when a feasible shape exists, and finds one whenever the smallest shape fits", () => {
    let feasible = 0;
    let infeasible = 0;
    for (const c of cases) {
      const result = searchComputeChunks(c.array, c.machine, DEFAULT_COST_MODEL, { fullAxes: c.fullAxes, memoryLimitFraction: LIMIT });
      const smallestFits = result.smallest.memoryPerWorkerBytes <= LIMIT * c.machine.memoryPerWorkerBytes;
      expect(result.best !== null, JSON.stringify(c)).toBe(smallestFits);
      if (result.best) {
        feasible++;
        expect(result.best.memoryFraction).toBeLessThanOrEqual(LIMIT);
      } else infeasible++;
    }
    // The generator covers both outcomes.
    expect(feasible).toBeGreaterThan(100);
    expect(infeasible).toBeGreaterThan(10);
  });

  it("is never slower than one task per storage chunk (beyond the tie tolerance) when that fits", () => {
    for (const c of cases) {
      if (c.fullAxes.length > 0 || c.array.storageChunks === null) continue;
      const result = searchComputeChunks(c.array, c.machine, DEFAULT_COST_MODEL, { fullAxes: [], memoryLimitFraction: LIMIT });
      const baseline = predictCompute(c.array, c.array.storageChunks, c.machine, DEFAULT_COST_MODEL);
      if (result.best === null || baseline.memoryFraction > LIMIT) continue;
      expect(result.best.totalSeconds).toBeLessThanOrEqual(baseline.totalSeconds * 1.02 + 1e-12);
    }
  });

  it("is deterministic", () => {
    for (const c of cases.slice(0, 100)) {
      const a = searchComputeChunks(c.array, c.machine, DEFAULT_COST_MODEL, { fullAxes: c.fullAxes, memoryLimitFraction: LIMIT });
      const b = searchComputeChunks(c.array, c.machine, DEFAULT_COST_MODEL, { fullAxes: c.fullAxes, memoryLimitFraction: LIMIT });
      expect(a.best?.chunks).toEqual(b.best?.chunks);
    }
  });
});

describe("predicted overhead share and memory as chunks grow (400 random chains)", () => {
  it("overhead share falls and memory per worker rises when a compute chunk doubles along an axis", () => {
    const random = mulberry32(99);
    for (let i = 0; i < 400; i++) {
      const c = randomCase(random);
      if (c.array.storageChunks === null) continue;
      const axis = Math.floor(random() * c.array.shape.length);
      const n = c.array.shape[axis]!;
      let chunks = c.array.storageChunks.map((s, a) => Math.min(s, c.array.shape[a]!));
      // Keep enough tasks that every thread stays busy, so memory counts all threads.
      let previous = predictCompute(c.array, chunks, c.machine, DEFAULT_COST_MODEL);
      while (chunks[axis]! < n) {
        chunks = chunks.map((x, a) => (a === axis ? Math.min(n, x * 2) : x));
        const next = predictCompute(c.array, chunks, c.machine, DEFAULT_COST_MODEL);
        expect(next.overheadShare, JSON.stringify({ c, chunks })).toBeLessThanOrEqual(previous.overheadShare + 1e-12);
        expect(next.chunkBytes).toBeGreaterThanOrEqual(previous.chunkBytes);
        if (next.tasks >= c.machine.workers * c.machine.threadsPerWorker) {
          expect(next.memoryPerWorkerBytes).toBeGreaterThanOrEqual(previous.memoryPerWorkerBytes);
        }
        previous = next;
      }
    }
  });
});

describe("search on known arrays", () => {
  const machine = { workers: 4, threadsPerWorker: 2, memoryPerWorkerBytes: 16 * 2 ** 30 };

  it("spans all of time for along=time on map chunks, in whole maps", () => {
    const array = { shape: [8760, 721, 1440], itemSize: 4, storageChunks: [8760, 21, 21] };
    const result = searchComputeChunks(array, machine, DEFAULT_COST_MODEL, { fullAxes: [0], memoryLimitFraction: LIMIT });
    expect(result.best!.chunks[0]).toBe(8760);
    expect(result.best!.chunks[1]! % 21 === 0 || result.best!.chunks[1] === 721).toBe(true);
  });

  it("reports no feasible shape when the smallest allowed chunk is over memory", () => {
    const array = { shape: [8760, 721, 1440], itemSize: 4, storageChunks: [1, 721, 1440] };
    const result = searchComputeChunks(array, machine, DEFAULT_COST_MODEL, { fullAxes: [0], memoryLimitFraction: LIMIT });
    expect(result.best).toBeNull();
    expect(result.smallest.chunks).toEqual([8760, 721, 1440]);
  });

  it("handles 6-D arrays with fine storage chunks by a greedy walk", () => {
    const array = { shape: [100, 50, 60, 70, 80, 90], itemSize: 4, storageChunks: [1, 5, 6, 7, 8, 9] };
    const result = searchComputeChunks(array, machine, DEFAULT_COST_MODEL, { fullAxes: [], memoryLimitFraction: LIMIT });
    expect(result.method).toBe("greedy");
    expect(result.evaluated).toBeLessThan(2000);
    expect(result.best!.tasks).toBeLessThan(100_000);
    expect(result.best!.overheadShare).toBeLessThan(0.05);
  });

  it("avoids tiny edge tiles among equally fast shapes", () => {
    // 8 GB in rows of 10: many shapes predict within 2 % of each other; 1000 rows is 100 storage chunks, not a power of two.
    const array = { shape: [100_000, 10_000], itemSize: 8, storageChunks: [10, 10_000] };
    const result = searchComputeChunks(array, machine, DEFAULT_COST_MODEL, { fullAxes: [], memoryLimitFraction: LIMIT });
    expect(hasTinyEdge(array.shape, result.best!.chunks)).toBe(false);
  });
});

describe("helpers", () => {
  it("lists geometric multiples, divisors and tiny edges", () => {
    expect(geometricMultiples(10)).toEqual([1, 2, 4, 8, 10]);
    expect(geometricMultiples(1)).toEqual([1]);
    expect(divisorsBetween(48, 4, 16)).toEqual([4, 6, 8, 12, 16]);
    expect(hasTinyEdge([100], [30])).toBe(true);
    expect(hasTinyEdge([100], [25])).toBe(false);
    expect(hasTinyEdge([100], [60])).toBe(false);
  });
});
