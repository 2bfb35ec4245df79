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
    this.list = list;
    this.grid = grid && { chunks: grid.chunks, shape: grid.shape, byCell: new Map(grid.cells.map((coords, i) => [coords.join(","), list[i]!])) };
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
