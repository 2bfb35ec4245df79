/**
 * Zarr v3 output: one `zarr.json` per node, regular chunk grid, default chunk key encoding with "/"
 * (`c/0/1`), codecs [bytes (with the stored endianness), compressor], or, when sharded,
 * [sharding_indexed {inner chunk, that chain, index_codecs [bytes little, crc32c], index at the
 * end}] — shards built by shard.ts.
 */
import type { GroupDescription } from "../dataset.js";
import { zarrV3Compressor } from "./compressor.js";
import { toJsonSafeRecord } from "./json-safe.js";
import type { StagedArray } from "./prepared-array.js";
import { SHARD_INDEX_CODECS } from "./shard.js";
import { fillValueJson, type MetadataDocument, type ZarrLayout } from "./zarr-layout.js";

function chunkCodecs(array: StagedArray): unknown[] {
  const { dtype } = array.spec;
  const bytes = dtype.itemSize === 1 ? { name: "bytes" } : { name: "bytes", configuration: { endian: dtype.byteOrder === "big" ? "big" : "little" } };
  return array.compressor ? [bytes, zarrV3Compressor(array.compressor, dtype.itemSize)] : [bytes];
}

export const zarrV3Layout: ZarrLayout = {
  format: "zarr3",
  arrayDocuments(array: StagedArray): MetadataDocument[] {
    const { spec } = array;
    const codecs = spec.shards
      ? [
          {
            name: "sharding_indexed",
            configuration: { chunk_shape: [...spec.chunks], codecs: chunkCodecs(array), index_codecs: SHARD_INDEX_CODECS, index_location: "end" },
          },
        ]
      : chunkCodecs(array);
    const attributes = toJsonSafeRecord(spec.attributes);
    delete attributes["_ARRAY_DIMENSIONS"];
    return [
      {
        name: "zarr.json",
        content: {
          zarr_format: 3,
          node_type: "array",
          shape: [...spec.shape],
          data_type: spec.dtype.name,
          chunk_grid: { name: "regular", configuration: { chunk_shape: [...(spec.shards ?? spec.chunks)] } },
          chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
          fill_value: fillValueJson(array, false),
          codecs,
          attributes,
          ...(spec.dimensionNames ? { dimension_names: [...spec.dimensionNames] } : {}),
        },
      },
    ];
  },
  groupDocuments(group: GroupDescription): MetadataDocument[] {
    return [{ name: "zarr.json", content: { zarr_format: 3, node_type: "group", attributes: toJsonSafeRecord(group.attributes) } }];
  },
  unitKey(unitCoords: readonly number[]): string[] {
    return ["c", ...unitCoords.map(String)];
  },
};
