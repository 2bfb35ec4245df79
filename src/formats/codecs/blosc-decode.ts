/**
 * A decoder for blosc1 frames compressed with lz4 or lz4hc (with or without byte shuffle) and for
 * memcpyed frames, the frames most Zarr stores hold. Everything else (bitshuffle, blosclz, snappy,
 * zlib, zstd, other format versions) is left to the wasm build of c-blosc.
 *
 * Frame layout (c-blosc 1.x): a 16-byte header (version, compressor version, flags, typesize,
 * then little-endian uint32 nbytes, blocksize, cbytes), unless memcpyed an int32 start offset per
 * block, then each block as one or `typesize` streams, each an int32 size and that many bytes:
 * an LZ4 block, or the stream's bytes as they are when the size equals the stream's length.
 */

import { decodeLz4Block } from "./lz4-block.js";
import { unshuffle } from "./shuffle.js";
import { inputRegion } from "./simd-shuffle.js";

export const BLOSC_HEADER_BYTES = 16;
const HEADER_BYTES = BLOSC_HEADER_BYTES;
const FORMAT_VERSION = 2;
const LZ4_FORMAT = 1;
const LZ4_FORMAT_VERSION = 1;

const FLAG_SHUFFLE = 0x01;
const FLAG_MEMCPYED = 0x02;
const FLAG_BITSHUFFLE = 0x04;
/** Reserved; c-blosc refuses frames that set it. */
const FLAG_FUTURE = 0x08;
const FLAG_DONT_SPLIT = 0x10;

/** c-blosc splits a block into typesize streams only up to this typesize (MAX_SPLITS)… */
const MAX_SPLITS = 16;
/** …and only when the block holds at least this many elements (MIN_BUFFERSIZE). */
const MIN_SPLIT_ELEMENTS = 128;
/** No LZ4 block decodes to more than 255 bytes per input byte (a long match costs a 0xff byte per 255). */
const LZ4_MAX_RATIO = 255;
const MAX_NBYTES = 0x7fffffff - HEADER_BYTES;

export interface BloscHeader {
  readonly version: number;
  readonly compressorVersion: number;
  readonly flags: number;
  readonly typesize: number;
  /** Bytes the frame decodes to. */
  readonly nbytes: number;
  readonly blocksize: number;
  /** Bytes of the whole frame, header included. */
  readonly cbytes: number;
}

/** The header of a frame at least 16 bytes long. */
export function readBloscHeader(frame: Uint8Array): BloscHeader {
  if (frame.length < HEADER_BYTES) throw new Error(`blosc: ${frame.length} bytes is shorter than a blosc header`);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  return {
    version: frame[0]!,
    compressorVersion: frame[1]!,
    flags: frame[2]!,
    typesize: frame[3]!,
    nbytes: view.getUint32(4, true),
    blocksize: view.getUint32(8, true),
    cbytes: view.getUint32(12, true),
  };
}

/** True when decodeBloscFrame decodes this frame itself rather than leaving it to c-blosc. */
export function bloscDecodesNatively(frame: Uint8Array): boolean {
  if (frame.length < HEADER_BYTES) return false;
  const { version, compressorVersion, flags } = readBloscHeader(frame);
  if (version !== FORMAT_VERSION || flags & FLAG_FUTURE) return false;
  if (flags & FLAG_MEMCPYED) return true;
  return flags >>> 5 === LZ4_FORMAT && compressorVersion === LZ4_FORMAT_VERSION && !(flags & FLAG_BITSHUFFLE);
}

export function isMemcpyed(header: BloscHeader): boolean {
  return (header.flags & FLAG_MEMCPYED) !== 0;
}

/** Where a frame's data lies: right after the header (memcpyed), or in `blocks` blocks after their offsets. */
export type FrameLayout = { readonly memcpyed: true } | { readonly memcpyed: false; readonly blocks: number; readonly dataStart: number };

/**
 * The layout of a frame bloscDecodesNatively() accepts, from its header alone; throws when the
 * header's sizes cannot belong to a real frame (shared by whole-frame and partial decoding).
 */
export function frameLayout(header: BloscHeader): FrameLayout {
  const { nbytes, blocksize, cbytes } = header;
  if (blocksize === 0 || blocksize > nbytes) throw new Error(`blosc: block size ${blocksize} for ${nbytes} bytes`);
  if (isMemcpyed(header)) {
    if (cbytes !== nbytes + HEADER_BYTES) throw new Error(`blosc: a memcpyed frame of ${cbytes} bytes cannot hold ${nbytes} bytes`);
    return { memcpyed: true };
  }
  if (nbytes > LZ4_MAX_RATIO * (cbytes - HEADER_BYTES)) {
    throw new Error(`blosc: ${cbytes - HEADER_BYTES} compressed bytes cannot decode to the ${nbytes} bytes the header says`);
  }
  const blocks = Math.ceil(nbytes / blocksize);
  const dataStart = HEADER_BYTES + 4 * blocks;
  if (dataStart > cbytes) throw new Error(`blosc: ${blocks} block offsets do not fit in a ${cbytes}-byte frame`);
  return { memcpyed: false, blocks, dataStart };
}

/**
 * Decode a frame for which bloscDecodesNatively() is true and whose length its header states
 * (bloscFrameProblem). Throws on anything malformed; never returns partly decoded bytes.
 */
export function decodeBloscFrame(frame: Uint8Array): Uint8Array {
  if (!bloscDecodesNatively(frame)) throw new Error("blosc: not an lz4 or memcpyed blosc1 frame");
  const header = readBloscHeader(frame);
  const { typesize, nbytes, blocksize, cbytes } = header;
  if (cbytes !== frame.length) throw new Error(`blosc: the frame header says ${cbytes} bytes, the chunk holds ${frame.length}`);
  if (nbytes === 0) return new Uint8Array(0);
  if (nbytes > MAX_NBYTES) throw new Error(`blosc: the header's ${nbytes} decoded bytes exceed blosc's limit`);

  if (typesize === 0) throw new Error("blosc: typesize 0");
  const layout = frameLayout(header);
  // A copy with a buffer of its own: zarrita's vlen-utf8 reads `bytes.buffer` from offset 0, and
  // a Buffer's slice() would be a view.
  if (layout.memcpyed) return new Uint8Array(frame.subarray(HEADER_BYTES));
  const { blocks, dataStart } = layout;

  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const out = new Uint8Array(nbytes);
  const scratch = isShuffled(header) ? shuffledScratch(blocksize) : null;
  const extents: Array<[number, number]> = [];
  for (let b = 0; b < blocks; b++) {
    const at = view.getInt32(HEADER_BYTES + 4 * b, true);
    if (at < dataStart || at > cbytes) throw new Error(`blosc: block ${b} starts at byte ${at}, outside the frame's data (${dataStart}–${cbytes})`);
    const blockStart = b * blocksize;
    const end = decodeBlock(header, b, frame, 0, at, out.subarray(blockStart, Math.min(nbytes, blockStart + blocksize)), scratch);
    extents.push([at, end]);
  }
  checkBlocksTile(extents, dataStart, cbytes);
  return out;
}

/** Bytes [lo, hi) of a block, the only ones a partial decode must produce. */
export interface WantedBytes {
  readonly lo: number;
  readonly hi: number;
}

/**
 * Decode blocks `first`..`last` of a compressed (not memcpyed) frame whose header is `header`,
 * whose block offsets are `starts` and where each block's data must end at `ends[b]` (where the
 * next stored block starts), given only `bytes`: the frame's bytes from offset `base` on, covering
 * those blocks. Returns their decoded bytes, from block `first`'s first byte (in `into` when given).
 * With `want` (offsets in the returned bytes), only those bytes are sure to be decoded: an LZ4
 * stream is decoded up to the last byte needed from it (it cannot start in the middle), a stream
 * holding none of them not at all, and only the wanted elements are unshuffled.
 */
export function decodeBloscBlocks(
  header: BloscHeader,
  starts: readonly number[],
  ends: readonly number[],
  bytes: Uint8Array,
  base: number,
  first: number,
  last: number,
  into?: Uint8Array,
  want?: WantedBytes,
): Uint8Array {
  const { nbytes, blocksize } = header;
  const from = first * blocksize;
  const length = Math.min(nbytes, (last + 1) * blocksize) - from;
  const out = into === undefined ? new Uint8Array(length) : into.subarray(0, length);
  const scratch = isShuffled(header) ? shuffledScratch(blocksize) : null;
  for (let b = first; b <= last; b++) {
    const blockStart = b * blocksize - from;
    const target = out.subarray(blockStart, Math.min(out.length, blockStart + blocksize));
    const inBlock = want && { lo: Math.max(0, want.lo - blockStart), hi: Math.min(target.length, want.hi - blockStart) };
    const end = decodeBlock(header, b, bytes, base, starts[b]!, target, scratch, inBlock);
    if (end !== ends[b]) throw new Error(`blosc: block ${b} ends at byte ${end}, where the next stored block starts at ${ends[b]}`);
  }
  return out;
}

let scratchBuffer = new Uint8Array(0);

/**
 * Where a shuffled block is decoded before it is unshuffled: the SIMD module's input region, so
 * the unshuffle reads it in place (simd-shuffle.ts), or else one buffer per thread, reused (its
 * use never outlives a synchronous decode). A fresh one per call cost more than the decoding
 * when many small parts are read: 6 000 parts of 512 KiB blocks zero-filled 3 GB.
 */
function shuffledScratch(bytes: number): Uint8Array {
  const simd = inputRegion(bytes);
  if (simd !== null) return simd;
  if (scratchBuffer.length < bytes) scratchBuffer = new Uint8Array(bytes);
  return scratchBuffer;
}

function isShuffled(header: BloscHeader): boolean {
  return (header.flags & FLAG_SHUFFLE) !== 0 && header.typesize > 1;
}

/**
 * Decode block `b` (its streams start at frame offset `at`) into `target`, which is the block's
 * size: all of it, or only the bytes `want` asks for (see decodeBloscBlocks). `bytes` holds the
 * frame from offset `base` on; nothing is read outside it. Returns the frame offset where the
 * block's data ends (every stream's size is read, decoded or not).
 */
function decodeBlock(header: BloscHeader, b: number, bytes: Uint8Array, base: number, at: number, target: Uint8Array, scratch: Uint8Array | null, want?: WantedBytes): number {
  const { flags, typesize, blocksize } = header;
  const end = base + bytes.length;
  const size = target.length;
  const streams = splitsInto(flags, typesize, size, size < blocksize);
  if (size % streams !== 0) throw new Error(`blosc: block ${b} of ${size} bytes cannot split into ${streams} streams`);
  if (at < base || at > end) throw new Error(`blosc: block ${b} starts at byte ${at}, outside the bytes read (${base}–${end})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoded = scratch ? scratch.subarray(0, size) : target;
  const streamBytes = size / streams;
  const { elements, needed } = neededBytes(size, scratch ? typesize : 1, want);
  let position = at;
  for (let s = 0; s < streams; s++) {
    if (end - position < 4) throw new Error(`blosc: block ${b} stream ${s} starts past the frame end`);
    const compressed = view.getInt32(position - base, true);
    position += 4;
    if (compressed < 0 || compressed > end - position) throw new Error(`blosc: block ${b} stream ${s} claims ${compressed} bytes, past the frame end`);
    const prefix = neededPrefix(needed, s * streamBytes, (s + 1) * streamBytes);
    if (prefix > 0) {
      const source = bytes.subarray(position - base, position - base + compressed);
      const stream = decoded.subarray(s * streamBytes, s * streamBytes + prefix);
      if (compressed === streamBytes) {
        stream.set(source.subarray(0, prefix));
      } else {
        try {
          decodeLz4Block(source, stream, prefix < streamBytes);
        } catch (error) {
          throw new Error(`blosc: block ${b} stream ${s}: ${(error as Error).message}`);
        }
      }
    }
    position += compressed;
  }
  if (scratch) unshuffle(decoded, target, typesize, elements.first, elements.stop);
  return position;
}

/**
 * Which bytes of a block's decoded streams a decode needs: for a byte-shuffled block (`typesize`
 * > 1), the wanted elements (widened to fours, for unshuffle's word-at-a-time path) in each of
 * the typesize byte planes, plus the bytes after the last whole element when the range reaches
 * them; otherwise the wanted bytes themselves.
 */
function neededBytes(size: number, typesize: number, want: WantedBytes | undefined): { elements: { first: number; stop: number }; needed: WantedBytes[] } {
  const count = Math.floor(size / typesize);
  if (want === undefined || want.lo >= want.hi) {
    return { elements: { first: 0, stop: count }, needed: want === undefined ? [{ lo: 0, hi: size }] : [] };
  }
  if (typesize === 1) return { elements: { first: 0, stop: count }, needed: [want] };
  const first = Math.floor(Math.floor(want.lo / typesize) / 4) * 4;
  const wantedStop = Math.ceil(want.hi / typesize);
  const stop = wantedStop >= count || want.hi > count * typesize ? count : Math.min(count, Math.ceil(wantedStop / 4) * 4);
  const needed: WantedBytes[] = [];
  for (let plane = 0; plane < typesize; plane++) needed.push({ lo: plane * count + first, hi: plane * count + stop });
  if (stop === count && count * typesize < size) needed.push({ lo: count * typesize, hi: size });
  return { elements: { first, stop }, needed };
}

/** How many bytes from the start of the stream [start, stop) of the decoded block cover every needed byte in it (0: none). */
function neededPrefix(needed: readonly WantedBytes[], start: number, stop: number): number {
  let prefix = 0;
  for (const range of needed) if (range.lo < stop && range.hi > start) prefix = Math.max(prefix, Math.min(stop, range.hi) - start);
  return prefix;
}

/**
 * c-blosc writes blocks back to back (in any order when compressing with threads), so their
 * extents cover the frame's data exactly; anything else means corrupt block offsets, which
 * could otherwise decode one block's bytes twice without an error.
 */
function checkBlocksTile(extents: Array<[number, number]>, dataStart: number, cbytes: number): void {
  extents.sort((a, b) => a[0] - b[0]);
  let end = dataStart;
  for (const [start, stop] of extents) {
    if (start !== end) throw new Error(`blosc: the blocks do not cover the frame's data back to back (a block starts at byte ${start}, expected ${end})`);
    end = stop;
  }
  if (end !== cbytes) throw new Error(`blosc: the blocks end at byte ${end}, the frame at ${cbytes}`);
}

/**
 * How many streams c-blosc 1.x cut this block into (blosc_d). The typesize and element-count
 * conditions also decide for frames written before the dont-split flag existed; the last block,
 * when shorter than the others, is never split.
 */
function splitsInto(flags: number, typesize: number, size: number, leftover: boolean): number {
  const split = !(flags & FLAG_DONT_SPLIT) && typesize <= MAX_SPLITS && Math.floor(size / typesize) >= MIN_SPLIT_ELEMENTS && !leftover;
  return split ? typesize : 1;
}
