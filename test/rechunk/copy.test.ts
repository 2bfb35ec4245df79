import { describe, expect, it } from "vitest";
import { copyRegion, extractRegion, firstDifference } from "../../src/rechunk/copy.js";

describe("copyRegion / extractRegion", () => {
  it("moves a 3-D sub-region between blocks placed anywhere in the array", () => {
    // Source block: array region [2..6) × [0..3) × [1..5), values = linear index in the array of shape (10, 3, 8).
    const origin = [2, 0, 1];
    const shape = [4, 3, 4];
    const values = new Float64Array(4 * 3 * 4);
    let i = 0;
    for (let a = 0; a < 4; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < 4; c++) values[i++] = (a + 2) * 24 + b * 8 + (c + 1);
    const piece = extractRegion({ origin, shape, values }, { start: [3, 1, 2], stop: [5, 3, 5] });
    expect(piece.shape).toEqual([2, 2, 3]);
    const expected: number[] = [];
    for (let a = 3; a < 5; a++) for (let b = 1; b < 3; b++) for (let c = 2; c < 5; c++) expected.push(a * 24 + b * 8 + c);
    expect([...(piece.values as Float64Array)]).toEqual(expected);
  });

  it("handles object data and 0-d blocks", () => {
    const piece = extractRegion({ origin: [0], shape: [4], values: ["a", "b", "c", "d"] }, { start: [1], stop: [3] });
    expect(piece.values).toEqual(["b", "c"]);
    const scalar = extractRegion({ origin: [], shape: [], values: new Int32Array([7]) }, { start: [], stop: [] });
    expect([...(scalar.values as Int32Array)]).toEqual([7]);
    const target = { origin: [0], shape: [2], values: new Int8Array(2) };
    copyRegion({ origin: [0], shape: [2], values: new Int8Array([1, 2]) }, target, { start: [1], stop: [1] });
    expect([...target.values]).toEqual([0, 0]);
  });
});

describe("firstDifference", () => {
  it("compares bit for bit: NaN equals NaN, -0 differs from 0", () => {
    expect(firstDifference(new Float32Array([1, NaN]), new Float32Array([1, NaN]))).toBe(-1);
    expect(firstDifference(new Float32Array([1, 0]), new Float32Array([1, -0]))).toBe(1);
    expect(firstDifference(new Int16Array([1, 2, 3]), new Int16Array([1, 2, 4]))).toBe(2);
    expect(firstDifference(["a", "b"], ["a", "c"])).toBe(1);
    expect(firstDifference(new Uint8Array(2), new Uint8Array(3))).toBe(2);
  });
});
