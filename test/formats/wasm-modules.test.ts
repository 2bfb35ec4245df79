/** Every WebAssembly text source under src/ is committed compiled: its -wasm.ts module is what `npm run build:wasm` writes from it today. */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
const sources = readdirSync(path.join(root, "src"), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".wat"));

describe("compiled WebAssembly modules", () => {
  it("finds the sources", () => {
    expect(sources.map((f) => path.basename(f)).sort()).toEqual(["lz4.wat", "shuffle.wat", "strided-copy.wat"]);
  });

  it.each(sources)("src/%s matches its committed module", async (file) => {
    const { compileWat, moduleText } = (await import(path.join(root, "scripts/build-wasm.mjs"))) as {
      compileWat(file: string): Promise<Buffer>;
      moduleText(name: string, bytes: Buffer): string;
    };
    const name = path.basename(file, ".wat");
    const committed = readFileSync(path.join(root, "src", path.dirname(file), `${name}-wasm.ts`), "utf8");
    expect(committed).toBe(moduleText(name, await compileWat(path.join(root, "src", file))));
  });
});
