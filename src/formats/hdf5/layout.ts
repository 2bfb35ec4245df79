/**
 * Storage facts h5wasm does not expose (it has no H5Dget_storage_size, H5Dget_num_chunks or
 * H5Pget_fill_value), read straight from the file's low-level structures (HDF5 file format
 * specification 3.0, §IV): the dataset's object header → its data layout message → its chunk
 * index (v1 B-tree, single chunk, implicit, fixed array, v2 B-tree, extensible array), and its
 * fill-value message. Only metadata blocks are read, never chunk data.
 *
 * Any structure this reader does not understand gives null for the affected fact — never a guess.
 */
import { readSync } from "node:fs";
import { readUint, type Superblock } from "./superblock.js";

export interface ObjectLayout {
  /** Bytes allocated on disk for the dataset's raw data (the sum of allocated chunks, filtered sizes); null when unknown. */
  readonly storedBytes: number | null;
  /** Allocated chunks (1 or 0 for contiguous data, 1 for compact); null when unknown. */
  readonly writtenChunks: number | null;
  /** The dataset's fill value decoded (0 when the library default applies), null when undefined or undecodable. */
  readonly fillValue: number | string | boolean | null;
}

/** What the reader needs to know about the dataset's datatype to decode its fill value. */
export interface FillType {
  /** H5T class: 0 integer, 1 float, 3 string, 8 enum. */
  readonly type: number;
  readonly size: number;
  readonly littleEndian: boolean;
  readonly signed: boolean;
  readonly booleanEnum: boolean;
  /** Variable-length data: the fill value is a heap reference, not decoded here. */
  readonly vlen: boolean;
}

interface Message {
  readonly type: number;
  readonly flags: number;
  readonly data: Buffer;
  /** File address of the message's data (relative to the superblock, like every address). */
  readonly address: number;
}

const MSG_FILL_OLD = 0x0004;
const MSG_FILL = 0x0005;
const MSG_LAYOUT = 0x0008;
const MSG_CONTINUATION = 0x0010;
const FLAG_SHARED = 0x02;

/**
 * Synchronous positioned reads (h5wasm blocks the thread anyway) through a small read-ahead window:
 * chunk-index nodes are small and usually close together, so one 64 KiB read serves many.
 */
class Reader {
  private static readonly WINDOW = 64 * 1024;
  private window: Buffer = Buffer.alloc(0);
  private windowStart = 0;

  constructor(
    private readonly fd: number,
    readonly superblock: Superblock,
  ) {}

  get offsetSize(): number {
    return this.superblock.sizeOfOffsets;
  }

  get lengthSize(): number {
    return this.superblock.sizeOfLengths;
  }

  bytes(address: number, length: number): Buffer {
    const buffer = this.bytesAtMost(address, length);
    if (buffer.length < length) throw new Error(`short read at ${address}`);
    return buffer;
  }

  /** Up to `length` bytes: fewer where the file ends. */
  bytesAtMost(address: number, length: number): Buffer {
    const position = this.superblock.position + address;
    const inWindow = position >= this.windowStart && position + length <= this.windowStart + this.window.length;
    if (!inWindow) {
      const size = Math.max(length, Reader.WINDOW);
      const buffer = Buffer.allocUnsafe(size); // only the bytes read are ever exposed
      const bytesRead = readSync(this.fd, buffer, 0, size, position);
      this.window = buffer.subarray(0, bytesRead);
      this.windowStart = position;
    }
    const offset = position - this.windowStart;
    return this.window.subarray(offset, Math.min(offset + length, this.window.length));
  }

  /** An address field; null for the undefined address. */
  address(buffer: Buffer, offset: number): number | null {
    return readUint(buffer, offset, this.offsetSize);
  }

  length(buffer: Buffer, offset: number): number {
    return readUint(buffer, offset, this.lengthSize) ?? Number.MAX_SAFE_INTEGER;
  }
}

export function readObjectLayout(
  fd: number,
  superblock: Superblock,
  headerAddress: number,
  dataset: { readonly shape: readonly number[]; readonly fillType: FillType },
): ObjectLayout | null {
  const reader = new Reader(fd, superblock);
  let messages: Message[];
  try {
    messages = readObjectHeader(reader, headerAddress);
  } catch {
    return null;
  }
  let fillValue: ObjectLayout["fillValue"];
  try {
    fillValue = decodeFill(messages, dataset.fillType);
  } catch {
    fillValue = null; // a malformed fill-value message
  }
  const layoutMessage = messages.find((m) => m.type === MSG_LAYOUT);
  if (!layoutMessage) return { storedBytes: null, writtenChunks: null, fillValue };
  try {
    const facts = layoutFacts(reader, layoutMessage.data, dataset.shape);
    return { ...facts, fillValue };
  } catch {
    return { storedBytes: null, writtenChunks: null, fillValue };
  }
}

/** Where an object header keeps its messages, for a writer that patches them in place. */
export interface LocatedMessage {
  readonly type: number;
  /** File address of the message data (relative to the superblock). */
  readonly address: number;
  readonly data: Buffer;
  /** 1, or 2 for "OHDR" headers, whose blocks carry a checksum a patch must update. */
  readonly headerVersion: 1 | 2;
}

/** Every message of the object header at `headerAddress` (continuations followed); throws on a malformed header. */
export function objectHeaderMessages(fd: number, superblock: Superblock, headerAddress: number): LocatedMessage[] {
  const reader = new Reader(fd, superblock);
  const headerVersion = reader.bytesAtMost(headerAddress, 4).toString("latin1") === "OHDR" ? 2 : 1;
  return readObjectHeader(reader, headerAddress).map(({ type, address, data }) => ({ type, address, data: Buffer.from(data), headerVersion }));
}

// ------------------------------------------------------------------------------------------------
// Object headers (§IV.A): version 1 and version 2 ("OHDR"), with continuation blocks.

function readObjectHeader(reader: Reader, address: number): Message[] {
  const prefix = reader.bytesAtMost(address, 40); // the longest v2 prefix is 34 bytes
  const messages: Message[] = [];
  const blocks: { address: number; length: number }[] = [];
  let version: 1 | 2;
  if (prefix.subarray(0, 4).toString("latin1") === "OHDR") {
    version = 2;
    const flags = prefix[5]!;
    let pos = 6;
    if (flags & 0x20) pos += 16;
    if (flags & 0x10) pos += 4;
    const sizeWidth = 1 << (flags & 0x03);
    const chunkSize = readUint(prefix, pos, sizeWidth) ?? 0;
    pos += sizeWidth;
    const block = reader.bytes(address + pos, chunkSize);
    parseV2Messages(block, address + pos, (flags & 0x04) !== 0, messages, blocks, reader);
    followContinuations(reader, blocks, messages, version, (flags & 0x04) !== 0);
  } else if (prefix[0] === 1) {
    version = 1;
    const headerSize = prefix.readUInt32LE(8);
    const block = reader.bytes(address + 16, headerSize);
    parseV1Messages(block, address + 16, messages, blocks, reader);
    followContinuations(reader, blocks, messages, version, false);
  } else {
    throw new Error("unknown object header version");
  }
  return messages;
}

function followContinuations(
  reader: Reader,
  blocks: { address: number; length: number }[],
  messages: Message[],
  version: 1 | 2,
  creationOrder: boolean,
): void {
  for (let i = 0; i < blocks.length && i < 10_000; i += 1) {
    const { address, length } = blocks[i]!;
    const block = reader.bytes(address, length);
    if (version === 1) {
      parseV1Messages(block, address, messages, blocks, reader);
    } else {
      if (block.subarray(0, 4).toString("latin1") !== "OCHK") throw new Error("bad continuation block");
      parseV2Messages(block.subarray(4, block.length - 4), address + 4, creationOrder, messages, blocks, reader);
    }
  }
}

function parseV1Messages(block: Buffer, base: number, messages: Message[], blocks: { address: number; length: number }[], reader: Reader): void {
  let pos = 0;
  while (pos + 8 <= block.length) {
    const type = block.readUInt16LE(pos);
    const size = block.readUInt16LE(pos + 2);
    const flags = block[pos + 4]!;
    const data = block.subarray(pos + 8, pos + 8 + size);
    addMessage({ type, flags, data, address: base + pos + 8 }, messages, blocks, reader);
    pos += 8 + size;
  }
}

function parseV2Messages(
  block: Buffer,
  base: number,
  creationOrder: boolean,
  messages: Message[],
  blocks: { address: number; length: number }[],
  reader: Reader,
): void {
  const headerSize = creationOrder ? 6 : 4;
  let pos = 0;
  while (pos + headerSize <= block.length) {
    const type = block[pos]!;
    const size = block.readUInt16LE(pos + 1);
    const flags = block[pos + 3]!;
    const data = block.subarray(pos + headerSize, pos + headerSize + size);
    addMessage({ type, flags, data, address: base + pos + headerSize }, messages, blocks, reader);
    pos += headerSize + size;
  }
}

function addMessage(message: Message, messages: Message[], blocks: { address: number; length: number }[], reader: Reader): void {
  if (message.type === MSG_CONTINUATION) {
    const address = reader.address(message.data, 0);
    const length = reader.length(message.data, reader.offsetSize);
    if (address !== null) blocks.push({ address, length });
    return;
  }
  messages.push(message);
}

// ------------------------------------------------------------------------------------------------
// Fill value (§IV.A.2.e/f).

function decodeFill(messages: readonly Message[], fillType: FillType): number | string | boolean | null {
  const fill = messages.find((m) => m.type === MSG_FILL);
  let bytes: Buffer | null = null;
  if (fill && !(fill.flags & FLAG_SHARED)) {
    const { data } = fill;
    const version = data[0]!;
    if (version === 1 || version === 2) {
      // Version 2 without a value means H5D_FILL_VALUE_UNDEFINED (H5Ofill.c); a size of 0 means the default.
      if (version === 2 && data[3] === 0) return null;
      const size = data.readUInt32LE(4);
      bytes = size > 0 ? data.subarray(8, 8 + size) : null;
    } else if (version === 3) {
      const flags = data[1]!;
      if (flags & 0x10) return null; // fill value explicitly undefined
      if (flags & 0x20) {
        const size = data.readUInt32LE(2);
        bytes = size > 0 ? data.subarray(6, 6 + size) : null;
      }
    } else {
      return null;
    }
  } else if (fill) {
    return null; // a shared fill-value message: not decoded here
  } else {
    const old = messages.find((m) => m.type === MSG_FILL_OLD);
    if (old && !(old.flags & FLAG_SHARED)) {
      const size = old.data.readUInt32LE(0);
      bytes = size > 0 ? old.data.subarray(4, 4 + size) : null;
    }
  }
  if (bytes === null) return defaultFill(fillType);
  return decodeScalar(bytes, fillType);
}

/** HDF5's library default fill: all bytes zero. */
function defaultFill(fillType: FillType): number | string | boolean | null {
  return decodeScalar(Buffer.alloc(fillType.size), fillType);
}

function decodeScalar(bytes: Buffer, t: FillType): number | string | boolean | null {
  if (t.vlen || bytes.length < t.size) return null;
  if (t.type === 0 || t.type === 8) {
    let value: number;
    if (t.size === 8) {
      const big = t.signed ? (t.littleEndian ? bytes.readBigInt64LE(0) : bytes.readBigInt64BE(0)) : t.littleEndian ? bytes.readBigUInt64LE(0) : bytes.readBigUInt64BE(0);
      if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) return big.toString();
      value = Number(big);
    } else if ([1, 2, 4].includes(t.size)) {
      value = t.signed
        ? t.littleEndian
          ? bytes.readIntLE(0, t.size)
          : bytes.readIntBE(0, t.size)
        : t.littleEndian
          ? bytes.readUIntLE(0, t.size)
          : bytes.readUIntBE(0, t.size);
    } else {
      return null;
    }
    return t.booleanEnum ? value !== 0 : value;
  }
  if (t.type === 1) {
    if (t.size === 4) return t.littleEndian ? bytes.readFloatLE(0) : bytes.readFloatBE(0);
    if (t.size === 8) return t.littleEndian ? bytes.readDoubleLE(0) : bytes.readDoubleBE(0);
    return null;
  }
  if (t.type === 3 && t.size > 0) {
    const end = bytes.indexOf(0);
    return bytes.subarray(0, end === -1 || end > t.size ? t.size : end).toString("utf8");
  }
  return null;
}

// ------------------------------------------------------------------------------------------------
// Data layout message (§IV.A.2.i) and chunk indexes (§III.A.1, §III.H–§III.I, §VII).

type Facts = Omit<ObjectLayout, "fillValue">;

function layoutFacts(reader: Reader, data: Buffer, shape: readonly number[]): Facts {
  const version = data[0]!;
  // Versions 1 and 2 (HDF5 1.4 and earlier) are not decoded: their facts stay unknown.
  if (version !== 3 && version !== 4 && version !== 5) throw new Error(`layout message version ${version}`);
  const layoutClass = data[1]!;
  if (layoutClass === 0) {
    return { storedBytes: data.readUInt16LE(2), writtenChunks: 1 };
  }
  if (layoutClass === 1) {
    const address = reader.address(data, 2);
    const size = reader.length(data, 2 + reader.offsetSize);
    return address === null ? { storedBytes: 0, writtenChunks: 0 } : { storedBytes: size, writtenChunks: 1 };
  }
  if (layoutClass === 3) return { storedBytes: null, writtenChunks: null };
  if (layoutClass !== 2) throw new Error(`layout class ${layoutClass}`);
  if (version === 3) {
    const dimensionality = data[2]!;
    const address = reader.address(data, 3);
    if (address === null) return { storedBytes: 0, writtenChunks: 0 };
    const { count, bytes } = walkV1Btree(reader, address, dimensionality);
    return { storedBytes: bytes, writtenChunks: count };
  }
  // Version 4 (and 5, which only adds index types): flags, dimensionality, encoded dim size, dims, index type, index info, address.
  const flags = data[2]!;
  const dimensionality = data[3]!;
  const encodedSize = data[4]!;
  const dims = readDims(data, 5, dimensionality, encodedSize);
  let pos = 5 + dimensionality * encodedSize;
  const indexType = data[pos]!;
  pos += 1;
  const chunkDims = dims.slice(0, -1);
  const chunkBytes = dims.reduce((product, n) => product * n, 1); // the last "dimension" is the element size
  const gridChunks = shape.reduce((product, n, axis) => product * Math.ceil(n / chunkDims[axis]!), 1);
  switch (indexType) {
    case 1: {
      // Single chunk: optional filtered size + filter mask, then the chunk's address.
      const filtered = (flags & 0x02) !== 0;
      const filteredSize = filtered ? reader.length(data, pos) : chunkBytes;
      if (filtered) pos += reader.lengthSize + 4;
      const address = reader.address(data, pos);
      return address === null ? { storedBytes: 0, writtenChunks: 0 } : { storedBytes: filteredSize, writtenChunks: 1 };
    }
    case 2: {
      // Implicit: every chunk allocated at once, unfiltered, in one block.
      const address = reader.address(data, pos);
      return address === null
        ? { storedBytes: 0, writtenChunks: 0 }
        : { storedBytes: gridChunks * chunkBytes, writtenChunks: gridChunks };
    }
    case 3: {
      const address = reader.address(data, pos + 1);
      if (address === null) return { storedBytes: 0, writtenChunks: 0 };
      return walkFixedArray(reader, address, chunkBytes);
    }
    case 4: {
      const address = reader.address(data, pos + 5);
      if (address === null) return { storedBytes: 0, writtenChunks: 0 };
      return walkExtensibleArray(reader, address, chunkBytes);
    }
    case 5: {
      const address = reader.address(data, pos + 6);
      if (address === null) return { storedBytes: 0, writtenChunks: 0 };
      return v2BtreeFacts(reader, address, chunkBytes, chunkDims.length);
    }
    default:
      return { storedBytes: null, writtenChunks: null };
  }
}

function readDims(data: Buffer, offset: number, count: number, width: number): number[] {
  const dims: number[] = [];
  for (let i = 0; i < count; i += 1) dims.push(readUint(data, offset + i * width, width) ?? 0);
  return dims;
}

/** Version 1 B-tree of raw data chunks (§III.A.1): leaf keys carry each chunk's stored size. */
function walkV1Btree(reader: Reader, address: number, dimensionality: number): { count: number; bytes: number } {
  const O = reader.offsetSize;
  const keySize = 8 + 8 * dimensionality;
  let count = 0;
  let bytes = 0;
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
        count += 1;
        bytes += node.readUInt32LE(keyOffset);
      } else {
        children.push(child);
      }
    }
    // Visit children in file order, so the read-ahead window serves neighbouring nodes.
    pending.push(...children.sort((a, b) => b - a));
  }
  return { count, bytes };
}

/** Fixed array index (§VII.A): one entry per chunk of the grid, possibly split into pages. */
function walkFixedArray(reader: Reader, headerAddress: number, chunkBytes: number): Facts {
  const O = reader.offsetSize;
  const L = reader.lengthSize;
  const header = reader.bytes(headerAddress, 8 + L + O + 4);
  if (header.subarray(0, 4).toString("latin1") !== "FAHD") throw new Error("not a fixed array header");
  const clientId = header[5]!;
  const entrySize = header[6]!;
  const pageBits = header[7]!;
  const entries = reader.length(header, 8);
  const blockAddress = reader.address(header, 8 + L);
  if (blockAddress === null) return { storedBytes: 0, writtenChunks: 0 };
  const prefix = 6 + O;
  const perPage = 2 ** pageBits;
  const tally = { count: 0, bytes: 0 };
  if (entries <= perPage) {
    const block = reader.bytes(blockAddress, prefix + entries * entrySize);
    if (block.subarray(0, 4).toString("latin1") !== "FADB") throw new Error("not a fixed array data block");
    tallyEntries(reader, block.subarray(prefix), entries, entrySize, clientId, chunkBytes, tally);
    return { storedBytes: tally.bytes, writtenChunks: tally.count };
  }
  const pages = Math.ceil(entries / perPage);
  const bitmapLength = Math.ceil(pages / 8);
  const block = reader.bytes(blockAddress, prefix + bitmapLength);
  if (block.subarray(0, 4).toString("latin1") !== "FADB") throw new Error("not a fixed array data block");
  let pageAddress = blockAddress + prefix + bitmapLength + 4;
  for (let page = 0; page < pages; page += 1) {
    const inPage = Math.min(perPage, entries - page * perPage);
    const initialized = (block[prefix + (page >> 3)]! & (0x80 >> (page & 7))) !== 0;
    if (initialized) {
      const data = reader.bytes(pageAddress, inPage * entrySize);
      tallyEntries(reader, data, inPage, entrySize, clientId, chunkBytes, tally);
    }
    pageAddress += inPage * entrySize + 4;
  }
  return { storedBytes: tally.bytes, writtenChunks: tally.count };
}

/** Entries of a fixed or extensible array: client 0 = address only (unfiltered), client 1 = address, size, filter mask. */
function tallyEntries(
  reader: Reader,
  data: Buffer,
  entries: number,
  entrySize: number,
  clientId: number,
  chunkBytes: number,
  tally: { count: number; bytes: number },
): void {
  const O = reader.offsetSize;
  for (let i = 0; i < entries; i += 1) {
    const offset = i * entrySize;
    if (reader.address(data, offset) === null) continue;
    tally.count += 1;
    tally.bytes += clientId === 0 ? chunkBytes : (readUint(data, offset + O, entrySize - O - 4) ?? 0);
  }
}

/**
 * Extensible array index (§VII.B): an index block holding the first elements directly, then the
 * addresses of the data blocks of the first super blocks, then super-block addresses, each super
 * block listing its data blocks. Paged data blocks (over 2^pageBits elements, i.e. more than
 * about 4000 chunks along the unlimited axis) are not walked: their facts stay unknown.
 */
function walkExtensibleArray(reader: Reader, headerAddress: number, chunkBytes: number): Facts {
  const O = reader.offsetSize;
  const L = reader.lengthSize;
  const header = reader.bytes(headerAddress, 12 + 6 * L + O + 4);
  if (header.subarray(0, 4).toString("latin1") !== "EAHD") throw new Error("not an extensible array header");
  const clientId = header[5]!;
  const entrySize = header[6]!;
  const maxBits = header[7]!;
  const indexElements = header[8]!;
  const dataBlockMinElements = header[9]!;
  const superBlockMinPointers = header[10]!;
  const perPage = 2 ** header[11]!;
  const indexBlockAddress = reader.address(header, 12 + 6 * L);
  if (indexBlockAddress === null) return { storedBytes: 0, writtenChunks: 0 };

  // Geometry as H5EA__hdr_init and H5EA__iblock_alloc compute it.
  const superBlocks = 1 + maxBits - Math.log2(dataBlockMinElements);
  const superBlock = (s: number) => ({ dataBlocks: 2 ** Math.floor(s / 2), elements: dataBlockMinElements * 2 ** Math.ceil(s / 2) });
  const indexSuperBlocks = 2 * Math.log2(superBlockMinPointers);
  const indexDataBlockPointers = 2 * (superBlockMinPointers - 1);
  const indexSuperBlockPointers = superBlocks - indexSuperBlocks;
  const blockPrefix = 6 + O; // signature, version, client id, header address
  const offsetWidth = Math.ceil(maxBits / 8);

  const tally = { count: 0, bytes: 0 };
  const readDataBlock = (address: number, elements: number): void => {
    if (elements > perPage) throw new Error("paged extensible array data block");
    const start = blockPrefix + offsetWidth;
    const block = reader.bytes(address, start + elements * entrySize);
    if (block.subarray(0, 4).toString("latin1") !== "EADB") throw new Error("not an extensible array data block");
    tallyEntries(reader, block.subarray(start), elements, entrySize, clientId, chunkBytes, tally);
  };

  const indexBlock = reader.bytes(
    indexBlockAddress,
    blockPrefix + indexElements * entrySize + (indexDataBlockPointers + indexSuperBlockPointers) * O,
  );
  if (indexBlock.subarray(0, 4).toString("latin1") !== "EAIB") throw new Error("not an extensible array index block");
  tallyEntries(reader, indexBlock.subarray(blockPrefix), indexElements, entrySize, clientId, chunkBytes, tally);
  let pos = blockPrefix + indexElements * entrySize;
  for (let s = 0; s < indexSuperBlocks; s += 1) {
    const { dataBlocks, elements } = superBlock(s);
    for (let d = 0; d < dataBlocks; d += 1, pos += O) {
      const address = reader.address(indexBlock, pos);
      if (address !== null) readDataBlock(address, elements);
    }
  }
  for (let s = indexSuperBlocks; s < superBlocks; s += 1, pos += O) {
    const address = reader.address(indexBlock, pos);
    if (address === null) continue;
    const { dataBlocks, elements } = superBlock(s);
    if (elements > perPage) throw new Error("paged extensible array data block");
    const start = blockPrefix + offsetWidth;
    const block = reader.bytes(address, start + dataBlocks * O);
    if (block.subarray(0, 4).toString("latin1") !== "EASB") throw new Error("not an extensible array super block");
    for (let d = 0; d < dataBlocks; d += 1) {
      const dataAddress = reader.address(block, start + d * O);
      if (dataAddress !== null) readDataBlock(dataAddress, elements);
    }
  }
  return { storedBytes: tally.bytes, writtenChunks: tally.count };
}

/** Bytes needed to encode a count up to `max` (H5VM_limit_enc_size). */
function encodedSize(max: number): number {
  return Math.floor(Math.floor(Math.log2(max)) / 8) + 1;
}

/**
 * Version 2 B-tree index (§III.B). Unfiltered chunks (record type 10) all have the full chunk
 * size, so the header's record count is enough; filtered chunks (type 11) carry their stored size
 * in each record, which needs a walk of every node (records live in internal nodes too).
 */
function v2BtreeFacts(reader: Reader, headerAddress: number, chunkBytes: number, rank: number): Facts {
  const O = reader.offsetSize;
  const L = reader.lengthSize;
  const header = reader.bytes(headerAddress, 16 + O + 2 + L + 4);
  if (header.subarray(0, 4).toString("latin1") !== "BTHD") throw new Error("not a v2 B-tree header");
  const type = header[5]!;
  const nodeSize = header.readUInt32LE(6);
  const recordSize = header.readUInt16LE(10);
  const depth = header.readUInt16LE(12);
  const rootAddress = reader.address(header, 16);
  const rootRecords = header.readUInt16LE(16 + O);
  const records = reader.length(header, 16 + O + 2);
  if (type === 10) return { storedBytes: records * chunkBytes, writtenChunks: records };
  if (type !== 11) throw new Error(`v2 B-tree record type ${type}`);
  if (rootAddress === null || records === 0) return { storedBytes: 0, writtenChunks: 0 };

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
  const sizeWidth = recordSize - O - 4 - 8 * rank; // address, chunk size, filter mask, scaled offsets
  let count = 0;
  let bytes = 0;
  const tally = (node: Buffer, n: number) => {
    for (let i = 0; i < n; i += 1) {
      const offset = 6 + i * recordSize;
      if (reader.address(node, offset) === null) continue;
      count += 1;
      bytes += readUint(node, offset + O, sizeWidth) ?? 0;
    }
  };
  const pending: { address: number; depth: number; records: number }[] = [{ address: rootAddress, depth, records: rootRecords }];
  while (pending.length > 0) {
    const node = pending.pop()!;
    const pointers = node.depth > 0 ? node.records + 1 : 0;
    const data = reader.bytes(node.address, 6 + node.records * recordSize + pointers * pointerSize(node.depth));
    const signature = data.subarray(0, 4).toString("latin1");
    if (signature !== (node.depth > 0 ? "BTIN" : "BTLF")) throw new Error("bad v2 B-tree node");
    tally(data, node.records);
    for (let p = 0; p < pointers; p += 1) {
      const offset = 6 + node.records * recordSize + p * pointerSize(node.depth);
      const child = reader.address(data, offset);
      const childRecords = readUint(data, offset + O, recordCountSize) ?? 0;
      if (child !== null) pending.push({ address: child, depth: node.depth - 1, records: childRecords });
    }
  }
  return { storedBytes: bytes, writtenChunks: count };
}
