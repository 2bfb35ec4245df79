/** Test helpers: whole arrays cut into unit blocks (naively, element by element), dtypes, python. */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Block, DataType, NumericArray } from "../../../src/formats/dataset.js";
import type { ArraySpec, DatasetWriter } from "../../../src/formats/writer.js";

export function dtype(name: string, byteOrder: "little" | "big" = "little"): DataType {
  const table: Record<string, [string, number, DataType["kind"]]> = {
    bool: ["b1", 1, "bool"],
    int8: ["i1", 1, "int"],
    uint8: ["u1", 1, "uint"],
    int16: ["i2", 2, "int"],
    uint16: ["u2", 2, "uint"],
    int32: ["i4", 4, "int"],
    uint32: ["u4", 4, "uint"],
    int64: ["i8", 8, "int"],
    uint64: ["u8", 8, "uint"],
    float32: ["f4", 4, "float"],
    float64: ["f8", 8, "float"],
  };
  const [code, itemSize, kind] = table[name]!;
  const order = itemSize === 1 ? "none" : byteOrder;
  return { numpy: `${itemSize === 1 ? "|" : byteOrder === "big" ? ">" : "<"}${code}`, name, kind, itemSize, byteOrder: order };
}

const CLASSES: Record<string, new (n: number) => NumericArray> = {
  bool: Uint8Array, int8: Int8Array, uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array, int32: Int32Array,
  uint32: Uint32Array, int64: BigInt64Array, uint64: BigUint64Array, float32: Float32Array, float64: Float64Array,
};

/** Deterministic values covering negative numbers and the type's range. */
export function sampleValues(name: string, length: number): NumericArray {
  const out = new CLASSES[name]!(length);
  for (let i = 0; i < length; i++) {
    if (out instanceof BigInt64Array) out[i] = BigInt(i * 1_000_003) - 2n ** 40n;
    else if (out instanceof BigUint64Array) out[i] = BigInt(i) * 7_000_000_001n + 2n ** 63n;
    else if (name === "bool") (out as Uint8Array)[i] = i % 3 === 0 ? 1 : 0;
    else if (out instanceof Float32Array || out instanceof Float64Array) out[i] = i * 0.25 - 7.5;
    else (out as Int32Array)[i] = (i * 37) - 50;
  }
  return out;
}

const product = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** The region [start, start+shape) of a C-order array. */
export function cut(values: NumericArray, shape: readonly number[], start: readonly number[], extent: readonly number[]): NumericArray {
  const out = new (values.constructor as new (n: number) => NumericArray)(product(extent));
  const index = extent.map(() => 0);
  for (let i = 0; i < out.length; i++) {
    let flat = 0;
    for (let axis = 0; axis < shape.length; axis++) flat = flat * shape[axis]! + start[axis]! + index[axis]!;
    (out as Float64Array)[i] = (values as Float64Array)[flat]!;
    for (let axis = extent.length - 1; axis >= 0; axis--) {
      if (++index[axis]! < extent[axis]!) break;
      index[axis] = 0;
    }
  }
  return out;
}

/** Every unit of the array, as writeUnit wants it. */
export function* units(shape: readonly number[], unit: readonly number[], values: NumericArray): Generator<[number[], Block]> {
  const grid = shape.map((n, axis) => Math.ceil(n / unit[axis]!));
  const count = product(grid);
  const coords = grid.map(() => 0);
  for (let u = 0; u < count; u++) {
    const start = coords.map((c, axis) => c * unit[axis]!);
    const extent = start.map((s, axis) => Math.min(unit[axis]!, shape[axis]! - s));
    yield [[...coords], { shape: extent, values: cut(values, shape, start, extent) }];
    for (let axis = grid.length - 1; axis >= 0; axis--) {
      if (++coords[axis]! < grid[axis]!) break;
      coords[axis] = 0;
    }
  }
}

export async function writeAll(writer: DatasetWriter, spec: ArraySpec, values: NumericArray): Promise<void> {
  for (const [coords, block] of units(spec.shape, spec.shards ?? spec.chunks, values)) await writer.writeUnit(spec.path, coords, block);
}

export function spec(overrides: Partial<ArraySpec> & Pick<ArraySpec, "path" | "shape" | "chunks" | "dtype">): ArraySpec {
  return { shards: null, dimensionNames: null, fillValue: 0, attributes: {}, sourceCodecs: [], ...overrides };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `chunkwise-${prefix}-`));
}

/** Run Debian's python3 (zarr 2.13, h5py) with a script; returns stdout parsed as JSON. */
export function python(script: string, ...args: string[]): unknown {
  const out = execFileSync("/usr/bin/python3", ["-c", script, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(out);
}

/** Values as plain JSON-comparable numbers/strings (bigints as strings, NaN as "NaN"). */
export function plain(values: ArrayLike<unknown>): unknown[] {
  return Array.from(values, (v) => (typeof v === "bigint" ? v.toString() : typeof v === "number" && Number.isNaN(v) ? "NaN" : v));
}
