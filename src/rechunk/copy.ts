/**
 * Moving values between blocks held in memory: the copy path of the executor. Runs along the last
 * axis are copied with TypedArray.set over subarrays (no per-element JavaScript loop for numeric
 * data); string and object data go element by element.
 */
import type { ArrayValues, Block, NumericArray } from "../formats/dataset.js";
import { product } from "../model/layout.js";
import type { Region } from "./plan.js";

/** A block placed in the array: `origin` is the array coordinate of its first element. */
export interface PlacedBlock {
  readonly origin: readonly number[];
  readonly shape: readonly number[];
  readonly values: ArrayValues;
}

export function isNumeric(values: ArrayValues): values is NumericArray {
  return ArrayBuffer.isView(values);
}

/** An empty array of the same element type as `like`, holding `length` elements. */
export function allocateLike(like: ArrayValues, length: number): ArrayValues {
  if (isNumeric(like)) {
    const ctor = like.constructor as new (length: number) => NumericArray;
    return new ctor(length);
  }
  return new Array<unknown>(length);
}

const strides = (shape: readonly number[]): number[] => {
  const out = new Array<number>(shape.length);
  let stride = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    out[axis] = stride;
    stride *= shape[axis]!;
  }
  return out;
};

/**
 * Copy `region` (array coordinates) from `from` to `to`. Both blocks must contain the region.
 * The two blocks must hold the same element type.
 */
export function copyRegion(from: PlacedBlock, to: PlacedBlock, region: Region): void {
  const ndim = region.start.length;
  const extent = region.stop.map((s, axis) => s - region.start[axis]!);
  if (extent.some((e) => e <= 0)) return;
  if (ndim === 0) {
    (to.values as unknown[])[0] = (from.values as unknown[])[0];
    return;
  }
  const fromStrides = strides(from.shape);
  const toStrides = strides(to.shape);
  const run = extent[ndim - 1]!;
  const rows = product(extent.slice(0, -1));
  const counter = new Array<number>(Math.max(0, ndim - 1)).fill(0);
  const numeric = isNumeric(from.values) && isNumeric(to.values);
  for (let row = 0; row < rows; row++) {
    let fromOffset = 0;
    let toOffset = 0;
    for (let axis = 0; axis < ndim; axis++) {
      const at = region.start[axis]! + (axis < ndim - 1 ? counter[axis]! : 0);
      fromOffset += (at - from.origin[axis]!) * fromStrides[axis]!;
      toOffset += (at - to.origin[axis]!) * toStrides[axis]!;
    }
    if (numeric) {
      const source = (from.values as NumericArray).subarray(fromOffset, fromOffset + run);
      (to.values as { set(array: ArrayLike<number | bigint>, offset: number): void }).set(source as ArrayLike<number | bigint>, toOffset);
    } else {
      const source = from.values as ArrayLike<unknown>;
      const target = to.values as unknown[];
      for (let i = 0; i < run; i++) target[toOffset + i] = source[fromOffset + i];
    }
    for (let axis = ndim - 2; axis >= 0; axis--) {
      if (++counter[axis]! < extent[axis]!) break;
      counter[axis] = 0;
    }
  }
}

/** The part of `from` covering `region`, as a block of its own (C order). */
export function extractRegion(from: PlacedBlock, region: Region): Block {
  const shape = region.stop.map((s, axis) => s - region.start[axis]!);
  const values = allocateLike(from.values, product(shape));
  copyRegion(from, { origin: region.start, shape, values }, region);
  return { shape, values };
}

/**
 * Whether two value arrays hold the same values: numeric data compared byte for byte (so NaN
 * equals NaN with the same payload and -0 differs from 0, as a bit-exact copy must); other data
 * element by element. Returns the index of the first difference, or -1.
 */
export function firstDifference(a: ArrayValues, b: ArrayValues): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  if (isNumeric(a) && isNumeric(b)) {
    if (a.BYTES_PER_ELEMENT !== b.BYTES_PER_ELEMENT) return 0;
    const x = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    const y = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    if (x.equals(y)) return -1;
    const size = a.BYTES_PER_ELEMENT;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return Math.floor(i / size);
    return -1;
  }
  for (let i = 0; i < a.length; i++) {
    if (JSON.stringify(a[i]) !== JSON.stringify(b[i])) return i;
  }
  return -1;
}
