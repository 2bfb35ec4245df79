/**
 * The blosc codec chunkwise registers: zarrita's entry (numcodecs' wasm build of c-blosc) with our
 * TypeScript codec in front of it where ours can do the work: decoding lz4/lz4hc and memcpyed
 * frames (blosc-decode.ts) and encoding lz4 with byte shuffle or none (blosc-encode.ts), because
 * the wasm glue copies every input byte into the wasm heap in a JavaScript loop, which costs as
 * much as the (de)compression itself. Every decode starts with a frame-length check, because the
 * wasm decoder turns a truncated or padded frame into garbage without an error.
 */

import { bloscDecodesNatively, decodeBloscFrame } from "./blosc-decode.js";
import { type BloscLz4Settings, encodeBloscLz4 } from "./blosc-encode.js";
import { bloscFrameProblem } from "./blosc-frame.js";
import { typedArrayClasses } from "../typed-arrays.js";

interface BytesCodec {
  encode(bytes: Uint8Array): Uint8Array | Promise<Uint8Array>;
  decode(bytes: Uint8Array, out?: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

interface CodecEntry<C> {
  fromConfig(config: unknown, meta: never): C;
  kind?: string;
}

const NOSHUFFLE = 0;
const SHUFFLE = 1;
const BITSHUFFLE = 2;
const AUTOSHUFFLE = -1;
const SHUFFLE_NAMES: Record<string, number> = { noshuffle: NOSHUFFLE, shuffle: SHUFFLE, bitshuffle: BITSHUFFLE };

/** A blosc codec's configuration as numcodecs.js takes it, with the typesize c-blosc will be given. */
export interface BloscConfig {
  readonly cname: string;
  readonly clevel: number;
  /** 0, 1 or 2; AUTOSHUFFLE and v3's names resolved. */
  readonly shuffle: number;
  readonly blocksize: number;
  /** v3's `typesize`, else the array's item size (what zarr-python passes); null when neither is known. */
  readonly typesize: number | null;
}

/**
 * Read a blosc configuration from a Zarr v2 `.zarray` (numcodecs: shuffle −1…2, no typesize) or v3
 * `zarr.json` (shuffle by name, typesize), with numcodecs' defaults. AUTOSHUFFLE becomes
 * bitshuffle for 1-byte types and byte shuffle otherwise, as numcodecs decides.
 */
export function readBloscConfig(config: unknown, itemSize: number | null): BloscConfig {
  const fields = (typeof config === "object" && config !== null ? config : {}) as Record<string, unknown>;
  const number = (key: string, fallback: number): number => (typeof fields[key] === "number" ? (fields[key] as number) : fallback);
  const given = fields["typesize"];
  const typesize = typeof given === "number" && Number.isInteger(given) && given > 0 ? given : itemSize;
  const named = fields["shuffle"];
  let shuffle = typeof named === "string" ? (SHUFFLE_NAMES[named] ?? SHUFFLE) : number("shuffle", SHUFFLE);
  if (shuffle === AUTOSHUFFLE) shuffle = typesize === 1 ? BITSHUFFLE : SHUFFLE;
  return {
    cname: typeof fields["cname"] === "string" ? fields["cname"] : "lz4",
    clevel: number("clevel", 5),
    shuffle,
    blocksize: number("blocksize", 0),
    typesize,
  };
}

/** The settings blosc-encode.ts encodes this configuration with, or null when it goes to c-blosc (wasm). */
export function nativeBloscEncoding(config: BloscConfig): BloscLz4Settings | null {
  const { cname, clevel, shuffle, blocksize, typesize } = config;
  if (cname !== "lz4" || typesize === null || (shuffle !== NOSHUFFLE && shuffle !== SHUFFLE)) return null;
  return { clevel, shuffle: shuffle === SHUFFLE, typesize, blocksize };
}

/** Bytes per element of a zarrita data type, or null for types without a fixed numeric size. */
function itemSizeOf(meta: unknown): number | null {
  const dataType = (meta as { dataType?: unknown } | undefined)?.dataType;
  if (dataType === "bool") return 1;
  if (dataType === "float16") return 2;
  const constructor = typeof dataType === "string" ? typedArrayClasses[dataType as keyof typeof typedArrayClasses] : undefined;
  return constructor ? constructor.BYTES_PER_ELEMENT : null;
}

/**
 * Wrap a blosc codec entry: every decode checks the frame and takes our decoder when it can;
 * encoding lz4 with byte shuffle or none takes our encoder.
 */
export function withChunkwiseBlosc<C extends BytesCodec>(entry: CodecEntry<C>): CodecEntry<BytesCodec & { kind?: string }> {
  return {
    kind: entry.kind,
    fromConfig(config: unknown, meta: never) {
      const blosc = readBloscConfig(config, itemSizeOf(meta));
      const native = nativeBloscEncoding(blosc);
      // numcodecs.js takes numbers for shuffle and hands c-blosc its own typesize (4) whatever the config says.
      const codec = entry.fromConfig({ cname: blosc.cname, clevel: blosc.clevel, shuffle: blosc.shuffle, blocksize: blosc.blocksize }, meta);
      return {
        kind: entry.kind,
        encode: (bytes: Uint8Array) => (native ? encodeBloscLz4(bytes, native) : codec.encode(bytes)),
        /** As encode, but the bytes may be a view of a buffer the next encode in this thread reuses. */
        encodeReusing: (bytes: Uint8Array) => (native ? encodeBloscLz4(bytes, native, true) : codec.encode(bytes)),
        decode: (bytes: Uint8Array, out?: Uint8Array) => {
          const problem = bloscFrameProblem(bytes);
          if (problem) throw new Error(problem);
          if (!bloscDecodesNatively(bytes)) return codec.decode(bytes, out);
          const decoded = decodeBloscFrame(bytes);
          if (!out) return decoded;
          out.set(decoded);
          return out;
        },
      };
    },
  };
}
