import { describe, expect, it } from "vitest";
import { ProgressReporter, progressLine } from "../../src/report/rechunk.js";

describe("progress", () => {
  it("shows bytes done/total, MB/s and ETA", () => {
    const line = progressLine({ doneBytes: 50e6, totalBytes: 100e6, resumedBytes: 0 }, 10, 10);
    expect(line).toBe("[#####-----] 50.0% 47.7 MiB/95.4 MiB 5.0 MB/s ETA 10.0 s");
    expect(progressLine({ doneBytes: 100, totalBytes: 100, resumedBytes: 100 }, 1, 4, false)).toBe("100.0% 100 B/100 B 0.0 MB/s done");
  });

  it("redraws in place on a TTY and prints periodic plain lines otherwise", () => {
    let t = 0;
    const tty: string[] = [];
    const r1 = new ProgressReporter({ isTTY: true, write: (s) => tty.push(s) }, 10, () => t);
    const plain: string[] = [];
    const r2 = new ProgressReporter({ isTTY: false, write: (s) => plain.push(s) }, 10, () => t);
    for (let i = 1; i <= 30; i++) {
      t = i;
      r1.update({ doneBytes: i, totalBytes: 30, resumedBytes: 0 });
      r2.update({ doneBytes: i, totalBytes: 30, resumedBytes: 0 });
    }
    r1.finish();
    r2.finish();
    expect(tty.length).toBe(31 + 1);
    expect(tty[0]!.startsWith("\r")).toBe(true);
    expect(tty.at(-1)).toBe("\n");
    // t = 1, 11, 21, then the final line.
    expect(plain).toHaveLength(4);
    expect(plain.every((l) => l.startsWith("rechunk: ") && l.endsWith("\n") && !l.includes("\r"))).toBe(true);
  });
});
