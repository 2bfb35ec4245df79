import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { hasPythonHdf5 } from "../formats/hdf5-direct-files.js";
import { expectSameData, python } from "../rechunk/helpers.js";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "chunkwise-rechunk-hdf5-direct-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

// Deflate + shuffle like the peers benchmark, a big-endian variable with fletcher32, and unwritten chunks read as the fill value.
const WRITE_NETCDF = `
import sys
import netCDF4
import numpy as np
rng = np.random.default_rng(5)
with netCDF4.Dataset(sys.argv[1], "w", format="NETCDF4") as nc:
    nc.createDimension("time", 30)
    nc.createDimension("lat", 45)
    nc.createDimension("lon", 90)
    nc.createVariable("time", "f8", ("time",))[:] = np.arange(30)
    tas = nc.createVariable("tas", "f4", ("time", "lat", "lon"), zlib=True, complevel=1, shuffle=True, chunksizes=(1, 45, 90), fill_value=1e20)
    tas[0:27] = rng.standard_normal((27, 45, 90)).astype("f4")
    pr = nc.createVariable("pr", np.dtype(">i4"), ("time", "lat", "lon"), zlib=True, fletcher32=True, chunksizes=(4, 16, 32), endian="big")
    pr[:] = rng.integers(-1000, 1000, size=(30, 45, 90), dtype="i4").astype(">i4")
`;

describe.skipIf(!hasPythonHdf5)("rechunk a netCDF-4 file read through the direct chunk reader", () => {
  it("writes a netCDF-4 file equal to the source, verified", async () => {
    const src = path.join(tmp, "src.nc");
    const written = python(`${WRITE_NETCDF.replace("sys.argv[1]", JSON.stringify(src))}`);
    expect(written.stderr).toBe("");
    const dst = path.join(tmp, "dst.nc");
    const r = await runCli(["rechunk", src, dst, "--chunks", "time=30,lat=8,lon=8", "--max-mem", "2MiB", "--threads", "2"]);
    expect(r.stderr).not.toMatch(/chunkwise:/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/verified/);
    await expectSameData(src, dst);
  });
});
