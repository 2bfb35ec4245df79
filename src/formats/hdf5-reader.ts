/**
 * HDF5 and netCDF-4 values for a worker thread. Chunks the direct reader can decode are read
 * without h5wasm, which is then never loaded in the thread: its wasm heap (chunk cache and decoded
 * chunks, never given back) costs tens to hundreds of MiB per thread. Anything else — other
 * filters and layouts, regions, paths only h5wasm resolves — opens the full h5wasm Dataset on first need.
 */
import type { FileHandle } from "node:fs/promises";
import type { Block, Dataset, DatasetReader, PartMemory, PlacedBlock, Region } from "./dataset.js";
import { filePathIn, normalizeRoot, openHdf5, openHdf5File, type OpenHdf5Options } from "./hdf5.js";
import { DirectReads, type DirectChunkReader } from "./hdf5/direct-read.js";

export async function openHdf5Reader(location: string, options: OpenHdf5Options = {}): Promise<DatasetReader> {
  const reported = options.location ?? location;
  const { handle, superblock } = await openHdf5File(location, reported);
  return new Hdf5Reader(location, options, handle, new DirectReads(handle.fd, superblock, reported));
}

class Hdf5Reader implements DatasetReader {
  readonly location: string;
  private readonly root: string;
  private full: Promise<Dataset> | undefined;

  constructor(
    private readonly file: string,
    private readonly options: OpenHdf5Options,
    private readonly handle: FileHandle,
    private readonly direct: DirectReads,
  ) {
    this.location = options.location ?? file;
    this.root = normalizeRoot(options.root);
  }

  async readChunk(arrayPath: string, chunkCoords: readonly number[]): Promise<Block> {
    return this.directReader(arrayPath)?.readChunk(chunkCoords) ?? (await this.dataset()).readChunk(arrayPath, chunkCoords);
  }

  async readChunkPart(arrayPath: string, chunkCoords: readonly number[], part: Region, memory?: PartMemory): Promise<PlacedBlock> {
    return this.directReader(arrayPath)?.readChunkPart(chunkCoords, part, memory) ?? (await this.dataset()).readChunkPart(arrayPath, chunkCoords, part, memory);
  }

  async readRegion(arrayPath: string, start: readonly number[], stop: readonly number[]): Promise<Block> {
    return (await this.dataset()).readRegion(arrayPath, start, stop);
  }

  async close(): Promise<void> {
    const full = this.full;
    this.full = undefined;
    await this.handle.close();
    if (full !== undefined) await (await full).close();
  }

  private directReader(arrayPath: string): DirectChunkReader | null {
    const reported = normalizeRoot(arrayPath);
    return this.direct.byPath(reported, filePathIn(this.root, reported));
  }

  private dataset(): Promise<Dataset> {
    this.full ??= openHdf5(this.file, this.options);
    return this.full;
  }
}
