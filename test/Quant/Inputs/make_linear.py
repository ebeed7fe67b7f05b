"""Writes a one-layer model (linear 32 -> 8, random weights) as qc IR plus
calibration and test inputs whose features have non-zero means, for the
bias-correction and activation-fallback tests.

    make_linear.py OUT_DIR [--outlier]

With --outlier, input feature 0 is 50 times larger than the others (the
activation outlier channel that SmoothQuant migrates into the weights).
"""
import os
import sys

import numpy as np

out = sys.argv[1]
outlier = "--outlier" in sys.argv[2:]
rng = np.random.default_rng(3)
w = rng.standard_normal((8, 32)).astype(np.float32)
b = rng.standard_normal(8).astype(np.float32) * 0.1


def dense(a):
    return "dense<" + np.array2string(a, separator=", ", threshold=1 << 20,
                                      floatmode="unique").replace("\n", "") + ">"


with open(os.path.join(out, "linear.mlir"), "w") as f:
    f.write(f"""func.func @main(%x: tensor<16x32xf32> {{qc.name = "x"}}) -> (tensor<16x8xf32> {{qc.name = "y"}}) {{
  %w = qc.constant {dense(w)} : tensor<8x32xf32> loc("fc.weight")
  %b = qc.constant {dense(b)} : tensor<8xf32>
  %y = qc.linear %x, %w, %b : (tensor<16x32xf32>, tensor<8x32xf32>, tensor<8xf32>) -> tensor<16x8xf32> loc("fc")
  return %y : tensor<16x8xf32>
}}
""")
mean = rng.uniform(0.5, 2.0, 32).astype(np.float32)
for name, n in (("calib", 8), ("test", 4)):
    x = (mean + 0.3 * rng.standard_normal((n * 16, 32))).astype(np.float32)
    if outlier:
        x[:, 0] *= 50
    np.save(os.path.join(out, f"{name}.npy"), x)
