import { type CoreFacts, detectCores } from "./cores.js";
import { type MemoryFacts, detectMemory } from "./memory.js";

export type { CoreFacts } from "./cores.js";
export type { MemoryFacts, MemoryLimitSource } from "./memory.js";

export interface MachineFacts {
  readonly memory: MemoryFacts;
  readonly cores: CoreFacts;
}

export function detectMachine(memoryOverride?: number): MachineFacts {
  return { memory: detectMemory(memoryOverride), cores: detectCores() };
}
