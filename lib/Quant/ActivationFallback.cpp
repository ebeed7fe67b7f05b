//===- ActivationFallback.cpp - keep badly quantizing activations float ---===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Quant/ActivationFallback.h"

#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Executor/Executor.h"
#include "qc/Executor/QuantTensor.h"
#include "qc/Quant/Scheme.h"

#include "llvm/ADT/DenseMap.h"

#include <cmath>
#include <cstdio>

using namespace mlir;
using namespace mlir::qc;

LogicalResult qc::dropNoisyActivations(func::FuncOp func,
                                       CalibrationDataset &data,
                                       double minSqnrDb, size_t maxSamples,
                                       unsigned numThreads,
                                       std::vector<std::string> &dropped,
                                       std::string &error) {
  struct Energy {
    double signal = 0, noise = 0;
    Type quantType;
  };
  llvm::DenseMap<Operation *, Energy> energy;
  SmallVector<ObserveOp> candidates;
  func.walk([&](ObserveOp op) {
    if (op.getDynamic() || !op.isCalibrated() || !op.getStorage() ||
        op.getInput().getDefiningOp<ConstantOp>())
      return;
    std::string why;
    FailureOr<Type> qt = getObserverQuantType(op, why);
    if (failed(qt))
      return;
    energy[op].quantType = *qt;
    candidates.push_back(op);
  });
  if (candidates.empty())
    return success();

  ExecutorOptions eo;
  eo.numThreads = numThreads;
  FailureOr<std::unique_ptr<Executor>> exec = Executor::create(func, eo);
  if (failed(exec)) {
    error = "cannot run the model to measure activation errors";
    return failure();
  }
  (*exec)->setObserver([&](ObserveOp op, const Tensor &t) {
    auto it = energy.find(op);
    if (it == energy.end())
      return;
    Tensor fq = fakeQuantizeTensor(t, it->second.quantType);
    for (int64_t i = 0, e = t.numElements(); i < e; ++i) {
      double x = t.getAsDouble(i), d = x - fq.getAsDouble(i);
      it->second.signal += x * x;
      it->second.noise += d * d;
    }
  });
  if (failed(runOnDataset(**exec, data, maxSamples, "measuring activation errors", error)))
    return failure();
  for (ObserveOp op : candidates) {
    const Energy &e = energy[op];
    if (e.noise == 0.0)
      continue;
    double sqnr = e.signal > 0.0 ? 10.0 * std::log10(e.signal / e.noise)
                                 : -INFINITY;
    if (sqnr >= minSqnrDb)
      continue;
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.1f", sqnr);
    dropped.push_back(op.getName().value_or("?").str() + " (" + buf + " dB)");
    op.getResult().replaceAllUsesWith(op.getInput());
    op.erase();
  }
  return success();
}
