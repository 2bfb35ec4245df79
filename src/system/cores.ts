import os from "node:os";

export interface CoreFacts {
  /** Cores this process may use (os.availableParallelism: affinity and cgroup cpusets). */
  readonly usable: number;
  /** Logical CPUs the machine reports. */
  readonly logical: number;
}

export function detectCores(): CoreFacts {
  return { usable: os.availableParallelism(), logical: os.cpus().length };
}
