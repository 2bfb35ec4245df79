import { describe, expect, it } from "vitest";
import { ByteSlots } from "../../src/formats/block-copy.js";
import { ArrayPool, ByteArena } from "../../src/rechunk/buffer-pool.js";
import { stridedCopier } from "../../src/formats/strided-copy.js";

/** Buffers of exactly the size asked (the default, WebAssembly memory, comes in 64 KiB pages). */
const plain = (bytes: number) => new ArrayBuffer(bytes);

describe("ByteArena", () => {
  it("hands out WebAssembly memory by default, where units are cut by the strided-copy kernel", () => {
    const view = new ByteArena(1000).take(100);
    expect(stridedCopier(view.buffer)).toBeDefined();
    expect(view.buffer.byteLength).toBe(65_536);
  });

  it("hands out disjoint, 8-byte aligned views, and after reset() the same memory again", () => {
    const arena = new ByteArena(64, plain);
    const a = arena.take(10);
    const b = arena.take(20);
    const c = arena.take(40); // does not fit after a and b: the next buffer
    expect([a.length, b.length, c.length]).toEqual([10, 20, 40]);
    for (const view of [a, b, c]) expect(view.byteOffset % 8).toBe(0);
    a.fill(1);
    b.fill(2);
    c.fill(3);
    expect([...a].every((x) => x === 1) && [...b].every((x) => x === 2)).toBe(true);
    expect(b.buffer).toBe(a.buffer);
    expect(c.buffer).not.toBe(a.buffer);
    arena.reset();
    const again = arena.take(10);
    expect(again.buffer).toBe(a.buffer);
    expect(again.byteOffset).toBe(a.byteOffset);
  });

  it("reserve() makes the next takes adjacent in one buffer, even past its usual size", () => {
    const arena = new ByteArena(64, plain);
    arena.take(40);
    arena.reserve(200); // 40 used of 64: a buffer of 200 bytes comes next
    const views = [arena.take(80), arena.take(64), arena.take(56)];
    expect(views.every((v) => v.buffer === views[0]!.buffer)).toBe(true);
    expect(views.map((v) => v.byteOffset)).toEqual([0, 80, 144]);
    arena.reset();
    arena.take(8);
    arena.reserve(100); // 8 used of 64: the reserved buffer (200) is reused, not replaced
    const after = arena.take(100);
    expect(after.buffer).toBe(views[0]!.buffer);
    arena.reserve(16); // fits where it is: nothing moves
    expect(arena.take(16).byteOffset).toBe(after.byteOffset + 104);
  });

  it("serves a request larger than its buffers", () => {
    const arena = new ByteArena(16, plain);
    const big = arena.take(100);
    expect(big.length).toBe(100);
    expect(arena.take(8).buffer).not.toBe(big.buffer);
  });
});

describe("ByteSlots and ArrayPool", () => {
  it("reuse one buffer per slot, growing it when asked for more", () => {
    const slots = new ByteSlots();
    const first = slots.take("compressed", 10);
    expect(slots.take("compressed", 5).buffer).toBe(first.buffer);
    expect(slots.take("stretch", 5).buffer).not.toBe(first.buffer);
    expect(slots.take("compressed", 20).length).toBe(20);
    // Grown with room to spare: sizes creeping up do not reallocate every time.
    const grown = slots.take("compressed", 21);
    expect(grown.buffer.byteLength).toBeGreaterThanOrEqual(25);
    expect(slots.take("compressed", 25).buffer).toBe(grown.buffer);
    const pool = new ArrayPool();
    const block = pool.take("block", Float32Array, 8);
    expect(pool.take("block", Float32Array, 4).buffer).toBe(block.buffer);
    expect(pool.take("block", Int16Array, 4)).toBeInstanceOf(Int16Array);
  });
});
