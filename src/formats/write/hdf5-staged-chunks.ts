/**
 * HDF5 chunks before the file exists: every write unit is encoded as the HDF5 filters would store
 * it — padded to the full chunk (HDF5 stores edge chunks whole), byte-shuffled when the dataset
 * has the shuffle filter, deflated in zlib format (the deflate filter's) — by whichever thread or
 * process writes it, and kept as one file per chunk under `DST.chunkwise/chunks/`, written
 * atomically like Zarr chunk files (idempotent, resumable). finalize() copies them into the file.
 *
 * A staged chunk file is a 16-byte header — "CWHC", format 1, payload length, CRC-32 (zlib.crc32, native) of the
 * payload (u32 little-endian each) — then the payload, so a truncated or damaged file is caught
 * before any of it reaches the output.
 */
import { existsSync, openSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import path from "node:path";
import { ChunkwiseError, fromSystemError } from "../../errors.js";
import { ChunkFile } from "../chunk-file.js";
import type { NumericArray } from "../dataset.js";
import { crc32 } from "node:zlib";
import { shuffle } from "../codecs/shuffle.js";
import { ZlibCodec } from "../codecs/zlib.js";
import type { ArraySpec } from "../writer.js";
import type { Compressor } from "./compressor.js";
import { extractChunk } from "./encode.js";
import { stagingDirectory } from "./staging.js";
import { nodeDirectory, writeFileAtomic } from "./store-files.js";

/** How one dataset's chunks are stored. */
export interface Hdf5ChunkEncoding {
  /** The HDF5 chunk shape (each axis at most the array's). */
  readonly chunks: readonly number[];
  /** Deflate level, or null for no filter. */
  readonly deflate: number | null;
  /** Byte shuffle before deflate (the shuffle filter). */
  readonly shuffle: boolean;
}

const MAGIC = "CWHC";
const FORMAT = 1;
const HEADER = 16;

const codecs = new Map<number, ZlibCodec>();

/** The encoding of an array: its chunks clipped to the shape, its compressor's level, shuffle for multi-byte types. */
export function hdf5ChunkEncoding(spec: Pick<ArraySpec, "shape" | "chunks" | "dtype">, compressor: Compressor | null): Hdf5ChunkEncoding {
  return {
    chunks: spec.chunks.map((chunk, axis) => Math.min(chunk, spec.shape[axis]!)),
    deflate: compressor?.level ?? null,
    shuffle: compressor?.shuffle === true && spec.dtype.itemSize > 1,
  };
}

/** A unit's stored bytes: `values` (the unit clipped to the array, C order, little-endian) padded with zeros (HDF5's default fill) to the chunk, filtered. */
export async function encodeHdf5Chunk(values: NumericArray, blockShape: readonly number[], encoding: Hdf5ChunkEncoding): Promise<Uint8Array> {
  const zero = new (values.constructor as new (n: number) => NumericArray)(1);
  const chunk = extractChunk(values, blockShape, blockShape.map(() => 0), encoding.chunks, zero);
  let bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (encoding.shuffle && chunk.BYTES_PER_ELEMENT > 1) {
    // HDF5's shuffle filter is blosc's byte shuffle: byte j of every element together.
    const shuffled = new Uint8Array(bytes.length);
    shuffle(bytes, shuffled, chunk.BYTES_PER_ELEMENT);
    bytes = shuffled;
  }
  if (encoding.deflate === null) return bytes;
  let codec = codecs.get(encoding.deflate);
  if (!codec) codecs.set(encoding.deflate, (codec = new ZlibCodec(encoding.deflate)));
  return codec.encode(bytes);
}

/** Where an output's staged chunks live: `DST.chunkwise/chunks/`. */
export function stagedChunksDirectory(location: string): string {
  return path.join(stagingDirectory(location, "hdf5"), "chunks");
}

/** The staged file of one chunk: `DST.chunkwise/chunks/<array path>/c<i>.<j>…`. */
export function stagedChunkPath(location: string, arrayPath: string, coords: readonly number[]): string {
  return path.join(nodeDirectory(stagedChunksDirectory(location), arrayPath), `c${coords.join(".")}`);
}

export async function writeStagedChunk(file: string, payload: Uint8Array): Promise<void> {
  const header = Buffer.alloc(HEADER);
  header.write(MAGIC, 0, "latin1");
  header.writeUInt32LE(FORMAT, 4);
  header.writeUInt32LE(payload.byteLength, 8);
  header.writeUInt32LE(crc32(payload), 12);
  await writeFileAtomic(file, [header, payload]);
}

/**
 * A staged chunk's payload; a missing, truncated or damaged file is an IOError naming it. With
 * `reuse`, the file is read into that reader's buffer and the payload is valid until its next read.
 */
export function readStagedChunk(file: string, reuse?: ReusedBuffer): Uint8Array {
  let bytes: Buffer;
  try {
    bytes = reuse === undefined ? readFileSync(file) : reuse.readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new ChunkwiseError("IOError", "staged HDF5 chunk is missing: a unit the journal counts as written is not there; start again with --overwrite", { path: file });
    }
    throw fromSystemError(err, file);
  }
  const length = bytes.length >= HEADER ? bytes.readUInt32LE(8) : -1;
  const damaged = (why: string) =>
    new ChunkwiseError("IOError", `staged HDF5 chunk is ${why}; start again with --overwrite`, { path: file });
  if (bytes.length < HEADER || bytes.toString("latin1", 0, 4) !== MAGIC || bytes.readUInt32LE(4) !== FORMAT) throw damaged("not a chunk file chunkwise wrote");
  if (bytes.length !== HEADER + length) throw damaged(`truncated (${bytes.length - HEADER} of ${length} bytes)`);
  const payload = bytes.subarray(HEADER);
  if (crc32(payload) !== bytes.readUInt32LE(12)) throw damaged("damaged (checksum mismatch)");
  return payload;
}

/**
 * One buffer files are read into, grown as needed: finalize reads ~1000 staged chunks of ~0.7 MB
 * at 1 GiB, and a new buffer for each left up to 40 MiB of garbage in the main thread, on top of
 * the workers, at the netCDF-4 benchmark's peak RSS.
 */
class ReusedBuffer {
  private buffer = Buffer.alloc(0);

  readFile(file: string): Buffer {
    const handle = new ChunkFile(openSync(file, "r"));
    try {
      if (this.buffer.length < handle.size) this.buffer = Buffer.allocUnsafe(Math.max(handle.size, Math.ceil(this.buffer.length * 1.5)));
      const read = handle.readAt(0, handle.size, this.buffer);
      return this.buffer.subarray(0, read.length);
    } finally {
      handle.close();
    }
  }
}

/**
 * Every staged chunk of an array in C order of its grid, each valid until the next is asked for.
 * Read synchronously: 1000 small async reads through libuv's pool took most of a second. With `waitWhile`, a chunk not staged yet is
 * waited for (looked for every 20 ms) as long as it returns true: for assembling the file while
 * worker threads still write (Hdf5Writer.assembleWhileWriting).
 */
export async function* stagedChunksInOrder(location: string, arrayPath: string, grid: readonly number[], waitWhile?: () => boolean): AsyncGenerator<Uint8Array> {
  const count = grid.reduce((a, b) => a * b, 1);
  const fileOf = (index: number): string => {
    const coords = new Array<number>(grid.length);
    for (let axis = grid.length - 1; axis >= 0; axis--) {
      coords[axis] = index % grid[axis]!;
      index = Math.floor(index / grid[axis]!);
    }
    return stagedChunkPath(location, arrayPath, coords);
  };
  const reuse = new ReusedBuffer();
  for (let index = 0; index < count; index++) {
    const file = fileOf(index);
    // Ref'd: when finalize() has stopped the waiting it awaits this loop, and may have nothing else
    // keeping the process alive (idle worker threads do not); close() stops it after a failed run.
    while (waitWhile?.() && !existsSync(file)) await sleep(20);
    yield readStagedChunk(file, reuse);
  }
}
