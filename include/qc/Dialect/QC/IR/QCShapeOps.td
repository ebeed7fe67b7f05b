//===- QCShapeOps.td - data movement and shape ops -------------*- tablegen -*-===//
//
// Part of quantc. Ops that move, copy or interpolate elements without other
// arithmetic: reshape, transpose, concat, slice, gather, pad, resize, expand,
// tile and split. They follow ONNX after the importer has resolved every
// shape input to a static attribute.
//
// Element types: data movement keeps the element type, including a quantized
// one (the stored integers move, the scale and zero point stay). A per-axis
// quantized type may follow its axis to a new position (transpose, reshape,
// gather, expand) but the op must leave the elements along that axis intact;
// sub-channel types must keep every blocked dimension in place.
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_QC_IR_QCSHAPEOPS_TD
#define QC_DIALECT_QC_IR_QCSHAPEOPS_TD

include "qc/Dialect/QC/IR/QCBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

defvar QC_ShapeOpQuantDoc = [{
    The result has the input's element type. For a per-axis quantized input
    the result's quantized dimension is where the input's quantized dimension
    lands; the op is rejected if it splits, merges, reorders or drops the
    elements along that dimension (dequantize first, or quantize per tensor).
}];

//===----------------------------------------------------------------------===//
// ReshapeOp
//===----------------------------------------------------------------------===//

def QC_ReshapeOp : QC_Op<"reshape", [Pure]> {
  let summary = "reinterprets a tensor with a new shape, keeping row-major order";
  let description = [{
    `result` holds the elements of `input` in the same row-major order with
    the shape of the result type: `flat(result)[i] = flat(input)[i]`. When
    both shapes are static the element counts must be equal. There is no
    shape operand, so the result has at most one dynamic dimension, whose
    size follows from the element count. ONNX `Reshape`,
    `Flatten`, `Squeeze` and `Unsqueeze` map here once the importer has
    resolved the target shape (see `inferResultShape`).

  }] # QC_ShapeOpQuantDoc # [{

    ```mlir
    %y = qc.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
    ```
  }];
  let arguments = (ins QC_AnyTensor:$input);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    /// Resolves an ONNX `Reshape` shape against `input`: `-1` (at most once)
    /// is inferred from the element count, and `0` copies the input dimension
    /// at that position unless `allowZero` is set (then it is a literal 0).
    static ::mlir::FailureOr<::llvm::SmallVector<int64_t>> inferResultShape(
        ::llvm::ArrayRef<int64_t> input, ::llvm::ArrayRef<int64_t> shape,
        bool allowZero = false, std::string *why = nullptr);
  }];
}

//===----------------------------------------------------------------------===//
// TransposeOp
//===----------------------------------------------------------------------===//

def QC_TransposeOp : QC_Op<"transpose", [Pure]> {
  let summary = "permutes the dimensions of a tensor";
  let description = [{
    ONNX `Transpose`: `perm` is a permutation of `[0, rank)` and
    `result.shape[i] = input.shape[perm[i]]`,
    `result[j_0, ..., j_(r-1)] = input[k]` with `k[perm[i]] = j_i`.

  }] # QC_ShapeOpQuantDoc # [{

    ```mlir
    %y = qc.transpose %x {perm = array<i64: 0, 2, 3, 1>} : tensor<1x8x4x5xf32> -> tensor<1x4x5x8xf32>
    ```
  }];
  let arguments = (ins QC_AnyTensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    static ::mlir::FailureOr<::llvm::SmallVector<int64_t>> inferResultShape(
        ::llvm::ArrayRef<int64_t> input, ::llvm::ArrayRef<int64_t> perm,
        std::string *why = nullptr);
  }];
}

//===----------------------------------------------------------------------===//
// ConcatOp
//===----------------------------------------------------------------------===//

def QC_ConcatOp : QC_Op<"concat", [Pure]> {
  let summary = "joins tensors along one dimension";
  let description = [{
    ONNX `Concat` with a normalised axis (`0 <= axis < rank`). All inputs
    have the same rank and agree on every dimension except `axis`; the result
    has `sum_k inputs[k].shape[axis]` along `axis`, with the inputs placed one
    after another in operand order. All inputs and the result share one
    element type; quantized inputs must have identical types (requantize
    first), and a per-axis quantized type may not be quantized along `axis`.

    ```mlir
    %y = qc.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x5xf32>) -> tensor<2x8xf32>
    ```
  }];
  let arguments = (ins Variadic<QC_AnyTensor>:$inputs, I64Attr:$axis);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat =
      "$inputs attr-dict `:` `(` type($inputs) `)` `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    static ::mlir::FailureOr<::llvm::SmallVector<int64_t>> inferResultShape(
        ::llvm::ArrayRef<::llvm::ArrayRef<int64_t>> inputs, int64_t axis,
        std::string *why = nullptr);
  }];
}

//===----------------------------------------------------------------------===//
// SliceOp
//===----------------------------------------------------------------------===//

def QC_SliceOp : QC_Op<"slice", [Pure]> {
  let summary = "strided window of a tensor";
  let description = [{
    ONNX `Slice` after the importer has clamped `starts`/`ends` and expanded
    `axes`/`steps` to every dimension. With one entry per dimension:

    ```
    result.shape = sizes
    result[i_0, ..., i_(r-1)] = input[offsets[0] + i_0 * strides[0], ...,
                                      offsets[r-1] + i_(r-1) * strides[r-1]]
    ```

    Strides are non-zero and may be negative (reverse traversal). Every index
    touched, `offsets[d] + i * strides[d]` for `0 <= i < sizes[d]`, lies in
    `[0, input.shape[d])`; for an empty dimension (`sizes[d] = 0`),
    `0 <= offsets[d] <= input.shape[d]`. An ONNX slice `[start, end)` with
    step `s > 0` has `sizes = ceil((end - start) / s)`.

  }] # QC_ShapeOpQuantDoc # [{

    ```mlir
    %y = qc.slice %x {offsets = array<i64: 0, 1>, sizes = array<i64: 2, 2>, strides = array<i64: 1, 2>}
         : tensor<2x6xf32> -> tensor<2x2xf32>
    %r = qc.slice %v {offsets = array<i64: 3>, sizes = array<i64: 4>, strides = array<i64: -1>}
         : tensor<4xi64> -> tensor<4xi64>
    ```
  }];
  let arguments = (ins QC_AnyTensor:$input, DenseI64ArrayAttr:$offsets,
                       DenseI64ArrayAttr:$sizes, DenseI64ArrayAttr:$strides);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    /// Checks the window against `input` (dynamic dimensions are only
    /// checked for non-negative indices) and returns `sizes`.
    static ::mlir::FailureOr<::llvm::SmallVector<int64_t>> inferResultShape(
        ::llvm::ArrayRef<int64_t> input, ::llvm::ArrayRef<int64_t> offsets,
        ::llvm::ArrayRef<int64_t> sizes, ::llvm::ArrayRef<int64_t> strides,
        std::string *why = nullptr);
  }];
}

//===----------------------------------------------------------------------===//
// GatherOp
//===----------------------------------------------------------------------===//

def QC_GatherOp : QC_Op<"gather", [Pure]> {
  let summary = "selects slices along one axis by index";
  let description = [{
    ONNX `Gather` with a normalised axis (`0 <= axis < rank(data)`):

    ```
    result.shape = data.shape[:axis] ++ indices.shape ++ data.shape[axis+1:]
    result[p, j, q] = data[p, idx(indices[j]), q]
        (p: axis leading coordinates, j: rank(indices) coordinates)
    idx(i) = i < 0 ? i + data.shape[axis] : i
    ```

    An index outside `[-data.shape[axis], data.shape[axis])` is undefined
    behaviour at run time (as in ONNX); the folder leaves such gathers alone.
    `indices` is `i32` or `i64`; a rank-0 `indices` removes the dimension.

  }] # QC_ShapeOpQuantDoc # [{

    ```mlir
    %e = qc.gather %table, %ids {axis = 0 : i64} : (tensor<1000x64xf32>, tensor<2x7xi64>) -> tensor<2x7x64xf32>
    %d = qc.gather %shape, %i {axis = 0 : i64} : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
    ```
  }];
  let arguments = (ins QC_AnyTensor:$data, QC_IndexTensor:$indices,
                       DefaultValuedAttr<I64Attr, "0">:$axis);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$data `,` $indices attr-dict `:` `(` type($data) `,` "
                       "type($indices) `)` `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    static ::mlir::FailureOr<::llvm::SmallVector<int64_t>> inferResultShape(
        ::llvm::ArrayRef<int64_t> data, ::llvm::ArrayRef<int64_t> indices,
        int64_t axis, std::string *why = nullptr);
  }];
}

//===----------------------------------------------------------------------===//
// PadOp
//===----------------------------------------------------------------------===//

def QC_PadOp : QC_Op<"pad", [Pure]> {
  let summary = "pads (or, with negative amounts, crops) every dimension";
  let description = [{
    ONNX `Pad` with `pads = [b_0, ..., b_(r-1), e_0, ..., e_(r-1)]` (all
    begins, then all ends). Per dimension `d` of size `n`:

    ```
    result.shape[d] = n + b_d + e_d            (must be positive)
    result[..., i, ...] = ext(i - b_d)         for 0 <= i < result.shape[d]
    ext(j) = input[j]                           if 0 <= j < n, otherwise:
      constant: value
      edge:     input[clamp(j, 0, n - 1)]
      reflect:  input[-j] for j < 0, input[2n - 2 - j] for j >= n
                (mirror without repeating the border; needs b_d, e_d < n)
      wrap:     input[j mod n]                  (mathematical modulo)
    ```

    A negative `b_d`/`e_d` removes that many elements from the start/end, so
    cropping and padding compose as ONNX defines. `edge`, `reflect` and
    `wrap` need a non-empty dimension where they pad. `value` is a real
    number: for an integer tensor it must be integral; for a quantized tensor
    it is quantized with the tensor's scale and zero point (round half to
    even, saturating), so `0.0` pads with the zero point.

  }] # QC_ShapeOpQuantDoc # [{

    ```mlir
    %y = qc.pad %x {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>} : tensor<1x3x8x8xf32> -> tensor<1x3x10x10xf32>
    %z = qc.pad %x {pads = array<i64: 0, 0, 2, 2, 0, 0, 2, 2>, mode = #qc<pad_mode reflect>}
         : tensor<1x3x8x8xf32> -> tensor<1x3x12x12xf32>
    ```
  }];
  let arguments = (ins QC_AnyTensor:$input, DenseI64ArrayAttr:$pads,
                       DefaultValuedAttr<QC_PadModeAttr, "PadMode::Constant">:$mode,
                       DefaultValuedAttr<F64Attr, "0.0">:$value);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    static ::mlir::FailureOr<::llvm::SmallVector<int64_t>> inferResultShape(
        ::llvm::ArrayRef<int64_t> input, ::llvm::ArrayRef<int64_t> pads,
        ::mlir::qc::PadMode mode, std::string *why = nullptr);
  }];
}

//===----------------------------------------------------------------------===//
// ResizeOp
//===----------------------------------------------------------------------===//

def QC_ResizeOp : QC_Op<"resize", [Pure]> {
  let summary = "resamples a tensor by nearest, linear or cubic interpolation";
  let description = [{
    ONNX `Resize` (opset 19, without `roi`, `antialias` or
    `tf_crop_and_resize`). The output shape is the result type; input and
    result have the same rank. The per-dimension scale is `scales[d]` when
    `scales` is given (as ONNX does when the model specifies scales; then
    `out_d = floor(in_d * scales[d])`), otherwise `out_d / in_d`. Without
    `scales` the result shape must be static.

    An output coordinate `x` along a dimension maps to the input coordinate
    `x'` (with `s` the scale, `in`/`out` the sizes):

    ```
    half_pixel:           x' = (x + 0.5) / s - 0.5
    half_pixel_symmetric: x' = c * (1 - out / (s * in)) + (x + 0.5) / s - 0.5,  c = in / 2
    pytorch_half_pixel:   x' = out > 1 ? (x + 0.5) / s - 0.5 : 0
    align_corners:        x' = out > 1 ? x * (in - 1) / (out - 1) : 0
    asymmetric:           x' = x / s
    ```

    `nearest` takes `input[clamp(r(x'), 0, in - 1)]` where `r` is
    `nearest_mode` (`round_prefer_floor` rounds halves down,
    `round_prefer_ceil` up, `floor`, `ceil`). `linear` interpolates between
    `floor(x')` and `floor(x') + 1` with weights `1 - t`, `t`
    (`t = x' - floor(x')`, `x'` clamped to `[0, in - 1]`). `cubic` uses the
    four taps `floor(x') - 1 ... floor(x') + 2` with Keys' kernel of
    parameter `a = cubic_coeff_a`:
    `W(d) = (a+2)|d|^3 - (a+3)|d|^2 + 1` for `|d| <= 1`,
    `a|d|^3 - 5a|d|^2 + 8a|d| - 4a` for `1 < |d| < 2`; taps outside the
    input clamp to the border unless `exclude_outside`, which drops them and
    renormalises the remaining weights. Several dimensions are resampled one
    after another (separably).

    Integer tensors only accept `nearest`. Quantized tensors keep their type:
    `nearest` moves stored integers, `linear`/`cubic` interpolate real values
    and requantize to the same type.

    ```mlir
    %y = qc.resize %x {mode = #qc<resize_mode nearest>, coordinate_mode = #qc<coordinate_mode asymmetric>,
                       nearest_mode = #qc<nearest_mode floor>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>}
         : tensor<1x3x8x8xf32> -> tensor<1x3x16x16xf32>
    %z = qc.resize %x {mode = #qc<resize_mode linear>} : tensor<1x3x8x8xf32> -> tensor<1x3x12x12xf32>
    ```
  }];
  let arguments = (ins QC_AnyTensor:$input,
      DefaultValuedAttr<QC_ResizeModeAttr, "ResizeMode::Nearest">:$mode,
      DefaultValuedAttr<QC_CoordinateModeAttr, "CoordinateMode::HalfPixel">:$coordinate_mode,
      DefaultValuedAttr<QC_NearestModeAttr, "NearestMode::RoundPreferFloor">:$nearest_mode,
      DefaultValuedAttr<F64Attr, "-0.75">:$cubic_coeff_a,
      DefaultValuedAttr<BoolAttr, "false">:$exclude_outside,
      OptionalAttr<DenseF64ArrayAttr>:$scales);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    /// Output shape `floor(in * scale)` per dimension (dynamic stays dynamic).
    static ::mlir::FailureOr<::llvm::SmallVector<int64_t>> inferResultShape(
        ::llvm::ArrayRef<int64_t> input, ::llvm::ArrayRef<double> scales,
        std::string *why = nullptr);
  }];
}

//===----------------------------------------------------------------------===//
// ExpandOp
//===----------------------------------------------------------------------===//

def QC_ExpandOp : QC_Op<"expand", [Pure]> {
  let summary = "broadcasts a tensor to a larger shape";
  let description = [{
    ONNX `Expand`: `input` is broadcast (NumPy rules: align on the right, a
    dimension of size 1 stretches) to the result shape. The result shape is
    the one ONNX computes, `broadcast(input.shape, shape)`, so it must be a
    fixed point: `broadcast(input.shape, result.shape) = result.shape`.
    There is no shape operand, so a dynamic result dimension must be aligned
    with a dynamic input dimension and takes its size.

  }] # QC_ShapeOpQuantDoc # [{

    ```mlir
    %y = qc.expand %x : tensor<3x1xf32> -> tensor<2x3x4xf32>
    ```
  }];
  let arguments = (ins QC_AnyTensor:$input);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    /// ONNX's result shape for `Expand(input, shape)`.
    static ::mlir::FailureOr<::llvm::SmallVector<int64_t>> inferResultShape(
        ::llvm::ArrayRef<int64_t> input, ::llvm::ArrayRef<int64_t> shape,
        std::string *why = nullptr);
  }];
}

//===----------------------------------------------------------------------===//
// TileOp
//===----------------------------------------------------------------------===//

def QC_TileOp : QC_Op<"tile", [Pure]> {
  let summary = "repeats a tensor along every dimension";
  let description = [{
    ONNX `Tile`: one non-negative repeat count per dimension,
    `result.shape[d] = input.shape[d] * repeats[d]` and
    `result[i_0, ..., i_(r-1)] = input[i_0 mod n_0, ..., i_(r-1) mod n_(r-1)]`.
    A repeat of 0 gives an empty dimension, as in ONNX.

  }] # QC_ShapeOpQuantDoc # [{

    ```mlir
    %y = qc.tile %x {repeats = array<i64: 1, 2>} : tensor<2x3xf32> -> tensor<2x6xf32>
    ```
  }];
  let arguments = (ins QC_AnyTensor:$input, DenseI64ArrayAttr:$repeats);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    static ::mlir::FailureOr<::llvm::SmallVector<int64_t>> inferResultShape(
        ::llvm::ArrayRef<int64_t> input, ::llvm::ArrayRef<int64_t> repeats,
        std::string *why = nullptr);
  }];
}

//===----------------------------------------------------------------------===//
// SplitOp
//===----------------------------------------------------------------------===//

def QC_SplitOp : QC_Op<"split", [Pure]> {
  let summary = "cuts a tensor into consecutive pieces along one axis";
  let description = [{
    ONNX `Split` with a normalised axis (`0 <= axis < rank`) and explicit
    `sizes` (the importer resolves `num_outputs`). There is one result per
    entry of `sizes`; sizes are non-negative and sum to `input.shape[axis]`.
    Result `k` has `sizes[k]` along `axis` and holds
    `input[..., o_k + i, ...]` with `o_k = sizes[0] + ... + sizes[k-1]`.

  }] # QC_ShapeOpQuantDoc # [{

    ```mlir
    %q, %k, %v = qc.split %x {axis = 2 : i64, sizes = array<i64: 64, 64, 64>}
        : tensor<1x16x192xf32> -> tensor<1x16x64xf32>, tensor<1x16x64xf32>, tensor<1x16x64xf32>
    ```
  }];
  let arguments = (ins QC_AnyTensor:$input, I64Attr:$axis,
                       DenseI64ArrayAttr:$sizes);
  let results = (outs Variadic<QC_AnyTensor>:$outputs);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($outputs)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    /// One shape per entry of `sizes`.
    static ::mlir::FailureOr<::llvm::SmallVector<::llvm::SmallVector<int64_t>>>
    inferResultShapes(::llvm::ArrayRef<int64_t> input, int64_t axis,
                      ::llvm::ArrayRef<int64_t> sizes, std::string *why = nullptr);
  }];
}

#endif // QC_DIALECT_QC_IR_QCSHAPEOPS_TD
