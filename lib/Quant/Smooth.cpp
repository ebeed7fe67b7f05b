//===- Smooth.cpp - migrate activation outliers into weights --------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Quant/Smooth.h"

#include "InputTaps.h"

#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Executor/Executor.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/DenseMap.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qc;

std::vector<Operation *> qc::getSmoothingTargets(func::FuncOp func) {
  std::vector<Operation *> targets;
  func.walk([&](Operation *op) {
    if (!isa<Conv2DOp, LinearOp>(op))
      return;
    auto x = cast<RankedTensorType>(op->getOperand(0).getType());
    auto w = op->getOperand(1).getDefiningOp<ConstantOp>();
    if (!x.getElementType().isF32() || !x.hasStaticShape() || !w ||
        !cast<RankedTensorType>(w.getType()).getElementType().isF32())
      return;
    targets.push_back(op);
  });
  return targets;
}

/// Input channels of a target: dimension 1 of a conv's NCHW input, the last
/// dimension of a linear's.
static int64_t inputChannels(Operation *op) {
  auto x = cast<RankedTensorType>(op->getOperand(0).getType());
  return isa<Conv2DOp>(op) ? x.getDimSize(1) : x.getShape().back();
}

FailureOr<std::vector<std::vector<float>>>
qc::computeSmoothingScales(func::FuncOp func, CalibrationDataset &data,
                           const SmoothOptions &options, std::string &error) {
  std::vector<Operation *> targets = getSmoothingTargets(func);
  std::vector<std::vector<float>> scales(targets.size());
  if (targets.empty())
    return scales;

  // The float model with a tap on each target's input.
  llvm::DenseMap<Operation *, size_t> index;
  auto [module, clone] =
      cloneWithInputTaps(func, targets, /*keepFakeQuant=*/false, index);

  std::vector<std::vector<double>> xmax(targets.size());
  for (size_t i = 0; i < targets.size(); ++i)
    xmax[i].assign(inputChannels(targets[i]), 0.0);
  ExecutorOptions eo;
  eo.numThreads = options.numThreads;
  FailureOr<std::unique_ptr<Executor>> exec = Executor::create(clone, eo);
  if (failed(exec)) {
    error = "smoothing: cannot run the float model";
    return failure();
  }
  (*exec)->setObserver([&](ObserveOp obs, const Tensor &t) {
    auto it = index.find(obs);
    if (it == index.end())
      return;
    std::vector<double> &m = xmax[it->second];
    bool conv = t.rank() == 4;
    int64_t channels = static_cast<int64_t>(m.size());
    int64_t inner = conv ? t.shape()[2] * t.shape()[3] : 1;
    for (int64_t e = 0, n = t.numElements(); e < n; ++e) {
      int64_t c = conv ? (e / inner) % channels : e % channels;
      m[c] = std::max(m[c], std::fabs(t.getAsDouble(e)));
    }
  });
  if (failed(runOnDataset(**exec, data, options.maxSamples, "smoothing",
                          error)))
    return failure();

  for (size_t i = 0; i < targets.size(); ++i) {
    Operation *op = targets[i];
    auto wc = op->getOperand(1).getDefiningOp<ConstantOp>();
    auto wType = cast<RankedTensorType>(wc.getType());
    FailureOr<Tensor> w = constantTensor(wc, "smoothing", error);
    if (failed(w))
      return failure();
    std::vector<double> wmax(xmax[i].size(), 0.0);
    forEachWeight(op, wType.getShape(), [&](int64_t e, int64_t c) {
      wmax[c] = std::max(wmax[c], std::fabs(w->getAsDouble(e)));
    });
    scales[i].assign(xmax[i].size(), 1.0f);
    for (size_t c = 0; c < xmax[i].size(); ++c) {
      if (xmax[i][c] <= 0.0 || wmax[c] <= 0.0)
        continue;
      double s = std::pow(xmax[i][c], options.alpha) /
                 std::pow(wmax[c], 1.0 - options.alpha);
      if (std::isfinite(s) && s > 1e-6 && s < 1e6)
        scales[i][c] = static_cast<float>(s);
    }
  }
  return scales;
}

LogicalResult qc::applySmoothing(func::FuncOp func,
                                 ArrayRef<std::vector<float>> scales,
                                 std::string &error) {
  std::vector<Operation *> targets = getSmoothingTargets(func);
  if (targets.size() != scales.size()) {
    error = "smoothing: the model has " + std::to_string(targets.size()) +
            " targets, the scales are for " + std::to_string(scales.size());
    return failure();
  }
  for (size_t i = 0; i < targets.size(); ++i) {
    Operation *op = targets[i];
    const std::vector<float> &s = scales[i];
    if (llvm::all_of(s, [](float v) { return v == 1.0f; }))
      continue;
    int64_t channels = inputChannels(op);
    if (static_cast<int64_t>(s.size()) != channels) {
      error = "smoothing: channel count mismatch";
      return failure();
    }
    auto wc = op->getOperand(1).getDefiningOp<ConstantOp>();
    auto wType = cast<RankedTensorType>(wc.getType());
    FailureOr<Tensor> w = constantTensor(wc, "smoothing", error);
    if (failed(w))
      return failure();
    Tensor scaled = w->clone();
    forEachWeight(op, wType.getShape(), [&](int64_t e, int64_t c) {
      scaled.data<float>()[e] = w->data<float>()[e] * s[c];
    });
    OpBuilder b(op);
    Location loc = op->getLoc();
    std::string name;
    if (auto nl = dyn_cast<NameLoc>(wc.getLoc()))
      name = nl.getName().str() + ".smoothed";
    auto newW = ConstantOp::create(
        b, wc.getLoc(), elementsFromTensor(scaled, wType, 64, name));
    // x * (1 / s), broadcast over the channel dimension.
    bool conv = isa<Conv2DOp>(op);
    SmallVector<int64_t> shape =
        conv ? SmallVector<int64_t>{1, channels, 1, 1}
             : SmallVector<int64_t>{channels};
    Tensor inv(DType::F32, shape);
    for (int64_t c = 0; c < channels; ++c)
      inv.data<float>()[c] = 1.0f / s[c];
    auto invType = RankedTensorType::get(shape, b.getF32Type());
    auto invC = ConstantOp::create(b, loc,
                                   elementsFromTensor(inv, invType, 1 << 30, ""));
    Value x = op->getOperand(0);
    std::string opName;
    if (auto nl = dyn_cast<NameLoc>(loc))
      opName = nl.getName().str();
    Location mulLoc =
        NameLoc::get(b.getStringAttr((opName.empty() ? "smooth" : opName) +
                                     ".smoothed_input"),
                     loc);
    auto mul = MulOp::create(b, mulLoc, x.getType(), x, invC.getResult());
    op->setOperand(0, mul.getResult());
    op->setOperand(1, newW.getResult());
    if (wc->use_empty())
      wc->erase();
  }
  return success();
}
