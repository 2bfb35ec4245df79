import { describe, expect, it } from "vitest";
import { isChunkwiseError } from "../../src/errors.js";
import { mulberry32 } from "../helpers/random.js";
import { ceilDiv, product } from "../../src/model/layout.js";
import {
  type PlanRequest,
  type RechunkPlan,
  alignedStep,
  cellsIn,
  copyRunElements,
  gcd,
  lcm,
  piecesStack,
  planRechunk,
  planWarnings,
  ravel,
  stageTasks,
  taskAt,
  unravel,
} from "../../src/rechunk/plan.js";

const int = (rand: () => number, lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));

/** Check every guarantee of a plan by enumerating it (small arrays only). */
function checkPlan(request: PlanRequest, plan: RechunkPlan): void {
  const { shape } = request;
  const budget = Math.floor(request.maxMemBytes / plan.threads);
  expect(plan.peakTaskMemoryBytes).toBeLessThanOrEqual(budget);
  expect(plan.peakMemoryBytes).toBeLessThanOrEqual(request.maxMemBytes);
  expect(plan.stages.length).toBeGreaterThanOrEqual(1);
  expect(plan.stages.length).toBeLessThanOrEqual(2);
  expect(plan.stages[0]!.from).toBe("source");
  expect(plan.stages.at(-1)!.to).toBe("target");
  expect(plan.stages.at(-1)!.writeChunks).toEqual(plan.targetUnits);
  if (plan.stages.length === 2) {
    expect(plan.stages[0]!.writeChunks).toEqual(plan.intermediateChunks);
    expect(plan.stages[1]!.readChunks).toEqual(plan.intermediateChunks);
    expect(plan.temporaryBytes).toBe(plan.logicalBytes);
  } else {
    expect(plan.intermediateChunks).toBeNull();
    expect(plan.temporaryBytes).toBe(0);
  }
  for (const stage of plan.stages) {
    expect(stage.taskMemoryBytes).toBeLessThanOrEqual(budget);
    const writes = new Map<number, number>();
    const reads = new Map<number, number>();
    const writeGrid = shape.map((n, axis) => ceilDiv(n, stage.writeChunks[axis]!));
    const readGrid = stage.readChunks && shape.map((n, axis) => ceilDiv(n, stage.readChunks![axis]!));
    let elements = 0;
    let tasks = 0;
    for (const task of stageTasks(shape, stage)) {
      tasks++;
      elements += product(task.stop.map((s, axis) => s - task.start[axis]!));
      for (const unit of cellsIn(task, stage.writeChunks, shape)) {
        // Every unit lies wholly inside the task that writes it.
        unit.start.forEach((s, axis) => expect(s).toBeGreaterThanOrEqual(task.start[axis]!));
        unit.stop.forEach((s, axis) => expect(s).toBeLessThanOrEqual(task.stop[axis]!));
        const key = ravel(unit.coords, writeGrid);
        writes.set(key, (writes.get(key) ?? 0) + 1);
      }
      if (stage.readChunks && readGrid) {
        for (const chunk of cellsIn(task, stage.readChunks, shape)) {
          if (!stage.partialReads) {
            // A chunk a task decodes whole lies wholly inside it: nobody else needs it.
            chunk.start.forEach((s, axis) => expect(s).toBeGreaterThanOrEqual(task.start[axis]!));
            chunk.stop.forEach((s, axis) => expect(s).toBeLessThanOrEqual(task.stop[axis]!));
          }
          const key = ravel(chunk.coords, readGrid);
          reads.set(key, (reads.get(key) ?? 0) + 1);
        }
      }
    }
    expect(tasks).toBe(stage.tasks);
    // Tasks tile the array exactly.
    expect(elements).toBe(product(shape));
    // Every write unit exactly once.
    expect(writes.size).toBe(product(writeGrid));
    expect([...writes.values()].every((count) => count === 1)).toBe(true);
    expect(stage.writeOps).toBe(writes.size);
    expect(stage.decodedBytes).toBeGreaterThanOrEqual(product(shape) * request.itemSize);
    if (readGrid && stage.partialReads) {
      // Partial reads: one read per (task, chunk) it overlaps, every chunk read by someone.
      expect(reads.size).toBe(product(readGrid));
      expect(stage.readOps).toBe([...reads.values()].reduce((a, b) => a + b, 0));
      expect(plan.stages).toHaveLength(1);
    } else if (readGrid) {
      // No read chunk decoded twice in a stage.
      expect(reads.size).toBe(product(readGrid));
      expect([...reads.values()].every((count) => count === 1)).toBe(true);
      expect(stage.readOps).toBe(reads.size);
      expect(stage.decodedBytes).toBe(product(shape) * request.itemSize);
    }
  }
}

describe("arithmetic", () => {
  it("gcd, lcm and the aligned step", () => {
    expect(gcd(12, 18)).toBe(6);
    expect(lcm(4, 6)).toBe(12);
    expect(alignedStep(720, 32, 720)).toBe(720);
    expect(alignedStep(10, 4, 100)).toBe(20);
    expect(alignedStep(7, 7, 3)).toBe(3);
  });

  it("ravel and unravel are inverse in C order", () => {
    const grid = [3, 4, 5];
    for (let i = 0; i < 60; i++) expect(ravel(unravel(i, grid), grid)).toBe(i);
    expect(unravel(7, grid)).toEqual([0, 1, 2]);
  });

  it("cellsIn lists the grid cells of a region, clipped", () => {
    const cells = [...cellsIn({ start: [0, 5], stop: [3, 10] }, [2, 4], [3, 10])];
    expect(cells.map((c) => c.coords)).toEqual([
      [0, 1],
      [0, 2],
      [1, 1],
      [1, 2],
    ]);
    expect(cells[3]).toMatchObject({ start: [2, 8], stop: [3, 10] });
  });
});

describe("planRechunk: known cases", () => {
  it("map chunks to time series in 1 GiB at 256 MiB takes two stages through an intermediate", () => {
    const request = { shape: [259, 720, 1440], itemSize: 4, sourceChunks: [1, 720, 1440], targetUnits: [259, 32, 32], maxMemBytes: 256 * 2 ** 20, threads: 2 };
    const plan = planRechunk(request);
    expect(plan.stages).toHaveLength(2);
    expect(plan.peakMemoryBytes).toBeLessThanOrEqual(request.maxMemBytes);
    expect(plan.temporaryBytes).toBe(259 * 720 * 1440 * 4);
    const [first, second] = plan.stages;
    expect(first!.readOps).toBe(259);
    expect(second!.writeOps).toBe(23 * 45);
    // The intermediate chunks are not tiny: the cost model punishes many small operations.
    expect(product(plan.intermediateChunks!) * 4).toBeGreaterThanOrEqual(64 * 2 ** 10);
    // Among the equally fast, the one copying the longest runs: whole source rows into the
    // intermediate, so stage 1 copies 7 runs per task and stage 2 no more than it must.
    expect(plan.intermediateChunks!.slice(1)).toEqual([32, 1440]);
    expect(copyRunElements(request.shape, first!.readChunks, first!.writeChunks)).toBe(32 * 1440);
  });

  it("map chunks to narrow time series: stage 2 reads intermediate chunks that stack into its block, so each unit is one copy call", () => {
    const request = { shape: [259, 720, 1440], itemSize: 4, sourceChunks: [1, 720, 1440], targetUnits: [259, 10, 10], maxMemBytes: 256 * 2 ** 20, threads: 2 };
    const plan = planRechunk(request);
    expect(plan.stages).toHaveLength(2);
    const [first, second] = plan.stages;
    expect(piecesStack(request.shape, first!.readChunks, first!.taskBlock)).toBe(true);
    // (7, 20, 720) was chosen before calls were counted: 37 pieces, so 37 calls, per unit.
    expect(piecesStack(request.shape, second!.readChunks, second!.taskBlock)).toBe(true);
    expect(second!.writeOps).toBe(72 * 144);
  });

  it("piecesStack: read chunks cut to the block span it along every axis but the first, in one contiguous stretch", () => {
    const shape = [259, 720, 1440];
    expect(piecesStack(shape, [7, 20, 1440], [259, 20, 1440])).toBe(true);
    expect(piecesStack(shape, [7, 40, 720], [259, 40, 720])).toBe(true);
    expect(piecesStack(shape, [7, 20, 720], [259, 20, 1440])).toBe(false); // two pieces across along the last axis
    expect(piecesStack(shape, [1, 720, 1440], [259, 32, 1440])).toBe(true); // strips of map chunks, each contiguous
    expect(piecesStack(shape, [1, 720, 1440], [259, 32, 32])).toBe(false); // 32 separate runs of each map chunk
    expect(piecesStack(shape, [2, 720, 1440], [258, 32, 1440])).toBe(false); // a strip of two time steps is two stretches
    expect(piecesStack(shape, [7, 1000, 2000], [259, 720, 1440])).toBe(true); // chunks longer than the axis are clipped
    expect(piecesStack(shape, null, [259, 32, 1440])).toBe(false);
    expect(piecesStack([], [], [])).toBe(false);
  });

  it("copyRunElements: the last axis's overlap, merged over earlier axes while both grids cut them alike", () => {
    expect(copyRunElements([10, 20, 30], [1, 20, 30], [5, 20, 30])).toBe(600);
    expect(copyRunElements([10, 20, 30], [1, 20, 30], [5, 4, 30])).toBe(120);
    expect(copyRunElements([10, 20, 30], [10, 20, 6], [5, 20, 30])).toBe(6);
    expect(copyRunElements([10, 20, 30], [10, 20, 64], [1, 1, 30])).toBe(30); // chunks longer than the axis are clipped
    expect(copyRunElements([10, 20, 30], null, [2, 20, 30])).toBe(1200); // a contiguous source reads in slabs
    expect(copyRunElements([], [], [])).toBe(1);
  });

  it("the same at 8 GiB is one stage, every source chunk read once", () => {
    const plan = planRechunk({ shape: [259, 720, 1440], itemSize: 4, sourceChunks: [1, 720, 1440], targetUnits: [259, 32, 32], maxMemBytes: 8 * 2 ** 30, threads: 2 });
    expect(plan.stages).toHaveLength(1);
    expect(plan.stages[0]!.readOps).toBe(259);
    expect(plan.stages[0]!.writeOps).toBe(23 * 45);
  });

  it("identical chunks copy chunk for chunk, consolidated into a few tasks per thread", () => {
    const plan = planRechunk({ shape: [100, 100], itemSize: 8, sourceChunks: [10, 10], targetUnits: [10, 10], maxMemBytes: 2 ** 30, threads: 2 });
    expect(plan.stages).toHaveLength(1);
    expect(plan.stages[0]!.tasks).toBeGreaterThanOrEqual(4);
    expect(plan.stages[0]!.readOps).toBe(100);
  });

  it("a contiguous source plans region reads", () => {
    const request = { shape: [50, 60], itemSize: 4, sourceChunks: null, targetUnits: [7, 60], maxMemBytes: 64 * 2 ** 20, threads: 2 };
    const plan = planRechunk(request);
    expect(plan.stages[0]!.readChunks).toBeNull();
    checkPlan(request, plan);
  });

  it("chunks larger than the shape are clipped", () => {
    const plan = planRechunk({ shape: [5, 6], itemSize: 1, sourceChunks: [100, 2], targetUnits: [3, 100], maxMemBytes: 2 ** 20, threads: 1 });
    expect(plan.sourceChunks).toEqual([5, 2]);
    expect(plan.targetUnits).toEqual([3, 6]);
  });

  it("an empty array plans no work", () => {
    const plan = planRechunk({ shape: [0, 10], itemSize: 4, sourceChunks: [5, 5], targetUnits: [2, 2], maxMemBytes: 2 ** 20, threads: 2 });
    expect(plan.stages[0]!.tasks).toBe(0);
    expect(plan.stages[0]!.writeOps).toBe(0);
    expect(plan.stages[0]!.readOps).toBe(0);
  });

  it("refuses when even one target unit does not fit, saying what to change", () => {
    let caught: unknown;
    try {
      planRechunk({ shape: [1000, 1000], itemSize: 8, sourceChunks: [1000, 1000], targetUnits: [1000, 1000], maxMemBytes: 2 ** 20, threads: 2 });
    } catch (err) {
      caught = err;
    }
    expect(isChunkwiseError(caught, "UsageError")).toBe(true);
    expect((caught as Error).message).toMatch(/raise --max-mem or lower --threads/);
  });

  it("plans a target of over a million chunks without enumerating them", () => {
    const started = process.hrtime.bigint();
    const plan = planRechunk({ shape: [100_000, 4_000, 4_000], itemSize: 4, sourceChunks: [1, 4_000, 4_000], targetUnits: [100_000, 8, 8], maxMemBytes: 8 * 2 ** 30, threads: 16 });
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    expect(plan.stages.at(-1)!.writeOps).toBe(500 * 500);
    const bigger = planRechunk({ shape: [10_000, 4_096, 4_096], itemSize: 4, sourceChunks: [10, 4_096, 4_096], targetUnits: [100, 4, 4], maxMemBytes: 64 * 2 ** 30, threads: 8 });
    expect(bigger.stages.at(-1)!.writeOps).toBe(100 * 1024 * 1024);
    // A loose sanity bound only; the real timing lives in bench/.
    expect(elapsedMs).toBeLessThan(60_000);
    // Random access to a task agrees with the generator.
    const last = bigger.stages.at(-1)!;
    const task = taskAt(bigger.shape, last, last.tasks - 1);
    expect(task.stop).toEqual(bigger.shape);
  });
});

describe("planRechunk: properties over random shapes, chunks and memory", () => {
  it("covers every target unit once, reads every source chunk (once per stage unless in parts) and respects memory", () => {
    let planned = 0;
    let twoStage = 0;
    let partial = 0;
    let refused = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const rand = mulberry32(seed);
      const ndim = int(rand, 1, 4);
      const shape = Array.from({ length: ndim }, () => int(rand, 1, ndim >= 3 ? 24 : 90));
      const itemSize = [1, 2, 4, 8][int(rand, 0, 3)]!;
      const contiguous = rand() < 0.15;
      const sourceChunks = contiguous ? null : shape.map((n) => int(rand, 1, n + 3));
      const targetUnits = shape.map((n) => int(rand, 1, n + 3));
      const threads = int(rand, 1, 4);
      const maxMemBytes = threads * int(rand, 64, 4 * product(shape) * itemSize + 64);
      // Half the sources decode in parts (blosc blocks, raw bytes) of a random size.
      const granule = rand() < 0.5 ? { readGranuleBytes: itemSize * int(rand, 1, 64) } : {};
      const request: PlanRequest = { shape, itemSize, sourceChunks, targetUnits, maxMemBytes, threads, ...granule };
      let plan: RechunkPlan;
      try {
        plan = planRechunk(request);
      } catch (err) {
        expect(isChunkwiseError(err, "UsageError"), `seed ${seed}`).toBe(true);
        refused++;
        continue;
      }
      planned++;
      if (plan.stages.length === 2) twoStage++;
      if (plan.stages[0]!.partialReads) partial++;
      checkPlan(request, plan);
    }
    // The sample exercises all three outcomes.
    expect(planned).toBeGreaterThan(200);
    expect(twoStage).toBeGreaterThan(10);
    expect(partial).toBeGreaterThan(10);
    expect(refused).toBeGreaterThan(0);
  });

  it("never refuses when the gcd route fits: source chunk and target unit each fit with room", () => {
    for (let seed = 1000; seed < 1200; seed++) {
      const rand = mulberry32(seed);
      const ndim = int(rand, 1, 3);
      const shape = Array.from({ length: ndim }, () => int(rand, 1, 60));
      const sourceChunks = shape.map((n) => int(rand, 1, n));
      const targetUnits = shape.map((n) => int(rand, 1, n));
      const itemSize = 4;
      const biggest = Math.max(product(sourceChunks), product(targetUnits)) * itemSize;
      // Stage 1 of the gcd route holds 2 × a source chunk + 2 × (a source chunk + an intermediate ≤ it): 6 × the biggest.
      const request = { shape, itemSize, sourceChunks, targetUnits, maxMemBytes: 6 * biggest, threads: 1 };
      const plan = planRechunk(request);
      checkPlan(request, plan);
    }
  });
});

describe("planWarnings", () => {
  it("warns when memory per task forces billions of tiny intermediate chunks, not when chunks are few", () => {
    // 10 TB of map chunks to time series at 512 MiB per task: intermediate chunks of 1×5×125 (docs/scaling.md).
    const tight = planRechunk({ shape: [100000, 5000, 5000], itemSize: 4, sourceChunks: [1, 5000, 5000], targetUnits: [100000, 5, 5], maxMemBytes: 4 * 2 ** 30, threads: 8 });
    const [warning] = planWarnings("/tas", tight);
    expect(warning).toMatch(/^\/tas: the intermediate array would be 4,000,000,000 chunks of 2\.44 KiB \(1×5×125\), each read on its own/);
    expect(warning).toMatch(/raise --max-mem or lower --threads/);
    const roomy = planRechunk({ shape: [259, 720, 1440], itemSize: 4, sourceChunks: [1, 720, 1440], targetUnits: [259, 32, 32], maxMemBytes: 256 * 2 ** 20, threads: 2 });
    expect(roomy.stages).toHaveLength(2);
    expect(planWarnings("/tas", roomy)).toEqual([]);
  });
});
