/**
 * HDF5/netCDF-4 output on h5wasm. h5wasm is synchronous, single-threaded per instance and cannot
 * share a file between instances, so an HDF5 output has exactly ONE writer: other threads encode
 * nothing and send it their blocks. h5wasm 0.10.3 has no direct chunk write (H5Dwrite_chunk), so
 * HDF5 compresses inside that one writer.
 *
 * Layout: the file is written as DST.chunkwise/partial.h5 and renamed to DST by finalize(), so an
 * interrupted DST never exists. Datasets are created chunked with a zero extent and resized to
 * their shape (h5wasm's create call writes the whole extent from memory), then written unit by
 * unit with write_slice; the file is flushed after each unit, so the units a caller saw complete
 * are on disk when it journals them. One filter per dataset (h5wasm's limit): deflate or none.
 *
 * finalize() writes attributes and the netCDF-4 dimension scales: a 1-D array named like its
 * dimension becomes its scale (a coordinate variable); a dimension with no such array gets a
 * dimension-only scale dataset as netCDF-C creates them; every array gets its scales attached.
 */
import { mkdir, readFile, rename, rm, rmdir, stat } from "node:fs/promises";
import path from "node:path";
import { ChunkwiseError, fromSystemError } from "../../errors.js";
import type { Block, GroupDescription, NumericArray } from "../dataset.js";
import { h5, hdf5Reason, loadH5wasm, type H5Module } from "../hdf5/module.js";
import type { ArraySpec, DatasetWriter } from "../writer.js";
import { fillElement } from "./encode.js";
import { checkUnit, prepareArray, stageArray, type PreparedArray } from "./prepared-array.js";
import { jsonSafeSpec, partialHdf5Path, readStaged, STAGED_FILE, stagingDirectory, writeStaged, type StagedOutput } from "./staging.js";
import { assertReplaceable, nodeSegments, removeReplaceable, writeFileAtomic } from "./store-files.js";

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

export class Hdf5Writer implements DatasetWriter {
  readonly location: string;
  readonly format = "hdf5" as const;
  private readonly file: H5File;
  private readonly module: H5Module;
  private groups: GroupDescription[];
  private readonly arrays = new Map<string, PreparedArray>();
  private readonly finalizeWarnings: string[] = [];
  private closed = false;

  private constructor(location: string, module: H5Module, file: H5File, staged: StagedOutput) {
    this.location = location;
    this.module = module;
    this.file = file;
    this.groups = [...staged.groups];
    for (const array of staged.arrays) this.arrays.set(array.spec.path, prepareArray(array));
  }

  /** A new output. An existing DST is refused unless `overwrite` (it is then replaced by finalize(), not before). */
  static async create(location: string, options: { overwrite?: boolean } = {}): Promise<Hdf5Writer> {
    const existing = await stat(location).catch(() => null);
    if (existing && !options.overwrite) {
      throw new ChunkwiseError("UsageError", "already exists; pass --overwrite to replace it or --resume to finish an interrupted run", { path: location });
    }
    if (existing) await assertReplaceable(location);
    const stagingDir = stagingDirectory(location, "hdf5");
    await rm(partialHdf5Path(location), { force: true }).catch((err: unknown) => {
      throw fromSystemError(err, stagingDir);
    });
    await mkdir(stagingDir, { recursive: true }).catch((err: unknown) => {
      throw fromSystemError(err, stagingDir);
    });
    await takeLock(location);
    const staged: StagedOutput = { format: "hdf5", groups: [], arrays: [] };
    await writeStaged(location, staged);
    const module = await loadH5wasm();
    const file = openH5(partialHdf5Path(location), "w");
    return new Hdf5Writer(location, module, file, staged);
  }

  /**
   * Reopen an interrupted output to finish it (one process only). Staged datasets missing from the
   * file are created again. HDF5 is not crash-safe: if the partial file cannot be reopened, the
   * error says to start over.
   */
  static async attach(location: string, staged?: StagedOutput): Promise<Hdf5Writer> {
    const found = staged ?? (await readStaged(location));
    if (!found || found.format !== "hdf5") throw new ChunkwiseError("NotFoundError", "no unfinished hdf5 output to attach to", { path: location });
    await takeLock(location);
    const module = await loadH5wasm();
    let file: H5File;
    try {
      file = openH5(partialHdf5Path(location), "a");
    } catch (err) {
      throw new ChunkwiseError("IOError", `the interrupted HDF5 output cannot be reopened (${(err as Error).message}); start again with --overwrite`, { path: location, cause: err });
    }
    const writer = new Hdf5Writer(location, module, file, found);
    for (const group of writer.groups) writer.ensureGroup(group.path);
    for (const array of writer.arrays.values()) if (writer.file.get(array.spec.path) === null) writer.createDataset(array);
    return writer;
  }

  get warnings(): string[] {
    return [...[...this.arrays.values()].flatMap((array) => array.warnings), ...this.finalizeWarnings];
  }

  get arraySpecs(): ArraySpec[] {
    return [...this.arrays.values()].map((array) => array.spec);
  }

  async createGroup(group: GroupDescription): Promise<void> {
    nodeSegments(group.path);
    this.groups = [...this.groups.filter((g) => g.path !== group.path), { path: group.path, attributes: group.attributes }];
    this.ensureGroup(group.path);
    await this.saveStaged();
  }

  async createArray(spec: ArraySpec): Promise<void> {
    if (spec.path === "/") throw new ChunkwiseError("UnsupportedError", "an HDF5 file cannot itself be an array: give the array a name inside the file");
    const staged = stageArray(spec, "hdf5");
    const array = prepareArray({ ...staged, spec: jsonSafeSpec(spec) });
    if (this.file.get(spec.path) !== null) throw new ChunkwiseError("UsageError", `"${spec.path}" already exists in the output`, { path: this.location });
    this.createDataset(array);
    this.arrays.set(spec.path, array);
    await this.saveStaged();
  }

  async writeUnit(arrayPath: string, unitCoords: readonly number[], block: Block): Promise<void> {
    const array = this.arrays.get(arrayPath);
    if (!array) throw new ChunkwiseError("UsageError", `no array "${arrayPath}" was created in this output`, { path: this.location });
    const values = checkUnit(array, unitCoords, block);
    const dataset = this.dataset(arrayPath);
    const ranges = unitCoords.map((c, axis): [number, number] => [c * array.unitShape[axis]!, c * array.unitShape[axis]! + block.shape[axis]!]);
    this.h5call(arrayPath, () => {
      if (unitCoords.length === 0) this.writeWhole(dataset, values);
      else if (values.length > 0) dataset.write_slice(ranges, values);
      this.file.flush();
    });
  }

  async finalize(): Promise<void> {
    for (const group of this.groups) this.writeAttributes(this.ensureGroup(group.path), group.attributes, null);
    for (const array of this.arrays.values()) this.writeAttributes(this.dataset(array.spec.path), attributesWithFill(array.spec), array);
    this.attachDimensionScales();
    this.h5call("/", () => this.file.flush());
    this.closeFile();
    const partial = partialHdf5Path(this.location);
    const existing = await stat(this.location).catch(() => null);
    if (existing?.isDirectory()) await removeReplaceable(this.location);
    try {
      await rename(partial, this.location);
    } catch (err) {
      throw fromSystemError(err, this.location);
    }
    const stagingDir = stagingDirectory(this.location, "hdf5");
    await rm(path.join(stagingDir, STAGED_FILE), { force: true });
    await rm(lockPath(this.location), { force: true });
    await rmdir(stagingDir).catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closeFile();
    await rm(lockPath(this.location), { force: true });
  }

  private closeFile(): void {
    if (this.closed) return;
    this.closed = true;
    this.file.close();
  }

  private async saveStaged(): Promise<void> {
    await writeStaged(this.location, { format: "hdf5", groups: this.groups, arrays: [...this.arrays.values()].map(({ spec, compressor, warnings }) => ({ spec, compressor, warnings })) });
  }

  private h5call<T>(where: string, call: () => T): T {
    try {
      return call();
    } catch (err) {
      if (err instanceof ChunkwiseError) throw err;
      throw new ChunkwiseError("IOError", `HDF5 write of ${where} failed: ${hdf5Reason(err)}`, { path: this.location, cause: err });
    }
  }

  /** A scalar dataset (write_slice needs a hyperslab, which scalars lack): one whole-dataset write. */
  private writeWhole(dataset: H5Dataset, values: NumericArray): void {
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    const pointer = this.module._malloc(bytes.length);
    try {
      this.module.HEAPU8.set(bytes, pointer);
      this.module.set_dataset_data(this.file.file_id, dataset.path, null, null, null, BigInt(pointer));
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

  private createDataset(array: PreparedArray): void {
    const { spec } = array;
    const segments = nodeSegments(spec.path);
    const name = segments.at(-1)!;
    const parent = this.ensureGroup(`/${segments.slice(0, -1).join("/")}`);
    const dtype = H5_DTYPE[spec.dtype.name]!;
    const constructor = array.fill.constructor as new (n: number) => NumericArray;
    const empty = spec.shape.some((extent) => extent === 0);
    this.h5call(spec.path, () => {
      if (spec.shape.length === 0 || empty) {
        // Scalars and zero-size arrays: contiguous, written at creation (the scalar as its fill, overwritten by its one unit).
        const values = new constructor(spec.shape.length === 0 ? 1 : 0);
        if (values.length) (values as { fill(v: number | bigint): unknown }).fill(array.fill[0]!);
        parent.create_dataset({ name, data: values as never, shape: [...spec.shape], dtype });
        return;
      }
      const chunks = spec.chunks.map((chunk, axis) => Math.min(chunk, spec.shape[axis]!));
      const compressor = array.compressor;
      parent.create_dataset({
        name,
        data: new constructor(0) as never,
        shape: spec.shape.map(() => 0),
        maxshape: [...spec.shape],
        chunks,
        dtype,
        ...(compressor ? { compression: "gzip", compression_opts: compressor.level } : {}),
      });
      (parent.get(name) as H5Dataset).resize([...spec.shape]);
    });
  }

  private writeAttributes(target: H5Group | H5Dataset, attributes: Readonly<Record<string, unknown>>, array: PreparedArray | null): void {
    for (const [key, value] of Object.entries(attributes)) {
      if (STRUCTURAL.has(key) || value === null || value === undefined) continue;
      const attribute = attributeFor(key, value, array);
      if (!attribute) {
        this.finalizeWarnings.push(`${array?.spec.path ?? "group"}: attribute ${key} could not be written to HDF5 and was dropped`);
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
          this.finalizeWarnings.push(`${array.spec.path}: dimension ${name} (length ${length}) clashes with "${own}"; no dimension scale attached to axis ${axis}`);
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

function lockPath(location: string): string {
  return path.join(stagingDirectory(location, "hdf5"), "writer.pid");
}

/**
 * HDF5 output has one writer: record this process in DST.chunkwise/writer.pid, and refuse when
 * another live process holds it (a lock left by a dead process is taken over).
 */
async function takeLock(location: string): Promise<void> {
  const file = lockPath(location);
  const holder = Number.parseInt(await readFile(file, "utf8").catch(() => ""), 10);
  if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
    throw new ChunkwiseError("UsageError", `another chunkwise process (pid ${holder}) is writing this HDF5 output; HDF5 output has a single writer`, { path: location });
  }
  await writeFileAtomic(file, `${process.pid}\n`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function openH5(file: string, mode: "w" | "a"): H5File {
  try {
    return new h5.File(file, mode);
  } catch (err) {
    throw new ChunkwiseError("IOError", `cannot ${mode === "w" ? "create" : "reopen"} the HDF5 file: ${hdf5Reason(err)}`, { path: file, cause: err });
  }
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
