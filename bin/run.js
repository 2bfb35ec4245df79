#!/usr/bin/env node
// A rechunk's worker threads start first, to boot on the other cores while oclif and the command load.
const { prestartRechunk, releasePrestartedPool } = await import("../dist/rechunk/prestart.js");
prestartRechunk(process.argv.slice(2));
const { execute } = await import("@oclif/core");

try {
  await execute({ dir: import.meta.url });
} finally {
  await releasePrestartedPool();
}
