/**
 * The HDF5 superblock (format spec §2.1, versions 0–3): where the file says it ends, and the
 * sizes of addresses and lengths that the rest of the low-level reader needs.
 */
import type { FileHandle } from "node:fs/promises";

const SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface Superblock {
  readonly version: number;
  /**
   * Where the superblock sits (0, or the user block size). Object addresses count from here: the
   * library rebases onto the superblock whatever the stored base-address field says (h5py's
   * version-0 superblocks behind a user block store 0 there).
   */
  readonly position: number;
  readonly sizeOfOffsets: number;
  readonly sizeOfLengths: number;
  /**
   * The end-of-file address: the file must be at least this long. Measured on h5py files with and
   * without a user block (superblock v0 and v3), it counts from the start of the file.
   */
  readonly eofAddress: number;
  /** Address of the root group's object header; null when the superblock is cut short. */
  readonly rootAddress: number | null;
}

/** Little-endian unsigned integer of 1–8 bytes; null for the "undefined address" (all bits set). */
export function readUint(buffer: Buffer, offset: number, size: number): number | null {
  let allOnes = true;
  let value = 0;
  for (let i = size - 1; i >= 0; i -= 1) {
    const byte = buffer[offset + i]!;
    if (byte !== 0xff) allOnes = false;
    value = value * 256 + byte;
  }
  return allOnes ? null : value;
}

/** Null when no HDF5 signature is found at 0, 512, 1024, …; throws nothing itself. */
export async function readSuperblock(handle: FileHandle, fileSize: number): Promise<Superblock | null> {
  const head = Buffer.alloc(96);
  for (let position = 0; position + 8 <= fileSize; position = position === 0 ? 512 : position * 2) {
    const { bytesRead } = await handle.read(head, 0, head.length, position);
    if (bytesRead < 8 || !head.subarray(0, 8).equals(SIGNATURE)) continue;
    if (bytesRead < 12) return { version: -1, position, sizeOfOffsets: 8, sizeOfLengths: 8, eofAddress: Infinity, rootAddress: null };
    const version = head[8]!;
    let sizeOfOffsets: number;
    let sizeOfLengths: number;
    let addressStart: number;
    let eofIndex: number;
    let rootOffset: number;
    if (version === 0 || version === 1) {
      sizeOfOffsets = head[13]!;
      sizeOfLengths = head[14]!;
      addressStart = version === 0 ? 24 : 28;
      eofIndex = 2; // addresses: base, free-space info, end of file, driver info
      rootOffset = addressStart + 5 * sizeOfOffsets; // then the root group's symbol table entry: name offset, header address
    } else {
      sizeOfOffsets = head[9]!;
      sizeOfLengths = head[10]!;
      addressStart = 12;
      eofIndex = 2; // addresses: base, superblock extension, end of file, root object header
      rootOffset = addressStart + 3 * sizeOfOffsets;
    }
    const eofOffset = addressStart + eofIndex * sizeOfOffsets;
    if (![2, 4, 8].includes(sizeOfOffsets) || eofOffset + sizeOfOffsets > bytesRead) {
      // A superblock cut short or garbled: the file cannot hold a valid end-of-file address.
      return { version, position, sizeOfOffsets: 8, sizeOfLengths: 8, eofAddress: Infinity, rootAddress: null };
    }
    const eofAddress = readUint(head, eofOffset, sizeOfOffsets) ?? Infinity;
    const rootAddress = rootOffset + sizeOfOffsets <= bytesRead ? readUint(head, rootOffset, sizeOfOffsets) : null;
    return { version, position, sizeOfOffsets, sizeOfLengths, eofAddress, rootAddress };
  }
  return null;
}
