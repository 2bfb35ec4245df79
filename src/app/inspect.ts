import { ChunkwiseError } from "../errors.js";
import type { ArrayDescription } from "../formats/dataset.js";
import { openDataset } from "../formats/open.js";
import { type ChunkLayout, chunkLayout, compressionRatio } from "../model/layout.js";
import { type MachineFacts, detectMachine } from "../system/index.js";

export interface ArrayInspection {
  readonly description: ArrayDescription;
  readonly layout: ChunkLayout;
  readonly compressionRatio: number | null;
}

export interface InspectReport {
  readonly location: string;
  readonly format: string;
  readonly arrays: readonly ArrayInspection[];
  readonly machine: MachineFacts;
}

export interface InspectOptions {
  readonly array?: string;
  readonly memoryOverride?: number;
}

export function inspectArray(description: ArrayDescription): ArrayInspection {
  const layout = chunkLayout({
    shape: description.shape,
    itemSize: description.dtype.itemSize,
    chunks: description.chunks,
    shards: description.shards,
  });
  const ratio = compressionRatio(layout, description.storage.storedBytes, description.storage.writtenObjects, description.chunks === null);
  return { description, layout, compressionRatio: ratio };
}

/**
 * Select arrays by the name a user typed: the full path ("/group/tas"), the path without its
 * leading slash, or a bare name when only one array has it.
 */
export function selectArrays(arrays: readonly ArrayDescription[], name: string | undefined, location: string): ArrayDescription[] {
  if (name === undefined) return [...arrays];
  const wanted = name.startsWith("/") ? name : `/${name}`;
  const exact = arrays.filter((a) => a.path === wanted);
  if (exact.length > 0) return exact;
  const byName = arrays.filter((a) => a.path.endsWith(wanted));
  if (byName.length === 1) return byName;
  const known = arrays.map((a) => a.path).join(", ") || "none";
  const problem = byName.length > 1 ? `array name "${name}" is ambiguous` : `no array "${name}"`;
  throw new ChunkwiseError("UsageError", `${problem}; arrays here: ${known}`, { path: location });
}

export async function inspect(location: string, options: InspectOptions = {}): Promise<InspectReport> {
  const dataset = await openDataset(location, { arrayPaths: options.array === undefined ? [] : [options.array] });
  try {
    const arrays = selectArrays(await dataset.listArrays(), options.array, location);
    return {
      location,
      format: dataset.format,
      arrays: arrays.map(inspectArray),
      machine: detectMachine(options.memoryOverride),
    };
  } finally {
    await dataset.close();
  }
}
