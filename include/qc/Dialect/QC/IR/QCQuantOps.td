//===- QCQuantOps.td - constants and quantization ops ----------*- tablegen -*-===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_QC_IR_QCQUANTOPS_TD
#define QC_DIALECT_QC_IR_QCQUANTOPS_TD

include "qc/Dialect/QC/IR/QCBase.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def QC_ConstantOp : QC_Op<"constant", [ConstantLike, Pure]> {
  let summary = "tensor constant, possibly of a quantized element type";
  let description = [{
    Produces a tensor from an elements attribute. Large weights use
    `dense_resource` blobs so that they are never printed as text.

    When the result element type is a `!quant.uniform` type, `value` holds the
    *stored* integers: its element type must equal the quantized type's storage
    type, and the represented real number of element `q` is
    `scale * (q - zero_point)` (per axis or per block for the per-axis and
    sub-channel types).

    ```mlir
    %w = qc.constant dense<[[1.0, 2.0]]> : tensor<1x2xf32>
    %q = qc.constant dense<[[-3, 7]]> : tensor<1x2xi8> -> tensor<1x2x!quant.uniform<i8:f32, 0.5>>
    %r = qc.constant dense_resource<wq0> : tensor<64x64xf32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs QC_AnyTensor:$result);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let hasFolder = 1;
  let builders = [
    OpBuilder<(ins "::mlir::ElementsAttr":$value), [{
      build($_builder, $_state, ::llvm::cast<::mlir::Type>(value.getType()), value);
    }]>
  ];
}

def QC_ObserveOp : QC_Op<"observe", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "records the range of a tensor during calibration";
  let description = [{
    Returns its operand unchanged. During calibration the executor streams
    each value that passes through it into an observer; `qc-calibrate` then
    writes what it found back into the op:

    - `name`: the tensor's name in the source model (used by reports and
      `--keep-float`/`--layer-scheme` regexes).
    - `axis`: when present, statistics are kept per slice along this axis
      (per-channel weights, per-token activations); otherwise per tensor.
    - `min`, `max`: the calibrated range, one entry per tensor or per slice.
      `min[i] <= max[i]` always holds.
    - `method`: the calibration method that produced the range
      (`minmax`, `ema-minmax`, `percentile`, `mse`, `entropy`, `qat`), or
      the weight algorithm whose scales the range pins (`gptq`, `awq`,
      `imatrix`: quant-compile --weight-algo).

    The target of the quantization, set by `qc-insert-observers` and read by
    the range search of `qc-calibrate` and by `qc-fake-quant`:

    - `storage`: the storage integer type (`i8`, `ui8`, `i4`, `i3`, `i2`, ...).
    - `symmetric`: zero point 0 (signed storage) with the range `[-a, a]`.
    - `narrow_range`: the most negative storage value is not used
      (`i8` stores `[-127, 127]`).
    - `block_axis`, `block_size`: sub-channel (group) quantization: blocks of
      `block_size` consecutive elements along `block_axis`, one range per
      block and per slice along `axis` (which is then required).
    - `dynamic`: the range is computed at run time (per slice along `axis`,
      else per tensor); calibration leaves it alone.

    Range entries are laid out like the scales of an upstream sub-channel
    type: row-major over a shape that is `dim(axis)` along `axis`,
    `dim(block_axis) / block_size` along `block_axis` and 1 elsewhere.

    ```mlir
    %0 = qc.observe %x {name = "conv1.out"} : tensor<1x8x28x28xf32>
    %1 = qc.observe %w {name = "fc.w", axis = 0 : i64, min = array<f64: -1.0, -0.5>,
                        max = array<f64: 1.0, 0.25>, method = "minmax"} : tensor<2x16xf32>
    ```
  }];
  let arguments = (ins QC_FloatTensor:$input,
                       OptionalAttr<StrAttr>:$name,
                       OptionalAttr<I64Attr>:$axis,
                       OptionalAttr<DenseF64ArrayAttr>:$min,
                       OptionalAttr<DenseF64ArrayAttr>:$max,
                       OptionalAttr<StrAttr>:$method,
                       OptionalAttr<TypeAttrOf<AnyInteger>>:$storage,
                       UnitAttr:$symmetric,
                       UnitAttr:$narrow_range,
                       OptionalAttr<I64Attr>:$block_axis,
                       OptionalAttr<I64Attr>:$block_size,
                       UnitAttr:$dynamic);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// True once calibration has filled `min` and `max`.
    bool isCalibrated() { return getMin().has_value() && getMax().has_value(); }
    /// Shape of the range tensor (see the description); all ones per tensor.
    ::llvm::SmallVector<int64_t> getRangeShape();
    /// Number of range entries: the product of getRangeShape().
    int64_t getNumRanges();
  }];
}

def QC_FakeQuantOp : QC_Op<"fake_quant", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "quantize-dequantize with the parameters of a quantized type";
  let description = [{
    Rounds a float tensor onto the grid of `quant_type`, an upstream
    `!quant.uniform` type (per-tensor, per-axis or sub-channel/blocked) whose
    expressed type is the operand's element type. Element by element, with the
    scale `s` and zero point `z` that apply to that element:

    ```
    q = clamp(round_half_to_even(x / s) + z, storage_min, storage_max)
    y = (q - z) * s
    ```

    This is ONNX `QuantizeLinear` followed by `DequantizeLinear`. For training
    the gradient is straight-through inside the clamping range and zero outside
    it. `qc-expand-fake-quant` rewrites it as `quant.qcast` + `quant.dcast`.

    ```mlir
    %y = qc.fake_quant %x {quant_type = !quant.uniform<i8:f32, 0.1:-3>} : tensor<4x8xf32>
    %w = qc.fake_quant %v {quant_type = !quant.uniform<i8<-127:127>:f32:0, {0.1, 0.2}>} : tensor<2x8xf32>
    %b = qc.fake_quant %u {quant_type = !quant.uniform<i4:f32:{1:32}, {{0.1}, {0.3}}>} : tensor<2x32xf32>
    ```
  }];
  let arguments = (ins QC_FloatTensor:$input, TypeAttr:$quant_type);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasVerifier = 1;
}

#endif // QC_DIALECT_QC_IR_QCQUANTOPS_TD
