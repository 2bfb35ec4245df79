/**
 * A static HTTP server on 127.0.0.1 for the remote-store tests: serves a directory with Range
 * support (bytes=a-b, bytes=a-, bytes=-n), no directory listings, and faults on demand — a fixed
 * latency before every response, 5xx answers, connection resets, truncated bodies, 403s.
 */
import { readFile, stat } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

export type Fault = "500" | "503" | "429" | "reset" | "truncate" | "403" | "hang";

export interface ServerOptions {
  /** Milliseconds to wait before answering every request. */
  latencyMs?: number;
  /** A fault for a request, decided per request (n counts every request, from 1); null to serve it. */
  fault?: (request: { url: string; n: number }) => Fault | null;
  /** Answer Range requests with the whole object and 200, as some static servers do. */
  ignoreRange?: boolean;
}

export interface TestServer {
  readonly url: string;
  /** Every request path served or refused, in order. */
  readonly requests: string[];
  /** The Range header of every request that had one, as "path bytes=…". */
  readonly ranges: string[];
  options: ServerOptions;
  close(): Promise<void>;
}

export async function startServer(root: string, options: ServerOptions = {}): Promise<TestServer> {
  const requests: string[] = [];
  const ranges: string[] = [];
  const state: TestServer = { url: "", requests, ranges, options, close: async () => undefined };
  const server = http.createServer((req, res) => {
    void (async () => {
      const n = requests.push(req.url ?? "");
      if (req.headers.range !== undefined) ranges.push(`${req.url ?? ""} ${req.headers.range}`);
      const { latencyMs = 0, fault } = state.options;
      if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
      const failure = fault?.({ url: req.url ?? "", n }) ?? null;
      if (failure === "reset") {
        req.socket.destroy();
        return;
      }
      if (failure === "hang") return;
      if (failure === "500" || failure === "503" || failure === "429" || failure === "403") {
        res.writeHead(Number(failure), { "content-length": "0" });
        res.end();
        return;
      }
      const relative = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
      const file = path.join(root, ...relative.split("/").filter((p) => p !== "" && p !== ".."));
      const info = await stat(file).catch(() => null);
      if (!info?.isFile()) {
        res.writeHead(404, { "content-length": "0" });
        res.end();
        return;
      }
      let body: Buffer = await readFile(file);
      let status = 200;
      const range = state.options.ignoreRange ? null : /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? "");
      if (range) {
        const start = range[1] === "" ? Math.max(0, body.length - Number(range[2])) : Number(range[1]);
        const end = range[1] === "" || range[2] === "" ? body.length : Math.min(body.length, Number(range[2]) + 1);
        body = body.subarray(start, end);
        status = 206;
      }
      if (req.method === "HEAD") {
        res.writeHead(status, { "content-length": String(body.length) });
        res.end();
        return;
      }
      if (failure === "truncate") {
        res.writeHead(status, { "content-length": String(body.length) });
        res.flushHeaders();
        await new Promise((resolve) => setTimeout(resolve, 20));
        res.write(body.subarray(0, Math.floor(body.length / 2)));
        await new Promise((resolve) => setTimeout(resolve, 20));
        req.socket.destroy();
        return;
      }
      res.writeHead(status, { "content-length": String(body.length) });
      res.end(body);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return state;
}
