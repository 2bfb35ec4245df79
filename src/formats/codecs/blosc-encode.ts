/**
 * An encoder for blosc1 frames compressed with lz4, with or without byte shuffle, made as c-blosc
 * 1.x (1.21, what numcodecs and python3-blosc link) makes them with one thread: the same block
 * size, the same split of each block into one stream per byte of the type, the same fallbacks (a
 * stream that does not shrink stored as it is, a frame that would not fit in its input's size plus
 * a header stored memcpyed) and, lz4-encode.ts parsing as liblz4 does, the same bytes. The frame
 * layout is described in blosc-decode.ts.
 */

import { BLOSC_HEADER_BYTES as HEADER_BYTES } from "./blosc-decode.js";
import { compressLz4Block } from "./lz4-encode.js";
import { shuffle } from "./shuffle.js";
import { outputRegion } from "./simd-shuffle.js";

export interface BloscLz4Settings {
  /** 0 (stored memcpyed) to 9; lz4 runs at acceleration 10 − clevel, and higher levels get larger blocks. */
  readonly clevel: number;
  /** Byte-shuffle each block first (blosc's SHUFFLE; NOSHUFFLE when false). */
  readonly shuffle: boolean;
  /** Bytes per element; above 255 the data is taken as bytes (typesize 1), as c-blosc does. */
  readonly typesize: number;
  /** A forced block size in bytes, or 0 for c-blosc's choice from clevel, typesize and size. */
  readonly blocksize: number;
}

const FORMAT_VERSION = 2;
const LZ4_FORMAT = 1;
const LZ4_FORMAT_VERSION = 1;
const FLAG_SHUFFLE = 0x01;
const FLAG_MEMCPYED = 0x02;
const FLAG_DONT_SPLIT = 0x10;

const MAX_TYPESIZE = 255;
/** Inputs smaller than this are stored memcpyed; also the smallest forced block size. */
const MIN_BUFFERSIZE = 128;
/** Blocks split into typesize streams only for types up to this size. */
const MAX_SPLITS = 16;
/** c-blosc's unit for automatic block sizes (its L1 cache guess). */
const L1 = 32 * 1024;
const MAX_BUFFERSIZE = 0x7fffffff - HEADER_BYTES;
const MAX_BLOCKSIZE = Math.floor((0x7fffffff - MAX_TYPESIZE * 4) / 3);
/** Automatic block size, as a multiple of L1, by clevel (compute_blocksize, for a fast codec like lz4). */
const L1_MULTIPLE = [1 / 4, 1 / 2, 1, 2, 4, 4, 8, 8, 8, 8];

/** Where blocks are shuffled without SIMD; grown to the largest block seen and kept for the next frame. */
let scratch = new Uint8Array(0);

function shuffleScratch(bytes: number): Uint8Array {
  if (scratch.length < bytes) scratch = new Uint8Array(bytes);
  return scratch;
}
/** Where frames are written before being copied out at their length; grown as needed and kept (as the wasm heap is). */
let output = new Uint8Array(0);

/**
 * Compress `src` into one blosc1 lz4 frame. Throws on settings c-blosc would refuse. With
 * `reuse`, the frame is a view of this thread's output buffer, valid until the next call: for a
 * caller that writes it at once (a fresh copy per chunk cost page faults: 1.3 s of a thread's
 * 4.6 s in one 1 GiB rechunk).
 */
export function encodeBloscLz4(src: Uint8Array, settings: BloscLz4Settings, reuse = false): Uint8Array {
  const { clevel, blocksize: forced } = settings;
  const nbytes = src.length;
  if (!Number.isInteger(clevel) || clevel < 0 || clevel > 9) throw new Error(`blosc: clevel must be an integer from 0 to 9, got ${clevel}`);
  if (!Number.isInteger(settings.typesize) || settings.typesize < 1) throw new Error(`blosc: typesize must be a positive integer, got ${settings.typesize}`);
  if (!Number.isInteger(forced) || forced < 0) throw new Error(`blosc: blocksize must be 0 or a positive integer, got ${forced}`);
  if (nbytes > MAX_BUFFERSIZE) throw new Error(`blosc: ${nbytes} bytes is more than a blosc frame holds (${MAX_BUFFERSIZE})`);
  const typesize = settings.typesize > MAX_TYPESIZE ? 1 : settings.typesize;
  const blocksize = computeBlocksize(clevel, typesize, nbytes, forced);
  const split = splitsBlocks(typesize, blocksize);
  const flags = (settings.shuffle ? FLAG_SHUFFLE : 0) | (split ? 0 : FLAG_DONT_SPLIT) | (LZ4_FORMAT << 5);

  // c-blosc gives the frame nbytes + 16 bytes of room (what numcodecs allocates): a frame that
  // would need more is stored memcpyed instead.
  if (output.length < nbytes + HEADER_BYTES) output = new Uint8Array(nbytes + HEADER_BYTES);
  const frame = output.subarray(0, nbytes + HEADER_BYTES);
  const header = new DataView(frame.buffer, 0, frame.length);
  header.setUint8(0, FORMAT_VERSION);
  header.setUint8(1, LZ4_FORMAT_VERSION);
  header.setUint8(2, flags);
  header.setUint8(3, typesize);
  header.setUint32(4, nbytes, true);
  header.setUint32(8, blocksize, true);
  const compressed =
    clevel === 0 || nbytes < MIN_BUFFERSIZE ? 0 : compressBlocks(src, frame, header, { typesize, blocksize, split, shuffle: settings.shuffle && typesize > 1, acceleration: 10 - clevel });
  if (compressed === 0) {
    header.setUint8(2, flags | FLAG_MEMCPYED);
    frame.set(src, HEADER_BYTES);
    header.setUint32(12, frame.length, true);
    return reuse ? frame : frame.slice();
  }
  header.setUint32(12, compressed, true);
  return reuse ? frame.subarray(0, compressed) : frame.slice(0, compressed);
}

/**
 * c-blosc's block size (compute_blocksize for lz4): a forced size kept within limits, else
 * L1-based by clevel for inputs of 32 KiB and more; blocks that will be split are scaled by the
 * typesize (to between 64 KiB and 1 MiB); never more than the input; a multiple of the typesize.
 */
function computeBlocksize(clevel: number, typesize: number, nbytes: number, forced: number): number {
  if (nbytes < typesize) return 1;
  let blocksize = nbytes;
  if (forced > 0) blocksize = Math.min(Math.max(forced, MIN_BUFFERSIZE), MAX_BLOCKSIZE);
  else if (nbytes >= L1) blocksize = L1 * L1_MULTIPLE[clevel]!;
  if (clevel > 0 && splitsBlocks(typesize, blocksize)) {
    blocksize = Math.min(Math.max(Math.min(blocksize, 1 << 18) * typesize, 1 << 16), 1 << 20);
  }
  blocksize = Math.min(blocksize, nbytes);
  if (blocksize > typesize) blocksize -= blocksize % typesize;
  return blocksize;
}

/** c-blosc's default split mode (FORWARD_COMPAT) for lz4: one stream per byte of small types in blocks of 128+ elements. */
function splitsBlocks(typesize: number, blocksize: number): boolean {
  return typesize <= MAX_SPLITS && Math.floor(blocksize / typesize) >= MIN_BUFFERSIZE;
}

interface BlockPlan {
  readonly typesize: number;
  readonly blocksize: number;
  readonly split: boolean;
  /** Byte-shuffle blocks (c-blosc skips it for typesize 1 even when the flag is set). */
  readonly shuffle: boolean;
  readonly acceleration: number;
}

/**
 * Write the block offsets and blocks after the header in `frame`; returns the frame's length, or 0
 * when it would not fit (then the frame is stored memcpyed, as c-blosc does).
 */
function compressBlocks(src: Uint8Array, frame: Uint8Array, view: DataView, plan: BlockPlan): number {
  const { typesize, blocksize, split, acceleration } = plan;
  const nbytes = src.length;
  const room = frame.length;
  const blocks = Math.ceil(nbytes / blocksize);
  // Shuffled into the SIMD module's output region when it has one: compressed from there, uncopied.
  const shuffled = plan.shuffle ? (outputRegion(blocksize) ?? shuffleScratch(blocksize)) : null;
  let at = HEADER_BYTES + 4 * blocks;
  for (let b = 0; b < blocks; b++) {
    view.setInt32(HEADER_BYTES + 4 * b, at, true);
    const start = b * blocksize;
    const size = Math.min(blocksize, nbytes - start);
    let block = src.subarray(start, start + size);
    if (shuffled !== null) {
      shuffle(block, shuffled.subarray(0, size), typesize);
      block = shuffled.subarray(0, size);
    }
    // The last block, when shorter than the others, is never split.
    const streams = split && size === blocksize ? typesize : 1;
    const streamBytes = size / streams;
    for (let s = 0; s < streams; s++) {
      at += 4;
      const limit = Math.min(streamBytes, room - at);
      if (limit <= 0) return 0;
      const stream = block.subarray(s * streamBytes, (s + 1) * streamBytes);
      let written = compressLz4Block(stream, frame.subarray(at, at + limit), acceleration);
      if (written === 0 || written === streamBytes) {
        // A stream lz4 cannot shrink is stored as it is; its size equal to its length says so.
        if (at + streamBytes > room) return 0;
        frame.set(stream, at);
        written = streamBytes;
      }
      view.setInt32(at - 4, written, true);
      at += written;
    }
  }
  return at;
}
