import type { ArrayValues, NumericArray } from "../dataset.js";

/** What zarrita hands back: a typed array, zarrita's BoolArray/string arrays, or a plain array. */
type ZarritaData = ArrayLike<unknown> & { readonly get?: (index: number) => unknown; readonly buffer?: ArrayBufferLike; readonly byteOffset?: number };

/** Convert zarrita's element containers into what dataset.ts promises: bool → Uint8Array, strings → plain arrays. */
function asIndexable(data: ZarritaData): ArrayValues {
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

function cStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    strides[axis] = step;
    step *= shape[axis]!;
  }
  return strides;
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
