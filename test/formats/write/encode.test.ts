import { describe, expect, it } from "vitest";
import { decideCompressor, zarrV2Compressor, zarrV3Compressor } from "../../../src/formats/write/compressor.js";
import { extractChunk, fillElement, storedBytes } from "../../../src/formats/write/encode.js";
import { cut, dtype } from "./helpers.js";

/** A small deterministic generator, so failures reproduce. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe("extractChunk", () => {
  it("equals an element-by-element cut padded with the fill value, for random shapes, offsets and ranks", () => {
    const next = random(7);
    for (let trial = 0; trial < 300; trial++) {
      const rank = 1 + Math.floor(next() * 4);
      const chunk = Array.from({ length: rank }, () => 1 + Math.floor(next() * 4));
      const block = chunk.map((c) => 1 + Math.floor(next() * c * 2));
      const offset = block.map((b, axis) => Math.floor(next() * Math.ceil(b / chunk[axis]!)) * chunk[axis]!);
      const values = Float64Array.from({ length: block.reduce((a, b) => a * b, 1) }, (_, i) => i + 1);
      const got = extractChunk(values, block, offset, chunk, Float64Array.of(-1));
      // The same into a reused array still holding another chunk's values.
      const dirty = new Float64Array(256).fill(Number.NaN);
      const reused = extractChunk(values, block, offset, chunk, Float64Array.of(-1), dirty);

      const extent = chunk.map((c, axis) => Math.min(c, block[axis]! - offset[axis]!));
      const inside = cut(values, block, offset, extent);
      const expected = new Float64Array(chunk.reduce((a, b) => a * b, 1)).fill(-1);
      const index = chunk.map(() => 0);
      let k = 0;
      for (let i = 0; i < expected.length; i++) {
        if (index.every((v, axis) => v < extent[axis]!)) expected[i] = Number(inside[k++]!);
        for (let axis = rank - 1; axis >= 0; axis--) {
          if (++index[axis]! < chunk[axis]!) break;
          index[axis] = 0;
        }
      }
      expect([...got], JSON.stringify({ chunk, block, offset })).toEqual(Array.from(expected));
      if (reused !== values) {
        expect(reused.buffer).toBe(dirty.buffer);
        expect([...reused], JSON.stringify({ chunk, block, offset, into: true })).toEqual(Array.from(expected));
      }
    }
  });

  it("returns the block itself, uncopied, when the chunk is the whole block", () => {
    const values = new Int16Array(12);
    expect(extractChunk(values, [3, 4], [0, 0], [3, 4], Int16Array.of(0))).toBe(values);
  });
});

describe("stored bytes and fill values", () => {
  it("swaps to big-endian by element size and leaves little-endian bytes uncopied", () => {
    const values = Uint32Array.of(0x01020304);
    expect(Array.from(storedBytes(values, "big"))).toEqual([1, 2, 3, 4]);
    expect(storedBytes(values, "little").buffer).toBe(values.buffer);
    expect(Array.from(storedBytes(BigInt64Array.of(1n), "big"))).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(Array.from(storedBytes(Int16Array.of(-2), "big"))).toEqual([0xff, 0xfe]);
  });

  it("decodes NaN/Infinity strings, booleans, null and 64-bit integers", () => {
    expect(fillElement(dtype("float32"), "NaN")[0]).toBeNaN();
    expect(fillElement(dtype("float64"), "-Infinity")[0]).toBe(-Infinity);
    expect(fillElement(dtype("bool"), true)[0]).toBe(1);
    expect(fillElement(dtype("int16"), null)[0]).toBe(0);
    expect(fillElement(dtype("uint64"), -1)[0]).toBe(2n ** 64n - 1n);
    expect(fillElement(dtype("int64"), -5)[0]).toBe(-5n);
  });
});

describe("decideCompressor", () => {
  const codec = (name: string, configuration: Record<string, unknown> = {}, id?: number) => ({ name, configuration, supported: true, ...(id ? { id } : {}) });

  it("keeps the source's compressor and drops filters that do not change values", () => {
    const blosc = decideCompressor({ path: "/a", sourceCodecs: [codec("bytes"), codec("blosc", { cname: "zstd", clevel: 7, shuffle: "bitshuffle" })] }, "zarr3");
    expect(blosc).toEqual({ compressor: { name: "blosc", level: 7, blosc: { cname: "zstd", shuffle: 2 } }, warnings: [] });
    expect(zarrV3Compressor(blosc.compressor!, 4)).toEqual({ name: "blosc", configuration: { cname: "zstd", clevel: 7, shuffle: "bitshuffle", typesize: 4, blocksize: 0 } });
    expect(decideCompressor({ path: "/a", sourceCodecs: [codec("numcodecs.zlib", { level: 6 })] }, "zarr2").compressor).toEqual({ name: "zlib", level: 6 });
    expect(decideCompressor({ path: "/a", sourceCodecs: [codec("delta"), codec("crc32c")] }, "zarr2")).toEqual({ compressor: null, warnings: [] });
  });

  it("maps HDF5 deflate(+shuffle) to zlib for v2, gzip for v3 and HDF5, keeping the shuffle for HDF5", () => {
    const source = [codec("shuffle", {}, 2), codec("deflate", { cd_values: [6] }, 1)];
    expect(decideCompressor({ path: "/t", sourceCodecs: source }, "zarr2")).toEqual({ compressor: { name: "zlib", level: 6 }, warnings: [] });
    expect(zarrV2Compressor({ name: "zlib", level: 6 })).toEqual({ id: "zlib", level: 6 });
    expect(decideCompressor({ path: "/t", sourceCodecs: source }, "zarr3").compressor).toEqual({ name: "gzip", level: 6 });
    const hdf5 = decideCompressor({ path: "/t", sourceCodecs: source }, "hdf5");
    expect(hdf5).toEqual({ compressor: { name: "gzip", level: 6, shuffle: true }, warnings: [] });
  });

  it("honours --codec, refuses what the format cannot write and bad levels, falls back from unknown source codecs", () => {
    expect(decideCompressor({ path: "/a", sourceCodecs: [codec("zstd")], compressor: { name: "none" } }, "zarr2").compressor).toBeNull();
    expect(decideCompressor({ path: "/a", sourceCodecs: [], compressor: { name: "lz4" } }, "zarr3").compressor).toEqual({ name: "lz4", level: 1 });
    expect(() => decideCompressor({ path: "/a", sourceCodecs: [], compressor: { name: "blosc" } }, "hdf5")).toThrow(/h5wasm writes only the deflate filter/);
    expect(() => decideCompressor({ path: "/a", sourceCodecs: [], compressor: { name: "gzip", level: 12 } }, "zarr2")).toThrow(/0 to 9/);
    expect(() => decideCompressor({ path: "/a", sourceCodecs: [], compressor: { name: "brotli" } }, "zarr2")).toThrow(/unknown codec/);
    const lzf = decideCompressor({ path: "/a", sourceCodecs: [codec("lzf", {}, 32000)] }, "zarr2");
    expect(lzf.compressor).toEqual({ name: "zstd", level: 3 });
    expect(lzf.warnings).toEqual(["/a: the source codec lzf cannot be written to zarr2 output; using zstd level 3 instead (choose with --codec)"]);
  });
});
