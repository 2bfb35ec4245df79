import { formatDuration, formatSize } from "../units.js";
import { type AccessPattern, type DimensionNames, formatAccessPattern } from "./access.js";
import type { ChunkLayout } from "./layout.js";
import type { MachineSpec } from "./machine.js";
import type { ComputePrediction } from "./predict.js";
import { OBJECT_SIZE_GUIDANCE, type RewriteCost, type WorkloadCost } from "./storage.js";
import type { Thresholds } from "./thresholds.js";

export type Severity = "info" | "warning" | "error";

export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { info: 1, warning: 2, error: 3 };

export const FINDING_IDS = [
  "chunks-too-large",
  "no-feasible-shape",
  "storage-rechunk-pays",
  "read-amplification",
  "compute-misaligned",
  "chunks-too-small",
  "too-many-tasks",
  "too-many-objects",
  "contiguous-large",
  "edge-chunk-waste",
  "uncompressed-compressible",
] as const;

export type FindingId = (typeof FINDING_IDS)[number];

export const isFindingId = (value: string): value is FindingId => (FINDING_IDS as readonly string[]).includes(value);

export interface Figure {
  readonly name: string;
  readonly value: number;
  /** The figure as a person reads it: "67 %", "1.50 GiB", "48×". */
  readonly display: string;
}

export interface Finding {
  readonly id: FindingId;
  readonly severity: Severity;
  /** Array path inside the dataset. */
  readonly array: string;
  /** What was measured or predicted… */
  readonly figure: Figure;
  /** …and the threshold it crossed. */
  readonly threshold: Figure;
  /** What is wrong, with the numbers. */
  readonly message: string;
  /** One sentence on what to do. */
  readonly advice: string;
}

/** Everything a finding may look at: facts and predictions, no I/O. */
export interface FindingContext {
  readonly path: string;
  readonly format: string;
  readonly shape: readonly number[];
  readonly itemSize: number;
  readonly dimensionNames: DimensionNames;
  readonly storageChunks: readonly number[] | null;
  readonly compressed: boolean;
  readonly sampledCompressionRatio: number | null;
  readonly layout: ChunkLayout;
  readonly access: AccessPattern;
  readonly machine: MachineSpec;
  readonly thresholds: Thresholds;
  readonly workingMemoryFactor: number;
  /** Compute chunks used today: the ones given, else one task per storage chunk (xarray's chunks={}). */
  readonly current: ComputePrediction;
  readonly currentGiven: boolean;
  readonly recommended: ComputePrediction | null;
  /** The smallest compute chunk the pattern allows. */
  readonly smallest: ComputePrediction;
  readonly storageToday: WorkloadCost;
  /** The best rewritten layout for the workload, whether it pays or not. */
  readonly storageBest: WorkloadCost | null;
  readonly rechunkPays: boolean;
  readonly rewrite: RewriteCost | null;
  readonly breakEven: number | null;
  readonly shards: readonly number[] | null;
}

type Draft = Omit<Finding, "id" | "array" | "severity"> & { readonly severity?: Severity };

interface FindingRule {
  readonly id: FindingId;
  readonly severity: Severity;
  /** One line for the docs and `--help`-style listings. */
  readonly summary: string;
  readonly check: (ctx: FindingContext) => Draft | null;
}

const pct = (value: number) => `${(value * 100).toFixed(value < 0.1 ? 1 : 0)} %`;
const times = (value: number) => `${value >= 10 ? value.toFixed(0) : value.toFixed(1)}×`;
const count = (value: number) => value.toLocaleString("en-US");
const tasks = (value: number) => `${count(value)} task${value === 1 ? "" : "s"}`;
/** "1 pass", "3 passes", "1 read", "5 reads" (`unit` is the plural). */
export const plural = (n: number, unit: "passes" | "reads") => `${n} ${n === 1 ? (unit === "passes" ? "pass" : "read") : unit}`;
const shapeText = (chunks: readonly number[] | null) => (chunks === null ? "contiguous" : `(${chunks.join(", ")})`);
const figure = (name: string, value: number, display: string): Figure => ({ name, value, display });

function recommendedText(ctx: FindingContext): string {
  return ctx.recommended ? `compute chunks ${shapeText(ctx.recommended.chunks)}` : "larger compute chunks";
}

/**
 * A feasible shape exists, but even the best one spends more than the overhead threshold on the
 * scheduler, because memory caps the chunk size: say so, and what memory would allow chunks large
 * enough (a task must do (1 − t)/t times the per-task overhead in work for an overhead share t).
 */
function overheadBound(ctx: FindingContext): Draft | null {
  const best = ctx.recommended!;
  const { thresholds, machine } = ctx;
  if (best.overheadShare <= thresholds.overheadShare || best.totalSeconds < thresholds.minSeconds || best.tasks <= 1) return null;
  if (best.memoryFraction < thresholds.memoryFraction / 2) return null; // not memory-bound: larger chunks would leave threads idle instead
  const t = thresholds.overheadShare;
  const s = best.overheadShare;
  // A task's work grows with its bytes; it must be (1 − t)/t overheads long instead of (1 − s)/s.
  const wanted = best.chunkBytes * (((1 - t) / t) / ((1 - s) / s));
  const perWorker = ((best.memoryPerWorkerBytes / best.chunkBytes) * wanted) / thresholds.memoryFraction;
  return {
    severity: "warning",
    figure: figure("overhead_share", best.overheadShare, pct(best.overheadShare)),
    threshold: figure("overhead_share", t, pct(t)),
    message: `the largest compute chunks that fit in ${formatSize(machine.memoryPerWorkerBytes)} per worker, ${shapeText(best.chunks)}, still spend ${pct(best.overheadShare)} of each task on the scheduler`,
    advice: `chunks of about ${formatSize(wanted)} would need ${formatSize(perWorker)} per worker${machine.threadsPerWorker > 1 ? ", or fewer threads per worker" : ""}${ctx.storageBest?.storageChunks ? `, or storage chunks ${shapeText(ctx.storageBest.storageChunks)}` : ""}`,
  };
}

/** The registry: one small entry per finding, in the order findings of equal severity are listed. */
export const FINDING_RULES: readonly FindingRule[] = [
  {
    id: "chunks-too-large",
    severity: "error",
    summary: "one compute chunk per thread needs more memory than the spill threshold allows",
    check: (ctx) => {
      const { current, thresholds, machine } = ctx;
      if (current.memoryFraction <= thresholds.memoryFraction) return null;
      const fixable = ctx.recommended !== null;
      return {
        severity: fixable ? "warning" : "error",
        figure: figure("memory_fraction", current.memoryFraction, `${pct(current.memoryFraction)} (${formatSize(current.memoryPerWorkerBytes)})`),
        threshold: figure("memory_fraction", thresholds.memoryFraction, `${pct(thresholds.memoryFraction)} of ${formatSize(machine.memoryPerWorkerBytes)}`),
        message: `${ctx.currentGiven ? "the given compute chunks" : "one task per storage chunk"} ${shapeText(current.chunks)} of ${formatSize(current.chunkBytes)} needs ${formatSize(current.memoryPerWorkerBytes)} per worker, ${pct(current.memoryFraction)} of its memory`,
        advice: fixable
          ? `use ${recommendedText(ctx)} (${formatSize(ctx.recommended!.memoryPerWorkerBytes)} per worker)`
          : `rewrite the storage chunks smaller${ctx.storageBest?.storageChunks ? ` (e.g. ${shapeText(ctx.storageBest.storageChunks)})` : ""} or give each worker at least ${formatSize(current.memoryPerWorkerBytes / thresholds.memoryFraction)}`,
      };
    },
  },
  {
    id: "no-feasible-shape",
    severity: "error",
    summary: "no compute chunk made of whole storage chunks fits the memory limit for this access pattern, or none that fits keeps overhead under its threshold",
    check: (ctx) => {
      if (ctx.recommended !== null) return overheadBound(ctx);
      const { smallest, thresholds, machine } = ctx;
      // chunks-too-large already says it when the smallest allowed chunk is today's.
      if (ctx.current.memoryFraction > thresholds.memoryFraction && smallest.chunkBytes === ctx.current.chunkBytes) return null;
      const needed = smallest.memoryPerWorkerBytes / thresholds.memoryFraction;
      const oneThread = (smallest.chunkBytes * ctx.workingMemoryFactor) / thresholds.memoryFraction;
      const options = [`at least ${formatSize(needed)} per worker`];
      if (oneThread < needed) options.push(`1 thread per worker with ${formatSize(oneThread)}`);
      if (ctx.storageBest?.feasible && ctx.storageBest.storageChunks) options.push(`storage chunks ${shapeText(ctx.storageBest.storageChunks)}`);
      return {
        figure: figure("memory_fraction", smallest.memoryFraction, `${pct(smallest.memoryFraction)} (${formatSize(smallest.memoryPerWorkerBytes)})`),
        threshold: figure("memory_fraction", thresholds.memoryFraction, `${pct(thresholds.memoryFraction)} of ${formatSize(machine.memoryPerWorkerBytes)}`),
        message: `for ${formatAccessPattern(ctx.access, ctx.dimensionNames)} the smallest compute chunk ${shapeText(smallest.chunks)} (${formatSize(smallest.chunkBytes)}) needs ${formatSize(smallest.memoryPerWorkerBytes)} per worker`,
        advice: `it would fit with ${options.join(", or ")}`,
      };
    },
  },
  {
    id: "storage-rechunk-pays",
    severity: "warning",
    summary: "rewriting the storage chunks for this access pattern pays back its one-off cost",
    check: (ctx) => {
      if (!ctx.rechunkPays || ctx.storageBest === null || ctx.rewrite === null) return null;
      const { storageToday: today, storageBest: best, breakEven, thresholds } = ctx;
      const unit = today.unit === "read" ? "reads" : "passes";
      const needed = !today.feasible && best.feasible;
      const soon = breakEven !== null && breakEven <= thresholds.breakEvenPasses;
      const matters = today.seconds >= thresholds.minSeconds;
      return {
        severity: needed || (soon && matters) ? "warning" : "info",
        figure: figure("break_even", breakEven ?? Number.POSITIVE_INFINITY, needed ? "needed" : plural(breakEven ?? 0, unit)),
        threshold: figure("break_even", thresholds.breakEvenPasses, `${thresholds.breakEvenPasses} ${unit}`),
        message: `for ${formatAccessPattern(ctx.access, ctx.dimensionNames)}, storage chunks ${shapeText(best.storageChunks)} take ${formatDuration(best.seconds)} per ${today.unit} instead of ${formatDuration(today.seconds)}${needed ? " (today no compute chunk fits in memory)" : ""}; the rewrite costs ${formatDuration(ctx.rewrite.seconds)}`,
        advice: `rechunk the storage to ${shapeText(best.storageChunks)}${ctx.shards ? ` in Zarr v3 shards of ${shapeText(ctx.shards)}` : ""}${breakEven !== null ? `: it pays for itself after ${plural(breakEven, unit)}` : ""}`,
      };
    },
  },
  {
    id: "read-amplification",
    severity: "warning",
    summary: "each access decodes many times the bytes it uses",
    check: (ctx) => {
      const amp = ctx.storageToday.readAmplification;
      if (amp <= ctx.thresholds.readAmplification) return null;
      const better = ctx.storageBest && ctx.storageBest.readAmplification < amp ? ctx.storageBest : null;
      return {
        figure: figure("read_amplification", amp, times(amp)),
        threshold: figure("read_amplification", ctx.thresholds.readAmplification, times(ctx.thresholds.readAmplification)),
        message: `for ${formatAccessPattern(ctx.access, ctx.dimensionNames)} each access decodes ${times(amp)} the bytes it uses (${count(Math.round(ctx.storageToday.chunksPerAccess))} storage chunks of ${formatSize(ctx.storageToday.chunkBytes)})`,
        advice: better
          ? `storage chunks ${shapeText(better.storageChunks)} would decode ${times(better.readAmplification)}`
          : "no storage layout in the guidance band reads less for this pattern",
      };
    },
  },
  {
    id: "compute-misaligned",
    severity: "warning",
    summary: "the given compute chunks split storage chunks, so tasks decode chunks they then throw away",
    check: (ctx) => {
      if (!ctx.currentGiven || ctx.current.aligned) return null;
      const aligned = ctx.storageChunks ? ctx.current.chunks.map((c, axis) => Math.min(ctx.shape[axis]!, Math.ceil(c / ctx.storageChunks![axis]!) * ctx.storageChunks![axis]!)) : null;
      return {
        figure: figure("read_amplification", ctx.current.readAmplification, times(ctx.current.readAmplification)),
        threshold: figure("read_amplification", 1, "aligned (1.0×)"),
        message: `compute chunks ${shapeText(ctx.current.chunks)} are not multiples of the storage chunks ${shapeText(ctx.storageChunks)}: a pass decodes ${times(ctx.current.readAmplification)} the data`,
        advice: `use whole multiples of the storage chunks, e.g. ${shapeText(aligned)}${ctx.recommended ? ` or the recommended ${shapeText(ctx.recommended.chunks)}` : ""}`,
      };
    },
  },
  {
    id: "chunks-too-small",
    severity: "warning",
    summary: "scheduler overhead is a large share of each task's time",
    check: (ctx) => {
      const { current, thresholds } = ctx;
      if (current.tasks <= 1 || current.overheadShare <= thresholds.overheadShare) return null;
      return {
        severity: current.totalSeconds >= thresholds.minSeconds ? "warning" : "info",
        figure: figure("overhead_share", current.overheadShare, pct(current.overheadShare)),
        threshold: figure("overhead_share", thresholds.overheadShare, pct(thresholds.overheadShare)),
        message: `${ctx.currentGiven ? "the given compute chunks" : "one task per storage chunk"} ${shapeText(current.chunks)} of ${formatSize(current.chunkBytes)}: ${pct(current.overheadShare)} of each task is scheduler overhead (${tasks(current.tasks)})`,
        advice: ctx.recommended
          ? `use ${recommendedText(ctx)} (${formatSize(ctx.recommended.chunkBytes)}, overhead ${pct(ctx.recommended.overheadShare)}, ${tasks(ctx.recommended.tasks)})`
          : "rewrite the storage chunks larger",
      };
    },
  },
  {
    id: "too-many-tasks",
    severity: "warning",
    summary: "a pass needs more tasks than a scheduler handles well",
    check: (ctx) => {
      const { current, thresholds } = ctx;
      if (current.tasks <= thresholds.maxTasks) return null;
      return {
        figure: figure("tasks", current.tasks, count(current.tasks)),
        threshold: figure("tasks", thresholds.maxTasks, count(thresholds.maxTasks)),
        message: `a pass with compute chunks ${shapeText(current.chunks)} is ${tasks(current.tasks)}; Dask's graph handling slows down past 10k–100k`,
        advice: ctx.recommended ? `use ${recommendedText(ctx)} (${tasks(ctx.recommended.tasks)})` : "rewrite the storage chunks larger",
      };
    },
  },
  {
    id: "too-many-objects",
    severity: "warning",
    summary: "the store holds more chunk objects than file systems and object-store listings handle well",
    check: (ctx) => {
      if (!ctx.format.startsWith("zarr") || ctx.layout.objectCount <= ctx.thresholds.maxObjects) return null;
      return {
        figure: figure("objects", ctx.layout.objectCount, count(ctx.layout.objectCount)),
        threshold: figure("objects", ctx.thresholds.maxObjects, count(ctx.thresholds.maxObjects)),
        message: `${count(ctx.layout.objectCount)} stored objects of ${formatSize(ctx.layout.objectBytes)} (uncompressed) each`,
        advice: ctx.shards ? `write Zarr v3 shards of ${shapeText(ctx.shards)} chunks' extent (chunkwise rechunk --format zarr3 --shards)` : "write larger chunks or Zarr v3 shards",
      };
    },
  },
  {
    id: "contiguous-large",
    severity: "warning",
    summary: "a large dataset stored contiguously: no compression, and reads across rows seek through the file",
    check: (ctx) => {
      if (ctx.storageChunks !== null || ctx.layout.logicalBytes <= ctx.thresholds.contiguousBytes) return null;
      const suggestion = ctx.storageBest?.storageChunks ?? null;
      return {
        figure: figure("bytes", ctx.layout.logicalBytes, formatSize(ctx.layout.logicalBytes)),
        threshold: figure("bytes", ctx.thresholds.contiguousBytes, formatSize(ctx.thresholds.contiguousBytes)),
        message: `${formatSize(ctx.layout.logicalBytes)} stored contiguously: it cannot be compressed, and a read that does not span whole rows is one seek per row`,
        advice: `store it chunked${suggestion ? `, e.g. ${shapeText(suggestion)}` : ""} (chunkwise rechunk)${ctx.recommended ? `, and read it meanwhile in compute chunks ${shapeText(ctx.recommended.chunks)}` : ""}`,
      };
    },
  },
  {
    id: "edge-chunk-waste",
    severity: "info",
    summary: "partial edge chunks pad the stored grid with elements outside the array",
    check: (ctx) => {
      const waste = ctx.layout.edgeWasteFraction;
      if (ctx.storageChunks === null || waste <= ctx.thresholds.edgeWaste) return null;
      const even = ctx.shape.map((n, axis) => Math.ceil(n / Math.ceil(n / ctx.storageChunks![axis]!)));
      return {
        figure: figure("edge_waste", waste, pct(waste)),
        threshold: figure("edge_waste", ctx.thresholds.edgeWaste, pct(ctx.thresholds.edgeWaste)),
        message: `${pct(waste)} of the chunk grid lies outside the array (edge chunks ${shapeText(ctx.layout.edgeExtents)} of ${shapeText(ctx.storageChunks)})`,
        advice: `chunks ${shapeText(even)} cover the same grid with the least padding`,
      };
    },
  },
  {
    id: "uncompressed-compressible",
    severity: "info",
    summary: "data of 1 MB or more stored without compression that a sample shows compresses well",
    check: (ctx) => {
      const ratio = ctx.sampledCompressionRatio;
      // Below the 1 MB object guidance a deflate ratio says little and saves nothing worth a rewrite.
      if (ctx.compressed || ratio === null || ratio < ctx.thresholds.compressionGain || ctx.layout.logicalBytes < OBJECT_SIZE_GUIDANCE.minBytes) return null;
      return {
        figure: figure("compression_ratio", ratio, `${ratio.toFixed(1)}:1`),
        threshold: figure("compression_ratio", ctx.thresholds.compressionGain, `${ctx.thresholds.compressionGain.toFixed(1)}:1`),
        message: `stored uncompressed, yet a sampled chunk deflates ${ratio.toFixed(1)}:1 at level 1`,
        advice: `rewrite it with a codec (chunkwise rechunk --codec ${ctx.format === "hdf5" || ctx.format === "netcdf4" ? "gzip:1" : "zstd"}) to store about ${formatSize(ctx.layout.logicalBytes / ratio)} instead of ${formatSize(ctx.layout.logicalBytes)}`,
      };
    },
  },
];

export interface FindingFilters {
  readonly silenced: ReadonlySet<FindingId>;
  readonly severities: Readonly<Partial<Record<FindingId, Severity>>>;
}

/** Run every rule; apply the policy's silences and severity overrides; order by severity, then registry order. */
export function evaluateFindings(ctx: FindingContext, filters: FindingFilters): { findings: Finding[]; silenced: FindingId[] } {
  const findings: Finding[] = [];
  const silenced: FindingId[] = [];
  FINDING_RULES.forEach((rule) => {
    const draft = rule.check(ctx);
    if (draft === null) return;
    if (filters.silenced.has(rule.id)) {
      silenced.push(rule.id);
      return;
    }
    const severity = filters.severities[rule.id] ?? draft.severity ?? rule.severity;
    findings.push({ ...draft, id: rule.id, array: ctx.path, severity });
  });
  const order = (id: FindingId) => FINDING_IDS.indexOf(id);
  findings.sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || order(a.id) - order(b.id));
  return { findings, silenced };
}

/** True when any finding is at `level` or above: what `--fail-on LEVEL` checks. */
export function reachesLevel(findings: readonly Finding[], level: Severity): boolean {
  return findings.some((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK[level]);
}
