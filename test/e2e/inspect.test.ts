import { describe, expect, it } from "vitest";
import { fixture, runCli } from "../helpers/cli.js";

interface JsonArray {
  path: string;
  shape: number[];
  dtype: { numpy: string; name: string; byte_order: string; item_size: number };
  dimension_names: (string | null)[] | null;
  chunks: number[] | null;
  contiguous: boolean;
  shards: number[] | null;
  chunk_bytes: number;
  chunk_count: number;
  object_count: number;
  written_objects: number | null;
  stored_bytes: number | null;
  logical_bytes: number;
  compression_ratio: number | null;
  edge_waste_fraction: number;
  codecs: { name: string; supported: boolean; configuration: Record<string, unknown> }[];
  fill_value: unknown;
  readable: boolean;
}

async function inspectJson(...args: string[]): Promise<{ doc: Record<string, unknown>; arrays: Map<string, JsonArray> }> {
  const result = await runCli(["inspect", ...args, "--json"]);
  expect(result.code, result.stderr).toBe(0);
  expect(result.stderr).toBe("");
  const doc = JSON.parse(result.stdout);
  expect(doc.schema).toBe(1);
  return { doc, arrays: new Map((doc.arrays as JsonArray[]).map((a) => [a.path, a])) };
}

describe("inspect --json", () => {
  it("a consolidated Zarr v2 climate store written by zarr-python", async () => {
    const { doc, arrays } = await inspectJson(fixture("zarr2", "climate.zarr"));
    expect(doc.dataset).toMatchObject({ format: "zarr2" });
    expect([...arrays.keys()]).toEqual(["/lat", "/lon", "/tas", "/time"]);
    const tas = arrays.get("/tas")!;
    expect(tas).toMatchObject({
      shape: [48, 73, 144],
      dtype: { numpy: "<f4", name: "float32", byte_order: "little", item_size: 4 },
      dimension_names: ["time", "lat", "lon"],
      chunks: [1, 73, 144],
      contiguous: false,
      shards: null,
      chunk_bytes: 73 * 144 * 4,
      chunk_count: 48,
      written_objects: 48,
      logical_bytes: 48 * 73 * 144 * 4,
      edge_waste_fraction: 0,
      fill_value: "NaN",
      readable: true,
    });
    expect(tas.codecs.map((c) => c.name)).toEqual(["blosc"]);
    expect(tas.codecs[0]!.configuration).toMatchObject({ cname: "zstd", clevel: 3 });
    expect(tas.stored_bytes).toBeGreaterThan(0);
    expect(tas.stored_bytes).toBeLessThan(tas.logical_bytes);
    expect(tas.compression_ratio).toBeCloseTo(tas.logical_bytes / tas.stored_bytes!, 6);
  });

  it("tiny chunks: 400 chunk files of 200 bytes", async () => {
    const { arrays } = await inspectJson(fixture("zarr2", "tiny.zarr"));
    expect(arrays.get("/")).toMatchObject({ shape: [200, 200], chunks: [10, 10], chunk_bytes: 200, chunk_count: 400, written_objects: 400, dtype: { numpy: "<i2" } });
  });

  it("a sharded Zarr v3 array: inner chunks, shard shape, inner codecs", async () => {
    const { doc, arrays } = await inspectJson(fixture("zarr-python", "v3", "data.zarr"));
    expect(doc.dataset).toMatchObject({ format: "zarr3" });
    const sharded = arrays.get("/2d.chunked.compressed.sharded.i2")!;
    expect(sharded.shards).not.toBeNull();
    expect(sharded.chunks).not.toEqual(sharded.shards);
    expect(sharded.object_count).toBeLessThanOrEqual(sharded.chunk_count);
    expect(sharded.readable).toBe(true);
    expect(arrays.get("/3d.chunked.mixed.i2.F")).toBeDefined();
    expect(arrays.get("/consolidated/nested/1d.i2")).toMatchObject({ shape: [4], dtype: { numpy: "<i2" } });
  });

  it("a single array inside a store", async () => {
    const { arrays } = await inspectJson(fixture("zarr2", "climate.zarr", "tas"));
    expect([...arrays.keys()]).toEqual(["/"]);
    expect(arrays.get("/")).toMatchObject({ shape: [48, 73, 144], dimension_names: ["time", "lat", "lon"] });
  });

  it("--array selects one array by name", async () => {
    const { arrays } = await inspectJson(fixture("zarr2", "climate.zarr"), "--array", "tas");
    expect([...arrays.keys()]).toEqual(["/tas"]);
  });

  it("an HDF5 file written by h5py: chunked gzip+shuffle, contiguous, unsupported lzf", async () => {
    const { doc, arrays } = await inspectJson(fixture("hdf5", "climate.h5"));
    expect(doc.dataset).toMatchObject({ format: "hdf5" });
    const tas = arrays.get("/tas")!;
    expect(tas).toMatchObject({ shape: [48, 73, 144], chunks: [1, 73, 144], chunk_count: 48, dtype: { numpy: "<f4" } });
    expect(tas.codecs.map((c) => c.name)).toEqual(["shuffle", "deflate"]);
    expect(tas.written_objects).toBe(48);
    expect(tas.compression_ratio).toBeGreaterThan(1);
    expect(arrays.get("/contiguous")).toMatchObject({ chunks: null, contiguous: true, chunk_count: 1 });
    const lzf = arrays.get("/lzf")!;
    expect(lzf.readable).toBe(false);
    expect(lzf.codecs.find((c) => !c.supported)).toBeDefined();
    expect(arrays.get("/bigendian")!.dtype).toMatchObject({ numpy: ">f8", byte_order: "big" });
  });

  it("a netCDF4 file: dimension names from the dimension scales", async () => {
    const { doc, arrays } = await inspectJson(fixture("netcdf", "climate.nc"));
    expect(doc.dataset).toMatchObject({ format: "netcdf4" });
    expect(arrays.get("/tas")).toMatchObject({ dimension_names: ["time", "lat", "lon"], chunks: [1, 73, 144], shape: [24, 73, 144] });
    expect(arrays.get("/station/pr")).toMatchObject({ dimension_names: ["time", "station"], chunks: [8, 5] });
  });

  it("a multi-GB contiguous HDF5 dataset lists instantly, without reading data", async () => {
    const { arrays } = await inspectJson(fixture("hdf5", "contiguous_big.h5"));
    expect(arrays.get("/big")).toMatchObject({ shape: [50000, 20000], chunks: null, logical_bytes: 8e9 });
  });

  it("a zipped Zarr store agrees with the directory store", async () => {
    const { arrays: zipped } = await inspectJson(fixture("zarr-python", "v2", "data.zipped_from_within.zarr.zip"));
    const { arrays: dir } = await inspectJson(fixture("zarr-python", "v2", "data.zarr"));
    expect([...zipped.keys()]).toEqual([...dir.keys()]);
    for (const [p, a] of dir) expect(zipped.get(p)).toMatchObject({ shape: a.shape, chunks: a.chunks, dtype: a.dtype, written_objects: a.written_objects });
  });

  it("--memory overrides the detected limit and says so", async () => {
    const { doc } = await inspectJson(fixture("zarr2", "tiny.zarr"), "--memory", "8GiB");
    expect(doc.machine).toMatchObject({ memory: { limit_bytes: 8 * 2 ** 30, limit_source: "--memory" } });
    expect((doc.machine as { cores: { usable: number } }).cores.usable).toBeGreaterThan(0);
  });
});

describe("inspect, human output", () => {
  it("an aligned table with the machine line and no colour when piped", async () => {
    const result = await runCli(["inspect", fixture("zarr2", "climate.zarr")]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toMatch(/\x1b\[/);
    const lines = result.stdout.split("\n");
    expect(lines[1]).toMatch(/^Machine\s+memory .* total, .* available, .*usable cores/);
    const header = lines.find((l) => l.startsWith("ARRAY"))!;
    const tasLine = lines.find((l) => l.startsWith("/tas"))!;
    expect(tasLine).toContain("(time=48, lat=73, lon=144)");
    expect(tasLine).toContain("(1, 73, 144)");
    expect(tasLine).toContain("41.1 KiB");
    expect(tasLine).toContain("48/48");
    expect(tasLine).toContain("blosc:zstd(3)");
    expect(tasLine.indexOf("<f4")).toBe(header.indexOf("DTYPE"));
  });

  it("colour when forced", async () => {
    const result = await runCli(["inspect", fixture("zarr2", "tiny.zarr")], { env: { NO_COLOR: "", FORCE_COLOR: "1" } });
    expect(result.stdout).toMatch(/\x1b\[/);
  });
});
