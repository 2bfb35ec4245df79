/**
 * The computations tasks run, as pure functions over typed arrays. Reductions produce mergeable
 * partials (count, sum, min, max, and Welford's mean and M2 for std) so a tree of combine tasks
 * gives the same answer as one pass over all the data; NaN propagates as in numpy.
 */
import type { NumericArray } from "../formats/dataset.js";

export type ReduceKernel = "sum" | "mean" | "min" | "max" | "std";
export type MapKernel = { readonly kind: "copy" } | { readonly kind: "scale-offset"; readonly scale: number; readonly offset: number };

export const REDUCE_KERNELS: readonly ReduceKernel[] = ["sum", "mean", "min", "max", "std"];

export interface Partial {
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  /** Welford running mean and sum of squared deviations (std only; 0 otherwise). */
  readonly mean: number;
  readonly m2: number;
  readonly nan: boolean;
}

export const EMPTY_PARTIAL: Partial = { count: 0, sum: 0, min: Infinity, max: -Infinity, mean: 0, m2: 0, nan: false };

/** One pass over `values`, computing what `kernel` needs. */
export function summarize(values: NumericArray, kernel: ReduceKernel): Partial {
  const n = values.length;
  const big = values instanceof BigInt64Array || values instanceof BigUint64Array;
  const at = big ? (i: number) => Number(values[i] as bigint) : (i: number) => values[i] as number;
  let nan = false;
  switch (kernel) {
    case "sum":
    case "mean": {
      // Pairwise-style blocking keeps float error close to numpy's on long arrays.
      let sum = 0;
      for (let b = 0; b < n; b += 4096) {
        let part = 0;
        const end = Math.min(n, b + 4096);
        for (let i = b; i < end; i++) part += at(i);
        sum += part;
      }
      return { ...EMPTY_PARTIAL, count: n, sum, nan: Number.isNaN(sum) };
    }
    case "min": {
      let min = Infinity;
      for (let i = 0; i < n; i++) {
        const v = at(i);
        if (v < min) min = v;
        else if (v !== v) nan = true;
      }
      return { ...EMPTY_PARTIAL, count: n, min, nan };
    }
    case "max": {
      let max = -Infinity;
      for (let i = 0; i < n; i++) {
        const v = at(i);
        if (v > max) max = v;
        else if (v !== v) nan = true;
      }
      return { ...EMPTY_PARTIAL, count: n, max, nan };
    }
    case "std": {
      let mean = 0;
      let m2 = 0;
      for (let i = 0; i < n; i++) {
        const v = at(i);
        const delta = v - mean;
        mean += delta / (i + 1);
        m2 += delta * (v - mean);
      }
      return { ...EMPTY_PARTIAL, count: n, mean, m2, nan: Number.isNaN(m2) };
    }
  }
}

/** Merge two partials (Chan et al. for mean/M2); associative, so any tree shape gives the same result up to rounding. */
export function mergePartials(a: Partial, b: Partial): Partial {
  if (a.count === 0) return b;
  if (b.count === 0) return a;
  const count = a.count + b.count;
  const delta = b.mean - a.mean;
  return {
    count,
    sum: a.sum + b.sum,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
    mean: a.mean + (delta * b.count) / count,
    m2: a.m2 + b.m2 + (delta * delta * a.count * b.count) / count,
    nan: a.nan || b.nan,
  };
}

/** The reduction's value: population std (ddof 0) like numpy's default; NaN for an empty mean/std or when a NaN was met. */
export function finalize(partial: Partial, kernel: ReduceKernel): number {
  if (partial.nan) return NaN;
  switch (kernel) {
    case "sum":
      return partial.sum;
    case "mean":
      return partial.count === 0 ? NaN : partial.sum / partial.count;
    case "min":
      return partial.min;
    case "max":
      return partial.max;
    case "std":
      return partial.count === 0 ? NaN : Math.sqrt(partial.m2 / partial.count);
  }
}

/**
 * Elementwise map. `copy` returns a fresh copy of the values; `scale-offset` returns
 * values × scale + offset as float64 (float32 input stays float32, as numpy would keep it).
 */
export function applyMap(values: NumericArray, kernel: MapKernel): NumericArray {
  if (kernel.kind === "copy") return values.slice() as NumericArray;
  const { scale, offset } = kernel;
  const out = values instanceof Float32Array ? new Float32Array(values.length) : new Float64Array(values.length);
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
    for (let i = 0; i < values.length; i++) out[i] = Number(values[i]) * scale + offset;
  } else {
    for (let i = 0; i < values.length; i++) out[i] = (values[i] as number) * scale + offset;
  }
  return out;
}
