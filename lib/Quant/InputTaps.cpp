//===- InputTaps.cpp - observe the inputs of chosen ops in a model copy ---===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "InputTaps.h"

#include "qc/Dialect/QC/IR/QCOps.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace mlir::qc;

std::pair<OwningOpRef<ModuleOp>, func::FuncOp>
qc::cloneWithInputTaps(func::FuncOp func, ArrayRef<Operation *> targets,
                       bool keepFakeQuant,
                       llvm::DenseMap<Operation *, size_t> &index) {
  // Targets are tagged so that their copies can be found.
  constexpr StringLiteral kTag = "qc.input_tap";
  Builder builder(func.getContext());
  for (size_t i = 0; i < targets.size(); ++i)
    targets[i]->setAttr(kTag, builder.getI64IntegerAttr(i));
  OwningOpRef<ModuleOp> module = ModuleOp::create(func.getLoc());
  auto clone = cast<func::FuncOp>(func->clone());
  module->push_back(clone);
  for (Operation *op : targets)
    op->removeAttr(kTag);

  SmallVector<Operation *> strip;
  clone.walk([&](Operation *op) {
    if (isa<ObserveOp>(op) || (!keepFakeQuant && isa<FakeQuantOp>(op)))
      strip.push_back(op);
  });
  for (Operation *op : strip) {
    op->getResult(0).replaceAllUsesWith(op->getOperand(0));
    op->erase();
  }
  clone.walk([&](Operation *op) {
    auto tag = op->getAttrOfType<IntegerAttr>(kTag);
    if (!tag)
      return;
    op->removeAttr(kTag);
    OpBuilder b(op);
    auto tap = ObserveOp::create(b, op->getLoc(), ValueRange{op->getOperand(0)},
                                 ArrayRef<NamedAttribute>{});
    op->setOperand(0, tap.getResult());
    index[tap] = tag.getInt();
  });
  return {std::move(module), clone};
}
