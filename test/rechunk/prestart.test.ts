import { describe, expect, it } from "vitest";
import { rechunkThreads } from "../../src/rechunk/prestart.js";

describe("rechunkThreads (the thread count bin/run.js prestarts for)", () => {
  it("is the usable cores for a rechunk without --threads", () => {
    expect(rechunkThreads(["rechunk", "a.zarr", "b.zarr", "--chunks", "10,10"], 6)).toBe(6);
  });

  it("follows --threads in both spellings, the last one winning", () => {
    expect(rechunkThreads(["rechunk", "a", "b", "--threads", "3"], 8)).toBe(3);
    expect(rechunkThreads(["rechunk", "a", "b", "--threads=5"], 8)).toBe(5);
    expect(rechunkThreads(["rechunk", "a", "b", "--threads=5", "--threads", "2"], 8)).toBe(2);
  });

  it("is null for other commands and for runs that start no tasks", () => {
    expect(rechunkThreads(["inspect", "a.zarr"], 4)).toBeNull();
    expect(rechunkThreads([], 4)).toBeNull();
    for (const flag of ["--dry-run", "--finalize", "--help", "-h"]) expect(rechunkThreads(["rechunk", "a", "b", flag], 4)).toBeNull();
  });

  it("is null when --threads is not a positive integer (the command will refuse it)", () => {
    for (const bad of ["0", "-1", "two", "1.5", ""]) expect(rechunkThreads(["rechunk", "a", "b", `--threads=${bad}`], 4)).toBeNull();
    expect(rechunkThreads(["rechunk", "a", "b", "--threads"], 4)).toBeNull();
  });

  it("stops at -- (what follows is positional)", () => {
    expect(rechunkThreads(["rechunk", "--", "--dry-run", "b"], 4)).toBe(4);
  });
});
