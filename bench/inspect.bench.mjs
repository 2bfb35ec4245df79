// inspect must read metadata and list chunk files, never open them: time it on a Zarr store with
// one million chunk files and on a 10 GB HDF5 file.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync, statSync, rmSync } from "node:fs";
import path from "node:path";

const CHUNK_FILES = 1_000_000;

function makeMillionChunkStore(dir) {
  if (existsSync(path.join(dir, ".complete"))) return;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const side = Math.sqrt(CHUNK_FILES);
  writeFileSync(path.join(dir, ".zarray"), JSON.stringify({
    zarr_format: 2, shape: [side * 4, side * 4], chunks: [4, 4], dtype: "<f4", compressor: null,
    fill_value: 0, order: "C", filters: null, dimension_separator: ".",
  }));
  const payload = Buffer.alloc(64);
  console.log(`  writing ${CHUNK_FILES.toLocaleString()} chunk files (once; cached in ${dir}) …`);
  for (let i = 0; i < side; i++) for (let j = 0; j < side; j++) writeFileSync(path.join(dir, `${i}.${j}`), payload);
  writeFileSync(path.join(dir, ".complete"), "");
}

function makeTenGigabyteHdf5(file) {
  if (existsSync(file) && statSync(file).size >= 10e9) return true;
  // h5py allocates all chunks up front without writing them (a sparse 10 GB file, real chunk index).
  const script = `
import h5py, numpy as np
with h5py.File(${JSON.stringify(file)}, "w") as f:
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_chunk((1, 1024, 1024))
    dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
    dcpl.set_fill_time(h5py.h5d.FILL_TIME_NEVER)
    space = h5py.h5s.create_simple((2500, 1024, 1024))
    h5py.h5d.create(f.id, b"tas", h5py.h5t.NATIVE_FLOAT, space, dcpl)
`;
  const result = spawnSync("/usr/bin/python3", ["-c", script], { stdio: "inherit" });
  if (result.status !== 0) {
    console.log("  skipped: needs python3 with h5py (apt-get install -y python3-h5py)");
    return false;
  }
  return true;
}

function timeInspect(root, target) {
  const runs = [];
  for (let i = 0; i < 3; i++) {
    const start = process.hrtime.bigint();
    const out = execFileSync(process.execPath, [path.join(root, "bin/run.js"), "inspect", target, "--json"], { maxBuffer: 1 << 26 });
    runs.push(Number(process.hrtime.bigint() - start) / 1e9);
    if (i === 0) {
      const doc = JSON.parse(out.toString());
      const a = doc.arrays[0];
      console.log(`  ${target}: ${doc.arrays.length} array(s), first: shape ${JSON.stringify(a.shape)}, ${a.written_objects} written objects, ${a.stored_bytes} stored bytes`);
    }
  }
  runs.sort((a, b) => a - b);
  return runs[1];
}

export async function run({ root, cache }) {
  const store = path.join(cache, "million.zarr");
  makeMillionChunkStore(store);
  const zarrSeconds = timeInspect(root, store);
  console.log(`  inspect, Zarr v2 with 1,000,000 chunk files: ${zarrSeconds.toFixed(2)} s (median of 3; aim: a few seconds)`);
  const h5 = path.join(cache, "ten-gigabytes.h5");
  mkdirSync(cache, { recursive: true });
  if (makeTenGigabyteHdf5(h5)) {
    const h5Seconds = timeInspect(root, h5);
    console.log(`  inspect, HDF5 of ${(statSync(h5).size / 1e9).toFixed(1)} GB (2,500 chunks): ${h5Seconds.toFixed(2)} s (median of 3; aim: under 1 s)`);
  }
}
