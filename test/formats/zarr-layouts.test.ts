import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { Dataset } from "../../src/formats/dataset.js";
import { openZarrDirectory } from "../../src/formats/zarr.js";

const FIXTURES = fileURLToPath(new URL("../../fixtures/zarr-python/", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "chunkwise-zarr-layouts-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let copies = 0;
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

function editJson(file: string, edit: (doc: Record<string, unknown>) => void): void {
  const doc = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  edit(doc);
  writeFileSync(file, JSON.stringify(doc));
}

/** Move chunk files from one key scheme to another inside an array directory. */
function moveChunks(arrayDir: string, moves: Record<string, string>): void {
  for (const [from, to] of Object.entries(moves)) {
    mkdirSync(dirname(join(arrayDir, to)), { recursive: true });
    renameSync(join(arrayDir, from), join(arrayDir, to));
  }
  rmSync(join(arrayDir, "c"), { recursive: true, force: true });
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

const RAGGED2D = [1, 2, 3, 4, 5, 6, 7, 8, 9];
const plain = (values: ArrayLike<unknown>) => Array.from(values, (v) => (typeof v === "bigint" ? Number(v) : v));

async function checkRagged(location: string): Promise<void> {
  const dataset = await open(location);
  const [array] = await dataset.listArrays();
  expect(array!.storage).toEqual({ storedBytes: 96, writtenObjects: 4 });
  expect(plain((await dataset.readRegion("/", [0, 0], [3, 3])).values)).toEqual(RAGGED2D);
  expect(plain((await dataset.readChunk("/", [1, 0])).values)).toEqual([7, 8]);
}

describe("chunk key layouts", () => {
  it('v2 with dimension_separator "/"', async () => {
    const array = copyOf("v2/data.zarr/2d.chunked.ragged.i2");
    moveChunks(array, { "0.0": "0/0", "0.1": "0/1", "1.0": "1/0", "1.1": "1/1" });
    editJson(join(array, ".zarray"), (doc) => (doc.dimension_separator = "/"));
    await checkRagged(array);
  });

  it('v3 default encoding with separator "."', async () => {
    const array = copyOf("v3/data.zarr/2d.chunked.ragged.i2");
    moveChunks(array, { "c/0/0": "c.0.0", "c/0/1": "c.0.1", "c/1/0": "c.1.0", "c/1/1": "c.1.1" });
    editJson(join(array, "zarr.json"), (doc) => (doc.chunk_key_encoding = { name: "default", configuration: { separator: "." } }));
    await checkRagged(array);
  });

  it('v3 with chunk_key_encoding "v2", both separators', async () => {
    const dotted = copyOf("v3/data.zarr/2d.chunked.ragged.i2");
    moveChunks(dotted, { "c/0/0": "0.0", "c/0/1": "0.1", "c/1/0": "1.0", "c/1/1": "1.1" });
    editJson(join(dotted, "zarr.json"), (doc) => (doc.chunk_key_encoding = { name: "v2" }));
    await checkRagged(dotted);
    const nested = copyOf("v3/data.zarr/2d.chunked.ragged.i2");
    moveChunks(nested, { "c/0/0": "0/0", "c/0/1": "0/1", "c/1/0": "1/0", "c/1/1": "1/1" });
    editJson(join(nested, "zarr.json"), (doc) => (doc.chunk_key_encoding = { name: "v2", configuration: { separator: "/" } }));
    await checkRagged(nested);
  });

  it("ignores stray files and chunks outside the grid", async () => {
    const v2 = copyOf("v2/data.zarr/2d.chunked.ragged.i2");
    for (const name of ["2.0", "0.2", "01.0", "0.0.0", "0.0.bak", "notes.txt"]) writeFileSync(join(v2, name), "stray");
    mkdirSync(join(v2, "1.1.d"));
    await checkRagged(v2);
    const v3 = copyOf("v3/data.zarr/2d.chunked.ragged.i2");
    mkdirSync(join(v3, "c/2"));
    for (const name of ["c/2/0", "c/0/7", "c/0/x", "c/1/01", "c.0.0"]) writeFileSync(join(v3, name), "stray");
    await checkRagged(v3);
  });

  it("0-d arrays (v2 key 0, v3 key c)", async () => {
    const v3 = join(scratch, "scalar-v3");
    mkdirSync(v3);
    writeFileSync(
      join(v3, "zarr.json"),
      JSON.stringify({
        zarr_format: 3,
        node_type: "array",
        shape: [],
        data_type: "float64",
        chunk_grid: { name: "regular", configuration: { chunk_shape: [] } },
        chunk_key_encoding: { name: "default" },
        codecs: [{ name: "bytes", configuration: { endian: "little" } }],
        fill_value: 0,
      }),
    );
    writeFileSync(join(v3, "c"), new Uint8Array(new Float64Array([2.5]).buffer));
    const v2 = join(scratch, "scalar-v2");
    mkdirSync(v2);
    writeFileSync(join(v2, ".zarray"), JSON.stringify({ zarr_format: 2, shape: [], chunks: [], dtype: ">i4", compressor: null, filters: null, fill_value: 0, order: "C" }));
    writeFileSync(join(v2, "0"), Buffer.from([0, 0, 1, 2]));
    for (const [location, value, bytes] of [
      [v3, 2.5, 8],
      [v2, 258, 4],
    ] as const) {
      const dataset = await open(location);
      const [array] = await dataset.listArrays();
      expect(array).toMatchObject({ path: "/", shape: [], chunks: [], storage: { storedBytes: bytes, writtenObjects: 1 } });
      expect(await dataset.readRegion("/", [], [])).toEqual({ shape: [], values: expect.objectContaining({ 0: value, length: 1 }) });
      expect(plain((await dataset.readChunk("/", [])).values)).toEqual([value]);
    }
  });
});

describe("names", () => {
  it("arrays and groups whose names hold spaces, #, ?, % and non-ASCII letters", async () => {
    for (const [version, array] of [
      ["v2", "2d.chunked.ragged.i2"],
      ["v3", "2d.chunked.ragged.i2"],
    ] as const) {
      const store = copyOf(`${version}/data.zarr`);
      const group = join(store, "my group with spaces");
      const odd = "a #b?c%41 é";
      renameSync(join(store, array), join(group, odd));
      rmSync(join(store, ".zmetadata"), { force: true });
      const dataset = await open(store);
      const path = `/my group with spaces/${odd}`;
      expect((await dataset.listArrays()).map((a) => a.path)).toContain(path);
      expect(plain((await dataset.readRegion(path, [0, 0], [3, 3])).values)).toEqual(RAGGED2D);
      expect(plain((await dataset.readChunk(path, [1, 1])).values)).toEqual([9]);
    }
  });
});

describe("metadata details", () => {
  it("v2 dimension names come from xarray's _ARRAY_DIMENSIONS", async () => {
    const store = copyOf("v2/data.zarr");
    rmSync(join(store, ".zmetadata"));
    writeFileSync(join(store, "3d.chunked.i2/.zattrs"), JSON.stringify({ _ARRAY_DIMENSIONS: ["time", "lat", "lon"], units: "K" }));
    writeFileSync(join(store, "2d.chunked.i2/.zattrs"), JSON.stringify({ _ARRAY_DIMENSIONS: ["only one"] }));
    const dataset = await open(store);
    const array = await dataset.describe("/3d.chunked.i2");
    expect(array.dimensionNames).toEqual(["time", "lat", "lon"]);
    expect(array.attributes).toEqual({ units: "K" });
    const malformed = await dataset.describe("/2d.chunked.i2");
    expect(malformed.dimensionNames).toBeNull();
    expect(malformed.attributes).toEqual({ _ARRAY_DIMENSIONS: ["only one"] });
  });

  it("v3 dimension_names, with null for unnamed axes", async () => {
    const store = copyOf("v3/data.zarr");
    editJson(join(store, "3d.chunked.i2/zarr.json"), (doc) => (doc.dimension_names = ["z", null, "x"]));
    expect((await (await open(store)).describe("/3d.chunked.i2")).dimensionNames).toEqual(["z", null, "x"]);
  });

  it("NaN fill values: reported as the string NaN, and unwritten chunks read as NaN", async () => {
    const v2 = copyOf("v2/data.zarr/1d.contiguous.f8");
    editJson(join(v2, ".zarray"), (doc) => (doc.fill_value = "NaN"));
    rmSync(join(v2, "0"));
    const v3 = copyOf("v3/data.zarr/1d.contiguous.f8");
    editJson(join(v3, "zarr.json"), (doc) => (doc.fill_value = "NaN"));
    rmSync(join(v3, "c/0"));
    const hex = copyOf("v3/data.zarr/1d.contiguous.f4.le");
    editJson(join(hex, "zarr.json"), (doc) => (doc.fill_value = "0x7fc00000"));
    for (const location of [v2, v3]) {
      const dataset = await open(location);
      const [array] = await dataset.listArrays();
      expect([array!.fillValue, array!.storage]).toEqual(["NaN", { storedBytes: 0, writtenObjects: 0 }]);
      expect(plain((await dataset.readRegion("/", [0], [4])).values)).toEqual([NaN, NaN, NaN, NaN]);
    }
    expect((await (await open(hex)).describe("/")).fillValue).toBe("NaN");
  });

  it("nested sharding is listed, not read", async () => {
    const array = copyOf("v3/data.zarr/2d.chunked.compressed.sharded.i2");
    editJson(join(array, "zarr.json"), (doc) => {
      const outer = (doc.codecs as { configuration: Record<string, unknown> }[])[0]!;
      outer.configuration.codecs = [{ name: "sharding_indexed", configuration: { ...outer.configuration } }];
    });
    const dataset = await open(array);
    const [description] = await dataset.listArrays();
    expect(description!.unreadableReason).toBe("nested sharding is not supported");
    expect(description!.codecs.map((c) => [c.name, c.supported])).toEqual([["sharding_indexed", false]]);
    await expect(dataset.readChunk("/", [0, 0])).rejects.toMatchObject({ tag: "UnsupportedError" });
  });
});

describe("v3 features zarrita cannot read are listed with the reason", () => {
  it.each([
    ["a shard index at the start", (doc: Record<string, unknown>) => ((doc.codecs as { configuration: Record<string, unknown> }[])[0]!.configuration.index_location = "start"), 'shard index location "start" is not supported'],
    ["a codec after sharding_indexed", (doc: Record<string, unknown>) => (doc.codecs as unknown[]).push({ name: "crc32c" }), "codecs outside sharding_indexed are not supported"],
    ["a storage transformer", (doc: Record<string, unknown>) => (doc.storage_transformers = [{ name: "chunk-manifest-json" }]), "storage transformers are not supported"],
  ])("%s", async (_label, edit, reason) => {
    const array = copyOf("v3/data.zarr/2d.chunked.compressed.sharded.i2");
    editJson(join(array, "zarr.json"), edit);
    const dataset = await open(array);
    const [description] = await dataset.listArrays();
    expect(description!.unreadableReason).toBe(reason);
    expect(description!.storage.writtenObjects).toBe(4);
    await expect(dataset.readChunk("/", [0, 0])).rejects.toMatchObject({ tag: "UnsupportedError", message: expect.stringContaining(reason) });
  });
});

describe("consolidated metadata", () => {
  it("a v2 store lists the same with and without .zmetadata", async () => {
    const withIt = await open(join(FIXTURES, "v2/data.zarr"));
    const store = copyOf("v2/data.zarr");
    rmSync(join(store, ".zmetadata"));
    const without = await open(store);
    expect(await without.listArrays()).toEqual(await withIt.listArrays());
    expect(await without.listGroups()).toEqual(await withIt.listGroups());
  });

  it("when present, .zmetadata is what the listing reads (not each .zarray)", async () => {
    const store = copyOf("v2/data.zarr");
    editJson(join(store, ".zmetadata"), (doc) => {
      const metadata = doc.metadata as Record<string, Record<string, unknown>>;
      metadata["1d.contiguous.raw.i2/.zarray"]!.chunks = [2];
    });
    const dataset = await open(store);
    expect((await dataset.describe("/1d.contiguous.raw.i2")).chunks).toEqual([2]);
  });
});

describe("storage facts on a store big enough to use the stat workers", () => {
  it("counts the written chunks of a 100 × 100 grid and sums their sizes, flat (9,000 files) and nested (300)", async () => {
    const store = join(scratch, "many.zarr");
    mkdirSync(store);
    writeFileSync(join(store, ".zgroup"), JSON.stringify({ zarr_format: 2 }));
    for (const [name, separator, rows] of [
      ["flat", ".", 90],
      ["nested", "/", 3],
    ] as const) {
      const array = join(store, name);
      mkdirSync(array);
      writeFileSync(join(array, ".zarray"), JSON.stringify({ zarr_format: 2, shape: [100, 100], chunks: [1, 1], dtype: "|u1", compressor: { id: "zlib", level: 1 }, filters: null, fill_value: 0, order: "C", dimension_separator: separator }));
      for (let i = 0; i < rows; i++) {
        if (separator === "/") mkdirSync(join(array, String(i)));
        for (let j = 0; j < 100; j++) writeFileSync(join(array, `${i}${separator}${j}`), j % 2 === 0 ? "a" : "bbb");
      }
    }
    const dataset = await open(store);
    expect((await dataset.describe("/flat")).storage).toEqual({ storedBytes: 90 * (50 * 1 + 50 * 3), writtenObjects: 9000 });
    expect((await dataset.describe("/nested")).storage).toEqual({ storedBytes: 3 * (50 * 1 + 50 * 3), writtenObjects: 300 });
  });
});
