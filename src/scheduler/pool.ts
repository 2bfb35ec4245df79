/**
 * The worker threads behind a Scheduler, and starting them early.
 *
 * A thread takes ~0.3 s of CPU to boot and import its modules. A command that will run tasks
 * can start its threads before its own modules load (prestartPool, from bin/run.js): on a
 * machine with spare cores they boot while the main thread is still loading, and the first
 * Scheduler with the same threads and preloads adopts them instead of starting its own.
 *
 * Light on purpose: loaded before the command's modules.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";

/**
 * The file: URL of a compiled module next to `fromUrl` (an `import.meta.url`). Worker threads
 * load JavaScript only: when the caller itself runs from TypeScript sources (vitest), the
 * compiled twin under dist/ is used, so `npm run build` must have run.
 */
export function compiledModuleUrl(fromUrl: string, relativeJs: string): string {
  const url = new URL(relativeJs, fromUrl);
  if (fromUrl.endsWith(".ts")) {
    const at = url.pathname.lastIndexOf("/src/");
    if (at >= 0) url.pathname = `${url.pathname.slice(0, at)}/dist/${url.pathname.slice(at + 5)}`;
  }
  return url.href;
}

export const BUILTIN_WORKER = compiledModuleUrl(import.meta.url, "./worker.js");

/** What each thread is given when it starts (piscina's workerData). */
export interface WorkerStartData {
  /** Module URLs every thread imports as it starts, before its first task. */
  readonly preload: readonly string[];
}

/** A pool of exactly `threads` threads, each importing `preload` as it starts. */
export function startPool(threads: number, preload: readonly string[]): Piscina {
  if (!existsSync(fileURLToPath(BUILTIN_WORKER))) {
    throw new Error(`worker module ${fileURLToPath(BUILTIN_WORKER)} is missing: build first (npm run build)`);
  }
  const workerData: WorkerStartData = { preload };
  return new Piscina({ filename: BUILTIN_WORKER, minThreads: threads, maxThreads: threads, idleTimeout: 60_000, workerData });
}

let prestarted: { pool: Piscina; threads: number; preload: readonly string[] } | null = null;

/** Start a pool now, for the first Scheduler created with the same `threads` and `preload` (one at a time: a second call returns the first pool). */
export function prestartPool(threads: number, preload: readonly string[]): Piscina {
  prestarted ??= { pool: startPool(threads, preload), threads, preload };
  return prestarted.pool;
}

/**
 * The prestarted pool if it matches, else a new one. A prestarted pool that does not match is
 * destroyed: it would only hold threads nothing uses.
 */
export function adoptOrStartPool(threads: number, preload: readonly string[]): Piscina {
  const waiting = prestarted;
  prestarted = null;
  if (waiting !== null) {
    const matches = waiting.threads === threads && waiting.preload.length === preload.length && waiting.preload.every((url, i) => url === preload[i]);
    if (matches) return waiting.pool;
    void waiting.pool.destroy();
  }
  return startPool(threads, preload);
}

/** Destroy the prestarted pool if nothing adopted it (a command that ended early), so its threads do not hold the process. */
export async function releasePrestartedPool(): Promise<void> {
  const waiting = prestarted;
  prestarted = null;
  await waiting?.pool.destroy();
}
