import { ChunkwiseError } from "./errors.js";

/**
 * Byte sizes, as users type them. Decimal (SI) units are powers of 1000 and binary (IEC) units
 * powers of 1024, as Dask and most storage tools read them: "8GB" = 8e9, "8GiB" = 8·2^30.
 * Units are case-insensitive; a bare number is bytes.
 */
const unitFactors: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  pb: 1e15,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
  pib: 2 ** 50,
};

export function parseSize(text: string, what = "size"): number {
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)(?:e(\d+))?\s*([a-zA-Z]*)\s*$/.exec(text);
  const factor = match ? unitFactors[(match[3] || "b").toLowerCase()] : undefined;
  if (!match || factor === undefined) {
    throw new ChunkwiseError(
      "UsageError",
      `invalid ${what} "${text}": use a number with an optional unit B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024), e.g. 8GiB`,
    );
  }
  const value = Number(match[1]) * 10 ** Number(match[2] ?? 0) * factor;
  if (!Number.isFinite(value) || value <= 0) {
    throw new ChunkwiseError("UsageError", `invalid ${what} "${text}": must be greater than zero`);
  }
  return Math.round(value);
}

/** Human size in binary units with three significant digits: "1.50 GiB", "512 B". */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const sign = bytes < 0 ? "-" : "";
  if (unit === 0) return `${sign}${value} B`;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${sign}${value.toFixed(digits)} ${units[unit]}`;
}

/** Durations for people: "850 µs", "12.3 ms", "4.20 s", "3 min 20 s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  if (seconds < 1e-3) return `${Math.round(seconds * 1e6)} µs`;
  if (seconds < 1) return `${(seconds * 1e3).toPrecision(3)} ms`;
  if (seconds < 120) return `${seconds.toPrecision(3)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${minutes - hours * 60} min`;
}
