/**
 * HDF5 datatypes (as h5wasm describes them) → chunkwise DataType, and HDF5 values → JSON-safe
 * values for attributes and fill values.
 */
import type { Metadata } from "h5wasm/node";
import type { DataKind, DataType } from "../dataset.js";

/** H5T_class_t values. */
export const H5T = {
  integer: 0,
  float: 1,
  time: 2,
  string: 3,
  bitfield: 4,
  opaque: 5,
  compound: 6,
  reference: 7,
  enum: 8,
  vlen: 9,
  array: 10,
} as const;

const className: Record<number, string> = {
  2: "time",
  4: "bitfield",
  5: "opaque",
  6: "compound",
  7: "reference",
  9: "vlen",
  10: "array",
};

export interface MappedType {
  readonly dtype: DataType;
  /** Null when chunkwise can read values of this type; otherwise why not. */
  readonly unreadableReason: string | null;
}

/** h5py stores numpy bool as an enum {FALSE: 0, TRUE: 1} over int8. */
export function isBooleanEnum(metadata: Metadata): boolean {
  const members = metadata.enum_type?.members;
  return members !== undefined && Object.keys(members).length === 2 && members.FALSE === 0 && members.TRUE === 1;
}

function numeric(kind: DataKind, size: number, littleEndian: boolean, namePrefix: string, code: string): DataType {
  const byteOrder = size === 1 ? "none" : littleEndian ? "little" : "big";
  const orderChar = size === 1 ? "|" : littleEndian ? "<" : ">";
  return { numpy: `${orderChar}${code}${size}`, name: `${namePrefix}${size * 8}`, kind, itemSize: size, byteOrder };
}

export function mapDataType(metadata: Metadata): MappedType {
  const { type, size, littleEndian } = metadata;
  switch (type) {
    case H5T.integer:
      return {
        dtype: metadata.signed
          ? numeric("int", size, littleEndian, "int", "i")
          : numeric("uint", size, littleEndian, "uint", "u"),
        unreadableReason: [1, 2, 4, 8].includes(size) ? null : `integer datatype of ${size} bytes is not supported`,
      };
    case H5T.float: {
      const dtype = numeric("float", size, littleEndian, "float", "f");
      return { dtype, unreadableReason: size === 4 || size === 8 ? null : `datatype ${dtype.name} is not supported by the HDF5 reader` };
    }
    case H5T.enum: {
      if (isBooleanEnum(metadata)) {
        return { dtype: { numpy: "|b1", name: "bool", kind: "bool", itemSize: 1, byteOrder: "none" }, unreadableReason: null };
      }
      // Other enums read as their integer base type.
      const signed = metadata.signed;
      return {
        dtype: signed ? numeric("int", size, littleEndian, "int", "i") : numeric("uint", size, littleEndian, "uint", "u"),
        unreadableReason: null,
      };
    }
    case H5T.string:
      return metadata.vlen
        ? { dtype: { numpy: "|O", name: "string", kind: "string", itemSize: 8, byteOrder: "none" }, unreadableReason: null }
        : { dtype: { numpy: `|S${size}`, name: "string", kind: "string", itemSize: size, byteOrder: "none" }, unreadableReason: null };
    default: {
      const name = className[type] ?? `class ${type}`;
      return {
        dtype: { numpy: `|V${size}`, name, kind: "vlen", itemSize: size, byteOrder: "none" },
        unreadableReason: `HDF5 ${name} datatype is not supported`,
      };
    }
  }
}

/** The shortest decimal that rounds to the same float32, so 1e20f shows as 1e20, not 100000002004087730000. */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  for (let digits = 1; digits <= 9; digits += 1) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return value;
}

/** A number as the Dataset interface carries it: NaN and ±Infinity as strings. */
export function jsonNumber(value: number): number | string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "Infinity";
  if (value === -Infinity) return "-Infinity";
  return value;
}

function jsonBigint(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}

/**
 * Any value h5wasm returns for an attribute or a fill value → JSON-safe: typed arrays become
 * arrays, bigints numbers (strings beyond 2^53), NaN/Infinity strings, float32 values their
 * shortest decimal. Returns undefined for values that have no JSON form (object references).
 */
export function toJsonSafe(value: unknown): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return jsonNumber(value);
  if (typeof value === "bigint") return jsonBigint(value);
  if (value instanceof Float32Array) return Array.from(value, (v) => jsonNumber(shortestFloat32(v)));
  if (value instanceof BigInt64Array || value instanceof BigUint64Array) return Array.from(value, jsonBigint);
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>, jsonNumber);
  if (Array.isArray(value)) {
    const items = value.map(toJsonSafe);
    return items.some((item) => item === undefined) ? undefined : items;
  }
  return undefined;
}
