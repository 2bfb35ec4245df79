/**
 * The one place chunkwise talks HTTP: every request of a remote store goes through `HttpClient`,
 * which adds what the platform's fetch lacks — a timeout per request (headers and body), retries
 * with exponential backoff on 5xx, 429, timeouts, connection resets and truncated bodies, a limit
 * on requests in flight, a check of the body against Content-Length, and one-line errors with
 * chunkwise's exit codes. Bodies are read whole before a response is handed on, so the timing of
 * each request (time to first byte, transfer) is known and can be observed.
 */
import { ChunkwiseError } from "../../errors.js";

export interface HttpClientOptions {
  /** Seconds one attempt may take, headers and body (default 30, env CHUNKWISE_HTTP_TIMEOUT). */
  readonly timeoutSeconds?: number;
  /** Retries after the first attempt (default 4, env CHUNKWISE_HTTP_RETRIES). */
  readonly retries?: number;
  /** First backoff in seconds, doubled on every retry, with jitter, at most 5 s (default 0.2). */
  readonly backoffSeconds?: number;
  /** Requests in flight at once (default 16, env CHUNKWISE_HTTP_CONCURRENCY). */
  readonly concurrency?: number;
}

/** The timing of one successful request, as `observe` sees it. */
export interface RequestTiming {
  readonly url: string;
  readonly status: number;
  readonly bytes: number;
  /** Seconds from sending the request to its response headers (time to first byte). */
  readonly firstByteSeconds: number;
  /** Seconds from sending the request to the last byte of its body. */
  readonly totalSeconds: number;
  /** Requests of this client in flight when this one was sent (itself included). */
  readonly inFlight: number;
}

const MAX_BACKOFF_SECONDS = 5;
const RETRYABLE_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "UND_ERR_SOCKET", "UND_ERR_CLOSED", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

function envNumber(name: string, fallback: number, integer: boolean, min: number): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new ChunkwiseError("UsageError", `environment variable ${name} must be ${integer ? "a whole number" : "a number"} of at least ${min}, got "${text}"`);
  }
  return value;
}

/** Why one attempt failed, and whether another attempt may succeed. */
interface AttemptFailure {
  readonly retryable: boolean;
  readonly error: ChunkwiseError;
  /** Seconds the server asked us to wait (Retry-After), when it did. */
  readonly retryAfterSeconds?: number;
}

export class HttpClient {
  readonly timeoutSeconds: number;
  readonly retries: number;
  readonly backoffSeconds: number;
  readonly concurrency: number;
  #active = 0;
  readonly #waiting: (() => void)[] = [];
  readonly #observers = new Set<(timing: RequestTiming) => void>();

  constructor(options: HttpClientOptions = {}) {
    this.timeoutSeconds = options.timeoutSeconds ?? envNumber("CHUNKWISE_HTTP_TIMEOUT", 30, false, 0.001);
    this.retries = options.retries ?? envNumber("CHUNKWISE_HTTP_RETRIES", 4, true, 0);
    this.backoffSeconds = options.backoffSeconds ?? 0.2;
    this.concurrency = options.concurrency ?? envNumber("CHUNKWISE_HTTP_CONCURRENCY", 16, true, 1);
  }

  /** Call `listener` with the timing of every successful request until the returned function is called. */
  observe(listener: (timing: RequestTiming) => void): () => void {
    this.#observers.add(listener);
    return () => this.#observers.delete(listener);
  }

  /**
   * fetch, made dependable: resolves with a response whose body is already complete (any status
   * below 500 except 429, which are retried), or rejects with a ChunkwiseError naming the URL.
   * 401/403 are refused here (anonymous access only); 404 is handed on (a missing key).
   */
  readonly fetch = async (request: Request): Promise<Response> => {
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.#limited(() => this.#attempt(request));
      if (outcome instanceof Response) return outcome;
      if (!outcome.retryable || attempt >= this.retries) {
        if (attempt === 0 || !outcome.retryable) throw outcome.error;
        throw new ChunkwiseError(outcome.error.tag, `${outcome.error.message} (${attempt + 1} attempts)`, { path: outcome.error.path, cause: outcome.error.cause });
      }
      const backoff = Math.min(MAX_BACKOFF_SECONDS, this.backoffSeconds * 2 ** attempt) * (0.5 + Math.random() / 2);
      await sleep(1000 * Math.max(backoff, Math.min(MAX_BACKOFF_SECONDS, outcome.retryAfterSeconds ?? 0)));
    }
  };

  async #limited<T>(task: () => Promise<T>): Promise<T> {
    while (this.#active >= this.concurrency) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#active++;
    try {
      return await task();
    } finally {
      this.#active--;
      this.#waiting.shift()?.();
    }
  }

  async #attempt(request: Request): Promise<Response | AttemptFailure> {
    const url = request.url;
    const signal = AbortSignal.timeout(this.timeoutSeconds * 1000);
    const inFlight = this.#active;
    const start = performance.now();
    let response: Response;
    try {
      response = await fetch(new Request(request, { signal }));
    } catch (err) {
      return this.#networkFailure(err, url, signal);
    }
    const firstByte = performance.now();
    const { status } = response;
    if (status === 401 || status === 403) {
      await response.body?.cancel();
      return {
        retryable: false,
        error: new ChunkwiseError("PermissionError", `HTTP ${status} ${response.statusText || "Forbidden"}: access denied (chunkwise reads remote stores anonymously; private buckets are not supported)`, { path: url }),
      };
    }
    if (status >= 500 || status === 429) {
      await response.body?.cancel();
      const retryAfter = Number(response.headers.get("retry-after"));
      return {
        retryable: true,
        error: new ChunkwiseError("IOError", `HTTP ${status} ${response.statusText}`.trim(), { path: url }),
        ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}),
      };
    }
    if (status === 404) {
      await response.body?.cancel();
      return new Response(null, { status, statusText: response.statusText });
    }
    if (status !== 200 && status !== 206) {
      await response.body?.cancel();
      return { retryable: false, error: new ChunkwiseError("IOError", `unexpected HTTP ${status} ${response.statusText}`.trim(), { path: url }) };
    }
    let body: Uint8Array;
    try {
      body = await readBody(response, url);
    } catch (err) {
      if (err instanceof ChunkwiseError) return { retryable: true, error: err };
      return this.#networkFailure(err, url, signal);
    }
    const range = request.headers.get("range");
    if (range !== null && status === 200) body = applyRange(body, range, url);
    const end = performance.now();
    const timing: RequestTiming = { url, status, bytes: body.byteLength, firstByteSeconds: (firstByte - start) / 1000, totalSeconds: (end - start) / 1000, inFlight };
    for (const observer of this.#observers) observer(timing);
    return new Response(body, { status: range !== null ? 206 : status, headers: { "content-length": String(body.byteLength) } });
  }

  #networkFailure(err: unknown, url: string, signal: AbortSignal): AttemptFailure {
    if (signal.aborted) {
      return { retryable: true, error: new ChunkwiseError("IOError", `timed out: no complete response within ${this.timeoutSeconds} s`, { path: url, cause: err }) };
    }
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const code = cause?.code ?? (err as { code?: string }).code;
    if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
      return { retryable: code === "EAI_AGAIN", error: new ChunkwiseError("IOError", `cannot reach host ${new URL(url).host}: name not resolved (${code})`, { path: url, cause: err }) };
    }
    if (code === "ECONNREFUSED" || code === "EHOSTUNREACH" || code === "ENETUNREACH") {
      return { retryable: code === "ECONNREFUSED", error: new ChunkwiseError("IOError", `cannot reach host ${new URL(url).host}: ${code}`, { path: url, cause: err }) };
    }
    if (code === "UND_ERR_SOCKET" || code === "ECONNRESET") {
      return { retryable: true, error: new ChunkwiseError("IOError", `connection closed by the server before the response was complete (${code})`, { path: url, cause: err }) };
    }
    const detail = code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
    return { retryable: code === undefined || RETRYABLE_CODES.has(code), error: new ChunkwiseError("IOError", `connection failed: ${detail}`, { path: url, cause: err }) };
  }
}

/** The whole body, checked against Content-Length when the server sent one for an unencoded body. */
async function readBody(response: Response, url: string): Promise<Uint8Array> {
  const declared = response.headers.get("content-length");
  const encoded = (response.headers.get("content-encoding") ?? "identity") !== "identity";
  const expected = declared === null || encoded ? null : Number(declared);
  const parts: Uint8Array[] = [];
  let received = 0;
  if (response.body !== null) {
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value);
        received += value.byteLength;
      }
    } catch (err) {
      if (expected !== null && received < expected) throw truncated(url, received, expected, err);
      throw err;
    }
  }
  if (expected !== null && received !== expected) throw truncated(url, received, expected);
  const body = new Uint8Array(received);
  let offset = 0;
  for (const part of parts) {
    body.set(part, offset);
    offset += part.byteLength;
  }
  return body;
}

function truncated(url: string, received: number, expected: number, cause?: unknown): ChunkwiseError {
  return new ChunkwiseError("TruncatedError", `truncated response: ${received} of ${expected} bytes (Content-Length) arrived`, { path: url, cause });
}

/** A server that ignores Range sends the whole object with 200: cut out the part asked for. */
function applyRange(body: Uint8Array, range: string, url: string): Uint8Array {
  const match = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  if (!match || (match[1] === "" && match[2] === "")) throw new ChunkwiseError("IOError", `cannot apply range "${range}"`, { path: url });
  if (match[1] === "") return body.subarray(Math.max(0, body.byteLength - Number(match[2])));
  const start = Number(match[1]);
  const end = match[2] === "" ? body.byteLength : Math.min(body.byteLength, Number(match[2]) + 1);
  return body.subarray(start, end);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
