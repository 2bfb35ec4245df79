import { describe, expect, it } from "vitest";
import { isChunkwiseError } from "../../src/errors.js";
import { EMPTY_POLICY, globToRegExp, parsePolicy, resolvePolicy } from "../../src/model/policy.js";
import { DEFAULT_THRESHOLDS } from "../../src/model/thresholds.js";

const FILE = "ci/chunk-policy.json";

function errorOf(text: string): Error {
  try {
    parsePolicy(text, FILE);
  } catch (err) {
    expect(isChunkwiseError(err, "UsageError")).toBe(true);
    expect((err as { path?: string }).path).toBe(FILE);
    return err as Error;
  }
  throw new Error("expected the policy to be refused");
}

describe("policy files", () => {
  const policy = parsePolicy(
    JSON.stringify({
      schema: 1,
      thresholds: { overhead_share: 0.3, contiguous_bytes: "2GiB" },
      silence: ["edge-chunk-waste"],
      severity: { "chunks-too-small": "error" },
      arrays: {
        "/tas": { thresholds: { read_amplification: 10 }, silence: ["too-many-objects"] },
        "group/*": { severity: { "chunks-too-small": "info" } },
        "/deep/**": { silence: ["chunks-too-large"] },
      },
    }),
    FILE,
  );

  it("layers defaults, top-level rules and every matching array entry", () => {
    const tas = resolvePolicy(policy, "/tas");
    expect(tas.thresholds.overheadShare).toBe(0.3);
    expect(tas.thresholds.contiguousBytes).toBe(2 * 2 ** 30);
    expect(tas.thresholds.readAmplification).toBe(10);
    expect(tas.thresholds.maxTasks).toBe(DEFAULT_THRESHOLDS.maxTasks);
    expect([...tas.filters.silenced].sort()).toEqual(["edge-chunk-waste", "too-many-objects"]);
    expect(tas.filters.severities["chunks-too-small"]).toBe("error");
    const grouped = resolvePolicy(policy, "/group/pr");
    expect(grouped.filters.severities["chunks-too-small"]).toBe("info");
    expect(grouped.thresholds.readAmplification).toBe(DEFAULT_THRESHOLDS.readAmplification);
    expect(resolvePolicy(policy, "/group/sub/pr").filters.severities["chunks-too-small"]).toBe("error");
    expect(resolvePolicy(policy, "/deep/a/b").filters.silenced.has("chunks-too-large")).toBe(true);
    expect(resolvePolicy(EMPTY_POLICY, "/x").thresholds).toEqual(DEFAULT_THRESHOLDS);
  });

  it("matches globs within and across path segments", () => {
    expect(globToRegExp("/a/*").test("/a/b")).toBe(true);
    expect(globToRegExp("/a/*").test("/a/b/c")).toBe(false);
    expect(globToRegExp("a/**").test("/a/b/c")).toBe(true);
    expect(globToRegExp("/t?s").test("/tas")).toBe(true);
    expect(globToRegExp("/t.s").test("/tas")).toBe(false);
  });

  it("refuses bad documents naming the file and the key", () => {
    expect(errorOf("{").message).toContain("not valid JSON");
    expect(errorOf("[]").message).toContain("JSON object");
    expect(errorOf('{"thresholds": {"overhead": 1}}').message).toMatch(/policy key "thresholds.overhead": unknown key; allowed: overhead_share/);
    expect(errorOf('{"thresholds": {"overhead_share": 2}}').message).toContain('"thresholds.overhead_share": must be between 0 and 1');
    expect(errorOf('{"thresholds": {"max_tasks": "many"}}').message).toContain('"thresholds.max_tasks": must be a number');
    expect(errorOf('{"thresholds": {"contiguous_bytes": "lots"}}').message).toContain('"thresholds.contiguous_bytes"');
    expect(errorOf('{"silence": ["nope"]}').message).toContain('"silence[0]": unknown finding id "nope"');
    expect(errorOf('{"severity": {"chunks-too-small": "fatal"}}').message).toContain('"severity.chunks-too-small": must be one of info, warning, error');
    expect(errorOf('{"arrays": {"/tas": {"silenced": []}}}').message).toContain('"arrays./tas.silenced": unknown key');
    expect(errorOf('{"arrays": {"/tas": {"silence": ["x"]}}}').message).toContain('"arrays./tas.silence[0]"');
    expect(errorOf('{"schema": 2}').message).toContain("unsupported policy schema 2");
    expect(errorOf('{"rules": {}}').message).toContain('"rules": unknown key');
  });
});
