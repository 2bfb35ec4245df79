/**
 * HDF5's fletcher32 filter (H5Zfletcher32.c, checksum of H5checksum.c): a Fletcher checksum over
 * big-endian 16-bit words (an odd last byte as the high byte of a word), stored little-endian in
 * the 4 bytes after the data.
 */

export function fletcher32(data: Uint8Array): number {
  let sum1 = 0;
  let sum2 = 0;
  const words = data.length >>> 1;
  let i = 0;
  for (let done = 0; done < words; ) {
    // 360 words keep both sums below 2^32 before folding.
    const end = Math.min(words, done + 360);
    for (; done < end; done += 1, i += 2) {
      sum1 += (data[i]! << 8) | data[i + 1]!;
      sum2 += sum1;
    }
    sum1 = (sum1 & 0xffff) + (sum1 >>> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >>> 16);
  }
  if (data.length % 2 === 1) {
    sum1 += data[i]! << 8;
    sum2 += sum1;
    sum1 = (sum1 & 0xffff) + (sum1 >>> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >>> 16);
  }
  sum1 = (sum1 & 0xffff) + (sum1 >>> 16);
  sum2 = (sum2 & 0xffff) + (sum2 >>> 16);
  return ((sum2 << 16) | sum1) >>> 0;
}

/**
 * The data without its checksum, or null when the stored checksum matches neither the checksum
 * nor its byte-swapped form (the form HDF5 before 1.6.3 wrote, which the library still accepts).
 */
export function stripFletcher32(chunk: Uint8Array): Uint8Array | null {
  if (chunk.length < 4) return null;
  const data = chunk.subarray(0, chunk.length - 4);
  const stored = (chunk[data.length]! | (chunk[data.length + 1]! << 8) | (chunk[data.length + 2]! << 16) | (chunk[data.length + 3]! << 24)) >>> 0;
  const sum = fletcher32(data);
  if (stored === sum) return data;
  const reversed = (((sum & 0x00ff00ff) << 8) | ((sum >>> 8) & 0x00ff00ff)) >>> 0;
  return stored === reversed ? data : null;
}
