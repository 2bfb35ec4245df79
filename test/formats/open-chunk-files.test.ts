/**
 * Chunk files a worker's Zarr reader keeps open between partial reads (OpenChunkFiles), counted
 * in /proc/self/fd: held up to the capacity, the least recently used closed first, all closed with
 * the dataset; and the open-file limit they are sized from.
 */
import { mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ChunkFile, OpenChunkFiles } from "../../src/formats/chunk-file.js";
import { openDataset, openDatasetReader } from "../../src/formats/open.js";
import { openFileLimit } from "../../src/system/files.js";

const dir = mkdtempSync(path.join(tmpdir(), "chunkwise-open-files-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const openFds = (): number => readdirSync("/proc/self/fd").length;

/** A Zarr v2 store of float32 (4, 6) in uncompressed (2, 3) chunks, values 0..23 (partial reads read byte ranges). */
function rawStore(): string {
  const store = path.join(dir, `raw-${Math.random().toString(36).slice(2)}.zarr`);
  mkdirSync(store);
  writeFileSync(path.join(store, ".zarray"), JSON.stringify({ zarr_format: 2, shape: [4, 6], chunks: [2, 3], dtype: "<f4", compressor: null, fill_value: 0, order: "C", filters: null }));
  for (const [ci, cj] of [[0, 0], [0, 1], [1, 0], [1, 1]] as const) {
    const values = Float32Array.from({ length: 6 }, (_, k) => (ci * 2 + Math.floor(k / 3)) * 6 + cj * 3 + (k % 3));
    writeFileSync(path.join(store, `${ci}.${cj}`), new Uint8Array(values.buffer));
  }
  return store;
}

/** The values a partial read returns for `part` (whatever piece of the chunk the block holds). */
function valuesOf(block: { origin: readonly number[]; shape: readonly number[]; values: unknown; first?: number }, part: { start: number[]; stop: number[] }): number[] {
  const values = block.values as Float32Array;
  const out: number[] = [];
  for (let i = part.start[0]!; i < part.stop[0]!; i++) {
    for (let j = part.start[1]!; j < part.stop[1]!; j++) out.push(values[(i - block.origin[0]!) * block.shape[1]! + (j - block.origin[1]!) - (block.first ?? 0)]!);
  }
  return out;
}

describe("OpenChunkFiles", () => {
  it("holds files up to its capacity, closes the least recently used first, and remembers no missing file", async () => {
    const names = ["a", "b", "c"].map((name) => {
      writeFileSync(path.join(dir, name), name.repeat(8));
      return path.join(dir, name);
    });
    const opened: string[] = [];
    const open = (file: string) => async () => {
      opened.push(path.basename(file));
      return new ChunkFile(openSync(file, "r"));
    };
    const files = new OpenChunkFiles(2);
    const before = openFds();
    const a = await files.get("a", open(names[0]!));
    await files.get("b", open(names[1]!));
    expect(await files.get("a", open(names[0]!))).toBe(a);
    expect(openFds()).toBe(before + 2);
    await files.get("c", open(names[2]!)); // b is the least recently used now
    expect(openFds()).toBe(before + 2);
    expect(Buffer.from(a!.readAt(0, 3)).toString()).toBe("aaa");
    await files.get("b", open(names[1]!));
    expect(opened).toEqual(["a", "b", "c", "b"]);
    let asked = 0;
    const missing = async () => {
      asked++;
      return undefined;
    };
    expect(await files.get("gone", missing)).toBeUndefined();
    expect(await files.get("gone", missing)).toBeUndefined();
    expect(asked).toBe(2);
    files.closeAll();
    expect(openFds()).toBe(before);
  });
});

describe("a worker's Zarr reader", () => {
  it("keeps each chunk file it read a part of open, reads the right values from it again, and closes them with the dataset", async () => {
    const store = rawStore();
    const reader = await openDatasetReader(store);
    const before = openFds();
    const top = { start: [0, 1], stop: [1, 3] };
    const bottom = { start: [1, 0], stop: [2, 2] };
    expect(valuesOf(await reader.readChunkPart("/", [0, 0], top), top)).toEqual([1, 2]);
    expect(openFds()).toBe(before + 1);
    expect(valuesOf(await reader.readChunkPart("/", [0, 0], bottom), bottom)).toEqual([6, 7]);
    expect(openFds()).toBe(before + 1);
    const right = { start: [2, 4], stop: [4, 6] };
    expect(valuesOf(await reader.readChunkPart("/", [1, 1], right), right)).toEqual([16, 17, 22, 23]);
    expect(openFds()).toBe(before + 2);
    await reader.close();
    expect(openFds()).toBe(before);
  });

  it("is not what the main thread opens: there each partial read closes its file", async () => {
    const dataset = await openDataset(rawStore());
    const before = openFds();
    const part = { start: [0, 0], stop: [2, 3] };
    expect(valuesOf(await dataset.readChunkPart("/", [0, 0], part), part)).toEqual([0, 1, 2, 6, 7, 8]);
    expect(openFds()).toBe(before);
    await dataset.close();
  });
});

describe("openFileLimit", () => {
  it("reads the soft limit from /proc/self/limits", () => {
    const limits = (soft: string) => `Limit                     Soft Limit           Hard Limit           Units     \nMax open files            ${soft}                20000                files     \n`;
    expect(openFileLimit(limits("20000"))).toBe(20000);
    expect(openFileLimit(limits("unlimited"))).toBe(Number.MAX_SAFE_INTEGER);
    expect(openFileLimit("Max cpu time unlimited unlimited seconds\n")).toBe(1024);
    expect(openFileLimit()).toBeGreaterThan(0);
  });
});
