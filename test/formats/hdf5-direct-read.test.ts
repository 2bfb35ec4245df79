import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ChunkwiseError } from "../../src/errors.js";
import { copyRegion, type PartMemory } from "../../src/formats/block-copy.js";
import type { ArrayValues, Dataset, NumericArray } from "../../src/formats/dataset.js";
import { openHdf5 } from "../../src/formats/hdf5.js";
import { DirectChunkReader, directDataset } from "../../src/formats/hdf5/direct-read.js";
import { MetadataReader } from "../../src/formats/hdf5/metadata-reader.js";
import { readSuperblock } from "../../src/formats/hdf5/superblock.js";
import { fileOf, hasPythonHdf5, writeDirectFiles, type DirectFiles } from "./hdf5-direct-files.js";

const dir = mkdtempSync(path.join(tmpdir(), "chunkwise-hdf5-direct-"));
let files: DirectFiles;

beforeAll(() => {
  if (hasPythonHdf5) files = writeDirectFiles(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** Memory handed out dirty, as a worker's reused buffers are. */
const DIRTY_MEMORY: PartMemory = {
  keep: (bytes) => new Uint8Array(bytes + 8).fill(0xa5).subarray(8),
  scratch: (_slot, bytes) => new Uint8Array(bytes + 3).fill(0x5a).subarray(3, bytes + 3),
};

function* gridOf(shape: readonly number[], chunks: readonly number[]): Generator<number[]> {
  const grid = shape.map((n, axis) => Math.ceil(n / chunks[axis]!));
  if (grid.some((n) => n === 0)) return;
  const coords = grid.map(() => 0);
  for (;;) {
    yield [...coords];
    let axis = grid.length - 1;
    for (; axis >= 0 && ++coords[axis]! === grid[axis]!; axis -= 1) coords[axis] = 0;
    if (axis < 0) return;
  }
}

const plain = (values: ArrayValues): unknown[] => Array.from(values as ArrayLike<unknown>);

let seed = 7;
const random = (n: number): number => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed % n;
};

/** Every chunk read directly equals h5wasm's read of its region; so do random parts. */
async function expectSameAsH5wasm(ds: Dataset, arrayPath: string): Promise<void> {
  const { shape, chunks } = await ds.describe(arrayPath);
  for (const coords of gridOf(shape, chunks!)) {
    const start = coords.map((c, axis) => c * chunks![axis]!);
    const stop = start.map((s, axis) => Math.min(s + chunks![axis]!, shape[axis]!));
    const direct = await ds.readChunk(arrayPath, coords);
    const expected = await ds.readRegion(arrayPath, start, stop);
    expect(direct.shape, `${arrayPath} [${coords}]`).toEqual(expected.shape);
    expect(direct.values.constructor, arrayPath).toBe(expected.values.constructor);
    expect(plain(direct.values), `${arrayPath} chunk [${coords}]`).toEqual(plain(expected.values));

    const partStart = start.map((s, axis) => s + random(stop[axis]! - s));
    const partStop = partStart.map((s, axis) => s + 1 + random(stop[axis]! - s));
    const part = { start: partStart, stop: partStop };
    const partShape = partStop.map((s, axis) => s - partStart[axis]!);
    const piece = await ds.readChunkPart(arrayPath, coords, part, DIRTY_MEMORY);
    const values = new (expected.values.constructor as new (n: number) => NumericArray)(partShape.reduce((a, b) => a * b, 1));
    copyRegion(piece, { origin: partStart, shape: partShape, values }, part);
    const expectedPart = await ds.readRegion(arrayPath, partStart, partStop);
    expect(plain(values), `${arrayPath} part of chunk [${coords}]`).toEqual(plain(expectedPart.values));
  }
}

describe.skipIf(!hasPythonHdf5)("HDF5 direct chunk read", () => {
  for (const name of ["early", "latest", "nc"] as const) {
    it(`reads every chunk and random parts of ${name} exactly as h5wasm does, and takes the direct path for every eligible dataset`, async () => {
      const ds = await openHdf5(fileOf(dir, name));
      try {
        for (const arrayPath of files[name].direct) {
          const spy = vi.spyOn(DirectChunkReader.prototype, "readChunk");
          await expectSameAsH5wasm(ds, arrayPath);
          expect(spy, `${arrayPath} read directly`).toHaveBeenCalled();
          spy.mockRestore();
        }
        for (const arrayPath of files[name].h5wasm) {
          const spy = vi.spyOn(DirectChunkReader.prototype, "readChunk");
          const { shape, chunks } = await ds.describe(arrayPath);
          for (const coords of gridOf(shape, chunks ?? shape)) await ds.readChunk(arrayPath, coords);
          expect(spy, `${arrayPath} left to h5wasm`).not.toHaveBeenCalled();
          spy.mockRestore();
        }
      } finally {
        await ds.close();
      }
    });
  }

  it("finds every chunk index type in the files h5py writes", async () => {
    const expected: Record<string, string> = {
      "/single": "single", "/single_raw": "single", "/fa_max": "fixed-array", "/fa_paged": "fixed-array", "/ea": "extensible-array",
      "/ea_second": "extensible-array", "/bt2": "btree2", "/bt2_raw": "btree2", "/implicit": "implicit",
    };
    for (const [name, paths] of [["latest", expected], ["early", { "/big": "btree1" }]] as const) {
      const handle = await open(fileOf(dir, name));
      try {
        const superblock = (await readSuperblock(handle, (await handle.stat()).size))!;
        const reader = new MetadataReader(handle.fd, superblock);
        for (const [arrayPath, type] of Object.entries(paths)) {
          expect(directDataset(reader, files[name].addresses![arrayPath]!)?.layout.index.type, arrayPath).toBe(type);
        }
      } finally {
        await handle.close();
      }
    }
  });

  it("reads unallocated chunks as the fill value and honours per-chunk filter masks", async () => {
    const ds = await openHdf5(fileOf(dir, "early"));
    try {
      expect(plain((await ds.readChunk("/fill", [1, 1])).values)).toEqual(new Array(36).fill(-7));
      expect(plain((await ds.readChunk("/befill", [0, 0])).values)).toEqual(new Array(16).fill(1.5));
      const masked = Array.from({ length: 16 }, (_, i) => 0 - 3 * i);
      expect(plain((await ds.readChunk("/masked", [1, 1])).values)).toEqual(masked);
      expect(plain((await ds.readChunk("/masked", [0, 1])).values)).toEqual(masked);
    } finally {
      await ds.close();
    }
  });

  it("refuses an lzf dataset (never garbage) and reads scaleoffset through h5wasm", async () => {
    const ds = await openHdf5(fileOf(dir, "early"));
    try {
      await expect(ds.readChunk("/lzf", [0])).rejects.toMatchObject({ tag: "UnsupportedError" });
      expect(plain((await ds.readChunk("/scaleoffset", [3])).values)).toEqual([30, 31, 32, 33, 34, 35, 36, 37, 38, 39]);
    } finally {
      await ds.close();
    }
  });

  describe("damaged files: one clear error naming the file and the chunk", () => {
    async function readError(file: string, arrayPath: string, coords: number[]): Promise<ChunkwiseError> {
      const ds = await openHdf5(file);
      try {
        await ds.readChunk(arrayPath, coords);
      } catch (err) {
        if (err instanceof ChunkwiseError) return err;
        throw err;
      } finally {
        await ds.close();
      }
      throw new Error("expected the read to fail");
    }

    const damaged = (label: string, change: (bytes: Buffer) => void): string => {
      const file = path.join(dir, `${label}.h5`);
      const bytes = readFileSync(fileOf(dir, "early"));
      change(bytes);
      writeFileSync(file, bytes);
      return file;
    };

    it("a corrupt deflate stream", async () => {
      const chunk = files.early.chunks!["/deflate_lei4"]![1]!;
      const file = damaged("deflate", (bytes) => bytes.fill(0xff, chunk.address + 2, chunk.address + chunk.size - 4));
      const err = await readError(file, "/deflate_lei4", [0, 1, 0]);
      expect(err.tag).toBe("IOError");
      expect(err.path).toBe(file);
      expect(err.message).toMatch(/^cannot read \/deflate_lei4 chunk \[0, 1, 0\]: corrupt deflate stream \(.+\)$/);
    });

    it("a fletcher32 checksum that does not match", async () => {
      const chunk = files.early.chunks!["/all_lef4"]![0]!;
      const file = damaged("fletcher", (bytes) => {
        bytes[chunk.address + chunk.size - 1] ^= 0x01;
      });
      const err = await readError(file, "/all_lef4", [0, 0, 0]);
      expect(err.message).toBe("cannot read /all_lef4 chunk [0, 0, 0]: fletcher32 checksum mismatch");
      expect(err.path).toBe(file);
    });

    it("a chunk that inflates to the wrong size", async () => {
      const err = await readError(fileOf(dir, "early"), "/wrongsize", [0, 0]);
      expect(err.message).toBe("cannot read /wrongsize chunk [0, 0]: decodes to 10 bytes, expected 64");
    });

    it("a B-tree entry pointing past the end of the file", async () => {
      const chunk = files.early.chunks!["/big"]![5]!;
      const file = damaged("past-eof", (bytes) => {
        const address = Buffer.alloc(8);
        address.writeBigUInt64LE(BigInt(chunk.address));
        const at = bytes.indexOf(address);
        expect(bytes.indexOf(address, at + 1)).toBe(-1);
        bytes.writeBigUInt64LE(BigInt(bytes.length + 4096), at);
      });
      const coords = chunk.offset.map((o) => o / 100);
      const err = await readError(file, "/big", coords);
      expect(err.tag).toBe("TruncatedError");
      expect(err.message).toMatch(new RegExp(`^cannot read /big chunk \\[${coords.join(", ")}\\]: its ${chunk.size} bytes at offset \\d+ lie past the end of the file \\(\\d+ bytes\\)`));
    });

    it("a file truncated inside a chunk (the superblock's end-of-file address patched to match)", async () => {
      const last = files.early.chunks!["/big"]!.reduce((a, b) => (b.address > a.address ? b : a));
      const end = last.address + Math.floor(last.size / 2);
      const file = path.join(dir, "truncated.h5");
      copyFileSync(fileOf(dir, "early"), file);
      truncateSync(file, end);
      // Truncated as is, the file is refused at open: its superblock says how long it should be.
      await expect(openHdf5(file)).rejects.toMatchObject({ tag: "TruncatedError" });
      const patched = readFileSync(file);
      const eof = Buffer.alloc(8);
      eof.writeBigUInt64LE(BigInt(end));
      eof.copy(patched, 40); // superblock version 0: the end-of-file address
      writeFileSync(file, patched);
      const err = await readError(file, "/big", last.offset.map((o) => o / 100));
      expect(err.tag).toBe("TruncatedError");
      expect(err.message).toMatch(/lie past the end of the file/);
    });
  });
});
