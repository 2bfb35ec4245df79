/**
 * Where rechunk output goes: the output format, and the state directory chunkwise keeps next to
 * (Zarr: inside) the output. Creating and attaching writers is the writer layer's
 * (src/formats/write/open-writer.ts).
 */
import path from "node:path";
import type { DatasetFormat } from "../formats/dataset.js";
import { stagingDirectory } from "../formats/write/open-writer.js";
import type { OutputFormat } from "../formats/writer.js";

const HDF5_EXTENSIONS = new Set([".h5", ".hdf5", ".hdf", ".he5", ".nc", ".nc4", ".netcdf"]);

/** --format, else the destination's extension (.h5/.nc → hdf5, .zarr from HDF5 → zarr3), else the source's own family. */
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
