/**
 * The journal of a rechunk: what is done, kept next to the output so that a killed run can be
 * resumed. It lives in the output's state directory:
 *
 *   job.json            the job (source, output format, every array's spec and plan), written
 *                       once, atomically (temp file, fsync, rename), before any data
 *   journal/<writer>.jsonl
 *                       append-only lines, one per completed task (array, stage, task index,
 *                       units written, bytes), fsync'd with --durable; one file per writing
 *                       process ("main" for a whole run), so several processes never append to
 *                       the same file
 *
 * A task's line is appended only after all of its units are written, so a task that has no line
 * is simply redone (writes are whole-unit and idempotent). A kill -9 can tear the last line of
 * a file: a last line without its newline or that does not parse is ignored and cut off before
 * the next append. A bad line anywhere else means the journal was damaged: refused.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { mkdir, open, readFile, readdir, rename, truncate, writeFile } from "node:fs/promises";
import path from "node:path";
import { ChunkwiseError, fromSystemError } from "../errors.js";
import { syncIfDurable } from "../formats/write/durability.js";

/** 2: intermediate chunks stored in one file per stage-1 task (scratch.ts), not one per chunk. */
export const JOURNAL_VERSION = 2;

export type JournalEntry =
  | { readonly type: "task"; readonly array: string; readonly stage: number; readonly task: number; readonly units: number; readonly bytes: number }
  | { readonly type: "finalized" };

export interface JournalState {
  /** "array\u0000stage" → set of completed task indexes. */
  readonly done: ReadonlyMap<string, ReadonlySet<number>>;
  readonly finalized: boolean;
  /** Bytes recorded as written, over all tasks of the last stage of every array. */
  readonly entries: number;
}

const stageKey = (array: string, stage: number): string => `${array}\u0000${stage}`;

export function isTaskDone(state: JournalState, array: string, stage: number, task: number): boolean {
  return state.done.get(stageKey(array, stage))?.has(task) ?? false;
}

export function doneCount(state: JournalState, array: string, stage: number): number {
  return state.done.get(stageKey(array, stage))?.size ?? 0;
}

/** Parse one journal file's text. Returns the entries and the byte length of the valid prefix. */
export function parseJournalText(text: string, file: string): { entries: JournalEntry[]; validLength: number } {
  const entries: JournalEntry[] = [];
  let offset = 0;
  while (offset < text.length) {
    const newline = text.indexOf("\n", offset);
    const line = newline === -1 ? text.slice(offset) : text.slice(offset, newline);
    const isLast = newline === -1 || newline === text.length - 1;
    let entry: JournalEntry | null = null;
    if (newline !== -1) {
      try {
        entry = validateEntry(JSON.parse(line));
      } catch {
        entry = null;
      }
    }
    if (entry === null) {
      if (isLast) break; // a torn last line: the write it records did not complete
      throw new ChunkwiseError("MetadataError", `journal line ${entries.length + 1} is damaged; remove the output and start again, or fix the line`, { path: file });
    }
    entries.push(entry);
    offset = newline + 1;
  }
  return { entries, validLength: Buffer.byteLength(text.slice(0, offset)) };
}

function validateEntry(raw: unknown): JournalEntry | null {
  if (typeof raw !== "object" || raw === null) return null;
  const r = raw as Record<string, unknown>;
  if (r.type === "finalized") return { type: "finalized" };
  if (
    r.type === "task" &&
    typeof r.array === "string" &&
    Number.isInteger(r.stage) &&
    Number.isInteger(r.task) &&
    Number.isInteger(r.units) &&
    typeof r.bytes === "number"
  ) {
    return { type: "task", array: r.array, stage: r.stage as number, task: r.task as number, units: r.units as number, bytes: r.bytes };
  }
  return null;
}

export class Journal {
  private fd: number | null = null;

  private constructor(
    readonly directory: string,
    readonly writerName: string,
  ) {}

  static jobFile(stateDir: string): string {
    return path.join(stateDir, "job.json");
  }

  /** Write the job description once, atomically. */
  static async writeJob(stateDir: string, job: unknown): Promise<void> {
    const target = Journal.jobFile(stateDir);
    const temp = `${target}.tmp`;
    try {
      await mkdir(path.join(stateDir, "journal"), { recursive: true });
      const handle = await open(temp, "w");
      try {
        await handle.writeFile(`${JSON.stringify({ journal_version: JOURNAL_VERSION, ...(job as object) }, null, 1)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, target);
      const dir = await open(stateDir, "r");
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    } catch (err) {
      throw fromSystemError(err, target);
    }
  }

  /** The job written by an earlier run, or null when there is none. */
  static async readJob(stateDir: string): Promise<Record<string, unknown> | null> {
    const file = Journal.jobFile(stateDir);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw fromSystemError(err, file);
    }
    try {
      const job = JSON.parse(text) as Record<string, unknown>;
      if (job.journal_version !== JOURNAL_VERSION) {
        throw new ChunkwiseError("UnsupportedError", `journal version ${String(job.journal_version)} is not ${JOURNAL_VERSION}`, { path: file });
      }
      return job;
    } catch (err) {
      if (err instanceof SyntaxError) throw new ChunkwiseError("MetadataError", "the rechunk job file is damaged", { path: file });
      throw err;
    }
  }

  /** Read every writer's journal file in the state directory. */
  static async readState(stateDir: string): Promise<JournalState> {
    const dir = path.join(stateDir, "journal");
    const names = (await readdir(dir).catch((err: NodeJS.ErrnoException) => (err.code === "ENOENT" ? [] : Promise.reject(fromSystemError(err, dir))))).filter((n) =>
      n.endsWith(".jsonl"),
    );
    const done = new Map<string, Set<number>>();
    let finalized = false;
    let entries = 0;
    for (const name of names.sort()) {
      const file = path.join(dir, name);
      const { entries: list } = parseJournalText(await readFile(file, "utf8"), file);
      for (const entry of list) {
        entries++;
        if (entry.type === "finalized") {
          finalized = true;
          continue;
        }
        const key = stageKey(entry.array, entry.stage);
        let set = done.get(key);
        if (set === undefined) done.set(key, (set = new Set()));
        set.add(entry.task);
      }
    }
    return { done, finalized, entries };
  }

  /** Open this writer's journal file for appending, cutting off a torn last line first. */
  static async openForAppend(stateDir: string, writerName = "main"): Promise<Journal> {
    const dir = path.join(stateDir, "journal");
    const file = path.join(dir, `${writerName}.jsonl`);
    try {
      await mkdir(dir, { recursive: true });
      const text = await readFile(file, "utf8").catch((err: NodeJS.ErrnoException) => (err.code === "ENOENT" ? "" : Promise.reject(err)));
      const { validLength } = parseJournalText(text, file);
      if (validLength !== Buffer.byteLength(text)) await truncate(file, validLength);
      else if (text === "") await writeFile(file, "");
      const journal = new Journal(dir, writerName);
      journal.fd = openSync(file, "a");
      return journal;
    } catch (err) {
      throw fromSystemError(err, file);
    }
  }

  get file(): string {
    return path.join(this.directory, `${this.writerName}.jsonl`);
  }

  /** Append one entry (on disk before returning with --durable, see durability.ts). */
  append(entry: JournalEntry): void {
    if (this.fd === null) throw new Error("internal: journal is closed");
    try {
      writeSync(this.fd, `${JSON.stringify(entry)}\n`);
      syncIfDurable(this.fd);
    } catch (err) {
      throw fromSystemError(err, this.file);
    }
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
