// Writes oclif.manifest.json (after `tsc`, as part of `npm run build`): with it, oclif loads only
// the command being run. Without it, oclif imports every command (and all they import) on every
// start to learn their flags: 0.1 s of each run's start-up on the measured VM.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Plugin } from "@oclif/core";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const plugin = new Plugin({ root, type: "core", ignoreManifest: true, errorOnManifestCreate: true, respectNoCacheDefault: true });
await plugin.load();
writeFileSync(path.join(root, "oclif.manifest.json"), `${JSON.stringify(plugin.manifest, null, 2)}\n`);
