/**
 * Summing the sizes of many files fast. On this kind of machine one stat() costs ~4–6 µs of
 * kernel time, so a million chunk files cost seconds on one thread: batches of paths go to
 * worker threads that stat synchronously (no per-call promise or thread-pool hop), while the
 * main thread goes on listing directories. Small stores never start a worker.
 */
import { lstatSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { ChunkwiseError, fromSystemError } from "../../errors.js";

/** Paths per message to a worker; below this many in total, the main thread stats them itself. */
const BATCH = 8192;

interface Tally {
  files: number;
  bytes: number;
}

interface WorkerReply {
  readonly files: number;
  readonly bytes: number;
  readonly error?: { readonly code: string | undefined; readonly path: string; readonly message: string };
}

/** One message to a worker: a directory (absolute and normalized: paths are built by plain concatenation, which costs a third of path.join) and "\n"-separated names of files in it. */
interface Batch {
  readonly dir: string;
  readonly names: string;
}

/**
 * The worker: lstat every file of a batch, reply with the count and total size of the regular
 * files found (a symbolic link is not one: it is never followed out of the store); a vanished file is skipped, any other failure is reported with its path.
 * Plain CommonJS evaluated in place, so it runs the same from the TypeScript sources and from dist/.
 */
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { lstatSync } = require("node:fs");
parentPort.on("message", ({ dir, names }) => {
  let files = 0, bytes = 0;
  for (const name of names.split("\\n")) {
    const path = dir + "/" + name;
    let stats;
    try {
      stats = lstatSync(path, { throwIfNoEntry: false });
    } catch (err) {
      parentPort.postMessage({ files, bytes, error: { code: err.code, path, message: String(err.message) } });
      return;
    }
    if (stats && stats.isFile()) { files++; bytes += stats.size; }
  }
  parentPort.postMessage({ files, bytes });
});
`;

class StatWorker {
  readonly #worker: Worker;
  #waiting: { resolve: (reply: WorkerReply) => void; reject: (err: unknown) => void } | undefined;

  constructor() {
    this.#worker = new Worker(WORKER_SOURCE, { eval: true });
    this.#worker.unref();
    this.#worker.on("message", (reply: WorkerReply) => {
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting?.resolve(reply);
    });
    this.#worker.on("error", (err) => {
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting?.reject(err);
    });
  }

  run(batch: Batch): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
      this.#worker.postMessage(batch);
    });
  }

  async terminate(): Promise<void> {
    await this.#worker.terminate();
  }
}

/** Sizes of files on disk, added file by file, summed at the end. */
export class FileSizeSum {
  #pendingDir = "";
  #pending: string[] = [];
  #total = 0;
  readonly #tally: Tally = { files: 0, bytes: 0 };
  readonly #queue: Batch[] = [];
  readonly #idle: StatWorker[] = [];
  readonly #all: StatWorker[] = [];
  readonly #running = new Set<Promise<void>>();
  #failure: unknown;

  /** Count the file `name` of directory `dir` (absolute path). */
  add(dir: string, name: string): void {
    if (dir !== this.#pendingDir) this.#flush();
    this.#pendingDir = dir;
    this.#pending.push(name);
    this.#total++;
    if (this.#pending.length >= BATCH) this.#flush();
    if (this.#total >= BATCH && this.#queue.length > 0) this.#dispatch();
  }

  #flush(): void {
    if (this.#pending.length > 0) this.#queue.push({ dir: this.#pendingDir, names: this.#pending.join("\n") });
    this.#pending = [];
  }

  /** Wait for every stat and return the number of regular files found and their total size. */
  async finish(): Promise<{ files: number; bytes: number }> {
    try {
      this.#flush();
      if (this.#total < BATCH) {
        for (const batch of this.#queue.splice(0)) this.#statHere(batch);
      } else {
        this.#dispatch();
        while (this.#running.size > 0) await Promise.race(this.#running);
      }
      if (this.#failure !== undefined) throw this.#failure;
      return { ...this.#tally };
    } finally {
      await Promise.all(this.#all.map((worker) => worker.terminate()));
    }
  }

  #statHere(batch: Batch): void {
    for (const name of batch.names.split("\n")) {
      const path = `${batch.dir}/${name}`;
      let stats;
      try {
        stats = lstatSync(path, { throwIfNoEntry: false });
      } catch (err) {
        throw fromSystemError(err, path);
      }
      if (stats?.isFile()) {
        this.#tally.files++;
        this.#tally.bytes += stats.size;
      }
    }
  }

  #dispatch(): void {
    while (this.#queue.length > 0 && this.#failure === undefined) {
      let worker = this.#idle.pop();
      if (!worker && this.#all.length < workerCount()) {
        worker = new StatWorker();
        this.#all.push(worker);
      }
      if (!worker) return;
      const batch = this.#queue.shift()!;
      const job: Promise<void> = worker.run(batch).then(
        (reply) => {
          this.#tally.files += reply.files;
          this.#tally.bytes += reply.bytes;
          if (reply.error) this.#failure ??= systemError(reply.error);
          this.#running.delete(job);
          this.#idle.push(worker);
          this.#dispatch();
        },
        (err: unknown) => {
          this.#failure ??= err;
          this.#running.delete(job);
        },
      );
      this.#running.add(job);
    }
  }
}

function workerCount(): number {
  return Math.max(1, Math.min(availableParallelism(), 4));
}

function systemError(error: NonNullable<WorkerReply["error"]>): unknown {
  const err = Object.assign(new Error(error.message), { code: error.code });
  const mapped = fromSystemError(err, error.path);
  return mapped instanceof ChunkwiseError ? mapped : new ChunkwiseError("IOError", error.message, { path: error.path, cause: err });
}
