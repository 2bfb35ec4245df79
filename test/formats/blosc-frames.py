"""Write blosc1 frames for test/formats/blosc-decode.test.ts.

Usage: blosc-frames.py OUT_FILE. Writes the data and frames back to back into OUT_FILE and prints a
JSON list of cases, each with the byte ranges of its data and its frame. Most frames come from
numcodecs.blosc.compress, as Zarr writes them; the rest from the same libblosc.so.1 through ctypes,
for what numcodecs cannot ask for: a length that is not a multiple of the typesize, typesizes with
no numpy type, and c-blosc's split modes.
"""
import ctypes
import json
import sys

import numcodecs.blosc as blosc
import numpy as np

rng = np.random.default_rng(20240611)
out = open(sys.argv[1], "wb")
offset = 0
cases = []


def put(blob):
    global offset
    out.write(blob)
    start = offset
    offset += len(blob)
    return [start, len(blob)]


def data(kind, nbytes, typesize):
    if kind == "random":
        return rng.integers(0, 256, nbytes, dtype=np.uint8).tobytes()
    if kind == "constant":
        return bytes(nbytes)
    # smooth floats: a slow wave in float32/float64 where the typesize allows, else a byte ramp
    if typesize in (4, 8):
        dtype = np.float32 if typesize == 4 else np.float64
        n = nbytes // typesize
        wave = (280.0 + 15.0 * np.sin(np.arange(n) / 50.0)).astype(dtype).tobytes()
        return wave + bytes(nbytes - len(wave))
    return (np.arange(nbytes) // 7 % 256).astype(np.uint8).tobytes()


DTYPES = {1: "u1", 2: "u2", 3: "V3", 4: "u4", 8: "u8", 16: "V16"}
ELEMENTS = 2003

for typesize, dtype in DTYPES.items():
    for kind in ("random", "constant", "smooth"):
        raw = data(kind, ELEMENTS * typesize, typesize)
        raw_range = put(raw)
        array = np.frombuffer(raw, dtype=dtype)
        for cname in ("lz4", "lz4hc", "zstd", "blosclz"):
            for shuffle in (0, 1, 2):
                for clevel in (0, 1, 5, 9):
                    for blocksize in (0, 256, 4096):
                        frame = blosc.compress(array, cname.encode(), clevel, shuffle, blocksize)
                        cases.append(dict(source="numcodecs", typesize=typesize, kind=kind, cname=cname, shuffle=shuffle,
                                          clevel=clevel, blocksize=blocksize, splitmode="default", raw=raw_range, frame=put(frame)))

# c-blosc multiplies the block size of split frames by the typesize and makes it at least 64 KiB, so
# split frames with several blocks and a leftover one take more data.
for typesize, elements in ((2, 150001), (4, 150001), (8, 20001), (16, 20001)):
    raw = data("smooth", elements * typesize, typesize)
    raw_range = put(raw)
    array = np.frombuffer(raw, dtype=DTYPES.get(typesize, "V16"))
    for cname in ("lz4", "lz4hc"):
        for shuffle in (0, 1):
            for clevel in (1, 5):
                for blocksize in (0, 8192):
                    frame = blosc.compress(array, cname.encode(), clevel, shuffle, blocksize)
                    cases.append(dict(source="numcodecs", typesize=typesize, kind="smooth", cname=cname, shuffle=shuffle,
                                      clevel=clevel, blocksize=blocksize, splitmode="default", raw=raw_range, frame=put(frame)))

# All zeros compress about 251:1, close to the 255:1 an LZ4 block can reach at most.
zeros = np.zeros(2**18, dtype="<f4")
zeros_range = put(zeros.tobytes())
for cname in ("lz4", "lz4hc"):
    frame = blosc.compress(zeros, cname.encode(), 9, 1, 0)
    cases.append(dict(source="numcodecs", typesize=4, kind="zeros", cname=cname, shuffle=1, clevel=9, blocksize=0,
                      splitmode="default", raw=zeros_range, frame=put(frame)))

lib = ctypes.CDLL("libblosc.so.1")
lib.blosc_compress.restype = ctypes.c_int
lib.blosc_compress.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
lib.blosc_set_nthreads(1)
SPLITMODES = {"always": 1, "never": 2, "auto": 3, "forward_compat": 4}


def c_blosc(raw, typesize, cname, clevel, shuffle, blocksize, splitmode):
    lib.blosc_set_compressor(cname.encode())
    lib.blosc_set_blocksize(ctypes.c_size_t(blocksize))
    lib.blosc_set_splitmode(SPLITMODES[splitmode])
    dest = ctypes.create_string_buffer(len(raw) + 16)
    size = lib.blosc_compress(clevel, shuffle, typesize, len(raw), raw, dest, len(dest))
    assert size > 0, "blosc_compress failed"
    return dest.raw[:size]


for typesize in (2, 3, 4, 5, 8, 16, 17, 255):
    for kind in ("random", "smooth"):
        for nbytes in (typesize * 700 + typesize // 2 + 1, 4097, 100):
            raw = data(kind, nbytes, typesize)
            raw_range = put(raw)
            for cname in ("lz4", "lz4hc"):
                for shuffle in (0, 1):
                    for blocksize in (0, 1024):
                        for splitmode in ("forward_compat", "never", "auto"):
                            frame = c_blosc(raw, typesize, cname, 5, shuffle, blocksize, splitmode)
                            cases.append(dict(source="libblosc", typesize=typesize, kind=kind, cname=cname, shuffle=shuffle,
                                              clevel=5, blocksize=blocksize, splitmode=splitmode, raw=raw_range, frame=put(frame)))
lib.blosc_set_splitmode(SPLITMODES["forward_compat"])
lib.blosc_set_blocksize(ctypes.c_size_t(0))

out.close()
json.dump(cases, sys.stdout)
