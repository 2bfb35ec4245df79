/** The typed array class each numeric element type is held in (bool data travels as uint8). */
export const typedArrayClasses = {
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

export type ElementType = keyof typeof typedArrayClasses;
