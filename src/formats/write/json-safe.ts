/**
 * Attribute values made JSON-safe for Zarr metadata: typed arrays become arrays, bigints numbers
 * (strings when they exceed 2^53), NaN/±Infinity the strings "NaN"/"Infinity"/"-Infinity" (as
 * Zarr's fill_value spells them), nested objects converted recursively.
 */
export function toJsonSafe(value: unknown): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "NaN";
    if (value === Infinity) return "Infinity";
    if (value === -Infinity) return "-Infinity";
    return value;
  }
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<unknown>, toJsonSafe);
  if (Array.isArray(value)) return value.map(toJsonSafe);
  if (typeof value === "object") {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).map(([k, v]) => [k, toJsonSafe(v)]));
  }
  return null;
}

export function toJsonSafeRecord(record: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return toJsonSafe(record) as Record<string, unknown>;
}
