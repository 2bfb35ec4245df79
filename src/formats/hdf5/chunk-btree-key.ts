/**
 * The key of a raw-data chunk node in a version-1 B-tree (format spec §III.A.1), shared by the
 * reader that walks such trees and the direct chunk writer that builds them: the chunk's stored
 * size (u32), its filter mask (u32), then its offset in elements along each axis and a last offset
 * in bytes of the element (u64 each).
 */

export interface ChunkKey {
  /** Bytes stored (after the filters). */
  readonly size: number;
  /** Bit i set: filter i of the pipeline was skipped for this chunk. */
  readonly filterMask: number;
  /** Offsets along each axis in elements, then the element offset in bytes (0 for a chunk). */
  readonly offsets: readonly number[];
}

/** Bytes of one key of a dataset of `rank` axes. */
export function chunkKeySize(rank: number): number {
  return 8 + 8 * (rank + 1);
}

export function encodeChunkKey(key: ChunkKey): Buffer {
  const bytes = Buffer.alloc(8 + 8 * key.offsets.length);
  bytes.writeUInt32LE(key.size, 0);
  bytes.writeUInt32LE(key.filterMask, 4);
  key.offsets.forEach((offset, axis) => bytes.writeBigUInt64LE(BigInt(offset), 8 + 8 * axis));
  return bytes;
}

/** The key at `at` of a node of a dataset of `rank` axes. */
export function decodeChunkKey(node: Buffer, at: number, rank: number): ChunkKey {
  const offsets = new Array<number>(rank + 1);
  for (let axis = 0; axis <= rank; axis += 1) offsets[axis] = Number(node.readBigUInt64LE(at + 8 + 8 * axis));
  return { size: node.readUInt32LE(at), filterMask: node.readUInt32LE(at + 4), offsets };
}
