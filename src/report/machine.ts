import type { MachineFacts } from "../system/index.js";
import { formatSize } from "../units.js";
import { chalk } from "./style.js";

export function machineJson(machine: MachineFacts): Record<string, unknown> {
  const { memory, cores } = machine;
  return {
    memory: {
      total_bytes: memory.totalBytes,
      available_bytes: memory.availableBytes,
      container_limit_bytes: memory.containerLimitBytes,
      limit_bytes: memory.limitBytes,
      limit_source: memory.limitSource,
    },
    cores: { usable: cores.usable, logical: cores.logical },
  };
}

export function machineLine(machine: MachineFacts): string {
  const { memory, cores } = machine;
  const container = memory.containerLimitBytes === null ? "no container limit" : `container limit ${formatSize(memory.containerLimitBytes)}`;
  const limit = memory.limitSource === "--memory" ? `, planning with ${formatSize(memory.limitBytes)} (--memory)` : "";
  return `${chalk.bold("Machine")}  memory ${formatSize(memory.totalBytes)} total, ${formatSize(memory.availableBytes)} available, ${container}${limit}; ${cores.usable} usable cores (of ${cores.logical})`;
}
