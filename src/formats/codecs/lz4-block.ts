/**
 * A decoder for the LZ4 block format (no frame: the streams blosc's lz4 and lz4hc write). It
 * trusts nothing in its input: every length and offset is checked against both buffers, so a
 * malformed block throws instead of producing wrong bytes.
 */

const MIN_MATCH = 4;
/** Copies shorter than this go byte by byte: cheaper than the call into set()/copyWithin(). */
const SHORT_COPY = 32;

/**
 * Decode the LZ4 block `src` into `dst`, which it must fill exactly; or, with `prefix`, only the
 * first dst.length bytes it decodes to: decoding stops there, and the rest of the block is
 * neither decoded nor checked.
 */
export function decodeLz4Block(src: Uint8Array, dst: Uint8Array, prefix = false): void {
  const srcEnd = src.length;
  const dstEnd = dst.length;
  const words = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
  let ip = 0;
  let op = 0;
  for (;;) {
    if (ip >= srcEnd) throw new Error(`lz4: the input ends at byte ${ip}, where a sequence should start (a block ends with literals)`);
    const token = src[ip++]!;

    let literals = token >>> 4;
    if (literals === 15) {
      let more: number;
      do {
        if (ip >= srcEnd) throw new Error(`lz4: a literal length runs past the input end (${srcEnd} bytes)`);
        more = src[ip++]!;
        literals += more;
      } while (more === 255);
    }
    if (literals > srcEnd - ip) throw new Error(`lz4: ${literals} literals at input byte ${ip} run past the input end (${srcEnd} bytes)`);
    if (literals > dstEnd - op) {
      if (!prefix) throw new Error(`lz4: ${literals} literals at output byte ${op} run past the output end (${dstEnd} bytes)`);
      dst.set(src.subarray(ip, ip + dstEnd - op), op);
      return;
    }
    if (literals < SHORT_COPY) {
      for (let k = 0; k < literals; k++) dst[op + k] = src[ip + k]!;
    } else {
      dst.set(src.subarray(ip, ip + literals), op);
    }
    ip += literals;
    op += literals;
    if (ip === srcEnd || (prefix && op === dstEnd)) break;

    if (srcEnd - ip < 2) throw new Error(`lz4: a match offset runs past the input end (${srcEnd} bytes)`);
    const offset = src[ip]! | (src[ip + 1]! << 8);
    ip += 2;
    if (offset === 0) throw new Error(`lz4: match offset 0 at input byte ${ip - 2}`);
    if (offset > op) throw new Error(`lz4: match offset ${offset} at output byte ${op} points before the output start`);

    let length = token & 15;
    if (length === 15) {
      let more: number;
      do {
        if (ip >= srcEnd) throw new Error(`lz4: a match length runs past the input end (${srcEnd} bytes)`);
        more = src[ip++]!;
        length += more;
      } while (more === 255);
    }
    length += MIN_MATCH;
    if (length > dstEnd - op) {
      if (!prefix) throw new Error(`lz4: a ${length}-byte match at output byte ${op} runs past the output end (${dstEnd} bytes)`);
      copyMatch(dst, op, offset, dstEnd - op);
      return;
    }
    if (length < SHORT_COPY && offset >= 4 && length + 3 <= dstEnd - op) {
      // Most matches are short (5–20 bytes in shuffled floats): copy 4 bytes at a time, forwards,
      // which repeats the pattern correctly when offset >= 4. Up to 3 bytes past the match are
      // written; what comes next overwrites them, and the block must end exactly at dst's end.
      const from = op - offset;
      for (let k = 0; k < length; k += 4) words.setUint32(op + k, words.getUint32(from + k, true), true);
    } else {
      copyMatch(dst, op, offset, length);
    }
    op += length;
    if (prefix && op === dstEnd) return;
  }
  if (op !== dstEnd) throw new Error(`lz4: the block decodes to ${op} bytes, expected ${dstEnd}`);
}

/**
 * Copy `length` bytes from `offset` bytes back. When the source overlaps the destination the
 * match repeats the last `offset` bytes, which copyWithin (a memmove) would not do in one call.
 */
function copyMatch(dst: Uint8Array, op: number, offset: number, length: number): void {
  const from = op - offset;
  if (length < SHORT_COPY) {
    for (let k = 0; k < length; k++) dst[op + k] = dst[from + k]!;
  } else if (offset >= length) {
    dst.copyWithin(op, from, from + length);
  } else if (offset === 1) {
    dst.fill(dst[from]!, op, op + length);
  } else {
    // dst[from, op + done) is the pattern repeated, so it can be copied whole: doubling steps.
    let done = 0;
    while (done < length) {
      const step = Math.min(offset + done, length - done);
      dst.copyWithin(op + done, from, from + step);
      done += step;
    }
  }
}
