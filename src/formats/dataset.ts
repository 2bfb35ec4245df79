/**
 * The one interface every format sits behind. `inspect`, `advise`, `probe` and `rechunk` see
 * datasets only through these types; zarr.ts (zarrita) and hdf5.ts (h5wasm) implement them.
 *
 * Conventions:
 * - Array and group paths are absolute inside the dataset, "/"-separated, with a leading "/"
 *   ("/", "/tas", "/group/sub/array"). A store or file that is itself one array has path "/".
 * - Shapes and coordinates are in C (row-major) axis order as the metadata lists them, whatever
 *   the stored memory order; values returned by reads are always C order.
 */

export type DatasetFormat = "zarr2" | "zarr3" | "hdf5" | "netcdf4";

export type DataKind = "bool" | "int" | "uint" | "float" | "complex" | "string" | "vlen";

export interface DataType {
  /** numpy-style descriptor with byte order: "<f4", ">i2", "|u1", "|b1", "<U13", "|S7", "|O". */
  readonly numpy: string;
  /** Canonical name: bool, int8…int64, uint8…uint64, float16/32/64, complex64/128, string, vlen. */
  readonly name: string;
  readonly kind: DataKind;
  /** Bytes per element in memory (for variable-length data: the size of one reference, 8). */
  readonly itemSize: number;
  readonly byteOrder: "little" | "big" | "none";
}

export interface Codec {
  /** Name as the format spells it: zarr codec name ("blosc", "zstd", "bytes", "sharding_indexed", "numcodecs.zlib"), or the HDF5 filter name ("deflate", "shuffle", "lzf"). */
  readonly name: string;
  /** HDF5 filter id, where the format has one. */
  readonly id?: number;
  readonly configuration: Readonly<Record<string, unknown>>;
  /** False when chunkwise cannot decode data that went through this codec. */
  readonly supported: boolean;
}

export interface StorageFacts {
  /** Bytes the array's chunk data occupies on disk (sum of chunk objects/allocated chunks); null when unknown. */
  readonly storedBytes: number | null;
  /** Chunk objects actually written: chunk files for Zarr, shard files for sharded Zarr v3, allocated chunks for HDF5; null when unknown. */
  readonly writtenObjects: number | null;
}

export interface ArrayDescription {
  readonly path: string;
  readonly format: DatasetFormat;
  readonly shape: readonly number[];
  readonly dtype: DataType;
  /** Per-axis names (Zarr v3 dimension_names, v2 _ARRAY_DIMENSIONS, netCDF dimension scales); null when the format has none. */
  readonly dimensionNames: readonly (string | null)[] | null;
  /** The storage chunk, the unit one read decodes (for sharded Zarr v3: the inner chunk); null for contiguous HDF5 data. */
  readonly chunks: readonly number[] | null;
  /** Shard shape for sharded Zarr v3 arrays, null otherwise. */
  readonly shards: readonly number[] | null;
  /** Memory order of elements inside a stored chunk. */
  readonly order: "C" | "F";
  /** The codec/filter chain in application order (encode direction); for sharded arrays, the inner chain after the sharding codec. */
  readonly codecs: readonly Codec[];
  /** Fill value as JSON-safe value: numbers, booleans, strings; NaN/Infinity as the strings "NaN", "Infinity", "-Infinity"; null when none. */
  readonly fillValue: number | string | boolean | null;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly storage: StorageFacts;
  /** Null when chunkwise can read the values; otherwise why not (e.g. "codec lzf (filter 32000) is not supported"). */
  readonly unreadableReason: string | null;
}

export interface GroupDescription {
  readonly path: string;
  readonly attributes: Readonly<Record<string, unknown>>;
}

export type NumericArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

/** Decoded values, C order. Numeric and bool data come as typed arrays (bool as Uint8Array); strings and objects as plain arrays. */
export type ArrayValues = NumericArray | unknown[];

export type { PartMemory, PlacedBlock, Region } from "./block-copy.js";
import type { PartMemory, PlacedBlock, Region } from "./block-copy.js";

export interface Block {
  readonly shape: readonly number[];
  readonly values: ArrayValues;
}

export interface Dataset {
  /** The path or URL the dataset was opened from. */
  readonly location: string;
  readonly format: DatasetFormat;
  /** Every array, recursively through groups, sorted by path. */
  listArrays(): Promise<ArrayDescription[]>;
  /** Every group (the root included), sorted by path. */
  listGroups(): Promise<GroupDescription[]>;
  describe(arrayPath: string): Promise<ArrayDescription>;
  /**
   * One storage chunk by its grid coordinates, decoded. Edge chunks are clipped to the array's
   * bounds, so `shape` may be smaller than the chunk shape. Unwritten chunks come back filled
   * with the fill value. For contiguous HDF5 data the whole array is one chunk at [0, …, 0]:
   * prefer readRegion there.
   */
  readChunk(arrayPath: string, chunkCoords: readonly number[]): Promise<Block>;
  /** The region [start, stop) along every axis, decoded, C order. */
  readRegion(arrayPath: string, start: readonly number[], stop: readonly number[]): Promise<Block>;
  /**
   * Values of one storage chunk that include the part `part` (array coordinates, inside the
   * chunk), placed in the array: exactly the part, the whole chunk, or a C-order stretch of the
   * chunk (`first` set) — copy only `part` out of it. Where the format allows, only the pieces of
   * the chunk the part spans are read and decoded, into `memory` when given.
   */
  readChunkPart(arrayPath: string, chunkCoords: readonly number[], part: Region, memory?: PartMemory): Promise<PlacedBlock>;
  /**
   * Bytes of the smallest piece of a chunk readChunkPart decodes alone (a blosc block; a page of
   * an uncompressed chunk); the chunk's own bytes, or null, when chunks are only decoded whole.
   */
  readGranuleBytes(arrayPath: string): Promise<number | null>;
  close(): Promise<void>;
}

/** What a worker thread needs of a dataset: its values, no metadata. */
export type DatasetReader = Pick<Dataset, "location" | "readChunk" | "readRegion" | "readChunkPart" | "close">;
