/**
 * Synchronous positioned reads of an HDF5 file's metadata blocks (h5wasm blocks the thread anyway,
 * and worker threads read synchronously) through a small read-ahead window: object headers and
 * chunk-index nodes are small and usually close together, so one 64 KiB read serves many.
 */
import { readSync } from "node:fs";
import { readUint, type Superblock } from "./superblock.js";

export class MetadataReader {
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
      const size = Math.max(length, MetadataReader.WINDOW);
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
