/**
 * HDF5/netCDF-4 output. h5wasm 0.10.3 has no direct chunk write (H5Dwrite_chunk) and one instance
 * cannot share a file, so the file is not written while units arrive. Instead, like Zarr output:
 *
 * - writeUnit() encodes the unit as HDF5 stores it (hdf5-staged-chunks.ts: padded, shuffled,
 *   deflated) in the calling thread and writes it atomically as a file under
 *   `DST.chunkwise/chunks/`; any number of threads and processes attach and write disjoint units.
 * - finalize() writes `DST.chunkwise/partial.h5` from scratch: the metadata with h5wasm
 *   (hdf5-file.ts), then every staged chunk and each dataset's chunk index (hdf5-chunks.ts); then
 *   renames it to DST. An interrupted DST never exists, and finalize() can simply run again.
 */
import { rename, rm, rmdir, stat } from "node:fs/promises";
import path from "node:path";
import { ChunkwiseError, fromSystemError } from "../../errors.js";
import type { Block, GroupDescription } from "../dataset.js";
import { loadH5wasm } from "../hdf5/module.js";
import type { ArraySpec, DatasetWriter } from "../writer.js";
import { writeDirectChunks, type DirectChunks } from "./hdf5-chunks.js";
import { isChunked, writeHdf5Metadata } from "./hdf5-file.js";
import { encodeHdf5Chunk, hdf5ChunkEncoding, readStagedChunk, stagedChunkPath, stagedChunksDirectory, stagedChunksInOrder, writeStagedChunk } from "./hdf5-staged-chunks.js";
import { checkUnit, prepareArray, stageArray, type PreparedArray } from "./prepared-array.js";
import { jsonSafeSpec, partialHdf5Path, readStaged, STAGED_FILE, stagingDirectory, writeStaged, type StagedOutput } from "./staging.js";
import { assertReplaceable, forgetDirs, nodeSegments, removeReplaceable } from "./store-files.js";

/** The file assembleWhileWriting() is writing: `writing` while units may still come; `stale` once the output changed under it. */
interface Assembly {
  writing: boolean;
  stale: boolean;
  done: Promise<readonly string[]>;
}

export class Hdf5Writer implements DatasetWriter {
  readonly location: string;
  readonly format = "hdf5" as const;
  private groups: GroupDescription[];
  private readonly arrays = new Map<string, PreparedArray>();
  private readonly finalizeWarnings: string[] = [];
  private assembly: Assembly | null = null;

  private constructor(location: string, staged: StagedOutput) {
    this.location = location;
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
    for (const old of [partialHdf5Path(location), stagedChunksDirectory(location)]) {
      await rm(old, { recursive: true, force: true }).catch((err: unknown) => {
        throw fromSystemError(err, stagingDir);
      });
    }
    forgetDirs(stagedChunksDirectory(location));
    const staged: StagedOutput = { format: "hdf5", groups: [], arrays: [] };
    await writeStaged(location, staged);
    return new Hdf5Writer(location, staged);
  }

  /** A writer on an output another writer created (staged, not yet finalized): to write units, or to finish it. */
  static async attach(location: string, staged?: StagedOutput): Promise<Hdf5Writer> {
    const found = staged ?? (await readStaged(location));
    if (!found || found.format !== "hdf5") throw new ChunkwiseError("NotFoundError", "no unfinished hdf5 output to attach to", { path: location });
    return new Hdf5Writer(location, found);
  }

  get warnings(): string[] {
    return [...[...this.arrays.values()].flatMap((array) => array.warnings), ...this.finalizeWarnings];
  }

  get arraySpecs(): ArraySpec[] {
    return [...this.arrays.values()].map((array) => array.spec);
  }

  async createGroup(group: GroupDescription): Promise<void> {
    this.checkPlace(group.path, "group");
    if (this.assembly !== null) this.assembly.stale = true;
    this.groups = [...this.groups.filter((g) => g.path !== group.path), { path: group.path, attributes: group.attributes }];
    await this.saveStaged();
  }

  async createArray(spec: ArraySpec): Promise<void> {
    if (spec.path === "/") throw new ChunkwiseError("UnsupportedError", "an HDF5 file cannot itself be an array: give the array a name inside the file");
    const staged = stageArray(spec, "hdf5");
    if (this.arrays.has(spec.path)) throw new ChunkwiseError("UsageError", `"${spec.path}" already exists in the output`, { path: this.location });
    this.checkPlace(spec.path, "array");
    if (this.assembly !== null) this.assembly.stale = true;
    this.arrays.set(spec.path, prepareArray({ ...staged, spec: jsonSafeSpec(spec) }));
    await this.saveStaged();
  }

  async writeUnit(arrayPath: string, unitCoords: readonly number[], block: Block): Promise<void> {
    const array = this.arrays.get(arrayPath);
    if (!array) throw new ChunkwiseError("UsageError", `no array "${arrayPath}" was created in this output`, { path: this.location });
    const values = checkUnit(array, unitCoords, block);
    const payload = isChunked(array.spec)
      ? await encodeHdf5Chunk(values, block.shape, hdf5ChunkEncoding(array.spec, array.compressor))
      : new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    await writeStagedChunk(stagedChunkPath(this.location, arrayPath, unitCoords), payload);
  }

  /**
   * Start writing the file now, in this thread, while worker threads still write units: the
   * metadata, then every staged chunk as soon as it is there, in the order finalize() appends
   * them; finalize() then waits for the last ones and writes the chunk index. The finalize of a
   * 1 GiB netCDF-4 rechunk had taken 2.7 s after the workers were done. Only ever a head start:
   * if it fails, or the output changes meanwhile, finalize() writes the file afresh as before.
   * Not for outputs with scalar datasets (their values go into the metadata).
   */
  assembleWhileWriting(): void {
    if (this.assembly !== null || [...this.arrays.values()].some((array) => array.spec.shape.length === 0)) return;
    const state = { writing: true, stale: false };
    const done = this.writeFile(() => state.writing);
    done.catch(() => undefined); // looked at by finalize(); a failure there only means starting over
    this.assembly = Object.assign(state, { done });
  }

  /**
   * Write the file from the staged metadata and chunks (or finish the one assembleWhileWriting()
   * started), rename it to DST, then drop the staged description and chunks. Call it once every
   * unit is written and no other writer is running.
   */
  async finalize(): Promise<void> {
    const assembled = await this.finishAssembly();
    this.finalizeWarnings.push(...(assembled ?? (await this.writeFile())));
    const existing = await stat(this.location).catch(() => null);
    if (existing?.isDirectory()) await removeReplaceable(this.location);
    try {
      await rename(partialHdf5Path(this.location), this.location);
    } catch (err) {
      throw fromSystemError(err, this.location);
    }
    // The description goes first: a kill before the chunks are gone leaves a finished DST and a resumable state, never a staged output without chunks.
    const stagingDir = stagingDirectory(this.location, "hdf5");
    await rm(path.join(stagingDir, STAGED_FILE), { force: true });
    await rm(stagedChunksDirectory(this.location), { recursive: true, force: true });
    forgetDirs(stagedChunksDirectory(this.location));
    await rmdir(stagingDir).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.finishAssembly();
    this.arrays.clear();
  }

  /** Write `DST.chunkwise/partial.h5` whole: metadata, chunks, chunk index; its warnings. `waitWhile`: see stagedChunksInOrder. */
  private async writeFile(waitWhile?: () => boolean): Promise<readonly string[]> {
    const partial = partialHdf5Path(this.location);
    await rm(partial, { force: true });
    const arrays = [...this.arrays.values()];
    const scalars = new Map<string, Uint8Array>();
    for (const array of arrays) {
      if (array.spec.shape.length === 0) scalars.set(array.spec.path, readStagedChunk(stagedChunkPath(this.location, array.spec.path, [])));
    }
    const { chunkedHeaders, warnings } = writeHdf5Metadata(await loadH5wasm(), partial, this.groups, arrays, scalars);
    const chunked: DirectChunks[] = arrays
      .filter((array) => chunkedHeaders.has(array.spec.path))
      .map((array) => {
        const { chunks, shuffle } = hdf5ChunkEncoding(array.spec, array.compressor);
        return {
          path: array.spec.path,
          headerAddress: chunkedHeaders.get(array.spec.path)!,
          shape: array.spec.shape,
          chunks,
          itemSize: array.spec.dtype.itemSize,
          shuffle,
          stored: stagedChunksInOrder(this.location, array.spec.path, array.unitGrid, waitWhile),
        };
      });
    try {
      await writeDirectChunks(partial, chunked);
    } catch (err) {
      await rm(partial, { force: true });
      throw err;
    }
    return warnings;
  }

  /** Stop waiting for chunks; the warnings of the file assembleWhileWriting() finished, or null when there is none to use. */
  private async finishAssembly(): Promise<readonly string[] | null> {
    const assembly = this.assembly;
    this.assembly = null;
    if (assembly === null) return null;
    assembly.writing = false;
    const warnings = await assembly.done.catch(() => null);
    return assembly.stale ? null : warnings;
  }

  /** An array cannot hold other nodes, nor be a group: refused now rather than when the file is written. */
  private checkPlace(nodePath: string, kind: "group" | "array"): void {
    const segments = nodeSegments(nodePath);
    for (let depth = 1; depth < segments.length; depth++) {
      const ancestor = `/${segments.slice(0, depth).join("/")}`;
      if (this.arrays.has(ancestor)) throw new ChunkwiseError("UsageError", `"${ancestor}" is a dataset, not a group`, { path: this.location });
    }
    const inside = (other: string) => other.startsWith(`${nodePath === "/" ? "" : nodePath}/`);
    if (kind === "group" && this.arrays.has(nodePath)) throw new ChunkwiseError("UsageError", `"${nodePath}" is a dataset, not a group`, { path: this.location });
    if (kind === "array" && (this.groups.some((g) => g.path === nodePath) || [...this.arrays.keys()].some(inside))) {
      throw new ChunkwiseError("UsageError", `"${nodePath}" is a group, not a dataset`, { path: this.location });
    }
  }

  private async saveStaged(): Promise<void> {
    await writeStaged(this.location, { format: "hdf5", groups: this.groups, arrays: [...this.arrays.values()].map(({ spec, compressor, warnings }) => ({ spec, compressor, warnings })) });
  }
}
