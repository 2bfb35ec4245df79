import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registry } from "zarrita";
import { withChunkwiseBlosc } from "../../src/formats/codecs/blosc-codec.js";
import { bloscDecodesNatively, decodeBloscBlocks, decodeBloscFrame, readBloscHeader } from "../../src/formats/codecs/blosc-decode.js";
import { registerChunkwiseCodecs } from "../../src/formats/codecs/index.js";
import { decodeLz4Block } from "../../src/formats/codecs/lz4-block.js";

interface FrameCase {
  source: "numcodecs" | "libblosc";
  typesize: number;
  kind: string;
  cname: string;
  shuffle: number;
  clevel: number;
  blocksize: number;
  splitmode: string;
  raw: [number, number];
  frame: [number, number];
}

interface BloscCodec {
  decode(bytes: Uint8Array): Promise<Uint8Array> | Uint8Array;
}

const dir = mkdtempSync(path.join(tmpdir(), "chunkwise-blosc-"));
let cases: FrameCase[] = [];
let blob: Uint8Array;
let codec: BloscCodec;

const rawOf = (c: FrameCase) => blob.subarray(c.raw[0], c.raw[0] + c.raw[1]);
const frameOf = (c: FrameCase) => blob.subarray(c.frame[0], c.frame[0] + c.frame[1]);
const label = (c: FrameCase) =>
  `${c.source} ${c.cname} clevel ${c.clevel} shuffle ${c.shuffle} typesize ${c.typesize} ${c.raw[1]} bytes of ${c.kind}, blocksize ${c.blocksize}, split ${c.splitmode}`;
const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);

beforeAll(async () => {
  const file = path.join(dir, "frames.bin");
  const manifest = execFileSync("/usr/bin/python3", [path.join(import.meta.dirname, "blosc-frames.py"), file], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  cases = JSON.parse(manifest) as FrameCase[];
  blob = new Uint8Array(readFileSync(file));
  registerChunkwiseCodecs();
  const entry = (await registry.get("blosc")!()) as unknown as { fromConfig(config: unknown, meta: never): BloscCodec };
  codec = entry.fromConfig({ cname: "lz4", clevel: 5, shuffle: 1, blocksize: 0 }, undefined as never);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of `frame` with its header's cbytes set to its (new) length, so the frame-length check passes. */
function withLength(frame: Uint8Array): Uint8Array {
  const copy = frame.slice();
  new DataView(copy.buffer).setUint32(12, copy.length, true);
  return copy;
}

describe("blosc frames c-blosc wrote", () => {
  it("the registered codec decodes every frame to the bytes that were compressed", async () => {
    expect(cases.length).toBeGreaterThan(3000);
    const wrong: string[] = [];
    for (const c of cases) {
      if (!sameBytes(await codec.decode(frameOf(c)), rawOf(c))) wrong.push(label(c));
    }
    expect(wrong).toEqual([]);
  });

  it("returns bytes that own their whole buffer, also from a Buffer (zarrita's vlen-utf8 reads .buffer from 0)", () => {
    const pick = (cname: string, clevel: number) => cases.find((c) => c.cname === cname && c.clevel === clevel && c.shuffle === 1 && c.typesize === 4)!;
    for (const c of [pick("lz4", 0), pick("lz4", 5)]) {
      const frame = frameOf(c);
      const inside = Buffer.alloc(frame.length + 8);
      inside.set(frame, 8);
      const decoded = decodeBloscFrame(inside.subarray(8));
      expect([decoded.byteOffset, decoded.buffer.byteLength]).toEqual([0, c.raw[1]]);
      expect(sameBytes(decoded, rawOf(c))).toBe(true);
    }
  });

  it("lz4, lz4hc and memcpyed frames are ours; bitshuffle, zstd and blosclz go to the wasm codec", () => {
    const misrouted: string[] = [];
    let native = 0;
    for (const c of cases) {
      const frame = frameOf(c);
      const memcpyed = (readBloscHeader(frame).flags & 0x02) !== 0;
      const expected = memcpyed || (c.cname.startsWith("lz4") && c.shuffle !== 2);
      if (bloscDecodesNatively(frame) !== expected) misrouted.push(label(c));
      if (expected) {
        native++;
        if (!sameBytes(decodeBloscFrame(frame), rawOf(c))) misrouted.push(`wrong bytes: ${label(c)}`);
      }
    }
    expect(misrouted).toEqual([]);
    const lz4Compressed = cases.filter((c) => c.cname.startsWith("lz4") && c.shuffle !== 2 && !(readBloscHeader(frameOf(c)).flags & 0x02));
    expect(lz4Compressed.length).toBeGreaterThan(500);
    expect(native).toBeGreaterThan(lz4Compressed.length);
    expect(cases.some((c) => c.clevel === 0 && c.cname === "zstd" && bloscDecodesNatively(frameOf(c)))).toBe(true);
  });

  it("a frame without the dont-split flag, as blosc wrote before the flag existed, splits only blocks of ≤ 16-byte types and ≥ 128 elements", () => {
    const oldRuleKeepsWhole = (c: FrameCase) => {
      const { typesize, blocksize } = readBloscHeader(frameOf(c));
      return typesize > 16 || Math.floor(blocksize / typesize) < 128;
    };
    const unsplit = cases.filter((c) => c.cname.startsWith("lz4") && (readBloscHeader(frameOf(c)).flags & 0x16) === 0x10 && oldRuleKeepsWhole(c));
    expect(unsplit.some((c) => c.typesize > 16 && c.raw[1] / c.typesize >= 128)).toBe(true);
    expect(unsplit.some((c) => c.typesize <= 16 && c.typesize > 1)).toBe(true);
    const wrong: string[] = [];
    for (const c of unsplit) {
      const frame = frameOf(c).slice();
      frame[2]! &= ~0x10;
      if (!sameBytes(decodeBloscFrame(frame), rawOf(c))) wrong.push(label(c));
    }
    expect(wrong).toEqual([]);
  });

  it("the matrix has the frame shapes the decoder must tell apart", () => {
    const flagsOf = (c: FrameCase) => readBloscHeader(frameOf(c)).flags;
    const lz4 = cases.filter((c) => c.cname.startsWith("lz4") && !(flagsOf(c) & 0x06));
    const header = (c: FrameCase) => readBloscHeader(frameOf(c));
    // split and unsplit blocks, a leftover block, a length the typesize does not divide
    expect(lz4.some((c) => c.shuffle === 1 && !(flagsOf(c) & 0x10) && c.typesize > 1)).toBe(true);
    expect(lz4.some((c) => c.shuffle === 1 && flagsOf(c) & 0x10 && c.typesize > 1 && c.typesize <= 16)).toBe(true);
    const leftover = (c: FrameCase) => header(c).nbytes % header(c).blocksize !== 0 && header(c).nbytes > header(c).blocksize;
    expect(lz4.some((c) => leftover(c) && !(flagsOf(c) & 0x10) && c.typesize > 1)).toBe(true);
    expect(lz4.some((c) => leftover(c) && flagsOf(c) & 0x10)).toBe(true);
    expect(lz4.some((c) => c.shuffle === 1 && c.raw[1] % c.typesize !== 0)).toBe(true);
    expect(lz4.some((c) => c.typesize === 255 && c.shuffle === 1)).toBe(true);
    expect(lz4.some((c) => c.kind === "zeros" && c.raw[1] / c.frame[1] > 250)).toBe(true);
  });
});

describe("withChunkwiseBlosc decoding", () => {
  it("decodes lz4 frames itself and hands the others to the wrapped codec; with no typesize known, encoding is the wrapped codec's", async () => {
    const handedOver: Uint8Array[] = [];
    const wrapped = withChunkwiseBlosc({
      kind: "bytes_to_bytes",
      fromConfig: () => ({
        encode: (bytes: Uint8Array) => bytes.subarray(0, 1),
        decode: (bytes: Uint8Array) => {
          handedOver.push(bytes);
          return new Uint8Array(0);
        },
      }),
    }).fromConfig({}, undefined as never);
    const lz4 = cases.find((c) => c.cname === "lz4" && c.clevel === 5 && c.shuffle === 1 && c.kind === "smooth")!;
    const zstd = cases.find((c) => c.cname === "zstd" && c.clevel === 5 && !(readBloscHeader(frameOf(c)).flags & 0x02))!;
    expect(sameBytes(await wrapped.decode(frameOf(lz4)), rawOf(lz4))).toBe(true);
    expect(handedOver).toEqual([]);
    await wrapped.decode(frameOf(zstd));
    expect(handedOver).toEqual([frameOf(zstd)]);
    const into = new Uint8Array(lz4.raw[1]);
    expect(await wrapped.decode(frameOf(lz4), into)).toBe(into);
    expect(sameBytes(into, rawOf(lz4))).toBe(true);
    expect(await wrapped.encode(new Uint8Array([7, 8]))).toEqual(new Uint8Array([7]));
  });
});

describe("malformed blosc frames throw instead of decoding wrong bytes", () => {
  /** A split, shuffled lz4 frame of several blocks with a leftover, from the matrix. */
  const sample = () => {
    const c = cases.find((x) => x.cname === "lz4" && x.typesize === 4 && x.raw[1] > 500_000 && x.shuffle === 1 && x.clevel === 1 && x.blocksize === 0)!;
    const frame = frameOf(c).slice();
    const header = readBloscHeader(frame);
    expect(header.flags & 0x12).toBe(0);
    expect(header.nbytes % header.blocksize).not.toBe(0);
    return { frame, header, view: new DataView(frame.buffer) };
  };

  it("a truncated frame, its header fixed to match", () => {
    const { frame } = sample();
    for (const cut of [1, 2, 5, 100, frame.length - 40]) {
      expect(() => decodeBloscFrame(withLength(frame.subarray(0, frame.length - cut)))).toThrow(/^blosc: /);
    }
  });

  it("a frame with junk after its blocks, its header fixed to match", () => {
    const { frame } = sample();
    const padded = new Uint8Array(frame.length + 8);
    padded.set(frame);
    expect(() => decodeBloscFrame(withLength(padded))).toThrow(/blosc: the blocks end at byte/);
  });

  it("corrupt block offsets: zero, into the offset table, past the end, one byte off, another block's", () => {
    const { frame, view } = sample();
    const first = view.getInt32(16, true);
    for (const bad of [0, 20, frame.length, frame.length - 2, view.getInt32(20, true) + 1, first]) {
      const copy = frame.slice();
      new DataView(copy.buffer).setInt32(24, bad, true);
      expect(() => decodeBloscFrame(copy), `offset ${bad}`).toThrow(/^blosc: /);
    }
  });

  it("a corrupt stream size", () => {
    const { frame, view } = sample();
    const at = view.getInt32(16, true);
    for (const bad of [-1, 0, view.getInt32(at, true) + 1, frame.length]) {
      const copy = frame.slice();
      new DataView(copy.buffer).setInt32(at, bad, true);
      expect(() => decodeBloscFrame(copy), `stream size ${bad}`).toThrow(/^blosc: /);
    }
  });

  it("lying header sizes: nbytes, blocksize, typesize", () => {
    const { frame, header } = sample();
    const lies: Array<[number, number]> = [
      [4, header.nbytes + 4],
      [4, header.nbytes - 4],
      [4, header.nbytes - header.blocksize],
      [4, 0x7fffffff],
      [8, header.blocksize * 2],
      [8, header.blocksize / 2],
      [8, 0],
    ];
    for (const [at, value] of lies) {
      const copy = frame.slice();
      new DataView(copy.buffer).setUint32(at, value, true);
      expect(() => decodeBloscFrame(copy), `header byte ${at} = ${value}`).toThrow(/^blosc: /);
    }
    const copy = frame.slice();
    copy[3] = 8;
    expect(() => decodeBloscFrame(copy)).toThrow(/^blosc: /);
  });

  it("random damage anywhere in lz4 frames: each decode throws a blosc error or returns the frame's length, and ends", () => {
    const lz4 = cases.filter((c) => c.cname === "lz4" && c.clevel === 5 && c.shuffle === 1 && c.blocksize === 256 && c.kind === "smooth");
    expect(lz4.length).toBeGreaterThan(3);
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    let thrown = 0;
    for (const c of lz4) {
      const frame = frameOf(c);
      for (let trial = 0; trial < 300; trial++) {
        const copy = frame.slice();
        for (let k = 0; k < 1 + Math.floor(next() * 3); k++) copy[16 + Math.floor(next() * (copy.length - 16))] = Math.floor(next() * 256);
        try {
          expect(decodeBloscFrame(copy).length).toBe(c.raw[1]);
        } catch (error) {
          expect((error as Error).message).toMatch(/^blosc: /);
          thrown++;
        }
      }
    }
    expect(thrown).toBeGreaterThan(0);
  });

  it("the registered codec still refuses a frame whose length disagrees with its header", async () => {
    const { frame } = sample();
    await expect(async () => codec.decode(frame.subarray(0, frame.length - 1))).rejects.toThrow(/the frame header says \d+ bytes, the chunk holds/);
  });
});

describe("decodeLz4Block", () => {
  const block = (...bytes: number[]) => Uint8Array.from(bytes);

  it("decodes literals, an overlapping match and long lengths", () => {
    // 3 literals "abc", match offset 3 length 4+15+10 (overlapping), then 2 last literals "xy"
    const out = new Uint8Array(3 + 29 + 2);
    decodeLz4Block(block(0x3f, 97, 98, 99, 3, 0, 10, 0x20, 120, 121), out);
    expect(new TextDecoder().decode(out)).toBe("abc".repeat(10) + "ab" + "xy");
  });

  it("long literal runs and long, far, overlapping and run-length matches agree with a byte-by-byte copy", () => {
    const literals = Array.from({ length: 300 }, (_, i) => (i * 37) & 0xff);
    const expected: number[] = [...literals];
    const copy = (offset: number, length: number) => {
      for (let k = 0; k < length; k++) expected.push(expected[expected.length - offset]!);
    };
    // 300 literals (15 + 255 + 30), then a 1000-byte match 300 back (15 + 255 * 3 + 216, after the minimum 4)
    const src: number[] = [0xff, 255, 30, ...literals, 44, 1, 255, 255, 255, 216];
    copy(300, 1000);
    src.push(0x0f, 1, 0, 70 - 19); // a 70-byte run of the last byte
    copy(1, 70);
    src.push(0x0f, 7, 0, 50 - 19); // 50 bytes repeating the last 7
    copy(7, 50);
    src.push(0x0f, 0xb0, 0x04, 40 - 19); // 40 bytes from 1200 back, no overlap
    copy(1200, 40);
    src.push(0x0a, 3, 0); // a short overlapping match of 14
    copy(3, 14);
    src.push(0x50, 1, 2, 3, 4, 5);
    expected.push(1, 2, 3, 4, 5);
    const out = new Uint8Array(expected.length);
    decodeLz4Block(Uint8Array.from(src), out);
    expect([...out]).toEqual(expected);
  });

  it("with prefix, decodes exactly the first n bytes for every n, stopping inside literals and matches", () => {
    // "abc", an overlapping 29-byte match, then "xy": every n cuts a literal run or a match somewhere.
    const src = block(0x3f, 97, 98, 99, 3, 0, 10, 0x20, 120, 121);
    const whole = new Uint8Array(34);
    decodeLz4Block(src, whole);
    for (let n = 0; n <= whole.length; n++) {
      const out = new Uint8Array(40).fill(0xee);
      decodeLz4Block(src, out.subarray(0, n), true);
      expect([...out.subarray(0, n)], `n ${n}`).toEqual([...whole.subarray(0, n)]);
      expect(out.subarray(n).every((x) => x === 0xee), `n ${n}: nothing written past the prefix`).toBe(true);
    }
    expect(() => decodeLz4Block(src, new Uint8Array(35), true)).toThrow(/decodes to 34 bytes, expected 35/);
  });

  it.each([
    ["offset 0", block(0x10, 65, 0, 0, 0x00), 6, /match offset 0/],
    ["an offset before the output start", block(0x10, 65, 2, 0, 0x00), 6, /points before the output start/],
    ["a match past the output end", block(0x1f, 65, 1, 0, 200, 0x00), 20, /runs past the output end/],
    ["literals past the input end", block(0x50, 65, 66), 5, /run past the input end/],
    ["literals past the output end", block(0x50, 65, 66, 67, 68, 69), 4, /run past the output end/],
    ["a literal length cut off", block(0xf0, 255), 300, /literal length runs past the input end/],
    ["an offset cut off", block(0x10, 65, 1), 6, /match offset runs past the input end/],
    ["a match length cut off", block(0x1f, 65, 1, 0, 255), 300, /match length runs past the input end/],
    ["a block ending on a match", block(0x10, 65, 1, 0), 5, /the input ends at byte \d+, where a sequence should start/],
    ["too few bytes out", block(0x20, 65, 66), 3, /decodes to 2 bytes, expected 3/],
    ["no input at all", block(), 1, /the input ends at byte \d+, where a sequence should start/],
  ])("throws on %s", (_name, src, outLength, message) => {
    expect(() => decodeLz4Block(src, new Uint8Array(outLength))).toThrow(message);
  });
});

describe("decodeBloscBlocks with wanted bytes", () => {
  it("decodes every wanted byte range of every c-blosc frame as the whole decode does", () => {
    let checked = 0;
    for (const c of cases.filter((c) => c.frame[1] > 16 && bloscDecodesNatively(frameOf(c)))) {
      const frame = frameOf(c);
      const header = readBloscHeader(frame);
      if (header.flags & 0x02 || header.nbytes === 0) continue; // memcpyed: no blocks
      const blocks = Math.ceil(header.nbytes / header.blocksize);
      const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
      const starts = Array.from({ length: blocks }, (_, b) => view.getInt32(16 + 4 * b, true));
      const sorted = [...starts].sort((a, b) => a - b);
      const ends = starts.map((start) => sorted[sorted.indexOf(start) + 1] ?? header.cbytes);
      const raw = rawOf(c);
      for (let trial = 0; trial < 6; trial++) {
        const lo = Math.floor(((trial * 7919 + 13) % 101) / 101 * raw.length);
        const hi = Math.min(raw.length, lo + 1 + Math.floor(((trial * 104729 + 7) % 97) / 97 * (raw.length - lo)));
        const first = Math.floor(lo / header.blocksize);
        const last = Math.ceil(hi / header.blocksize) - 1;
        const base = first * header.blocksize;
        const out = decodeBloscBlocks(header, starts, ends, frame, 0, first, last, undefined, { lo: lo - base, hi: hi - base });
        expect(sameBytes(out.subarray(lo - base, hi - base), raw.subarray(lo, hi)), `${label(c)}: bytes ${lo}–${hi}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });
});
