/**
 * The dataspace (format spec §IV.A.2.b), datatype (§IV.A.2.d) and filter pipeline (§IV.A.2.l)
 * messages of a dataset's object header, decoded as far as the direct chunk reader needs them.
 */
import { readUint } from "./superblock.js";

export interface Dataspace {
  readonly shape: readonly number[];
  /** Per axis the maximum size; null where unlimited. */
  readonly maxShape: readonly (number | null)[];
}

/** A simple dataspace's extents; null for scalar and null dataspaces. */
export function parseDataspace(data: Buffer, lengthSize: number): Dataspace | null {
  const version = data[0]!;
  const rank = data[1]!;
  const flags = data[2]!;
  if (version === 2 && data[3] !== 1) return null;
  if (version !== 1 && version !== 2) throw new Error(`dataspace message version ${version}`);
  if (rank === 0) return null;
  const start = version === 1 ? 8 : 4;
  const shape = Array.from({ length: rank }, (_, axis) => readUint(data, start + axis * lengthSize, lengthSize) ?? 0);
  const maxShape = (flags & 0x01) === 0 ? shape : Array.from({ length: rank }, (_, axis) => readUint(data, start + (rank + axis) * lengthSize, lengthSize));
  return { shape, maxShape };
}

/** An integer or IEEE float element type, the only ones read directly. */
export interface NumericType {
  readonly kind: "int" | "uint" | "float";
  readonly size: 1 | 2 | 4 | 8;
  readonly littleEndian: boolean;
}

const IEEE_LAYOUT: Readonly<Record<number, readonly number[]>> = {
  // bit offset, precision, exponent location and size, mantissa location and size, exponent bias
  4: [0, 32, 23, 8, 0, 23, 127],
  8: [0, 64, 52, 11, 0, 52, 1023],
};

/** The element type when it is a plain 1–8 byte integer or an IEEE float32/float64; null for anything else (enums, padded or odd-precision types included). */
export function parseNumericType(data: Buffer): NumericType | null {
  const typeClass = data[0]! & 0x0f;
  const bits = data[1]!;
  const size = data.readUInt32LE(4);
  if (size !== 1 && size !== 2 && size !== 4 && size !== 8) return null;
  if (typeClass === 0) {
    // Fixed point: bit 0 byte order, bits 1–2 padding, bit 3 signed; all bits of all bytes used.
    if ((bits & 0x06) !== 0 || data.readUInt16LE(8) !== 0 || data.readUInt16LE(10) !== 8 * size) return null;
    return { kind: (bits & 0x08) !== 0 ? "int" : "uint", size, littleEndian: (bits & 0x01) === 0 };
  }
  if (typeClass === 1) {
    // Floating point: bits 0 and 6 byte order (both set: VAX), bits 1–3 padding, 4–5 normalization, byte 2 the sign bit.
    const layout = IEEE_LAYOUT[size];
    if (layout === undefined || (bits & 0x4e) !== 0 || ((bits >> 4) & 0x03) !== 2 || data[2] !== 8 * size - 1) return null;
    const actual = [data.readUInt16LE(8), data.readUInt16LE(10), data[12]!, data[13]!, data[14]!, data[15]!, data.readUInt32LE(16)];
    if (!actual.every((value, i) => value === layout[i])) return null;
    return { kind: "float", size, littleEndian: (bits & 0x01) === 0 };
  }
  return null;
}

export interface PipelineFilter {
  readonly id: number;
  /** The filter's client data ("cd_values"). */
  readonly clientData: readonly number[];
}

/** The filters in pipeline (encode) order. */
export function parseFilterPipeline(data: Buffer): PipelineFilter[] {
  const version = data[0]!;
  const count = data[1]!;
  if (version !== 1 && version !== 2) throw new Error(`filter pipeline message version ${version}`);
  const filters: PipelineFilter[] = [];
  let pos = version === 1 ? 8 : 2;
  for (let f = 0; f < count; f += 1) {
    const id = data.readUInt16LE(pos);
    pos += 2;
    // Version 1 always has a name length; version 2 only for ids from 256 up. Names are padded to 8 bytes in version 1.
    const nameLength = version === 1 || id >= 256 ? data.readUInt16LE(pos) : 0;
    if (version === 1 || id >= 256) pos += 2;
    const values = data.readUInt16LE(pos + 2);
    pos += 4 + (version === 1 ? Math.ceil(nameLength / 8) * 8 : nameLength);
    const clientData = Array.from({ length: values }, (_, i) => data.readUInt32LE(pos + 4 * i));
    pos += 4 * values + (version === 1 && values % 2 === 1 ? 4 : 0);
    filters.push({ id, clientData });
  }
  return filters;
}
