/**
 * Opening an output for writing. For the rechunk executor:
 *
 * - `createWriter(DST, format, {overwrite})` in the main thread starts a new output (refuses an
 *   existing DST unless overwrite), then createGroup()/createArray() for every node — these stage
 *   metadata (and check codecs/dtypes, throwing UnsupportedError before any data is written).
 * - Worker threads and other processes (partitions) call `attachWriter(DST)` and write disjoint
 *   units in parallel with writeUnit(); each unit is encoded in the calling thread and written
 *   atomically (temporary file + rename), so rewriting a unit is idempotent and a kill never
 *   leaves a torn chunk or shard. HDF5 units are staged as chunk files until finalize() writes
 *   the file.
 * - `--resume`: `attachWriter(DST)` in the main thread, then write the units the journal lacks and
 *   finalize(). `stagingDirectory(DST, format)` is where chunkwise keeps its bookkeeping (a good
 *   home for the journal): inside DST for Zarr, `DST.chunkwise/` for HDF5.
 * - finalize() (main thread, once all units are written) writes the final metadata last; until then
 *   DST is not a store/file any reader opens as complete (`unfinishedOutput(DST)` says why).
 * - Writers expose `warnings` (codec choices the user should see: a source codec that could not
 *   be kept) and `arraySpecs` (what was staged).
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import { ChunkwiseError } from "../../errors.js";
import type { ArraySpec, DatasetWriter, OutputFormat } from "../writer.js";
import { Hdf5Writer } from "./hdf5.js";
import { readStaged, stagingDirectory } from "./staging.js";
import { zarrV2Layout } from "./zarr-v2.js";
import { zarrV3Layout } from "./zarr-v3.js";
import { ZarrWriter } from "./zarr-writer.js";

export { decideCompressor } from "./compressor.js";
export { partialHdf5Path, stagingDirectory } from "./staging.js";

export interface WriterOptions {
  /** Replace an existing DST (Zarr: removed now; HDF5: replaced by finalize()). */
  readonly overwrite?: boolean;
}

/** A DatasetWriter plus what the executor and the command report. */
export interface OutputWriter extends DatasetWriter {
  readonly warnings: readonly string[];
  readonly arraySpecs: readonly ArraySpec[];
}

export async function createWriter(location: string, format: OutputFormat, options: WriterOptions = {}): Promise<OutputWriter> {
  switch (format) {
    case "zarr2":
      return ZarrWriter.create(location, zarrV2Layout, options);
    case "zarr3":
      return ZarrWriter.create(location, zarrV3Layout, options);
    case "hdf5":
      return Hdf5Writer.create(location, options);
  }
}

/** A writer on an output createWriter() started and finalize() has not finished, read from its staged metadata. */
export async function attachWriter(location: string): Promise<OutputWriter> {
  const staged = await readStaged(location);
  if (!staged) {
    throw new ChunkwiseError("NotFoundError", "is not an unfinished chunkwise output (no staged metadata): nothing to attach to or resume", { path: location });
  }
  switch (staged.format) {
    case "zarr2":
      return ZarrWriter.attach(location, zarrV2Layout, staged);
    case "zarr3":
      return ZarrWriter.attach(location, zarrV3Layout, staged);
    case "hdf5":
      return Hdf5Writer.attach(location, staged);
  }
}

/**
 * Null when `location` is not an unfinished chunkwise output; else a one-line reason a reader can
 * show ("an unfinished chunkwise zarr3 output: finish it with chunkwise rechunk --resume").
 */
export async function unfinishedOutput(location: string): Promise<string | null> {
  const resolved = path.resolve(location);
  const staged = await readStaged(resolved).catch(() => null);
  if (!staged) return null;
  const stagingDir = stagingDirectory(resolved, staged.format);
  if (!(await stat(stagingDir).catch(() => null))) return null;
  return `an unfinished chunkwise ${staged.format} output (interrupted before its metadata was written): finish it with chunkwise rechunk --resume, or remove it`;
}
