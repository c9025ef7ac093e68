#!/usr/bin/env python3
"""Writes reproducible .npy test arrays for the MPI checks (.ci/mpi), without numpy.

Each argument is PATH:SHAPE:DTYPE:SEED, e.g. a.npy:97x131:f4:1 (SHAPE H×W or
H×W×C; DTYPE f4, f8, u1 or u2).
"""
import random
import struct
import sys


def write_npy(path, shape, dtype, seed):
    rng = random.Random(seed)
    descr = {"f4": "<f4", "f8": "<f8", "u1": "|u1", "u2": "<u2"}[dtype]
    shape_text = "(" + ", ".join(map(str, shape)) + ")"
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape_text)
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    count = 1
    for d in shape:
        count *= d
    if dtype == "u1":
        values = [rng.randrange(256) for _ in range(count)]
    elif dtype == "u2":
        values = [rng.randrange(65536) for _ in range(count)]
    else:
        values = [rng.random() for _ in range(count)]
    code = {"f4": "f", "f8": "d", "u1": "B", "u2": "H"}[dtype]
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%d%s" % (count, code), *values))


for spec in sys.argv[1:]:
    path, shape, dtype, seed = spec.split(":")
    write_npy(path, tuple(int(x) for x in shape.split("x")), dtype, int(seed))
