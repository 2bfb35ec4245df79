import { registry } from "zarrita";
import { withChunkwiseBlosc } from "./blosc-codec.js";
import { Crc32cCodec } from "./crc32c.js";
import { GzipCodec } from "./gzip.js";
import { ZlibCodec } from "./zlib.js";

/** The codecs chunkwise puts into zarrita's registry, by every name stores spell them with. */
const CHUNKWISE_CODECS = {
  gzip: GzipCodec,
  "numcodecs.gzip": GzipCodec,
  zlib: ZlibCodec,
  "numcodecs.zlib": ZlibCodec,
  crc32c: Crc32cCodec,
  "numcodecs.crc32c": Crc32cCodec,
} as const;

let registered = false;

/**
 * Replace zarrita's gzip/zlib (decode-only, slower) and crc32c (never verifies) with ours, which
 * encode as well as decode and check checksums; blosc gets a frame-length check, and decodes lz4
 * frames and encodes lz4 without bitshuffle in TypeScript (blosc-codec.ts).
 * Safe to call any number of times.
 */
export function registerChunkwiseCodecs(): void {
  if (registered) return;
  for (const [name, codec] of Object.entries(CHUNKWISE_CODECS)) {
    registry.set(name, async () => codec);
  }
  for (const name of ["blosc", "numcodecs.blosc"]) {
    const load = registry.get(name);
    if (load) registry.set(name, async () => withChunkwiseBlosc(await load()) as Awaited<ReturnType<typeof load>>);
  }
  registered = true;
}

/** True when zarrita (with our registrations) can decode data that went through the codec `name`. */
export function isCodecRegistered(name: string): boolean {
  registerChunkwiseCodecs();
  return registry.has(name);
}

export { crc32c, Crc32cCodec } from "./crc32c.js";
export { GzipCodec } from "./gzip.js";
export { ZlibCodec } from "./zlib.js";
