import type { ProbeResult } from "../app/probe.js";
import type { CostFigure } from "../model/cost-model.js";
import { formatDuration, formatSize } from "../units.js";
import { chalk } from "./style.js";
import { renderTable } from "./table.js";

const shape = (s: readonly number[]): string => `(${s.join(", ")})`;
const pct = (f: number): string => `${(f * 100).toFixed(f < 0.1 ? 1 : 0)} %`;
const rate = (bytesPerSecond: number): string => `${formatSize(bytesPerSecond)}/s`;

const figureLabels: Record<CostFigure, string> = {
  perTaskOverheadSeconds: "per-task overhead",
  perChunkReadSeconds: "fixed cost per task (read latency)",
  throughputBytesPerSecond: "throughput per thread",
  spillSecondsPerByte: "spill penalty",
  workingMemoryFactor: "working memory factor",
};

function figureValue(result: ProbeResult, figure: CostFigure): string {
  const m = result.model;
  switch (figure) {
    case "perTaskOverheadSeconds":
      return formatDuration(m.perTaskOverheadSeconds);
    case "perChunkReadSeconds":
      return formatDuration(m.perChunkReadSeconds);
    case "throughputBytesPerSecond":
      return rate(m.throughputBytesPerSecond);
    case "spillSecondsPerByte":
      return `${formatDuration(m.spillSecondsPerByte * 2 ** 20)} per MiB`;
    case "workingMemoryFactor":
      return `${m.workingMemoryFactor}×`;
  }
}

export function renderProbe(result: ProbeResult, saved: { model?: string; report?: string } = {}): string {
  const lines: string[] = [];
  const a = result.array;
  lines.push(`${chalk.bold(result.location)}  ${a.path} ${shape(a.shape)} ${a.dtype}, storage chunks ${a.chunks ? shape(a.chunks) : "contiguous"}`);
  lines.push(`${result.threads} threads, memory limit ${formatSize(result.memoryLimitBytes)}, ${result.kernel} reduction, ${result.elapsedSeconds.toFixed(1)} s of a ${result.budgetSeconds} s budget`);
  lines.push("");
  lines.push(chalk.bold("Measured model"));
  for (const figure of Object.keys(figureLabels) as CostFigure[]) {
    const source = result.model.sources[figure];
    lines.push(`  ${figureLabels[figure].padEnd(36)} ${figureValue(result, figure).padEnd(16)} ${source === "measured" ? chalk.green("measured") : chalk.yellow("assumed")}`);
  }
  const o = result.overhead;
  lines.push(`  overhead: ${o.tasks} empty tasks in ${formatDuration(o.wallSeconds)} (median round trip ${formatDuration(o.medianRoundTripSeconds)})`);
  lines.push(`  fit: time per task = ${formatDuration(result.fit.fixedSeconds)} + bytes / ${result.fit.secondsPerByte === null ? "?" : rate(1 / result.fit.secondsPerByte)} — ${result.fit.quality}`);
  if (result.remote) {
    const levels = result.remote.levels.map((l) => `${formatDuration(l.medianFirstByteSeconds)} at ${l.concurrency} in flight`).join(", ");
    lines.push(`  remote: time to first byte ${levels}; one response streams at ${result.remote.transferBytesPerSecond === null ? "? (bodies under 64 KiB)" : rate(result.remote.transferBytesPerSecond)}`);
    lines.push(`  ${chalk.dim("every storage chunk read waits for the first byte: on this store larger storage chunks (or shards) pay off — see docs/remote.md")}`);
  }
  lines.push("");
  lines.push(chalk.bold("Time per task: predicted vs measured (worker time; scheduler overhead not included)"));
  const rows = result.sweep.map((s) => [
    s.chunks.length ? shape(s.chunks) : "?",
    String(Math.round(s.storageChunks)),
    formatSize(s.bytes),
    String(s.tasks),
    formatDuration(s.measuredSeconds),
    formatDuration(s.predictedSeconds),
    `${s.measuredSeconds > 0 ? (((s.predictedSeconds - s.measuredSeconds) / s.measuredSeconds) * 100).toFixed(0) : "–"} %`,
    pct(s.overheadShare),
  ]);
  lines.push(
    renderTable(
      [
        { header: "compute chunk" },
        { header: "storage chunks", align: "right" },
        { header: "bytes", align: "right" },
        { header: "tasks", align: "right" },
        { header: "measured", align: "right" },
        { header: "predicted", align: "right" },
        { header: "error", align: "right" },
        { header: "fixed share", align: "right" },
      ],
      rows,
      chalk.dim,
    )
      .split("\n")
      .map((l) => `  ${l}`)
      .join("\n"),
  );
  lines.push("");
  const sp = result.spill;
  if (sp) {
    lines.push(chalk.bold("Spill"));
    lines.push(
      `  persist of ${sp.tasks} chunks ${shape(sp.chunks)} = ${formatSize(sp.workingSetBytes)} with limit ${formatSize(sp.limitBytes)}: ${formatSize(sp.spilledBytes)} spilled` +
        `${sp.spillBytesPerSecond === null ? "" : ` at ${rate(sp.spillBytesPerSecond)}`}, ${formatSize(sp.readBackBytes)} read back, ${sp.pauses} pauses`,
    );
    lines.push(`  ${formatDuration(sp.limitedSeconds)} limited vs ${formatDuration(sp.unlimitedSeconds)} unlimited → ${sp.penaltySecondsPerByte === null ? "no penalty measured" : `${formatDuration(sp.penaltySecondsPerByte * 2 ** 20)} per MiB spilled`}`);
    lines.push("");
  }
  lines.push(chalk.bold("Recommendation"));
  const r = result.range;
  const rangeText = r.minBytes > r.maxBytes ? chalk.yellow(`none: fixed costs need ≥ ${formatSize(r.minBytes)}, memory allows ≤ ${formatSize(r.maxBytes)}`) : `${formatSize(r.minBytes)} … ${formatSize(r.maxBytes)}`;
  lines.push(`  chunk sizes with fixed costs < 10 % and memory under the spill threshold: ${rangeText}`);
  const rec = result.recommended;
  lines.push(`  compute chunk ${chalk.green(shape(rec.chunks))} = ${formatSize(rec.bytes)}: ${formatDuration(rec.predictedSeconds)} per task, fixed share ${pct(rec.overheadShare)}`);
  lines.push(`  ${chalk.dim(rec.reason)}`);
  for (const note of result.notes) lines.push(`  ${chalk.dim(`note: ${note}`)}`);
  if (saved.model) lines.push(`\nModel written to ${saved.model} (use: chunkwise advise PATH --model ${saved.model})`);
  if (saved.report) lines.push(`${saved.model ? "" : "\n"}Report written to ${saved.report}`);
  return lines.join("\n");
}

/** The JSON document (snake_case); the per-task timelines stay in the HTML report. */
export function probeJson(result: ProbeResult, saved: { model?: string; report?: string } = {}): Record<string, unknown> {
  const m = result.model;
  return {
    location: result.location,
    array: { path: result.array.path, shape: result.array.shape, dtype: result.array.dtype, storage_chunks: result.array.chunks },
    threads: result.threads,
    memory_limit_bytes: result.memoryLimitBytes,
    kernel: result.kernel,
    budget_s: result.budgetSeconds,
    elapsed_s: result.elapsedSeconds,
    model: {
      per_task_overhead_s: m.perTaskOverheadSeconds,
      per_chunk_read_s: m.perChunkReadSeconds,
      throughput_bytes_per_s: m.throughputBytesPerSecond,
      spill_s_per_byte: m.spillSecondsPerByte,
      working_memory_factor: m.workingMemoryFactor,
      sources: {
        per_task_overhead_s: m.sources.perTaskOverheadSeconds,
        per_chunk_read_s: m.sources.perChunkReadSeconds,
        throughput_bytes_per_s: m.sources.throughputBytesPerSecond,
        spill_s_per_byte: m.sources.spillSecondsPerByte,
        working_memory_factor: m.sources.workingMemoryFactor,
      },
      notes: m.notes,
    },
    overhead: {
      tasks: result.overhead.tasks,
      wall_s: result.overhead.wallSeconds,
      per_task_s: result.overhead.perTaskSeconds,
      median_round_trip_s: result.overhead.medianRoundTripSeconds,
    },
    fit: {
      fixed_s: result.fit.fixedSeconds,
      s_per_byte: result.fit.secondsPerByte,
      r_squared: result.fit.rSquared,
      median_relative_error: result.fit.medianRelativeError,
      points: result.fit.points,
      sizes: result.fit.sizes,
      quality: result.fit.quality,
    },
    sweep: result.sweep.map((s) => ({
      compute_chunks: s.chunks,
      storage_chunks_per_task: s.storageChunks,
      bytes: s.bytes,
      tasks: s.tasks,
      measured_s: s.measuredSeconds,
      predicted_s: s.predictedSeconds,
      fixed_share: s.overheadShare,
    })),
    spill: result.spill && {
      compute_chunks: result.spill.chunks,
      tasks: result.spill.tasks,
      working_set_bytes: result.spill.workingSetBytes,
      limit_bytes: result.spill.limitBytes,
      spilled_bytes: result.spill.spilledBytes,
      read_back_bytes: result.spill.readBackBytes,
      spill_s: result.spill.spillSeconds,
      pauses: result.spill.pauses,
      unlimited_s: result.spill.unlimitedSeconds,
      limited_s: result.spill.limitedSeconds,
      spill_bytes_per_s: result.spill.spillBytesPerSecond,
      penalty_s_per_byte: result.spill.penaltySecondsPerByte,
    },
    remote: result.remote && {
      url: result.remote.url,
      first_byte_s: result.remote.firstByteSeconds,
      transfer_bytes_per_s: result.remote.transferBytesPerSecond,
      levels: result.remote.levels.map((l) => ({
        concurrency: l.concurrency,
        chunk_reads: l.chunkReads,
        requests: l.requests,
        bytes: l.bytes,
        wall_s: l.wallSeconds,
        median_first_byte_s: l.medianFirstByteSeconds,
        median_transfer_bytes_per_s: l.medianTransferBytesPerSecond,
        aggregate_bytes_per_s: l.aggregateBytesPerSecond,
      })),
    },
    range: { min_bytes: result.range.minBytes, max_bytes: result.range.maxBytes, max_fixed_share: 0.1, spill_fraction: 0.6 },
    recommended: {
      compute_chunks: result.recommended.chunks,
      bytes: result.recommended.bytes,
      predicted_s: result.recommended.predictedSeconds,
      fixed_share: result.recommended.overheadShare,
      reason: result.recommended.reason,
    },
    tasks_recorded: result.runs.reduce((n, r) => n + r.tasks.length, 0),
    notes: result.notes,
    model_file: saved.model ?? null,
    report_file: saved.report ?? null,
  };
}
