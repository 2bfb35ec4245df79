/**
 * blosc's byte shuffle of one block and its inverse: the shuffled block holds byte 0 of every
 * element, then byte 1 of every element, and so on; bytes after the last whole element stay in
 * place. Types of 4 bytes go through WebAssembly SIMD (simd-shuffle.ts) when the engine has it;
 * types of 2, 4 and 8 bytes otherwise a 32-bit word at a time when the buffers allow.
 */

import { SIMD_ELEMENTS, shuffle4Simd, unshuffle4Simd } from "./simd-shuffle.js";

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Fewer 4-byte elements than this go by the word loops: copying into the SIMD module's memory would cost more than it saves. */
const SIMD_MIN_ELEMENTS = 256;

/**
 * Unshuffle `src` (one shuffled block) into `dst` (same length) for elements of `typesize` bytes;
 * with `first`/`end`, only elements [first, end) (the rest of `dst` is left as it is, and only
 * those elements' bytes of each stream are read). The bytes after the last whole element go
 * along when `end` is the element count.
 */
export function unshuffle(src: Uint8Array, dst: Uint8Array, typesize: number, first = 0, end?: number): void {
  if (src.length !== dst.length) throw new Error(`unshuffle: ${src.length} bytes in, ${dst.length} out`);
  const count = Math.floor(src.length / typesize);
  const stop = end ?? count;
  if (first < 0 || first > stop || stop > count) throw new Error(`unshuffle: elements ${first}–${stop} of ${count}`);
  const whole = count * typesize;
  if (typesize === 4 && stop - first >= SIMD_MIN_ELEMENTS) {
    const n = Math.floor((stop - first) / SIMD_ELEMENTS) * SIMD_ELEMENTS;
    if (unshuffle4Simd(src, dst, count, first, n)) {
      unshuffleBytes(src, dst, typesize, count, first + n, stop);
      if (stop === count && whole < src.length) dst.set(src.subarray(whole), whole);
      return;
    }
  }
  const aligned = LITTLE_ENDIAN && dst.byteOffset % typesize === 0;
  // Whole words of each stream: every stream starts 4-byte aligned and the range is in fours.
  const words = count % 4 === 0 && src.byteOffset % 4 === 0 && first % 4 === 0 && stop % 4 === 0;
  if (typesize === 4 && aligned) unshuffle4(src, new Uint32Array(dst.buffer, dst.byteOffset, count), count, first, stop, words);
  else if (typesize === 2 && aligned) unshuffle2(src, new Uint16Array(dst.buffer, dst.byteOffset, count), count, first, stop, words && dst.byteOffset % 4 === 0);
  else if (typesize === 8 && aligned) unshuffle8(src, new Uint32Array(dst.buffer, dst.byteOffset, count * 2), count, first, stop, words);
  else unshuffleBytes(src, dst, typesize, count, first, stop);
  if (stop === count && whole < src.length) dst.set(src.subarray(whole), whole);
}

function unshuffleBytes(src: Uint8Array, dst: Uint8Array, typesize: number, count: number, first: number, stop: number): void {
  for (let j = 0; j < typesize; j++) {
    const stream = j * count;
    for (let i = first, o = first * typesize + j; i < stop; i++, o += typesize) dst[o] = src[stream + i]!;
  }
}

function unshuffle2(src: Uint8Array, dst: Uint16Array, count: number, first: number, stop: number, words: boolean): void {
  if (words) {
    transpose2(new Uint32Array(src.buffer, src.byteOffset, count / 2), new Uint32Array(dst.buffer, dst.byteOffset, count / 2), count / 4, first / 4, stop / 4);
    return;
  }
  for (let i = first; i < stop; i++) dst[i] = src[i]! | (src[count + i]! << 8);
}

/** Two streams a word at a time: a word from each holds the low and high bytes of four elements. */
function transpose2(src: Uint32Array, dst: Uint32Array, words: number, from: number, to: number): void {
  for (let w = from, o = 2 * from; w < to; w++, o += 2) {
    const a = src[w]!;
    const b = src[words + w]!;
    dst[o] = (a & 0xff) | ((b & 0xff) << 8) | ((a << 8) & 0xff0000) | ((b << 16) & 0xff000000);
    dst[o + 1] = ((a >>> 16) & 0xff) | ((b >>> 8) & 0xff00) | ((a >>> 8) & 0xff0000) | (b & 0xff000000);
  }
}

function unshuffle4(src: Uint8Array, dst: Uint32Array, count: number, first: number, stop: number, words: boolean): void {
  if (words) {
    transpose4(new Uint32Array(src.buffer, src.byteOffset, count), dst, count / 4, 0, 1, 0, first / 4, stop / 4);
    return;
  }
  const s1 = count;
  const s2 = 2 * count;
  const s3 = 3 * count;
  for (let i = first; i < stop; i++) dst[i] = src[i]! | (src[s1 + i]! << 8) | (src[s2 + i]! << 16) | (src[s3 + i]! << 24);
}

/**
 * Unshuffle four streams a word at a time: word w of a stream holds that byte of elements
 * 4w..4w+3, so one word from each of streams first..first+3 transposes (a 4×4 byte matrix) into
 * four output words, written `stride` words apart from word `start` (stride 2 for the low and
 * high halves of 8-byte elements). Words [from, to) of the streams.
 */
function transpose4(src: Uint32Array, dst: Uint32Array, words: number, first: number, stride: number, start: number, from: number, to: number): void {
  const s0 = first * words;
  const s1 = s0 + words;
  const s2 = s1 + words;
  const s3 = s2 + words;
  const step = 4 * stride;
  for (let w = from, o = start + from * step; w < to; w++, o += step) {
    const a = src[s0 + w]!;
    const b = src[s1 + w]!;
    const c = src[s2 + w]!;
    const d = src[s3 + w]!;
    dst[o] = (a & 0xff) | ((b & 0xff) << 8) | ((c & 0xff) << 16) | (d << 24);
    dst[o + stride] = ((a >>> 8) & 0xff) | (b & 0xff00) | ((c << 8) & 0xff0000) | ((d << 16) & 0xff000000);
    dst[o + 2 * stride] = ((a >>> 16) & 0xff) | ((b >>> 8) & 0xff00) | (c & 0xff0000) | ((d << 8) & 0xff000000);
    dst[o + 3 * stride] = (a >>> 24) | ((b >>> 16) & 0xff00) | ((c >>> 8) & 0xff0000) | (d & 0xff000000);
  }
}

function unshuffle8(src: Uint8Array, dst: Uint32Array, count: number, first: number, stop: number, words: boolean): void {
  if (words) {
    const all = new Uint32Array(src.buffer, src.byteOffset, 2 * count);
    transpose4(all, dst, count / 4, 0, 2, 0, first / 4, stop / 4);
    transpose4(all, dst, count / 4, 4, 2, 1, first / 4, stop / 4);
    return;
  }
  const s1 = count;
  const s2 = 2 * count;
  const s3 = 3 * count;
  const s4 = 4 * count;
  const s5 = 5 * count;
  const s6 = 6 * count;
  const s7 = 7 * count;
  for (let i = first; i < stop; i++) {
    dst[2 * i] = src[i]! | (src[s1 + i]! << 8) | (src[s2 + i]! << 16) | (src[s3 + i]! << 24);
    dst[2 * i + 1] = src[s4 + i]! | (src[s5 + i]! << 8) | (src[s6 + i]! << 16) | (src[s7 + i]! << 24);
  }
}

/** Shuffle `src` (one block) into `dst` (same length) for elements of `typesize` bytes. */
export function shuffle(src: Uint8Array, dst: Uint8Array, typesize: number): void {
  if (src.length !== dst.length) throw new Error(`shuffle: ${src.length} bytes in, ${dst.length} out`);
  const count = Math.floor(src.length / typesize);
  const whole = count * typesize;
  const words = LITTLE_ENDIAN && count % 4 === 0 && src.byteOffset % 4 === 0 && dst.byteOffset % 4 === 0;
  const simd = typesize === 4 && count >= SIMD_MIN_ELEMENTS ? Math.floor(count / SIMD_ELEMENTS) * SIMD_ELEMENTS : 0;
  if (simd > 0 && shuffle4Simd(src, dst, count, simd)) {
    shuffleBytes(src, dst, typesize, count, simd);
  } else if (words && typesize === 4) {
    const from = new Uint32Array(src.buffer, src.byteOffset, count);
    gather4(from, new Uint32Array(dst.buffer, dst.byteOffset, count), count / 4, 0, 1, 0);
  } else if (words && typesize === 8) {
    const from = new Uint32Array(src.buffer, src.byteOffset, 2 * count);
    const to = new Uint32Array(dst.buffer, dst.byteOffset, 2 * count);
    gather4(from, to, count / 4, 0, 2, 0);
    gather4(from, to, count / 4, 4, 2, 1);
  } else if (words && typesize === 2) {
    shuffle2(new Uint32Array(src.buffer, src.byteOffset, count / 2), new Uint32Array(dst.buffer, dst.byteOffset, count / 2), count / 4);
  } else {
    shuffleBytes(src, dst, typesize, count, 0);
  }
  if (whole < src.length) dst.set(src.subarray(whole), whole);
}

/** Elements [first, count) byte by byte. */
function shuffleBytes(src: Uint8Array, dst: Uint8Array, typesize: number, count: number, first: number): void {
  for (let j = 0; j < typesize; j++) {
    const stream = j * count;
    for (let i = first, o = first * typesize + j; i < count; i++, o += typesize) dst[stream + i] = src[o]!;
  }
}

/** Two elements per input word; four elements' low bytes make one word of stream 0, their high bytes one of stream 1. */
function shuffle2(src: Uint32Array, dst: Uint32Array, words: number): void {
  for (let w = 0, i = 0; w < words; w++, i += 2) {
    const a = src[i]!;
    const b = src[i + 1]!;
    dst[w] = (a & 0xff) | ((a >>> 8) & 0xff00) | ((b & 0xff) << 16) | ((b << 8) & 0xff000000);
    dst[words + w] = ((a >>> 8) & 0xff) | ((a >>> 16) & 0xff00) | ((b << 8) & 0xff0000) | (b & 0xff000000);
  }
}

/**
 * The inverse of transpose4: four input words `stride` apart from word `start` (bytes 0–3 of four
 * consecutive elements, or 4–7 with stride 2 and start 1) transpose into word w of streams
 * first..first+3.
 */
function gather4(src: Uint32Array, dst: Uint32Array, words: number, first: number, stride: number, start: number): void {
  const s0 = first * words;
  const s1 = s0 + words;
  const s2 = s1 + words;
  const s3 = s2 + words;
  const step = 4 * stride;
  for (let w = 0, i = start; w < words; w++, i += step) {
    const a = src[i]!;
    const b = src[i + stride]!;
    const c = src[i + 2 * stride]!;
    const d = src[i + 3 * stride]!;
    dst[s0 + w] = (a & 0xff) | ((b & 0xff) << 8) | ((c & 0xff) << 16) | (d << 24);
    dst[s1 + w] = ((a >>> 8) & 0xff) | (b & 0xff00) | ((c << 8) & 0xff0000) | ((d << 16) & 0xff000000);
    dst[s2 + w] = ((a >>> 16) & 0xff) | ((b >>> 8) & 0xff00) | (c & 0xff0000) | ((d << 8) & 0xff000000);
    dst[s3 + w] = (a >>> 24) | ((b >>> 16) & 0xff00) | ((c >>> 8) & 0xff0000) | (d & 0xff000000);
  }
}
