/**
 * Verification of a finished output against its source, on the scheduler: `full` compares every
 * target chunk, `sample` a random subset (at least 8 chunks or 2 % of them per array, at most
 * 256). Values are compared bit for bit, chunk by chunk: the output chunk is read whole, the same
 * region of the source is assembled from the source chunks one at a time, so memory stays at a
 * few chunks per thread. The price: a source chunk is decoded once for every output chunk it
 * overlaps (a full check of a map→time-series rechunk re-reads the source many times).
 */
import { ChunkwiseError } from "../errors.js";
import { ceilDiv, product } from "../model/layout.js";
import { Scheduler } from "../scheduler/index.js";
import type { TaskSpec } from "../scheduler/types.js";
import { RECHUNK_WORKER } from "./executor.js";
import { unravel } from "./plan.js";
import type { VerifyPayload, VerifyResult } from "./worker.js";

export type VerifyMode = "full" | "sample" | "none";

export interface VerifyArray {
  readonly path: string;
  readonly shape: readonly number[];
  readonly itemSize: number;
  readonly targetChunks: readonly number[];
  readonly targetShards: readonly number[] | null;
  readonly sourceChunks: readonly number[] | null;
}

export interface VerifyRequest {
  readonly source: string;
  readonly output: string;
  readonly arrays: readonly VerifyArray[];
  readonly mode: Exclude<VerifyMode, "none">;
  readonly threads: number;
  readonly maxMemBytes: number;
  /** Random numbers in [0, 1) for the sample (default Math.random). */
  readonly random?: () => number;
}

export interface VerifySummary {
  readonly mode: Exclude<VerifyMode, "none">;
  readonly unitsChecked: number;
  readonly unitsTotal: number;
  readonly seconds: number;
}

const MIN_SAMPLE = 8;
const MAX_SAMPLE = 256;
const SAMPLE_FRACTION = 0.02;

/** How many of `total` units a sample checks. */
export function sampleSize(total: number): number {
  return Math.min(total, Math.max(MIN_SAMPLE, Math.min(MAX_SAMPLE, Math.ceil(total * SAMPLE_FRACTION))));
}

/** `count` distinct integers in [0, total), sorted. */
export function sampleIndexes(total: number, count: number, random: () => number): number[] {
  const chosen = new Set<number>();
  if (count >= total) return Array.from({ length: total }, (_, i) => i);
  while (chosen.size < count) chosen.add(Math.floor(random() * total));
  return [...chosen].sort((a, b) => a - b);
}

export async function verifyOutput(request: VerifyRequest): Promise<VerifySummary> {
  const started = performance.now();
  const random = request.random ?? Math.random;
  const tasks: TaskSpec<VerifyPayload>[] = [];
  let unitsTotal = 0;
  let unitsChecked = 0;
  for (const array of request.arrays) {
    // Compare by the chunk (not the shard): smaller reads, same coverage.
    const units = array.targetChunks;
    const grid = array.shape.map((n, axis) => ceilDiv(n, units[axis]!));
    const total = product(grid);
    unitsTotal += total;
    if (total === 0) continue;
    const picked = request.mode === "full" ? null : sampleIndexes(total, sampleSize(total), random);
    const count = picked?.length ?? total;
    unitsChecked += count;
    const unitBytes = product(units) * array.itemSize;
    const perTask = Math.max(1, Math.min(64, Math.floor(request.maxMemBytes / request.threads / (4 * unitBytes))));
    for (let first = 0; first < count; first += perTask) {
      const unitCoords: number[][] = [];
      for (let i = first; i < Math.min(count, first + perTask); i++) unitCoords.push(unravel(picked ? picked[i]! : i, grid));
      tasks.push({
        id: `verify ${array.path} ${first}`,
        op: "verifyUnits",
        module: RECHUNK_WORKER,
        label: `verify ${array.path} from chunk [${unitCoords[0]!.join(", ")}]`,
        memoryBytes: 4 * unitBytes,
        payload: {
          source: request.source,
          output: request.output,
          array: array.path,
          shape: array.shape,
          itemSize: array.itemSize,
          sourceChunks: array.sourceChunks,
          units,
          unitCoords,
        },
      });
    }
  }
  if (tasks.length > 0) {
    const scheduler = new Scheduler({ threads: request.threads, maxInFlight: request.threads });
    try {
      const run = await scheduler.run(tasks, { memory: { limitBytes: request.maxMemBytes, pauseFraction: 1, targetFraction: 1 } });
      for (const task of tasks) {
        const { meta } = await run.result<VerifyResult>(task.id);
        if (meta.mismatch !== null) {
          await run.dispose();
          throw new ChunkwiseError(
            "CheckFailedError",
            `verification failed: ${task.payload.array} chunk [${meta.mismatch.unit.join(", ")}] differs from the source (first at index [${meta.mismatch.index.join(", ")}])`,
            { path: request.output },
          );
        }
      }
      await run.dispose();
    } finally {
      await scheduler.close();
    }
  }
  return { mode: request.mode, unitsChecked, unitsTotal, seconds: (performance.now() - started) / 1000 };
}
