import { promisify } from "node:util";
import zlib from "node:zlib";
import { SYNC_COMPRESSION, compressionLevel, toUint8Array } from "./gzip.js";

const deflate = promisify(zlib.deflate);
const inflate = promisify(zlib.inflate);

/**
 * The numcodecs `zlib` codec on node:zlib: zlib framing (RFC 1950), encode and decode (see
 * SYNC_COMPRESSION in gzip.ts for which thread does the work).
 */
export class ZlibCodec {
  readonly kind = "bytes_to_bytes" as const;
  readonly level: number;

  constructor(level: number) {
    this.level = level;
  }

  static fromConfig(config: unknown): ZlibCodec {
    return new ZlibCodec(compressionLevel(config, "zlib"));
  }

  async encode(bytes: Uint8Array): Promise<Uint8Array> {
    return toUint8Array(SYNC_COMPRESSION ? zlib.deflateSync(bytes, { level: this.level }) : await deflate(bytes, { level: this.level }));
  }

  async decode(bytes: Uint8Array): Promise<Uint8Array> {
    return toUint8Array(SYNC_COMPRESSION ? zlib.inflateSync(bytes) : await inflate(bytes));
  }
}
