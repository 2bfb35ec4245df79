import { ChunkwiseError } from "../errors.js";
import { type CostFigure, type CostModel, DEFAULT_COST_MODEL, type FigureSource } from "./cost-model.js";

/**
 * The model file `probe --save` writes and `advise --model` reads. JSON, snake_case, versioned:
 *
 *   { "schema": 1, "kind": "chunkwise-cost-model", "created": ISO date, "source": what was probed,
 *     "per_task_overhead_s": n, "per_chunk_read_s": n, "throughput_bytes_per_s": n,
 *     "spill_s_per_byte": n, "working_memory_factor": n,
 *     "measured": ["per_task_overhead_s", ...],   // the rest keep chunkwise's defaults
 *     "notes": ["..."] }
 *
 * A figure absent from the file keeps its default and stays "assumed".
 */

export const COST_MODEL_KIND = "chunkwise-cost-model";

const fileKeys: Record<CostFigure, string> = {
  perTaskOverheadSeconds: "per_task_overhead_s",
  perChunkReadSeconds: "per_chunk_read_s",
  throughputBytesPerSecond: "throughput_bytes_per_s",
  spillSecondsPerByte: "spill_s_per_byte",
  workingMemoryFactor: "working_memory_factor",
};

const figures = Object.keys(fileKeys) as CostFigure[];

export function serializeCostModel(model: CostModel, meta: { created: Date; source: string }): string {
  const document: Record<string, unknown> = {
    schema: 1,
    kind: COST_MODEL_KIND,
    created: meta.created.toISOString(),
    source: meta.source,
  };
  for (const figure of figures) document[fileKeys[figure]] = model[figure];
  document.measured = figures.filter((f) => model.sources[f] === "measured").map((f) => fileKeys[f]);
  document.notes = model.notes;
  return `${JSON.stringify(document, null, 2)}\n`;
}

export function parseCostModel(text: string, path: string): CostModel {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    throw new ChunkwiseError("MetadataError", `model file is not valid JSON (${(err as Error).message})`, { path });
  }
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    throw new ChunkwiseError("MetadataError", "model file must hold a JSON object", { path });
  }
  const record = document as Record<string, unknown>;
  if (record.kind !== COST_MODEL_KIND) {
    throw new ChunkwiseError("MetadataError", `not a chunkwise model file ("kind" must be "${COST_MODEL_KIND}"; write one with chunkwise probe --save)`, { path });
  }
  if (record.schema !== 1) {
    throw new ChunkwiseError("MetadataError", `unsupported model file schema ${JSON.stringify(record.schema)} (this chunkwise reads schema 1)`, { path });
  }
  const measuredKeys = Array.isArray(record.measured) ? record.measured.filter((k): k is string => typeof k === "string") : [];
  const values: Partial<Record<CostFigure, number>> = {};
  const sources = {} as Record<CostFigure, FigureSource>;
  for (const figure of figures) {
    const key = fileKeys[figure];
    const value = record[key];
    if (value === undefined) {
      sources[figure] = "assumed";
      continue;
    }
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new ChunkwiseError("MetadataError", `"${key}" must be a non-negative number, got ${JSON.stringify(value)}`, { path });
    }
    values[figure] = value;
    sources[figure] = measuredKeys.includes(key) ? "measured" : "assumed";
  }
  const notes = Array.isArray(record.notes) ? record.notes.filter((n): n is string => typeof n === "string") : [];
  return { ...DEFAULT_COST_MODEL, ...values, sources, notes };
}
