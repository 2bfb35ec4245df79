import type { StorageFacts } from "../dataset.js";
import type { ChunkKeyEncoding } from "./metadata.js";
import { joinKey, type StoreAccess } from "./store-access.js";

const INDEX = /^(0|[1-9]\d*)$/;

/** The grid index named by `name` when it is a valid index below `limit`; otherwise -1. */
function indexIn(name: string, limit: number): number {
  if (!INDEX.test(name)) return -1;
  const index = Number(name);
  return index < limit ? index : -1;
}

/**
 * Count and size the chunk objects (shard objects for sharded arrays) of the array at
 * `arrayKey`, whose object grid is `grid` (chunks per axis). Lists directories and asks for file
 * sizes; never opens a chunk. Only keys that name a cell of the grid count, so metadata files,
 * stray files and chunks left outside a shrunk array are ignored.
 */
export async function chunkStorage(access: StoreAccess, arrayKey: string, encoding: ChunkKeyEncoding, grid: readonly number[]): Promise<StorageFacts> {
  const totals = { objects: 0, bytes: 0 };
  const add = async (dirKey: string, names: readonly string[]): Promise<void> => {
    if (names.length === 0) return;
    const sizes = await access.fileSizes(names.map((name) => joinKey(dirKey, name)));
    totals.objects += names.length;
    for (const size of sizes) totals.bytes += size;
  };

  if (grid.length === 0) {
    const name = encoding.kind === "default" ? "c" : "0";
    const { files } = await access.listDir(arrayKey);
    await add(arrayKey, files.includes(name) ? [name] : []);
  } else if (encoding.separator === "/") {
    const base = encoding.kind === "default" ? joinKey(arrayKey, "c") : arrayKey;
    await walkNested(access, base, grid, 0, add);
  } else {
    const prefix = encoding.kind === "default" ? "c." : "";
    const { files } = await access.listDir(arrayKey);
    const chunks = files.filter((name) => {
      if (!name.startsWith(prefix)) return false;
      const parts = name.slice(prefix.length).split(".");
      return parts.length === grid.length && parts.every((part, axis) => indexIn(part, grid[axis]!) >= 0);
    });
    await add(arrayKey, chunks);
  }
  return { storedBytes: totals.bytes, writtenObjects: totals.objects };
}

/** Directories named by grid indices down to the last axis, whose files are the chunks. */
async function walkNested(
  access: StoreAccess,
  dirKey: string,
  grid: readonly number[],
  axis: number,
  add: (dirKey: string, names: readonly string[]) => Promise<void>,
): Promise<void> {
  const { files, dirs } = await access.listDir(dirKey);
  const limit = grid[axis]!;
  if (axis === grid.length - 1) {
    await add(
      dirKey,
      files.filter((name) => indexIn(name, limit) >= 0),
    );
    return;
  }
  for (const name of dirs) {
    if (indexIn(name, limit) >= 0) await walkNested(access, joinKey(dirKey, name), grid, axis + 1, add);
  }
}
