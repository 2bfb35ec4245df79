import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { ChunkwiseError, errorLine } from "../../src/errors.js";
import type { Dataset } from "../../src/formats/dataset.js";
import { openZarrDirectory, openZarrZip } from "../../src/formats/zarr.js";

const FIXTURES = fileURLToPath(new URL("../../fixtures/zarr-python/", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "chunkwise-zarr-errors-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let copies = 0;
/** A private, writable copy of a fixture store (or a file), to corrupt. */
function copyOf(relative: string): string {
  const target = join(scratch, `${copies++}-${relative.split("/").pop()}`);
  cpSync(join(FIXTURES, relative), target, { recursive: true });
  makeWritable(target);
  return target;
}

function makeWritable(path: string): void {
  if (statSync(path).isDirectory()) {
    chmodSync(path, 0o755);
    for (const name of readdirSync(path)) makeWritable(join(path, name));
  } else {
    chmodSync(path, 0o644);
  }
}

/** A v2 store without consolidated metadata, so every .zarray/.zgroup is read. */
function unconsolidatedV2(): string {
  const store = copyOf("v2/data.zarr");
  rmSync(join(store, ".zmetadata"));
  return store;
}

async function failure(promise: Promise<unknown>): Promise<ChunkwiseError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ChunkwiseError);
    return err as ChunkwiseError;
  }
  throw new Error("expected a failure");
}

const opened: Dataset[] = [];
async function open(location: string): Promise<Dataset> {
  const dataset = await openZarrDirectory(location);
  opened.push(dataset);
  return dataset;
}
afterAll(async () => {
  await Promise.all(opened.map((dataset) => dataset.close()));
});

function editJson(file: string, edit: (doc: Record<string, unknown>) => void): void {
  const doc = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  edit(doc);
  writeFileSync(file, JSON.stringify(doc));
}

describe("not a store", () => {
  it("a directory without Zarr metadata", async () => {
    const dir = join(scratch, "empty");
    mkdirSync(dir);
    writeFileSync(join(dir, "notes.txt"), "hello");
    const err = await failure(openZarrDirectory(dir));
    expect(err.tag).toBe("NotADatasetError");
    expect(err.path).toBe(dir);
    expect(err.message).toMatch(/no zarr\.json, \.zgroup or \.zarray/);
  });

  it("a zip that holds no Zarr store", async () => {
    const zip = copyOf("v3/data.zipped_from_within.zarr.zip");
    const bytes = readFileSync(zip, "latin1").replaceAll("zarr.json", "zarr.jsoX");
    writeFileSync(zip, bytes, "latin1");
    const err = await failure(openZarrZip(zip));
    expect(err.tag).toBe("NotADatasetError");
    expect(err.message).toMatch(/no zarr\.json, \.zgroup or \.zarray/);
  });

  it("a zip cut short (no central directory)", async () => {
    const zip = copyOf("v2/data.zipped_from_parent.zarr.zip");
    truncateSync(zip, 2000);
    const err = await failure(openZarrZip(zip));
    expect(err.tag).toBe("NotADatasetError");
    expect(err.path).toBe(zip);
    expect(err.message).toMatch(/not a readable zip archive/);
  });
});

describe("invalid JSON names the exact file", () => {
  it.each([
    ["v2 .zarray", unconsolidatedV2, "1d.chunked.i2/.zarray"],
    ["v2 .zgroup", unconsolidatedV2, ".zgroup"],
    ["v2 group .zgroup", unconsolidatedV2, "my group with spaces/.zgroup"],
    ["v2 .zattrs", unconsolidatedV2, ".zattrs"],
    ["v2 .zmetadata", () => copyOf("v2/data.zarr"), ".zmetadata"],
    ["v3 array zarr.json", () => copyOf("v3/data.zarr"), "3d.chunked.i2/zarr.json"],
    ["v3 root zarr.json", () => copyOf("v3/data.zarr"), "zarr.json"],
    ["v3 nested group zarr.json", () => copyOf("v3/data.zarr"), "consolidated/nested/zarr.json"],
  ])("%s", async (_label, makeStore, file) => {
    const store = makeStore();
    writeFileSync(join(store, file), '{"zarr_format": 2, "shape": [4,');
    const err = await failure(openZarrDirectory(store));
    expect(err.tag).toBe("MetadataError");
    expect(err.path).toBe(join(store, file));
    expect(err.message).toMatch(/^invalid JSON: /);
    expect(errorLine(err)).toContain(`${join(store, file)}: invalid JSON`);
  });

  it("a single array opened directly", async () => {
    const array = copyOf("v2/data.zarr/2d.chunked.i2");
    writeFileSync(join(array, ".zarray"), "not json at all");
    const err = await failure(openZarrDirectory(array));
    expect([err.tag, err.path]).toEqual(["MetadataError", join(array, ".zarray")]);
  });

  it("a .zarray that breaks after listing from .zmetadata is reported when read", async () => {
    const store = copyOf("v2/data.zarr");
    writeFileSync(join(store, "1d.contiguous.raw.i2/.zarray"), "{");
    const dataset = await open(store);
    const err = await failure(dataset.readChunk("/1d.contiguous.raw.i2", [0]));
    expect([err.tag, err.path]).toEqual(["MetadataError", join(store, "1d.contiguous.raw.i2/.zarray")]);
  });

  it("accepts the bare NaN/Infinity that Python's json module writes", async () => {
    const store = unconsolidatedV2();
    writeFileSync(join(store, "1d.contiguous.f8/.zattrs"), '{"missing_value": NaN, "range": [-Infinity, Infinity], "note": "NaN in a string"}');
    editJson(join(store, "1d.contiguous.f8/.zarray"), (doc) => (doc.fill_value = "NaN"));
    const array = await (await open(store)).describe("/1d.contiguous.f8");
    expect(array.attributes).toEqual({ missing_value: "NaN", range: ["-Infinity", "Infinity"], note: "NaN in a string" });
    expect(array.fillValue).toBe("NaN");
  });
});

describe("missing or mistyped keys name the key", () => {
  it.each([
    ["v2 without shape", "1d.chunked.i2/.zarray", (doc: Record<string, unknown>) => delete doc.shape, /required key "shape" is missing/],
    ["v2 without dtype", "1d.chunked.i2/.zarray", (doc: Record<string, unknown>) => delete doc.dtype, /required key "dtype" is missing/],
    ["v2 without compressor", "1d.chunked.i2/.zarray", (doc: Record<string, unknown>) => delete doc.compressor, /"compressor"/],
    ["v2 chunks as a string", "1d.chunked.i2/.zarray", (doc: Record<string, unknown>) => (doc.chunks = "2"), /"chunks" must be a list of integers/],
    ["v2 chunks of the wrong rank", "2d.chunked.i2/.zarray", (doc: Record<string, unknown>) => (doc.chunks = [1]), /"chunks" has 1 axes but "shape" has 2/],
    ["v2 order Z", "1d.chunked.i2/.zarray", (doc: Record<string, unknown>) => (doc.order = "Z"), /"order" must be "C" or "F"/],
    ["v2 dtype nonsense", "1d.chunked.i2/.zarray", (doc: Record<string, unknown>) => (doc.dtype = "<q9"), /dtype "<q9"/],
    ["v2 compressor without id", "1d.chunked.i2/.zarray", (doc: Record<string, unknown>) => (doc.compressor = { level: 1 }), /"compressor" must be an object with a string "id"/],
    ["v2 group of format 3", "my group with spaces/.zgroup", (doc: Record<string, unknown>) => (doc.zarr_format = 3), /"zarr_format" must be 2/],
  ])("%s", async (_label, file, edit, message) => {
    const store = unconsolidatedV2();
    editJson(join(store, file), edit);
    const err = await failure(openZarrDirectory(store));
    expect([err.tag, err.path]).toEqual(["MetadataError", join(store, file)]);
    expect(err.message).toMatch(message);
  });

  it.each([
    ["v3 without data_type", (doc: Record<string, unknown>) => delete doc.data_type, /required key "data_type" is missing/],
    ["v3 without node_type", (doc: Record<string, unknown>) => delete doc.node_type, /required key "node_type" is missing/],
    ["v3 without chunk_grid", (doc: Record<string, unknown>) => delete doc.chunk_grid, /required key "chunk_grid" is missing/],
    ["v3 codecs not a list", (doc: Record<string, unknown>) => (doc.codecs = { name: "bytes" }), /"codecs" must be a non-empty list/],
    ["v3 shape with a negative size", (doc: Record<string, unknown>) => (doc.shape = [3, -3, 3]), /"shape" must be a list of integers ≥ 0/],
    ["v3 dimension_names of the wrong length", (doc: Record<string, unknown>) => (doc.dimension_names = ["x"]), /"dimension_names" must list 3 names/],
    ["v3 unknown key encoding", (doc: Record<string, unknown>) => (doc.chunk_key_encoding = { name: "weird" }), /"chunk_key_encoding"/],
  ])("%s", async (_label, edit, message) => {
    const store = copyOf("v3/data.zarr");
    const file = join(store, "3d.chunked.i2/zarr.json");
    editJson(file, edit);
    const err = await failure(openZarrDirectory(store));
    expect([err.tag, err.path]).toEqual(["MetadataError", file]);
    expect(err.message).toMatch(message);
  });

  it("an entry of consolidated metadata names .zmetadata and the entry", async () => {
    const store = copyOf("v2/data.zarr");
    editJson(join(store, ".zmetadata"), (doc) => delete (doc.metadata as Record<string, Record<string, unknown>>)["2d.chunked.i2/.zarray"]!.shape);
    const err = await failure(openZarrDirectory(store));
    expect(err.tag).toBe("MetadataError");
    expect(err.path).toBe(`${join(store, ".zmetadata")} (2d.chunked.i2/.zarray)`);
    expect(err.message).toMatch(/"shape"/);
  });
});

describe("unsupported codecs and types", () => {
  it("v2: an unknown compressor is listed as unsupported, reading it says why", async () => {
    const store = unconsolidatedV2();
    editJson(join(store, "1d.contiguous.zlib.i2/.zarray"), (doc) => (doc.compressor = { id: "lzf" }));
    const dataset = await open(store);
    const arrays = await dataset.listArrays();
    const array = arrays.find((a) => a.path === "/1d.contiguous.zlib.i2")!;
    expect(array.codecs).toEqual([{ name: "lzf", configuration: {}, supported: false }]);
    expect(array.unreadableReason).toBe("codec lzf is not supported");
    expect(arrays.filter((a) => a.unreadableReason !== null).map((a) => a.path)).toEqual(["/1d.contiguous.zlib.i2"]);
    const err = await failure(dataset.readChunk("/1d.contiguous.zlib.i2", [0]));
    expect(err.tag).toBe("UnsupportedError");
    expect(err.message).toMatch(/codec lzf is not supported/);
  });

  it("v3: an unknown codec inside a shard is listed as unsupported", async () => {
    const store = copyOf("v3/data.zarr");
    editJson(join(store, "2d.chunked.compressed.sharded.i2/zarr.json"), (doc) => {
      const sharding = (doc.codecs as { configuration: { codecs: unknown[] } }[])[0]!;
      sharding.configuration.codecs[1] = { name: "mystery", configuration: { level: 3 } };
    });
    const dataset = await open(store);
    const array = await dataset.describe("/2d.chunked.compressed.sharded.i2");
    expect(array.codecs.map((c) => [c.name, c.supported])).toEqual([
      ["bytes", true],
      ["mystery", false],
    ]);
    expect(array.unreadableReason).toBe("codec mystery is not supported");
    expect((await failure(dataset.readRegion("/2d.chunked.compressed.sharded.i2", [0, 0], [1, 1]))).tag).toBe("UnsupportedError");
  });

  it("v2: datetime and complex dtypes are listed, not readable", async () => {
    const store = unconsolidatedV2();
    editJson(join(store, "1d.contiguous.raw.i2/.zarray"), (doc) => (doc.dtype = "<M8[ns]"));
    editJson(join(store, "1d.contiguous.f8/.zarray"), (doc) => (doc.dtype = "<c16"));
    const dataset = await open(store);
    expect(await dataset.describe("/1d.contiguous.raw.i2")).toMatchObject({ dtype: { name: "datetime64[ns]", itemSize: 8 }, unreadableReason: expect.stringMatching(/datetime64/) });
    expect(await dataset.describe("/1d.contiguous.f8")).toMatchObject({ dtype: { name: "complex128", kind: "complex" }, unreadableReason: expect.stringMatching(/complex128/) });
  });
});

describe("corrupt chunks name the chunk file", () => {
  it("a truncated uncompressed chunk (v2)", async () => {
    const store = copyOf("v2/data.zarr");
    truncateSync(join(store, "1d.contiguous.raw.i2/0"), 3);
    const err = await failure((await open(store)).readChunk("/1d.contiguous.raw.i2", [0]));
    expect([err.tag, err.path]).toEqual(["TruncatedError", join(store, "1d.contiguous.raw.i2/0")]);
    expect(err.message).toBe("truncated chunk: it holds 1 values, expected 4");
  });

  it("a truncated uncompressed chunk (v3), read as a region", async () => {
    const store = copyOf("v3/data.zarr");
    truncateSync(join(store, "1d.contiguous.raw.i2/c/0"), 6);
    const err = await failure((await open(store)).readRegion("/1d.contiguous.raw.i2", [1], [3]));
    expect([err.tag, err.path]).toEqual(["TruncatedError", join(store, "1d.contiguous.raw.i2/c/0")]);
  });

  it("a truncated blosc chunk, which the blosc decoder alone would turn into garbage", async () => {
    const store = copyOf("v3/data.zarr");
    truncateSync(join(store, "2d.chunked.ragged.i2/c/1/0"), 20);
    const dataset = await open(store);
    const err = await failure(dataset.readRegion("/2d.chunked.ragged.i2", [0, 0], [3, 3]));
    expect([err.tag, err.path]).toEqual(["IOError", join(store, "2d.chunked.ragged.i2/c/1/0")]);
    expect(err.message).toMatch(/blosc: the frame header says \d+ bytes, the chunk holds 20/);
  });

  it("garbage in a zlib chunk", async () => {
    const store = copyOf("v2/data.zarr");
    writeFileSync(join(store, "1d.contiguous.zlib.i2/0"), "definitely not zlib");
    const err = await failure((await open(store)).readChunk("/1d.contiguous.zlib.i2", [0]));
    expect([err.tag, err.path]).toEqual(["IOError", join(store, "1d.contiguous.zlib.i2/0")]);
    expect(err.message).toMatch(/truncated or corrupt/);
  });

  it("a gzip chunk cut in half (v3)", async () => {
    const store = copyOf("v3/data.zarr");
    truncateSync(join(store, "1d.contiguous.gzip.i2/c/0"), 14);
    const err = await failure((await open(store)).readChunk("/1d.contiguous.gzip.i2", [0]));
    expect([err.tag, err.path]).toEqual(["IOError", join(store, "1d.contiguous.gzip.i2/c/0")]);
  });

  it("a flipped bit in a shard index fails its crc32c check", async () => {
    const store = copyOf("v3/data.zarr");
    const shard = join(store, "2d.chunked.compressed.sharded.i2/c/1/0");
    const bytes = readFileSync(shard);
    bytes[bytes.length - 10]! ^= 0x01;
    writeFileSync(shard, bytes);
    const dataset = await open(store);
    const err = await failure(dataset.readChunk("/2d.chunked.compressed.sharded.i2", [3, 1]));
    expect([err.tag, err.path]).toEqual(["IOError", shard]);
    expect(err.message).toMatch(/crc32c checksum mismatch/);
    // The other shards still read.
    expect(Array.from((await dataset.readChunk("/2d.chunked.compressed.sharded.i2", [0, 0])).values)).toEqual([1]);
  });
});

describe.skipIf(process.getuid?.() === 0)("permissions (needs a non-root user)", () => {
  it("an unreadable metadata file", async () => {
    const store = unconsolidatedV2();
    chmodSync(join(store, "1d.chunked.i2/.zarray"), 0o000);
    const err = await failure(openZarrDirectory(store));
    expect([err.tag, err.path]).toEqual(["PermissionError", join(store, "1d.chunked.i2/.zarray")]);
  });

  it("an unreadable chunk", async () => {
    const store = copyOf("v2/data.zarr");
    chmodSync(join(store, "1d.contiguous.raw.i2/0"), 0o000);
    const err = await failure((await open(store)).readChunk("/1d.contiguous.raw.i2", [0]));
    expect([err.tag, err.path]).toEqual(["PermissionError", join(store, "1d.contiguous.raw.i2/0")]);
  });
});
