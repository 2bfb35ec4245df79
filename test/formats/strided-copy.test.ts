import { describe, expect, it } from "vitest";
import { copyRegion, type PlacedBlock } from "../../src/formats/block-copy.js";
import type { NumericArray } from "../../src/formats/dataset.js";
import { stridedCopier, stridedCopyBuffer } from "../../src/formats/strided-copy.js";
import { mulberry32 } from "../helpers/random.js";

type ViewClass = new (buffer: ArrayBuffer, byteOffset: number, length: number) => NumericArray;

/**
 * Both blocks of a copy in one buffer of each kind (plain, WebAssembly), filled alike with
 * random bytes: the source at element 0, the target at `targetAt`.
 */
function twins(View: ViewClass, elements: number, seed: number): { plain: NumericArray; wasm: NumericArray } {
  const bytes = elements * View.prototype.BYTES_PER_ELEMENT;
  const plain = new View(new ArrayBuffer(bytes), 0, elements);
  const wasm = new View(stridedCopyBuffer(bytes), 0, elements);
  const random = mulberry32(seed);
  const raw = new Uint8Array(plain.buffer, 0, bytes).map(() => Math.floor(random() * 256));
  new Uint8Array(plain.buffer, 0, bytes).set(raw);
  new Uint8Array(wasm.buffer, 0, bytes).set(raw);
  return { plain, wasm };
}

/** Copy `region` from a block at `fromAt` to one at `toAt`, both views of `all`. */
function copyWithin(all: NumericArray, fromAt: number, toAt: number, from: Omit<PlacedBlock, "values">, to: Omit<PlacedBlock, "values">, region: { start: number[]; stop: number[] }): void {
  const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
  copyRegion({ ...from, values: all.subarray(fromAt, fromAt + size(from.shape)) }, { ...to, values: all.subarray(toAt, toAt + size(to.shape)) }, region);
}

const same = (a: NumericArray, b: NumericArray) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe("strided copies in WebAssembly buffers", () => {
  it("runs on this engine: buffers of whole pages, zeroed, each with its kernel", () => {
    const buffer = stridedCopyBuffer(100_000);
    expect(stridedCopier(buffer)).toBeDefined();
    expect(buffer.byteLength).toBe(131_072);
    expect(new Uint8Array(buffer).every((b) => b === 0)).toBe(true);
    expect(stridedCopier(new ArrayBuffer(64))).toBeUndefined();
  });

  it("copies what copyWithin copies, for every element size, short runs with tails and long runs", () => {
    const cases: { View: ViewClass; run: number }[] = [];
    for (const View of [Uint8Array, Int16Array, Float32Array, Float64Array] as unknown as ViewClass[]) {
      for (const run of [1, 3, 15, 16, 17, 31, 32, 33, 100, 255, 256, 257, 1000]) cases.push({ View, run });
    }
    for (const [i, { View, run }] of cases.entries()) {
      // A (5, 4, run + 7) block; the region skips its edges, so runs are `run` elements with gaps.
      const from = { origin: [0, 0, 0], shape: [5, 4, run + 7] };
      const to = { origin: [1, 1, 2], shape: [3, 2, run] };
      const region = { start: [1, 1, 2], stop: [4, 3, 2 + run] };
      const fromElements = 5 * 4 * (run + 7);
      const { plain, wasm } = twins(View, fromElements + 6 * run + 9, i);
      copyWithin(plain, 0, fromElements + 5, from, to, region);
      copyWithin(wasm, 0, fromElements + 5, from, to, region);
      expect(same(plain, wasm), `${View.name} run ${run}`).toBe(true);
    }
  });

  it("walks axes past the kernel's two (5-D) and leaves blocks with offsets alone outside the region", () => {
    const from = { origin: [0, 0, 0, 0, 0], shape: [3, 4, 2, 5, 6] };
    const to = { origin: [1, 0, 1, 1, 2], shape: [2, 4, 1, 3, 4] };
    const region = { start: [1, 0, 1, 1, 2], stop: [3, 4, 2, 4, 6] };
    const { plain, wasm } = twins(Float32Array as unknown as ViewClass, 720 + 96 + 40, 9);
    copyWithin(plain, 3, 750, from, to, region);
    copyWithin(wasm, 3, 750, from, to, region);
    expect(same(plain, wasm)).toBe(true);
  });

  it("leaves copies whose blocks overlap in the buffer to copyWithin", () => {
    // The target starts 6 bytes into the source: the kernel, 16 bytes a step, would read bytes it
    // had already written, where copyWithin moves each run as if through a copy.
    const block = { origin: [0, 0], shape: [6, 50] };
    const region = { start: [0, 0], stop: [6, 40] };
    const { plain, wasm } = twins(Int16Array as unknown as ViewClass, 310, 3);
    copyWithin(plain, 0, 3, block, block, region);
    copyWithin(wasm, 0, 3, block, block, region);
    expect(same(plain, wasm)).toBe(true);
  });
});
