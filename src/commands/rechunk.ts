import { Args, Flags } from "@oclif/core";
import { finalizeJob } from "../app/finalize.js";
import { rechunk } from "../app/rechunk.js";
import { ChunkwiseCommand } from "../cli/base-command.js";
import { ChunkwiseError } from "../errors.js";
import type { OutputFormat } from "../formats/writer.js";
import { finalizeJson, renderFinalize } from "../report/finalize.js";
import { ProgressReporter, rechunkJson, renderRechunk } from "../report/rechunk.js";
import { parsePartition } from "../rechunk/partition.js";
import type { VerifyMode } from "../rechunk/verify.js";
import { parseSize } from "../units.js";

export default class Rechunk extends ChunkwiseCommand {
  static override summary = "Rewrite a dataset with new chunks: bounded memory, parallel, resumable after a crash, verified against the source.";
  static override examples = [
    "<%= config.bin %> rechunk era5.zarr era5-ts.zarr --chunks time=-1,lat=32,lon=32 --max-mem 2GiB",
    "<%= config.bin %> rechunk climate.nc climate.zarr --format zarr3 --chunks 365,32,32 --codec zstd:3",
    "<%= config.bin %> rechunk era5.zarr era5-ts.zarr --chunks time=-1,lat=32,lon=32 --dry-run --json",
    "<%= config.bin %> rechunk era5.zarr era5-ts.zarr --chunks time=-1,lat=32,lon=32 --resume",
    "<%= config.bin %> rechunk era5.zarr era5-ts.zarr --chunks time=-1,lat=32,lon=32 --partition $SLURM_ARRAY_TASK_ID/16",
    "<%= config.bin %> rechunk era5.zarr era5-ts.zarr --chunks time=-1,lat=32,lon=32 --finalize",
  ];
  static override args = {
    src: Args.string({ description: "Source: Zarr v2/v3 store (directory or .zip) or HDF5/netCDF4 file; opened read-only", required: true }),
    dst: Args.string({ description: "Destination store or file (must not exist unless --overwrite or --resume)", required: true }),
  };
  static override flags = {
    chunks: Flags.string({ description: "Target chunks by dimension name (time=365,lat=32,lon=32) or position (365,32,32); -1 or full for a whole axis.", exclusive: ["auto"] }),
    auto: Flags.boolean({ description: "Use the storage chunks chunkwise advise recommends.", exclusive: ["chunks"] }),
    access: Flags.string({ description: "Access pattern for --auto (see chunkwise advise)." }),
    "max-mem": Flags.string({ description: "Memory all tasks together may hold, e.g. 2GiB (default: half the detected memory, at most 4 GiB)." }),
    format: Flags.string({ description: "Output format (default: from DST's extension, else the source's).", options: ["zarr2", "zarr3", "hdf5"] }),
    codec: Flags.string({ description: "Compressor NAME[:LEVEL] (zstd, lz4, blosc, gzip, zlib, none); default: the source's." }),
    shards: Flags.string({ description: "Shard shape for Zarr v3 output, same syntax as --chunks; a multiple of the chunks." }),
    array: Flags.string({ description: "Rechunk only these arrays (others are copied as they are); repeatable.", multiple: true }),
    threads: Flags.integer({ description: "Worker threads (default: the usable cores).", min: 1 }),
    "dry-run": Flags.boolean({ description: "Print the plan and its predicted time; write nothing." }),
    resume: Flags.boolean({ description: "Finish an interrupted rechunk into DST (same options as the first run)." }),
    verify: Flags.string({ description: "Compare DST with SRC afterwards: every chunk, a random sample, or not at all.", options: ["full", "sample", "none"], default: "sample" }),
    overwrite: Flags.boolean({ description: "Replace an existing DST." }),
    partition: Flags.string({ description: "Do only share I of N (0 ≤ I < N) of the job, for a batch engine running N processes on a shared file system (Zarr output); then --finalize." }),
    stage: Flags.string({ description: "With --partition: only this stage of the share (two-stage plans run --stage 1 everywhere first).", options: ["1", "2"] }),
    "direct-io": Flags.boolean({
      description:
        "Write Zarr chunk files of 128 KiB or more with O_DIRECT, past the page cache, where the file system takes it; --no-direct-io writes through the page cache. Default: direct when the output is larger than half the memory (the page cache could not keep it).",
      allowNo: true,
    }),
    "write-behind": Flags.boolean({
      description:
        "Hand each Zarr chunk file written through the page cache to the disk at once and flush the disk every 64 MiB, so the output is on disk when the rechunk ends instead of dirty in memory; --no-write-behind leaves it to the kernel. Default: on where chunkwise's native helpers are built (Linux).",
      allowNo: true,
    }),
    durable: Flags.boolean({ description: "fsync every file and journal line as it is written, so --resume works after the machine stops (power loss), not only after the process dies; slower." }),
    finalize: Flags.boolean({ description: "Check every partition finished, write the final metadata and verify (same as chunkwise finalize DST)." }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Rechunk);
    if (flags.finalize) {
      const clash = (["partition", "stage", "resume", "overwrite", "dry-run"] as const).filter((name) => flags[name] !== undefined && flags[name] !== false);
      if (clash.length > 0) throw new ChunkwiseError("UsageError", `--finalize finishes a job the partitions ran; it does not go with ${clash.map((n) => `--${n}`).join(", ")}`);
      const finished = await finalizeJob({ destination: args.dst, source: args.src, verify: flags.verify as VerifyMode, threads: flags.threads ?? null, durable: flags.durable });
      if (flags.json) this.printJson(finalizeJson(finished));
      else this.log(renderFinalize(finished));
      return;
    }
    if (flags.chunks === undefined && !flags.auto) throw new ChunkwiseError("UsageError", "give --chunks SPEC or --auto");
    const partition = flags.partition === undefined ? null : parsePartition(flags.partition);
    const showProgress = !flags.json && !flags["dry-run"];
    const reporter = showProgress ? new ProgressReporter({ isTTY: Boolean(process.stderr.isTTY), write: (text) => process.stderr.write(text) }) : null;
    const killAfter = process.env.CHUNKWISE_TEST_KILL_AFTER;
    const killAt = process.env.CHUNKWISE_TEST_KILL_AT;
    const report = await rechunk({
      source: args.src,
      destination: args.dst,
      chunks: flags.chunks ?? null,
      auto: flags.auto,
      access: flags.access ?? null,
      maxMemBytes: flags["max-mem"] === undefined ? null : parseSize(flags["max-mem"], "--max-mem"),
      format: (flags.format as OutputFormat | undefined) ?? null,
      codec: flags.codec ?? null,
      shards: flags.shards ?? null,
      arrays: flags.array ?? [],
      threads: flags.threads ?? null,
      dryRun: flags["dry-run"],
      resume: flags.resume,
      overwrite: flags.overwrite,
      verify: flags.verify as VerifyMode,
      durable: flags.durable,
      directIo: flags["direct-io"],
      writeBehind: flags["write-behind"],
      partition,
      stage: flags.stage === undefined ? null : (Number(flags.stage) as 1 | 2),
      ...(reporter ? { onProgress: (p) => reporter.update(p) } : {}),
      ...(killAfter ? { killAfterUnits: Number(killAfter) } : {}),
      ...(killAt === "before-finalize" || killAt === "after-finalize" ? { killAt } : {}),
    });
    reporter?.finish();
    if (flags.json) this.printJson(rechunkJson(report));
    else this.log(renderRechunk(report));
  }
}
