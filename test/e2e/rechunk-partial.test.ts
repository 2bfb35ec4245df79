/**
 * rechunk with partial reads, end to end: map chunks (1, LAT, LON) to time series (T, 16, 16)
 * under a --max-mem the aligned one-stage plan (one block = the whole array) does not fit. The
 * plan is then one stage whose tasks read strips of the source chunks; the output must equal the
 * source, and a corrupt source chunk must stop the run with exit 3 and no complete-looking DST.
 */
import { existsSync } from "node:fs";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { python } from "../rechunk/helpers.js";

const [T, LAT, LON] = [16, 360, 720];
const LOGICAL_BYTES = T * LAT * LON * 4;
const TARGET = "16,16,16";
// Budget 8 MiB a task: the aligned block (the whole 15.8 MiB array) does not fit, strips do.
const options = ["--chunks", TARGET, "--max-mem", "16MiB", "--threads", "2"];

let tmp: string;
const store = (name: string): string => path.join(tmp, `${name}.zarr`);

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "chunkwise-rechunk-partial-"));
  // Map chunks of 1 MiB: blosc lz4 in blocks of 64 KiB (asked for 16 KiB; c-blosc enlarges split
  // blocks), uncompressed, and blosc zstd (decoded whole by c-blosc).
  const py = python(`
import numpy as np, zarr
from numcodecs import Blosc
T, LAT, LON = ${T}, ${LAT}, ${LON}
t = np.arange(T)[:, None, None]; y = np.arange(LAT)[None, :, None]; x = np.arange(LON)[None, None, :]
rng = np.random.default_rng(7)
temp = (280 + 10 * np.sin(t / 3 + y / 17) * np.cos(x / 29) + rng.normal(0, 0.01, (T, LAT, LON))).astype("<f4")
for name, compressor in [
    ("lz4", Blosc(cname="lz4", clevel=5, shuffle=Blosc.SHUFFLE, blocksize=16384)),
    ("raw", None),
    ("zstd", Blosc(cname="zstd", clevel=3, shuffle=Blosc.SHUFFLE)),
]:
    g = zarr.open_group(f"${tmp}/{name}.zarr", mode="w")
    g.create_dataset("temp", data=temp, chunks=(1, LAT, LON), compressor=compressor)
print("ok")
`);
  expect(py.stderr).toBe("");
  expect(py.stdout.trim()).toBe("ok");
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

interface StageJson {
  from: string;
  to: string;
  task_block: number[];
  tasks: number;
  partial_reads: boolean;
  read_ops: number;
  decoded_bytes: number;
}

async function dryRunStages(src: string, maxMem = "16MiB"): Promise<StageJson[]> {
  const r = await runCli(["rechunk", src, path.join(tmp, "never.zarr"), ...options.slice(0, 2), "--max-mem", maxMem, "--threads", "2", "--dry-run", "--json"]);
  expect(r.code, r.stderr).toBe(0);
  const doc = JSON.parse(r.stdout) as { arrays: Array<{ path: string; plan: { stages: StageJson[]; logical_bytes: number } }> };
  expect(doc.arrays.map((a) => a.path)).toEqual(["/temp"]);
  expect(doc.arrays[0]!.plan.logical_bytes).toBe(LOGICAL_BYTES);
  return doc.arrays[0]!.plan.stages;
}

/** zarr-python reads DST's temp equal to SRC's, in (16, 16, 16) chunks. */
function expectZarrPythonEqual(src: string, dst: string): void {
  const py = python(`
import zarr, numpy as np
a = zarr.open_group(${JSON.stringify(src)}, mode="r")["temp"]; b = zarr.open_group(${JSON.stringify(dst)}, mode="r")["temp"]
assert b.chunks == (16, 16, 16), b.chunks
assert b.dtype == a.dtype, b.dtype
assert np.array_equal(a[:], b[:])
print("ok")
`);
  expect(py.stderr).toBe("");
  expect(py.stdout.trim()).toBe("ok");
}

describe.each(["lz4", "raw"])("map chunks to time series, %s source, aligned plan out of memory", (name) => {
  it("--dry-run plans one stage of partial reads decoding less than 3× the data", async () => {
    const [stage, ...more] = await dryRunStages(store(name));
    expect(more).toEqual([]);
    expect(stage).toMatchObject({ from: "source", to: "target", partial_reads: true });
    // Strips, not whole chunks: every task reads a part of each of the T map chunks.
    expect(stage!.task_block[1]).toBeLessThan(LAT);
    expect(stage!.tasks).toBeGreaterThan(1);
    expect(stage!.read_ops).toBe(stage!.tasks * T);
    expect(stage!.decoded_bytes).toBeGreaterThanOrEqual(LOGICAL_BYTES);
    expect(stage!.decoded_bytes).toBeLessThan(3 * LOGICAL_BYTES);
  });

  it("with memory for the aligned block, the plan reads whole chunks instead", async () => {
    const [stage, ...more] = await dryRunStages(store(name), "256MiB");
    expect(more).toEqual([]);
    expect(stage).toMatchObject({ partial_reads: false, read_ops: T, decoded_bytes: LOGICAL_BYTES });
  });

  it("the run, verified in full, writes what zarr-python reads equal to the source", async () => {
    const dst = path.join(tmp, `${name}-out.zarr`);
    const r = await runCli(["rechunk", store(name), dst, ...options, "--verify", "full"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/partial reads/);
    expect(r.stdout).toMatch(/verified \(full\): \d+ of \d+ chunks equal the source/);
    expectZarrPythonEqual(store(name), dst);
  });
});

describe("other sources and failures", () => {
  it("a blosc zstd source (chunks decoded whole) rechunks under the same memory", async () => {
    const dst = path.join(tmp, "zstd-out.zarr");
    const r = await runCli(["rechunk", store("zstd"), dst, ...options, "--verify", "full"]);
    expect(r.code, r.stderr).toBe(0);
    expectZarrPythonEqual(store("zstd"), dst);
  });

  it("a corrupt source chunk read in part stops the run: exit 3, one line naming the chunk, no complete-looking DST", async () => {
    const src = store("corrupt");
    await cp(store("lz4"), src, { recursive: true });
    expect((await dryRunStages(src))[0]!.partial_reads).toBe(true);
    // Block 1's first stream claims more bytes than the frame holds.
    const chunk = path.join(src, "temp", "5.0.0");
    const frame = await readFile(chunk);
    frame.writeInt32LE(0x7fff0000, frame.readInt32LE(16 + 4));
    await writeFile(chunk, frame);
    const dst = path.join(tmp, "from-corrupt.zarr");
    // --json: no progress lines on stderr, only the error.
    const r = await runCli(["rechunk", src, dst, ...options, "--json"]);
    expect(r.code, r.stderr).toBe(3);
    const lines = r.stderr.trim().split("\n");
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/temp\/5\.0\.0/);
    expect(lines[0]).toMatch(/corrupt/);
    expect(existsSync(path.join(dst, ".zgroup"))).toBe(false);
    expect(existsSync(path.join(dst, "temp", ".zarray"))).toBe(false);
  });
});
