/**
 * The intermediate array of a two-stage rechunk: raw, uncompressed chunks (C order, the typed
 * array's own bytes) in the output's state directory. It is read and written only by chunkwise,
 * within one job, so it needs no metadata of its own: the job file records the chunk shape and
 * the element type follows from the source's dtype.
 *
 * The chunks one stage-1 task writes (its block, a "group") go into one file, one after the
 * other in the order cellsIn() gives: one file created per task instead of one per chunk, which
 * cost ~0.2 ms each (create, write, rename) over thousands of chunks. A group file is written
 * under a temporary name and renamed when whole, so it either holds all its chunks or does not
 * exist, and a stage-2 task reads each chunk it needs at the offset its place in the group gives.
 */
import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import path from "node:path";
import { ChunkwiseError, fromSystemError } from "../errors.js";
import { ChunkFile } from "../formats/chunk-file.js";
import type { NumericArray } from "../formats/dataset.js";
import { syncIfDurable } from "../formats/write/durability.js";
import { product } from "../model/layout.js";
import type { PlacedBlock } from "../formats/block-copy.js";
import type { GridCell, Region } from "./plan.js";

export type ElementCtor = new (buffer: ArrayBuffer, byteOffset?: number, length?: number) => NumericArray;

export interface ScratchArray {
  /** Directory of this array's intermediate groups. */
  readonly directory: string;
  readonly shape: readonly number[];
  readonly chunks: readonly number[];
  /** The block of a stage-1 task: the chunks inside one are stored in one file. */
  readonly groups: readonly number[];
  /** Constructor of the element array (from the source dtype). */
  readonly ctor: ElementCtor;
}

function groupFile(directory: string, groupStart: readonly number[]): string {
  return path.join(directory, groupStart.length === 0 ? "g" : groupStart.join("."));
}

/**
 * Writes one group: the chunks of one stage-1 task, appended in cellsIn() order to a temporary
 * file that commit() renames into place.
 */
export class ScratchGroupWriter {
  private constructor(
    private readonly file: string,
    private readonly temp: string,
    private fd: number | null,
  ) {}

  /** Start the group of the task whose block is `region`. */
  static open(directory: string, region: Region): ScratchGroupWriter {
    const file = groupFile(directory, region.start);
    // Unique across processes and machines sharing DST (a partition run twice at once writes the same groups).
    const temp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      mkdirSync(directory, { recursive: true });
      return new ScratchGroupWriter(file, temp, openSync(temp, "w"));
    } catch (err) {
      throw fromSystemError(err, file);
    }
  }

  /** Append the next chunk of the group. */
  append(values: NumericArray): void {
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    try {
      let done = 0;
      while (done < bytes.length) done += writeSync(this.fd!, bytes, done, bytes.length - done);
    } catch (err) {
      this.abort();
      throw fromSystemError(err, this.file);
    }
  }

  /** Put the whole group in place. */
  commit(): void {
    try {
      syncIfDurable(this.fd!);
      closeSync(this.fd!);
      this.fd = null;
      renameSync(this.temp, this.file);
    } catch (err) {
      this.abort();
      throw fromSystemError(err, this.file);
    }
  }

  /** Drop an unfinished group. */
  abort(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    rmSync(this.temp, { force: true });
  }
}

/**
 * Where chunk `cell` lies in its group file: the chunks before it in C order of the group's chunk
 * grid. Along every axis the chunks before it are whole (a group starts on a chunk boundary), so
 * axis a contributes (its offset in the group) × (the cell's extent on earlier axes) × (the
 * group's extent on later axes).
 */
function placeInGroup(scratch: ScratchArray, cell: GridCell): { groupStart: number[]; groupElements: number; offset: number } {
  const { shape, groups } = scratch;
  const groupStart = cell.start.map((s, axis) => Math.floor(s / groups[axis]!) * groups[axis]!);
  const groupExtent = groupStart.map((s, axis) => Math.min(shape[axis]!, s + groups[axis]!) - s);
  let offset = 0;
  for (let axis = 0; axis < shape.length; axis++) {
    let elements = cell.start[axis]! - groupStart[axis]!;
    for (let before = 0; before < axis; before++) elements *= cell.stop[before]! - cell.start[before]!;
    for (let after = axis + 1; after < shape.length; after++) elements *= groupExtent[after]!;
    offset += elements;
  }
  return { groupStart, groupElements: product(groupExtent), offset };
}

/**
 * The intermediate chunks `cells`, placed in the array, each read into memory from `keep` (a
 * worker's reused arena; fresh memory by default). Every group file is opened once and its
 * length checked.
 */
export function readScratchChunks(scratch: ScratchArray, cells: readonly GridCell[], keep: (bytes: number) => Uint8Array = (bytes) => new Uint8Array(bytes)): PlacedBlock[] {
  const bytesPer = scratch.ctor.prototype.BYTES_PER_ELEMENT as number;
  const open = new Map<string, ChunkFile>();
  try {
    return cells.map((cell) => {
      const { groupStart, groupElements, offset } = placeInGroup(scratch, cell);
      const file = groupFile(scratch.directory, groupStart);
      const cellShape = cell.stop.map((s, axis) => s - cell.start[axis]!);
      const expected = product(cellShape) * bytesPer;
      let bytes: Uint8Array;
      try {
        let group = open.get(file);
        if (group === undefined) {
          group = new ChunkFile(openSync(file, "r"));
          open.set(file, group);
          if (group.size !== groupElements * bytesPer) {
            throw new ChunkwiseError("TruncatedError", `intermediate group holds ${group.size} bytes, expected ${groupElements * bytesPer}`, { path: file });
          }
        }
        bytes = group.readAt(offset * bytesPer, expected, keep(expected));
        if (bytes.length !== expected) throw new ChunkwiseError("TruncatedError", `intermediate group ended inside chunk [${cell.coords.join(", ")}]`, { path: file });
      } catch (err) {
        throw fromSystemError(err, file);
      }
      // keep() hands out 8-byte aligned memory: every element type can view it.
      return { origin: cell.start, shape: cellShape, values: new scratch.ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset, expected / bytesPer) };
    });
  } finally {
    for (const group of open.values()) group.close();
  }
}
