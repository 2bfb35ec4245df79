import type { StorageFacts } from "../dataset.js";
import type { ChunkKeyEncoding } from "./metadata.js";
import { joinKey, type SizeTally, type StoreAccess } from "./store-access.js";

const DIGIT_0 = 48;
const DIGIT_9 = 57;
const END = -1;

/**
 * True when `name`, from character `start` on, is grid indices for `axes` of `grid` joined by the
 * character code `separator` ("3.0.12"): decimal, no leading zeros, each below its axis' size.
 * A hand-written scan: a million names take ~0.1 s, ten times less than split + regex.
 */
export function isGridKey(name: string, start: number, separator: number, grid: readonly number[], firstAxis = 0, axes = grid.length - firstAxis): boolean {
  let axis = firstAxis;
  const lastAxis = firstAxis + axes;
  let value = 0;
  let digits = 0;
  for (let i = start; i <= name.length; i++) {
    const char = i < name.length ? name.charCodeAt(i) : END;
    if (char >= DIGIT_0 && char <= DIGIT_9) {
      if (digits === 1 && value === 0) return false;
      value = value * 10 + (char - DIGIT_0);
      digits++;
      continue;
    }
    if (char !== separator && char !== END) return false;
    if (digits === 0 || axis >= lastAxis || value >= grid[axis]!) return false;
    axis++;
    value = 0;
    digits = 0;
  }
  return axis === lastAxis;
}

const DOT = ".".charCodeAt(0);

/**
 * Count and size the chunk objects (shard objects for sharded arrays) of the array at
 * `arrayKey`, whose object grid is `grid` (objects per axis). Lists directories and asks for file
 * sizes; never opens a chunk. Only keys that name a cell of the grid count, so metadata files,
 * stray files and chunks left outside a shrunk array are ignored.
 */
export async function chunkStorage(access: StoreAccess, arrayKey: string, encoding: ChunkKeyEncoding, grid: readonly number[]): Promise<StorageFacts> {
  const tally = access.sizeTally();
  try {
    if (grid.length === 0) {
      tally.add(arrayKey, encoding.kind === "default" ? "c" : "0");
    } else if (encoding.separator === "/") {
      const base = encoding.kind === "default" ? joinKey(arrayKey, "c") : arrayKey;
      await walkNested(access, tally, base, grid, 0);
    } else {
      const prefix = encoding.kind === "default" ? "c." : "";
      for (const name of await access.listNames(arrayKey)) {
        if (name.startsWith(prefix) && isGridKey(name, prefix.length, DOT, grid)) tally.add(arrayKey, name);
      }
    }
  } catch (err) {
    // Let the tally stop its workers before the listing error goes up.
    await tally.finish().catch(() => undefined);
    throw err;
  }
  const { files, bytes } = await tally.finish();
  return { storedBytes: bytes, writtenObjects: files };
}

/** Directories named by grid indices down to the last axis, whose files are the chunks. */
async function walkNested(access: StoreAccess, tally: SizeTally, dirKey: string, grid: readonly number[], axis: number): Promise<void> {
  for (const name of await access.listNames(dirKey)) {
    if (!isGridKey(name, 0, DOT, grid, axis, 1)) continue;
    if (axis === grid.length - 1) tally.add(dirKey, name);
    else await walkNested(access, tally, joinKey(dirKey, name), grid, axis + 1);
  }
}
