import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../helpers/cli.js";

/**
 * Worker threads load compiled JavaScript (dist/), not the TypeScript vitest runs. `npm test`
 * builds first; when a test file is run on its own, compile here if any source is newer than
 * its output (tsc emits even when unrelated files have type errors, so its exit code is ignored).
 */
export function ensureBuilt(): void {
  const stale = (dir: string): boolean =>
    readdirSync(path.join(repoRoot, "src", dir), { withFileTypes: true }).some((entry) => {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) return stale(rel);
      if (!entry.name.endsWith(".ts")) return false;
      const out = path.join(repoRoot, "dist", rel.replace(/\.ts$/, ".js"));
      try {
        return statSync(out).mtimeMs < statSync(path.join(repoRoot, "src", rel)).mtimeMs;
      } catch {
        return true;
      }
    });
  if (stale(".")) spawnSync("npx", ["tsc", "-p", "."], { cwd: repoRoot, stdio: "ignore" });
}
