//===- QCBlockOps.cpp - weights in llama.cpp's block formats --------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/IR/QCOps.h"

#include "qc/GGUF/BlockFormats.h"

using namespace mlir;
using namespace mlir::qc;
namespace gg = mlir::qc::gguf;

int64_t BlockLinearOp::getRowLength() {
  return getInput().getType().getShape().back();
}

int64_t BlockLinearOp::getNumRows() {
  return getWeight().getType().getShape().front();
}

LogicalResult BlockLinearOp::verify() {
  auto in = getInput().getType(), out = getResult().getType();
  auto w = getWeight().getType();
  if (!in.getElementType().isF32() || !out.getElementType().isF32())
    return emitOpError("input and result must be f32, got ")
           << in.getElementType() << " and " << out.getElementType();
  if (in.getRank() < 1 || !in.hasStaticShape())
    return emitOpError("input must have a static shape of rank 1 or more");
  if (w.getRank() != 2 || !w.hasStaticShape())
    return emitOpError("weight must be a static [rows, bytes per row] tensor "
                       "of i8 or ui8, got ")
           << w;
  std::optional<gg::GGMLType> type = gg::parseTypeName(getFormat());
  if (!type || !gg::canDequantize(*type) || gg::typeName(*type) != getFormat())
    return emitOpError("format '")
           << getFormat()
           << "' is not a block format quantc implements (Q4_0, Q4_1, Q5_0, "
              "Q5_1, Q8_0, IQ4_NL, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, F16, BF16, "
              "F32)";
  int64_t K = getRowLength(), N = w.getShape()[0];
  if (!gg::isValidRowLength(*type, K))
    return emitOpError("rows of ")
           << K << " values do not fill whole " << getFormat()
           << " blocks of " << gg::blockSize(*type);
  int64_t rowBytes = static_cast<int64_t>(gg::rowSize(*type, K));
  if (w.getShape()[1] != rowBytes)
    return emitOpError("weight rows hold ")
           << w.getShape()[1] << " bytes, but " << K << " values in "
           << getFormat() << " take " << rowBytes;
  SmallVector<int64_t> want(in.getShape().drop_back());
  want.push_back(N);
  if (out.getShape() != ArrayRef<int64_t>(want)) {
    auto diag = emitOpError("result shape must be [");
    llvm::interleaveComma(want, diag);
    return diag << "], got " << out;
  }
  if (Value b = getBias()) {
    auto bt = cast<RankedTensorType>(b.getType());
    if (!bt.getElementType().isF32() || bt.getShape() != ArrayRef<int64_t>{N})
      return emitOpError("bias must be f32 [") << N << "], got " << bt;
  }
  if (getDynamicAct() && *type != gg::GGMLType::Q4_0 &&
      *type != gg::GGMLType::Q8_0)
    return emitOpError("'dynamic_act' (int8 activations) is defined for "
                       "Q4_0 and Q8_0 weights, not ")
           << getFormat();
  return success();
}
