/**
 * An LZ4 block compressor (no frame: the streams blosc's lz4 writes) that makes the choices
 * liblz4's LZ4_compress_fast makes on 64-bit machines, so its blocks are the same bytes: one hash
 * table of recent sequences, no chains, starting out pointing every slot at position 0; a search
 * that skips ahead faster the longer it fails (`acceleration` multiplies the skip); matches
 * extended backwards over equal bytes; the parsing restrictions every LZ4 decoder relies on (the
 * last match starts at least 12 bytes before the end, the last 5 bytes are literals); the same
 * conservative room checks, so a block that does not fit is refused where liblz4 refuses it.
 * Where the engine runs it, the same steps in WebAssembly (lz4-wasm.ts) do the work.
 */
import { compressLz4BlockWasm } from "./lz4-wasm.js";

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
/** Small inputs hash 4 bytes: the top bits of their product with this prime… */
const PRIME4 = 2654435761 | 0;
/** …larger ones 5 bytes, as liblz4 on 64-bit does: the top bits of ((5 bytes << 24) × 889523592379) mod 2^64, here in 32-bit halves. */
const PRIME5_LOW = 889523592379 % 2 ** 32;
const PRIME5_HIGH = Math.floor(889523592379 / 2 ** 32);
/** PRIME5_LOW split at bit 8, so that the carry into the high half stays in 32-bit integers. */
const PRIME5_LOW_HIGH_BITS = PRIME5_LOW >>> 8;
const PRIME5_LOW_LOW_BITS = PRIME5_LOW & 0xff;
const RUN_MASK = 15;
const ML_MASK = 15;
/** Literal runs shorter than this are copied byte by byte: cheaper than set() and subarray(). */
const SHORT_COPY = 32;

/**
 * The hash table, shared by every call on this thread. Entries are positions plus `base`, which
 * moves past every earlier call's positions: an entry below `base` is left from an earlier call
 * and reads as position 0, as in liblz4's freshly zeroed table, so the table never needs clearing.
 */
const table = new Int32Array(1 << HASH_LOG_SMALL);
let base = 1;

/**
 * Compress `src` into `dst` as one LZ4 block. Returns the compressed length, or 0 when it would
 * not fit in `dst` (whose whole length may be used). `acceleration` ≥ 1 trades ratio for speed as
 * in LZ4_compress_fast (blosc passes 10 − clevel).
 */
export function compressLz4Block(src: Uint8Array, dst: Uint8Array, acceleration: number): number {
  const n = src.length;
  if (n > 0x7e000000) throw new Error(`lz4: ${n} bytes is more than an LZ4 block holds`);
  // As liblz4: below 1 (and NaN, which would never advance) means 1; at most 65537.
  const accel = acceleration >= 1 ? Math.min(65537, Math.floor(acceleration)) : 1;
  const inWasm = compressLz4BlockWasm(src, dst, accel);
  if (inWasm !== null) return inWasm;
  if (base > 0x7fffffff - n) {
    table.fill(0);
    base = 1;
  }
  const b = base;
  base += n + 1;
  const wide = n >= SMALL_INPUT;
  const shift = 32 - (wide ? HASH_LOG : HASH_LOG_SMALL);
  const olimit = dst.length;
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const mflimitPlusOne = n - MF_LIMIT + 1;
  const matchLimit = n - LAST_LITERALS;

  let anchor = 0;
  let op = 0;
  let ip = 0;

  if (n >= MF_LIMIT + 1) {
    table[hashAt(view, 0, wide, shift)] = b;
    ip = 1;
    let forwardH = hashAt(view, 1, wide, shift);
    search: for (;;) {
      // Find a match: probe the table at ip, moving on by a step that grows with failures.
      let forwardIp = ip;
      let step = 1;
      let searchMatchNb = accel << SKIP_TRIGGER;
      let match: number;
      for (;;) {
        const h = forwardH;
        const current = forwardIp;
        const stored = table[h]! - b;
        const candidate = stored > 0 ? stored : 0;
        ip = forwardIp;
        forwardIp += step;
        step = searchMatchNb++ >> SKIP_TRIGGER;
        if (forwardIp > mflimitPlusOne) break search;
        forwardH = hashAt(view, forwardIp, wide, shift);
        table[h] = current + b;
        if (candidate + MAX_OFFSET < current) continue;
        if (view.getUint32(candidate, true) === view.getUint32(ip, true)) {
          match = candidate;
          break;
        }
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

        table[hashAt(view, ip - 2, wide, shift)] = ip - 2 + b;
        const h = hashAt(view, ip, wide, shift);
        const stored = table[h]! - b;
        const candidate = stored > 0 ? stored : 0;
        table[h] = ip + b;
        if (candidate + MAX_OFFSET >= ip && view.getUint32(candidate, true) === view.getUint32(ip, true)) {
          match = candidate;
          token = op++;
          dst[token] = 0;
          continue;
        }
        break;
      }
      ip++;
      forwardH = hashAt(view, ip, wide, shift);
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

/** The table slot for the sequence at `p`: 4 bytes hashed, or 5 when `wide` (see PRIME5_LOW). */
function hashAt(view: DataView, p: number, wide: boolean, shift: number): number {
  const sequence = view.getUint32(p, true);
  if (!wide) return Math.imul(sequence, PRIME4) >>> shift;
  const first = sequence & 0xff;
  const high = (sequence >>> 8) | (view.getUint8(p + 4) << 24);
  // The high 32 bits of (first << 24) × PRIME5_LOW.
  const carry = first * PRIME5_LOW_HIGH_BITS + ((first * PRIME5_LOW_LOW_BITS) >>> 8);
  return (Math.imul(high, PRIME5_LOW) + Math.imul(first << 24, PRIME5_HIGH) + carry) >>> shift;
}
