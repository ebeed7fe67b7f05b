//===- BiasCorrection.cpp - correct the mean error of quantized weights ---===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Quant/BiasCorrection.h"

#include "InputTaps.h"

#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Executor/Executor.h"
#include "qc/Executor/QuantTensor.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

using namespace mlir;
using namespace mlir::qc;

namespace {
struct Target {
  Operation *op;
  FakeQuantOp weightFq;
  ConstantOp weight;
  /// Sum of each input channel and the number of values summed per channel.
  std::vector<double> sums;
  double count = 0;
};
} // namespace

static bool isTarget(Operation *op) { return isa<Conv2DOp, LinearOp>(op); }

LogicalResult qc::correctBias(func::FuncOp func, CalibrationDataset &data,
                              const BiasCorrectionOptions &options,
                              std::string &error) {
  std::vector<Target> targets;
  func.walk([&](Operation *op) {
    if (!isTarget(op))
      return;
    auto fq = op->getOperand(1).getDefiningOp<FakeQuantOp>();
    if (!fq)
      return;
    auto cst = fq.getInput().getDefiningOp<ConstantOp>();
    if (!cst || !cast<RankedTensorType>(cst.getType()).getElementType().isF32())
      return;
    targets.push_back({op, fq, cst, {}, 0});
  });
  if (targets.empty())
    return success();

  // The float model, with an observer on each target's input.
  std::vector<Operation *> ops;
  for (Target &tg : targets)
    ops.push_back(tg.op);
  llvm::DenseMap<Operation *, size_t> index;
  auto [module, clone] =
      cloneWithInputTaps(func, ops, /*keepFakeQuant=*/false, index);

  ExecutorOptions eo;
  eo.numThreads = options.numThreads;
  FailureOr<std::unique_ptr<Executor>> exec = Executor::create(clone, eo);
  if (failed(exec)) {
    error = "bias correction: cannot run the float model";
    return failure();
  }
  (*exec)->setObserver([&](ObserveOp obs, const Tensor &t) {
    auto it = index.find(obs);
    if (it == index.end() || it->second >= targets.size())
      return;
    Target &tg = targets[it->second];
    bool conv = isa<Conv2DOp>(tg.op);
    int64_t channels = conv ? t.shape()[1] : t.shape().back();
    int64_t inner = 1;
    if (conv)
      for (size_t d = 2; d < t.shape().size(); ++d)
        inner *= t.shape()[d];
    if (tg.sums.empty())
      tg.sums.assign(channels, 0.0);
    int64_t total = t.numElements();
    for (int64_t e = 0; e < total; ++e) {
      int64_t c = conv ? (e / inner) % channels : e % channels;
      tg.sums[c] += t.getAsDouble(e);
    }
    tg.count += static_cast<double>(total / std::max<int64_t>(channels, 1));
  });

  if (failed(runOnDataset(**exec, data, options.maxSamples, "bias correction", error)))
    return failure();

  for (Target &tg : targets) {
    if (tg.count == 0 || tg.sums.empty())
      continue;
    auto wType = cast<RankedTensorType>(tg.weight.getType());
    FailureOr<Tensor> w = constantTensor(tg.weight, "bias correction", error);
    if (failed(w))
      return failure();
    Tensor wq = fakeQuantizeTensor(*w, tg.weightFq.getQuantType());
    int64_t outC = wType.getDimSize(0);
    int64_t perOut = w->numElements() / outC;
    std::vector<double> acc(outC, 0.0);
    forEachWeight(tg.op, wType.getShape(), [&](int64_t e, int64_t i) {
      acc[e / perOut] +=
          (wq.getAsDouble(e) - w->getAsDouble(e)) * (tg.sums[i] / tg.count);
    });
    std::vector<float> correction(acc.begin(), acc.end());
    // New bias = old bias - correction.
    auto biasType = RankedTensorType::get({outC}, wType.getElementType());
    Tensor bias(DType::F32, {outC});
    Value oldBias = tg.op->getNumOperands() > 2 ? tg.op->getOperand(2) : Value();
    if (oldBias) {
      auto bc = oldBias.getDefiningOp<ConstantOp>();
      if (!bc)
        continue;
      std::string ignored;
      FailureOr<Tensor> b = constantTensor(bc, "bias correction", ignored);
      if (failed(b) || b->numElements() != outC)
        continue;
      bias = b->clone();
    }
    for (int64_t c = 0; c < outC; ++c)
      bias.setFromDouble(c, bias.getAsDouble(c) - correction[c]);
    OpBuilder b(tg.op);
    auto cst = ConstantOp::create(
        b, tg.op->getLoc(),
        elementsFromTensor(bias, biasType, /*resourceThreshold=*/1 << 30, ""));
    if (oldBias) {
      tg.op->setOperand(2, cst.getResult());
      if (oldBias.use_empty())
        oldBias.getDefiningOp()->erase();
    } else {
      tg.op->insertOperands(2, ValueRange{cst.getResult()});
    }
  }
  return success();
}
