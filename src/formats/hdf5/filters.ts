/**
 * HDF5 filters → Codec. h5wasm decodes only the filters compiled into its HDF5 build: deflate,
 * shuffle, fletcher32, szip (libaec), nbit, scaleoffset. chunkwise does not load h5wasm-plugins
 * (it needs `--legacy-peer-deps`, which makes `npm ci` fragile), so every other filter (lzf,
 * blosc, zstd, bitshuffle, …) is listed as unsupported — and reading through it is refused,
 * because h5wasm would otherwise hand back undecoded bytes.
 */
import type { Codec } from "../dataset.js";

export interface Hdf5Filter {
  readonly id: number;
  readonly name: string;
  readonly cd_values: readonly number[];
}

/** Filter ids h5wasm 0.10.3 decodes (verified on fixtures: deflate, shuffle, fletcher32, szip, scaleoffset). */
export const BUILT_IN_FILTERS: ReadonlySet<number> = new Set([1, 2, 3, 4, 5, 6]);

/** Registered HDF5 filter ids (https://github.com/HDFGroup/hdf5_plugins/blob/master/docs/RegisteredFilterPlugins.md). */
const KNOWN_NAMES: Readonly<Record<number, string>> = {
  1: "deflate",
  2: "shuffle",
  3: "fletcher32",
  4: "szip",
  5: "nbit",
  6: "scaleoffset",
  305: "lzo",
  307: "bzip2",
  32000: "lzf",
  32001: "blosc",
  32004: "lz4",
  32008: "bitshuffle",
  32013: "zfp",
  32015: "zstd",
  32017: "sz",
  32026: "blosc2",
};

function namedParameters(id: number, cd: readonly number[]): Record<string, unknown> {
  switch (id) {
    case 1:
      return cd.length > 0 ? { level: cd[0] } : {};
    case 2:
      return cd.length > 0 ? { element_size: cd[0] } : {};
    case 4:
      return cd.length >= 2 ? { options_mask: cd[0], pixels_per_block: cd[1] } : {};
    default:
      return {};
  }
}

export function filterToCodec(filter: Hdf5Filter): Codec {
  const name = KNOWN_NAMES[filter.id] ?? (filter.name.trim() || `filter-${filter.id}`);
  return {
    name,
    id: filter.id,
    configuration: { ...namedParameters(filter.id, filter.cd_values), cd_values: [...filter.cd_values] },
    supported: BUILT_IN_FILTERS.has(filter.id),
  };
}

/** Why a chain cannot be decoded, or null when every filter is built in. */
export function unsupportedFilterReason(codecs: readonly Codec[]): string | null {
  const missing = codecs.filter((codec) => !codec.supported);
  if (missing.length === 0) return null;
  const list = missing.map((codec) => `${codec.name} (filter ${codec.id})`).join(", ");
  return `HDF5 ${missing.length === 1 ? "filter" : "filters"} ${list} ${missing.length === 1 ? "is" : "are"} not supported (chunkwise decodes only deflate, shuffle, fletcher32, szip, nbit and scaleoffset)`;
}
