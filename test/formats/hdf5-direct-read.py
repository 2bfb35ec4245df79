"""Write HDF5 and netCDF-4 files for test/formats/hdf5-direct-read.test.ts.

Usage: hdf5-direct-read.py OUT_DIR. Writes early.h5 (libver earliest: v1 B-tree indexes),
latest.h5 (libver latest: single chunk, implicit, fixed array, extensible array, v2 B-tree
indexes), dense.h5 (a group of more than 8 links, kept in a fractal heap) and nc.nc (netCDF4-python),
and prints JSON: per file, the datasets and, for some, where their chunks are stored.
"""
import json
import zlib
import sys

import h5py
import netCDF4
import numpy as np

out = sys.argv[1]
rng = np.random.default_rng(20240612)
DTYPES = ["i1", "u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8", "<f4", "<f8", ">i2", ">u4", ">i8", ">f4", ">f8"]


def values(dtype, shape):
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return (rng.standard_normal(shape) * 1000).astype(dt)
    info = np.iinfo(dt)
    return rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dt.newbyteorder("=")).astype(dt)


def chunk_info(ds):
    infos = []
    for i in range(ds.id.get_num_chunks()):
        info = ds.id.get_chunk_info(i)
        infos.append({"offset": [int(o) for o in info.chunk_offset], "address": int(info.byte_offset), "size": int(info.size), "mask": int(info.filter_mask)})
    return infos


def filtered_family(f, prefix):
    """Every dtype through every filter chain the direct reader decodes, with edge chunks."""
    names = []
    for dtype in DTYPES:
        for label, options in [
            ("raw", {}),
            ("deflate", {"compression": "gzip", "compression_opts": 1}),
            ("shuffle", {"compression": "gzip", "shuffle": True}),
            ("fletcher", {"fletcher32": True}),
            ("all", {"compression": "gzip", "shuffle": True, "fletcher32": True}),
        ]:
            name = f"{prefix}{label}_{dtype.replace('<', 'le').replace('>', 'be')}"
            f.create_dataset(name, data=values(dtype, (13, 7, 5)), chunks=(4, 3, 5), **options)
            names.append("/" + name)
    return names


manifest = {}

# libver earliest: every chunked dataset indexed by a version-1 B-tree.
with h5py.File(f"{out}/early.h5", "w", libver="earliest") as f:
    names = filtered_family(f, "")
    fill = f.create_dataset("fill", shape=(20, 20), dtype="<i4", chunks=(6, 6), fillvalue=-7, compression="gzip")
    fill[0:6, 0:6] = 1
    fill[18:20, 12:18] = 2
    nofill = f.create_dataset("befill", shape=(10, 10), dtype=">f8", chunks=(4, 4), fillvalue=1.5, shuffle=True, compression="gzip")
    nofill[4:8, 4:8] = 3.25
    masked = f.create_dataset("masked", shape=(8, 8), dtype="<i4", chunks=(4, 4), compression="gzip", shuffle=True)
    masked[...] = np.arange(64, dtype="<i4").reshape(8, 8)
    raw = np.arange(16, dtype="<i4").reshape(4, 4) * -3
    masked.id.write_direct_chunk((4, 4), raw.tobytes(), filter_mask=0b11)  # deflate and shuffle skipped
    shuffled_only = np.frombuffer(raw.tobytes(), dtype=np.uint8).reshape(16, 4).T.copy().tobytes()
    masked.id.write_direct_chunk((0, 4), shuffled_only, filter_mask=0b10)  # deflate skipped, shuffle not
    big = f.create_dataset("big", data=np.arange(300 * 400, dtype="<f4").reshape(300, 400), chunks=(100, 100), compression="gzip", shuffle=True)
    f.create_dataset("lzf", data=np.arange(100, dtype="<i4"), chunks=(10,), compression="lzf")
    f.create_dataset("scaleoffset", data=np.arange(100, dtype="<i4"), chunks=(10,), scaleoffset=0)
    f.create_dataset("contiguous", data=np.arange(100, dtype="<i4"))
    wrong = f.create_dataset("wrongsize", shape=(4, 4), dtype="<i4", chunks=(4, 4), compression="gzip")
    wrong.id.write_direct_chunk((0, 0), zlib.compress(bytes(10)))
    f.create_dataset("flags", data=np.array([True, False] * 10), chunks=(4,))
    g = f.create_group("group/sub")
    g.create_dataset("deep", data=np.arange(60, dtype="<i2").reshape(3, 4, 5), chunks=(2, 2, 5), compression="gzip")
    manifest["early"] = {
        "direct": names + ["/fill", "/befill", "/masked", "/big", "/group/sub/deep"],
        "h5wasm": ["/scaleoffset", "/contiguous", "/flags"],
        "chunks": {p: chunk_info(f[p]) for p in ["/big", "/all_lef4", "/deflate_lei4"]},
        "addresses": {p: h5py.h5o.get_info(f[p].id).addr for p in ["/big"]},
    }

# libver latest: the index depends on the dataset's shape, maximum shape and allocation time.
with h5py.File(f"{out}/latest.h5", "w", libver="latest") as f:
    names = filtered_family(f, "fa_")  # fixed-size, more than one chunk: fixed array
    f.create_dataset("single", data=values("<f8", (6, 7)), chunks=(6, 7), compression="gzip", shuffle=True)
    f.create_dataset("single_raw", data=values(">i4", (6, 7)), chunks=(6, 7))
    f.create_dataset("fa_max", data=values("<i4", (10, 20)), chunks=(3, 6), maxshape=(25, 41), compression="gzip")
    f.create_dataset("fa_paged", data=values("<u2", (80, 80)), chunks=(1, 4), compression="gzip")  # 1600 chunks: paged
    ea = f.create_dataset("ea", shape=(0, 9), maxshape=(None, 9), chunks=(2, 4), dtype="<f4", compression="gzip", shuffle=True, fletcher32=True)
    ea.resize((37, 9))
    ea[...] = values("<f4", (37, 9))
    ea2 = f.create_dataset("ea_second", shape=(11, 0), maxshape=(11, None), chunks=(4, 3), dtype=">i8", compression="gzip")
    ea2.resize((11, 40))
    ea2[...] = values(">i8", (11, 40))
    ea2[:, 30:] = 0
    bt = f.create_dataset("bt2", shape=(0, 0), maxshape=(None, None), chunks=(3, 5), dtype="<i2", fletcher32=True, fillvalue=99)
    bt.resize((14, 23))
    bt[0:9, :] = values("<i2", (9, 23))
    bt_raw = f.create_dataset("bt2_raw", shape=(0, 0), maxshape=(None, None), chunks=(3, 5), dtype="<u4")
    bt_raw.resize((7, 12))
    bt_raw[...] = values("<u4", (7, 12))
    sid = h5py.h5s.create_simple((12, 10))
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_chunk((5, 4))
    dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
    h5py.h5d.create(f.id, b"implicit", h5py.h5t.STD_I32BE, sid, dcpl=dcpl)
    f["implicit"][...] = np.arange(120, dtype=">i4").reshape(12, 10)
    manifest["latest"] = {
        "direct": names + ["/single", "/single_raw", "/fa_max", "/ea", "/ea_second", "/bt2", "/bt2_raw", "/implicit", "/fa_paged"],
        "h5wasm": [],
        "chunks": {p: chunk_info(f[p]) for p in ["/fa_all_lef4", "/bt2"]},
        "addresses": {p: h5py.h5o.get_info(f[p].id).addr for p in ["/single", "/single_raw", "/fa_max", "/fa_paged", "/ea", "/ea_second", "/bt2", "/bt2_raw", "/implicit"]},
    }

# More than 8 links in the root group: dense link storage, which only h5wasm resolves.
with h5py.File(f"{out}/dense.h5", "w", libver="latest") as f:
    for i in range(12):
        f.create_dataset(f"v{i:02d}", data=np.arange(40, dtype="<i4").reshape(8, 5) + i, chunks=(3, 5), compression="gzip")
    manifest["dense"] = {"direct": [f"/v{i:02d}" for i in range(12)], "h5wasm": []}

with netCDF4.Dataset(f"{out}/nc.nc", "w", format="NETCDF4") as nc:
    nc.createDimension("time", None)
    nc.createDimension("lat", 19)
    nc.createDimension("lon", 36)
    t = nc.createVariable("time", "f8", ("time",))
    t[:] = np.arange(10)
    tas = nc.createVariable("tas", "f4", ("time", "lat", "lon"), zlib=True, complevel=1, shuffle=True, chunksizes=(1, 19, 36), fill_value=1e20)
    tas[0:9] = values("<f4", (9, 19, 36))
    pr = nc.createVariable("pr", np.dtype(">i2"), ("lat", "lon"), zlib=True, chunksizes=(5, 10), endian="big")
    pr[:] = values(">i2", (19, 36))
    # netCDF puts fletcher32 first: shuffle and deflate then work on the data and its checksum.
    checked = nc.createVariable("checked", "f8", ("lat", "lon"), zlib=True, shuffle=True, fletcher32=True, chunksizes=(7, 9))
    checked[:] = values("<f8", (19, 36))
    manifest["nc"] = {"direct": ["/time", "/tas", "/pr", "/checked"], "h5wasm": []}

print(json.dumps(manifest))
