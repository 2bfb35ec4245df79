/**
 * Robust straight-line fit of task time against task bytes: time = fixed + bytes / throughput.
 * Theil–Sen (median of pairwise slopes, median intercept) shrugs off the outliers a busy machine
 * produces (a page-cache miss, a GC pause), where least squares would bend towards them.
 */

export interface FitPoint {
  /** Bytes one task read and computed on. */
  readonly bytes: number;
  /** Seconds the task took. */
  readonly seconds: number;
}

export interface CostFit {
  /** Seconds per task that do not depend on its size (read latency, open, dispatch inside the worker). */
  readonly fixedSeconds: number;
  /** Seconds per byte (1 / throughput); null when the points cannot tell (one size only, or no positive slope). */
  readonly secondsPerByte: number | null;
  /** Coefficient of determination of the per-size medians against the line (1 = perfect); null with fewer than 3 sizes. */
  readonly rSquared: number | null;
  /** Median relative error of the per-size medians against the line. */
  readonly medianRelativeError: number;
  readonly points: number;
  readonly sizes: number;
  /** One line on how good the fit is. */
  readonly quality: string;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median time per distinct size, sorted by size. */
export function mediansBySize(points: readonly FitPoint[]): FitPoint[] {
  const groups = new Map<number, number[]>();
  for (const p of points) {
    const list = groups.get(p.bytes) ?? [];
    list.push(p.seconds);
    groups.set(p.bytes, list);
  }
  return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([bytes, secs]) => ({ bytes, seconds: median(secs) }));
}

/** Theil–Sen over the per-size medians (each size weighs the same however many tasks ran at it). */
export function fitCost(points: readonly FitPoint[]): CostFit {
  const medians = mediansBySize(points);
  if (medians.length === 0) throw new Error("no points to fit");
  let slope: number | null = null;
  let fixed: number;
  let clipped = false;
  if (medians.length >= 2) {
    const slopes: number[] = [];
    for (let i = 0; i < medians.length; i++) {
      for (let j = i + 1; j < medians.length; j++) {
        slopes.push((medians[j]!.seconds - medians[i]!.seconds) / (medians[j]!.bytes - medians[i]!.bytes));
      }
    }
    slope = median(slopes);
    fixed = median(medians.map((p) => p.seconds - slope! * p.bytes));
    if (!(slope > 0)) {
      slope = null;
      fixed = median(medians.map((p) => p.seconds));
    } else if (fixed < 0) {
      // A negative fixed cost means nothing: fit the line through the origin instead.
      fixed = 0;
      slope = median(medians.map((p) => p.seconds / p.bytes));
      clipped = true;
    }
  } else {
    fixed = 0;
    slope = medians[0]!.bytes > 0 ? medians[0]!.seconds / medians[0]!.bytes : null;
  }
  const predict = (bytes: number): number => fixed + (slope ?? 0) * bytes;
  const errors = medians.map((p) => Math.abs(predict(p.bytes) - p.seconds) / Math.max(p.seconds, 1e-12));
  const medianRelativeError = median(errors);
  let rSquared: number | null = null;
  if (medians.length >= 3) {
    const mean = medians.reduce((a, p) => a + p.seconds, 0) / medians.length;
    const total = medians.reduce((a, p) => a + (p.seconds - mean) ** 2, 0);
    const residual = medians.reduce((a, p) => a + (p.seconds - predict(p.bytes)) ** 2, 0);
    rSquared = total === 0 ? 1 : 1 - residual / total;
  }
  return {
    fixedSeconds: fixed,
    secondsPerByte: slope,
    rSquared,
    medianRelativeError,
    points: points.length,
    sizes: medians.length,
    quality: describeQuality(medians.length, rSquared, medianRelativeError, slope) + (clipped ? "; intercept below 0, line forced through the origin" : ""),
  };
}

function describeQuality(sizes: number, rSquared: number | null, error: number, slope: number | null): string {
  const err = `median error ${(error * 100).toFixed(1)} %`;
  if (sizes < 2) return `one chunk size only: throughput from that size, fixed cost not separable (${err})`;
  if (slope === null) return `time did not grow with chunk size over the sizes tried: throughput not measurable (${err})`;
  if (rSquared === null) return `two sizes only: too few to judge the line (${err})`;
  const verdict = rSquared >= 0.95 && error <= 0.15 ? "good" : rSquared >= 0.8 ? "fair" : "poor";
  return `${verdict}: R² ${rSquared.toFixed(3)} over ${sizes} sizes, ${err}`;
}
