import path from "node:path";
import type { AdviceReport } from "../app/advise.js";
import { axisLabel, formatAccessPattern } from "../model/access.js";
import type { ArrayAdvice, Comparison } from "../model/advise.js";
import type { CostFigure, CostModel } from "../model/cost-model.js";
import { type Finding, type Severity, plural } from "../model/findings.js";
import type { ComputePrediction } from "../model/predict.js";
import type { WorkloadCost } from "../model/storage.js";
import { formatDuration, formatSize } from "../units.js";
import { chalk } from "./style.js";
import { renderTable } from "./table.js";

const shapeText = (chunks: readonly number[] | null) => (chunks === null ? "contiguous" : `(${chunks.join(", ")})`);
const pct = (value: number) => `${(value * 100).toFixed(value < 0.1 ? 1 : 0)} %`;

const COST_LABELS: Readonly<Record<CostFigure, { key: string; label: string; show: (v: number) => string }>> = {
  perTaskOverheadSeconds: { key: "per_task_overhead_s", label: "per-task overhead", show: formatDuration },
  perChunkReadSeconds: { key: "per_chunk_read_s", label: "per-chunk read", show: formatDuration },
  throughputBytesPerSecond: { key: "throughput_bytes_per_s", label: "throughput per thread", show: (v) => `${formatSize(v)}/s` },
  spillSecondsPerByte: { key: "spill_s_per_byte", label: "spill", show: (v) => `${formatSize(1 / v)}/s` },
  workingMemoryFactor: { key: "working_memory_factor", label: "working memory", show: (v) => `${v}× chunk` },
};

// ---------------------------------------------------------------------------------------------
// Paste-ready lines
// ---------------------------------------------------------------------------------------------

/** Python dict/tuple of compute chunks, by dimension name where every axis has one. */
function pythonChunks(advice: ArrayAdvice, chunks: readonly number[]): { dict: string | null; tuple: string } {
  const names = advice.array.dimensionNames;
  const tuple = `(${chunks.join(", ")}${chunks.length === 1 ? "," : ""})`;
  if (names === null || names.some((n) => n === null)) return { dict: null, tuple };
  return { dict: `{${chunks.map((c, axis) => `"${names[axis]}": ${c}`).join(", ")}}`, tuple };
}

/** The ready-to-paste lines: open with the recommended compute chunks, and the rechunk command when a rewrite pays. */
function openLines(advice: ArrayAdvice, location: string, chunks: readonly number[], zarr: boolean): { xarray: string | null; dask: string } {
  const quoted = JSON.stringify(location);
  const { dict, tuple } = pythonChunks(advice, chunks);
  const xarray = dict === null ? null : zarr ? `xr.open_zarr(${quoted}, chunks=${dict})` : `xr.open_dataset(${quoted}, chunks=${dict})`;
  const component = advice.array.path === "/" ? "" : `, component=${JSON.stringify(advice.array.path.slice(1))}`;
  const dask = zarr
    ? `da.from_zarr(${quoted}${component}, chunks=${tuple})`
    : `da.from_array(h5py.File(${quoted}, "r")[${JSON.stringify(advice.array.path)}], chunks=${tuple})`;
  return { xarray, dask };
}

export interface PasteLines {
  /** Open today's data with the recommended compute chunks (null when none fits, or no dimension names for xarray). */
  readonly xarray: string | null;
  readonly dask: string | null;
  /** The storage rewrite, when it pays. */
  readonly rechunk: string | null;
  /** Open the rewritten data with the compute chunks that suit it. */
  readonly after_rechunk: string | null;
}

/** The ready-to-paste lines: open with the recommended compute chunks, and the rechunk command when a rewrite pays. */
export function pasteLines(location: string, advice: ArrayAdvice): PasteLines {
  const best = advice.compute.best;
  const isZarr = advice.array.format.startsWith("zarr");
  const today = best ? openLines(advice, location, best.chunks, isZarr) : null;
  let rechunk: string | null = null;
  let afterRechunk: string | null = null;
  const target = advice.storage.best?.storageChunks;
  if (advice.storage.verdict === "rechunk" && target) {
    const names = advice.array.dimensionNames;
    const spec = target.map((c, axis) => (names?.[axis] ? `${names[axis]}=${c}` : String(c)));
    const positional = names === null || names.some((n) => n === null);
    const destination = rechunkDestination(location);
    const parts = ["chunkwise rechunk", shellQuote(location), shellQuote(destination), "--chunks", positional ? target.join(",") : spec.join(",")];
    if (advice.array.path !== "/") parts.push("--array", shellQuote(advice.array.path));
    if (advice.storage.shards) parts.push("--format zarr3", "--shards", advice.storage.shards.join(","));
    rechunk = parts.join(" ");
    const after = advice.storage.best!.feasible ? openLines(advice, destination, advice.storage.best!.compute.chunks, isZarr || advice.storage.shards !== null) : null;
    afterRechunk = after ? (after.xarray ?? after.dask) : null;
  }
  return { xarray: today?.xarray ?? null, dask: today?.dask ?? null, rechunk, after_rechunk: afterRechunk };
}

function shellQuote(text: string): string {
  return /^[\w./=,:@%+-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}

// ---------------------------------------------------------------------------------------------
// Human output
// ---------------------------------------------------------------------------------------------

const severityColour: Record<Severity | "ok", (s: string) => string> = {
  error: (s) => chalk.red.bold(s),
  warning: (s) => chalk.yellow.bold(s),
  info: (s) => chalk.cyan(s),
  ok: (s) => chalk.green.bold(s),
};

function computeRow(label: string, p: ComputePrediction): string[] {
  return [
    label,
    shapeText(p.chunks),
    formatSize(p.chunkBytes),
    p.tasks.toLocaleString("en-US"),
    formatDuration(p.totalSeconds),
    `${formatSize(p.memoryPerWorkerBytes)} (${pct(p.memoryFraction)})`,
    pct(p.overheadShare),
    p.aligned ? "yes" : chalk.red("no"),
  ];
}

function storageRow(label: string, w: WorkloadCost, extra: string): string[] {
  return [
    label,
    shapeText(w.storageChunks),
    shapeText(w.compute.chunks),
    formatSize(w.chunkBytes),
    w.objectCount.toLocaleString("en-US"),
    `${formatDuration(w.seconds)}/${w.unit}`,
    `${w.readAmplification >= 100 ? Math.round(w.readAmplification).toLocaleString("en-US") : w.readAmplification.toFixed(1)}×`,
    w.feasible ? "yes" : chalk.red("no"),
    extra,
  ];
}

function comparisonRow(c: Comparison, unit: string): string[] {
  return [c.id, c.kind, shapeText(c.chunks), `${formatDuration(c.seconds)}/${unit}`, c.feasible ? "yes" : chalk.red("no"), c.why];
}

function indent(text: string, by = "  "): string {
  return text
    .split("\n")
    .map((line) => (line ? by + line : line))
    .join("\n");
}

function findingLines(f: Finding): string {
  const head = `${severityColour[f.severity](f.severity.padEnd(7))}  ${chalk.bold(f.id)}  ${f.figure.display} (threshold ${f.threshold.display})`;
  return `${head}\n         ${f.message}\n         ${chalk.dim("→")} ${f.advice}`;
}

export function renderArray(location: string, advice: ArrayAdvice): string {
  const { array, storage, compute } = advice;
  const out: string[] = [];
  const names = array.dimensionNames ? ` [${array.shape.map((_, axis) => axisLabel(axis, array.dimensionNames)).join(", ")}]` : "";
  out.push(
    `${chalk.bold(array.path)}  ${array.dtype} ${shapeText(array.shape)}${names}, ${formatSize(advice.layout.logicalBytes)}; storage ${shapeText(array.storageChunks)}${array.shards ? ` in shards ${shapeText(array.shards)}` : ""}, ${advice.layout.objectCount.toLocaleString("en-US")} objects${array.compressionRatio ? `, compression ${array.compressionRatio.toFixed(1)}:1` : ""}`,
  );
  out.push(`  access ${formatAccessPattern(advice.access, array.dimensionNames)}`);
  out.push(`  verdict  ${severityColour[advice.verdict.level](advice.verdict.level.toUpperCase())}  ${advice.verdict.text}`);
  out.push("");
  if (advice.findings.length === 0) out.push(`  findings  none${advice.silenced.length ? ` (silenced by policy: ${advice.silenced.join(", ")})` : ""}`);
  else {
    out.push(`  findings${advice.silenced.length ? chalk.dim(`  (silenced by policy: ${advice.silenced.join(", ")})`) : ""}`);
    for (const f of advice.findings) out.push(indent(findingLines(f), "    "));
  }
  out.push("");
  const computeRows = [computeRow(advice.currentGiven ? "given" : "today (1 task per storage chunk)", advice.current)];
  if (compute.best) computeRows.push(computeRow(chalk.green("recommended"), compute.best));
  else computeRows.push(computeRow(chalk.red("smallest allowed (over memory)"), compute.smallest));
  out.push(`  ${chalk.bold("compute chunks")}`);
  out.push(indent(renderTable([{ header: "" }, { header: "chunks" }, { header: "bytes", align: "right" }, { header: "tasks", align: "right" }, { header: "time/pass", align: "right" }, { header: "memory/worker", align: "right" }, { header: "overhead", align: "right" }, { header: "aligned" }], computeRows, chalk.dim), "    "));
  out.push("");
  out.push(`  ${chalk.bold("storage chunks")} ${chalk.dim(`(${storage.candidates} candidate layouts evaluated)`)}`);
  const storageRows = [storageRow("today", storage.today, storage.verdict === "keep" ? chalk.green("keep") : "")];
  if (storage.best) {
    const unit = storage.today.unit === "read" ? "reads" : "passes";
    const pays = storage.rewrite ? `rewrite ${formatDuration(storage.rewrite.seconds)}${storage.breakEven !== null ? `, pays after ${plural(storage.breakEven, unit)}` : ", never pays"}` : "";
    storageRows.push(storageRow(storage.verdict === "rechunk" ? chalk.green("recommended") : "best rewrite", storage.best, pays));
  }
  out.push(indent(renderTable([{ header: "" }, { header: "chunks" }, { header: "compute with" }, { header: "bytes", align: "right" }, { header: "objects", align: "right" }, { header: "cost", align: "right" }, { header: "amplif.", align: "right" }, { header: "fits" }, { header: "" }], storageRows, chalk.dim), "    "));
  if (storage.shards) out.push(`    as Zarr v3 shards of ${shapeText(storage.shards)}: fewer, larger objects`);
  out.push("");
  out.push(`  ${chalk.bold("what others would pick")} ${chalk.dim("(and why chunkwise differs)")}`);
  out.push(indent(renderTable([{ header: "tool" }, { header: "kind" }, { header: "chunks" }, { header: "cost", align: "right" }, { header: "fits" }, { header: "why not" }], advice.comparisons.map((c) => comparisonRow(c, c.kind === "compute" ? "pass" : storage.today.unit)), chalk.dim), "    "));
  const paste = pasteLines(location, advice);
  const lines = [paste.xarray, paste.dask, paste.rechunk, paste.after_rechunk && `${paste.after_rechunk}  ${chalk.dim("# after the rechunk")}`].filter((l): l is string => Boolean(l));
  if (lines.length > 0) {
    out.push("");
    out.push(`  ${chalk.bold("paste")}`);
    for (const line of lines) out.push(`    ${line}`);
  }
  return out.join("\n");
}

function costLines(cost: CostModel): string {
  const figures = (Object.keys(COST_LABELS) as CostFigure[]).map((figure) => {
    const { label, show } = COST_LABELS[figure];
    const source = cost.sources[figure];
    return `${label} ${show(cost[figure])} (${source === "measured" ? chalk.green("measured") : chalk.yellow("assumed")})`;
  });
  return `${chalk.bold("Cost model")}  ${figures.join(", ")}`;
}

export function renderAdvice(report: AdviceReport): string {
  const { machine, machineSource } = report;
  const src = (s: "flag" | "detected") => chalk.dim(s === "flag" ? "given" : "detected");
  const head = [
    `${chalk.bold("Advice")} for ${report.location} (${report.format}), access ${report.accessText}`,
    `${chalk.bold("Machine")}  ${machine.workers} worker(s) ${src(machineSource.workers)} × ${machine.threadsPerWorker} thread(s) ${src(machineSource.threads)}, ${formatSize(machine.memoryPerWorkerBytes)} per worker ${src(machineSource.memory)}`,
    costLines(report.cost),
  ];
  const body = report.arrays.map((advice) => renderArray(report.location, advice));
  const skipped = report.skipped.length ? [chalk.dim(`skipped: ${report.skipped.map((s) => `${s.path} (${s.reason})`).join(", ")}`)] : [];
  return [...head, "", body.join(`\n\n${chalk.dim("─".repeat(40))}\n\n`), ...(skipped.length ? ["", ...skipped] : [])].join("\n");
}

// ---------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------

function predictionJson(p: ComputePrediction): Record<string, unknown> {
  return {
    chunks: p.chunks,
    chunk_bytes: p.chunkBytes,
    tasks: p.tasks,
    aligned: p.aligned,
    storage_reads: p.storageReads,
    bytes_decoded: p.bytesDecoded,
    read_amplification: p.readAmplification,
    overhead_s: p.overheadSeconds,
    work_s: p.workSeconds,
    spill_s: p.spillSeconds,
    total_s: p.totalSeconds,
    overhead_share: p.overheadShare,
    memory_per_worker_bytes: p.memoryPerWorkerBytes,
    memory_fraction: p.memoryFraction,
    memory_state: p.memoryState,
    parallelism: p.parallelism,
  };
}

function workloadJson(w: WorkloadCost): Record<string, unknown> {
  return {
    chunks: w.storageChunks,
    chunk_bytes: w.chunkBytes,
    objects: w.objectCount,
    unit: w.unit,
    seconds: w.seconds,
    feasible: w.feasible,
    chunks_per_access: w.chunksPerAccess,
    read_amplification: w.readAmplification,
    compute_chunks: w.compute.chunks,
  };
}

export function findingJson(f: Finding): Record<string, unknown> {
  return { id: f.id, severity: f.severity, array: f.array, figure: f.figure, threshold: f.threshold, message: f.message, advice: f.advice };
}

export function costModelJson(cost: CostModel): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const figure of Object.keys(COST_LABELS) as CostFigure[]) out[COST_LABELS[figure].key] = { value: cost[figure], source: cost.sources[figure] };
  out.notes = cost.notes;
  return out;
}

export function arrayJson(location: string, advice: ArrayAdvice): Record<string, unknown> {
  const { array, storage, compute } = advice;
  return {
    path: array.path,
    format: array.format,
    dtype: array.dtype,
    shape: array.shape,
    dimension_names: array.dimensionNames,
    storage_chunks: array.storageChunks,
    shards: array.shards,
    logical_bytes: advice.layout.logicalBytes,
    compression_ratio: array.compressionRatio,
    sampled_compression_ratio: array.sampledCompressionRatio,
    access: formatAccessPattern(advice.access, array.dimensionNames),
    verdict: advice.verdict,
    findings: advice.findings.map(findingJson),
    silenced: advice.silenced,
    compute: {
      current_source: advice.currentGiven ? "given" : "storage_chunks",
      current: predictionJson(advice.current),
      recommended: compute.best ? predictionJson(compute.best) : null,
      smallest_allowed: predictionJson(compute.smallest),
      search: { method: compute.method, evaluated: compute.evaluated },
    },
    storage: {
      verdict: storage.verdict,
      today: workloadJson(storage.today),
      best: storage.best ? workloadJson(storage.best) : null,
      recommended_chunks: storage.verdict === "rechunk" ? (storage.best?.storageChunks ?? null) : null,
      recommended_shards: storage.verdict === "rechunk" ? storage.shards : null,
      candidates: storage.candidates,
      rewrite_s: storage.rewrite?.seconds ?? null,
      rewrite_stages: storage.rewrite?.stages ?? null,
      break_even: storage.breakEven,
      break_even_unit: storage.today.unit === "read" ? "reads" : "passes",
    },
    comparisons: advice.comparisons.map((c) => ({ tool: c.id, kind: c.kind, chunks: c.chunks, rule: c.rule, seconds: c.seconds, memory_fraction: c.memoryFraction, feasible: c.feasible, why: c.why })),
    paste: pasteLines(location, advice),
  };
}

export function adviceJson(report: AdviceReport, failOn: Severity | null, failed: boolean): Record<string, unknown> {
  const findings = report.arrays.flatMap((a) => a.findings);
  const countOf = (s: Severity) => findings.filter((f) => f.severity === s).length;
  return {
    location: report.location,
    format: report.format,
    access: report.accessText,
    machine: {
      workers: report.machine.workers,
      threads_per_worker: report.machine.threadsPerWorker,
      memory_per_worker_bytes: report.machine.memoryPerWorkerBytes,
      source: report.machineSource,
      detected: { memory_limit_bytes: report.detected.memory.limitBytes, memory_limit_source: report.detected.memory.limitSource, usable_cores: report.detected.cores.usable },
    },
    cost_model: costModelJson(report.cost),
    arrays: report.arrays.map((a) => arrayJson(report.location, a)),
    skipped: report.skipped,
    summary: { errors: countOf("error"), warnings: countOf("warning"), infos: countOf("info") },
    fail_on: failOn,
    failed,
  };
}

// ---------------------------------------------------------------------------------------------
// GitHub Actions workflow commands
// ---------------------------------------------------------------------------------------------

const escapeData = (s: string) => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");

/** `::error file=…,title=…::message`, one per finding (info → ::notice). */
export function githubAnnotation(location: string, f: Finding): string {
  const command = f.severity === "error" ? "error" : f.severity === "warning" ? "warning" : "notice";
  return `::${command} file=${escapeProperty(location)},title=${escapeProperty(`chunkwise ${f.id} (${f.array})`)}::${escapeData(`${f.array}: ${f.message}. ${f.advice}`)}`;
}

/** Where the suggested rechunk writes: beside a local source; in the working directory for a URL (rechunk writes only local paths). */
export function rechunkDestination(location: string): string {
  const trimmed = location.replace(/\/+$/, "");
  const local = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? path.posix.basename(new URL(trimmed).pathname) || "dataset" : trimmed;
  const ext = path.extname(local);
  return `${local.slice(0, local.length - ext.length)}.rechunked${ext || ".zarr"}`;
}
