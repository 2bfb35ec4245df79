/**
 * Where rechunk output goes: picking the output format, creating a writer for a new output and
 * attaching one (in a worker thread, or on --resume) to an output being written.
 */
import path from "node:path";
import { ChunkwiseError } from "../errors.js";
import type { DatasetFormat } from "../formats/dataset.js";
import { readStaged, stagingDirectory } from "../formats/write/staging.js";
import { ZarrWriter } from "../formats/write/zarr-writer.js";
import { zarrV2Layout } from "../formats/write/zarr-v2.js";
import { zarrV3Layout } from "../formats/write/zarr-v3.js";
import type { DatasetWriter, OutputFormat } from "../formats/writer.js";

const HDF5_EXTENSIONS = new Set([".h5", ".hdf5", ".hdf", ".he5", ".nc", ".nc4", ".netcdf"]);

/** --format, else the destination's extension (.h5/.nc → hdf5), else the source's own family (HDF5/netCDF4 → hdf5). */
export function chooseOutputFormat(requested: OutputFormat | undefined, destination: string, sourceFormat: DatasetFormat): OutputFormat {
  if (requested !== undefined) return requested;
  const ext = path.extname(destination).toLowerCase();
  if (HDF5_EXTENSIONS.has(ext)) return "hdf5";
  if (ext === ".zarr" && (sourceFormat === "hdf5" || sourceFormat === "netcdf4")) return "zarr3";
  if (sourceFormat === "zarr2" || sourceFormat === "zarr3") return sourceFormat;
  return "hdf5";
}

/** The directory chunkwise keeps an output's bookkeeping in (staged metadata, journal, scratch). */
export function stateDirectory(location: string, format: OutputFormat): string {
  return stagingDirectory(location, format);
}

function unsupportedHdf5(): never {
  throw new ChunkwiseError("UnsupportedError", "HDF5 output is not available in this build: the HDF5 writer is not part of it yet; write Zarr (--format zarr2 or zarr3)");
}

export async function createOutput(location: string, format: OutputFormat, options: { overwrite: boolean }): Promise<DatasetWriter> {
  switch (format) {
    case "zarr2":
      return ZarrWriter.create(location, zarrV2Layout, options);
    case "zarr3":
      return ZarrWriter.create(location, zarrV3Layout, options);
    case "hdf5":
      return unsupportedHdf5();
  }
}

/** Attach to an output another writer created and has not finalized. */
export async function attachOutput(location: string): Promise<DatasetWriter> {
  const staged = await readStaged(location);
  if (staged === null) throw new ChunkwiseError("NotFoundError", "no unfinished chunkwise output here", { path: location });
  switch (staged.format) {
    case "zarr2":
      return ZarrWriter.attach(location, zarrV2Layout, staged);
    case "zarr3":
      return ZarrWriter.attach(location, zarrV3Layout, staged);
    case "hdf5":
      return unsupportedHdf5();
  }
}

/** Whether an unfinished (staged, not finalized) output is at `location`. */
export async function hasStagedOutput(location: string): Promise<boolean> {
  return (await readStaged(location)) !== null;
}
