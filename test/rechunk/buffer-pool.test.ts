import { describe, expect, it } from "vitest";
import { ByteSlots } from "../../src/formats/block-copy.js";
import { ArrayPool, ByteArena } from "../../src/rechunk/buffer-pool.js";

describe("ByteArena", () => {
  it("hands out disjoint, 8-byte aligned views, and after reset() the same memory again", () => {
    const arena = new ByteArena(64);
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

  it("serves a request larger than its buffers", () => {
    const arena = new ByteArena(16);
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
    const pool = new ArrayPool();
    const block = pool.take("block", Float32Array, 8);
    expect(pool.take("block", Float32Array, 4).buffer).toBe(block.buffer);
    expect(pool.take("block", Int16Array, 4)).toBeInstanceOf(Int16Array);
  });
});
