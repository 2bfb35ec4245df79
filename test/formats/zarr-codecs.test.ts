import { gzipSync, deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { registry } from "zarrita";
import { crc32c, Crc32cCodec, GzipCodec, registerChunkwiseCodecs, ZlibCodec } from "../../src/formats/codecs/index.js";

describe("crc32c", () => {
  // Check values from RFC 3720 (iSCSI), appendix B.4, and the common "123456789" check value.
  it.each([
    ["the ASCII digits 123456789", new TextEncoder().encode("123456789"), 0xe3069283],
    ["32 zero bytes", new Uint8Array(32), 0x8a9136aa],
    ["32 bytes of 0xff", new Uint8Array(32).fill(0xff), 0x62a8ab43],
    ["bytes 0..31 ascending", Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
    ["bytes 31..0 descending", Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
    ["no bytes", new Uint8Array(0), 0],
  ])("matches the reference value for %s", (_label, bytes, expected) => {
    expect(crc32c(bytes)).toBe(expected);
  });

  it("gives the same result on every length and alignment (slicing-by-8 tail and body agree)", () => {
    const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 131 + 7) & 0xff);
    const bitwise = (bytes: Uint8Array) => {
      let crc = 0xffffffff;
      for (const byte of bytes) {
        crc ^= byte;
        for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
      }
      return (crc ^ 0xffffffff) >>> 0;
    };
    for (let start = 0; start < 9; start++) {
      for (const length of [0, 1, 7, 8, 9, 15, 16, 17, 100, 291 - start]) {
        const slice = data.subarray(start, start + length);
        expect(crc32c(slice)).toBe(bitwise(slice));
      }
    }
  });

  it("the codec appends the checksum little-endian and verifies it on decode", () => {
    const codec = Crc32cCodec.fromConfig();
    const data = new TextEncoder().encode("123456789");
    const encoded = codec.encode(data);
    expect([...encoded.subarray(9)]).toEqual([0x83, 0x92, 0x06, 0xe3]);
    expect([...codec.decode(encoded)]).toEqual([...data]);
    expect(codec.computeEncodedSize(9)).toBe(13);
    const corrupt = encoded.slice();
    corrupt[3] ^= 0x10;
    expect(() => codec.decode(corrupt)).toThrow(/crc32c checksum mismatch/);
    expect(() => codec.decode(new Uint8Array(3))).toThrow(/too short/);
  });
});

describe("gzip and zlib on node:zlib", () => {
  const data = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) % 251);

  it("gzip round-trips, and decodes what another gzip writer made", async () => {
    const codec = GzipCodec.fromConfig({ level: 5 });
    const encoded = await codec.encode(data);
    expect([encoded[0], encoded[1]]).toEqual([0x1f, 0x8b]);
    expect([...(await codec.decode(encoded))]).toEqual([...data]);
    expect([...(await codec.decode(gzipSync(data, { level: 9 })))]).toEqual([...data]);
  });

  it("zlib round-trips with the zlib header, and decodes what another zlib writer made", async () => {
    const codec = ZlibCodec.fromConfig({ level: 1 });
    const encoded = await codec.encode(data);
    expect(encoded[0]).toBe(0x78);
    expect([...(await codec.decode(encoded))]).toEqual([...data]);
    expect([...(await codec.decode(deflateSync(data)))]).toEqual([...data]);
  });

  it("rejects a bad level and corrupt input", async () => {
    expect(() => GzipCodec.fromConfig({ level: 12 })).toThrow(/level/);
    expect(() => ZlibCodec.fromConfig({ level: "fast" })).toThrow(/level/);
    expect(GzipCodec.fromConfig({}).level).toBe(1);
    await expect(GzipCodec.fromConfig({}).decode(new Uint8Array([1, 2, 3, 4]))).rejects.toThrow();
  });
});

describe("registerChunkwiseCodecs", () => {
  it("puts our codecs in zarrita's registry under every name, and is idempotent", async () => {
    registerChunkwiseCodecs();
    const first = new Map([...registry].filter(([name]) => /gzip|zlib|crc32c/.test(name)));
    registerChunkwiseCodecs();
    for (const [name, expected] of [
      ["gzip", GzipCodec],
      ["numcodecs.gzip", GzipCodec],
      ["zlib", ZlibCodec],
      ["numcodecs.zlib", ZlibCodec],
      ["crc32c", Crc32cCodec],
    ] as const) {
      expect(await registry.get(name)!()).toBe(expected);
      expect(registry.get(name)).toBe(first.get(name));
    }
  });
});
