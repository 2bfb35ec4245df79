/**
 * Buffers whose strided copies within themselves run in WebAssembly (wasm/strided-copy.wat): a
 * rechunk cuts each unit out of its task's block in runs of often 128 bytes, 8 288 runs for a
 * (259, 32, 32) float32 unit, and a JavaScript call per run (copyWithin) costs ~50 ns where the
 * kernel's loop costs a few. Measured on 45 such units: 17–20 ms with copyWithin, 7 ms here.
 *
 * A buffer is a WebAssembly memory of its own with one instance of the kernel bound to it, so
 * copyRegion (block-copy.ts) finds the kernel from the buffer alone. Engines without SIMD, or
 * without room for another memory, get a plain ArrayBuffer, and copies stay in JavaScript.
 */
import { WASM_PAGE, compileKernel, instantiateKernel, newMemory } from "./wasm/instantiate.js";
import { STRIDED_COPY_WASM } from "./wasm/strided-copy-wasm.js";

/** The kernel of one buffer; offsets and strides in bytes. */
export interface StridedCopier {
  /**
   * Copy n0 × n1 runs of `run` bytes: run (i0, i1) goes from from + i0·fs0 + i1·fs1 to
   * to + i0·ts0 + i1·ts1. No source run may overlap a target run.
   */
  copy2d(from: number, to: number, run: number, n1: number, fs1: number, ts1: number, n0: number, fs0: number, ts0: number): void;
}

/** A 32-bit memory's limit. */
const MAX_PAGES = 65_536;

const copiers = new WeakMap<ArrayBuffer, StridedCopier>();
let compiled: object | null | undefined;

function kernelModule(): object | null {
  if (compiled === undefined) compiled = compileKernel(STRIDED_COPY_WASM);
  return compiled;
}

/**
 * A zeroed buffer of at least `bytes` (whole 64 KiB pages when it is WebAssembly memory) whose
 * copies within itself copyRegion makes with the kernel.
 */
export function stridedCopyBuffer(bytes: number): ArrayBuffer {
  const module = kernelModule();
  const pages = Math.max(1, Math.ceil(bytes / WASM_PAGE));
  if (module === null || pages > MAX_PAGES) return new ArrayBuffer(bytes);
  const memory = newMemory(pages);
  const copier = memory === null ? null : instantiateKernel<StridedCopier>(module, { env: { memory } });
  if (memory === null || copier === null) return new ArrayBuffer(bytes);
  copiers.set(memory.buffer, copier);
  return memory.buffer;
}

/** The kernel bound to `buffer`, when it is one of stridedCopyBuffer's. */
export function stridedCopier(buffer: ArrayBufferLike): StridedCopier | undefined {
  return copiers.get(buffer as ArrayBuffer);
}
