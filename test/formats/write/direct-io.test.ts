import { type Mode, type PathLike, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";

// Lets a test play a file system that refuses O_DIRECT (ext4 and, since Linux 6.6, tmpfs take it).
const refuse = vi.hoisted(() => ({ atOpen: false, atWrite: false, failWrite: false }));
vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs")>();
  const einval = (): NodeJS.ErrnoException => Object.assign(new Error("EINVAL: invalid argument"), { code: "EINVAL" });
  return {
    ...fs,
    openSync: ((file: PathLike, flags: number | string, mode?: Mode) => {
      if (refuse.atOpen && typeof flags === "number" && (flags & fs.constants.O_DIRECT) !== 0) throw einval();
      return fs.openSync(file, flags, mode);
    }) as typeof fs.openSync,
    write: ((...args: unknown[]) => {
      const callback = args.at(-1) as (err: NodeJS.ErrnoException | null, n?: number) => void;
      if (refuse.atWrite) return process.nextTick(() => callback(einval()));
      if (refuse.failWrite) return process.nextTick(() => callback(Object.assign(new Error("EIO: i/o error"), { code: "EIO" })));
      return (fs.write as (...a: unknown[]) => void)(...args);
    }) as typeof fs.write,
  };
});

const { DIRECT_MIN_BYTES, alignedStaging, directWrites, directWritesPay, setDirectWrites, settleDirectWrites, writeFileDirect } = await import("../../../src/formats/write/direct-io.js");

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "chunkwise-direct-"));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

afterEach(async () => {
  refuse.atOpen = false;
  refuse.atWrite = false;
  refuse.failWrite = false;
  await settleDirectWrites().catch(() => undefined);
  setDirectWrites(false);
});

/** Bytes that differ at every offset, so a misplaced or padded byte shows. */
function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

describe("writeFileDirect", () => {
  it("writes exactly the bytes, for lengths on and off the 4 KiB grid, with the source reusable at once", async () => {
    setDirectWrites(true);
    const lengths = [DIRECT_MIN_BYTES, DIRECT_MIN_BYTES + 1, 1 << 20, (1 << 20) + 4093, 3 * 4096 * 37 + 5];
    const expected = lengths.map((length, i) => pattern(length, i + 1));
    for (const [i, bytes] of expected.entries()) {
      const source = bytes.slice();
      expect(await writeFileDirect(path.join(dir, `f${i}`), source)).toBe(true);
      source.fill(0);
    }
    await settleDirectWrites();
    for (const [i, bytes] of expected.entries()) expect(readFileSync(path.join(dir, `f${i}`)).equals(bytes)).toBe(true);
  });

  it("keeps many files in flight through the staging ring, each complete after settling", async () => {
    setDirectWrites(true);
    const files = Array.from({ length: 12 }, (_, i) => ({ file: path.join(dir, `ring${i}`), bytes: pattern(DIRECT_MIN_BYTES * (1 + (i % 3)) + i, 100 + i) }));
    for (const { file, bytes } of files) expect(await writeFileDirect(file, bytes)).toBe(true);
    await settleDirectWrites();
    for (const { file, bytes } of files) expect(readFileSync(file).equals(bytes)).toBe(true);
  });

  it("writes bytes placed in the free staging slot without losing them", async () => {
    setDirectWrites(true);
    for (let i = 0; i < 5; i++) {
      const bytes = pattern(300_001, 7 + i);
      const slot = alignedStaging(bytes.length)!;
      expect(slot.byteOffset % 4096).toBe(0);
      const view = new Uint8Array(slot.buffer, slot.byteOffset, bytes.length);
      view.set(bytes);
      expect(await writeFileDirect(path.join(dir, `slot${i}`), view)).toBe(true);
    }
    await settleDirectWrites();
    for (let i = 0; i < 5; i++) expect(readFileSync(path.join(dir, `slot${i}`)).equals(pattern(300_001, 7 + i))).toBe(true);
  });

  it("declines small files, and everything while off", async () => {
    setDirectWrites(true);
    expect(await writeFileDirect(path.join(dir, "small"), pattern(DIRECT_MIN_BYTES - 1, 3))).toBe(false);
    setDirectWrites(false);
    expect(directWrites()).toBe(false);
    expect(await writeFileDirect(path.join(dir, "off"), pattern(DIRECT_MIN_BYTES * 2, 3))).toBe(false);
    expect(existsSync(path.join(dir, "small")) || existsSync(path.join(dir, "off"))).toBe(false);
  });

  it("declines once O_DIRECT is refused at open, until turned on again", async () => {
    setDirectWrites(true);
    refuse.atOpen = true;
    expect(await writeFileDirect(path.join(dir, "refused"), pattern(DIRECT_MIN_BYTES, 1))).toBe(false);
    expect(directWrites()).toBe(false);
    refuse.atOpen = false;
    expect(await writeFileDirect(path.join(dir, "refused"), pattern(DIRECT_MIN_BYTES, 1))).toBe(false);
    setDirectWrites(true);
    expect(directWrites()).toBe(true);
  });

  it("finishes a write refused half-way through the page cache, whole", async () => {
    setDirectWrites(true);
    refuse.atWrite = true;
    const bytes = pattern(DIRECT_MIN_BYTES * 3 + 11, 9);
    expect(await writeFileDirect(path.join(dir, "late"), bytes)).toBe(true);
    await settleDirectWrites();
    expect(readFileSync(path.join(dir, "late")).equals(bytes)).toBe(true);
    expect(directWrites()).toBe(false);
  });

  it("fails naming the file when it cannot be created", async () => {
    setDirectWrites(true);
    const file = path.join(dir, "no-such-dir", "c0");
    await expect(writeFileDirect(file, pattern(DIRECT_MIN_BYTES, 1))).rejects.toMatchObject({ tag: "NotFoundError", path: file });
  });

  it("reports a write that failed after the call returned, naming its file, and removes the file", async () => {
    setDirectWrites(true);
    refuse.failWrite = true;
    const file = path.join(dir, "eio");
    expect(await writeFileDirect(file, pattern(DIRECT_MIN_BYTES, 1))).toBe(true);
    await expect(settleDirectWrites()).rejects.toMatchObject({ tag: "IOError", path: file });
    expect(existsSync(file)).toBe(false);
    await expect(settleDirectWrites()).resolves.toBeUndefined();
  });
});

describe("directWritesPay", () => {
  it("is true only for an output larger than half the memory", () => {
    const GiB = 2 ** 30;
    expect(directWritesPay(1 * GiB, 24 * GiB)).toBe(false);
    expect(directWritesPay(12 * GiB, 24 * GiB)).toBe(false);
    expect(directWritesPay(12 * GiB + 1, 24 * GiB)).toBe(true);
    expect(directWritesPay(10_000 * GiB, 64 * GiB)).toBe(true);
  });
});
