//===- QCTypeUtils.cpp - shape and quantized-type helpers -----------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/IR/QCTypeUtils.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

std::string qc::shapeToString(ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "scalar";
  std::string s;
  llvm::raw_string_ostream os(s);
  llvm::interleave(
      shape, os,
      [&](int64_t d) {
        if (ShapedType::isDynamic(d))
          os << '?';
        else
          os << d;
      },
      "x");
  return s;
}

FailureOr<SmallVector<int64_t>>
qc::broadcastShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b, std::string *why) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da == 1) {
      out[i] = db;
    } else if (db == 1) {
      out[i] = da;
    } else if (ShapedType::isDynamic(da)) {
      out[i] = db;
    } else if (ShapedType::isDynamic(db) || da == db) {
      out[i] = da;
    } else {
      if (why)
        *why = "dimension " + std::to_string(i) + " has sizes " +
               std::to_string(da) + " and " + std::to_string(db);
      return failure();
    }
  }
  return out;
}

bool qc::isCompatibleShape(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  if (a.size() != b.size())
    return false;
  for (auto [x, y] : llvm::zip_equal(a, b))
    if (!ShapedType::isDynamic(x) && !ShapedType::isDynamic(y) && x != y)
      return false;
  return true;
}

Type qc::getExpressedType(Type elementType) {
  if (auto q = dyn_cast<quant::QuantizedType>(elementType))
    return q.getExpressedType();
  return elementType;
}

bool qc::isUniformQuantized(Type t) {
  return isa<quant::UniformQuantizedType, quant::UniformQuantizedPerAxisType,
             quant::UniformQuantizedSubChannelType>(t);
}

FailureOr<int64_t> qc::normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return failure();
  return axis < 0 ? axis + rank : axis;
}

LogicalResult
qc::verifyQuantTypeForShape(function_ref<InFlightDiagnostic()> emitError,
                            Type elementType, ArrayRef<int64_t> shape,
                            StringRef what) {
  int64_t rank = shape.size();
  if (auto pa = dyn_cast<quant::UniformQuantizedPerAxisType>(elementType)) {
    int64_t axis = pa.getQuantizedDimension();
    if (axis >= rank)
      return emitError() << what << ": per-axis quantized dimension " << axis
                         << " is out of range for a tensor of rank " << rank;
    int64_t n = pa.getScales().size();
    if (!ShapedType::isDynamic(shape[axis]) && shape[axis] != n)
      return emitError() << what << ": per-axis quantization along dimension "
                         << axis << " has " << n
                         << " scales but the dimension has size "
                         << shape[axis];
    return success();
  }
  if (auto sc = dyn_cast<quant::UniformQuantizedSubChannelType>(elementType)) {
    auto scaleShape = sc.getScales().getType().getShape();
    if (static_cast<int64_t>(scaleShape.size()) != rank)
      return emitError() << what << ": sub-channel scales have rank "
                         << scaleShape.size() << " but the tensor has rank "
                         << rank;
    SmallVector<int64_t> block(rank, 0);
    for (auto [dim, size] :
         llvm::zip_equal(sc.getQuantizedDimensions(), sc.getBlockSizes())) {
      if (dim < 0 || dim >= rank)
        return emitError() << what << ": sub-channel quantized dimension "
                           << dim << " is out of range for a tensor of rank "
                           << rank;
      if (size <= 0)
        return emitError() << what << ": block size " << size
                           << " along dimension " << dim
                           << " must be positive";
      block[dim] = size;
    }
    for (int64_t d = 0; d < rank; ++d) {
      if (ShapedType::isDynamic(shape[d]))
        continue;
      // As upstream's quant ops require: blocks tile the dimension exactly.
      // A dimension without an explicit block is one block.
      if (block[d] != 0 && shape[d] % block[d] != 0)
        return emitError() << what << ": dimension " << d << " of size "
                           << shape[d] << " is not a multiple of its block size "
                           << block[d];
      int64_t want = block[d] == 0 ? 1 : shape[d] / block[d];
      if (scaleShape[d] != want)
        return emitError() << what << ": dimension " << d << " of size "
                           << shape[d] << " in blocks of "
                           << (block[d] == 0 ? shape[d] : block[d]) << " needs "
                           << want << " scales, the type has "
                           << scaleShape[d];
    }
    return success();
  }
  return success();
}

LogicalResult qc::verifyResultShape(Operation *op, ArrayRef<int64_t> expected,
                                    Type result, StringRef what) {
  auto have = cast<RankedTensorType>(result).getShape();
  if (!isCompatibleShape(expected, have))
    return op->emitOpError()
           << what << " shape " << shapeToString(have)
           << " does not match the expected " << shapeToString(expected);
  return success();
}

LogicalResult qc::verifyWindow2D(ArrayRef<int64_t> strides,
                                 ArrayRef<int64_t> pads,
                                 ArrayRef<int64_t> dilations,
                                 std::string &why) {
  if (strides.size() != 2)
    why = "'strides' must have 2 entries";
  else if (dilations.size() != 2)
    why = "'dilations' must have 2 entries";
  else if (pads.size() != 4)
    why = "'pads' must have 4 entries [top, left, bottom, right]";
  else if (llvm::any_of(strides, [](int64_t s) { return s <= 0; }))
    why = "strides must be positive";
  else if (llvm::any_of(dilations, [](int64_t d) { return d <= 0; }))
    why = "dilations must be positive";
  else if (llvm::any_of(pads, [](int64_t p) { return p < 0; }))
    why = "pads must be non-negative";
  else
    return success();
  return failure();
}
