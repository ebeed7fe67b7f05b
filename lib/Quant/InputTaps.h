//===- InputTaps.h - measuring copies and weight channels -------*- C++ -*-===//
//
// Part of quantc. Internal to lib/Quant.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_QUANT_INPUTTAPS_H
#define QC_LIB_QUANT_INPUTTAPS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Executor/Executor.h"

#include "llvm/ADT/DenseMap.h"

namespace mlir::qc {

/// A copy of `func` in a module of its own, for measuring: its qc.observe
/// ops removed, its qc.fake_quant ops too (the float model) unless
/// `keepFakeQuant`, and an unnamed qc.observe on operand 0 of the copy of
/// each op in `targets`. `index` maps each of those observers to the
/// position of its op in `targets`. `func` is left as it was.
std::pair<OwningOpRef<ModuleOp>, func::FuncOp>
cloneWithInputTaps(func::FuncOp func, ArrayRef<Operation *> targets,
                   bool keepFakeQuant,
                   llvm::DenseMap<Operation *, size_t> &index);

/// Calls fn(flat weight index, global input channel) for every weight of a
/// qc.conv2d (OIHW, grouped) or qc.linear ([N, K]) with weight shape
/// `wShape`.
/// The value of constant `c` as a host tensor; on failure `error` says why,
/// after "`what`: ".
inline FailureOr<Tensor> constantTensor(ConstantOp c, StringRef what,
                                        std::string &error) {
  std::string why;
  FailureOr<Tensor> t = materializeConstant(
      c.getValue(), cast<RankedTensorType>(c.getType()), why);
  if (failed(t))
    error = (what + ": " + why).str();
  return t;
}

template <typename Fn>
inline void forEachWeight(Operation *op, ArrayRef<int64_t> wShape, Fn &&fn) {
  if (auto conv = dyn_cast<Conv2DOp>(op)) {
    int64_t o = wShape[0], inPerGroup = wShape[1],
            spatial = wShape[2] * wShape[3];
    int64_t outPerGroup = o / conv.getGroups();
    for (int64_t c = 0; c < o; ++c)
      for (int64_t il = 0; il < inPerGroup; ++il)
        for (int64_t k = 0; k < spatial; ++k)
          fn((c * inPerGroup + il) * spatial + k,
             (c / outPerGroup) * inPerGroup + il);
    return;
  }
  int64_t n = wShape[0], k = wShape[1];
  for (int64_t r = 0; r < n; ++r)
    for (int64_t i = 0; i < k; ++i)
      fn(r * k + i, i);
}

} // namespace mlir::qc

#endif // QC_LIB_QUANT_INPUTTAPS_H
