import { chmod, copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ChunkwiseError, isChunkwiseError } from "../../src/errors.js";
import type { ArrayDescription, Dataset } from "../../src/formats/dataset.js";
import { openHdf5 } from "../../src/formats/hdf5.js";
import { openDataset } from "../../src/formats/open.js";

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../fixtures");
const fixture = (...parts: string[]) => path.join(fixtures, ...parts);

async function rejection(promise: Promise<unknown>): Promise<ChunkwiseError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ChunkwiseError) return err;
    throw err;
  }
  throw new Error("expected a rejection");
}

/** The facts a test compares, without attributes (checked separately). */
function facts(a: ArrayDescription) {
  return {
    shape: a.shape,
    dtype: a.dtype.numpy,
    dimensionNames: a.dimensionNames,
    chunks: a.chunks,
    codecs: a.codecs.map((c) => `${c.name}${c.supported ? "" : "!"}`),
    fillValue: a.fillValue,
    storedBytes: a.storage.storedBytes,
    writtenObjects: a.storage.writtenObjects,
    readable: a.unreadableReason === null,
  };
}

describe("HDF5 file written by h5py (climate.h5)", () => {
  let ds: Dataset;
  let arrays: Map<string, ArrayDescription>;
  beforeAll(async () => {
    ds = await openHdf5(fixture("hdf5", "climate.h5"));
    arrays = new Map((await ds.listArrays()).map((a) => [a.path, a]));
  });
  afterAll(() => ds.close());

  it("is HDF5, not netCDF-4, although it has dimension scales", () => {
    expect(ds.format).toBe("hdf5");
  });

  it("lists every dataset recursively, sorted, with exact facts (storage sizes as h5dump reports them)", () => {
    // not listed: the soft link /tas_alias, the hard link /group/tas_hard (the same object as /tas),
    // the dangling soft link /dangling and the external link /external
    expect([...arrays.keys()]).toEqual([
      "/bigendian", "/codes", "/compact", "/complex", "/contiguous", "/counts", "/flags", "/fletcher", "/group/sub/deep",
      "/int64", "/lat", "/lon", "/lzf", "/names", "/nanfill", "/scalar", "/scaleoffset", "/tas", "/time", "/uint8",
    ]);
    const f = (p: string) => facts(arrays.get(p)!);
    expect(f("/tas")).toEqual({
      shape: [48, 73, 144], dtype: "<f4", dimensionNames: ["time", "lat", "lon"], chunks: [1, 73, 144],
      codecs: ["shuffle", "deflate"], fillValue: 1e20, storedBytes: 38278, writtenObjects: 48, readable: true,
    });
    expect(f("/counts")).toEqual({
      shape: [50, 30], dtype: "<i2", dimensionNames: ["row", "col"], chunks: [4, 4], codecs: [], fillValue: 0,
      storedBytes: 3328, writtenObjects: 104, readable: true,
    });
    expect(f("/contiguous")).toMatchObject({ shape: [200, 100], dtype: "<f8", chunks: null, storedBytes: 160000, writtenObjects: 1 });
    expect(f("/compact")).toMatchObject({ shape: [10], dtype: "|i1", chunks: null, storedBytes: 10, writtenObjects: 1 });
    expect(f("/bigendian")).toMatchObject({ dtype: ">f8", chunks: [5, 10], storedBytes: 1600, writtenObjects: 4 });
    expect(f("/fletcher")).toMatchObject({ codecs: ["fletcher32"], storedBytes: 4040, writtenObjects: 10, readable: true });
    expect(f("/scaleoffset")).toMatchObject({ codecs: ["scaleoffset"], storedBytes: 144, writtenObjects: 2, readable: true });
    expect(f("/lzf")).toMatchObject({ codecs: ["lzf!"], storedBytes: 3758, writtenObjects: 4, readable: false });
    expect(f("/nanfill")).toMatchObject({ fillValue: "NaN", chunks: [10, 10], storedBytes: 400, writtenObjects: 1 });
    expect(f("/group/sub/deep")).toMatchObject({ shape: [3, 4, 5], dtype: "<i4", chunks: [2, 2, 5], codecs: ["deflate"] });
    expect(f("/scalar")).toMatchObject({ shape: [], dtype: "<f8", chunks: null });
    expect(f("/int64").dtype).toBe("<i8");
    expect(f("/uint8").dtype).toBe("|u1");
    expect(f("/flags").dtype).toBe("|b1");
    expect(f("/names").dtype).toBe("|O");
    expect(f("/codes").dtype).toBe("|S3");
    expect(f("/lat").dimensionNames).toEqual(["lat"]);
  });

  it("describes dtypes and codecs in full", () => {
    const tas = arrays.get("/tas")!;
    expect(tas.dtype).toEqual({ numpy: "<f4", name: "float32", kind: "float", itemSize: 4, byteOrder: "little" });
    expect(arrays.get("/bigendian")!.dtype).toEqual({ numpy: ">f8", name: "float64", kind: "float", itemSize: 8, byteOrder: "big" });
    expect(arrays.get("/flags")!.dtype).toMatchObject({ name: "bool", kind: "bool", itemSize: 1 });
    expect(tas.codecs).toEqual([
      { name: "shuffle", id: 2, configuration: { element_size: 4, cd_values: [4] }, supported: true },
      { name: "deflate", id: 1, configuration: { level: 4, cd_values: [4] }, supported: true },
    ]);
    expect(tas.order).toBe("C");
    expect(tas.shards).toBeNull();
    expect(arrays.get("/lzf")!.codecs[0]).toMatchObject({ name: "lzf", id: 32000, supported: false });
    expect(arrays.get("/lzf")!.unreadableReason).toContain("lzf (filter 32000)");
  });

  it("gives JSON-safe attributes without the dimension-scale references", () => {
    expect(arrays.get("/tas")!.attributes).toEqual({ long_name: "near-surface air temperature", units: "K" });
    expect(arrays.get("/lat")!.attributes).toEqual({ CLASS: "DIMENSION_SCALE", NAME: "lat", units: "degrees_north" });
  });

  it("lists groups with their attributes", async () => {
    expect(await ds.listGroups()).toEqual([
      { path: "/", attributes: { scales: [1.5, 2.5], title: "chunkwise HDF5 fixture", version: 3 } },
      { path: "/group", attributes: { description: "a group" } },
      { path: "/group/sub", attributes: {} },
    ]);
  });

  it("reads known values through readRegion", async () => {
    const tas = await ds.readRegion("/tas", [47, 72, 140], [48, 73, 144]);
    expect(tas.shape).toEqual([1, 1, 4]);
    expect(tas.values).toBeInstanceOf(Float32Array);
    // tas[t, y, x] = 200 + t + 0.5 y + 0.25 x
    expect(Array.from(tas.values as Float32Array)).toEqual([318, 318.25, 318.5, 318.75]);
    const contiguous = await ds.readRegion("/contiguous", [199, 98], [200, 100]);
    expect(Array.from(contiguous.values as Float64Array)).toEqual([19998, 19999]);
    const be = await ds.readRegion("/bigendian", [9, 18], [10, 20]);
    expect(Array.from(be.values as Float64Array)).toEqual([99, 99.5]);
    const int64 = await ds.readRegion("/int64", [3], [5]);
    expect(int64.values).toBeInstanceOf(BigInt64Array);
    expect(Array.from(int64.values as BigInt64Array)).toEqual([1n, 2n ** 40n]);
    const flags = await ds.readRegion("/flags", [0], [4]);
    expect(flags.values).toBeInstanceOf(Uint8Array);
    expect(Array.from(flags.values as Uint8Array)).toEqual([1, 0, 1, 1]);
    expect((await ds.readRegion("/names", [1], [3])).values).toEqual(["beta", "gamma"]);
    expect((await ds.readRegion("/codes", [0], [2])).values).toEqual(["ab", "cde"]);
    expect(Array.from((await ds.readRegion("/scalar", [], [])).values as Float64Array)).toEqual([3.5]);
    expect(Array.from((await ds.readRegion("/compact", [8], [10])).values as Int8Array)).toEqual([8, 9]);
    expect(Array.from((await ds.readRegion("/fletcher", [998], [1000])).values as Float32Array)).toEqual([998, 999]);
    expect(Array.from((await ds.readRegion("/scaleoffset", [98], [100])).values as Int32Array)).toEqual([294, 297]);
  });

  it("reads an edge chunk clipped to the array, and an unwritten chunk as the fill value", async () => {
    const edge = await ds.readChunk("/counts", [12, 7]);
    expect(edge.shape).toEqual([2, 2]);
    // counts[i, j] = 30 i + j
    expect(Array.from(edge.values as Int16Array)).toEqual([48 * 30 + 28, 48 * 30 + 29, 49 * 30 + 28, 49 * 30 + 29]);
    const unwritten = await ds.readChunk("/nanfill", [1, 1]);
    expect(unwritten.shape).toEqual([10, 10]);
    expect(Array.from(unwritten.values as Float32Array).every(Number.isNaN)).toBe(true);
    const written = await ds.readChunk("/nanfill", [0, 0]);
    expect((written.values as Float32Array)[99]).toBe(99);
    const map = await ds.readChunk("/tas", [10, 0, 0]);
    expect(map.shape).toEqual([1, 73, 144]);
    expect((map.values as Float32Array)[0]).toBe(210);
    const whole = await ds.readChunk("/contiguous", [0, 0]);
    expect(whole.shape).toEqual([200, 100]);
  });

  it("refuses to read through an unsupported filter before h5wasm can return garbage", async () => {
    const err = await rejection(ds.readRegion("/lzf", [0], [10]));
    expect(err.tag).toBe("UnsupportedError");
    expect(err.exitCode).toBe(4);
    expect(err.message).toContain("lzf");
    expect((await rejection(ds.readChunk("/lzf", [0]))).tag).toBe("UnsupportedError");
  });

  it("lists a dataset of an unsupported datatype (complex as an h5py compound) and refuses to read it", async () => {
    const complex = arrays.get("/complex")!;
    expect(complex.dtype).toMatchObject({ numpy: "|V8", name: "compound", itemSize: 8 });
    expect(complex.unreadableReason).toBe("HDF5 compound datatype is not supported");
    expect((await rejection(ds.readRegion("/complex", [0], [2]))).tag).toBe("UnsupportedError");
  });

  it("rejects regions and chunks outside the array, and unknown arrays", async () => {
    expect((await rejection(ds.readRegion("/counts", [0, 0], [51, 30]))).tag).toBe("UsageError");
    expect((await rejection(ds.readChunk("/counts", [13, 0]))).tag).toBe("UsageError");
    expect((await rejection(ds.readChunk("/counts", [0]))).tag).toBe("UsageError");
    expect((await rejection(ds.describe("/nope"))).tag).toBe("NotFoundError");
  });
});

describe("HDF5 chunk indexes of libver='latest' files (latest.h5)", () => {
  it("counts allocated chunks and stored bytes for every index type, as h5dump reports them", async () => {
    const ds = await openHdf5(fixture("hdf5", "latest.h5"));
    const byPath = new Map((await ds.listArrays()).map((a) => [a.path, a.storage]));
    expect(Object.fromEntries(byPath)).toEqual({
      "/btree": { storedBytes: 72, writtenObjects: 9 }, // v2 B-tree, unfiltered
      "/btree_gzip": { storedBytes: 129, writtenObjects: 9 }, // v2 B-tree, filtered (leaf root)
      "/btree_deep": { storedBytes: 4000, writtenObjects: 400 }, // v2 B-tree, filtered, internal nodes
      "/extensible": { storedBytes: 192, writtenObjects: 4 }, // extensible array, index block only
      "/extensible_many": { storedBytes: 1336, writtenObjects: 334 }, // extensible array with super blocks
      "/fixed": { storedBytes: 204, writtenObjects: 9 }, // fixed array, filtered
      "/fixed_paged": { storedBytes: 1500, writtenObjects: 750 }, // paged fixed array, one page unwritten
      "/implicit": { storedBytes: 48, writtenObjects: 6 }, // implicit index: early allocation, all chunks
      "/partial": { storedBytes: 32, writtenObjects: 1 },
      "/single": { storedBytes: 41, writtenObjects: 1 }, // single chunk, filtered
    });
    const partial = await ds.describe("/partial");
    expect(partial.fillValue).toBe(7);
    expect(Array.from((await ds.readChunk("/partial", [0, 0])).values as Uint16Array).every((v) => v === 7)).toBe(true);
    expect(Array.from((await ds.readChunk("/partial", [1, 1])).values as Uint16Array).every((v) => v === 9)).toBe(true);
    const edge = await ds.readChunk("/fixed", [2, 2]);
    expect(edge.shape).toEqual([2, 2]);
    expect(Array.from(edge.values as Int32Array)).toEqual([38, 39, 46, 47]);
    expect((await ds.describe("/extensible_many")).fillValue).toBe(-1);
    expect(Array.from((await ds.readChunk("/implicit", [2, 1])).values as Int16Array)).toEqual([18, 19]);
    expect(Array.from((await ds.readRegion("/extensible_many", [996], [1000])).values as Int32Array)).toEqual([996, -1, -1, 999]);
    await ds.close();
  });
});

describe("an HDF5 file behind a 512-byte user block (userblock.h5)", () => {
  it("opens by content and reads storage facts at addresses relative to the superblock", async () => {
    const ds = await openDataset(fixture("hdf5", "userblock.h5"));
    const arrays = new Map((await ds.listArrays()).map((a) => [a.path, a]));
    expect(facts(arrays.get("/x")!)).toEqual({
      shape: [100], dtype: "<i4", dimensionNames: null, chunks: [10], codecs: ["deflate"], fillValue: 0,
      storedBytes: 337, writtenObjects: 10, readable: true,
    });
    expect(arrays.get("/c")!.fillValue).toBe(5.5);
    expect(arrays.get("/c")!.storage).toEqual({ storedBytes: 80, writtenObjects: 1 });
    expect(Array.from((await ds.readChunk("/x", [9])).values as Int32Array).slice(-2)).toEqual([98, 99]);
    await ds.close();
  });
});

describe("a large contiguous dataset that was never written (contiguous_big.h5)", () => {
  it("lists with chunks null, its full shape, and no storage allocated, from a tiny file", async () => {
    const ds = await openHdf5(fixture("hdf5", "contiguous_big.h5"));
    const [big] = await ds.listArrays();
    expect(facts(big!)).toEqual({
      shape: [50000, 20000], dtype: "<f8", dimensionNames: null, chunks: null, codecs: [], fillValue: 0,
      storedBytes: 0, writtenObjects: 0, readable: true,
    });
    expect(big!.shape[0]! * big!.shape[1]! * big!.dtype.itemSize).toBe(8e9);
    expect((await rejection(ds.readRegion("/big", [0, 0], [50000, 20000]))).message).toContain("1 GiB");
    expect(Array.from((await ds.readRegion("/big", [49999, 19998], [50000, 20000])).values as Float64Array)).toEqual([0, 0]);
    await ds.close();
  });
});

describe("netCDF-4 written by netCDF4-python (climate.nc)", () => {
  let ds: Dataset;
  beforeAll(async () => {
    ds = await openHdf5(fixture("netcdf", "climate.nc"));
  });
  afterAll(() => ds.close());

  it("is netCDF-4 and lists variables, not the bare dimension nv", async () => {
    expect(ds.format).toBe("netcdf4");
    const arrays = await ds.listArrays();
    expect(arrays.map((a) => a.path)).toEqual(["/lat", "/lon", "/station/height", "/station/pr", "/tas", "/time", "/time_bnds"]);
    expect(arrays.every((a) => a.format === "netcdf4")).toBe(true);
  });

  it("names dimensions from the dimension scales, across groups", async () => {
    const names = Object.fromEntries((await ds.listArrays()).map((a) => [a.path, a.dimensionNames]));
    expect(names).toEqual({
      "/lat": ["lat"],
      "/lon": ["lon"],
      "/station/height": ["station"],
      "/station/pr": ["time", "station"],
      "/tas": ["time", "lat", "lon"],
      "/time": ["time"],
      "/time_bnds": ["time", "nv"],
    });
  });

  it("has exact facts, the _FillValue, and attributes without netCDF plumbing", async () => {
    const tas = await ds.describe("/tas");
    expect(facts(tas)).toEqual({
      shape: [24, 73, 144], dtype: "<f4", dimensionNames: ["time", "lat", "lon"], chunks: [1, 73, 144],
      codecs: ["shuffle", "deflate"], fillValue: 1e20, storedBytes: 19736, writtenObjects: 24, readable: true,
    });
    expect(tas.attributes).toEqual({ _FillValue: 1e20, cell_methods: "time: mean", standard_name: "air_temperature", units: "K" });
    // netCDF's default fill for variables without _FillValue comes from the dataset creation properties
    expect((await ds.describe("/station/height")).fillValue).toBe(-2147483647);
    expect((await ds.describe("/time")).chunks).toEqual([512]);
    const groups = await ds.listGroups();
    expect(groups.map((g) => g.path)).toEqual(["/", "/station"]);
    expect(groups[0]!.attributes).toMatchObject({ Conventions: "CF-1.8", title: "chunkwise netCDF-4 fixture" });
  });

  it("reads known values, the masked one as the fill value", async () => {
    const tas = await ds.readRegion("/tas", [0, 0, 0], [1, 1, 3]);
    expect(Array.from(tas.values as Float32Array)).toEqual([Math.fround(1e20), 200.25, 200.5]);
    const last = await ds.readChunk("/tas", [23, 0, 0]);
    expect((last.values as Float32Array)[73 * 144 - 1]).toBe(200 + 23 + 36 + 35.75);
    const pr = await ds.readChunk("/station/pr", [2, 0]);
    expect(pr.shape).toEqual([8, 5]);
    expect((pr.values as Float32Array)[0]).toBe(80);
  });
});

describe("netCDF-4 written by ncgen -4 (ncgen.nc)", () => {
  it("lists variables with chunking, endianness and types from the CDL", async () => {
    const ds = await openHdf5(fixture("netcdf", "ncgen.nc"));
    const arrays = new Map((await ds.listArrays()).map((a) => [a.path, a]));
    expect([...arrays.keys()]).toEqual(["/big", "/inner/values", "/label", "/s", "/temp", "/time", "/x"]);
    // a 2-D coordinate variable is a dimension scale without DIMENSION_LIST: its second axis is
    // named through _Netcdf4Coordinates → the _Netcdf4Dimid of x
    expect(arrays.get("/s")!.dimensionNames).toEqual(["s", "x"]);
    expect(facts(arrays.get("/temp")!)).toEqual({
      shape: [6, 10], dtype: "<i2", dimensionNames: ["time", "x"], chunks: [2, 5], codecs: ["shuffle", "deflate"],
      fillValue: -999, storedBytes: 121, writtenObjects: 6, readable: true,
    });
    expect(arrays.get("/temp")!.codecs[1]!.configuration).toMatchObject({ level: 2 });
    expect(facts(arrays.get("/big")!)).toMatchObject({ dtype: ">i8", chunks: null, fillValue: "-9223372036854775806" });
    expect(arrays.get("/inner/values")!.dimensionNames).toEqual(["y", "x"]);
    expect(arrays.get("/label")!.dtype.kind).toBe("string");
    const temp = await ds.readChunk("/temp", [2, 1]);
    expect(Array.from(temp.values as Int16Array)).toEqual([45, 46, 47, 48, 49, 55, 56, 57, 58, -999]);
    const big = await ds.readRegion("/big", [0], [10]);
    expect((big.values as BigInt64Array)[0]).toBe(-5000000000n);
    expect((big.values as BigInt64Array)[9]).toBe(5000000000n);
    expect((await ds.readRegion("/label", [1], [3])).values).toEqual(["bb", "ccc"]);
    await ds.close();
  });
});

describe("opening an object inside a file (file.nc/group/var)", () => {
  it("opens just that variable at path /", async () => {
    const location = path.join(fixture("netcdf", "climate.nc"), "station", "pr");
    const ds = await openDataset(location);
    expect(ds.location).toBe(location);
    const arrays = await ds.listArrays();
    expect(arrays.map((a) => a.path)).toEqual(["/"]);
    expect(arrays[0]!.dimensionNames).toEqual(["time", "station"]);
    expect(await ds.listGroups()).toEqual([]);
    expect(Array.from((await ds.readRegion("/", [23, 3], [24, 5])).values as Float32Array)).toEqual([118, 119]);
    await ds.close();
  });

  it("opens a group, listing paths relative to it", async () => {
    const ds = await openDataset(path.join(fixture("netcdf", "climate.nc"), "station"));
    expect((await ds.listArrays()).map((a) => a.path)).toEqual(["/height", "/pr"]);
    expect((await ds.listGroups()).map((g) => g.path)).toEqual(["/"]);
    await ds.close();
  });

  it("refuses use after close", async () => {
    const ds = await openHdf5(fixture("netcdf", "climate.nc"));
    await ds.close();
    await ds.close();
    expect((await rejection(ds.readRegion("/lat", [0], [1]))).tag).toBe("UsageError");
  });

  it("says NotFoundError for an object path that is not in the file", async () => {
    const err = await rejection(openDataset(path.join(fixture("netcdf", "climate.nc"), "station", "nope")));
    expect(err.tag).toBe("NotFoundError");
    expect(err.path).toContain("climate.nc");
    expect(err.message).toContain("/station/nope");
  });
});

describe("bad HDF5 input", () => {
  it("a truncated file is a TruncatedError naming the file", async () => {
    for (const name of ["truncated.h5", "truncated_header.h5"]) {
      const file = fixture("malformed", name);
      const err = await rejection(openDataset(file));
      expect(err.tag).toBe("TruncatedError");
      expect(err.exitCode).toBe(3);
      expect(err.path).toBe(file);
    }
  });

  it("a netCDF-3 classic file is a NetCDF3Error suggesting nccopy", async () => {
    const err = await rejection(openDataset(fixture("netcdf", "classic.nc")));
    expect(err.tag).toBe("NetCDF3Error");
    expect(err.message).toContain("nccopy -k nc4");
  });

  it("a file that is not HDF5 is refused by openHdf5", async () => {
    const err = await rejection(openHdf5(fixture("malformed", "not_a_dataset.bin")));
    expect(err.tag).toBe("NotADatasetError");
  });

  it.skipIf(process.getuid?.() === 0)("an unreadable file is a PermissionError", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "chunkwise-hdf5-"));
    const file = path.join(dir, "locked.h5");
    await copyFile(fixture("hdf5", "latest.h5"), file);
    await chmod(file, 0o000);
    try {
      const err = await rejection(openHdf5(file));
      expect(err.tag).toBe("PermissionError");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a chunk whose fletcher32 checksum fails is an IOError naming the file, and other chunks still read", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "chunkwise-hdf5-"));
    const file = path.join(dir, "corrupt.h5");
    try {
      const bytes = await readFile(fixture("hdf5", "climate.h5"));
      // /fletcher's chunk 0 holds float32 0..99 uncompressed: flip a byte inside it
      const needle = Buffer.from(Float32Array.from({ length: 100 }, (_, i) => i).buffer);
      const at = bytes.indexOf(needle);
      expect(at).toBeGreaterThan(0);
      bytes[at + 200] ^= 0xff;
      await writeFile(file, bytes);
      const ds = await openHdf5(file);
      // HDF5's error stack must become the error, not noise on stderr
      const noise = [vi.spyOn(process.stderr, "write"), vi.spyOn(console, "error"), vi.spyOn(console, "warn")];
      const err = await rejection(ds.readChunk("/fletcher", [0]));
      for (const spy of noise) {
        expect(spy).not.toHaveBeenCalled();
        spy.mockRestore();
      }
      expect(err.tag).toBe("IOError");
      expect(err.path).toBe(file);
      expect(err.message).toContain("checksum");
      expect(Array.from((await ds.readChunk("/fletcher", [1])).values as Float32Array).slice(0, 2)).toEqual([100, 101]);
      await ds.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("damaged metadata (symbol-table node signatures overwritten) is an IOError naming the file, not an HDF5 stack", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "chunkwise-hdf5-"));
    const file = path.join(dir, "damaged.h5");
    try {
      const bytes = await readFile(fixture("hdf5", "climate.h5"));
      for (let at = bytes.indexOf("SNOD"); at >= 0; at = bytes.indexOf("SNOD", at + 1)) bytes[at] ^= 0xff;
      await writeFile(file, bytes);
      const err = await rejection(openHdf5(file));
      expect(err.tag).toBe("IOError");
      expect(err.path).toBe(file);
      expect(err.message).toBe("cannot read the HDF5 metadata: the file is damaged (bad symbol table node signature)");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("errors are ChunkwiseErrors, and nothing else escapes", async () => {
    const err = await openHdf5(fixture("malformed", "truncated.h5")).catch((e: unknown) => e);
    expect(isChunkwiseError(err, "TruncatedError")).toBe(true);
  });
});
