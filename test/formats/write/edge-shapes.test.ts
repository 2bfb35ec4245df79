import path from "node:path";
import { describe, expect, it } from "vitest";
import { openDataset } from "../../../src/formats/open.js";
import { createWriter } from "../../../src/formats/write/open-writer.js";
import { dtype, python, spec, tempDir } from "./helpers.js";

describe.each(["zarr2", "zarr3", "hdf5"] as const)("%s output of scalars, empty arrays and chunks larger than the array", (format) => {
  it("writes and reads them back", async () => {
    const dst = path.join(tempDir("edge"), format === "hdf5" ? "out.h5" : "out.zarr");
    const writer = await createWriter(dst, format);
    await writer.createGroup({ path: "/", attributes: {} });
    const scalar = spec({ path: "/scalar", shape: [], chunks: [], dtype: dtype("float64"), fillValue: "NaN" });
    const empty = spec({ path: "/empty", shape: [0, 4], chunks: [2, 2], dtype: dtype("int32") });
    const wide = spec({ path: "/wide", shape: [3, 2], chunks: [10, 10], dtype: dtype("uint16"), fillValue: 7 });
    for (const array of [scalar, empty, wide]) await writer.createArray(array);
    await writer.writeUnit("/scalar", [], { shape: [], values: Float64Array.of(2.5) });
    await writer.writeUnit("/wide", [0, 0], { shape: [3, 2], values: Uint16Array.of(1, 2, 3, 4, 5, 6) });
    await writer.finalize();

    const dataset = await openDataset(dst);
    expect(Array.from((await dataset.readRegion("/scalar", [], [])).values as Float64Array)).toEqual([2.5]);
    expect((await dataset.describe("/empty")).shape).toEqual([0, 4]);
    expect(Array.from((await dataset.readRegion("/wide", [0, 0], [3, 2])).values as Uint16Array)).toEqual([1, 2, 3, 4, 5, 6]);
    await dataset.close();
    if (format === "zarr2") {
      const py = python(`import sys, json, zarr; g = zarr.open_group(sys.argv[1], mode="r"); print(json.dumps([float(g["scalar"][...]), list(g["empty"].shape), g["wide"][...].ravel().tolist()]))`, dst);
      expect(py).toEqual([2.5, [0, 4], [1, 2, 3, 4, 5, 6]]);
    }
    if (format === "hdf5") {
      const py = python(`import sys, json, h5py; f = h5py.File(sys.argv[1], "r"); print(json.dumps([float(f["scalar"][()]), list(f["empty"].shape), f["wide"][...].ravel().tolist(), list(f["wide"].chunks)]))`, dst);
      expect(py).toEqual([2.5, [0, 4], [1, 2, 3, 4, 5, 6], [3, 2]]);
    }
  });
});
