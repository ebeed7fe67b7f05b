#!/usr/bin/env python3
"""qc.block_linear test models and an independent NumPy reference.

  block_linear_models.py make OUT_DIR SPEC...     SPEC = FORMAT:MxKxN[:dyn][:bias]
  block_linear_models.py check MODEL.npz X.npy Y.npy

`make` writes, per spec, `bl_<FORMAT>_<M>x<K>x<N>[_dyn][_bias].mlir` (one
qc.block_linear on a dense_resource weight of raw llama.cpp blocks), the
matching input `x_<M>x<K>.npy` and `<model>.npz` (weight bytes, bias). The
inputs have ragged edges the kernels must handle: the first block of row 0
is zero (its int8 scale is 1), and the last row is tiny (1e-35), so that
activation scale times weight scale falls below the normal floats.

`check` recomputes the layer from the .npz with NumPy: the integer form
(Q4_0 / Q8_0 with dyn) exactly as docs/Executor.md defines it, the float
form of Q4_0 / Q8_0 / F16 in float64 within a relative bound of the sum of
|x w|. It exits non-zero on a mismatch.
"""
import os
import sys

import numpy as np

BLOCK = {"Q4_0": (32, 18), "Q8_0": (32, 34), "Q5_0": (32, 22), "Q4_1": (32, 20),
         "Q4_K": (256, 144), "Q6_K": (256, 210), "F16": (1, 2)}


def f16_bytes(v):
    return np.asarray(v, np.float16).view(np.uint8)


def make_blocks(fmt, n, k, rng):
    bs, tb = BLOCK[fmt]
    nb = k // bs
    if fmt == "F16":
        return (rng.standard_normal((n, k)) * 0.05).astype(np.float16).view(np.uint8).reshape(n, 2 * k)
    raw = rng.integers(0, 256, size=(n, nb, tb), dtype=np.uint8)
    d = rng.uniform(0.002, 0.03, size=(n, nb)) * rng.choice([-1.0, 1.0], size=(n, nb))
    # The last row's scales are tiny: binary16 subnormals.
    d[-1, :] = rng.choice([2.0 ** -24, 3 * 2.0 ** -24, 2.0 ** -20], size=nb)
    dbytes = f16_bytes(d).reshape(n, nb, 2)
    if fmt == "Q6_K":
        raw[:, :, 208:210] = dbytes
    else:
        raw[:, :, 0:2] = dbytes
        if fmt in ("Q4_1", "Q4_K"):  # m / dmin
            raw[:, :, 2:4] = f16_bytes(rng.uniform(0.0, 0.01, size=(n, nb))).reshape(n, nb, 2)
    if fmt == "Q8_0":
        raw[:, :, 2:] = rng.integers(-128, 128, size=(n, nb, 32), dtype=np.int8).view(np.uint8)
    return raw.reshape(n, nb * tb)


def resource(name, arr):
    return f'      {name}: "0x{(1).to_bytes(4, "little").hex()}{arr.tobytes().hex()}"'


def make(out, spec):
    parts = spec.split(":")
    fmt = parts[0]
    m, k, n = (int(v) for v in parts[1].split("x"))
    dyn, bias = "dyn" in parts[2:], "bias" in parts[2:]
    rng = np.random.default_rng([m, k, n, len(fmt), ord(fmt[1]), dyn, bias])
    w = make_blocks(fmt, n, k, rng)
    b = rng.standard_normal(n).astype(np.float32) if bias else np.zeros(0, np.float32)
    name = f"bl_{fmt}_{m}x{k}x{n}" + ("_dyn" if dyn else "") + ("_bias" if bias else "")
    np.savez(os.path.join(out, name + ".npz"), w=w, bias=b, fmt=fmt, dyn=dyn)
    rb = w.shape[1]
    attrs = f'format = "{fmt}"' + (", dynamic_act" if dyn else "")
    blobs = [resource("w", w)]
    b_def = b_arg = b_type = ""
    if bias:
        blobs.append(resource("b", b))
        b_def = f"\n  %b = qc.constant dense_resource<b> : tensor<{n}xf32>"
        b_arg, b_type = ", %b", f", tensor<{n}xf32>"
    text = f"""func.func @main(%x: tensor<{m}x{k}xf32> {{qc.name = "x"}}) -> (tensor<{m}x{n}xf32> {{qc.name = "y"}}) {{
  %w = qc.constant dense_resource<w> : tensor<{n}x{rb}xi8>{b_def}
  %y = qc.block_linear %x, %w{b_arg} {{{attrs}}} : (tensor<{m}x{k}xf32>, tensor<{n}x{rb}xi8>{b_type}) -> tensor<{m}x{n}xf32>
  return %y : tensor<{m}x{n}xf32>
}}

{{-#
  dialect_resources: {{
    builtin: {{
{",".join(chr(10) + b for b in blobs).lstrip(chr(10))}
    }}
  }}
#-}}
"""
    with open(os.path.join(out, name + ".mlir"), "w") as f:
        f.write(text)
    xr = np.random.default_rng([m, k, 7])
    x = xr.standard_normal((m, k)).astype(np.float32)
    x[0, :min(32, k)] = 0
    if m > 1:
        x[-1, :] *= np.float32(1e-35)
    np.save(os.path.join(out, f"x_{m}x{k}.npy"), x)
    print(name)


def decode(fmt, w, k):
    """Codes and scales (Q4_0 / Q8_0) or float rows (F16)."""
    n = w.shape[0]
    if fmt == "F16":
        return w.view(np.float16).astype(np.float32).reshape(n, k)
    bs, tb = BLOCK[fmt]
    blk = w.reshape(n, k // 32, tb)
    d = blk[:, :, 0:2].copy().view(np.float16).astype(np.float32).reshape(n, k // 32)
    if fmt == "Q4_0":
        qs = blk[:, :, 2:].astype(np.int32)
        codes = np.concatenate([(qs & 15) - 8, (qs >> 4) - 8], axis=2)
    else:
        codes = blk[:, :, 2:].copy().view(np.int8).astype(np.int32)
    return codes.reshape(n, k), d


def check(npz, xfile, yfile):
    z = np.load(npz)
    fmt, dyn = str(z["fmt"]), bool(z["dyn"])
    x, y = np.load(xfile), np.load(yfile)
    m, k = x.shape
    w, bias = z["w"], z["bias"]
    n = w.shape[0]
    b = bias if bias.size else np.zeros(n, np.float32)
    if dyn:
        codes, d = decode(fmt, w, k)
        nb = k // 32
        xb = x.reshape(m, nb, 32)
        amax = np.abs(xb).max(axis=2)
        s = (amax.astype(np.float64) / 127.0).astype(np.float32)
        s = np.where((amax > 0) & (s >= np.finfo(np.float32).tiny), s, np.float32(1))
        xq = np.clip(np.rint(xb / s[:, :, None]), -127, 127).astype(np.int32)
        want = np.tile(b, (m, 1)).astype(np.float32)
        cb = codes.reshape(n, nb, 32)
        for blk in range(nb):
            acc = xq[:, blk, :] @ cb[:, blk, :].T
            scale = (s[:, blk, None].astype(np.float64) * d[None, :, blk].astype(np.float64)).astype(np.float32)
            want = (want + acc.astype(np.float32) * scale).astype(np.float32)
        bad = np.argwhere(want.view(np.uint32) != y.view(np.uint32))
        if bad.size:
            i, j = bad[0]
            sys.exit(f"{npz}: {len(bad)} outputs differ, first [{i}, {j}]: {y[i, j]!r} != {want[i, j]!r}")
        print(f"{os.path.basename(npz)}: {m * n} outputs bit-identical to the reference")
        return
    if fmt == "F16":
        wf = decode(fmt, w, k).astype(np.float64)
    else:
        codes, d = decode(fmt, w, k)
        wf = (codes.reshape(n, k // 32, 32) * d[:, :, None]).reshape(n, k).astype(np.float64)
    want = x.astype(np.float64) @ wf.T + b
    bound = (np.abs(x.astype(np.float64)) @ np.abs(wf).T + np.abs(b)) * (k + 1) * 2.0 ** -24
    err = np.abs(y - want)
    if not np.all(err <= bound + 1e-45):
        i, j = np.unravel_index(np.argmax(err - bound), err.shape)
        sys.exit(f"{npz}: output [{i}, {j}] = {y[i, j]!r}, want {want[i, j]!r} within {bound[i, j]!r}")
    print(f"{os.path.basename(npz)}: {m * n} outputs within the float bound")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "make":
        for s in sys.argv[3:]:
            make(sys.argv[2], s)
    elif len(sys.argv) == 5 and sys.argv[1] == "check":
        check(*sys.argv[2:])
    else:
        sys.exit(__doc__)
