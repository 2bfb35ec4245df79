import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isChunkwiseError } from "../../src/errors.js";
import type { ArrayDescription, Dataset } from "../../src/formats/dataset.js";
import { openDataset } from "../../src/formats/open.js";
import { resolveLocation } from "../../src/formats/remote/location.js";
import { fixture } from "../helpers/cli.js";
import { startServer, type TestServer } from "./server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startServer(fixture());
});
afterAll(async () => {
  await server.close();
});

/** Everything a description says except storage, which HTTP cannot know. */
function withoutStorage(d: ArrayDescription) {
  const { storage, ...rest } = d;
  return rest;
}

async function withBoth<T>(store: string, arrays: string[], body: (local: Dataset, remote: Dataset) => Promise<T>): Promise<T> {
  const local = await openDataset(fixture(...store.split("/")));
  const remote = await openDataset(`${server.url}/${store}`, { arrayPaths: arrays });
  try {
    return await body(local, remote);
  } finally {
    await local.close();
    await remote.close();
  }
}

async function failure(promise: Promise<unknown>) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isChunkwiseError(err)) throw new Error(`expected a ChunkwiseError, got ${String(err)}`);
  return err;
}

describe("a Zarr store over HTTP", () => {
  it.each(["zarr2/climate.zarr", "zarr-python/v2/data.zarr", "zarr-python/v3/data.zarr/consolidated"])(
    "%s (consolidated metadata): lists the same arrays and groups as on disk, storage unknown (null), same chunk values",
    async (store) => {
      server.options = {};
      await withBoth(store, [], async (local, remote) => {
        expect(remote.format).toBe(local.format);
        const localArrays = await local.listArrays();
        const remoteArrays = await remote.listArrays();
        expect(remoteArrays.map(withoutStorage)).toEqual(localArrays.map(withoutStorage));
        for (const a of remoteArrays) expect(a.storage).toEqual({ storedBytes: null, writtenObjects: null });
        expect(await remote.listGroups()).toEqual(await local.listGroups());
        for (const a of localArrays.filter((x) => x.unreadableReason === null && x.chunks !== null)) {
          const last = a.shape.map((size, axis) => Math.max(0, Math.ceil(size / a.chunks![axis]!) - 1));
          expect(await remote.readChunk(a.path, last)).toEqual(await local.readChunk(a.path, last));
        }
      });
    },
  );

  it("reads sharded v3 arrays with range requests, values equal to the directory store's", async () => {
    server.options = {};
    server.ranges.length = 0;
    server.requests.length = 0;
    const arrays = ["/3d.chunked.compressed.sharded.i2", "/2d.chunked.ragged.compressed.sharded.i2", "/2d.chunked.compressed.sharded.filled.i2"];
    await withBoth("zarr-python/v3/data.zarr", arrays, async (local, remote) => {
      for (const path of arrays) {
        const d = await local.describe(path);
        expect(d.shards).not.toBeNull();
        expect(withoutStorage(await remote.describe(path))).toEqual(withoutStorage(d));
        expect(await remote.readRegion(path, d.shape.map(() => 0), d.shape)).toEqual(await local.readRegion(path, d.shape.map(() => 0), d.shape));
      }
    });
    // Shard indexes by suffix range, inner chunks by byte range: no shard is fetched whole.
    expect(server.ranges.some((r) => /\/3d\.chunked\.compressed\.sharded\.i2\/c\/\S+ bytes=-\d+$/.test(r))).toBe(true);
    expect(server.ranges.some((r) => /\/3d\.chunked\.compressed\.sharded\.i2\/c\/\S+ bytes=\d+-\d+$/.test(r))).toBe(true);
    expect(server.requests.filter((url) => url.includes("/c/") && !server.ranges.some((r) => r.startsWith(`${url} `)))).toEqual([]);
  });

  it("without consolidated metadata: says the store cannot be listed, and reads the arrays named", async () => {
    server.options = {};
    const remote = await openDataset(`${server.url}/zarr-python/v3/data.zarr`);
    const err = await failure(remote.listArrays());
    expect(err.tag).toBe("UsageError");
    expect(err.message).toContain("no consolidated metadata and HTTP cannot list it: name the array with --array");
    // An array named later is still found by its path (what worker threads do).
    expect((await remote.describe("/1d.chunked.i2")).shape).toEqual([4]);
    await remote.close();
    await withBoth("zarr-python/v3/data.zarr", ["1d.chunked.i2"], async (local, named) => {
      expect((await named.listArrays()).map(withoutStorage)).toEqual([withoutStorage(await local.describe("/1d.chunked.i2"))]);
    });
    await withBoth("advise/era5_like.zarr", ["/tas"], async (local, named) => {
      expect((await named.listArrays()).map(withoutStorage)).toEqual((await local.listArrays()).map(withoutStorage));
    });
  });

  it("a named array that is not there is NotFoundError (exit 2)", async () => {
    const err = await failure(openDataset(`${server.url}/advise/era5_like.zarr`, { arrayPaths: ["/nope"] }));
    expect(err.tag).toBe("NotFoundError");
    expect(err.exitCode).toBe(2);
    // A path leading out of the store is not followed up the server's tree.
    server.requests.length = 0;
    const outside = await failure(openDataset(`${server.url}/advise/era5_like.zarr`, { arrayPaths: ["../../zarr2/climate.zarr/tas"] }));
    expect(outside.tag).toBe("NotFoundError");
    expect(server.requests.some((url) => url.includes("climate"))).toBe(false);
  });

  it("a URL with no Zarr store behind it is NotFoundError (exit 2)", async () => {
    const err = await failure(openDataset(`${server.url}/zarr2/nothing.zarr`));
    expect(err.tag).toBe("NotFoundError");
    expect(err.exitCode).toBe(2);
    expect(err.path).toBe(`${server.url}/zarr2/nothing.zarr`);
  });

  it("recovers from injected 5xx answers and connection resets while reading", async () => {
    server.options = { fault: ({ n }) => (n % 3 === 0 ? "503" : n % 3 === 1 ? "reset" : null) };
    process.env.CHUNKWISE_HTTP_RETRIES = "6";
    try {
      const remote = await openDataset(`${server.url}/zarr2/climate.zarr`);
      const local = await openDataset(fixture("zarr2", "climate.zarr"));
      expect(await remote.readRegion("/tas", [0, 0, 0], [4, 73, 144])).toEqual(await local.readRegion("/tas", [0, 0, 0], [4, 73, 144]));
      await remote.close();
      await local.close();
    } finally {
      delete process.env.CHUNKWISE_HTTP_RETRIES;
      server.options = {};
    }
  });
});

describe("resolveLocation", () => {
  it("maps s3:// to the bucket's HTTPS endpoint", () => {
    expect(resolveLocation("s3://era5-pds/zarr/2020/data.zarr", { region: "us-west-2" })).toBe("https://era5-pds.s3.us-west-2.amazonaws.com/zarr/2020/data.zarr");
    expect(resolveLocation("s3://my.dotted.bucket/a b.zarr", { region: "eu-central-1" })).toBe("https://s3.eu-central-1.amazonaws.com/my.dotted.bucket/a%20b.zarr");
    expect(resolveLocation("s3://bucket/x.zarr", { endpoint: "https://storage.googleapis.com/" })).toBe("https://storage.googleapis.com/bucket/x.zarr");
    expect(resolveLocation("https://host/x.zarr")).toBe("https://host/x.zarr");
    expect(resolveLocation("data/x.zarr")).toBe("data/x.zarr");
  });

  it("refuses what it cannot map", () => {
    expect(() => resolveLocation("data.zarr", { region: "us-west-2" })).toThrow("--region and --endpoint apply only to s3:// locations");
    expect(() => resolveLocation("s3://Bad_Bucket/x")).toThrow("not a valid S3 bucket name");
    expect(() => resolveLocation("s3://bucket/x", { region: "mars" })).toThrow("not an AWS region name");
    expect(() => resolveLocation("https://user:pw@host/x")).toThrow("credentials in URLs are not supported");
    expect(() => resolveLocation("s3://bucket/x", { endpoint: "ftp://host" })).toThrow("only http:// and https://");
  });
});
