import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { openDataset } from "../../../src/formats/open.js";
import { createWriter } from "../../../src/formats/write/open-writer.js";
import { dtype, plain, sampleValues, spec, tempDir, units } from "./helpers.js";

/** Worker threads run the compiled writer (Node 20 cannot load .ts workers): `npm test` builds dist/ first. */
const COMPILED = path.resolve(import.meta.dirname, "../../../dist/formats/write/open-writer.js");

const WORKER = `
import { workerData, parentPort } from "node:worker_threads";
const { attachWriter } = await import(workerData.module);
const writer = await attachWriter(workerData.dst);
for (const { coords, shape, values } of workerData.units) await writer.writeUnit(workerData.array, coords, { shape, values });
await writer.close();
parentPort.postMessage("done");
`;

describe.each(["zarr2", "zarr3"] as const)("%s output written from worker threads", (format) => {
  it("lets threads attach to the staged output and write disjoint units at once", async () => {
    expect(existsSync(COMPILED), "run `npx tsc -p .` (npm test does) so workers can load the compiled writer").toBe(true);
    const dir = tempDir("threads");
    const workerFile = path.join(dir, "worker.mjs");
    writeFileSync(workerFile, WORKER);
    const dst = path.join(dir, "out.zarr");
    const writer = await createWriter(dst, format);
    const array = spec({ path: "/x", shape: [37, 11], chunks: [4, 5], shards: format === "zarr3" ? [8, 10] : null, dtype: dtype("float32"), compressor: { name: "gzip", level: 1 } });
    await writer.createArray(array);
    const values = sampleValues("float32", 37 * 11);
    const all = [...units(array.shape, array.shards ?? array.chunks, values)].map(([coords, block]) => ({ coords, shape: block.shape, values: block.values }));
    const threads = 3;
    await Promise.all(
      Array.from({ length: threads }, (_, t) => {
        const share = all.filter((_, i) => i % threads === t);
        const worker = new Worker(pathToFileURL(workerFile), {
          workerData: { module: pathToFileURL(COMPILED).href, dst, array: "/x", units: share },
          transferList: share.map((u) => (u.values as Float32Array).buffer as ArrayBuffer),
        });
        return new Promise<void>((resolve, reject) => {
          worker.once("message", () => resolve());
          worker.once("error", reject);
        }).finally(() => worker.terminate());
      }),
    );
    await writer.finalize();
    const dataset = await openDataset(dst);
    const region = await dataset.readRegion("/x", [0, 0], array.shape);
    expect(plain(region.values as Float32Array)).toEqual(plain(values));
    await dataset.close();
  });
});
