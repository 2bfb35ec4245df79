/**
 * The frame-length check every blosc decode starts with. A blosc frame starts with a 16-byte
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
