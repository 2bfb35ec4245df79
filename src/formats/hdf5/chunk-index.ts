/**
 * The data layout message (format spec §IV.A.2.i) and the chunk index it points to: v1 B-tree
 * (§III.A.1), v2 B-tree (§III.B), fixed array (§VII.A), extensible array (§VII.B), and the single
 * chunk and implicit indexes that live in the message itself. One walk visits every allocated
 * chunk with its address, stored size and filter mask; only metadata blocks are read.
 */
import { decodeChunkKey, chunkKeySize } from "./chunk-btree-key.js";
import type { MetadataReader } from "./metadata-reader.js";
import { readUint } from "./superblock.js";

export type DataLayout =
  | { readonly kind: "compact"; readonly size: number }
  | { readonly kind: "contiguous"; readonly address: number | null; readonly size: number }
  | { readonly kind: "virtual" }
  | ChunkedLayout;

export interface ChunkedLayout {
  readonly kind: "chunked";
  /** The chunk shape in elements. */
  readonly chunks: readonly number[];
  readonly itemSize: number;
  /** Layout flag: chunks that only partly cover the dataset were stored unfiltered. */
  readonly unfilteredEdgeChunks: boolean;
  readonly index: ChunkIndex;
}

export type ChunkIndex =
  | { readonly type: "btree1" | "implicit" | "fixed-array" | "extensible-array" | "btree2"; readonly address: number | null }
  | { readonly type: "single"; readonly address: number | null; readonly size: number; readonly filterMask: number };

export interface StoredChunk {
  readonly address: number;
  /** Bytes stored (after the filters). */
  readonly size: number;
  /** Bit i set: filter i of the pipeline was skipped for this chunk. */
  readonly filterMask: number;
  /**
   * Where the chunk sits: its coordinates in the chunk grid (B-trees, single chunk), or its
   * position in the index's own linear order (implicit, fixed and extensible arrays).
   */
  readonly position: readonly number[] | number;
}

export type ChunkVisitor = (chunk: StoredChunk) => void;

/** Decode a layout message; throws on versions and classes it does not know. */
export function parseDataLayout(reader: MetadataReader, data: Buffer): DataLayout {
  const version = data[0]!;
  // Versions 1 and 2 (HDF5 1.4 and earlier) are not decoded.
  if (version !== 3 && version !== 4 && version !== 5) throw new Error(`layout message version ${version}`);
  const layoutClass = data[1]!;
  if (layoutClass === 0) return { kind: "compact", size: data.readUInt16LE(2) };
  if (layoutClass === 1) return { kind: "contiguous", address: reader.address(data, 2), size: reader.length(data, 2 + reader.offsetSize) };
  if (layoutClass === 3) return { kind: "virtual" };
  if (layoutClass !== 2) throw new Error(`layout class ${layoutClass}`);
  if (version === 3) {
    // Dimensionality (rank + 1), the B-tree address, then u32 sizes whose last is the element size.
    const dims = readDims(data, 3 + reader.offsetSize, data[2]!, 4);
    return { kind: "chunked", chunks: dims.slice(0, -1), itemSize: dims.at(-1)!, unfilteredEdgeChunks: false, index: { type: "btree1", address: reader.address(data, 3) } };
  }
  // Version 4 (and 5, which only adds index types): flags, dimensionality, encoded dim size, dims, index type, index info, address.
  const flags = data[2]!;
  const dims = readDims(data, 5, data[3]!, data[4]!);
  let pos = 5 + data[3]! * data[4]!;
  const indexType = data[pos]!;
  pos += 1;
  const chunks = dims.slice(0, -1);
  const itemSize = dims.at(-1)!;
  const chunked = (index: ChunkIndex): ChunkedLayout => ({ kind: "chunked", chunks, itemSize, unfilteredEdgeChunks: (flags & 0x01) !== 0, index });
  switch (indexType) {
    case 1: {
      // Single chunk: optional filtered size + filter mask, then the chunk's address.
      if ((flags & 0x02) === 0) return chunked({ type: "single", address: reader.address(data, pos), size: chunkBytes(chunks, itemSize), filterMask: 0 });
      const size = reader.length(data, pos);
      const filterMask = data.readUInt32LE(pos + reader.lengthSize);
      return chunked({ type: "single", address: reader.address(data, pos + reader.lengthSize + 4), size, filterMask });
    }
    case 2:
      return chunked({ type: "implicit", address: reader.address(data, pos) });
    case 3:
      return chunked({ type: "fixed-array", address: reader.address(data, pos + 1) });
    case 4:
      return chunked({ type: "extensible-array", address: reader.address(data, pos + 5) });
    case 5:
      return chunked({ type: "btree2", address: reader.address(data, pos + 6) });
    default:
      throw new Error(`chunk index type ${indexType}`);
  }
}

/** Bytes of one unfiltered chunk. */
export function chunkBytes(chunks: readonly number[], itemSize: number): number {
  return chunks.reduce((product, n) => product * n, itemSize);
}

/**
 * Visit every allocated chunk. `gridChunks` is how many chunks an implicit index holds (it
 * records none: every chunk is allocated, one after the other).
 */
export function visitChunks(reader: MetadataReader, layout: ChunkedLayout, gridChunks: number, visit: ChunkVisitor): void {
  const { index, chunks } = layout;
  if (index.address === null) return;
  const bytes = chunkBytes(chunks, layout.itemSize);
  switch (index.type) {
    case "single":
      visit({ address: index.address, size: index.size, filterMask: index.filterMask, position: chunks.map(() => 0) });
      return;
    case "implicit":
      for (let i = 0; i < gridChunks; i += 1) visit({ address: index.address + i * bytes, size: bytes, filterMask: 0, position: i });
      return;
    case "btree1":
      walkV1Btree(reader, index.address, chunks, visit);
      return;
    case "fixed-array":
      walkFixedArray(reader, index.address, bytes, visit);
      return;
    case "extensible-array":
      walkExtensibleArray(reader, index.address, bytes, visit);
      return;
    case "btree2":
      walkV2Btree(reader, index.address, bytes, chunks.length, visit);
      return;
  }
}

/** How many chunks are allocated and how many bytes they hold, reading as little as the index allows. */
export function tallyChunks(reader: MetadataReader, layout: ChunkedLayout, gridChunks: number): { count: number; bytes: number } {
  const { index } = layout;
  if (index.address === null) return { count: 0, bytes: 0 };
  if (index.type === "implicit") return { count: gridChunks, bytes: gridChunks * chunkBytes(layout.chunks, layout.itemSize) };
  if (index.type === "btree2") {
    // Unfiltered records all have the full chunk size: the header's record count is enough.
    const header = readV2BtreeHeader(reader, index.address);
    if (header.type === 10) return { count: header.records, bytes: header.records * chunkBytes(layout.chunks, layout.itemSize) };
  }
  const tally = { count: 0, bytes: 0 };
  visitChunks(reader, layout, gridChunks, (chunk) => {
    tally.count += 1;
    tally.bytes += chunk.size;
  });
  return tally;
}

function readDims(data: Buffer, offset: number, count: number, width: number): number[] {
  const dims: number[] = [];
  for (let i = 0; i < count; i += 1) dims.push(readUint(data, offset + i * width, width) ?? 0);
  return dims;
}

/** Version 1 B-tree of raw data chunks (§III.A.1): leaf keys carry each chunk's offset, stored size and filter mask. */
function walkV1Btree(reader: MetadataReader, address: number, chunks: readonly number[], visit: ChunkVisitor): void {
  const O = reader.offsetSize;
  const rank = chunks.length;
  const keySize = chunkKeySize(rank);
  const pending = [address];
  // One read per node, sized for the default 2K = 64 entries; a node with more is read again.
  const nodeHeader = 8 + 2 * O;
  const nodeSize = (entries: number) => nodeHeader + entries * (keySize + O) + keySize;
  for (let visited = 0; pending.length > 0; visited += 1) {
    if (visited > 10_000_000) throw new Error("B-tree too large");
    const nodeAddress = pending.pop()!;
    let node = reader.bytesAtMost(nodeAddress, nodeSize(64));
    if (node.length < nodeHeader || node.subarray(0, 4).toString("latin1") !== "TREE" || node[4] !== 1) {
      throw new Error("not a raw-data chunk B-tree node");
    }
    const level = node[5]!;
    const entries = node.readUInt16LE(6);
    if (node.length < nodeSize(entries)) node = reader.bytes(nodeAddress, nodeSize(entries));
    const children: number[] = [];
    for (let i = 0; i < entries; i += 1) {
      const keyOffset = nodeHeader + i * (keySize + O);
      const child = reader.address(node, keyOffset + keySize);
      if (child === null) continue;
      if (level === 0) {
        const key = decodeChunkKey(node, keyOffset, rank);
        const position = chunks.map((n, axis) => key.offsets[axis]! / n);
        visit({ address: child, size: key.size, filterMask: key.filterMask, position });
      } else {
        children.push(child);
      }
    }
    // Visit children in file order, so the read-ahead window serves neighbouring nodes.
    pending.push(...children.sort((a, b) => b - a));
  }
}

/** Fixed array index (§VII.A): one entry per chunk of the grid, possibly split into pages. */
function walkFixedArray(reader: MetadataReader, headerAddress: number, chunkBytes: number, visit: ChunkVisitor): void {
  const O = reader.offsetSize;
  const L = reader.lengthSize;
  const header = reader.bytes(headerAddress, 8 + L + O + 4);
  if (header.subarray(0, 4).toString("latin1") !== "FAHD") throw new Error("not a fixed array header");
  const entries = new ArrayEntries(reader, header[5]!, header[6]!, chunkBytes, visit);
  const pageBits = header[7]!;
  const count = reader.length(header, 8);
  const blockAddress = reader.address(header, 8 + L);
  if (blockAddress === null) return;
  const prefix = 6 + O;
  const perPage = 2 ** pageBits;
  if (count <= perPage) {
    const block = reader.bytes(blockAddress, prefix + count * entries.size);
    if (block.subarray(0, 4).toString("latin1") !== "FADB") throw new Error("not a fixed array data block");
    entries.visit(block.subarray(prefix), count);
    return;
  }
  const pages = Math.ceil(count / perPage);
  const bitmapLength = Math.ceil(pages / 8);
  const block = reader.bytes(blockAddress, prefix + bitmapLength);
  if (block.subarray(0, 4).toString("latin1") !== "FADB") throw new Error("not a fixed array data block");
  let pageAddress = blockAddress + prefix + bitmapLength + 4;
  for (let page = 0; page < pages; page += 1) {
    const inPage = Math.min(perPage, count - page * perPage);
    const initialized = (block[prefix + (page >> 3)]! & (0x80 >> (page & 7))) !== 0;
    if (initialized) entries.visit(reader.bytes(pageAddress, inPage * entries.size), inPage);
    else entries.skip(inPage);
    pageAddress += inPage * entries.size + 4;
  }
}

/**
 * The entries of a fixed or extensible array, in index order: client 0 = address only
 * (unfiltered), client 1 = address, stored size, filter mask.
 */
class ArrayEntries {
  private next = 0;

  constructor(
    private readonly reader: MetadataReader,
    private readonly clientId: number,
    readonly size: number,
    private readonly chunkBytes: number,
    private readonly visitor: ChunkVisitor,
  ) {}

  visit(data: Buffer, count: number): void {
    const O = this.reader.offsetSize;
    for (let i = 0; i < count; i += 1, this.next += 1) {
      const offset = i * this.size;
      const address = this.reader.address(data, offset);
      if (address === null) continue;
      if (this.clientId === 0) {
        this.visitor({ address, size: this.chunkBytes, filterMask: 0, position: this.next });
      } else {
        const size = readUint(data, offset + O, this.size - O - 4) ?? 0;
        this.visitor({ address, size, filterMask: data.readUInt32LE(offset + this.size - 4), position: this.next });
      }
    }
  }

  /** Entries of a block or page never allocated. */
  skip(count: number): void {
    this.next += count;
  }
}

/**
 * Extensible array index (§VII.B): an index block holding the first elements directly, then the
 * addresses of the data blocks of the first super blocks, then super-block addresses, each super
 * block listing its data blocks. Paged data blocks (over 2^pageBits elements, i.e. more than
 * about 4000 chunks along the unlimited axis) are not walked: the walk throws.
 */
function walkExtensibleArray(reader: MetadataReader, headerAddress: number, chunkBytes: number, visit: ChunkVisitor): void {
  const O = reader.offsetSize;
  const L = reader.lengthSize;
  const header = reader.bytes(headerAddress, 12 + 6 * L + O + 4);
  if (header.subarray(0, 4).toString("latin1") !== "EAHD") throw new Error("not an extensible array header");
  const entries = new ArrayEntries(reader, header[5]!, header[6]!, chunkBytes, visit);
  const maxBits = header[7]!;
  const indexElements = header[8]!;
  const dataBlockMinElements = header[9]!;
  const superBlockMinPointers = header[10]!;
  const perPage = 2 ** header[11]!;
  const indexBlockAddress = reader.address(header, 12 + 6 * L);
  if (indexBlockAddress === null) return;

  // Geometry as H5EA__hdr_init and H5EA__iblock_alloc compute it.
  const superBlocks = 1 + maxBits - Math.log2(dataBlockMinElements);
  const superBlock = (s: number) => ({ dataBlocks: 2 ** Math.floor(s / 2), elements: dataBlockMinElements * 2 ** Math.ceil(s / 2) });
  const indexSuperBlocks = 2 * Math.log2(superBlockMinPointers);
  const indexDataBlockPointers = 2 * (superBlockMinPointers - 1);
  const indexSuperBlockPointers = superBlocks - indexSuperBlocks;
  const blockPrefix = 6 + O; // signature, version, client id, header address
  const offsetWidth = Math.ceil(maxBits / 8);

  const readDataBlock = (address: number | null, elements: number): void => {
    if (address === null) return entries.skip(elements);
    if (elements > perPage) throw new Error("paged extensible array data block");
    const start = blockPrefix + offsetWidth;
    const block = reader.bytes(address, start + elements * entries.size);
    if (block.subarray(0, 4).toString("latin1") !== "EADB") throw new Error("not an extensible array data block");
    entries.visit(block.subarray(start), elements);
  };

  const indexBlock = reader.bytes(indexBlockAddress, blockPrefix + indexElements * entries.size + (indexDataBlockPointers + indexSuperBlockPointers) * O);
  if (indexBlock.subarray(0, 4).toString("latin1") !== "EAIB") throw new Error("not an extensible array index block");
  entries.visit(indexBlock.subarray(blockPrefix), indexElements);
  let pos = blockPrefix + indexElements * entries.size;
  for (let s = 0; s < indexSuperBlocks; s += 1) {
    const { dataBlocks, elements } = superBlock(s);
    for (let d = 0; d < dataBlocks; d += 1, pos += O) readDataBlock(reader.address(indexBlock, pos), elements);
  }
  for (let s = indexSuperBlocks; s < superBlocks; s += 1, pos += O) {
    const address = reader.address(indexBlock, pos);
    const { dataBlocks, elements } = superBlock(s);
    if (address === null) {
      entries.skip(dataBlocks * elements);
      continue;
    }
    if (elements > perPage) throw new Error("paged extensible array data block");
    const start = blockPrefix + offsetWidth;
    const block = reader.bytes(address, start + dataBlocks * O);
    if (block.subarray(0, 4).toString("latin1") !== "EASB") throw new Error("not an extensible array super block");
    for (let d = 0; d < dataBlocks; d += 1) readDataBlock(reader.address(block, start + d * O), elements);
  }
}

/** Bytes needed to encode a count up to `max` (H5VM_limit_enc_size). */
function encodedSize(max: number): number {
  return Math.floor(Math.floor(Math.log2(max)) / 8) + 1;
}

interface V2BtreeHeader {
  /** Record type: 10 unfiltered chunks, 11 filtered chunks. */
  readonly type: number;
  readonly nodeSize: number;
  readonly recordSize: number;
  readonly depth: number;
  readonly rootAddress: number | null;
  readonly rootRecords: number;
  readonly records: number;
}

function readV2BtreeHeader(reader: MetadataReader, address: number): V2BtreeHeader {
  const O = reader.offsetSize;
  const header = reader.bytes(address, 16 + O + 2 + reader.lengthSize + 4);
  if (header.subarray(0, 4).toString("latin1") !== "BTHD") throw new Error("not a v2 B-tree header");
  const type = header[5]!;
  if (type !== 10 && type !== 11) throw new Error(`v2 B-tree record type ${type}`);
  return {
    type,
    nodeSize: header.readUInt32LE(6),
    recordSize: header.readUInt16LE(10),
    depth: header.readUInt16LE(12),
    rootAddress: reader.address(header, 16),
    rootRecords: header.readUInt16LE(16 + O),
    records: reader.length(header, 16 + O + 2),
  };
}

/**
 * Version 2 B-tree index (§III.B): records (in internal nodes too) hold a chunk's address, for
 * filtered chunks (type 11) its stored size and filter mask, and its scaled offsets.
 */
function walkV2Btree(reader: MetadataReader, headerAddress: number, chunkBytes: number, rank: number, visit: ChunkVisitor): void {
  const O = reader.offsetSize;
  const { type, nodeSize, recordSize, depth, rootAddress, rootRecords, records } = readV2BtreeHeader(reader, headerAddress);
  if (rootAddress === null || records === 0) return;

  // Node geometry as H5B2__hdr_init computes it (prefix: signature, version, type, checksum).
  const prefix = 10;
  const maxRecords: number[] = [Math.floor((nodeSize - prefix) / recordSize)];
  const cumulative: number[] = [maxRecords[0]!];
  const cumulativeSize: number[] = [0];
  const recordCountSize = encodedSize(maxRecords[0]!);
  const pointerSize = (d: number) => O + recordCountSize + (d > 1 ? cumulativeSize[d - 1]! : 0);
  for (let d = 1; d <= depth; d += 1) {
    maxRecords.push(Math.floor((nodeSize - (prefix + pointerSize(d))) / (recordSize + pointerSize(d))));
    cumulative.push((maxRecords[d]! + 1) * cumulative[d - 1]! + maxRecords[d]!);
    cumulativeSize.push(encodedSize(cumulative[d]!));
  }
  const filtered = type === 11;
  const sizeWidth = recordSize - O - 8 * rank - (filtered ? 4 : 0); // beside the address, the filter mask and the scaled offsets
  const visitRecords = (node: Buffer, n: number) => {
    for (let i = 0; i < n; i += 1) {
      const offset = 6 + i * recordSize;
      const address = reader.address(node, offset);
      if (address === null) continue;
      const coordsAt = filtered ? offset + O + sizeWidth + 4 : offset + O;
      const position = Array.from({ length: rank }, (_, axis) => Number(node.readBigUInt64LE(coordsAt + 8 * axis)));
      const size = filtered ? (readUint(node, offset + O, sizeWidth) ?? 0) : chunkBytes;
      visit({ address, size, filterMask: filtered ? node.readUInt32LE(offset + O + sizeWidth) : 0, position });
    }
  };
  const pending: { address: number; depth: number; records: number }[] = [{ address: rootAddress, depth, records: rootRecords }];
  while (pending.length > 0) {
    const node = pending.pop()!;
    const pointers = node.depth > 0 ? node.records + 1 : 0;
    const data = reader.bytes(node.address, 6 + node.records * recordSize + pointers * pointerSize(node.depth));
    const signature = data.subarray(0, 4).toString("latin1");
    if (signature !== (node.depth > 0 ? "BTIN" : "BTLF")) throw new Error("bad v2 B-tree node");
    visitRecords(data, node.records);
    for (let p = 0; p < pointers; p += 1) {
      const offset = 6 + node.records * recordSize + p * pointerSize(node.depth);
      const child = reader.address(data, offset);
      const childRecords = readUint(data, offset + O, recordCountSize) ?? 0;
      if (child !== null) pending.push({ address: child, depth: node.depth - 1, records: childRecords });
    }
  }
}
