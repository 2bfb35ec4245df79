/**
 * Compute chunks made of whole storage chunks, and where to put sample tasks on their grid.
 * Pure arithmetic.
 */
import { product } from "../model/layout.js";

/**
 * Compute chunk shapes of 1, 2, 4, … storage chunks: each step doubles one axis (the
 * outermost that is not yet the whole array, in turn), never past the array's extent, until the
 * chunk covers the array or reaches `maxBytes`. The first is always the storage chunk itself.
 */
export function candidateChunks(shape: readonly number[], storage: readonly number[], itemSize: number, maxBytes: number): number[][] {
  const clip = (c: readonly number[]): number[] => c.map((v, a) => Math.min(v, Math.max(1, shape[a]!)));
  let current = clip(storage);
  const out = [current];
  let axis = 0;
  for (;;) {
    let grown: number[] | null = null;
    for (let tried = 0; tried < shape.length && grown === null; tried++) {
      const a = (axis + tried) % shape.length;
      if (current[a]! < shape[a]!) {
        grown = [...current];
        grown[a] = Math.min(shape[a]!, current[a]! * 2);
        axis = (a + 1) % shape.length;
      }
    }
    if (grown === null || product(grown) * itemSize > maxBytes) return out;
    current = grown;
    out.push(current);
  }
}

/**
 * Up to `count` regions of `chunk` spread evenly over the compute grid, whole chunks first
 * (edge chunks only when there are not enough whole ones). Returned as [start, stop) pairs.
 */
export function sampleRegions(shape: readonly number[], chunk: readonly number[], count: number): { start: number[]; stop: number[] }[] {
  const full = shape.map((n, a) => Math.floor(n / chunk[a]!));
  const all = shape.map((n, a) => Math.ceil(n / chunk[a]!));
  const grid = product(full) >= Math.min(count, product(all)) && product(full) > 0 ? full : all;
  const total = product(grid);
  if (total === 0) return [];
  const picks = Math.min(count, total);
  const regions: { start: number[]; stop: number[] }[] = [];
  for (let k = 0; k < picks; k++) {
    let index = Math.floor((k * total) / picks);
    const coords = new Array<number>(shape.length);
    for (let a = shape.length - 1; a >= 0; a--) {
      coords[a] = index % grid[a]!;
      index = Math.floor(index / grid[a]!);
    }
    const start = coords.map((c, a) => c * chunk[a]!);
    regions.push({ start, stop: start.map((s, a) => Math.min(shape[a]!, s + chunk[a]!)) });
  }
  return regions;
}

/** Elements in a region. */
export const regionSize = (region: { start: readonly number[]; stop: readonly number[] }): number =>
  product(region.stop.map((s, a) => s - region.start[a]!));
