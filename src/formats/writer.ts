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
   * Whether the source treats fillValue as its missing-value marker (a Zarr fill_value, which
   * xarray reads as _FillValue; a netCDF _FillValue or netCDF default fill). HDF5 output then
   * stores it as a `_FillValue` attribute of the dataset's type, since h5wasm cannot set the
   * fill-value property. False or absent for plain HDF5 sources, whose default fill (0) is no
   * such marker.
   */
  readonly fillValueMarksMissing?: boolean;
  readonly attributes: Readonly<Record<string, unknown>>;
  /** The source's codec chain (the writer keeps it where it can encode it) unless `compressor` overrides it. */
  readonly sourceCodecs: ArrayDescription["codecs"];
  readonly compressor?: CodecChoice;
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
  /** Writes the final metadata, last. */
  finalize(): Promise<void>;
  close(): Promise<void>;
}
