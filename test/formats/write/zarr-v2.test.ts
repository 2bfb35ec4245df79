import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openDataset } from "../../../src/formats/open.js";
import { attachWriter, createWriter, unfinishedOutput } from "../../../src/formats/write/open-writer.js";
import { dtype, plain, python, sampleValues, spec, tempDir, units, writeAll } from "./helpers.js";

const READ_WITH_ZARR = `
import sys, json, zarr, numpy as np
a = zarr.open_array(sys.argv[1], mode="r")
v = a[...]
if v.dtype.kind == "f":
    flat = ["NaN" if np.isnan(x) else float(x) for x in v.ravel()]
elif v.dtype.kind in "iu" and v.dtype.itemsize == 8:
    flat = [str(int(x)) for x in v.ravel()]
else:
    flat = [int(x) for x in v.ravel()]
print(json.dumps({"dtype": a.dtype.str, "shape": list(a.shape), "chunks": list(a.chunks), "attrs": a.attrs.asdict(), "values": flat,
                  "fill": None if a.fill_value is None else ("NaN" if isinstance(a.fill_value, float) and np.isnan(a.fill_value) else (a.fill_value.item() if hasattr(a.fill_value, "item") else a.fill_value))}))
`;

const DTYPES = ["bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64"];

describe("Zarr v2 writer", () => {
  it.each(DTYPES)("round-trips %s through zarr-python and chunkwise's reader, shapes not multiples of the chunks", async (name) => {
    const dst = path.join(tempDir("v2"), "out.zarr");
    const shape = [7, 5, 3];
    const chunks = [3, 2, 2];
    const values = sampleValues(name, 7 * 5 * 3);
    const writer = await createWriter(dst, "zarr2");
    const array = spec({ path: "/", shape, chunks, dtype: dtype(name), fillValue: name === "bool" ? false : 3, attributes: { units: "K", scale: 0.5 }, sourceCodecs: [{ name: "blosc", configuration: { cname: "zstd", clevel: 3, shuffle: 1 }, supported: true }] });
    await writer.createArray(array);
    await writeAll(writer, array, values);
    await writer.finalize();
    await writer.close();

    const zarray = JSON.parse(readFileSync(path.join(dst, ".zarray"), "utf8"));
    expect(zarray.compressor).toEqual({ id: "blosc", cname: "zstd", clevel: 3, shuffle: 1, blocksize: 0 });
    expect(zarray.dimension_separator).toBe(".");
    expect(existsSync(path.join(dst, ".chunkwise", "writer.json"))).toBe(false);

    const py = python(READ_WITH_ZARR, dst) as { dtype: string; shape: number[]; chunks: number[]; attrs: unknown; values: unknown[] };
    expect(py.shape).toEqual(shape);
    expect(py.chunks).toEqual(chunks);
    expect(py.attrs).toEqual({ units: "K", scale: 0.5 });
    expect(py.values).toEqual(plain(values));

    const dataset = await openDataset(dst);
    const described = await dataset.describe("/");
    expect(described.chunks).toEqual(chunks);
    const region = await dataset.readRegion("/", [0, 0, 0], shape);
    expect(plain(region.values as ArrayLike<unknown>)).toEqual(plain(values));
    await dataset.close();
  });

  it("keeps big-endian storage, NaN fill, dimension names and groups; pads edge chunks with the fill value", async () => {
    const dst = path.join(tempDir("v2"), "group.zarr");
    const writer = await createWriter(dst, "zarr2");
    await writer.createGroup({ path: "/", attributes: { title: "t", history: ["a", "b"] } });
    await writer.createGroup({ path: "/sub", attributes: {} });
    const values = sampleValues("float64", 5 * 4);
    values[3] = Number.NaN;
    const array = spec({ path: "/sub/tas", shape: [5, 4], chunks: [2, 3], dtype: dtype("float64", "big"), fillValue: "NaN", dimensionNames: ["time", "lat"], attributes: { missing: Number.NaN } });
    await writer.createArray(array);
    await writeAll(writer, array, values);
    await writer.finalize();

    const zarray = JSON.parse(readFileSync(path.join(dst, "sub/tas/.zarray"), "utf8"));
    expect(zarray.dtype).toBe(">f8");
    expect(zarray.fill_value).toBe("NaN");
    expect(JSON.parse(readFileSync(path.join(dst, "sub/tas/.zattrs"), "utf8"))).toEqual({ missing: "NaN", _ARRAY_DIMENSIONS: ["time", "lat"] });
    // Edge chunk (2, 1): rows 4..5 × cols 3..6 of a 5×4 array: one real value, the rest padding.
    const edge = readFileSync(path.join(dst, "sub/tas/2.1"));
    const py = python(
      `
import sys, json, zarr, numcodecs, numpy as np
meta = json.load(open(sys.argv[1] + "/sub/tas/.zarray"))
raw = open(sys.argv[1] + "/sub/tas/2.1", "rb").read()
raw = raw if meta["compressor"] is None else numcodecs.get_codec(meta["compressor"]).decode(raw)
edge = np.frombuffer(raw, dtype=">f8")
g = zarr.open_group(sys.argv[1], mode="r")
print(json.dumps({"edge": ["NaN" if np.isnan(x) else float(x) for x in edge], "title": g.attrs["title"], "sub": list(g["sub"].array_keys()),
                  "v": ["NaN" if np.isnan(x) else float(x) for x in g["sub/tas"][...].ravel()]}))`,
      dst,
    ) as { edge: unknown[]; title: string; sub: string[]; v: unknown[] };
    expect(edge.length).toBeGreaterThan(0);
    expect(py.edge).toEqual([plain(values)[4 * 4 + 3], "NaN", "NaN", "NaN", "NaN", "NaN"]);
    expect(py.title).toBe("t");
    expect(py.sub).toEqual(["tas"]);
    expect(py.v).toEqual(plain(values));

    const dataset = await openDataset(dst);
    const described = await dataset.describe("/sub/tas");
    expect(described.dimensionNames).toEqual(["time", "lat"]);
    expect(described.fillValue).toBe("NaN");
    await dataset.close();
  });

  it("is not openable before finalize(), by chunkwise or zarr-python; attached writers share the staged arrays", async () => {
    const dst = path.join(tempDir("v2"), "partial.zarr");
    const writer = await createWriter(dst, "zarr2");
    const array = spec({ path: "/", shape: [10], chunks: [4], dtype: dtype("int32") });
    await writer.createArray(array);
    const values = sampleValues("int32", 10);
    const all = [...units(array.shape, array.chunks, values)];
    await writer.writeUnit("/", ...all[0]!);

    await expect(openDataset(dst)).rejects.toThrow();
    expect(await unfinishedOutput(dst)).toMatch(/unfinished chunkwise zarr2 output/);
    expect(() => python(`import sys, zarr; zarr.open_array(sys.argv[1], mode="r")`, dst)).toThrow();

    const other = await attachWriter(dst);
    expect(other.arraySpecs.map((s) => s.path)).toEqual(["/"]);
    for (const [coords, block] of all.slice(1)) await other.writeUnit("/", coords, block);
    const before = readFileSync(path.join(dst, "1"));
    await other.writeUnit("/", ...all[1]!);
    expect(readFileSync(path.join(dst, "1")).equals(before)).toBe(true);
    expect(readdirSync(dst).filter((f) => f.endsWith(".cwtmp"))).toEqual([]);
    await other.finalize();
    expect(await unfinishedOutput(dst)).toBeNull();
    const py = python(READ_WITH_ZARR, dst) as { values: unknown[] };
    expect(py.values).toEqual(plain(values));
  });

  it("writes 64-bit integer fill values beyond 2^53 with every digit, as zarr-python reads them", async () => {
    const dst = path.join(tempDir("v2"), "big.zarr");
    const writer = await createWriter(dst, "zarr2");
    const array = spec({ path: "/", shape: [3], chunks: [2], dtype: dtype("int64"), fillValue: "-9223372036854775806" });
    await writer.createArray(array);
    await writer.writeUnit("/", [0], { shape: [2], values: BigInt64Array.of(1n, 2n) });
    await writer.finalize();
    expect(readFileSync(path.join(dst, ".zarray"), "utf8")).toMatch(/"fill_value": -9223372036854775806,/);
    const py = python(`import sys, json, zarr; a = zarr.open_array(sys.argv[1], mode="r"); print(json.dumps([str(a.fill_value), [str(x) for x in a[...]]]))`, dst);
    // The second chunk was never written: it reads as the fill value.
    expect(py).toEqual(["-9223372036854775806", ["1", "2", "-9223372036854775806"]]);
  });

  it("refuses an existing destination unless asked to overwrite, bad unit coordinates and names escaping the store", async () => {
    const dst = path.join(tempDir("v2"), "exists.zarr");
    const writer = await createWriter(dst, "zarr2");
    await expect(createWriter(dst, "zarr2")).rejects.toThrow(/already exists/);
    await expect(writer.createArray(spec({ path: "/../evil", shape: [2], chunks: [2], dtype: dtype("int8") }))).rejects.toThrow(/refusing the node name/);
    await expect(writer.createGroup({ path: "/a/.zarray", attributes: {} })).rejects.toThrow(/refusing/);
    const array = spec({ path: "/x", shape: [5], chunks: [2], dtype: dtype("int16") });
    await writer.createArray(array);
    await expect(writer.writeUnit("/x", [3], { shape: [1], values: new Int16Array(1) })).rejects.toThrow(/outside the unit grid/);
    await expect(writer.writeUnit("/x", [2], { shape: [2], values: new Int16Array(2) })).rejects.toThrow(/should be \[1\]/);
    await expect(writer.writeUnit("/x", [0], { shape: [2], values: new Float32Array(2) })).rejects.toThrow(/Int16Array/);
    await expect(writer.createArray(spec({ path: "/s", shape: [2], chunks: [2], dtype: { numpy: "<U3", name: "string", kind: "string", itemSize: 12, byteOrder: "little" } }))).rejects.toThrow(/not supported/);
    const again = await createWriter(dst, "zarr2", { overwrite: true });
    expect(again.arraySpecs).toEqual([]);
    // --overwrite never deletes a directory chunkwise did not write.
    const unrelated = tempDir("v2");
    writeFileSync(path.join(unrelated, "thesis.tex"), "precious");
    await expect(createWriter(unrelated, "zarr2", { overwrite: true })).rejects.toThrow(/refusing to delete it/);
    await expect(createWriter(unrelated, "hdf5", { overwrite: true })).rejects.toThrow(/refusing to delete it/);
    expect(readFileSync(path.join(unrelated, "thesis.tex"), "utf8")).toBe("precious");
  });
});
