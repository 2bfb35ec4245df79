// Builds native/chunkwise_native.node with node-gyp (npm's own, run by `npm ci` as the install
// script). The helpers are optional (see src/system/native.ts): when there is no compiler or no
// Node.js headers, chunkwise runs without them, so a failed build warns and exits 0.
// CHUNKWISE_REQUIRE_NATIVE=1 makes a failed build an error instead (CI).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const gyp = process.env.npm_config_node_gyp ?? path.join(path.dirname(process.execPath), "../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js");
const args = [gyp, "rebuild", "--directory", path.join(root, "native"), "--loglevel", "warn"];
// Distribution packages of Node.js put the headers under the prefix: use them rather than download.
const prefix = path.dirname(path.dirname(process.execPath));
if (!process.env.npm_config_nodedir && existsSync(path.join(prefix, "include/node/node_api.h"))) args.push(`--nodedir=${prefix}`);

const result = existsSync(gyp) ? spawnSync(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" }) : null;
if (result?.status === 0) process.exit(0);
// The first line that names the failure: the compiler's or make's error, else node-gyp's own.
const output = `${result?.stdout ?? ""}${result?.stderr ?? ""}`.split("\n").map((line) => line.trim());
const why =
  result === null
    ? `node-gyp not found at ${gyp}`
    : (output.find((line) => /error[: ]/i.test(line) && !line.startsWith("gyp ")) ?? output.find((line) => line.startsWith("gyp ERR! stack Error:"))?.replace("gyp ERR! stack ", "") ?? `node-gyp exited with ${result.status}`);
const message = `chunkwise: native helpers not built (${why}): rechunks run without write-behind and huge pages`;
if (process.env.CHUNKWISE_REQUIRE_NATIVE === "1") {
  console.error(output.join("\n"));
  console.error(message);
  process.exit(1);
}
console.warn(message);
