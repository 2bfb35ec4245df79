import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fixture, repoRoot } from "../helpers/cli.js";

describe("chunkwise probe interrupted", () => {
  it("Ctrl-C during the sweep: one line, exit 130, worker threads gone (the process ends)", async () => {
    const child = spawn(process.execPath, [path.join(repoRoot, "bin", "run.js"), "probe", fixture("zarr2", "climate.zarr"), "--budget", "2m"], {
      cwd: repoRoot,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    let stdout = "";
    let sent = false;
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      if (!sent && / sweep: /.test(stderr)) {
        sent = true;
        child.kill("SIGINT");
      }
    });
    const killer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    clearTimeout(killer);
    expect(sent, stderr).toBe(true);
    expect(code).toBe(130);
    expect(stderr.trim().split("\n").at(-1)).toBe("chunkwise: interrupted (SIGINT)");
    expect(stdout).toBe("");
  });
});
