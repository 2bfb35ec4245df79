"""Check blosc frames written by chunkwise's encoder against Debian's numcodecs, for test/formats/blosc-encode.test.ts.

Usage: blosc-encode-check.py IN_FILE MANIFEST_FILE OUT_FILE. IN_FILE holds the raw data and our frames,
at the byte ranges each case of the JSON manifest gives. For every case: decode our frame with
numcodecs.blosc.decompress, and compress the raw data with the same settings, writing that frame to
OUT_FILE. Prints a JSON list: per case whether numcodecs decoded our frame to the raw bytes, and the
range of its own frame in OUT_FILE. numcodecs takes the typesize from the buffer's itemsize, so data
whose length the typesize does not divide goes through the same libblosc.so.1 by ctypes. One thread,
so that blocks are stored in order and frames can be compared byte for byte.
"""
import ctypes
import json
import sys

import numcodecs.blosc as blosc
import numpy as np

blosc.set_nthreads(1)
blob = open(sys.argv[1], "rb").read()
cases = json.load(open(sys.argv[2]))
out = open(sys.argv[3], "wb")
offset = 0

lib = ctypes.CDLL("libblosc.so.1")
lib.blosc_compress_ctx.restype = ctypes.c_int
lib.blosc_compress_ctx.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_void_p,
                                   ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int]
DTYPES = {1: "u1", 2: "u2", 4: "u4", 8: "u8"}


def reference(raw, case):
    typesize = case["typesize"]
    if len(raw) % typesize == 0:
        array = np.frombuffer(raw, dtype=DTYPES.get(typesize, f"V{typesize}"))
        return blosc.compress(array, b"lz4", case["clevel"], case["shuffle"], case["blocksize"]), "numcodecs"
    dest = ctypes.create_string_buffer(len(raw) + 16)
    size = lib.blosc_compress_ctx(case["clevel"], case["shuffle"], typesize, len(raw), raw, dest, len(dest), b"lz4", case["blocksize"], 1)
    assert size > 0, "blosc_compress_ctx failed"
    return dest.raw[:size], "libblosc"


results = []
for case in cases:
    raw = blob[case["raw"][0]:case["raw"][0] + case["raw"][1]]
    ours = blob[case["frame"][0]:case["frame"][0] + case["frame"][1]]
    try:
        decoded = blosc.decompress(ours) == raw
    except Exception:
        decoded = False
    frame, source = reference(raw, case)
    out.write(frame)
    results.append(dict(decoded=decoded, ref=[offset, len(frame)], source=source))
    offset += len(frame)
out.close()
json.dump(results, sys.stdout)
