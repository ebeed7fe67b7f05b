//===- QuantUtils.h - shared helpers of the quantization passes -*- C++ -*-===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_DIALECT_QC_TRANSFORMS_QUANTUTILS_H
#define QC_LIB_DIALECT_QC_TRANSFORMS_QUANTUTILS_H

#include "mlir/IR/Operation.h"

#include <optional>
#include <string>

namespace mlir::qc {

/// The operands of a contraction op that quantization cares about.
struct ContractionInfo {
  OpOperand *input = nullptr;
  OpOperand *weight = nullptr;
  OpOperand *bias = nullptr;
  /// Output channel and reduction dimension of the weight.
  int64_t channelDim = 0;
  int64_t reductionDim = 1;
};

/// conv2d, linear and matmul with a rank-2 right-hand side.
std::optional<ContractionInfo> getContractionInfo(Operation *op);

/// Data movement that is exact on a per-tensor quantized grid: reshape,
/// transpose, max pooling, slice, ReLU.
bool isGridPreservingOp(Operation *op);

/// The name a model gave this op (its NameLoc), or "" if none.
std::string getLocName(Location loc);

} // namespace mlir::qc

#endif
