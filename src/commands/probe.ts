import { writeFile } from "node:fs/promises";
import { Args, Flags } from "@oclif/core";
import { probe } from "../app/probe.js";
import { ChunkwiseCommand } from "../cli/base-command.js";
import { datasetLocation, remoteFlags } from "../cli/remote-flags.js";
import { ChunkwiseError, fromSystemError } from "../errors.js";
import { serializeCostModel } from "../model/cost-model-file.js";
import { parseDuration } from "../probe/duration.js";
import { probeJson, renderProbe } from "../report/probe.js";
import { renderProbeHtml } from "../report/probe-html.js";
import { probeProgressWriter } from "../report/probe-progress.js";
import { parseSize } from "../units.js";

async function writeText(file: string, text: string): Promise<void> {
  try {
    await writeFile(file, text);
  } catch (err) {
    throw fromSystemError(err, file);
  }
}

export default class Probe extends ChunkwiseCommand {
  static override summary = "Measure this machine's per-task overhead, throughput and spill penalty on real chunks of the array, fit the cost model and recommend a compute chunk.";
  static override examples = [
    "<%= config.bin %> probe climate.zarr --array tas",
    "<%= config.bin %> probe data.nc --budget 1m --save model.json --report probe.html",
    "<%= config.bin %> probe store.zarr --threads 4 --memory 8GiB --json",
  ];
  static override args = {
    path: Args.string({ description: "Zarr store (directory, .zip, or http(s)/s3 URL), an array inside one, or an HDF5/netCDF4 file", required: true }),
  };
  static override flags = {
    ...remoteFlags,
    array: Flags.string({ description: "Array to probe (path or unique name); default: the largest readable numeric array." }),
    budget: Flags.string({ description: "Time for the measurements: 20s, 500ms, 2m (opening the data and starting threads come on top).", default: "20s" }),
    threads: Flags.integer({ description: "Worker threads (default: the usable cores)." }),
    memory: Flags.string({ description: "Memory limit to plan with instead of the detected one, e.g. 8GiB." }),
    save: Flags.string({ description: "Write the measured cost model to FILE (read by `chunkwise advise --model FILE`)." }),
    report: Flags.string({ description: "Write a self-contained HTML report (task stream, memory, cost curve) to FILE.html." }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Probe);
    if (flags.threads !== undefined && (!Number.isInteger(flags.threads) || flags.threads < 1)) {
      throw new ChunkwiseError("UsageError", `--threads must be a whole number of at least 1, got ${flags.threads}`);
    }
    const budgetSeconds = parseDuration(flags.budget, "--budget");
    const progress = flags.json ? null : probeProgressWriter();
    let result;
    try {
      result = await probe(datasetLocation(args.path, flags), {
        array: flags.array,
        budgetSeconds,
        threads: flags.threads,
        memoryBytes: flags.memory === undefined ? undefined : parseSize(flags.memory, "--memory"),
        onProgress: progress?.update,
      });
    } finally {
      progress?.done();
    }
    if (flags.save) await writeText(flags.save, serializeCostModel(result.model, { created: new Date(), source: `chunkwise probe ${args.path} ${result.array.path}` }));
    if (flags.report) await writeText(flags.report, renderProbeHtml(result));
    const saved = { model: flags.save, report: flags.report };
    if (flags.json) this.printJson(probeJson(result, saved));
    else this.log(renderProbe(result, saved));
  }
}
