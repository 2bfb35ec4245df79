import { describe, expect, it } from "vitest";
import { DEFAULT_COST_MODEL } from "../../src/model/cost-model.js";
import { memoryState } from "../../src/model/machine.js";
import { contiguousRuns, isAligned, predictCompute, readsAlongAxis } from "../../src/model/predict.js";
import { logInt, mulberry32 } from "../helpers/random.js";

/** Brute force: for each compute tile, count the storage chunks it overlaps. */
function bruteReads(n: number, s: number, c: number): number {
  let total = 0;
  for (let start = 0; start < n; start += c) {
    const stop = Math.min(n, start + c);
    total += Math.floor((stop - 1) / s) - Math.floor(start / s) + 1;
  }
  return total;
}

const machine = { workers: 2, threadsPerWorker: 2, memoryPerWorkerBytes: 4 * 2 ** 30 };

describe("readsAlongAxis", () => {
  it("matches a brute-force count on 2000 random axes", () => {
    const random = mulberry32(7);
    for (let i = 0; i < 2000; i++) {
      const n = logInt(random, 1, 5000);
      const s = logInt(random, 1, n);
      const c = logInt(random, 1, n);
      expect(readsAlongAxis(n, s, c), `n=${n} s=${s} c=${c}`).toBe(bruteReads(n, s, c));
    }
  });

  it("reads each storage chunk once when compute chunks are multiples", () => {
    expect(readsAlongAxis(100, 10, 30)).toBe(10);
    expect(readsAlongAxis(100, 10, 15)).toBe(13); // 7 tiles; boundaries at 15, 45, 75 split a chunk, 30 and 60 do not
  });
});

describe("contiguousRuns", () => {
  it("counts the rows a region spans in C order", () => {
    expect(contiguousRuns([50000, 20000], [1000, 1000])).toBe(1000);
    expect(contiguousRuns([50000, 20000], [1000, 20000])).toBe(1);
    expect(contiguousRuns([10, 20, 30], [4, 5, 30])).toBe(4);
    expect(contiguousRuns([10, 20, 30], [4, 20, 30])).toBe(1);
    expect(contiguousRuns([10, 20, 30], [4, 5, 6])).toBe(20);
  });
});

describe("predictCompute", () => {
  const array = { shape: [48, 73, 144], itemSize: 4, storageChunks: [1, 73, 144] };

  it("counts tasks, bytes and overhead for aligned chunks", () => {
    const p = predictCompute(array, [12, 73, 144], machine, DEFAULT_COST_MODEL);
    expect(p.tasks).toBe(4);
    expect(p.chunkBytes).toBe(12 * 73 * 144 * 4);
    expect(p.aligned).toBe(true);
    expect(p.storageReads).toBe(48);
    expect(p.readAmplification).toBeCloseTo(1, 12);
    expect(p.overheadSeconds).toBeCloseTo(4e-3, 12);
    expect(p.memoryPerWorkerBytes).toBe(2 * p.chunkBytes * 3);
    expect(p.spillSeconds).toBe(0);
    expect(p.memoryState).toBe("ok");
  });

  it("charges misaligned chunks for chunks decoded twice", () => {
    const stored = { shape: [100, 100], itemSize: 8, storageChunks: [10, 10] };
    const p = predictCompute(stored, [15, 100], machine, DEFAULT_COST_MODEL);
    expect(p.aligned).toBe(false);
    expect(p.storageReads).toBe(13 * 10);
    expect(p.readAmplification).toBeCloseTo(1.3, 12);
  });

  it("adds a spill penalty over Dask's spill threshold", () => {
    const big = { shape: [1000, 1000, 1000], itemSize: 8, storageChunks: [100, 1000, 1000] };
    const p = predictCompute(big, [100, 1000, 1000], { workers: 1, threadsPerWorker: 2, memoryPerWorkerBytes: 4 * 2 ** 30 }, DEFAULT_COST_MODEL);
    expect(p.memoryFraction).toBeGreaterThan(0.7);
    expect(p.spillSeconds).toBeGreaterThan(0);
  });

  it("names the Dask memory states at 60/70/80/95 %", () => {
    expect([0.5, 0.65, 0.75, 0.9, 0.99].map(memoryState)).toEqual(["ok", "target", "spill", "pause", "terminate"]);
  });

  it("treats a chunk reaching the array's end as aligned", () => {
    expect(isAligned([25], [10], [25])).toBe(true);
    expect(isAligned([25], [10], [20])).toBe(true);
    expect(isAligned([25], [10], [15])).toBe(false);
    expect(isAligned([25], null, [7])).toBe(true);
  });
});
