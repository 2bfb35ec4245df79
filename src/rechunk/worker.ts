/**
 * The rechunk worker module (runs in the scheduler's threads, loaded as dist/rechunk/worker.js).
 *
 * - copyBlock: read one task's block (source chunks one at a time, a contiguous source in slabs,
 *   or intermediate chunks), cut it into the stage's write units and write each whole unit:
 *   to the output through a writer attached in this thread, or to the intermediate store; then
 *   append the task's journal line, after the last unit.
 * - verifyUnits: read a list of target units from the output and the same regions from the
 *   source; report the first unit whose values differ.
 */
import { randomBytes } from "node:crypto";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { threadId } from "node:worker_threads";
import { ChunkwiseError } from "../errors.js";
import type { ArrayValues, Block, NumericArray, PartMemory } from "../formats/dataset.js";
import { attachWriter } from "../formats/write/open-writer.js";
import type { DatasetWriter } from "../formats/writer.js";
import { product } from "../model/layout.js";
import type { TaskValue } from "../scheduler/types.js";
import { type WorkerContext, defineWorkerOp } from "../scheduler/worker-runtime.js";
import { type Checksum, addRegionChecksum, emptyChecksum } from "./checksum.js";
import { ArrayPool, ByteArena, type PoolSlot } from "./buffer-pool.js";
import { ByteSlots, allocateLike, isNumeric } from "../formats/block-copy.js";
import { firstDifference } from "./copy.js";
import { Journal } from "./journal.js";
import { type Pieces, readDatasetPieces, readScratchPieces } from "./pieces.js";
import { type Region, cellsIn, ravel } from "./plan.js";
import { type ElementCtor, ScratchGroupWriter } from "./scratch.js";
import { setDirectWrites, settleDirectWrites } from "../formats/write/direct-io.js";
import { setDurableWrites } from "../formats/write/durability.js";
import { handOverWrittenFiles, setWriteBehind } from "../formats/write/write-behind.js";

export type BlockSource =
  | {
      readonly kind: "dataset";
      readonly location: string;
      readonly array: string;
      readonly chunks: readonly number[] | null;
    }
  | {
      readonly kind: "scratch";
      readonly directory: string;
      readonly chunks: readonly number[];
      /** The stage-1 task block: the intermediate chunks of one are stored together (see scratch.ts). */
      readonly groups: readonly number[];
      readonly elementType: string;
    };

export type BlockTarget =
  | { readonly kind: "output"; readonly location: string; readonly array: string }
  | { readonly kind: "scratch"; readonly directory: string };

export interface CopyBlockPayload {
  readonly shape: readonly number[];
  readonly itemSize: number;
  readonly region: Region;
  readonly source: BlockSource;
  readonly target: BlockTarget;
  /** The write units of this stage (target units, or intermediate chunks). */
  readonly units: readonly number[];
  /** The largest task block of the job, bytes: the thread's arena is reserved at this size (see readPieces). */
  readonly arenaBytes?: number;
  /** Bytes of this stage's largest unit: the unit buffer is reserved in the arena after the block. */
  readonly unitBytes?: number;
  /** Journal line to append once every unit is written. */
  readonly journal: { readonly stateDir: string; readonly array: string; readonly stage: number; readonly task: number } | null;
  /** fsync every file and journal line (--durable, see durability.ts). */
  readonly durable: boolean;
  /** Write output chunk files with O_DIRECT where the file system takes it (see direct-io.ts); default false. */
  readonly directIo?: boolean;
  /** Start writing output chunk files back to the disk as they are written (see write-behind.ts); default false. */
  readonly writeBehind?: boolean;
  /** Test hook: SIGKILL this process after this many units were written by this thread. */
  readonly killAfterUnits?: number;
}

export interface CopyBlockResult {
  readonly units: number;
  readonly bytes: number;
  readonly shape: readonly number[];
}

const ELEMENT_CTORS: Record<string, ElementCtor> = {
  Int8Array,
  Uint8Array,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  BigInt64Array,
  BigUint64Array,
  Float32Array,
  Float64Array,
} as unknown as Record<string, ElementCtor>;

export function elementCtor(name: string): ElementCtor {
  const ctor = ELEMENT_CTORS[name];
  if (ctor === undefined) throw new ChunkwiseError("UnsupportedError", `intermediate data of element type ${name} is not supported`);
  return ctor;
}

interface BlockRequest {
  readonly shape: readonly number[];
  readonly itemSize: number;
  readonly region: Region;
}

/** Buffers of a task's arena: a few per task (a task's pieces are at most its block and a half). */
const ARENA_BUFFER_BYTES = 16 * 2 ** 20;

/** This thread's reusable block and unit arrays, and the memory its partial reads go to (see buffer-pool.ts). */
const pool = new ArrayPool();
const arena = new ByteArena(ARENA_BUFFER_BYTES);
const slots = new ByteSlots();
const taskMemory: PartMemory = { keep: (bytes) => arena.take(bytes), scratch: (slot, bytes) => slots.take(slot, bytes) };
const fromPool = (slot: PoolSlot) => (like: NumericArray, length: number) => pool.take(slot, like, length);

const regionBytes = (region: Region, itemSize: number): number => product(region.stop.map((s, axis) => s - region.start[axis]!)) * itemSize;

/**
 * Read a task's region as pieces (see pieces.ts), into the arena from where it stands: pieces
 * that stack into the block are kept one after the other, to be used as one.
 */
async function readPieces(source: BlockSource, payload: BlockRequest, ctx: WorkerContext): Promise<Pieces> {
  const { region, shape } = payload;
  arena.reserve(regionBytes(region, payload.itemSize));
  if (source.kind === "scratch") {
    return readScratchPieces({ directory: source.directory, shape, chunks: source.chunks, groups: source.groups, ctor: elementCtor(source.elementType) }, region, taskMemory);
  }
  const dataset = await ctx.dataset(source.location);
  return readDatasetPieces({ dataset, array: source.array, chunks: source.chunks, memory: taskMemory }, shape, payload.itemSize, region);
}

function scratchValues(values: ArrayValues): NumericArray {
  if (!isNumeric(values)) {
    throw new ChunkwiseError("UnsupportedError", "a two-stage rechunk of string or object data is not supported: raise --max-mem so that one stage fits");
  }
  return values;
}

const fullCollection: () => void = (() => {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
})();

let liveAfterCollection = 0;

/**
 * A full collection between tasks, when this thread's array buffers have grown by more than
 * `allowanceBytes` since the last one. V8 frees ArrayBuffers only when it collects, and it counts
 * their memory loosely: left alone, each thread keeps several dead blocks around and the process
 * outgrows --max-mem by hundreds of MiB. Tasks whose memory is the thread's reused arena and
 * pools leave little garbage, and a full collection after each (~10 ms) was 3 % of a rechunk.
 */
function collectGarbage(allowanceBytes = 0): void {
  if (process.memoryUsage().arrayBuffers <= liveAfterCollection + allowanceBytes) return;
  fullCollection();
  liveAfterCollection = process.memoryUsage().arrayBuffers;
}

let unitsWrittenByThread = 0;
const journals = new Map<string, Promise<Journal>>();

function journalFor(stateDir: string): Promise<Journal> {
  let journal = journals.get(stateDir);
  if (journal === undefined) {
    // One file per thread and process: appends never interleave. The random part keeps names
    // apart across machines sharing DST (partitions): containers often share pids.
    journal = Journal.openForAppend(stateDir, `w${process.pid}-${threadId}-${randomBytes(4).toString("hex")}`);
    journals.set(stateDir, journal);
  }
  return journal;
}

const writers = new Map<string, Promise<DatasetWriter>>();

function writerFor(location: string): Promise<DatasetWriter> {
  let writer = writers.get(location);
  if (writer === undefined) {
    writer = attachWriter(location);
    writer.catch(() => writers.delete(location));
    writers.set(location, writer);
  }
  return writer;
}

/** `length` elements of `like`'s type over `memory` (8-byte aligned arena bytes). */
function unitView(like: NumericArray, memory: Uint8Array, length: number): NumericArray {
  const Values = like.constructor as new (buffer: ArrayBufferLike, byteOffset: number, length: number) => NumericArray;
  return new Values(memory.buffer, memory.byteOffset, length);
}

export const copyBlock = defineWorkerOp<CopyBlockPayload>(async (payload, _inputs, ctx): Promise<TaskValue<CopyBlockResult>> => {
  // The previous task's pieces are gone: its memory is this task's, sized once for the job's
  // largest block with the unit buffer after it, in the same memory (see copyRegion).
  arena.reset();
  arena.reserve(Math.max(payload.arenaBytes ?? 0, regionBytes(payload.region, payload.itemSize)) + (payload.unitBytes ?? 0));
  setDurableWrites(payload.durable);
  const pieces = await ctx.phase("read", () => readPieces(payload.source, payload, ctx));
  const { target, region, shape, units } = payload;
  const blockShape = region.stop.map((s, axis) => s - region.start[axis]!);
  const bytes = product(blockShape) * payload.itemSize;
  const like = pieces.list[0]!.values;
  // One unit buffer for the task, in the arena after the pieces: units are cut with copyWithin.
  const unitMemory = isNumeric(like) ? arena.take(product(units) * payload.itemSize) : null;
  let count = 0;
  await ctx.phase("write", async () => {
    const writer = target.kind === "output" ? await writerFor(target.location) : null;
    // Zarr chunk files only: HDF5 chunks are staged for the main thread to read back.
    const zarrOutput = writer !== null && writer.format !== "hdf5";
    setDirectWrites((payload.directIo ?? false) && zarrOutput);
    setWriteBehind((payload.writeBehind ?? false) && zarrOutput);
    const group = target.kind === "scratch" ? ScratchGroupWriter.open(target.directory, region) : null;
    try {
      for (const unit of cellsIn(region, units, shape)) {
        // The unit buffer is reused: each unit is written (and awaited) before the next is filled.
        const unitShape = unit.stop.map((s, axis) => s - unit.start[axis]!);
        const values = unitMemory !== null ? unitView(like as NumericArray, unitMemory, product(unitShape)) : allocateLike(like, product(unitShape));
        pieces.fill({ origin: unit.start, shape: unitShape, values });
        if (writer !== null && target.kind === "output") await writer.writeUnit(target.array, unit.coords, { shape: unitShape, values });
        else group?.append(scratchValues(values));
        count++;
        unitsWrittenByThread++;
        if (payload.killAfterUnits !== undefined && unitsWrittenByThread >= payload.killAfterUnits) process.kill(process.pid, "SIGKILL");
      }
      // Output files written with O_DIRECT may still be on their way: the journal line must not name them before.
      await settleDirectWrites();
      handOverWrittenFiles();
      group?.commit();
    } catch (err) {
      group?.abort();
      await settleDirectWrites().catch(() => undefined);
      throw err;
    }
    if (payload.journal !== null) {
      const { stateDir, array, stage, task } = payload.journal;
      (await journalFor(stateDir)).append({ type: "task", array, stage, task, units: count, bytes });
    }
  });
  // Garbage up to a quarter of the block may wait for V8 (see collectGarbage).
  collectGarbage(bytes / 4);
  return { meta: { units: count, bytes, shape: blockShape }, buffers: [] };
});

export interface VerifyPayload {
  readonly source: string;
  readonly output: string;
  readonly array: string;
  readonly shape: readonly number[];
  readonly itemSize: number;
  /** The source's chunks (null: contiguous): the source side is read chunk by chunk. */
  readonly sourceChunks: readonly number[] | null;
  /** The output's chunks: each checked unit is one output chunk. */
  readonly units: readonly number[];
  /** Unit grid coordinates to check. */
  readonly unitCoords: readonly (readonly number[])[];
}

export interface VerifyResult {
  readonly checked: number;
  readonly mismatch: { readonly unit: readonly number[]; readonly index: readonly number[] } | null;
}

export const verifyUnits = defineWorkerOp<VerifyPayload>(async (payload, _inputs, ctx): Promise<TaskValue<VerifyResult>> => {
  const dst = await ctx.dataset(payload.output);
  const source: BlockSource = { kind: "dataset", location: payload.source, array: payload.array, chunks: payload.sourceChunks };
  let checked = 0;
  for (const coords of payload.unitCoords) {
    // The previous unit's pieces were assembled into the pool's block: their memory is free again.
    arena.reset();
    const start = coords.map((c, axis) => c * payload.units[axis]!);
    const stop = start.map((s, axis) => Math.min(payload.shape[axis]!, s + payload.units[axis]!));
    const expected = await ctx.phase("read", async () => (await readPieces(source, { shape: payload.shape, itemSize: payload.itemSize, region: { start, stop } }, ctx)).assemble(fromPool("block")));
    const actual = await ctx.phase("read", () => dst.readChunk(payload.array, coords));
    const at = firstDifference(expected.values, actual.values);
    checked++;
    collectGarbage();
    if (at >= 0) {
      const extent = stop.map((s, axis) => s - start[axis]!);
      const index = new Array<number>(extent.length);
      let rest = at;
      for (let axis = extent.length - 1; axis >= 0; axis--) {
        index[axis] = start[axis]! + (rest % extent[axis]!);
        rest = Math.floor(rest / extent[axis]!);
      }
      return { meta: { checked, mismatch: { unit: [...coords], index } }, buffers: [] };
    }
  }
  return { meta: { checked, mismatch: null }, buffers: [] };
});

/** Per output chunk (by linear index in the chunk grid): the checksum of its elements seen by a task. */
export type ChecksumEntries = readonly (readonly [number, number, number])[];

export interface ChecksumSourcePayload {
  readonly location: string;
  readonly array: string;
  readonly shape: readonly number[];
  readonly itemSize: number;
  /** Source chunk grid; null for contiguous data, read region by region (`regions`). */
  readonly sourceChunks: readonly number[] | null;
  /** Source chunks to read (chunked source). */
  readonly chunkCoords: readonly (readonly number[])[];
  /** Regions to read (contiguous source). */
  readonly regions: readonly Region[];
  /** The output chunk grid the checksums are kept by. */
  readonly units: readonly number[];
  /** Linear indexes of the output chunks to checksum, sorted; null for all. */
  readonly selected: readonly number[] | null;
}

function entriesOf(sums: Map<number, Checksum>): ChecksumEntries {
  return [...sums].map(([unit, sum]) => [unit, sum.a, sum.b] as const);
}

function addPiece(sums: Map<number, Checksum>, piece: Block, at: Region, payload: { shape: readonly number[]; units: readonly number[] }, wanted: ((unit: number) => boolean) | null): void {
  if (!isNumeric(piece.values)) throw new ChunkwiseError("UnsupportedError", "checksums need numeric data");
  const grid = payload.shape.map((n, axis) => Math.ceil(n / payload.units[axis]!));
  for (const cell of cellsIn(at, payload.units, payload.shape)) {
    const unit = ravel(cell.coords, grid);
    if (wanted !== null && !wanted(unit)) continue;
    let sum = sums.get(unit);
    if (sum === undefined) sums.set(unit, (sum = emptyChecksum()));
    const overlap: Region = {
      start: cell.start.map((s, axis) => Math.max(s, at.start[axis]!)),
      stop: cell.stop.map((s, axis) => Math.min(s, at.stop[axis]!)),
    };
    addRegionChecksum(sum, piece.values, at.start, piece.shape, overlap, payload.shape);
  }
}

/** Checksums of output-chunk pieces from source chunks, each source chunk read once. */
export const checksumSource = defineWorkerOp<ChecksumSourcePayload>(async (payload, _inputs, ctx): Promise<TaskValue<ChecksumEntries>> => {
  const dataset = await ctx.dataset(payload.location);
  const selected = payload.selected === null ? null : new Set(payload.selected);
  const wanted = selected === null ? null : (unit: number) => selected.has(unit);
  const sums = new Map<number, Checksum>();
  if (payload.sourceChunks !== null) {
    for (const coords of payload.chunkCoords) {
      const piece = await ctx.phase("read", () => dataset.readChunk(payload.array, coords));
      const start = coords.map((c, axis) => c * payload.sourceChunks![axis]!);
      const stop = start.map((s, axis) => Math.min(payload.shape[axis]!, s + payload.sourceChunks![axis]!));
      await ctx.phase("compute", () => addPiece(sums, piece, { start, stop }, payload, wanted));
    }
  } else {
    for (const region of payload.regions) {
      const piece = await ctx.phase("read", () => dataset.readRegion(payload.array, region.start, region.stop));
      await ctx.phase("compute", () => addPiece(sums, piece, region, payload, wanted));
    }
  }
  collectGarbage();
  return { meta: entriesOf(sums), buffers: [] };
});

export interface ChecksumOutputPayload {
  readonly location: string;
  readonly array: string;
  readonly shape: readonly number[];
  readonly units: readonly number[];
  readonly unitCoords: readonly (readonly number[])[];
}

/** Checksums of whole output chunks. */
export const checksumOutput = defineWorkerOp<ChecksumOutputPayload>(async (payload, _inputs, ctx): Promise<TaskValue<ChecksumEntries>> => {
  const dataset = await ctx.dataset(payload.location);
  const sums = new Map<number, Checksum>();
  for (const coords of payload.unitCoords) {
    const piece = await ctx.phase("read", () => dataset.readChunk(payload.array, coords));
    const start = coords.map((c, axis) => c * payload.units[axis]!);
    const stop = start.map((s, axis) => Math.min(payload.shape[axis]!, s + payload.units[axis]!));
    await ctx.phase("compute", () => addPiece(sums, piece, { start, stop }, payload, null));
  }
  collectGarbage();
  return { meta: entriesOf(sums), buffers: [] };
});
