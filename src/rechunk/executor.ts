/**
 * Runs the planned stages of a rechunk on the bundled scheduler. Stage by stage over all arrays
 * (every array's first stage, then the second stage of the two-stage ones), one task per block,
 * skipping the tasks the journal records as done. Output units (Zarr chunks and shards, staged
 * HDF5 chunks) and intermediate chunks are written by the workers in parallel, which journal each
 * task after its last unit.
 */
import { ChunkwiseError } from "../errors.js";
import { product } from "../model/layout.js";
import { Scheduler } from "../scheduler/index.js";
import type { TaskSpec } from "../scheduler/types.js";
import { type JournalState, isTaskDone } from "./journal.js";
import { type RechunkPlan, type StagePlan, stageTasks } from "./plan.js";
import { RECHUNK_WORKER } from "./prestart.js";
import type { BlockSource, BlockTarget, CopyBlockPayload } from "./worker.js";

export interface ArrayJob {
  /** The array's path, the same in source and output. */
  readonly path: string;
  readonly plan: RechunkPlan;
  /** Typed array class name of the decoded values (for the intermediate store), e.g. "Float32Array". */
  readonly elementType: string | null;
}

export interface ExecutionProgress {
  readonly doneBytes: number;
  readonly totalBytes: number;
  /** Bytes already done by an earlier run (resumed). */
  readonly resumedBytes: number;
}

export interface ExecuteRequest {
  readonly source: string;
  readonly output: string;
  readonly stateDir: string;
  readonly arrays: readonly ArrayJob[];
  readonly threads: number;
  readonly maxMemBytes: number;
  readonly journal: JournalState;
  readonly onProgress?: (progress: ExecutionProgress) => void;
  /** fsync every file and journal line (see durability.ts). Default false. */
  readonly durable?: boolean;
  /** Write output chunk files with O_DIRECT where the file system takes it (see direct-io.ts). Default false. */
  readonly directIo?: boolean;
  /** Start writing output chunk files back to the disk as they are written (see write-behind.ts). Default false. */
  readonly writeBehind?: boolean;
  /** Test hook: every worker thread kills the process after writing this many units. */
  readonly killAfterUnits?: number;
  /** Run only the tasks this accepts (a partition's share); the others are neither run nor counted. Default: all. */
  readonly selected?: (array: string, stage: number, task: number) => boolean;
}

export interface ExecutionSummary {
  readonly tasksRun: number;
  readonly tasksSkipped: number;
  readonly bytesCopied: number;
  readonly seconds: number;
}

export function scratchDirectory(stateDir: string, arrayIndex: number): string {
  return `${stateDir}/scratch/${arrayIndex}`;
}

function taskBytes(stage: StagePlan, shape: readonly number[], itemSize: number, index: number): number {
  const coords = index;
  let bytes = itemSize;
  let rest = coords;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    const c = rest % stage.taskGrid[axis]!;
    rest = Math.floor(rest / stage.taskGrid[axis]!);
    const start = c * stage.taskBlock[axis]!;
    bytes *= Math.min(shape[axis]!, start + stage.taskBlock[axis]!) - start;
  }
  return bytes;
}

export async function executeRechunk(request: ExecuteRequest): Promise<ExecutionSummary> {
  const started = performance.now();
  const selected = request.selected;
  const totalBytes =
    selected === undefined
      ? request.arrays.reduce((sum, job) => sum + job.plan.logicalBytes * job.plan.stages.length, 0)
      : request.arrays.reduce(
          (sum, job) =>
            sum +
            job.plan.stages.reduce((s, stage, stageIndex) => {
              for (let task = 0; task < stage.tasks; task++) if (selected(job.path, stageIndex, task)) s += taskBytes(stage, job.plan.shape, job.plan.itemSize, task);
              return s;
            }, 0),
          0,
        );
  let doneBytes = 0;
  let resumedBytes = 0;
  let tasksRun = 0;
  let tasksSkipped = 0;
  const report = (): void => request.onProgress?.({ doneBytes, totalBytes, resumedBytes });
  const maxStages = Math.max(0, ...request.arrays.map((job) => job.plan.stages.length));
  const scheduler = new Scheduler({ threads: request.threads, maxInFlight: request.threads, preload: [RECHUNK_WORKER] });
  // Every thread's arena is sized for the largest block of the job at once: memory touched for
  // the first time costs a page fault per 4 KiB, so it is touched once, not again per stage.
  const arenaBytes = Math.max(0, ...request.arrays.flatMap((job) => job.plan.stages.map((stage) => product(stage.taskBlock) * job.plan.itemSize)));
  try {
    for (let stageIndex = 0; stageIndex < maxStages; stageIndex++) {
      const tasks: TaskSpec<CopyBlockPayload>[] = [];
      const bytesOf = new Map<string, number>();
      request.arrays.forEach((job, arrayIndex) => {
        const stage = job.plan.stages[stageIndex];
        if (stage === undefined) return;
        const { shape, itemSize } = job.plan;
        const source: BlockSource =
          stage.from === "source"
            ? { kind: "dataset", location: request.source, array: job.path, chunks: stage.readChunks }
            : {
                kind: "scratch",
                directory: scratchDirectory(request.stateDir, arrayIndex),
                chunks: stage.readChunks!,
                groups: job.plan.stages[stageIndex - 1]!.taskBlock,
                elementType: job.elementType!,
              };
        const target: BlockTarget =
          stage.to === "intermediate"
            ? { kind: "scratch", directory: scratchDirectory(request.stateDir, arrayIndex) }
            : { kind: "output", location: request.output, array: job.path };
        if (stage.to === "intermediate" && job.elementType === null) {
          throw new ChunkwiseError("UnsupportedError", `${job.path}: a two-stage rechunk needs numeric data; raise --max-mem so that one stage fits`);
        }
        for (const task of stageTasks(shape, stage)) {
          if (selected !== undefined && !selected(job.path, stageIndex, task.index)) continue;
          const bytes = taskBytes(stage, shape, itemSize, task.index);
          if (isTaskDone(request.journal, job.path, stageIndex, task.index)) {
            tasksSkipped++;
            doneBytes += bytes;
            resumedBytes += bytes;
            continue;
          }
          const id = `${job.path}#${stageIndex}#${task.index}`;
          bytesOf.set(id, bytes);
          tasks.push({
            id,
            op: "copyBlock",
            module: RECHUNK_WORKER,
            label: `${job.path} stage ${stageIndex + 1} block [${task.coords.join(", ")}]`,
            memoryBytes: stage.taskMemoryBytes,
            payload: {
              shape,
              itemSize,
              region: { start: task.start, stop: task.stop },
              source,
              target,
              units: stage.writeChunks,
              arenaBytes,
              unitBytes: product(stage.writeChunks) * itemSize,
              journal: { stateDir: request.stateDir, array: job.path, stage: stageIndex, task: task.index },
              durable: request.durable ?? false,
              directIo: request.directIo ?? false,
              writeBehind: request.writeBehind ?? false,
              ...(request.killAfterUnits === undefined ? {} : { killAfterUnits: request.killAfterUnits }),
            },
          });
        }
      });
      report();
      if (tasks.length === 0) continue;
      const memory = { limitBytes: request.maxMemBytes, pauseFraction: 1, targetFraction: 1 };
      let finished = 0;
      const perTask = [...bytesOf.values()];
      const run = await scheduler.run(tasks, {
        memory,
        onProgress: (p) => {
          // Tasks finish in any order; progress counts them at their mean size.
          while (finished < p.done) doneBytes += perTask[finished++]!;
          report();
        },
      });
      await run.dispose();
      tasksRun += tasks.length;
    }
  } finally {
    await scheduler.close();
  }
  return { tasksRun, tasksSkipped, bytesCopied: doneBytes - resumedBytes, seconds: (performance.now() - started) / 1000 };
}
