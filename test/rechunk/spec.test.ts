import { describe, expect, it } from "vitest";
import { isChunkwiseError } from "../../src/errors.js";
import { parseChunkSpec, parseCodecChoice, resolveChunkSpec, specApplies } from "../../src/rechunk/spec.js";

const tas = { path: "/tas", shape: [48, 73, 144], dimensionNames: ["time", "lat", "lon"] };

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(isChunkwiseError(err, "UsageError")).toBe(true);
    return (err as Error).message;
  }
  throw new Error("expected a UsageError");
}

describe("--chunks", () => {
  it("by name, with -1/full and axes left out keeping the source chunk", () => {
    const spec = parseChunkSpec("time=-1,lon=32");
    expect(resolveChunkSpec(spec, tas, [1, 73, 144])).toEqual([48, 73, 32]);
    expect(resolveChunkSpec(parseChunkSpec("time=full,lat=8,lon=8"), tas, [1, 73, 144])).toEqual([48, 8, 8]);
  });

  it("by position, clipped to the shape", () => {
    expect(resolveChunkSpec(parseChunkSpec("365, 32, 32"), tas, [1, 73, 144])).toEqual([48, 32, 32]);
  });

  it("applies by rank or by dimension names", () => {
    expect(specApplies(parseChunkSpec("1,2,3"), tas)).toBe(true);
    expect(specApplies(parseChunkSpec("1,2"), tas)).toBe(false);
    expect(specApplies(parseChunkSpec("time=5"), tas)).toBe(true);
    expect(specApplies(parseChunkSpec("time=5"), { shape: [48], dimensionNames: ["time"] })).toBe(true);
    expect(specApplies(parseChunkSpec("depth=5"), tas)).toBe(false);
    expect(specApplies(parseChunkSpec("time=5"), { shape: [3], dimensionNames: null })).toBe(false);
  });

  it("refuses what it cannot mean, saying why", () => {
    expect(usageError(() => parseChunkSpec("time=5,32"))).toMatch(/not both/);
    expect(usageError(() => parseChunkSpec("0,5"))).toMatch(/not a positive length/);
    expect(usageError(() => parseChunkSpec("a=1,a=2"))).toMatch(/given twice/);
    expect(usageError(() => parseChunkSpec(""))).toMatch(/expected/);
    expect(usageError(() => parseChunkSpec("5,,5"))).toMatch(/expected/);
    expect(usageError(() => resolveChunkSpec(parseChunkSpec("1,2"), tas, [1, 1, 1]))).toMatch(/gives 2 axes but \/tas has 3/);
    expect(usageError(() => resolveChunkSpec(parseChunkSpec("depth=3"), tas, [1, 1, 1]))).toMatch(/no dimension "depth".*time, lat, lon/);
  });
});

describe("--codec", () => {
  it("parses NAME and NAME:LEVEL", () => {
    expect(parseCodecChoice("zstd:3")).toEqual({ name: "zstd", level: 3 });
    expect(parseCodecChoice("GZIP")).toEqual({ name: "gzip" });
    expect(parseCodecChoice("none")).toEqual({ name: "none" });
    expect(usageError(() => parseCodecChoice("zstd:x"))).toMatch(/NAME:LEVEL/);
    expect(usageError(() => parseCodecChoice("none:1"))).toMatch(/no level/);
  });
});
