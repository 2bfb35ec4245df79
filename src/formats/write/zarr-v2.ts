/**
 * Zarr v2 output: `.zarray` (C order, dimension_separator ".", compressor in numcodecs spelling, no
 * filters), `.zattrs` with `_ARRAY_DIMENSIONS` for the dimension names (xarray's convention),
 * `.zgroup`. Chunk files `i.j.k`, edge chunks padded to the full chunk with the fill value, as
 * zarr-python writes them.
 */
import type { GroupDescription } from "../dataset.js";
import { zarrV2Compressor } from "./compressor.js";
import { toJsonSafeRecord } from "./json-safe.js";
import type { StagedArray } from "./prepared-array.js";
import { fillValueJson, type MetadataDocument, type ZarrLayout } from "./zarr-layout.js";

function dtypeV2(array: StagedArray): string {
  const { dtype } = array.spec;
  if (dtype.name === "bool") return "|b1";
  const code = dtype.numpy.slice(1);
  if (dtype.itemSize === 1) return `|${code}`;
  return `${dtype.byteOrder === "big" ? ">" : "<"}${code}`;
}

function arrayAttributes(array: StagedArray): Record<string, unknown> {
  const attributes = toJsonSafeRecord(array.spec.attributes);
  delete attributes["_ARRAY_DIMENSIONS"];
  const names = array.spec.dimensionNames;
  if (names && names.every((name): name is string => typeof name === "string")) attributes["_ARRAY_DIMENSIONS"] = [...names];
  return attributes;
}

export const zarrV2Layout: ZarrLayout = {
  format: "zarr2",
  arrayDocuments(array: StagedArray): MetadataDocument[] {
    const { spec } = array;
    return [
      { name: ".zattrs", content: arrayAttributes(array) },
      {
        name: ".zarray",
        content: {
          chunks: [...spec.chunks],
          compressor: zarrV2Compressor(array.compressor),
          dimension_separator: ".",
          dtype: dtypeV2(array),
          fill_value: fillValueJson(array, true),
          filters: null,
          order: "C",
          shape: [...spec.shape],
          zarr_format: 2,
        },
      },
    ];
  },
  groupDocuments(group: GroupDescription): MetadataDocument[] {
    return [
      { name: ".zattrs", content: toJsonSafeRecord(group.attributes) },
      { name: ".zgroup", content: { zarr_format: 2 } },
    ];
  },
  unitKey(unitCoords: readonly number[]): string[] {
    return [unitCoords.length === 0 ? "0" : unitCoords.join(".")];
  },
};
