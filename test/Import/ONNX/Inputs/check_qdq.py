#!/usr/bin/env python3
# ===- check_qdq.py - reference results of the quant-qdq.test models -----=== #
#
# Part of quantc. `check_qdq.py MODEL OUT_DIR INPUT.npy...` computes the
# outputs of the named quant-qdq.test model with NumPy, following the ONNX
# definitions of QuantizeLinear / DequantizeLinear, and compares them with
# the .npy files quant-run wrote to OUT_DIR: one "name: equal dtype shape"
# line per output, or a mismatch message and exit status 1.
#
# ===----------------------------------------------------------------------=== #

import os
import sys

import numpy as np


def dequantize(x, scale, zero_point):
    return (x.astype(np.float32) - zero_point.astype(np.float32)) * scale


def quantize(x, scale, zero_point, lo=0, hi=255, dtype=np.uint8):
    q = np.rint(x / scale) + zero_point.astype(np.float32)
    return np.clip(q, lo, hi).astype(dtype)


def u8_input(a, b):
    af = dequantize(a, np.float32(0.5), np.uint8(128))
    bf = dequantize(b, np.array([1, 2, 0.25], np.float32),
                    np.array([1, 2, 255], np.uint8))
    y = (af + af) * bf
    return {"y": y, "q": quantize(y, np.float32(0.25), np.uint8(10))}


def runtime_params(x, s, z):
    sc, zc = s.reshape(3, 1), z.reshape(3, 1)
    q = quantize(x, sc, zc)
    return {"q": q, "y": dequantize(q, sc, zc)}


def torch_qat(x):
    # Every product and sum is a short dyadic fraction: exact in float32 in any order.
    xd = dequantize(quantize(x, np.float32(0.125), np.uint8(7)), np.float32(0.125), np.uint8(7))
    w = np.array([[-128, -1, 0, 127], [5, -6, 7, -8], [1, 2, 3, 4]], np.int8)
    wd = dequantize(w, np.array([[0.5], [0.25], [0.125]], np.float32), np.zeros([3, 1], np.int8))
    g = xd @ wd.T + np.array([0.375, -0.25, 3.0], np.float32)
    return {"y": dequantize(quantize(g, np.float32(0.25), np.uint8(100)),
                            np.float32(0.25), np.uint8(100))}


MODELS = {"u8-input": u8_input, "runtime-params": runtime_params, "torch-qat": torch_qat}


def main():
    model, out_dir, inputs = sys.argv[1], sys.argv[2], sys.argv[3:]
    want = MODELS[model](*[np.load(p) for p in inputs])
    for name, w in want.items():
        got = np.load(os.path.join(out_dir, name + ".npy"))
        if got.dtype != w.dtype or got.shape != w.shape or not np.array_equal(got, w):
            sys.exit("%s: mismatch: got %s%s %s, want %s%s %s" %
                     (name, got.dtype, got.shape, got.ravel()[:8], w.dtype,
                      w.shape, w.ravel()[:8]))
        print("%s: equal %s %s" % (name, got.dtype, got.shape))


if __name__ == "__main__":
    main()
