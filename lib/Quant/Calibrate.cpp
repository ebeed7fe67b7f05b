//===- Calibrate.cpp - the qc-calibrate pass ------------------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Executor/Executor.h"
#include "qc/Quant/Calibration.h"
#include "qc/Quant/Passes.h"

#include "mlir/IR/BuiltinOps.h"

namespace mlir::qc {
#define GEN_PASS_DEF_CALIBRATE
#include "qc/Quant/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {
/// Stands in for the data of a function whose observers are all weights.
class NoData : public CalibrationDataset {
public:
  size_t size() const override { return 0; }
  void reset() override {}
  FailureOr<bool> next(std::vector<Tensor> &, std::string &) override {
    return false;
  }
};

struct CalibratePass : public qc::impl::CalibrateBase<CalibratePass> {
  using Base::Base;

  void runOnOperation() override {
    CalibrationOptions options;
    auto parseMethod = [&](StringRef what, StringRef text,
                           CalibrationMethod &out) -> LogicalResult {
      std::optional<CalibrationMethod> m = parseCalibrationMethod(text);
      if (!m)
        return getOperation().emitError("qc-calibrate: unknown ")
               << what << " '" << text
               << "' (expected minmax, ema-minmax, percentile, mse or "
                  "entropy)";
      out = *m;
      return success();
    };
    if (failed(parseMethod("method", method, options.method)) ||
        failed(
            parseMethod("weight-method", weightMethod, options.weightMethod)))
      return signalPassFailure();
    options.percentile = percentile;
    options.numBins = bins;
    options.emaConstant = emaConstant;
    options.numThreads = numThreads;

    DatasetSpec spec;
    spec.sources.assign(data.begin(), data.end());
    spec.preprocess = preprocess;
    spec.maxSamples = maxSamples;

    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      bool needsData = false, anyObserver = false;
      func.walk([&](ObserveOp op) {
        if (op.getDynamic())
          return;
        anyObserver = true;
        Operation *def = op.getInput().getDefiningOp();
        needsData |= !def || !def->hasTrait<OpTrait::ConstantLike>();
      });
      if (!anyObserver)
        continue;
      std::string error;
      NoData noData;
      std::unique_ptr<CalibrationDataset> dataset;
      if (needsData) {
        if (spec.sources.empty()) {
          func.emitError("qc-calibrate: function '")
              << func.getSymName()
              << "' has activation observers: give calibration data with "
                 "data=DIR|FILE.npy|NAME=DIR|FILE";
          return signalPassFailure();
        }
        // The names and types the executor gives the inputs.
        SmallVector<std::string> names;
        SmallVector<Type> types(func.getArgumentTypes());
        for (unsigned i = 0; i < func.getNumArguments(); ++i) {
          auto name = func.getArgAttrOfType<StringAttr>(i, "qc.name");
          names.push_back(name ? name.str() : "input" + std::to_string(i));
        }
        FailureOr<std::unique_ptr<CalibrationDataset>> opened =
            openCalibrationDataset(spec, names, types, error);
        if (failed(opened)) {
          func.emitError("qc-calibrate: ") << error;
          return signalPassFailure();
        }
        dataset = std::move(*opened);
      }
      if (failed(
              calibrate(func, dataset ? *dataset : noData, options, error))) {
        func.emitError("qc-calibrate: ") << error;
        return signalPassFailure();
      }
    }
  }
};
} // namespace
