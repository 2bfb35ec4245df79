// chunkwise rechunk against the rechunkers users already have (issue 6): the same float32
// (time, lat, lon) data stored map-chunked (1, lat, lon), rewritten to time-series chunks
// (time, 32, 32), by Dask + zarr-python, ncks, nccopy, h5repack and chunkwise, with the physical
// floor (cp + sync) beside them. Every output is checked value by value against its input.
//
//   npm run bench -- peers [--size-gib=1] [--target=32] [--max-mem=256MiB] [--repeat=1]
//
// With --repeat=N every run is made N times (one after the other, each from a removed output,
// synced, with its input read into the page cache first) and the table gives the median wall time
// and the largest peak RSS: single runs on a shared VM vary by ±25 %. A run slower than a minute
// (h5repack) is made once.
//
// Needs Debian's python3-zarr python3-netcdf4 python3-dask netcdf-bin hdf5-tools nco time;
// a peer whose tool is missing is skipped with the apt-get line that installs it.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, statSync, readFileSync } from "node:fs";
import path from "node:path";

const PY = "/usr/bin/python3";
const LAT = 720;
const LON = 1440;

function option(args, name, fallback) {
  const hit = args.find((a) => a.startsWith(`--${name}=`));
  return hit ? hit.slice(name.length + 3) : fallback;
}

function python(script, ...argv) {
  return execFileSync(PY, ["-c", script, ...argv], { encoding: "utf8", maxBuffer: 1 << 26, stdio: ["ignore", "pipe", "inherit"] });
}

const GENERATE = `
import sys, numpy as np, zarr, numcodecs, netCDF4
nt, zpath, ncpath, rawpath = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
rng = np.random.default_rng(0)
lat = np.linspace(-90, 90, ${LAT}, dtype="f4")[:, None]
lon = np.linspace(0, 360, ${LON}, endpoint=False, dtype="f4")[None, :]
base = (288 - 30 * np.abs(np.sin(np.radians(lat))) + 2 * np.cos(np.radians(lon))).astype("f4")
z = zarr.open(zpath, mode="w", shape=(nt, ${LAT}, ${LON}), chunks=(1, ${LAT}, ${LON}), dtype="f4",
              compressor=numcodecs.Blosc(cname="lz4", clevel=5, shuffle=numcodecs.Blosc.SHUFFLE))
z.attrs["_ARRAY_DIMENSIONS"] = ["time", "lat", "lon"]
raw = zarr.open(rawpath, mode="w", shape=(nt, ${LAT}, ${LON}), chunks=(1, ${LAT}, ${LON}), dtype="f4", compressor=None)
raw.attrs["_ARRAY_DIMENSIONS"] = ["time", "lat", "lon"]
nc = netCDF4.Dataset(ncpath, "w", format="NETCDF4")
nc.createDimension("time", nt); nc.createDimension("lat", ${LAT}); nc.createDimension("lon", ${LON})
v = nc.createVariable("tas", "f4", ("time", "lat", "lon"), zlib=True, complevel=1, shuffle=True, chunksizes=(1, ${LAT}, ${LON}))
for t in range(nt):
    field = base + 5 * np.sin(2 * np.pi * t / 365) + rng.normal(0, 0.5, base.shape).astype("f4")
    z[t] = field
    raw[t] = field
    v[t] = field
nc.close()
`;

const COMPARE = `
import sys, numpy as np, zarr, netCDF4
def load(p):
    if p.endswith(".nc"):
        d = netCDF4.Dataset(p)
        d.set_auto_mask(False)
        v = d["tas"]
        return v, v.shape
    a = zarr.open(p, mode="r")
    if hasattr(a, "shape"):
        return a, a.shape
    return a["tas"], a["tas"].shape
src, shape = load(sys.argv[1]); dst, shape2 = load(sys.argv[2])
assert shape == shape2, (shape, shape2)
step = 16
for t in range(0, shape[0], step):
    if not np.array_equal(np.asarray(src[t:t+step]), np.asarray(dst[t:t+step])):
        print("MISMATCH at time", t); sys.exit(1)
def chunks(p):
    if p.endswith(".nc"):
        with netCDF4.Dataset(p) as d:
            return list(d["tas"].chunking())
    a = zarr.open(p, mode="r")
    a = a if hasattr(a, "chunks") else a["tas"]
    return list(a.chunks)
print("OK", chunks(sys.argv[2]))
`;

/** Run a command under /usr/bin/time -v; wall seconds and peak RSS of the process tree's largest process. */
function timed(command, args, env = {}) {
  const start = process.hrtime.bigint();
  const result = spawnSync("/usr/bin/time", ["-v", command, ...args], { encoding: "utf8", env: { ...process.env, ...env }, maxBuffer: 1 << 26 });
  spawnSync("sync");
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(result.stderr ?? "");
  return { ok: result.status === 0, seconds, rssMiB: rss ? Number(rss[1]) / 1024 : NaN, output: `${result.stdout}\n${result.stderr}` };
}

/**
 * Read every file of `input` (to /dev/null): each timed run starts with its input in the page cache.
 * This VM's DAMON reclaim pages out what has been idle for a minute, so without it the first tool
 * to touch an input after a pause read it from disk and the others did not.
 */
function warm(input) {
  spawnSync("sh", ["-c", `find "$1" -type f -exec cat {} + > /dev/null`, "warm", input]);
}

/** Up to `times` runs (one when a run takes over a minute; stops at a failure): the median wall time, the largest RSS. */
function repeated(times, run) {
  const runs = [run()];
  while (runs.length < times && runs.at(-1).ok && runs.at(-1).seconds < 60) runs.push(run());
  const failed = runs.find((r) => !r.ok);
  if (failed) return failed;
  const seconds = runs.map((r) => r.seconds).sort((a, b) => a - b)[Math.floor((runs.length - 1) / 2)];
  return { ...runs.at(-1), seconds, rssMiB: Math.max(...runs.map((r) => r.rssMiB)), runs: runs.length };
}

const has = (tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
const hasPython = (module) => spawnSync(PY, ["-c", `import ${module}`]).status === 0;

export async function run({ root, cache, args }) {
  const sizeGiB = Number(option(args, "size-gib", "1"));
  const target = Number(option(args, "target", "32"));
  const maxMem = option(args, "max-mem", "256MiB");
  const repeat = Math.max(1, Math.floor(Number(option(args, "repeat", "1"))));
  const nt = Math.max(2, Math.round((sizeGiB * 2 ** 30) / (LAT * LON * 4)));
  for (const module of ["zarr", "netCDF4", "numcodecs"]) {
    if (!hasPython(module)) {
      console.log("  skipped: needs apt-get install -y python3-zarr python3-netcdf4");
      return;
    }
  }
  const dir = path.join(cache, `peers-${nt}`);
  mkdirSync(dir, { recursive: true });
  const zsrc = path.join(dir, "src.zarr");
  const ncsrc = path.join(dir, "src.nc");
  const rawsrc = path.join(dir, "src-raw.zarr");
  if (!existsSync(path.join(dir, ".complete-2"))) {
    console.log(`  generating float32 (${nt}, ${LAT}, ${LON}) = ${((nt * LAT * LON * 4) / 2 ** 30).toFixed(2)} GiB as Zarr v2 (blosc lz4+shuffle, and uncompressed) and netCDF-4 (shuffle+deflate 1) …`);
    python(GENERATE, String(nt), zsrc, ncsrc, rawsrc);
    execFileSync("touch", [path.join(dir, ".complete-2")]);
  }
  const logicalMiB = (nt * LAT * LON * 4) / 2 ** 20;
  const chunkSpec = `time=${nt},lat=${target},lon=${target}`;
  const narrow = 10;
  const narrowSpec = `time=${nt},lat=${narrow},lon=${narrow}`;
  const cli = path.join(root, "bin", "run.js");
  const runs = [
    { name: "cp -r + sync (I/O floor)", input: "lz4", need: () => true, out: "floor.zarr", cmd: (o) => ["cp", ["-r", zsrc, o]], check: false },
    { name: "chunkwise rechunk, Zarr v2 lz4", input: "lz4", need: () => true, out: "cw.zarr", cmd: (o) => [process.execPath, [cli, "rechunk", zsrc, o, "--chunks", chunkSpec, "--max-mem", maxMem, "--verify", "none", "--json"]] },
    {
      name: `chunkwise rechunk, Zarr v2 lz4, (${nt}, ${narrow}, ${narrow})`, input: "lz4-narrow", need: () => true, out: "cw-narrow.zarr",
      cmd: (o) => [process.execPath, [cli, "rechunk", zsrc, o, "--chunks", narrowSpec, "--max-mem", maxMem, "--verify", "none", "--json"]],
    },
    {
      name: "Dask da.from_zarr.rechunk.to_zarr", input: "lz4", need: () => hasPython("dask.array") || "apt-get install -y python3-dask", out: "dask.zarr",
      cmd: (o) => [PY, ["-c", `import dask.array as da, sys; da.from_zarr(sys.argv[1]).rechunk((${nt}, ${target}, ${target})).to_zarr(sys.argv[2])`, zsrc, o]],
    },
    { name: "chunkwise rechunk, netCDF-4 deflate → HDF5", input: "deflate", need: () => true, out: "cw.nc", cmd: (o) => [process.execPath, [cli, "rechunk", ncsrc, o, "--chunks", chunkSpec, "--max-mem", maxMem, "--verify", "none", "--json"]] },
    { name: "ncks -4 --cnk_dmn", input: "deflate", need: () => has("ncks") || "apt-get install -y nco", out: "ncks.nc", cmd: (o) => ["ncks", ["-O", "-4", "--cnk_dmn", `time,${nt}`, "--cnk_dmn", `lat,${target}`, "--cnk_dmn", `lon,${target}`, ncsrc, o]] },
    { name: "nccopy -c", input: "deflate", need: () => has("nccopy") || "apt-get install -y netcdf-bin", out: "nccopy.nc", cmd: (o) => ["nccopy", ["-c", `time/${nt},lat/${target},lon/${target}`, ncsrc, o]] },
    { name: "cp -r + sync (I/O floor), uncompressed", input: "raw", need: () => true, out: "floor-raw.zarr", cmd: (o) => ["cp", ["-r", rawsrc, o]], check: false },
    { name: "chunkwise rechunk, Zarr v2 uncompressed", input: "raw", need: () => true, out: "cw-raw.zarr", cmd: (o) => [process.execPath, [cli, "rechunk", rawsrc, o, "--chunks", chunkSpec, "--max-mem", maxMem, "--verify", "none", "--json"]] },
    {
      name: "Dask, uncompressed", input: "raw", need: () => hasPython("dask.array") || "apt-get install -y python3-dask", out: "dask-raw.zarr",
      cmd: (o) => [PY, ["-c", `import dask.array as da, sys; da.from_zarr(sys.argv[1]).rechunk((${nt}, ${target}, ${target})).to_zarr(sys.argv[2], compressor=None)`, rawsrc, o]],
    },
    { name: "h5repack -l CHUNK", input: "deflate", need: () => has("h5repack") || "apt-get install -y hdf5-tools", out: "h5repack.nc", cmd: (o) => ["h5repack", ["-l", `tas:CHUNK=${nt}x${target}x${target}`, ncsrc, o]] },
  ];
  if (!existsSync("/usr/bin/time")) {
    console.log("  skipped: needs /usr/bin/time (apt-get install -y time)");
    return;
  }
  const rows = [];
  for (const r of runs) {
    const need = r.need();
    if (need !== true) {
      console.log(`  ${r.name}: skipped, install with: ${need}`);
      continue;
    }
    const out = path.join(dir, r.out);
    const [cmd, cmdArgs] = r.cmd(out);
    process.stdout.write(`  ${r.name} … `);
    const src = { lz4: zsrc, "lz4-narrow": zsrc, raw: rawsrc, deflate: ncsrc }[r.input];
    // An HDF5 output's state directory sits beside it (a failed run leaves it behind).
    const clear = () => ["", ".chunkwise"].forEach((suffix) => rmSync(out + suffix, { recursive: true, force: true }));
    const t = repeated(repeat, () => {
      clear();
      spawnSync("sync");
      warm(src);
      return timed(cmd, cmdArgs);
    });
    const failure = t.output.split("\n").find((line) => /^(chunkwise:|Traceback|Error|ERROR)/.test(line.trim())) ?? t.output.trim().split("\n").slice(-3).join(" | ");
    let verdict = t.ok ? "ok" : `FAILED: ${failure}`;
    if (t.ok && r.check !== false) {
      const check = spawnSync(PY, ["-c", COMPARE, src, out], { encoding: "utf8" });
      verdict = check.status === 0 ? `equal, chunks ${check.stdout.trim().replace(/^OK /, "")}` : `WRONG OUTPUT: ${(check.stdout + check.stderr).trim().split("\n").at(-1)}`;
    }
    console.log(`${t.seconds.toFixed(2)} s${(t.runs ?? 1) > 1 ? ` (median of ${t.runs})` : ""}, ${t.rssMiB.toFixed(0)} MiB, ${verdict}`);
    rows.push({ ...r, ...t, verdict });
    if (!r.out.startsWith("cw")) clear();
  }
  const byInput = (input) => rows.find((r) => r.input === (input === "lz4-narrow" ? "lz4" : input) && r.name.startsWith("chunkwise"));
  console.log(`\n  float32 (${nt}, ${LAT}, ${LON}), ${logicalMiB.toFixed(0)} MiB logical, (1, ${LAT}, ${LON}) → (${nt}, ${target}, ${target}); chunkwise --max-mem ${maxMem}${repeat > 1 ? `; median of ${repeat} runs` : ""}`);
  console.log("  | tool | input | wall s | MiB/s (logical) | peak RSS MiB | chunkwise speed-up | output |");
  console.log("  |---|---|---:|---:|---:|---:|---|");
  for (const r of rows) {
    const ref = byInput(r.input);
    const ratio = ref && ref.ok && r.ok ? (r.seconds / ref.seconds).toFixed(2) + "×" : "-";
    console.log(`  | ${r.name} | ${r.input} | ${r.seconds.toFixed(2)} | ${(logicalMiB / r.seconds).toFixed(0)} | ${r.rssMiB.toFixed(0)} | ${ratio} | ${r.verdict} |`);
  }
  // The targets of issue 6, as ratios within this one run.
  const row = (prefix) => rows.find((r) => r.name.startsWith(prefix) && r.ok);
  const check = (label, value, goal, better) => {
    if (value === null) return console.log(`  ${label}: not measured`);
    const met = better === "higher" ? value >= goal : value <= goal;
    console.log(`  ${label}: ${value.toFixed(2)} (${better === "higher" ? "≥" : "≤"} ${goal}) ${met ? "met" : "NOT met"}`);
  };
  const ratio = (a, b) => (a && b ? a.seconds / b.seconds : null);
  const cw = row("chunkwise rechunk, Zarr v2 lz4");
  const cwNc = row("chunkwise rechunk, netCDF-4");
  console.log("\n  targets:");
  check("speed-up over Dask (lz4 Zarr)", ratio(row("Dask da.from_zarr"), cw), 1.5, "higher");
  check("speed-up over ncks (deflate → netCDF-4)", ratio(row("ncks"), cwNc), 1.0, "higher");
  check("speed-up over nccopy (deflate → netCDF-4)", ratio(row("nccopy"), cwNc), 1.0, "higher");
  check(`chunkwise peak RSS MiB at --max-mem ${maxMem} (worst run)`, Math.max(...rows.filter((r) => r.name.startsWith("chunkwise")).map((r) => r.rssMiB)), 400, "lower");
  check(`(${nt}, ${narrow}, ${narrow}) time over (${nt}, ${target}, ${target}) time`, ratio(row(`chunkwise rechunk, Zarr v2 lz4, (`), cw), 2, "lower");
  check("uncompressed time over the cp floor", ratio(row("chunkwise rechunk, Zarr v2 uncompressed"), row("cp -r + sync (I/O floor), uncompressed")), 2, "lower");
}
