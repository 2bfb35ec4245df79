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

/** Inner chunks encoded at once per shard: enough to keep libuv's zlib threads busy, few enough to bound memory. */
const IN_FLIGHT = 4;

/**
 * Encode one shard. `values`/`blockShape` cover the shard clipped to the array bounds (C order);
 * `allFill` is one inner chunk of fill values as bytes (in memory order), to recognise empty ones.
 * Returns the shard's pieces in file order — the stored inner chunks, then the index — to be
 * written one after the other (no concatenated copy), or null when no inner chunk is stored.
 * Memory beyond the block: the encoded pieces plus at most IN_FLIGHT padded inner chunks.
 */
export async function encodeShard(
  values: NumericArray,
  blockShape: readonly number[],
  shardShape: readonly number[],
  encoding: ChunkEncoding,
  fill: NumericArray,
  allFill: Buffer,
): Promise<Uint8Array[] | null> {
  const innerShape = encoding.chunkShape;
  const innerGrid = shardShape.map((size, axis) => size / innerShape[axis]!);
  const count = innerGrid.reduce((a, b) => a * b, 1);
  const parts: (Uint8Array | null)[] = new Array(count).fill(null);
  const pending = new Set<Promise<void>>();
  const coords = new Array<number>(innerGrid.length).fill(0);
  for (let i = 0; i < count; i++) {
    const offset = coords.map((c, axis) => c * innerShape[axis]!);
    if (!offset.some((o, axis) => o >= blockShape[axis]!)) {
      const chunk = extractChunk(values, blockShape, offset, innerShape, fill);
      if (!isAllFill(chunk, allFill)) {
        const index = i;
        const task: Promise<void> = compress(storedBytes(chunk, encoding.byteOrder), encoding.compressor, encoding.dtype.itemSize).then((bytes) => {
          parts[index] = bytes;
          pending.delete(task);
        });
        pending.add(task);
        if (pending.size >= IN_FLIGHT) await Promise.race(pending);
      }
    }
    for (let axis = coords.length - 1; axis >= 0; axis--) {
      coords[axis]!++;
      if (coords[axis]! < innerGrid[axis]!) break;
      coords[axis] = 0;
    }
  }
  await Promise.all(pending);
  if (parts.every((part) => part === null)) return null;
  const index = new Uint8Array(shardIndexBytes(count));
  const view = new DataView(index.buffer);
  let position = 0;
  parts.forEach((part, i) => {
    view.setBigUint64(i * 16, part === null ? EMPTY : BigInt(position), true);
    view.setBigUint64(i * 16 + 8, part === null ? EMPTY : BigInt(part.length), true);
    if (part !== null) position += part.length;
  });
  view.setUint32(count * 16, crc32c(index.subarray(0, count * 16)), true);
  return [...parts.filter((part): part is Uint8Array => part !== null), index];
}
