import { Args, Flags } from "@oclif/core";
import { inspect } from "../app/inspect.js";
import { ChunkwiseCommand } from "../cli/base-command.js";
import { datasetLocation, remoteFlags } from "../cli/remote-flags.js";
import { inspectJson, renderInspect } from "../report/inspect.js";
import { parseSize } from "../units.js";

export default class Inspect extends ChunkwiseCommand {
  static override summary = "List every array of a Zarr v2/v3 store or an HDF5/netCDF4 file with its chunking, codecs and storage, and this machine's memory and cores.";
  static override examples = [
    "<%= config.bin %> inspect data.zarr",
    "<%= config.bin %> inspect climate.nc --array tas --json",
    "<%= config.bin %> inspect store.zarr/group/array --memory 8GiB",
  ];
  static override args = {
    path: Args.string({ description: "Zarr store (directory, .zip, or http(s)/s3 URL), an array inside one, or an HDF5/netCDF4 file", required: true }),
  };
  static override flags = {
    ...remoteFlags,
    array: Flags.string({ description: "Only this array (path or unique name)." }),
    memory: Flags.string({ description: "Memory to plan with instead of the detected limit, e.g. 8GiB (KB/MB/GB = 1000^n, KiB/MiB/GiB = 1024^n)." }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Inspect);
    const report = await inspect(datasetLocation(args.path, flags), {
      array: flags.array,
      memoryOverride: flags.memory === undefined ? undefined : parseSize(flags.memory, "--memory"),
    });
    if (flags.json) this.printJson(inspectJson(report));
    else this.log(renderInspect(report));
  }
}
