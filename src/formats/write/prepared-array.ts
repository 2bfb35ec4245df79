/**
 * An output array as every writer needs it: the spec checked once (shape, chunks, shards, dtype),
 * its compressor decided, and the facts a unit write uses (unit grid, fill element, all-fill chunk).
 */
import { ChunkwiseError } from "../../errors.js";
import type { Block, NumericArray } from "../dataset.js";
import type { ArraySpec, OutputFormat } from "../writer.js";
import { decideCompressor, type Compressor } from "./compressor.js";
import { arrayClassFor, checkBlock, fillElement, type ChunkEncoding } from "./encode.js";
import { nodeSegments } from "./store-files.js";

/** What is staged per array (JSON-safe): the spec and the decided compressor. */
export interface StagedArray {
  readonly spec: ArraySpec;
  readonly compressor: Compressor | null;
  readonly warnings: readonly string[];
}

export interface PreparedArray extends StagedArray {
  /** The write unit: the shard when sharded, else the chunk. */
  readonly unitShape: readonly number[];
  readonly unitGrid: readonly number[];
  readonly encoding: ChunkEncoding;
  readonly fill: NumericArray;
  /** One full (inner) chunk of fill values, as bytes in memory order. */
  readonly allFill: Buffer;
}

const isCount = (n: unknown, min: number): n is number => typeof n === "number" && Number.isInteger(n) && n >= min;

/** Check a spec and decide its compressor; throws before any data is written. */
export function stageArray(spec: ArraySpec, format: OutputFormat): StagedArray {
  nodeSegments(spec.path);
  const where = spec.path;
  const rank = spec.shape.length;
  arrayClassFor(spec.dtype);
  if (!spec.shape.every((n) => isCount(n, 0))) throw new ChunkwiseError("UsageError", `${where}: shape [${spec.shape.join(", ")}] must be non-negative integers`);
  if (spec.chunks.length !== rank || !spec.chunks.every((n) => isCount(n, 1))) {
    throw new ChunkwiseError("UsageError", `${where}: chunks [${spec.chunks.join(", ")}] must be ${rank} positive integers`);
  }
  if (spec.shards) {
    if (format !== "zarr3") throw new ChunkwiseError("UnsupportedError", `${where}: sharding is a Zarr v3 feature; ${format} output cannot be sharded`);
    if (spec.shards.length !== rank || !spec.shards.every((n, axis) => isCount(n, 1) && n % spec.chunks[axis]! === 0)) {
      throw new ChunkwiseError("UsageError", `${where}: shards [${spec.shards.join(", ")}] must be positive multiples of the chunks [${spec.chunks.join(", ")}]`);
    }
  }
  if (spec.dimensionNames && spec.dimensionNames.length !== rank) {
    throw new ChunkwiseError("UsageError", `${where}: ${spec.dimensionNames.length} dimension names for ${rank} axes`);
  }
  const { compressor, warnings } = decideCompressor(spec, format);
  return { spec, compressor, warnings };
}

export function prepareArray(staged: StagedArray): PreparedArray {
  const { spec } = staged;
  const unitShape = spec.shards ?? spec.chunks;
  const fill = fillElement(spec.dtype, spec.fillValue);
  const chunkLength = spec.chunks.reduce((a, b) => a * b, 1);
  const allFillValues = new (fill.constructor as new (n: number) => NumericArray)(chunkLength);
  (allFillValues as { fill(value: number | bigint): unknown }).fill(fill[0]!);
  return {
    ...staged,
    unitShape,
    unitGrid: spec.shape.map((extent, axis) => Math.ceil(extent / unitShape[axis]!)),
    encoding: {
      dtype: spec.dtype,
      chunkShape: spec.chunks,
      fillValue: spec.fillValue,
      byteOrder: spec.dtype.itemSize === 1 ? "none" : spec.dtype.byteOrder === "big" ? "big" : "little",
      compressor: staged.compressor,
    },
    fill,
    allFill: Buffer.from(allFillValues.buffer, allFillValues.byteOffset, allFillValues.byteLength),
  };
}

/** Check a unit's coordinates and block against the array; returns the block's values. */
export function checkUnit(array: PreparedArray, unitCoords: readonly number[], block: Block): NumericArray {
  const where = `${array.spec.path} unit [${unitCoords.join(", ")}]`;
  if (unitCoords.length !== array.unitGrid.length || !unitCoords.every((c, axis) => isCount(c, 0) && c < array.unitGrid[axis]!)) {
    throw new ChunkwiseError("UsageError", `${where} is outside the unit grid [${array.unitGrid.join(", ")}]`);
  }
  const expected = unitCoords.map((c, axis) => Math.min(array.unitShape[axis]!, array.spec.shape[axis]! - c * array.unitShape[axis]!));
  if (block.shape.length !== expected.length || !block.shape.every((n, axis) => n === expected[axis])) {
    throw new ChunkwiseError("UsageError", `${where}: block shape [${block.shape.join(", ")}] should be [${expected.join(", ")}]`);
  }
  return checkBlock(block, array.spec.dtype, where);
}
