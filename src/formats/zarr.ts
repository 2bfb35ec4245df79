/**
 * The Zarr side of the dataset layer: v2 and v3 stores, in a directory or a zip, read with
 * zarrita. Metadata is parsed by chunkwise itself (src/formats/zarr/metadata.ts) so that an
 * unknown codec or data type never stops a listing, and every problem names its file.
 */
import * as zarr from "zarrita";
import { ChunkwiseError, isChunkwiseError } from "../errors.js";
import { registerChunkwiseCodecs } from "./codecs/index.js";
import type { ArrayDescription, ArrayValues, Block, Dataset, DatasetFormat, GroupDescription, StorageFacts } from "./dataset.js";
import { chunkStorage } from "./zarr/chunk-files.js";
import {
  attributesFromDocument,
  chunkKey,
  decodeJsonObject,
  parseV2Array,
  parseV2Group,
  parseV3Node,
  type ZarrArrayMetadata,
  type ZarrFormatVersion,
  type ZarrGroupMetadata,
} from "./zarr/metadata.js";
import { HttpStoreAccess } from "./zarr/http-store-access.js";
import { DirectoryStoreAccess, isSafeKey, joinKey, shortMessage, ZipStoreAccess, type StoreAccess } from "./zarr/store-access.js";
import { allocateValues, asIndexable, copyBox, toCOrder, type ZarritaData } from "./zarr/values.js";
import { granuleBytes, partialCodecOf, readChunkPart } from "./zarr/partial-chunk.js";
import type { PartMemory, PlacedBlock, Region } from "./block-copy.js";
import { type ChunkFile, OpenChunkFiles } from "./chunk-file.js";

/** Arrays whose chunk files are listed at once: many small arrays list fast, few big ones do not start too many stat workers. */
const ARRAYS_DESCRIBED_AT_ONCE = 4;

/** Chunks decoded at once by readRegion: enough to keep both cores and the thread pool busy. */
const REGION_READS_IN_FLIGHT = 8;

/** Grid coordinates of every chunk that meets the box [start, stop), in C order; none when the box is empty. */
function* chunksOverlapping(chunks: readonly number[], start: readonly number[], stop: readonly number[]): Generator<number[]> {
  if (start.some((s, axis) => s >= stop[axis]!)) return;
  const first = start.map((s, axis) => Math.floor(s / chunks[axis]!));
  const last = stop.map((s, axis) => Math.ceil(s / chunks[axis]!) - 1);
  const coords = [...first];
  for (;;) {
    yield [...coords];
    let axis = coords.length - 1;
    for (; axis >= 0; axis--) {
      if (++coords[axis]! <= last[axis]!) break;
      coords[axis] = first[axis]!;
    }
    if (axis < 0) return;
  }
}

/** `keepPartFilesOpen`: chunk files partial reads keep open between calls (OpenChunkFiles); 0, the default, closes each after its read. */
export async function openZarrDirectory(location: string, options: { keepPartFilesOpen?: number } = {}): Promise<Dataset> {
  return ZarrDataset.open(new DirectoryStoreAccess(location), [], options.keepPartFilesOpen ?? 0);
}

export async function openZarrZip(location: string): Promise<Dataset> {
  const access = await ZipStoreAccess.open(location);
  try {
    return await ZarrDataset.open(access);
  } catch (err) {
    await access.close();
    throw err;
  }
}

/**
 * A store over HTTP(S). Its arrays come from consolidated metadata (v2 .zmetadata, v3
 * consolidated_metadata in the root zarr.json) when present; without it the store cannot be
 * listed and `arrayPaths` (the user's --array) name the arrays; any other array is found when
 * first asked for by path. Storage figures (chunks written, bytes stored) are unknown: null.
 */
export async function openZarrHttp(url: string, options: { arrayPaths?: readonly string[]; access?: HttpStoreAccess } = {}): Promise<Dataset> {
  return ZarrDataset.open(options.access ?? new HttpStoreAccess(url), options.arrayPaths ?? []);
}

interface ArrayNode {
  readonly path: string;
  readonly key: string;
  readonly metadata: ZarrArrayMetadata;
}

interface GroupNode {
  readonly path: string;
  readonly key: string;
  readonly metadata: ZarrGroupMetadata;
}

interface Hierarchy {
  readonly format: ZarrFormatVersion;
  readonly arrays: Map<string, ArrayNode>;
  readonly groups: Map<string, GroupNode>;
  /** False when the store could not be listed and arrays may exist that are not in `arrays`. */
  complete: boolean;
}

function pathOfKey(key: string): string {
  return `/${key}`;
}

function keyOfPath(path: string): string {
  return path.replace(/^\/+/, "").replace(/\/+$/, "");
}

type ZarritaArray = zarr.Array<zarr.DataType, zarr.Readable>;

class ZarrDataset implements Dataset {
  readonly location: string;
  readonly format: DatasetFormat;
  readonly #access: StoreAccess;
  readonly #hierarchy: Hierarchy;
  readonly #partFiles: OpenChunkFiles | null;
  readonly #storage = new Map<string, Promise<StorageFacts>>();
  readonly #opened = new Map<string, Promise<ZarritaArray>>();

  private constructor(access: StoreAccess, hierarchy: Hierarchy, keepPartFilesOpen: number) {
    this.location = access.location;
    this.#partFiles = keepPartFilesOpen >= 1 ? new OpenChunkFiles(keepPartFilesOpen) : null;
    this.#access = access;
    this.#hierarchy = hierarchy;
    this.format = hierarchy.format === 2 ? "zarr2" : "zarr3";
  }

  static async open(access: StoreAccess, arrayPaths: readonly string[] = [], keepPartFilesOpen = 0): Promise<ZarrDataset> {
    registerChunkwiseCodecs();
    const hierarchy = await discoverHierarchy(access);
    if (!hierarchy.complete) {
      for (const arrayPath of arrayPaths) {
        const key = keyOfPath(arrayPath);
        if (!(await findUnlistedArray(access, hierarchy, key))) {
          throw new ChunkwiseError("NotFoundError", `no array ${pathOfKey(key)} here: neither ${joinKey(key, "zarr.json")} nor ${joinKey(key, ".zarray")} exists`, { path: access.location });
        }
      }
    }
    return new ZarrDataset(access, hierarchy, keepPartFilesOpen);
  }

  async listArrays(): Promise<ArrayDescription[]> {
    if (!this.#hierarchy.complete && this.#hierarchy.arrays.size === 0) {
      throw new ChunkwiseError(
        "UsageError",
        "this remote store has no consolidated metadata and HTTP cannot list it: name the array with --array PATH (e.g. --array /group/temperature)",
        { path: this.location },
      );
    }
    const paths = [...this.#hierarchy.arrays.keys()].sort();
    const out = new Array<ArrayDescription>(paths.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(ARRAYS_DESCRIBED_AT_ONCE, paths.length) }, async () => {
        while (next < paths.length) {
          const index = next++;
          out[index] = await this.describe(paths[index]!);
        }
      }),
    );
    return out;
  }

  async listGroups(): Promise<GroupDescription[]> {
    return [...this.#hierarchy.groups.values()]
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
      .map((group) => ({ path: group.path, attributes: group.metadata.attributes }));
  }

  async #arrayNode(arrayPath: string): Promise<ArrayNode> {
    let node = this.#hierarchy.arrays.get(pathOfKey(keyOfPath(arrayPath)));
    if (!node && !this.#hierarchy.complete) node = await findUnlistedArray(this.#access, this.#hierarchy, keyOfPath(arrayPath));
    if (!node) {
      const isGroup = this.#hierarchy.groups.has(pathOfKey(keyOfPath(arrayPath)));
      throw new ChunkwiseError("NotFoundError", isGroup ? `${arrayPath} is a group, not an array` : `no array ${arrayPath} in this store`, {
        path: this.location,
      });
    }
    return node;
  }

  async describe(arrayPath: string): Promise<ArrayDescription> {
    const node = await this.#arrayNode(arrayPath);
    const meta = node.metadata;
    return {
      path: node.path,
      format: this.format,
      shape: meta.shape,
      dtype: meta.dtype,
      dimensionNames: meta.dimensionNames,
      chunks: meta.chunks,
      shards: meta.shards,
      order: meta.order,
      codecs: meta.codecs,
      fillValue: meta.fillValue,
      attributes: meta.attributes,
      storage: await this.#storageOf(node),
      unreadableReason: meta.unreadableReason,
    };
  }

  #storageOf(node: ArrayNode): Promise<StorageFacts> {
    let facts = this.#storage.get(node.path);
    if (!facts && !this.#access.listable) facts = Promise.resolve({ storedBytes: null, writtenObjects: null });
    if (!facts) {
      const meta = node.metadata;
      const objectShape = meta.shards ?? meta.chunks;
      const grid = meta.shape.map((size, axis) => Math.ceil(size / objectShape[axis]!));
      facts = chunkStorage(this.#access, node.key, meta.keyEncoding, grid);
      facts.catch(() => this.#storage.delete(node.path));
      this.#storage.set(node.path, facts);
    }
    return facts;
  }

  #zarritaArray(node: ArrayNode): Promise<ZarritaArray> {
    if (node.metadata.unreadableReason !== null) {
      return Promise.reject(new ChunkwiseError("UnsupportedError", `cannot read array ${node.path}: ${node.metadata.unreadableReason}`, { path: this.location }));
    }
    let opened = this.#opened.get(node.path);
    if (!opened) {
      // zarrita resolves keys through URL parsing and then decodes them: percent-encode each
      // segment so that names with "#", "?" or "%" reach the store unchanged.
      const encoded = node.path.split("/").map(encodeURIComponent).join("/");
      const location = new zarr.Location(this.#access.store, encoded as `/${string}`);
      const openVersion = node.metadata.zarrFormat === 2 ? zarr.open.v2 : zarr.open.v3;
      opened = openVersion(location, { kind: "array", attrs: false } as { kind: "array" }).catch(async (err: unknown) => {
        this.#opened.delete(node.path);
        throw await this.#openError(node, err);
      }) as Promise<ZarritaArray>;
      this.#opened.set(node.path, opened);
    }
    return opened;
  }

  /**
   * Why zarrita could not open an array we had listed: its metadata file changed, vanished (a
   * stale .zmetadata) or holds something zarrita refuses. Re-reading it our way names the file.
   */
  async #openError(node: ArrayNode, err: unknown): Promise<ChunkwiseError> {
    const file = joinKey(node.key, node.metadata.zarrFormat === 2 ? ".zarray" : "zarr.json");
    const where = this.#access.describeKey(file);
    try {
      const doc = await readDocument(this.#access, file);
      if (doc === undefined) return new ChunkwiseError("NotFoundError", `array ${node.path} is listed but its metadata file is missing`, { path: where, cause: err });
      if (node.metadata.zarrFormat === 2) parseV2Array(doc, {}, where);
      else parseV3Node(doc, where);
    } catch (problem) {
      if (isChunkwiseError(problem)) return problem;
    }
    return new ChunkwiseError("UnsupportedError", `cannot read array ${node.path}: ${shortMessage(err)}`, { path: where, cause: err });
  }

  /** The file a chunk (or its shard) lives in, for messages. */
  #chunkFile(node: ArrayNode, coords: readonly number[]): string {
    const meta = node.metadata;
    const objectCoords = meta.shards ? coords.map((c, axis) => Math.floor((c * meta.chunks[axis]!) / meta.shards![axis]!)) : coords;
    return this.#access.describeKey(joinKey(node.key, chunkKey(meta.keyEncoding, objectCoords)));
  }

  /** One stored chunk decoded by zarrita, checked for size; values as dataset.ts types them, in the chunk's own strides. */
  async #decodedChunk(node: ArrayNode, array: ZarritaArray, coords: readonly number[]): Promise<{ values: ArrayValues; shape: number[]; stride: number[] }> {
    let chunk;
    try {
      chunk = await array.getChunk([...coords]);
    } catch (err) {
      throw this.#readError(err, this.#chunkFile(node, coords));
    }
    const expected = node.metadata.chunks.reduce((a, b) => a * b, 1);
    if (chunk.data.length !== expected) {
      const short = chunk.data.length < expected;
      throw new ChunkwiseError(short ? "TruncatedError" : "IOError", `${short ? "truncated" : "corrupt"} chunk: it holds ${chunk.data.length} values, expected ${expected}`, {
        path: this.#chunkFile(node, coords),
      });
    }
    return { values: asIndexable(chunk.data as ZarritaData), shape: chunk.shape, stride: chunk.stride };
  }

  async readChunk(arrayPath: string, chunkCoords: readonly number[]): Promise<Block> {
    const node = await this.#arrayNode(arrayPath);
    const meta = node.metadata;
    if (chunkCoords.length !== meta.shape.length || chunkCoords.some((c, axis) => !Number.isInteger(c) || c < 0 || c * meta.chunks[axis]! >= Math.max(meta.shape[axis]!, 1))) {
      throw new ChunkwiseError("UsageError", `chunk [${chunkCoords.join(", ")}] is outside the chunk grid of ${node.path}`, { path: this.location });
    }
    const chunk = await this.#decodedChunk(node, await this.#zarritaArray(node), chunkCoords);
    const shape = meta.chunks.map((size, axis) => Math.min(size, meta.shape[axis]! - chunkCoords[axis]! * size));
    return { shape, values: toCOrder(chunk.values, chunk.shape, chunk.stride, shape) };
  }

  async readGranuleBytes(arrayPath: string): Promise<number | null> {
    const node = await this.#arrayNode(arrayPath);
    const codec = partialCodecOf(node.metadata);
    if (codec === null || this.#access.openFile === undefined) return null;
    // A blosc array's block size is in each chunk's header: look at the first chunk written.
    const sample = codec === "blosc" ? await this.#openFirstChunk(node) : undefined;
    try {
      return granuleBytes(codec, sample?.file, sample?.name ?? this.location);
    } finally {
      sample?.file.close();
    }
  }

  async #openFirstChunk(node: ArrayNode): Promise<{ file: ChunkFile; name: string } | undefined> {
    const grid = node.metadata.shape.map((n, axis) => Math.ceil(n / node.metadata.chunks[axis]!));
    const total = grid.reduce((a, b) => a * b, 1);
    // Only the first few: an array whose first chunks are unwritten is read whole.
    for (let index = 0; index < Math.min(total, 8); index++) {
      const coords = grid.map(() => 0);
      let rest = index;
      for (let axis = grid.length - 1; axis >= 0; axis--) {
        coords[axis] = rest % grid[axis]!;
        rest = Math.floor(rest / grid[axis]!);
      }
      const file = await this.#access.openFile!(joinKey(node.key, chunkKey(node.metadata.keyEncoding, coords)));
      if (file !== undefined) return { file, name: this.#chunkFile(node, coords) };
    }
    return undefined;
  }

  async readChunkPart(arrayPath: string, chunkCoords: readonly number[], part: Region, memory?: PartMemory): Promise<PlacedBlock> {
    const node = await this.#arrayNode(arrayPath);
    const meta = node.metadata;
    const codec = partialCodecOf(meta);
    const origin = chunkCoords.map((c, axis) => c * meta.chunks[axis]!);
    const outside = part.start.some((s, axis) => s < origin[axis]! || part.stop[axis]! > Math.min(meta.shape[axis]!, origin[axis]! + meta.chunks[axis]!) || s >= part.stop[axis]!);
    if (part.start.length !== meta.shape.length || outside) {
      throw new ChunkwiseError("UsageError", `part [${part.start.join(", ")}]–[${part.stop.join(", ")}] is not inside chunk [${chunkCoords.join(", ")}] of ${node.path}`, { path: this.location });
    }
    const handle = codec === null ? undefined : await this.#openPartFile(joinKey(node.key, chunkKey(meta.keyEncoding, chunkCoords)));
    if (handle !== undefined) {
      try {
        const read = readChunkPart(handle, this.#chunkFile(node, chunkCoords), codec!, meta, origin, part, memory);
        if (read !== null) return read;
      } finally {
        if (this.#partFiles === null) handle.close();
      }
    }
    // Unwritten (fill), or not readable in part: decode it whole.
    const chunk = await this.readChunk(arrayPath, chunkCoords);
    return { origin, shape: chunk.shape, values: chunk.values };
  }

  async readRegion(arrayPath: string, start: readonly number[], stop: readonly number[]): Promise<Block> {
    const node = await this.#arrayNode(arrayPath);
    const meta = node.metadata;
    const rank = meta.shape.length;
    if (start.length !== rank || stop.length !== rank || start.some((s, axis) => !Number.isInteger(s) || !Number.isInteger(stop[axis]) || s < 0 || s > stop[axis]! || stop[axis]! > meta.shape[axis]!)) {
      throw new ChunkwiseError("UsageError", `region [${start.join(", ")}]–[${stop.join(", ")}] is not inside ${node.path} (shape ${meta.shape.join(" × ")})`, {
        path: this.location,
      });
    }
    const array = await this.#zarritaArray(node);
    const shape = start.map((s, axis) => stop[axis]! - s);
    const values = allocateValues(meta.dtype, shape.reduce((a, b) => a * b, 1));
    const chunks = chunksOverlapping(meta.chunks, start, stop);
    const copyChunk = async (coords: number[]): Promise<void> => {
      const chunk = await this.#decodedChunk(node, array, coords);
      const lo = coords.map((c, axis) => Math.max(start[axis]!, c * meta.chunks[axis]!));
      const hi = coords.map((c, axis) => Math.min(stop[axis]!, (c + 1) * meta.chunks[axis]!));
      copyBox(
        chunk.values,
        chunk.stride,
        lo.map((l, axis) => l - coords[axis]! * meta.chunks[axis]!),
        values,
        shape,
        lo.map((l, axis) => l - start[axis]!),
        hi.map((h, axis) => h - lo[axis]!),
      );
    };
    await Promise.all(
      Array.from({ length: REGION_READS_IN_FLIGHT }, async () => {
        for (let next = chunks.next(); !next.done; next = chunks.next()) await copyChunk(next.value);
      }),
    );
    return { shape, values };
  }

  #readError(err: unknown, file: string): ChunkwiseError {
    if (isChunkwiseError(err)) return err;
    const systemCode = (err as NodeJS.ErrnoException).code ?? ((err as { cause?: NodeJS.ErrnoException }).cause?.code);
    if (systemCode === "EACCES" || systemCode === "EPERM") return new ChunkwiseError("PermissionError", "permission denied", { path: file, cause: err });
    const cause = (err as { cause?: unknown }).cause;
    const detail = shortMessage(cause ?? err);
    if (zarr.isZarritaError(err, "UnknownCodecError", "UnsupportedError")) {
      return new ChunkwiseError("UnsupportedError", `cannot decode: ${detail}`, { path: file, cause: err });
    }
    return new ChunkwiseError("IOError", `cannot decode chunk data (${detail}): truncated or corrupt`, { path: file, cause: err });
  }

  /** A chunk file for a partial read: held by #partFiles when the dataset keeps them (then not the caller's to close). */
  async #openPartFile(key: string): Promise<ChunkFile | undefined> {
    const access = this.#access;
    if (access.openFile === undefined) return undefined;
    return this.#partFiles === null ? access.openFile(key) : this.#partFiles.get(key, () => access.openFile!(key));
  }

  async close(): Promise<void> {
    this.#partFiles?.closeAll();
    await this.#access.close();
  }
}

/** Read and parse one metadata file; undefined when it does not exist. */
async function readDocument(access: StoreAccess, key: string) {
  const bytes = await access.readFile(key);
  return bytes === undefined ? undefined : decodeJsonObject(bytes, access.describeKey(key));
}

async function readV2Attributes(access: StoreAccess, dirKey: string): Promise<Record<string, unknown>> {
  const key = joinKey(dirKey, ".zattrs");
  const doc = await readDocument(access, key);
  return doc === undefined ? {} : attributesFromDocument(doc, access.describeKey(key));
}

/** Find every array and group: from consolidated .zmetadata when the v2 root has it, else by walking directories. */
async function discoverHierarchy(access: StoreAccess): Promise<Hierarchy> {
  const hierarchy: Hierarchy = { format: 3, arrays: new Map(), groups: new Map(), complete: true };
  const rootV3 = await readDocument(access, "zarr.json");
  if (rootV3 !== undefined) {
    if (access.listable) await visitV3(access, "", rootV3, hierarchy);
    else readUnlistableV3(access, rootV3, hierarchy);
    return hierarchy;
  }
  const v2 = { ...hierarchy, format: 2 as const };
  const zarray = await readDocument(access, ".zarray");
  if (zarray !== undefined) {
    v2.arrays.set("/", { path: "/", key: "", metadata: parseV2Array(zarray, await readV2Attributes(access, ""), access.describeKey(".zarray")) });
    return v2;
  }
  const zgroup = await readDocument(access, ".zgroup");
  if (zgroup === undefined) {
    if (!access.listable) throw new ChunkwiseError("NotFoundError", "no Zarr store here: zarr.json, .zgroup and .zarray all answer 404 Not Found (only Zarr stores are read over HTTP)", { path: access.location });
    throw new ChunkwiseError("NotADatasetError", "is not a Zarr store: no zarr.json, .zgroup or .zarray", { path: access.location });
  }
  const consolidated = await readDocument(access, ".zmetadata");
  if (consolidated === undefined && !access.listable) {
    v2.groups.set("/", { path: "/", key: "", metadata: parseV2Group(zgroup, await readV2Attributes(access, ""), access.describeKey(".zgroup")) });
    v2.complete = false;
    return v2;
  }
  if (consolidated === undefined) {
    await visitV2Group(access, "", zgroup, v2);
    return v2;
  }
  readConsolidatedV2(access, consolidated, v2);
  if (!v2.groups.has("/")) {
    const metadata = parseV2Group(zgroup, await readV2Attributes(access, ""), access.describeKey(".zgroup"));
    v2.groups.set("/", { path: "/", key: "", metadata });
  }
  return v2;
}

/**
 * The root zarr.json of a store that cannot be listed: an array, or a group whose inline
 * consolidated metadata (zarr-python 3: "consolidated_metadata": {"metadata": {"a/b": {…}}})
 * lists the rest; without it only the root is known.
 */
function readUnlistableV3(access: StoreAccess, doc: Record<string, unknown>, hierarchy: Hierarchy): void {
  const file = access.describeKey("zarr.json");
  const root = parseV3Node(doc, file);
  if (root.kind === "array") {
    hierarchy.arrays.set("/", { path: "/", key: "", metadata: root.array });
    return;
  }
  hierarchy.groups.set("/", { path: "/", key: "", metadata: root.group });
  const consolidated = doc.consolidated_metadata as { metadata?: unknown } | null | undefined;
  const entries = consolidated?.metadata;
  if (typeof entries !== "object" || entries === null || Array.isArray(entries)) {
    hierarchy.complete = false;
    return;
  }
  for (const [name, child] of Object.entries(entries as Record<string, unknown>)) {
    if (typeof child !== "object" || child === null || Array.isArray(child)) {
      throw new ChunkwiseError("MetadataError", `invalid consolidated metadata: entry "${name}" must be an object`, { path: file });
    }
    const key = keyOfPath(name);
    const node = parseV3Node(child as Record<string, unknown>, `${file} (consolidated_metadata ${name})`);
    const path = pathOfKey(key);
    if (node.kind === "array") hierarchy.arrays.set(path, { path, key, metadata: node.array });
    else hierarchy.groups.set(path, { path, key, metadata: node.group });
  }
}

/** An array the listing could not show: read its metadata at `key` and add it; undefined when there is none (or the key leads outside the store). */
async function findUnlistedArray(access: StoreAccess, hierarchy: Hierarchy, key: string): Promise<ArrayNode | undefined> {
  if (!isSafeKey(key)) return undefined;
  const path = pathOfKey(key);
  const known = hierarchy.arrays.get(path);
  if (known) return known;
  let metadata: ZarrArrayMetadata | undefined;
  if (hierarchy.format === 3) {
    const doc = await readDocument(access, joinKey(key, "zarr.json"));
    const node = doc === undefined ? undefined : parseV3Node(doc, access.describeKey(joinKey(key, "zarr.json")));
    if (node?.kind === "array") metadata = node.array;
  } else {
    const doc = await readDocument(access, joinKey(key, ".zarray"));
    if (doc !== undefined) metadata = parseV2Array(doc, await readV2Attributes(access, key), access.describeKey(joinKey(key, ".zarray")));
  }
  if (metadata === undefined) return undefined;
  const node = { path, key, metadata };
  hierarchy.arrays.set(path, node);
  return node;
}

async function visitV3(access: StoreAccess, key: string, doc: Record<string, unknown>, hierarchy: Hierarchy): Promise<void> {
  const file = access.describeKey(joinKey(key, "zarr.json"));
  const node = parseV3Node(doc, file);
  const path = pathOfKey(key);
  if (node.kind === "array") {
    hierarchy.arrays.set(path, { path, key, metadata: node.array });
    return;
  }
  hierarchy.groups.set(path, { path, key, metadata: node.group });
  const { dirs } = await access.listDir(key);
  await Promise.all(
    dirs.map(async (name) => {
      const childKey = joinKey(key, name);
      const child = await readDocument(access, joinKey(childKey, "zarr.json"));
      if (child !== undefined) await visitV3(access, childKey, child, hierarchy);
    }),
  );
}

async function visitV2Group(access: StoreAccess, key: string, zgroup: Record<string, unknown>, hierarchy: Hierarchy): Promise<void> {
  const path = pathOfKey(key);
  hierarchy.groups.set(path, { path, key, metadata: parseV2Group(zgroup, await readV2Attributes(access, key), access.describeKey(joinKey(key, ".zgroup"))) });
  const { dirs } = await access.listDir(key);
  await Promise.all(
    dirs.map(async (name) => {
      const childKey = joinKey(key, name);
      const zarray = await readDocument(access, joinKey(childKey, ".zarray"));
      if (zarray !== undefined) {
        const metadata = parseV2Array(zarray, await readV2Attributes(access, childKey), access.describeKey(joinKey(childKey, ".zarray")));
        hierarchy.arrays.set(pathOfKey(childKey), { path: pathOfKey(childKey), key: childKey, metadata });
        return;
      }
      const childGroup = await readDocument(access, joinKey(childKey, ".zgroup"));
      if (childGroup !== undefined) await visitV2Group(access, childKey, childGroup, hierarchy);
    }),
  );
}

/**
 * zarr-python 2's consolidated metadata: {"metadata": {"a/.zarray": {…}, "a/.zattrs": {…}, ".zgroup": {…}}}.
 * Untrusted: a key that would lead outside the store ("../x/.zarray", "/etc/.zarray", "a//b")
 * refuses the whole store before any file is touched.
 */
function readConsolidatedV2(access: StoreAccess, doc: Record<string, unknown>, hierarchy: Hierarchy): void {
  const file = access.describeKey(".zmetadata");
  const entries = doc.metadata;
  if (typeof entries !== "object" || entries === null || Array.isArray(entries)) {
    throw new ChunkwiseError("MetadataError", 'invalid consolidated metadata: "metadata" must be an object', { path: file });
  }
  const documents = entries as Record<string, unknown>;
  const objectAt = (key: string): Record<string, unknown> | undefined => {
    const value = documents[key];
    if (value === undefined) return undefined;
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new ChunkwiseError("MetadataError", `invalid consolidated metadata: entry "${key}" must be an object`, { path: file });
    }
    return value as Record<string, unknown>;
  };
  for (const name of Object.keys(documents)) {
    if (!isSafeKey(name)) {
      throw new ChunkwiseError("MetadataError", `invalid consolidated metadata: key "${name}" leads outside the store`, { path: file });
    }
  }
  for (const name of Object.keys(documents)) {
    const match = /^(?:(.*)\/)?\.(zarray|zgroup)$/.exec(name);
    if (!match) continue;
    const key = match[1] ?? "";
    const attributes = attributesFromDocument(objectAt(joinKey(key, ".zattrs")) ?? {}, `${file} (${joinKey(key, ".zattrs")})`);
    const where = `${file} (${name})`;
    const path = pathOfKey(key);
    if (match[2] === "zarray") hierarchy.arrays.set(path, { path, key, metadata: parseV2Array(objectAt(name)!, attributes, where) });
    else hierarchy.groups.set(path, { path, key, metadata: parseV2Group(objectAt(name)!, attributes, where) });
  }
}
