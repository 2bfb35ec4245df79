import { Args, Flags } from "@oclif/core";
import { finalizeJob } from "../app/finalize.js";
import { ChunkwiseCommand } from "../cli/base-command.js";
import { finalizeJson, renderFinalize } from "../report/finalize.js";
import type { VerifyMode } from "../rechunk/verify.js";

export default class Finalize extends ChunkwiseCommand {
  static override summary = "Finish a rechunk whose partitions ran elsewhere: check every partition finished, write the final metadata, verify against the source.";
  static override examples = [
    "<%= config.bin %> finalize era5-ts.zarr",
    "<%= config.bin %> finalize era5-ts.zarr --verify full --json",
  ];
  static override args = {
    dst: Args.string({ description: "The output the partitions wrote (chunkwise rechunk … --partition I/N)", required: true }),
  };
  static override flags = {
    verify: Flags.string({ description: "Compare DST with the job's source: every chunk, a random sample, or not at all.", options: ["full", "sample", "none"], default: "sample" }),
    threads: Flags.integer({ description: "Worker threads for verification (default: the usable cores).", min: 1 }),
    durable: Flags.boolean({ description: "fsync the metadata files and the journal line as they are written." }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Finalize);
    const report = await finalizeJob({ destination: args.dst, source: null, verify: flags.verify as VerifyMode, threads: flags.threads ?? null, durable: flags.durable });
    if (flags.json) this.printJson(finalizeJson(report));
    else this.log(renderFinalize(report));
  }
}
