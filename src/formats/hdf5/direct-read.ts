/**
 * HDF5 direct chunk read: for a chunked dataset of integers or IEEE floats whose filters are
 * deflate, shuffle and fletcher32 only, each chunk's address, stored size and filter mask come
 * from the chunk index (walked once per dataset), its bytes from one positional read, and its
 * filters are undone in JavaScript (node:zlib's inflate is faster than h5wasm's, and no wasm heap
 * grows with the chunk cache). Everything else is read through h5wasm.
 */
import { ChunkwiseError } from "../../errors.js";
import { ByteSlots, copyRegion } from "../block-copy.js";
import type { Block, NumericArray, PartMemory, PlacedBlock, Region } from "../dataset.js";
import { swapBytesInPlace, typedArrayClasses } from "../typed-arrays.js";
import { ChunkFile } from "../chunk-file.js";
import { chunkBytes, parseDataLayout, visitChunks, type ChunkedLayout, type StoredChunk } from "./chunk-index.js";
import { ChunkDecodeError, decodesAll, unfilterChunk } from "./chunk-filters.js";
import { parseDataspace, parseFilterPipeline, parseNumericType, type NumericType, type PipelineFilter } from "./dataset-messages.js";
import { fillBytes } from "./layout.js";
import { resolveObject } from "./links.js";
import { MetadataReader } from "./metadata-reader.js";
import { FLAG_SHARED, MSG, readObjectHeader, type Message } from "./object-header.js";
import { chunkRegion } from "./region.js";
import type { Superblock } from "./superblock.js";

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** What the direct reader needs of one dataset, all from its object header. */
export interface DirectDataset {
  readonly shape: readonly number[];
  readonly maxShape: readonly (number | null)[];
  readonly type: NumericType;
  readonly layout: ChunkedLayout;
  readonly filters: readonly PipelineFilter[];
  /** One element of the fill value as stored; zeros when it is undefined. */
  readonly fill: Uint8Array;
}

/**
 * The dataset at `headerAddress` when its chunks can be read directly; null when it must go
 * through h5wasm (another layout, datatype or filter, shared messages, a header not understood).
 */
export function directDataset(reader: MetadataReader, headerAddress: number): DirectDataset | null {
  let messages: Message[];
  try {
    messages = readObjectHeader(reader, headerAddress);
  } catch {
    return null;
  }
  const unshared = (type: number): Buffer | null => {
    const message = messages.find((m) => m.type === type);
    return message === undefined || (message.flags & FLAG_SHARED) !== 0 ? null : message.data;
  };
  const [dataspace, datatype, layoutData] = [unshared(MSG.dataspace), unshared(MSG.datatype), unshared(MSG.layout)];
  if (dataspace === null || datatype === null || layoutData === null) return null;
  const pipeline = messages.find((m) => m.type === MSG.filterPipeline);
  if (pipeline !== undefined && (pipeline.flags & FLAG_SHARED) !== 0) return null;
  try {
    const space = parseDataspace(dataspace, reader.lengthSize);
    const type = parseNumericType(datatype);
    const layout = parseDataLayout(reader, layoutData);
    const filters = pipeline === undefined ? [] : parseFilterPipeline(pipeline.data);
    if (space === null || type === null || layout.kind !== "chunked" || layout.unfilteredEdgeChunks) return null;
    if (layout.itemSize !== type.size || layout.chunks.length !== space.shape.length || !decodesAll(filters)) return null;
    const fill = fillBytes(messages, type.size) ?? new Uint8Array(type.size);
    return { ...space, type, layout, filters, fill };
  } catch {
    return null;
  }
}

/** Reads the chunks of one DirectDataset from its open file. */
export class DirectChunkReader {
  private table: Map<number, StoredChunk> | undefined;
  private readonly grid: readonly number[];
  private readonly chunkBytes: number;
  private readonly scratchBuffers = new ByteSlots();
  /** Fresh memory for what the caller keeps, this reader's own, reused from chunk to chunk, for scratch. */
  private readonly ownMemory: PartMemory = { keep: (bytes) => new Uint8Array(bytes), scratch: (slot, bytes) => this.scratchBuffers.take(slot, bytes) };

  constructor(
    private readonly reader: MetadataReader,
    private readonly file: ChunkFile,
    readonly dataset: DirectDataset,
    /** The file and the dataset's path, for messages. */
    private readonly names: { readonly location: string; readonly path: string },
  ) {
    const { shape, layout } = dataset;
    this.grid = shape.map((n, axis) => Math.ceil(n / layout.chunks[axis]!));
    this.chunkBytes = chunkBytes(layout.chunks, layout.itemSize);
  }

  /** Chunk `coords` decoded, clipped to the array's bounds. */
  readChunk(coords: readonly number[]): Block {
    const { start, stop } = chunkRegion(this.description, coords, this.names.location);
    const chunks = this.dataset.layout.chunks;
    const values = this.chunkValues(coords);
    const shape = stop.map((s, axis) => s - start[axis]!);
    if (shape.every((n, axis) => n === chunks[axis])) return { shape, values };
    const clipped = { origin: start, shape, values: new (values.constructor as new (length: number) => NumericArray)(shape.reduce((a, b) => a * b, 1)) };
    copyRegion({ origin: start, shape: chunks, values }, clipped, { start, stop });
    return clipped;
  }

  /** Chunk `coords` whole (an edge chunk unclipped), its bytes in `memory` when given: copy only `part` out of it. */
  readChunkPart(coords: readonly number[], part: Region, memory?: PartMemory): PlacedBlock {
    const { start, stop } = chunkRegion(this.description, coords, this.names.location);
    if (part.start.length !== start.length || part.start.some((s, axis) => s < start[axis]! || part.stop[axis]! > stop[axis]! || s > part.stop[axis]!)) {
      throw new ChunkwiseError("UsageError", `part [${part.start.join(", ")}]–[${part.stop.join(", ")}] is not inside chunk [${coords.join(", ")}] of ${this.names.path}`, {
        path: this.names.location,
      });
    }
    return { origin: start, shape: this.dataset.layout.chunks, values: this.chunkValues(coords, memory) };
  }

  private get description(): { shape: readonly number[]; chunks: readonly number[]; path: string } {
    return { shape: this.dataset.shape, chunks: this.dataset.layout.chunks, path: this.names.path };
  }

  /** The whole chunk at grid `coords` (edge chunks unclipped: the chunk shape), native byte order. */
  private chunkValues(coords: readonly number[], memory: PartMemory = this.ownMemory): NumericArray {
    const entry = this.chunkTable().get(this.gridIndex(coords));
    const bytes = entry === undefined ? this.fillChunk(memory) : this.decode(entry, coords, memory);
    if (this.dataset.type.littleEndian !== LITTLE_ENDIAN) swapBytesInPlace(bytes, this.dataset.type.size);
    const { kind, size } = this.dataset.type;
    const Typed = typedArrayClasses[`${kind}${size * 8}` as keyof typeof typedArrayClasses];
    return new Typed(bytes.buffer as ArrayBuffer, bytes.byteOffset, this.chunkBytes / size);
  }

  private decode(entry: StoredChunk, coords: readonly number[], memory: PartMemory): Uint8Array {
    const fail = (message: string, tag: "IOError" | "TruncatedError" = "IOError"): ChunkwiseError =>
      new ChunkwiseError(tag, `cannot read ${this.names.path} chunk [${coords.join(", ")}]: ${message}`, { path: this.names.location });
    const position = this.reader.superblock.position + entry.address;
    if (position + entry.size > this.file.size) {
      throw fail(`its ${entry.size} bytes at offset ${position} lie past the end of the file (${this.file.size} bytes): the file is truncated or damaged`, "TruncatedError");
    }
    const stored = this.file.readAt(position, entry.size, memory.scratch("compressed", entry.size));
    if (stored.length !== entry.size) throw fail(`read ${stored.length} of ${entry.size} bytes at offset ${position}: the file is truncated`, "TruncatedError");
    const { filters, type } = this.dataset;
    let bytes: Uint8Array;
    try {
      bytes = unfilterChunk(stored, filters, entry.filterMask, this.chunkBytes, type.size, memory);
    } catch (err) {
      if (err instanceof ChunkDecodeError) throw fail(err.message);
      throw err;
    }
    // The bytes become the values: not scratch memory, and aligned for the element type.
    if (bytes.buffer === stored.buffer || bytes.byteOffset % type.size !== 0) {
      const own = memory.keep(this.chunkBytes);
      own.set(bytes);
      bytes = own;
    }
    return bytes;
  }

  private fillChunk(memory: PartMemory): Uint8Array {
    const bytes = memory.keep(this.chunkBytes);
    const { fill } = this.dataset;
    bytes.set(fill);
    // Double what is filled until the chunk is full.
    for (let filled = fill.length; filled < bytes.length; filled *= 2) bytes.copyWithin(filled, 0, Math.min(filled, bytes.length - filled));
    return bytes;
  }

  private gridIndex(coords: readonly number[]): number {
    return coords.reduce((index, c, axis) => index * this.grid[axis]! + c, 0);
  }

  /** Every allocated chunk by its index in the current grid, built on first use. */
  private chunkTable(): Map<number, StoredChunk> {
    if (this.table !== undefined) return this.table;
    const table = new Map<number, StoredChunk>();
    const toCoords = positionToCoords(this.dataset);
    const { layout } = this.dataset;
    const implicitChunks = this.dataset.maxShape.reduce<number>((product, n, axis) => product * Math.ceil((n ?? 0) / layout.chunks[axis]!), 1);
    try {
      visitChunks(this.reader, layout, implicitChunks, (chunk) => {
        const coords = toCoords(chunk.position);
        if (coords.every((c, axis) => c < this.grid[axis]!)) table.set(this.gridIndex(coords), chunk);
      });
    } catch (err) {
      throw new ChunkwiseError("IOError", `cannot read the chunk index of ${this.names.path}: the file is damaged (${(err as Error).message})`, {
        path: this.names.location,
        cause: err,
      });
    }
    this.table = table;
    return table;
  }
}

/**
 * Grid coordinates from an index's position: B-trees give them; implicit, fixed and extensible
 * array indexes number chunks in C order over the grid of the maximum shape (H5Dnone.c,
 * H5Dfarray.c), the extensible array with its one unlimited axis moved first (H5Dearray.c).
 */
function positionToCoords(dataset: DirectDataset): (position: readonly number[] | number) => readonly number[] {
  const { maxShape, layout } = dataset;
  const rank = maxShape.length;
  const unlimited = maxShape.findIndex((n) => n === null);
  // The order axes are numbered in, slowest first.
  const order = Array.from({ length: rank }, (_, axis) => axis);
  if (layout.index.type === "extensible-array" && unlimited > 0) order.unshift(...order.splice(unlimited, 1));
  const maxGrid = maxShape.map((n, axis) => (n === null ? Infinity : Math.ceil(n / layout.chunks[axis]!)));
  return (position) => {
    if (typeof position !== "number") return position;
    const coords = new Array<number>(rank);
    let rest = position;
    for (let i = rank - 1; i >= 0; i -= 1) {
      const axis = order[i]!;
      const size = maxGrid[axis]!;
      coords[axis] = i === 0 ? rest : rest % size;
      rest = Math.floor(rest / size);
    }
    return coords;
  };
}

/** The direct readers of one open file, one per dataset, made on first use. */
export class DirectReads {
  private readonly readers = new Map<string, DirectChunkReader | null>();
  private readonly metadata: MetadataReader;
  private readonly file: ChunkFile;

  constructor(
    fd: number,
    private readonly superblock: Superblock,
    private readonly location: string,
  ) {
    this.metadata = new MetadataReader(fd, superblock);
    this.file = new ChunkFile(fd);
  }

  /** The reader of dataset `path` (as reported), whose object header is at `headerAddress()`; null when it is read through h5wasm. */
  byAddress(path: string, headerAddress: () => number): DirectChunkReader | null {
    return this.cached(path, headerAddress);
  }

  /** The same, finding the object header from the path inside the file: null also where that needs h5wasm (see links.ts). */
  byPath(path: string, filePath: string): DirectChunkReader | null {
    const root = this.superblock.rootAddress;
    return this.cached(path, () => (root === null ? null : resolveObject(this.metadata, root, filePath)));
  }

  private cached(path: string, headerAddress: () => number | null): DirectChunkReader | null {
    let reader = this.readers.get(path);
    if (reader === undefined) {
      const address = headerAddress();
      const dataset = address === null ? null : directDataset(this.metadata, address);
      reader = dataset === null ? null : new DirectChunkReader(this.metadata, this.file, dataset, { location: this.location, path });
      this.readers.set(path, reader);
    }
    return reader;
  }
}
