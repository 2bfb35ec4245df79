/**
 * HDF5 and netCDF-4 files behind the Dataset interface, on h5wasm's Node build. h5wasm reads the
 * file lazily from disk (a multi-GB file costs tens of MiB after open); every call is synchronous,
 * so heavy reads belong in worker threads, each with its own instance.
 *
 * Paths are relative to the opened object: `file.nc` lists "/tas", "/station/pr"; `file.nc/station`
 * lists "/height", "/pr"; `file.nc/tas` is one array at "/".
 */
import { open as openFile, type FileHandle } from "node:fs/promises";
import type { Metadata } from "h5wasm/node";
import path from "node:path";
import { ChunkwiseError, fromSystemError } from "../errors.js";
import type { ArrayDescription, ArrayValues, Block, Dataset, DatasetFormat, GroupDescription, PartMemory, PlacedBlock, Region } from "./dataset.js";
import { filterToCodec, unsupportedFilterReason, type Hdf5Filter } from "./hdf5/filters.js";
import { DirectReads, type DirectChunkReader } from "./hdf5/direct-read.js";
import { readObjectLayout, type ObjectLayout } from "./hdf5/layout.js";
import { h5, hdf5Reasons, loadH5wasm, type H5Module } from "./hdf5/module.js";
import { readSuperblock, type Superblock } from "./hdf5/superblock.js";
import { H5T, isBooleanEnum, jsonNumber, mapDataType, shortestFloat32, toJsonSafe } from "./hdf5/types.js";
import { assertRegion, chunkRegion, emptyValues, regionBytes } from "./hdf5/region.js";

/** One read stays far below h5wasm's 2 GiB wasm memory: larger regions must be read in parts. */
export const MAX_READ_BYTES = 2 ** 30;

/** Attributes that are HDF5/netCDF plumbing (object references, dimension ids), not user metadata. */
const STRUCTURAL_ATTRIBUTES = new Set(["DIMENSION_LIST", "REFERENCE_LIST", "DIMENSION_LABELS"]);
const NETCDF_INTERNAL_ATTRIBUTES = new Set(["_Netcdf4Dimid", "_Netcdf4Coordinates", "_nc3_strict", "CLASS", "NAME"]);
const NETCDF_PURE_DIMENSION = "This is a netCDF dimension but not a netCDF variable";

type H5File = InstanceType<typeof h5.File>;
type H5Dataset = InstanceType<typeof h5.Dataset>;

export interface OpenHdf5Options {
  /** Object path inside the file (`/group/var`) to restrict the dataset to. */
  readonly root?: string;
  /** What to report as Dataset.location (defaults to the path given). */
  readonly location?: string;
}

export async function openHdf5(location: string, options: OpenHdf5Options = {}): Promise<Dataset> {
  const reported = options.location ?? location;
  const { handle, superblock } = await openHdf5File(location, reported);
  try {
    const module = await loadH5wasm();
    let file: H5File;
    try {
      file = new h5.File(path.resolve(location), "r");
    } catch (err) {
      throw translateHdf5Error(err, reported, "cannot open the HDF5 file");
    }
    try {
      const root = normalizeRoot(options.root);
      if (root !== "/" && !(file.get(root) instanceof h5.Dataset) && !(file.get(root) instanceof h5.Group)) {
        throw new ChunkwiseError("NotFoundError", `no group or dataset "${root}" inside the HDF5 file`, { path: reported });
      }
      return new Hdf5Dataset(reported, module, file, handle, superblock, root, detectFormat(module, file));
    } catch (err) {
      file.close();
      throw translateHdf5Error(err, reported, "cannot read the HDF5 metadata");
    }
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** The file opened for positional reads, its superblock read and its length checked against it (no h5wasm involved). */
export async function openHdf5File(location: string, reported: string): Promise<{ handle: FileHandle; superblock: Superblock }> {
  let handle: FileHandle;
  try {
    handle = await openFile(path.resolve(location), "r");
  } catch (err) {
    throw fromSystemError(err, reported);
  }
  try {
    const { size } = await handle.stat();
    const superblock = await readSuperblock(handle, size);
    if (superblock === null) {
      throw new ChunkwiseError("NotADatasetError", "is not an HDF5 file (no HDF5 signature)", { path: reported });
    }
    if (superblock.eofAddress > size) {
      const expected = Number.isFinite(superblock.eofAddress) ? `${superblock.eofAddress} bytes` : "more bytes";
      throw new ChunkwiseError("TruncatedError", `truncated HDF5 file: its superblock says ${expected}, the file has ${size}`, {
        path: reported,
      });
    }
    return { handle, superblock };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

export function normalizeRoot(root: string | undefined): string {
  const parts = (root ?? "/").split("/").filter((part) => part !== "" && part !== ".");
  return `/${parts.join("/")}`;
}

/** The path inside the file of an object reported as `reportedPath` under `root`. */
export function filePathIn(root: string, reportedPath: string): string {
  if (root === "/") return reportedPath;
  return reportedPath === "/" ? root : `${root}${reportedPath}`;
}

/** netCDF-4 when the file carries netCDF's own markers; plain HDF5 otherwise (dimension scales alone are HDF5). */
function detectFormat(module: H5Module, file: H5File): DatasetFormat {
  if (module.get_attribute_names(file.file_id, "/").includes("_NCProperties")) return "netcdf4";
  for (const name of module.get_names(file.file_id, "/", true)) {
    const names = file.get(`/${name}`) instanceof h5.Dataset ? module.get_attribute_names(file.file_id, `/${name}`) : [];
    if (names.includes("_Netcdf4Dimid") || names.includes("_Netcdf4Coordinates")) return "netcdf4";
  }
  return "hdf5";
}

/** HDF5 error stacks → one ChunkwiseError line naming the file. */
function translateHdf5Error(err: unknown, reported: string, doing: string): ChunkwiseError {
  if (err instanceof ChunkwiseError) return err;
  const reasons = hdf5Reasons(err);
  const text = reasons.join(" | ");
  if (/truncated file|addr overflow|end of file|\beof\b/i.test(text)) {
    return new ChunkwiseError("TruncatedError", `${doing}: the file is truncated or damaged (${reasons.at(-1)})`, { path: reported, cause: err });
  }
  if (/not registered/i.test(text)) {
    return new ChunkwiseError("UnsupportedError", `${doing}: ${reasons.at(-1)}`, { path: reported, cause: err });
  }
  if (/checksum|fletcher|filter returned failure|pipeline/i.test(text)) {
    // Every filter was checked to be built in before reading: a failing one means corrupt data.
    return new ChunkwiseError(
      "IOError",
      `${doing}: a chunk failed to decode — checksum mismatch or corrupt compressed data (${reasons.at(-1)})`,
      { path: reported, cause: err },
    );
  }
  if (/file signature not found|unable to find a valid file signature|not an hdf5 file/i.test(text)) {
    return new ChunkwiseError("NotADatasetError", `${doing}: not a valid HDF5 file (${reasons.at(-1)})`, { path: reported, cause: err });
  }
  if (/signature|corrupt|bad |wrong|invalid|unable to (load|read|decode|protect)/i.test(text)) {
    return new ChunkwiseError("IOError", `${doing}: the file is damaged (${reasons.at(-1)})`, { path: reported, cause: err });
  }
  const detail = reasons.at(-1) ?? (err instanceof Error ? err.message : String(err));
  return new ChunkwiseError("IOError", `${doing}: ${detail}`, { path: reported, cause: err });
}

class Hdf5Dataset implements Dataset {
  private objects: { arrays: string[]; groups: GroupDescription[] } | undefined;
  private readonly directReads: DirectReads;
  private readonly descriptions = new Map<string, ArrayDescription>();
  private dimensionIds: Map<number, string> | undefined;
  private closed = false;

  constructor(
    readonly location: string,
    private readonly module: H5Module,
    private readonly file: H5File,
    private readonly handle: FileHandle,
    private readonly superblock: Superblock,
    private readonly root: string,
    readonly format: DatasetFormat,
  ) {
    this.directReads = new DirectReads(handle.fd, superblock, location);
  }

  async listArrays(): Promise<ArrayDescription[]> {
    return this.guard(() => this.tree().arrays.map((filePath) => this.describeCached(filePath)));
  }

  async listGroups(): Promise<GroupDescription[]> {
    return this.guard(() => [...this.tree().groups]);
  }

  /** One array's description: only its own chunk index is walked, so a worker that reads one array stays cheap. */
  async describe(arrayPath: string): Promise<ArrayDescription> {
    return this.guard(() => this.describeSync(arrayPath));
  }

  async readChunk(arrayPath: string, chunkCoords: readonly number[]): Promise<Block> {
    const description = await this.describe(arrayPath);
    const direct = this.directReader(description);
    if (direct !== null) return direct.readChunk(chunkCoords);
    const { start, stop } = chunkRegion(description, chunkCoords, this.location);
    return this.read(description, start, stop);
  }

  async readRegion(arrayPath: string, start: readonly number[], stop: readonly number[]): Promise<Block> {
    const description = await this.describe(arrayPath);
    return this.read(description, start, stop);
  }

  /** Read directly, the chunk is decoded whole into `memory`; through h5wasm, the part is read as a region. */
  async readChunkPart(arrayPath: string, chunkCoords: readonly number[], part: Region, memory?: PartMemory): Promise<PlacedBlock> {
    const direct = this.directReader(await this.describe(arrayPath));
    if (direct !== null) return direct.readChunkPart(chunkCoords, part, memory);
    const block = await this.readRegion(arrayPath, part.start, part.stop);
    return { origin: part.start, shape: block.shape, values: block.values };
  }

  async readGranuleBytes(): Promise<number | null> {
    return null;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.file.close();
    await this.handle.close();
  }

  // ---------------------------------------------------------------------------------------------

  /** HDF5 failures met while walking metadata (a damaged file) → one ChunkwiseError naming the file. */
  private guard<T>(work: () => T): T {
    try {
      return work();
    } catch (err) {
      throw translateHdf5Error(err, this.location, "cannot read the HDF5 metadata");
    }
  }

  private describeSync(arrayPath: string): ArrayDescription {
    const filePath = this.filePath(normalizeRoot(arrayPath));
    if (!this.tree().arrays.includes(filePath)) {
      throw new ChunkwiseError("NotFoundError", `no array "${arrayPath}" in this file`, { path: this.location });
    }
    return this.describeCached(filePath);
  }

  /** The direct chunk reader of a readable array, or null when it is read through h5wasm. */
  private directReader(description: ArrayDescription): DirectChunkReader | null {
    if (description.unreadableReason !== null) return null;
    return this.directReads.byAddress(description.path, () => this.objectAddress(this.filePath(description.path)));
  }

  private read(description: ArrayDescription, start: readonly number[], stop: readonly number[]): Block {
    if (description.unreadableReason !== null) {
      throw new ChunkwiseError("UnsupportedError", `cannot read ${description.path}: ${description.unreadableReason}`, { path: this.location });
    }
    assertRegion(description, start, stop, this.location);
    const shape = start.map((s, axis) => stop[axis]! - s);
    const bytes = regionBytes(description, shape);
    if (bytes > MAX_READ_BYTES) {
      throw new ChunkwiseError(
        "UsageError",
        `a read of ${bytes} bytes from ${description.path} is over the 1 GiB limit of one HDF5 read; read it in smaller regions`,
        { path: this.location },
      );
    }
    if (shape.some((n) => n === 0)) return { shape, values: emptyValues(description.dtype) };
    try {
      const dataset = this.file.get(this.filePath(description.path)) as H5Dataset;
      const raw: unknown = shape.length === 0 ? dataset.value : dataset.slice(start.map((s, axis) => [s, stop[axis]!]));
      return { shape, values: toValues(raw, description, isBooleanEnum(dataset.metadata)) };
    } catch (err) {
      throw translateHdf5Error(err, this.location, `cannot read ${description.path}`);
    }
  }

  private filePath(reportedPath: string): string {
    return filePathIn(this.root, reportedPath);
  }

  private reportedPath(filePath: string): string {
    if (this.root === "/") return filePath;
    return filePath === this.root ? "/" : filePath.slice(this.root.length);
  }

  /** The object tree under the root: dataset paths in the file (sorted, bare netCDF dimensions left out) and groups. */
  private tree(): { arrays: string[]; groups: GroupDescription[] } {
    if (this.closed) throw new ChunkwiseError("UsageError", "the dataset was closed", { path: this.location });
    if (this.objects) return this.objects;
    const rootObject = this.file.get(this.root);
    const arrays: string[] = [];
    const groups: GroupDescription[] = [];
    if (rootObject instanceof h5.Dataset) {
      arrays.push(this.root);
    } else {
      groups.push({ path: "/", attributes: this.readAttributes(this.root) });
      const prefix = this.root === "/" ? "/" : `${this.root}/`;
      for (const name of this.module.get_names(this.file.file_id, this.root, true)) {
        const filePath = `${prefix}${name}`;
        // Soft and external links are aliases of objects listed under their own names (or of nothing).
        if (this.module.get_symbolic_link(this.file.file_id, filePath) !== null) continue;
        const object = this.file.get(filePath);
        if (object instanceof h5.Dataset && !this.isPureNetcdfDimension(filePath)) arrays.push(filePath);
        else if (object instanceof h5.Group) groups.push({ path: this.reportedPath(filePath), attributes: this.readAttributes(filePath) });
      }
    }
    const byPath = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    this.objects = { arrays: this.withoutHardLinkDuplicates(arrays).sort(byPath), groups: groups.sort((a, b) => byPath(a.path, b.path)) };
    return this.objects;
  }

  /** A dataset reachable by several hard links is one object: keep its shallowest (then first) path, so its bytes count once. */
  private withoutHardLinkDuplicates(filePaths: string[]): string[] {
    const depth = (p: string) => p.split("/").length;
    const preferred = [...filePaths].sort((a, b) => depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0));
    const seen = new Set<number>();
    return preferred.filter((filePath) => {
      const address = this.objectAddress(filePath);
      if (seen.has(address)) return false;
      seen.add(address);
      return true;
    });
  }

  /** An HDF5 object reference is the object header's address. */
  private objectAddress(filePath: string): number {
    const reference = this.module.create_object_reference(this.file.file_id, filePath);
    let address = 0;
    for (let i = reference.length - 1; i >= 0; i -= 1) address = address * 256 + reference[i]!;
    return address;
  }

  private describeCached(filePath: string): ArrayDescription {
    let description = this.descriptions.get(filePath);
    if (!description) {
      description = this.describeDataset(filePath);
      this.descriptions.set(filePath, description);
    }
    return description;
  }

  /**
   * netCDF-4 stores a dimension without a coordinate variable as an empty dimension-scale dataset
   * named like the dimension. It is not a variable (ncdump does not show it, it holds no data), so
   * it is not listed; its name still labels the axes of the variables that use it.
   */
  private isPureNetcdfDimension(filePath: string): boolean {
    if (!this.module.get_attribute_names(this.file.file_id, filePath).includes("NAME")) return false;
    const name = this.attributeValue(filePath, "NAME");
    return typeof name === "string" && name.startsWith(NETCDF_PURE_DIMENSION);
  }

  private describeDataset(filePath: string): ArrayDescription {
    const dataset = this.file.get(filePath) as H5Dataset;
    const metadata = dataset.metadata;
    const { dtype, unreadableReason: typeReason } = mapDataType(metadata);
    const codecs = (dataset.filters as Hdf5Filter[]).map(filterToCodec);
    const attributes = this.readAttributes(filePath);
    const layout = this.layout(filePath, metadata);
    const fillFromAttribute = this.fillValueAttribute(filePath);
    const unreadableReason =
      typeReason ?? unsupportedFilterReason(codecs) ?? (metadata.shape === null ? "the dataset has a null (empty) dataspace" : null);
    return {
      path: this.reportedPath(filePath),
      format: this.format,
      shape: metadata.shape ?? [],
      dtype,
      dimensionNames: this.dimensionNames(dataset, metadata.shape?.length ?? 0),
      chunks: metadata.chunks,
      shards: null,
      order: "C",
      codecs,
      fillValue: fillFromAttribute !== undefined ? fillFromAttribute : fillValueFromLayout(layout, metadata),
      attributes,
      storage: { storedBytes: layout?.storedBytes ?? null, writtenObjects: layout?.writtenChunks ?? null },
      unreadableReason,
    };
  }

  /** Storage facts and fill value, read from the dataset's object header. */
  private layout(filePath: string, metadata: Metadata): ObjectLayout | null {
    const fillType = {
      type: metadata.type,
      size: metadata.size,
      littleEndian: metadata.littleEndian,
      signed: metadata.signed,
      booleanEnum: isBooleanEnum(metadata),
      vlen: metadata.vlen || metadata.type === H5T.vlen,
    };
    return readObjectLayout(this.handle.fd, this.superblock, this.objectAddress(filePath), { shape: metadata.shape ?? [], fillType });
  }

  /** netCDF's (and many HDF5 writers') _FillValue attribute, as a JSON-safe scalar; undefined when absent. */
  private fillValueAttribute(filePath: string): number | string | boolean | null | undefined {
    if (!this.module.get_attribute_names(this.file.file_id, filePath).includes("_FillValue")) return undefined;
    const metadata = this.module.get_attribute_metadata(this.file.file_id, filePath, "_FillValue");
    let value = toJsonSafe(this.attributeValue(filePath, "_FillValue"));
    if (Array.isArray(value) && value.length === 1) value = value[0];
    if (typeof value === "number" && metadata.type === H5T.float && metadata.size === 4) value = shortestFloat32(value);
    if (typeof value === "number" || typeof value === "string" || typeof value === "boolean") return value;
    return undefined;
  }

  private attributeValue(filePath: string, name: string): unknown {
    const object = this.file.get(filePath);
    if (!(object instanceof h5.Dataset) && !(object instanceof h5.Group)) return null;
    return object.get_attribute(name, false);
  }

  private readAttributes(filePath: string): Record<string, unknown> {
    const attributes: Record<string, unknown> = {};
    const names = this.module.get_attribute_names(this.file.file_id, filePath);
    const netcdfPlumbing = this.format === "netcdf4";
    for (const name of names.sort()) {
      if (STRUCTURAL_ATTRIBUTES.has(name)) continue;
      if (netcdfPlumbing && NETCDF_INTERNAL_ATTRIBUTES.has(name)) continue;
      let metadata;
      try {
        metadata = this.module.get_attribute_metadata(this.file.file_id, filePath, name);
      } catch {
        continue;
      }
      if (metadata.type === H5T.reference) continue;
      let value: unknown;
      try {
        value = toJsonSafe(this.attributeValue(filePath, name));
      } catch {
        value = null;
      }
      if (value === undefined) continue;
      if (Array.isArray(value) && value.length === 1 && metadata.shape?.length === 1) value = value[0];
      if (metadata.type === H5T.enum && isBooleanEnum(metadata)) value = Array.isArray(value) ? value.map((v) => v === 1) : value === 1;
      attributes[name] = value;
    }
    return attributes;
  }

  /**
   * Per axis: the attached dimension scale's name (netCDF: the dimension), else an h5py dimension
   * label, else (netCDF) the dimension whose _Netcdf4Dimid is listed in _Netcdf4Coordinates.
   * A dimension scale (a netCDF coordinate variable) names its own first axis.
   */
  private dimensionNames(dataset: H5Dataset, rank: number): (string | null)[] | null {
    if (rank === 0) return null;
    const filePath = dataset.path;
    const attributeNames = this.module.get_attribute_names(this.file.file_id, filePath);
    const names: (string | null)[] = new Array<string | null>(rank).fill(null);
    if (attributeNames.includes("DIMENSION_LIST")) {
      for (let axis = 0; axis < rank; axis += 1) {
        const scales = dataset.get_attached_scales(axis);
        if (scales.length > 0) names[axis] = this.scaleName(scales[0]!);
      }
    }
    if (attributeNames.includes("DIMENSION_LABELS")) {
      dataset.get_dimension_labels().forEach((label, axis) => {
        if (names[axis] === null && label) names[axis] = label;
      });
    }
    if (attributeNames.includes("CLASS") && dataset.get_scale_name() !== null && names[0] === null) {
      names[0] = this.scaleName(filePath);
    }
    if (attributeNames.includes("_Netcdf4Coordinates")) {
      const ids = toJsonSafe(this.attributeValue(filePath, "_Netcdf4Coordinates"));
      const byId = this.netcdfDimensionIds();
      if (Array.isArray(ids)) {
        ids.forEach((id, axis) => {
          if (axis < rank && names[axis] === null && typeof id === "number") names[axis] = byId.get(id) ?? null;
        });
      }
    }
    return names.every((name) => name === null) ? null : names;
  }

  /** A scale's dimension name: its NAME attribute unless that is netCDF's placeholder text, else the dataset's own name. */
  private scaleName(scalePath: string): string {
    const name = this.file.get(scalePath) instanceof h5.Dataset ? (this.file.get(scalePath) as H5Dataset).get_scale_name() : null;
    if (name && !name.startsWith(NETCDF_PURE_DIMENSION) && this.format === "hdf5") return name;
    return path.posix.basename(scalePath);
  }

  private netcdfDimensionIds(): Map<number, string> {
    if (this.dimensionIds) return this.dimensionIds;
    const byId = new Map<number, string>();
    for (const name of this.module.get_names(this.file.file_id, "/", true)) {
      const filePath = `/${name}`;
      if (!(this.file.get(filePath) instanceof h5.Dataset)) continue;
      if (!this.module.get_attribute_names(this.file.file_id, filePath).includes("_Netcdf4Dimid")) continue;
      const id = toJsonSafe(this.attributeValue(filePath, "_Netcdf4Dimid"));
      const value = Array.isArray(id) ? id[0] : id;
      if (typeof value === "number") byId.set(value, path.posix.basename(filePath));
    }
    this.dimensionIds = byId;
    return byId;
  }
}

/** The fill value from the dataset's creation properties (the fill-value message), JSON-safe. */
function fillValueFromLayout(layout: ObjectLayout | null, metadata: { type: number; size: number }): number | string | boolean | null {
  const value = layout?.fillValue;
  if (value === undefined || value === null) return null;
  if (typeof value === "number") {
    return jsonNumber(metadata.type === H5T.float && metadata.size === 4 ? shortestFloat32(value) : value);
  }
  return value;
}

/** h5wasm's output → ArrayValues: booleans as Uint8Array, scalars as one-element arrays. */
function toValues(raw: unknown, description: ArrayDescription, booleanEnum: boolean): ArrayValues {
  if (booleanEnum && ArrayBuffer.isView(raw)) {
    const view = raw as Int8Array;
    return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  }
  if (ArrayBuffer.isView(raw)) return raw as ArrayValues;
  if (Array.isArray(raw)) return raw;
  // A scalar dataset: h5wasm returns the bare value.
  const values = emptyValues(description.dtype, 1);
  if (Array.isArray(values)) values[0] = raw;
  else if (values instanceof BigInt64Array || values instanceof BigUint64Array) values[0] = BigInt(raw as bigint);
  else values[0] = booleanEnum ? Number(raw) : (raw as number);
  return values;
}
