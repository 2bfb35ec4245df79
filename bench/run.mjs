#!/usr/bin/env node
// `npm run bench [-- NAME ...]`: runs the benchmarks in bench/*.bench.mjs (all, or those named).
// Each prints its own table; generated data is cached under .bench/ (git-ignored).
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const benches = readdirSync(here)
  .filter((f) => f.endsWith(".bench.mjs"))
  .filter((f) => wanted.length === 0 || wanted.includes(f.replace(/\.bench\.mjs$/, "")))
  .sort();
if (benches.length === 0) {
  console.error(`no benchmark named ${wanted.join(", ")}; have: ${readdirSync(here).filter((f) => f.endsWith(".bench.mjs")).join(", ")}`);
  process.exit(2);
}
for (const file of benches) {
  console.log(`\n== ${file.replace(/\.bench\.mjs$/, "")}`);
  const bench = await import(pathToFileURL(path.join(here, file)).href);
  await bench.run({ root: path.resolve(here, ".."), cache: path.resolve(here, "..", ".bench"), args: process.argv.slice(2) });
}
