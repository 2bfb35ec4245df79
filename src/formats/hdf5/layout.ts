/**
 * Storage facts h5wasm does not expose (it has no H5Dget_storage_size, H5Dget_num_chunks or
 * H5Pget_fill_value), read straight from the file's low-level structures (HDF5 file format
 * specification 3.0, §IV): the dataset's object header → its data layout message → its chunk
 * index (v1 B-tree, single chunk, implicit, fixed array, v2 B-tree, extensible array), and its
 * fill-value message. Only metadata blocks are read, never chunk data.
 *
 * Any structure this reader does not understand gives null for the affected fact — never a guess.
 */
import { parseDataLayout, tallyChunks } from "./chunk-index.js";
import { MetadataReader } from "./metadata-reader.js";
import { FLAG_SHARED, MSG, readObjectHeader, type Message } from "./object-header.js";
import type { Superblock } from "./superblock.js";

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

export function readObjectLayout(
  fd: number,
  superblock: Superblock,
  headerAddress: number,
  dataset: { readonly shape: readonly number[]; readonly fillType: FillType },
): ObjectLayout | null {
  const reader = new MetadataReader(fd, superblock);
  let messages: Message[];
  try {
    messages = readObjectHeader(reader, headerAddress);
  } catch {
    return null;
  }
  let fillValue: ObjectLayout["fillValue"];
  try {
    const bytes = fillBytes(messages, dataset.fillType.size);
    fillValue = bytes === null ? null : decodeScalar(bytes, dataset.fillType);
  } catch {
    fillValue = null; // a malformed fill-value message
  }
  const layoutMessage = messages.find((m) => m.type === MSG.layout);
  if (!layoutMessage) return { storedBytes: null, writtenChunks: null, fillValue };
  try {
    const facts = layoutFacts(reader, layoutMessage.data, dataset.shape);
    return { ...facts, fillValue };
  } catch {
    return { storedBytes: null, writtenChunks: null, fillValue };
  }
}

// ------------------------------------------------------------------------------------------------
// Fill value (§IV.A.2.e/f).

/**
 * One element of the fill value as stored (in the dataset's own byte order), all zeros when the
 * library default applies; null when the fill value is undefined, shared or cut short.
 */
export function fillBytes(messages: readonly Message[], size: number): Buffer | null {
  const fill = messages.find((m) => m.type === MSG.fill);
  let bytes: Buffer | null = null;
  if (fill && !(fill.flags & FLAG_SHARED)) {
    const { data } = fill;
    const version = data[0]!;
    if (version === 1 || version === 2) {
      // Version 2 without a value means H5D_FILL_VALUE_UNDEFINED (H5Ofill.c); a size of 0 means the default.
      if (version === 2 && data[3] === 0) return null;
      const length = data.readUInt32LE(4);
      bytes = length > 0 ? data.subarray(8, 8 + length) : null;
    } else if (version === 3) {
      const flags = data[1]!;
      if (flags & 0x10) return null; // fill value explicitly undefined
      if (flags & 0x20) {
        const length = data.readUInt32LE(2);
        bytes = length > 0 ? data.subarray(6, 6 + length) : null;
      }
    } else {
      return null;
    }
  } else if (fill) {
    return null; // a shared fill-value message: not decoded here
  } else {
    const old = messages.find((m) => m.type === MSG.fillOld);
    if (old && !(old.flags & FLAG_SHARED)) {
      const length = old.data.readUInt32LE(0);
      bytes = length > 0 ? old.data.subarray(4, 4 + length) : null;
    }
  }
  if (bytes === null) return Buffer.alloc(size); // HDF5's library default: all bytes zero
  return bytes.length < size ? null : bytes.subarray(0, size);
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
// Storage facts from the data layout message and the chunk index.

type Facts = Omit<ObjectLayout, "fillValue">;

function layoutFacts(reader: MetadataReader, data: Buffer, shape: readonly number[]): Facts {
  const layout = parseDataLayout(reader, data);
  switch (layout.kind) {
    case "compact":
      return { storedBytes: layout.size, writtenChunks: 1 };
    case "contiguous":
      return layout.address === null ? { storedBytes: 0, writtenChunks: 0 } : { storedBytes: layout.size, writtenChunks: 1 };
    case "virtual":
      return { storedBytes: null, writtenChunks: null };
    case "chunked": {
      const gridChunks = shape.reduce((product, n, axis) => product * Math.ceil(n / layout.chunks[axis]!), 1);
      const { count, bytes } = tallyChunks(reader, layout, gridChunks);
      return { storedBytes: bytes, writtenChunks: count };
    }
  }
}
