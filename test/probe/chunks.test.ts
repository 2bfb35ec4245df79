import { describe, expect, it } from "vitest";
import { candidateChunks, regionSize, sampleRegions } from "../../src/probe/chunks.js";
import { chunkRange, overheadShare, recommendChunk } from "../../src/probe/recommend.js";
import { parseDuration } from "../../src/probe/duration.js";

describe("candidateChunks", () => {
  it("doubles whole storage chunks axis by axis, clipped to the array, up to the byte cap", () => {
    expect(candidateChunks([48, 73, 144], [1, 73, 144], 4, Infinity)).toEqual([
      [1, 73, 144],
      [2, 73, 144],
      [4, 73, 144],
      [8, 73, 144],
      [16, 73, 144],
      [32, 73, 144],
      [48, 73, 144],
    ]);
    expect(candidateChunks([100, 100], [10, 10], 8, 8 * 400)).toEqual([
      [10, 10],
      [20, 10],
      [20, 20],
    ]);
  });

  it("every candidate is a multiple of the storage chunk or the whole extent", () => {
    for (const c of candidateChunks([1000, 37, 5], [7, 4, 5], 2, Infinity)) {
      c.forEach((v, a) => expect(v % [7, 4, 5][a]! === 0 || v === [1000, 37, 5][a]).toBe(true));
    }
  });
});

describe("sampleRegions", () => {
  it("spreads whole regions over the grid, inside the array", () => {
    const regions = sampleRegions([48, 73, 144], [4, 73, 144], 5);
    expect(regions).toHaveLength(5);
    expect(new Set(regions.map((r) => r.start[0])).size).toBe(5);
    for (const r of regions) {
      expect(regionSize(r)).toBe(4 * 73 * 144);
      r.stop.forEach((s, a) => expect(s).toBeLessThanOrEqual([48, 73, 144][a]!));
    }
  });

  it("falls back to edge regions only when whole ones run out", () => {
    const regions = sampleRegions([10], [4], 3);
    expect(regions.map((r) => [r.start[0], r.stop[0]])).toEqual([
      [0, 4],
      [4, 8],
      [8, 10],
    ]);
  });
});

describe("chunk range and recommendation", () => {
  const input = { overheadSeconds: 1e-4, fixedSeconds: 9e-4, secondsPerByte: 1e-8, threads: 2, memoryLimitBytes: 1e9, workingMemoryFactor: 3, maxOverheadShare: 0.1, spillFraction: 0.6 };

  it("lower bound: fixed costs are 10 % of the task there; upper bound: threads × factor × bytes = 60 % of memory", () => {
    const range = chunkRange(input);
    expect(overheadShare(input, range.minBytes)).toBeCloseTo(0.1, 12);
    expect(range.maxBytes * 2 * 3).toBeCloseTo(0.6e9, 3);
  });

  it("recommends the smallest candidate inside the range", () => {
    const range = chunkRange(input); // 900 kB … 100 MB
    const rec = recommendChunk([[1000], [10000], [100000], [1000000]], 8, range); // 8 kB, 80 kB, 800 kB, 8 MB
    expect(rec.chunks).toEqual([1000000]);
    expect(rec.bytes).toBeGreaterThanOrEqual(range.minBytes);
  });

  it("when memory forbids the overhead target, the largest chunk that fits memory", () => {
    const rec = recommendChunk([[10], [100], [1000]], 8, { minBytes: 1e6, maxBytes: 900 });
    expect(rec.chunks).toEqual([100]);
    expect(rec.reason).toMatch(/largest that stays under the spill threshold/);
  });

  it("when the whole array is under the range, the whole array", () => {
    const rec = recommendChunk([[10], [20]], 8, { minBytes: 1e6, maxBytes: 1e9 });
    expect(rec.chunks).toEqual([20]);
    expect(rec.reason).toMatch(/whole array/);
  });
});

describe("parseDuration", () => {
  it("reads ms, s, m, h and bare seconds", () => {
    expect(parseDuration("20s")).toBe(20);
    expect(parseDuration("500ms")).toBe(0.5);
    expect(parseDuration("2m")).toBe(120);
    expect(parseDuration("1.5min")).toBe(90);
    expect(parseDuration("7")).toBe(7);
  });
  it("refuses nonsense with a usage error", () => {
    expect(() => parseDuration("fast", "--budget")).toThrow(/invalid --budget "fast"/);
    expect(() => parseDuration("0s")).toThrow(/greater than zero/);
  });
});
