import { describe, expect, it } from "vitest";
import { EMPTY_PARTIAL, applyMap, finalize, mergePartials, summarize, type ReduceKernel } from "../../src/scheduler/kernels.js";

/** Straightforward reference values, computed the textbook way in float64. */
function direct(values: number[], kernel: ReduceKernel): number {
  if (values.some(Number.isNaN)) return NaN;
  const sum = values.reduce((a, b) => a + b, 0);
  const mean = sum / values.length;
  switch (kernel) {
    case "sum":
      return sum;
    case "mean":
      return mean;
    case "min":
      return Math.min(...values);
    case "max":
      return Math.max(...values);
    case "std":
      return Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
  }
}

const kernels: ReduceKernel[] = ["sum", "mean", "min", "max", "std"];
const sample = Array.from({ length: 10_007 }, (_, i) => Math.sin(i * 0.37) * 1000 + (i % 13));

describe("reduce kernels", () => {
  for (const kernel of kernels) {
    it(`${kernel}: one pass and any split merged equal the direct value`, () => {
      const values = Float64Array.from(sample);
      const expected = direct(sample, kernel);
      expect(finalize(summarize(values, kernel), kernel)).toBeCloseTo(expected, 6);
      for (const pieces of [2, 3, 7]) {
        const size = Math.ceil(values.length / pieces);
        let merged = EMPTY_PARTIAL;
        for (let i = 0; i < values.length; i += size) merged = mergePartials(merged, summarize(values.subarray(i, i + size), kernel));
        expect(finalize(merged, kernel)).toBeCloseTo(expected, 6);
      }
    });
  }

  it("propagates NaN like numpy", () => {
    const values = Float32Array.from([1, NaN, 3]);
    for (const kernel of kernels) expect(finalize(summarize(values, kernel), kernel)).toBeNaN();
    const merged = mergePartials(summarize(Float32Array.from([1, 2]), "max"), summarize(values, "max"));
    expect(finalize(merged, "max")).toBeNaN();
  });

  it("reads integer and 64-bit integer arrays", () => {
    expect(finalize(summarize(Int16Array.from([-3, 7, 2]), "sum"), "sum")).toBe(6);
    expect(finalize(summarize(BigInt64Array.from([5n, -9n, 4n]), "min"), "min")).toBe(-9);
    expect(finalize(summarize(Uint8Array.from([1, 2, 3, 4]), "std"), "std")).toBeCloseTo(Math.sqrt(1.25), 12);
  });

  it("mean and std of nothing are NaN, sum of nothing is 0", () => {
    expect(finalize(EMPTY_PARTIAL, "mean")).toBeNaN();
    expect(finalize(EMPTY_PARTIAL, "std")).toBeNaN();
    expect(finalize(EMPTY_PARTIAL, "sum")).toBe(0);
  });
});

describe("map kernels", () => {
  it("copy returns equal values in a new buffer", () => {
    const values = Int32Array.from([4, -1, 9]);
    const out = applyMap(values, { kind: "copy" });
    expect([...out]).toEqual([4, -1, 9]);
    expect(out.buffer).not.toBe(values.buffer);
  });

  it("scale-offset computes x·scale + offset, float32 stays float32", () => {
    const f32 = applyMap(Float32Array.from([1, 2.5]), { kind: "scale-offset", scale: 2, offset: -1 });
    expect(f32).toBeInstanceOf(Float32Array);
    expect([...f32]).toEqual([1, 4]);
    const i16 = applyMap(Int16Array.from([10, -20]), { kind: "scale-offset", scale: 0.5, offset: 273.15 });
    expect(i16).toBeInstanceOf(Float64Array);
    expect([...i16]).toEqual([278.15, 263.15]);
  });
});
