import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, fixture, runCli } from "../helpers/cli.js";

/**
 * Every bad input gets one line on stderr naming the path and the problem, its documented exit
 * code, no stack trace — and with --json, an error document on stdout.
 */
let scratch: string;

beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), "chunkwise-bad-"));
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function expectOneLineError(result: CliResult, code: number, ...fragments: string[]): void {
  expect(result.code, result.stderr).toBe(code);
  const lines = result.stderr.trimEnd().split("\n");
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^chunkwise: /);
  for (const fragment of fragments) expect(lines[0]).toContain(fragment);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

function copyStore(name: string): string {
  const target = path.join(scratch, `${name}-${Math.random().toString(36).slice(2)}`);
  cpSync(fixture("zarr2", "climate.zarr"), target, { recursive: true });
  return target;
}

describe("inspect on bad input", () => {
  it("a path that does not exist → exit 2", async () => {
    const missing = path.join(scratch, "nope.zarr");
    expectOneLineError(await runCli(["inspect", missing]), 2, missing, "no such file");
  });

  it("a directory that is not a Zarr store → exit 2", async () => {
    const dir = path.join(scratch, "plain-dir");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "notes.txt"), "hello");
    expectOneLineError(await runCli(["inspect", dir]), 2, dir);
  });

  it("a file that is neither HDF5 nor a zip → exit 2", async () => {
    const file = fixture("malformed", "not_a_dataset.bin");
    expectOneLineError(await runCli(["inspect", file]), 2, file, "neither");
  });

  it("a netCDF-3 classic file → exit 2 and the nccopy hint", async () => {
    const file = fixture("netcdf", "classic.nc");
    expectOneLineError(await runCli(["inspect", file]), 2, file, "netCDF-3", "nccopy -k nc4");
  });

  it("invalid JSON in .zarray → exit 2 naming that file", async () => {
    const store = copyStore("badjson");
    writeFileSync(path.join(store, "tas", ".zarray"), '{"zarr_format": 2, "shape": [48,');
    const consolidated = path.join(store, ".zmetadata");
    rmSync(consolidated, { force: true });
    const result = await runCli(["inspect", store]);
    expectOneLineError(result, 2, path.join("tas", ".zarray"));
    expect(result.stderr.toLowerCase()).toContain("json");
  });

  it("invalid JSON in zarr.json (v3) → exit 2 naming that file", async () => {
    const store = path.join(scratch, "badv3.zarr");
    mkdirSync(store);
    writeFileSync(path.join(store, "zarr.json"), "{ not json");
    expectOneLineError(await runCli(["inspect", store]), 2, "zarr.json");
  });

  it("metadata missing a required key → exit 2 naming the key", async () => {
    const store = copyStore("nokey");
    rmSync(path.join(store, ".zmetadata"), { force: true });
    const zarrayPath = path.join(store, "tas", ".zarray");
    const zarray = JSON.parse(readFileSync(zarrayPath, "utf8"));
    delete zarray.chunks;
    writeFileSync(zarrayPath, JSON.stringify(zarray));
    expectOneLineError(await runCli(["inspect", store]), 2, "chunks");
  });

  it("an unknown codec → the array is still listed, marked unsupported", async () => {
    const store = copyStore("unknown-codec");
    rmSync(path.join(store, ".zmetadata"), { force: true });
    const zarrayPath = path.join(store, "tas", ".zarray");
    const zarray = JSON.parse(readFileSync(zarrayPath, "utf8"));
    zarray.compressor = { id: "made-up-codec", level: 3 };
    writeFileSync(zarrayPath, JSON.stringify(zarray));
    const result = await runCli(["inspect", store, "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const tas = JSON.parse(result.stdout).arrays.find((a: { path: string }) => a.path === "/tas");
    expect(tas.readable).toBe(false);
    expect(tas.unreadable_reason).toContain("made-up-codec");
    expect(tas.codecs.find((c: { name: string }) => c.name === "made-up-codec").supported).toBe(false);
    const human = await runCli(["inspect", store]);
    expect(human.stdout).toContain("made-up-codec(3)[unsupported]");
  });

  it("a truncated HDF5 file → exit 3", async () => {
    const file = fixture("malformed", "truncated.h5");
    expectOneLineError(await runCli(["inspect", file]), 3, file, "truncated");
  });

  it("an unreadable file → exit 3 'permission denied'", async () => {
    const file = path.join(scratch, "secret.h5");
    cpSync(fixture("hdf5", "climate.h5"), file);
    chmodSync(file, 0o000);
    chmodSync(scratch, 0o755);
    // root reads anything: run the CLI as an unprivileged user when the tests run as root.
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534, env: { HOME: scratch, XDG_DATA_HOME: scratch, XDG_CACHE_HOME: scratch, XDG_CONFIG_HOME: scratch } } : {};
    const result = await runCli(["inspect", file], asNobody);
    expectOneLineError(result, 3, file, "permission denied");
  });

  it("an unknown flag → exit 2, one line", async () => {
    expectOneLineError(await runCli(["inspect", fixture("zarr2", "climate.zarr"), "--frobnicate"]), 2, "frobnicate");
  });

  it("a bad --memory value → exit 2 naming the flag", async () => {
    expectOneLineError(await runCli(["inspect", fixture("zarr2", "climate.zarr"), "--memory", "lots"]), 2, "--memory");
  });

  it("a missing PATH argument → exit 2", async () => {
    const result = await runCli(["inspect"]);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("--json also prints the error as a JSON document, with the same exit code", async () => {
    const missing = path.join(scratch, "nope2.zarr");
    const result = await runCli(["inspect", missing, "--json"]);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ schema: 1, error: { code: "NotFoundError", path: missing, exit_code: 2 } });
  });

  it("--debug adds the stack trace", async () => {
    const result = await runCli(["inspect", path.join(scratch, "nope3.zarr"), "--debug"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/\n\s+at /);
  });
});
