/**
 * Facts that follow from an array's shape, dtype and chunking alone: pure arithmetic shared by
 * inspect, advise and rechunk.
 */

export interface LayoutInput {
  readonly shape: readonly number[];
  readonly itemSize: number;
  /** Storage chunk shape; null for contiguous data (the whole array is one block). */
  readonly chunks: readonly number[] | null;
  /** Shard shape (Zarr v3 sharding), null otherwise. */
  readonly shards?: readonly number[] | null;
}

export interface ChunkLayout {
  /** The storage chunk (the whole shape for contiguous data). */
  readonly chunkShape: readonly number[];
  /** Chunks along each axis, edge chunks included. */
  readonly gridShape: readonly number[];
  readonly chunkCount: number;
  /** Uncompressed bytes of one full chunk. */
  readonly chunkBytes: number;
  /** Uncompressed bytes of the whole array. */
  readonly logicalBytes: number;
  /** Extent of the last chunk along each axis (equals the chunk where the shape divides evenly). */
  readonly edgeExtents: readonly number[];
  /** Share of the chunk grid's elements that lie outside the array: padding stored or decoded for nothing. */
  readonly edgeWasteFraction: number;
  /** Stored objects in the grid: chunks, or shards when sharded. */
  readonly objectCount: number;
  /** Uncompressed bytes of one stored object (a chunk, or a whole shard). */
  readonly objectBytes: number;
}

export const product = (values: readonly number[]): number => values.reduce((a, b) => a * b, 1);

export const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);

export function gridShape(shape: readonly number[], chunks: readonly number[]): number[] {
  return shape.map((extent, axis) => (extent === 0 ? 0 : ceilDiv(extent, chunks[axis]!)));
}

export function chunkLayout(input: LayoutInput): ChunkLayout {
  const { shape, itemSize } = input;
  const chunkShape = input.chunks ?? [...shape];
  const grid = gridShape(shape, chunkShape);
  const chunkCount = product(grid);
  const chunkElements = product(chunkShape);
  const logicalElements = product(shape);
  const gridElements = chunkCount * chunkElements;
  const edgeExtents = shape.map((extent, axis) => {
    const chunk = chunkShape[axis]!;
    return extent === 0 ? 0 : extent - (grid[axis]! - 1) * chunk;
  });
  const shards = input.shards ?? null;
  return {
    chunkShape,
    gridShape: grid,
    chunkCount,
    chunkBytes: chunkElements * itemSize,
    logicalBytes: logicalElements * itemSize,
    edgeExtents,
    edgeWasteFraction: gridElements === 0 ? 0 : 1 - logicalElements / gridElements,
    objectCount: shards ? product(gridShape(shape, shards)) : chunkCount,
    objectBytes: (shards ? product(shards) : chunkElements) * itemSize,
  };
}

/**
 * Logical (uncompressed) bytes over stored bytes, for the objects actually written. Null when
 * either side is unknown or nothing is stored.
 */
export function compressionRatio(layout: ChunkLayout, storedBytes: number | null, writtenObjects: number | null, contiguous: boolean): number | null {
  if (storedBytes === null || storedBytes <= 0) return null;
  if (contiguous) return layout.logicalBytes / storedBytes;
  if (writtenObjects === null || writtenObjects === 0) return null;
  return (writtenObjects * layout.objectBytes) / storedBytes;
}
