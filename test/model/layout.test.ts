import { describe, expect, it } from "vitest";
import { chunkLayout, compressionRatio, gridShape } from "../../src/model/layout.js";

describe("chunkLayout", () => {
  it("counts chunks, bytes and edge waste of a map-chunked cube", () => {
    const layout = chunkLayout({ shape: [48, 73, 144], itemSize: 4, chunks: [1, 73, 144] });
    expect(layout).toMatchObject({ gridShape: [48, 1, 1], chunkCount: 48, chunkBytes: 73 * 144 * 4, logicalBytes: 48 * 73 * 144 * 4, edgeWasteFraction: 0, objectCount: 48 });
    expect(layout.edgeExtents).toEqual([1, 73, 144]);
  });

  it("measures the partial edge chunks", () => {
    const layout = chunkLayout({ shape: [10, 10], itemSize: 2, chunks: [4, 4] });
    expect(layout.gridShape).toEqual([3, 3]);
    expect(layout.edgeExtents).toEqual([2, 2]);
    expect(layout.edgeWasteFraction).toBeCloseTo(1 - 100 / 144);
  });

  it("treats contiguous data as one chunk", () => {
    const layout = chunkLayout({ shape: [50000, 20000], itemSize: 8, chunks: null });
    expect(layout).toMatchObject({ chunkCount: 1, chunkBytes: 8e9, logicalBytes: 8e9, edgeWasteFraction: 0 });
  });

  it("counts shards as stored objects", () => {
    const layout = chunkLayout({ shape: [100, 100], itemSize: 1, chunks: [10, 10], shards: [50, 50] });
    expect(layout).toMatchObject({ chunkCount: 100, objectCount: 4, objectBytes: 2500 });
  });

  it("handles zero-length axes and scalars", () => {
    expect(gridShape([0, 5], [1, 5])).toEqual([0, 1]);
    expect(chunkLayout({ shape: [0, 5], itemSize: 4, chunks: [1, 5] })).toMatchObject({ chunkCount: 0, logicalBytes: 0, edgeWasteFraction: 0 });
    expect(chunkLayout({ shape: [], itemSize: 8, chunks: [] })).toMatchObject({ chunkCount: 1, chunkBytes: 8, logicalBytes: 8 });
  });
});

describe("compressionRatio", () => {
  const layout = chunkLayout({ shape: [10, 10], itemSize: 4, chunks: [5, 5] });
  it("compares written objects' logical bytes with stored bytes", () => {
    expect(compressionRatio(layout, 100, 2, false)).toBe((2 * 100) / 100);
  });
  it("is unknown without stored bytes or written objects", () => {
    expect(compressionRatio(layout, null, 4, false)).toBeNull();
    expect(compressionRatio(layout, 100, null, false)).toBeNull();
    expect(compressionRatio(layout, 0, 0, false)).toBeNull();
  });
  it("uses the whole array for contiguous data", () => {
    expect(compressionRatio(chunkLayout({ shape: [10], itemSize: 4, chunks: null }), 40, null, true)).toBe(1);
  });
});
