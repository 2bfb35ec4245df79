/**
 * The one h5wasm instance of this thread. h5wasm's default HDF5 error handler prints whole error
 * stacks to stderr and lets the failing call return garbage; chunkwise switches the instance to
 * h5wasm's throwing handler once, so every HDF5 failure becomes a JS Error (caught and translated
 * by the callers) and nothing is printed.
 */
import type H5wasm from "h5wasm/node";

export type H5Module = Awaited<typeof H5wasm.ready>;

/**
 * h5wasm's API (File, Dataset, Group…), set by loadH5wasm(): use it only after that resolved.
 * Loaded on first use, not on import: instantiating its wasm costs ~140 ms and tens of MiB in
 * every thread, and a worker thread rechunking Zarr never needs it.
 */
export let h5: typeof H5wasm;

let loaded: Promise<H5Module> | undefined;

export function loadH5wasm(): Promise<H5Module> {
  loaded ??= import("h5wasm/node").then(async ({ default: api }) => {
    const module = await api.ready;
    module.activate_throwing_error_handler();
    h5 = api;
    return module;
  });
  return loaded;
}

/** The most specific line of an HDF5 error stack ("required filter 'lzf' is not registered"), or the message itself. */
export function hdf5Reason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const lines = message.split("\n").filter((line) => /^\s*#\d+:/.test(line));
  const deepest = lines.at(-1);
  if (!deepest) return message.trim();
  const match = /in [A-Za-z0-9_]+\(\): (.*)$/.exec(deepest);
  return (match?.[1] ?? deepest).trim();
}

/** Every reason line of an HDF5 error stack, deepest last. */
export function hdf5Reasons(err: unknown): string[] {
  const message = err instanceof Error ? err.message : String(err);
  return message
    .split("\n")
    .map((line) => /^\s*#\d+:.* in [A-Za-z0-9_]+\(\): (.*)$/.exec(line)?.[1]?.trim())
    .filter((reason): reason is string => reason !== undefined);
}
