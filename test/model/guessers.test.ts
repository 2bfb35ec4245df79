import { describe, expect, it } from "vitest";
import { DASK_AUTO_CHUNK_BYTES, balancedChunks, daskAuto, h5pyGuess, netcdfDefault, zarrGuess } from "../../src/model/guessers.js";
import { product } from "../../src/model/layout.js";

describe("chunk guessers", () => {
  it("h5py's guess_chunk: 8 KiB floor for small data, halving axes in turn", () => {
    // 80 kB of float64: target clipped to 8 KiB; (100,100) → (50,100) → (50,50) → (25,50) = 10 kB, within 50 % of 8 KiB.
    expect(h5pyGuess([100, 100], 8)).toEqual([25, 50]);
    // never above 1 MiB
    expect(product(h5pyGuess([100000, 100000], 8)) * 8).toBeLessThan(2 ** 20);
  });

  it("zarr-python's guess uses the same scheme with a 256 KiB base and a 64 MiB ceiling", () => {
    const chunks = zarrGuess([8760, 721, 1440], 4);
    expect(product(chunks) * 4).toBeLessThanOrEqual(64 * 2 ** 20);
    expect(product(chunks) * 4).toBeGreaterThan(128 * 1024);
  });

  it("Dask auto grows storage chunks in whole multiples to about 128 MiB", () => {
    const chunks = daskAuto([8760, 721, 1440], 4, [1, 721, 1440]);
    expect(chunks[1]).toBe(721);
    expect(chunks[2]).toBe(1440);
    expect(product(chunks) * 4).toBeLessThanOrEqual(DASK_AUTO_CHUNK_BYTES);
    expect(product(chunks) * 4).toBeGreaterThan(DASK_AUTO_CHUNK_BYTES / 2);
    const grown = daskAuto([10000, 10000], 8, [100, 100]);
    grown.forEach((c) => expect(c % 100).toBe(0));
  });

  it("netCDF's default scales every axis alike to ~4 MiB", () => {
    const chunks = netcdfDefault([8760, 721, 1440], 4);
    expect(product(chunks) * 4).toBeLessThanOrEqual(4 * 2 ** 20);
    expect(product(chunks) * 4).toBeGreaterThan(2 ** 20);
    expect(netcdfDefault([10, 10], 4)).toEqual([10, 10]);
  });

  it("balanced chunking makes series and slab reads touch about the same number of chunks", () => {
    const shape = [1000, 100, 100];
    const chunks = balancedChunks(shape, 4);
    const seriesChunks = shape[0]! / chunks[0]!;
    const slabChunks = (shape[1]! / chunks[1]!) * (shape[2]! / chunks[2]!);
    expect(seriesChunks / slabChunks).toBeGreaterThan(0.8);
    expect(seriesChunks / slabChunks).toBeLessThan(1.25);
    expect(product(chunks) * 4).toBeLessThanOrEqual(4 * 2 ** 20);
    expect(balancedChunks([10, 10], 4)).toEqual([10, 10]);
  });
});
