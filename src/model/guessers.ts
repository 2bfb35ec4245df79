import { product } from "./layout.js";

/**
 * What the chunk guessers users rely on today would pick for an array, re-implemented from their
 * published algorithms (shared/docs/domain.md) so `advise` can show each one's choice next to its
 * own and say why it differs.
 */
export type GuesserId = "dask-auto" | "h5py" | "zarr-python" | "netcdf-c" | "balanced";

export interface Guess {
  readonly id: GuesserId;
  /** What kind of chunks the tool picks: compute chunks (Dask) or storage chunks (writers). */
  readonly kind: "compute" | "storage";
  readonly chunks: readonly number[];
  /** One line on how the tool chose. */
  readonly rule: string;
}

export const DASK_AUTO_CHUNK_BYTES = 128 * 2 ** 20;

/**
 * Dask's `chunks="auto"` with the storage chunks as `previous_chunks` (what xarray passes): grow the
 * storage chunk by the same factor per axis, in whole storage chunks, until the block nears the
 * 128 MiB `array.chunk-size`; axes that reach their extent are taken whole and the factor is
 * recomputed for the others. Without storage chunks (contiguous): equal edges, short axes whole.
 */
export function daskAuto(shape: readonly number[], itemSize: number, storage: readonly number[] | null, limitBytes = DASK_AUTO_CHUNK_BYTES): number[] {
  const base = storage ?? shape.map(() => 1);
  const result = base.map((c, axis) => Math.min(c, shape[axis]!));
  let open = shape.map((_, axis) => axis).filter((axis) => result[axis]! < shape[axis]!);
  for (let guard = 0; guard < 64 && open.length > 0; guard++) {
    const multiplier = limitBytes / (product(result) * itemSize);
    if (multiplier <= 1) break;
    const perAxis = multiplier ** (1 / open.length);
    const reaching = open.filter((axis) => result[axis]! * perAxis >= shape[axis]!);
    if (reaching.length === 0) {
      for (const axis of open) {
        const unit = base[axis]!;
        result[axis] = Math.max(unit, Math.floor((result[axis]! * perAxis) / unit) * unit);
      }
      break;
    }
    for (const axis of reaching) result[axis] = shape[axis]!;
    open = open.filter((axis) => !reaching.includes(axis));
  }
  return result;
}

/**
 * h5py's `guess_chunk` (and zarr-python 2's, with other constants): target
 * base × 2^log10(MiB of data) clipped to [min, max]; start from the whole shape and halve axes
 * round-robin until the chunk is under the target (or within 50 % of it) and under the maximum.
 */
export function guessChunkHalving(shape: readonly number[], itemSize: number, base: number, min: number, max: number): number[] {
  const chunks = shape.map((n) => (n === 0 ? 1024 : n));
  const datasetBytes = product(chunks) * itemSize;
  const target = Math.min(max, Math.max(min, base * 2 ** Math.log10(datasetBytes / 2 ** 20)));
  for (let index = 0; ; index++) {
    const bytes = product(chunks) * itemSize;
    if ((bytes < target || Math.abs(bytes - target) / target < 0.5) && bytes < max) break;
    if (product(chunks) === 1) break;
    const axis = index % chunks.length;
    chunks[axis] = Math.ceil(chunks[axis]! / 2);
  }
  return chunks;
}

export const h5pyGuess = (shape: readonly number[], itemSize: number): number[] => guessChunkHalving(shape, itemSize, 16 * 1024, 8 * 1024, 1024 * 1024);

export const zarrGuess = (shape: readonly number[], itemSize: number): number[] =>
  guessChunkHalving(shape, itemSize, 256 * 1024, 128 * 1024, 64 * 1024 * 1024);

/**
 * netCDF-C's default chunking for a variable without unlimited dimensions: every axis scaled by the
 * same factor so a chunk holds ~4 MiB (DEFAULT_CHUNK_SIZE of the autotools build).
 */
export function netcdfDefault(shape: readonly number[], itemSize: number, chunkBytes = 4 * 2 ** 20): number[] {
  const total = product(shape) * itemSize;
  const factor = Math.min(1, (chunkBytes / total) ** (1 / Math.max(1, shape.length)));
  return shape.map((n) => Math.max(1, Math.min(n, Math.floor(n * factor))));
}

/**
 * Russ Rew's balanced chunking, generalised to n axes: a chunk of `budget` bytes such that reading a
 * full series along `axis` and reading a full slab across the other axes touch about the same number
 * of chunks (a^(n−1) each, with a = (chunks in the array)^(1/(2(n−1)))). NCO's default, 4 MiB.
 */
export function balancedChunks(shape: readonly number[], itemSize: number, axis = 0, budgetBytes = 4 * 2 ** 20): number[] {
  const rank = shape.length;
  const elements = product(shape);
  const perChunk = Math.max(1, budgetBytes / itemSize);
  if (elements <= perChunk || rank === 0) return [...shape];
  if (rank === 1) return [Math.max(1, Math.floor(perChunk))];
  const a = (elements / perChunk) ** (1 / (2 * (rank - 1)));
  return shape.map((n, i) => {
    const divisor = i === axis ? a ** (rank - 1) : a;
    return Math.max(1, Math.min(n, Math.floor(n / divisor)));
  });
}

export function allGuesses(shape: readonly number[], itemSize: number, storage: readonly number[] | null, seriesAxis: number): Guess[] {
  return [
    { id: "dask-auto", kind: "compute", chunks: daskAuto(shape, itemSize, storage), rule: "chunks=\"auto\": storage chunks grown evenly to ~128 MiB" },
    { id: "h5py", kind: "storage", chunks: h5pyGuess(shape, itemSize), rule: "guess_chunk: 8 KiB–1 MiB, halving axes in turn" },
    { id: "zarr-python", kind: "storage", chunks: zarrGuess(shape, itemSize), rule: "normalize_chunks guess: 128 KiB–64 MiB, halving axes in turn" },
    { id: "netcdf-c", kind: "storage", chunks: netcdfDefault(shape, itemSize), rule: "default chunking: ~4 MiB, every axis scaled alike" },
    { id: "balanced", kind: "storage", chunks: balancedChunks(shape, itemSize, seriesAxis), rule: "balanced (Rew/NCO): 4 MiB, series and slab reads touch equally many chunks" },
  ];
}
