import { spawn } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { openDataset } from "../../../src/formats/open.js";
import { attachWriter } from "../../../src/formats/write/open-writer.js";
import type { OutputFormat } from "../../../src/formats/writer.js";
import { plain, tempDir } from "./helpers.js";

/** The child runs the compiled writer: `npm test` builds dist/ first. */
const COMPILED = path.resolve(import.meta.dirname, "../../../dist/formats/write/open-writer.js");
const SHAPE = [64, 96, 96];
const CHUNKS = [64, 16, 16];

/** Shared by the child and the test: the value at flat index i. */
const valueAt = (i: number): number => ((i * 7919) % 100_003) / 8;

const CHILD = `
const { createWriter } = await import(process.argv[2]);
const [dst, format] = process.argv.slice(3);
const shape = ${JSON.stringify(SHAPE)}, chunks = ${JSON.stringify(CHUNKS)};
const w = await createWriter(dst, format);
await w.createGroup({ path: "/", attributes: { title: "crash" } });
await w.createArray({ path: "/v", shape, chunks, shards: format === "zarr3" ? [64, 32, 32] : null, dtype: { numpy: "<f8", name: "float64", kind: "float", itemSize: 8, byteOrder: "little" },
  dimensionNames: ["t", "y", "x"], fillValue: "NaN", attributes: {}, sourceCodecs: [], compressor: { name: "gzip", level: 1 } });
process.stdout.write("ready\\n");
const unit = format === "zarr3" ? [64, 32, 32] : chunks;
for (;;) {
  for (let a = 0; a < shape[1] / unit[1]; a++) for (let b = 0; b < shape[2] / unit[2]; b++) {
    const values = new Float64Array(unit[0] * unit[1] * unit[2]);
    let k = 0;
    for (let t = 0; t < unit[0]; t++) for (let y = 0; y < unit[1]; y++) for (let x = 0; x < unit[2]; x++)
      values[k++] = ((((t * shape[1] + a * unit[1] + y) * shape[2] + b * unit[2] + x) * 7919) % 100003) / 8;
    await w.writeUnit("/v", [0, a, b], { shape: unit, values });
    process.stdout.write("unit\\n");
  }
}
`;

function expectedValues(): Float64Array {
  const n = SHAPE.reduce((a, b) => a * b, 1);
  return Float64Array.from({ length: n }, (_, i) => valueAt(i));
}

/** Start the child, let it write `units` units (looping over the array), then kill -9 it. */
async function killAfter(dst: string, format: OutputFormat, units: number): Promise<void> {
  const dir = path.dirname(dst);
  const script = path.join(dir, "child.mjs");
  writeFileSync(script, CHILD);
  const child = spawn(process.execPath, [script, pathToFileURL(COMPILED).href, dst, format], { stdio: ["ignore", "pipe", "inherit"] });
  let seen = 0;
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (data: Buffer) => {
      seen += (data.toString().match(/unit/g) ?? []).length;
      if (seen >= units) {
        child.kill("SIGKILL");
        resolve();
      }
    });
    child.once("exit", (code, signal) => (signal === "SIGKILL" ? resolve() : reject(new Error(`child exited with ${code}`))));
  });
  await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once("exit", resolve)));
}

describe.each([
  ["zarr2", 5],
  ["zarr3", 3],
  ["hdf5", 7],
  ["hdf5", 40],
] as const)("kill -9 of a %s writer after %i units", (format, units) => {
  it("leaves nothing a reader takes as complete; attaching, writing only the units not reported done, and finalizing gives the exact array", async () => {
    expect(existsSync(COMPILED), "run `npx tsc -p .` (npm test does) so the child can load the compiled writer").toBe(true);
    const dst = path.join(tempDir("crash"), format === "hdf5" ? "out.nc" : "out.zarr");
    await killAfter(dst, format, units);
    await expect(openDataset(dst)).rejects.toThrow();

    const writer = await attachWriter(dst);
    const unit = writer.arraySpecs[0]!.shards ?? CHUNKS;
    const all = expectedValues();
    const perRow = SHAPE[2]! / unit[2]!;
    for (let a = 0; a < SHAPE[1]! / unit[1]!; a++) {
      for (let b = 0; b < perRow; b++) {
        // What a journal would hold: units the child reported written are not written again.
        if (a * perRow + b < units) continue;
        const values = new Float64Array(unit[0]! * unit[1]! * unit[2]!);
        let k = 0;
        for (let t = 0; t < unit[0]!; t++) for (let y = 0; y < unit[1]!; y++) for (let x = 0; x < unit[2]!; x++) values[k++] = all[(t * SHAPE[1]! + a * unit[1]! + y) * SHAPE[2]! + b * unit[2]! + x]!;
        await writer.writeUnit("/v", [0, a, b], { shape: [...unit], values });
      }
    }
    await writer.finalize();
    await writer.close();

    const dataset = await openDataset(dst);
    const region = await dataset.readRegion("/v", [0, 0, 0], SHAPE);
    expect(plain(region.values as Float64Array).every((v, i) => v === all[i])).toBe(true);
    expect((await dataset.describe("/v")).dimensionNames).toEqual(["t", "y", "x"]);
    await dataset.close();
    if (format !== "hdf5") {
      const leftovers = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? leftovers(path.join(dir, e.name)) : e.name.endsWith(".cwtmp") ? [e.name] : []));
      expect(leftovers(dst)).toEqual([]);
    }
  });
});
