import { open as openFile, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { openFileLimit } from "../system/files.js";
import { ChunkwiseError, fromSystemError } from "../errors.js";
import type { Dataset, DatasetReader } from "./dataset.js";
import { openHdf5, type OpenHdf5Options } from "./hdf5.js";
import { openHdf5Reader } from "./hdf5-reader.js";
import { isRemoteLocation, resolveLocation } from "./remote/location.js";
import { openZarrDirectory, openZarrHttp, openZarrZip } from "./zarr.js";

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
const ZIP_SIGNATURE = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const ZIP_EMPTY_SIGNATURE = Buffer.from([0x50, 0x4b, 0x05, 0x06]);

/** What a file's first bytes say it is. HDF5 may sit behind a user block of 512·2^k bytes. */
export type FileKind = "hdf5" | "zip" | "netcdf3" | "unknown";

export async function sniffFile(filePath: string): Promise<FileKind> {
  let handle;
  try {
    handle = await openFile(filePath, "r");
    const head = Buffer.alloc(8);
    const { bytesRead } = await handle.read(head, 0, 8, 0);
    if (bytesRead >= 4 && head.subarray(0, 3).toString("latin1") === "CDF" && [1, 2, 5].includes(head[3]!)) {
      return "netcdf3";
    }
    if (bytesRead >= 4 && (head.subarray(0, 4).equals(ZIP_SIGNATURE) || head.subarray(0, 4).equals(ZIP_EMPTY_SIGNATURE))) {
      return "zip";
    }
    const { size } = await handle.stat();
    for (let offset = 0; offset + 8 <= size; offset = offset === 0 ? 512 : offset * 2) {
      const { bytesRead: n } = await handle.read(head, 0, 8, offset);
      if (n === 8 && head.equals(HDF5_SIGNATURE)) return "hdf5";
    }
    return "unknown";
  } catch (err) {
    throw fromSystemError(err, filePath);
  } finally {
    await handle?.close();
  }
}

/**
 * Open whatever the user pointed at, by content, not by extension: a Zarr v2/v3 store directory
 * (or one array inside a store), a zipped Zarr store, an HDF5 or netCDF4 file. A path that goes
 * past an HDF5 file into it (`file.h5/group/var`) opens the file restricted to that object.
 * An http://, https:// or s3:// location is a remote Zarr store (docs/remote.md); since HTTP
 * cannot list directories, `arrayPaths` name the arrays of a store without consolidated metadata.
 */
export function openDataset(location: string, options: { arrayPaths?: readonly string[] } = {}): Promise<Dataset> {
  return openLocation(location, options, openHdf5);
}

/**
 * The values of whatever openDataset would open, for a worker thread: an HDF5 file is read without
 * h5wasm where the direct chunk reader can (see hdf5-reader.ts).
 */
export function openDatasetReader(location: string): Promise<DatasetReader> {
  return openLocation<DatasetReader>(location, { keepPartFilesOpen: partFilesPerReader() }, openHdf5Reader);
}

/**
 * Chunk files a worker's Zarr reader keeps open between partial reads: together, the readers of
 * one per core hold at most a quarter of the process's open-file limit; at most 1024 each.
 */
function partFilesPerReader(): number {
  return Math.min(1024, Math.floor(openFileLimit() / 4 / os.availableParallelism()));
}

type Hdf5Opener<T> = (file: string, options?: OpenHdf5Options) => Promise<T>;

async function openLocation<T extends DatasetReader>(location: string, options: { arrayPaths?: readonly string[]; keepPartFilesOpen?: number }, hdf5: Hdf5Opener<T>): Promise<Dataset | T> {
  if (isRemoteLocation(location)) return openZarrHttp(resolveLocation(location), options);
  const resolved = path.resolve(location);
  const info = await stat(resolved).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR") return null;
    throw fromSystemError(err, location);
  });
  if (info === null) return openInsideFile(location, resolved, hdf5);
  if (info.isDirectory()) return openZarrDirectory(location, options);
  if (!info.isFile()) throw new ChunkwiseError("NotADatasetError", "not a regular file or directory", { path: location });
  const kind = await sniffFile(resolved);
  switch (kind) {
    case "hdf5":
      return hdf5(location);
    case "zip":
      return openZarrZip(location);
    case "netcdf3":
      throw new ChunkwiseError(
        "NetCDF3Error",
        "is a netCDF-3 classic file, which has no chunks; convert it to netCDF-4 first: nccopy -k nc4 IN OUT",
        { path: location },
      );
    default:
      throw new ChunkwiseError(
        "NotADatasetError",
        "is neither an HDF5/netCDF4 file nor a zipped Zarr store (no HDF5 or zip signature)",
        { path: location },
      );
  }
}

/** `file.h5/group/var`: walk up to the first existing ancestor; open it if it is an HDF5 file. */
async function openInsideFile<T>(location: string, resolved: string, hdf5: Hdf5Opener<T>): Promise<T> {
  let dir = path.dirname(resolved);
  while (dir !== path.dirname(dir)) {
    const info = await stat(dir).catch(() => null);
    if (info?.isFile() && (await sniffFile(dir)) === "hdf5") {
      const inner = `/${path.relative(dir, resolved).split(path.sep).join("/")}`;
      return hdf5(dir, { root: inner, location });
    }
    if (info) break;
    dir = path.dirname(dir);
  }
  throw new ChunkwiseError("NotFoundError", "no such file or directory", { path: location });
}
