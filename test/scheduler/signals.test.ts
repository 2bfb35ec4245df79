import { spawn } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/cli.js";
import { ensureBuilt } from "./build.js";

beforeAll(() => ensureBuilt());

/**
 * A child process runs a long graph (1000 tasks of 100 ms on 2 threads, ~50 s) on the compiled
 * scheduler and maps errors to exit codes as the CLI does; the test interrupts it.
 */
const script = `
import { Scheduler } from ${JSON.stringify(pathToFileURL(path.join(repoRoot, "dist/scheduler/index.js")).href)};
const scheduler = new Scheduler({ threads: 2 });
const tasks = Array.from({ length: 1000 }, (_, i) => ({
  id: "t" + i, op: "reduce", label: "chunk [" + i + "]",
  payload: { kernel: "sum", delayMs: 100 },
  inputs: [{ meta: { shape: [4], elementType: "float64" }, buffers: [new Float64Array(4).buffer] }],
}));
try {
  await scheduler.run(tasks, { onProgress: (p) => { if (p.done === 1) console.log("running"); } });
  console.log("finished");
} catch (err) {
  console.log("error", err.tag, err.message, "threads", scheduler.liveThreads);
  process.exitCode = err.exitCode ?? 3;
}
`;

function runChild(signal: NodeJS.Signals): Promise<{ code: number | null; stdout: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let sentAt = 0;
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
      if (sentAt === 0 && stdout.includes("running")) {
        sentAt = Date.now();
        child.kill(signal);
      }
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 40_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, ms: Date.now() - sentAt });
    });
  });
}

describe("interrupting a run", () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`${signal}: the run fails with InterruptedError, threads are destroyed, the process exits 130 at once`, async () => {
      const { code, stdout, ms } = await runChild(signal);
      expect(stdout).toContain(`error InterruptedError interrupted (${signal}) threads 0`);
      expect(stdout).not.toContain("finished");
      expect(code).toBe(130);
      expect(ms).toBeLessThan(15_000); // not a speed check: the graph alone would run ~50 s more
    });
  }
});
