import { describe, expect, it } from "vitest";
import { isChunkwiseError } from "../src/errors.js";
import { formatDuration, formatSize, parseSize } from "../src/units.js";

describe("parseSize", () => {
  it.each([
    ["8GiB", 8 * 2 ** 30],
    ["8GB", 8e9],
    ["8 gib", 8 * 2 ** 30],
    ["512", 512],
    ["512B", 512],
    ["1.5MiB", 1.5 * 2 ** 20],
    ["2KB", 2000],
    ["2KiB", 2048],
    ["1TB", 1e12],
    ["1e3MB", 1e9],
  ])("%s = %d bytes", (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(["", "GiB", "8 GiBs", "-1GB", "0", "8 G", "lots"])("rejects %j as a usage error naming the flag", (text) => {
    try {
      parseSize(text, "--memory");
      expect.unreachable();
    } catch (err) {
      expect(isChunkwiseError(err, "UsageError")).toBe(true);
      expect((err as Error).message).toContain("--memory");
    }
  });
});

describe("formatSize / formatDuration", () => {
  it("uses binary units with three significant digits", () => {
    expect(formatSize(512)).toBe("512 B");
    expect(formatSize(1536)).toBe("1.50 KiB");
    expect(formatSize(8 * 2 ** 30)).toBe("8.00 GiB");
    expect(formatSize(123.4 * 2 ** 20)).toBe("123 MiB");
  });
  it("picks a unit people read", () => {
    expect(formatDuration(850e-6)).toBe("850 µs");
    expect(formatDuration(0.0123)).toBe("12.3 ms");
    expect(formatDuration(4.2)).toBe("4.20 s");
    expect(formatDuration(200)).toBe("3 min 20 s");
    expect(formatDuration(7300)).toBe("2 h 1 min");
  });
});
