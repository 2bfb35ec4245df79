/**
 * Moving values between blocks held in memory, placed in array coordinates: the copy path of the
 * rechunk executor and of partial chunk reads. Runs are copied with TypedArray.set over subarrays
 * (no per-element JavaScript loop for numeric data); string and object data go element by element.
 */
import type { ArrayValues, NumericArray } from "./dataset.js";

/**
 * Where a partial chunk read puts its bytes. Fresh memory costs page faults and zeroing on every
 * read (measured: 65 reads of 550 KB strips, 116–444 ms into new buffers, 20 ms into reused ones),
 * so a worker hands in memory it reuses from task to task.
 */
export interface PartMemory {
  /** Bytes the returned block keeps (valid until the caller reuses them). */
  keep(bytes: number): Uint8Array;
  /** Bytes needed only during the call; the same slot may come back next time. */
  scratch(slot: "compressed" | "stretch", bytes: number): Uint8Array;
}

/** PartMemory that is always fresh: for callers without reusable memory. */
export const FRESH_MEMORY: PartMemory = {
  keep: (bytes) => new Uint8Array(bytes),
  scratch: (_slot, bytes) => new Uint8Array(bytes),
};

/**
 * Byte buffers reused call after call, one per named slot, grown with a quarter to spare when too
 * small: sizes that creep up (compressed chunks) would otherwise reallocate on every new maximum,
 * and memory touched for the first time costs a page fault per 4 KiB (57 new 2.5 MB buffers in a
 * 1 GiB rechunk, 36 000 faults).
 */
export class ByteSlots {
  private readonly slots = new Map<string, Uint8Array>();

  take(slot: string, bytes: number): Uint8Array {
    let buffer = this.slots.get(slot);
    if (buffer === undefined || buffer.length < bytes) {
      buffer = new Uint8Array(buffer === undefined ? bytes : Math.max(bytes, Math.ceil(buffer.length * 1.25)));
      this.slots.set(slot, buffer);
    }
    return buffer.subarray(0, bytes);
  }
}

/** A box of the array: [start, stop) along every axis. */
export interface Region {
  readonly start: readonly number[];
  readonly stop: readonly number[];
}

const product = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** A block placed in the array: `origin` is the array coordinate of its first element. */
export interface PlacedBlock {
  readonly origin: readonly number[];
  readonly shape: readonly number[];
  readonly values: ArrayValues;
  /**
   * The block's element (C order) that values[0] holds, when `values` holds only a stretch of
   * the block (a chunk decoded in part). Default 0: the whole block.
   */
  readonly first?: number;
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

/** Element strides of a C-order array of `shape`. */
export function cStrides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let stride = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    out[axis] = stride;
    stride *= shape[axis]!;
  }
  return out;
}

type SettableArray = { set(array: ArrayLike<number | bigint>, offset: number): void };

/**
 * Copy `region` (array coordinates) from `from` to `to`. Both blocks must contain the region.
 * The two blocks must hold the same element type.
 *
 * Trailing axes that the region spans whole in both blocks are merged into one run, so a chunk
 * that covers whole rows moves with a few large `set` calls; offsets advance by strides (no
 * per-row index arithmetic over every axis).
 */
export function copyRegion(from: PlacedBlock, to: PlacedBlock, region: Region): void {
  const ndim = region.start.length;
  const extent = region.stop.map((s, axis) => s - region.start[axis]!);
  if (extent.some((e) => e <= 0)) return;
  if (ndim === 0) {
    (to.values as unknown[])[0] = (from.values as unknown[])[0];
    return;
  }
  // Merge trailing axes covered whole by the region in both blocks: the run grows across them.
  let innerAxis = ndim - 1;
  while (innerAxis > 0 && extent[innerAxis] === from.shape[innerAxis] && extent[innerAxis] === to.shape[innerAxis]) innerAxis--;
  const fromStrides = cStrides(from.shape);
  const toStrides = cStrides(to.shape);
  const run = extent[innerAxis]! * fromStrides[innerAxis]!;
  let fromOffset = -(from.first ?? 0);
  let toOffset = -(to.first ?? 0);
  for (let axis = 0; axis < ndim; axis++) {
    fromOffset += (region.start[axis]! - from.origin[axis]!) * fromStrides[axis]!;
    toOffset += (region.start[axis]! - to.origin[axis]!) * toStrides[axis]!;
  }
  const outer = innerAxis; // axes [0, innerAxis) are iterated row by row
  const counter = new Array<number>(outer).fill(0);
  const numeric = isNumeric(from.values) && isNumeric(to.values);
  const source = from.values;
  const target = to.values;
  const shared = numeric ? sharedView(source as NumericArray, target as NumericArray) : null;
  if (shared !== null) {
    fromOffset += shared.fromBase;
    toOffset += shared.toBase;
  }
  for (;;) {
    if (shared !== null) {
      shared.all.copyWithin(toOffset, fromOffset, fromOffset + run);
    } else if (numeric) {
      (target as SettableArray).set((source as NumericArray).subarray(fromOffset, fromOffset + run) as ArrayLike<number | bigint>, toOffset);
    } else {
      for (let i = 0; i < run; i++) (target as unknown[])[toOffset + i] = (source as ArrayLike<unknown>)[fromOffset + i];
    }
    let axis = outer - 1;
    for (; axis >= 0; axis--) {
      fromOffset += fromStrides[axis]!;
      toOffset += toStrides[axis]!;
      if (++counter[axis]! < extent[axis]!) break;
      fromOffset -= extent[axis]! * fromStrides[axis]!;
      toOffset -= extent[axis]! * toStrides[axis]!;
      counter[axis] = 0;
    }
    if (axis < 0) return;
  }
}

/**
 * One view of the whole buffer two arrays of one element type share, with their offsets in it:
 * runs then move by copyWithin, which allocates nothing, where set() over a subarray makes a
 * view object per run (a unit of (259, 32, 32) from a block is 8 288 runs: 2.7× slower, and the
 * garbage kept the young generation collecting). A worker cuts units into its arena, where its
 * blocks are.
 */
function sharedView(source: NumericArray, target: NumericArray): { all: NumericArray; fromBase: number; toBase: number } | null {
  if (source.buffer !== target.buffer || source.constructor !== target.constructor) return null;
  const size = source.BYTES_PER_ELEMENT;
  if (source.byteOffset % size !== 0 || target.byteOffset % size !== 0) return null;
  const Values = source.constructor as new (buffer: ArrayBufferLike, byteOffset: number, length: number) => NumericArray;
  return { all: new Values(source.buffer, 0, Math.floor(source.buffer.byteLength / size)), fromBase: source.byteOffset / size, toBase: target.byteOffset / size };
}

/**
 * The part of `from` covering `region`, as a block of its own (C order) placed at region.start.
 * With `into`, the values go into that array's first elements (it must be large enough and of the
 * same element type) and the block views them: a caller cutting many units of one size reuses one
 * buffer.
 */
export function extractRegion(from: PlacedBlock, region: Region, into?: ArrayValues): PlacedBlock {
  const shape = region.stop.map((s, axis) => s - region.start[axis]!);
  const length = product(shape);
  const values = into === undefined ? allocateLike(from.values, length) : prefix(into, length);
  const placed = { origin: region.start, shape, values };
  copyRegion(from, placed, region);
  return placed;
}

/** The first `length` elements of `values`, as a view (numeric) or a fresh array of that length. */
function prefix(values: ArrayValues, length: number): ArrayValues {
  if (isNumeric(values)) return values.length === length ? values : values.subarray(0, length);
  return values.length === length ? values : new Array<unknown>(length);
}

