import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openDataset } from "../../../src/formats/open.js";
import { attachWriter, createWriter, partialHdf5Path } from "../../../src/formats/write/open-writer.js";
import { fillValueMarksMissing } from "../../../src/formats/writer.js";
import { dtype, plain, python, sampleValues, spec, tempDir, units, writeAll } from "./helpers.js";

const READ_WITH_H5PY = `
import sys, json, h5py, numpy as np
def conv(v):
    if isinstance(v, bytes): return v.decode()
    if isinstance(v, np.ndarray): return [conv(x) for x in v.tolist()]
    if isinstance(v, (np.floating, float)): return "NaN" if np.isnan(v) else float(v)
    if isinstance(v, np.integer): return int(v)
    return v
out = {}
with h5py.File(sys.argv[1], "r") as f:
    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            v = obj[...]
            flat = ["NaN" if v.dtype.kind == "f" and np.isnan(x) else (str(int(x)) if v.dtype.kind in "iu" and v.dtype.itemsize == 8 else x.item()) for x in v.ravel()]
            out["/" + name] = {"dtype": v.dtype.str, "shape": list(obj.shape), "chunks": obj.chunks and list(obj.chunks), "compression": obj.compression, "shuffle": obj.shuffle,
                               "values": flat, "attrs": {k: conv(a) for k, a in obj.attrs.items() if k not in ("DIMENSION_LIST", "REFERENCE_LIST", "CLASS", "NAME")},
                               "dims": [list(dim.keys()) for dim in obj.dims], "is_scale": h5py.h5ds.is_scale(obj.id)}
    f.visititems(visit)
    out["attrs"] = {k: conv(a) for k, a in f.attrs.items()}
print(json.dumps(out))
`;

type H5Out = Record<string, { dtype: string; shape: number[]; chunks: number[] | null; compression: string | null; shuffle: boolean; values: unknown[]; attrs: Record<string, unknown>; dims: string[][]; is_scale: boolean }> & { attrs: Record<string, unknown> };

const DTYPES = ["bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64"];

describe("HDF5 writer", () => {
  it("writes every dtype chunked with shuffle + deflate (big-endian source included), read back by h5py and chunkwise", async () => {
    const dst = path.join(tempDir("h5"), "out.h5");
    const writer = await createWriter(dst, "hdf5");
    const shape = [7, 5];
    const expected: Record<string, unknown[]> = {};
    for (const name of DTYPES) {
      const values = sampleValues(name, 35);
      expected[`/${name}`] = plain(values);
      const array = spec({ path: `/${name}`, shape, chunks: [3, 2], dtype: dtype(name, "big"), fillValue: 0, sourceCodecs: [{ name: "shuffle", id: 2, configuration: {}, supported: true }, { name: "deflate", id: 1, configuration: { cd_values: [4] }, supported: true }] });
      await writer.createArray(array);
      await writeAll(writer, array, values);
    }
    expect(writer.warnings).toEqual([]);
    expect(existsSync(dst)).toBe(false);
    await writer.finalize();
    expect(existsSync(partialHdf5Path(dst))).toBe(false);

    const py = python(READ_WITH_H5PY, dst) as H5Out;
    for (const name of DTYPES) {
      const got = py[`/${name}`]!;
      expect(got.shape).toEqual(shape);
      expect(got.chunks).toEqual([3, 2]);
      expect(got.compression).toBe("gzip");
      // The shuffle filter only for multi-byte types (it would leave one-byte data as it is).
      expect(got.shuffle, name).toBe(dtype(name).itemSize > 1);
      expect(got.values, name).toEqual(name === "bool" ? expected[`/${name}`] : expected[`/${name}`]);
    }
    const dataset = await openDataset(dst);
    for (const name of DTYPES) {
      const region = await dataset.readRegion(`/${name}`, [0, 0], shape);
      expect(plain(region.values as ArrayLike<unknown>), name).toEqual(expected[`/${name}`]);
    }
    await dataset.close();
  });

  it("keeps dimension names as netCDF-4 dimension scales, attributes and groups; ncdump reads it as netCDF-4", async () => {
    const dst = path.join(tempDir("h5"), "out.nc");
    const writer = await createWriter(dst, "hdf5");
    await writer.createGroup({ path: "/", attributes: { title: "rechunked", Conventions: "CF-1.8" } });
    const lat = spec({ path: "/lat", shape: [4], chunks: [4], dtype: dtype("float32"), dimensionNames: ["lat"], attributes: { units: "degrees_north" } });
    const tas = spec({ path: "/tas", shape: [6, 4, 3], chunks: [6, 2, 2], dtype: dtype("float32"), fillValue: "NaN", dimensionNames: ["time", "lat", "lon"], attributes: { _FillValue: "NaN", units: "K", valid_range: [-100, 400], scale: 1.5 } });
    await writer.createGroup({ path: "/station", attributes: {} });
    const pr = spec({ path: "/station/pr", shape: [6], chunks: [4], dtype: dtype("float64"), dimensionNames: ["time"], compressor: { name: "none" } });
    const tasValues = sampleValues("float32", 72);
    tasValues[5] = Number.NaN;
    for (const [array, values] of [[lat, sampleValues("float32", 4)], [tas, tasValues], [pr, sampleValues("float64", 6)]] as const) {
      await writer.createArray(array);
      await writeAll(writer, array, values);
    }
    await writer.finalize();

    const py = python(READ_WITH_H5PY, dst) as H5Out;
    expect(py.attrs).toEqual({ title: "rechunked", Conventions: "CF-1.8" });
    expect(py["/tas"]!.dims).toEqual([["This is a netCDF dimension but not a netCDF variable.         6"], ["lat"], ["This is a netCDF dimension but not a netCDF variable.         3"]]);
    expect(py["/tas"]!.attrs).toEqual({ _FillValue: ["NaN"], units: "K", valid_range: [-100, 400], scale: [1.5] });
    expect(py["/tas"]!.values).toEqual(plain(tasValues));
    expect(py["/lat"]!.is_scale).toBe(true);
    expect(py["/station/pr"]!.dims).toEqual([["This is a netCDF dimension but not a netCDF variable.         6"]]);
    expect(py["/station/pr"]!.compression).toBeNull();

    const cdl = execFileSync("ncdump", ["-h", "-s", dst], { encoding: "utf8" });
    expect(cdl).toMatch(/time = 6 ;/);
    expect(cdl).toMatch(/float tas\(time, lat, lon\) ;/);
    expect(cdl).toMatch(/float lat\(lat\) ;/);
    expect(cdl).toMatch(/double pr\(time\) ;/);
    expect(cdl).toMatch(/tas:_FillValue = NaNf ;/);
    expect(cdl).toMatch(/tas:valid_range = -100.f, 400.f ;/);
    expect(cdl).toMatch(/:_Format = "netCDF-4"/);
    expect(cdl).toMatch(/\ttas:units = "K" ;/);
    expect(cdl).toMatch(/group: station \{\n  variables:\n  \tdouble pr\(time\) ;/);

    // netCDF-C itself (through python3-netcdf4) reads the values, masking the _FillValue.
    const nc = python(
      `import sys, json, netCDF4, numpy as np
d = netCDF4.Dataset(sys.argv[1])
v = d["tas"][:]
print(json.dumps({"dims": list(d["tas"].dimensions), "masked": int(np.ma.count_masked(v)), "sum": float(np.nansum(v.filled(np.nan))), "pr": d["station"]["pr"].dimensions}))`,
      dst,
    ) as { dims: string[]; masked: number; sum: number; pr: string[] };
    expect(nc.dims).toEqual(["time", "lat", "lon"]);
    expect(nc.masked).toBe(1);
    expect(nc.sum).toBeCloseTo([...tasValues].map(Number).filter((v) => !Number.isNaN(v)).reduce((a, b) => a + b, 0), 3);
    expect(nc.pr).toEqual(["time"]);

    const dataset = await openDataset(dst);
    expect((await dataset.describe("/tas")).dimensionNames).toEqual(["time", "lat", "lon"]);
    await dataset.close();
  });

  it("stores a fill value that marks missing values as a _FillValue of the dataset's type; netCDF-C masks by it", async () => {
    const dst = path.join(tempDir("h5"), "fill.nc");
    const writer = await createWriter(dst, "hdf5");
    const nan32 = spec({ path: "/nan32", shape: [6], chunks: [3], dtype: dtype("float32"), fillValue: "NaN", fillValueMarksMissing: true });
    const big32 = spec({ path: "/big32", shape: [6], chunks: [3], dtype: dtype("float32"), fillValue: 1e20, fillValueMarksMissing: true });
    const i16 = spec({ path: "/i16", shape: [6], chunks: [3], dtype: dtype("int16"), fillValue: -999, fillValueMarksMissing: true });
    const own = spec({ path: "/own", shape: [6], chunks: [3], dtype: dtype("float64"), fillValue: 5, fillValueMarksMissing: true, attributes: { _FillValue: -1 } });
    const plainHdf5 = spec({ path: "/plain", shape: [6], chunks: [3], dtype: dtype("float64"), fillValue: 0 });
    const values: [typeof nan32, number[]][] = [
      [nan32, [1, Number.NaN, 3, Number.NaN, 5, 6]],
      [big32, [1e20, 2, 3, 4, 5, 1e20]],
      [i16, [-999, 2, 3, 4, 5, 6]],
      [own, [-1, 5, 3, 4, 5, 6]],
      [plainHdf5, [0, 0, 3, 4, 5, 6]],
    ];
    for (const [array, data] of values) {
      await writer.createArray(array);
      const typed = array.dtype.name === "float32" ? Float32Array.from(data) : array.dtype.name === "int16" ? Int16Array.from(data) : Float64Array.from(data);
      await writeAll(writer, array, typed);
    }
    await writer.finalize();

    const nc = python(
      `import sys, json, netCDF4, numpy as np
d = netCDF4.Dataset(sys.argv[1])
out = {}
for name in ["nan32", "big32", "i16", "own", "plain"]:
    v = d[name]
    fill = v.getncattr("_FillValue") if "_FillValue" in v.ncattrs() else None
    out[name] = {"fill_dtype": None if fill is None else np.asarray(fill).dtype.str, "fill": None if fill is None else ("NaN" if np.isnan(fill) else float(fill)), "masked": int(np.ma.count_masked(v[:]))}
print(json.dumps(out))`,
      dst,
    ) as Record<string, { fill_dtype: string | null; fill: number | string | null; masked: number }>;
    expect(nc.nan32).toEqual({ fill_dtype: "<f4", fill: "NaN", masked: 2 });
    expect(nc.big32).toEqual({ fill_dtype: "<f4", fill: 1.0000000200408773e20, masked: 2 });
    expect(nc.i16).toEqual({ fill_dtype: "<i2", fill: -999, masked: 1 });
    // The source's own _FillValue attribute wins over its fill value.
    expect(nc.own).toEqual({ fill_dtype: "<f8", fill: -1, masked: 1 });
    // A plain HDF5 source's default fill (0) marks nothing missing: no _FillValue, nothing masked.
    expect(nc.plain).toEqual({ fill_dtype: null, fill: null, masked: 0 });

    const dataset = await openDataset(dst);
    expect((await dataset.describe("/nan32")).fillValue).toBe("NaN");
    expect((await dataset.describe("/big32")).fillValue).toBe(1e20);
    expect((await dataset.describe("/i16")).fillValue).toBe(-999);
    expect((await dataset.describe("/own")).fillValue).toBe(-1);
    await dataset.close();
  });

  it("resumes an interrupted output from its staged metadata; rewriting a unit is idempotent", async () => {
    const dst = path.join(tempDir("h5"), "resume.h5");
    const writer = await createWriter(dst, "hdf5");
    const array = spec({ path: "/g/v", shape: [10, 3], chunks: [4, 3], dtype: dtype("int32"), compressor: { name: "gzip", level: 1 } });
    await writer.createArray(array);
    const values = sampleValues("int32", 30);
    const all = [...units(array.shape, array.chunks, values)];
    await writer.writeUnit("/g/v", ...all[0]!);
    await writer.close();
    await expect(openDataset(dst)).rejects.toThrow();

    const resumed = await attachWriter(dst);
    for (const [coords, block] of all) await resumed.writeUnit("/g/v", coords, block);
    await resumed.writeUnit("/g/v", ...all[1]!);
    await resumed.finalize();
    const py = python(READ_WITH_H5PY, dst) as H5Out;
    expect(py["/g/v"]!.values).toEqual(plain(values));
  });

  it("refuses codecs h5wasm cannot write and falls back from a source codec it cannot keep, with a warning", async () => {
    const writer = await createWriter(path.join(tempDir("h5"), "c.h5"), "hdf5");
    await expect(writer.createArray(spec({ path: "/a", shape: [4], chunks: [2], dtype: dtype("int8"), compressor: { name: "zstd" } }))).rejects.toThrow(/deflate/);
    await writer.createArray(spec({ path: "/b", shape: [4], chunks: [2], dtype: dtype("int8"), sourceCodecs: [{ name: "blosc", configuration: { cname: "lz4" }, supported: true }] }));
    expect(writer.warnings).toEqual(["/b: the source codec blosc cannot be written to hdf5 output; using gzip level 1 instead (choose with --codec)"]);
    await writer.close();
  });
});

describe("fillValueMarksMissing", () => {
  it("netCDF fills and Zarr fills other than zarr-python's default 0/false mark missing values; HDF5 fills and Zarr 0 do not", () => {
    expect(fillValueMarksMissing({ format: "netcdf4", fillValue: 9.96921e36 })).toBe(true);
    expect(fillValueMarksMissing({ format: "netcdf4", fillValue: 0 })).toBe(true);
    expect(fillValueMarksMissing({ format: "zarr2", fillValue: "NaN" })).toBe(true);
    expect(fillValueMarksMissing({ format: "zarr3", fillValue: -9999 })).toBe(true);
    expect(fillValueMarksMissing({ format: "zarr2", fillValue: 0 })).toBe(false);
    expect(fillValueMarksMissing({ format: "zarr3", fillValue: false })).toBe(false);
    expect(fillValueMarksMissing({ format: "zarr3", fillValue: "0" })).toBe(false);
    expect(fillValueMarksMissing({ format: "zarr2", fillValue: null })).toBe(false);
    expect(fillValueMarksMissing({ format: "hdf5", fillValue: "NaN" })).toBe(false);
  });
});
