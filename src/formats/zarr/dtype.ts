import type { DataKind, DataType } from "../dataset.js";

/** A parsed element type, plus why zarrita cannot decode it (null when it can). */
export interface ParsedDataType {
  readonly dtype: DataType;
  readonly unsupported: string | null;
}

const NUMERIC: Record<string, { kind: DataKind; name: string }> = {
  b1: { kind: "bool", name: "bool" },
  i1: { kind: "int", name: "int8" },
  i2: { kind: "int", name: "int16" },
  i4: { kind: "int", name: "int32" },
  i8: { kind: "int", name: "int64" },
  u1: { kind: "uint", name: "uint8" },
  u2: { kind: "uint", name: "uint16" },
  u4: { kind: "uint", name: "uint32" },
  u8: { kind: "uint", name: "uint64" },
  f2: { kind: "float", name: "float16" },
  f4: { kind: "float", name: "float32" },
  f8: { kind: "float", name: "float64" },
  c8: { kind: "complex", name: "complex64" },
  c16: { kind: "complex", name: "complex128" },
};

const V3_NUMERIC: Record<string, string> = {
  bool: "b1",
  int8: "i1",
  int16: "i2",
  int32: "i4",
  int64: "i8",
  uint8: "u1",
  uint16: "u2",
  uint32: "u4",
  uint64: "u8",
  float16: "f2",
  float32: "f4",
  float64: "f8",
  complex64: "c8",
  complex128: "c16",
};

/** float16 decodes into a Float16Array, which Node 20 does not have. */
function float16Problem(name: string): string | null {
  return name === "float16" && !("Float16Array" in globalThis) ? "dtype float16 needs Float16Array, which this Node.js version lacks" : null;
}

function orderOf(symbol: string, itemSize: number): DataType["byteOrder"] {
  if (itemSize === 1 || symbol === "|") return "none";
  return symbol === ">" ? "big" : "little";
}

function orderSymbol(order: DataType["byteOrder"]): string {
  return order === "big" ? ">" : order === "little" ? "<" : "|";
}

/**
 * A Zarr v2 `dtype` ("<f4", ">i2", "|b1", "<U13", "|S7", "|O", "<M8[ns]", or a structured list).
 * `objectCodec` names the filter that encodes "|O" objects (vlen-utf8 → strings), if any.
 * Returns a problem string instead when the value is not a dtype at all.
 */
export function parseV2Dtype(value: unknown, objectCodec: string | null): ParsedDataType | { problem: string } {
  if (Array.isArray(value)) {
    return {
      dtype: { numpy: JSON.stringify(value), name: "structured", kind: "vlen", itemSize: 0, byteOrder: "none" },
      unsupported: "structured dtypes are not supported",
    };
  }
  if (typeof value !== "string") return { problem: "dtype must be a string" };
  if (value === "|O" || value === "<O" || value === ">O") {
    const isString = objectCodec === "vlen-utf8";
    const dtype: DataType = { numpy: "|O", name: isString ? "string" : "vlen", kind: isString ? "string" : "vlen", itemSize: 8, byteOrder: "none" };
    return { dtype, unsupported: objectCodec === null ? "object dtype |O without an object codec (vlen-utf8, json2, …)" : null };
  }
  const match = /^([<>|=])([a-zA-Z])(\d*)(\[\w+\])?$/.exec(value);
  if (!match) return { problem: `dtype ${JSON.stringify(value)} is not a numpy type string` };
  const [, symbol, letter, digits, unit] = match as unknown as [string, string, string, string, string | undefined];
  const size = digits === "" ? NaN : Number(digits);
  if (letter === "U" || letter === "S") {
    if (!Number.isInteger(size) || size < 1) return { problem: `dtype ${value} needs a length` };
    const itemSize = letter === "U" ? 4 * size : size;
    const byteOrder = letter === "U" ? orderOf(symbol, itemSize) : "none";
    return {
      dtype: { numpy: `${orderSymbol(byteOrder)}${letter}${size}`, name: "string", kind: "string", itemSize, byteOrder },
      unsupported: null,
    };
  }
  if (letter === "M" || letter === "m") {
    const name = `${letter === "M" ? "datetime64" : "timedelta64"}${unit ?? ""}`;
    const byteOrder = orderOf(symbol, 8);
    return { dtype: { numpy: `${orderSymbol(byteOrder)}${letter}8${unit ?? ""}`, name, kind: "int", itemSize: 8, byteOrder }, unsupported: `dtype ${name} is not supported` };
  }
  if (letter === "V") {
    return { dtype: { numpy: `|V${digits}`, name: "void", kind: "vlen", itemSize: size || 0, byteOrder: "none" }, unsupported: "raw void dtypes are not supported" };
  }
  const known = NUMERIC[`${letter}${digits}`];
  if (!known || unit !== undefined) return { problem: `dtype ${JSON.stringify(value)} is not a type Zarr v2 knows` };
  const byteOrder = orderOf(symbol, size);
  const dtype: DataType = { numpy: `${orderSymbol(byteOrder)}${letter}${digits}`, name: known.name, kind: known.kind, itemSize: size, byteOrder };
  const unsupported = known.kind === "complex" ? `dtype ${known.name} is not supported` : float16Problem(known.name);
  return { dtype, unsupported };
}

/**
 * A Zarr v3 `data_type` (a name, or {name, configuration} for extension types). `endian` comes
 * from the `bytes` codec configuration (v3 keeps the byte order there, not in the type).
 */
export function parseV3DataType(value: unknown, endian: "little" | "big" | null): ParsedDataType | { problem: string } {
  const name = typeof value === "string" ? value : (value as { name?: unknown } | null)?.name;
  if (typeof name !== "string") return { problem: "data_type must be a string or an object with a name" };
  const configuration = typeof value === "object" && value !== null ? ((value as { configuration?: Record<string, unknown> }).configuration ?? {}) : {};
  const code = V3_NUMERIC[name];
  if (code) {
    const known = NUMERIC[code]!;
    const itemSize = Number(code.slice(1));
    const byteOrder = itemSize === 1 ? "none" : (endian ?? "little");
    const dtype: DataType = { numpy: `${orderSymbol(byteOrder)}${code}`, name: known.name, kind: known.kind, itemSize, byteOrder };
    const unsupported = known.kind === "complex" ? `data type ${name} is not supported` : float16Problem(name);
    return { dtype, unsupported };
  }
  switch (name) {
    case "string":
      return { dtype: { numpy: "|O", name: "string", kind: "string", itemSize: 8, byteOrder: "none" }, unsupported: null };
    case "bytes":
    case "variable_length_bytes":
      return { dtype: { numpy: "|O", name: "vlen", kind: "vlen", itemSize: 8, byteOrder: "none" }, unsupported: `data type ${name} is not supported` };
    case "fixed_length_utf32": {
      const bytes = Number(configuration.length_bytes);
      const byteOrder = endian ?? "little";
      return {
        dtype: { numpy: `${orderSymbol(byteOrder)}U${bytes / 4}`, name: "string", kind: "string", itemSize: bytes, byteOrder },
        unsupported: `data type ${name} is not supported`,
      };
    }
    case "null_terminated_bytes":
    case "fixed_length_bytes": {
      const bytes = Number(configuration.length_bytes);
      return { dtype: { numpy: `|S${bytes}`, name: "string", kind: "string", itemSize: bytes, byteOrder: "none" }, unsupported: `data type ${name} is not supported` };
    }
    case "numpy.datetime64":
    case "numpy.timedelta64": {
      const unit = typeof configuration.unit === "string" ? `[${configuration.unit}]` : "";
      const byteOrder = endian ?? "little";
      const typeName = `${name.slice("numpy.".length)}${unit}`;
      return {
        dtype: { numpy: `${orderSymbol(byteOrder)}${name.endsWith("datetime64") ? "M" : "m"}8${unit}`, name: typeName, kind: "int", itemSize: 8, byteOrder },
        unsupported: `data type ${typeName} is not supported`,
      };
    }
  }
  const raw = /^r(\d+)$/.exec(name);
  if (raw && Number(raw[1]) % 8 === 0) {
    const bytes = Number(raw[1]) / 8;
    return { dtype: { numpy: `|V${bytes}`, name, kind: "vlen", itemSize: bytes, byteOrder: "none" }, unsupported: `data type ${name} is not supported` };
  }
  return {
    dtype: { numpy: name, name, kind: "vlen", itemSize: 0, byteOrder: "none" },
    unsupported: `data type ${name} is not supported`,
  };
}
