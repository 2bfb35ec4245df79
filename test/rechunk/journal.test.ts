import { appendFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isChunkwiseError } from "../../src/errors.js";
import { JOURNAL_VERSION, Journal, doneCount, isTaskDone, parseJournalText } from "../../src/rechunk/journal.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "chunkwise-journal-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const task = (t: number, stage = 0) => ({ type: "task" as const, array: "/tas", stage, task: t, units: 2, bytes: 100 });

describe("journal", () => {
  it("records tasks per array and stage across writer files", async () => {
    const a = await Journal.openForAppend(dir, "a");
    const b = await Journal.openForAppend(dir, "b");
    a.append(task(0));
    b.append(task(1));
    b.append(task(0, 1));
    a.close();
    b.close();
    const state = await Journal.readState(dir);
    expect(isTaskDone(state, "/tas", 0, 0)).toBe(true);
    expect(isTaskDone(state, "/tas", 0, 1)).toBe(true);
    expect(isTaskDone(state, "/tas", 0, 2)).toBe(false);
    expect(isTaskDone(state, "/tas", 1, 0)).toBe(true);
    expect(isTaskDone(state, "/other", 0, 0)).toBe(false);
    expect(doneCount(state, "/tas", 0)).toBe(2);
    expect(state.finalized).toBe(false);
  });

  it("ignores a torn last line and cuts it off before appending", async () => {
    const j = await Journal.openForAppend(dir, "main");
    j.append(task(0));
    j.close();
    const file = path.join(dir, "journal", "main.jsonl");
    await appendFile(file, '{"type":"task","array":"/tas","sta');
    let state = await Journal.readState(dir);
    expect(doneCount(state, "/tas", 0)).toBe(1);
    const again = await Journal.openForAppend(dir, "main");
    again.append(task(1));
    again.append({ type: "finalized" });
    again.close();
    const text = await readFile(file, "utf8");
    expect(text.split("\n").filter(Boolean)).toHaveLength(3);
    state = await Journal.readState(dir);
    expect(doneCount(state, "/tas", 0)).toBe(2);
    expect(state.finalized).toBe(true);
  });

  it("a complete but unparsable last line is also a torn write; damage before it is refused", () => {
    expect(parseJournalText('{"type":"finalized"}\n{"type":"task"}\n', "f").entries).toHaveLength(1);
    let caught: unknown;
    try {
      parseJournalText('{"type":"finalized"}\nxx\n{"type":"finalized"}\n', "f");
    } catch (err) {
      caught = err;
    }
    expect(isChunkwiseError(caught, "MetadataError")).toBe(true);
  });

  it("writes the job atomically and reads it back; a damaged job file is refused", async () => {
    await Journal.writeJob(dir, { source: "/x", arrays: [] });
    expect(await Journal.readJob(dir)).toMatchObject({ source: "/x", journal_version: JOURNAL_VERSION });
    await writeFile(Journal.jobFile(dir), "{");
    await expect(Journal.readJob(dir)).rejects.toMatchObject({ tag: "MetadataError" });
    expect(await Journal.readJob(path.join(dir, "none"))).toBeNull();
  });
});
