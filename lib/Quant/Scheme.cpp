//===- Scheme.cpp - quantization recipes and observer targets -------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Quant/Scheme.h"

#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Dialect/QC/Utils/Numerics.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace mlir::qc;

ArrayRef<StringRef> qc::getSchemeRecipeNames() {
  static const StringRef names[] = {"w8a8",  "w8a8-dynamic", "w4a8-dynamic",
                                    "w8a16", "w4a16",        "w4a8",
                                    "w3a16", "w2a16",        "float"};
  return names;
}

std::string QuantScheme::str() const {
  if (isFloat)
    return "float";
  std::string s = "w" + std::to_string(weightBits) + "a" +
                  std::to_string(activations == ActivationMode::Float
                                     ? 16
                                     : activationBits);
  if (activations == ActivationMode::Dynamic)
    s += "-dynamic";
  switch (granularity) {
  case WeightGranularity::PerTensor: s += "-pt"; break;
  case WeightGranularity::PerChannel: s += "-pc"; break;
  case WeightGranularity::PerGroup: s += "-g" + std::to_string(groupSize); break;
  }
  s += weightSymmetric ? "-sym" : "-asym";
  return s;
}

bool QuantScheme::operator==(const QuantScheme &o) const {
  if (isFloat || o.isFloat)
    return isFloat == o.isFloat;
  return weightBits == o.weightBits && weightSymmetric == o.weightSymmetric &&
         granularity == o.granularity && groupSize == o.groupSize &&
         activations == o.activations && activationBits == o.activationBits;
}

FailureOr<QuantScheme> QuantScheme::parse(StringRef text, std::string &error) {
  std::string lower = text.trim().lower();
  StringRef s(lower);
  QuantScheme q;
  auto fail = [&](const Twine &why) -> FailureOr<QuantScheme> {
    error = ("invalid quantization scheme '" + text + "': " + why +
             " (expected w<bits>a<8|16>[-dynamic][-pt|-pc|-g<N>][-sym|-asym] "
             "such as w8a8, w8a8-dynamic, w4a16-g32, w4a8, or float)")
                .str();
    return failure();
  };
  if (s == "float" || s == "none" || s == "fp32") {
    q.isFloat = true;
    return q;
  }
  SmallVector<StringRef> parts;
  s.split(parts, '-');
  StringRef base = parts.front();
  if (!base.consume_front("w"))
    return fail("it does not start with 'w'");
  size_t aPos = base.find('a');
  if (aPos == StringRef::npos)
    return fail("no 'a<bits>' part");
  unsigned wb = 0, ab = 0;
  if (base.substr(0, aPos).getAsInteger(10, wb) || wb < 2 || wb > 8)
    return fail("weight bits must be 2 to 8");
  if (base.substr(aPos + 1).getAsInteger(10, ab) || (ab != 8 && ab != 16))
    return fail("activation bits must be 8 or 16");
  q.weightBits = wb;
  q.activationBits = ab == 16 ? 16 : 8;
  q.activations = ab == 16 ? ActivationMode::Float : ActivationMode::Static;
  bool granularitySet = false, symmetrySet = false;
  for (StringRef p : ArrayRef<StringRef>(parts).drop_front()) {
    if (p == "dynamic") {
      if (ab != 8)
        return fail("'dynamic' needs 8-bit activations");
      q.activations = ActivationMode::Dynamic;
    } else if (p == "pt" || p == "per-tensor") {
      q.granularity = WeightGranularity::PerTensor;
      granularitySet = true;
    } else if (p == "pc" || p == "per-channel") {
      q.granularity = WeightGranularity::PerChannel;
      granularitySet = true;
    } else if (p.consume_front("g")) {
      int64_t g = 0;
      if (p.getAsInteger(10, g) || g < 16 || g > 256 || (g & (g - 1)))
        return fail("group size must be a power of two from 16 to 256");
      q.granularity = WeightGranularity::PerGroup;
      q.groupSize = g;
      granularitySet = true;
    } else if (p == "sym") {
      q.weightSymmetric = true;
      symmetrySet = true;
    } else if (p == "asym") {
      q.weightSymmetric = false;
      symmetrySet = true;
    } else {
      return fail("unknown option '" + p + "'");
    }
  }
  bool weightOnly = q.activations == ActivationMode::Float;
  bool dynamic = q.activations == ActivationMode::Dynamic;
  if (!granularitySet && (weightOnly || dynamic) && wb <= 4) {
    q.granularity = WeightGranularity::PerGroup;
    q.groupSize = 32;
  }
  if (!symmetrySet)
    q.weightSymmetric = wb >= 4;
  if (!weightOnly && !q.weightSymmetric)
    return fail("integer compute needs symmetric weights (zero point 0)");
  if (!weightOnly && !dynamic && q.granularity == WeightGranularity::PerGroup)
    return fail("groups need float (a16) or dynamic activations");
  return q;
}

//===----------------------------------------------------------------------===//
// Observer -> quantized type
//===----------------------------------------------------------------------===//

FailureOr<Type> qc::getObserverQuantType(ObserveOp op, std::string &why) {
  if (!op.isCalibrated()) {
    why = op.getDynamic() ? "the observer is dynamic"
                          : "the observer has not been calibrated";
    return failure();
  }
  return getObserverQuantType(op, *op.getMin(), *op.getMax(), why);
}

FailureOr<Type> qc::getObserverQuantType(ObserveOp op, ArrayRef<double> mins,
                                         ArrayRef<double> maxs,
                                         std::string &why) {
  auto type = cast<RankedTensorType>(op.getType());
  Type expressed = type.getElementType();
  MLIRContext *ctx = op.getContext();
  auto storage = op.getStorage()
                     ? cast<IntegerType>(*op.getStorage())
                     : IntegerType::get(ctx, 8, IntegerType::Signed);
  bool isSigned = !storage.isUnsigned();
  unsigned width = storage.getWidth();
  bool symmetric = op.getSymmetric();
  numerics::QRange range =
      numerics::getStorageRange(width, isSigned, op.getNarrowRange());
  int64_t n = op.getNumRanges();
  if (ShapedType::isDynamic(n)) {
    why = "the observed tensor has a dynamic dimension";
    return failure();
  }
  if (static_cast<int64_t>(mins.size()) != n ||
      static_cast<int64_t>(maxs.size()) != n) {
    why = "expected " + std::to_string(n) + " range entries";
    return failure();
  }
  SmallVector<double> scales;
  SmallVector<int64_t> zeroPoints;
  for (int64_t i = 0; i < n; ++i) {
    numerics::QuantParams p = numerics::chooseQuantParams(
        mins[i], maxs[i], range.qmin, range.qmax, symmetric);
    if (!p.ok()) {
      why = "range entry " + std::to_string(i) + " [" +
            std::to_string(mins[i]) + ", " + std::to_string(maxs[i]) +
            "] cannot be quantized";
      return failure();
    }
    scales.push_back(p.scale);
    zeroPoints.push_back(p.zeroPoint);
  }
  unsigned flags = isSigned ? quant::QuantizationFlags::Signed : 0;
  // The storage type the quant dialect stores: signless integer of `width`.
  Type storageType = IntegerType::get(ctx, width);
  auto emitError = [&]() { return op.emitOpError(); };
  if (!op.getAxis()) {
    return Type(quant::UniformQuantizedType::getChecked(
        emitError, flags, storageType, expressed, scales[0], zeroPoints[0],
        range.qmin, range.qmax));
  }
  int64_t axis = *op.getAxis();
  if (!op.getBlockAxis()) {
    return Type(quant::UniformQuantizedPerAxisType::getChecked(
        emitError, flags, storageType, expressed, scales, zeroPoints,
        static_cast<int32_t>(axis), range.qmin, range.qmax));
  }
  SmallVector<int64_t> rangeShape = op.getRangeShape();
  SmallVector<int32_t> dims;
  SmallVector<int64_t> blockSizes;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    dims.push_back(static_cast<int32_t>(d));
    blockSizes.push_back(type.getDimSize(d) / rangeShape[d]);
  }
  auto scaleType = RankedTensorType::get(rangeShape, expressed);
  SmallVector<APFloat> scaleValues;
  for (double s : scales) {
    APFloat f(s);
    bool lost = false;
    f.convert(cast<FloatType>(expressed).getFloatSemantics(),
              APFloat::rmNearestTiesToEven, &lost);
    scaleValues.push_back(f);
  }
  auto zpType = RankedTensorType::get(rangeShape, storageType);
  SmallVector<APInt> zpValues;
  for (int64_t z : zeroPoints)
    zpValues.push_back(APInt(width, static_cast<uint64_t>(z), isSigned));
  return Type(quant::UniformQuantizedSubChannelType::getChecked(
      emitError, flags, storageType, expressed,
      DenseElementsAttr::get(scaleType, scaleValues),
      DenseElementsAttr::get(zpType, zpValues), dims, blockSizes, range.qmin,
      range.qmax));
}
