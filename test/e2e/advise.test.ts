import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_COST_MODEL } from "../../src/model/cost-model.js";
import { serializeCostModel } from "../../src/model/cost-model-file.js";
import { type CliResult, fixture, runCli } from "../helpers/cli.js";

/** `chunkwise advise` as a user runs it: the built CLI in a subprocess, on the committed fixtures. */

interface FindingDoc {
  id: string;
  severity: string;
  array: string;
  figure: { name: string; value: number; display: string };
  threshold: { name: string; value: number; display: string };
  message: string;
  advice: string;
}
interface ArrayDoc {
  path: string;
  findings: FindingDoc[];
  silenced: string[];
  compute: { recommended: { chunks: number[] } | null; current: { chunks: number[] } };
  storage: { verdict: string; best: { chunks: number[]; compute_chunks: number[] } | null; recommended_chunks: number[] | null; break_even: number | null };
  comparisons: { tool: string; chunks: number[]; why: string }[];
  paste: { xarray: string | null; dask: string | null; rechunk: string | null; after_rechunk: string | null };
}
interface AdviceDoc {
  schema: number;
  arrays: ArrayDoc[];
  cost_model: Record<string, { value: number; source: string }>;
  machine: { workers: number; threads_per_worker: number; memory_per_worker_bytes: number };
  fail_on: string | null;
  failed: boolean;
}

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), "chunkwise-advise-"));
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

const CLUSTER = ["--workers", "4", "--threads", "2", "--memory", "16GiB"];
const climate = fixture("zarr2", "climate.zarr");
const era5 = fixture("advise", "era5_like.zarr");

async function adviseJson(args: string[], env?: NodeJS.ProcessEnv): Promise<{ result: CliResult; doc: AdviceDoc }> {
  const result = await runCli(["advise", ...args, "--json"], { env });
  expect(result.stdout, result.stderr).not.toBe("");
  return { result, doc: JSON.parse(result.stdout) as AdviceDoc };
}

const findingIds = (a: ArrayDoc) => a.findings.map((f) => f.id);

describe("advise on a map-chunked 3-D float32 array", () => {
  it("along=time: the storage finding fires, storage chunks span much more time, compute chunks span all of time in whole storage chunks", async () => {
    for (const [store, args] of [
      [climate, ["--array", "tas"]],
      [era5, CLUSTER],
    ] as const) {
      const { result, doc } = await adviseJson([store, ...args, "--access", "along=time"]);
      expect(result.code, result.stderr).toBe(0);
      expect(doc.schema).toBe(1);
      const tas = doc.arrays.find((a) => a.path === "/tas")!;
      expect(findingIds(tas)).toContain("storage-rechunk-pays");
      expect(tas.storage.verdict).toBe("rechunk");
      const storage = tas.storage.recommended_chunks!;
      expect(storage[0]).toBeGreaterThanOrEqual(48);
      const compute = tas.storage.best!.compute_chunks;
      const shape0 = store === climate ? 48 : 8760;
      expect(compute[0]).toBe(shape0);
      compute.forEach((c, axis) => expect(c % storage[axis]!).toBe(0));
      expect(tas.paste.rechunk).toContain(`--chunks time=${storage[0]},lat=${storage[1]},lon=${storage[2]}`);
      expect(tas.paste.after_rechunk).toContain(`"time": ${shape0}`);
    }
  });

  it("along=time on today's layout: recommended compute chunks span all of time and are multiples of the map chunks", async () => {
    const { doc } = await adviseJson([climate, "--array", "tas", "--access", "along=time"]);
    const tas = doc.arrays[0]!;
    expect(tas.compute.recommended!.chunks).toEqual([48, 73, 144]);
    expect(tas.paste.xarray).toBe(`xr.open_zarr(${JSON.stringify(climate)}, chunks={"time": 48, "lat": 73, "lon": 144})`);
  });

  it("without --array: advises the data variables, skips coordinate variables", async () => {
    const { doc } = await adviseJson([climate, "--access", "along=time"]);
    expect(doc.arrays.map((a) => a.path)).toEqual(["/tas"]);
    expect((doc as unknown as { skipped: { path: string; reason: string }[] }).skipped.map((s) => s.path)).toEqual(["/lat", "/lon", "/time"]);
  });

  it("slice=time: today's layout is judged fine", async () => {
    for (const [store, args] of [
      [climate, ["--array", "tas"]],
      [era5, CLUSTER],
    ] as const) {
      const { result, doc } = await adviseJson([store, ...args, "--access", "slice=time"]);
      expect(result.code).toBe(0);
      const tas = doc.arrays.find((a) => a.path === "/tas")!;
      expect(tas.storage.verdict).toBe("keep");
      expect(tas.storage.recommended_chunks).toBeNull();
      expect(findingIds(tas)).not.toContain("storage-rechunk-pays");
      expect(findingIds(tas)).not.toContain("read-amplification");
      expect(tas.paste.rechunk).toBeNull();
    }
  });

  it("prints a human report with the verdict, findings, both chunk tables, the comparison and paste-ready lines", async () => {
    const result = await runCli(["advise", era5, ...CLUSTER, "--access", "along=time"]);
    expect(result.code, result.stderr).toBe(0);
    for (const text of ["verdict  ERROR", "no-feasible-shape", "storage-rechunk-pays", "compute chunks", "storage chunks", "dask-auto", "balanced", "chunkwise rechunk", "# after the rechunk", "(assumed)"]) {
      expect(result.stdout).toContain(text);
    }
  });
});

describe("advise findings on the fixtures", () => {
  it("tiny chunks → chunks-too-small with the overhead share as its figure", async () => {
    const { doc } = await adviseJson([fixture("zarr2", "tiny.zarr")]);
    const finding = doc.arrays[0]!.findings.find((f) => f.id === "chunks-too-small")!;
    expect(finding.figure.name).toBe("overhead_share");
    expect(finding.figure.value).toBeGreaterThan(0.5);
    expect(finding.threshold.value).toBe(0.2);
  });

  it("a storage chunk larger than the memory budget → chunks-too-large", async () => {
    const { doc } = await adviseJson([era5, "--workers", "1", "--threads", "1", "--memory", "8MiB"]);
    const finding = doc.arrays[0]!.findings.find((f) => f.id === "chunks-too-large")!;
    expect(finding.severity).toBe("error");
    expect(finding.figure.value).toBeGreaterThan(0.7);
    expect(doc.machine.memory_per_worker_bytes).toBe(8 * 2 ** 20);
  });

  it("a contiguous multi-GB HDF5 dataset → contiguous-large", async () => {
    const { doc } = await adviseJson([fixture("hdf5", "contiguous_big.h5")]);
    const finding = doc.arrays[0]!.findings.find((f) => f.id === "contiguous-large")!;
    expect(finding.figure.value).toBe(50000 * 20000 * 8);
    expect(finding.severity).toBe("warning");
  });

  it("netCDF4: paste-ready xr.open_dataset with dimension names", async () => {
    const { doc } = await adviseJson([fixture("netcdf", "climate.nc"), "--array", "tas", "--access", "along=time"]);
    expect(doc.arrays[0]!.paste.xarray).toMatch(/^xr\.open_dataset\(".*climate\.nc", chunks=\{"time": 24, "lat": 73, "lon": 144\}\)$/);
  });

  it("--compute-chunks checks the chunks in use: compute-misaligned", async () => {
    const { doc } = await adviseJson([climate, "--array", "tas", "--compute-chunks", "time=5,lat=50"]);
    const tas = doc.arrays[0]!;
    expect(tas.compute.current.chunks).toEqual([5, 50, 144]);
    expect(findingIds(tas)).toContain("compute-misaligned");
  });

  it("--model: figures from a probe file are reported as measured, the rest as assumed", async () => {
    const file = path.join(scratch, "model.json");
    const measured = { ...DEFAULT_COST_MODEL, perTaskOverheadSeconds: 2e-4, sources: { ...DEFAULT_COST_MODEL.sources, perTaskOverheadSeconds: "measured" as const } };
    writeFileSync(file, serializeCostModel(measured, { created: new Date(0), source: "test" }));
    const { doc } = await adviseJson([fixture("zarr2", "tiny.zarr"), "--model", file]);
    expect(doc.cost_model.per_task_overhead_s).toEqual({ value: 2e-4, source: "measured" });
    expect(doc.cost_model.throughput_bytes_per_s!.source).toBe("assumed");
    const human = await runCli(["advise", fixture("zarr2", "tiny.zarr"), "--model", file]);
    expect(human.stdout).toMatch(/per-task overhead 200 µs \(measured\)/);
  });

  it("--measure: runs a short probe first and advises with its measured figures", async () => {
    const { doc } = await adviseJson([fixture("zarr2", "tiny.zarr"), "--measure", "--measure-budget", "3s"]);
    expect(doc.cost_model.per_task_overhead_s!.source).toBe("measured");
    expect(doc.cost_model.throughput_bytes_per_s!.source).toBe("measured");
    expect(doc.cost_model.per_task_overhead_s!.value).not.toBe(DEFAULT_COST_MODEL.perTaskOverheadSeconds);
    const both = await runCli(["advise", fixture("zarr2", "tiny.zarr"), "--measure", "--model", path.join(scratch, "model.json")]);
    expect(both.code).toBe(2);
  });
});

describe("CI mode", () => {
  const big = fixture("hdf5", "contiguous_big.h5");

  it("--fail-on exits 1 when a finding reaches the level, 0 otherwise", async () => {
    const warning = await runCli(["advise", big, "--fail-on", "warning"]);
    expect(warning.code, warning.stderr).toBe(1);
    expect(warning.stderr).toContain("--fail-on warning");
    const error = await runCli(["advise", big, "--fail-on", "error"]);
    expect(error.code, error.stderr).toBe(0);
    const json = await adviseJson([era5, ...CLUSTER, "--access", "along=time", "--fail-on", "error"]);
    expect(json.result.code).toBe(1);
    expect(json.doc.failed).toBe(true);
    expect(json.doc.fail_on).toBe("error");
    const tinyInfo = await runCli(["advise", fixture("zarr2", "tiny.zarr"), "--fail-on", "info"]);
    expect(tinyInfo.code).toBe(1);
  });

  it("a policy file silences findings and changes thresholds and severities", async () => {
    const file = path.join(scratch, "policy.json");
    writeFileSync(file, JSON.stringify({ arrays: { "/big": { silence: ["contiguous-large"], severity: { "chunks-too-large": "info" } } } }));
    const result = await runCli(["advise", big, "--policy", file, "--fail-on", "warning"]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const { doc } = await adviseJson([big, "--policy", file]);
    expect(doc.arrays[0]!.silenced).toEqual(["contiguous-large"]);
    expect(findingIds(doc.arrays[0]!)).not.toContain("contiguous-large");
  });

  it("GITHUB_ACTIONS=true: workflow annotations on stdout, or on stderr with --json so stdout stays one JSON document", async () => {
    const human = await runCli(["advise", big], { env: { GITHUB_ACTIONS: "true" } });
    const lines = human.stdout.split("\n").filter((l) => l.startsWith("::"));
    expect(lines.some((l) => l.startsWith(`::warning file=${big},title=chunkwise contiguous-large (/big)::/big: 7.45 GiB stored contiguously`))).toBe(true);
    const json = await runCli(["advise", big, "--json"], { env: { GITHUB_ACTIONS: "true" } });
    expect(() => JSON.parse(json.stdout)).not.toThrow();
    expect(json.stderr).toMatch(/^::warning file=.*title=chunkwise contiguous-large/m);
    const quiet = await runCli(["advise", big]);
    expect(quiet.stdout).not.toMatch(/^::/m);
  });

  it("bad input exits 2 with one line naming the problem", async () => {
    const unknownDim = await runCli(["advise", climate, "--array", "tas", "--access", "along=depth"]);
    expect(unknownDim.code).toBe(2);
    expect(unknownDim.stderr.trim()).toMatch(/^chunkwise: .*unknown dimension "depth".*time \(0\), lat \(1\), lon \(2\)$/);
    const file = path.join(scratch, "bad-policy.json");
    writeFileSync(file, JSON.stringify({ thresholds: { overhead: 0.5 } }));
    const badPolicy = await runCli(["advise", climate, "--policy", file]);
    expect(badPolicy.code).toBe(2);
    expect(badPolicy.stderr.trim()).toBe(`chunkwise: ${file}: policy key "thresholds.overhead": unknown key; allowed: overhead_share, memory_fraction, read_amplification, max_tasks, max_objects, contiguous_bytes, edge_waste, compression_gain, break_even_passes, min_seconds`);
    const badLevel = await runCli(["advise", climate, "--fail-on", "fatal"]);
    expect(badLevel.code).toBe(2);
    const badMemory = await runCli(["advise", climate, "--memory", "lots"]);
    expect(badMemory.code).toBe(2);
    const badWorkers = await runCli(["advise", climate, "--workers", "0"]);
    expect(badWorkers.code).toBe(2);
    const missingModel = await runCli(["advise", climate, "--model", path.join(scratch, "none.json")]);
    expect(missingModel.code).toBe(2);
    expect(missingModel.stderr).toContain("none.json: no such file");
  });
});
