//===- QCBase.td - qc dialect definition and shared constraints -*- tablegen -*-===//
//
// Part of quantc. The `qc` dialect: tensor graph ops, quantization ops and
// quantized compute ops. Quantized element types are upstream's `!quant.*`.
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_QC_IR_QCBASE_TD
#define QC_DIALECT_QC_IR_QCBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Dialect/Quant/IR/QuantBase.td"

def QC_Dialect : Dialect {
  let name = "qc";
  let cppNamespace = "::mlir::qc";
  let summary = "quantc's quantization dialect";
  let description = [{
    The `qc` dialect holds a neural network as a graph of value-semantic ops on
    ranked tensors, the ops that drive quantization (`qc.observe`,
    `qc.fake_quant`) and compute ops that accept upstream quantized element
    types (`!quant.uniform<...>`, per-tensor, per-axis or sub-channel).

    Numerics are stated once, in `docs/Numerics.md`, and shared by the
    reference executor, the CPU code generator and the Metal emitter.
    Quantize rounds half to even and saturates to the storage range (ONNX
    `QuantizeLinear`); integer products accumulate in `i32`.
  }];
  let dependentDialects = ["::mlir::quant::QuantDialect"];
  let hasConstantMaterializer = 1;
  let useDefaultAttributePrinterParser = 1;
}

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def QC_QuantElement : Type<
    CPred<"::llvm::isa<::mlir::quant::UniformQuantizedType, "
          "::mlir::quant::UniformQuantizedPerAxisType, "
          "::mlir::quant::UniformQuantizedSubChannelType>($_self)">,
    "uniform quantized type">;

def QC_NumericElement : AnyTypeOf<[AnyFloat, AnySignlessInteger, QC_QuantElement]>;

def QC_FloatTensor : RankedTensorOf<[AnyFloat]>;
def QC_IntTensor : RankedTensorOf<[AnySignlessInteger]>;
def QC_IndexTensor : RankedTensorOf<[I32, I64]>;
def QC_BoolTensor : RankedTensorOf<[I1]>;
def QC_QuantTensor : RankedTensorOf<[QC_QuantElement]>;
def QC_FloatOrIntTensor : RankedTensorOf<[AnyFloat, AnySignlessInteger]>;
def QC_FloatOrQuantTensor : RankedTensorOf<[AnyFloat, QC_QuantElement]>;
def QC_AnyTensor : RankedTensorOf<[QC_NumericElement]>;

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def QC_ReduceKind : I32EnumAttr<"ReduceKind", "reduction kind", [
    I32EnumAttrCase<"Sum", 0, "sum">,
    I32EnumAttrCase<"Mean", 1, "mean">,
    I32EnumAttrCase<"Max", 2, "max">,
    I32EnumAttrCase<"Min", 3, "min">,
    I32EnumAttrCase<"Prod", 4, "prod">,
    I32EnumAttrCase<"L1", 5, "l1">,
    I32EnumAttrCase<"L2", 6, "l2">,
    I32EnumAttrCase<"SumSquare", 7, "sum_square">,
    I32EnumAttrCase<"LogSum", 8, "log_sum">,
    I32EnumAttrCase<"LogSumExp", 9, "log_sum_exp">]> {
  let cppNamespace = "::mlir::qc";
  let genSpecializedAttr = 0;
}
def QC_ReduceKindAttr : EnumAttr<QC_Dialect, QC_ReduceKind, "reduce_kind">;

def QC_PoolKind : I32EnumAttr<"PoolKind", "pooling kind", [
    I32EnumAttrCase<"Max", 0, "max">,
    I32EnumAttrCase<"Avg", 1, "avg">]> {
  let cppNamespace = "::mlir::qc";
  let genSpecializedAttr = 0;
}
def QC_PoolKindAttr : EnumAttr<QC_Dialect, QC_PoolKind, "pool_kind">;

def QC_PadMode : I32EnumAttr<"PadMode", "padding mode", [
    I32EnumAttrCase<"Constant", 0, "constant">,
    I32EnumAttrCase<"Reflect", 1, "reflect">,
    I32EnumAttrCase<"Edge", 2, "edge">,
    I32EnumAttrCase<"Wrap", 3, "wrap">]> {
  let cppNamespace = "::mlir::qc";
  let genSpecializedAttr = 0;
}
def QC_PadModeAttr : EnumAttr<QC_Dialect, QC_PadMode, "pad_mode">;

def QC_ResizeMode : I32EnumAttr<"ResizeMode", "resize interpolation", [
    I32EnumAttrCase<"Nearest", 0, "nearest">,
    I32EnumAttrCase<"Linear", 1, "linear">,
    I32EnumAttrCase<"Cubic", 2, "cubic">]> {
  let cppNamespace = "::mlir::qc";
  let genSpecializedAttr = 0;
}
def QC_ResizeModeAttr : EnumAttr<QC_Dialect, QC_ResizeMode, "resize_mode">;

def QC_CoordinateMode : I32EnumAttr<"CoordinateMode",
    "how output coordinates map to input coordinates in resize", [
    I32EnumAttrCase<"HalfPixel", 0, "half_pixel">,
    I32EnumAttrCase<"PytorchHalfPixel", 1, "pytorch_half_pixel">,
    I32EnumAttrCase<"AlignCorners", 2, "align_corners">,
    I32EnumAttrCase<"Asymmetric", 3, "asymmetric">,
    I32EnumAttrCase<"HalfPixelSymmetric", 4, "half_pixel_symmetric">]> {
  let cppNamespace = "::mlir::qc";
  let genSpecializedAttr = 0;
}
def QC_CoordinateModeAttr : EnumAttr<QC_Dialect, QC_CoordinateMode, "coordinate_mode">;

def QC_NearestMode : I32EnumAttr<"NearestMode", "rounding of nearest resize", [
    I32EnumAttrCase<"RoundPreferFloor", 0, "round_prefer_floor">,
    I32EnumAttrCase<"RoundPreferCeil", 1, "round_prefer_ceil">,
    I32EnumAttrCase<"Floor", 2, "floor">,
    I32EnumAttrCase<"Ceil", 3, "ceil">]> {
  let cppNamespace = "::mlir::qc";
  let genSpecializedAttr = 0;
}
def QC_NearestModeAttr : EnumAttr<QC_Dialect, QC_NearestMode, "nearest_mode">;

def QC_GeluApprox : I32EnumAttr<"GeluApprox", "gelu approximation", [
    I32EnumAttrCase<"None", 0, "none">,
    I32EnumAttrCase<"Tanh", 1, "tanh">]> {
  let cppNamespace = "::mlir::qc";
  let genSpecializedAttr = 0;
}
def QC_GeluApproxAttr : EnumAttr<QC_Dialect, QC_GeluApprox, "gelu_approx">;

//===----------------------------------------------------------------------===//
// Base op
//===----------------------------------------------------------------------===//

class QC_Op<string mnemonic, list<Trait> traits = []>
    : Op<QC_Dialect, mnemonic, traits>;

#endif // QC_DIALECT_QC_IR_QCBASE_TD
