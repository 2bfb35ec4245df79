/**
 * Start a rechunk's worker threads before the command's modules load (called by bin/run.js).
 *
 * Loading oclif and chunkwise takes the main thread ~0.4 s; booting the threads another ~0.3 s
 * of CPU each, after it. Started here, they boot on the other cores meanwhile, and the
 * executor's Scheduler adopts them when its thread count is the one guessed here from the
 * arguments (--threads, else the usable cores, as the command decides). A wrong guess costs the
 * threads' boot and nothing else.
 */
import os from "node:os";
import { compiledModuleUrl, prestartPool, releasePrestartedPool } from "../scheduler/pool.js";

export { releasePrestartedPool };

export const RECHUNK_WORKER = compiledModuleUrl(import.meta.url, "./worker.js");

/** Arguments after which the rechunk command runs no tasks (or may not: a resume of a finished job). */
const RUNS_NO_TASKS = new Set(["--dry-run", "--finalize", "--help", "-h"]);

/** The thread count `rechunk` will use for these arguments, or null when it will run no tasks (or is not rechunk). */
export function rechunkThreads(argv: readonly string[], usableCores: number): number | null {
  if (argv[0] !== "rechunk") return null;
  let threads = usableCores;
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") break;
    if (RUNS_NO_TASKS.has(arg)) return null;
    if (arg !== "--threads" && !arg.startsWith("--threads=")) continue;
    const value = arg === "--threads" ? argv[++i] : arg.slice("--threads=".length);
    if (value === undefined || !/^[1-9]\d*$/.test(value)) return null;
    threads = Number(value);
  }
  return threads;
}

export function prestartRechunk(argv: readonly string[]): void {
  const threads = rechunkThreads(argv, os.availableParallelism());
  if (threads !== null) prestartPool(threads, [RECHUNK_WORKER]);
}
