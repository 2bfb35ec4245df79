import { spawnSync } from "node:child_process";
import { closeSync, constants, existsSync, openSync, readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDataset } from "../../src/formats/open.js";
import { fixture, runCli } from "../helpers/cli.js";
import { expectSameData, expectSameTree, python } from "../rechunk/helpers.js";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "chunkwise-rechunk-e2e-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const climateV2 = fixture("zarr2", "climate.zarr");
const climateNc = fixture("netcdf", "climate.nc");

async function chunksOf(location: string, array: string): Promise<{ chunks: readonly number[] | null; shards: readonly number[] | null }> {
  const ds = await openDataset(location);
  try {
    const d = await ds.describe(array);
    return { chunks: d.chunks, shards: d.shards };
  } finally {
    await ds.close();
  }
}

describe("rechunk --dry-run", () => {
  it("prints the plan as JSON with the predicted time and writes nothing", async () => {
    const dst = path.join(tmp, "dry.zarr");
    const r = await runCli(["rechunk", climateV2, dst, "--chunks", "time=-1,lat=8,lon=8", "--max-mem", "1MiB", "--threads", "2", "--dry-run", "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.schema).toBe(1);
    expect(doc.dry_run).toBe(true);
    const tas = doc.arrays.find((a: { path: string }) => a.path === "/tas");
    expect(tas.target_chunks).toEqual([48, 8, 8]);
    expect(tas.rechunked).toBe(true);
    expect(tas.plan.stages).toHaveLength(2);
    expect(tas.plan.stages[1].write_chunks).toEqual([48, 8, 8]);
    expect(tas.plan.peak_memory_bytes).toBeLessThanOrEqual(2 ** 20);
    expect(tas.plan.temporary_bytes).toBe(48 * 73 * 144 * 4);
    expect(doc.totals.predicted_seconds).toBeGreaterThan(0);
    const lat = doc.arrays.find((a: { path: string }) => a.path === "/lat");
    expect(lat.rechunked).toBe(false);
    expect(existsSync(dst)).toBe(false);
  });

  it("prints a human plan", async () => {
    const r = await runCli(["rechunk", climateV2, path.join(tmp, "dry2.zarr"), "--chunks", "48,8,8", "--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Plan: .*climate\.zarr \(zarr2\) → .*dry2\.zarr \(zarr2\)/);
    expect(r.stdout).toMatch(/\/tas\s+48×73×144\s+float32\s+1×73×144\s+48×8×8/);
    expect(r.stdout).toMatch(/predicted .* \(cost model\)/);
    expect(r.stdout).toMatch(/dry run: nothing was written/);
    expect(existsSync(path.join(tmp, "dry2.zarr"))).toBe(false);
  });
});

describe("rechunk round trips", () => {
  it("Zarr v2 → v2, non-multiple chunks, two stages; zarr-python reads the output equal to the source", async () => {
    const dst = path.join(tmp, "v2v2.zarr");
    const r = await runCli(["rechunk", climateV2, dst, "--chunks", "time=-1,lat=8,lon=10", "--max-mem", "1MiB", "--threads", "2", "--verify", "full"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/verified \(full\): \d+ of \d+ chunks equal the source/);
    expect((await chunksOf(dst, "/tas")).chunks).toEqual([48, 8, 10]);
    expect((await chunksOf(dst, "/lat")).chunks).toEqual([73]);
    await expectSameData(climateV2, dst);
    expect(await readdir(dst)).not.toContain(".chunkwise");
    const py = python(`
import zarr, numpy as np
a = zarr.open(${JSON.stringify(climateV2)}, mode="r"); b = zarr.open(${JSON.stringify(dst)}, mode="r")
assert b["tas"].chunks == (48, 8, 10), b["tas"].chunks
for name in ["tas", "lat", "lon", "time"]:
    assert a[name].dtype == b[name].dtype, name
    assert np.array_equal(a[name][:], b[name][:], equal_nan=True), name
    assert dict(a[name].attrs) == dict(b[name].attrs), (dict(a[name].attrs), dict(b[name].attrs))
print("ok")
`);
    expect(py.stderr).toBe("");
    expect(py.stdout.trim()).toBe("ok");
  });

  it("--durable fsyncs every chunk file, intermediate group and journal line; without it only the job file is", async () => {
    // strace counts the fsync calls of the whole process tree (worker threads included).
    const fsyncs = (durable: boolean): { count: number; files: number } => {
      const dst = path.join(tmp, `durable-${durable}.zarr`);
      const trace = path.join(tmp, `durable-${durable}.strace`);
      const args = ["rechunk", climateV2, dst, "--chunks", "time=-1,lat=8,lon=10", "--max-mem", "1MiB", "--threads", "2", "--verify", "none", ...(durable ? ["--durable"] : [])];
      const run = spawnSync("strace", ["-f", "-qq", "-e", "trace=fsync,fdatasync", "-o", trace, process.execPath, path.join("bin", "run.js"), ...args], { encoding: "utf8" });
      expect(run.status, run.stderr).toBe(0);
      const count = spawnSync("grep", ["-c", "fsync(", trace], { encoding: "utf8" }).stdout.trim();
      const files = spawnSync("find", [path.join(dst, "tas"), "-type", "f", "-name", "*.*.*"], { encoding: "utf8" }).stdout.trim().split("\n").length;
      return { count: Number(count), files };
    };
    const plain = fsyncs(false);
    const durable = fsyncs(true);
    expect(plain.count).toBeLessThanOrEqual(2);
    // Each chunk file and its directory, plus groups and journal lines.
    expect(durable.count).toBeGreaterThan(2 * durable.files);
  });

  it("writes chunk files of 128 KiB or more with O_DIRECT with --direct-io, through the page cache with --no-direct-io and by default for an output this small; same data", async () => {
    const opens = (flag: string): { direct: number; chunks: number } => {
      const dst = path.join(tmp, `direct${flag}.zarr`);
      const trace = path.join(tmp, `direct${flag}.strace`);
      const args = ["rechunk", climateV2, dst, "--chunks", "time=-1,lat=40,lon=-1", "--codec", "none", "--threads", "2", "--verify", "full", ...(flag === "" ? [] : [flag])];
      const run = spawnSync("strace", ["-f", "-qq", "-e", "trace=openat", "-o", trace, process.execPath, path.join("bin", "run.js"), ...args], { encoding: "utf8" });
      expect(run.status, run.stderr).toBe(0);
      const lines = spawnSync("grep", [`${dst}/tas/[0-9]`, trace], { encoding: "utf8" }).stdout.trim().split("\n").filter((line) => /O_WRONLY|O_RDWR/.test(line) && !/= -1 /.test(line));
      return { direct: lines.filter((line) => line.includes("O_DIRECT")).length, chunks: lines.length };
    };
    // Where the file system refuses O_DIRECT (older tmpfs), the files go through the page cache.
    const takesDirect = (() => {
      try {
        closeSync(openSync(path.join(tmp, "o-direct-probe"), constants.O_WRONLY | constants.O_CREAT | constants.O_DIRECT));
        return true;
      } catch {
        return false;
      }
    })();
    expect(opens("--direct-io")).toEqual({ direct: takesDirect ? 2 : 0, chunks: 2 });
    expect(opens("--no-direct-io")).toEqual({ direct: 0, chunks: 2 });
    expect(opens("")).toEqual({ direct: 0, chunks: 2 });
    for (const flag of ["--direct-io", "--no-direct-io", ""]) await expectSameData(climateV2, path.join(tmp, `direct${flag}.zarr`));
  });

  it.runIf(process.platform === "linux")("writes each chunk file back and drops it from the page cache (write-behind) by default, none with --no-write-behind or without the native helpers; same data", async () => {
    const writeBacks = (flag: string, env: NodeJS.ProcessEnv = {}): { written: number; dropped: number; chunks: string[] } => {
      const name = `behind${flag}${env.CHUNKWISE_NATIVE ?? ""}`;
      const dst = path.join(tmp, `${name}.zarr`);
      const trace = path.join(tmp, `${name}.strace`);
      const args = ["rechunk", climateV2, dst, "--chunks", "time=-1,lat=40,lon=-1", "--codec", "none", "--threads", "2", "--verify", "none", ...(flag === "" ? [] : [flag])];
      const run = spawnSync("strace", ["-f", "-qq", "-e", "trace=sync_file_range,fadvise64", "-o", trace, process.execPath, path.join("bin", "run.js"), ...args], {
        encoding: "utf8",
        env: { ...process.env, ...env },
      });
      expect(run.status, run.stderr).toBe(0);
      // A call another thread interrupts is split into "<unfinished ...>" and "<... resumed>" lines:
      // count the lines with the arguments, and check that no call failed.
      const lines = readFileSync(trace, "utf8").split("\n");
      expect(lines.filter((line) => / = -1 E/.test(line))).toEqual([]);
      const calls = lines.filter((line) => !line.includes("resumed>"));
      // Chunk files of every array (the coordinates are rewritten too), not metadata.
      const chunks = spawnSync("find", [dst, "-type", "f", "-name", "[0-9]*", "-not", "-path", "*/.chunkwise/*"], { encoding: "utf8" }).stdout.trim().split("\n");
      return {
        written: calls.filter((line) => line.includes("SYNC_FILE_RANGE_WAIT_AFTER")).length,
        dropped: calls.filter((line) => line.includes("POSIX_FADV_DONTNEED")).length,
        chunks,
      };
    };
    const byDefault = writeBacks("");
    // Every file once: each task hands its files over before it ends, and the run waits for them.
    // (No verification in these runs: it would read the output back into the cache.)
    expect(byDefault).toMatchObject({ written: byDefault.chunks.length, dropped: byDefault.chunks.length });
    const resident = spawnSync("fincore", ["--bytes", "--noheadings", "--output", "RES", ...byDefault.chunks], { encoding: "utf8" });
    expect(resident.stdout.trim().split("\n").map(Number)).toEqual(byDefault.chunks.map(() => 0));
    expect(writeBacks("--no-write-behind")).toMatchObject({ written: 0, dropped: 0 });
    expect(writeBacks("", { CHUNKWISE_NATIVE: "0" })).toMatchObject({ written: 0, dropped: 0 });
    for (const name of ["behind", "behind--no-write-behind", "behind0"]) await expectSameData(climateV2, path.join(tmp, `${name}.zarr`));
  });

  it("Zarr v2 → v3 (sharded) → v3", async () => {
    const v3 = path.join(tmp, "v2v3.zarr");
    const r1 = await runCli(["rechunk", climateV2, v3, "--format", "zarr3", "--chunks", "time=-1,lat=16,lon=16", "--shards", "time=-1,lat=32,lon=32", "--verify", "full"]);
    expect(r1.code, r1.stderr).toBe(0);
    expect(await chunksOf(v3, "/tas")).toEqual({ chunks: [48, 16, 16], shards: [48, 32, 32] });
    await expectSameData(climateV2, v3);
    const v3v3 = path.join(tmp, "v3v3.zarr");
    const r2 = await runCli(["rechunk", v3, v3v3, "--chunks", "time=5,lat=-1,lon=-1", "--codec", "zstd:1", "--max-mem", "2MiB", "--verify", "full"]);
    expect(r2.code, r2.stderr).toBe(0);
    expect(await chunksOf(v3v3, "/tas")).toEqual({ chunks: [5, 73, 144], shards: null });
    await expectSameData(climateV2, v3v3);
  });

  it("HDF5/netCDF4 → Zarr v3, groups and coordinates copied as they are", async () => {
    const dst = path.join(tmp, "nc.zarr");
    const r = await runCli(["rechunk", climateNc, dst, "--chunks", "time=-1,lat=10,lon=10", "--verify", "full", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.output_format).toBe("zarr3");
    expect(doc.verification.units_checked).toBe(doc.verification.units_total);
    expect((await chunksOf(dst, "/tas")).chunks).toEqual([24, 10, 10]);
    await expectSameData(climateNc, dst);
  });
});

describe("rechunk to HDF5/netCDF4 and --auto", () => {
  it("Zarr v2 → HDF5 (two stages): h5py and ncdump read it, dimensions kept", async () => {
    const dst = path.join(tmp, "out.nc");
    const r = await runCli(["rechunk", climateV2, dst, "--chunks", "time=-1,lat=8,lon=10", "--max-mem", "1MiB", "--verify", "full"]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(`${dst}.chunkwise`)).toBe(false);
    expect((await chunksOf(dst, "/tas")).chunks).toEqual([48, 8, 10]);
    // The fill value travels as a _FillValue attribute of the dataset's type.
    await expectSameData(climateV2, dst);
    const py = python(`
import h5py, zarr, numpy as np
a = zarr.open(${JSON.stringify(climateV2)}, mode="r"); f = h5py.File(${JSON.stringify(dst)}, "r")
assert f["tas"].chunks == (48, 8, 10), f["tas"].chunks
for name in ["tas", "lat", "lon", "time"]:
    assert np.array_equal(a[name][:], f[name][:], equal_nan=True), name
# Dimension names are netCDF dimensions, not a stray xarray attribute.
assert "_ARRAY_DIMENSIONS" not in f["tas"].attrs, dict(f["tas"].attrs)
fill = f["tas"].attrs["_FillValue"]
assert fill.dtype == np.float32 and np.isnan(fill).all(), fill
import netCDF4
d = netCDF4.Dataset(${JSON.stringify(dst)})
v = d["tas"][:]
assert np.array_equal(np.ma.getmaskarray(v), np.isnan(a["tas"][:])), "masked where the source is NaN"
# lat's Zarr fill is zarr-python's default 0, not a missing-value marker: the latitude 0 stays unmasked.
assert "_FillValue" not in f["lat"].attrs and 0 in a["lat"][:] and np.ma.count_masked(d["lat"][:]) == 0
print("ok")
`);
    expect(py.stderr).toBe("");
    expect(py.stdout.trim()).toBe("ok");
    const ncdump = spawnSync("ncdump", ["-h", dst], { encoding: "utf8" });
    if (ncdump.error === undefined) expect(ncdump.stdout).toMatch(/float tas\(time, lat, lon\)/);
  });

  it("netCDF4 → netCDF4 keeps it a netCDF file with the new chunks", async () => {
    const dst = path.join(tmp, "nc-to-nc.nc");
    const r = await runCli(["rechunk", climateNc, dst, "--chunks", "time=-1,lat=10,lon=10"]);
    expect(r.code, r.stderr).toBe(0);
    // Implicit netCDF default fills are written as explicit _FillValue attributes: the same fill for netCDF-C.
    await expectSameData(climateNc, dst);
    const ds = await openDataset(dst);
    expect(ds.format).toBe("netcdf4");
    await ds.close();
  });

  it("--auto applies advise's storage chunks for the access pattern", async () => {
    const r = await runCli(["rechunk", climateV2, path.join(tmp, "auto.zarr"), "--auto", "--access", "along=time", "--dry-run", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const tas = JSON.parse(r.stdout).arrays.find((a: { path: string }) => a.path === "/tas");
    // Reading whole time series: the time axis becomes whole.
    expect(tas.target_chunks[0]).toBe(48);
    expect(tas.rechunked).toBe(true);
  });
});

describe("rechunk refuses", () => {
  it("an existing DST unless --overwrite; DST equal to or inside SRC; SRC inside DST", async () => {
    const dst = path.join(tmp, "exists.zarr");
    await mkdir(dst);
    await writeFile(path.join(dst, ".zgroup"), '{"zarr_format": 2}');
    const r = await runCli(["rechunk", climateV2, dst, "--chunks", "48,8,8"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already exists; pass --overwrite .* or --resume/);
    const ok = await runCli(["rechunk", climateV2, dst, "--chunks", "48,8,8", "--overwrite"]);
    expect(ok.code, ok.stderr).toBe(0);

    const same = await runCli(["rechunk", climateV2, climateV2, "--chunks", "48,8,8", "--overwrite"]);
    expect(same.code).toBe(2);
    expect(same.stderr).toMatch(/DST is the same as SRC/);
    const insideSrc = await runCli(["rechunk", climateV2, path.join(climateV2, "sub.zarr"), "--chunks", "48,8,8"]);
    expect(insideSrc.code).toBe(2);
    expect(insideSrc.stderr).toMatch(/DST is inside SRC/);
    const srcCopy = path.join(tmp, "outer", "src.zarr");
    await cp(climateV2, srcCopy, { recursive: true });
    const srcInside = await runCli(["rechunk", srcCopy, path.join(tmp, "outer"), "--chunks", "48,8,8", "--overwrite", "--format", "zarr2"]);
    expect(srcInside.code).toBe(2);
    expect(srcInside.stderr).toMatch(/SRC is inside DST/);
    expect(existsSync(path.join(srcCopy, "tas", ".zarray"))).toBe(true);
  });

  it("--overwrite never deletes a directory that is not a Zarr store", async () => {
    const dst = path.join(tmp, "precious");
    await mkdir(dst);
    await writeFile(path.join(dst, "thesis.tex"), "…");
    const r = await runCli(["rechunk", climateV2, dst, "--chunks", "48,8,8", "--overwrite", "--format", "zarr2"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/holds no Zarr store; --overwrite refuses to delete it/);
    expect(existsSync(path.join(dst, "thesis.tex"))).toBe(true);
  });

  it("a store whose metadata names a node outside it (../escape) is refused before anything is written", async () => {
    const evil = path.join(tmp, "evil");
    const store = path.join(evil, "s.zarr");
    await cp(climateV2, store, { recursive: true });
    const meta = JSON.parse(await readFile(path.join(store, ".zmetadata"), "utf8"));
    meta.metadata["../escape/.zarray"] = meta.metadata["lat/.zarray"];
    meta.metadata["../escape/.zattrs"] = {};
    await writeFile(path.join(store, ".zmetadata"), JSON.stringify(meta));
    const dst = path.join(evil, "out", "o.zarr");
    const r = await runCli(["rechunk", store, dst, "--chunks", "48,8,8"]);
    expect(r.code).toBe(2);
    // The Zarr reader refuses it on opening (test/formats/zarr-security.test.ts), naming the file and the key.
    expect(r.stderr).toMatch(/\.zmetadata.*invalid consolidated metadata: key "\.\.\/escape\/\.zarray" leads outside the store/);
    expect(existsSync(path.join(evil, "out"))).toBe(false);
    expect(existsSync(path.join(evil, "escape"))).toBe(false);
  });

  it("an unreadable array (float16 on Node 20) refuses the job unless --array leaves it out; then it is skipped with a warning", async () => {
    // A store with zarr-python's float16 array next to readable ones.
    const v3 = fixture("zarr-python", "v3", "data.zarr");
    const store = path.join(tmp, "half.zarr");
    await mkdir(store);
    await cp(path.join(v3, "zarr.json"), path.join(store, "zarr.json"));
    for (const name of ["1d.contiguous.f2.le", "1d.contiguous.i4", "2d.chunked.i2"]) await cp(path.join(v3, name), path.join(store, name), { recursive: true });
    const float16Readable = typeof (globalThis as { Float16Array?: unknown }).Float16Array === "function";

    const refused = await runCli(["rechunk", store, path.join(tmp, "half-all.zarr"), "--chunks", "2,2"]);
    if (!float16Readable) {
      expect(refused.code, refused.stderr).toBe(4);
      expect(refused.stderr).toMatch(/cannot read array \/1d\.contiguous\.f2\.le \(dtype float16 needs Float16Array[^)]*\); name the arrays to rechunk with --array/);
      expect(existsSync(path.join(tmp, "half-all.zarr"))).toBe(false);

      const named = await runCli(["rechunk", store, path.join(tmp, "half-named.zarr"), "--array", "1d.contiguous.f2.le", "--chunks", "2"]);
      expect(named.code, named.stderr).toBe(4);
      expect(named.stderr).toMatch(/\/1d\.contiguous\.f2\.le: cannot be read/);
    }

    const dst = path.join(tmp, "half-some.zarr");
    const r = await runCli(["rechunk", store, dst, "--array", "2d.chunked.i2", "--chunks", "1,2", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    const copied = doc.arrays.map((a: { path: string }) => a.path).sort();
    if (float16Readable) {
      expect(doc.warnings).toEqual([]);
      return;
    }
    expect(copied).toEqual(["/1d.contiguous.i4", "/2d.chunked.i2"]);
    expect(doc.warnings).toEqual([expect.stringMatching(/^\/1d\.contiguous\.f2\.le skipped: it cannot be read \(dtype float16/)]);
    expect((await chunksOf(dst, "/2d.chunked.i2")).chunks).toEqual([1, 2]);
    const out = await openDataset(dst);
    expect((await out.listArrays()).map((a) => a.path)).toEqual(copied);
    await out.close();

    const text = await runCli(["rechunk", store, path.join(tmp, "half-text.zarr"), "--array", "2d.chunked.i2", "--chunks", "1,2", "--dry-run"]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/warning: \/1d\.contiguous\.f2\.le skipped: it cannot be read/);
  });

  it("bad flags with exit 2", async () => {
    const both = await runCli(["rechunk", climateV2, path.join(tmp, "x.zarr"), "--chunks", "1,2,3", "--auto"]);
    expect(both.code).toBe(2);
    const neither = await runCli(["rechunk", climateV2, path.join(tmp, "x.zarr")]);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toMatch(/--chunks SPEC or --auto/);
    const badName = await runCli(["rechunk", climateV2, path.join(tmp, "x.zarr"), "--chunks", "depth=3"]);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toMatch(/fits no array here/);
    const shardsV2 = await runCli(["rechunk", climateV2, path.join(tmp, "x.zarr"), "--chunks", "48,8,8", "--shards", "48,16,16"]);
    expect(shardsV2.code).toBe(2);
    expect(shardsV2.stderr).toMatch(/--shards needs Zarr v3 output/);
    expect(existsSync(path.join(tmp, "x.zarr"))).toBe(false);
  });
});

describe("rechunk --verify", () => {
  it("a changed chunk fails verification with exit 1, naming the chunk", async () => {
    const dst = path.join(tmp, "tamper.zarr");
    const r = await runCli(["rechunk", climateV2, dst, "--chunks", "time=-1,lat=8,lon=8", "--codec", "none", "--format", "zarr2", "--verify", "none"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/not verified/);
    // Overwrite chunk (0, 1, 2) with other values of the same size (uncompressed, so still decodable).
    await writeFile(path.join(dst, "tas", "0.1.2"), Buffer.alloc(48 * 8 * 8 * 4, 7));
    const check = await runCli(["rechunk", climateV2, dst, "--chunks", "time=-1,lat=8,lon=8", "--codec", "none", "--format", "zarr2", "--resume", "--verify", "full"]);
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(/verification failed: \/tas chunk \[0, 1, 2\] differs from the source/);
  });
});
