/**
 * Position-keyed checksums for verification. Each element contributes a 64-bit hash of (its linear
 * index in the array, its bits); a region's checksum is the sum of its elements' hashes (two
 * independent 32-bit lanes, modulo 2^32). Sums add up in any order, so the checksum of an output
 * chunk can be built from the pieces of the source chunks that overlap it, each source chunk read
 * once — however the two chunkings cross — and compared with the checksum of the output chunk
 * read whole. Any change of value or position changes a chunk's checksum except with
 * probability about 2^-64 (not a defence against an adversary, which verification is not).
 */
import type { NumericArray } from "../formats/dataset.js";
import type { Region } from "./plan.js";

export interface Checksum {
  a: number;
  b: number;
}

const TWO32 = 2 ** 32;

/** 32-bit words of the element at `i` of a typed array, folded to one word. */
function wordsOf(values: NumericArray): { words: Uint32Array | Uint16Array | Uint8Array; perElement: number } {
  const bytes = values.BYTES_PER_ELEMENT;
  if (bytes >= 4) return { words: new Uint32Array(values.buffer, values.byteOffset, (values.byteLength / 4) | 0), perElement: bytes / 4 };
  if (bytes === 2) return { words: new Uint16Array(values.buffer, values.byteOffset, values.length), perElement: 1 };
  return { words: new Uint8Array(values.buffer, values.byteOffset, values.length), perElement: 1 };
}

/**
 * Add to `sum` the hashes of the elements of `region` (array coordinates), taken from `values`
 * (a block of shape `blockShape` whose first element is at `origin`), in an array of `shape`.
 */
export function addRegionChecksum(
  sum: Checksum,
  values: NumericArray,
  origin: readonly number[],
  blockShape: readonly number[],
  region: Region,
  shape: readonly number[],
): void {
  const ndim = shape.length;
  const { words, perElement } = wordsOf(values);
  if (ndim === 0) {
    hashRun(sum, words, perElement, 0, 0, 1);
    return;
  }
  const extent = region.stop.map((s, axis) => s - region.start[axis]!);
  if (extent.some((e) => e <= 0)) return;
  const blockStrides = new Array<number>(ndim);
  const arrayStrides = new Array<number>(ndim);
  let bs = 1;
  let as = 1;
  for (let axis = ndim - 1; axis >= 0; axis--) {
    blockStrides[axis] = bs;
    arrayStrides[axis] = as;
    bs *= blockShape[axis]!;
    as *= shape[axis]!;
  }
  const run = extent[ndim - 1]!;
  const counter = new Array<number>(ndim).fill(0);
  for (;;) {
    let local = 0;
    let global = 0;
    for (let axis = 0; axis < ndim; axis++) {
      const at = region.start[axis]! + counter[axis]!;
      local += (at - origin[axis]!) * blockStrides[axis]!;
      global += at * arrayStrides[axis]!;
    }
    hashRun(sum, words, perElement, local, global, run);
    let axis = ndim - 2;
    while (axis >= 0 && ++counter[axis]! >= extent[axis]!) counter[axis--] = 0;
    if (axis < 0) return;
  }
}

/** Hash `count` consecutive elements starting at element `local` of the block and index `global` of the array. */
function hashRun(sum: Checksum, words: Uint32Array | Uint16Array | Uint8Array, perElement: number, local: number, global: number, count: number): void {
  let a = sum.a;
  let b = sum.b;
  for (let k = 0; k < count; k++) {
    const g = global + k;
    const lo = g % TWO32 | 0;
    const hi = (g / TWO32) | 0;
    let x = Math.imul(lo, 0x9e3779b1) ^ Math.imul(hi, 0x85ebca77);
    let y = Math.imul(lo, 0xc2b2ae3d) ^ Math.imul(hi, 0x27d4eb2f) ^ 0x165667b1;
    const base = (local + k) * perElement;
    for (let w = 0; w < perElement; w++) {
      const v = words[base + w]!;
      x = Math.imul(x ^ v, 0xcc9e2d51);
      x = (x << 15) | (x >>> 17);
      y = Math.imul(y ^ v, 0x1b873593);
      y = (y << 13) | (y >>> 19);
    }
    x ^= x >>> 16;
    x = Math.imul(x, 0x85ebca6b);
    x ^= x >>> 13;
    y ^= y >>> 15;
    y = Math.imul(y, 0xc2b2ae35);
    y ^= y >>> 16;
    a = (a + x) | 0;
    b = (b + y) | 0;
  }
  sum.a = a;
  sum.b = b;
}

export const emptyChecksum = (): Checksum => ({ a: 0, b: 0 });

export function addChecksum(into: Checksum, other: Checksum): void {
  into.a = (into.a + other.a) | 0;
  into.b = (into.b + other.b) | 0;
}
