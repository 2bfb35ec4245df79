/**
 * Zarr v2 and v3 metadata documents parsed once into typed descriptions. Pure: bytes in, typed
 * objects or a ChunkwiseError("MetadataError") naming the file and the key out.
 */
import { ChunkwiseError } from "../../errors.js";
import { isCodecRegistered } from "../codecs/index.js";
import type { Codec, DataType } from "../dataset.js";
import { parseV2Dtype, parseV3DataType, type ParsedDataType } from "./dtype.js";

export type ZarrFormatVersion = 2 | 3;

/** How chunk coordinates become object keys: v3 "default" ("c/0/1") or "v2" ("0.1"). */
export interface ChunkKeyEncoding {
  readonly kind: "default" | "v2";
  readonly separator: "/" | ".";
}

export interface ZarrArrayMetadata {
  readonly zarrFormat: ZarrFormatVersion;
  readonly shape: readonly number[];
  /** The unit one read decodes: the chunk, or for sharded arrays the inner chunk. */
  readonly chunks: readonly number[];
  /** Shard shape for sharded v3 arrays; null otherwise. */
  readonly shards: readonly number[] | null;
  readonly dtype: DataType;
  readonly order: "C" | "F";
  readonly codecs: readonly Codec[];
  readonly fillValue: number | string | boolean | null;
  readonly dimensionNames: readonly (string | null)[] | null;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly keyEncoding: ChunkKeyEncoding;
  readonly unreadableReason: string | null;
}

export interface ZarrGroupMetadata {
  readonly zarrFormat: ZarrFormatVersion;
  readonly attributes: Readonly<Record<string, unknown>>;
}

export type ZarrNodeMetadata = { readonly kind: "array"; readonly array: ZarrArrayMetadata } | { readonly kind: "group"; readonly group: ZarrGroupMetadata };

type JsonObject = Record<string, unknown>;

function metadataError(file: string, message: string, cause?: unknown): ChunkwiseError {
  return new ChunkwiseError("MetadataError", message, { path: file, cause });
}

/**
 * Parse a metadata file. Python's json module writes bare NaN/Infinity (zarr-python 2 attributes
 * do); those are accepted and become the strings "NaN", "Infinity", "-Infinity".
 */
export function decodeJsonObject(bytes: Uint8Array, file: string): JsonObject {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const relaxed = quoteNonFiniteLiterals(text);
    try {
      if (relaxed === text) throw err;
      value = JSON.parse(relaxed);
    } catch {
      throw metadataError(file, `invalid JSON: ${(err as Error).message.split("\n")[0]}`, err);
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw metadataError(file, "invalid metadata: expected a JSON object");
  }
  return value as JsonObject;
}

/** Replace NaN, Infinity, -Infinity outside string literals by their quoted forms. */
function quoteNonFiniteLiterals(text: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    if (char === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    const literal = ["-Infinity", "Infinity", "NaN"].find((word) => text.startsWith(word, i));
    if (literal) {
      out += `"${literal}"`;
      i += literal.length;
      continue;
    }
    out += char;
    i++;
  }
  return out;
}

function has(doc: JsonObject, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(doc, key);
}

function requireKey(doc: JsonObject, key: string, file: string): unknown {
  if (!has(doc, key)) throw metadataError(file, `invalid metadata: required key "${key}" is missing`);
  return doc[key];
}

function intList(value: unknown, key: string, file: string, minimum: number): number[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === "number" && Number.isSafeInteger(item) && item >= minimum)) {
    throw metadataError(file, `invalid metadata: "${key}" must be a list of integers ≥ ${minimum}`);
  }
  return value as number[];
}

function attributesOf(value: unknown, key: string, file: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw metadataError(file, `invalid metadata: "${key}" must be an object`);
  return value as Record<string, unknown>;
}

function dimensionNamesOf(value: unknown, rank: number, key: string, file: string): (string | null)[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || value.length !== rank || !value.every((name) => name === null || typeof name === "string")) {
    throw metadataError(file, `invalid metadata: "${key}" must list ${rank} names (strings or null)`);
  }
  return value as (string | null)[];
}

/** Fill value as dataset.ts wants it: JSON-safe, NaN/±Infinity as strings. */
export function normalizeFillValue(value: unknown, dtype: DataType): number | string | boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "NaN";
    if (value === Infinity) return "Infinity";
    if (value === -Infinity) return "-Infinity";
    return dtype.kind === "bool" ? value !== 0 : value;
  }
  if (typeof value === "boolean") return value;
  if (typeof value === "string") {
    if (dtype.kind === "float" && /^0x[0-9a-fA-F]+$/.test(value)) return normalizeFillValue(floatFromHex(value, dtype.itemSize), dtype);
    if (dtype.kind === "float" && !["NaN", "Infinity", "-Infinity"].includes(value) && value.trim() !== "" && Number.isFinite(Number(value))) {
      return Number(value);
    }
    return value;
  }
  if (Array.isArray(value) && value.length === 2 && dtype.kind === "complex") {
    const [re, im] = value.map((part) => normalizeFillValue(part, { ...dtype, kind: "float" }));
    return typeof im === "number" && im < 0 ? `${re}-${-im}j` : `${re}+${im}j`;
  }
  return JSON.stringify(value);
}

function floatFromHex(hex: string, itemSize: number): number {
  const view = new DataView(new ArrayBuffer(8));
  const bits = BigInt(hex);
  if (itemSize === 4) {
    view.setUint32(0, Number(bits));
    return view.getFloat32(0);
  }
  if (itemSize === 8) {
    view.setBigUint64(0, bits);
    return view.getFloat64(0);
  }
  return NaN;
}

/** numcodecs codecs that encode "|O" object arrays. */
const OBJECT_CODECS = new Set(["vlen-utf8", "vlen-bytes", "vlen-array", "json", "json2", "pickle", "msgpack", "msgpack2", "categorize"]);

/** v2 filters zarrita translates into v3 codecs rather than finding them under numcodecs.<id>. */
const TRANSLATED_V2_FILTERS = new Set(["fixedscaleoffset", "numcodecs.fixedscaleoffset"]);

function v2Codec(value: unknown, key: string, file: string): Codec {
  if (typeof value !== "object" || value === null || Array.isArray(value) || typeof (value as JsonObject).id !== "string") {
    throw metadataError(file, `invalid metadata: each entry of "${key}" must be an object with a string "id"`);
  }
  const { id, ...configuration } = value as JsonObject & { id: string };
  return { name: id, configuration, supported: TRANSLATED_V2_FILTERS.has(id) || isCodecRegistered(`numcodecs.${id}`) };
}

function firstUnsupported(codecs: readonly Codec[]): string | null {
  const codec = codecs.find((c) => !c.supported);
  return codec ? `codec ${codec.name} is not supported` : null;
}

/** A v2 `.zarray` document plus the array's `.zattrs`. */
export function parseV2Array(doc: JsonObject, attributes: Record<string, unknown>, file: string): ZarrArrayMetadata {
  if (requireKey(doc, "zarr_format", file) !== 2) throw metadataError(file, 'invalid metadata: "zarr_format" must be 2');
  const shape = intList(requireKey(doc, "shape", file), "shape", file, 0);
  const chunks = intList(requireKey(doc, "chunks", file), "chunks", file, 1);
  if (chunks.length !== shape.length) throw metadataError(file, `invalid metadata: "chunks" has ${chunks.length} axes but "shape" has ${shape.length}`);
  const order = requireKey(doc, "order", file);
  if (order !== "C" && order !== "F") throw metadataError(file, 'invalid metadata: "order" must be "C" or "F"');
  const filtersValue = doc.filters ?? null;
  if (filtersValue !== null && !Array.isArray(filtersValue)) throw metadataError(file, 'invalid metadata: "filters" must be a list or null');
  const compressorValue = requireKey(doc, "compressor", file);
  const codecs = [
    ...((filtersValue as unknown[] | null) ?? []).map((filter) => v2Codec(filter, "filters", file)),
    ...(compressorValue === null ? [] : [v2Codec(compressorValue, "compressor", file)]),
  ];
  const objectCodec = codecs.find((codec) => OBJECT_CODECS.has(codec.name))?.name ?? null;
  const parsed = parseV2Dtype(requireKey(doc, "dtype", file), objectCodec);
  const dimensionNames = v2DimensionNames(attributes, shape.length);
  if ("problem" in parsed) throw metadataError(file, `invalid metadata: ${parsed.problem}`);
  const separator = doc.dimension_separator ?? ".";
  if (separator !== "." && separator !== "/") throw metadataError(file, 'invalid metadata: "dimension_separator" must be "." or "/"');
  const fillValue = requireKey(doc, "fill_value", file);
  return {
    zarrFormat: 2,
    shape,
    chunks,
    shards: null,
    dtype: parsed.dtype,
    order,
    codecs,
    fillValue: normalizeV2FillValue(fillValue, parsed.dtype),
    dimensionNames,
    attributes: dimensionNames === null ? attributes : withoutKey(attributes, "_ARRAY_DIMENSIONS"),
    keyEncoding: { kind: "v2", separator },
    unreadableReason: parsed.unsupported ?? firstUnsupported(codecs),
  };
}

/** zarr-python 2 stores fixed-length bytes fill values base64-encoded. */
function normalizeV2FillValue(value: unknown, dtype: DataType): number | string | boolean | null {
  if (typeof value === "string" && dtype.numpy.startsWith("|S")) return Buffer.from(value, "base64").toString("latin1");
  return normalizeFillValue(value, dtype);
}

function withoutKey(attributes: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _dropped, ...rest } = attributes;
  return rest;
}

/**
 * xarray's `_ARRAY_DIMENSIONS` attribute, when it is a list of strings of the right length. It
 * then becomes dimensionNames and leaves the attributes (v2 writers put it back from
 * dimensionNames); a malformed one stays an ordinary attribute.
 */
function v2DimensionNames(attributes: Record<string, unknown>, rank: number): string[] | null {
  const names = attributes._ARRAY_DIMENSIONS;
  if (!Array.isArray(names) || names.length !== rank || !names.every((name) => typeof name === "string")) return null;
  return names as string[];
}

export function parseV2Group(doc: JsonObject, attributes: Record<string, unknown>, file: string): ZarrGroupMetadata {
  if (requireKey(doc, "zarr_format", file) !== 2) throw metadataError(file, 'invalid metadata: "zarr_format" must be 2');
  return { zarrFormat: 2, attributes };
}

interface V3CodecMetadata {
  readonly name: string;
  readonly configuration: Record<string, unknown>;
}

function v3Codecs(value: unknown, key: string, file: string): V3CodecMetadata[] {
  if (!Array.isArray(value) || value.length === 0) throw metadataError(file, `invalid metadata: "${key}" must be a non-empty list of codecs`);
  return value.map((codec) => {
    if (typeof codec === "string") return { name: codec, configuration: {} };
    if (typeof codec !== "object" || codec === null || typeof (codec as JsonObject).name !== "string") {
      throw metadataError(file, `invalid metadata: each entry of "${key}" must be an object with a string "name"`);
    }
    const configuration = (codec as JsonObject).configuration ?? {};
    if (typeof configuration !== "object" || configuration === null || Array.isArray(configuration)) {
      throw metadataError(file, `invalid metadata: configuration of codec "${(codec as JsonObject).name as string}" must be an object`);
    }
    return { name: (codec as JsonObject).name as string, configuration: configuration as Record<string, unknown> };
  });
}

/** Memory order from a `transpose` codec: "F" when it reverses the axes. */
function orderOfChain(chain: readonly V3CodecMetadata[], rank: number): "C" | "F" {
  const transpose = chain.find((codec) => codec.name === "transpose");
  const order = transpose?.configuration.order;
  if (order === "F") return "F";
  if (Array.isArray(order) && rank > 1 && order.every((axis, i) => axis === rank - 1 - i)) return "F";
  return "C";
}

function endianOfChain(chain: readonly V3CodecMetadata[]): "little" | "big" | null {
  const endian = chain.find((codec) => codec.name === "bytes")?.configuration.endian;
  return endian === "big" || endian === "little" ? endian : null;
}

/** A v3 `zarr.json`: an array or a group. */
export function parseV3Node(doc: JsonObject, file: string): ZarrNodeMetadata {
  if (requireKey(doc, "zarr_format", file) !== 3) throw metadataError(file, 'invalid metadata: "zarr_format" must be 3');
  const nodeType = requireKey(doc, "node_type", file);
  const attributes = attributesOf(doc.attributes, "attributes", file);
  if (nodeType === "group") return { kind: "group", group: { zarrFormat: 3, attributes } };
  if (nodeType !== "array") throw metadataError(file, 'invalid metadata: "node_type" must be "array" or "group"');
  return { kind: "array", array: parseV3Array(doc, attributes, file) };
}

function parseV3Array(doc: JsonObject, attributes: Record<string, unknown>, file: string): ZarrArrayMetadata {
  const shape = intList(requireKey(doc, "shape", file), "shape", file, 0);
  const grid = requireKey(doc, "chunk_grid", file) as JsonObject | null;
  if (typeof grid !== "object" || grid === null || typeof grid.name !== "string") {
    throw metadataError(file, 'invalid metadata: "chunk_grid" must be an object with a name');
  }
  if (grid.name !== "regular") throw new ChunkwiseError("UnsupportedError", `chunk grid "${grid.name}" is not supported (only "regular")`, { path: file });
  const gridShape = intList((grid.configuration as JsonObject | undefined)?.chunk_shape, "chunk_grid.configuration.chunk_shape", file, 1);
  if (gridShape.length !== shape.length) {
    throw metadataError(file, `invalid metadata: "chunk_grid.configuration.chunk_shape" has ${gridShape.length} axes but "shape" has ${shape.length}`);
  }
  const keyEncoding = parseKeyEncoding(requireKey(doc, "chunk_key_encoding", file), file);
  const outer = v3Codecs(requireKey(doc, "codecs", file), "codecs", file);
  const fillValue = requireKey(doc, "fill_value", file);
  const dimensionNames = dimensionNamesOf(doc.dimension_names, shape.length, "dimension_names", file);
  const transformers = doc.storage_transformers;
  if (transformers !== undefined && !Array.isArray(transformers)) throw metadataError(file, 'invalid metadata: "storage_transformers" must be a list');

  let chunks = gridShape;
  let shards: number[] | null = null;
  let chain = outer;
  const problems: string[] = [];
  const shardingIndex = outer.findIndex((codec) => codec.name === "sharding_indexed");
  if (shardingIndex >= 0) {
    const config = outer[shardingIndex]!.configuration;
    const inner = intList(config.chunk_shape, "sharding_indexed.configuration.chunk_shape", file, 1);
    if (inner.length !== shape.length || inner.some((size, axis) => gridShape[axis]! % size !== 0)) {
      throw metadataError(file, "invalid metadata: sharding_indexed chunk_shape must divide the shard shape on every axis");
    }
    chain = v3Codecs(config.codecs, "sharding_indexed.configuration.codecs", file);
    v3Codecs(config.index_codecs, "sharding_indexed.configuration.index_codecs", file);
    shards = gridShape;
    chunks = inner;
    if (outer.length > 1) problems.push("codecs outside sharding_indexed are not supported");
    if (chain.some((codec) => codec.name === "sharding_indexed")) problems.push("nested sharding is not supported");
    if (config.index_location !== undefined && config.index_location !== "end") problems.push(`shard index location "${String(config.index_location)}" is not supported`);
  }
  const parsed: ParsedDataType | { problem: string } = parseV3DataType(requireKey(doc, "data_type", file), endianOfChain(chain));
  if ("problem" in parsed) throw metadataError(file, `invalid metadata: ${parsed.problem}`);
  const codecs: Codec[] = chain.map((codec) => ({
    name: codec.name,
    configuration: codec.configuration,
    supported: codec.name !== "sharding_indexed" && isCodecRegistered(codec.name),
  }));
  if ((transformers as unknown[] | undefined)?.length) problems.push("storage transformers are not supported");
  return {
    zarrFormat: 3,
    shape,
    chunks,
    shards,
    dtype: parsed.dtype,
    order: orderOfChain(chain, shape.length),
    codecs,
    fillValue: normalizeFillValue(fillValue, parsed.dtype),
    dimensionNames,
    attributes,
    keyEncoding,
    unreadableReason: parsed.unsupported ?? problems[0] ?? firstUnsupported(codecs),
  };
}

function parseKeyEncoding(value: unknown, file: string): ChunkKeyEncoding {
  const doc = value as JsonObject | null;
  if (typeof doc !== "object" || doc === null || (doc.name !== "default" && doc.name !== "v2")) {
    throw metadataError(file, 'invalid metadata: "chunk_key_encoding" must name "default" or "v2"');
  }
  const separator = (doc.configuration as JsonObject | undefined)?.separator ?? (doc.name === "default" ? "/" : ".");
  if (separator !== "/" && separator !== ".") throw metadataError(file, 'invalid metadata: chunk key separator must be "/" or "."');
  return { kind: doc.name, separator };
}

/** The object key (relative to the array) of the chunk — or, for sharded arrays, the shard — at `coords`. */
export function chunkKey(encoding: ChunkKeyEncoding, coords: readonly number[]): string {
  if (encoding.kind === "default") return ["c", ...coords].join(encoding.separator);
  return coords.length === 0 ? "0" : coords.join(encoding.separator);
}

export function attributesFromDocument(doc: JsonObject, file: string): Record<string, unknown> {
  return attributesOf(doc, ".zattrs", file);
}
