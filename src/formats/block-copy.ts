/**
 * Moving values between blocks held in memory, placed in array coordinates: the copy path of the
 * rechunk executor and of partial chunk reads. Runs are copied with TypedArray.set over subarrays
 * (no per-element JavaScript loop for numeric data), with copyWithin when both blocks lie in one
 * buffer, and by the WebAssembly kernel when that buffer is one of strided-copy.ts's (a worker's
 * arena); string and object data go element by element.
 */
import type { ArrayValues, NumericArray } from "./dataset.js";
import { stridedCopier, type StridedCopier } from "./strided-copy.js";

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
  const rows: Rows = { extent, outer, fromStrides, toStrides };
  const numeric = isNumeric(from.values) && isNumeric(to.values);
  const source = from.values;
  const target = to.values;
  const shared = numeric ? sharedView(source as NumericArray, target as NumericArray) : null;
  if (shared !== null) {
    fromOffset += shared.fromBase;
    toOffset += shared.toBase;
    const copier = stridedCopier(shared.all.buffer);
    if (copier !== undefined && !overlapping(rows, run, fromOffset, toOffset)) {
      copyStrided(copier, shared.all.BYTES_PER_ELEMENT, rows, run, fromOffset, toOffset);
      return;
    }
  }
  const walk = new RowWalk(rows, outer, fromOffset, toOffset);
  do {
    const { from: f, to: t } = walk;
    if (shared !== null) {
      shared.all.copyWithin(t, f, f + run);
    } else if (numeric) {
      (target as SettableArray).set((source as NumericArray).subarray(f, f + run) as ArrayLike<number | bigint>, t);
    } else {
      for (let i = 0; i < run; i++) (target as unknown[])[t + i] = (source as ArrayLike<unknown>)[f + i];
    }
  } while (walk.next());
}

/** The rows of a copy: axes [0, outer) are walked, each row a run; extents and strides in elements. */
interface Rows {
  readonly extent: readonly number[];
  readonly outer: number;
  readonly fromStrides: readonly number[];
  readonly toStrides: readonly number[];
}

/** Whether the elements a copy reads and those it writes may meet (their spans, first to last, intersect). */
function overlapping(rows: Rows, run: number, fromOffset: number, toOffset: number): boolean {
  let fromEnd = fromOffset + run;
  let toEnd = toOffset + run;
  for (let axis = 0; axis < rows.outer; axis++) {
    fromEnd += (rows.extent[axis]! - 1) * rows.fromStrides[axis]!;
    toEnd += (rows.extent[axis]! - 1) * rows.toStrides[axis]!;
  }
  return fromOffset < toEnd && toOffset < fromEnd;
}

/**
 * The copy made by the WebAssembly kernel: it walks the last two row axes itself, so a 3-D
 * transposing copy is one call; further axes are walked here, one call per row of them.
 */
function copyStrided(copier: StridedCopier, size: number, rows: Rows, run: number, fromOffset: number, toOffset: number): void {
  const { extent, outer, fromStrides, toStrides } = rows;
  const kernelAxis = (back: number): [number, number, number] => {
    const axis = outer - back;
    return axis < 0 ? [1, 0, 0] : [extent[axis]!, fromStrides[axis]! * size, toStrides[axis]! * size];
  };
  const [n1, fs1, ts1] = kernelAxis(1);
  const [n0, fs0, ts0] = kernelAxis(2);
  const walk = new RowWalk(rows, Math.max(outer - 2, 0), fromOffset, toOffset);
  do copier.copy2d(walk.from * size, walk.to * size, run * size, n1, fs1, ts1, n0, fs0, ts0);
  while (walk.next());
}

/** Walks the rows of axes [0, axes) in C order: `from` and `to` are the current row's first elements. */
class RowWalk {
  private readonly counter: number[];

  constructor(
    private readonly rows: Rows,
    private readonly axes: number,
    public from: number,
    public to: number,
  ) {
    this.counter = new Array<number>(axes).fill(0);
  }

  /** Step to the next row; false after the last. */
  next(): boolean {
    const { extent, fromStrides, toStrides } = this.rows;
    for (let axis = this.axes - 1; axis >= 0; axis--) {
      this.from += fromStrides[axis]!;
      this.to += toStrides[axis]!;
      if (++this.counter[axis]! < extent[axis]!) return true;
      this.from -= extent[axis]! * fromStrides[axis]!;
      this.to -= extent[axis]! * toStrides[axis]!;
      this.counter[axis] = 0;
    }
    return false;
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

