import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadH5wasm } from "../../src/formats/hdf5/module.js";
import { openDataset, openDatasetReader } from "../../src/formats/open.js";
import { fileOf, hasPythonHdf5, writeDirectFiles, type DirectFiles } from "./hdf5-direct-files.js";

// Count h5wasm loads; `h5` stays the real module's live binding.
vi.mock("../../src/formats/hdf5/module.js", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../src/formats/hdf5/module.js")>();
  return {
    ...actual,
    get h5() {
      return actual.h5;
    },
    loadH5wasm: vi.fn(actual.loadH5wasm),
  };
});

const dir = mkdtempSync(path.join(tmpdir(), "chunkwise-hdf5-reader-"));
let files: DirectFiles;

beforeAll(() => {
  if (hasPythonHdf5) files = writeDirectFiles(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!hasPythonHdf5)("HDF5 reader for worker threads", () => {
  // Runs first: nothing has loaded h5wasm in this file's module graph yet.
  it("reads chunks of direct datasets without loading h5wasm, finding them through link messages (netCDF-4), symbol tables (libver earliest) and a path inside the file", async () => {
    const reads: [string, string, number[]][] = [
      [fileOf(dir, "nc"), "/tas", [3, 0, 0]],
      [fileOf(dir, "early"), "/group/sub/deep", [1, 1, 0]],
      [path.join(fileOf(dir, "early"), "group"), "/sub/deep", [1, 1, 0]],
    ];
    const values: unknown[][] = [];
    for (const [location, array, coords] of reads) {
      const reader = await openDatasetReader(location);
      values.push(Array.from((await reader.readChunk(array, coords)).values as ArrayLike<unknown>));
      await reader.close();
    }
    expect(loadH5wasm).not.toHaveBeenCalled();
    for (const [i, [location, array, coords]] of reads.entries()) {
      const ds = await openDataset(location);
      const { shape, chunks } = await ds.describe(array);
      const start = coords.map((c, axis) => c * chunks![axis]!);
      const expected = await ds.readRegion(array, start, start.map((s, axis) => Math.min(s + chunks![axis]!, shape[axis]!)));
      expect(values[i], `${location} ${array}`).toEqual(Array.from(expected.values as ArrayLike<unknown>));
      await ds.close();
    }
  });

  it("falls back to h5wasm for a group kept in dense storage (libver latest, over 8 links) and for filters it does not decode", async () => {
    const dense = await openDatasetReader(fileOf(dir, "dense"));
    expect(Array.from((await dense.readChunk("/v11", [2, 0])).values as Int32Array)).toEqual([41, 42, 43, 44, 45, 46, 47, 48, 49, 50]);
    await dense.close();
    const early = await openDatasetReader(fileOf(dir, "early"));
    expect(Array.from((await early.readChunk("/scaleoffset", [1])).values as Int32Array)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    await expect(early.readChunk("/lzf", [0])).rejects.toMatchObject({ tag: "UnsupportedError" });
    await expect(early.readChunk("/nothing", [0])).rejects.toMatchObject({ tag: "NotFoundError" });
    await early.close();
    expect(loadH5wasm).toHaveBeenCalled();
  });
});
