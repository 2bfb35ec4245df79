/**
 * blosc's byte shuffle of 4-byte elements in WebAssembly SIMD (simd/shuffle.wat): 16 elements a
 * step with byte shuffles, where JavaScript's best is a 32-bit word at a time. Measured on a
 * 512 KiB block: unshuffle 52 GB/s and shuffle ~20 GB/s in the module's memory (18 and 9 GB/s
 * with copies in and out), against 2.7 GB/s for the word loops, which had taken 0.55 s of each
 * thread's 4.4 s in the 1 GiB lz4 rechunk.
 *
 * The kernels work in the module's memory, two regions of REGION bytes: the input region and the
 * output region. Bytes in plain memory are copied in and out; a codec saves those copies by
 * decoding straight into the input region (inputRegion) or encoding straight from the output
 * region (outputRegion). One instance per thread (module state is per isolate). Engines without
 * SIMD fail to compile the module: then every function here says so and callers keep their
 * JavaScript loops.
 */
import { WASM_PAGE, loadKernel } from "../wasm/instantiate.js";
import { SHUFFLE_WASM } from "./simd/shuffle-wasm.js";

interface Kernels {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  unshuffle4(src: number, dst: number, stride: number, count: number): void;
  shuffle4(src: number, dst: number, stride: number, count: number): void;
}

/** Elements a SIMD step handles: the kernels take multiples of this. */
export const SIMD_ELEMENTS = 16;

/** The largest region: blocks up to this size are handled in one pass, larger ones in slices (in plain memory). */
const MAX_REGION_BYTES = 8 * 2 ** 20;

let kernels: Kernels | null | undefined;
let enabled = true;
/** Bytes in each region; the output region starts here. */
let region = 0;

function load(): Kernels | null {
  if (kernels === undefined) kernels = loadKernel<Kernels>(SHUFFLE_WASM);
  return enabled ? kernels : null;
}

/**
 * Regions of at least `bytes` (at most MAX_REGION_BYTES). Growing the memory detaches every view
 * of it: only ever called before a view is handed out or while the caller holds none.
 */
function ensureRegions(k: Kernels, bytes: number): void {
  if (bytes <= region) return;
  const size = Math.ceil(Math.min(Math.max(bytes, WASM_PAGE), MAX_REGION_BYTES) / WASM_PAGE) * WASM_PAGE;
  const have = k.memory.buffer.byteLength;
  if (have < 2 * size) k.memory.grow((2 * size - have) / WASM_PAGE);
  region = size;
}

function inModule(k: Kernels, bytes: Uint8Array): boolean {
  return bytes.buffer === k.memory.buffer;
}

/** A source in the module must be in the input region, a destination in the output region: each kernel call may use the other region. */
function checkRegions(k: Kernels, src: Uint8Array, dst: Uint8Array): void {
  if (inModule(k, src) && src.byteOffset + src.length > region) throw new Error("SIMD shuffle: a source in the module's memory must lie in its input region");
  if (inModule(k, dst) && dst.byteOffset < region) throw new Error("SIMD shuffle: a destination in the module's memory must lie in its output region");
}

/** Whether the SIMD kernels are in use in this thread. */
export function simdShuffleAvailable(): boolean {
  return load() !== null;
}

/** Turn the SIMD kernels off (or back on) in this thread: for tests of both paths. */
export function useSimdShuffle(on: boolean): void {
  enabled = on;
}

/**
 * `bytes` bytes in the input region, for a shuffled block to be decoded into and then unshuffled
 * without a copy; null without SIMD or for a block larger than a region. Valid until the next
 * call of inputRegion or outputRegion in this thread.
 */
export function inputRegion(bytes: number): Uint8Array | null {
  const k = load();
  if (k === null || bytes > MAX_REGION_BYTES) return null;
  ensureRegions(k, bytes);
  return new Uint8Array(k.memory.buffer, 0, bytes);
}

/** `bytes` bytes in the output region, for a block to be shuffled into and then encoded without a copy; as inputRegion. */
export function outputRegion(bytes: number): Uint8Array | null {
  const k = load();
  if (k === null || bytes > MAX_REGION_BYTES) return null;
  ensureRegions(k, bytes);
  return new Uint8Array(k.memory.buffer, region, bytes);
}

/**
 * Unshuffle elements [first, first + n) of a block of `count` 4-byte elements: `src` holds the
 * four streams of `count` bytes, the elements go to their place in `dst`. `n` is a multiple of
 * SIMD_ELEMENTS. False (nothing done) without SIMD.
 */
export function unshuffle4Simd(src: Uint8Array, dst: Uint8Array, count: number, first: number, n: number): boolean {
  const k = load();
  if (k === null) return false;
  if (inModule(k, src) || inModule(k, dst)) {
    // A region's view: it is no larger than a region (no growing), and the other region is free.
    checkRegions(k, src, dst);
    const out = inModule(k, dst) ? dst.byteOffset + 4 * first : region;
    let at = src.byteOffset + first;
    if (!inModule(k, src)) {
      for (let stream = 0; stream < 4; stream++) new Uint8Array(k.memory.buffer, stream * count + first, n).set(src.subarray(stream * count + first, stream * count + first + n));
      at = first;
    }
    k.unshuffle4(at, out, count, n);
    if (!inModule(k, dst)) dst.set(new Uint8Array(k.memory.buffer, out, 4 * n), 4 * first);
    return true;
  }
  inSlices(k, n, (done, m, memory) => {
    const from = first + done;
    for (let stream = 0; stream < 4; stream++) memory.set(src.subarray(stream * count + from, stream * count + from + m), stream * m);
    k.unshuffle4(0, region, m, m);
    dst.set(memory.subarray(region, region + 4 * m), 4 * from);
  });
  return true;
}

/**
 * Shuffle the first `n` of the `count` 4-byte elements of `src` into the four streams of `count`
 * bytes of `dst` (their first `n` bytes each). `n` is a multiple of SIMD_ELEMENTS. False (nothing
 * done) without SIMD.
 */
export function shuffle4Simd(src: Uint8Array, dst: Uint8Array, count: number, n: number): boolean {
  const k = load();
  if (k === null) return false;
  if (inModule(k, src) || inModule(k, dst)) {
    checkRegions(k, src, dst);
    const at = inModule(k, src) ? src.byteOffset : 0;
    if (!inModule(k, src)) new Uint8Array(k.memory.buffer, 0, 4 * n).set(src.subarray(0, 4 * n));
    const out = inModule(k, dst) ? dst.byteOffset : region;
    k.shuffle4(at, out, count, n);
    if (!inModule(k, dst)) for (let stream = 0; stream < 4; stream++) dst.set(new Uint8Array(k.memory.buffer, out + stream * count, n), stream * count);
    return true;
  }
  inSlices(k, n, (done, m, memory) => {
    memory.set(src.subarray(4 * done, 4 * (done + m)), 0);
    k.shuffle4(0, region, m, m);
    for (let stream = 0; stream < 4; stream++) dst.set(memory.subarray(region + stream * m, region + (stream + 1) * m), stream * count + done);
  });
  return true;
}

/**
 * Plain memory both sides: `pass(done, m, memory)` for elements [done, done + m) in slices of at
 * most a region's worth (input placed at 0, output at `region`).
 */
function inSlices(k: Kernels, n: number, pass: (done: number, m: number, memory: Uint8Array) => void): void {
  ensureRegions(k, 4 * n);
  const slice = Math.floor(region / 4 / SIMD_ELEMENTS) * SIMD_ELEMENTS;
  const memory = new Uint8Array(k.memory.buffer);
  for (let done = 0; done < n; done += slice) pass(done, Math.min(slice, n - done), memory);
}
