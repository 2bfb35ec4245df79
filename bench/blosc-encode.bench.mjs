// blosc lz4 encoding: ours (src/formats/codecs/blosc-encode.ts) against numcodecs' wasm build of
// c-blosc, which zarrita registers, on the peers bench's float32 field (720×1440, a smooth field
// plus noise of σ 0.5), one 4 MB chunk per time step. Prints encode MB/s (of input, per second of
// the process's CPU time, steadier than wall time on a shared machine) and the compression ratio
// of each; runs alternate, the best and median of --reps are shown.
//
//   npm run bench -- blosc-encode [--steps=8] [--reps=7]
import path from "node:path";
import { pathToFileURL } from "node:url";

const LAT = 720;
const LON = 1440;
const SETTINGS = [
  { clevel: 5, shuffle: 1 },
  { clevel: 1, shuffle: 1 },
  { clevel: 9, shuffle: 1 },
  { clevel: 5, shuffle: 0 },
];

function option(args, name, fallback) {
  const hit = args.find((a) => a.startsWith(`--${name}=`));
  return hit ? Number(hit.slice(name.length + 3)) : fallback;
}

/** One float32 field per time step, as bytes: 288 K less 30 K towards the poles, a wave in longitude and time, noise. */
function fields(steps) {
  let seed = 1;
  const uniform = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) + 1) / 2 ** 32;
  const noise = () => 0.5 * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return Array.from({ length: steps }, (_, t) => {
    const field = new Float32Array(LAT * LON);
    for (let i = 0; i < LAT; i++) {
      const lat = ((-90 + (180 * i) / (LAT - 1)) * Math.PI) / 180;
      for (let j = 0; j < LON; j++) {
        const lon = (((360 * j) / LON) * Math.PI) / 180;
        field[i * LON + j] = 288 - 30 * Math.abs(Math.sin(lat)) + 2 * Math.cos(lon) + 5 * Math.sin((2 * Math.PI * t) / 365) + noise();
      }
    }
    return new Uint8Array(field.buffer);
  });
}

async function time(encode, chunks) {
  const start = process.cpuUsage();
  let stored = 0;
  for (const chunk of chunks) stored += (await encode(chunk)).length;
  const { user, system } = process.cpuUsage(start);
  return { seconds: (user + system) / 1e6, stored };
}

export async function run({ root, args }) {
  const { encodeBloscLz4 } = await import(pathToFileURL(path.join(root, "dist/formats/codecs/blosc-encode.js")).href);
  const { decodeBloscFrame } = await import(pathToFileURL(path.join(root, "dist/formats/codecs/blosc-decode.js")).href);
  const { default: Blosc } = await import("numcodecs/blosc");
  const steps = option(args, "steps", 8);
  const reps = option(args, "reps", 7);
  const chunks = fields(steps);
  const bytes = chunks.reduce((sum, c) => sum + c.length, 0);
  console.log(`  ${steps} chunks of ${chunks[0].length} bytes (float32 ${LAT}×${LON}), typesize 4, best / median of ${reps} runs`);
  console.log("  settings              ours MB/s        wasm MB/s        speed-up  ratio ours  ratio wasm");
  for (const { clevel, shuffle } of SETTINGS) {
    const ours = (chunk) => encodeBloscLz4(chunk, { clevel, shuffle: shuffle === 1, typesize: 4, blocksize: 0 });
    const wasm = new Blosc(clevel, "lz4", shuffle, 0);
    const wasmEncode = (chunk) => wasm.encode(chunk);
    for (const chunk of chunks.slice(0, 1)) {
      if (!Buffer.from(decodeBloscFrame(ours(chunk))).equals(chunk)) throw new Error("blosc-encode bench: our frame does not decode to its input");
    }
    // Warm up: V8 optimises the encoder over the first dozen 4 MB chunks.
    for (let k = 0; k < 3; k++) {
      await time(ours, chunks);
      await time(wasmEncode, chunks);
    }
    const runs = { ours: [], wasm: [] };
    let stored = { ours: 0, wasm: 0 };
    for (let r = 0; r < reps; r++) {
      const a = await time(ours, chunks);
      const b = await time(wasmEncode, chunks);
      runs.ours.push(bytes / 1e6 / a.seconds);
      runs.wasm.push(bytes / 1e6 / b.seconds);
      stored = { ours: a.stored, wasm: b.stored };
    }
    const best = (xs) => Math.max(...xs);
    const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    const cell = (xs) => `${best(xs).toFixed(0).padStart(5)} / ${median(xs).toFixed(0).padStart(5)}`.padEnd(17);
    console.log(
      `  clevel ${clevel} ${shuffle ? "shuffle  " : "noshuffle"}    ${cell(runs.ours)}${cell(runs.wasm)}${(median(runs.ours) / median(runs.wasm)).toFixed(1).padStart(5)}×  ` +
        `${(bytes / stored.ours).toFixed(3).padStart(10)}  ${(bytes / stored.wasm).toFixed(3).padStart(10)}`,
    );
  }
}
