import os from "node:os";
import { performance } from "node:perf_hooks";
import type { Piscina } from "piscina";
import { ChunkwiseError } from "../errors.js";
import { type GraphIndex, indexGraph } from "./graph.js";
import { MemoryManager } from "./memory.js";
import { adoptOrStartPool } from "./pool.js";
import type { MemoryPolicy, MemorySample, PhaseSpan, SpillSpan, SpillStats, TaskRecord, TaskSpec, TaskValue, WireReply, WireTask } from "./types.js";

export interface SchedulerOptions {
  /** Worker threads (default: the usable cores). */
  readonly threads?: number;
  /** Tasks handed to the pool at once (default: 2 × threads, so a worker never waits for the next task). */
  readonly maxInFlight?: number;
  /** Modules each thread imports as it starts (task modules), so the first tasks do not wait for them. */
  readonly preload?: readonly string[];
  /** Destroy the pool and fail the running graph on SIGINT/SIGTERM (default true). */
  readonly handleSignals?: boolean;
}

export interface RunOptions {
  /** Memory policy for this run; default: no limit (nothing spills, nothing pauses). */
  readonly memory?: Partial<MemoryPolicy>;
  /** Called after every finished task. */
  readonly onProgress?: (progress: RunProgress) => void;
}

export interface RunProgress {
  readonly done: number;
  readonly total: number;
  readonly managed: number;
  readonly spilled: number;
}

/** What a finished run leaves: every task's record, the memory timeline and the kept results. */
export interface RunResult {
  /** Epoch milliseconds when the run started; every time below is seconds after it. */
  readonly startedAt: number;
  readonly wallSeconds: number;
  readonly threads: number;
  readonly policy: MemoryPolicy;
  /** In completion order. */
  readonly tasks: readonly TaskRecord[];
  /** Spills and read-backs of held results, as spans on the main thread. */
  readonly spills: readonly SpillSpan[];
  readonly memory: readonly MemorySample[];
  readonly spill: SpillStats;
  /** Ids of the kept results (tasks marked keep, and tasks nothing depends on). */
  readonly keptIds: readonly string[];
  /** A kept result (read back from disk if it was spilled; counted in spill.readBackBytes). */
  result<M = unknown>(id: string): Promise<TaskValue<M>>;
  /** Free the kept results and delete spill files. */
  dispose(): Promise<void>;
}

const epochMs = (): number => performance.timeOrigin + performance.now();

const DEFAULT_POLICY: MemoryPolicy = { limitBytes: Infinity, targetFraction: 0.6, pauseFraction: 0.8, spillDirectory: os.tmpdir() };

/**
 * A pool of worker threads and the central scheduler that runs task graphs on it. Create one,
 * run any number of graphs (one at a time), close it. See index.ts for the model.
 */
export class Scheduler {
  readonly threads: number;
  private readonly pool: Piscina;
  private readonly maxInFlight: number;
  private closed = false;
  private closing: Promise<void> | null = null;
  private interruption: ChunkwiseError | null = null;
  private readonly wakers = new Set<() => void>();
  private readonly signalHandler: ((signal: NodeJS.Signals) => void) | null;
  private readonly openResults = new Set<RunResult>();

  constructor(options: SchedulerOptions = {}) {
    this.threads = Math.max(1, Math.floor(options.threads ?? os.availableParallelism()));
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 2 * this.threads);
    this.pool = adoptOrStartPool(this.threads, options.preload ?? []);
    if (options.handleSignals ?? true) {
      let count = 0;
      this.signalHandler = (signal) => {
        if (++count > 1) process.exit(130);
        void this.interrupt(signal);
      };
      process.on("SIGINT", this.signalHandler);
      process.on("SIGTERM", this.signalHandler);
    } else {
      this.signalHandler = null;
    }
  }

  /** Stop: fail the running graph with InterruptedError (exit 130) and destroy the threads. */
  async interrupt(signal: string = "SIGINT"): Promise<void> {
    this.interruption ??= new ChunkwiseError("InterruptedError", `interrupted (${signal})`);
    for (const wake of this.wakers) wake();
    await this.close();
  }

  /** Destroy the worker threads and delete every spill file; idempotent (every call waits for the same shutdown). */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    if (this.signalHandler) {
      process.off("SIGINT", this.signalHandler);
      process.off("SIGTERM", this.signalHandler);
    }
    await this.pool.destroy();
    await Promise.all([...this.openResults].map((r) => r.dispose()));
  }

  /** Live worker threads (0 once closed). */
  get liveThreads(): number {
    return this.closed ? 0 : this.pool.threads.length;
  }

  /**
   * Run a task graph to completion. Rejects with the first task failure (its label in the
   * message) after the tasks already running have settled; with InterruptedError on a signal.
   */
  async run(tasks: readonly TaskSpec[], options: RunOptions = {}): Promise<RunResult> {
    if (this.interruption) throw this.interruption;
    if (this.closed) throw new Error("scheduler is closed");
    const graph = indexGraph(tasks);
    const policy: MemoryPolicy = { ...DEFAULT_POLICY, ...options.memory };
    const execution = new Execution(this.pool, this.threads, graph, policy, this.maxInFlight, options.onProgress, () => this.interruption);
    this.wakers.add(execution.wake);
    try {
      const result = await execution.execute(() => this.openResults.delete(result));
      this.openResults.add(result);
      return result;
    } finally {
      this.wakers.delete(execution.wake);
    }
  }
}

/** One graph's run: ready queue by depth, memory admission, dispatch, bookkeeping. */
class Execution {
  private readonly t0 = epochMs();
  private readonly clock = (): number => (epochMs() - this.t0) / 1000;
  private readonly memory: MemoryManager;
  private readonly waiting = new Map<string, number>();
  /** Ready tasks bucketed by depth: deeper (combine) tasks go first, as Dask orders them. */
  private readonly ready: string[][] = [];
  private readonly readyHead: number[] = [];
  private readyCount = 0;
  private running = 0;
  private done = 0;
  private failure: unknown = null;
  private readonly records: TaskRecord[] = [];
  private readonly spills: SpillSpan[] = [];
  private readonly largestResult = new Map<string, number>();
  private readonly unknownInFlight = new Set<string>();
  private wakeUp: (() => void) | null = null;

  constructor(
    private readonly pool: Piscina,
    private readonly threads: number,
    private readonly graph: GraphIndex,
    private readonly policy: MemoryPolicy,
    private readonly maxInFlight: number,
    private readonly onProgress: ((p: RunProgress) => void) | undefined,
    private readonly interrupted: () => ChunkwiseError | null,
  ) {
    this.memory = new MemoryManager(policy, this.clock);
    this.memory.onSpill = (id, kind, start, end) => {
      this.spills.push({ id, kind, start, end });
      this.wake();
    };
  }

  readonly wake = (): void => {
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  };

  private push(id: string): void {
    const depth = this.graph.depth.get(id)!;
    while (this.ready.length <= depth) {
      this.ready.push([]);
      this.readyHead.push(0);
    }
    this.ready[depth]!.push(id);
    this.readyCount++;
  }

  private peek(): string | undefined {
    for (let d = this.ready.length - 1; d >= 0; d--) {
      const queue = this.ready[d]!;
      if (this.readyHead[d]! < queue.length) return queue[this.readyHead[d]!];
    }
    return undefined;
  }

  private shift(): void {
    for (let d = this.ready.length - 1; d >= 0; d--) {
      if (this.readyHead[d]! < this.ready[d]!.length) {
        this.readyHead[d]!++;
        this.readyCount--;
        return;
      }
    }
  }

  /** Bytes a task is expected to hold; null while unknown (no estimate given, no result of its op seen yet). */
  private expectedBytes(spec: TaskSpec): number | null {
    return spec.memoryBytes ?? this.largestResult.get(opKey(spec)) ?? null;
  }

  async execute(onDispose: () => void): Promise<RunResult> {
    const total = this.graph.order.length;
    for (const id of this.graph.order) {
      const n = new Set(this.graph.specs.get(id)!.deps ?? []).size;
      this.waiting.set(id, n);
      if (n === 0) this.push(id);
    }
    this.memory.sample();
    try {
      while (this.done < total) {
        const interruption = this.interrupted();
        if (interruption) throw interruption;
        if (this.failure) break;
        this.dispatch();
        if (this.running === 0 && this.readyCount === 0 && this.done < total) {
          throw new Error("internal: task graph stalled");
        }
        await new Promise<void>((resolve) => (this.wakeUp = resolve));
      }
      // Let the tasks already running settle so no worker is left busy with a dead run.
      while (this.running > 0 && !this.interrupted()) await new Promise<void>((resolve) => (this.wakeUp = resolve));
      const interruption = this.interrupted();
      if (interruption) throw interruption;
      if (this.failure) throw this.failure;
    } catch (err) {
      await this.memory.dispose();
      throw err;
    }
    this.memory.sample();
    const memory = this.memory;
    const keptIds = memory.ids();
    return {
      startedAt: this.t0,
      wallSeconds: this.clock(),
      threads: this.threads,
      policy: this.policy,
      tasks: this.records,
      spills: this.spills,
      memory: memory.samples,
      get spill() {
        return memory.spillStats();
      },
      keptIds,
      result: async <M>(id: string) => {
        const value = await memory.get(id);
        if (value === undefined) throw new Error(`no kept result for task "${id}"`);
        return value as TaskValue<M>;
      },
      dispose: () => {
        onDispose();
        return memory.dispose();
      },
    };
  }

  private dispatch(): void {
    while (this.readyCount > 0 && this.running < this.maxInFlight && !this.failure) {
      const id = this.peek()!;
      const spec = this.graph.specs.get(id)!;
      const expected = this.expectedBytes(spec);
      const key = opKey(spec);
      // With memory limited, only one task of an op whose result size is unknown runs at a time,
      // so an estimate exists before more are admitted.
      if (expected === null && Number.isFinite(this.policy.limitBytes) && this.unknownInFlight.has(key)) break;
      const reserve = (expected ?? 0) + (spec.inputs ? spec.inputs.reduce((n, v) => n + v.buffers.reduce((m, b) => m + b.byteLength, 0), 0) : 0);
      if (!this.memory.admit(reserve, this.running)) break;
      this.shift();
      this.running++;
      if (expected === null) this.unknownInFlight.add(key);
      this.memory.reserve(reserve);
      this.start(spec, reserve).then(
        () => this.finish(),
        (err: unknown) => {
          this.failure ??= err;
          this.finish();
        },
      ).finally(() => {
        if (expected === null) this.unknownInFlight.delete(key);
      });
    }
  }

  private finish(): void {
    this.running--;
    this.done++;
    this.onProgress?.({ done: this.done, total: this.graph.order.length, managed: this.memory.managed, spilled: this.memory.spilledNow });
    this.memory.spillIfNeeded().then(this.wake, (err: unknown) => {
      this.failure ??= err;
      this.wake();
    });
    this.wake();
  }

  private async start(spec: TaskSpec, reserved: number): Promise<void> {
    const label = spec.label ?? spec.id;
    let reservation = reserved;
    try {
      const inputs: TaskValue[] = [...(spec.inputs ?? [])];
      for (const dep of spec.deps ?? []) {
        const value = await this.memory.take(dep);
        const bytes = value.buffers.reduce((n, b) => n + b.byteLength, 0);
        this.memory.reserve(bytes);
        reservation += bytes;
        inputs.push(value);
      }
      const inputBytes = inputs.reduce((n, v) => n + v.buffers.reduce((m, b) => m + b.byteLength, 0), 0);
      const wire: WireTask = { payload: spec.payload, inputs };
      const transferList = inputs.flatMap((v) => v.buffers) as ArrayBuffer[];
      const submittedMs = epochMs();
      this.memory.sample();
      let reply: WireReply;
      try {
        reply = (await this.pool.run(wire, { name: spec.op, filename: spec.module ?? null, transferList })) as WireReply;
      } catch (err) {
        throw new Error(`task ${label} failed: ${(err as Error).message}`, { cause: err });
      }
      const receivedMs = epochMs();
      if (!reply.ok) throw taskError(label, reply.error);
      const resultBytes = reply.value.buffers.reduce((n, b) => n + b.byteLength, 0);
      const key = opKey(spec);
      this.largestResult.set(key, Math.max(resultBytes, this.largestResult.get(key) ?? 0));
      const rel = (ms: number): number => (ms - this.t0) / 1000;
      const phases: PhaseSpan[] = [
        { phase: "queued", start: rel(submittedMs), end: rel(Math.max(submittedMs, reply.started)) },
        ...reply.phases.map((p) => ({ phase: p.phase, start: rel(p.start), end: rel(p.end) })),
        { phase: "return", start: rel(reply.ended), end: rel(Math.max(reply.ended, receivedMs)) },
      ];
      this.records.push({
        id: spec.id,
        op: spec.op,
        label,
        thread: reply.thread,
        submitted: rel(submittedMs),
        started: rel(reply.started),
        ended: rel(reply.ended),
        received: rel(receivedMs),
        phases,
        inputBytes,
        resultBytes,
      });
      const dependents = this.graph.dependents.get(spec.id)!;
      this.memory.release(reservation);
      reservation = 0;
      this.memory.put(spec.id, reply.value, dependents.length, spec.keep === true || dependents.length === 0);
      this.memory.sample();
      for (const next of new Set(dependents)) {
        const left = this.waiting.get(next)! - 1;
        this.waiting.set(next, left);
        if (left === 0) this.push(next);
      }
    } finally {
      this.memory.release(reservation);
    }
  }
}

const opKey = (spec: TaskSpec): string => `${spec.module ?? ""}#${spec.op}`;

function taskError(label: string, error: Extract<WireReply, { ok: false }>["error"]): Error {
  if (error.tag !== null) {
    const known = new ChunkwiseError(error.tag as never, `${label}: ${error.message}`, error.path ? { path: error.path } : {});
    if (known.exitCode !== undefined) return known;
  }
  const err = new Error(`task ${label} failed: ${error.message}`);
  if (error.stack) err.stack = `${err.message}\n    in worker: ${error.stack}`;
  return err;
}
