"""Compares .npy files for the quant-run tests: check_npy.py A.npy B.npy"""
import sys

import numpy as np

a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
if a.dtype != b.dtype or a.shape != b.shape or not np.array_equal(a, b):
    sys.exit(f"mismatch: {a.dtype}{a.shape} {a.ravel()[:8]} vs {b.dtype}{b.shape} {b.ravel()[:8]}")
print("equal", a.dtype, a.shape)
