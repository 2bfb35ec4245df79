/**
 * A task's input as the pieces it was read in — decoded chunks, parts of chunks, slabs of a
 * contiguous array, intermediate chunks — each placed in the array. Write units are filled
 * straight from the pieces they meet, so values are copied once between reading and writing
 * (no block is assembled first); a block is assembled only where one is needed whole.
 */
import { ChunkwiseError } from "../errors.js";
import { type PlacedBlock, allocateLike, copyRegion, isNumeric } from "../formats/block-copy.js";
import type { ArrayValues, Block, DatasetReader, NumericArray, PartMemory } from "../formats/dataset.js";
import { product } from "../model/layout.js";
import { CONTIGUOUS_SLAB_BYTES, type Region, cellsIn } from "./plan.js";
import { type ScratchArray, readScratchChunks } from "./scratch.js";

export class Pieces {
  readonly region: Region;
  readonly list: readonly PlacedBlock[];
  /** Chunk grid the pieces sit on (one piece per cell), for direct lookup; null for slabs. */
  private readonly grid: { readonly chunks: readonly number[]; readonly shape: readonly number[]; readonly byCell: Map<string, PlacedBlock> } | null;

  constructor(region: Region, list: readonly PlacedBlock[], grid: { chunks: readonly number[]; shape: readonly number[]; cells: readonly (readonly number[])[] } | null) {
    this.region = region;
    const block = list.length > 1 ? stackedBlock(region, list) : null;
    this.list = block === null ? list : [block];
    this.grid = block === null && grid !== null ? { chunks: grid.chunks, shape: grid.shape, byCell: new Map(grid.cells.map((coords, i) => [coords.join(","), list[i]!])) } : null;
  }

  /** The pieces that meet `box`. */
  meeting(box: Region): PlacedBlock[] {
    if (this.grid === null) return this.list.filter((piece) => overlaps(piece, box));
    const found: PlacedBlock[] = [];
    for (const cell of cellsIn(box, this.grid.chunks, this.grid.shape)) {
      const piece = this.grid.byCell.get(cell.coords.join(","));
      if (piece !== undefined) found.push(piece);
    }
    return found;
  }

  /** Copy the values of `target`'s box from the pieces (which must cover it) into it. */
  fill(target: PlacedBlock): void {
    const box: Region = { start: target.origin, stop: target.origin.map((o, axis) => o + target.shape[axis]!) };
    for (const piece of this.meeting(box)) copyRegion(piece, target, intersection(piece, box));
  }

  /** The values of the pieces' region as one block, in `into` (a pool's array) when given. */
  assemble(into?: (like: NumericArray, length: number) => NumericArray): Block {
    const shape = this.region.stop.map((s, axis) => s - this.region.start[axis]!);
    const like = this.list[0]?.values;
    if (like === undefined) throw new ChunkwiseError("IOError", "a task block covered no data");
    const length = product(shape);
    const values: ArrayValues = into && isNumeric(like) ? into(like, length) : allocateLike(like, length);
    this.fill({ origin: this.region.start, shape, values });
    return { shape, values };
  }
}

/**
 * The pieces as one block of the whole region, when they can be one without a copy: they stack
 * along the first axis in order, each spanning the region whole along every other axis, and the
 * values of their parts lie one after the other in one buffer (as a worker's arena hands them
 * out, see ByteArena.reserve). Units are then cut with one copy call each, in runs as long as
 * the block allows, instead of one call per (unit, piece) pair: cutting (259, 32, 32) units from
 * 259 raw (1, 32, 1440) parts took 0.8 s of a thread's 3.4 s in copy calls. Null otherwise.
 */
function stackedBlock(region: Region, list: readonly PlacedBlock[]): PlacedBlock | null {
  const ndim = region.start.length;
  const first = list[0]!.values;
  if (ndim === 0 || !isNumeric(first)) return null;
  const Values = first.constructor as new (buffer: ArrayBuffer, byteOffset: number, length: number) => NumericArray;
  const itemSize = first.BYTES_PER_ELEMENT;
  const shape = region.stop.map((s, axis) => s - region.start[axis]!);
  let nextRow = region.start[0]!;
  let nextByte = -1;
  for (const piece of list) {
    const values = piece.values;
    if (!isNumeric(values) || values.constructor !== first.constructor || values.buffer !== first.buffer) return null;
    const part = intersection(piece, region);
    if (part.start[0] !== nextRow) return null;
    let offset = -(piece.first ?? 0);
    let stride = 1;
    let partial = false; // an inner axis the part covers in part: every axis before it must be one element thick
    for (let axis = ndim - 1; axis >= 0; axis--) {
      const extent = part.stop[axis]! - part.start[axis]!;
      if (axis > 0 && extent !== shape[axis]) return null;
      if (partial && extent !== 1) return null;
      if (extent !== piece.shape[axis]) partial = true;
      offset += (part.start[axis]! - piece.origin[axis]!) * stride;
      stride *= piece.shape[axis]!;
    }
    const elements = product(part.stop.map((s, axis) => s - part.start[axis]!));
    if (offset < 0 || offset + elements > values.length) return null;
    const byte = values.byteOffset + offset * itemSize;
    if (nextByte >= 0 && byte !== nextByte) return null;
    if (nextByte < 0) nextByte = byte;
    nextByte += elements * itemSize;
    nextRow = part.stop[0]!;
  }
  if (nextRow !== region.stop[0]) return null;
  const bytes = product(shape) * itemSize;
  return { origin: region.start, shape, values: new Values(first.buffer as ArrayBuffer, nextByte - bytes, bytes / itemSize) };
}

function overlaps(piece: PlacedBlock, box: Region): boolean {
  return piece.origin.every((o, axis) => o < box.stop[axis]! && o + piece.shape[axis]! > box.start[axis]!);
}

function intersection(piece: PlacedBlock, box: Region): Region {
  return {
    start: box.start.map((s, axis) => Math.max(s, piece.origin[axis]!)),
    stop: box.stop.map((s, axis) => Math.min(s, piece.origin[axis]! + piece.shape[axis]!)),
  };
}

export interface DatasetInput {
  readonly dataset: DatasetReader;
  readonly array: string;
  /** The source's chunks; null for contiguous data (read in slabs). */
  readonly chunks: readonly number[] | null;
  /** Where chunk reads put their bytes (default: fresh memory). */
  readonly memory?: PartMemory;
}

/**
 * The pieces of `region` of a dataset array: chunk by chunk (each decoded once, whole or only
 * in the part the region needs), or in slabs of at most CONTIGUOUS_SLAB_BYTES when contiguous.
 */
export async function readDatasetPieces(input: DatasetInput, shape: readonly number[], itemSize: number, region: Region): Promise<Pieces> {
  const { dataset, array, chunks } = input;
  if (chunks !== null) {
    const cells = [...cellsIn(region, chunks, shape)];
    const list: PlacedBlock[] = [];
    for (const cell of cells) {
      // Whole chunks too: a dataset reads a part that is its whole chunk into `memory` (mapped and
      // reused), where readChunk would decode into a fresh buffer, costing page faults and garbage.
      const part = intersection({ origin: cell.start, shape: cell.stop.map((s, axis) => s - cell.start[axis]!), values: [] }, region);
      list.push(await dataset.readChunkPart(array, cell.coords, part, input.memory));
    }
    return new Pieces(region, list, { chunks, shape, cells: cells.map((cell) => cell.coords) });
  }
  const blockShape = region.stop.map((s, axis) => s - region.start[axis]!);
  if (blockShape.length === 0) {
    const block = await dataset.readRegion(array, [], []);
    return new Pieces(region, [{ origin: [], shape: [], values: block.values }], null);
  }
  // Contiguous data: slabs along the first axis, at least one row of the region each.
  const rowBytes = (product(blockShape) / Math.max(1, blockShape[0]!)) * itemSize;
  const rows = Math.max(1, Math.floor(CONTIGUOUS_SLAB_BYTES / Math.max(1, rowBytes)));
  const list: PlacedBlock[] = [];
  for (let r = region.start[0]!; r < region.stop[0]!; r += rows) {
    const start = [r, ...region.start.slice(1)];
    const stop = [Math.min(region.stop[0]!, r + rows), ...region.stop.slice(1)];
    const block = await dataset.readRegion(array, start, stop);
    list.push({ origin: start, shape: block.shape, values: block.values });
  }
  return new Pieces(region, list, null);
}

/** The pieces of `region` of the intermediate array: its chunks, each read once (into `memory` when given). */
export function readScratchPieces(scratch: ScratchArray, region: Region, memory?: PartMemory): Pieces {
  const cells = [...cellsIn(region, scratch.chunks, scratch.shape)];
  const list = readScratchChunks(scratch, cells, memory && ((bytes) => memory.keep(bytes)));
  return new Pieces(region, list, { chunks: scratch.chunks, shape: scratch.shape, cells: cells.map((cell) => cell.coords) });
}
