/**
 * lz4-encode.ts's LZ4 block compressor in WebAssembly (simd/lz4.wat): the same steps, so the same
 * bytes, without JavaScript's bounds checks and DataView calls. It had been the largest cost of
 * writing blosc-lz4 chunks: 0.6 s of each thread's ~3 s in the 1 GiB benchmark.
 *
 * The kernel works in its module's memory: the hash table, then the input (copied in) and the
 * compressed block (copied out). One instance per thread; engines that cannot compile the module
 * keep the JavaScript compressor.
 */
import { WASM_PAGE, loadKernel } from "../wasm/instantiate.js";
import { LZ4_WASM } from "./simd/lz4-wasm.js";

interface Kernel {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  compress(src: number, n: number, dst: number, olimit: number, acceleration: number): number;
}

/** The hash table's bytes, at the start of the memory. */
const TABLE_BYTES = 32_768;

let kernel: Kernel | null | undefined;
let enabled = true;

function load(): Kernel | null {
  if (kernel === undefined) kernel = loadKernel<Kernel>(LZ4_WASM);
  return enabled ? kernel : null;
}

/** Turn the WebAssembly compressor off (or back on) in this thread: for tests of both paths. */
export function useWasmLz4(on: boolean): void {
  enabled = on;
}

/**
 * compressLz4Block's result (the compressed length, 0 when the block does not fit in `dst`), or
 * null when the WebAssembly compressor is not in use. `acceleration` is already clamped to [1, 65537].
 */
export function compressLz4BlockWasm(src: Uint8Array, dst: Uint8Array, acceleration: number): number | null {
  const k = load();
  if (k === null) return null;
  const input = TABLE_BYTES;
  const output = input + Math.ceil((src.length + 8) / 8) * 8;
  const needed = output + dst.length;
  const have = k.memory.buffer.byteLength;
  if (needed > have) k.memory.grow(Math.ceil((needed - have) / WASM_PAGE));
  const memory = new Uint8Array(k.memory.buffer);
  memory.set(src, input);
  const written = k.compress(input, src.length, output, dst.length, acceleration);
  if (written > 0) dst.set(memory.subarray(output, output + written));
  return written;
}
