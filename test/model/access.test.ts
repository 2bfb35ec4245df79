import { describe, expect, it } from "vitest";
import { isChunkwiseError } from "../../src/errors.js";
import { formatAccessPattern, fullExtentAxes, parseAccessPattern } from "../../src/model/access.js";

const names = ["time", "lat", "lon"];

describe("parseAccessPattern", () => {
  it("parses every form, by name and by axis number", () => {
    expect(parseAccessPattern("full", 3, names)).toEqual({ kind: "full" });
    expect(parseAccessPattern("along=time", 3, names)).toEqual({ kind: "along", axes: [0] });
    expect(parseAccessPattern("along=lon,time", 3, names)).toEqual({ kind: "along", axes: [0, 2] });
    expect(parseAccessPattern("along=2", 3, null)).toEqual({ kind: "along", axes: [2] });
    expect(parseAccessPattern("slice=lat", 3, names)).toEqual({ kind: "slice", axis: 1 });
    expect(parseAccessPattern("point", 3, names)).toEqual({ kind: "point", axis: 0 });
    expect(parseAccessPattern("point=lon", 3, names)).toEqual({ kind: "point", axis: 2 });
  });

  it("names the valid dimensions when one is unknown", () => {
    try {
      parseAccessPattern("along=depth", 3, names);
      expect.unreachable();
    } catch (err) {
      expect(isChunkwiseError(err, "UsageError")).toBe(true);
      expect((err as Error).message).toContain('unknown dimension "depth"');
      expect((err as Error).message).toContain("time (0), lat (1), lon (2)");
    }
    expect(() => parseAccessPattern("slice=3", 3, null)).toThrow(/dimensions of this array: 0, 1, 2/);
  });

  it("refuses malformed patterns as usage errors", () => {
    for (const bad of ["", "along", "along=", "slice", "full=time", "sideways", "along=time,time", "slice=time=1"]) {
      expect(() => parseAccessPattern(bad, 3, names), bad).toThrow(/access/);
    }
    expect(() => parseAccessPattern("point", 0, null)).toThrow(/scalar/);
  });

  it("formats canonically and knows which axes compute chunks must span", () => {
    expect(formatAccessPattern(parseAccessPattern("along=lon,0", 3, names), names)).toBe("along=time,lon");
    expect(formatAccessPattern({ kind: "slice", axis: 1 }, null)).toBe("slice=1");
    expect(fullExtentAxes({ kind: "along", axes: [0, 2] })).toEqual([0, 2]);
    expect(fullExtentAxes({ kind: "point", axis: 0 })).toEqual([]);
    expect(fullExtentAxes({ kind: "full" })).toEqual([]);
  });
});
