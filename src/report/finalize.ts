/** How `chunkwise finalize` (and `rechunk --finalize`) speaks: a few lines, or JSON. */
import type { FinalizeReport } from "../app/finalize.js";
import { formatDuration, formatSize } from "../units.js";
import { chalk } from "./style.js";

export function renderFinalize(report: FinalizeReport): string {
  if (report.alreadyFinished) return `${report.destination}: already finalized (no rechunk job left in it); nothing to do`;
  const lines = [
    chalk.bold(`Finalized: ${report.destination} (${report.format}) from ${report.source}`),
    `${report.arrays} array${report.arrays === 1 ? "" : "s"}, ${formatSize(report.logicalBytes)}${report.partitions === null ? "" : `, written by ${report.partitions} partition${report.partitions === 1 ? "" : "s"}`}`,
  ];
  for (const r of report.partitionRecords) {
    lines.push(`  partition ${r.index}/${r.count} on ${r.host}: ${r.tasks_run} tasks run, ${r.tasks_skipped} already done, ${formatSize(r.bytes_copied)} in ${formatDuration(r.seconds)}`);
  }
  const v = report.verification;
  lines.push(v ? `verified (${v.mode}): ${v.unitsChecked} of ${v.unitsTotal} chunks equal the source` : "not verified (--verify none)");
  return lines.join("\n");
}

export function finalizeJson(report: FinalizeReport): Record<string, unknown> {
  return {
    destination: report.destination,
    source: report.source,
    format: report.format,
    already_finished: report.alreadyFinished,
    partitions: report.partitions,
    partition_records: report.partitionRecords,
    arrays: report.arrays,
    logical_bytes: report.logicalBytes,
    verification: report.verification && {
      mode: report.verification.mode,
      units_checked: report.verification.unitsChecked,
      units_total: report.verification.unitsTotal,
      seconds: report.verification.seconds,
    },
  };
}
