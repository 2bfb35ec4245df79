/**
 * How `chunkwise rechunk` speaks: the plan (human table and JSON), the result, and the progress
 * bar on stderr (redrawn in place on a TTY, plain periodic lines otherwise, none with --json).
 */
import type { ArrayDecision, RechunkReport } from "../app/rechunk.js";
import type { ExecutionProgress } from "../rechunk/executor.js";
import type { StagePlan } from "../rechunk/plan.js";
import { formatDuration, formatSize } from "../units.js";
import { chalk } from "./style.js";
import { renderTable } from "./table.js";

const shapeText = (shape: readonly number[] | null): string => (shape === null ? "contiguous" : shape.length === 0 ? "()" : shape.join("×"));

function stageText(stage: StagePlan): string {
  const reads = stage.partialReads ? `${stage.readOps} partial reads (~${formatSize(stage.decodedBytes)} decoded)` : `${stage.readOps} reads`;
  return `${stage.from}→${stage.to}: read ${shapeText(stage.readChunks)}, write ${shapeText(stage.writeChunks)}, ${stage.tasks} tasks of ${shapeText(stage.taskBlock)}, ${reads}, ${stage.writeOps} writes, ${formatSize(stage.taskMemoryBytes)}/task`;
}

export function renderRechunk(report: RechunkReport): string {
  const lines: string[] = [];
  const verb = report.dryRun ? "Plan" : report.partition ? `Partition ${report.partition.index}/${report.partition.count}` : report.resumed ? "Resumed" : "Rechunked";
  lines.push(chalk.bold(`${verb}: ${report.source} (${report.sourceFormat}) → ${report.destination} (${report.outputFormat})`));
  lines.push(
    `memory bound ${formatSize(report.maxMemBytes)} (${report.maxMemSource}), ${report.threads} threads, codec ${report.codec ? `${report.codec.name}${report.codec.level === undefined ? "" : `:${report.codec.level}`}` : "as the source"}`,
  );
  lines.push("");
  const rows = report.arrays.map((a: ArrayDecision) => [
    a.path,
    shapeText(a.shape),
    a.dtype,
    shapeText(a.sourceChunks),
    a.rechunked ? chalk.bold(shapeText(a.targetChunks)) : `${shapeText(a.targetChunks)} (copy)`,
    a.targetShards ? shapeText(a.targetShards) : "-",
    String(a.plan.stages.length),
    formatSize(a.plan.peakMemoryBytes),
    formatSize(a.plan.temporaryBytes),
  ]);
  lines.push(
    renderTable(
      [
        { header: "array" },
        { header: "shape" },
        { header: "dtype" },
        { header: "source chunks" },
        { header: "target chunks" },
        { header: "shards" },
        { header: "stages", align: "right" },
        { header: "peak mem", align: "right" },
        { header: "temp", align: "right" },
      ],
      rows,
      (h) => chalk.bold(h),
    ),
  );
  for (const a of report.arrays.filter((x) => x.plan.stages.length > 1 || x.rechunked)) {
    lines.push("");
    lines.push(`${a.path}:`);
    for (const stage of a.plan.stages) lines.push(`  stage ${stage.index + 1} ${stageText(stage)}`);
  }
  lines.push("");
  const t = report.totals;
  lines.push(
    `total: ${formatSize(t.logicalBytes)} of data, ${formatSize(t.bytesToMove)} moved, peak ${formatSize(t.peakMemoryBytes)} + fixed overhead, temporary ${formatSize(t.temporaryBytes)}, predicted ${formatDuration(t.predictedSeconds)} (cost model)`,
  );
  if (report.execution) {
    const e = report.execution;
    const rate = e.seconds > 0 ? e.bytesCopied / e.seconds : 0;
    lines.push(`ran ${e.tasksRun} tasks (${e.tasksSkipped} already done) in ${formatDuration(e.seconds)}, ${formatSize(rate)}/s`);
  }
  if (report.partition) {
    const p = report.partition;
    lines.push(`partition ${p.index}/${p.count}: ${p.stagesDone.length === 0 ? "no stage run" : `stage ${p.stagesDone.join(" and ")} share done`}; when every partition is done: chunkwise finalize ${report.destination}`);
  } else if (report.verification) {
    const v = report.verification;
    lines.push(`verified (${v.mode}): ${v.unitsChecked} of ${v.unitsTotal} chunks equal the source`);
  } else if (!report.dryRun) {
    lines.push("not verified (--verify none)");
  }
  if (report.peakRssBytes !== null) lines.push(`peak RSS ${formatSize(report.peakRssBytes)}`);
  for (const warning of report.warnings) lines.push(chalk.yellow(`warning: ${warning}`));
  if (report.dryRun) lines.push(chalk.dim("dry run: nothing was written"));
  return lines.join("\n");
}

const stageJson = (s: StagePlan) => ({
  from: s.from,
  to: s.to,
  read_chunks: s.readChunks,
  write_chunks: s.writeChunks,
  task_block: s.taskBlock,
  tasks: s.tasks,
  partial_reads: s.partialReads === true,
  read_ops: s.readOps,
  decoded_bytes: s.decodedBytes ?? null,
  write_ops: s.writeOps,
  task_memory_bytes: s.taskMemoryBytes,
});

export function rechunkJson(report: RechunkReport): Record<string, unknown> {
  return {
    source: report.source,
    destination: report.destination,
    source_format: report.sourceFormat,
    output_format: report.outputFormat,
    dry_run: report.dryRun,
    resumed: report.resumed,
    max_mem_bytes: report.maxMemBytes,
    max_mem_source: report.maxMemSource,
    threads: report.threads,
    codec: report.codec,
    arrays: report.arrays.map((a) => ({
      path: a.path,
      shape: a.shape,
      dtype: a.dtype,
      dimension_names: a.dimensionNames,
      source_chunks: a.sourceChunks,
      target_chunks: a.targetChunks,
      target_shards: a.targetShards,
      rechunked: a.rechunked,
      plan: {
        stages: a.plan.stages.map(stageJson),
        intermediate_chunks: a.plan.intermediateChunks,
        peak_task_memory_bytes: a.plan.peakTaskMemoryBytes,
        peak_memory_bytes: a.plan.peakMemoryBytes,
        temporary_bytes: a.plan.temporaryBytes,
        logical_bytes: a.plan.logicalBytes,
        predicted_seconds: a.plan.predictedSeconds,
      },
    })),
    totals: {
      logical_bytes: report.totals.logicalBytes,
      bytes_to_move: report.totals.bytesToMove,
      temporary_bytes: report.totals.temporaryBytes,
      peak_memory_bytes: report.totals.peakMemoryBytes,
      predicted_seconds: report.totals.predictedSeconds,
    },
    execution: report.execution && {
      tasks_run: report.execution.tasksRun,
      tasks_skipped: report.execution.tasksSkipped,
      bytes_copied: report.execution.bytesCopied,
      seconds: report.execution.seconds,
    },
    verification: report.verification && {
      mode: report.verification.mode,
      units_checked: report.verification.unitsChecked,
      units_total: report.verification.unitsTotal,
      seconds: report.verification.seconds,
    },
    warnings: report.warnings,
    peak_rss_bytes: report.peakRssBytes,
    partition: report.partition && { index: report.partition.index, count: report.partition.count, stages_done: report.partition.stagesDone },
  };
}

/** One progress line: bar, bytes done/total, MB/s and ETA. */
export function progressLine(progress: ExecutionProgress, elapsedSeconds: number, width = 24, bar = true): string {
  const { doneBytes, totalBytes, resumedBytes } = progress;
  const fraction = totalBytes === 0 ? 1 : Math.min(1, doneBytes / totalBytes);
  const rate = elapsedSeconds > 0 ? (doneBytes - resumedBytes) / elapsedSeconds : 0;
  const eta = rate > 0 ? (totalBytes - doneBytes) / rate : Infinity;
  const filled = Math.round(fraction * width);
  const drawn = bar ? `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ` : "";
  const etaText = doneBytes >= totalBytes ? "done" : Number.isFinite(eta) ? `ETA ${formatDuration(eta)}` : "ETA -";
  return `${drawn}${(fraction * 100).toFixed(1)}% ${formatSize(doneBytes)}/${formatSize(totalBytes)} ${(rate / 1e6).toFixed(1)} MB/s ${etaText}`;
}

export interface ProgressSink {
  readonly isTTY: boolean;
  write(text: string): void;
}

/**
 * Progress on stderr: on a TTY one line redrawn in place at most 10 times a second; otherwise a
 * plain line every `intervalSeconds` (and a last one at the end).
 */
export class ProgressReporter {
  private readonly started: number;
  private lastDraw = -Infinity;
  private last: ExecutionProgress | null = null;

  constructor(
    private readonly sink: ProgressSink,
    private readonly intervalSeconds = 10,
    private readonly clock: () => number = () => performance.now() / 1000,
  ) {
    this.started = clock();
  }

  update(progress: ExecutionProgress): void {
    this.last = progress;
    const now = this.clock();
    const minGap = this.sink.isTTY ? 0.1 : this.intervalSeconds;
    if (now - this.lastDraw < minGap) return;
    this.lastDraw = now;
    this.draw(progress, now);
  }

  finish(): void {
    if (this.last !== null) this.draw(this.last, this.clock());
    if (this.sink.isTTY && this.last !== null) this.sink.write("\n");
  }

  private draw(progress: ExecutionProgress, now: number): void {
    const line = progressLine(progress, now - this.started, 24, this.sink.isTTY);
    this.sink.write(this.sink.isTTY ? `\r\x1b[2K${line}` : `rechunk: ${line}\n`);
  }
}
