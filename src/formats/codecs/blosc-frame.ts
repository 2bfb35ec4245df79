/**
 * A guard in front of zarrita's blosc decoder (numcodecs' wasm build), which decodes a truncated
 * or padded blosc frame into garbage without any error. A blosc frame starts with a 16-byte
 * header whose bytes 12–15 (little-endian) give the frame's total size; a chunk whose length
 * disagrees is refused before it is decoded.
 */

const HEADER_BYTES = 16;
const CBYTES_OFFSET = 12;

/** Why `bytes` cannot be a whole blosc frame, or null when its header and length agree. */
export function bloscFrameProblem(bytes: Uint8Array): string | null {
  if (bytes.length < HEADER_BYTES) return `blosc: ${bytes.length} bytes is shorter than a blosc header`;
  const frameBytes = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(CBYTES_OFFSET, true);
  if (frameBytes !== bytes.length) return `blosc: the frame header says ${frameBytes} bytes, the chunk holds ${bytes.length}`;
  return null;
}

interface BytesCodec {
  encode(bytes: Uint8Array): Uint8Array | Promise<Uint8Array>;
  decode(bytes: Uint8Array, out?: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

interface CodecEntry<C> {
  fromConfig(config: unknown, meta: never): C;
  kind?: string;
}

/** Wrap a blosc codec entry so that every decode checks the frame first. */
export function withBloscFrameCheck<C extends BytesCodec>(entry: CodecEntry<C>): CodecEntry<BytesCodec & { kind?: string }> {
  return {
    kind: entry.kind,
    fromConfig(config: unknown, meta: never) {
      const codec = entry.fromConfig(config, meta);
      return {
        kind: entry.kind,
        encode: (bytes: Uint8Array) => codec.encode(bytes),
        decode: (bytes: Uint8Array, out?: Uint8Array) => {
          const problem = bloscFrameProblem(bytes);
          if (problem) throw new Error(problem);
          return codec.decode(bytes, out);
        },
      };
    },
  };
}
