/** The HDF5 and netCDF-4 files hdf5-direct-read.py writes, for the direct chunk read tests; null without Debian's python3, h5py and netCDF4. */
import { execFileSync, spawnSync } from "node:child_process";
import path from "node:path";

export interface DirectFile {
  /** Datasets the direct reader must take. */
  readonly direct: string[];
  /** Datasets it must leave to h5wasm. */
  readonly h5wasm: string[];
  /** Where some datasets' chunks are stored, as h5py's get_chunk_info reports them. */
  readonly chunks?: Record<string, { offset: number[]; address: number; size: number; mask: number }[]>;
  /** Object header addresses of some datasets. */
  readonly addresses?: Record<string, number>;
}

export type DirectFiles = Record<"early" | "latest" | "dense" | "nc", DirectFile>;

export const hasPythonHdf5 = spawnSync("/usr/bin/python3", ["-c", "import h5py, netCDF4"]).status === 0;

export function writeDirectFiles(dir: string): DirectFiles {
  const manifest = execFileSync("/usr/bin/python3", [path.join(import.meta.dirname, "hdf5-direct-read.py"), dir], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  return JSON.parse(manifest) as DirectFiles;
}

export const fileOf = (dir: string, name: keyof DirectFiles): string => path.join(dir, name === "nc" ? "nc.nc" : `${name}.h5`);
