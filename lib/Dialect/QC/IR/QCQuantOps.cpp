//===- QCQuantOps.cpp - constants and quantization ops --------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Dialect/QC/IR/QCTypeUtils.h"

#include "llvm/ADT/StringSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qc;

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

ParseResult ConstantOp::parse(OpAsmParser &parser, OperationState &result) {
  Attribute value;
  if (parser.parseOptionalAttrDict(result.attributes))
    return failure();
  SMLoc valueLoc = parser.getCurrentLocation();
  if (parser.parseAttribute(value))
    return failure();
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements)
    return parser.emitError(valueLoc, "expected an elements attribute");
  Type type = elements.getType();
  if (succeeded(parser.parseOptionalArrow()) && parser.parseType(type))
    return failure();
  result.getOrAddProperties<Properties>().value = elements;
  result.addTypes(type);
  return success();
}

void ConstantOp::print(OpAsmPrinter &p) {
  p.printOptionalAttrDict((*this)->getAttrs(), {"value"});
  p << ' ';
  p.printAttribute(getValue());
  if (getType() != getValue().getType())
    p << " -> " << getType();
}

LogicalResult ConstantOp::verify() {
  auto valueType = cast<ShapedType>(getValue().getType());
  auto resultType = cast<RankedTensorType>(getType());
  if (!valueType.hasStaticShape())
    return emitOpError("value must have a static shape");
  if (valueType.getShape() != resultType.getShape())
    return emitOpError("value shape ")
           << shapeToString(valueType.getShape())
           << " does not match result shape "
           << shapeToString(resultType.getShape());
  Type valueElt = valueType.getElementType();
  Type resultElt = resultType.getElementType();
  if (auto q = dyn_cast<quant::QuantizedType>(resultElt)) {
    auto storage = dyn_cast<IntegerType>(valueElt);
    if (!storage || storage.getWidth() != q.getStorageTypeIntegralWidth())
      return emitOpError("value of a quantized constant must hold the i")
             << q.getStorageTypeIntegralWidth() << " storage integers, got "
             << valueElt;
    return verifyQuantTypeForShape([&] { return emitOpError(); }, resultElt,
                                   resultType.getShape(), "result");
  }
  if (valueElt != resultElt)
    return emitOpError("value element type ")
           << valueElt << " does not match result element type " << resultElt;
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValueAttr(); }

//===----------------------------------------------------------------------===//
// ObserveOp
//===----------------------------------------------------------------------===//

SmallVector<int64_t> ObserveOp::getRangeShape() {
  auto type = cast<RankedTensorType>(getType());
  SmallVector<int64_t> shape(type.getRank(), 1);
  if (std::optional<int64_t> axis = getAxis();
      axis && *axis >= 0 && *axis < type.getRank())
    shape[*axis] = type.getDimSize(*axis);
  std::optional<int64_t> blockAxis = getBlockAxis();
  std::optional<int64_t> blockSize = getBlockSize();
  if (blockAxis && blockSize && *blockAxis >= 0 &&
      *blockAxis < type.getRank() && *blockSize > 0 &&
      !ShapedType::isDynamic(type.getDimSize(*blockAxis)))
    shape[*blockAxis] = type.getDimSize(*blockAxis) / *blockSize;
  return shape;
}

int64_t ObserveOp::getNumRanges() {
  int64_t n = 1;
  for (int64_t d : getRangeShape()) {
    if (ShapedType::isDynamic(d))
      return ShapedType::kDynamic;
    n *= d;
  }
  return n;
}

LogicalResult ObserveOp::verify() {
  auto type = cast<RankedTensorType>(getType());
  if (getMin().has_value() != getMax().has_value())
    return emitOpError("'min' and 'max' must be given together");
  if (std::optional<int64_t> axis = getAxis()) {
    if (*axis < 0 || *axis >= type.getRank())
      return emitOpError("axis ") << *axis << " is out of range for rank "
                                  << type.getRank();
  }
  if (getBlockAxis().has_value() != getBlockSize().has_value())
    return emitOpError("'block_axis' and 'block_size' must be given together");
  if (std::optional<int64_t> blockAxis = getBlockAxis()) {
    int64_t bs = *getBlockSize();
    if (!getAxis())
      return emitOpError("block quantization needs a channel 'axis'");
    if (*blockAxis < 0 || *blockAxis >= type.getRank())
      return emitOpError("block_axis ")
             << *blockAxis << " is out of range for rank " << type.getRank();
    if (*blockAxis == static_cast<int64_t>(*getAxis()))
      return emitOpError("block_axis must differ from axis");
    if (bs <= 0)
      return emitOpError("block_size must be positive, got ") << bs;
    int64_t dim = type.getDimSize(*blockAxis);
    if (!ShapedType::isDynamic(dim) && dim % bs != 0)
      return emitOpError("block_size ")
             << bs << " does not divide dimension " << *blockAxis << " ("
             << dim << ")";
  }
  if (std::optional<Type> storage = getStorage()) {
    auto it = cast<IntegerType>(*storage);
    if (it.getWidth() < 2 || it.getWidth() > 16)
      return emitOpError("storage type must be 2 to 16 bits wide, got ")
             << *storage;
    if (getSymmetric() && it.isUnsigned())
      return emitOpError("symmetric quantization needs a signed storage "
                         "type, got ")
             << *storage;
  } else if (getSymmetric() || getNarrowRange()) {
    return emitOpError("'symmetric' and 'narrow_range' need a 'storage' type");
  }
  if (getDynamic() && (getMin() || getBlockAxis()))
    return emitOpError("a dynamic observer has no calibrated range and no "
                       "blocks");
  if (std::optional<StringRef> method = getMethod()) {
    bool known = llvm::StringSwitch<bool>(*method)
                     .Cases({"minmax", "ema-minmax", "percentile", "mse",
                             "entropy", "qat", "gptq", "awq", "imatrix"},
                            true)
                     .Default(false);
    if (!known)
      return emitOpError("unknown calibration method '")
             << *method
             << "' (expected minmax, ema-minmax, percentile, mse, entropy, "
                "qat, gptq, awq or imatrix)";
  }
  if (!isCalibrated())
    return success();
  int64_t expected = getNumRanges();
  ArrayRef<double> mins = *getMin(), maxs = *getMax();
  if (mins.size() != maxs.size())
    return emitOpError("'min' has ") << mins.size() << " entries but 'max' has "
                                     << maxs.size();
  if (!ShapedType::isDynamic(expected) &&
      static_cast<int64_t>(mins.size()) != expected)
    return emitOpError("expected ")
           << expected << " range entries ("
           << (getBlockAxis() ? "one per block"
               : getAxis()    ? "one per slice along the axis"
                              : "per tensor")
           << "), got " << mins.size();
  for (size_t i = 0; i < mins.size(); ++i) {
    if (!std::isfinite(mins[i]) || !std::isfinite(maxs[i]))
      return emitOpError("range entry ") << i << " is not finite";
    if (mins[i] > maxs[i])
      return emitOpError("range entry ")
             << i << " has min " << mins[i] << " > max " << maxs[i];
  }
  return success();
}

//===----------------------------------------------------------------------===//
// FakeQuantOp
//===----------------------------------------------------------------------===//

LogicalResult FakeQuantOp::verify() {
  Type qt = getQuantType();
  if (!isUniformQuantized(qt))
    return emitOpError("'quant_type' must be a !quant.uniform type, got ")
           << qt;
  auto type = cast<RankedTensorType>(getType());
  auto q = cast<quant::QuantizedType>(qt);
  if (q.getExpressedType() != type.getElementType())
    return emitOpError("quantized type expresses ")
           << q.getExpressedType() << " but the operand holds "
           << type.getElementType();
  return verifyQuantTypeForShape([&] { return emitOpError(); }, qt,
                                 type.getShape(), "quant_type");
}
