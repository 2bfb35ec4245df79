import { promisify } from "node:util";
import zlib from "node:zlib";

const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);

/** numcodecs' default GZip level. */
const DEFAULT_LEVEL = 1;

/**
 * The `gzip` codec (Zarr v3 `gzip`, numcodecs `gzip`) on node:zlib: gzip framing (RFC 1952),
 * encode and decode. Runs on libuv's thread pool, so concurrent chunk decodes use every core.
 */
export class GzipCodec {
  readonly kind = "bytes_to_bytes" as const;
  readonly level: number;

  constructor(level: number) {
    this.level = level;
  }

  static fromConfig(config: unknown): GzipCodec {
    return new GzipCodec(compressionLevel(config, "gzip"));
  }

  async encode(bytes: Uint8Array): Promise<Uint8Array> {
    return toUint8Array(await gzip(bytes, { level: this.level }));
  }

  async decode(bytes: Uint8Array): Promise<Uint8Array> {
    return toUint8Array(await gunzip(bytes));
  }
}

/** The `level` of a gzip/zlib configuration: an integer 0–9 (numcodecs default 1 when absent). */
export function compressionLevel(config: unknown, codec: string): number {
  const level = (config as { level?: unknown } | null | undefined)?.level;
  if (level === undefined || level === null) return DEFAULT_LEVEL;
  if (typeof level !== "number" || !Number.isInteger(level) || level < 0 || level > 9) {
    throw new Error(`${codec}: level must be an integer from 0 to 9, got ${JSON.stringify(level)}`);
  }
  return level;
}

/** A plain Uint8Array over the same memory (zarrita's codecs expect no Buffer-specific behaviour). */
export function toUint8Array(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
