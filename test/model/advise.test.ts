import { describe, expect, it } from "vitest";
import { parseAccessPattern } from "../../src/model/access.js";
import { type AdviceArray, type AdviceSettings, adviseArray, elongation } from "../../src/model/advise.js";
import { DEFAULT_COST_MODEL } from "../../src/model/cost-model.js";
import { FINDING_IDS, FINDING_RULES, type FindingId, SEVERITY_RANK, reachesLevel } from "../../src/model/findings.js";
import { DEFAULT_THRESHOLDS } from "../../src/model/thresholds.js";

const names = ["time", "lat", "lon"];

function array(overrides: Partial<AdviceArray>): AdviceArray {
  return {
    path: "/tas",
    format: "zarr2",
    shape: [8760, 721, 1440],
    dtype: "float32",
    itemSize: 4,
    dimensionNames: names,
    storageChunks: [1, 721, 1440],
    shards: null,
    compressed: true,
    compressionRatio: null,
    sampledCompressionRatio: null,
    ...overrides,
  };
}

const cluster = { workers: 4, threadsPerWorker: 2, memoryPerWorkerBytes: 16 * 2 ** 30 };

function settings(access: string, a: AdviceArray, overrides: Partial<AdviceSettings> = {}): AdviceSettings {
  return {
    access: parseAccessPattern(access, a.shape.length, a.dimensionNames),
    machine: cluster,
    cost: DEFAULT_COST_MODEL,
    thresholds: DEFAULT_THRESHOLDS,
    filters: { silenced: new Set(), severities: {} },
    currentCompute: null,
    ...overrides,
  };
}

const advise = (a: AdviceArray, access: string, overrides: Partial<AdviceSettings> = {}) => adviseArray(a, settings(access, a, overrides));
const ids = (advice: ReturnType<typeof advise>): FindingId[] => advice.findings.map((f) => f.id);

describe("a map-chunked 3-D float32 array", () => {
  it("along=time: the storage finding fires, storage chunks span much more time, compute chunks span all time in whole storage chunks", () => {
    const a = array({});
    const advice = advise(a, "along=time");
    expect(ids(advice)).toContain("storage-rechunk-pays");
    expect(advice.storage.verdict).toBe("rechunk");
    const storage = advice.storage.best!.storageChunks!;
    expect(storage[0]).toBeGreaterThanOrEqual(100 * a.storageChunks![0]!);
    const compute = advice.storage.best!.compute.chunks;
    expect(compute[0]).toBe(8760);
    compute.forEach((c, axis) => expect(c % storage[axis]! === 0 || c === a.shape[axis]).toBe(true));
    // Today no compute chunk spanning time fits: that is said too.
    expect(ids(advice)).toContain("no-feasible-shape");
  });

  it("along=time on the small fixture-sized array: compute chunks span all of time and are multiples of the map chunks", () => {
    const a = array({ shape: [48, 73, 144], storageChunks: [1, 73, 144] });
    const advice = advise(a, "along=time");
    expect(advice.compute.best!.chunks).toEqual([48, 73, 144]);
    expect(ids(advice)).toContain("storage-rechunk-pays");
    expect(advice.storage.best!.storageChunks![0]).toBe(48);
  });

  it("slice=time: today's layout is judged fine", () => {
    for (const a of [array({}), array({ shape: [48, 73, 144], storageChunks: [1, 73, 144] })]) {
      const advice = advise(a, "slice=time");
      expect(advice.storage.verdict).toBe("keep");
      expect(ids(advice)).not.toContain("storage-rechunk-pays");
      expect(ids(advice)).not.toContain("read-amplification");
      expect(advice.storage.today.readAmplification).toBe(1);
    }
  });

  it("point=time: read amplification is the figure, and series chunks are proposed", () => {
    const advice = advise(array({}), "point=time");
    const amp = advice.findings.find((f) => f.id === "read-amplification")!;
    expect(amp.figure.value).toBe(721 * 1440);
    expect(advice.storage.best!.storageChunks![0]).toBe(8760);
  });
});

describe("each finding", () => {
  it("tiny chunks → chunks-too-small with the overhead share as its figure", () => {
    const a = array({ path: "/", shape: [200, 200], itemSize: 2, dimensionNames: null, storageChunks: [10, 10] });
    const finding = advise(a, "full").findings.find((f) => f.id === "chunks-too-small")!;
    expect(finding.figure.name).toBe("overhead_share");
    expect(finding.figure.value).toBeGreaterThan(0.5);
    expect(finding.threshold.value).toBe(DEFAULT_THRESHOLDS.overheadShare);
    expect(finding.figure.display).toMatch(/%$/);
  });

  it("a storage chunk over the memory budget → chunks-too-large, an error since no compute chunk can be smaller", () => {
    const a = array({ shape: [100, 30000, 30000], storageChunks: [1, 30000, 30000] });
    const advice = advise(a, "full", { machine: { workers: 1, threadsPerWorker: 2, memoryPerWorkerBytes: 8 * 2 ** 30 } });
    const finding = advice.findings.find((f) => f.id === "chunks-too-large")!;
    expect(finding.severity).toBe("error");
    expect(finding.figure.value).toBeGreaterThan(0.7);
    expect(ids(advice)).not.toContain("no-feasible-shape");
  });

  it("a contiguous multi-GB dataset → contiguous-large (and its one-chunk default is too large)", () => {
    const a = array({ path: "/big", format: "hdf5", shape: [50000, 20000], itemSize: 8, dimensionNames: null, storageChunks: null, compressed: false });
    const advice = advise(a, "full", { machine: { workers: 2, threadsPerWorker: 1, memoryPerWorkerBytes: 8 * 2 ** 30 } });
    expect(ids(advice)).toContain("contiguous-large");
    const tooLarge = advice.findings.find((f) => f.id === "chunks-too-large")!;
    expect(tooLarge.severity).toBe("warning"); // compute chunks fix it
    expect(advice.compute.best!.chunks[1]).toBe(20000); // whole rows: one contiguous run per task
  });

  it("given compute chunks that split storage chunks → compute-misaligned", () => {
    const a = array({});
    const advice = advise(a, "full", { currentCompute: [10, 500, 1000] });
    const finding = advice.findings.find((f) => f.id === "compute-misaligned")!;
    expect(finding.figure.value).toBeGreaterThan(1);
    expect(finding.advice).toContain("(10, 721, 1440)");
  });

  it("too many tasks and objects, edge waste, compressible data", () => {
    const many = array({ shape: [2000, 2000], dimensionNames: null, storageChunks: [5, 5], compressionRatio: 2 });
    expect(ids(advise(many, "full"))).toEqual(expect.arrayContaining(["too-many-tasks", "too-many-objects", "chunks-too-small"]));
    const edgy = array({ shape: [101, 1000], dimensionNames: null, storageChunks: [100, 1000] });
    expect(ids(advise(edgy, "full"))).toContain("edge-chunk-waste");
    const raw = array({ compressed: false, sampledCompressionRatio: 3.2 });
    const finding = advise(raw, "full").findings.find((f) => f.id === "uncompressed-compressible")!;
    expect(finding.figure.value).toBe(3.2);
    expect(ids(advise(array({ compressed: false, sampledCompressionRatio: 1.1 }), "full"))).not.toContain("uncompressed-compressible");
    const small = array({ shape: [73], dimensionNames: ["lat"], storageChunks: [73], compressed: false, sampledCompressionRatio: 3.2 });
    expect(ids(advise(small, "full"))).not.toContain("uncompressed-compressible");
  });

  it("no-feasible-shape names what would fit", () => {
    const finding = advise(array({}), "along=time").findings.find((f) => f.id === "no-feasible-shape")!;
    expect(finding.severity).toBe("error");
    expect(finding.advice).toMatch(/per worker/);
    expect(finding.advice).toMatch(/storage chunks \(8760,/);
  });

  it("every registry entry has a unique id listed in FINDING_IDS", () => {
    expect(FINDING_RULES.map((r) => r.id).sort()).toEqual([...FINDING_IDS].sort());
  });
});

describe("findings output", () => {
  it("is ordered by severity, then registry order, and deterministic", () => {
    const a = array({ shape: [2000, 2000], dimensionNames: null, storageChunks: [5, 5] });
    const first = advise(a, "full");
    const second = advise(a, "full");
    expect(JSON.stringify(first.findings)).toBe(JSON.stringify(second.findings));
    for (let i = 1; i < first.findings.length; i++) {
      const [p, q] = [first.findings[i - 1]!, first.findings[i]!];
      const order = SEVERITY_RANK[p.severity] - SEVERITY_RANK[q.severity] || FINDING_IDS.indexOf(q.id) - FINDING_IDS.indexOf(p.id);
      expect(order).toBeGreaterThan(0);
    }
  });

  it("the policy silences ids and overrides severities", () => {
    const a = array({ path: "/", shape: [200, 200], itemSize: 2, dimensionNames: null, storageChunks: [10, 10] });
    const silenced = advise(a, "full", { filters: { silenced: new Set(["chunks-too-small"]), severities: {} } });
    expect(ids(silenced)).not.toContain("chunks-too-small");
    expect(silenced.silenced).toContain("chunks-too-small");
    const raised = advise(a, "full", { filters: { silenced: new Set(), severities: { "chunks-too-small": "error" } } });
    expect(raised.findings[0]!.severity).toBe("error");
    expect(reachesLevel(raised.findings, "error")).toBe(true);
    expect(reachesLevel([], "info")).toBe(false);
  });

  it("compares with the other guessers and says why chunkwise differs", () => {
    const advice = advise(array({}), "along=time");
    const dask = advice.comparisons.find((c) => c.id === "dask-auto")!;
    expect(dask.why).toContain("does not span all of time");
    expect(advice.comparisons.map((c) => c.id)).toEqual(["dask-auto", "h5py", "zarr-python", "netcdf-c", "balanced"]);
    for (const c of advice.comparisons) expect(c.why.length).toBeGreaterThan(0);
  });

  it("measures elongation on split axes only", () => {
    expect(elongation([100, 100, 100], [100, 10, 20])).toBe(2);
    expect(elongation([100, 100], [100, 7])).toBe(1);
    expect(elongation([100], null)).toBe(1);
  });
});

describe("when memory caps the chunks below what overhead needs", () => {
  it("no-feasible-shape (warning) says the overhead share and the memory that would do", () => {
    // Rows of 40 kB; 8 threads in 4 MiB hold at most ~3 rows each: each task is a third overhead.
    const a = array({ shape: [100_000, 10_000], dimensionNames: null, storageChunks: [1, 10_000] });
    const tight = { workers: 1, threadsPerWorker: 8, memoryPerWorkerBytes: 4 * 2 ** 20 };
    const advice = advise(a, "full", { machine: tight });
    expect(advice.compute.best).not.toBeNull();
    const finding = advice.findings.find((f) => f.id === "no-feasible-shape")!;
    expect(finding.severity).toBe("warning");
    expect(finding.figure.name).toBe("overhead_share");
    expect(finding.figure.value).toBeGreaterThan(DEFAULT_THRESHOLDS.overheadShare);
    expect(finding.advice).toMatch(/per worker, or fewer threads per worker/);
    // With ample memory the same array has no such finding.
    expect(ids(advise(a, "full"))).not.toContain("no-feasible-shape");
  });
});
