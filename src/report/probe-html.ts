/**
 * `probe --report FILE.html`: one self-contained page (no script, no network: inline SVG and
 * CSS) with the three pictures a Dask user reads on the dashboard — the task stream, worker
 * memory, and the cost curve the model was fitted on.
 */
import type { ProbeResult, ProbeRun } from "../app/probe.js";
import type { PhaseName } from "../scheduler/types.js";
import { formatDuration, formatSize } from "../units.js";

const WIDTH = 1000;
const MARGIN = { left: 90, right: 20, top: 20, bottom: 40 };

const phaseColours: Record<PhaseName, string> = {
  queued: "#d9d9d9",
  read: "#4e79a7",
  compute: "#59a14f",
  write: "#b07aa1",
  return: "#f28e2b",
  spill: "#7f7f7f",
  unspill: "#bab0ac",
};

const esc = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const num = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : "0");

function axisTicks(min: number, max: number, count: number): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const step = 10 ** Math.floor(Math.log10(raw));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / nice) * nice; v <= max + nice * 1e-9; v += nice) ticks.push(v);
  return ticks;
}

/** One row per worker thread (plus one for spills in the main thread); a bar per task, a segment per phase. */
function taskStream(runs: readonly ProbeRun[]): { svg: string; tasks: number } {
  const threads = [...new Set(runs.flatMap((r) => r.tasks.map((t) => t.thread)))].sort((a, b) => a - b);
  const hasSpills = runs.some((r) => r.spills.length > 0);
  const rows = threads.length + (hasSpills ? 1 : 0);
  const rowHeight = 22;
  const height = MARGIN.top + rows * rowHeight + MARGIN.bottom;
  const end = Math.max(1e-3, ...runs.map((r) => r.offsetSeconds + r.wallSeconds));
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const x = (t: number): number => MARGIN.left + (Math.max(0, t) / end) * plotWidth;
  const parts: string[] = [];
  threads.forEach((thread, i) => {
    parts.push(`<text class="row-label" x="${MARGIN.left - 6}" y="${MARGIN.top + i * rowHeight + 15}" text-anchor="end">thread ${thread}</text>`);
  });
  if (hasSpills) parts.push(`<text class="row-label" x="${MARGIN.left - 6}" y="${MARGIN.top + threads.length * rowHeight + 15}" text-anchor="end">spill (main)</text>`);
  let count = 0;
  for (const run of runs) {
    const runX = x(run.offsetSeconds);
    parts.push(`<line class="run-start" x1="${num(runX)}" x2="${num(runX)}" y1="${MARGIN.top}" y2="${MARGIN.top + rows * rowHeight}"><title>${esc(run.name)}</title></line>`);
    for (const task of run.tasks) {
      const row = threads.indexOf(task.thread);
      const y = MARGIN.top + row * rowHeight + 3;
      const segments = task.phases
        .filter((p) => p.phase !== "queued")
        .map((p) => {
          const x0 = x(run.offsetSeconds + p.start);
          const w = Math.max(0.5, x(run.offsetSeconds + p.end) - x0);
          return `<rect class="phase" x="${num(x0)}" y="${y}" width="${num(w)}" height="${rowHeight - 6}" fill="${phaseColours[p.phase]}"/>`;
        })
        .join("");
      const title = `${task.label} (${task.op}, ${run.name}): ${formatDuration(task.ended - task.started)} in the worker, ${formatSize(task.resultBytes)} result`;
      parts.push(`<g class="task" data-op="${esc(task.op)}"><title>${esc(title)}</title>${segments}</g>`);
      count++;
    }
    for (const spill of run.spills) {
      const y = MARGIN.top + threads.length * rowHeight + 3;
      const x0 = x(run.offsetSeconds + spill.start);
      const w = Math.max(0.5, x(run.offsetSeconds + spill.end) - x0);
      parts.push(`<rect class="${spill.kind}" x="${num(x0)}" y="${y}" width="${num(w)}" height="${rowHeight - 6}" fill="${phaseColours[spill.kind]}"><title>${spill.kind === "spill" ? "spilled" : "read back"}: result of ${esc(spill.id)}</title></rect>`);
    }
  }
  const ticks = axisTicks(0, end, 10)
    .map((t) => `<text class="tick" x="${num(x(t))}" y="${height - MARGIN.bottom + 16}" text-anchor="middle">${t.toPrecision(3)} s</text>`)
    .join("");
  const legend = (Object.keys(phaseColours) as PhaseName[])
    .filter((p) => p !== "queued")
    .map((p, i) => `<rect x="${MARGIN.left + i * 90}" y="${height - 16}" width="10" height="10" fill="${phaseColours[p]}"/><text class="tick" x="${MARGIN.left + i * 90 + 14}" y="${height - 7}">${p}</text>`)
    .join("");
  const svg = `<svg id="task-stream" data-tasks="${count}" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="task stream">${parts.join("")}${ticks}${legend}</svg>`;
  return { svg, tasks: count };
}

/** Managed memory over time with the 60/70/80/95 % lines and the spilled bytes shaded grey on top. */
function memoryPlot(run: ProbeRun, fallbackLimit: number): { svg: string; samples: number } {
  const limit = run.limitBytes ?? fallbackLimit;
  const samples = run.memory;
  const height = 260;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const end = Math.max(1e-3, run.wallSeconds, ...samples.map((s) => s.t));
  const top = Math.max(limit, ...samples.map((s) => s.managed + s.inFlight + s.spilled)) * 1.05;
  const x = (t: number): number => MARGIN.left + (t / end) * plotWidth;
  const y = (bytes: number): number => MARGIN.top + plotHeight - (bytes / top) * plotHeight;
  const held = samples.map((s) => `${num(x(s.t))},${num(y(s.managed + s.inFlight))}`).join(" ");
  const spilledTop = samples.map((s) => `${num(x(s.t))},${num(y(s.managed + s.inFlight + s.spilled))}`);
  const spilledBottom = [...samples].reverse().map((s) => `${num(x(s.t))},${num(y(s.managed + s.inFlight))}`);
  const lines = [0.6, 0.7, 0.8, 0.95]
    .map((f) => `<line class="threshold" data-fraction="${f}" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${num(y(f * limit))}" y2="${num(y(f * limit))}"/><text class="tick" x="${WIDTH - MARGIN.right - 4}" y="${num(y(f * limit) - 3)}" text-anchor="end">${Math.round(f * 100)} % (${formatSize(f * limit)})</text>`)
    .join("");
  const yTicks = axisTicks(0, top, 5)
    .map((b) => `<text class="tick" x="${MARGIN.left - 6}" y="${num(y(b) + 4)}" text-anchor="end">${formatSize(b)}</text>`)
    .join("");
  const xTicks = axisTicks(0, end, 8)
    .map((t) => `<text class="tick" x="${num(x(t))}" y="${height - MARGIN.bottom + 16}" text-anchor="middle">${t.toPrecision(3)} s</text>`)
    .join("");
  const svg =
    `<svg id="memory" data-samples="${samples.length}" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="memory">` +
    `<polygon class="spilled" points="${[...spilledTop, ...spilledBottom].join(" ")}" fill="#9e9e9e" fill-opacity="0.55"/>` +
    `<polyline class="managed" points="${held}" fill="none" stroke="#f28e2b" stroke-width="1.5"/>` +
    `${lines}${yTicks}${xTicks}` +
    `<text class="tick" x="${MARGIN.left}" y="${height - 6}">orange: held + in-flight bytes; grey: spilled to disk; run "${esc(run.name)}", limit ${formatSize(limit)}; peak process RSS ${formatSize(Math.max(0, ...samples.map((s) => s.rss)))}</text></svg>`;
  return { svg, samples: samples.length };
}

/** Worker time per task against bytes: measured points, the fitted line, the chosen chunk. */
function costCurve(result: ProbeResult): { svg: string; points: number } {
  const height = 300;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const fit = result.fit;
  const predict = (b: number): number => fit.fixedSeconds + (fit.secondsPerByte ?? 0) * b;
  const maxBytes = Math.max(1, ...result.points.map((p) => p.bytes), result.recommended.bytes) * 1.05;
  const maxSeconds = Math.max(1e-6, ...result.points.map((p) => p.seconds), predict(maxBytes)) * 1.05;
  const x = (b: number): number => MARGIN.left + (b / maxBytes) * plotWidth;
  const y = (s: number): number => MARGIN.top + plotHeight - (s / maxSeconds) * plotHeight;
  const dots = result.points
    .map((p) => `<circle class="point" cx="${num(x(p.bytes))}" cy="${num(y(p.seconds))}" r="2.5" fill="#4e79a7" fill-opacity="0.5"><title>${formatSize(p.bytes)}: ${formatDuration(p.seconds)}</title></circle>`)
    .join("");
  const medians = result.sweep
    .map((s) => `<rect class="median" x="${num(x(s.bytes) - 4)}" y="${num(y(s.measuredSeconds) - 4)}" width="8" height="8" fill="#e15759"><title>median ${formatSize(s.bytes)}: ${formatDuration(s.measuredSeconds)} (predicted ${formatDuration(s.predictedSeconds)})</title></rect>`)
    .join("");
  const line = `<line class="predicted" x1="${num(x(0))}" y1="${num(y(predict(0)))}" x2="${num(x(maxBytes))}" y2="${num(y(predict(maxBytes)))}" stroke="#59a14f" stroke-width="2"/>`;
  const rx = x(result.recommended.bytes);
  const chosen = `<line class="chosen" x1="${num(rx)}" x2="${num(rx)}" y1="${MARGIN.top}" y2="${MARGIN.top + plotHeight}" stroke="#b07aa1" stroke-dasharray="5,3" stroke-width="2"><title>recommended ${result.recommended.chunks.join("×")} (${formatSize(result.recommended.bytes)})</title></line><text class="tick" x="${num(rx + 4)}" y="${MARGIN.top + 12}">chosen ${esc(result.recommended.chunks.join("×"))}</text>`;
  const xTicks = axisTicks(0, maxBytes, 6)
    .map((b) => `<text class="tick" x="${num(x(b))}" y="${height - MARGIN.bottom + 16}" text-anchor="middle">${formatSize(b)}</text>`)
    .join("");
  const yTicks = axisTicks(0, maxSeconds, 5)
    .map((s) => `<text class="tick" x="${MARGIN.left - 6}" y="${num(y(s) + 4)}" text-anchor="end">${formatDuration(s)}</text>`)
    .join("");
  const svg = `<svg id="cost" data-points="${result.points.length}" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="cost curve">${line}${dots}${medians}${chosen}${xTicks}${yTicks}</svg>`;
  return { svg, points: result.points.length };
}

export function renderProbeHtml(result: ProbeResult): string {
  const stream = taskStream(result.runs);
  const memoryRun = [...result.runs].reverse().find((r) => r.spills.length > 0) ?? [...result.runs].reverse().find((r) => r.limitBytes !== null) ?? result.runs[result.runs.length - 1];
  const memory = memoryRun ? memoryPlot(memoryRun, result.memoryLimitBytes) : { svg: "<p>no run recorded</p>", samples: 0 };
  const cost = costCurve(result);
  const m = result.model;
  const a = result.array;
  const fig = (label: string, value: string, source: string): string => `<tr><td>${esc(label)}</td><td>${esc(value)}</td><td class="${source}">${source}</td></tr>`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>chunkwise probe: ${esc(result.location)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; max-width: 1040px; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
svg { display: block; background: #fafafa; border: 1px solid #e0e0e0; }
.tick, .row-label { font-size: 11px; fill: #555; }
.threshold { stroke: #e15759; stroke-dasharray: 4,3; stroke-width: 1; }
.run-start { stroke: #bbb; stroke-dasharray: 2,2; }
table { border-collapse: collapse; } td, th { padding: 2px 10px; text-align: left; }
.measured { color: #2e7d32; } .assumed { color: #b26a00; }
</style></head><body>
<h1>chunkwise probe — ${esc(result.location)} ${esc(a.path)}</h1>
<p>${esc(`(${a.shape.join(", ")}) ${a.dtype}, storage chunks ${a.chunks ? `(${a.chunks.join(", ")})` : "contiguous"}; ${result.threads} threads; memory limit ${formatSize(result.memoryLimitBytes)}; ${result.elapsedSeconds.toFixed(1)} s`)}</p>
<table><tr><th>figure</th><th>value</th><th>source</th></tr>
${fig("per-task overhead", formatDuration(m.perTaskOverheadSeconds), m.sources.perTaskOverheadSeconds)}
${fig("fixed cost per task", formatDuration(m.perChunkReadSeconds), m.sources.perChunkReadSeconds)}
${fig("throughput per thread", `${formatSize(m.throughputBytesPerSecond)}/s`, m.sources.throughputBytesPerSecond)}
${fig("spill penalty", `${formatDuration(m.spillSecondsPerByte * 2 ** 20)} per MiB`, m.sources.spillSecondsPerByte)}
${fig("working memory factor", `${m.workingMemoryFactor}×`, m.sources.workingMemoryFactor)}
</table>
<p>Recommended compute chunk: <b>(${esc(result.recommended.chunks.join(", "))})</b>, ${esc(formatSize(result.recommended.bytes))} — ${esc(result.recommended.reason)}. Fit: ${esc(result.fit.quality)}.</p>
<h2>Task stream (${stream.tasks} tasks; one row per worker thread, gaps are idle time)</h2>
${stream.svg}
<h2>Memory</h2>
${memory.svg}
<h2>Cost per task (${cost.points} measured tasks; line: fitted model; dashed: chosen chunk)</h2>
${cost.svg}
</body></html>
`;
}
