import { describe, expect, it } from "vitest";
import { fitCost, median, mediansBySize } from "../../src/probe/fit.js";

const line = (fixed: number, perByte: number, sizes: number[], perSize = 5) =>
  sizes.flatMap((bytes) => Array.from({ length: perSize }, () => ({ bytes, seconds: fixed + perByte * bytes })));

describe("fitCost (Theil–Sen)", () => {
  it("recovers an exact line", () => {
    const fit = fitCost(line(0.004, 1e-8, [1e5, 2e5, 4e5, 8e5]));
    expect(fit.fixedSeconds).toBeCloseTo(0.004, 10);
    expect(fit.secondsPerByte).toBeCloseTo(1e-8, 15);
    expect(fit.rSquared).toBeCloseTo(1, 10);
    expect(fit.quality).toMatch(/^good/);
  });

  it("is not pulled by outliers that would bend least squares", () => {
    const points = line(0.002, 5e-9, [1e6, 2e6, 4e6, 8e6, 16e6]);
    // A few tasks hit a page-cache miss or a GC pause and take 10× longer.
    points.push({ bytes: 1e6, seconds: 0.07 }, { bytes: 16e6, seconds: 0.8 }, { bytes: 4e6, seconds: 0.5 });
    const fit = fitCost(points);
    expect(fit.fixedSeconds).toBeCloseTo(0.002, 6);
    expect(fit.secondsPerByte! / 5e-9).toBeCloseTo(1, 6);
  });

  it("robust to one whole size being off", () => {
    const points = [...line(0.01, 1e-8, [1e6, 2e6, 4e6, 8e6]), ...line(0.5, 0, [3e6])];
    const fit = fitCost(points);
    expect(fit.fixedSeconds).toBeGreaterThan(0.007);
    expect(fit.fixedSeconds).toBeLessThan(0.013);
    expect(fit.quality).not.toMatch(/^good/);
  });

  it("with one size, gives a throughput and no fixed cost, and says so", () => {
    const fit = fitCost(line(0, 2e-9, [4e6]));
    expect(fit.fixedSeconds).toBe(0);
    expect(fit.secondsPerByte).toBeCloseTo(2e-9, 15);
    expect(fit.quality).toMatch(/one chunk size/);
  });

  it("when time does not grow with size, throughput is not measurable and the fixed cost is the median", () => {
    const fit = fitCost([...line(0.003, 0, [1e3, 2e3, 4e3])]);
    expect(fit.secondsPerByte).toBeNull();
    expect(fit.fixedSeconds).toBeCloseTo(0.003, 12);
    expect(fit.quality).toMatch(/not measurable/);
  });

  it("median and per-size medians", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(mediansBySize([{ bytes: 2, seconds: 5 }, { bytes: 1, seconds: 1 }, { bytes: 2, seconds: 3 }, { bytes: 2, seconds: 4 }])).toEqual([
      { bytes: 1, seconds: 1 },
      { bytes: 2, seconds: 4 },
    ]);
  });
});

describe("fitCost with a negative intercept", () => {
  it("forces the line through the origin rather than report a negative fixed cost", () => {
    const fit = fitCost([
      { bytes: 1e6, seconds: 0.008 },
      { bytes: 2e6, seconds: 0.02 },
      { bytes: 4e6, seconds: 0.044 },
    ]);
    expect(fit.fixedSeconds).toBe(0);
    expect(fit.secondsPerByte).toBeCloseTo(1e-8, 12); // median of 8e-9, 1e-8, 1.1e-8
    expect(fit.quality).toMatch(/through the origin/);
  });
});
