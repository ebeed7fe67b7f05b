#!/usr/bin/env python3
"""Checks that outputs of one run are close to another's.

    close_outputs.py OURS_DIR THEIRS_DIR NAME... [--tol 1e-5]

For every NAME, OURS_DIR/NAME.npy and THEIRS_DIR/NAME.npy must have the
same dtype and shape, NaN and infinities at the same places, and finite
values with |ours - theirs| <= tol * (1 + |theirs|). Prints one line per
name; exits 1 when any is out of tolerance.
"""

import argparse
import os
import sys

import numpy as np


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("ours")
    ap.add_argument("theirs")
    ap.add_argument("names", nargs="+")
    ap.add_argument("--tol", type=float, default=1e-5)
    args = ap.parse_args(argv)
    bad = 0
    for name in args.names:
        a = np.load(os.path.join(args.ours, name + ".npy"))
        b = np.load(os.path.join(args.theirs, name + ".npy"))
        if a.shape != b.shape or a.dtype != b.dtype:
            print(f"{name}: {a.dtype}{a.shape} vs {b.dtype}{b.shape} MISMATCH")
            bad += 1
            continue
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        same_special = np.array_equal(np.isnan(a64), np.isnan(b64)) and np.array_equal(
            a64[np.isinf(a64)], b64[np.isinf(a64)]) and np.array_equal(np.isinf(a64), np.isinf(b64))
        fin = np.isfinite(a64) & np.isfinite(b64)
        err = np.abs(a64[fin] - b64[fin]) / (1.0 + np.abs(b64[fin]))
        worst = float(err.max()) if err.size else 0.0
        ok = same_special and worst <= args.tol
        print(f"{name}: max relative diff {worst:.3g} (limit {args.tol:g})"
              f"{'' if same_special else ', NaN/inf differ'} {'ok' if ok else 'EXCEEDED'}")
        bad += not ok
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
