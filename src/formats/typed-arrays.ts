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

/** Reverse the byte order of every `size`-byte element of `bytes`, in place (Buffer's native swaps; one-byte elements stay). */
export function swapBytesInPlace(bytes: Uint8Array, size: number): void {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (size === 2) buffer.swap16();
  else if (size === 4) buffer.swap32();
  else if (size === 8) buffer.swap64();
}
