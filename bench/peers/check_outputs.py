#!/usr/bin/python3
"""Inputs for, and numpy references of, the models that make_models.py writes.

    check_outputs.py inputs MODEL.onnx DIR [--seed S]
        writes DIR/<input>.npy for every graph input (random, of its declared
        type and shape)
    check_outputs.py check MODEL.onnx INPUT_DIR OUTPUT_DIR
        recomputes Y from the model's own initializers and attributes and
        compares it with OUTPUT_DIR/Y.npy (as ort_bench --output-dir writes it)

The reference knows the three graph kinds of make_models.py:
  - MatMulInteger: exact, (A - a_zero_point) @ (B - b_zero_point) in int32;
  - MatMulNBits: A @ dequant(B)^T in float64, within a bound on float
    rounding and, for accuracy_level 4, on the int8 rounding of A;
  - DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul: the float product,
    within a bound on the uint8 rounding of A.
Prints one line per check and exits 1 when the output is off.
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

NP_TYPES = {1: np.float32, 2: np.uint8, 3: np.int8, 6: np.int32, 7: np.int64, 11: np.float64}


def load(path):
    model = onnx.load(path)
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    return model, inits


def graph_inputs(model, inits):
    out = []
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        tt = vi.type.tensor_type
        dims = [d.dim_value for d in tt.shape.dim]
        if any(d <= 0 for d in dims):
            raise SystemExit(f"check_outputs: input {vi.name} has a dynamic shape")
        out.append((vi.name, NP_TYPES[tt.elem_type], dims))
    return out


def make_inputs(model_path, out_dir, seed):
    model, inits = load(model_path)
    rng = np.random.default_rng(seed)
    os.makedirs(out_dir, exist_ok=True)
    for name, dtype, dims in graph_inputs(model, inits):
        if dtype == np.float32:
            a = rng.uniform(-1.0, 1.0, size=dims).astype(np.float32)
        else:
            info = np.iinfo(dtype)
            a = rng.integers(info.min, int(info.max) + 1, size=dims, dtype=np.int64).astype(dtype)
        np.save(os.path.join(out_dir, name + ".npy"), a)
        print(os.path.join(out_dir, name + ".npy"))


def attr(node, name, default=None):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def unpack_codes(packed, bits, count):
    """packed: uint8 [..., B]; each byte holds 8 // bits codes, the first in
    the lowest bits. Returns the first `count` codes along the last axis."""
    per = 8 // bits
    mask = (1 << bits) - 1
    shifts = np.arange(per) * bits
    codes = (packed[..., None].astype(np.int64) >> shifts) & mask
    return codes.reshape(packed.shape[:-1] + (packed.shape[-1] * per,))[..., :count]


def ref_matmulinteger(node, inits, feeds):
    a = feeds[node.input[0]] if node.input[0] in feeds else inits[node.input[0]]
    b = feeds[node.input[1]] if node.input[1] in feeds else inits[node.input[1]]
    a_zp = inits[node.input[2]] if len(node.input) > 2 and node.input[2] else np.zeros((), a.dtype)
    b_zp = inits[node.input[3]] if len(node.input) > 3 and node.input[3] else np.zeros((), b.dtype)
    y = (a.astype(np.int64) - a_zp.astype(np.int64)) @ (b.astype(np.int64) - b_zp.astype(np.int64))
    return y.astype(np.int32)


def dequant_nbits(node, inits):
    """Returns the dequantized weight as float64 [N, K]."""
    k, n = attr(node, "K"), attr(node, "N")
    bits, block = attr(node, "bits", 4), attr(node, "block_size")
    packed = inits[node.input[1]]
    kb = -(-k // block)
    if packed.shape != (n, kb, block * bits // 8):
        raise SystemExit(f"check_outputs: B has shape {packed.shape}, "
                         f"expected {(n, kb, block * bits // 8)}")
    codes = unpack_codes(packed, bits, block)                       # [N, kb, block]
    scales = inits[node.input[2]].astype(np.float64).reshape(n, kb)
    if len(node.input) > 3 and node.input[3]:
        zp = unpack_codes(inits[node.input[3]].reshape(n, -1), bits, kb)  # [N, kb]
    else:
        zp = np.full((n, kb), 1 << (bits - 1))
    w = (codes - zp[..., None]) * scales[..., None]
    return w.reshape(n, kb * block)[:, :k]


def compare_float(label, got, ref, bound):
    err = np.abs(got.astype(np.float64) - ref)
    worst = int(np.argmax(err - bound))
    ok = bool(np.all(err <= bound))
    print(f"{'PASS' if ok else 'FAIL'} {label}: max_abs_err={err.max():.3g} "
          f"max_ref={np.abs(ref).max():.3g} worst_err/bound={err.flat[worst] / bound.flat[worst]:.3g}")
    return ok


def check(model_path, in_dir, out_dir):
    model, inits = load(model_path)
    feeds = {name: np.load(os.path.join(in_dir, name + ".npy"))
             for name, _, _ in graph_inputs(model, inits)}
    y = np.load(os.path.join(out_dir, "Y.npy"))
    ops = [n.op_type for n in model.graph.node]
    label = os.path.basename(model_path)
    eps = np.finfo(np.float32).eps

    if ops == ["MatMulInteger"]:
        ref = ref_matmulinteger(model.graph.node[0], inits, feeds)
        ok = y.dtype == np.int32 and y.shape == ref.shape and np.array_equal(y, ref)
        detail = (f"dtype={y.dtype} shape={y.shape}" if y.dtype != np.int32 or y.shape != ref.shape
                  else f"mismatches={int(np.count_nonzero(y != ref))}/{ref.size}")
        print(f"{'PASS' if ok else 'FAIL'} {label}: exact int32, {detail}")
        return ok

    if ops == ["MatMulNBits"]:
        node = model.graph.node[0]
        a = feeds[node.input[0]].astype(np.float64)
        w = dequant_nbits(node, inits)
        ref = a @ w.T
        if len(node.input) > 5 and node.input[5]:
            ref = ref + inits[node.input[5]].astype(np.float64)
        if y.dtype != np.float32 or y.shape != ref.shape:
            print(f"FAIL {label}: dtype={y.dtype} shape={y.shape}, expected float32 {ref.shape}")
            return False
        # Float rounding: a few ulps of the sum of |terms|, K terms deep.
        k = a.shape[-1]
        bound = 4 * k * eps * (np.abs(a) @ np.abs(w).T) + 1e-30
        if attr(node, "accuracy_level", 0) == 4:
            # A may be rounded to int8 with a scale of at most max|A row| / 127:
            # each element moves by at most half of that step.
            step = np.abs(a).max(axis=-1, keepdims=True) / 127.0
            bound = bound + 0.5 * step * np.abs(w).sum(axis=-1)[None, :]
        return compare_float(label, y, ref, bound)

    if ops == ["DynamicQuantizeLinear", "MatMulInteger", "Mul", "Cast", "Mul"]:
        mmi = model.graph.node[1]
        b = inits[mmi.input[1]].astype(np.float64)
        b_scale = inits[model.graph.node[2].input[1]].astype(np.float64)
        a = feeds[model.graph.node[0].input[0]].astype(np.float64)
        ref = a @ (b * b_scale)
        # uint8 rounding of A: scale = (max(A,0) - min(A,0)) / 255; an element
        # moves by at most one step (half a step by rounding, one at the
        # clipped ends).
        step = (max(a.max(), 0.0) - min(a.min(), 0.0)) / 255.0
        bound = step * np.abs(b * b_scale).sum(axis=0)[None, :] \
            + 4 * a.shape[-1] * eps * (np.abs(a) @ np.abs(b * b_scale))
        if y.dtype != np.float32 or y.shape != ref.shape:
            print(f"FAIL {label}: dtype={y.dtype} shape={y.shape}, expected float32 {ref.shape}")
            return False
        return compare_float(label, y, ref, bound)

    raise SystemExit(f"check_outputs: no reference for a graph of {ops}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    pi = sub.add_parser("inputs")
    pi.add_argument("model")
    pi.add_argument("dir")
    pi.add_argument("--seed", type=int, default=0)
    pc = sub.add_parser("check")
    pc.add_argument("model")
    pc.add_argument("input_dir")
    pc.add_argument("output_dir")
    args = p.parse_args(argv)
    if args.cmd == "inputs":
        make_inputs(args.model, args.dir, args.seed)
        return 0
    return 0 if check(args.model, args.input_dir, args.output_dir) else 1


if __name__ == "__main__":
    sys.exit(main())
