import { describe, expect, it } from "vitest";
import type { PlacedBlock } from "../../src/formats/block-copy.js";
import { Pieces } from "../../src/rechunk/pieces.js";
import { cellsIn } from "../../src/rechunk/plan.js";

/** Value of the array element at `index` (C order over `shape`): unique per element. */
const valueAt = (index: readonly number[], shape: readonly number[]): number => index.reduce((v, i, axis) => v * shape[axis]! + i, 0);

/** The block of `region` (C order) filled with valueAt. */
function expectedBlock(start: readonly number[], stop: readonly number[], shape: readonly number[]): number[] {
  const out: number[] = [];
  const extent = stop.map((s, axis) => s - start[axis]!);
  const index = [...start];
  const total = extent.reduce((a, b) => a * b, 1);
  for (let n = 0; n < total; n++) {
    out.push(valueAt(index, shape));
    for (let axis = index.length - 1; axis >= 0; axis--) {
      if (++index[axis]! < stop[axis]!) break;
      index[axis] = start[axis]!;
    }
  }
  return out;
}

/** Pieces of `region` cut from chunks `chunks`, each part's values placed at `offsets[i]` elements of one shared buffer. */
function piecesIn(shape: number[], chunks: number[], start: number[], stop: number[], place: (i: number, elements: number) => number, buffer = new Float64Array(4096)): PlacedBlock[] {
  return [...cellsIn({ start, stop }, chunks, shape)].map((cell, i) => {
    const partStart = cell.start.map((s, axis) => Math.max(s, start[axis]!));
    const partStop = cell.stop.map((s, axis) => Math.min(s, stop[axis]!));
    const values = expectedBlock(partStart, partStop, shape);
    const at = place(i, values.length);
    const view = buffer.subarray(at, at + values.length);
    view.set(values);
    return { origin: partStart, shape: partStop.map((s, axis) => s - partStart[axis]!), values: view };
  });
}

function cut(pieces: Pieces, start: number[], stop: number[]): number[] {
  const values = new Float64Array(stop.reduce((n, s, axis) => n * (s - start[axis]!), 1));
  pieces.fill({ origin: start, shape: stop.map((s, axis) => s - start[axis]!), values });
  return [...values];
}

describe("Pieces", () => {
  const shape = [12, 6, 8];
  const region = { start: [2, 0, 0], stop: [11, 6, 8] };

  it("uses parts that lie one after the other in one buffer as one block, and cuts the same values", () => {
    let next = 16;
    const list = piecesIn(shape, [2, 6, 8], region.start, region.stop, (_i, elements) => {
      const at = next;
      next += elements;
      return at;
    });
    const pieces = new Pieces(region, list, null);
    expect(pieces.list).toHaveLength(1);
    expect(pieces.list[0]!.shape).toEqual([9, 6, 8]);
    for (const [start, stop] of [
      [[2, 0, 0], [11, 3, 3]],
      [[4, 2, 5], [9, 6, 8]],
      [[2, 0, 0], [11, 6, 8]],
    ] as const) {
      expect(cut(pieces, [...start], [...stop])).toEqual(expectedBlock(start, stop, shape));
    }
  });

  it("keeps the pieces apart when they are not adjacent, not in order, or do not span the other axes", () => {
    const gap = piecesIn(shape, [2, 6, 8], region.start, region.stop, (i) => i * 104);
    const reversed = piecesIn(shape, [2, 6, 8], region.start, region.stop, (i) => 2000 - i * 96 - 96);
    const narrow = piecesIn(shape, [2, 3, 8], region.start, region.stop, (i) => i * 48);
    for (const list of [gap, reversed, narrow]) {
      const pieces = new Pieces(region, list, null);
      expect(pieces.list.length).toBe(list.length);
      expect(cut(pieces, [3, 1, 2], [10, 5, 7])).toEqual(expectedBlock([3, 1, 2], [10, 5, 7], shape));
    }
  });

  it("stacks stretches of larger chunks (values from an element on, as a partial read returns them)", () => {
    // Chunks (1, 6, 8); the region takes rows 2..5 of each: stretch = those rows, `first` = 16.
    const buffer = new Float64Array(1024);
    const sub = { start: [3, 2, 0], stop: [7, 5, 8] };
    const list: PlacedBlock[] = [];
    for (let t = 3; t < 7; t++) {
      const rows = expectedBlock([t, 2, 0], [t, 5, 8].map((s, axis) => (axis === 0 ? t + 1 : s)), shape);
      const view = buffer.subarray((t - 3) * 24, (t - 3) * 24 + 24);
      view.set(rows);
      list.push({ origin: [t, 0, 0], shape: [1, 6, 8], values: view, first: 16 });
    }
    const pieces = new Pieces(sub, list, null);
    expect(pieces.list).toHaveLength(1);
    expect(cut(pieces, [3, 2, 0], [7, 5, 8])).toEqual(expectedBlock([3, 2, 0], [7, 5, 8], shape));
    expect(cut(pieces, [4, 3, 6], [6, 5, 8])).toEqual(expectedBlock([4, 3, 6], [6, 5, 8], shape));
  });
});
