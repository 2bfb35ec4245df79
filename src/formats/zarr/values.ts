import { cStrides } from "../block-copy.js";
import type { ArrayValues, DataType, NumericArray } from "../dataset.js";

/** What zarrita hands back: a typed array, zarrita's BoolArray/string arrays, or a plain array. */
export type ZarritaData = ArrayLike<unknown> & { readonly get?: (index: number) => unknown; readonly buffer?: ArrayBufferLike; readonly byteOffset?: number };

/** Convert zarrita's element containers into what dataset.ts promises: bool → Uint8Array, strings → plain arrays. */
export function asIndexable(data: ZarritaData): ArrayValues {
  if (ArrayBuffer.isView(data) || Array.isArray(data)) return data as ArrayValues;
  const name = (data as object).constructor?.name;
  if (name === "BoolArray" && data.buffer) return new Uint8Array(data.buffer, data.byteOffset ?? 0, data.length);
  if (typeof data.get === "function") {
    const out = new Array<unknown>(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data.get(i);
    return out;
  }
  return Array.from(data);
}


function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * The C-order values of the box `[0, outShape)` of a strided chunk (shape `shape`, element
 * strides `stride`). Returns the source unchanged when it already is exactly that.
 */
export function toCOrder(data: ZarritaData, shape: readonly number[], stride: readonly number[], outShape: readonly number[]): ArrayValues {
  const source = asIndexable(data);
  const size = product(outShape);
  const natural = cStrides(shape);
  const isC = stride.every((s, axis) => s === natural[axis] || shape[axis] === 1);
  if (isC && outShape.every((n, axis) => n === shape[axis]) && source.length === size) return source;
  if (isC && outShape.every((n, axis) => axis === 0 || n === shape[axis])) {
    return (source as NumericArray).slice(0, size) as ArrayValues;
  }
  const out: ArrayValues = Array.isArray(source) ? new Array<unknown>(size) : new (source.constructor as new (n: number) => NumericArray)(size);
  const rank = outShape.length;
  if (rank === 0) {
    (out as unknown[])[0] = (source as unknown[])[0];
    return out;
  }
  const last = rank - 1;
  const inner = outShape[last]!;
  const innerStride = stride[last]!;
  const index = new Array<number>(rank).fill(0);
  const src = source as unknown as { [i: number]: unknown };
  const dst = out as unknown as { [i: number]: unknown };
  let o = 0;
  while (o < size) {
    let base = 0;
    for (let axis = 0; axis < last; axis++) base += index[axis]! * stride[axis]!;
    for (let i = 0; i < inner; i++) dst[o++] = src[base + i * innerStride];
    for (let axis = last - 1; axis >= 0; axis--) {
      if (++index[axis]! < outShape[axis]!) break;
      index[axis] = 0;
    }
  }
  return out;
}

const TYPED: Record<string, new (length: number) => NumericArray> = {
  bool: Uint8Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  uint64: BigUint64Array,
  float32: Float32Array,
  float64: Float64Array,
};

/** An empty container for `size` elements of `dtype`: a typed array, or a plain array for strings and objects. */
export function allocateValues(dtype: DataType, size: number): ArrayValues {
  const Typed = TYPED[dtype.name];
  return Typed ? new Typed(size) : new Array<unknown>(size);
}

/**
 * Copy the box of shape `box` from `source` (element strides `sourceStride`, box corner at
 * `sourceCorner`) into the C-order `target` of shape `targetShape` (box corner at `targetCorner`).
 */
export function copyBox(
  source: ArrayValues,
  sourceStride: readonly number[],
  sourceCorner: readonly number[],
  target: ArrayValues,
  targetShape: readonly number[],
  targetCorner: readonly number[],
  box: readonly number[],
): void {
  const rank = box.length;
  const src = source as unknown as { [i: number]: unknown };
  const dst = target as unknown as { [i: number]: unknown };
  if (rank === 0) {
    dst[0] = src[0];
    return;
  }
  if (box.some((n) => n === 0)) return;
  const targetStride = cStrides(targetShape);
  const last = rank - 1;
  const inner = box[last]!;
  const innerSource = sourceStride[last]!;
  const index = new Array<number>(rank).fill(0);
  for (;;) {
    let s = 0;
    let t = 0;
    for (let axis = 0; axis < rank; axis++) {
      const i = axis === last ? 0 : index[axis]!;
      s += (sourceCorner[axis]! + i) * sourceStride[axis]!;
      t += (targetCorner[axis]! + i) * targetStride[axis]!;
    }
    if (innerSource === 1 && ArrayBuffer.isView(source) && ArrayBuffer.isView(target)) {
      (target as NumericArray).set((source as NumericArray).subarray(s, s + inner) as never, t);
    } else {
      for (let i = 0; i < inner; i++) dst[t + i] = src[s + i * innerSource];
    }
    let axis = last - 1;
    for (; axis >= 0; axis--) {
      if (++index[axis]! < box[axis]!) break;
      index[axis] = 0;
    }
    if (axis < 0) return;
  }
}
