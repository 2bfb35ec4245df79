import { describe, expect, it } from "vitest";
import { type MemorySources, detectMemory } from "../../src/system/memory.js";

const GiB = 2 ** 30;

function sources(files: Record<string, string>, overrides: Partial<MemorySources> = {}): MemorySources {
  return {
    totalmem: () => 24 * GiB,
    freemem: () => 20 * GiB,
    constrainedMemory: () => undefined,
    availableMemory: () => 22 * GiB,
    readFile: (p) => files[p],
    ...overrides,
  };
}

describe("detectMemory", () => {
  it("uses total memory when no limit exists", () => {
    const facts = detectMemory(undefined, sources({}));
    expect(facts).toMatchObject({ totalBytes: 24 * GiB, containerLimitBytes: null, limitBytes: 24 * GiB, limitSource: "total", availableBytes: 22 * GiB });
  });

  it("reads cgroup v2 memory.max of the process's cgroup, and the smallest up the tree", () => {
    const facts = detectMemory(
      undefined,
      sources({
        "/proc/self/cgroup": "0::/kubepods/pod1/ctr\n",
        "/sys/fs/cgroup/kubepods/pod1/ctr/memory.max": "max\n",
        "/sys/fs/cgroup/kubepods/pod1/memory.max": `${4 * GiB}\n`,
        "/sys/fs/cgroup/kubepods/memory.max": `${8 * GiB}\n`,
      }),
    );
    expect(facts).toMatchObject({ containerLimitBytes: 4 * GiB, limitBytes: 4 * GiB, limitSource: "cgroup v2", availableBytes: 4 * GiB });
  });

  it("treats cgroup v2 'max' everywhere as no limit", () => {
    const facts = detectMemory(undefined, sources({ "/proc/self/cgroup": "0::/\n", "/sys/fs/cgroup/memory.max": "max\n" }));
    expect(facts.containerLimitBytes).toBeNull();
  });

  it("reads cgroup v1 memory.limit_in_bytes, ignoring the 2^63 'unlimited' value", () => {
    const v1 = "4:memory:/docker/abc\n3:cpu:/\n0::/\n";
    const limited = detectMemory(undefined, sources({ "/proc/self/cgroup": v1, "/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": `${2 * GiB}\n` }));
    expect(limited).toMatchObject({ containerLimitBytes: 2 * GiB, limitSource: "cgroup v1" });
    const unlimited = detectMemory(undefined, sources({ "/proc/self/cgroup": v1, "/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": "9223372036854771712\n" }));
    expect(unlimited.containerLimitBytes).toBeNull();
  });

  it("prefers process.constrainedMemory when it is below total, and ignores 0 or huge values", () => {
    expect(detectMemory(undefined, sources({}, { constrainedMemory: () => 3 * GiB })).limitSource).toBe("process.constrainedMemory");
    expect(detectMemory(undefined, sources({}, { constrainedMemory: () => 0 })).containerLimitBytes).toBeNull();
    expect(detectMemory(undefined, sources({}, { constrainedMemory: () => 2 ** 64 })).containerLimitBytes).toBeNull();
  });

  it("lets --memory override the plan but still reports what was detected", () => {
    const facts = detectMemory(8 * GiB, sources({ "/proc/self/cgroup": "0::/\n", "/sys/fs/cgroup/memory.max": `${4 * GiB}` }));
    expect(facts).toMatchObject({ limitBytes: 8 * GiB, limitSource: "--memory", containerLimitBytes: 4 * GiB });
  });

  it("falls back to os.freemem when process.availableMemory is absent", () => {
    expect(detectMemory(undefined, sources({}, { availableMemory: () => undefined })).availableBytes).toBe(20 * GiB);
  });
});
