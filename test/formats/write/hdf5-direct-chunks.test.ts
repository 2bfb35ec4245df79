/**
 * HDF5 chunks written without the HDF5 library (staged by writeUnit, appended with a hand-built
 * v1 B-tree by finalize): every array read back value for value by h5py, netCDF-C (through
 * netCDF4-python) and chunkwise's own reader; B-trees of one leaf, two and three levels; edge
 * chunks on every axis; shuffle + deflate, deflate alone, no filter; damaged staged chunks.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, rm, truncate, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { NumericArray } from "../../../src/formats/dataset.js";
import { openDataset } from "../../../src/formats/open.js";
import { stagedChunkPath } from "../../../src/formats/write/hdf5-staged-chunks.js";
import { createWriter, partialHdf5Path } from "../../../src/formats/write/open-writer.js";
import type { ArraySpec } from "../../../src/formats/writer.js";
import { dtype, python, spec, tempDir, units, writeAll } from "./helpers.js";

const SHUFFLE_DEFLATE = [
  { name: "shuffle", id: 2, configuration: {}, supported: true },
  { name: "deflate", id: 1, configuration: { cd_values: [4] }, supported: true },
];

/** Values that differ chunk to chunk and element to element (a B-tree pointing at the wrong chunk shows). */
function values(name: string, length: number): NumericArray {
  const out = new (({ int16: Int16Array, int32: Int32Array, uint8: Uint8Array, float32: Float32Array, float64: Float64Array }) as Record<string, new (n: number) => NumericArray>)[name]!(length);
  for (let i = 0; i < length; i++) (out as Float64Array)[i] = name.startsWith("float") ? Math.sin(i) * 1000 + i / 8 : (i * 7919) % (name === "uint8" ? 256 : 30000);
  return out;
}

const hex = (v: NumericArray): string => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("hex");

const READ_BACK = `
import sys, json, h5py, netCDF4, numpy as np
out = {}
with h5py.File(sys.argv[1], "r") as f:
    for name in sys.argv[2:]:
        d = f[name]
        out[name] = {"h5py": np.ascontiguousarray(d[...]).tobytes().hex(), "chunks": list(d.chunks), "filters": sorted(d._filters.keys())}
nc = netCDF4.Dataset(sys.argv[1])
nc.set_auto_mask(False)
for name in sys.argv[2:]:
    v = nc.variables[name.lstrip("/")]
    out[name]["netcdf4"] = np.ascontiguousarray(v[...]).tobytes().hex()
    out[name]["nc_chunking"] = v.chunking()
nc.close()
print(json.dumps(out))
`;

interface Case {
  readonly spec: ArraySpec;
  readonly filters: string[];
}

describe("HDF5 direct chunk write", () => {
  it("1-D to 4-D, edge chunks, 64, 65, 101 and 4620 chunks (B-trees of one to three levels), every filter choice: h5py, netCDF4 and chunkwise read the same values", async () => {
    const dst = path.join(tempDir("h5direct"), "out.nc");
    const cases: Case[] = [
      { spec: spec({ path: "/one", shape: [10001], chunks: [100], dtype: dtype("int16"), dimensionNames: ["n1"], sourceCodecs: SHUFFLE_DEFLATE }), filters: ["gzip", "shuffle"] },
      { spec: spec({ path: "/exact64", shape: [64], chunks: [1], dtype: dtype("float32"), dimensionNames: ["n64"], sourceCodecs: SHUFFLE_DEFLATE }), filters: ["gzip", "shuffle"] },
      { spec: spec({ path: "/i32", shape: [65, 3], chunks: [1, 3], dtype: dtype("int32"), dimensionNames: ["a65", "b3"], sourceCodecs: SHUFFLE_DEFLATE }), filters: ["gzip", "shuffle"] },
      { spec: spec({ path: "/many", shape: [131, 70], chunks: [2, 1], dtype: dtype("float32"), dimensionNames: ["y131", "x70"], compressor: { name: "gzip", level: 1 } }), filters: ["gzip"] },
      { spec: spec({ path: "/cube", shape: [5, 7, 9], chunks: [2, 3, 4], dtype: dtype("uint8"), dimensionNames: ["c5", "c7", "c9"], compressor: { name: "none" } }), filters: [] },
      {
        spec: spec({ path: "/four", shape: [3, 4, 5, 6], chunks: [2, 3, 2, 5], dtype: dtype("float64"), dimensionNames: ["f3", "f4", "f5", "f6"], fillValue: -9999, fillValueMarksMissing: true, sourceCodecs: SHUFFLE_DEFLATE }),
        filters: ["gzip", "shuffle"],
      },
    ];
    const writer = await createWriter(dst, "hdf5");
    const expected = new Map<string, NumericArray>();
    for (const { spec: array } of cases) {
      await writer.createArray(array);
      const data = values(array.dtype.name, array.shape.reduce((a, b) => a * b, 1));
      expected.set(array.path, data);
      await writeAll(writer, array, data);
    }
    await writer.finalize();
    expect(existsSync(`${dst}.chunkwise`)).toBe(false);

    const py = python(READ_BACK, dst, ...cases.map((c) => c.spec.path)) as Record<string, { h5py: string; netcdf4: string; chunks: number[]; filters: string[]; nc_chunking: number[] }>;
    const dataset = await openDataset(dst);
    for (const { spec: array, filters } of cases) {
      const want = hex(expected.get(array.path)!);
      const got = py[array.path]!;
      expect(got.h5py, `${array.path} by h5py`).toBe(want);
      expect(got.netcdf4, `${array.path} by netCDF4`).toBe(want);
      expect(got.chunks).toEqual(array.chunks);
      expect(got.nc_chunking).toEqual(array.chunks);
      expect(got.filters, array.path).toEqual(filters);
      expect(hex((await dataset.readRegion(array.path, array.shape.map(() => 0), array.shape)).values as NumericArray), `${array.path} by chunkwise`).toBe(want);
      // chunkwise's chunk-index reader walks the B-tree: every chunk of the grid is there.
      const description = await dataset.describe(array.path);
      expect(description.storage.writtenObjects).toBe(array.shape.reduce((n, extent, axis) => n * Math.ceil(extent / array.chunks[axis]!), 1));
    }
    expect((await dataset.describe("/four")).fillValue).toBe(-9999);
    await dataset.close();

    const h5dump = execFileSync("h5dump", ["-p", "-H", "-d", "/one", dst], { encoding: "utf8" });
    expect(h5dump).toMatch(/CHUNKED \( 100 \)/);
    expect(h5dump).toMatch(/SHUFFLE/);
    expect(h5dump).toMatch(/DEFLATE \{ LEVEL 4 \}/);
    // h5dump reads (and checks) every value too.
    expect(() => execFileSync("h5dump", ["-d", "/many", dst], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })).not.toThrow();
  }, 120_000);

  it("a truncated, damaged or missing staged chunk stops finalize with an error naming it, and no DST appears", async () => {
    const dst = path.join(tempDir("h5direct"), "bad.h5");
    const writer = await createWriter(dst, "hdf5");
    const array = spec({ path: "/v", shape: [10, 10], chunks: [3, 3], dtype: dtype("float32"), sourceCodecs: SHUFFLE_DEFLATE });
    await writer.createArray(array);
    const data = values("float32", 100);
    await writeAll(writer, array, data);
    const unit = [...units(array.shape, array.chunks, data)][5]!;
    const file = stagedChunkPath(dst, "/v", unit[0]);

    const bytes = await readFile(file);
    await truncate(file, bytes.length - 3);
    await expect(writer.finalize()).rejects.toThrow(/staged HDF5 chunk is truncated/);
    await expect(writer.finalize()).rejects.toMatchObject({ path: file });
    expect(existsSync(dst)).toBe(false);
    expect(existsSync(partialHdf5Path(dst))).toBe(false);

    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 1]! ^= 0xff;
    await writeFile(file, flipped);
    await expect(writer.finalize()).rejects.toThrow(/staged HDF5 chunk is damaged \(checksum mismatch\)/);

    await rm(file);
    await expect(writer.finalize()).rejects.toThrow(/staged HDF5 chunk is missing/);
    expect(existsSync(dst)).toBe(false);

    // Writing the unit again (as --resume would) repairs it.
    await writer.writeUnit("/v", ...unit);
    await writer.finalize();
    const dataset = await openDataset(dst);
    expect(hex((await dataset.readRegion("/v", [0, 0], [10, 10])).values as NumericArray)).toBe(hex(data));
    await dataset.close();
  });
});
