/** Shared by the rechunk end-to-end tests: generated sources, comparisons, file trees. */
import { spawnSync } from "node:child_process";
import { registerChunkwiseCodecs } from "../../src/formats/codecs/index.js";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import FileSystemStore from "@zarrita/storage/fs";
import * as zarr from "zarrita";
import { expect } from "vitest";
import { openDataset } from "../../src/formats/open.js";
import { firstDifference } from "../../src/rechunk/copy.js";

/**
 * A Zarr v3 store written by zarrita (not by chunkwise), uncompressed float32 (time, y, x) in map
 * chunks (1, y, x), values a function of the position so any misplacement shows.
 */
export async function writeMapChunkedV3(dir: string, shape: [number, number, number], compressor: { name: string; configuration: Record<string, unknown> } | null = null): Promise<void> {
  // chunkwise's codecs: zarrita's own gzip cannot encode.
  registerChunkwiseCodecs();
  const store = new FileSystemStore(dir);
  const root = await zarr.create(store, { attributes: { title: "generated" } });
  const [t, y, x] = shape;
  const arr = await zarr.create(root.resolve("data"), {
    shape: [...shape],
    chunkShape: [1, y, x],
    dtype: "float32",
    fillValue: 0,
    dimensionNames: ["time", "y", "x"],
    codecs: [{ name: "bytes", configuration: { endian: "little" } }, ...(compressor === null ? [] : [compressor])],
    attributes: { units: "K" },
  });
  const plane = new Float32Array(y * x);
  for (let i = 0; i < t; i++) {
    for (let j = 0; j < y * x; j++) plane[j] = i * 1000 + (j % 997) + j / (y * x);
    await zarr.set(arr, [i, null, null], { data: plane, shape: [y, x], stride: [x, 1] });
  }
}

/** Every array of `source` is in `output` with the same shape, dtype, fill value, dimension names and values. */
export async function expectSameData(source: string, output: string, options: { fillValue?: boolean } = {}): Promise<void> {
  const src = await openDataset(source);
  const dst = await openDataset(output);
  try {
    const arrays = await src.listArrays();
    const outArrays = await dst.listArrays();
    expect(outArrays.map((a) => a.path)).toEqual(arrays.map((a) => a.path));
    for (const a of arrays) {
      const b = await dst.describe(a.path);
      expect(b.shape, a.path).toEqual(a.shape);
      expect(b.dtype.name, a.path).toEqual(a.dtype.name);
      if (options.fillValue ?? true) expect(b.fillValue, a.path).toEqual(a.fillValue);
      expect(b.dimensionNames, a.path).toEqual(a.dimensionNames);
      const start = a.shape.map(() => 0);
      const [x, y] = await Promise.all([src.readRegion(a.path, start, a.shape), dst.readRegion(a.path, start, a.shape)]);
      expect(firstDifference(x.values, y.values), `${a.path} values`).toBe(-1);
    }
  } finally {
    await src.close();
    await dst.close();
  }
}

/** Relative path → bytes of every file under `dir`. */
export async function fileTree(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const walk = async (sub: string): Promise<void> => {
    for (const entry of await readdir(path.join(dir, sub), { withFileTypes: true })) {
      const rel = path.join(sub, entry.name);
      if (entry.isDirectory()) await walk(rel);
      else out.set(rel, await readFile(path.join(dir, rel)));
    }
  };
  await walk("");
  return out;
}

export async function expectSameTree(a: string, b: string): Promise<void> {
  const [x, y] = await Promise.all([fileTree(a), fileTree(b)]);
  expect([...y.keys()].sort()).toEqual([...x.keys()].sort());
  for (const [name, bytes] of x) expect(y.get(name)!.equals(bytes), name).toBe(true);
}

/** Debian's python3 (with python3-zarr, python3-h5py), not whatever python3 is first on PATH. */
export const DEBIAN_PYTHON = "/usr/bin/python3";

export function python(code: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(DEBIAN_PYTHON, ["-c", code], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
