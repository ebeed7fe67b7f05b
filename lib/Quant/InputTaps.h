//===- InputTaps.h - observe the inputs of chosen ops in a model copy -*- C++ -*-===//
//
// Part of quantc. Internal to lib/Quant.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_QUANT_INPUTTAPS_H
#define QC_LIB_QUANT_INPUTTAPS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
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

} // namespace mlir::qc

#endif // QC_LIB_QUANT_INPUTTAPS_H
