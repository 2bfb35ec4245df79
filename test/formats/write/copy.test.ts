import { execFileSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { ArrayDescription } from "../../../src/formats/dataset.js";
import { openDataset } from "../../../src/formats/open.js";
import { createWriter } from "../../../src/formats/write/open-writer.js";
import { fillValueMarksMissing, type OutputFormat } from "../../../src/formats/writer.js";
import { plain, tempDir } from "./helpers.js";

const FIXTURES = path.resolve(import.meta.dirname, "../../../fixtures");
const SOURCES = ["netcdf/climate.nc", "netcdf/ncgen.nc", "hdf5/climate.h5", "zarr2/climate.zarr", "zarr2/group.zarr", "zarr2/bigendian.zarr", "zarr2/nanfill.zarr", "zarr2/forder.zarr", "zarr-python/v3/data.zarr/3d.chunked.mixed.compressed.sharded.i2"];
const WRITABLE = new Set(["bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64"]);

/** New chunks that cut across the old ones: half the old chunk (or of the extent), at least 1. */
const rechunked = (array: ArrayDescription): number[] => (array.chunks ?? array.shape).map((c, axis) => Math.max(1, Math.ceil(Math.min(c, array.shape[axis]!) / 2)));

/** A JSON-safe form of an attribute value: typed arrays → arrays, bigints → numbers, NaN/Infinity → strings. */
function jsonSafe(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<unknown>, jsonSafe);
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
  return value;
}

/** Attributes compared as JSON. Zarr v2 output carries dimension names as _ARRAY_DIMENSIONS, v3 as dimension_names: compared separately. */
function comparable(attributes: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { _ARRAY_DIMENSIONS: _names, ...rest } = attributes;
  return jsonSafe(rest) as Record<string, unknown>;
}

describe.each(SOURCES)("rewriting %s through the dataset layer", (source) => {
  it.each(["zarr2", "zarr3", "hdf5"] as const)("to %s keeps values, dimension names, fill values and attributes", async (format: OutputFormat) => {
    const src = await openDataset(path.join(FIXTURES, source));
    const arrays = (await src.listArrays()).filter((a) => WRITABLE.has(a.dtype.name) && a.unreadableReason === null);
    // An HDF5 file is a group: a store that is one array gets a name inside it.
    const outPath = (p: string): string => (format === "hdf5" && p === "/" ? "/data" : p);
    expect(arrays.length).toBeGreaterThan(0);
    const dst = path.join(tempDir("copy"), format === "hdf5" ? "out.nc" : "out.zarr");
    const writer = await createWriter(dst, format);
    for (const group of await src.listGroups()) await writer.createGroup(group);
    for (const array of arrays) {
      const chunks = rechunked(array);
      const shards = format === "zarr3" ? chunks.map((c, axis) => (array.shape[axis]! > c ? c * 2 : c)) : null;
      await writer.createArray({ path: outPath(array.path), shape: array.shape, dtype: array.dtype, chunks, shards, dimensionNames: array.dimensionNames, fillValue: array.fillValue, fillValueMarksMissing: fillValueMarksMissing(array), attributes: array.attributes, sourceCodecs: array.codecs });
      const unit = shards ?? chunks;
      const grid = array.shape.map((n, axis) => Math.ceil(n / unit[axis]!));
      const count = grid.reduce((a, b) => a * b, 1);
      for (let u = 0; u < count; u++) {
        let rest = u;
        const coords = grid.map(() => 0);
        for (let axis = grid.length - 1; axis >= 0; axis--) {
          coords[axis] = rest % grid[axis]!;
          rest = Math.floor(rest / grid[axis]!);
        }
        const start = coords.map((c, axis) => c * unit[axis]!);
        const stop = start.map((s, axis) => Math.min(s + unit[axis]!, array.shape[axis]!));
        await writer.writeUnit(outPath(array.path), coords, await src.readRegion(array.path, start, stop));
      }
    }
    await writer.finalize();
    await writer.close();

    const out = await openDataset(dst);
    for (const array of arrays) {
      const copy = await out.describe(outPath(array.path));
      expect(copy.shape, array.path).toEqual(array.shape);
      // h5wasm cannot create enum types: HDF5 output stores bool as uint8 0/1.
      expect(copy.dtype.name, array.path).toEqual(format === "hdf5" && array.dtype.name === "bool" ? "uint8" : array.dtype.name);
      // HDF5 clips chunks to the shape and stores scalars contiguous.
      const expectedChunks = format === "hdf5" && array.shape.length === 0 ? null : rechunked(array).map((c, axis) => (format === "hdf5" ? Math.min(c, array.shape[axis]!) : c));
      expect(copy.chunks, array.path).toEqual(expectedChunks);
      // Known HDF5 limit: a multi-dimensional array named like one of its own dimensions (netCDF-C
      // stores it as _nc4_non_coord_NAME) gets no scale on that axis.
      const ownName = array.path.split("/").at(-1);
      const expectedNames = format === "hdf5" && array.shape.length > 1 ? array.dimensionNames?.map((n) => (n === ownName ? null : n)) ?? null : array.dimensionNames;
      // A scalar has no axes: no names and an empty list of names are the same thing.
      const noAxes = (names: readonly (string | null)[] | null | undefined): unknown => (names && names.length > 0 ? names : null);
      expect(noAxes(copy.dimensionNames), array.path).toEqual(noAxes(expectedNames));
      if (format !== "hdf5") {
        // 64-bit fills beyond 2^53 are written with every digit (zarr-v2.test.ts checks the JSON); chunkwise's Zarr reader parses them as JS numbers.
        const approx = (v: unknown): unknown => (typeof v === "string" && /^-?\d+$/.test(v) ? Number(v) : v);
        expect(approx(copy.fillValue), array.path).toEqual(approx(array.fillValue ?? (format === "zarr3" ? (array.dtype.name === "bool" ? false : 0) : null)));
        expect(comparable(copy.attributes), array.path).toEqual(comparable(array.attributes));
      } else {
        const { _FillValue: fill, ...rest } = comparable(array.attributes);
        const { _FillValue: copyFill, ...copyRest } = comparable(copy.attributes);
        if (fill !== undefined) expect(copyFill, array.path).toEqual(fill);
        // Fills that mark missing data (netCDF's, Zarr's other than 0) are kept as _FillValue (bool as uint8); others add none.
        const marksMissing = fillValueMarksMissing(array) && array.dtype.kind !== "string";
        if (marksMissing) expect(copy.fillValue, array.path).toEqual(array.dtype.name === "bool" ? Number(array.fillValue) : array.fillValue);
        else if (fill === undefined) expect(copyFill, array.path).toBeUndefined();
        // Dimension-scale plumbing (CLASS, NAME) is the writer's own, not copied.
        const userKeys = (a: Record<string, unknown>): string[] => Object.keys(a).filter((k) => !["CLASS", "NAME", "_Netcdf4Dimid"].includes(k)).sort();
        expect(userKeys(copyRest), array.path).toEqual(userKeys(rest));
      }
      const zero = array.shape.map(() => 0);
      const [a, b] = await Promise.all([src.readRegion(array.path, zero, array.shape), out.readRegion(outPath(array.path), zero, array.shape)]);
      expect(plain(b.values as ArrayLike<unknown>), array.path).toEqual(plain(a.values as ArrayLike<unknown>));
    }
    await out.close();
    await src.close();
    if (format === "hdf5") expect(execFileSync("ncdump", ["-k", dst], { encoding: "utf8" }).trim()).toBe("netCDF-4");
  });
});
