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

LogicalResult ObserveOp::verify() {
  auto type = cast<RankedTensorType>(getType());
  if (getMin().has_value() != getMax().has_value())
    return emitOpError("'min' and 'max' must be given together");
  int64_t expected = 1;
  if (std::optional<int64_t> axis = getAxis()) {
    if (*axis < 0 || *axis >= type.getRank())
      return emitOpError("axis ") << *axis << " is out of range for rank "
                                  << type.getRank();
    expected = type.getDimSize(*axis);
  }
  if (std::optional<StringRef> method = getMethod()) {
    bool known = llvm::StringSwitch<bool>(*method)
                     .Cases({"minmax", "ema-minmax", "percentile", "mse",
                             "entropy", "qat"},
                            true)
                     .Default(false);
    if (!known)
      return emitOpError("unknown calibration method '")
             << *method
             << "' (expected minmax, ema-minmax, percentile, mse, entropy "
                "or qat)";
  }
  if (!isCalibrated())
    return success();
  ArrayRef<double> mins = *getMin(), maxs = *getMax();
  if (mins.size() != maxs.size())
    return emitOpError("'min' has ") << mins.size() << " entries but 'max' has "
                                     << maxs.size();
  if (!ShapedType::isDynamic(expected) &&
      static_cast<int64_t>(mins.size()) != expected)
    return emitOpError("expected ")
           << expected << " range entries ("
           << (getAxis() ? "one per slice along the axis" : "per tensor")
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
