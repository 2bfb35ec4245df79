import { deflateSync } from "node:zlib";
import { ChunkwiseError } from "../errors.js";
import type { ArrayDescription, Codec, Dataset } from "../formats/dataset.js";
import { openDataset } from "../formats/open.js";
import { type AccessPattern, parseAccessPattern } from "../model/access.js";
import { type AdviceArray, type ArrayAdvice, adviseArray } from "../model/advise.js";
import { type CostModel, DEFAULT_COST_MODEL } from "../model/cost-model.js";
import { chunkLayout, compressionRatio, product } from "../model/layout.js";
import type { MachineSpec } from "../model/machine.js";
import { EMPTY_POLICY, type Policy, resolvePolicy } from "../model/policy.js";
import { parseChunkSpec, resolveChunkSpec, specApplies } from "../rechunk/spec.js";
import { type MachineFacts, detectMachine } from "../system/index.js";
import { selectArrays } from "./inspect.js";

export interface AdviseOptions {
  /** One array (path or unique name); all arrays when absent. */
  readonly array?: string;
  /** The access pattern as typed: full, along=DIM[,DIM], slice=DIM, point[=DIM]. */
  readonly access: string;
  readonly workers?: number;
  readonly threads?: number;
  /** Memory per worker in bytes; default: the detected limit divided among the workers. */
  readonly memoryPerWorker?: number;
  /** Figures to predict with: from `--model FILE` (or, later, `--measure`); defaults otherwise. */
  readonly cost?: CostModel;
  /** Overrides the cost model's working-memory factor. */
  readonly workingMemoryFactor?: number;
  readonly policy?: Policy;
  /** The compute chunks used today (`--compute-chunks SPEC`), to check them. */
  readonly computeChunks?: string;
}

export interface SkippedArray {
  readonly path: string;
  readonly reason: string;
}

export interface AdviceReport {
  readonly location: string;
  readonly format: string;
  readonly accessText: string;
  readonly machine: MachineSpec;
  /** How the machine figures were obtained. */
  readonly machineSource: { readonly workers: "flag" | "detected"; readonly threads: "flag" | "detected"; readonly memory: "flag" | "detected" };
  readonly detected: MachineFacts;
  readonly cost: CostModel;
  readonly arrays: readonly ArrayAdvice[];
  readonly skipped: readonly SkippedArray[];
}

/**
 * Dask's LocalCluster default split of the usable cores: about √cores worker processes, the cores
 * shared out as threads. Flags override either; memory per worker is the limit over the workers.
 */
export function machineSpec(detected: MachineFacts, options: Pick<AdviseOptions, "workers" | "threads" | "memoryPerWorker">): MachineSpec {
  const cores = Math.max(1, detected.cores.usable);
  const workers = options.workers ?? (options.threads !== undefined ? Math.max(1, Math.floor(cores / options.threads)) : Math.ceil(Math.sqrt(cores)));
  const threadsPerWorker = options.threads ?? Math.max(1, Math.floor(cores / workers));
  const memoryPerWorkerBytes = options.memoryPerWorker ?? Math.floor(detected.memory.limitBytes / workers);
  return { workers, threadsPerWorker, memoryPerWorkerBytes };
}

const COMPRESSING = new Set(["blosc", "zstd", "gzip", "zlib", "lz4", "bz2", "lzma", "deflate", "szip", "lzf", "nbit", "scaleoffset", "packbits", "bitshuffle"]);

/** True when some codec in the chain reduces size (bytes, transpose, shuffle and checksums do not). */
export function isCompressed(codecs: readonly Codec[]): boolean {
  return codecs.some((codec) => COMPRESSING.has(codec.name.replace(/^numcodecs\./, "").toLowerCase()));
}

/** Largest sample read to test compressibility. */
const SAMPLE_LIMIT_BYTES = 16 * 2 ** 20;

/**
 * Deflate (level 1) ratio of one stored chunk of an uncompressed array: the middle chunk of the
 * grid, or for contiguous data a slab of up to 16 MiB from the start. Null when nothing is
 * written, the data cannot be read, or it is not numeric.
 */
async function sampleCompression(dataset: Dataset, description: ArrayDescription): Promise<number | null> {
  if (description.unreadableReason !== null || description.shape.length === 0) return null;
  if (description.storage.storedBytes === 0 || description.storage.writtenObjects === 0) return null;
  if (!["int", "uint", "float", "bool", "complex"].includes(description.dtype.kind)) return null;
  const { shape } = description;
  let block;
  if (description.chunks === null) {
    const rowBytes = (product(shape) / shape[0]!) * description.dtype.itemSize;
    const rows = Math.max(1, Math.min(shape[0]!, Math.floor(SAMPLE_LIMIT_BYTES / Math.max(1, rowBytes))));
    if (rows * rowBytes > SAMPLE_LIMIT_BYTES) return null;
    block = await dataset.readRegion(description.path, shape.map(() => 0), shape.map((n, axis) => (axis === 0 ? rows : n)));
  } else {
    if (product(description.chunks) * description.dtype.itemSize > SAMPLE_LIMIT_BYTES) return null;
    const middle = shape.map((n, axis) => Math.floor(Math.max(0, Math.ceil(n / description.chunks![axis]!) - 1) / 2));
    block = await dataset.readChunk(description.path, middle);
  }
  if (Array.isArray(block.values)) return null;
  const bytes = Buffer.from(block.values.buffer, block.values.byteOffset, block.values.byteLength);
  if (bytes.length === 0) return null;
  return bytes.length / deflateSync(bytes, { level: 1 }).length;
}

/** Arrays the access pattern cannot apply to are skipped when the user did not name one. */
function patternFor(description: ArrayDescription, accessText: string): AccessPattern {
  return parseAccessPattern(accessText, description.shape.length, description.dimensionNames);
}

export async function describeForAdvice(dataset: Dataset, description: ArrayDescription): Promise<AdviceArray> {
  const layout = chunkLayout({ shape: description.shape, itemSize: description.dtype.itemSize, chunks: description.chunks, shards: description.shards });
  const compressed = isCompressed(description.codecs);
  return {
    path: description.path,
    format: description.format,
    shape: description.shape,
    dtype: description.dtype.name,
    itemSize: description.dtype.itemSize,
    dimensionNames: description.dimensionNames,
    storageChunks: description.chunks,
    shards: description.shards,
    compressed,
    compressionRatio: compressionRatio(layout, description.storage.storedBytes, description.storage.writtenObjects, description.chunks === null),
    sampledCompressionRatio: compressed ? null : await sampleCompression(dataset, description),
  };
}

export async function advise(location: string, options: AdviseOptions): Promise<AdviceReport> {
  const detected = detectMachine();
  const machine = machineSpec(detected, options);
  const baseCost = options.cost ?? DEFAULT_COST_MODEL;
  const cost: CostModel =
    options.workingMemoryFactor === undefined
      ? baseCost
      : {
          ...baseCost,
          workingMemoryFactor: options.workingMemoryFactor,
          sources: { ...baseCost.sources, workingMemoryFactor: "assumed" },
          notes: [...baseCost.notes, `working memory ${options.workingMemoryFactor}× the chunk: set by --working-memory-factor`],
        };
  const policy = options.policy ?? EMPTY_POLICY;
  const computeSpec = options.computeChunks === undefined ? null : parseChunkSpec(options.computeChunks, "--compute-chunks");
  const dataset = await openDataset(location, { arrayPaths: options.array === undefined ? [] : [options.array] });
  try {
    const all = await dataset.listArrays();
    const chosen = selectArrays(all, options.array, location);
    const arrays: ArrayAdvice[] = [];
    const skipped: SkippedArray[] = [];
    for (const description of chosen) {
      if (options.array === undefined) {
        const reason = skipReason(description, options.access);
        if (reason !== null) {
          skipped.push({ path: description.path, reason });
          continue;
        }
      }
      const access = patternFor(description, options.access);
      const currentCompute =
        computeSpec !== null && (options.array !== undefined || specApplies(computeSpec, description))
          ? resolveChunkSpec(computeSpec, description, description.chunks ?? description.shape, "--compute-chunks")
          : null;
      const resolved = resolvePolicy(policy, description.path);
      arrays.push(
        adviseArray(await describeForAdvice(dataset, description), {
          access,
          machine,
          cost,
          thresholds: resolved.thresholds,
          filters: resolved.filters,
          currentCompute,
        }),
      );
    }
    if (arrays.length === 0) {
      throw new ChunkwiseError("UsageError", `no array here fits --access ${options.access}: ${skipped.map((s) => `${s.path} (${s.reason})`).join("; ") || "no arrays"}`, { path: location });
    }
    return {
      location,
      format: dataset.format,
      accessText: options.access,
      machine,
      machineSource: {
        workers: options.workers === undefined ? "detected" : "flag",
        threads: options.threads === undefined ? "detected" : "flag",
        memory: options.memoryPerWorker === undefined ? "detected" : "flag",
      },
      detected,
      cost,
      arrays,
      skipped,
    };
  } finally {
    await dataset.close();
  }
}

function skipReason(description: ArrayDescription, accessText: string): string | null {
  if (description.shape.length === 0) return "scalar";
  const name = description.path.slice(description.path.lastIndexOf("/") + 1);
  if (description.shape.length === 1 && description.dimensionNames?.[0] === name) return "coordinate variable (xarray loads it whole)";
  if (product(description.shape) === 0) return "empty";
  if (description.dtype.kind === "string" || description.dtype.kind === "vlen") return `${description.dtype.name} data`;
  try {
    patternFor(description, accessText);
    return null;
  } catch (err) {
    if (err instanceof ChunkwiseError && err.tag === "UsageError") return "lacks the access pattern's dimension";
    throw err;
  }
}

/**
 * The storage chunks advise recommends for each array under an access pattern (today's chunks when
 * keeping them is best; for contiguous data, the best chunked layout): what `chunkwise rechunk
 * --auto` applies.
 */
export async function recommendedStorageChunks(
  dataset: Dataset,
  arrays: readonly ArrayDescription[],
  accessText: string,
  machine: MachineSpec,
  cost: CostModel = DEFAULT_COST_MODEL,
): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const description of arrays) {
    if (skipReason(description, accessText) !== null) continue;
    const resolved = resolvePolicy(EMPTY_POLICY, description.path);
    const advice = adviseArray(await describeForAdvice(dataset, description), {
      access: patternFor(description, accessText),
      machine,
      cost,
      thresholds: resolved.thresholds,
      filters: resolved.filters,
      currentCompute: null,
    });
    // A rewrite of contiguous data must be chunked: take the best layout even where keeping would do.
    const rewrite = advice.storage.verdict === "rechunk" || description.chunks === null;
    const chunks = rewrite ? advice.storage.best?.storageChunks : description.chunks;
    if (chunks) out.set(description.path, [...chunks]);
  }
  return out;
}
