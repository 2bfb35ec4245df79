import { describe, expect, it } from "vitest";
import { shuffle, unshuffle } from "../../src/formats/codecs/shuffle.js";
import { mulberry32 } from "../helpers/random.js";

const random = mulberry32(11);
const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

describe("shuffle and unshuffle", () => {
  it.each([1, 2, 3, 4, 5, 8, 12, 16, 255])("typesize %i: the streams blosc defines, and back; aligned or not, with trailing bytes", (typesize) => {
    for (const count of [0, 1, 3, 4, 7, 128, 130, 256]) {
      for (const trailing of [0, typesize > 1 ? typesize - 1 : 0]) {
        const length = count * typesize + trailing;
        const plain = randomBytes(length);
        const expected = new Uint8Array(length);
        for (let i = 0; i < count; i++) for (let j = 0; j < typesize; j++) expected[j * count + i] = plain[i * typesize + j]!;
        expected.set(plain.subarray(count * typesize), count * typesize);
        for (const offset of [0, 1, 4]) {
          const at = (bytes: Uint8Array) => {
            const view = new Uint8Array(length + offset).subarray(offset);
            view.set(bytes);
            return view;
          };
          const label = `typesize ${typesize} count ${count} trailing ${trailing} offset ${offset}`;
          const shuffled = at(new Uint8Array(length));
          shuffle(at(plain), shuffled, typesize);
          expect(same(shuffled, expected), label).toBe(true);
          const back = at(new Uint8Array(length));
          unshuffle(at(expected), back, typesize);
          expect(same(back, plain), label).toBe(true);
        }
      }
    }
  });

  it("refuse buffers of different lengths", () => {
    expect(() => shuffle(new Uint8Array(8), new Uint8Array(4), 4)).toThrow(/shuffle: 8 bytes in, 4 out/);
    expect(() => unshuffle(new Uint8Array(8), new Uint8Array(4), 4)).toThrow(/unshuffle: 8 bytes in, 4 out/);
  });
});

describe("unshuffle of a range of elements", () => {
  it.each([1, 2, 4, 8, 3])("typesize %i: only elements [first, end), the others left alone", (typesize) => {
    const count = 64;
    // A trailing byte after the last whole element (one-byte elements have none).
    const plain = Uint8Array.from({ length: count * typesize + (typesize > 1 ? 1 : 0) }, (_, i) => (i * 31 + 7) & 0xff);
    const shuffled = new Uint8Array(plain.length);
    shuffle(plain, shuffled, typesize);
    for (const [first, stop] of [[0, 64], [4, 12], [3, 9], [60, 64], [8, 8]] as const) {
      const dst = new Uint8Array(plain.length).fill(0xee);
      unshuffle(shuffled, dst, typesize, first, stop);
      expect(same(dst.subarray(first * typesize, stop * typesize), plain.subarray(first * typesize, stop * typesize)), `${first}–${stop}`).toBe(true);
      expect(dst.subarray(0, first * typesize).every((x) => x === 0xee) && dst.subarray(stop * typesize, count * typesize).every((x) => x === 0xee)).toBe(true);
      if (typesize > 1) expect(dst[plain.length - 1], "the trailing byte goes along only with the last element").toBe(stop === count ? plain[plain.length - 1] : 0xee);
    }
    expect(() => unshuffle(shuffled, new Uint8Array(plain.length), typesize, 5, 65)).toThrow(/elements 5–65 of 64/);
  });
});
