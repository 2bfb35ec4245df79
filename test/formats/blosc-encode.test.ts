import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registry } from "zarrita";
import { nativeBloscEncoding, readBloscConfig } from "../../src/formats/codecs/blosc-codec.js";
import { decodeBloscFrame, readBloscHeader } from "../../src/formats/codecs/blosc-decode.js";
import { type BloscLz4Settings, encodeBloscLz4 } from "../../src/formats/codecs/blosc-encode.js";
import { registerChunkwiseCodecs } from "../../src/formats/codecs/index.js";
import { compress } from "../../src/formats/write/compressor.js";

interface Case {
  readonly label: string;
  readonly kind: Kind;
  readonly raw: Uint8Array;
  readonly settings: BloscLz4Settings;
  readonly frame: Uint8Array;
}

interface Checked {
  readonly decoded: boolean;
  readonly ref: [number, number];
  readonly source: "numcodecs" | "libblosc";
}

type Kind = "random" | "constant" | "smooth";

let seed = 20240611;
const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;

/** `nbytes` of a kind of data: smooth is a slow wave with a little noise, as floats where the typesize allows. */
function data(kind: Kind, nbytes: number, typesize: number): Uint8Array {
  const bytes = new Uint8Array(nbytes);
  if (kind === "random") for (let i = 0; i < nbytes; i++) bytes[i] = Math.floor(random() * 256);
  if (kind === "constant") bytes.fill(0x42);
  if (kind !== "smooth") return bytes;
  const count = Math.floor(nbytes / typesize);
  const wave = (i: number) => 280 + 15 * Math.sin(i / 50) * Math.cos(i / 977) + (random() - 0.5) * 0.01;
  if (typesize === 4) new Float32Array(bytes.buffer, 0, count).set(Float32Array.from({ length: count }, (_, i) => wave(i)));
  else if (typesize === 8) new Float64Array(bytes.buffer, 0, count).set(Float64Array.from({ length: count }, (_, i) => wave(i)));
  else if (typesize === 2) new Int16Array(bytes.buffer, 0, count).set(Int16Array.from({ length: count }, (_, i) => Math.round(100 * wave(i))));
  else for (let i = 0; i < nbytes; i++) bytes[i] = Math.floor(i / 7 + 3 * Math.sin(i / 11)) & 0xff;
  return bytes;
}

const TYPESIZES = [1, 2, 3, 4, 8, 12, 16];
const KINDS: Kind[] = ["random", "constant", "smooth"];

function matrix(): Case[] {
  const cases: Case[] = [];
  const add = (kind: Kind, raw: Uint8Array, settings: BloscLz4Settings) => {
    const label = `${raw.length} bytes of ${kind}, typesize ${settings.typesize}, clevel ${settings.clevel}, shuffle ${settings.shuffle}, blocksize ${settings.blocksize}`;
    cases.push({ label, kind, raw, settings, frame: encodeBloscLz4(raw, settings) });
  };
  for (const typesize of TYPESIZES) {
    const sizes = [0, 1, typesize - 1, 127, 128, 1000 + Math.floor(typesize / 2), 40_003, 300_001].filter((n, i, all) => all.indexOf(n) === i);
    for (const kind of KINDS) {
      for (const nbytes of sizes) {
        const raw = data(kind, nbytes, typesize);
        for (const shuffle of [false, true]) for (const clevel of [0, 1, 5, 9]) add(kind, raw, { clevel, shuffle, typesize, blocksize: 0 });
        if (nbytes >= 40_000) for (const blocksize of [100, 256, 4096, 50_000]) add(kind, raw, { clevel: 5, shuffle: true, typesize, blocksize });
      }
    }
  }
  // Every clevel on realistic chunks: 4 MB of float32, 1 MB of float64 (many blocks, a short last one).
  for (const [typesize, nbytes] of [[4, 4_000_004], [8, 1_000_008]] as const) {
    const raw = data("smooth", nbytes, typesize);
    for (let clevel = 0; clevel <= 9; clevel++) for (const shuffle of [false, true]) add("smooth", raw, { clevel, shuffle, typesize, blocksize: 0 });
  }
  // A type larger than blosc's 255 bytes counts as 1 byte.
  add("smooth", data("smooth", 5000, 300), { clevel: 5, shuffle: true, typesize: 300, blocksize: 0 });
  return cases;
}

const dir = mkdtempSync(path.join(tmpdir(), "chunkwise-blosc-encode-"));
let cases: Case[] = [];
let checked: Checked[] = [];
let refs: Uint8Array;
const refOf = (i: number) => refs.subarray(checked[i]!.ref[0], checked[i]!.ref[0] + checked[i]!.ref[1]);
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

beforeAll(() => {
  cases = matrix();
  const blobs: Uint8Array[] = [];
  let at = 0;
  const put = (bytes: Uint8Array): [number, number] => {
    blobs.push(bytes);
    at += bytes.length;
    return [at - bytes.length, bytes.length];
  };
  const manifest = cases.map(({ raw, frame, settings }) => ({
    raw: put(raw),
    frame: put(frame),
    typesize: settings.typesize,
    clevel: settings.clevel,
    shuffle: settings.shuffle ? 1 : 0,
    blocksize: settings.blocksize,
  }));
  writeFileSync(path.join(dir, "in.bin"), Buffer.concat(blobs));
  writeFileSync(path.join(dir, "manifest.json"), JSON.stringify(manifest));
  const output = execFileSync(
    "/usr/bin/python3",
    [path.join(import.meta.dirname, "blosc-encode-check.py"), path.join(dir, "in.bin"), path.join(dir, "manifest.json"), path.join(dir, "refs.bin")],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  checked = JSON.parse(output) as Checked[];
  refs = new Uint8Array(readFileSync(path.join(dir, "refs.bin")));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("encodeBloscLz4", () => {
  it("our decoder gives back every frame's input", () => {
    expect(cases.length).toBeGreaterThan(1000);
    expect(cases.filter((c) => !same(decodeBloscFrame(c.frame), c.raw)).map((c) => c.label)).toEqual([]);
  });

  it("Debian's numcodecs (c-blosc 1.21) decodes every frame to its input, and our decoder reads numcodecs' frames for the same input", () => {
    expect(checked.length).toBe(cases.length);
    // c-blosc refuses to decode an empty frame, its own included (the next test finds ours the same bytes).
    expect(cases.filter((c, i) => !checked[i]!.decoded && c.raw.length > 0).map((c) => c.label)).toEqual([]);
    expect(cases.filter((c, i) => !same(decodeBloscFrame(refOf(i)), c.raw)).map((c) => c.label)).toEqual([]);
    expect(checked.some((c) => c.source === "libblosc")).toBe(true);
  });

  it("writes the header numcodecs writes: version, flags (shuffle, memcpyed, dont-split, lz4), typesize, nbytes, block size", () => {
    const wrong: string[] = [];
    for (const [i, c] of cases.entries()) {
      const ours = readBloscHeader(c.frame);
      const theirs = readBloscHeader(refOf(i));
      const fields = (h: typeof ours) => [h.version, h.compressorVersion, h.flags, h.typesize, h.nbytes, h.blocksize];
      if (JSON.stringify(fields(ours)) !== JSON.stringify(fields(theirs))) wrong.push(`${c.label}: ours ${fields(ours)}, numcodecs ${fields(theirs)}`);
    }
    expect(wrong).toEqual([]);
  });

  it("the matrix holds split and unsplit blocks, short last blocks, raw streams and memcpyed frames", () => {
    const flags = (c: Case) => readBloscHeader(c.frame).flags;
    const compressed = cases.filter((c) => !(flags(c) & 0x02));
    expect(compressed.some((c) => !(flags(c) & 0x10) && c.settings.typesize > 1)).toBe(true);
    expect(compressed.some((c) => flags(c) & 0x10 && c.settings.typesize > 1)).toBe(true);
    expect(compressed.some((c) => c.raw.length % readBloscHeader(c.frame).blocksize !== 0 && c.raw.length > 2 * readBloscHeader(c.frame).blocksize)).toBe(true);
    expect(cases.some((c) => c.kind === "random" && c.raw.length > 1000 && flags(c) & 0x02)).toBe(true);
    expect(cases.some((c) => c.settings.clevel > 0 && c.raw.length >= 128 && flags(c) & 0x02 && c.kind === "random")).toBe(true);
    // A stream stored as it is: the first stream's size equals the stream's length.
    const rawStream = (c: Case) => {
      const view = new DataView(c.frame.buffer, c.frame.byteOffset);
      const { blocksize, typesize } = readBloscHeader(c.frame);
      const streamBytes = flags(c) & 0x10 ? blocksize : blocksize / typesize;
      return view.getInt32(view.getInt32(16, true), true) === streamBytes;
    };
    expect(compressed.some(rawStream)).toBe(true);
  });

  it("writes the very frame numcodecs writes (one thread), so compressed sizes are equal too", () => {
    const differ = cases.flatMap((c, i) => (same(c.frame, refOf(i)) ? [] : [`${c.label}: ${c.frame.length} bytes, numcodecs ${checked[i]!.ref[1]}`]));
    expect(differ).toEqual([]);
    const compressible = cases.filter((c) => c.kind !== "random" && c.raw.length >= 40_000 && c.settings.clevel > 0);
    expect(compressible.reduce((sum, c) => sum + c.raw.length, 0) / compressible.reduce((sum, c) => sum + c.frame.length, 0)).toBeGreaterThan(1.4);
  });

  it("refuses settings c-blosc refuses", () => {
    const raw = new Uint8Array(1000);
    const settings: BloscLz4Settings = { clevel: 5, shuffle: true, typesize: 4, blocksize: 0 };
    expect(() => encodeBloscLz4(raw, { ...settings, clevel: 10 })).toThrow(/clevel must be an integer from 0 to 9/);
    expect(() => encodeBloscLz4(raw, { ...settings, clevel: 1.5 })).toThrow(/clevel must be an integer from 0 to 9/);
    expect(() => encodeBloscLz4(raw, { ...settings, typesize: 0 })).toThrow(/typesize must be a positive integer/);
    expect(() => encodeBloscLz4(raw, { ...settings, blocksize: -1 })).toThrow(/blocksize must be 0 or a positive integer/);
  });
});

describe("which blosc configurations our encoder takes", () => {
  it("reads numcodecs (v2) and v3 configurations, with numcodecs' defaults and its AUTOSHUFFLE rule", () => {
    expect(readBloscConfig({ id: "blosc", cname: "lz4", clevel: 7, shuffle: 0, blocksize: 0 }, 8)).toEqual({ cname: "lz4", clevel: 7, shuffle: 0, blocksize: 0, typesize: 8 });
    expect(readBloscConfig({ cname: "zstd", clevel: 3, shuffle: "bitshuffle", typesize: 2, blocksize: 4096 }, 8)).toEqual({ cname: "zstd", clevel: 3, shuffle: 2, blocksize: 4096, typesize: 2 });
    expect(readBloscConfig({ shuffle: "noshuffle" }, null)).toEqual({ cname: "lz4", clevel: 5, shuffle: 0, blocksize: 0, typesize: null });
    expect(readBloscConfig({}, 4)).toEqual({ cname: "lz4", clevel: 5, shuffle: 1, blocksize: 0, typesize: 4 });
    expect(readBloscConfig({ shuffle: -1 }, 1).shuffle).toBe(2);
    expect(readBloscConfig({ shuffle: -1 }, 2).shuffle).toBe(1);
  });

  it("lz4 with byte shuffle or none, typesize known: ours; lz4hc, zstd, blosclz, bitshuffle or no typesize: c-blosc", () => {
    const config = { cname: "lz4", clevel: 5, shuffle: 1, blocksize: 0, typesize: 4 };
    expect(nativeBloscEncoding(config)).toEqual({ clevel: 5, shuffle: true, typesize: 4, blocksize: 0 });
    expect(nativeBloscEncoding({ ...config, shuffle: 0, clevel: 0 })).toEqual({ clevel: 0, shuffle: false, typesize: 4, blocksize: 0 });
    for (const other of [{ cname: "lz4hc" }, { cname: "zstd" }, { cname: "blosclz" }, { cname: "zlib" }, { shuffle: 2 }, { typesize: null }]) {
      expect(nativeBloscEncoding({ ...config, ...other }), JSON.stringify(other)).toBeNull();
    }
  });

  it("the registered codec encodes lz4 with ours, at the v3 typesize or the array's item size, and the rest with c-blosc (wasm)", async () => {
    registerChunkwiseCodecs();
    type Codec = { encode(bytes: Uint8Array): Promise<Uint8Array> | Uint8Array; decode(bytes: Uint8Array): Promise<Uint8Array> | Uint8Array };
    const entry = (await registry.get("blosc")!()) as unknown as { fromConfig(config: unknown, meta: unknown): Codec };
    const raw = data("smooth", 100_000, 8);
    const ours = encodeBloscLz4(raw, { clevel: 5, shuffle: true, typesize: 8, blocksize: 0 });
    const v3 = await entry.fromConfig({ cname: "lz4", clevel: 5, shuffle: "shuffle", typesize: 8, blocksize: 0 }, { dataType: "float64" }).encode(raw);
    const v2 = await entry.fromConfig({ id: "blosc", cname: "lz4", clevel: 5, shuffle: 1, blocksize: 0 }, { dataType: "float64" }).encode(raw);
    expect(same(v3, ours) && same(v2, ours)).toBe(true);
    // c-blosc in wasm writes typesize 4 whatever it is told, and its own compressor's format.
    const zstd = await entry.fromConfig({ cname: "zstd", clevel: 5, shuffle: 1, blocksize: 0 }, { dataType: "float64" }).encode(raw);
    expect([zstd[2]! >> 5, zstd[3]]).toEqual([4, 4]);
    // AUTOSHUFFLE on 1-byte items is bitshuffle, as numcodecs has it, which only c-blosc writes.
    const bytes = data("constant", 100_000, 1);
    const auto = entry.fromConfig({ cname: "lz4", clevel: 5, shuffle: -1, blocksize: 0 }, { dataType: "uint8" });
    const bitshuffled = await auto.encode(bytes);
    expect(bitshuffled[2]! & 0x06).toBe(0x04);
    expect(same(await auto.decode(bitshuffled), bytes)).toBe(true);
  });

  it("chunkwise's writers compress blosc lz4 chunks with ours, at the dtype's item size", async () => {
    const raw = data("smooth", 100_000, 8);
    const written = await compress(raw, { name: "blosc", level: 5, blosc: { cname: "lz4", shuffle: 1 } }, 8);
    expect(same(written, encodeBloscLz4(raw, { clevel: 5, shuffle: true, typesize: 8, blocksize: 0 }))).toBe(true);
    const unshuffled = await compress(raw, { name: "blosc", level: 9, blosc: { cname: "lz4", shuffle: 0 } }, 2);
    expect(same(unshuffled, encodeBloscLz4(raw, { clevel: 9, shuffle: false, typesize: 2, blocksize: 0 }))).toBe(true);
  });
});
