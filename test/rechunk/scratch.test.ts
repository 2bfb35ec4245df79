import { mkdtempSync, readdirSync, rmSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { copyRegion } from "../../src/formats/block-copy.js";
import { cellsIn } from "../../src/rechunk/plan.js";
import { type ScratchArray, ScratchGroupWriter, readScratchChunks } from "../../src/rechunk/scratch.js";
import { mulberry32 } from "../helpers/random.js";

const root = mkdtempSync(path.join(tmpdir(), "chunkwise-scratch-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Element i of the array holds i: any misplaced chunk shows. */
function arrayValues(shape: readonly number[]): Float64Array {
  return Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i);
}

/** Write the intermediate array as stage 1 would: one group per block of `groups`, its chunks in cellsIn() order. */
function writeGroups(scratch: ScratchArray, whole: Float64Array): void {
  const array = { origin: scratch.shape.map(() => 0), shape: scratch.shape, values: whole };
  for (const group of cellsIn({ start: scratch.shape.map(() => 0), stop: scratch.shape }, scratch.groups, scratch.shape)) {
    const writer = ScratchGroupWriter.open(scratch.directory, group);
    for (const cell of cellsIn(group, scratch.chunks, scratch.shape)) {
      const shape = cell.stop.map((s, axis) => s - cell.start[axis]!);
      const values = new Float64Array(shape.reduce((a, b) => a * b, 1));
      copyRegion(array, { origin: cell.start, shape, values }, cell);
      writer.append(values);
    }
    writer.commit();
  }
}

describe("intermediate groups", () => {
  it("read every chunk back from its place in its group, edge chunks and edge groups included", () => {
    const random = mulberry32(7);
    for (let trial = 0; trial < 40; trial++) {
      const ndim = 1 + Math.floor(random() * 3);
      const shape = Array.from({ length: ndim }, () => 1 + Math.floor(random() * 13));
      const chunks = shape.map((n) => 1 + Math.floor(random() * n));
      // A stage-1 block is a whole number of intermediate chunks (clipped at the edge).
      const groups = chunks.map((c, axis) => Math.min(shape[axis]!, c * (1 + Math.floor(random() * 3))));
      const scratch: ScratchArray = { directory: path.join(root, `t${trial}`), shape, chunks, groups, ctor: Float64Array };
      const whole = arrayValues(shape);
      writeGroups(scratch, whole);
      const cells = [...cellsIn({ start: shape.map(() => 0), stop: shape }, chunks, shape)];
      const read = readScratchChunks(scratch, cells);
      read.forEach((block, i) => {
        const expected = new Float64Array(block.values.length);
        copyRegion({ origin: shape.map(() => 0), shape, values: whole }, { origin: block.origin, shape: block.shape, values: expected }, cells[i]!);
        expect([...(block.values as Float64Array)], `trial ${trial}, chunk ${cells[i]!.coords}`).toEqual([...expected]);
      });
      expect(readdirSync(scratch.directory).some((name) => name.endsWith(".tmp"))).toBe(false);
    }
  });

  it("refuse a truncated group, naming its file", () => {
    const scratch: ScratchArray = { directory: path.join(root, "short"), shape: [4, 6], chunks: [2, 3], groups: [4, 6], ctor: Float64Array };
    writeGroups(scratch, arrayValues(scratch.shape));
    truncateSync(path.join(scratch.directory, "0.0"), 100);
    const cells = [...cellsIn({ start: [2, 3], stop: [4, 6] }, scratch.chunks, scratch.shape)];
    expect(() => readScratchChunks(scratch, cells)).toThrow(/intermediate group holds 100 bytes, expected 192/);
  });

  it("leave nothing behind for a group that was aborted, and nothing in place before commit", () => {
    const directory = path.join(root, "aborted");
    const writer = ScratchGroupWriter.open(directory, { start: [0], stop: [4] });
    writer.append(new Float64Array(4));
    expect(readdirSync(directory).filter((name) => !name.endsWith(".tmp"))).toEqual([]);
    writer.abort();
    expect(readdirSync(directory)).toEqual([]);
  });
});
