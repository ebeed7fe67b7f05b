//===- QuantUtils.cpp - shared helpers of the quantization passes ---------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "QuantUtils.h"

#include "qc/Dialect/QC/IR/QCOps.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Location.h"

using namespace mlir;
using namespace mlir::qc;

std::optional<ContractionInfo> qc::getContractionInfo(Operation *op) {
  ContractionInfo info;
  if (auto conv = dyn_cast<Conv2DOp>(op)) {
    info.input = &conv.getInputMutable();
    info.weight = &conv.getWeightMutable();
    if (conv.getBias())
      info.bias = &conv.getBiasMutable()[0];
    info.channelDim = 0;
    info.reductionDim = 1;
    return info;
  }
  if (auto lin = dyn_cast<LinearOp>(op)) {
    info.input = &lin.getInputMutable();
    info.weight = &lin.getWeightMutable();
    if (lin.getBias())
      info.bias = &lin.getBiasMutable()[0];
    info.channelDim = 0;
    info.reductionDim = 1;
    return info;
  }
  if (auto mm = dyn_cast<MatMulOp>(op)) {
    if (cast<RankedTensorType>(mm.getRhs().getType()).getRank() != 2)
      return std::nullopt;
    info.input = &mm.getLhsMutable();
    info.weight = &mm.getRhsMutable();
    info.channelDim = 1;
    info.reductionDim = 0;
    return info;
  }
  return std::nullopt;
}

bool qc::isGridPreservingOp(Operation *op) {
  if (isa<ReshapeOp, TransposeOp, SliceOp, ReluOp>(op))
    return true;
  if (auto pool = dyn_cast<Pool2DOp>(op))
    return pool.getKind() == PoolKind::Max;
  return false;
}

std::string qc::getLocName(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location l : fused.getLocations()) {
      std::string s = getLocName(l);
      if (!s.empty())
        return s;
    }
  if (auto callSite = dyn_cast<CallSiteLoc>(loc))
    return getLocName(callSite.getCallee());
  return "";
}
