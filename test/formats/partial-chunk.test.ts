/**
 * Dataset.readChunkPart against readChunk on Zarr v2 stores zarr-python wrote: blosc lz4/lz4hc
 * frames decoded block by block (split and unsplit blocks, a leftover block, memcpyed frames),
 * uncompressed chunks read at a byte range, and the arrays that must go whole through zarrita
 * (zstd, big-endian, F order, unwritten chunks). Then readGranuleBytes, and malformed chunks.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type ChunkwiseError, errorLine, isChunkwiseError } from "../../src/errors.js";
import type { Block, Dataset, PlacedBlock, Region } from "../../src/formats/dataset.js";
import { openDataset } from "../../src/formats/open.js";
import { logInt, mulberry32, pick } from "../helpers/random.js";
import { python } from "../rechunk/helpers.js";

const dir = mkdtempSync(path.join(tmpdir(), "chunkwise-partial-chunk-"));
const store = path.join(dir, "src.zarr");

/** Arrays of src.zarr: how each is written, and the granule readGranuleBytes must report. */
const ARRAYS = {
  // c-blosc 1.x multiplies the block size of blocks it splits into streams by the typesize, to at
  // least 64 KiB: asked for 16 KiB, it writes 64 KiB blocks.
  // 2·300·200·4 = 480000 bytes a chunk: 7 blocks split in 4 streams and a 21248-byte leftover, unsplit.
  lz4: { granule: 65536, partial: true },
  // int16, no shuffle, still split in 2 streams per block: 240000 bytes = 3 blocks and a leftover.
  lz4hc_i2: { granule: 65536, partial: true },
  // float64 in 512-byte blocks: 64 elements, fewer than the 128 c-blosc splits: one stream a block.
  unsplit_f8: { granule: 512, partial: true },
  // 2·32·64·8 = 32768 bytes: exactly 64 blocks of 512, no leftover.
  exact_f8: { granule: 512, partial: true },
  // int64 (BigInt64Array values), lz4 shuffle: 4·60·70·8 = 134400 bytes, 2 blocks and a leftover.
  lz4_i8: { granule: 65536, partial: true },
  // clevel 0: memcpyed frames, any byte decodes alone.
  memcpy_u2: { granule: 1, partial: true },
  raw_f4: { granule: 4096, partial: true },
  raw_bool: { granule: 4096, partial: true },
  // Decoded whole by c-blosc: the granule is the whole chunk (the planner then caps re-decoding).
  zstd: { granule: 2 * 300 * 200 * 4, partial: false },
  // Not the bytes this machine holds, or not C order: no partial reads at all.
  big_endian: { granule: null, partial: false },
  forder: { granule: null, partial: false },
  // lz4 like `lz4`, with chunks 0.0.0 and 1.1.0 never written: those come from the fill value.
  missing: { granule: 65536, partial: true },
} as const;
type ArrayName = keyof typeof ARRAYS;

let dataset: Dataset;

beforeAll(async () => {
  const py = python(`
import os, json, numpy as np, zarr
from numcodecs import Blosc
rng = np.random.default_rng(20261125)
g = zarr.open_group(${JSON.stringify(store)}, mode="w")
shape = (7, 310, 230)
t, y, x = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
smooth = 280 + 10 * np.sin(t / 3 + y / 17) * np.cos(x / 29)
f4 = (smooth + rng.normal(0, 0.01, shape)).astype("<f4")
big = dict(shape=shape, chunks=(2, 300, 200))
lz4 = lambda **kw: Blosc(cname="lz4", clevel=5, shuffle=Blosc.SHUFFLE, **kw)
g.create_dataset("lz4", data=f4, compressor=lz4(blocksize=16384), **big)
g.create_dataset("lz4hc_i2", data=(t * 1000 + y * 7 + x - 3000).astype("<i2"), compressor=Blosc(cname="lz4hc", clevel=9, shuffle=Blosc.NOSHUFFLE, blocksize=16384), **big)
g.create_dataset("unsplit_f8", data=(smooth[:, :40, :50] * 1.5).astype("<f8"), chunks=(3, 40, 50), compressor=lz4(blocksize=512))
g.create_dataset("exact_f8", data=(smooth[:5, :64, :128] - 280).astype("<f8"), chunks=(2, 32, 64), compressor=lz4(blocksize=512))
g.create_dataset("lz4_i8", data=(rng.integers(-2**40, 2**40, (9, 120, 70)) // 1024 * 1024).astype("<i8"), chunks=(4, 60, 70), compressor=lz4(blocksize=8192))
g.create_dataset("memcpy_u2", data=rng.integers(0, 65535, (5, 61, 43)).astype("<u2"), chunks=(2, 30, 43), compressor=Blosc(cname="lz4", clevel=0, shuffle=Blosc.SHUFFLE))
g.create_dataset("raw_f4", data=f4, compressor=None, **big)
g.create_dataset("raw_bool", data=(t + y * x) % 3 == 0, chunks=(3, 100, 64), compressor=None)
g.create_dataset("zstd", data=f4, compressor=Blosc(cname="zstd", clevel=3, shuffle=Blosc.SHUFFLE, blocksize=16384), **big)
g.create_dataset("big_endian", data=f4.astype(">f4"), compressor=lz4(blocksize=16384), **big)
g.create_dataset("forder", data=f4, order="F", compressor=lz4(blocksize=16384), **big)
m = g.create_dataset("missing", data=f4, compressor=lz4(blocksize=16384), fill_value=-7.5, **big)
for key in ["0.0.0", "1.1.0"]:
    os.remove(os.path.join(${JSON.stringify(store)}, "missing", key))
print("ok")
`);
  expect(py.stderr).toBe("");
  expect(py.stdout.trim()).toBe("ok");
  dataset = await openDataset(store);
});

afterAll(async () => {
  await dataset?.close();
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** Header fields of the blosc frame in a chunk file. */
function bloscHeader(file: string): { flags: number; typesize: number; nbytes: number; blocksize: number; cbytes: number } {
  const frame = readFileSync(file);
  return { flags: frame[2]!, typesize: frame[3]!, nbytes: frame.readUInt32LE(4), blocksize: frame.readUInt32LE(8), cbytes: frame.readUInt32LE(12) };
}

/**
 * The box `part` cut from `block` (whose first element is at `origin`; its values hold the block
 * from element `first` on), element by element: no code under test. Every element must be there.
 */
function cut(block: Block, origin: readonly number[], part: Region, first = 0): unknown[] {
  const values = block.values as ArrayLike<unknown>;
  part.start.forEach((s, axis) => {
    expect(s).toBeGreaterThanOrEqual(origin[axis]!);
    expect(part.stop[axis]!).toBeLessThanOrEqual(origin[axis]! + block.shape[axis]!);
  });
  const out: unknown[] = [];
  const index = [...part.start];
  const total = part.stop.reduce((n, s, axis) => n * (s - part.start[axis]!), 1);
  for (let k = 0; k < total; k++) {
    let flat = 0;
    for (let axis = 0; axis < index.length; axis++) flat = flat * block.shape[axis]! + (index[axis]! - origin[axis]!);
    expect(flat - first).toBeGreaterThanOrEqual(0);
    expect(flat - first).toBeLessThan(values.length);
    out.push(values[flat - first]);
    for (let axis = index.length - 1; axis >= 0; axis--) {
      if (++index[axis]! < part.stop[axis]!) break;
      index[axis] = part.start[axis]!;
    }
  }
  return out;
}

interface Chunk {
  readonly coords: number[];
  readonly start: number[];
  readonly stop: number[];
}

async function chunkGrid(name: ArrayName): Promise<{ shape: readonly number[]; chunks: readonly number[]; cells: Chunk[] }> {
  const { shape, chunks } = await dataset.describe(`/${name}`);
  const grid = shape.map((n, axis) => Math.ceil(n / chunks![axis]!));
  const cells: Chunk[] = [];
  const total = grid.reduce((a, b) => a * b, 1);
  for (let i = 0; i < total; i++) {
    const coords: number[] = [];
    let rest = i;
    for (let axis = grid.length - 1; axis >= 0; axis--) {
      coords.unshift(rest % grid[axis]!);
      rest = Math.floor(rest / grid[axis]!);
    }
    const start = coords.map((c, axis) => c * chunks![axis]!);
    cells.push({ coords, start, stop: start.map((s, axis) => Math.min(shape[axis]!, s + chunks![axis]!)) });
  }
  return { shape, chunks: chunks!, cells };
}

/**
 * A random box inside `chunk`: the whole chunk, one element, whole rows, a part starting at the
 * chunk's first element (first block) or ending at its last (last block, the leftover), or any box.
 */
function randomPart(random: () => number, chunk: Chunk): { kind: string; part: Region } {
  const { start, stop } = chunk;
  const ndim = start.length;
  const within = (axis: number): [number, number] => {
    const a = start[axis]! + Math.floor(random() * (stop[axis]! - start[axis]!));
    const b = start[axis]! + Math.floor(random() * (stop[axis]! - start[axis]!));
    return [Math.min(a, b), Math.max(a, b) + 1];
  };
  const kind = pick(random, ["whole", "element", "rows", "first", "last", "box", "box", "box"] as const);
  const lo = [...start];
  const hi = [...stop];
  for (let axis = 0; axis < ndim; axis++) {
    if (kind === "whole") continue;
    if (kind === "element") {
      lo[axis] = within(axis)[0];
      hi[axis] = lo[axis]! + 1;
    } else if (kind === "rows") {
      if (axis < ndim - 1) [lo[axis], hi[axis]] = within(axis);
    } else if (kind === "first") {
      hi[axis] = start[axis]! + logInt(random, 1, stop[axis]! - start[axis]!);
    } else if (kind === "last") {
      lo[axis] = stop[axis]! - logInt(random, 1, stop[axis]! - start[axis]!);
    } else {
      [lo[axis], hi[axis]] = within(axis);
    }
  }
  return { kind, part: { start: lo, stop: hi } };
}

/** The part cut from what readChunkPart returned: a placed block (maybe a stretch) that holds it. */
function partOf(placed: PlacedBlock, part: Region): unknown[] {
  return cut({ shape: placed.shape, values: placed.values }, placed.origin, part, placed.first ?? 0);
}

/** readChunkPart over `trials` random parts of random chunks equals the same box of readChunk, type and values. */
async function checkRandomParts(name: ArrayName, seed: number, trials: number): Promise<Set<string>> {
  const random = mulberry32(seed);
  const { cells } = await chunkGrid(name);
  const whole = new Map<string, Block>();
  const kinds = new Set<string>();
  for (let trial = 0; trial < trials; trial++) {
    const chunk = pick(random, cells);
    const { kind, part } = randomPart(random, chunk);
    kinds.add(kind);
    const key = chunk.coords.join(".");
    if (!whole.has(key)) whole.set(key, await dataset.readChunk(`/${name}`, chunk.coords));
    const full = whole.get(key)!;
    const got = await dataset.readChunkPart(`/${name}`, chunk.coords, part);
    const what = `${name} chunk ${key} ${kind} part ${JSON.stringify(part)}`;
    expect(got.values.constructor.name, what).toBe(full.values.constructor.name);
    expect(partOf(got, part), what).toEqual(cut(full, chunk.start, part));
  }
  return kinds;
}

describe("the generated store", () => {
  it("holds the frames the cases are about", () => {
    const lz4 = bloscHeader(path.join(store, "lz4", "0.0.0"));
    expect(lz4).toMatchObject({ typesize: 4, nbytes: 480000, blocksize: 65536 });
    expect(lz4.flags & 0x01).toBe(1); // byte shuffle
    expect(lz4.flags >> 5).toBe(1); // lz4
    expect(lz4.nbytes % lz4.blocksize).toBeGreaterThan(0); // a leftover block
    const i2 = bloscHeader(path.join(store, "lz4hc_i2", "0.0.0"));
    expect(i2).toMatchObject({ typesize: 2, nbytes: 240000, blocksize: 65536 });
    expect([i2.flags & 0x01, i2.flags & 0x10]).toEqual([0, 0]); // no shuffle, split into streams
    const f8 = bloscHeader(path.join(store, "unsplit_f8", "0.0.0"));
    expect(f8).toMatchObject({ typesize: 8, nbytes: 48000, blocksize: 512 });
    expect(f8.flags & 0x11).toBe(0x11); // shuffled, and not split (64 elements a block)
    expect(bloscHeader(path.join(store, "exact_f8", "0.0.0"))).toMatchObject({ typesize: 8, nbytes: 32768, blocksize: 512 });
    expect(bloscHeader(path.join(store, "lz4_i8", "0.0.0"))).toMatchObject({ typesize: 8, nbytes: 134400, blocksize: 65536 });
    expect(bloscHeader(path.join(store, "memcpy_u2", "0.0.0")).flags & 0x02).toBe(2);
    expect(bloscHeader(path.join(store, "zstd", "0.0.0")).flags >> 5).toBe(4);
  });
});

describe("readChunkPart equals the same box of readChunk", () => {
  const names = Object.keys(ARRAYS) as ArrayName[];
  it.each(names.map((name, i) => [name, 1000 + i] as const))("%s (seed %i)", async (name, seed) => {
    const readChunk = vi.spyOn(dataset, "readChunk");
    const kinds = await checkRandomParts(name, seed, 80);
    expect(kinds.size).toBe(6);
    const wholeReads = readChunk.mock.calls.length;
    readChunk.mockClear();
    // Routing: parts of chunks readable in part never decode the whole chunk through zarrita.
    const { cells } = await chunkGrid(name);
    const written = name === "missing" ? cells.filter((c) => !["0.0.0", "1.1.0"].includes(c.coords.join("."))) : cells;
    for (const chunk of written) await dataset.readChunkPart(`/${name}`, chunk.coords, { start: chunk.start, stop: chunk.stop.map((s, axis) => (axis === 0 ? chunk.start[0]! + 1 : s)) });
    expect(readChunk.mock.calls.length, name).toBe(ARRAYS[name].partial ? 0 : written.length);
    expect(wholeReads).toBeGreaterThan(0);
  });

  it("unwritten chunks come as the fill value", async () => {
    const part = { start: [2, 300, 0], stop: [4, 310, 200] };
    const got = await dataset.readChunkPart("/missing", [1, 1, 0], part);
    const values = partOf(got, part);
    expect(values).toHaveLength(2 * 10 * 200);
    expect(new Set(values)).toEqual(new Set([-7.5]));
  });
});

describe("readGranuleBytes", () => {
  it.each(Object.entries(ARRAYS))("%s: %o", async (name, { granule }) => {
    expect(await dataset.readGranuleBytes(`/${name}`)).toBe(granule);
  });
});

describe("malformed chunks: readChunkPart throws a ChunkwiseError naming the chunk file, never returns values", () => {
  const bad = path.join(dir, "bad.zarr");
  let broken: Dataset;
  // Chunk 0.0.0 of /lz4 is 7 blocks of 65536 bytes and a leftover; this part lies in block 3
  // (elements 50000–51999: bytes 200000–208000).
  const inBlock3: Region = { start: [0, 250, 0], stop: [1, 260, 200] };
  const inBlock0: Region = { start: [0, 0, 0], stop: [1, 2, 200] };
  const wholeChunk: Region = { start: [0, 0, 0], stop: [2, 300, 200] };

  /** A copy of array `from` of src.zarr as `name` in bad.zarr, its chunk 0.0.0 then changed by `change`. */
  function brokenCopy(name: string, from: ArrayName, change: (frame: Buffer) => Buffer): void {
    const target = path.join(bad, name);
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target, { recursive: true });
    for (const file of readdirSync(path.join(store, from))) copyFileSync(path.join(store, from, file), path.join(target, file));
    writeFileSync(path.join(target, "0.0.0"), change(readFileSync(path.join(target, "0.0.0"))));
  }
  const setUint32 = (offset: number, value: (frame: Buffer) => number) => (frame: Buffer) => {
    frame.writeUInt32LE(value(frame), offset);
    return frame;
  };
  const blockStart = (frame: Buffer, b: number) => frame.readInt32LE(16 + 4 * b);

  beforeAll(async () => {
    mkdirSync(bad, { recursive: true });
    writeFileSync(path.join(bad, ".zgroup"), JSON.stringify({ zarr_format: 2 }));
    brokenCopy("raw_truncated", "raw_f4", (frame) => frame.subarray(0, 100_000));
    brokenCopy("raw_long", "raw_f4", (frame) => Buffer.concat([frame, Buffer.alloc(4)]));
    brokenCopy("offset_outside", "lz4", setUint32(16 + 4 * 3, (frame) => frame.length + 100));
    brokenCopy("offset_in_header", "lz4", setUint32(16 + 4 * 3, () => 20));
    // Block 3's offset pointing at block 2's data: a well-formed block, the wrong one.
    brokenCopy("offset_other_block", "lz4", setUint32(16 + 4 * 3, (frame) => blockStart(frame, 2)));
    brokenCopy("stream_size", "lz4", (frame) => {
      frame.writeInt32LE(0x7fff0000, blockStart(frame, 3));
      return frame;
    });
    // The leftover block's first stream claims more bytes than the frame holds: only parts that need it fail.
    brokenCopy("last_block", "lz4", (frame) => {
      frame.writeInt32LE(0x7fff0000, blockStart(frame, 7));
      return frame;
    });
    brokenCopy("truncated", "lz4", (frame) => frame.subarray(0, frame.length - 100));
    brokenCopy("truncated_header", "lz4", (frame) => frame.subarray(0, 10));
    brokenCopy("nbytes_short", "lz4", setUint32(4, (frame) => frame.readUInt32LE(4) - 4));
    brokenCopy("nbytes_long", "lz4", setUint32(4, (frame) => frame.readUInt32LE(4) + 65536));
    broken = await openDataset(bad);
  });
  afterAll(async () => {
    await broken?.close();
  });

  async function expectRefused(name: string, part: Region): Promise<void> {
    let error: unknown;
    let returned: Block | undefined;
    try {
      returned = await broken.readChunkPart(`/${name}`, [0, 0, 0], part);
    } catch (err) {
      error = err;
    }
    expect(returned, `${name} ${JSON.stringify(part)} returned values`).toBeUndefined();
    expect(isChunkwiseError(error), String(error)).toBe(true);
    expect(errorLine(error as ChunkwiseError)).toContain(path.join("bad.zarr", name, "0.0.0"));
  }

  it.each([
    ["raw_truncated", "an uncompressed chunk cut short (the part lies in what is left)", inBlock0],
    ["raw_long", "an uncompressed chunk longer than a chunk", inBlock0],
    ["offset_outside", "a block offset past the frame end", inBlock3],
    ["offset_in_header", "a block offset inside the header and offsets", inBlock3],
    ["stream_size", "a block whose stream claims more bytes than the frame holds", inBlock3],
    ["truncated", "a blosc chunk cut short", inBlock0],
    ["truncated_header", "a blosc chunk shorter than its header", inBlock0],
    ["nbytes_short", "a header whose nbytes is less than a chunk", inBlock0],
    ["nbytes_long", "a header whose nbytes is more than a chunk", inBlock0],
  ] as const)("%s: %s", async (name, _what, part) => {
    await expectRefused(name, part);
    await expectRefused(name, wholeChunk);
  });

  // BUG (src/formats/codecs/blosc-part.ts, bloscPart): block offsets are checked only to lie inside the
  // frame's data, not to tile it as decodeBloscFrame checks (checkBlocksTile), so block 3 decodes block 2's
  // bytes and the part comes back with wrong values and no error.
  it("a block offset pointing at another block's data (readChunk refuses the frame)", async () => {
    await expect(broken.readChunk("/offset_other_block", [0, 0, 0])).rejects.toThrow(/do not cover the frame's data back to back/);
    await expectRefused("offset_other_block", wholeChunk);
    await expectRefused("offset_other_block", inBlock3);
  });

  it("only the blocks a part spans are decoded: a broken last block fails the parts that reach it, not the others", async () => {
    await expect(broken.readChunk("/last_block", [0, 0, 0])).rejects.toSatisfy(isChunkwiseError);
    const good = await dataset.readChunkPart("/lz4", [0, 0, 0], inBlock3);
    const got = await broken.readChunkPart("/last_block", [0, 0, 0], inBlock3);
    expect(partOf(got, inBlock3)).toEqual(partOf(good, inBlock3));
    await expectRefused("last_block", { start: [1, 299, 199], stop: [2, 300, 200] });
  });
});


describe("readChunkPart bounds", () => {
  it("refuses a part outside the chunk with a usage error instead of reading other bytes", async () => {
    await expect(dataset.readChunkPart("/raw_f4", [0, 0, 0], { start: [0, 0, 0], stop: [3, 1, 1] })).rejects.toSatisfy((err: unknown) => isChunkwiseError(err, "UsageError"));
    await expect(dataset.readChunkPart("/lz4", [1, 0, 0], { start: [0, 0, 0], stop: [1, 1, 1] })).rejects.toThrow(/not inside chunk \[1, 0, 0\]/);
  });
});
