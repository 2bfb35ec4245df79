import { ChunkwiseError } from "../errors.js";

const factors: Record<string, number> = { ms: 1e-3, s: 1, sec: 1, m: 60, min: 60, h: 3600 };

/** A duration as users type it: "20s", "500ms", "2m", "1.5min", "1h"; a bare number is seconds. */
export function parseDuration(text: string, what = "duration"): number {
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-zA-Z]*)\s*$/.exec(text);
  const factor = match ? factors[(match[2] || "s").toLowerCase()] : undefined;
  if (!match || factor === undefined) {
    throw new ChunkwiseError("UsageError", `invalid ${what} "${text}": use a number with a unit ms, s, m (minutes) or h, e.g. 20s`);
  }
  const seconds = Number(match[1]) * factor;
  if (!(seconds > 0)) throw new ChunkwiseError("UsageError", `invalid ${what} "${text}": must be greater than zero`);
  return seconds;
}
