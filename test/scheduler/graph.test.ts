import { describe, expect, it } from "vitest";
import { indexGraph, treeReduce } from "../../src/scheduler/graph.js";
import type { TaskSpec } from "../../src/scheduler/types.js";

const leaf = (id: string): TaskSpec => ({ id, op: "noop", payload: {} });

/** Every leaf reaches the root exactly once. */
function leavesUnder(root: string, tasks: Map<string, TaskSpec>): string[] {
  const spec = tasks.get(root)!;
  if (!spec.deps || spec.deps.length === 0) return [root];
  return spec.deps.flatMap((d) => leavesUnder(d, tasks));
}

describe("treeReduce", () => {
  for (const [count, splitEvery] of [
    [1, 2],
    [2, 2],
    [7, 2],
    [7, 3],
    [9, 4],
    [13, 8],
    [100, 7],
  ] as const) {
    it(`${count} leaves, split_every ${splitEvery}: one root covering every leaf once, groups ≤ split_every`, () => {
      const leaves = Array.from({ length: count }, (_, i) => leaf(`l${i}`));
      const { tasks, root } = treeReduce(
        leaves.map((l) => l.id),
        splitEvery,
        (id, deps) => ({ id, op: "combine", payload: {}, deps }),
      );
      const all = new Map([...leaves, ...tasks].map((t) => [t.id, t]));
      expect(leavesUnder(root, all).sort()).toEqual(leaves.map((l) => l.id).sort());
      for (const t of tasks) expect(t.deps!.length).toBeGreaterThanOrEqual(2);
      for (const t of tasks) expect(t.deps!.length).toBeLessThanOrEqual(splitEvery);
      const graph = indexGraph([...leaves, ...tasks]);
      expect(graph.depth.get(root)).toBe(count === 1 ? 0 : Math.ceil(Math.log(count) / Math.log(splitEvery)));
    });
  }

  it("refuses split_every below 2", () => {
    expect(() => treeReduce(["a", "b"], 1, (id, deps) => ({ id, op: "combine", payload: {}, deps }))).toThrow(/split_every/);
  });
});

describe("indexGraph", () => {
  it("orders tasks after their dependencies", () => {
    const graph = indexGraph([{ ...leaf("c"), deps: ["a", "b"] }, leaf("a"), { ...leaf("b"), deps: ["a"] }]);
    expect(graph.order).toEqual(["a", "b", "c"]);
    expect(graph.depth.get("c")).toBe(2);
  });

  it("rejects duplicates, unknown deps and cycles", () => {
    expect(() => indexGraph([leaf("a"), leaf("a")])).toThrow(/duplicate/);
    expect(() => indexGraph([{ ...leaf("a"), deps: ["zz"] }])).toThrow(/unknown task "zz"/);
    expect(() => indexGraph([{ ...leaf("a"), deps: ["b"] }, { ...leaf("b"), deps: ["a"] }])).toThrow(/cycle/);
  });
});
