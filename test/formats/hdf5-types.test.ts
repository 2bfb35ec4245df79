import type { Metadata } from "h5wasm/node";
import { describe, expect, it } from "vitest";
import { filterToCodec, unsupportedFilterReason } from "../../src/formats/hdf5/filters.js";
import { mapDataType, shortestFloat32, toJsonSafe } from "../../src/formats/hdf5/types.js";

function meta(fields: Partial<Metadata>): Metadata {
  return { chunks: null, littleEndian: true, maxshape: [1], shape: [1], signed: false, size: 4, total_size: 1, type: 0, vlen: false, ...fields };
}

describe("HDF5 datatypes → DataType", () => {
  it("maps integers and floats with byte order", () => {
    expect(mapDataType(meta({ type: 0, size: 2, signed: true, littleEndian: false })).dtype).toEqual({
      numpy: ">i2", name: "int16", kind: "int", itemSize: 2, byteOrder: "big",
    });
    expect(mapDataType(meta({ type: 0, size: 8, signed: false })).dtype).toMatchObject({ numpy: "<u8", name: "uint64" });
    expect(mapDataType(meta({ type: 0, size: 1, signed: true })).dtype).toMatchObject({ numpy: "|i1", byteOrder: "none" });
    expect(mapDataType(meta({ type: 1, size: 8 })).dtype).toMatchObject({ numpy: "<f8", name: "float64", kind: "float" });
  });

  it("marks float16 and classes h5wasm cannot return as typed values unreadable", () => {
    const half = mapDataType(meta({ type: 1, size: 2 }));
    expect(half.dtype.name).toBe("float16");
    expect(half.unreadableReason).toContain("float16");
    expect(mapDataType(meta({ type: 9, size: 8 })).unreadableReason).toBe("HDF5 vlen datatype is not supported");
    expect(mapDataType(meta({ type: 5, size: 3 })).dtype).toMatchObject({ numpy: "|V3", name: "opaque" });
  });

  it("maps h5py's boolean enum to bool and other enums to their integer base", () => {
    const members = { FALSE: 0, TRUE: 1 };
    expect(mapDataType(meta({ type: 8, size: 1, signed: true, enum_type: { type: 0, nmembers: 2, members } })).dtype).toMatchObject({
      numpy: "|b1", kind: "bool",
    });
    const colours = { RED: 0, GREEN: 1, BLUE: 2 };
    expect(mapDataType(meta({ type: 8, size: 4, enum_type: { type: 0, nmembers: 3, members: colours } })).dtype).toMatchObject({
      numpy: "<u4", kind: "uint",
    });
  });

  it("maps strings: fixed length as |S<n>, variable length as |O", () => {
    expect(mapDataType(meta({ type: 3, size: 7 })).dtype).toMatchObject({ numpy: "|S7", kind: "string", itemSize: 7 });
    expect(mapDataType(meta({ type: 3, size: 4, vlen: true })).dtype).toMatchObject({ numpy: "|O", kind: "string" });
  });
});

describe("HDF5 values → JSON-safe values", () => {
  it("gives float32 values their shortest decimal", () => {
    expect(shortestFloat32(Math.fround(1e20))).toBe(1e20);
    expect(shortestFloat32(Math.fround(0.1))).toBe(0.1);
    expect(shortestFloat32(Math.fround(9.96921e36))).toBe(9.96921e36);
  });

  it("turns typed arrays, bigints and non-finite numbers into JSON values", () => {
    expect(toJsonSafe(new Float32Array([0.1, Number.NaN]))).toEqual([0.1, "NaN"]);
    expect(toJsonSafe(new Float64Array([Infinity, -Infinity]))).toEqual(["Infinity", "-Infinity"]);
    expect(toJsonSafe(new BigInt64Array([3n, -(2n ** 60n)]))).toEqual([3, "-1152921504606846976"]);
    expect(toJsonSafe(2n ** 70n)).toBe("1180591620717411303424");
    expect(toJsonSafe(["a", ["b"]])).toEqual(["a", ["b"]]);
    expect(toJsonSafe(new Int16Array([1, -2]))).toEqual([1, -2]);
  });

  it("has no JSON form for object references", () => {
    expect(toJsonSafe({ ref_data: new Uint8Array(8) })).toBeUndefined();
    expect(toJsonSafe([{ ref_data: new Uint8Array(8) }])).toBeUndefined();
  });
});

describe("HDF5 filters → codecs", () => {
  it("names the registered filters and keeps their parameters", () => {
    expect(filterToCodec({ id: 1, name: "deflate", cd_values: [6] })).toEqual({
      name: "deflate", id: 1, configuration: { level: 6, cd_values: [6] }, supported: true,
    });
    expect(filterToCodec({ id: 32015, name: "Zstandard compression: http://www.zstd.net", cd_values: [3] })).toMatchObject({
      name: "zstd", supported: false,
    });
    expect(filterToCodec({ id: 40000, name: "", cd_values: [] })).toMatchObject({ name: "filter-40000", supported: false });
  });

  it("explains which filters of a chain cannot be decoded", () => {
    const chain = [
      filterToCodec({ id: 2, name: "shuffle", cd_values: [4] }),
      filterToCodec({ id: 32001, name: "blosc", cd_values: [] }),
      filterToCodec({ id: 32008, name: "bitshuffle", cd_values: [] }),
    ];
    expect(unsupportedFilterReason(chain)).toMatch(/^HDF5 filters blosc \(filter 32001\), bitshuffle \(filter 32008\) are not supported/);
    expect(unsupportedFilterReason(chain.slice(0, 1))).toBeNull();
  });
});
