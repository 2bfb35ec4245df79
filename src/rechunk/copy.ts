/**
 * Comparing values read back against the source (verification).
 */
import type { ArrayValues } from "../formats/dataset.js";
import { isNumeric } from "../formats/block-copy.js";

/**
 * Whether two value arrays hold the same values: numeric data compared byte for byte (so NaN
 * equals NaN with the same payload and -0 differs from 0, as a bit-exact copy must); other data
 * element by element. Returns the index of the first difference, or -1.
 */
export function firstDifference(a: ArrayValues, b: ArrayValues): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  if (isNumeric(a) && isNumeric(b)) {
    if (a.BYTES_PER_ELEMENT !== b.BYTES_PER_ELEMENT) return 0;
    const x = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    const y = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    if (x.equals(y)) return -1;
    const size = a.BYTES_PER_ELEMENT;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return Math.floor(i / size);
    return -1;
  }
  for (let i = 0; i < a.length; i++) {
    if (JSON.stringify(a[i]) !== JSON.stringify(b[i])) return i;
  }
  return -1;
}
