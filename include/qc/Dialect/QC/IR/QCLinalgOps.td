//===- QCLinalgOps.td - matmul, linear, convolution -----------*- tablegen -*-===//
//
// Part of quantc. The contraction ops accept three forms, checked by one
// shared verifier (see "Quantized forms" in each description):
//   float      all operands and the result share a float element type;
//   weight-only float activations x quantized weights -> float;
//   integer    quantized activations x quantized weights -> quantized result
//              (requantized) or i32 accumulators.
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_QC_IR_QCLINALGOPS_TD
#define QC_DIALECT_QC_IR_QCLINALGOPS_TD

include "qc/Dialect/QC/IR/QCBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

defvar QC_QuantizedFormsDoc = [{
    Quantized forms (the element types of the operands decide the form):

    - *float*: every operand and the result have the same float element type.
    - *weight-only* (W8A16, W4A16, ...): the activation is float, the weight is
      `!quant.uniform` with that float as expressed type (per-tensor, per-axis
      over the output channel, or sub-channel with blocks along the reduction
      dimension), an optional bias is float, and the result is float:
      `y = x * dequantize(w) + b`.
    - *integer* (W8A8, W4A8): activation and weight are quantized
      (activation per-tensor, weight per-tensor or per-output-channel with zero
      point 0), the bias, when present, is `i32`-stored with scale
      `s_x * s_w` and zero point 0, and the accumulator is
      `acc = sum((x_q - z_x) * w_q) + b_q` in `i32`. If the result is quantized
      with an 8-bit (or narrower) storage type, `acc` is requantized to it with
      a fixed-point multiplier for `s_x * s_w / s_y` (docs/Numerics.md); if it
      is `i32`-stored with scale `s_x * s_w` it holds `acc` itself.
    - *dynamic* (W8A8-dynamic, `dynamic_act`): the weight-only operand types
      with an 8-bit (or narrower) per-tensor or per-axis weight of zero point
      0, and the activation quantized at run time to `i8<-127:127>`,
      symmetric: per row of the last dimension for `matmul` and `linear` (one
      scale per token), per tensor for `conv2d`, with
      `s_r = f32(max|x_r| / 127)` (1 for an all-zero row). Then
      `acc = sum(quantize(x, s_r) * w_q)` in `i32` and
      `y = f32(acc) * f32(f64(s_r) * f64(s_w[c])) + b[c]`.
      A rank-2 `matmul`/`linear` weight may instead be quantized in blocks of
      B along the reduction dimension (zero point 0): the activation is then
      quantized per row and block of B (`s_rb`), and
      `y = b[c]` (or 0), then for each block b in order
      `y += f32(acc_b) * f32(f64(s_rb) * f64(s_w[c, b]))` in f32 with
      `acc_b = sum_{k in b} quantize(x, s_rb) * w_q`.
}];

def QC_MatMulOp : QC_Op<"matmul", [Pure]> {
  let summary = "batched matrix product with NumPy semantics";
  let description = [{
    `result = lhs @ rhs` as `numpy.matmul` / ONNX `MatMul`: a rank-1 `lhs` is
    a row vector and a rank-1 `rhs` a column vector (the added dimension is
    dropped again); leading (batch) dimensions broadcast.
    For `lhs : [..., M, K]` and `rhs : [..., K, N]` the result is
    `[..., M, N]` with `result[..., m, n] = sum_k lhs[..., m, k] * rhs[..., k, n]`.
    The output channel of `rhs` is its last dimension.

  }] # QC_QuantizedFormsDoc # [{

    ```mlir
    %y = qc.matmul %a, %b : (tensor<2x4x8xf32>, tensor<8x16xf32>) -> tensor<2x4x16xf32>
    %z = qc.matmul %x, %w : (tensor<4x64xf32>, tensor<64x2x!quant.uniform<i4:f32:{0:32, 1:1}, {{0.1, 0.2}, {0.3, 0.4}}>>) -> tensor<4x2xf32>
    ```
  }];
  let arguments = (ins QC_FloatOrQuantTensor:$lhs, QC_FloatOrQuantTensor:$rhs,
                       UnitAttr:$dynamic_act);
  let results = (outs QC_FloatOrQuantTensor:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` `(` type($lhs) `,` type($rhs) `)` `->` type($result)";
  let hasVerifier = 1;
}

def QC_LinearOp : QC_Op<"linear", [Pure]> {
  let summary = "fully connected layer: x * transpose(w) + bias";
  let description = [{
    For `input : [..., K]`, `weight : [N, K]` (PyTorch `nn.Linear` layout; the
    output channel is dimension 0) and an optional `bias : [N]`:
    `result[..., n] = sum_k input[..., k] * weight[n, k] + bias[n]`.
    ONNX `Gemm` with `transB = 1` (after folding `alpha`/`beta`) maps here.

  }] # QC_QuantizedFormsDoc # [{

    ```mlir
    %y = qc.linear %x, %w, %b : (tensor<4x64xf32>, tensor<10x64xf32>, tensor<10xf32>) -> tensor<4x10xf32>
    %z = qc.linear %x, %w : (tensor<4x64xf32>, tensor<10x64xf32>) -> tensor<4x10xf32>
    ```
  }];
  let arguments = (ins QC_FloatOrQuantTensor:$input, QC_FloatOrQuantTensor:$weight,
                       Optional<QC_FloatOrQuantTensor>:$bias,
                       UnitAttr:$dynamic_act);
  let results = (outs QC_FloatOrQuantTensor:$result);
  let assemblyFormat =
      "$input `,` $weight (`,` $bias^)? attr-dict `:` `(` type($input) `,` type($weight) "
      "(`,` type($bias)^)? `)` `->` type($result)";
  let hasVerifier = 1;
}

def QC_Conv2DOp : QC_Op<"conv2d", [Pure]> {
  let summary = "2-D convolution, NCHW activations, OIHW weights, with groups";
  let description = [{
    `input : [N, C, H, W]`, `weight : [O, C / groups, KH, KW]`, optional
    `bias : [O]`. With `pads = [top, left, bottom, right]`,
    `strides = [sh, sw]` and `dilations = [dh, dw]`:

    ```
    OH = floor((H + top + bottom - dh * (KH - 1) - 1) / sh) + 1
    result[n, o, y, x] = bias[o] + sum_{c, i, j}
        input[n, g * C/groups + c, y * sh - top + i * dh, x * sw - left + j * dw]
        * weight[o, c, i, j]              (g = o / (O / groups); out-of-range input is 0)
    ```

    Depthwise convolution is `groups = C` with `O` a multiple of `C`. The
    output channel of the weight is dimension 0. ONNX `auto_pad` is resolved
    into explicit `pads` at import.

  }] # QC_QuantizedFormsDoc # [{

    ```mlir
    %y = qc.conv2d %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>,
           dilations = array<i64: 1, 1>, groups = 1 : i64}
         : (tensor<1x3x32x32xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<1x8x32x32xf32>
    ```
  }];
  let arguments = (ins QC_FloatOrQuantTensor:$input, QC_FloatOrQuantTensor:$weight,
                       Optional<QC_FloatOrQuantTensor>:$bias,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$pads,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
                       DefaultValuedAttr<I64Attr, "1">:$groups,
                       UnitAttr:$dynamic_act);
  let results = (outs QC_FloatOrQuantTensor:$result);
  let assemblyFormat =
      "$input `,` $weight (`,` $bias^)? attr-dict `:` `(` type($input) `,` type($weight) "
      "(`,` type($bias)^)? `)` `->` type($result)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Output shape for the given operand shapes and attributes; failure
    /// when they do not describe a valid convolution.
    static ::mlir::FailureOr<::llvm::SmallVector<int64_t>> inferResultShape(
        ::llvm::ArrayRef<int64_t> input, ::llvm::ArrayRef<int64_t> weight,
        ::llvm::ArrayRef<int64_t> strides, ::llvm::ArrayRef<int64_t> pads,
        ::llvm::ArrayRef<int64_t> dilations, int64_t groups,
        std::string *why = nullptr);
  }];
}

def QC_ConvTranspose2DOp : QC_Op<"conv_transpose2d", [Pure]> {
  let summary = "2-D transposed convolution (fractionally strided), NCHW, IOHW weights";
  let description = [{
    The gradient of `qc.conv2d` with respect to its input, as ONNX
    `ConvTranspose`. `input : [N, C, H, W]`, `weight : [C, O / groups, KH, KW]`,
    optional `bias : [O]`; the output channel of the weight is dimension 1.

    ```
    OH = sh * (H - 1) + output_padding[0] + dh * (KH - 1) + 1 - top - bottom
    result[n, g * O/groups + o, y * sh - top + i * dh, x * sw - left + j * dw]
        += input[n, g * C/groups + c, y, x] * weight[g * C/groups + c, o, i, j]
    ```

    ```mlir
    %y = qc.conv_transpose2d %x, %w {strides = array<i64: 2, 2>}
         : (tensor<1x8x16x16xf32>, tensor<8x4x2x2xf32>) -> tensor<1x4x32x32xf32>
    ```
  }];
  let arguments = (ins QC_FloatOrQuantTensor:$input, QC_FloatOrQuantTensor:$weight,
                       Optional<QC_FloatOrQuantTensor>:$bias,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$pads,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0}">:$output_padding,
                       DefaultValuedAttr<I64Attr, "1">:$groups);
  let results = (outs QC_FloatOrQuantTensor:$result);
  let assemblyFormat =
      "$input `,` $weight (`,` $bias^)? attr-dict `:` `(` type($input) `,` type($weight) "
      "(`,` type($bias)^)? `)` `->` type($result)";
  let hasVerifier = 1;
}

#endif // QC_DIALECT_QC_IR_QCLINALGOPS_TD
