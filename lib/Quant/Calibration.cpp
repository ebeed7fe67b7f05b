//===- Calibration.cpp - fill qc.observe ranges from data -----------------===//
//
// Part of quantc. Weight observers are computed once from their constant;
// activation observers accumulate statistics (running extremes or a
// streaming histogram) while the executor runs the samples one by one, and
// pick their range at the end. The IR is only changed once every sample has
// run, so a failure leaves the function as it was.
//
//===----------------------------------------------------------------------===//

#include "qc/Quant/Calibration.h"

#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Executor/Executor.h"
#include "qc/Quant/Histogram.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::qc;

StringRef qc::stringifyCalibrationMethod(CalibrationMethod m) {
  switch (m) {
  case CalibrationMethod::MinMax:
    return "minmax";
  case CalibrationMethod::EmaMinMax:
    return "ema-minmax";
  case CalibrationMethod::Percentile:
    return "percentile";
  case CalibrationMethod::MSE:
    return "mse";
  case CalibrationMethod::Entropy:
    return "entropy";
  }
  return "minmax";
}

std::optional<CalibrationMethod> qc::parseCalibrationMethod(StringRef s) {
  return llvm::StringSwitch<std::optional<CalibrationMethod>>(s.trim().lower())
      .Case("minmax", CalibrationMethod::MinMax)
      .Case("ema-minmax", CalibrationMethod::EmaMinMax)
      .Case("percentile", CalibrationMethod::Percentile)
      .Case("mse", CalibrationMethod::MSE)
      .Case("entropy", CalibrationMethod::Entropy)
      .Default(std::nullopt);
}

namespace {

/// Calls fn(element, rangeEntry) for every element of a row-major tensor of
/// `shape`, with the observer's range entry it belongs to (see
/// ObserveOp::getRangeShape(): entry index is row-major over `rangeShape`,
/// element index d maps to index d / (shape[d] / rangeShape[d])).
template <typename Fn>
void forEachRangeEntry(ArrayRef<int64_t> shape, ArrayRef<int64_t> rangeShape,
                       Fn fn) {
  int64_t rank = shape.size();
  if (rank == 0) {
    fn(0, 0);
    return;
  }
  SmallVector<int64_t> block(rank), stride(rank);
  int64_t s = 1;
  for (int64_t d = rank - 1; d >= 0; --d) {
    block[d] = rangeShape[d] ? shape[d] / rangeShape[d] : 1;
    stride[d] = s;
    s *= rangeShape[d];
  }
  int64_t inner = shape.back();
  int64_t outer = 1;
  for (int64_t d = 0; d + 1 < rank; ++d)
    outer *= shape[d];
  for (int64_t o = 0; o < outer; ++o) {
    int64_t base = 0, rem = o;
    for (int64_t d = rank - 2; d >= 0; --d) {
      int64_t idx = rem % shape[d];
      rem /= shape[d];
      base += idx / block[d] * stride[d];
    }
    int64_t first = o * inner;
    for (int64_t j = 0; j < inner; ++j)
      fn(first + j, base + j / block[rank - 1] * stride[rank - 1]);
  }
}

/// Element i of a float tensor as a double (fast path for f32).
template <typename Fn> void withValues(const Tensor &t, Fn fn) {
  if (t.dtype() == DType::F32) {
    const float *p = t.data<float>();
    fn([p](int64_t i) { return static_cast<double>(p[i]); });
  } else {
    fn([&t](int64_t i) { return t.getAsDouble(i); });
  }
}

QuantTarget getTarget(ObserveOp op) {
  QuantTarget t;
  if (std::optional<Type> storage = op.getStorage()) {
    auto it = cast<IntegerType>(*storage);
    t.bits = it.getWidth();
    t.isSigned = !it.isUnsigned();
  }
  t.narrowRange = op.getNarrowRange();
  t.symmetric = op.getSymmetric();
  return t;
}

std::string describeObserver(ObserveOp op) {
  if (std::optional<StringRef> name = op.getName())
    return "observer '" + name->str() + "'";
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "observer at " << op.getLoc();
  return s;
}

struct ObserverState {
  ObserveOp op;
  CalibrationMethod method;
  SmallVector<int64_t> shape, rangeShape;
  std::vector<double> mins, maxs;
  /// ema-minmax: whether an entry has seen its first batch.
  std::vector<bool> started;
  std::unique_ptr<Histogram> hist;

  void observe(const Tensor &t, double emaConstant) {
    if (hist) {
      if (t.dtype() == DType::F32) {
        hist->add(ArrayRef<float>(t.data<float>(), t.numElements()));
      } else {
        std::vector<float> values(t.numElements());
        for (int64_t i = 0, e = t.numElements(); i < e; ++i)
          values[i] = static_cast<float>(t.getAsDouble(i));
        hist->add(values);
      }
      return;
    }
    size_t n = mins.size();
    const double inf = std::numeric_limits<double>::infinity();
    std::vector<double> lo(n, inf), hi(n, -inf);
    withValues(t, [&](auto get) {
      forEachRangeEntry(shape, rangeShape, [&](int64_t i, int64_t r) {
        double x = get(i);
        if (!std::isfinite(x))
          return;
        lo[r] = std::min(lo[r], x);
        hi[r] = std::max(hi[r], x);
      });
    });
    for (size_t r = 0; r < n; ++r) {
      if (lo[r] > hi[r]) // no finite value in this entry
        continue;
      if (method == CalibrationMethod::EmaMinMax && started[r]) {
        mins[r] = (1 - emaConstant) * mins[r] + emaConstant * lo[r];
        maxs[r] = (1 - emaConstant) * maxs[r] + emaConstant * hi[r];
      } else if (method == CalibrationMethod::EmaMinMax || !started[r]) {
        mins[r] = lo[r];
        maxs[r] = hi[r];
      } else {
        mins[r] = std::min(mins[r], lo[r]);
        maxs[r] = std::max(maxs[r], hi[r]);
      }
      started[r] = true;
    }
  }

  void finish(const CalibrationOptions &options) {
    if (hist) {
      QuantTarget target = getTarget(op);
      std::pair<double, double> range;
      switch (method) {
      case CalibrationMethod::Percentile:
        range = percentileRange(*hist, options.percentile);
        break;
      case CalibrationMethod::MSE:
        range = mseRange(*hist, target);
        break;
      case CalibrationMethod::Entropy:
      {
        // One-sided data (a ReLU's output) quantized asymmetrically uses
        // every level of the storage type over [0, T]; otherwise each sign
        // gets half of them.
        bool oneSided = hist->min() >= 0.0 || hist->max() <= 0.0;
        unsigned levels = oneSided && !target.symmetric
                              ? (1u << target.bits) - 1
                              : 1u << (target.bits - 1);
        range = entropyRange(*hist, levels);
      }
        break;
      default:
        range = {hist->min(), hist->max()};
        break;
      }
      mins.assign(1, range.first);
      maxs.assign(1, range.second);
      return;
    }
    for (size_t r = 0; r < mins.size(); ++r)
      if (!started[r])
        mins[r] = maxs[r] = 0.0;
  }
};

/// Weight observers: the range of the constant itself, per range entry.
LogicalResult calibrateWeight(ObserverState &s, ElementsAttr value,
                              CalibrationMethod method, std::string &error) {
  std::string why;
  FailureOr<Tensor> t =
      materializeConstant(value, cast<RankedTensorType>(s.op.getType()), why);
  if (failed(t)) {
    error = describeObserver(s.op) + ": cannot read its constant: " + why;
    return failure();
  }
  s.method = method;
  if (method == CalibrationMethod::MinMax) {
    s.observe(*t, 0.0);
    s.finish({});
    return success();
  }
  // mse: gather each entry's values and search its clipping range.
  std::vector<std::vector<float>> entries(s.mins.size());
  withValues(*t, [&](auto get) {
    forEachRangeEntry(s.shape, s.rangeShape, [&](int64_t i, int64_t r) {
      entries[r].push_back(static_cast<float>(get(i)));
    });
  });
  QuantTarget target = getTarget(s.op);
  for (size_t r = 0; r < entries.size(); ++r) {
    std::pair<double, double> range = mseWeightRange(entries[r], target);
    s.mins[r] = range.first;
    s.maxs[r] = range.second;
  }
  return success();
}

/// `calibrating [#####     ] 12/32 samples`, redrawn in place.
void drawProgress(size_t done, size_t total) {
  constexpr size_t kWidth = 30;
  size_t filled = total ? done * kWidth / total : kWidth;
  std::string bar(filled, '#');
  bar.resize(kWidth, ' ');
  llvm::errs() << "\rcalibrating [" << bar << "] " << done << "/" << total
               << " samples";
  if (done == total)
    llvm::errs() << "\n";
  llvm::errs().flush();
}

} // namespace

LogicalResult qc::calibrate(func::FuncOp func, CalibrationDataset &data,
                            const CalibrationOptions &options,
                            std::string &error) {
  if (options.weightMethod != CalibrationMethod::MinMax &&
      options.weightMethod != CalibrationMethod::MSE) {
    error = "the weight calibration method must be minmax or mse, got '" +
            stringifyCalibrationMethod(options.weightMethod).str() + "'";
    return failure();
  }
  if (options.numBins < 2 || options.numBins % 2) {
    error = "the number of histogram bins must be even and at least 2, got " +
            std::to_string(options.numBins);
    return failure();
  }
  if (!(options.percentile > 0.0 && options.percentile <= 100.0)) {
    error = "the percentile must be in (0, 100], got " +
            std::to_string(options.percentile);
    return failure();
  }
  if (!(options.emaConstant > 0.0 && options.emaConstant <= 1.0)) {
    error = "the EMA constant must be in (0, 1], got " +
            std::to_string(options.emaConstant);
    return failure();
  }

  std::vector<std::unique_ptr<ObserverState>> states;
  DenseMap<Operation *, ObserverState *> activations;
  bool failedSetup = false;
  func.walk([&](ObserveOp op) {
    if (op.getDynamic() || failedSetup)
      return;
    auto s = std::make_unique<ObserverState>();
    s->op = op;
    auto type = cast<RankedTensorType>(op.getType());
    int64_t numRanges = op.getNumRanges();
    if (!type.hasStaticShape() || ShapedType::isDynamic(numRanges)) {
      error =
          describeObserver(op) + ": the observed tensor type must be static";
      failedSetup = true;
      return;
    }
    s->shape.assign(type.getShape().begin(), type.getShape().end());
    s->rangeShape = op.getRangeShape();
    s->mins.assign(numRanges, 0.0);
    s->maxs.assign(numRanges, 0.0);
    s->started.assign(numRanges, false);
    Operation *def = op.getInput().getDefiningOp();
    if (def && isa<qc::ConstantOp, arith::ConstantOp>(def)) {
      auto value = dyn_cast<ElementsAttr>(def->getAttr("value"));
      if (!value ||
          failed(calibrateWeight(*s, value, options.weightMethod, error))) {
        if (!value)
          error = describeObserver(op) + ": its constant has no elements";
        failedSetup = true;
        return;
      }
    } else {
      s->method = options.method;
      bool perTensor = numRanges == 1 && !op.getAxis();
      bool histogram = options.method == CalibrationMethod::Percentile ||
                       options.method == CalibrationMethod::MSE ||
                       options.method == CalibrationMethod::Entropy;
      if (histogram && !perTensor) {
        // Histograms are per tensor; per-slice activations keep extremes.
        s->method = CalibrationMethod::MinMax;
      } else if (histogram) {
        QuantTarget target = getTarget(op);
        if (options.method == CalibrationMethod::Entropy &&
            (target.bits < 2 || target.bits > 16 ||
             options.numBins < (1u << (target.bits - 1)))) {
          error = describeObserver(op) + ": entropy calibration for " +
                  std::to_string(target.bits) + "-bit storage needs at least " +
                  std::to_string(1u << (std::min(target.bits, 17u) - 1)) +
                  " bins, got " + std::to_string(options.numBins);
          failedSetup = true;
          return;
        }
        s->hist = std::make_unique<Histogram>(options.numBins);
      }
      activations[op.getOperation()] = s.get();
    }
    states.push_back(std::move(s));
  });
  if (failedSetup)
    return failure();

  if (!activations.empty()) {
    ExecutorOptions exeOptions;
    exeOptions.numThreads = options.numThreads;
    FailureOr<std::unique_ptr<Executor>> exe =
        Executor::create(func, exeOptions);
    if (failed(exe)) {
      error = "cannot run function '" + func.getSymName().str() +
              "' for calibration (see the diagnostic above)";
      return failure();
    }
    (*exe)->setObserver([&](ObserveOp op, const Tensor &t) {
      auto it = activations.find(op.getOperation());
      if (it != activations.end())
        it->second->observe(t, options.emaConstant);
    });
    size_t total = data.size();
    if (total == 0) {
      error = "the calibration data holds no samples";
      return failure();
    }
    bool progress =
        options.progress && llvm::sys::Process::StandardErrIsDisplayed();
    data.reset();
    std::vector<Tensor> inputs;
    size_t drawn = SIZE_MAX;
    for (size_t i = 0;; ++i) {
      // Redraw when the percentage moves, not for every small sample.
      if (progress && (i == total || i * 100 / total != drawn)) {
        drawn = i * 100 / total;
        drawProgress(i, total);
      }
      std::string why;
      FailureOr<bool> more = data.next(inputs, why);
      auto sampleError = [&]() {
        if (progress)
          llvm::errs() << "\n";
        std::string where = data.describeSample(i);
        error = "calibration sample " + std::to_string(i) +
                (where.empty() ? "" : " (" + where + ")") + ": " + why;
        return failure();
      };
      if (failed(more))
        return sampleError();
      if (!*more)
        break;
      if (failed((*exe)->run(inputs, why)))
        return sampleError();
    }
  }

  MLIRContext *ctx = func.getContext();
  for (std::unique_ptr<ObserverState> &s : states) {
    if (activations.count(s->op.getOperation()))
      s->finish(options);
    s->op.setMinAttr(DenseF64ArrayAttr::get(ctx, s->mins));
    s->op.setMaxAttr(DenseF64ArrayAttr::get(ctx, s->maxs));
    s->op.setMethodAttr(
        StringAttr::get(ctx, stringifyCalibrationMethod(s->method)));
  }
  return success();
}
