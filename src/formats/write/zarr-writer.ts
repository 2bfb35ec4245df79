/**
 * The Zarr output writer (v2 and v3, sharded or not): metadata staged in DST/.chunkwise/writer.json
 * until finalize(), units encoded in the calling thread and written atomically, one file per chunk
 * (or shard). Any number of writers — threads or processes — may attach to the same output and
 * write disjoint units at once: no unit write touches shared state.
 */
import { rm, rmdir, stat } from "node:fs/promises";
import path from "node:path";
import { ChunkwiseError, fromSystemError } from "../../errors.js";
import type { Block, GroupDescription } from "../dataset.js";
import type { ArraySpec, DatasetWriter } from "../writer.js";
import { encodeChunk } from "./encode.js";
import { checkUnit, prepareArray, stageArray, type PreparedArray } from "./prepared-array.js";
import { encodeShard } from "./shard.js";
import { jsonSafeSpec, readStaged, STAGED_FILE, stagingDirectory, writeStaged, type StagedOutput } from "./staging.js";
import { jsonText, nodeDirectory, nodeSegments, removeReplaceable, sweepTemporaryFiles, writeChunkFile, writeFileAtomic } from "./store-files.js";
import type { ZarrLayout } from "./zarr-layout.js";

export class ZarrWriter implements DatasetWriter {
  readonly location: string;
  readonly format: "zarr2" | "zarr3";
  private readonly layout: ZarrLayout;
  private readonly root: string;
  private groups: GroupDescription[];
  private readonly arrays = new Map<string, PreparedArray>();

  private constructor(location: string, layout: ZarrLayout, staged: StagedOutput) {
    this.location = location;
    this.layout = layout;
    this.format = layout.format;
    this.root = path.resolve(location);
    this.groups = [...staged.groups];
    for (const array of staged.arrays) this.arrays.set(array.spec.path, prepareArray(array));
  }

  /** A new, empty output. An existing `location` is refused unless `overwrite`, which removes it first. */
  static async create(location: string, layout: ZarrLayout, options: { overwrite?: boolean } = {}): Promise<ZarrWriter> {
    const existing = await stat(location).catch(() => null);
    if (existing) {
      if (!options.overwrite) {
        throw new ChunkwiseError("UsageError", "already exists; pass --overwrite to replace it or --resume to finish an interrupted run", { path: location });
      }
      await removeReplaceable(location);
    }
    const staged: StagedOutput = { format: layout.format, groups: [], arrays: [] };
    await writeStaged(location, staged);
    return new ZarrWriter(location, layout, staged);
  }

  /** A writer on an output another writer created (staged, not yet finalized). */
  static async attach(location: string, layout: ZarrLayout, staged?: StagedOutput): Promise<ZarrWriter> {
    const found = staged ?? (await readStaged(location));
    if (!found || found.format !== layout.format) {
      throw new ChunkwiseError("NotFoundError", `no unfinished ${layout.format} output to attach to`, { path: location });
    }
    return new ZarrWriter(location, layout, found);
  }

  /** Warnings about codecs that could not be kept, per array, in creation order. */
  get warnings(): string[] {
    return [...this.arrays.values()].flatMap((array) => array.warnings);
  }

  /** Specs of the staged arrays (as staged, JSON-safe). */
  get arraySpecs(): ArraySpec[] {
    return [...this.arrays.values()].map((array) => array.spec);
  }

  async createGroup(group: GroupDescription): Promise<void> {
    nodeSegments(group.path);
    this.groups = [...this.groups.filter((g) => g.path !== group.path), { path: group.path, attributes: group.attributes }];
    await this.saveStaged();
  }

  async createArray(spec: ArraySpec): Promise<void> {
    const staged = stageArray(spec, this.format);
    nodeDirectory(this.root, spec.path);
    // Keep the spec as it is staged, so this writer finalizes exactly as an attached one would.
    this.arrays.set(spec.path, prepareArray({ ...staged, spec: jsonSafeSpec(spec) }));
    await this.saveStaged();
  }

  async writeUnit(arrayPath: string, unitCoords: readonly number[], block: Block): Promise<void> {
    const array = this.arrays.get(arrayPath);
    if (!array) throw new ChunkwiseError("UsageError", `no array "${arrayPath}" was created in this output`, { path: this.location });
    const values = checkUnit(array, unitCoords, block);
    const origin = unitCoords.map(() => 0);
    const bytes = array.spec.shards
      ? await encodeShard(values, block.shape, array.spec.shards, array.encoding, array.fill, array.allFill)
      : await encodeChunk(values, block.shape, origin, array.encoding, array.fill);
    const file = path.join(nodeDirectory(this.root, arrayPath), ...this.layout.unitKey(unitCoords));
    if (bytes) await writeChunkFile(file, bytes);
    else await rm(file, { force: true }).catch((err: unknown) => Promise.reject(fromSystemError(err, file)));
  }

  /**
   * Remove temporary files killed writers left, write every node's final metadata, deepest nodes
   * first and the root last, then drop the staged description. Safe to run again after an
   * interruption. Call it once every unit is written and no other writer is running.
   */
  async finalize(): Promise<void> {
    const nodes: { path: string; documents: { name: string; content: unknown }[] }[] = [
      ...[...this.arrays.values()].map((array) => ({ path: array.spec.path, documents: this.layout.arrayDocuments(array) })),
      ...this.groupsWithAncestors().map((group) => ({ path: group.path, documents: this.layout.groupDocuments(group) })),
    ];
    const depth = (p: string): number => nodeSegments(p).length;
    nodes.sort((a, b) => depth(b.path) - depth(a.path) || a.path.localeCompare(b.path));
    for (const array of this.arrays.values()) await sweepTemporaryFiles(nodeDirectory(this.root, array.spec.path));
    for (const node of nodes) {
      const dir = nodeDirectory(this.root, node.path);
      for (const document of node.documents) await writeFileAtomic(path.join(dir, document.name), jsonText(document.content));
    }
    const stagingDir = stagingDirectory(this.location, this.format);
    await rm(path.join(stagingDir, STAGED_FILE), { force: true }).catch((err: unknown) => {
      throw fromSystemError(err, stagingDir);
    });
    await rmdir(stagingDir).catch(() => undefined);
  }

  /** The staged groups plus every ancestor of a node that was not staged (as an empty group), so readers can walk down from the root. */
  private groupsWithAncestors(): GroupDescription[] {
    const groups = new Map(this.groups.filter((group) => !this.arrays.has(group.path)).map((group) => [group.path, group]));
    for (const node of [...this.arrays.keys(), ...groups.keys()]) {
      const segments = nodeSegments(node);
      for (let depth = 0; depth < segments.length; depth++) {
        const ancestor = `/${segments.slice(0, depth).join("/")}`;
        if (!groups.has(ancestor) && !this.arrays.has(ancestor)) groups.set(ancestor, { path: ancestor, attributes: {} });
      }
    }
    return [...groups.values()];
  }

  async close(): Promise<void> {
    this.arrays.clear();
  }

  private async saveStaged(): Promise<void> {
    await writeStaged(this.location, { format: this.format, groups: this.groups, arrays: [...this.arrays.values()].map(({ spec, compressor, warnings }) => ({ spec, compressor, warnings })) });
  }
}
