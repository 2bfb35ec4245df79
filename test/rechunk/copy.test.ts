import { describe, expect, it } from "vitest";
import { copyRegion, extractRegion } from "../../src/formats/block-copy.js";
import { stridedCopyBuffer, stridedCopier } from "../../src/formats/strided-copy.js";
import { firstDifference } from "../../src/rechunk/copy.js";
import { mulberry32 } from "../helpers/random.js";

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

describe("copyRegion against an element-by-element reference", () => {
  /** The value of array element `index` (C order in `shape`), for checking copies. */
  const valueAt = (coords: readonly number[], arrayShape: readonly number[]): number => coords.reduce((acc, c, axis) => acc * arrayShape[axis]! + c, 0) + 1;

  function block(origin: number[], shape: number[], arrayShape: number[]): Float64Array {
    const values = new Float64Array(shape.reduce((a, b) => a * b, 1));
    values.forEach((_, i) => {
      const coords = new Array<number>(shape.length);
      let rest = i;
      for (let axis = shape.length - 1; axis >= 0; axis--) {
        coords[axis] = origin[axis]! + (rest % shape[axis]!);
        rest = Math.floor(rest / shape[axis]!);
      }
      values[i] = valueAt(coords, arrayShape);
    });
    return values;
  }

  it("copies exactly the region, nothing else, for 400 random blocks and regions of 1 to 5 dimensions (including whole-row and whole-block runs)", () => {
    const random = mulberry32(20261125);
    const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
    for (let trial = 0; trial < 400; trial++) {
      const ndim = int(1, 5);
      const arrayShape = Array.from({ length: ndim }, () => int(1, ndim === 5 ? 5 : 7));
      // Two blocks inside the array; often sharing whole trailing axes so runs merge.
      const place = (): { origin: number[]; shape: number[] } => {
        const origin: number[] = [];
        const shape: number[] = [];
        arrayShape.forEach((n, axis) => {
          const whole = axis > 0 && random() < 0.5;
          const lo = whole ? 0 : int(0, n - 1);
          const hi = whole ? n : int(lo + 1, n);
          origin.push(lo);
          shape.push(hi - lo);
        });
        return { origin, shape };
      };
      const a = place();
      const b = place();
      const start = a.origin.map((o, axis) => Math.max(o, b.origin[axis]!));
      const stop = a.origin.map((o, axis) => Math.min(o + a.shape[axis]!, b.origin[axis]! + b.shape[axis]!));
      const from = { ...a, values: block(a.origin, a.shape, arrayShape) };
      const to = { ...b, values: new Float64Array(b.shape.reduce((x, y) => x * y, 1)) };
      copyRegion(from, to, { start, stop });
      const empty = stop.some((s, axis) => s <= start[axis]!);
      const expected = block(b.origin, b.shape, arrayShape).map((v, i) => {
        if (empty) return 0;
        let rest = i;
        for (let axis = ndim - 1; axis >= 0; axis--) {
          const c = b.origin[axis]! + (rest % b.shape[axis]!);
          rest = Math.floor(rest / b.shape[axis]!);
          if (c < start[axis]! || c >= stop[axis]!) return 0;
        }
        return v;
      });
      expect([...to.values], `trial ${trial}: ${JSON.stringify({ arrayShape, a, b })}`).toEqual([...expected]);
      // The same with both blocks in one buffer, as a worker's arena holds them: a plain buffer
      // (copyWithin) and a WebAssembly one (the strided-copy kernel), touching nothing outside the target.
      const lengthA = from.values.length;
      const lengthB = to.values.length;
      for (const [label, buffer] of [
        ["one buffer", new ArrayBuffer(8 * (lengthA + lengthB + 3))],
        ["one WebAssembly buffer", stridedCopyBuffer(8 * (lengthA + lengthB + 3))],
      ] as const) {
        const shared = new Float64Array(buffer, 0, lengthA + lengthB + 3).fill(-7);
        const sharedFrom = { ...a, values: shared.subarray(1, 1 + lengthA) };
        sharedFrom.values.set(from.values);
        const sharedTo = { ...b, values: shared.subarray(2 + lengthA, 2 + lengthA + lengthB).fill(0) };
        copyRegion(sharedFrom, sharedTo, { start, stop });
        expect([...sharedTo.values], `trial ${trial}, ${label}`).toEqual([...expected]);
        expect([shared[0], shared[1 + lengthA], shared[2 + lengthA + lengthB]]).toEqual([-7, -7, -7]);
        expect([...sharedFrom.values]).toEqual([...from.values]);
      }
    }
  });

  it("extracts into a reused buffer, viewing only its first elements", () => {
    const from = { origin: [0, 0], shape: [3, 4], values: new Int32Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]) };
    const buffer = new Int32Array(12).fill(-1);
    const piece = extractRegion(from, { start: [1, 1], stop: [3, 3] }, buffer);
    expect(piece.shape).toEqual([2, 2]);
    expect([...(piece.values as Int32Array)]).toEqual([5, 6, 9, 10]);
    expect((piece.values as Int32Array).buffer).toBe(buffer.buffer);
  });
});
