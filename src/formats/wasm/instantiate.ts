/**
 * Loading chunkwise's WebAssembly kernels (the modules compiled from the .wat sources beside their
 * users): each is optional, so an engine that cannot compile one (no WebAssembly, or no SIMD)
 * gets null and its caller keeps its JavaScript path.
 */
import { nativeHelpers } from "../../system/native.js";

/** What chunkwise uses of the WebAssembly API (the project's TypeScript libraries do not declare it). */
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports?: object) => { readonly exports: unknown };
  readonly Memory: new (descriptor: { initial: number }) => { readonly buffer: ArrayBuffer };
}

export const WASM_PAGE = 65_536;

function api(): WasmApi {
  return (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
}

/** The compiled module of these bytes (base64), or null when this engine cannot compile it. */
export function compileKernel(base64: string): object | null {
  try {
    return new (api().Module)(Buffer.from(base64, "base64"));
  } catch {
    return null;
  }
}

/** The exports of a new instance of `module`, or null when it cannot be instantiated (no memory left for it). */
export function instantiateKernel<T>(module: object, imports?: object): T | null {
  try {
    return new (api().Instance)(module, imports).exports as T;
  } catch {
    return null;
  }
}

/** The exports of an instance of the module of these bytes (base64), or null (see compileKernel). */
export function loadKernel<T>(base64: string): T | null {
  const module = compileKernel(base64);
  return module === null ? null : instantiateKernel<T>(module);
}

/**
 * A new WebAssembly memory of `pages` 64 KiB pages, or null when it cannot be had. Huge pages
 * are advised for it where the native helpers are built: these memories are a worker's arena and
 * staging buffers, touched once and reused for the whole job (see adviseHugePages).
 */
export function newMemory(pages: number): { readonly buffer: ArrayBuffer } | null {
  let memory: { readonly buffer: ArrayBuffer };
  try {
    memory = new (api().Memory)({ initial: pages });
  } catch {
    return null;
  }
  nativeHelpers()?.adviseHugePages(memory.buffer);
  return memory;
}
