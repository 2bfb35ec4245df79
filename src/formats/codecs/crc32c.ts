/**
 * CRC-32C (Castagnoli), as the Zarr v3 `crc32c` codec uses it: reflected polynomial 0x82F63B78,
 * initial value and final XOR 0xFFFFFFFF, stored as 4 little-endian bytes after the data.
 * Table-driven, slicing by 8 bytes; Node 20 has no built-in CRC-32C.
 */

const POLYNOMIAL = 0x82f63b78;

/** TABLES[k][b]: CRC contribution of byte b followed by k zero bytes. */
const TABLES: readonly Uint32Array[] = buildTables();

function buildTables(): Uint32Array[] {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  const first = tables[0]!;
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ POLYNOMIAL : crc >>> 1;
    first[byte] = crc >>> 0;
  }
  for (let k = 1; k < 8; k++) {
    const previous = tables[k - 1]!;
    const table = tables[k]!;
    for (let byte = 0; byte < 256; byte++) table[byte] = ((previous[byte]! >>> 8) ^ first[previous[byte]! & 0xff]!) >>> 0;
  }
  return tables;
}

/** CRC-32C of `bytes` as an unsigned 32-bit integer. */
export function crc32c(bytes: Uint8Array): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  let crc = 0xffffffff;
  let i = 0;
  const end8 = bytes.length - (bytes.length % 8);
  for (; i < end8; i += 8) {
    const lo = (crc ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))) >>> 0;
    crc =
      t7[lo & 0xff]! ^
      t6[(lo >>> 8) & 0xff]! ^
      t5[(lo >>> 16) & 0xff]! ^
      t4[lo >>> 24]! ^
      t3[bytes[i + 4]!]! ^
      t2[bytes[i + 5]!]! ^
      t1[bytes[i + 6]!]! ^
      t0[bytes[i + 7]!]!;
  }
  for (; i < bytes.length; i++) crc = (crc >>> 8) ^ t0[(crc ^ bytes[i]!) & 0xff]!;
  return (crc ^ 0xffffffff) >>> 0;
}

/** Zarr v3 `crc32c` bytes-to-bytes codec that, unlike zarrita's own, verifies the checksum on decode. */
export class Crc32cCodec {
  readonly kind = "bytes_to_bytes" as const;

  static fromConfig(): Crc32cCodec {
    return new Crc32cCodec();
  }

  encode(bytes: Uint8Array): Uint8Array {
    const out = new Uint8Array(bytes.length + 4);
    out.set(bytes, 0);
    new DataView(out.buffer).setUint32(bytes.length, crc32c(bytes), true);
    return out;
  }

  decode(bytes: Uint8Array): Uint8Array {
    if (bytes.length < 4) throw new Error(`crc32c: ${bytes.length} bytes is too short to hold a checksum`);
    const data = bytes.subarray(0, bytes.length - 4);
    const stored = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0, true);
    const computed = crc32c(data);
    if (stored !== computed) {
      throw new Error(`crc32c checksum mismatch (stored ${hex(stored)}, computed ${hex(computed)}): the data is corrupt`);
    }
    return data;
  }

  computeEncodedSize(decodedSize: number): number {
    return decodedSize + 4;
  }
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, "0")}`;
}
