/**
 * What users type for chunk shapes and codecs: `--chunks time=365,lat=32,lon=32` (by dimension
 * name), `--chunks 365,32,32` (by position), `-1` or `full` for the whole extent; `--codec zstd:3`.
 */
import { ChunkwiseError } from "../errors.js";
import type { ArrayDescription } from "../formats/dataset.js";
import type { CodecChoice } from "../formats/writer.js";

/** An extent along one axis: a length, or the whole axis. */
export type Extent = number | "full";

export type ChunkSpec =
  | { readonly kind: "named"; readonly text: string; readonly byName: ReadonlyMap<string, Extent> }
  | { readonly kind: "positional"; readonly text: string; readonly values: readonly Extent[] };

function parseExtent(token: string, text: string, flag: string): Extent {
  const value = token.trim().toLowerCase();
  if (value === "-1" || value === "full") return "full";
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new ChunkwiseError("UsageError", `invalid ${flag} "${text}": "${token}" is not a positive length, -1 or full`);
  }
  return Number(value);
}

/** Parse `time=365,lat=32,lon=32` or `365,32,32`; mixing the two forms is refused. */
export function parseChunkSpec(text: string, flag = "--chunks"): ChunkSpec {
  const parts = text.split(",").map((p) => p.trim());
  if (text.trim() === "" || parts.some((p) => p === "")) {
    throw new ChunkwiseError("UsageError", `invalid ${flag} "${text}": expected e.g. time=365,lat=32,lon=32 or 365,32,32`);
  }
  const named = parts.filter((p) => p.includes("="));
  if (named.length === 0) return { kind: "positional", text, values: parts.map((p) => parseExtent(p, text, flag)) };
  if (named.length !== parts.length) {
    throw new ChunkwiseError("UsageError", `invalid ${flag} "${text}": give every axis by name (time=365,lat=32) or every axis by position (365,32,32), not both`);
  }
  const byName = new Map<string, Extent>();
  for (const part of parts) {
    const at = part.indexOf("=");
    const name = part.slice(0, at).trim();
    if (name === "") throw new ChunkwiseError("UsageError", `invalid ${flag} "${text}": "${part}" has no dimension name`);
    if (byName.has(name)) throw new ChunkwiseError("UsageError", `invalid ${flag} "${text}": dimension "${name}" is given twice`);
    byName.set(name, parseExtent(part.slice(at + 1), text, flag));
  }
  return { kind: "named", text, byName };
}

/**
 * Whether a spec is meant for this array: a positional spec applies to arrays of its rank; a
 * named one to arrays whose dimension names include every name it gives.
 */
export function specApplies(spec: ChunkSpec, array: Pick<ArrayDescription, "shape" | "dimensionNames">): boolean {
  if (spec.kind === "positional") return spec.values.length === array.shape.length;
  const names = array.dimensionNames ?? [];
  return [...spec.byName.keys()].every((name) => names.includes(name));
}

/**
 * The chunk shape a spec asks for on this array, clipped to the shape. Axes a named spec does
 * not mention keep `fallback` (the source's chunk). Throws a UsageError naming what does not fit.
 */
export function resolveChunkSpec(
  spec: ChunkSpec,
  array: Pick<ArrayDescription, "path" | "shape" | "dimensionNames">,
  fallback: readonly number[],
  flag = "--chunks",
): number[] {
  const { shape } = array;
  const clip = (extent: Extent, axis: number): number => Math.max(1, extent === "full" ? shape[axis]! : Math.min(extent, shape[axis]!));
  if (spec.kind === "positional") {
    if (spec.values.length !== shape.length) {
      throw new ChunkwiseError(
        "UsageError",
        `${flag} ${spec.text} gives ${spec.values.length} axes but ${array.path} has ${shape.length} (shape ${shape.join("×")})`,
      );
    }
    return spec.values.map(clip);
  }
  const names = array.dimensionNames ?? [];
  for (const name of spec.byName.keys()) {
    if (!names.includes(name)) {
      const known = names.filter((n) => n !== null).join(", ") || "none";
      throw new ChunkwiseError("UsageError", `${flag} ${spec.text}: ${array.path} has no dimension "${name}" (its dimensions: ${known})`);
    }
  }
  return shape.map((_, axis) => {
    const name = names[axis];
    const extent = name === null || name === undefined ? undefined : spec.byName.get(name);
    return extent === undefined ? Math.max(1, Math.min(fallback[axis]!, shape[axis]!)) : clip(extent, axis);
  });
}

/** `--codec zstd:3`, `--codec gzip`, `--codec none`. */
export function parseCodecChoice(text: string): CodecChoice {
  const match = /^([A-Za-z][\w.-]*)(?::(-?\d+))?$/.exec(text.trim());
  if (!match) throw new ChunkwiseError("UsageError", `invalid --codec "${text}": expected NAME or NAME:LEVEL, e.g. zstd:3, gzip:1, lz4, none`);
  const name = match[1]!.toLowerCase();
  if (match[2] !== undefined && name === "none") throw new ChunkwiseError("UsageError", `invalid --codec "${text}": none takes no level`);
  return match[2] === undefined ? { name } : { name, level: Number(match[2]) };
}
