import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isChunkwiseError } from "../../src/errors.js";
import { HttpClient, type RequestTiming } from "../../src/formats/remote/http-client.js";
import { fixture } from "../helpers/cli.js";
import { type Fault, startServer, type TestServer } from "./server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startServer(fixture("zarr2"));
});
afterAll(async () => {
  await server.close();
});

const quick = { backoffSeconds: 0.01, timeoutSeconds: 5 };
const zarray = () => `${server.url}/climate.zarr/tas/.zarray`;

/** Fail the first `n` requests with `fault`, then serve. */
function failFirst(n: number, fault: Fault) {
  server.requests.length = 0;
  server.options = { fault: ({ n: i }) => (i <= n ? fault : null) };
}

async function failure(promise: Promise<unknown>) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isChunkwiseError(err)) throw new Error(`expected a ChunkwiseError, got ${String(err)}`);
  return err;
}

describe("HttpClient", () => {
  it.each(["500", "503", "429", "reset", "truncate"] as Fault[])("recovers from %s answers by retrying", async (fault) => {
    failFirst(3, fault);
    const client = new HttpClient({ ...quick, retries: 4 });
    const response = await client.fetch(new Request(zarray()));
    expect(response.status).toBe(200);
    expect(JSON.parse(await response.text()).shape).toEqual([48, 73, 144]);
    expect(server.requests.length).toBe(4);
  });

  it("gives up after its retries with one line and the attempt count", async () => {
    failFirst(100, "503");
    const err = await failure(new HttpClient({ ...quick, retries: 2 }).fetch(new Request(zarray())));
    expect(err.tag).toBe("IOError");
    expect(err.exitCode).toBe(3);
    expect(err.message).toBe("HTTP 503 Service Unavailable (3 attempts)");
    expect(err.path).toBe(zarray());
    expect(server.requests.length).toBe(3);
  });

  it("reports a body shorter than its Content-Length as truncated", async () => {
    failFirst(100, "truncate");
    const err = await failure(new HttpClient({ ...quick, retries: 1 }).fetch(new Request(zarray())));
    expect(err.tag).toBe("TruncatedError");
    expect(err.exitCode).toBe(3);
    expect(err.message).toMatch(/^truncated response: \d+ of \d+ bytes \(Content-Length\) arrived \(2 attempts\)$/);
  });

  it("does not retry 403: anonymous access only", async () => {
    failFirst(100, "403");
    const err = await failure(new HttpClient({ ...quick, retries: 4 }).fetch(new Request(zarray())));
    expect(err.tag).toBe("PermissionError");
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain("anonymously");
    expect(server.requests.length).toBe(1);
  });

  it("times out a request that never answers", async () => {
    failFirst(100, "hang");
    const err = await failure(new HttpClient({ ...quick, timeoutSeconds: 0.2, retries: 1 }).fetch(new Request(zarray())));
    expect(err.tag).toBe("IOError");
    expect(err.message).toBe("timed out: no complete response within 0.2 s (2 attempts)");
  });

  it("names an unreachable host", async () => {
    const closed = await startServer(fixture("zarr2"));
    const url = `${closed.url}/x`;
    await closed.close();
    const err = await failure(new HttpClient({ ...quick, retries: 0 }).fetch(new Request(url)));
    expect(err.tag).toBe("IOError");
    expect(err.message).toMatch(/^cannot reach host 127\.0\.0\.1:\d+: ECONNREFUSED$/);
  });

  it("hands 404 on as a missing key", async () => {
    failFirst(0, "500");
    const response = await new HttpClient(quick).fetch(new Request(`${server.url}/climate.zarr/nothing`));
    expect(response.status).toBe(404);
  });

  it("keeps at most `concurrency` requests in flight and reports each one's timing", async () => {
    server.options = { latencyMs: 30 };
    const client = new HttpClient({ ...quick, concurrency: 2 });
    const timings: RequestTiming[] = [];
    client.observe((t) => timings.push(t));
    await Promise.all(Array.from({ length: 6 }, () => client.fetch(new Request(zarray()))));
    expect(timings.length).toBe(6);
    expect(Math.max(...timings.map((t) => t.inFlight))).toBe(2);
    for (const t of timings) {
      expect(t.firstByteSeconds).toBeGreaterThanOrEqual(0.025);
      expect(t.totalSeconds).toBeGreaterThanOrEqual(t.firstByteSeconds);
    }
  });

  it("cuts the asked range out of a 200 answer from a server that ignores Range", async () => {
    const whole = new Uint8Array(await (await fetch(zarray())).arrayBuffer());
    server.options = { ignoreRange: true };
    const client = new HttpClient(quick);
    const range = await client.fetch(new Request(zarray(), { headers: { range: "bytes=5-9" } }));
    expect(range.status).toBe(206);
    expect(new Uint8Array(await range.arrayBuffer())).toEqual(whole.subarray(5, 10));
    const suffix = await client.fetch(new Request(zarray(), { headers: { range: "bytes=-7" } }));
    expect(new Uint8Array(await suffix.arrayBuffer())).toEqual(whole.subarray(whole.length - 7));
  });
});
