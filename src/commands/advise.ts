import { readFile } from "node:fs/promises";
import { Args, Flags } from "@oclif/core";
import { advise } from "../app/advise.js";
import { measureCostModel } from "../app/probe.js";
import { ChunkwiseCommand } from "../cli/base-command.js";
import { datasetLocation, remoteFlags } from "../cli/remote-flags.js";
import { ChunkwiseError, fromSystemError } from "../errors.js";
import type { CostModel } from "../model/cost-model.js";
import { parseCostModel } from "../model/cost-model-file.js";
import { type Severity, reachesLevel } from "../model/findings.js";
import { type Policy, parsePolicy } from "../model/policy.js";
import { parseDuration } from "../probe/duration.js";
import { adviceJson, githubAnnotation, renderAdvice } from "../report/advise.js";
import { probeProgressWriter } from "../report/probe-progress.js";
import { parseSize } from "../units.js";

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    throw fromSystemError(err, file);
  }
}

function positiveInteger(value: number | undefined, flag: string): number | undefined {
  if (value !== undefined && (!Number.isInteger(value) || value < 1)) throw new ChunkwiseError("UsageError", `${flag} must be a whole number of at least 1, got ${value}`);
  return value;
}

export default class Advise extends ChunkwiseCommand {
  static override summary = "Recommend compute chunks and (when it pays) storage chunks for an access pattern, with predicted time and memory, and gate CI on the findings.";
  static override examples = [
    "<%= config.bin %> advise climate.zarr --array tas --access along=time",
    "<%= config.bin %> advise data.nc --access slice=time --workers 4 --threads 2 --memory 16GiB",
    "<%= config.bin %> advise store.zarr --model probe.json --fail-on warning --policy chunk-policy.json",
  ];
  static override args = {
    path: Args.string({ description: "Zarr store (directory, .zip, or http(s)/s3 URL), an array inside one, or an HDF5/netCDF4 file", required: true }),
  };
  static override flags = {
    ...remoteFlags,
    array: Flags.string({ description: "Only this array (path or unique name); default: every array the access pattern applies to." }),
    access: Flags.string({ description: "Workload: full, along=DIM[,DIM], slice=DIM, point or point=DIM (DIM by name or axis number).", default: "full" }),
    workers: Flags.integer({ description: "Dask workers to plan for (default: about √cores, as Dask's LocalCluster)." }),
    threads: Flags.integer({ description: "Threads per worker (default: the usable cores shared among the workers)." }),
    memory: Flags.string({ description: "Memory per worker, e.g. 4GiB (default: the detected memory limit, cgroup included, divided among the workers)." }),
    model: Flags.string({ description: "Cost model file written by `chunkwise probe --save` (measured figures); default: documented assumptions." }),
    "working-memory-factor": Flags.string({ description: "Peak memory of a task as a multiple of its chunk (default 3: input, output, one temporary)." }),
    "compute-chunks": Flags.string({ description: "The compute chunks you use today, to check them (time=24,lat=73 or 24,73,144); default: one per storage chunk, as xarray's chunks={}." }),
    "fail-on": Flags.string({ description: "Exit 1 when any finding is at this level or above.", options: ["info", "warning", "error"] }),
    measure: Flags.boolean({ description: "Run a short probe on this dataset first and advise with the measured figures (see chunkwise probe).", exclusive: ["model"] }),
    "measure-budget": Flags.string({ description: "Time the --measure probe may take (default 10s).", dependsOn: ["measure"] }),
    policy: Flags.string({ description: "Policy file (JSON): thresholds, silenced finding ids and severities, per array path or glob." }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Advise);
    positiveInteger(flags.threads, "--threads");
    const location = datasetLocation(args.path, flags);
    const cost: CostModel | undefined = flags.measure
      ? await this.measure(location, flags)
      : flags.model === undefined
        ? undefined
        : parseCostModel(await readText(flags.model), flags.model);
    const policy: Policy | undefined = flags.policy === undefined ? undefined : parsePolicy(await readText(flags.policy), flags.policy);
    const factorText = flags["working-memory-factor"];
    const workingMemoryFactor = factorText === undefined ? undefined : Number(factorText);
    if (workingMemoryFactor !== undefined && !(Number.isFinite(workingMemoryFactor) && workingMemoryFactor >= 1)) {
      throw new ChunkwiseError("UsageError", `--working-memory-factor must be a number of at least 1, got "${factorText}"`);
    }
    const report = await advise(location, {
      array: flags.array,
      access: flags.access,
      workers: positiveInteger(flags.workers, "--workers"),
      threads: positiveInteger(flags.threads, "--threads"),
      memoryPerWorker: flags.memory === undefined ? undefined : parseSize(flags.memory, "--memory"),
      cost,
      workingMemoryFactor,
      policy,
      computeChunks: flags["compute-chunks"],
    });
    const failOn = (flags["fail-on"] as Severity | undefined) ?? null;
    const findings = report.arrays.flatMap((a) => a.findings);
    const failed = failOn !== null && reachesLevel(findings, failOn);
    if (flags.json) this.printJson(adviceJson(report, failOn, failed));
    else this.log(renderAdvice(report));
    if (process.env.GITHUB_ACTIONS === "true") {
      // GitHub reads workflow commands from stdout and stderr alike; with --json they go to stderr so stdout stays one JSON document.
      const write = (line: string) => (flags.json ? process.stderr.write(`${line}\n`) : process.stdout.write(`${line}\n`));
      for (const finding of findings) write(githubAnnotation(report.location, finding));
    }
    if (failed) {
      if (!flags.json) process.stderr.write(`chunkwise: --fail-on ${failOn}: ${findings.filter((f) => reachesLevel([f], failOn)).length} finding(s) at ${failOn} or above\n`);
      process.exitCode = 1;
    }
  }

  /** `--measure`: the same probe as `chunkwise probe`, on the threads one worker would have. */
  private async measure(location: string, flags: { array?: string; threads?: number; "measure-budget"?: string; json: boolean }): Promise<CostModel> {
    const progress = flags.json ? null : probeProgressWriter();
    try {
      return await measureCostModel(location, {
        array: flags.array,
        threads: flags.threads,
        budgetSeconds: parseDuration(flags["measure-budget"] ?? "10s", "--measure-budget"),
        onProgress: progress?.update,
      });
    } finally {
      progress?.done();
    }
  }
}
