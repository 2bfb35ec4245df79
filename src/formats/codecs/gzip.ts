import { promisify } from "node:util";
import { isMainThread } from "node:worker_threads";
import zlib from "node:zlib";

const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);

/**
 * Whether this thread compresses synchronously. The main thread hands (de)compression to libuv's
 * thread pool, so concurrent chunk decodes use every core. A worker thread of chunkwise's
 * scheduler is itself one core's worth of work: it compresses in place, since a round trip
 * through the four pool threads all workers share left workers idle (measured: HDF5 output
 * workers idle 40 % on async deflate).
 */
export const SYNC_COMPRESSION = !isMainThread;

/** numcodecs' default GZip level. */
const DEFAULT_LEVEL = 1;

/**
 * The `gzip` codec (Zarr v3 `gzip`, numcodecs `gzip`) on node:zlib: gzip framing (RFC 1952),
 * encode and decode (see SYNC_COMPRESSION for which thread does the work).
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
    return toUint8Array(SYNC_COMPRESSION ? zlib.gzipSync(bytes, { level: this.level }) : await gzip(bytes, { level: this.level }));
  }

  async decode(bytes: Uint8Array): Promise<Uint8Array> {
    return toUint8Array(SYNC_COMPRESSION ? zlib.gunzipSync(bytes) : await gunzip(bytes));
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
