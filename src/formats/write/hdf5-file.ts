/**
 * The HDF5 file's metadata, written with h5wasm at finalize(): groups, chunked datasets (shape,
 * chunk shape, filters; no chunk written, so each chunk index stays unallocated for
 * hdf5-chunks.ts to build), scalars and zero-size arrays (contiguous, written whole), attributes
 * and the netCDF-4 dimension scales: a 1-D array named like its dimension becomes its scale (a
 * coordinate variable); a dimension with no such array gets a dimension-only scale dataset as
 * netCDF-C creates them; every array gets its scales attached.
 *
 * The file is created with the low library-version bound "earliest": superblock v0, version-1
 * object headers and version-3 layout messages with a version-1 B-tree chunk index, the
 * structures hdf5-chunks.ts patches (h5wasm cannot create big-endian datasets: data is stored
 * little-endian; bool as uint8).
 */
import { ChunkwiseError } from "../../errors.js";
import type { GroupDescription, NumericArray } from "../dataset.js";
import { h5, hdf5Reason, type H5Module } from "../hdf5/module.js";
import type { ArraySpec } from "../writer.js";
import { fillElement } from "./encode.js";
import { hdf5ChunkEncoding } from "./hdf5-staged-chunks.js";
import type { PreparedArray } from "./prepared-array.js";
import { nodeSegments } from "./store-files.js";

type H5File = InstanceType<typeof h5.File>;
type H5Dataset = InstanceType<typeof h5.Dataset>;
type H5Group = InstanceType<typeof h5.Group>;

/** h5wasm dtype strings (little-endian only: h5wasm cannot create big-endian datasets). bool is stored as uint8. */
const H5_DTYPE: Record<string, string> = {
  bool: "<B",
  int8: "<b",
  uint8: "<B",
  int16: "<h",
  uint16: "<H",
  int32: "<i",
  uint32: "<I",
  int64: "<q",
  uint64: "<Q",
  float32: "<f",
  float64: "<d",
};

/** Attributes that describe HDF5/netCDF plumbing; the writer makes its own. */
const STRUCTURAL = new Set(["DIMENSION_LIST", "REFERENCE_LIST", "DIMENSION_LABELS", "CLASS", "NAME", "_Netcdf4Dimid", "_Netcdf4Coordinates", "_nc3_strict", "_NCProperties"]);
/** CF attributes that must have the variable's own type. */
const TYPED_LIKE_VARIABLE = new Set(["_FillValue", "missing_value", "valid_min", "valid_max", "valid_range"]);
const NETCDF_DIMENSION_ONLY = "This is a netCDF dimension but not a netCDF variable.";

/** What finalize() needs after the metadata is written. */
export interface MetadataResult {
  /** Object header address of every chunked dataset, by array path. */
  readonly chunkedHeaders: ReadonlyMap<string, number>;
  readonly warnings: readonly string[];
}

/**
 * Write `file` (new) with every group and array and close it. `scalars` holds the stored bytes of
 * each rank-0 array's one value.
 */
export function writeHdf5Metadata(
  module: H5Module,
  file: string,
  groups: readonly GroupDescription[],
  arrays: readonly PreparedArray[],
  scalars: ReadonlyMap<string, Uint8Array>,
): MetadataResult {
  const builder = new MetadataFile(module, file, arrays);
  try {
    return builder.build(groups, scalars);
  } finally {
    builder.close();
  }
}

class MetadataFile {
  private readonly file: H5File;
  private readonly arrays: ReadonlyMap<string, PreparedArray>;
  private readonly warnings: string[] = [];

  constructor(
    private readonly module: H5Module,
    private readonly location: string,
    arrays: readonly PreparedArray[],
  ) {
    this.arrays = new Map(arrays.map((array) => [array.spec.path, array]));
    try {
      this.file = new h5.File(location, "w", { libver: ["earliest", "latest"] });
    } catch (err) {
      throw new ChunkwiseError("IOError", `cannot create the HDF5 file: ${hdf5Reason(err)}`, { path: location, cause: err });
    }
  }

  build(groups: readonly GroupDescription[], scalars: ReadonlyMap<string, Uint8Array>): MetadataResult {
    for (const group of groups) this.ensureGroup(group.path);
    const chunkedHeaders = new Map<string, number>();
    for (const array of this.arrays.values()) {
      if (this.createDataset(array)) chunkedHeaders.set(array.spec.path, 0);
      const scalar = scalars.get(array.spec.path);
      if (scalar) this.h5call(array.spec.path, () => this.writeWhole(array.spec.path, scalar));
    }
    for (const group of groups) this.writeAttributes(this.ensureGroup(group.path), group.attributes, null);
    for (const array of this.arrays.values()) this.writeAttributes(this.dataset(array.spec.path), attributesWithFill(array.spec), array);
    this.attachDimensionScales();
    for (const arrayPath of chunkedHeaders.keys()) chunkedHeaders.set(arrayPath, this.headerAddress(arrayPath));
    return { chunkedHeaders, warnings: this.warnings };
  }

  close(): void {
    this.file.close();
  }

  /** An HDF5 object reference is the object header's address. */
  private headerAddress(arrayPath: string): number {
    const reference = this.module.create_object_reference(this.file.file_id, arrayPath);
    let address = 0;
    for (let i = reference.length - 1; i >= 0; i -= 1) address = address * 256 + reference[i]!;
    return address;
  }

  private h5call<T>(where: string, call: () => T): T {
    try {
      return call();
    } catch (err) {
      if (err instanceof ChunkwiseError) throw err;
      throw new ChunkwiseError("IOError", `HDF5 write of ${where} failed: ${hdf5Reason(err)}`, { path: this.location, cause: err });
    }
  }

  /** A scalar dataset's value (h5wasm writes datasets from typed arrays only at creation): one whole-dataset write. */
  private writeWhole(datasetPath: string, bytes: Uint8Array): void {
    const pointer = this.module._malloc(bytes.length);
    try {
      this.module.HEAPU8.set(bytes, pointer);
      this.module.set_dataset_data(this.file.file_id, datasetPath, null, null, null, BigInt(pointer));
    } finally {
      this.module._free(pointer);
    }
  }

  private ensureGroup(groupPath: string): H5Group {
    let current = "";
    for (const segment of nodeSegments(groupPath)) {
      const parent = current || "/";
      current = `${current}/${segment}`;
      const existing = this.file.get(current);
      if (existing === null) {
        this.h5call(current, () => (this.file.get(parent) as H5Group).create_group(segment));
      } else if (!(existing instanceof h5.Group)) {
        throw new ChunkwiseError("UsageError", `"${current}" is a dataset, not a group`, { path: this.location });
      }
    }
    return (current === "" ? this.file : this.file.get(current)) as H5Group;
  }

  private dataset(arrayPath: string): H5Dataset {
    const dataset = this.file.get(arrayPath);
    if (!(dataset instanceof h5.Dataset)) throw new ChunkwiseError("IOError", `dataset "${arrayPath}" is missing from the output file`, { path: this.location });
    return dataset;
  }

  /** Creates the dataset; true when it is chunked (its chunks are added after the file is closed). */
  private createDataset(array: PreparedArray): boolean {
    const { spec } = array;
    const segments = nodeSegments(spec.path);
    const name = segments.at(-1)!;
    const parent = this.ensureGroup(`/${segments.slice(0, -1).join("/")}`);
    const dtype = H5_DTYPE[spec.dtype.name]!;
    const constructor = array.fill.constructor as new (n: number) => NumericArray;
    if (!isChunked(spec)) {
      // Scalars and zero-size arrays: contiguous, written at creation (the scalar as its fill, overwritten by its one unit).
      const values = new constructor(spec.shape.length === 0 ? 1 : 0);
      if (values.length) (values as { fill(v: number | bigint): unknown }).fill(array.fill[0]!);
      this.h5call(spec.path, () => parent.create_dataset({ name, data: values as never, shape: [...spec.shape], dtype }));
      return false;
    }
    const encoding = hdf5ChunkEncoding(spec, array.compressor);
    // With shuffle, deflate gets 7 client values: its pipeline message then has exactly the size of
    // shuffle + deflate, which hdf5-chunks.ts writes in its place (h5wasm sets one filter only).
    const filter = encoding.deflate === null ? {} : { compression: 1, compression_opts: encoding.shuffle ? [encoding.deflate, 0, 0, 0, 0, 0, 0] : [encoding.deflate] };
    // A zero extent, then resized: h5wasm's create call would write the whole extent from memory.
    this.h5call(spec.path, () => {
      parent.create_dataset({
        name,
        data: new constructor(0) as never,
        shape: spec.shape.map(() => 0),
        maxshape: [...spec.shape],
        chunks: [...encoding.chunks],
        dtype,
        ...filter,
      });
      (parent.get(name) as H5Dataset).resize([...spec.shape]);
    });
    return true;
  }

  private writeAttributes(target: H5Group | H5Dataset, attributes: Readonly<Record<string, unknown>>, array: PreparedArray | null): void {
    for (const [key, value] of Object.entries(attributes)) {
      if (STRUCTURAL.has(key) || value === null || value === undefined) continue;
      const attribute = attributeFor(key, value, array);
      if (!attribute) {
        this.warnings.push(`${array?.spec.path ?? "group"}: attribute ${key} could not be written to HDF5 and was dropped`);
        continue;
      }
      this.h5call(`${target.path} attribute ${key}`, () => {
        if (target.attrs[key] !== undefined) target.delete_attribute(key);
        target.create_attribute(key, attribute.data as never, attribute.shape, attribute.dtype);
      });
    }
  }

  /** netCDF-4 dimension scales for every named axis (see the module comment). */
  private attachDimensionScales(): void {
    const arrays = [...this.arrays.values()].filter((array) => array.spec.dimensionNames?.some((name) => name));
    const scales = new Set<string>();
    const makeScale = (scalePath: string, name: string): void => {
      if (scales.has(scalePath)) return;
      const dataset = this.dataset(scalePath);
      this.h5call(scalePath, () => {
        if (dataset.get_scale_name() === null) dataset.make_scale(name);
        // netCDF-C numbers dimensions file-wide and records the number on the scale.
        if (dataset.attrs["_Netcdf4Dimid"] !== undefined) dataset.delete_attribute("_Netcdf4Dimid");
        dataset.create_attribute("_Netcdf4Dimid", [scales.size], [], "<i");
      });
      scales.add(scalePath);
    };
    const plans: { array: PreparedArray; axis: number; scalePath: string }[] = [];
    for (const array of arrays) {
      const segments = nodeSegments(array.spec.path);
      array.spec.dimensionNames!.forEach((name, axis) => {
        if (!name || name.includes("/") || name === "." || name === "..") return;
        const length = array.spec.shape[axis]!;
        const scalePath = this.findScale(segments.slice(0, -1), name, length);
        if (scalePath === array.spec.path) {
          makeScale(scalePath, name);
          return;
        }
        if (scalePath) {
          plans.push({ array, axis, scalePath });
          return;
        }
        const own = `/${[...segments.slice(0, -1), name].join("/")}`;
        if (this.file.get(own) !== null) {
          this.warnings.push(`${array.spec.path}: dimension ${name} (length ${length}) clashes with "${own}"; no dimension scale attached to axis ${axis}`);
          return;
        }
        this.h5call(own, () => {
          this.ensureGroup(`/${segments.slice(0, -1).join("/")}`).create_dataset({ name, data: new Float32Array(length), shape: [length], dtype: "<f" });
        });
        makeScale(own, `${NETCDF_DIMENSION_ONLY}${String(length).padStart(10)}`);
        plans.push({ array, axis, scalePath: own });
      });
    }
    for (const { array, axis, scalePath } of plans) {
      const dataset = this.dataset(array.spec.path);
      const scaleName = this.dataset(scalePath).get_scale_name();
      if (scaleName === null) makeScale(scalePath, nodeSegments(scalePath).at(-1)!);
      if (dataset.get_attached_scales(axis).includes(scalePath)) continue;
      this.h5call(array.spec.path, () => dataset.attach_scale(axis, scalePath));
    }
  }

  /** A 1-D dataset named `name` of length `length` in the group or an ancestor (netCDF scoping), or null. */
  private findScale(groupSegments: readonly string[], name: string, length: number): string | null {
    for (let depth = groupSegments.length; depth >= 0; depth--) {
      const candidate = `/${[...groupSegments.slice(0, depth), name].join("/")}`;
      const staged = this.arrays.get(candidate);
      if (staged) return staged.spec.shape.length === 1 && staged.spec.shape[0] === length ? candidate : null;
      const existing = this.file.get(candidate);
      if (existing instanceof h5.Dataset && existing.shape?.length === 1 && existing.shape[0] === length && existing.get_scale_name() !== null) return candidate;
      if (existing !== null) return null;
    }
    return null;
  }
}

/** Scalars and zero-size arrays are contiguous; everything else is chunked. */
export function isChunked(spec: Pick<ArraySpec, "shape">): boolean {
  return spec.shape.length > 0 && spec.shape.every((extent) => extent > 0);
}

/**
 * The attributes to write: the source's, plus `_FillValue` from the fill value when the source
 * marks missing values with it and has no _FillValue attribute (netCDF readers and xarray mask
 * by this attribute; attributeFor types it like the dataset).
 */
export function attributesWithFill(spec: ArraySpec): Readonly<Record<string, unknown>> {
  const { attributes, fillValue } = spec;
  if (!spec.fillValueMarksMissing || fillValue === null || attributes["_FillValue"] !== undefined || H5_DTYPE[spec.dtype.name] === undefined) return attributes;
  return { ...attributes, _FillValue: fillValue };
}

interface AttributeData {
  readonly data: unknown;
  readonly shape: number[] | undefined;
  readonly dtype: string | undefined;
}

/** How a JSON-safe attribute value is written to HDF5; null when it cannot be. */
export function attributeFor(key: string, value: unknown, array: PreparedArray | null): AttributeData | null {
  const list = Array.isArray(value) ? value : [value];
  const scalar = !Array.isArray(value);
  // Numbers are 1-D arrays, as netCDF-C writes every attribute (a scalar becomes one element).
  const shape = [list.length];
  if (list.length === 0) return null;
  if (list.every((v) => typeof v === "string") && !(array && TYPED_LIKE_VARIABLE.has(key) && list.every(isSpecialFloat))) {
    // A one-line ASCII text as netCDF writes NC_CHAR attributes (fixed-size, NUL-terminated); other text as variable-length UTF-8.
    const text = value as string;
    if (scalar && text.length > 0 && /^[\x00-\x7f]*$/.test(text)) return { data: text, shape: undefined, dtype: `A${text.length}` };
    return { data: scalar ? value : list, shape: scalar ? undefined : shape, dtype: undefined };
  }
  if (array && TYPED_LIKE_VARIABLE.has(key) && list.every((v) => typeof v === "number" || typeof v === "boolean" || isSpecialFloat(v) || (typeof v === "string" && /^-?\d+$/.test(v)))) {
    const typed = list.map((v) => fillElement(array.spec.dtype, v as number | string | boolean)[0]!);
    return { data: typed, shape, dtype: H5_DTYPE[array.spec.dtype.name] };
  }
  const numbers = list.map((v) => (typeof v === "boolean" ? (v ? 1 : 0) : isSpecialFloat(v) ? Number(v) : v));
  if (!numbers.every((v): v is number => typeof v === "number")) {
    return typeof value === "object" ? { data: JSON.stringify(value), shape: undefined, dtype: undefined } : null;
  }
  if (list.every((v) => typeof v === "boolean")) return { data: numbers, shape, dtype: "<b" };
  if (numbers.every((n) => Number.isInteger(n) && Math.abs(n) < 2 ** 31)) return { data: numbers, shape, dtype: "<i" };
  if (numbers.every((n) => Number.isSafeInteger(n))) return { data: numbers, shape, dtype: "<q" };
  return { data: numbers, shape, dtype: "<d" };
}

function isSpecialFloat(value: unknown): boolean {
  return value === "NaN" || value === "Infinity" || value === "-Infinity";
}
