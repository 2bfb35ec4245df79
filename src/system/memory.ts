import { readFileSync } from "node:fs";
import os from "node:os";

/** Where the effective memory limit came from. */
export type MemoryLimitSource = "total" | "process.constrainedMemory" | "cgroup v2" | "cgroup v1" | "--memory";

export interface MemoryFacts {
  /** Physical memory of the machine (os.totalmem). */
  readonly totalBytes: number;
  /** Memory available to new allocations now (process.availableMemory where present, else os.freemem), capped by the limit. */
  readonly availableBytes: number;
  /** Container limit (cgroup v2 memory.max, cgroup v1 memory.limit_in_bytes, or process.constrainedMemory), null when none. */
  readonly containerLimitBytes: number | null;
  /** What chunkwise plans with: the smallest of total and the container limit, or --memory. */
  readonly limitBytes: number;
  readonly limitSource: MemoryLimitSource;
}

/** Readers for the places the facts come from, injectable so tests can stand in a cgroup. */
export interface MemorySources {
  totalmem(): number;
  freemem(): number;
  constrainedMemory(): number | undefined;
  availableMemory(): number | undefined;
  readFile(path: string): string | undefined;
}

const NO_LIMIT_V1 = 2 ** 62;

export const nodeMemorySources: MemorySources = {
  totalmem: () => os.totalmem(),
  freemem: () => os.freemem(),
  constrainedMemory: () => (typeof process.constrainedMemory === "function" ? process.constrainedMemory() : undefined),
  availableMemory: () => {
    const fn = (process as { availableMemory?: () => number }).availableMemory;
    return typeof fn === "function" ? fn.call(process) : undefined;
  },
  readFile: (path) => {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return undefined;
    }
  },
};

/** cgroup v2: the unified hierarchy's `0::/PATH` line, then memory.max there and up the tree. */
function cgroupV2Limit(src: MemorySources): number | null {
  const cgroups = src.readFile("/proc/self/cgroup");
  const line = cgroups?.split("\n").find((l) => l.startsWith("0::"));
  if (line === undefined) return null;
  let dir = line.slice(3).trim() || "/";
  let smallest: number | null = null;
  for (;;) {
    const text = src.readFile(`/sys/fs/cgroup${dir === "/" ? "" : dir}/memory.max`)?.trim();
    if (text !== undefined && text !== "max" && /^\d+$/.test(text)) {
      const value = Number(text);
      smallest = smallest === null ? value : Math.min(smallest, value);
    }
    if (dir === "/") break;
    dir = dir.slice(0, dir.lastIndexOf("/")) || "/";
  }
  return smallest;
}

/** cgroup v1: the memory controller's limit for this process's cgroup, or the mount root. */
function cgroupV1Limit(src: MemorySources): number | null {
  const cgroups = src.readFile("/proc/self/cgroup") ?? "";
  const memoryLine = cgroups.split("\n").find((l) => /^\d+:([^:]*,)?memory(,[^:]*)?:/.test(l));
  const candidates = ["/sys/fs/cgroup/memory/memory.limit_in_bytes"];
  if (memoryLine) {
    const path = memoryLine.slice(memoryLine.indexOf(":", memoryLine.indexOf(":") + 1) + 1).trim();
    if (path && path !== "/") candidates.unshift(`/sys/fs/cgroup/memory${path}/memory.limit_in_bytes`);
  }
  for (const file of candidates) {
    const text = src.readFile(file)?.trim();
    if (text && /^\d+$/.test(text)) {
      const value = Number(text);
      return value >= NO_LIMIT_V1 ? null : value;
    }
  }
  return null;
}

export function detectMemory(override?: number, src: MemorySources = nodeMemorySources): MemoryFacts {
  const totalBytes = src.totalmem();
  const constrained = src.constrainedMemory();
  let containerLimitBytes: number | null = null;
  let source: MemoryLimitSource = "total";
  if (constrained !== undefined && constrained > 0 && constrained < totalBytes) {
    containerLimitBytes = constrained;
    source = "process.constrainedMemory";
  } else {
    const v2 = cgroupV2Limit(src);
    const v1 = v2 === null ? cgroupV1Limit(src) : null;
    const limit = v2 ?? v1;
    if (limit !== null && limit < totalBytes) {
      containerLimitBytes = limit;
      source = v2 !== null ? "cgroup v2" : "cgroup v1";
    }
  }
  const detectedLimit = containerLimitBytes ?? totalBytes;
  const limitBytes = override ?? detectedLimit;
  const available = src.availableMemory() ?? src.freemem();
  return {
    totalBytes,
    availableBytes: Math.min(available, detectedLimit),
    containerLimitBytes,
    limitBytes,
    limitSource: override !== undefined ? "--memory" : source,
  };
}
