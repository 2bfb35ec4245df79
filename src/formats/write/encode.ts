/**
 * From decoded values to a stored chunk: cut (or pad) a block to the full chunk shape with the fill
 * value, put the bytes in the stored byte order, compress. Copies go by contiguous runs with
 * TypedArray.set/subarray and byte swaps by Buffer.swap16/32/64: no per-element JavaScript loop.
 */
import { isMainThread } from "node:worker_threads";
import { cStrides } from "../block-copy.js";
import { ChunkwiseError } from "../../errors.js";
import type { ArrayDescription, Block, DataType, NumericArray } from "../dataset.js";
import { swapBytesInPlace, typedArrayClasses } from "../typed-arrays.js";
import { compress, type Compressor } from "./compressor.js";
import { alignedStaging, directWrites } from "./direct-io.js";

export interface ChunkEncoding {
  readonly dtype: DataType;
  /** The full stored chunk (inner chunk when sharded). */
  readonly chunkShape: readonly number[];
  readonly fillValue: ArrayDescription["fillValue"];
  /** Byte order of the stored bytes ("none" for one-byte types). */
  readonly byteOrder: "little" | "big" | "none";
  readonly compressor: Compressor | null;
}

type NumericArrayConstructor = {
  new (length: number): NumericArray;
  readonly BYTES_PER_ELEMENT: number;
};

const CONSTRUCTORS: Record<string, NumericArrayConstructor> = { bool: Uint8Array, ...typedArrayClasses };

/** The typed array class values of `dtype` come in; throws UnsupportedError for dtypes chunkwise cannot write. */
export function arrayClassFor(dtype: DataType): NumericArrayConstructor {
  const constructor = CONSTRUCTORS[dtype.name];
  if (!constructor) {
    throw new ChunkwiseError("UnsupportedError", `writing ${dtype.name} (${dtype.numpy}) data is not supported; chunkwise writes bool, int8–int64, uint8–uint64, float32 and float64`);
  }
  return constructor;
}

/** The fill value as one element of the dtype (NaN/Infinity strings decoded, null as 0). */
export function fillElement(dtype: DataType, fillValue: ArrayDescription["fillValue"]): NumericArray {
  const one = new (arrayClassFor(dtype))(1);
  if (fillValue === null) return one;
  if (one instanceof BigInt64Array || one instanceof BigUint64Array) {
    const value =
      typeof fillValue === "boolean" ? BigInt(fillValue ? 1 : 0) : typeof fillValue === "string" && /^-?\d+$/.test(fillValue) ? BigInt(fillValue) : BigInt(Math.trunc(Number(fillValue)));
    one[0] = one instanceof BigUint64Array ? BigInt.asUintN(64, value) : BigInt.asIntN(64, value);
    return one;
  }
  const number = typeof fillValue === "boolean" ? (fillValue ? 1 : 0) : Number(fillValue);
  (one as Exclude<NumericArray, BigInt64Array | BigUint64Array>)[0] = number;
  return one;
}

/** Checks that a block's values are what the array's dtype says, before any byte is written. */
export function checkBlock(block: Block, dtype: DataType, where: string): NumericArray {
  const constructor = arrayClassFor(dtype);
  const values = block.values;
  if (!(values instanceof constructor)) {
    throw new ChunkwiseError("UsageError", `${where}: values of a ${dtype.name} array must come as ${constructor.name}, got ${values.constructor.name}`);
  }
  const expected = block.shape.reduce((a, b) => a * b, 1);
  if (values.length !== expected) {
    throw new ChunkwiseError("UsageError", `${where}: block of shape [${block.shape.join(", ")}] holds ${values.length} values, expected ${expected}`);
  }
  return values;
}

/**
 * The chunk of shape `chunkShape` whose first element sits at `offset` inside `block`, C order;
 * everything outside the block is the fill value. Returns the block's own values, uncopied, when
 * the chunk is exactly the block; else a new array, or with `into` (same element type, long
 * enough) a view of its first elements.
 */
export function extractChunk(
  values: NumericArray,
  blockShape: readonly number[],
  offset: readonly number[],
  chunkShape: readonly number[],
  fill: NumericArray,
  into?: NumericArray,
): NumericArray {
  const rank = chunkShape.length;
  const extent = chunkShape.map((size, axis) => Math.max(0, Math.min(size, blockShape[axis]! - offset[axis]!)));
  const whole = offset.every((o) => o === 0) && blockShape.every((size, axis) => size === chunkShape[axis]);
  if (whole) return values;
  const chunkLength = chunkShape.reduce((a, b) => a * b, 1);
  const out = into === undefined ? new (values.constructor as NumericArrayConstructor)(chunkLength) : into.subarray(0, chunkLength);
  // Only a chunk the block does not cover whole needs the fill value: every other element is copied over.
  if (extent.some((e, axis) => e !== chunkShape[axis])) (out as { fill(value: number | bigint): unknown }).fill(fill[0]!);
  if (rank === 0 || extent.some((e) => e === 0)) return out;

  // Merge trailing axes that are copied whole in both the block and the chunk into one run.
  let runAxis = rank - 1;
  let run = extent[runAxis]!;
  while (runAxis > 0 && extent[runAxis] === chunkShape[runAxis] && extent[runAxis] === blockShape[runAxis]) {
    runAxis--;
    run *= extent[runAxis]!;
  }
  const srcStrides = cStrides(blockShape);
  const dstStrides = cStrides(chunkShape);
  const source = values as Float64Array;
  const target = out as Float64Array;
  const index = new Array<number>(runAxis).fill(0);
  let src = offset.reduce((sum, o, axis) => sum + o * srcStrides[axis]!, 0);
  let dst = 0;
  for (;;) {
    target.set(source.subarray(src, src + run), dst);
    // Odometer over the outer axes, moving both positions by their strides.
    let axis = runAxis - 1;
    while (axis >= 0) {
      index[axis]!++;
      src += srcStrides[axis]!;
      dst += dstStrides[axis]!;
      if (index[axis]! < extent[axis]!) break;
      src -= extent[axis]! * srcStrides[axis]!;
      dst -= extent[axis]! * dstStrides[axis]!;
      index[axis] = 0;
      axis--;
    }
    if (axis < 0) return out;
  }
}

/** The bytes of `values` in the stored byte order (a copy only when bytes must be swapped). */
export function storedBytes(values: NumericArray, byteOrder: ChunkEncoding["byteOrder"]): Uint8Array {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (byteOrder !== "big" || values.BYTES_PER_ELEMENT === 1) return bytes;
  const swapped = bytes.slice();
  swapBytesInPlace(swapped, values.BYTES_PER_ELEMENT);
  return swapped;
}

let extracted: NumericArray | null = null;

/**
 * This thread's reused array for chunks cut out of a block before compressing (an edge chunk
 * padded with fill): a fresh one per chunk cost page faults on every megabyte (0.12-0.26 s of a
 * thread's 5 s on the 1 GiB bench; 0.29 s of one thread's 2.9 s for the 45 uncompressed edge
 * chunks). Only in worker threads, which encode one unit at a time, compress in place and write
 * the bytes (an uncompressed chunk's are this array) synchronously before the next unit (the
 * main thread's zlib works on its input in the thread pool, after the call returns).
 * With direct writes on, it is the free slot of the thread's aligned staging ring, so an
 * uncompressed chunk is written from where it was cut, without a copy.
 */
function extractionBuffer(like: NumericArray, length: number): NumericArray {
  const Values = like.constructor as NumericArrayConstructor;
  const staging = directWrites() ? alignedStaging(length * Values.BYTES_PER_ELEMENT) : null;
  if (staging !== null) return new (Values as unknown as new (buffer: ArrayBuffer, offset: number, length: number) => NumericArray)(staging.buffer, staging.byteOffset, length);
  if (extracted === null || extracted.constructor !== like.constructor || extracted.length < length) extracted = new Values(length);
  return extracted;
}

/** One chunk, from the block it sits in to its stored (compressed) bytes. */
export async function encodeChunk(values: NumericArray, blockShape: readonly number[], offset: readonly number[], encoding: ChunkEncoding, fill: NumericArray): Promise<Uint8Array> {
  const into = isMainThread ? undefined : extractionBuffer(values, encoding.chunkShape.reduce((a, b) => a * b, 1));
  const chunk = extractChunk(values, blockShape, offset, encoding.chunkShape, fill, into);
  // A worker thread writes the bytes before it encodes the next chunk: they may stay in the encoder's buffer.
  return compress(storedBytes(chunk, encoding.byteOrder), encoding.compressor, encoding.dtype.itemSize, !isMainThread);
}

/** True when every byte of a stored chunk equals the all-fill chunk (compared natively). */
export function isAllFill(chunk: NumericArray, allFill: Buffer): boolean {
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).equals(allFill);
}
