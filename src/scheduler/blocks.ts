/**
 * Numeric blocks as task values: the typed array's whole buffer travels (transferred), its
 * element type and shape travel as metadata. A view over part of a larger buffer is copied
 * once so that only its own bytes move and count.
 */
import { ChunkwiseError } from "../errors.js";
import type { Block, NumericArray } from "../formats/dataset.js";
import { type ElementType, typedArrayClasses } from "../formats/typed-arrays.js";
import type { TaskValue } from "./types.js";

export type { ElementType } from "../formats/typed-arrays.js";

export interface BlockMeta {
  readonly shape: readonly number[];
  readonly elementType: ElementType;
}

const constructors = typedArrayClasses;

export function elementTypeOf(values: NumericArray): ElementType {
  for (const [name, ctor] of Object.entries(constructors)) {
    if (values instanceof ctor) return name as ElementType;
  }
  throw new ChunkwiseError("UnsupportedError", `unsupported element array ${Object.prototype.toString.call(values)}`);
}

export function isNumericArray(values: unknown): values is NumericArray {
  return ArrayBuffer.isView(values) && !(values instanceof DataView) && !(values instanceof Uint8ClampedArray);
}

/** A typed array as a task value; copies only when the view does not own its whole ArrayBuffer. */
export function numericValue(values: NumericArray, shape: readonly number[]): TaskValue<BlockMeta> {
  const elementType = elementTypeOf(values);
  const own =
    values.buffer instanceof ArrayBuffer && values.byteOffset === 0 && values.byteLength === values.buffer.byteLength
      ? values
      : (values.slice() as NumericArray);
  return { meta: { shape: [...shape], elementType }, buffers: [own.buffer as ArrayBuffer] };
}

/** A decoded block as a task value; string and object data cannot travel as buffers. */
export function blockValue(block: Block): TaskValue<BlockMeta> {
  if (!isNumericArray(block.values)) {
    throw new ChunkwiseError("UnsupportedError", "only numeric and boolean arrays can be computed on (this one holds strings or objects)");
  }
  return numericValue(block.values, block.shape);
}

/** The typed array a block value carries (a view on its buffer, no copy). */
export function valueArray(value: TaskValue): { values: NumericArray; shape: readonly number[] } {
  const meta = value.meta as BlockMeta;
  const ctor = constructors[meta.elementType];
  const buffer = value.buffers[0];
  if (ctor === undefined || buffer === undefined) {
    throw new ChunkwiseError("UsageError", "task input is not a numeric block");
  }
  return { values: new ctor(buffer) as NumericArray, shape: meta.shape };
}
