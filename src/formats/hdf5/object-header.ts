/**
 * Object headers (HDF5 file format specification 3.0, §IV.A): version 1 and version 2 ("OHDR"),
 * continuation blocks followed, every message returned with the file address of its data.
 */
import { MetadataReader } from "./metadata-reader.js";
import { readUint, type Superblock } from "./superblock.js";

/** Header message types (§IV.A.2) this reader and the direct chunk writer use. */
export const MSG = {
  dataspace: 0x0001,
  linkInfo: 0x0002,
  datatype: 0x0003,
  fillOld: 0x0004,
  fill: 0x0005,
  link: 0x0006,
  layout: 0x0008,
  filterPipeline: 0x000b,
  continuation: 0x0010,
  symbolTable: 0x0011,
} as const;

/** Message flag: the message data lives in the shared-message heap or another header. */
export const FLAG_SHARED = 0x02;

export interface Message {
  readonly type: number;
  readonly flags: number;
  readonly data: Buffer;
  /** File address of the message's data (relative to the superblock, like every address). */
  readonly address: number;
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
  const reader = new MetadataReader(fd, superblock);
  const headerVersion = reader.bytesAtMost(headerAddress, 4).toString("latin1") === "OHDR" ? 2 : 1;
  return readObjectHeader(reader, headerAddress).map(({ type, address, data }) => ({ type, address, data: Buffer.from(data), headerVersion }));
}


export function readObjectHeader(reader: MetadataReader, address: number): Message[] {
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
  reader: MetadataReader,
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

function parseV1Messages(block: Buffer, base: number, messages: Message[], blocks: { address: number; length: number }[], reader: MetadataReader): void {
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
  reader: MetadataReader,
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

function addMessage(message: Message, messages: Message[], blocks: { address: number; length: number }[], reader: MetadataReader): void {
  if (message.type === MSG.continuation) {
    const address = reader.address(message.data, 0);
    const length = reader.length(message.data, reader.offsetSize);
    if (address !== null) blocks.push({ address, length });
    return;
  }
  messages.push(message);
}
