/**
 * Reusable memory for one worker thread. Allocating afresh every time costs a zero-fill, page
 * faults on first touch, and garbage, which is most of what a copy costs (measured: cutting a
 * 57 MiB float32 block into (65, 32, 32) units took 70 ms with a new array per unit, 21 ms reusing
 * one). ArrayPool: typed arrays by named slot (the blocks verify assembles), each slot keeping one
 * array and handing out views of its first elements; ByteArena: a task's pieces and unit buffer.
 *
 * A slot's array is only valid until the next take() of the same slot: callers must be done with
 * a view (written, encoded, awaited) before asking again.
 */
import type { NumericArray } from "../formats/dataset.js";
import { stridedCopyBuffer } from "../formats/strided-copy.js";

type NumericArrayClass = new (length: number) => NumericArray;

export type PoolSlot = "block";

export class ArrayPool {
  private readonly slots = new Map<PoolSlot, NumericArray>();

  /** `length` elements of the slot's array (allocated, or grown, when it is too small or of another type). */
  take(slot: PoolSlot, like: NumericArray | NumericArrayClass, length: number): NumericArray {
    const ctor = (typeof like === "function" ? like : like.constructor) as NumericArrayClass;
    let array = this.slots.get(slot);
    // A transferred buffer is detached (byteLength 0): it can no longer be reused.
    if (array === undefined || array.constructor !== ctor || array.length < length || array.buffer.byteLength === 0) {
      array = new ctor(length);
      this.slots.set(slot, array);
    }
    return array.length === length ? array : array.subarray(0, length);
  }
}

/**
 * Bytes handed out one after the other from large buffers kept for the thread's life, all taken
 * back at once by reset() (at the start of each task): a task's pieces live in memory that is
 * already mapped and never collected, instead of hundreds of fresh buffers per task. The buffers
 * are stridedCopyBuffer's, so units are cut from the pieces by the WebAssembly copy kernel.
 */
export class ByteArena {
  private readonly buffers: ArrayBuffer[] = [];
  private current = 0;
  private offset = 0;

  /** `allocate`: where buffers come from (WebAssembly memories by default; tests of the layout pass plain ones). */
  constructor(
    private readonly bufferBytes: number,
    private readonly allocate: (bytes: number) => ArrayBuffer = stridedCopyBuffer,
  ) {}

  /** `bytes` bytes, 8-byte aligned, valid until reset(). */
  take(bytes: number): Uint8Array {
    const size = Math.ceil(bytes / 8) * 8;
    for (;;) {
      let buffer = this.buffers[this.current];
      if (buffer === undefined) {
        buffer = this.allocate(Math.max(this.bufferBytes, size));
        this.buffers.push(buffer);
      }
      if (this.offset + size <= buffer.byteLength) {
        const view = new Uint8Array(buffer, this.offset, bytes);
        this.offset += size;
        return view;
      }
      // An allocation too big for what is left here: a larger buffer replaces an unused small one.
      if (this.offset === 0) this.buffers[this.current] = this.allocate(size);
      else {
        this.current++;
        this.offset = 0;
      }
    }
  }

  /**
   * Make the next takes, up to `bytes` in all, lie one after the other in one buffer (a task's
   * pieces placed so, in order, can be used as one block: see pieces.ts).
   */
  reserve(bytes: number): void {
    const size = Math.ceil(bytes / 8) * 8;
    const buffer = this.buffers[this.current];
    if (buffer !== undefined && this.offset + size <= buffer.byteLength) return;
    if (buffer !== undefined && this.offset > 0) {
      this.current++;
      this.offset = 0;
    }
    const next = this.buffers[this.current];
    if (next === undefined || next.byteLength < size) this.buffers[this.current] = this.allocate(Math.max(this.bufferBytes, size));
  }

  reset(): void {
    this.current = 0;
    this.offset = 0;
  }
}
