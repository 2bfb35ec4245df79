import { ChunkwiseError } from "../errors.js";

/**
 * The workload `advise` plans for. Axes are 0-based positions in the array's shape.
 *
 * - `full`: every element visited once, in any order (reductions, elementwise maps). No constraint
 *   on the compute chunks.
 * - `along`: each task needs the whole extent of these axes (time-series analysis, groupby/resample
 *   over time, FFT or rolling along an axis). Compute chunks span them fully.
 * - `slice`: reads of one index along `axis` at a time, the full extent of every other axis (one map
 *   per time step). A pass reads every index once, the reads spread over all threads.
 * - `point`: reads of the full extent of `axis` at a single position of every other axis (the time
 *   series at one grid point), one at a time, each as fast as possible: the storage cost is counted
 *   per read, with the read's chunks fetched in parallel. A point read holds only the chunks it
 *   touches, so it puts no constraint on compute chunks (they are advised as for `full`).
 */
export type AccessPattern =
  | { readonly kind: "full" }
  | { readonly kind: "along"; readonly axes: readonly number[] }
  | { readonly kind: "slice"; readonly axis: number }
  | { readonly kind: "point"; readonly axis: number };

export type DimensionNames = readonly (string | null)[] | null;

/** The name a user sees for an axis: its dimension name, else its number. */
export function axisLabel(axis: number, names: DimensionNames): string {
  return names?.[axis] ?? String(axis);
}

function validDimensions(rank: number, names: DimensionNames): string {
  const labels = Array.from({ length: rank }, (_, axis) => {
    const name = names?.[axis];
    return name ? `${name} (${axis})` : String(axis);
  });
  return labels.join(", ");
}

function resolveAxis(token: string, rank: number, names: DimensionNames, pattern: string): number {
  const trimmed = token.trim();
  const byName = names?.findIndex((name) => name === trimmed) ?? -1;
  if (byName >= 0) return byName;
  if (/^\d+$/.test(trimmed)) {
    const axis = Number(trimmed);
    if (axis < rank) return axis;
  }
  throw new ChunkwiseError(
    "UsageError",
    `--access ${pattern}: unknown dimension "${trimmed}"; dimensions of this array: ${rank === 0 ? "none (scalar)" : validDimensions(rank, names)}`,
  );
}

/**
 * Parse `full`, `along=DIM[,DIM]`, `slice=DIM`, `point` or `point=DIM` against an array's rank and
 * dimension names. `point` without a dimension reads along axis 0 (the record/time axis by netCDF
 * and CF convention). Dimensions by name or by axis number.
 */
export function parseAccessPattern(text: string, rank: number, names: DimensionNames): AccessPattern {
  const pattern = text.trim();
  const [kind, argument, ...rest] = pattern.split("=");
  if (rest.length > 0) throw usage(pattern);
  switch (kind) {
    case "full":
      if (argument !== undefined) throw usage(pattern);
      return { kind: "full" };
    case "along": {
      if (!argument) throw usage(pattern);
      const axes = argument.split(",").map((token) => resolveAxis(token, rank, names, pattern));
      const unique = [...new Set(axes)].sort((a, b) => a - b);
      if (unique.length !== axes.length) {
        throw new ChunkwiseError("UsageError", `--access ${pattern}: a dimension is listed twice`);
      }
      return { kind: "along", axes: unique };
    }
    case "slice":
      if (!argument) throw usage(pattern);
      return { kind: "slice", axis: resolveAxis(argument, rank, names, pattern) };
    case "point":
      if (argument === undefined) {
        if (rank === 0) throw new ChunkwiseError("UsageError", "--access point: a scalar has no dimension to read along");
        return { kind: "point", axis: 0 };
      }
      return { kind: "point", axis: resolveAxis(argument, rank, names, pattern) };
    default:
      throw usage(pattern);
  }
}

function usage(pattern: string): ChunkwiseError {
  return new ChunkwiseError(
    "UsageError",
    `invalid --access "${pattern}": use full, along=DIM[,DIM], slice=DIM, point or point=DIM (DIM by name or axis number)`,
  );
}

/** Axes a compute chunk must span fully under this pattern. */
export function fullExtentAxes(access: AccessPattern): readonly number[] {
  return access.kind === "along" ? access.axes : [];
}

/** `along=time,lat`, `slice=time`, `point=time`, `full`: the canonical spelling, names where known. */
export function formatAccessPattern(access: AccessPattern, names: DimensionNames): string {
  switch (access.kind) {
    case "full":
      return "full";
    case "along":
      return `along=${access.axes.map((axis) => axisLabel(axis, names)).join(",")}`;
    case "slice":
      return `slice=${axisLabel(access.axis, names)}`;
    case "point":
      return `point=${axisLabel(access.axis, names)}`;
  }
}
