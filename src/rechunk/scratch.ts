/**
 * The intermediate array of a two-stage rechunk: raw, uncompressed chunks (C order, the typed
 * array's own bytes) in the output's state directory, one file per chunk. It is read and written
 * only by chunkwise, within one job, so it needs no metadata of its own: the job file records the
 * chunk shape and the element type follows from the source's dtype. Writes are atomic (temp file,
 * rename), so a chunk file either holds a whole chunk or does not exist.
 */
import { randomBytes } from "node:crypto";
import { closeSync, fstatSync, mkdirSync, openSync, readSync, renameSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { ChunkwiseError, fromSystemError } from "../errors.js";
import type { Block, NumericArray } from "../formats/dataset.js";
import { product } from "../model/layout.js";
import { type PlacedBlock, isNumeric } from "../formats/block-copy.js";
import type { GridCell } from "./plan.js";

export type ElementCtor = new (buffer: ArrayBuffer, byteOffset?: number, length?: number) => NumericArray;

export interface ScratchArray {
  /** Directory of this array's intermediate chunks. */
  readonly directory: string;
  readonly shape: readonly number[];
  readonly chunks: readonly number[];
  /** Constructor of the element array (from the first block written, or the source dtype). */
  readonly ctor: ElementCtor;
}

export function scratchChunkFile(scratch: ScratchArray, coords: readonly number[]): string {
  return path.join(scratch.directory, coords.length === 0 ? "c" : coords.join("."));
}

/** Write one intermediate chunk, atomically. */
export async function writeScratchChunk(scratch: ScratchArray, coords: readonly number[], block: Block): Promise<void> {
  if (!isNumeric(block.values)) {
    throw new ChunkwiseError("UnsupportedError", "a two-stage rechunk of string or object data is not supported: raise --max-mem so that one stage fits");
  }
  const file = scratchChunkFile(scratch, coords);
  // Unique across processes and machines sharing DST (a partition run twice at once writes the same chunks).
  const temp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  const values = block.values;
  // Synchronous, as the store's chunk files (see store-files.ts): worker threads may block.
  try {
    mkdirSync(scratch.directory, { recursive: true });
    writeFileSync(temp, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    renameSync(temp, file);
  } catch (err) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw fromSystemError(err, file);
  }
}

/**
 * One intermediate chunk (`cell` of the chunk grid), placed in the array, read into memory from
 * `keep` (a worker's reused arena; fresh memory by default); its length is checked.
 */
export async function readScratchChunk(scratch: ScratchArray, cell: GridCell, keep: (bytes: number) => Uint8Array = (bytes) => new Uint8Array(bytes)): Promise<PlacedBlock> {
  const bytesPer = scratch.ctor.prototype.BYTES_PER_ELEMENT as number;
  const file = scratchChunkFile(scratch, cell.coords);
  const cellShape = cell.stop.map((s, axis) => s - cell.start[axis]!);
  const expected = product(cellShape) * bytesPer;
  let bytes: Uint8Array;
  let fd: number | null = null;
  try {
    fd = openSync(file, "r");
    const size = fstatSync(fd).size;
    if (size !== expected) throw new ChunkwiseError("TruncatedError", `intermediate chunk holds ${size} bytes, expected ${expected}`, { path: file });
    bytes = keep(expected);
    let done = 0;
    while (done < expected) {
      const n = readSync(fd, bytes, done, expected - done, done);
      if (n === 0) throw new ChunkwiseError("TruncatedError", `intermediate chunk ended after ${done} of ${expected} bytes`, { path: file });
      done += n;
    }
  } catch (err) {
    throw fromSystemError(err, file);
  } finally {
    if (fd !== null) closeSync(fd);
  }
  // keep() hands out 8-byte aligned memory: every element type can view it.
  return { origin: cell.start, shape: cellShape, values: new scratch.ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset, expected / bytesPer) };
}
