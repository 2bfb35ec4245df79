/**
 * Undoing the filters chunkwise decodes itself, in reverse pipeline order: deflate by node:zlib,
 * shuffle by the word-at-a-time unshuffle, fletcher32 by checking and dropping the checksum. Other
 * filters are not here: a dataset using any of them is read through h5wasm.
 */
import zlib from "node:zlib";
import type { PartMemory } from "../block-copy.js";
import { unshuffle } from "../codecs/shuffle.js";
import type { PipelineFilter } from "./dataset-messages.js";
import { stripFletcher32 } from "./fletcher32.js";

export const FILTER = { deflate: 1, shuffle: 2, fletcher32: 3 } as const;

const DECODED: ReadonlySet<number> = new Set(Object.values(FILTER));

export function decodesAll(filters: readonly PipelineFilter[]): boolean {
  return filters.every((filter) => DECODED.has(filter.id));
}

/** A chunk that does not decode: why, in a few words. */
export class ChunkDecodeError extends Error {}

/**
 * The chunk's bytes before filtering, exactly `chunkBytes` of them: `stored` itself when every
 * filter was skipped, else memory the caller keeps — inflate's output (shuffle is undone in place,
 * through scratch memory) or, without deflate, `memory.keep`. `filterMask` bit i set: filter i
 * was skipped for this chunk.
 */
export function unfilterChunk(
  stored: Uint8Array,
  filters: readonly PipelineFilter[],
  filterMask: number,
  chunkBytes: number,
  itemSize: number,
  memory: PartMemory,
): Uint8Array {
  let data = stored;
  for (let i = filters.length - 1; i >= 0; i -= 1) {
    if ((filterMask >>> i) & 1) continue;
    const filter = filters[i]!;
    switch (filter.id) {
      case FILTER.fletcher32: {
        const stripped = stripFletcher32(data);
        if (stripped === null) throw new ChunkDecodeError("fletcher32 checksum mismatch");
        data = stripped;
        break;
      }
      case FILTER.deflate:
        data = inflate(data, chunkBytes);
        break;
      case FILTER.shuffle: {
        // Not always chunkBytes long: a fletcher32 filter before shuffle (netCDF's order) left its checksum in.
        const elementSize = filter.clientData[0] ?? itemSize;
        // Into the caller's kept memory (a worker's arena), leaving the inflated copy to be collected.
        const out = data.length === chunkBytes ? memory.keep(chunkBytes) : new Uint8Array(data.length);
        unshuffle(data, out, elementSize);
        data = out;
        break;
      }
      default:
        throw new ChunkDecodeError(`filter ${filter.id} is not decoded here`);
    }
  }
  if (data.length !== chunkBytes) throw new ChunkDecodeError(`decodes to ${data.length} bytes, expected ${chunkBytes}`);
  return data;
}

/**
 * Inflate a zlib stream that should give `expected` bytes (a fletcher32 checksum may still
 * follow). An output chunk larger than that makes node:zlib return its one buffer, not a
 * concatenation of 16 KiB pieces.
 */
function inflate(data: Uint8Array, expected: number): Uint8Array {
  try {
    return zlib.inflateSync(data, { chunkSize: Math.max(64, expected + 8), maxOutputLength: expected + 4 });
  } catch (err) {
    const reason = err instanceof RangeError ? `inflates to more than ${expected} bytes` : (err as Error).message;
    throw new ChunkDecodeError(`corrupt deflate stream (${reason})`);
  }
}
