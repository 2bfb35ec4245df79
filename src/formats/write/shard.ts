/**
 * The Zarr v3 `sharding_indexed` encoder (zarrita reads shards but cannot write them).
 *
 * A shard, per the v3 sharding spec with index_location "end": the encoded inner chunks
 * concatenated, then an index of one (offset, nbytes) pair of little-endian uint64 per inner chunk
 * in C order of the inner grid, followed by the index's crc32c (index_codecs [bytes little,
 * crc32c]). Inner chunks that are entirely fill — including those wholly outside the array at its
 * edge — are not stored: their pair is (2^64−1, 2^64−1), as zarr-python writes them. A shard
 * whose inner chunks are all empty is not stored at all (null), as zarr-python does.
 */
import { crc32c } from "../codecs/crc32c.js";
import type { NumericArray } from "../dataset.js";
import { compress } from "./compressor.js";
import { extractChunk, isAllFill, storedBytes, type ChunkEncoding } from "./encode.js";

const EMPTY = 0xffffffffffffffffn;

/** The `index_codecs` every chunkwise shard uses. */
export const SHARD_INDEX_CODECS = [{ name: "bytes", configuration: { endian: "little" } }, { name: "crc32c" }] as const;

/** Bytes of the index (pairs + checksum) for a shard of `innerChunks` inner chunks. */
export function shardIndexBytes(innerChunks: number): number {
  return innerChunks * 16 + 4;
}

/**
 * Encode one shard. `values`/`blockShape` cover the shard clipped to the array bounds (C order);
 * `allFill` is one inner chunk of fill values as bytes (in memory order), to recognise empty ones.
 */
export async function encodeShard(
  values: NumericArray,
  blockShape: readonly number[],
  shardShape: readonly number[],
  encoding: ChunkEncoding,
  fill: NumericArray,
  allFill: Buffer,
): Promise<Uint8Array | null> {
  const innerShape = encoding.chunkShape;
  const innerGrid = shardShape.map((size, axis) => size / innerShape[axis]!);
  const count = innerGrid.reduce((a, b) => a * b, 1);
  const encoded: (Promise<Uint8Array> | null)[] = new Array(count);
  const coords = new Array<number>(innerGrid.length).fill(0);
  for (let i = 0; i < count; i++) {
    const offset = coords.map((c, axis) => c * innerShape[axis]!);
    const outside = offset.some((o, axis) => o >= blockShape[axis]!);
    if (outside) {
      encoded[i] = null;
    } else {
      const chunk = extractChunk(values, blockShape, offset, innerShape, fill);
      encoded[i] = isAllFill(chunk, allFill) ? null : compress(storedBytes(chunk, encoding.byteOrder), encoding.compressor);
    }
    for (let axis = coords.length - 1; axis >= 0; axis--) {
      coords[axis]!++;
      if (coords[axis]! < innerGrid[axis]!) break;
      coords[axis] = 0;
    }
  }
  const parts = await Promise.all(encoded);
  if (parts.every((part) => part === null)) return null;
  const dataBytes = parts.reduce((sum, part) => sum + (part ? part.length : 0), 0);
  const out = new Uint8Array(dataBytes + shardIndexBytes(count));
  const index = new DataView(out.buffer, dataBytes, count * 16);
  let position = 0;
  parts.forEach((part, i) => {
    if (part === null) {
      index.setBigUint64(i * 16, EMPTY, true);
      index.setBigUint64(i * 16 + 8, EMPTY, true);
      return;
    }
    out.set(part, position);
    index.setBigUint64(i * 16, BigInt(position), true);
    index.setBigUint64(i * 16 + 8, BigInt(part.length), true);
    position += part.length;
  });
  new DataView(out.buffer).setUint32(dataBytes + count * 16, crc32c(out.subarray(dataBytes, dataBytes + count * 16)), true);
  return out;
}
