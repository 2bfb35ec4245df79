import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { newMemory } from "../../src/formats/wasm/instantiate.js";
import { handOverWrittenFiles, setWriteBehind, writeBehind, writeBehindAvailable } from "../../src/formats/write/write-behind.js";
import { type NativeHelpers, type WriteBehindStats, nativeHelpers } from "../../src/system/native.js";

const MiB = 2 ** 20;
const tmp = mkdtempSync(path.join(os.tmpdir(), "cw-native-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// CI builds the helpers (npm ci runs scripts/build-native.mjs): a Linux run without them is a broken build.
const helpers = (): NativeHelpers => {
  const loaded = nativeHelpers();
  expect(loaded, "native/build/Release/chunkwise_native.node did not load: run `node scripts/build-native.mjs`").not.toBeNull();
  return loaded!;
};

async function statsAfter(before: WriteBehindStats, done: (now: WriteBehindStats) => boolean): Promise<WriteBehindStats> {
  for (let i = 0; i < 500; i++) {
    const now = helpers().writeBehindStats();
    if (done(now)) return now;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return helpers().writeBehindStats();
}

const anonHugeKiB = (): number => Number(/AnonHugePages:\s+(\d+) kB/.exec(readFileSync("/proc/self/smaps_rollup", "utf8"))?.[1] ?? 0);
const hugePagesMode = (): string => /\[(\w+)\]/.exec(readFileSync("/sys/kernel/mm/transparent_hugepage/enabled", "utf8"))?.[1] ?? "never";

describe.runIf(process.platform === "linux")("native helpers", () => {
  it("load here, and not with CHUNKWISE_NATIVE=0", () => {
    expect(Object.keys(helpers()).sort()).toEqual(["adviseHugePages", "writeBehind", "writeBehindStats"]);
    expect(writeBehindAvailable()).toBe(true);
    const off = spawnSync(process.execPath, ["--input-type=module", "-e", "const m = await import('./dist/system/native.js'); console.log(m.nativeHelpers() === null)"], {
      encoding: "utf8",
      env: { ...process.env, CHUNKWISE_NATIVE: "0" },
    });
    expect(off.stdout.trim(), off.stderr).toBe("true");
  });

  it("advise huge pages over the 2 MiB-aligned interior of a buffer, and none for a buffer too small to hold one", () => {
    const advised = helpers().adviseHugePages(new ArrayBuffer(9 * MiB));
    expect(advised % (2 * MiB)).toBe(0);
    expect(advised).toBeGreaterThanOrEqual(6 * MiB);
    expect(advised).toBeLessThanOrEqual(8 * MiB);
    expect(helpers().adviseHugePages(new ArrayBuffer(MiB))).toBe(0);
    expect(() => helpers().adviseHugePages(new Uint8Array(8) as unknown as ArrayBuffer)).toThrow(TypeError);
  });

  it.runIf(process.platform === "linux" && hugePagesMode() !== "never")("a new WebAssembly memory is backed by huge pages once touched", () => {
    const before = anonHugeKiB();
    const memory = newMemory((32 * MiB) / 65_536)!;
    const bytes = new Uint8Array(memory.buffer);
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] = 1;
    // The kernel may lack a free huge page now and then: most of the 30 aligned MiB is enough.
    expect(anonHugeKiB() - before).toBeGreaterThanOrEqual(16 * 1024);
  });

  it("write-behind writes a file back and drops it from the page cache off the calling thread, flushes once per flushEveryBytes, and leaves the bytes as they were", async () => {
    const file = path.join(tmp, "chunk");
    const data = new Uint8Array(3 * MiB).map((_, i) => (i * 7) & 0xff);
    writeFileSync(file, data);
    const before = helpers().writeBehindStats();
    expect(helpers().writeBehind([file], MiB)).toBe(true);
    const after = await statsAfter(before, (now) => now.files > before.files);
    expect(after.files - before.files).toBe(1);
    expect(after.bytes - before.bytes).toBe(3 * MiB);
    expect(after.flushes - before.flushes).toBe(1);
    expect(after.failures).toBe(before.failures);
    // Written back and out of the page cache (fincore: resident bytes), then read back intact.
    const resident = spawnSync("fincore", ["--bytes", "--noheadings", "--output", "RES", file], { encoding: "utf8" });
    expect(resident.stdout.trim(), resident.stderr).toBe("0");
    expect(readFileSync(file).equals(Buffer.from(data))).toBe(true);
    // Under flushEveryBytes since the last flush: no flush.
    expect(helpers().writeBehind([file], 8 * MiB)).toBe(true);
    const later = await statsAfter(after, (now) => now.files > after.files);
    expect(later.flushes).toBe(after.flushes);
  });

  it("write-behind of a file that is gone counts a failure, throws nothing and still writes back the rest of its batch", async () => {
    const before = helpers().writeBehindStats();
    const present = path.join(tmp, "present");
    writeFileSync(present, new Uint8Array(1000));
    expect(helpers().writeBehind([path.join(tmp, "missing"), present], 0)).toBe(true);
    const after = await statsAfter(before, (now) => now.failures > before.failures);
    expect(after.failures - before.failures).toBe(1);
    // The rest of the batch is still written back.
    const rest = await statsAfter(after, (now) => now.files > before.files);
    expect(rest.files - before.files).toBe(1);
    expect(rest.bytes - before.bytes).toBe(1000);
    expect(helpers().writeBehind([], 0)).toBe(true);
    expect(() => helpers().writeBehind(path.join(tmp, "x") as unknown as string[], 0)).toThrow(TypeError);
    expect(() => helpers().writeBehind([42] as unknown as string[], 0)).toThrow(TypeError);
    expect(() => helpers().writeBehind([path.join(tmp, "x")], -1)).toThrow(TypeError);
  });

  it("writeBehind() notes files only while it is on in the thread, and hands them over in batches and at handOverWrittenFiles()", async () => {
    const files = Array.from({ length: 3 }, (_, i) => path.join(tmp, `switch${i}`));
    for (const file of files) writeFileSync(file, new Uint8Array(4096));
    const before = helpers().writeBehindStats();
    setWriteBehind(false);
    writeBehind(files[0]!, 4096);
    setWriteBehind(true);
    writeBehind(files[1]!, 4096);
    writeBehind(files[2]!, 4096);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Small files wait for their batch to fill, or for the end of the task.
    expect(helpers().writeBehindStats().files).toBe(before.files);
    handOverWrittenFiles();
    const after = await statsAfter(before, (now) => now.files >= before.files + 2);
    expect(after.files - before.files).toBe(2);
    expect(after.bytes - before.bytes).toBe(8192);
    // A batch is handed over as soon as it holds 8 MiB.
    const big = path.join(tmp, "big");
    writeFileSync(big, new Uint8Array(8 * MiB));
    writeBehind(big, 8 * MiB);
    const full = await statsAfter(after, (now) => now.files > after.files);
    expect(full.bytes - after.bytes).toBe(8 * MiB);
    setWriteBehind(false);
  });
});
