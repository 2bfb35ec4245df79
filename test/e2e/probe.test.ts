import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, fixture, runCli } from "../helpers/cli.js";

const CHROMIUM = "/usr/bin/chromium";
let dir: string;
let probeRun: CliResult;
let doc: Record<string, any>;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "chunkwise-probe-e2e-"));
  probeRun = await runCli([
    "probe",
    fixture("hdf5", "climate.h5"),
    "--array",
    "tas",
    "--budget",
    "6s",
    "--threads",
    "2",
    "--save",
    path.join(dir, "model.json"),
    "--report",
    path.join(dir, "report.html"),
    "--json",
  ]);
  doc = JSON.parse(probeRun.stdout);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("chunkwise probe (CLI)", () => {
  it("prints one JSON document with the measured model and no progress on stderr", () => {
    expect(probeRun.code).toBe(0);
    expect(probeRun.stderr).toBe("");
    expect(doc.schema).toBe(1);
    expect(doc.array.path).toBe("/tas");
    expect(doc.threads).toBe(2);
    expect(doc.model.sources.per_task_overhead_s).toBe("measured");
    expect(doc.model.per_task_overhead_s).toBe(doc.overhead.per_task_s);
    expect(doc.overhead.per_task_s).toBeCloseTo(doc.overhead.wall_s / doc.overhead.tasks, 12);
    expect(doc.sweep.length).toBeGreaterThanOrEqual(2);
    expect(doc.recommended.compute_chunks).toHaveLength(3);
    expect(doc.range.min_bytes).toBeGreaterThanOrEqual(0);
    expect(doc.model_file).toBe(path.join(dir, "model.json"));
  });

  it("--save writes a model that advise --model reads, saying which figures were measured", async () => {
    const model = JSON.parse(readFileSync(path.join(dir, "model.json"), "utf8"));
    expect(model.kind).toBe("chunkwise-cost-model");
    expect(model.measured).toEqual(expect.arrayContaining(["per_task_overhead_s", "per_chunk_read_s"]));
    expect(model.per_task_overhead_s).toBe(doc.model.per_task_overhead_s);
    const advised = await runCli(["advise", fixture("hdf5", "climate.h5"), "--array", "tas", "--model", path.join(dir, "model.json"), "--json"]);
    expect(advised.code).toBe(0);
    const advice = JSON.parse(advised.stdout);
    expect(advice.cost_model.per_task_overhead_s).toEqual({ value: model.per_task_overhead_s, source: "measured" });
    expect(advice.cost_model.per_chunk_read_s.source).toBe("measured");
    expect(advice.cost_model.working_memory_factor.source).toBe("assumed");
    const human = await runCli(["advise", fixture("hdf5", "climate.h5"), "--array", "tas", "--model", path.join(dir, "model.json")]);
    expect(human.stdout).toMatch(/per-task overhead .* \(measured\)/);
  });

  it("the HTML report draws all three charts in a real browser, with no console errors", async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium) to test the probe report`);
    }
    const html = readFileSync(path.join(dir, "report.html"), "utf8");
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\//); // self-contained, offline
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("console", (msg) => {
        if (msg.type() === "error") errors.push(msg.text());
      });
      page.on("pageerror", (err) => errors.push(err.message));
      const requests: string[] = [];
      page.on("request", (req) => requests.push(req.url()));
      await page.goto(pathToFileURL(path.join(dir, "report.html")).href, { waitUntil: "load" });
      expect(errors).toEqual([]);
      expect(requests.filter((u) => !u.startsWith("file:"))).toEqual([]);
      // Task stream: one bar per task the probe ran, each drawn with a visible width.
      expect(await page.locator("#task-stream g.task").count()).toBe(doc.tasks_recorded);
      const widths = await page.$$eval("#task-stream g.task rect", (rects) => rects.map((r) => (r as unknown as { getBBox(): { width: number } }).getBBox().width));
      expect(Math.min(...widths)).toBeGreaterThan(0);
      // Memory: one polyline vertex per sample, the four threshold lines, the spilled area.
      const samples = Number(await page.getAttribute("#memory", "data-samples"));
      expect(samples).toBeGreaterThan(2);
      const vertices = await page.$eval("#memory polyline.managed", (p) => (p as unknown as { points: { numberOfItems: number } }).points.numberOfItems);
      expect(vertices).toBe(samples);
      expect(await page.$$eval("#memory line.threshold", (ls) => ls.map((l) => l.getAttribute("data-fraction")))).toEqual(["0.6", "0.7", "0.8", "0.95"]);
      expect(await page.locator("#memory polygon.spilled").count()).toBe(1);
      // Cost curve: a point per sweep task, a median per size, the fitted line and the chosen chunk.
      expect(await page.locator("#cost circle.point").count()).toBe(doc.fit.points);
      expect(await page.locator("#cost rect.median").count()).toBe(doc.sweep.length);
      expect(await page.locator("#cost line.predicted").count()).toBe(1);
      expect(await page.locator("#cost line.chosen").count()).toBe(1);
    } finally {
      await browser.close();
    }
  });

  it("human output: the model, the predicted-vs-measured table and the recommendation; progress lines on stderr", async () => {
    const run = await runCli(["probe", fixture("zarr2", "climate.zarr"), "--budget", "4s", "--threads", "2"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Measured model/);
    expect(run.stdout).toMatch(/per-task overhead\s+\S+ µs\s+measured|per-task overhead\s+\S+ ms\s+measured/);
    expect(run.stdout).toMatch(/predicted vs measured/);
    expect(run.stdout).toMatch(/compute chunk \(\d+, 73, 144\)/);
    expect(run.stderr).toMatch(/^probe \[[\d.]+\/4 s\] overhead:/m);
    expect(run.stderr).toMatch(/done: probe finished/);
  });

  it("bad input exits 2 with one line", async () => {
    const missing = await runCli(["probe", path.join(dir, "nope.zarr"), "--budget", "2s"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split("\n")).toHaveLength(1);
    const budget = await runCli(["probe", fixture("zarr2", "climate.zarr"), "--budget", "soon"]);
    expect(budget.code).toBe(2);
    expect(budget.stderr).toMatch(/invalid --budget "soon"/);
    const strings = await runCli(["probe", fixture("hdf5", "climate.h5"), "--array", "names", "--budget", "2s"]);
    expect(strings.code).toBe(4);
  });
});
