import { describe, expect, it } from "vitest";
import { isChunkwiseError } from "../../src/errors.js";
import { product } from "../../src/model/layout.js";
import {
  type PartitionedArray,
  jobShares,
  missingWork,
  ownerOf,
  parsePartition,
  shareRange,
  shareSelector,
  splitByWeight,
  stageOneDependencies,
  taskBytes,
} from "../../src/rechunk/partition.js";
import { type Region, planRechunk, taskAt } from "../../src/rechunk/plan.js";
import { mulberry32 } from "../helpers/random.js";

const int = (rand: () => number, lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));

describe("parsePartition", () => {
  it("takes I/N with 0 ≤ I < N", () => {
    expect(parsePartition("0/1")).toEqual({ index: 0, count: 1 });
    expect(parsePartition("15/16")).toEqual({ index: 15, count: 16 });
    expect(parsePartition(" 2 / 3 ")).toEqual({ index: 2, count: 3 });
  });
  it.each(["0/0", "3/3", "1/0", "a/b", "1", "-1/3", "1.5/3", "", "1/3/4", "200000/200001"])("refuses %j with a usage error", (text) => {
    let caught: unknown = null;
    try {
      parsePartition(text);
    } catch (err) {
      caught = err;
    }
    expect(isChunkwiseError(caught, "UsageError")).toBe(true);
    expect((caught as Error).message).toMatch(/--partition/);
  });
});

describe("splitByWeight (property)", () => {
  it("gives contiguous ranges covering every item once, each within one item of total/N", () => {
    const rand = mulberry32(7);
    for (let trial = 0; trial < 2000; trial++) {
      const n = int(rand, 0, 60);
      const count = int(rand, 1, 20);
      const shape = int(rand, 0, 3);
      const weights = Array.from({ length: n }, () => (shape === 0 ? 0 : shape === 1 ? 100 : int(rand, 0, 1000)));
      const bounds = splitByWeight(weights, count);
      expect(bounds.length).toBe(count + 1);
      expect(bounds[0]).toBe(0);
      expect(bounds[count]).toBe(n);
      for (let k = 0; k < count; k++) expect(bounds[k]!).toBeLessThanOrEqual(bounds[k + 1]!);
      const total = weights.reduce((s, w) => s + w, 0);
      const maxWeight = Math.max(0, ...weights);
      for (let k = 0; k < count; k++) {
        const share = weights.slice(bounds[k], bounds[k + 1]).reduce((s, w) => s + w, 0);
        if (total > 0) {
          expect(share).toBeLessThanOrEqual(total / count + maxWeight + 1e-9);
          expect(share).toBeGreaterThanOrEqual(total / count - maxWeight - 1e-9);
        } else {
          const items = bounds[k + 1]! - bounds[k]!;
          expect(Math.abs(items - n / count)).toBeLessThanOrEqual(1);
        }
      }
      // Deterministic: the same input gives the same cut.
      expect(splitByWeight(weights, count)).toEqual(bounds);
    }
  });

  it("balances by bytes, not by count: one heavy item gets a share of its own", () => {
    const bounds = splitByWeight([1, 1, 1, 1, 96], 2);
    expect(bounds).toEqual([0, 4, 5]);
  });
});

function randomJob(rand: () => number): PartitionedArray[] {
  const arrays: PartitionedArray[] = [];
  const count = int(rand, 1, 3);
  for (let a = 0; a < count; a++) {
    const ndim = int(rand, 1, 3);
    const shape = Array.from({ length: ndim }, () => int(rand, 1, 40));
    const sourceChunks = shape.map((n) => int(rand, 1, n));
    const targetUnits = shape.map((n) => int(rand, 1, n));
    const itemSize = [1, 4, 8][int(rand, 0, 2)]!;
    const largest = Math.max(product(sourceChunks), product(targetUnits)) * itemSize;
    // Between "barely fits two stages" and "fits one": both kinds of plan appear.
    const maxMemBytes = Math.floor(largest * (6 + rand() * 24)) * 2;
    const plan = planRechunk({ shape, itemSize, sourceChunks, targetUnits, maxMemBytes, threads: 2 });
    arrays.push({ path: `/a${a}`, plan });
  }
  return arrays;
}

const overlaps = (x: Region, y: Region): boolean => x.start.every((s, axis) => s < y.stop[axis]! && y.start[axis]! < x.stop[axis]!);

describe("shares of a job (property)", () => {
  it("every task of every stage belongs to exactly one partition, shares are balanced by bytes, and the selector agrees", () => {
    const rand = mulberry32(11);
    let twoStage = 0;
    for (let trial = 0; trial < 300; trial++) {
      const arrays = randomJob(rand);
      if (arrays.some((a) => a.plan.stages.length === 2)) twoStage++;
      const count = int(rand, 1, 7);
      const shares = jobShares(arrays, count);
      const selectors = Array.from({ length: count }, (_, index) => shareSelector(arrays, shares, { index, count }, new Set([0, 1])));
      shares.forEach((stage, s) => {
        const perPartition = new Array<number>(count).fill(0);
        let maxTask = 0;
        arrays.forEach(({ path, plan }, a) => {
          if (s >= plan.stages.length) return;
          for (let t = 0; t < plan.stages[s]!.tasks; t++) {
            const owners = selectors.map((select, k) => (select(path, s, t) ? k : -1)).filter((k) => k >= 0);
            expect(owners).toEqual([ownerOf(stage, a, t)]);
            const bytes = taskBytes(plan, s, t);
            perPartition[owners[0]!]! += bytes;
            maxTask = Math.max(maxTask, bytes);
          }
        });
        expect(perPartition).toEqual(stage.bytes);
        const total = perPartition.reduce((x, y) => x + y, 0);
        for (const bytes of perPartition) expect(Math.abs(bytes - total / count)).toBeLessThanOrEqual(maxTask + 1e-6);
      });
    }
    expect(twoStage).toBeGreaterThan(10);
  });

  it("stage-1 dependencies are exactly the stage-1 blocks a partition's stage-2 blocks overlap", () => {
    const rand = mulberry32(5);
    let checked = 0;
    for (let trial = 0; trial < 300 && checked < 60; trial++) {
      const arrays = randomJob(rand).filter((a) => a.plan.stages.length === 2);
      if (arrays.length === 0) continue;
      checked++;
      const count = int(rand, 1, 5);
      const shares = jobShares(arrays, count);
      for (let index = 0; index < count; index++) {
        const needed = stageOneDependencies(arrays, shares[1]!, index);
        arrays.forEach(({ plan }, a) => {
          const [first, second] = [plan.stages[0]!, plan.stages[1]!];
          const { start, stop } = shareRange(shares[1]!, a, second.tasks, index);
          const expected = new Set<number>();
          for (let t = 0; t < first.tasks; t++) {
            const block = taskAt(plan.shape, first, t);
            for (let u = start; u < stop; u++) if (overlaps(block, taskAt(plan.shape, second, u))) expected.add(t);
          }
          expect([...(needed.get(a) ?? [])].sort((x, y) => x - y)).toEqual([...expected].sort((x, y) => x - y));
        });
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it("missing work is counted by the partition that owns it", () => {
    const plan = planRechunk({ shape: [10, 10], itemSize: 4, sourceChunks: [1, 10], targetUnits: [10, 1], maxMemBytes: 10_000, threads: 1 });
    const arrays = [{ path: "/x", plan }];
    const shares = jobShares(arrays, 3);
    const tasks = plan.stages[0]!.tasks;
    const done = (_: string, stage: number, task: number): boolean => stage === 0 && ownerOf(shares[0]!, 0, task) !== 1;
    const missing = missingWork(arrays, shares, done);
    const partitionOne = Array.from({ length: tasks }, (_, t) => t).filter((t) => ownerOf(shares[0]!, 0, t) === 1);
    expect(missing.filter((m) => m.stage === 0)).toEqual([{ partition: 1, stage: 0, tasks: partitionOne.length, bytes: partitionOne.reduce((s, t) => s + taskBytes(plan, 0, t), 0) }]);
    expect(missingWork(arrays, shares, () => true)).toEqual([]);
  });
});
