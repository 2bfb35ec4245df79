/**
 * Spill files: one file per spilled result (its buffers back to back) in a private directory
 * made on first use and removed with everything in it by dispose().
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fromSystemError } from "../errors.js";

export interface SpillHandle {
  readonly file: string;
  /** byteLength of each buffer, in order. */
  readonly lengths: readonly number[];
}

export class SpillStore {
  private directory: Promise<string> | null = null;
  private counter = 0;

  constructor(private readonly parent: string) {}

  private dir(): Promise<string> {
    this.directory ??= mkdtemp(path.join(this.parent, "chunkwise-spill-")).catch((err: unknown) => {
      this.directory = null;
      throw fromSystemError(err, this.parent);
    });
    return this.directory;
  }

  async write(buffers: readonly ArrayBuffer[]): Promise<SpillHandle> {
    const file = path.join(await this.dir(), `${this.counter++}.bin`);
    try {
      await writeFile(file, buffers.map((b) => new Uint8Array(b)));
    } catch (err) {
      throw fromSystemError(err, file);
    }
    return { file, lengths: buffers.map((b) => b.byteLength) };
  }

  /** Read a spilled result back into fresh ArrayBuffers and delete its file. */
  async read(handle: SpillHandle): Promise<ArrayBuffer[]> {
    let data: Buffer;
    try {
      data = await readFile(handle.file);
    } catch (err) {
      throw fromSystemError(err, handle.file);
    }
    await rm(handle.file, { force: true });
    const buffers: ArrayBuffer[] = [];
    let offset = 0;
    for (const length of handle.lengths) {
      buffers.push(data.buffer.slice(data.byteOffset + offset, data.byteOffset + offset + length) as ArrayBuffer);
      offset += length;
    }
    return buffers;
  }

  async dispose(): Promise<void> {
    const dir = this.directory;
    this.directory = null;
    if (dir) await rm(await dir.catch(() => ""), { recursive: true, force: true }).catch(() => undefined);
  }
}
