/**
 * Direct chunk write for HDF5 output, done after h5wasm has written and closed the file: h5wasm
 * 0.10.3 exports no H5Dwrite_chunk, so chunks compressed elsewhere (the worker threads) are
 * appended to the file here, and each chunked dataset gets its chunk index built by hand.
 *
 * The file must come from h5wasm with the low library-version bound "earliest" and no chunk
 * written: superblock version 0 or 1 and version-1 object headers (neither carries a checksum),
 * and every chunked dataset with a version-3 data layout message whose chunk index — a version-1
 * B-tree (format spec §III.A.1) — has the undefined address. Anything else is refused, never
 * patched by guess.
 *
 * The B-tree is written the way the HDF5 library leaves one (checked against files it wrote):
 * node type 1, every node allocated for 2K entries (K: the superblock's indexed-storage K, 32 when
 * the superblock has none); a key is the chunk's stored size (u32), its filter mask (u32) and its
 * offset in elements along each axis plus a last offset in bytes of the element (u64 each); chunks
 * in C order of the grid; the key after a node's last child is the next node's first key, and the
 * very last key is the last chunk's offset plus one chunk along every axis, element size included.
 * Levels above the leaves have the same layout, each child under its first key.
 */
import { writevSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { ChunkwiseError } from "../../errors.js";
import { chunkKeySize, encodeChunkKey } from "../hdf5/chunk-btree-key.js";
import { MSG, objectHeaderMessages, type LocatedMessage } from "../hdf5/object-header.js";
import { readSuperblock, type Superblock } from "../hdf5/superblock.js";

export interface DirectChunks {
  /** The dataset's path, for messages. */
  readonly path: string;
  /** Address of its object header (an HDF5 object reference). */
  readonly headerAddress: number;
  readonly shape: readonly number[];
  /** The HDF5 chunk shape (each axis at most the shape). */
  readonly chunks: readonly number[];
  readonly itemSize: number;
  /**
   * The chunks were shuffled before deflate: the dataset was created with deflate alone and 7
   * client values, a pipeline message this replaces, same size, by shuffle + deflate.
   */
  readonly shuffle: boolean;
  /** Every chunk of the grid in C order: its stored (filtered) bytes, each used before the next is asked for. */
  readonly stored: AsyncIterable<Uint8Array>;
}

const UNDEFINED_ADDRESS = 0xffffffffffffffffn;
const DEFAULT_CHUNK_K = 32;
const NODE_HEADER = 24; // "TREE", type, level, entries used, left and right sibling (8-byte addresses)
const WRITE_BUFFER = 8 * 1024 * 1024;

/** Append every dataset's chunks and chunk index to the closed HDF5 file `file`, then patch the layout messages and the end-of-file address. */
export async function writeDirectChunks(file: string, datasets: readonly DirectChunks[]): Promise<void> {
  const handle = await open(file, "r+").catch((err: unknown) => {
    throw new ChunkwiseError("IOError", `cannot open the HDF5 file to add its chunks: ${(err as Error).message}`, { path: file, cause: err });
  });
  try {
    const size = (await handle.stat()).size;
    const superblock = await readSuperblock(handle, size);
    if (superblock === null || (superblock.version !== 0 && superblock.version !== 1) || superblock.position !== 0 || superblock.sizeOfOffsets !== 8 || superblock.sizeOfLengths !== 8) {
      throw unexpected(file, `superblock version ${superblock?.version ?? "none"} (expected 0 or 1 with 8-byte addresses at offset 0)`);
    }
    const k = await chunkBtreeK(handle, superblock);
    const tail = new Appender(handle, Math.max(size, superblock.eofAddress));
    for (const dataset of datasets) {
      const messages = headerMessages(file, handle, superblock, dataset);
      const layout = layoutMessage(file, messages, dataset);
      if (dataset.shuffle) await writeAt(handle, ...shufflePipeline(file, messages, dataset));
      const root = await appendChunksAndIndex(tail, dataset, k, file);
      await tail.flush();
      await writeAt(handle, layout.address + 3, u64(root));
    }
    await tail.flush();
    await writeAt(handle, eofField(superblock), u64(tail.end));
  } finally {
    await handle.close();
  }
}

function unexpected(file: string, what: string): ChunkwiseError {
  return new ChunkwiseError("IOError", `h5wasm wrote an HDF5 structure chunkwise does not patch: ${what}`, { path: file });
}

/** Superblock v1 stores the indexed-storage K (after the group K values and flags); v0 uses the default. */
async function chunkBtreeK(handle: FileHandle, superblock: Superblock): Promise<number> {
  if (superblock.version === 0) return DEFAULT_CHUNK_K;
  const field = Buffer.alloc(2);
  await handle.read(field, 0, 2, 24);
  return field.readUInt16LE(0);
}

/** The end-of-file address field: the third address after the fixed fields (24 bytes in v0, 28 in v1). */
function eofField(superblock: Superblock): number {
  return (superblock.version === 0 ? 24 : 28) + 2 * superblock.sizeOfOffsets;
}

function headerMessages(file: string, handle: FileHandle, superblock: Superblock, dataset: DirectChunks): LocatedMessage[] {
  try {
    return objectHeaderMessages(handle.fd, superblock, dataset.headerAddress);
  } catch (err) {
    throw unexpected(file, `the object header of ${dataset.path} cannot be read (${(err as Error).message})`);
  }
}

function layoutMessage(file: string, messages: readonly LocatedMessage[], dataset: DirectChunks): LocatedMessage {
  const layout = messages.find((m) => m.type === MSG.layout);
  const rank = dataset.shape.length;
  if (!layout || layout.headerVersion !== 1) throw unexpected(file, `${dataset.path} has ${layout ? "a version-2 object header" : "no data layout message"}`);
  const { data } = layout;
  if (data.length < 3 + 8 + 4 * (rank + 1) || data[0] !== 3 || data[1] !== 2 || data[2] !== rank + 1) {
    throw unexpected(file, `${dataset.path} has data layout version ${data[0]} class ${data[1]} (expected a chunked version-3 layout of rank ${rank})`);
  }
  if (data.readBigUInt64LE(3) !== UNDEFINED_ADDRESS) throw unexpected(file, `${dataset.path} already has chunks`);
  const dims = Array.from({ length: rank + 1 }, (_, axis) => data.readUInt32LE(11 + 4 * axis));
  const expected = [...dataset.chunks, dataset.itemSize];
  if (!dims.every((d, axis) => d === expected[axis])) throw unexpected(file, `${dataset.path} has chunk dimensions [${dims.join(", ")}], expected [${expected.join(", ")}]`);
  return layout;
}

/**
 * The filter pipeline message (§IV.A.2.l, version 1: names padded to 8 bytes, client values padded
 * to an even count) rewritten in place as shuffle (optional, as H5Pset_shuffle adds it; one client
 * value, the element size, as its set_local callback stores) then deflate (its flags and level kept).
 */
function shufflePipeline(file: string, messages: readonly LocatedMessage[], dataset: DirectChunks): [number, Buffer] {
  const pipeline = messages.find((m) => m.type === MSG.filterPipeline);
  const old = pipeline?.data;
  const deflateWithSeven = old !== undefined && old.length === 56 && old[0] === 1 && old[1] === 1 && old.readUInt16LE(8) === 1 && old.readUInt16LE(10) === 8 && old.readUInt16LE(14) === 7;
  if (!pipeline || pipeline.headerVersion !== 1 || !deflateWithSeven) throw unexpected(file, `${dataset.path} does not have the deflate pipeline message shuffle replaces`);
  const bytes = Buffer.alloc(56);
  bytes[0] = 1; // version
  bytes[1] = 2; // filters
  const filter = (at: number, id: number, flags: number, name: string, value: number): void => {
    bytes.writeUInt16LE(id, at);
    bytes.writeUInt16LE(8, at + 2); // name length, NUL and padding included
    bytes.writeUInt16LE(flags, at + 4);
    bytes.writeUInt16LE(1, at + 6); // client values
    bytes.write(name, at + 8, "latin1");
    bytes.writeUInt32LE(value, at + 16); // then 4 bytes of padding
  };
  filter(8, 2, 1, "shuffle", dataset.itemSize);
  filter(32, 1, old.readUInt16LE(12), "deflate", old.readUInt32LE(24));
  return [pipeline.address, bytes];
}

/**
 * Buffered appends at the end of the file, copied into one reused buffer (so a caller may reuse
 * its bytes at once); `end` is where the next byte goes.
 */
class Appender {
  private readonly buffer = Buffer.allocUnsafe(WRITE_BUFFER);
  private pendingBytes = 0;
  private written: number;

  constructor(
    private readonly handle: FileHandle,
    start: number,
  ) {
    this.written = start;
  }

  get end(): number {
    return this.written + this.pendingBytes;
  }

  async append(bytes: Uint8Array): Promise<void> {
    if (this.pendingBytes + bytes.byteLength > this.buffer.length) await this.flush();
    if (bytes.byteLength >= this.buffer.length) {
      await writeAt(this.handle, this.written, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      this.written += bytes.byteLength;
      return;
    }
    this.buffer.set(bytes, this.pendingBytes);
    this.pendingBytes += bytes.byteLength;
  }

  async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const bytes = this.pendingBytes;
    this.pendingBytes = 0;
    await writeAt(this.handle, this.written, this.buffer.subarray(0, bytes));
    this.written += bytes;
  }
}

/** Write `bytes` (or pieces one after the other) from `position`, gathered by writev (no concatenated copy). */
async function writeAt(handle: FileHandle, position: number, bytes: Buffer | readonly Buffer[]): Promise<void> {
  const pieces = Buffer.isBuffer(bytes) ? [bytes] : bytes;
  let at = position;
  // writev takes a bounded number of buffers per call (IOV_MAX).
  for (let i = 0; i < pieces.length; i += 512) {
    let batch = pieces.slice(i, i + 512);
    while (batch.length > 0) {
      const total = batch.reduce((sum, piece) => sum + piece.length, 0);
      // Synchronous: finalize does nothing else meanwhile (see stagedChunksInOrder).
      const bytesWritten = writevSync(handle.fd, batch, at);
      at += bytesWritten;
      if (bytesWritten === total) break;
      // A short write: drop what was written and go on with the rest.
      let skip = bytesWritten;
      const rest: Buffer[] = [];
      for (const piece of batch) {
        if (skip >= piece.length) skip -= piece.length;
        else {
          rest.push(piece.subarray(skip));
          skip = 0;
        }
      }
      batch = rest;
    }
  }
}

function u64(value: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(BigInt(value));
  return bytes;
}

/** One node's first and last keys and its address: what the level above it needs. */
interface NodeSummary {
  readonly address: number;
  readonly firstKey: Buffer;
  readonly lastKey: Buffer;
}

/** Append the chunks, then the B-tree over them level by level; returns the root node's address. */
async function appendChunksAndIndex(tail: Appender, dataset: DirectChunks, k: number, file: string): Promise<number> {
  const { shape, chunks, itemSize } = dataset;
  const rank = shape.length;
  const grid = shape.map((n, axis) => Math.ceil(n / chunks[axis]!));
  const count = grid.reduce((a, b) => a * b, 1);
  const keySize = chunkKeySize(rank);
  const key = (coords: readonly number[], size: number, beyond: 0 | 1): Buffer =>
    encodeChunkKey({ size, filterMask: 0, offsets: [...coords.map((c, axis) => (c + beyond) * chunks[axis]!), beyond * itemSize] });
  const addresses = new Float64Array(count);
  const sizes = new Uint32Array(count);
  let index = 0;
  for await (const stored of dataset.stored) {
    if (index >= count) break;
    if (stored.byteLength === 0 || stored.byteLength > 0xffffffff) throw unexpected(file, `${dataset.path} chunk ${index} has ${stored.byteLength} bytes`);
    addresses[index] = tail.end;
    sizes[index] = stored.byteLength;
    await tail.append(stored);
    index++;
  }
  if (index !== count) throw new ChunkwiseError("IOError", `${dataset.path}: ${index} of ${count} chunks were given`, { path: file });

  const coordsOf = (i: number): number[] => {
    const coords = new Array<number>(rank);
    for (let axis = rank - 1; axis >= 0; axis--) {
      coords[axis] = i % grid[axis]!;
      i = Math.floor(i / grid[axis]!);
    }
    return coords;
  };
  const chunkKey = (i: number): Buffer => key(coordsOf(i), sizes[i]!, 0);
  const endKey = key(coordsOf(count - 1), 0, 1);
  const fanout = 2 * k;
  const nodeSize = NODE_HEADER + fanout * (keySize + 8) + keySize;

  // Leaves: entry i of leaf j is chunk j·2K + i.
  let level = 0;
  let nodes = await appendLevel(tail, level, Math.ceil(count / fanout), nodeSize, keySize, (j) => {
    const first = j * fanout;
    const last = Math.min(count, first + fanout);
    return {
      children: Array.from({ length: last - first }, (_, i) => ({ key: chunkKey(first + i), address: addresses[first + i]! })),
      lastKey: last < count ? chunkKey(last) : endKey,
    };
  });
  while (nodes.length > 1) {
    const below = nodes;
    level++;
    nodes = await appendLevel(tail, level, Math.ceil(below.length / fanout), nodeSize, keySize, (j) => {
      const children = below.slice(j * fanout, (j + 1) * fanout);
      return { children: children.map((node) => ({ key: node.firstKey, address: node.address })), lastKey: children.at(-1)!.lastKey };
    });
  }
  return nodes[0]!.address;
}

/** Append one level of `nodeCount` nodes, consecutive, so each knows its siblings' addresses. */
async function appendLevel(
  tail: Appender,
  level: number,
  nodeCount: number,
  nodeSize: number,
  keySize: number,
  node: (j: number) => { children: { key: Buffer; address: number }[]; lastKey: Buffer },
): Promise<NodeSummary[]> {
  const base = tail.end;
  const summaries: NodeSummary[] = [];
  for (let j = 0; j < nodeCount; j++) {
    const { children, lastKey } = node(j);
    const bytes = Buffer.alloc(nodeSize);
    bytes.write("TREE", 0, "latin1");
    bytes[4] = 1; // raw data chunks
    bytes[5] = level;
    bytes.writeUInt16LE(children.length, 6);
    bytes.writeBigUInt64LE(j > 0 ? BigInt(base + (j - 1) * nodeSize) : UNDEFINED_ADDRESS, 8);
    bytes.writeBigUInt64LE(j + 1 < nodeCount ? BigInt(base + (j + 1) * nodeSize) : UNDEFINED_ADDRESS, 16);
    let pos = NODE_HEADER;
    for (const child of children) {
      child.key.copy(bytes, pos);
      bytes.writeBigUInt64LE(BigInt(child.address), pos + keySize);
      pos += keySize + 8;
    }
    lastKey.copy(bytes, pos);
    summaries.push({ address: base + j * nodeSize, firstKey: children[0]!.key, lastKey });
    await tail.append(bytes);
  }
  return summaries;
}
