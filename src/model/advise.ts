import { type AccessPattern, type DimensionNames, axisLabel, fullExtentAxes } from "./access.js";
import type { CostModel } from "./cost-model.js";
import { type Finding, type FindingFilters, type FindingId, type Severity, SEVERITY_RANK, evaluateFindings } from "./findings.js";
import { type GuesserId, allGuesses } from "./guessers.js";
import { type ChunkLayout, chunkLayout } from "./layout.js";
import { type MachineSpec, slots } from "./machine.js";
import { type ComputePrediction, type ModelArray, predictCompute } from "./predict.js";
import { DEFAULT_TIE_TOLERANCE, type ComputeSearchResult, searchComputeChunks } from "./search.js";
import { type RewriteCost, type WorkloadCost, rewriteCost, shardShape, storageCandidates, workloadCost } from "./storage.js";
import type { Thresholds } from "./thresholds.js";

/** The facts about one array that advice is built from (what the dataset layer describes, plus what was sampled). */
export interface AdviceArray {
  readonly path: string;
  readonly format: "zarr2" | "zarr3" | "hdf5" | "netcdf4";
  readonly shape: readonly number[];
  /** Canonical dtype name (float32, int16, …). */
  readonly dtype: string;
  readonly itemSize: number;
  readonly dimensionNames: DimensionNames;
  /** Null: contiguous. */
  readonly storageChunks: readonly number[] | null;
  readonly shards: readonly number[] | null;
  /** True when a codec in the chain compresses. */
  readonly compressed: boolean;
  /** Logical over stored bytes, when the stored size is known. */
  readonly compressionRatio: number | null;
  /** Deflate ratio of a sample of uncompressed data, when one was taken. */
  readonly sampledCompressionRatio: number | null;
}

export interface AdviceSettings {
  readonly access: AccessPattern;
  readonly machine: MachineSpec;
  readonly cost: CostModel;
  readonly thresholds: Thresholds;
  readonly filters: FindingFilters;
  /** The compute chunks used today, when the user gave them; else one task per storage chunk. */
  readonly currentCompute: readonly number[] | null;
}

export type StorageVerdict = "keep" | "rechunk";

export interface StoragePlan {
  readonly verdict: StorageVerdict;
  readonly today: WorkloadCost;
  /** Fastest rewritten layout for the workload (null when the array is empty or no candidate exists). */
  readonly best: WorkloadCost | null;
  /** Candidate layouts evaluated. */
  readonly candidates: number;
  readonly rewrite: RewriteCost | null;
  /** Passes (or reads, for point) after which the rewrite has paid for itself; null when it never does. */
  readonly breakEven: number | null;
  /** Zarr v3 shard shape for the best layout when its chunks would be too many or too small as objects. */
  readonly shards: readonly number[] | null;
}

export interface Comparison {
  readonly id: GuesserId | "chunkwise";
  readonly kind: "compute" | "storage";
  readonly chunks: readonly number[];
  readonly rule: string;
  /** Predicted seconds per pass (compute rows) or per workload unit (storage rows). */
  readonly seconds: number;
  readonly memoryFraction: number;
  readonly feasible: boolean;
  /** Why chunkwise's choice differs, in numbers; "same choice" when it does not. */
  readonly why: string;
}

export type VerdictLevel = "ok" | Severity;

export interface ArrayAdvice {
  readonly array: AdviceArray;
  readonly layout: ChunkLayout;
  readonly access: AccessPattern;
  readonly machine: MachineSpec;
  readonly current: ComputePrediction;
  readonly currentGiven: boolean;
  readonly compute: ComputeSearchResult;
  readonly storage: StoragePlan;
  readonly comparisons: readonly Comparison[];
  readonly findings: readonly Finding[];
  readonly silenced: readonly FindingId[];
  readonly verdict: { readonly level: VerdictLevel; readonly text: string };
}

/**
 * Layouts predicted within 5 % of each other count as equally fast (the figures are estimates; edge
 * padding alone moves them by a few per cent); the squarest, then the one with fewest objects, wins.
 */
export const STORAGE_TIE_TOLERANCE = 0.05;

/** A rewrite must make the workload at least this much faster per unit to be worth proposing. */
export const MIN_STORAGE_GAIN = 0.1;

function modelArray(array: AdviceArray, storageChunks: readonly number[] | null = array.storageChunks): ModelArray {
  return { shape: array.shape, itemSize: array.itemSize, storageChunks };
}

/**
 * How far from square a chunk is on the axes it splits (axes taken whole do not count): the ratio
 * of its longest to its shortest such extent. Square chunks serve access patterns other than the
 * stated one least badly, so among equally fast layouts the squarest wins.
 */
export function elongation(shape: readonly number[], chunks: readonly number[] | null): number {
  if (chunks === null) return 1;
  const split = chunks.filter((c, axis) => c < shape[axis]!);
  return split.length < 2 ? 1 : Math.max(...split) / Math.min(...split);
}

function compareWorkload(shape: readonly number[]) {
  return (a: WorkloadCost, b: WorkloadCost): number => {
    if (a.feasible !== b.feasible) return a.feasible ? -1 : 1;
    const fastest = Math.min(a.seconds, b.seconds);
    const tie = Math.abs(a.seconds - b.seconds) <= fastest * STORAGE_TIE_TOLERANCE;
    if (!tie) return a.seconds - b.seconds;
    const ea = elongation(shape, a.storageChunks);
    const eb = elongation(shape, b.storageChunks);
    if (ea !== eb) return ea - eb;
    if (a.objectCount !== b.objectCount) return a.objectCount - b.objectCount;
    return (a.storageChunks ?? []).join(",").localeCompare((b.storageChunks ?? []).join(","));
  };
}

/**
 * Storage advice: the workload's predicted cost on today's layout and on every candidate layout;
 * propose the fastest candidate when it is at least MIN_STORAGE_GAIN faster (or when today no
 * compute chunk fits) and its rewrite pays back after a finite number of passes.
 */
export function planStorage(array: AdviceArray, settings: AdviceSettings): StoragePlan {
  const options = { memoryLimitFraction: settings.thresholds.memoryFraction };
  const today = workloadCost(modelArray(array), settings.access, settings.machine, settings.cost, options);
  const ratio = array.compressionRatio ?? 1;
  const candidates = storageCandidates(modelArray(array), settings.access, ratio).filter(
    (chunks) => array.storageChunks === null || chunks.some((c, axis) => c !== array.storageChunks![axis]),
  );
  const costs = candidates.map((chunks) => workloadCost(modelArray(array, chunks), settings.access, settings.machine, settings.cost, options));
  const best = costs.length === 0 ? null : [...costs].sort(compareWorkload(array.shape))[0]!;
  if (best === null || best.storageChunks === null) {
    return { verdict: "keep", today, best: null, candidates: costs.length, rewrite: null, breakEven: null, shards: null };
  }
  const rewrite = rewriteCost(modelArray(array), best.storageChunks, settings.machine, settings.cost);
  const saving = today.seconds - best.seconds;
  const needed = !today.feasible && best.feasible;
  const faster = best.feasible && best.seconds <= today.seconds * (1 - MIN_STORAGE_GAIN);
  const breakEven = saving > 0 ? Math.max(1, Math.ceil(rewrite.seconds / saving)) : null;
  const maxObjects = settings.thresholds.maxObjects;
  const shards = array.format.startsWith("zarr") ? shardShape(array.shape, best.storageChunks, array.itemSize, ratio, maxObjects) : null;
  return { verdict: needed || (faster && breakEven !== null) ? "rechunk" : "keep", today, best, candidates: costs.length, rewrite, breakEven, shards };
}

function whyCompute(guess: ComputePrediction, ours: ComputePrediction | null, access: AccessPattern, array: AdviceArray, limit: number): string {
  const missing = fullExtentAxes(access).filter((axis) => guess.chunks[axis]! < array.shape[axis]!);
  if (missing.length > 0) return `does not span all of ${missing.map((axis) => axisLabel(axis, array.dimensionNames)).join(", ")}: the job must rechunk inside the graph`;
  if (ours === null) return "no aligned shape fits; see no-feasible-shape";
  if (guess.chunks.every((c, axis) => c === ours.chunks[axis])) return "same choice";
  if (guess.memoryFraction > limit) return `needs ${(guess.memoryFraction * 100).toFixed(0)} % of worker memory, over the ${(limit * 100).toFixed(0)} % spill threshold`;
  if (!guess.aligned) return `splits storage chunks: decodes ${guess.readAmplification.toFixed(1)}× the data`;
  const ratio = guess.totalSeconds / ours.totalSeconds;
  if (ratio > 1 + DEFAULT_TIE_TOLERANCE) {
    const cause =
      guess.tasks < ours.tasks
        ? `${guess.tasks} task${guess.tasks === 1 ? "" : "s"} leave${guess.tasks === 1 ? "s" : ""} threads idle`
        : `${guess.tasks} tasks cost ${(guess.overheadShare * 100).toFixed(0)} % overhead`;
    return `predicted ${ratio.toFixed(2)}× slower: ${cause}`;
  }
  if (ratio < 1 - DEFAULT_TIE_TOLERANCE) return `predicted ${(1 / ratio).toFixed(2)}× faster: a shape outside chunkwise's search`;
  const memory = guess.memoryPerWorkerBytes / ours.memoryPerWorkerBytes;
  return memory > 1 + DEFAULT_TIE_TOLERANCE ? `as fast, but ${memory.toFixed(1)}× the memory per worker` : "as fast and as lean";
}

function whyStorage(guess: WorkloadCost, ours: WorkloadCost, today: WorkloadCost, threads: number): string {
  if ((guess.storageChunks ?? []).join(",") === (ours.storageChunks ?? []).join(",")) return "same choice";
  if (!guess.feasible && ours.feasible) return "no compute chunk fits in memory on it for this pattern";
  const ratio = guess.seconds / ours.seconds;
  if (ratio > 1 + STORAGE_TIE_TOLERANCE) {
    const detail =
      guess.readAmplification > ours.readAmplification * 1.5
        ? `decodes ${guess.readAmplification.toFixed(1)}× the bytes used`
        : guess.objectCount > ours.objectCount
          ? `${guess.objectCount.toLocaleString("en-US")} objects instead of ${ours.objectCount.toLocaleString("en-US")}`
          : guess.compute.tasks < threads
            ? `${guess.compute.tasks} task(s) for ${threads} threads: too few chunks to read in parallel`
            : `${guess.chunksPerAccess.toFixed(0)} chunks per access`;
    return `predicted ${ratio.toFixed(2)}× slower for this pattern: ${detail}`;
  }
  if (ratio < 1 - STORAGE_TIE_TOLERANCE) {
    return ours.storageChunks === today.storageChunks
      ? `predicted ${(1 / ratio).toFixed(2)}× faster per ${ours.unit}, under the 10 % that makes a rewrite worth it`
      : `predicted ${(1 / ratio).toFixed(2)}× faster: a shape outside chunkwise's candidates`;
  }
  return "about as fast for this pattern";
}

export function adviseArray(array: AdviceArray, settings: AdviceSettings): ArrayAdvice {
  const { access, machine, cost, thresholds } = settings;
  const model = modelArray(array);
  const layout = chunkLayout({ shape: array.shape, itemSize: array.itemSize, chunks: array.storageChunks, shards: array.shards });
  const currentChunks = settings.currentCompute ?? layout.chunkShape;
  const current = predictCompute(model, currentChunks, machine, cost);
  const compute = searchComputeChunks(model, machine, cost, { fullAxes: fullExtentAxes(access), memoryLimitFraction: thresholds.memoryFraction });
  const storage = planStorage(array, settings);
  const rechunkPays = storage.verdict === "rechunk";

  const comparisons: Comparison[] = [];
  const seriesAxis = access.kind === "full" ? 0 : access.kind === "along" ? access.axes[0]! : access.axis;
  const ours = compute.best;
  const oursStorage = rechunkPays && storage.best ? storage.best : storage.today;
  for (const guess of allGuesses(array.shape, array.itemSize, array.storageChunks, seriesAxis)) {
    if (guess.kind === "compute") {
      const p = predictCompute(model, guess.chunks, machine, cost);
      comparisons.push({ ...guess, seconds: p.totalSeconds, memoryFraction: p.memoryFraction, feasible: p.memoryFraction <= thresholds.memoryFraction, why: whyCompute(p, ours, access, array, thresholds.memoryFraction) });
    } else {
      const w = workloadCost(modelArray(array, guess.chunks), access, machine, cost, { memoryLimitFraction: thresholds.memoryFraction });
      comparisons.push({ ...guess, seconds: w.seconds, memoryFraction: w.compute.memoryFraction, feasible: w.feasible, why: whyStorage(w, oursStorage, storage.today, slots(machine)) });
    }
  }

  const { findings, silenced } = evaluateFindings(
    {
      path: array.path,
      format: array.format,
      shape: array.shape,
      itemSize: array.itemSize,
      dimensionNames: array.dimensionNames,
      storageChunks: array.storageChunks,
      compressed: array.compressed,
      sampledCompressionRatio: array.sampledCompressionRatio,
      layout,
      access,
      machine,
      thresholds,
      workingMemoryFactor: cost.workingMemoryFactor,
      current,
      currentGiven: settings.currentCompute !== null,
      recommended: compute.best,
      smallest: compute.smallest,
      storageToday: storage.today,
      storageBest: storage.best,
      rechunkPays,
      rewrite: storage.rewrite,
      breakEven: storage.breakEven,
      shards: storage.shards,
    },
    settings.filters,
  );
  return { array, layout, access, machine, current, currentGiven: settings.currentCompute !== null, compute, storage, comparisons, findings, silenced, verdict: verdict(findings, storage, compute) };
}

function verdict(findings: readonly Finding[], storage: StoragePlan, compute: ComputeSearchResult): { level: VerdictLevel; text: string } {
  const worst = findings.reduce<Severity | null>((w, f) => (w === null || SEVERITY_RANK[f.severity] > SEVERITY_RANK[w] ? f.severity : w), null);
  const level: VerdictLevel = worst ?? "ok";
  const layout = storage.verdict === "keep" ? "today's storage layout suits this access pattern" : "rewriting the storage chunks pays for this access pattern";
  const chunks = compute.best ? "use the recommended compute chunks" : "no compute chunk fits in memory";
  return { level, text: `${layout}; ${chunks}` };
}
