/** Region checks and typed-array allocation shared by the HDF5 reader. */
import { ChunkwiseError } from "../../errors.js";
import type { ArrayDescription, ArrayValues, DataType } from "../dataset.js";

/** Throws a UsageError unless 0 ≤ start ≤ stop ≤ shape on every axis. */
export function assertRegion(description: ArrayDescription, start: readonly number[], stop: readonly number[], location: string): void {
  const { shape, path } = description;
  const ok =
    start.length === shape.length &&
    stop.length === shape.length &&
    shape.every((n, axis) => {
      const s = start[axis]!;
      const e = stop[axis]!;
      return Number.isInteger(s) && Number.isInteger(e) && s >= 0 && s <= e && e <= n;
    });
  if (!ok) {
    throw new ChunkwiseError(
      "UsageError",
      `region [${start.join(", ")}]..[${stop.join(", ")}] is outside ${path}, whose shape is (${shape.join(", ")})`,
      { path: location },
    );
  }
}

/** Throws a UsageError unless `coords` are the grid coordinates of a chunk of the array; returns the chunk's region, clipped to the array. */
export function chunkRegion(
  description: Pick<ArrayDescription, "shape" | "chunks" | "path">,
  coords: readonly number[],
  location: string,
): { start: number[]; stop: number[] } {
  const { shape, path } = description;
  const chunks = description.chunks ?? shape;
  if (coords.length !== shape.length) {
    throw new ChunkwiseError("UsageError", `chunk coordinates [${coords.join(", ")}] do not match ${shape.length}-d array ${path}`, { path: location });
  }
  coords.forEach((c, axis) => {
    const gridSize = Math.max(1, Math.ceil(shape[axis]! / chunks[axis]!));
    if (!Number.isInteger(c) || c < 0 || c >= gridSize) {
      throw new ChunkwiseError("UsageError", `chunk [${coords.join(", ")}] is outside the chunk grid of ${path}`, { path: location });
    }
  });
  const start = coords.map((c, axis) => c * chunks[axis]!);
  return { start, stop: start.map((s, axis) => Math.min(s + chunks[axis]!, shape[axis]!)) };
}

/** Bytes a decoded region of this shape occupies in memory. */
export function regionBytes(description: ArrayDescription, shape: readonly number[]): number {
  return shape.reduce((product, n) => product * n, 1) * description.dtype.itemSize;
}

/** A zero-filled value array of `length` elements for this dtype (typed where the dtype is numeric). */
export function emptyValues(dtype: DataType, length = 0): ArrayValues {
  switch (dtype.kind) {
    case "bool":
      return new Uint8Array(length);
    case "int":
      return dtype.itemSize === 1
        ? new Int8Array(length)
        : dtype.itemSize === 2
          ? new Int16Array(length)
          : dtype.itemSize === 4
            ? new Int32Array(length)
            : new BigInt64Array(length);
    case "uint":
      return dtype.itemSize === 1
        ? new Uint8Array(length)
        : dtype.itemSize === 2
          ? new Uint16Array(length)
          : dtype.itemSize === 4
            ? new Uint32Array(length)
            : new BigUint64Array(length);
    case "float":
      return dtype.itemSize === 4 ? new Float32Array(length) : new Float64Array(length);
    default:
      return new Array<unknown>(length).fill(null);
  }
}
