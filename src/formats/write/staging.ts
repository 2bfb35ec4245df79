/**
 * The staged description of an output being written: its format, groups and arrays (specs with
 * the decided compressors), kept in a JSON file so that other threads and processes can attach to
 * the same output, and so that an interrupted job can be resumed and finalized identically.
 *
 * Zarr: `DST/.chunkwise/writer.json` (a dot-directory no Zarr reader lists).
 * HDF5: `DST.chunkwise/writer.json`, next to the staged chunks and `DST.chunkwise/partial.h5`,
 * the file finalize() writes and renames to DST.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { ChunkwiseError, fromSystemError } from "../../errors.js";
import type { GroupDescription } from "../dataset.js";
import type { ArraySpec, OutputFormat } from "../writer.js";
import { toJsonSafeRecord } from "./json-safe.js";
import type { StagedArray } from "./prepared-array.js";
import { jsonText, STAGING_DIR, writeFileAtomic } from "./store-files.js";

export const STAGED_FILE = "writer.json";
const VERSION = 1;

export interface StagedOutput {
  readonly format: OutputFormat;
  readonly groups: readonly GroupDescription[];
  readonly arrays: readonly StagedArray[];
}

/**
 * The directory where chunkwise keeps its bookkeeping for an output (staged metadata here; the
 * rechunk journal may live here too): inside the store for Zarr, a sibling directory for HDF5.
 */
export function stagingDirectory(location: string, format: OutputFormat): string {
  const resolved = path.resolve(location);
  return format === "hdf5" ? `${resolved}${STAGING_DIR}` : path.join(resolved, STAGING_DIR);
}

/** The HDF5 file being written, before finalize() renames it to the destination. */
export function partialHdf5Path(location: string): string {
  return path.join(stagingDirectory(location, "hdf5"), "partial.h5");
}

export async function writeStaged(location: string, output: StagedOutput): Promise<void> {
  const document = {
    chunkwise_writer: VERSION,
    format: output.format,
    groups: output.groups.map((group) => ({ path: group.path, attributes: toJsonSafeRecord(group.attributes) })),
    arrays: output.arrays.map((array) => ({ ...array, spec: jsonSafeSpec(array.spec) })),
  };
  await writeFileAtomic(path.join(stagingDirectory(location, output.format), STAGED_FILE), jsonText(document));
}

/** The spec as it will be read back: attributes and codec configurations JSON-safe. */
export function jsonSafeSpec(spec: ArraySpec): ArraySpec {
  return {
    ...spec,
    attributes: toJsonSafeRecord(spec.attributes),
    sourceCodecs: spec.sourceCodecs.map((codec) => ({ ...codec, configuration: toJsonSafeRecord(codec.configuration) })),
  };
}

/** Read the staged output of `location`, trying the Zarr place first, then the HDF5 one. Null when there is none. */
export async function readStaged(location: string): Promise<StagedOutput | null> {
  for (const format of ["zarr2", "hdf5"] as const) {
    const file = path.join(stagingDirectory(location, format), STAGED_FILE);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") continue;
      throw fromSystemError(err, file);
    }
    let document: { chunkwise_writer?: unknown; format?: unknown; groups?: unknown; arrays?: unknown };
    try {
      document = JSON.parse(text) as typeof document;
    } catch (err) {
      throw new ChunkwiseError("MetadataError", `staged output description is not valid JSON: ${(err as Error).message}`, { path: file, cause: err });
    }
    if (document.chunkwise_writer !== VERSION || !["zarr2", "zarr3", "hdf5"].includes(document.format as string) || !Array.isArray(document.groups) || !Array.isArray(document.arrays)) {
      throw new ChunkwiseError("MetadataError", "staged output description is not one this chunkwise writes", { path: file });
    }
    return { format: document.format as OutputFormat, groups: document.groups as GroupDescription[], arrays: document.arrays as StagedArray[] };
  }
  return null;
}
