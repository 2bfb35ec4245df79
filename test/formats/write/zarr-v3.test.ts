import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { FileSystemStore } from "@zarrita/storage";
import * as zarr from "zarrita";
import { describe, expect, it } from "vitest";
import { registerChunkwiseCodecs } from "../../../src/formats/codecs/index.js";
import { crc32c } from "../../../src/formats/codecs/crc32c.js";
import { openDataset } from "../../../src/formats/open.js";
import { createWriter } from "../../../src/formats/write/open-writer.js";
import { dtype, plain, sampleValues, spec, tempDir, writeAll } from "./helpers.js";

const FIXTURES = path.resolve(import.meta.dirname, "../../../fixtures/zarr-python/v3/data.zarr");

interface ShardEntry {
  offset: bigint;
  nbytes: bigint;
}

/** An independent reading of a shard per the v3 spec: index at the end, uint64 LE pairs, crc32c of the index. */
function parseShard(bytes: Buffer, innerChunks: number): ShardEntry[] {
  const indexStart = bytes.length - innerChunks * 16 - 4;
  const index = bytes.subarray(indexStart, bytes.length - 4);
  expect(bytes.readUInt32LE(bytes.length - 4)).toBe(crc32c(index));
  const entries: ShardEntry[] = [];
  for (let i = 0; i < innerChunks; i++) entries.push({ offset: index.readBigUInt64LE(i * 16), nbytes: index.readBigUInt64LE(i * 16 + 8) });
  for (const e of entries) if (e.offset !== 2n ** 64n - 1n) expect(e.offset + e.nbytes).toBeLessThanOrEqual(BigInt(indexStart));
  return entries;
}

function innerPayloads(bytes: Buffer, entries: ShardEntry[]): (string | null)[] {
  return entries.map((e) => (e.offset === 2n ** 64n - 1n ? null : gunzipSync(bytes.subarray(Number(e.offset), Number(e.offset + e.nbytes))).toString("hex")));
}

function listFiles(dir: string, prefix = ""): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(path.join(dir, entry.name), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`],
  );
}

describe("Zarr v3 writer", () => {
  it.each(["2d.chunked.compressed.sharded.filled.i2", "2d.chunked.ragged.compressed.sharded.i2", "3d.chunked.mixed.compressed.sharded.i2", "1d.chunked.filled.compressed.sharded.i2"])(
    "writes shards laid out as zarr-python's %s (same files, same empty inner chunks, same inner chunk bytes)",
    async (name) => {
      const fixture = path.join(FIXTURES, name);
      const meta = JSON.parse(readFileSync(path.join(fixture, "zarr.json"), "utf8"));
      const sharding = meta.codecs[0].configuration;
      const source = await openDataset(fixture);
      const described = await source.describe("/");
      const block = await source.readRegion("/", described.shape.map(() => 0), described.shape);
      await source.close();

      const dst = path.join(tempDir("v3"), "out.zarr");
      const writer = await createWriter(dst, "zarr3");
      const array = spec({ path: "/", shape: described.shape, chunks: sharding.chunk_shape, shards: meta.chunk_grid.configuration.chunk_shape, dtype: dtype("int16"), fillValue: 0, compressor: { name: "gzip", level: 5 } });
      await writer.createArray(array);
      await writeAll(writer, array, block.values as Int16Array);
      await writer.finalize();

      const ours = JSON.parse(readFileSync(path.join(dst, "zarr.json"), "utf8"));
      expect(ours.codecs).toEqual(meta.codecs);
      expect(ours.chunk_key_encoding).toEqual(meta.chunk_key_encoding);
      const theirFiles = listFiles(fixture).filter((f) => f !== "zarr.json").sort();
      expect(listFiles(dst).filter((f) => f !== "zarr.json").sort()).toEqual(theirFiles);
      const inner = (meta.chunk_grid.configuration.chunk_shape as number[]).reduce((n: number, s: number, axis: number) => n * (s / sharding.chunk_shape[axis]), 1);
      for (const file of theirFiles) {
        const theirs = readFileSync(path.join(fixture, file));
        const mine = readFileSync(path.join(dst, file));
        expect(innerPayloads(mine, parseShard(mine, inner)), file).toEqual(innerPayloads(theirs, parseShard(theirs, inner)));
      }
    },
  );

  it.each([
    ["float32", null, { name: "zstd", level: 3 }],
    ["float64", [4, 6], { name: "blosc", level: 5 }],
    ["int64", [4, 3], { name: "zlib", level: 1 }],
    ["uint8", [8, 6], { name: "lz4", level: 1 }],
    ["bool", [4, 6], { name: "gzip", level: 1 }],
    ["uint16", [4, 6], { name: "none" }],
  ] as const)("round-trips %s (shards %j, %j) through zarrita with ragged edges", async (name, shards, compressor) => {
    const dst = path.join(tempDir("v3"), "out.zarr");
    const shape = [9, 7];
    const values = sampleValues(name, 63);
    const writer = await createWriter(dst, "zarr3");
    await writer.createGroup({ path: "/", attributes: { Conventions: "CF-1.8" } });
    const array = spec({ path: "/v", shape, chunks: [2, 3], shards: shards ? [...shards] : null, dtype: dtype(name, name === "uint16" ? "big" : "little"), fillValue: name === "bool" ? false : 1, dimensionNames: ["y", "x"], attributes: { long_name: "v" }, compressor });
    await writer.createArray(array);
    await writeAll(writer, array, values);
    await writer.finalize();

    registerChunkwiseCodecs();
    const store = new FileSystemStore(dst);
    const arr = await zarr.open.v3(zarr.root(store).resolve("v"), { kind: "array" });
    const got = await zarr.get(arr);
    const gotValues = name === "bool" ? Array.from(got.data as ArrayLike<boolean>, (b) => (b ? 1 : 0)) : (got.data as ArrayLike<unknown>);
    expect(plain(gotValues)).toEqual(plain(values));
    expect(arr.attrs).toEqual({ long_name: "v" });

    const dataset = await openDataset(dst);
    const described = await dataset.describe("/v");
    expect(described.dimensionNames).toEqual(["y", "x"]);
    expect(described.chunks).toEqual([2, 3]);
    expect(described.shards).toEqual(shards ? [...shards] : null);
    const region = await dataset.readRegion("/v", [0, 0], shape);
    expect(plain(region.values as ArrayLike<unknown>)).toEqual(plain(values));
    await dataset.close();
  });

  it("refuses shards that are not multiples of the chunks, and sharding for other formats", async () => {
    const writer = await createWriter(path.join(tempDir("v3"), "bad.zarr"), "zarr3");
    await expect(writer.createArray(spec({ path: "/a", shape: [10], chunks: [3], shards: [4], dtype: dtype("int8") }))).rejects.toThrow(/multiples/);
    const v2 = await createWriter(path.join(tempDir("v3"), "bad2.zarr"), "zarr2");
    await expect(v2.createArray(spec({ path: "/a", shape: [10], chunks: [2], shards: [4], dtype: dtype("int8") }))).rejects.toThrow(/Zarr v3/);
  });
});
