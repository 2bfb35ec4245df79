/**
 * Writing side of the dataset layer, used by `chunkwise rechunk`. One interface, three outputs
 * (Zarr v2, Zarr v3 with optional sharding, HDF5/netCDF4).
 *
 * Crash safety contract: createGroup/createArray stage metadata; chunk data may be written at any
 * time after createArray; only finalize() writes the final metadata that makes the output a valid,
 * complete store/file for chunkwise and for other readers (zarr-python, h5py, netCDF). Until then
 * an interrupted output is never mistaken for a complete one.
 */
import type { ArrayDescription, Block, DataType, GroupDescription } from "./dataset.js";

export type OutputFormat = "zarr2" | "zarr3" | "hdf5";

/** A compressor asked for on the command line: `--codec zstd:3`, `--codec gzip:1`, `--codec none`. */
export interface CodecChoice {
  readonly name: string;
  readonly level?: number;
}

export interface ArraySpec {
  readonly path: string;
  readonly shape: readonly number[];
  readonly dtype: DataType;
  /** The target storage chunk (the inner chunk when sharded). */
  readonly chunks: readonly number[];
  /** Shard shape for sharded Zarr v3 output, null otherwise. Must be a multiple of chunks. */
  readonly shards: readonly number[] | null;
  readonly dimensionNames: readonly (string | null)[] | null;
  readonly fillValue: ArrayDescription["fillValue"];
  /**
   * Whether fillValue marks missing values (see fillValueMarksMissing()). HDF5 output then stores
   * it as a `_FillValue` attribute of the dataset's type, since h5wasm cannot set the fill-value
   * property. False when absent.
   */
  readonly fillValueMarksMissing?: boolean;
  readonly attributes: Readonly<Record<string, unknown>>;
  /** The source's codec chain (the writer keeps it where it can encode it) unless `compressor` overrides it. */
  readonly sourceCodecs: ArrayDescription["codecs"];
  readonly compressor?: CodecChoice;
}

/**
 * Whether a source array's fill value marks missing values, so that an HDF5 copy should carry it
 * as `_FillValue` (which netCDF readers and xarray mask by): a netCDF-4 fill (its _FillValue, or
 * netCDF's default fill, a sentinel no real value uses), or a Zarr fill_value other than
 * zarr-python's default 0/false (NaN, -9999…). A Zarr fill of 0 or a plain HDF5 fill (HDF5's
 * default 0) is what unwritten chunks hold, not a missing-value marker: writing it as _FillValue
 * would mask real zeros (a latitude of 0°).
 */
export function fillValueMarksMissing(array: Pick<ArrayDescription, "format" | "fillValue">): boolean {
  const fill = array.fillValue;
  if (fill === null) return false;
  if (array.format === "netcdf4") return true;
  if (array.format === "hdf5") return false;
  return fill !== 0 && fill !== false && fill !== "0";
}

export interface DatasetWriter {
  readonly location: string;
  readonly format: OutputFormat;
  createGroup(group: GroupDescription): Promise<void>;
  /** Throws ChunkwiseError("UnsupportedError") when it cannot encode the asked codecs/dtype, before any data is written. */
  createArray(spec: ArraySpec): Promise<void>;
  /**
   * One whole write unit — a chunk, or a whole shard when sharded — by its grid coordinates
   * (in units of `shards ?? chunks`). `block` covers that unit clipped to the array bounds, C order.
   * Idempotent: writing the same unit twice leaves the same bytes.
   */
  writeUnit(arrayPath: string, unitCoords: readonly number[], block: Block): Promise<void>;
  /**
   * Optional: start on the final file now, while other writers (worker threads) still write units,
   * so that finalize() has less left to do. Never required for correctness.
   */
  assembleWhileWriting?(): void;
  /** Writes the final metadata, last. */
  finalize(): Promise<void>;
  close(): Promise<void>;
}
