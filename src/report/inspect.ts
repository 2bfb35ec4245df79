import type { ArrayInspection, InspectReport } from "../app/inspect.js";
import type { Codec } from "../formats/dataset.js";
import { formatSize } from "../units.js";
import { machineJson, machineLine } from "./machine.js";
import { chalk } from "./style.js";
import { renderTable } from "./table.js";

const shapeText = (shape: readonly number[]): string => `(${shape.join(", ")})`;

function codecText(codec: Codec): string {
  const config = codec.configuration;
  const detail = typeof config.cname === "string" ? `:${config.cname}` : "";
  const level = typeof config.clevel === "number" ? config.clevel : typeof config.level === "number" ? config.level : undefined;
  const text = `${codec.name}${detail}${level === undefined ? "" : `(${level})`}`;
  return codec.supported ? text : chalk.red(`${text}[unsupported]`);
}

/** Codecs that carry no compression are noise in the table (the v3 `bytes` codec). */
const shownCodecs = (codecs: readonly Codec[]): Codec[] => codecs.filter((c) => c.name !== "bytes" || !c.supported);

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(fraction < 0.1 ? 1 : 0)}%`;
}

export function renderInspect(report: InspectReport): string {
  const lines: string[] = [];
  lines.push(`${chalk.bold(report.location)}  ${report.format}, ${report.arrays.length} array${report.arrays.length === 1 ? "" : "s"}`);
  lines.push(machineLine(report.machine));
  lines.push("");
  const rows = report.arrays.map(({ description: d, layout, compressionRatio }) => {
    const dims = d.dimensionNames?.some((n) => n !== null) ? `(${d.dimensionNames.map((n, i) => `${n ?? "?"}=${d.shape[i]}`).join(", ")})` : shapeText(d.shape);
    const chunks = d.chunks === null ? chalk.yellow("contiguous") : shapeText(d.chunks) + (d.shards ? ` in shards ${shapeText(d.shards)}` : "");
    const written = d.storage.writtenObjects;
    const count = written === null ? `?/${layout.objectCount}` : `${written}/${layout.objectCount}`;
    return [
      d.path,
      dims,
      d.dtype.numpy,
      chunks,
      formatSize(layout.chunkBytes),
      count,
      d.storage.storedBytes === null ? "?" : formatSize(d.storage.storedBytes),
      compressionRatio === null ? "-" : `${compressionRatio.toFixed(2)}×`,
      shownCodecs(d.codecs).map(codecText).join("+") || "none",
    ];
  });
  lines.push(
    renderTable(
      [
        { header: "ARRAY" },
        { header: "SHAPE" },
        { header: "DTYPE" },
        { header: "CHUNKS" },
        { header: "CHUNK", align: "right" },
        { header: "WRITTEN/GRID", align: "right" },
        { header: "STORED", align: "right" },
        { header: "RATIO", align: "right" },
        { header: "CODECS" },
      ],
      rows,
      (h) => chalk.bold(h),
    ),
  );
  const notes = report.arrays.flatMap(arrayNotes);
  if (notes.length > 0) lines.push("", ...notes);
  return lines.join("\n");
}

function arrayNotes({ description: d, layout }: ArrayInspection): string[] {
  const notes: string[] = [];
  if (d.fillValue !== null) notes.push(`fill value ${JSON.stringify(d.fillValue)}`);
  if (d.order === "F") notes.push("stored in F (column-major) order");
  if (layout.edgeWasteFraction > 0) {
    notes.push(`edge chunks ${shapeText(layout.edgeExtents)}: ${percent(layout.edgeWasteFraction)} of the chunk grid lies outside the array`);
  }
  if (d.shards) notes.push(`${layout.chunkCount} inner chunks of ${formatSize(layout.chunkBytes)} in ${layout.objectCount} shards of ${formatSize(layout.objectBytes)}`);
  if (d.unreadableReason !== null) notes.push(chalk.red(`cannot be read: ${d.unreadableReason}`));
  return notes.length === 0 ? [] : [`${chalk.bold(d.path)}: ${notes.join("; ")}`];
}

export function inspectJson(report: InspectReport): Record<string, unknown> {
  return {
    command: "inspect",
    dataset: { location: report.location, format: report.format },
    machine: machineJson(report.machine),
    arrays: report.arrays.map(arrayJson),
  };
}

export function arrayJson({ description: d, layout, compressionRatio }: ArrayInspection): Record<string, unknown> {
  return {
    path: d.path,
    shape: d.shape,
    dtype: { numpy: d.dtype.numpy, name: d.dtype.name, kind: d.dtype.kind, item_size: d.dtype.itemSize, byte_order: d.dtype.byteOrder },
    dimension_names: d.dimensionNames,
    chunks: d.chunks,
    contiguous: d.chunks === null,
    shards: d.shards,
    order: d.order,
    chunk_bytes: layout.chunkBytes,
    grid_shape: layout.gridShape,
    chunk_count: layout.chunkCount,
    object_count: layout.objectCount,
    written_objects: d.storage.writtenObjects,
    logical_bytes: layout.logicalBytes,
    stored_bytes: d.storage.storedBytes,
    compression_ratio: compressionRatio,
    edge_extents: layout.edgeExtents,
    edge_waste_fraction: layout.edgeWasteFraction,
    codecs: d.codecs.map((c) => ({ name: c.name, id: c.id ?? null, configuration: c.configuration, supported: c.supported })),
    fill_value: d.fillValue,
    readable: d.unreadableReason === null,
    unreadable_reason: d.unreadableReason,
    attributes: d.attributes,
  };
}
