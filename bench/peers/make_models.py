#!/usr/bin/python3
"""Writes one-op ONNX models of the kernels that quantc's generated CPU code is
timed against in ONNX Runtime (see README.md beside this file).

    make_models.py --out DIR [--m 1,128] [--k 4096] [--n 4096] [--block-size 32]
                   [--bits 4] [--kinds all] [--zero-points] [--seed 0]

For each M of --m it writes, by kind:
  matmulinteger   matmulinteger_M{M}_K{K}_N{N}.onnx      uint8 A x int8 B -> int32
                  matmulinteger_s8_M{M}_K{K}_N{N}.onnx   int8 A x int8 B -> int32
  dynquant        dynquant_matmul_M{M}_K{K}_N{N}.onnx    float A, DynamicQuantizeLinear,
                                                         MatMulInteger, Cast, Mul -> float
  matmulnbits     matmulnbits_M{M}_K{K}_N{N}_b{BS}.onnx       com.microsoft MatMulNBits
                  matmulnbits_M{M}_K{K}_N{N}_b{BS}_acc4.onnx  same, accuracy_level=4
                  (with --zero-points also the _zp variants with packed zero points;
                   --bits other than 4 adds _q{bits} to the name)
The model input is always "A", the output "Y"; weights are initializers drawn
from a fixed seed, so equal options give byte-identical files.
Needs Debian's python3-onnx and python3-numpy (run with /usr/bin/python3).
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13          # default domain
MS_DOMAIN = "com.microsoft"
KINDS = ("matmulinteger", "dynquant", "matmulnbits")


def save(model, path):
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def make(nodes, inputs, outputs, inits, name, ms=False):
    graph = helper.make_graph(nodes, name, inputs, outputs, initializer=inits)
    opsets = [helper.make_opsetid("", OPSET)]
    if ms:
        opsets.append(helper.make_opsetid(MS_DOMAIN, 1))
    model = helper.make_model(graph, opset_imports=opsets, producer_name="quantc-bench-peers")
    return model


def int8_weights(rng, k, n, reduce_range):
    lo, hi = (-64, 63) if reduce_range else (-127, 127)
    return rng.integers(lo, hi + 1, size=(k, n), dtype=np.int64).astype(np.int8)


def matmulinteger(out, m, k, n, rng, a_signed, a_zp, reduce_range):
    """Y[M,N] int32 = (A - a_zero_point) @ B, B int8 [K,N] an initializer."""
    a_type = TensorProto.INT8 if a_signed else TensorProto.UINT8
    zp_np = np.array(a_zp, dtype=np.int8 if a_signed else np.uint8)
    b = int8_weights(rng, k, n, reduce_range)
    node = helper.make_node("MatMulInteger", ["A", "B", "a_zero_point"], ["Y"])
    model = make([node],
                 [helper.make_tensor_value_info("A", a_type, [m, k])],
                 [helper.make_tensor_value_info("Y", TensorProto.INT32, [m, n])],
                 [numpy_helper.from_array(b, "B"), numpy_helper.from_array(zp_np, "a_zero_point")],
                 "matmulinteger")
    tag = "_s8" if a_signed else ""
    return save(model, os.path.join(out, f"matmulinteger{tag}_M{m}_K{k}_N{n}.onnx"))


def dynquant(out, m, k, n, rng, reduce_range):
    """The graph ONNX Runtime's dynamic quantizer emits for a float MatMul:
    A -> DynamicQuantizeLinear -> MatMulInteger(B int8, per-column scale) ->
    Cast -> Mul(a_scale * b_scale)."""
    b = int8_weights(rng, k, n, reduce_range)
    b_scale = (rng.random(n, dtype=np.float32) * 0.01 + 0.001).astype(np.float32)
    nodes = [
        helper.make_node("DynamicQuantizeLinear", ["A"], ["A_q", "A_scale", "A_zp"]),
        helper.make_node("MatMulInteger", ["A_q", "B", "A_zp"], ["Y_int"]),
        helper.make_node("Mul", ["A_scale", "B_scale"], ["scale"]),
        helper.make_node("Cast", ["Y_int"], ["Y_f"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["Y_f", "scale"], ["Y"]),
    ]
    model = make(nodes,
                 [helper.make_tensor_value_info("A", TensorProto.FLOAT, [m, k])],
                 [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [m, n])],
                 [numpy_helper.from_array(b, "B"), numpy_helper.from_array(b_scale, "B_scale")],
                 "dynquant_matmul")
    return save(model, os.path.join(out, f"dynquant_matmul_M{m}_K{k}_N{n}.onnx"))


def pack_codes(codes, bits):
    """codes: uint8 [..., L] of values < 2**bits, L a multiple of 8 // bits.
    Returns [..., L * bits // 8]: each byte holds 8 // bits codes, the first
    in the lowest bits."""
    per = 8 // bits
    shaped = codes.reshape(codes.shape[:-1] + (codes.shape[-1] // per, per)).astype(np.uint16)
    shifts = (np.arange(per, dtype=np.uint16) * bits)
    return (shaped << shifts).sum(axis=-1).astype(np.uint8)


def quantize_blocks(w, block_size, bits, zero_points):
    """w: float [N, K]. Returns codes uint8 [N, kb, block_size], scales float
    [N, kb] and, with zero_points, zp uint8 [N, kb] (else None: the operator's
    default 2**(bits-1) applies)."""
    n, k = w.shape
    kb = -(-k // block_size)
    padded = np.zeros((n, kb * block_size), np.float32)
    padded[:, :k] = w
    blocks = padded.reshape(n, kb, block_size)
    levels = (1 << bits) - 1
    if zero_points:
        lo = np.minimum(blocks.min(axis=-1), 0.0)
        hi = np.maximum(blocks.max(axis=-1), 0.0)
        scales = (hi - lo) / levels
        scales[scales == 0] = 1.0
        zp = np.clip(np.round(-lo / scales), 0, levels)
        codes = np.clip(np.round(blocks / scales[..., None]) + zp[..., None], 0, levels)
        return codes.astype(np.uint8), scales.astype(np.float32), zp.astype(np.uint8)
    half = 1 << (bits - 1)
    amax = np.abs(blocks).max(axis=-1)
    scales = amax / (half - 1)
    scales[scales == 0] = 1.0
    codes = np.clip(np.round(blocks / scales[..., None]), -half, half - 1) + half
    return codes.astype(np.uint8), scales.astype(np.float32), None


def matmulnbits(out, m, k, n, rng, block_size, bits, accuracy_level, zero_points):
    """Y[M,N] float = A[M,K] @ dequant(B)^T, B block-quantized along K."""
    if bits not in (2, 4, 8):
        raise SystemExit("make_models: --bits must be 2, 4 or 8")
    if block_size < 16 or block_size & (block_size - 1):
        raise SystemExit("make_models: --block-size must be a power of two >= 16")
    w = (rng.standard_normal((n, k), dtype=np.float32) * 0.05).astype(np.float32)
    codes, scales, zp = quantize_blocks(w, block_size, bits, zero_points)
    kb = codes.shape[1]
    packed = pack_codes(codes, bits)                        # [N, kb, block_size*bits/8]
    inits = [numpy_helper.from_array(packed, "B"), numpy_helper.from_array(scales, "scales")]
    inputs = ["A", "B", "scales"]
    if zp is not None:
        per = 8 // bits
        zp_padded = np.zeros((n, -(-kb // per) * per), np.uint8)
        zp_padded[:, :kb] = zp
        inits.append(numpy_helper.from_array(pack_codes(zp_padded, bits), "zero_points"))
        inputs.append("zero_points")
    attrs = dict(K=k, N=n, bits=bits, block_size=block_size)
    if accuracy_level:
        attrs["accuracy_level"] = accuracy_level
    node = helper.make_node("MatMulNBits", inputs, ["Y"], domain=MS_DOMAIN, **attrs)
    model = make([node],
                 [helper.make_tensor_value_info("A", TensorProto.FLOAT, [m, k])],
                 [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [m, n])],
                 inits, "matmulnbits", ms=True)
    name = f"matmulnbits_M{m}_K{k}_N{n}_b{block_size}"
    if bits != 4:
        name += f"_q{bits}"
    if zp is not None:
        name += "_zp"
    if accuracy_level:
        name += f"_acc{accuracy_level}"
    return save(model, os.path.join(out, name + ".onnx"))


def int_list(text):
    try:
        values = [int(v) for v in text.split(",") if v]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of integers: {text}")
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"want positive integers: {text}")
    return values


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, help="directory for the .onnx files")
    p.add_argument("--m", type=int_list, default=[1, 128], help="rows of A, comma-separated (1,128)")
    p.add_argument("--k", type=int, default=4096)
    p.add_argument("--n", type=int, default=4096)
    p.add_argument("--block-size", type=int, default=32, help="MatMulNBits block along K (32)")
    p.add_argument("--bits", type=int, default=4, help="MatMulNBits weight bits: 2, 4 or 8 (4)")
    p.add_argument("--accuracy-levels", type=str, default="0,4",
                   help="MatMulNBits accuracy_level values, one model each (0,4)")
    p.add_argument("--zero-points", action="store_true",
                   help="MatMulNBits: also write the asymmetric (_zp) variants")
    p.add_argument("--a-zero-point", type=int, default=None,
                   help="MatMulInteger a_zero_point (default 128 for uint8 A, 0 for int8 A)")
    p.add_argument("--reduce-range", action="store_true",
                   help="int8 weights in [-64, 63] (7 bits), as ORT's quantizer does for "
                        "u8 x s8 on x86 without VNNI, where wider weights may saturate")
    p.add_argument("--kinds", default="all", help=f"comma-separated subset of {','.join(KINDS)}")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    kinds = KINDS if args.kinds == "all" else tuple(args.kinds.split(","))
    for kind in kinds:
        if kind not in KINDS:
            p.error(f"unknown kind {kind}; choose from {', '.join(KINDS)}")
    if args.k < 1 or args.n < 1:
        p.error("--k and --n must be positive")
    levels = [int(v) for v in args.accuracy_levels.split(",") if v != ""]
    if any(v not in (0, 1, 2, 3, 4) for v in levels):
        p.error("--accuracy-levels takes values in 0..4")
    os.makedirs(args.out, exist_ok=True)

    written = []
    for m in args.m:
        # One generator per model, seeded by the model's identity: a model does
        # not change when others are added or left out.
        def rng(tag):
            return np.random.default_rng([args.seed, m, args.k, args.n, tag])
        if "matmulinteger" in kinds:
            u8_zp = 128 if args.a_zero_point is None else args.a_zero_point
            s8_zp = 0 if args.a_zero_point is None else args.a_zero_point
            if not 0 <= u8_zp <= 255 or not -128 <= s8_zp <= 127:
                p.error("--a-zero-point out of range for the A type")
            written.append(matmulinteger(args.out, m, args.k, args.n, rng(1), False, u8_zp,
                                         args.reduce_range))
            written.append(matmulinteger(args.out, m, args.k, args.n, rng(2), True, s8_zp,
                                         args.reduce_range))
        if "dynquant" in kinds:
            written.append(dynquant(args.out, m, args.k, args.n, rng(3), args.reduce_range))
        if "matmulnbits" in kinds:
            for zp in ([False, True] if args.zero_points else [False]):
                for level in levels:
                    # Same weights for every accuracy level of one layout.
                    written.append(matmulnbits(args.out, m, args.k, args.n, rng(4 + zp),
                                               args.block_size, args.bits, level, zp))
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
