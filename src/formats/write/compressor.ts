/**
 * The one compressor an output array gets, chosen from `--codec` or from the source's codec
 * chain, and how each output format spells it.
 *
 * Only the compressor travels from source to output: array-to-array codecs and filters
 * (transpose, delta, shuffle, bitround, fletcher32, crc32c, …) change the stored bytes, never the
 * decoded values, and chunkwise writes decoded values — so dropping them keeps every value.
 */
import { registry } from "zarrita";
import { ChunkwiseError } from "../../errors.js";
import { registerChunkwiseCodecs } from "../codecs/index.js";
import { GzipCodec } from "../codecs/gzip.js";
import { ZlibCodec } from "../codecs/zlib.js";
import type { Codec } from "../dataset.js";
import type { ArraySpec, CodecChoice, OutputFormat } from "../writer.js";

export type CompressorName = "blosc" | "zstd" | "lz4" | "gzip" | "zlib";

export const COMPRESSOR_NAMES: readonly CompressorName[] = ["blosc", "zstd", "lz4", "gzip", "zlib"];

/** blosc's inner settings; `shuffle`: 0 none, 1 byte shuffle, 2 bit shuffle. */
export interface BloscSettings {
  readonly cname: string;
  readonly shuffle: 0 | 1 | 2;
}

export interface Compressor {
  readonly name: CompressorName;
  /** blosc clevel, zstd level, gzip/zlib level, lz4 acceleration. */
  readonly level: number;
  readonly blosc?: BloscSettings;
  /** HDF5 only: the shuffle filter before deflate. */
  readonly shuffle?: boolean;
}

export interface CompressorDecision {
  /** Null: stored uncompressed. */
  readonly compressor: Compressor | null;
  /** What the user should know about the choice (a codec that could not be kept, a filter dropped). */
  readonly warnings: readonly string[];
}

const DEFAULT_LEVEL: Record<CompressorName, number> = { blosc: 5, zstd: 3, lz4: 1, gzip: 1, zlib: 1 };
const LEVEL_RANGE: Record<CompressorName, readonly [number, number]> = {
  blosc: [0, 9],
  zstd: [-131072, 22],
  lz4: [1, 65537],
  gzip: [0, 9],
  zlib: [0, 9],
};
const BLOSC_CNAMES = new Set(["blosclz", "lz4", "lz4hc", "snappy", "zlib", "zstd"]);
/** Fallback when the source's compressor cannot be written in the output format. */
const FALLBACK: Record<OutputFormat, Compressor> = {
  zarr2: { name: "zstd", level: 3 },
  zarr3: { name: "zstd", level: 3 },
  hdf5: { name: "gzip", level: 1 },
};

/**
 * Decide the compressor of one output array. Throws ChunkwiseError("UnsupportedError") for a
 * `--codec` the output format cannot write; a source codec that cannot be kept falls back to the
 * format's default with a warning.
 */
export function decideCompressor(spec: Pick<ArraySpec, "path" | "sourceCodecs" | "compressor">, format: OutputFormat): CompressorDecision {
  if (spec.compressor) return { compressor: fromChoice(spec.compressor, format), warnings: [] };
  return fromSourceCodecs(spec.path, spec.sourceCodecs, format);
}

function fromChoice(choice: CodecChoice, format: OutputFormat): Compressor | null {
  const name = choice.name.toLowerCase();
  if (name === "none") return null;
  if (!(COMPRESSOR_NAMES as readonly string[]).includes(name)) {
    throw new ChunkwiseError("UsageError", `unknown codec "${choice.name}"; choose one of ${[...COMPRESSOR_NAMES, "none"].join(", ")}`);
  }
  const compressorName = name as CompressorName;
  if (format === "hdf5" && compressorName !== "gzip" && compressorName !== "zlib") {
    throw new ChunkwiseError(
      "UnsupportedError",
      `HDF5 output cannot be written with ${compressorName}: h5wasm writes only the deflate filter; use --codec gzip[:LEVEL] or --codec none`,
    );
  }
  const level = choice.level ?? DEFAULT_LEVEL[compressorName];
  const [low, high] = LEVEL_RANGE[compressorName];
  if (!Number.isInteger(level) || level < low || level > high) {
    throw new ChunkwiseError("UsageError", `${compressorName} level must be an integer from ${low} to ${high}, got ${level}`);
  }
  if (compressorName === "blosc") return { name: "blosc", level, blosc: { cname: "lz4", shuffle: 1 } };
  return { name: compressorName, level };
}

/** Bare codec name: "numcodecs.zlib" → "zlib"; HDF5 filters by id where the name is missing. */
function bareName(codec: Codec): string {
  const byId: Record<number, string> = { 1: "deflate", 2: "shuffle", 3: "fletcher32", 4: "szip", 5: "nbit", 6: "scaleoffset", 32000: "lzf", 32001: "blosc", 32015: "zstd", 307: "bzip2", 32004: "lz4" };
  const name = codec.name ? codec.name.toLowerCase().replace(/^numcodecs\./, "") : "";
  return name || (codec.id !== undefined ? (byId[codec.id] ?? `filter ${codec.id}`) : "unknown");
}

/** Codecs that only rearrange or check bytes (or are the array-to-bytes step): dropping them keeps every value. */
const VALUE_PRESERVING = new Set(["bytes", "endian", "transpose", "shuffle", "bitshuffle", "delta", "crc32c", "fletcher32", "adler32", "categorize", "bitround", "quantize", "fixedscaleoffset", "scaleoffset", "nbit", "packbits", "astype", "vlen-utf8", "vlen-bytes", "json2"]);

function fromSourceCodecs(arrayPath: string, codecs: readonly Codec[], format: OutputFormat): CompressorDecision {
  const warnings: string[] = [];
  const compressors = codecs.filter((codec) => !VALUE_PRESERVING.has(bareName(codec)));
  if (compressors.length === 0) return { compressor: null, warnings };
  if (compressors.length > 1) {
    warnings.push(`${arrayPath}: the source chains ${compressors.map(bareName).join(" + ")}; the output keeps only ${bareName(compressors[0]!)}`);
  }
  const source = compressors[0]!;
  const name = bareName(source);
  const kept = keepable(source, name, format);
  if (kept) {
    // HDF5 output keeps the shuffle filter in front of deflate (hdf5-chunks.ts writes the pipeline).
    if (format === "hdf5" && codecs.map(bareName).includes("shuffle")) return { compressor: { ...kept, shuffle: true }, warnings };
    return { compressor: kept, warnings };
  }
  const fallback = FALLBACK[format];
  warnings.push(`${arrayPath}: the source codec ${name} cannot be written to ${format} output; using ${fallback.name} level ${fallback.level} instead (choose with --codec)`);
  return { compressor: fallback, warnings };
}

function keepable(codec: Codec, name: string, format: OutputFormat): Compressor | null {
  const config = codec.configuration;
  const number = (key: string, fallback: number): number => {
    const value = config[key];
    return typeof value === "number" && Number.isFinite(value) ? value : fallback;
  };
  const deflateLevel = (): number => {
    const cdValues = config["cd_values"] ?? config["level"];
    const level = Array.isArray(cdValues) ? cdValues[0] : cdValues;
    return typeof level === "number" && Number.isInteger(level) && level >= 0 && level <= 9 ? level : 4;
  };
  if (format === "hdf5") {
    if (name === "deflate") return { name: "gzip", level: deflateLevel() };
    if (name === "gzip" || name === "zlib") return { name: "gzip", level: number("level", 1) };
    return null;
  }
  switch (name) {
    case "deflate":
      return { name: format === "zarr2" ? "zlib" : "gzip", level: deflateLevel() };
    case "gzip":
    case "zlib":
      return { name, level: number("level", 1) };
    case "zstd":
      return { name: "zstd", level: number("level", DEFAULT_LEVEL.zstd) };
    case "lz4":
      return { name: "lz4", level: number("acceleration", 1) };
    case "blosc": {
      const cname = typeof config["cname"] === "string" && BLOSC_CNAMES.has(config["cname"]) ? config["cname"] : "lz4";
      return { name: "blosc", level: number("clevel", DEFAULT_LEVEL.blosc), blosc: { cname, shuffle: bloscShuffle(config["shuffle"]) } };
    }
    default:
      return null;
  }
}

function bloscShuffle(value: unknown): 0 | 1 | 2 {
  if (value === 0 || value === "noshuffle") return 0;
  if (value === 2 || value === "bitshuffle") return 2;
  return 1;
}

/** numcodecs spelling, for a Zarr v2 `.zarray` "compressor". */
export function zarrV2Compressor(compressor: Compressor | null): Record<string, unknown> | null {
  if (!compressor) return null;
  switch (compressor.name) {
    case "blosc":
      return { id: "blosc", cname: compressor.blosc!.cname, clevel: compressor.level, shuffle: compressor.blosc!.shuffle, blocksize: 0 };
    case "zstd":
      return { id: "zstd", level: compressor.level };
    case "lz4":
      return { id: "lz4", acceleration: compressor.level };
    case "gzip":
    case "zlib":
      return { id: compressor.name, level: compressor.level };
  }
}

/** Zarr v3 codec entry (after the `bytes` codec). zlib and lz4 are not core v3 codecs: zarr-python and zarrita know them as numcodecs.*. */
export function zarrV3Compressor(compressor: Compressor, itemSize: number): { name: string; configuration: Record<string, unknown> } {
  switch (compressor.name) {
    case "blosc":
      return {
        name: "blosc",
        configuration: {
          cname: compressor.blosc!.cname,
          clevel: compressor.level,
          shuffle: (["noshuffle", "shuffle", "bitshuffle"] as const)[compressor.blosc!.shuffle],
          typesize: itemSize,
          blocksize: 0,
        },
      };
    case "zstd":
      return { name: "zstd", configuration: { level: compressor.level, checksum: false } };
    case "lz4":
      return { name: "numcodecs.lz4", configuration: { acceleration: compressor.level } };
    case "gzip":
      return { name: "gzip", configuration: { level: compressor.level } };
    case "zlib":
      return { name: "numcodecs.zlib", configuration: { level: compressor.level } };
  }
}

interface BytesCodec {
  encode(bytes: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** As encode, returning a view of a buffer reused by the next call in this thread (chunkwise's blosc encoder). */
  encodeReusing?(bytes: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

const loaded = new Map<string, Promise<BytesCodec>>();

/** One encoder instance per compressor setting and item size, loaded once per thread. */
function encoderFor(compressor: Compressor, itemSize: number): Promise<BytesCodec> {
  const key = JSON.stringify([compressor, itemSize]);
  let codec = loaded.get(key);
  if (!codec) {
    codec = loadEncoder(compressor, itemSize);
    loaded.set(key, codec);
  }
  return codec;
}

async function loadEncoder(compressor: Compressor, itemSize: number): Promise<BytesCodec> {
  switch (compressor.name) {
    case "gzip":
      return new GzipCodec(compressor.level);
    case "zlib":
      return new ZlibCodec(compressor.level);
    case "blosc":
      // c-blosc gets the item size as its typesize, as from zarr-python (and lz4 goes to blosc-encode.ts).
      return fromZarritaRegistry("blosc", { cname: compressor.blosc!.cname, clevel: compressor.level, shuffle: compressor.blosc!.shuffle, blocksize: 0, typesize: itemSize });
    case "zstd":
      return fromZarritaRegistry("zstd", { level: compressor.level });
    case "lz4":
      return fromZarritaRegistry("lz4", { acceleration: compressor.level });
  }
}

/** zarrita's blosc/zstd/lz4 are the numcodecs wasm builds, which encode as well as decode (blosc behind ours: blosc-codec.ts). */
async function fromZarritaRegistry(name: string, config: Record<string, unknown>): Promise<BytesCodec> {
  registerChunkwiseCodecs();
  const entry = await registry.get(name)?.();
  if (!entry) throw new ChunkwiseError("UnsupportedError", `no ${name} encoder is available`);
  return entry.fromConfig(config, { dataType: "uint8", shape: [], codecs: [], fillValue: null }) as unknown as BytesCodec;
}

/**
 * Compress one chunk's stored bytes, whose elements are `itemSize` bytes each. With `reuse`, the
 * result may be a view of a buffer the next compress() in this thread overwrites: for a caller
 * that writes it before compressing again.
 */
export async function compress(bytes: Uint8Array, compressor: Compressor | null, itemSize: number, reuse = false): Promise<Uint8Array> {
  if (!compressor) return bytes;
  const codec = await encoderFor(compressor, itemSize);
  return reuse && codec.encodeReusing ? codec.encodeReusing(bytes) : codec.encode(bytes);
}
