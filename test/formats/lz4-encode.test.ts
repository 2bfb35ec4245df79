import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeLz4Block } from "../../src/formats/codecs/lz4-block.js";
import { compressLz4Block } from "../../src/formats/codecs/lz4-encode.js";
import { compressLz4BlockWasm, useWasmLz4 } from "../../src/formats/codecs/lz4-wasm.js";

const dir = mkdtempSync(path.join(tmpdir(), "chunkwise-lz4-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let seed = 987654321;
const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(random() * 256));

/** The block for `src`, in a buffer as large as LZ4's worst case. */
function compress(src: Uint8Array, acceleration = 1): Uint8Array {
  const dst = new Uint8Array(src.length + Math.ceil(src.length / 255) + 16);
  const size = compressLz4Block(src, dst, acceleration);
  expect(size).toBeGreaterThan(0);
  return dst.subarray(0, size);
}

function roundTrip(src: Uint8Array, acceleration = 1): Uint8Array {
  const block = compress(src, acceleration);
  const out = new Uint8Array(src.length);
  decodeLz4Block(block, out);
  expect(Buffer.from(out).equals(Buffer.from(src))).toBe(true);
  return block;
}

/** Inputs that stress the parser: short ones, runs, small-offset repeats, matches at the very end, far matches. */
function adversarialInputs(): Array<[string, Uint8Array]> {
  const inputs: Array<[string, Uint8Array]> = [];
  for (let n = 0; n <= 20; n++) {
    inputs.push([`${n} zeros`, new Uint8Array(n)]);
    inputs.push([`${n} random bytes`, randomBytes(n)]);
    inputs.push([`${n} bytes of "ab"`, Uint8Array.from({ length: n }, (_, i) => (i % 2 ? 98 : 97))]);
  }
  for (const n of [100, 4096, 65535, 65536 + 10, 65536 + 11, 70_000, 300_000]) {
    inputs.push([`${n} zeros`, new Uint8Array(n)]);
    inputs.push([`${n} random bytes`, randomBytes(n)]);
    for (const period of [1, 2, 3, 4, 5, 7, 8, 13]) {
      const pattern = randomBytes(period);
      inputs.push([`${n} bytes repeating every ${period}`, Uint8Array.from({ length: n }, (_, i) => pattern[i % period]!)]);
    }
  }
  // A match that runs into the last 5 bytes, and one that would start inside the last 12.
  for (const tail of [0, 1, 4, 5, 6, 11, 12, 13]) {
    const head = randomBytes(40);
    const bytes = new Uint8Array(80 + tail);
    bytes.set(head);
    bytes.set(head, 40);
    bytes.set(randomBytes(tail), 80);
    inputs.push([`a 40-byte repeat, then ${tail} random bytes`, bytes]);
  }
  // Random text with repeats farther back than 64 KiB and nearer.
  const far = randomBytes(200_000);
  for (let k = 0; k < 400; k++) {
    const from = Math.floor(random() * 190_000);
    const to = Math.floor(random() * 190_000);
    far.copyWithin(to, from, from + 4 + Math.floor(random() * 300));
  }
  inputs.push(["random bytes with copies at every distance", far]);
  const steps = new Uint8Array(150_000);
  for (let i = 0; i < steps.length; i++) steps[i] = Math.floor(i / 1000 + 10 * Math.sin(i / 37)) & 0xff;
  inputs.push(["a slow wave", steps]);
  return inputs;
}

describe("the WebAssembly and the JavaScript compressor", () => {
  it("give the same bytes for every adversarial input and acceleration, and refuse the same too-small destinations", () => {
    const both = (src: Uint8Array, room: number, acceleration: number): [number, Uint8Array][] =>
      [true, false].map((wasm) => {
        useWasmLz4(wasm);
        const dst = new Uint8Array(room);
        return [compressLz4Block(src, dst, acceleration), dst];
      });
    expect(compressLz4BlockWasm(new Uint8Array(20), new Uint8Array(64), 1), "the WebAssembly compressor runs here").toBe(10);
    try {
      for (const [name, src] of adversarialInputs()) {
        for (const acceleration of [1, 3, 9, 70_000]) {
          const worst = src.length + Math.ceil(src.length / 255) + 16;
          const [[wasmSize, wasmBlock], [jsSize, jsBlock]] = both(src, worst, acceleration);
          expect(wasmSize, `${name}, acceleration ${acceleration}`).toBe(jsSize);
          expect(Buffer.from(wasmBlock).equals(Buffer.from(jsBlock)), `${name}, acceleration ${acceleration}`).toBe(true);
          const [[tightWasm], [tightJs]] = both(src, Math.max(0, jsSize - 1), acceleration);
          expect([tightWasm, tightJs], `${name} in ${jsSize - 1} bytes`).toEqual([0, 0]);
        }
      }
    } finally {
      useWasmLz4(true);
    }
  });
});

describe.each([
  ["WebAssembly", true],
  ["JavaScript", false],
])("compressLz4Block in %s", (_engine, wasm) => {
  const inputs = adversarialInputs();
  beforeAll(() => useWasmLz4(wasm));
  afterAll(() => useWasmLz4(true));

  it("our decoder gives back every adversarial input, at accelerations 1, 5, 9 and 1000", () => {
    for (const [name, src] of inputs) {
      for (const acceleration of [1, 5, 9, 1000]) {
        try {
          roundTrip(src, acceleration);
        } catch (error) {
          throw new Error(`${name}, acceleration ${acceleration}: ${(error as Error).message}`);
        }
      }
    }
  });

  it("compresses what is compressible: runs and repeats to a fraction, the last 5 bytes stay literals", () => {
    expect(roundTrip(new Uint8Array(100_000)).length).toBeLessThan(500);
    const block = roundTrip(Uint8Array.from({ length: 10_000 }, (_, i) => i % 7), 1);
    expect(block.length).toBeLessThan(100);
    // An input of 13+ equal bytes: one literal, a match, then the 5 last literals.
    expect([...compress(new Uint8Array(20).fill(9))]).toEqual([0x1a, 9, 1, 0, 0x50, 9, 9, 9, 9, 9]);
    // Under 13 bytes nothing is matched.
    expect([...compress(new Uint8Array(12).fill(9))]).toEqual([0xc0, ...new Array(12).fill(9)]);
    expect([...compress(new Uint8Array(0))]).toEqual([0]);
  });

  it("takes an acceleration below 1, or not a number, as 1 (as liblz4 does), and one above 65537 as 65537", () => {
    const src = inputs.find(([name]) => name === "a slow wave")![1];
    const one = compress(src, 1).slice();
    for (const acceleration of [0, -3, 0.5, Number.NaN]) expect(Buffer.from(compress(src, acceleration)).equals(Buffer.from(one)), String(acceleration)).toBe(true);
    expect(Buffer.from(compress(src, 1e9)).equals(Buffer.from(compress(src, 65537)))).toBe(true);
  });

  it("returns 0 when the block does not fit, never writing past the destination; fits in exactly its size", () => {
    for (const [name, src] of inputs.filter((_, i) => i % 5 === 0)) {
      const full = compress(src, 3).slice();
      for (const room of [0, 1, full.length - 1, full.length, full.length + 1]) {
        if (room < 0) continue;
        const guarded = new Uint8Array(room + 64).fill(0xee);
        const size = compressLz4Block(src, guarded.subarray(0, room), 3);
        expect(guarded.subarray(room).every((b) => b === 0xee), `${name}: wrote past ${room} bytes`).toBe(true);
        if (room >= full.length) expect(Buffer.from(guarded.subarray(0, size)).equals(Buffer.from(full)), `${name} in ${room}`).toBe(true);
        else expect(size, `${name} in ${room} bytes`).toBe(0);
      }
    }
  });

  it("reads an input at any byte offset, and gives the same block whatever was compressed before (the table is reused)", () => {
    const src = inputs.find(([name]) => name === "a slow wave")![1];
    const first = compress(src, 2).slice();
    for (const [, other] of inputs.slice(0, 30)) compress(other, 7);
    const shifted = new Uint8Array(src.length + 3);
    shifted.set(src, 3);
    expect(Buffer.from(compress(shifted.subarray(3), 2)).equals(Buffer.from(first))).toBe(true);
    // Enough input to wrap the table's position offset past 2^31.
    const zeros = new Uint8Array(1 << 24);
    const room = new Uint8Array(1 << 17);
    for (let k = 0; k < 130; k++) compressLz4Block(zeros, room, 1);
    expect(Buffer.from(compress(src, 2)).equals(Buffer.from(first))).toBe(true);
  });

  it("gives the very blocks LZ4_compress_fast gives (python3-lz4 on liblz4 1.9.4, x86-64), and liblz4 decodes them", () => {
    const cases = inputs.filter(([, src]) => src.length > 0);
    const blocks = cases.flatMap(([, src]) => [1, 5, 9].map((acceleration) => ({ src, acceleration, block: compress(src, acceleration).slice() })));
    const blobs: Uint8Array[] = [];
    const manifest = blocks.map(({ src, acceleration, block }) => {
      blobs.push(src, block);
      return { size: src.length, blockSize: block.length, acceleration };
    });
    const file = path.join(dir, "blocks.bin");
    writeFileSync(file, Buffer.concat(blobs));
    const script = `
import json, sys, lz4.block
manifest = json.loads(sys.argv[2])
data = open(sys.argv[1], "rb").read()
at, out = 0, []
for case in manifest:
    src = data[at:at + case["size"]]; at += case["size"]
    block = data[at:at + case["blockSize"]]; at += case["blockSize"]
    ok = lz4.block.decompress(block, uncompressed_size=case["size"]) == src
    same = lz4.block.compress(src, mode="fast", acceleration=case["acceleration"], store_size=False) == block
    out.append([ok, same])
print(json.dumps(out))
`;
    const results = JSON.parse(execFileSync("/usr/bin/python3", ["-c", script, file, JSON.stringify(manifest)], { encoding: "utf8", maxBuffer: 1 << 24 })) as Array<[boolean, boolean]>;
    const label = (i: number) => `${cases[Math.floor(i / 3)]![0]}, acceleration ${blocks[i]!.acceleration}`;
    expect(results.flatMap(([ok], i) => (ok ? [] : [label(i)]))).toEqual([]);
    expect(results.flatMap(([, same], i) => (same ? [] : [label(i)]))).toEqual([]);
  });
});
