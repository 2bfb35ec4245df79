import { readFileSync } from "node:fs";

/** When the limit cannot be read (not Linux): the usual soft limit. */
const FALLBACK_LIMIT = 1024;

/** Files this process may hold open at once (RLIMIT_NOFILE, which Node raises to the hard limit at start). */
export function openFileLimit(limitsText?: string): number {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync("/proc/self/limits", "utf8");
    } catch {
      return FALLBACK_LIMIT;
    }
  }
  const line = text.split("\n").find((l) => l.startsWith("Max open files"));
  const soft = line?.slice("Max open files".length).trim().split(/\s+/)[0];
  if (soft === "unlimited") return Number.MAX_SAFE_INTEGER;
  const limit = Number(soft);
  return Number.isFinite(limit) && limit > 0 ? limit : FALLBACK_LIMIT;
}
