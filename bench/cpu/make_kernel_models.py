#!/usr/bin/env python3
"""Writes the single-kernel models the CPU benchmarks compile (qc IR text):

  gemm_s8_M{M}_K{K}_N{N}.mlir   W8A8 linear: int8 activations (quant.qcast of
                                the f32 input), int8 weight per tensor, f32
                                output (the int32 accumulator scaled)
  gemm_s8_i32_M{M}_K{K}_N{N}.mlir
                                the kernel alone, as ONNX Runtime's
                                MatMulInteger computes it: int8 input (zero
                                point 3), int8 weight, int32 output
  qmm_q{B}_b{S}_M{M}_K{K}_N{N}[_bias].mlir
                                block-quantized linear, dynamic form (the
                                w4a8-dynamic kernel, Q4_0 x Q8_0): f32 input
                                quantized per row and block of S at run time,
                                B-bit symmetric weight codes with a scale per
                                output channel and block, f32 output;
                                beside it, .npz with the codes "w" [N, K],
                                "scales" [N, K/S] and "bias" (empty without)
  fgemm_M{M}_K{K}_N{N}[_bias|_matmul].mlir
                                float linear (or matmul with a constant
                                [K, N] right-hand side): f32 input, f32
                                weight (normal, fixed seed), optional f32
                                bias; the weight (as [N, K]) and the bias are
                                also written as .npy next to the model

Weights are random (fixed seed) and stored as dense_resource blobs.
"""
import argparse
import os

import numpy as np


def resource(name, arr):
    # dense_resource blobs: a 4-byte little-endian alignment, then the bytes.
    return f'      {name}: "0x{(1).to_bytes(4, "little").hex()}{arr.tobytes().hex()}"'


def gemm_s8(m, k, n, seed=0):
    rng = np.random.default_rng(seed)
    w = rng.integers(-127, 128, size=(n, k), dtype=np.int8)
    b = rng.integers(-1000, 1000, size=(n,), dtype=np.int32)
    x_t = "!quant.uniform<i8:f32, 0.05:3>"
    w_t = "!quant.uniform<i8<-127:127>:f32, 0.01>"
    b_t = "!quant.uniform<i32:f32, 5.0E-4>"
    return f"""func.func @main(%x: tensor<{m}x{k}xf32> {{qc.name = "x"}}) -> (tensor<{m}x{n}xf32> {{qc.name = "y"}}) {{
  %q = quant.qcast %x : tensor<{m}x{k}xf32> to tensor<{m}x{k}x{x_t}>
  %w = qc.constant dense_resource<w> : tensor<{n}x{k}xi8> -> tensor<{n}x{k}x{w_t}>
  %b = qc.constant dense_resource<b> : tensor<{n}xi32> -> tensor<{n}x{b_t}>
  %y = qc.linear %q, %w, %b : (tensor<{m}x{k}x{x_t}>, tensor<{n}x{k}x{w_t}>, tensor<{n}x{b_t}>) -> tensor<{m}x{n}xf32>
  return %y : tensor<{m}x{n}xf32>
}}

{{-#
  dialect_resources: {{
    builtin: {{
{resource("w", w)},
{resource("b", b)}
    }}
  }}
#-}}
"""


def gemm_s8_i32(m, k, n, seed=0):
    rng = np.random.default_rng(seed)
    w = rng.integers(-127, 128, size=(n, k), dtype=np.int8)
    x_t = "!quant.uniform<i8:f32, 0.05:3>"
    w_t = "!quant.uniform<i8<-127:127>:f32, 0.01>"
    y_t = "!quant.uniform<i32:f32, 5.0E-4>"
    return f"""func.func @main(%x: tensor<{m}x{k}x{x_t}> {{qc.name = "x"}}) -> (tensor<{m}x{n}x{y_t}> {{qc.name = "y"}}) {{
  %w = qc.constant dense_resource<w> : tensor<{n}x{k}xi8> -> tensor<{n}x{k}x{w_t}>
  %y = qc.linear %x, %w : (tensor<{m}x{k}x{x_t}>, tensor<{n}x{k}x{w_t}>) -> tensor<{m}x{n}x{y_t}>
  return %y : tensor<{m}x{n}x{y_t}>
}}

{{-#
  dialect_resources: {{
    builtin: {{
{resource("w", w)}
    }}
  }}
#-}}
"""


def qmm(m, k, n, bits, block, bias, npz, seed=0):
    rng = np.random.default_rng([seed, m, k, n, bits, block])
    q = (1 << (bits - 1)) - 1
    w = rng.integers(-q, q + 1, size=(n, k), dtype=np.int8)
    scales = rng.uniform(0.001, 0.02, size=(n, k // block)).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32) if bias else np.zeros(0, np.float32)
    np.savez(npz, w=w, scales=scales, bias=b)
    rows = ", ".join("{" + ", ".join(f"{float(v):.9g}" for v in row) + "}" for row in scales)
    w_t = f"!quant.uniform<i{bits}<-{q}:{q}>:f32:{{0:1, 1:{block}}}, {{{rows}}}>"
    blobs = [resource("w", w)]
    b_arg = b_type = b_def = ""
    if bias:
        blobs.append(resource("b", b))
        b_def = f"\n  %b = qc.constant dense_resource<b> : tensor<{n}xf32>"
        b_arg, b_type = ", %b", f", tensor<{n}xf32>"
    blob_text = ",\n".join(blobs)
    return f"""func.func @main(%x: tensor<{m}x{k}xf32> {{qc.name = "x"}}) -> (tensor<{m}x{n}xf32> {{qc.name = "y"}}) {{
  %w = qc.constant dense_resource<w> : tensor<{n}x{k}xi{bits}> -> tensor<{n}x{k}x{w_t}>{b_def}
  %y = qc.linear %x, %w{b_arg} {{dynamic_act}} : (tensor<{m}x{k}xf32>, tensor<{n}x{k}x{w_t}>{b_type}) -> tensor<{m}x{n}xf32>
  return %y : tensor<{m}x{n}xf32>
}}

{{-#
  dialect_resources: {{
    builtin: {{
{blob_text}
    }}
  }}
#-}}
"""


def fgemm(m, k, n, bias, matmul, seed=0):
    rng = np.random.default_rng([seed, m, k, n])
    w = rng.standard_normal((n, k)).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32) if bias else None
    if matmul:
        body = f"""  %w = qc.constant dense_resource<w> : tensor<{k}x{n}xf32>
  %y = qc.matmul %x, %w : (tensor<{m}x{k}xf32>, tensor<{k}x{n}xf32>) -> tensor<{m}x{n}xf32>"""
        blobs = [resource("w", np.ascontiguousarray(w.T))]
    else:
        b_def = b_arg = b_type = ""
        blobs = [resource("w", w)]
        if bias:
            b_def = f"\n  %b = qc.constant dense_resource<b> : tensor<{n}xf32>"
            b_arg, b_type = ", %b", f", tensor<{n}xf32>"
            blobs.append(resource("b", b))
        body = f"""  %w = qc.constant dense_resource<w> : tensor<{n}x{k}xf32>{b_def}
  %y = qc.linear %x, %w{b_arg} : (tensor<{m}x{k}xf32>, tensor<{n}x{k}xf32>{b_type}) -> tensor<{m}x{n}xf32>"""
    blob_text = ",\n".join(blobs)
    text = f"""func.func @main(%x: tensor<{m}x{k}xf32> {{qc.name = "x"}}) -> (tensor<{m}x{n}xf32> {{qc.name = "y"}}) {{
{body}
  return %y : tensor<{m}x{n}xf32>
}}

{{-#
  dialect_resources: {{
    builtin: {{
{blob_text}
    }}
  }}
#-}}
"""
    return text, w, b


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--gemm", action="append", default=[], metavar="MxKxN",
                    help="W8A8 linear shapes (default 128x4096x4096)")
    ap.add_argument("--qmm", action="append", default=[], metavar="MxKxN[:BITS[:BLOCK[:bias]]]",
                    help="block-quantized dynamic linear shapes (bits 4, block 32 by default)")
    ap.add_argument("--fgemm", action="append", default=[], metavar="MxKxN[:bias|:matmul]",
                    help="float linear shapes, with a bias, or as a matmul")
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    for spec in args.fgemm:
        parts = spec.split(":")
        m, k, n = (int(v) for v in parts[0].split("x"))
        bias, matmul = "bias" in parts[1:], "matmul" in parts[1:]
        if bias and matmul:
            ap.error(f"--fgemm {spec}: a matmul takes no bias")
        stem = os.path.join(args.out_dir, f"fgemm_M{m}_K{k}_N{n}"
                            + ("_bias" if bias else "_matmul" if matmul else ""))
        text, w, b = fgemm(m, k, n, bias, matmul)
        with open(stem + ".mlir", "w") as f:
            f.write(text)
        np.save(stem + "_w.npy", w)
        if b is not None:
            np.save(stem + "_b.npy", b)
        print(stem + ".mlir")
    for spec in args.qmm:
        parts = spec.split(":")
        m, k, n = (int(v) for v in parts[0].split("x"))
        bits = int(parts[1]) if len(parts) > 1 else 4
        block = int(parts[2]) if len(parts) > 2 else 32
        bias = len(parts) > 3 and parts[3] == "bias"
        if bits not in (2, 3, 4, 8) or k % block:
            ap.error(f"--qmm {spec}: bits must be 2, 3, 4 or 8 and K a multiple of the block")
        path = os.path.join(args.out_dir, f"qmm_q{bits}_b{block}_M{m}_K{k}_N{n}"
                            + ("_bias" if bias else "") + ".mlir")
        with open(path, "w") as f:
            f.write(qmm(m, k, n, bits, block, bias, path[:-len(".mlir")] + ".npz"))
        print(path)
    if (args.qmm or args.fgemm) and not args.gemm:
        return
    for spec in args.gemm or ["128x4096x4096"]:
        m, k, n = (int(v) for v in spec.split("x"))
        for kind, text in (("gemm_s8", gemm_s8(m, k, n)),
                           ("gemm_s8_i32", gemm_s8_i32(m, k, n))):
            path = os.path.join(args.out_dir, f"{kind}_M{m}_K{k}_N{n}.mlir")
            with open(path, "w") as f:
                f.write(text)
            print(path)


if __name__ == "__main__":
    main()
