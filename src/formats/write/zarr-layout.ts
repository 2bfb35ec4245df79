/**
 * What differs between Zarr v2 and v3 output: the metadata documents of a node and the key of a
 * chunk (or shard) file. zarr-writer.ts does the rest for both.
 */
import type { GroupDescription } from "../dataset.js";
import type { StagedArray } from "./prepared-array.js";

export interface MetadataDocument {
  /** File name inside the node's directory. */
  readonly name: string;
  readonly content: unknown;
}

export interface ZarrLayout {
  readonly format: "zarr2" | "zarr3";
  /** The array's documents; the last one is the one that makes the node exist for readers. */
  arrayDocuments(array: StagedArray): MetadataDocument[];
  groupDocuments(group: GroupDescription): MetadataDocument[];
  /** Path segments of a unit's file below the array's directory. */
  unitKey(unitCoords: readonly number[]): string[];
}

/** The fill value as the metadata spells it for the dtype: booleans for bool, "NaN"/"Infinity" strings kept. */
export function fillValueJson(array: StagedArray, nullAllowed: boolean): number | string | boolean | JsonInteger | null {
  const { fillValue, dtype } = array.spec;
  if (fillValue === null) return nullAllowed ? null : dtype.name === "bool" ? false : 0;
  if (dtype.name === "bool") return fillValue === true || fillValue === 1 || fillValue === "true";
  if (typeof fillValue === "boolean") return fillValue ? 1 : 0;
  if (typeof fillValue === "string" && !["NaN", "Infinity", "-Infinity"].includes(fillValue)) {
    // 64-bit integers beyond 2^53 come as decimal strings: keep every digit in the JSON.
    if (/^-?\d+$/.test(fillValue) && !Number.isSafeInteger(Number(fillValue))) return new JsonInteger(fillValue);
    return Number(fillValue);
  }
  return fillValue;
}

/** An integer written into JSON with all its digits (JSON numbers are unbounded; JS numbers are not). */
export class JsonInteger {
  constructor(readonly digits: string) {}
}
