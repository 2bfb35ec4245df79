import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { shuffle, unshuffle } from "../../src/formats/codecs/shuffle.js";
import { SHUFFLE_WASM } from "../../src/formats/codecs/simd/shuffle-wasm.js";
import { inputRegion, outputRegion, simdShuffleAvailable, useSimdShuffle } from "../../src/formats/codecs/simd-shuffle.js";
import { mulberry32 } from "../helpers/random.js";

const random = mulberry32(5);
const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

/** shuffle/unshuffle by the JavaScript loops, for reference. */
function withoutSimd<T>(run: () => T): T {
  useSimdShuffle(false);
  try {
    return run();
  } finally {
    useSimdShuffle(true);
  }
}

afterEach(() => useSimdShuffle(true));

describe("SIMD byte shuffle of 4-byte elements", () => {
  it("is what simd/shuffle.wat compiles to, and runs on this engine", async () => {
    const root = path.resolve(import.meta.dirname, "../..");
    const { compileWat, moduleText } = (await import(path.join(root, "scripts/build-wasm.mjs"))) as {
      compileWat(file: string): Promise<Buffer>;
      moduleText(name: string, bytes: Buffer): string;
    };
    const bytes = await compileWat(path.join(root, "src/formats/codecs/simd/shuffle.wat"));
    expect(Buffer.from(SHUFFLE_WASM, "base64").equals(bytes)).toBe(true);
    expect(moduleText("shuffle", bytes)).toContain(SHUFFLE_WASM.slice(0, 96));
    expect(simdShuffleAvailable()).toBe(true);
  });

  it("gives the bytes the word loops give, whole blocks and ranges, every length around the SIMD step", () => {
    for (const count of [255, 256, 257, 271, 272, 1000, 4096, 65_537]) {
      for (const trailing of [0, 3]) {
        const length = 4 * count + trailing;
        const plain = randomBytes(length);
        const expected = withoutSimd(() => {
          const out = new Uint8Array(length);
          shuffle(plain, out, 4);
          return out;
        });
        const shuffled = new Uint8Array(length);
        shuffle(plain, shuffled, 4);
        expect(same(shuffled, expected), `shuffle ${count}+${trailing}`).toBe(true);
        const back = new Uint8Array(length);
        unshuffle(shuffled, back, 4);
        expect(same(back, plain), `unshuffle ${count}+${trailing}`).toBe(true);
        for (const [first, stop] of [[0, count], [1, count - 1], [16, 16 + 256], [count - 300, count]]) {
          if (first! < 0 || stop! > count || stop! < first!) continue;
          const part = new Uint8Array(length).fill(0xee);
          unshuffle(shuffled, part, 4, first, stop);
          const reference = withoutSimd(() => {
            const out = new Uint8Array(length).fill(0xee);
            unshuffle(shuffled, out, 4, first, stop);
            return out;
          });
          expect(same(part, reference), `unshuffle ${count} [${first}, ${stop})`).toBe(true);
        }
      }
    }
  });

  it("handles blocks larger than its memory regions in slices", () => {
    const count = 2_500_000; // 10 MB: more than one 8 MiB region
    const plain = randomBytes(4 * count);
    const shuffled = new Uint8Array(plain.length);
    shuffle(plain, shuffled, 4);
    const expected = withoutSimd(() => {
      const out = new Uint8Array(plain.length);
      shuffle(plain, out, 4);
      return out;
    });
    expect(same(shuffled, expected)).toBe(true);
    const back = new Uint8Array(plain.length);
    unshuffle(shuffled, back, 4);
    expect(same(back, plain)).toBe(true);
  });

  it("decodes from its input region and encodes into its output region in place, and refuses the wrong region", () => {
    const count = 4096;
    const plain = randomBytes(4 * count);
    const expected = withoutSimd(() => {
      const out = new Uint8Array(plain.length);
      shuffle(plain, out, 4);
      return out;
    });
    const into = outputRegion(plain.length)!;
    shuffle(plain, into, 4);
    expect(same(into, expected)).toBe(true);
    const from = inputRegion(plain.length)!;
    from.set(expected);
    const back = new Uint8Array(plain.length);
    unshuffle(from, back, 4, 16, count);
    expect(same(back.subarray(64), plain.subarray(64))).toBe(true);
    expect(() => shuffle(plain, inputRegion(plain.length)!, 4)).toThrow(/output region/);
    expect(() => unshuffle(outputRegion(plain.length)!, back, 4)).toThrow(/input region/);
  });

  it("is off when turned off: no regions are handed out", () => {
    useSimdShuffle(false);
    expect(simdShuffleAvailable()).toBe(false);
    expect(inputRegion(64)).toBeNull();
    expect(outputRegion(64)).toBeNull();
  });
});
