//===- QCBlockOps.td - weights in llama.cpp's block formats ---*- tablegen -*-===//
//
// Part of quantc. Linear layers whose weight is held in one of llama.cpp's
// block formats (Q4_0, Q8_0, Q4_K, ...; docs/GGUF.md gives every layout) as
// raw bytes, exactly as a GGUF file stores it. The per-block scales live in
// the bytes, not in an MLIR type, so a 1B-parameter model's weights cost
// their file size and no attribute storage.
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_QC_IR_QCBLOCKOPS_TD
#define QC_DIALECT_QC_IR_QCBLOCKOPS_TD

include "qc/Dialect/QC/IR/QCBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def QC_BlockBytesTensor : RankedTensorOf<[I8, UI8]>;

def QC_BlockLinearOp : QC_Op<"block_linear", [Pure]> {
  let summary = "linear layer with a weight in a llama.cpp block format";
  let description = [{
    For `input : [..., K]` (f32), `weight : [N, R]` (`i8` or `ui8`: the raw
    bytes of N rows, each row `R = rowSize(format, K)` bytes of consecutive
    blocks of `format`, exactly as a GGUF tensor `[K, N]` stores them) and an
    optional `bias : [N]` (f32), the result is `[..., N]` (f32).

    `format` is ggml's type name: `Q4_0`, `Q4_1`, `Q5_0`, `Q5_1`, `Q8_0`,
    `IQ4_NL`, `Q2_K`, `Q3_K`, `Q4_K`, `Q5_K`, `Q6_K`, or the plain `F16`,
    `BF16`, `F32` (rows of little-endian values; llama.cpp's fallback for
    rows no block divides). The block size must divide K.

    Float form (no `dynamic_act`): row n of the weight is expanded with
    llama.cpp's `dequantize_row_<format>` to K floats `w[n, :]`, then, in
    f32, with fused multiply-adds in order of k:

    ```
    y = bias[n] (or 0)
    for k in 0 .. K-1:  y = fma(x[m, k], w[n, k], y)
    ```

    Integer form (`dynamic_act`, Q4_0 and Q8_0 only; llama.cpp's
    `vec_dot_q4_0_q8_0` / `vec_dot_q8_0_q8_0` idea): each row of the input is
    quantized per block of 32 to `i8<-127:127>`,
    `s_xb = f32(max|x_b| / 127)` (1 for an all-zero block),
    `x_q = round_half_even(x / s_xb)`; the weight block's codes are
    `w_q = q - 8` (Q4_0) or `q` (Q8_0) and its scale `s_wb = f32(d)` (the
    binary16 `d` widened exactly). Then, blocks in order, in f32:

    ```
    y = bias[n] (or 0)
    for each block b:  acc = sum_{k in b} x_q[k] * w_q[n, k]        (i32)
                       y  += f32(acc) * f32(f64(s_xb) * f64(s_wb))
    ```

    which is the `w4a8-dynamic` form of `qc.linear` with these codes and
    scales (docs/Executor.md); the CPU code generator repacks the blocks
    into that form's kernel layout.

    ```mlir
    %w = qc.constant dense_resource<blk.0.attn_q.weight> : tensor<64x36xi8>
    %y = qc.block_linear %x, %w {format = "Q4_0", dynamic_act}
           : (tensor<1x1x64xf32>, tensor<64x36xi8>) -> tensor<1x1x64xf32>
    %z = qc.block_linear %x, %w2, %b {format = "F16"}
           : (tensor<4x172xf32>, tensor<64x344xi8>, tensor<64xf32>) -> tensor<4x64xf32>
    ```
  }];
  let arguments = (ins QC_FloatTensor:$input, QC_BlockBytesTensor:$weight,
                       Optional<QC_FloatTensor>:$bias, StrAttr:$format,
                       UnitAttr:$dynamic_act);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat =
      "$input `,` $weight (`,` $bias^)? attr-dict `:` `(` type($input) `,` type($weight) "
      "(`,` type($bias)^)? `)` `->` type($result)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The reduction length K (the input's last dimension).
    int64_t getRowLength();
    /// The number of output channels N (the weight's rows).
    int64_t getNumRows();
  }];
}

#endif // QC_DIALECT_QC_IR_QCBLOCKOPS_TD
