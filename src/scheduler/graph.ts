/**
 * Task graphs as data: validation (unique ids, known deps, no cycles), the depth used to order
 * ready tasks, and the tree reduction builder (Dask's `split_every`).
 */
import { ChunkwiseError } from "../errors.js";
import type { TaskSpec } from "./types.js";

export interface GraphIndex {
  readonly specs: ReadonlyMap<string, TaskSpec>;
  /** Ids of the tasks that take each task's result. */
  readonly dependents: ReadonlyMap<string, readonly string[]>;
  /** Longest chain of dependencies below each task (leaves: 0). */
  readonly depth: ReadonlyMap<string, number>;
  /** Ids in an order where every task follows its dependencies. */
  readonly order: readonly string[];
}

export function indexGraph(tasks: readonly TaskSpec[]): GraphIndex {
  const specs = new Map<string, TaskSpec>();
  for (const task of tasks) {
    if (specs.has(task.id)) throw new ChunkwiseError("UsageError", `task graph: duplicate task id "${task.id}"`);
    specs.set(task.id, task);
  }
  const dependents = new Map<string, string[]>();
  for (const task of tasks) dependents.set(task.id, []);
  for (const task of tasks) {
    for (const dep of task.deps ?? []) {
      const list = dependents.get(dep);
      if (list === undefined) throw new ChunkwiseError("UsageError", `task graph: task "${task.id}" depends on unknown task "${dep}"`);
      list.push(task.id);
    }
  }
  // Kahn's algorithm: a topological order, and depth = 1 + deepest dependency.
  const waiting = new Map<string, number>();
  const depth = new Map<string, number>();
  const order: string[] = [];
  const ready: string[] = [];
  for (const task of tasks) {
    const n = new Set(task.deps ?? []).size;
    waiting.set(task.id, n);
    if (n === 0) ready.push(task.id);
  }
  for (let i = 0; i < ready.length; i++) {
    const id = ready[i]!;
    order.push(id);
    const spec = specs.get(id)!;
    depth.set(id, Math.max(-1, ...(spec.deps ?? []).map((d) => depth.get(d)!)) + 1);
    for (const next of new Set(dependents.get(id)!)) {
      const left = waiting.get(next)! - 1;
      waiting.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  if (order.length !== tasks.length) {
    const stuck = tasks.filter((t) => !depth.has(t.id)).map((t) => t.id);
    throw new ChunkwiseError("UsageError", `task graph has a cycle through: ${stuck.slice(0, 5).join(", ")}`);
  }
  return { specs, dependents, depth, order };
}

/**
 * Combine tasks that reduce `leafIds` in a tree, at most `splitEvery` inputs per combine, until
 * one result remains. Groups are consecutive, so an odd count leaves a smaller last group (a
 * group of one passes through without a task). Returns the new tasks and the root's id.
 */
export function treeReduce(
  leafIds: readonly string[],
  splitEvery: number,
  makeCombine: (id: string, deps: readonly string[], level: number) => TaskSpec,
  prefix = "combine",
): { tasks: TaskSpec[]; root: string } {
  if (leafIds.length === 0) throw new ChunkwiseError("UsageError", "tree reduction over no tasks");
  if (!Number.isInteger(splitEvery) || splitEvery < 2) throw new ChunkwiseError("UsageError", `split_every must be an integer ≥ 2, got ${splitEvery}`);
  const tasks: TaskSpec[] = [];
  let level = 0;
  let current = [...leafIds];
  while (current.length > 1) {
    level++;
    const next: string[] = [];
    for (let i = 0; i < current.length; i += splitEvery) {
      const group = current.slice(i, i + splitEvery);
      if (group.length === 1) {
        next.push(group[0]!);
        continue;
      }
      const id = `${prefix}-${level}-${i / splitEvery}`;
      tasks.push(makeCombine(id, group, level));
      next.push(id);
    }
    current = next;
  }
  return { tasks, root: current[0]! };
}
