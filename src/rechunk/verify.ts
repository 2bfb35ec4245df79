/**
 * Verification of a finished output against its source, on the scheduler: `full` checks every
 * output chunk, `sample` a random subset (at least 8 chunks or 2 % of them per array, at most
 * 256). Memory stays at a few chunks per thread; each side is read once (see verifyOutput).
 */
import { ChunkwiseError } from "../errors.js";
import { ceilDiv, product } from "../model/layout.js";
import { Scheduler } from "../scheduler/index.js";
import type { TaskSpec } from "../scheduler/types.js";
import { RECHUNK_WORKER } from "./prestart.js";
import { type Checksum, addChecksum, emptyChecksum } from "./checksum.js";
import { cellsIn, ravel, unravel } from "./plan.js";
import type { ChecksumEntries, ChecksumOutputPayload, ChecksumSourcePayload, VerifyPayload, VerifyResult } from "./worker.js";

export type VerifyMode = "full" | "sample" | "none";

export interface VerifyArray {
  readonly path: string;
  readonly shape: readonly number[];
  readonly itemSize: number;
  readonly targetChunks: readonly number[];
  readonly targetShards: readonly number[] | null;
  readonly sourceChunks: readonly number[] | null;
  /** Numeric (and bool) data is checked by checksums, anything else value by value. */
  readonly numeric: boolean;
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

const CHUNKS_PER_SOURCE_TASK = 256;
const UNITS_PER_TASK = 64;

interface Planned {
  readonly tasks: TaskSpec[];
  /** Per array: the output chunks checked (linear indexes), null for all of them. */
  readonly checks: { readonly array: VerifyArray; readonly grid: readonly number[]; readonly picked: readonly number[] | null; readonly sourceIds: string[]; readonly outputIds: string[] }[];
  readonly unitsTotal: number;
  readonly unitsChecked: number;
}

function* batches<T>(items: Iterable<T>, size: number): Generator<T[]> {
  let batch: T[] = [];
  for (const item of items) {
    batch.push(item);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

function planChecks(request: VerifyRequest): Planned {
  const random = request.random ?? Math.random;
  const tasks: TaskSpec[] = [];
  const checks: Planned["checks"][number][] = [];
  let unitsTotal = 0;
  let unitsChecked = 0;
  const perThread = request.maxMemBytes / request.threads;
  request.arrays.forEach((array, arrayIndex) => {
    // By the chunk, not the shard: the output is read chunk by chunk.
    const units = array.targetChunks;
    const grid = array.shape.map((n, axis) => ceilDiv(n, units[axis]!));
    const total = product(grid);
    unitsTotal += total;
    if (total === 0) return;
    const picked = request.mode === "full" ? null : sampleIndexes(total, sampleSize(total), random);
    unitsChecked += picked?.length ?? total;
    const unitCoordsList = (): Iterable<number[]> =>
      picked ? picked.map((i) => unravel(i, grid)) : (function* () { for (let i = 0; i < total; i++) yield unravel(i, grid); })();
    const unitBytes = product(units) * array.itemSize;
    const check = { array, grid, picked, sourceIds: [] as string[], outputIds: [] as string[] };
    checks.push(check);
    if (!array.numeric) {
      // Strings and objects: compared value by value, chunk by chunk.
      let n = 0;
      for (const unitCoords of batches(unitCoordsList(), UNITS_PER_TASK)) {
        const id = `verify ${arrayIndex} direct ${n++}`;
        check.outputIds.push(id);
        tasks.push({
          id,
          op: "verifyUnits",
          module: RECHUNK_WORKER,
          label: `verify ${array.path} from chunk [${unitCoords[0]!.join(", ")}]`,
          memoryBytes: 4 * unitBytes,
          payload: { source: request.source, output: request.output, array: array.path, shape: array.shape, itemSize: array.itemSize, sourceChunks: array.sourceChunks, units, unitCoords } satisfies VerifyPayload,
        });
      }
      return;
    }
    let n = 0;
    for (const unitCoords of batches(unitCoordsList(), UNITS_PER_TASK)) {
      const id = `verify ${arrayIndex} output ${n++}`;
      check.outputIds.push(id);
      tasks.push({
        id,
        op: "checksumOutput",
        module: RECHUNK_WORKER,
        label: `checksum ${request.output} ${array.path} from chunk [${unitCoords[0]!.join(", ")}]`,
        memoryBytes: 2 * unitBytes,
        payload: { location: request.output, array: array.path, shape: array.shape, units, unitCoords } satisfies ChecksumOutputPayload,
      });
    }
    const common = { location: request.source, array: array.path, shape: array.shape, itemSize: array.itemSize, units, selected: picked };
    n = 0;
    if (array.sourceChunks === null) {
      // Contiguous source: read exactly the checked chunks' regions.
      for (const unitCoords of batches(unitCoordsList(), UNITS_PER_TASK)) {
        const regions = unitCoords.map((c) => {
          const start = c.map((x, axis) => x * units[axis]!);
          return { start, stop: start.map((x, axis) => Math.min(array.shape[axis]!, x + units[axis]!)) };
        });
        const id = `verify ${arrayIndex} source ${n++}`;
        check.sourceIds.push(id);
        tasks.push({ id, op: "checksumSource", module: RECHUNK_WORKER, label: `checksum ${request.source} ${array.path}`, memoryBytes: 2 * unitBytes, payload: { ...common, sourceChunks: null, chunkCoords: [], regions } satisfies ChecksumSourcePayload });
      }
      return;
    }
    // Chunked source: every source chunk that overlaps a checked output chunk, read once.
    const sourceChunks = array.sourceChunks.map((c, axis) => Math.max(1, Math.min(c, array.shape[axis]!)));
    const sourceGrid = array.shape.map((s, axis) => ceilDiv(s, sourceChunks[axis]!));
    let needed: Iterable<number[]>;
    if (picked === null) {
      needed = (function* () { for (let i = 0; i < product(sourceGrid); i++) yield unravel(i, sourceGrid); })();
    } else {
      const set = new Set<number>();
      for (const coords of unitCoordsList()) {
        const start = coords.map((x, axis) => x * units[axis]!);
        const stop = start.map((x, axis) => Math.min(array.shape[axis]!, x + units[axis]!));
        for (const cell of cellsIn({ start, stop }, sourceChunks, array.shape)) set.add(ravel(cell.coords, sourceGrid));
      }
      needed = [...set].sort((a, b) => a - b).map((i) => unravel(i, sourceGrid));
    }
    const chunkBytes = product(sourceChunks) * array.itemSize;
    for (const chunkCoords of batches(needed, Math.max(1, Math.min(CHUNKS_PER_SOURCE_TASK, Math.floor(perThread / (3 * chunkBytes)))))) {
      const id = `verify ${arrayIndex} source ${n++}`;
      check.sourceIds.push(id);
      tasks.push({
        id,
        op: "checksumSource",
        module: RECHUNK_WORKER,
        label: `checksum ${request.source} ${array.path} from chunk [${chunkCoords[0]!.join(", ")}]`,
        memoryBytes: 3 * chunkBytes,
        payload: { ...common, sourceChunks, chunkCoords, regions: [] } satisfies ChecksumSourcePayload,
      });
    }
  });
  return { tasks, checks, unitsTotal, unitsChecked };
}

function mismatchError(output: string, array: string, unit: readonly number[], index: readonly number[] | null): ChunkwiseError {
  const where = index ? ` (first at index [${index.join(", ")}])` : "";
  return new ChunkwiseError("CheckFailedError", `verification failed: ${array} chunk [${unit.join(", ")}] differs from the source${where}`, { path: output });
}

/**
 * Verify the output against the source. Numeric arrays by position-keyed checksums (checksum.ts):
 * the source is read once — each source chunk that overlaps a checked output chunk, whatever the
 * two chunkings — and each checked output chunk once; a chunk whose checksums differ is then
 * compared value by value to name the first differing element. Other data value by value.
 */
export async function verifyOutput(request: VerifyRequest): Promise<VerifySummary> {
  const started = performance.now();
  const planned = planChecks(request);
  if (planned.tasks.length > 0) {
    const scheduler = new Scheduler({ threads: request.threads, maxInFlight: request.threads, preload: [RECHUNK_WORKER] });
    try {
      const run = await scheduler.run(planned.tasks, { memory: { limitBytes: request.maxMemBytes, pauseFraction: 1, targetFraction: 1 } });
      try {
        for (const check of planned.checks) {
          if (!check.array.numeric) {
            for (const id of check.outputIds) {
              const { meta } = await run.result<VerifyResult>(id);
              if (meta.mismatch !== null) throw mismatchError(request.output, check.array.path, meta.mismatch.unit, meta.mismatch.index);
            }
            continue;
          }
          const expected = new Map<number, Checksum>();
          for (const id of check.sourceIds) {
            for (const [unit, a, b] of (await run.result<ChecksumEntries>(id)).meta) {
              let sum = expected.get(unit);
              if (sum === undefined) expected.set(unit, (sum = emptyChecksum()));
              addChecksum(sum, { a, b });
            }
          }
          for (const id of check.outputIds) {
            for (const [unit, a, b] of (await run.result<ChecksumEntries>(id)).meta) {
              const want = expected.get(unit) ?? emptyChecksum();
              if (want.a !== a || want.b !== b) {
                const coords = unravel(unit, check.grid);
                throw mismatchError(request.output, check.array.path, coords, await locate(scheduler, request, check.array, coords));
              }
            }
          }
        }
      } finally {
        await run.dispose();
      }
    } finally {
      await scheduler.close();
    }
  }
  return { mode: request.mode, unitsChecked: planned.unitsChecked, unitsTotal: planned.unitsTotal, seconds: (performance.now() - started) / 1000 };
}

/** The first differing element of one output chunk, by direct comparison (null if none found). */
async function locate(scheduler: Scheduler, request: VerifyRequest, array: VerifyArray, unit: readonly number[]): Promise<readonly number[] | null> {
  const task: TaskSpec<VerifyPayload> = {
    id: "locate",
    op: "verifyUnits",
    module: RECHUNK_WORKER,
    label: `verify ${array.path} chunk [${unit.join(", ")}]`,
    payload: { source: request.source, output: request.output, array: array.path, shape: array.shape, itemSize: array.itemSize, sourceChunks: array.sourceChunks, units: array.targetChunks, unitCoords: [unit] },
  };
  const run = await scheduler.run([task]);
  try {
    return (await run.result<VerifyResult>("locate")).meta.mismatch?.index ?? null;
  } finally {
    await run.dispose();
  }
}
