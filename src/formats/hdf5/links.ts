/**
 * A path inside an HDF5 file → the address of its object header, without h5wasm, through the
 * two compact ways a group keeps its links: a symbol table (format spec §IV.A.2.r: a v1 B-tree of
 * symbol nodes, §III.A.1 and §III.C, names in a local heap, §III.D) and link messages in the
 * group's own header (§IV.A.2.g). Dense link storage (a fractal heap; groups of more than 8 links
 * by default, with the latest file format) is not walked: such paths resolve to null, and the
 * caller asks h5wasm.
 */
import type { MetadataReader } from "./metadata-reader.js";
import { MSG, readObjectHeader } from "./object-header.js";

/** Hard links only: soft and external links, and anything not understood, give null. */
export function resolveObject(reader: MetadataReader, rootAddress: number, filePath: string): number | null {
  let address = rootAddress;
  try {
    for (const name of filePath.split("/").filter((part) => part !== "")) {
      const next = findLink(reader, address, name);
      if (next === null) return null;
      address = next;
    }
  } catch {
    return null;
  }
  return address;
}

function findLink(reader: MetadataReader, groupAddress: number, name: string): number | null {
  const messages = readObjectHeader(reader, groupAddress);
  const symbolTable = messages.find((m) => m.type === MSG.symbolTable);
  if (symbolTable !== undefined) {
    const btree = reader.address(symbolTable.data, 0);
    const heap = reader.address(symbolTable.data, reader.offsetSize);
    return btree === null || heap === null ? null : findSymbol(reader, btree, heap, name);
  }
  const wanted = Buffer.from(name, "utf8");
  for (const message of messages) {
    if (message.type !== MSG.link) continue;
    const link = parseLink(reader, message.data);
    if (link !== null && link.name.equals(wanted)) return link.address;
  }
  return null;
}

/** A link message: its name and, for a hard link, the target's address (null for soft and external links). */
function parseLink(reader: MetadataReader, data: Buffer): { name: Buffer; address: number | null } | null {
  if (data[0] !== 1) return null;
  const flags = data[1]!;
  let pos = 2;
  const linkType = flags & 0x08 ? data[pos++]! : 0;
  if (flags & 0x04) pos += 8; // creation order
  if (flags & 0x10) pos += 1; // character set
  const lengthSize = 1 << (flags & 0x03);
  let nameLength = 0;
  for (let i = lengthSize - 1; i >= 0; i -= 1) nameLength = nameLength * 256 + data[pos + i]!;
  pos += lengthSize;
  const name = data.subarray(pos, pos + nameLength);
  return { name, address: linkType === 0 ? reader.address(data, pos + nameLength) : null };
}

/** Every symbol node under a group B-tree (node type 0), searched for `name`. */
function findSymbol(reader: MetadataReader, btreeAddress: number, heapAddress: number, name: string): number | null {
  const O = reader.offsetSize;
  const L = reader.lengthSize;
  const heap = reader.bytes(heapAddress, 8 + 2 * L + O);
  if (heap.subarray(0, 4).toString("latin1") !== "HEAP") throw new Error("not a local heap");
  const heapSize = reader.length(heap, 8);
  const heapData = reader.address(heap, 8 + 2 * L);
  if (heapData === null) return null;
  const names = Buffer.from(reader.bytes(heapData, heapSize));
  const nameAt = (offset: number): string => {
    const end = names.indexOf(0, offset);
    return names.toString("utf8", offset, end < 0 ? names.length : end);
  };
  const nodeHeader = 8 + 2 * O;
  const entrySize = 2 * O + 24;
  const pending = [btreeAddress];
  for (let visited = 0; pending.length > 0; visited += 1) {
    if (visited > 1_000_000) throw new Error("group B-tree too large");
    const nodeAddress = pending.pop()!;
    const head = reader.bytes(nodeAddress, nodeHeader);
    if (head.subarray(0, 4).toString("latin1") !== "TREE" || head[4] !== 0) throw new Error("not a group B-tree node");
    const level = head[5]!;
    const entries = head.readUInt16LE(6);
    // Keys are heap offsets (lengths); each child address follows its key.
    const node = reader.bytes(nodeAddress, nodeHeader + entries * (L + O) + L);
    for (let i = 0; i < entries; i += 1) {
      const child = reader.address(node, nodeHeader + i * (L + O) + L);
      if (child === null) continue;
      if (level > 0) {
        pending.push(child);
        continue;
      }
      const symbols = reader.bytes(child, 8);
      if (symbols.subarray(0, 4).toString("latin1") !== "SNOD") throw new Error("not a symbol table node");
      const count = symbols.readUInt16LE(6);
      const table = reader.bytes(child + 8, count * entrySize);
      for (let s = 0; s < count; s += 1) {
        if (nameAt(reader.length(table, s * entrySize)) === name) return reader.address(table, s * entrySize + O);
      }
    }
  }
  return null;
}
