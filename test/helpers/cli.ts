import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const fixture = (...parts: string[]): string => path.join(repoRoot, "fixtures", ...parts);

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Run the built CLI (bin/run.js → dist/) as a user would: a subprocess, no TTY, colour off
 * unless the caller's env says otherwise. `npm test` builds dist/ before vitest starts.
 */
export function runCli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; uid?: number; gid?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", ...options.env };
    // An empty value means "unset": Node warns when NO_COLOR and FORCE_COLOR are both present.
    for (const key of ["NO_COLOR", "FORCE_COLOR", "GITHUB_ACTIONS", "CI"]) {
      if (!env[key] || (key === "CI" && options.env?.CI === undefined)) delete env[key];
    }
    const child = spawn(process.execPath, [path.join(repoRoot, "bin", "run.js"), ...args], {
      cwd: options.cwd ?? repoRoot,
      env,
      uid: options.uid,
      gid: options.gid,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
