#!/usr/bin/env python3
"""Checks a float GEMM result against the reference executor's.

    fgemm_check.py ours.npy ref.npy x.npy w.npy [b.npy]

y = b + x w^T with x [M, K], w [N, K]. Computed in f32 in any order of the
K + 1 terms (with or without fused multiply-adds), each result is within
g * S of the exact value, where S = |b| + |x| |w|^T (elementwise) and
g = (K + 1) u / (1 - (K + 1) u), u = 2^-24 (the classical bound of a
recursive sum; an FMA only removes roundings). So both results must lie
within g * S of the exact product (computed here in f64, itself exact to
far below that), and within 2 g * S of each other. Exits 1 otherwise, or
on a shape mismatch or a value that is not finite.
"""
import sys

import numpy as np


def main(argv):
    ours, ref, x, w = (np.load(p) for p in argv[:4])
    b = np.load(argv[4]) if len(argv) > 4 else np.zeros(w.shape[0], np.float32)
    if ours.shape != ref.shape or ours.dtype != np.float32 or ref.dtype != np.float32:
        print(f"shape/dtype mismatch: {ours.dtype}{ours.shape} vs {ref.dtype}{ref.shape}")
        return 1
    x64, w64, b64 = (a.astype(np.float64) for a in (x, w, b))
    exact = x64 @ w64.T + b64
    s = np.abs(x64) @ np.abs(w64).T + np.abs(b64)
    k = x.shape[1]
    u = 2.0 ** -24
    g = (k + 1) * u / (1 - (k + 1) * u)
    if not np.all(np.isfinite(ours)):
        print("not finite")
        return 1
    o64, r64 = ours.astype(np.float64), ref.astype(np.float64)
    s = np.maximum(s, np.finfo(np.float64).tiny)  # S = 0: exactly 0 expected
    worst = max(float(np.max(np.abs(o64 - exact) / (g * s))),
                float(np.max(np.abs(r64 - exact) / (g * s))),
                float(np.max(np.abs(o64 - r64) / (2 * g * s))))
    ok = worst <= 1.0
    print(f"{list(ours.shape)} K={k}: max |y - ref| {float(np.max(np.abs(o64 - r64))):.3g}, "
          f"{worst:.3f} of the bound {'ok' if ok else 'EXCEEDED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
