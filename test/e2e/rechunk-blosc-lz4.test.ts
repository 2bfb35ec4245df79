import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bloscDecodesNatively } from "../../src/formats/codecs/blosc-decode.js";
import { runCli } from "../helpers/cli.js";
import { python } from "../rechunk/helpers.js";

let tmp: string;
let src: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "chunkwise-blosc-lz4-e2e-"));
  src = path.join(tmp, "src.zarr");
  // float32 chunks of 1 MiB: blosc lz4 clevel 5 cuts them into two 512 KiB blocks and a leftover
  const py = python(`
import numpy as np, zarr
from numcodecs import Blosc
g = zarr.open_group(${JSON.stringify(src)}, mode="w")
t = np.arange(20)[:, None, None]; y = np.arange(91)[None, :, None]; x = np.arange(181)[None, None, :]
temp = (280 + 10 * np.sin(t / 3 + y / 17) * np.cos(x / 29)).astype("<f4")
g.create_dataset("temp", data=temp, chunks=(16, 91, 181), compressor=Blosc(cname="lz4", clevel=5, shuffle=Blosc.SHUFFLE))
g.create_dataset("count", data=(t * 1000 + y * 7 + x).astype("<i2"), chunks=(20, 45, 90), compressor=Blosc(cname="lz4hc", clevel=9, shuffle=Blosc.SHUFFLE))
g.create_dataset("flag", data=((t + y + x) % 3).astype("u1"), chunks=(10, 91, 181), compressor=Blosc(cname="lz4", clevel=1, shuffle=Blosc.NOSHUFFLE))
print("ok")
`);
  expect(py.stderr).toBe("");
  expect(py.stdout.trim()).toBe("ok");
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("a Zarr v2 store compressed with blosc lz4", () => {
  it("its chunks are ones our decoder handles, several blocks and a leftover among them", async () => {
    const frame = new Uint8Array(await readFile(path.join(src, "temp", "0.0.0")));
    expect(bloscDecodesNatively(frame)).toBe(true);
    const view = new DataView(frame.buffer, frame.byteOffset);
    expect(view.getUint32(4, true) / view.getUint32(8, true)).toBeGreaterThan(2);
    expect(bloscDecodesNatively(new Uint8Array(await readFile(path.join(src, "count", "0.0.0"))))).toBe(true);
  });

  it("inspect reads it", async () => {
    const r = await runCli(["inspect", src, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { arrays: Array<{ path: string; chunks: number[] }> };
    expect(doc.arrays.map((a) => a.path).sort()).toEqual(["/count", "/flag", "/temp"]);
  });

  it("rechunk with full verification; zarr-python reads the output equal to the source", async () => {
    const dst = path.join(tmp, "dst.zarr");
    const r = await runCli(["rechunk", src, dst, "--chunks", "20,32,32", "--max-mem", "32MiB", "--threads", "2", "--verify", "full"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/verified \(full\): \d+ of \d+ chunks equal the source/);
    const py = python(`
import zarr, numpy as np
a = zarr.open(${JSON.stringify(src)}, mode="r"); b = zarr.open(${JSON.stringify(dst)}, mode="r")
for name in ["temp", "count", "flag"]:
    assert b[name].chunks == (20, 32, 32), b[name].chunks
    assert b[name].compressor.cname == a[name].compressor.cname, name
    assert np.array_equal(a[name][:], b[name][:]), name
print("ok")
`);
    expect(py.stderr).toBe("");
    expect(py.stdout.trim()).toBe("ok");
  });

  it("a chunk whose lz4 stream is damaged stops the rechunk with one line naming the chunk", async () => {
    const bad = path.join(tmp, "bad.zarr");
    await cp(src, bad, { recursive: true });
    const file = path.join(bad, "temp", "0.0.0");
    const frame = await readFile(file);
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const streamBytes = view.getUint32(8, true) / frame[3]!;
    let at = view.getInt32(16, true);
    while (view.getInt32(at, true) === streamBytes) at += 4 + streamBytes; // skip streams stored raw
    frame.fill(0xff, at + 4, at + 44); // the first tokens now claim literals far past the stream's end
    await writeFile(file, frame);
    const r = await runCli(["rechunk", bad, path.join(tmp, "bad-out.zarr"), "--array", "/temp", "--chunks", "20,32,32", "--verify", "none"]);
    expect(r.code).toBe(3);
    const lines = r.stderr.split("\n").filter((line) => line.startsWith("chunkwise:"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(file);
    expect(lines[0]).toMatch(/cannot decode chunk data \(blosc: block 0 stream \d+: lz4: .*\): truncated or corrupt/);
  });
});
