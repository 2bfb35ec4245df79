import { afterAll, beforeAll, expect, it } from "vitest";
import { openDataset } from "../../src/formats/open.js";
import { spreadChunks, timeRemoteReads } from "../../src/formats/remote/read-timing.js";
import { fixture } from "../helpers/cli.js";
import { startServer, type TestServer } from "./server.js";

/** 100 ms: on a loaded 2-core machine the server's own delays stay well inside ±30 % of it. */
const LATENCY_S = 0.1;

let server: TestServer;
beforeAll(async () => {
  server = await startServer(fixture("zarr2"), { latencyMs: LATENCY_S * 1000 });
});
afterAll(async () => {
  await server.close();
});

it("spreads reads over the whole chunk grid", () => {
  expect(spreadChunks([4, 2], 4)).toEqual([[0, 1], [1, 1], [2, 1], [3, 1]]);
  expect(spreadChunks([3], 5)).toEqual([[0], [1], [2], [0], [1]]);
});

it("measures the injected per-request latency within ±30 % one read at a time, and never below it with more in flight", async () => {
  const url = `${server.url}/climate.zarr`;
  const dataset = await openDataset(url);
  const tas = await dataset.describe("/tas");
  await dataset.close();
  const timing = await timeRemoteReads(url, tas, { concurrencies: [1, 4, 16], readsPerLevel: 8, budgetSeconds: 30 });
  expect(timing.levels.map((l) => l.concurrency)).toEqual([1, 4, 16]);
  expect(timing.firstByteSeconds).toBeGreaterThan(LATENCY_S * 0.7);
  expect(timing.firstByteSeconds).toBeLessThan(LATENCY_S * 1.3);
  for (const level of timing.levels) {
    // The server shares this process with the decoder: with many in flight its answers queue behind decoding, so only the floor is firm.
    expect(level.medianFirstByteSeconds).toBeGreaterThan(LATENCY_S * 0.7);
    // One request per chunk (no shards): 8 reads, or two per reader.
    expect(level.requests).toBe(Math.max(8, 2 * level.concurrency));
    expect(level.bytes).toBeGreaterThan(0);
  }
});
