/**
 * The scheduler's memory manager, modelled on a Dask worker's: results held in the main thread
 * are counted by their buffers' byteLength (never by walking objects); above the target fraction
 * of the limit the least recently used results are spilled to disk and read back when needed;
 * above the pause fraction no new task is admitted until memory falls. Tasks in flight reserve
 * their inputs and expected result, so memory stays under the pause threshold plus at most one
 * task (the one admitted when nothing else runs, or whose result outgrew its estimate).
 */
import type { MemoryPolicy, MemorySample, SpillStats, TaskValue } from "./types.js";
import { type SpillHandle, SpillStore } from "./spill-store.js";

interface Held {
  readonly id: string;
  readonly meta: unknown;
  buffers: ArrayBuffer[] | null;
  readonly bytes: number;
  spilled: SpillHandle | null;
  /** A spill or read-back of this result under way. */
  moving: Promise<void> | null;
  lastUse: number;
  consumersLeft: number;
  readonly keep: boolean;
}

const byteSize = (buffers: readonly ArrayBuffer[]): number => buffers.reduce((n, b) => n + b.byteLength, 0);

export class MemoryManager {
  private readonly held = new Map<string, Held>();
  private readonly store: SpillStore;
  private useCounter = 0;
  private spilling: Promise<void> | null = null;
  private pausedSince: number | null = null;
  private rss = 0;
  private rssAt = -Infinity;

  managed = 0;
  inFlight = 0;
  spilledNow = 0;
  readonly samples: MemorySample[] = [];
  private stats = { spilledBytes: 0, readBackBytes: 0, spillSeconds: 0, readBackSeconds: 0, spillEvents: 0, pauses: 0, pausedSeconds: 0 };
  /** Called for every spill and read-back of a result (seconds since the run started), so the run can draw it. */
  onSpill: ((id: string, kind: "spill" | "unspill", start: number, end: number) => void) | null = null;

  constructor(
    readonly policy: MemoryPolicy,
    private readonly clock: () => number,
  ) {
    this.store = new SpillStore(policy.spillDirectory);
  }

  get targetBytes(): number {
    return this.policy.limitBytes * this.policy.targetFraction;
  }

  get pauseBytes(): number {
    return this.policy.limitBytes * this.policy.pauseFraction;
  }

  /** Record the memory state now. RSS is re-read at most every 10 ms: reading it is a system call that costs more than a task's bookkeeping. */
  sample(): void {
    const t = this.clock();
    if (t - this.rssAt >= 0.01) {
      this.rss = process.memoryUsage.rss();
      this.rssAt = t;
    }
    this.samples.push({ t, managed: this.managed, inFlight: this.inFlight, spilled: this.spilledNow, rss: this.rss });
  }

  /** Hold a task's result for `consumers` later tasks (and until the run ends when `keep`). */
  put(id: string, value: TaskValue, consumers: number, keep: boolean): void {
    const buffers = [...value.buffers];
    const held: Held = { id, meta: value.meta, buffers, bytes: byteSize(buffers), spilled: null, moving: null, lastUse: this.useCounter++, consumersLeft: consumers, keep };
    if (consumers === 0 && !keep) return;
    this.held.set(id, held);
    this.managed += held.bytes;
  }

  /**
   * A result for one of its consumers: the buffers themselves when this is the last consumer of
   * a result that is not kept (they leave managed memory and travel on), else a copy.
   */
  async take(id: string): Promise<TaskValue> {
    const held = this.held.get(id);
    if (held === undefined) throw new Error(`internal: result of task "${id}" is not held`);
    held.consumersLeft--;
    held.lastUse = this.useCounter++;
    const buffers = await this.loaded(held);
    if (held.consumersLeft <= 0 && !held.keep) {
      this.held.delete(id);
      this.managed -= held.bytes;
      held.buffers = null;
      return { meta: held.meta, buffers };
    }
    return { meta: held.meta, buffers: buffers.map((b) => b.slice(0)) };
  }

  /** A kept result, read back from disk if it was spilled. */
  async get(id: string): Promise<TaskValue | undefined> {
    const held = this.held.get(id);
    if (held === undefined) return undefined;
    held.lastUse = this.useCounter++;
    const value = { meta: held.meta, buffers: await this.loaded(held) };
    // Reading results back must not grow held memory past the target either.
    await this.spillIfNeeded();
    return value;
  }

  ids(): string[] {
    return [...this.held.keys()];
  }

  private async loaded(held: Held): Promise<ArrayBuffer[]> {
    while (held.moving) await held.moving;
    if (held.buffers) return held.buffers;
    const handle = held.spilled!;
    const start = this.clock();
    const reading = this.store.read(handle).then((buffers) => {
      held.buffers = buffers;
      held.spilled = null;
      this.spilledNow -= held.bytes;
      this.managed += held.bytes;
      this.stats.readBackBytes += held.bytes;
      const end = this.clock();
      this.stats.readBackSeconds += end - start;
      this.onSpill?.(held.id, "unspill", start, end);
    });
    held.moving = reading.finally(() => (held.moving = null));
    await held.moving;
    this.sample();
    return held.buffers!;
  }

  reserve(bytes: number): void {
    this.inFlight += bytes;
  }

  release(bytes: number): void {
    this.inFlight -= bytes;
  }

  /**
   * May a task that reserves `bytes` start now? Always when nothing runs or spills (progress); otherwise
   * only while held plus reserved memory stays under the pause threshold. Records pauses.
   */
  admit(bytes: number, running: number): boolean {
    const progress = running === 0 && this.spilling === null;
    const ok = progress || !Number.isFinite(this.policy.limitBytes) || this.managed + this.inFlight + bytes <= this.pauseBytes;
    const t = this.clock();
    if (!ok && this.pausedSince === null) {
      this.pausedSince = t;
      this.stats.pauses++;
    } else if (ok && this.pausedSince !== null) {
      this.stats.pausedSeconds += t - this.pausedSince;
      this.pausedSince = null;
    }
    return ok;
  }

  /** Spill least recently used results until held memory is at or under the target; one spill pass at a time. */
  spillIfNeeded(): Promise<void> {
    if (this.spilling || this.managed <= this.targetBytes) return this.spilling ?? Promise.resolve();
    this.spilling = this.spillLoop().finally(() => (this.spilling = null));
    return this.spilling;
  }

  private async spillLoop(): Promise<void> {
    while (this.managed > this.targetBytes) {
      let victim: Held | null = null;
      for (const held of this.held.values()) {
        if (held.buffers && !held.moving && held.bytes > 0 && (victim === null || held.lastUse < victim.lastUse)) victim = held;
      }
      if (victim === null) return;
      const chosen = victim;
      const buffers = chosen.buffers!;
      const start = this.clock();
      chosen.moving = this.store
        .write(buffers)
        .then((handle) => {
          chosen.spilled = handle;
          chosen.buffers = null;
          this.managed -= chosen.bytes;
          this.spilledNow += chosen.bytes;
          const end = this.clock();
          this.stats.spilledBytes += chosen.bytes;
          this.stats.spillSeconds += end - start;
          this.stats.spillEvents++;
          this.onSpill?.(chosen.id, "spill", start, end);
        })
        .finally(() => (chosen.moving = null));
      await chosen.moving;
      this.sample();
    }
  }

  spillStats(): SpillStats {
    const pausedSeconds = this.stats.pausedSeconds + (this.pausedSince === null ? 0 : this.clock() - this.pausedSince);
    return { ...this.stats, pausedSeconds };
  }

  /** Drop everything held and delete the spill directory. */
  async dispose(): Promise<void> {
    if (this.spilling) await this.spilling.catch(() => undefined);
    this.held.clear();
    this.managed = 0;
    this.spilledNow = 0;
    await this.store.dispose();
  }
}
