/**
 * Hdf5Writer.assembleWhileWriting: the file is written while units still arrive (its metadata at
 * once, each staged chunk as soon as it is there), finalize() finishes it; and every way it can go
 * wrong — the output changed meanwhile, a damaged staged chunk, no finalize at all — ends as the
 * writer without it would (a correct file, the same error), never with a half-written DST.
 */
import { spawnSync } from "node:child_process";
import { existsSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { isChunkwiseError } from "../../../src/errors.js";
import { openDataset } from "../../../src/formats/open.js";
import { stagedChunkPath } from "../../../src/formats/write/hdf5-staged-chunks.js";
import { createWriter, partialHdf5Path } from "../../../src/formats/write/open-writer.js";
import { repoRoot } from "../../helpers/cli.js";
import { ensureBuilt } from "../../scheduler/build.js";
import { dtype, sampleValues, spec, tempDir, units } from "./helpers.js";

const deflate = [{ name: "deflate", id: 1, configuration: { cd_values: [1] }, supported: true }];
const ARRAY = spec({ path: "/v", shape: [12, 10], chunks: [4, 5], dtype: dtype("float32", "little"), sourceCodecs: deflate });
const VALUES = sampleValues("float32", 120);

async function readBack(file: string, arrayPath: string): Promise<number[]> {
  const dataset = await openDataset(file);
  try {
    const [rows, cols] = (await dataset.describe(arrayPath)).shape;
    return [...((await dataset.readRegion(arrayPath, [0, 0], [rows!, cols!])).values as Float32Array)];
  } finally {
    await dataset.close();
  }
}

/** A new HDF5 output of ARRAY, assembling from the start. */
async function assembling() {
  const dst = `${tempDir("h5-assembly")}/out.h5`;
  const writer = await createWriter(dst, "hdf5");
  await writer.createArray(ARRAY);
  writer.assembleWhileWriting!();
  return { dst, writer };
}

describe("HDF5 output assembled while units are written", () => {
  it("writes the file as units arrive, finalize() finishes it, and it reads back exactly", async () => {
    const { dst, writer } = await assembling();
    const all = [...units(ARRAY.shape, ARRAY.chunks, VALUES)];
    await writer.writeUnit(ARRAY.path, ...all[0]!);
    // The metadata and the first chunk go into the partial file before any other unit exists.
    let sizeAfterFirst = 0;
    for (let wait = 0; wait < 100 && sizeAfterFirst === 0; wait++) {
      await sleep(20);
      if (existsSync(partialHdf5Path(dst))) sizeAfterFirst = statSync(partialHdf5Path(dst)).size;
    }
    expect(sizeAfterFirst).toBeGreaterThan(0);
    for (const unit of all.slice(1).reverse()) await writer.writeUnit(ARRAY.path, ...unit);
    await writer.finalize();
    await writer.close();
    expect(existsSync(partialHdf5Path(dst))).toBe(false);
    expect(await readBack(dst, "/v")).toEqual([...VALUES]);
  });

  it("starts the file over when the output changes under it", async () => {
    const { dst, writer } = await assembling();
    const second = { ...ARRAY, path: "/w" };
    await writer.createArray(second);
    for (const array of [ARRAY, second]) for (const unit of units(array.shape, array.chunks, VALUES)) await writer.writeUnit(array.path, ...unit);
    await writer.finalize();
    await writer.close();
    expect(await readBack(dst, "/v")).toEqual([...VALUES]);
    expect(await readBack(dst, "/w")).toEqual([...VALUES]);
  });

  it("reports a damaged staged chunk as finalize() without it does, and leaves no DST", async () => {
    const { dst, writer } = await assembling();
    for (const unit of units(ARRAY.shape, ARRAY.chunks, VALUES)) await writer.writeUnit(ARRAY.path, ...unit);
    writeFileSync(stagedChunkPath(dst, "/v", [1, 1]), "not a chunk");
    const error = await writer.finalize().then(() => null, (err: unknown) => err);
    expect(isChunkwiseError(error) && error.message).toMatch(/staged HDF5 chunk is not a chunk file chunkwise wrote/);
    await writer.close();
    expect(existsSync(dst)).toBe(false);
    expect(existsSync(partialHdf5Path(dst))).toBe(false);
  });

  it("stops waiting for units when closed without finalize (a failed run)", async () => {
    const { dst, writer } = await assembling();
    await writer.writeUnit(ARRAY.path, ...[...units(ARRAY.shape, ARRAY.chunks, VALUES)][0]!);
    await writer.close();
    expect(existsSync(dst)).toBe(false);
    expect(existsSync(partialHdf5Path(dst))).toBe(false);
  });

  it("finishes when finalize() is all that is left to wait for (nothing else keeps the process alive)", () => {
    // A process of its own: the unit that completes the array comes last, while the assembly is
    // polling for it, and then finalize() alone must keep the process running until it is done.
    ensureBuilt();
    const dst = `${tempDir("h5-assembly-alone")}/out.h5`;
    const all = [...units(ARRAY.shape, ARRAY.chunks, VALUES)].map(([coords, block]) => ({ coords, shape: block.shape, values: [...(block.values as Float32Array)] }));
    const openWriter = pathToFileURL(path.join(repoRoot, "dist/formats/write/open-writer.js")).href;
    const script = `
      import { setTimeout as sleep } from "node:timers/promises";
      const { createWriter } = await import(${JSON.stringify(openWriter)});
      const [dst, array, units] = [process.argv[1], JSON.parse(process.argv[2]), JSON.parse(process.argv[3])];
      const writer = await createWriter(dst, "hdf5");
      await writer.createArray(array);
      writer.assembleWhileWriting();
      for (const unit of units.reverse()) {
        await sleep(30);
        await writer.writeUnit(array.path, unit.coords, { shape: unit.shape, values: Float32Array.from(unit.values) });
      }
      await writer.finalize();
      await writer.close();
      console.log("finalized");
    `;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script, dst, JSON.stringify(ARRAY), JSON.stringify(all)], { encoding: "utf8" });
    expect({ status: run.status, stdout: run.stdout.trim(), stderr: run.stderr }).toEqual({ status: 0, stdout: "finalized", stderr: "" });
    expect(existsSync(dst)).toBe(true);
  });

  it("appends chunks larger than its write buffer among smaller ones (assembled or not), and reads back exactly", async () => {
    // Random bit patterns do not deflate: stored chunks of ~12 and ~4 MiB around the 8 MiB write buffer.
    const big = spec({ path: "/big", shape: [7, 1024, 1024], chunks: [3, 1024, 1024], dtype: dtype("float32", "little"), sourceCodecs: deflate });
    const values = new Float32Array(7 * 1024 * 1024);
    const bits = new Uint32Array(values.buffer);
    let state = 42;
    for (let i = 0; i < bits.length; i++) {
      // xorshift32; bit 30 cleared keeps the exponent below 0xff: no NaN, whose payload a copy may change.
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      bits[i] = (state >>> 0) & 0xbfffffff;
    }
    for (const assemble of [false, true]) {
      const dst = `${tempDir("h5-big")}/out.h5`;
      const writer = await createWriter(dst, "hdf5");
      await writer.createArray(big);
      if (assemble) writer.assembleWhileWriting!();
      for (const unit of units(big.shape, big.chunks, values)) await writer.writeUnit(big.path, ...unit);
      await writer.finalize();
      await writer.close();
      const dataset = await openDataset(dst);
      try {
        const back = (await dataset.readRegion("/big", [0, 0, 0], [7, 1024, 1024])).values as Float32Array;
        expect(Buffer.from(back.buffer, back.byteOffset, back.byteLength).equals(Buffer.from(values.buffer))).toBe(true);
      } finally {
        await dataset.close();
      }
    }
  });
});
