/**
 * The blosc codec chunkwise registers: zarrita's entry (numcodecs' wasm build of c-blosc) for
 * encoding and for the frames our decoder leaves alone, with two things in front of its decode.
 * A frame-length check, because the wasm decoder turns a truncated or padded frame into garbage
 * without an error; and our TypeScript decoder for lz4/lz4hc and memcpyed frames, because the
 * wasm glue copies every input byte into the wasm heap in a JavaScript loop and the output back
 * out, which costs more than the decompression itself.
 */

import { bloscDecodesNatively, decodeBloscFrame } from "./blosc-decode.js";
import { bloscFrameProblem } from "./blosc-frame.js";

interface BytesCodec {
  encode(bytes: Uint8Array): Uint8Array | Promise<Uint8Array>;
  decode(bytes: Uint8Array, out?: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

interface CodecEntry<C> {
  fromConfig(config: unknown, meta: never): C;
  kind?: string;
}

/** Wrap a blosc codec entry so that every decode checks the frame and takes our decoder when it can. */
export function withChunkwiseBloscDecode<C extends BytesCodec>(entry: CodecEntry<C>): CodecEntry<BytesCodec & { kind?: string }> {
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
          if (!bloscDecodesNatively(bytes)) return codec.decode(bytes, out);
          const decoded = decodeBloscFrame(bytes);
          if (!out) return decoded;
          out.set(decoded);
          return out;
        },
      };
    },
  };
}
