/**
 * Part of a blosc1 frame, decoded from a file without reading or decoding the rest: the header
 * and block offsets, then only the blocks that hold the wanted byte range. Frames the TypeScript
 * decoder handles qualify (lz4/lz4hc, memcpyed; see blosc-decode.ts); any other frame is left to
 * the caller to decode whole (c-blosc in wasm).
 */
import { ChunkwiseError } from "../../errors.js";
import type { PartMemory } from "../block-copy.js";
import { type ChunkFile, readExactly } from "../chunk-file.js";
import { BLOSC_HEADER_BYTES as HEADER_BYTES, type BloscHeader, bloscDecodesNatively, decodeBloscBlocks, frameLayout, isMemcpyed, readBloscHeader } from "./blosc-decode.js";

export interface BloscLayout {
  readonly header: BloscHeader;
  /** Size of the file the frame fills. */
  readonly fileBytes: number;
  /** Whether blosc-decode.ts decodes it (else it goes whole through c-blosc). */
  readonly native: boolean;
  /** Bytes decodable alone: a block (the whole frame when it is not native). */
  readonly granuleBytes: number;
}

function corrupt(file: string, message: string): ChunkwiseError {
  return new ChunkwiseError("IOError", `cannot decode chunk data (${message}): truncated or corrupt`, { path: file });
}

/** The frame's header, checked against the file's size. */
export function readBloscLayout(handle: ChunkFile, file: string): BloscLayout {
  const size = handle.size;
  if (size < HEADER_BYTES) throw corrupt(file, `blosc: ${size} bytes is shorter than a blosc header`);
  const head = readExactly(handle, file, 0, HEADER_BYTES);
  const header = readBloscHeader(head);
  if (header.cbytes !== size) throw corrupt(file, `blosc: the frame header says ${header.cbytes} bytes, the chunk holds ${size}`);
  const native = bloscDecodesNatively(head);
  // A memcpyed frame is the raw bytes: any byte can be read alone.
  const granuleBytes = !native ? header.nbytes : isMemcpyed(header) ? 1 : header.blocksize > 0 ? Math.min(header.blocksize, header.nbytes) : header.nbytes;
  return { header, fileBytes: size, native, granuleBytes };
}

/**
 * Decoded bytes [lo, hi) of the frame filling the open file, whose decoded size must be
 * `chunkBytes`. Reads the header, the block offsets and the compressed blocks that hold the
 * range (into `memory`'s scratch); decodes those blocks only, and in them only up to the range's
 * end (decodeBloscBlocks), into memory from `into` (asked for the decoded size of whole blocks,
 * which the result views). Null for a frame blosc-decode.ts does not decode.
 */
export function bloscPart(handle: ChunkFile, file: string, chunkBytes: number, lo: number, hi: number, into: (bytes: number) => Uint8Array, memory: PartMemory): Uint8Array | null {
  const layout = readBloscLayout(handle, file);
  const { header } = layout;
  if (header.nbytes !== chunkBytes) throw corrupt(file, `blosc: the frame decodes to ${header.nbytes} bytes, a chunk holds ${chunkBytes}`);
  if (!layout.native) return null;
  let frame;
  try {
    frame = frameLayout(header);
  } catch (err) {
    throw corrupt(file, (err as Error).message);
  }
  if (frame.memcpyed) return readExactly(handle, file, HEADER_BYTES + lo, hi - lo, into(hi - lo));
  const { blocks, dataStart } = frame;
  const offsets = readExactly(handle, file, HEADER_BYTES, 4 * blocks);
  const view = new DataView(offsets.buffer, offsets.byteOffset, offsets.byteLength);
  const starts = Array.from({ length: blocks }, (_, b) => view.getInt32(4 * b, true));
  const firstBlock = Math.floor(lo / header.blocksize);
  const lastBlock = Math.ceil(hi / header.blocksize) - 1;
  // Blocks may be stored in any order (c-blosc compressing with threads), but back to back from
  // the end of the offsets: each at its own start, the first at the data's start, a block ending
  // where the next stored one starts (checked as each is decoded). Offsets that break this are
  // corrupt: they could decode one block's bytes in another's place without an error.
  const sorted = [...starts].sort((a, b) => a - b);
  if (sorted[0] !== dataStart || sorted.some((s, i) => i > 0 && s === sorted[i - 1])) {
    throw corrupt(file, "blosc: the block offsets do not lay the blocks back to back");
  }
  const next = new Map(sorted.map((start, i) => [start, sorted[i + 1] ?? header.cbytes]));
  const endOf = (start: number): number => next.get(start)!;
  let from = Infinity;
  let to = 0;
  for (let b = firstBlock; b <= lastBlock; b++) {
    const start = starts[b]!;
    if (start < dataStart || start >= header.cbytes) throw corrupt(file, `blosc: block ${b} starts at byte ${start}, outside the frame's data (${dataStart}–${header.cbytes})`);
    from = Math.min(from, start);
    to = Math.max(to, endOf(start));
  }
  const data = readExactly(handle, file, from, to - from, memory.scratch("compressed", to - from));
  const base = firstBlock * header.blocksize;
  const decoded = into(Math.min(header.nbytes, (lastBlock + 1) * header.blocksize) - base);
  try {
    decodeBloscBlocks(header, starts, starts.map(endOf), data, from, firstBlock, lastBlock, decoded, { lo: lo - base, hi: hi - base });
  } catch (err) {
    throw corrupt(file, (err as Error).message);
  }
  return decoded.subarray(lo - base, hi - base);
}
