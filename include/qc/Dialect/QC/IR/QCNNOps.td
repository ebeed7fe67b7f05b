//===- QCNNOps.td - normalisation, reduction, pooling ----------*- tablegen -*-===//
//
// Part of quantc. Neural-network ops with ONNX semantics on ranked tensors.
//
// Axis conventions: a single `axis` attribute may be negative and counts from
// the end (`axis + rank`), as in ONNX; it must lie in [-rank, rank). The
// `axes` list of `qc.reduce` is stored normalised: non-negative, strictly
// increasing and non-empty (the importer expands ONNX's "all axes").
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_QC_IR_QCNNOPS_TD
#define QC_DIALECT_QC_IR_QCNNOPS_TD

include "qc/Dialect/QC/IR/QCBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

class QC_SoftmaxBaseOp<string mnemonic, string summaryText, string math>
    : QC_Op<mnemonic, [Pure, SameOperandsAndResultType]> {
  let summary = summaryText;
  let description = [{
    ONNX opset-13 semantics: the op works along the single dimension `axis`
    (default -1; negative values count from the end). For every slice `x`
    along that axis, with `m = max_j x_j`:

    ```
    }] # math # [{
    ```

    Subtracting `m` does not change the exact result; implementations must
    do it so that `exp` cannot overflow. The operand has rank >= 1.

    ```mlir
    %y = qc.}] # mnemonic # [{ %x {axis = 1 : i64} : tensor<2x10xf32>
    ```
  }];
  let arguments = (ins QC_FloatTensor:$input,
                       DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    /// `axis` in [0, rank); only meaningful on a verified op.
    int64_t getNormalizedAxis() {
      int64_t axis = static_cast<int64_t>(getAxis());
      return axis < 0 ? axis + getInput().getType().getRank() : axis;
    }
  }];
}

def QC_SoftmaxOp : QC_SoftmaxBaseOp<"softmax", "softmax along one axis",
    "y_i = exp(x_i - m) / sum_j exp(x_j - m)">;

def QC_LogSoftmaxOp : QC_SoftmaxBaseOp<"log_softmax",
    "logarithm of softmax along one axis",
    "y_i = (x_i - m) - log(sum_j exp(x_j - m))">;

//===----------------------------------------------------------------------===//
// Normalisation
//===----------------------------------------------------------------------===//

def QC_LayerNormOp : QC_Op<"layer_norm", [Pure, AttrSizedOperandSegments]> {
  let summary = "layer normalisation over the trailing dimensions";
  let description = [{
    ONNX `LayerNormalization` (and PyTorch `nn.LayerNorm`). Each slice
    `x[i_0, ..., i_{axis-1}, :, ..., :]` over the dimensions `[axis, rank)`
    (`axis` default -1, negative counts from the end) of `n` elements is
    normalised on its own:

    ```
    mean = sum(x) / n
    var  = sum((x - mean)^2) / n            (biased variance)
    y    = (x - mean) / sqrt(var + epsilon) * scale + bias
    ```

    `scale` and `bias` are optional (absent: 1 and 0) and broadcast
    unidirectionally to `x.shape[axis:]` (NumPy rules, aligned on the right,
    rank at most `rank - axis`). All element types are the same float type;
    the result has the type of `input`. `epsilon` must be non-negative.

    ```mlir
    %y = qc.layer_norm %x scale %g bias %b {epsilon = 1.0e-05 : f64}
         : (tensor<2x16x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
    %z = qc.layer_norm %x {axis = 1 : i64} : (tensor<2x16x64xf32>) -> tensor<2x16x64xf32>
    ```
  }];
  let arguments = (ins QC_FloatTensor:$input,
                       Optional<QC_FloatTensor>:$scale,
                       Optional<QC_FloatTensor>:$bias,
                       DefaultValuedAttr<I64Attr, "-1">:$axis,
                       DefaultValuedAttr<F64Attr, "1e-5">:$epsilon);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat =
      "$input (`scale` $scale^)? (`bias` $bias^)? attr-dict `:` "
      "functional-type(operands, results)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// `axis` in [0, rank); only meaningful on a verified op.
    int64_t getNormalizedAxis() {
      int64_t axis = static_cast<int64_t>(getAxis());
      return axis < 0 ? axis + getInput().getType().getRank() : axis;
    }
  }];
}

def QC_RmsNormOp : QC_Op<"rms_norm", [Pure]> {
  let summary = "root-mean-square normalisation over the trailing dimensions";
  let description = [{
    Llama's `RMSNorm` (ONNX `RMSNormalization`). Each slice over the
    dimensions `[axis, rank)` (`axis` default -1, negative counts from the
    end) of `n` elements is scaled by the inverse of its root mean square;
    no mean is subtracted:

    ```
    y = x / sqrt(sum(x^2) / n + epsilon) * scale
    ```

    `scale` is optional (absent: 1) and broadcasts unidirectionally to
    `x.shape[axis:]` (rank at most `rank - axis`). All element types are the
    same float type; the result has the type of `input`. `epsilon` must be
    non-negative.

    ```mlir
    %y = qc.rms_norm %x scale %g {epsilon = 1.0e-06 : f64}
         : (tensor<1x32x4096xf16>, tensor<4096xf16>) -> tensor<1x32x4096xf16>
    ```
  }];
  let arguments = (ins QC_FloatTensor:$input,
                       Optional<QC_FloatTensor>:$scale,
                       DefaultValuedAttr<I64Attr, "-1">:$axis,
                       DefaultValuedAttr<F64Attr, "1e-5">:$epsilon);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat =
      "$input (`scale` $scale^)? attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// `axis` in [0, rank); only meaningful on a verified op.
    int64_t getNormalizedAxis() {
      int64_t axis = static_cast<int64_t>(getAxis());
      return axis < 0 ? axis + getInput().getType().getRank() : axis;
    }
  }];
}

def QC_InstanceNormOp : QC_Op<"instance_norm", [Pure]> {
  let summary = "instance normalisation over the spatial dimensions";
  let description = [{
    ONNX `InstanceNormalization`. `input : [N, C, D_1, ..., D_k]` with
    `k >= 1`, `scale : [C]`, `bias : [C]`. Every `(n, c)` slice over the
    spatial dimensions, of `n_s = D_1 * ... * D_k` elements, is normalised
    with its own statistics:

    ```
    mean[n, c] = sum(x[n, c, ...]) / n_s
    var[n, c]  = sum((x[n, c, ...] - mean[n, c])^2) / n_s     (biased)
    y[n, c, ...] = (x[n, c, ...] - mean[n, c]) / sqrt(var[n, c] + epsilon)
                   * scale[c] + bias[c]
    ```

    All element types are the same float type; the result has the type of
    `input`. `epsilon` must be non-negative.

    ```mlir
    %y = qc.instance_norm %x, %g, %b {epsilon = 1.0e-05 : f64}
         : (tensor<1x8x32x32xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x8x32x32xf32>
    ```
  }];
  let arguments = (ins QC_FloatTensor:$input, QC_FloatTensor:$scale,
                       QC_FloatTensor:$bias,
                       DefaultValuedAttr<F64Attr, "1e-5">:$epsilon);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat =
      "$input `,` $scale `,` $bias attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

def QC_ReduceOp : QC_Op<"reduce", [Pure]> {
  let summary = "reduction over a set of axes (ONNX Reduce*)";
  let description = [{
    Reduces `input` over the dimensions in `axes` (non-negative, strictly
    increasing, each < rank, non-empty). With `keepdims` (default true)
    the reduced dimensions stay with size 1, otherwise they are removed.
    Over the elements `x` of each reduced slice:

    | kind          | result                                   | element types |
    |---------------|------------------------------------------|---------------|
    | `sum`         | `sum(x)`                                 | float, int    |
    | `mean`        | `sum(x) / count(x)`                      | float         |
    | `max`         | `max(x)`                                 | float, int    |
    | `min`         | `min(x)`                                 | float, int    |
    | `prod`        | `prod(x)`                                | float, int    |
    | `l1`          | `sum(abs(x))`                            | float, int    |
    | `l2`          | `sqrt(sum(x^2))`                         | float         |
    | `sum_square`  | `sum(x^2)`                               | float, int    |
    | `log_sum`     | `log(sum(x))`                            | float         |
    | `log_sum_exp` | `m + log(sum(exp(x - m)))`, `m = max(x)` | float         |

    The result has the element type of `input`. Integers are signed and
    wrap at their width. An empty slice (a reduced dimension of size 0)
    yields the value of the formula on no elements: 0 for `sum`, `l1`,
    `l2` and `sum_square`, 1 for `prod`, `-inf` for `log_sum` and
    `log_sum_exp`, NaN for `mean`, and for `max` (`min`) the lowest
    (highest) value of the element type, `-inf` (`+inf`) for floats.

    ```mlir
    %s = qc.reduce %x {kind = #qc<reduce_kind mean>, axes = array<i64: 2, 3>}
         : tensor<1x8x7x7xf32> -> tensor<1x8x1x1xf32>
    %n = qc.reduce %i {kind = #qc<reduce_kind prod>, axes = array<i64: 0>, keepdims = false}
         : tensor<3xi64> -> tensor<i64>
    ```
  }];
  let arguments = (ins QC_FloatOrIntTensor:$input,
                       QC_ReduceKindAttr:$kind,
                       DenseI64ArrayAttr:$axes,
                       DefaultValuedAttr<BoolAttr, "true">:$keepdims);
  let results = (outs QC_FloatOrIntTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    /// Result shape of reducing `input` over `axes`; failure (with the reason
    /// in `why`) when `axes` is empty, unsorted, repeated or out of range.
    static ::mlir::FailureOr<::llvm::SmallVector<int64_t>> inferResultShape(
        ::llvm::ArrayRef<int64_t> input, ::llvm::ArrayRef<int64_t> axes,
        bool keepdims, std::string *why = nullptr);
  }];
}

class QC_ArgReduceOp<string mnemonic, string which>
    : QC_Op<mnemonic, [Pure]> {
  let summary = "index of the " # which # " element along an axis";
  let description = [{
    ONNX `Arg}] # !if(!eq(which, "largest"), "Max", "Min") # [{`. For every
    slice along `axis` (default 0; negative counts from the end) the result
    holds, as `i64`, the index of the }] # which # [{ element: the first
    such index, or the last one when `select_last_index` is set. With
    `keepdims` (default true) `axis` stays with size 1, otherwise it is
    removed. The input is float, integer (signed) or per-tensor quantized
    (compared on the stored integers, which order like the real values).

    ```mlir
    %i = qc.}] # mnemonic # [{ %x {axis = 1 : i64, keepdims = false}
         : tensor<4x1000xf32> -> tensor<4xi64>
    ```
  }];
  let arguments = (ins QC_AnyTensor:$input,
                       DefaultValuedAttr<I64Attr, "0">:$axis,
                       DefaultValuedAttr<BoolAttr, "true">:$keepdims,
                       DefaultValuedAttr<BoolAttr, "false">:$select_last_index);
  let results = (outs RankedTensorOf<[I64]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    /// Result shape of reducing `input` along `axis` (may be negative);
    /// failure when `axis` is out of range.
    static ::mlir::FailureOr<::llvm::SmallVector<int64_t>> inferResultShape(
        ::llvm::ArrayRef<int64_t> input, int64_t axis, bool keepdims,
        std::string *why = nullptr);

    /// `axis` in [0, rank); only meaningful on a verified op.
    int64_t getNormalizedAxis() {
      int64_t axis = static_cast<int64_t>(getAxis());
      return axis < 0 ? axis + getInput().getType().getRank() : axis;
    }
  }];
}

def QC_ArgMaxOp : QC_ArgReduceOp<"arg_max", "largest">;
def QC_ArgMinOp : QC_ArgReduceOp<"arg_min", "smallest">;

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

def QC_Pool2DOp : QC_Op<"pool2d", [Pure]> {
  let summary = "2-D max or average pooling, NCHW";
  let description = [{
    ONNX `MaxPool` / `AveragePool` on `input : [N, C, H, W]` with
    `kernel = [kh, kw]`, `strides = [sh, sw]` (default 1),
    `pads = [top, left, bottom, right]` (default 0) and
    `dilations = [dh, dw]` (default 1). Per spatial dimension, with
    `span = d * (k - 1) + 1` and `P = I + pad_begin + pad_end`:

    ```
    ceil_mode = false: O = floor((P - span) / s) + 1
    ceil_mode = true:  O = ceil((P - span) / s) + 1, then O -= 1 if
                       (O - 1) * s >= I + pad_begin
    ```

    The correction keeps the last window starting inside the input or the
    leading padding. Each pad must be smaller than `span`, so every window
    meets the input. Output `(y, x)` pools the taps
    `(y * sh - top + i * dh, x * sw - left + j * dw)`, `0 <= i < kh`,
    `0 <= j < kw`:

    - `max`: the maximum over the taps inside the input (padding never
      contributes).
    - `avg`: the sum over the taps inside the input divided by a count: the
      number of taps inside the input (`count_include_pad = false`,
      default), or the number of taps inside the padded input
      `[-top, H + bottom) x [-left, W + right)` (`count_include_pad = true`;
      taps that `ceil_mode` adds beyond the padding are never counted).
      `count_include_pad` must stay false for `max`.

    Element types: float in, the same float out. `max` also takes a
    per-tensor quantized input and then yields exactly the input's type
    (it selects stored integers). `avg` of a per-tensor quantized input
    yields a per-tensor quantized result with the same expressed type: the
    real-valued average is requantized to the result's scale and zero point
    (round half to even, saturating; docs/Numerics.md).

    ```mlir
    %m = qc.pool2d %x {kind = #qc<pool_kind max>, kernel = array<i64: 3, 3>,
                       strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>}
         : tensor<1x64x112x112xf32> -> tensor<1x64x56x56xf32>
    %a = qc.pool2d %q {kind = #qc<pool_kind avg>, kernel = array<i64: 2, 2>,
                       strides = array<i64: 2, 2>, ceil_mode = true}
         : tensor<1x8x7x7x!quant.uniform<i8:f32, 0.1:-3>>
           -> tensor<1x8x4x4x!quant.uniform<i8:f32, 0.05:-3>>
    ```
  }];
  let arguments = (ins QC_FloatOrQuantTensor:$input,
                       QC_PoolKindAttr:$kind,
                       DenseI64ArrayAttr:$kernel,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$pads,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
                       DefaultValuedAttr<BoolAttr, "false">:$ceil_mode,
                       DefaultValuedAttr<BoolAttr, "false">:$count_include_pad);
  let results = (outs QC_FloatOrQuantTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    /// Output shape for an NCHW `input` and the window attributes; failure
    /// (with the reason in `why`) when they do not describe a valid pooling.
    static ::mlir::FailureOr<::llvm::SmallVector<int64_t>> inferResultShape(
        ::llvm::ArrayRef<int64_t> input, ::llvm::ArrayRef<int64_t> kernel,
        ::llvm::ArrayRef<int64_t> strides, ::llvm::ArrayRef<int64_t> pads,
        ::llvm::ArrayRef<int64_t> dilations, bool ceilMode,
        std::string *why = nullptr);
  }];
}

#endif // QC_DIALECT_QC_IR_QCNNOPS_TD
