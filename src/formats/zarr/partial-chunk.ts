/**
 * Reading part of a stored Zarr chunk without decoding all of it. A chunk stored uncompressed is
 * read at the byte range its part spans; a blosc chunk is decoded only in the blosc blocks that
 * range touches (blosc compresses, and shuffles, each block on its own). A rechunk whose tasks
 * each need a strip of many source chunks then reads and decodes about the strip, not the
 * chunks (see partialReads in src/rechunk/plan.ts).
 *
 * Only chunks whose stored bytes are the C-order values as this machine holds them qualify: not
 * sharded, C order, a numeric dtype in little-endian (or one-byte) order, and no codec but the
 * bytes codec and at most one blosc compressor. Everything else goes through zarrita, whole.
 */
import { ChunkwiseError } from "../../errors.js";
import { FRESH_MEMORY, type PartMemory, type PlacedBlock, type Region, copyRegion } from "../block-copy.js";
import { bloscPart, readBloscLayout } from "../codecs/blosc-part.js";
import type { NumericArray } from "../dataset.js";
import { typedArrayClasses } from "../typed-arrays.js";
import type { ZarrArrayMetadata } from "./metadata.js";
import { type ChunkFile, readExactly } from "../chunk-file.js";

export type PartialCodec = "raw" | "blosc";

const BLOSC_NAMES = new Set(["blosc", "numcodecs.blosc"]);
/** A stretch kept as it is holds at most this many times the part's values (see readChunkPart). */
const MAX_STRETCH_OVER_PART = 1.5;
/** Granule of an uncompressed chunk: reads are rounded out to pages anyway. */
const RAW_GRANULE_BYTES = 4096;

type NumericArrayClass = new (buffer: ArrayBuffer, byteOffset?: number, length?: number) => NumericArray;

/** How this array's chunks can be read in part, or null when only whole. */
export function partialCodecOf(meta: ZarrArrayMetadata): PartialCodec | null {
  if (meta.shards !== null || meta.order !== "C" || meta.unreadableReason !== null) return null;
  if (!(meta.dtype.name in typedArrayClasses) && meta.dtype.name !== "bool") return null;
  if (meta.dtype.byteOrder === "big") return null;
  const codecs = meta.codecs.filter((codec) => codec.name !== "bytes");
  if (codecs.length === 0) return "raw";
  return codecs.length === 1 && BLOSC_NAMES.has(codecs[0]!.name) ? "blosc" : null;
}

function elementClass(meta: ZarrArrayMetadata): NumericArrayClass {
  const name = meta.dtype.name === "bool" ? "uint8" : meta.dtype.name;
  return typedArrayClasses[name as keyof typeof typedArrayClasses] as unknown as NumericArrayClass;
}

/** Bytes of the smallest independently decodable piece of a chunk of this array, from one stored chunk (its blosc header). */
export function granuleBytes(codec: PartialCodec, sample: ChunkFile | undefined, file: string): number | null {
  if (codec === "raw") return RAW_GRANULE_BYTES;
  if (sample === undefined) return null;
  return readBloscLayout(sample, file).granuleBytes;
}

/**
 * The C-order stretch of the chunk (first element at `chunkOrigin`, full stored shape
 * `meta.chunks`) that holds the part `part` (array coordinates, inside the chunk), read from the
 * open chunk file, as a placed block whose `first` says where the stretch starts.
 * `file` names the chunk in errors. Null when this chunk cannot be decoded in part after all (a
 * blosc frame of a compressor only c-blosc decodes): the caller decodes it whole.
 */
export function readChunkPart(
  handle: ChunkFile,
  file: string,
  codec: PartialCodec,
  meta: ZarrArrayMetadata,
  chunkOrigin: readonly number[],
  part: Region,
  memory: PartMemory = FRESH_MEMORY,
): PlacedBlock | null {
  const itemSize = meta.dtype.itemSize;
  const chunkShape = meta.chunks;
  const chunkElements = chunkShape.reduce((a, b) => a * b, 1);
  // The C-order stretch [firstElement, lastElement] of the chunk that holds the part.
  let firstElement = 0;
  let lastElement = 0;
  let stride = 1;
  for (let axis = chunkShape.length - 1; axis >= 0; axis--) {
    firstElement += (part.start[axis]! - chunkOrigin[axis]!) * stride;
    lastElement += (part.stop[axis]! - 1 - chunkOrigin[axis]!) * stride;
    stride *= chunkShape[axis]!;
  }
  const lo = firstElement * itemSize;
  const hi = (lastElement + 1) * itemSize;
  const partShape = part.stop.map((s, axis) => s - part.start[axis]!);
  const partBytes = partShape.reduce((a, b) => a * b, 1) * itemSize;
  // What is decoded (a stretch, or the whole blosc blocks around it) is kept as it is unless it
  // is much larger than the part, which would hold that much more memory for the whole task:
  // then it goes to scratch memory and only the part is kept.
  let keptWhole = false;
  const into = (bytes: number): Uint8Array => {
    keptWhole = bytes <= MAX_STRETCH_OVER_PART * partBytes;
    return keptWhole ? memory.keep(bytes) : memory.scratch("stretch", bytes);
  };
  const stretch =
    codec === "raw" ? readRawStretch(handle, file, chunkElements * itemSize, lo, hi, into(hi - lo)) : bloscPart(handle, file, chunkElements * itemSize, lo, hi, into, memory);
  if (stretch === null) return null;
  const Values = elementClass(meta);
  // Values of other types must start at a multiple of their size: copy the rare misaligned stretch.
  const aligned = stretch.byteOffset % itemSize === 0 ? stretch : stretch.slice();
  const placed: PlacedBlock = {
    origin: chunkOrigin,
    shape: chunkShape,
    values: new Values(aligned.buffer as ArrayBuffer, aligned.byteOffset, aligned.byteLength / itemSize),
    first: firstElement,
  };
  if (keptWhole) return placed;
  const kept = memory.keep(partBytes);
  const values = new Values(kept.buffer as ArrayBuffer, kept.byteOffset, partBytes / itemSize);
  copyRegion(placed, { origin: part.start, shape: partShape, values }, part);
  return { origin: part.start, shape: partShape, values };
}

function readRawStretch(handle: ChunkFile, file: string, chunkBytes: number, lo: number, hi: number, into: Uint8Array): Uint8Array {
  const size = handle.size;
  if (size !== chunkBytes) {
    throw new ChunkwiseError(size < chunkBytes ? "TruncatedError" : "IOError", `${size < chunkBytes ? "truncated" : "corrupt"} chunk: it holds ${size} bytes, an uncompressed chunk ${chunkBytes}`, { path: file });
  }
  return readExactly(handle, file, lo, hi - lo, into);
}
