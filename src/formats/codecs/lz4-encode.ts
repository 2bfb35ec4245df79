/**
 * An LZ4 block compressor (no frame: the streams blosc's lz4 writes) that parses as liblz4's
 * LZ4_compress_fast does: one hash table of recent 4-byte sequences, no chains; a search that
 * skips ahead faster the longer it fails (`acceleration` multiplies the skip); matches extended
 * backwards over equal bytes; the parsing restrictions every LZ4 decoder relies on (the last match
 * starts at least 12 bytes before the end, the last 5 bytes are literals). One difference: liblz4
 * on 64-bit hashes 5 bytes for inputs over 64 KiB, we always hash 4 (a 64-bit multiply is dear in
 * JavaScript); the compressed sizes differ by well under 1% on blosc's streams.
 */

const MIN_MATCH = 4;
const LAST_LITERALS = 5;
const MF_LIMIT = 12;
const MAX_OFFSET = 65535;
/** A failed search step adds 1/64 to the skip: liblz4's LZ4_skipTrigger. */
const SKIP_TRIGGER = 6;
/** Inputs below this get liblz4's 16-bit-index table, one bit more of hash (LZ4_64Klimit). */
const SMALL_INPUT = 65536 + MF_LIMIT - 1;
const HASH_LOG_SMALL = 13;
const HASH_LOG = 12;
const PRIME = 2654435761 | 0;
const RUN_MASK = 15;
const ML_MASK = 15;
/** Literal runs shorter than this are copied byte by byte: cheaper than set() and subarray(). */
const SHORT_COPY = 32;

/**
 * The hash table, shared by every call on this thread. Entries are positions plus `base`, which
 * moves past every earlier call's positions by more than MAX_OFFSET: an entry left by an earlier
 * call always fails the distance check, so the table never needs clearing between calls.
 */
const table = new Int32Array(1 << HASH_LOG_SMALL);
let base = MAX_OFFSET + 1;

/**
 * Compress `src` into `dst` as one LZ4 block. Returns the compressed length, or 0 when it would
 * not fit in `dst` (whose whole length may be used). `acceleration` ≥ 1 trades ratio for speed as
 * in LZ4_compress_fast (blosc passes 10 − clevel).
 */
export function compressLz4Block(src: Uint8Array, dst: Uint8Array, acceleration: number): number {
  const n = src.length;
  if (n > 0x7e000000) throw new Error(`lz4: ${n} bytes is more than an LZ4 block holds`);
  if (base > 0x7fffffff - n - MAX_OFFSET - 1) {
    table.fill(0);
    base = MAX_OFFSET + 1;
  }
  const b = base;
  base += n + MAX_OFFSET + 1;
  const accel = Math.max(1, Math.min(65537, Math.floor(acceleration)));
  const shift = 32 - (n < SMALL_INPUT ? HASH_LOG_SMALL : HASH_LOG);
  const olimit = dst.length;
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const mflimitPlusOne = n - MF_LIMIT + 1;
  const matchLimit = n - LAST_LITERALS;

  let anchor = 0;
  let op = 0;
  let ip = 0;

  if (n >= MF_LIMIT + 1) {
    table[Math.imul(view.getUint32(0, true), PRIME) >>> shift] = b;
    ip = 1;
    let forwardH = Math.imul(view.getUint32(1, true), PRIME) >>> shift;
    search: for (;;) {
      // Find a match: probe the table at ip, moving on by a step that grows with failures.
      let forwardIp = ip;
      let step = 1;
      let searchMatchNb = accel << SKIP_TRIGGER;
      let match: number;
      for (;;) {
        const h = forwardH;
        const current = forwardIp;
        const ref = table[h]!;
        ip = forwardIp;
        forwardIp += step;
        step = searchMatchNb++ >> SKIP_TRIGGER;
        if (forwardIp > mflimitPlusOne) break search;
        forwardH = Math.imul(view.getUint32(forwardIp, true), PRIME) >>> shift;
        table[h] = current + b;
        if (ref + MAX_OFFSET < current + b) continue;
        match = ref - b;
        if (view.getUint32(match, true) === view.getUint32(ip, true)) break;
      }

      // Extend the match backwards over equal bytes.
      while (ip > anchor && match > 0 && src[ip - 1] === src[match - 1]) {
        ip--;
        match--;
      }

      // The literals before it.
      const litLength = ip - anchor;
      let token = op++;
      if (op + litLength + (2 + 1 + LAST_LITERALS) + ((litLength / 255) | 0) > olimit) return 0;
      if (litLength >= RUN_MASK) {
        dst[token] = RUN_MASK << 4;
        let len = litLength - RUN_MASK;
        for (; len >= 255; len -= 255) dst[op++] = 255;
        dst[op++] = len;
      } else {
        dst[token] = litLength << 4;
      }
      if (litLength < SHORT_COPY) {
        for (let k = 0; k < litLength; k++) dst[op + k] = src[anchor + k]!;
      } else {
        dst.set(src.subarray(anchor, ip), op);
      }
      op += litLength;

      // The match, and as long as the next position matches too, matches with no literals between.
      for (;;) {
        const offset = ip - match;
        dst[op] = offset & 0xff;
        dst[op + 1] = offset >>> 8;
        op += 2;

        let end = ip + MIN_MATCH;
        let from = match + MIN_MATCH;
        while (end < matchLimit - 3) {
          const diff = view.getUint32(end, true) ^ view.getUint32(from, true);
          if (diff !== 0) {
            end += (31 - Math.clz32(diff & -diff)) >>> 3;
            from = -1;
            break;
          }
          end += 4;
          from += 4;
        }
        if (from >= 0) {
          while (end < matchLimit && src[end] === src[from]) {
            end++;
            from++;
          }
        }
        let matchCode = end - ip - MIN_MATCH;
        ip = end;

        if (op + (1 + LAST_LITERALS) + (((matchCode + 240) / 255) | 0) > olimit) return 0;
        if (matchCode >= ML_MASK) {
          dst[token]! += ML_MASK;
          matchCode -= ML_MASK;
          for (; matchCode >= 255; matchCode -= 255) dst[op++] = 255;
          dst[op++] = matchCode;
        } else {
          dst[token]! += matchCode;
        }
        anchor = ip;
        if (ip >= mflimitPlusOne) break search;

        table[Math.imul(view.getUint32(ip - 2, true), PRIME) >>> shift] = ip - 2 + b;
        const h = Math.imul(view.getUint32(ip, true), PRIME) >>> shift;
        const ref = table[h]!;
        table[h] = ip + b;
        if (ref + MAX_OFFSET >= ip + b && view.getUint32(ref - b, true) === view.getUint32(ip, true)) {
          match = ref - b;
          token = op++;
          dst[token] = 0;
          continue;
        }
        break;
      }
      ip++;
      forwardH = Math.imul(view.getUint32(ip, true), PRIME) >>> shift;
    }
  }

  // The last literals: everything after the last match.
  const lastRun = n - anchor;
  if (op + lastRun + 1 + (((lastRun + 255 - RUN_MASK) / 255) | 0) > olimit) return 0;
  if (lastRun >= RUN_MASK) {
    dst[op++] = RUN_MASK << 4;
    let len = lastRun - RUN_MASK;
    for (; len >= 255; len -= 255) dst[op++] = 255;
    dst[op++] = len;
  } else {
    dst[op++] = lastRun << 4;
  }
  dst.set(src.subarray(anchor, n), op);
  return op + lastRun;
}
