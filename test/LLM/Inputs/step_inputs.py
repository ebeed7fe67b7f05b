#!/usr/bin/python3
"""Writes .npy inputs for one decoding step of a compiled llama2.c step
graph (names and shapes from the artifact's manifest.json): token 42 at
position 3 after three cached positions of random keys and values, the mask
open on positions 0..3. Prints the quant-run --input arguments."""
import json
import os
import sys

import numpy as np

manifest, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)
args = []
for i in json.load(open(manifest))["inputs"]:
    name, shape = i["name"], i["shape"]
    if name == "tokens":
        a = np.array([[42]], np.int64)
    elif name == "pos":
        a = np.array(3, np.int64)
    elif name == "mask":
        a = np.full(shape, -np.inf, np.float32)
        a[..., :4] = 0
    else:
        a = np.zeros(shape, np.float32)
        a[:, :, :3, :] = rng.standard_normal((shape[0], shape[1], 3, shape[3])) * 0.5
    path = os.path.join(out, name + ".npy")
    np.save(path, a)
    args.append(f"--input {name}={path}")
print(" ".join(args))
