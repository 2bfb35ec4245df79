/**
 * Untrusted stores: consolidated metadata naming nodes outside the store, and symbolic links that
 * lead out of it. Everything outside the store is a FIFO: opening one for reading would block
 * forever (the test would time out), so a passing test shows nothing outside was read.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ChunkwiseError } from "../../src/errors.js";
import type { Dataset } from "../../src/formats/dataset.js";
import { openZarrDirectory } from "../../src/formats/zarr.js";

const scratch = mkdtempSync(join(tmpdir(), "chunkwise-zarr-security-"));
const opened: Dataset[] = [];
afterAll(async () => {
  await Promise.all(opened.map((dataset) => dataset.close()));
  rmSync(scratch, { recursive: true, force: true });
});

const ZARRAY = { zarr_format: 2, shape: [4], chunks: [4], dtype: "<i4", compressor: null, fill_value: 0, filters: null, order: "C" };
const ZARR_JSON_V3 = {
  zarr_format: 3,
  node_type: "array",
  shape: [4],
  data_type: "int32",
  chunk_grid: { name: "regular", configuration: { chunk_shape: [4] } },
  chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
  fill_value: 0,
  codecs: [{ name: "bytes", configuration: { endian: "little" } }],
};

let stores = 0;
function dir(...parts: string[]): string {
  const path = join(scratch, ...parts);
  mkdirSync(path, { recursive: true });
  return path;
}

function fifo(path: string): void {
  execFileSync("mkfifo", [path]);
}

function json(path: string, doc: unknown): void {
  writeFileSync(path, JSON.stringify(doc));
}

/** A directory outside every store whose files are FIFOs named like Zarr metadata and chunks. */
function outsideTrap(): string {
  const outside = dir(`outside-${stores++}`);
  for (const name of [".zarray", ".zgroup", ".zattrs", "zarr.json", "0"]) fifo(join(outside, name));
  mkdirSync(join(outside, "c"));
  fifo(join(outside, "c", "0"));
  return outside;
}

async function open(location: string): Promise<Dataset> {
  const dataset = await openZarrDirectory(location);
  opened.push(dataset);
  return dataset;
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

describe("consolidated metadata naming nodes outside the store", () => {
  for (const bad of ["../escape", "/abs/escape", "a/../../escape", "a//b", "./a"]) {
    it(`refuses the store when .zmetadata names ${JSON.stringify(`${bad}/.zarray`)}`, async () => {
      const root = dir(`store-${stores++}`);
      const outside = outsideTrap();
      json(join(root, ".zgroup"), { zarr_format: 2 });
      const key = bad === "../escape" ? `../${outside.split("/").pop()}` : bad;
      json(join(root, ".zmetadata"), { zarr_consolidated_format: 1, metadata: { ".zgroup": { zarr_format: 2 }, [`${key}/.zarray`]: ZARRAY } });
      const err = await failure(open(root));
      expect(err.tag).toBe("MetadataError");
      expect(err.path).toBe(join(root, ".zmetadata"));
      expect(err.message).toContain(`key "${key}/.zarray" leads outside the store`);
    });
  }

  it("still opens a store whose consolidated keys are all inside", async () => {
    const root = dir(`store-${stores++}`);
    json(join(root, ".zgroup"), { zarr_format: 2 });
    json(join(root, ".zmetadata"), { zarr_consolidated_format: 1, metadata: { ".zgroup": { zarr_format: 2 }, "a/.zarray": ZARRAY } });
    mkdirSync(join(root, "a"));
    writeFileSync(join(root, "a", "0"), new Uint8Array(16));
    const dataset = await open(root);
    const [array] = await dataset.listArrays();
    expect(array!.path).toBe("/a");
    expect(array!.storage).toEqual({ storedBytes: 16, writtenObjects: 1 });
  });
});

describe("symbolic links leading out of the store", () => {
  it("does not walk a symlinked v2 group or array directory", async () => {
    const root = dir(`store-${stores++}`);
    json(join(root, ".zgroup"), { zarr_format: 2 });
    symlinkSync(outsideTrap(), join(root, "linked"));
    const dataset = await open(root);
    expect(await dataset.listArrays()).toEqual([]);
    expect((await dataset.listGroups()).map((group) => group.path)).toEqual(["/"]);
  });

  it("ignores v3 consolidated metadata naming a node outside the store (nodes are found by walking directories)", async () => {
    const root = dir(`store-${stores++}`);
    const escape = `../${outsideTrap().split("/").pop()}`;
    json(join(root, "zarr.json"), { zarr_format: 3, node_type: "group", attributes: {}, consolidated_metadata: { kind: "inline", must_understand: false, metadata: { [escape]: ZARR_JSON_V3, "/abs": ZARR_JSON_V3 } } });
    const dataset = await open(root);
    expect(await dataset.listArrays()).toEqual([]);
  });

  it("does not walk a symlinked v3 node directory", async () => {
    const root = dir(`store-${stores++}`);
    json(join(root, "zarr.json"), { zarr_format: 3, node_type: "group", attributes: {} });
    symlinkSync(outsideTrap(), join(root, "linked"));
    const dataset = await open(root);
    expect(await dataset.listArrays()).toEqual([]);
  });

  it("neither counts nor reads a chunk file that is a symlink to outside", async () => {
    const root = dir(`store-${stores++}`);
    json(join(root, ".zgroup"), { zarr_format: 2 });
    mkdirSync(join(root, "a"));
    json(join(root, "a", ".zarray"), ZARRAY);
    const outside = outsideTrap();
    symlinkSync(join(outside, "0"), join(root, "a", "0"));
    const dataset = await open(root);
    const [array] = await dataset.listArrays();
    expect(array!.storage).toEqual({ storedBytes: 0, writtenObjects: 0 });
    const err = await failure(dataset.readChunk("/a", [0]));
    expect(err.tag).toBe("PermissionError");
    expect(err.path).toBe(join(root, "a", "0"));
    expect(err.message).toContain("leads outside the store");
  });

  it("neither counts nor reads a chunk under a symlinked v3 chunk directory", async () => {
    const root = dir(`store-${stores++}`);
    json(join(root, "zarr.json"), ZARR_JSON_V3);
    symlinkSync(join(outsideTrap(), "c"), join(root, "c"));
    const dataset = await open(root);
    const [array] = await dataset.listArrays();
    expect(array!.storage).toEqual({ storedBytes: 0, writtenObjects: 0 });
    const err = await failure(dataset.readChunk("/", [0]));
    expect(err.tag).toBe("PermissionError");
    expect(err.path).toBe(join(root, "c"));
    expect(err.message).toContain("leads outside the store");
  });

  it("refuses a metadata file that is a symlink to outside", async () => {
    const root = dir(`store-${stores++}`);
    json(join(root, ".zgroup"), { zarr_format: 2 });
    mkdirSync(join(root, "a"));
    symlinkSync(join(outsideTrap(), ".zarray"), join(root, "a", ".zarray"));
    const err = await failure(open(root));
    expect(err.tag).toBe("PermissionError");
    expect(err.path).toBe(join(root, "a", ".zarray"));
  });

  it("reads through a symlinked directory that stays inside the store", async () => {
    const root = dir(`store-${stores++}`);
    json(join(root, ".zgroup"), { zarr_format: 2 });
    mkdirSync(join(root, "real"));
    json(join(root, "real", ".zarray"), ZARRAY);
    writeFileSync(join(root, "real", "0"), new Uint8Array(new Int32Array([9, 8, 7, 6]).buffer));
    symlinkSync("real", join(root, "alias"));
    const dataset = await open(root);
    // The listing does not walk the link (only /real is an array) …
    expect((await dataset.listArrays()).map((a) => a.path)).toEqual(["/real"]);
    // … but a consolidated store naming a node under it reads through it: it stays inside.
    json(join(root, ".zmetadata"), { zarr_consolidated_format: 1, metadata: { ".zgroup": { zarr_format: 2 }, "alias/.zarray": ZARRAY } });
    const consolidated = await open(root);
    expect(Array.from((await consolidated.readChunk("/alias", [0])).values as Int32Array)).toEqual([9, 8, 7, 6]);
  });

  it("follows a symlink that stays inside the store for reading", async () => {
    const root = dir(`store-${stores++}`);
    json(join(root, ".zgroup"), { zarr_format: 2 });
    mkdirSync(join(root, "a"));
    json(join(root, "a", ".zarray"), ZARRAY);
    writeFileSync(join(root, "a", "stored"), new Uint8Array(new Int32Array([1, 2, 3, 4]).buffer));
    symlinkSync("stored", join(root, "a", "0"));
    const dataset = await open(root);
    const block = await dataset.readChunk("/a", [0]);
    expect(Array.from(block.values as Int32Array)).toEqual([1, 2, 3, 4]);
  });

  it("opens a store given through a symlink to its directory", async () => {
    const real = dir(`store-${stores++}`);
    json(join(real, ".zarray"), ZARRAY);
    writeFileSync(join(real, "0"), new Uint8Array(new Int32Array([5, 6, 7, 8]).buffer));
    const link = join(scratch, `link-${stores++}`);
    symlinkSync(real, link);
    const dataset = await open(link);
    const block = await dataset.readChunk("/", [0]);
    expect(Array.from(block.values as Int32Array)).toEqual([5, 6, 7, 8]);
  });
});
