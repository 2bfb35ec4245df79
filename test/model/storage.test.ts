import { describe, expect, it } from "vitest";
import { DEFAULT_COST_MODEL } from "../../src/model/cost-model.js";
import { product } from "../../src/model/layout.js";
import {
  balancedFill,
  evenExtent,
  regionRead,
  rewriteCost,
  shardShape,
  storageCandidates,
  trailingFill,
  workloadCost,
} from "../../src/model/storage.js";
import { logInt, mulberry32 } from "../helpers/random.js";

const machine = { workers: 4, threadsPerWorker: 2, memoryPerWorkerBytes: 16 * 2 ** 30 };
const era = { shape: [8760, 721, 1440], itemSize: 4, storageChunks: [1, 721, 1440] };
const options = { memoryLimitFraction: 0.7 };

describe("workloadCost", () => {
  it("slice reads of map chunks decode exactly one map; point reads decode every map", () => {
    const slice = workloadCost(era, { kind: "slice", axis: 0 }, machine, DEFAULT_COST_MODEL, options);
    expect(slice.unit).toBe("pass");
    expect(slice.chunksPerAccess).toBe(1);
    expect(slice.readAmplification).toBe(1);
    const point = workloadCost(era, { kind: "point", axis: 0 }, machine, DEFAULT_COST_MODEL, options);
    expect(point.unit).toBe("read");
    expect(point.chunksPerAccess).toBe(8760);
    expect(point.readAmplification).toBe(721 * 1440);
  });

  it("along=time on map chunks has no feasible compute chunk in 16 GiB workers; on series chunks it has", () => {
    expect(workloadCost(era, { kind: "along", axes: [0] }, machine, DEFAULT_COST_MODEL, options).feasible).toBe(false);
    const series = { ...era, storageChunks: [8760, 21, 21] };
    const cost = workloadCost(series, { kind: "along", axes: [0] }, machine, DEFAULT_COST_MODEL, options);
    expect(cost.feasible).toBe(true);
    expect(cost.compute.chunks[0]).toBe(8760);
  });

  it("contiguous reads cost one run per row they do not span", () => {
    const contiguous = { shape: [50000, 20000], itemSize: 8, storageChunks: null };
    expect(regionRead(contiguous, [50000, 1])).toEqual({ chunks: 50000, bytes: 50000 * 8 });
    expect(regionRead(contiguous, [1, 20000])).toEqual({ chunks: 1, bytes: 20000 * 8 });
  });
});

describe("storageCandidates", () => {
  it("fixes the series axis whole for along and point, and tries small slice extents", () => {
    for (const chunks of storageCandidates(era, { kind: "along", axes: [0] }, 1)) expect(chunks[0]).toBe(8760);
    for (const chunks of storageCandidates(era, { kind: "point", axis: 0 }, 1)) expect(chunks[0]).toBe(8760);
    const slices = storageCandidates(era, { kind: "slice", axis: 0 }, 1).map((c) => c[0]);
    expect(new Set(slices)).toEqual(new Set([1, 2, 4, 8, 16]));
  });

  it("stays within the array, leaves no small edge chunk, and sizes objects near the 1–16 MB band (300 random arrays)", () => {
    const random = mulberry32(5);
    for (let i = 0; i < 300; i++) {
      const rank = logInt(random, 1, 4);
      const shape = Array.from({ length: rank }, () => logInt(random, 1, 5000));
      const array = { shape, itemSize: 4, storageChunks: shape.map((n) => logInt(random, 1, n)) };
      for (const chunks of storageCandidates(array, { kind: "full" }, 1)) {
        chunks.forEach((c, axis) => {
          expect(c).toBeGreaterThanOrEqual(1);
          expect(c).toBeLessThanOrEqual(shape[axis]!);
          const n = shape[axis]!;
          const edge = n - (Math.ceil(n / c) - 1) * c;
          // evenExtent spreads the axis over the same number of chunks: the edge is within one element per chunk of a full one
          expect(edge).toBeGreaterThanOrEqual(c - Math.ceil(n / c));
        });
        expect(product(chunks) * 4).toBeLessThanOrEqual(Math.max(16e6, product(shape) * 4) * 1.0001);
      }
    }
  });

  it("fills free axes balanced or trailing-first", () => {
    expect([...balancedFill([10, 1000, 1000], [0, 1, 2], 10_000).entries()]).toEqual([
      [0, 10],
      [1, 31],
      [2, 31],
    ]);
    expect([...trailingFill([10, 1000, 1000], [0, 1, 2], 10_000).entries()].sort()).toEqual([
      [0, 1],
      [1, 10],
      [2, 1000],
    ]);
    expect(evenExtent(73, 40)).toBe(37);
    expect(evenExtent(48, 30)).toBe(24);
    expect(evenExtent(100, 500)).toBe(100);
  });
});

describe("rewriteCost and shardShape", () => {
  it("needs two stages when a single-stage block does not fit in memory", () => {
    const one = rewriteCost(era, [8760, 21, 21], machine, DEFAULT_COST_MODEL);
    expect(one.stages).toBe(2);
    const small = rewriteCost({ shape: [48, 73, 144], itemSize: 4, storageChunks: [1, 73, 144] }, [48, 37, 144], machine, DEFAULT_COST_MODEL);
    expect(small.stages).toBe(1);
    expect(small.seconds).toBeGreaterThan(0);
  });

  it("shards many small chunks into 100 MB–1 GB objects made of whole chunks, and leaves big chunks alone", () => {
    const shard = shardShape([8760, 721, 1440], [8760, 3, 7], 4, 1, 100_000)!;
    expect(shard).not.toBeNull();
    shard.forEach((s, axis) => expect(s % [8760, 3, 7][axis]!).toBe(0));
    const bytes = product(shard) * 4;
    expect(bytes).toBeGreaterThanOrEqual(100e6);
    expect(bytes).toBeLessThanOrEqual(1e9);
    expect(shardShape([8760, 721, 1440], [8760, 21, 21], 4, 1, 100_000)).toBeNull();
    expect(shardShape([100], [10], 4, 1, 100_000)).toBeNull();
  });
});
