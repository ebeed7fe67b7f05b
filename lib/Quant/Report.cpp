//===- Report.cpp - per-layer quantization report -------------------------===//
//
// Part of quantc.
//
// Measures a calibrated float model: the quantization error of each weight
// observer (from the constant), of each activation observer (from the data,
// streamed through the reference executor twice: once for the data range and
// the errors, once for histograms over a range fixed by the first pass), and
// of the whole model (float vs. fake-quantized outputs on the same samples).
// The numbers go into a report::QuantReport that ReportJson.cpp and
// ReportHtml.cpp render; the file is written (through a temporary file and a
// rename) only once everything succeeded.
//
//===----------------------------------------------------------------------===//

#include "qc/Quant/Report.h"

#include "ReportData.h"

#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Dialect/QC/Utils/Numerics.h"
#include "qc/Executor/Executor.h"
#include "qc/Executor/QuantTensor.h"
#include "qc/Quant/Scheme.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::report;

std::optional<double> ErrorStats::sqnrDb() const {
  if (count == 0 || sumError <= 0 || sumSignal <= 0)
    return std::nullopt;
  double v = 10.0 * std::log10(sumSignal / sumError);
  if (!std::isfinite(v))
    return std::nullopt;
  return v;
}

ErrorStats report::pooledOutputError(const QuantReport &r) {
  ErrorStats s;
  for (const OutputRow &o : r.outputs) {
    s.sumSignal += o.error.sumSignal;
    s.sumError += o.error.sumError;
    s.count += o.error.count;
  }
  return s;
}

namespace {

std::string observerName(ObserveOp op) {
  if (std::optional<StringRef> n = op.getName())
    return n->str();
  std::string s = "qc.observe at ";
  llvm::raw_string_ostream os(s);
  os << op.getLoc();
  return s;
}

bool isWeightObserver(ObserveOp op) {
  Operation *def = op.getInput().getDefiningOp();
  return def && isa<qc::ConstantOp, arith::ConstantOp>(def);
}

/// The value of a float constant as a host tensor (dense or dense_resource).
FailureOr<Tensor> constantTensor(Operation *def, std::string &why) {
  auto attr = dyn_cast_or_null<ElementsAttr>(def->getAttr("value"));
  auto type = cast<RankedTensorType>(def->getResult(0).getType());
  std::optional<DType> dtype = dtypeFromType(type.getElementType());
  if (!attr || !dtype || !isFloatDType(*dtype) || !type.hasStaticShape()) {
    why = "its constant is not a static float tensor";
    return failure();
  }
  Tensor t(*dtype, type.getShape());
  if (auto res = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob || blob->getData().size() != t.byteSize()) {
      why = "its dense_resource blob is missing or of the wrong size";
      return failure();
    }
    return Tensor::view(*dtype, type.getShape(), nullptr,
                        blob->getData().data());
  }
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  if (!dense) {
    why = "its constant attribute is not dense";
    return failure();
  }
  auto values = dense.getValues<APFloat>();
  for (int64_t i = 0, n = t.numElements(); i < n; ++i)
    t.setFromDouble(i, values[dense.isSplat() ? 0 : i].convertToDouble());
  return t;
}

/// Maps a row-major element index of the observed tensor to its range entry
/// (the observer's range layout) and holds the representable range of each
/// entry.
struct RangeMap {
  SmallVector<int64_t> dims, blockDiv, rangeStride;
  int64_t numRanges = 1;
  std::vector<double> lo, hi;

  void init(ArrayRef<int64_t> shape, ArrayRef<int64_t> rangeShape) {
    dims.assign(shape.begin(), shape.end());
    blockDiv.assign(shape.size(), 1);
    rangeStride.assign(shape.size(), 0);
    numRanges = 1;
    for (int64_t d = shape.size() - 1; d >= 0; --d) {
      blockDiv[d] =
          rangeShape[d] ? std::max<int64_t>(shape[d] / rangeShape[d], 1) : 1;
      rangeStride[d] = rangeShape[d] > 1 ? numRanges : 0;
      numRanges *= rangeShape[d];
    }
  }
  int64_t entry(int64_t flat) const {
    if (numRanges == 1)
      return 0;
    int64_t r = 0;
    for (int64_t d = dims.size() - 1; d >= 0; --d) {
      int64_t c = flat % dims[d];
      flat /= dims[d];
      r += (c / blockDiv[d]) * rangeStride[d];
    }
    return r;
  }
};

/// Fixed facts of one observer: its target and, once the range is known,
/// its quantized type and representable ranges.
struct ObserverTarget {
  ObserveOp op;
  numerics::QRange q{};
  bool isSigned = true;
  unsigned width = 8;
  RangeMap map;
  Type quantType; ///< null for dynamic observers (computed per tensor)

  /// Sets the representable range of each entry for `mins`/`maxs`.
  void setRanges(ArrayRef<double> mins, ArrayRef<double> maxs) {
    map.lo.resize(mins.size());
    map.hi.resize(mins.size());
    for (size_t i = 0; i < mins.size(); ++i) {
      numerics::QuantParams p = numerics::chooseQuantParams(
          mins[i], maxs[i], q.qmin, q.qmax, op.getSymmetric());
      map.lo[i] = numerics::dequantize(q.qmin, p.scale, p.zeroPoint);
      map.hi[i] = numerics::dequantize(q.qmax, p.scale, p.zeroPoint);
    }
  }

  /// Fake-quantizes `t` (for a dynamic observer, with ranges computed from
  /// `t` itself) and accumulates the error and clipping into `stats`.
  LogicalResult measure(const Tensor &t, ErrorStats &stats, std::string &why) {
    Type type = quantType;
    if (!type) {
      int64_t n = map.numRanges;
      std::vector<double> mins(n, 0.0), maxs(n, 0.0);
      for (int64_t i = 0, e = t.numElements(); i < e; ++i) {
        double x = t.getAsDouble(i);
        if (!std::isfinite(x))
          continue;
        int64_t r = map.entry(i);
        mins[r] = std::min(mins[r], x);
        maxs[r] = std::max(maxs[r], x);
      }
      FailureOr<Type> qt = getObserverQuantType(op, mins, maxs, why);
      if (failed(qt))
        return failure();
      type = *qt;
      setRanges(mins, maxs);
    }
    Tensor fq = fakeQuantizeTensor(t, type);
    for (int64_t i = 0, e = t.numElements(); i < e; ++i) {
      double x = t.getAsDouble(i);
      if (!std::isfinite(x))
        continue;
      stats.add(x, fq.getAsDouble(i));
      int64_t r = map.entry(i);
      if (x < map.lo[r] || x > map.hi[r])
        ++stats.clipped;
    }
    return success();
  }
};

/// Describes the observer and prepares its target. Fails for an observer
/// that is neither calibrated nor dynamic, or whose range cannot be
/// quantized.
LogicalResult describe(ObserveOp op, ObserverInfo &info, ObserverTarget &tgt,
                       std::string &error) {
  info.name = observerName(op);
  auto type = cast<RankedTensorType>(op.getType());
  if (!type.hasStaticShape()) {
    error = "observer '" + info.name + "' has a dynamic shape";
    return failure();
  }
  info.shape.assign(type.getShape().begin(), type.getShape().end());
  auto storage = op.getStorage() ? cast<IntegerType>(*op.getStorage())
                                 : IntegerType::get(op.getContext(), 8,
                                                    IntegerType::Signed);
  tgt.op = op;
  tgt.isSigned = !storage.isUnsigned();
  tgt.width = storage.getWidth();
  tgt.q =
      numerics::getStorageRange(tgt.width, tgt.isSigned, op.getNarrowRange());
  info.storage = (tgt.isSigned ? "i" : "u") + std::to_string(tgt.width);
  info.storageBits = tgt.width;
  info.symmetric = op.getSymmetric();
  info.narrowRange = op.getNarrowRange();
  info.dynamic = op.getDynamic();
  info.axis = op.getAxis();
  info.blockAxis = op.getBlockAxis();
  info.blockSize = op.getBlockSize();
  info.granularity = info.blockAxis ? "per-block"
                     : info.axis    ? "per-axis"
                                    : "per-tensor";
  info.numRanges = op.getNumRanges();
  if (std::optional<StringRef> m = op.getMethod())
    info.method = m->str();
  tgt.map.init(type.getShape(), op.getRangeShape());

  if (!op.isCalibrated()) {
    if (info.dynamic)
      return success();
    error = "observer '" + info.name +
            "' has not been calibrated (no min/max); run qc-calibrate first";
    return failure();
  }
  ArrayRef<double> mins = *op.getMin(), maxs = *op.getMax();
  std::string why;
  FailureOr<Type> qt = getObserverQuantType(op, why);
  if (failed(qt)) {
    error = "observer '" + info.name + "': " + why;
    return failure();
  }
  tgt.quantType = *qt;
  // A calibrated observer quantizes with its range even when marked dynamic.
  info.dynamic = false;
  // Large per-block types would print every scale: name the small ones.
  if (info.numRanges <= kMaxPrintedRanges) {
    llvm::raw_string_ostream os(info.quantType);
    os << *qt;
  }
  tgt.setRanges(mins, maxs);
  info.rangeMin = *std::min_element(mins.begin(), mins.end());
  info.rangeMax = *std::max_element(maxs.begin(), maxs.end());
  info.clipMin = *std::min_element(tgt.map.lo.begin(), tgt.map.lo.end());
  info.clipMax = *std::max_element(tgt.map.hi.begin(), tgt.map.hi.end());
  return success();
}

/// Collects diagnostics (executor creation, type verification) into a
/// string for the caller's error message.
struct DiagCollector {
  std::string text;
  ScopedDiagnosticHandler handler;
  explicit DiagCollector(MLIRContext *ctx)
      : handler(ctx, [this](Diagnostic &d) {
          if (!text.empty())
            text += "; ";
          text += d.str();
          return success();
        }) {}
};

/// The fake-quantized twin of `func`: each calibrated observer replaced by
/// qc.fake_quant with its quantized type; dynamic observers stay (identity).
func::FuncOp buildFakeQuantFunc(func::FuncOp func, ModuleOp into,
                                int64_t &dynamicLeft) {
  auto clone = cast<func::FuncOp>(func->clone());
  into.push_back(clone);
  SmallVector<ObserveOp> observers;
  clone.walk([&](ObserveOp op) { observers.push_back(op); });
  dynamicLeft = 0;
  for (ObserveOp op : observers) {
    std::string why;
    FailureOr<Type> qt = getObserverQuantType(op, why);
    if (failed(qt)) { // dynamic: describe() rejected every other failure
      ++dynamicLeft;
      continue;
    }
    OpBuilder b(op);
    auto fq = FakeQuantOp::create(b, op.getLoc(), op.getType(), op.getInput(),
                                  TypeAttr::get(*qt));
    op.getResult().replaceAllUsesWith(fq.getResult());
    op.erase();
  }
  return clone;
}

int64_t argMaxRow(const Tensor &t, int64_t row, int64_t cols) {
  int64_t best = 0;
  double bestV = -std::numeric_limits<double>::infinity();
  for (int64_t c = 0; c < cols; ++c) {
    double v = t.getAsDouble(row * cols + c);
    if (v > bestV || (std::isnan(v) && !std::isnan(bestV))) {
      best = c;
      bestV = v;
    }
  }
  return best;
}

void compareOutputs(ArrayRef<Tensor> ref, ArrayRef<Tensor> got,
                    std::vector<OutputRow> &rows) {
  for (size_t i = 0; i < ref.size() && i < got.size(); ++i) {
    OutputRow &row = rows[i];
    const Tensor &a = ref[i], &b = got[i];
    for (int64_t k = 0, n = a.numElements(); k < n; ++k) {
      double x = a.getAsDouble(k), y = b.getAsDouble(k);
      row.error.add(x, y);
      row.maxAbsError = std::max(row.maxAbsError, std::fabs(x - y));
    }
    if (a.rank() == 2 && isFloatDType(a.dtype()) && a.shape()[1] > 1) {
      int64_t rowsN = a.shape()[0], cols = a.shape()[1];
      if (!row.top1Rows) {
        row.top1Rows = 0;
        row.top1Agree = 0;
      }
      for (int64_t r = 0; r < rowsN; ++r) {
        *row.top1Rows += 1;
        if (argMaxRow(a, r, cols) == argMaxRow(b, r, cols))
          *row.top1Agree += 1;
      }
    }
  }
}

LogicalResult buildReport(func::FuncOp func, CalibrationDataset &data,
                          const ReportOptions &options, QuantReport &rep,
                          std::string &error) {
  MLIRContext *ctx = func.getContext();
  DiagCollector diags(ctx);
  rep.title = options.title;
  rep.settings = options.settings;
  rep.function = func.getSymName().str();

  // Observers, in program order.
  std::vector<ObserverTarget> weightTargets, actTargets;
  DenseMap<Operation *, size_t> actIndex;
  DenseMap<Operation *, size_t> weightOfConstant;
  SmallVector<ObserveOp> observers;
  func.walk([&](ObserveOp op) { observers.push_back(op); });
  for (ObserveOp op : observers) {
    ObserverInfo info;
    ObserverTarget tgt;
    if (failed(describe(op, info, tgt, error)))
      return failure();
    if (!isWeightObserver(op)) {
      actIndex[op] = rep.activations.size();
      ActivationRow row;
      row.info = std::move(info);
      rep.activations.push_back(std::move(row));
      actTargets.push_back(std::move(tgt));
      continue;
    }
    WeightRow row;
    row.info = std::move(info);
    Operation *def = op.getInput().getDefiningOp();
    std::string why;
    FailureOr<Tensor> w = constantTensor(def, why);
    if (failed(w)) {
      error = "weight observer '" + row.info.name + "': " + why;
      return failure();
    }
    row.elements = w->numElements();
    row.dataMin = std::numeric_limits<double>::infinity();
    row.dataMax = -std::numeric_limits<double>::infinity();
    for (int64_t i = 0; i < row.elements; ++i) {
      double x = w->getAsDouble(i);
      if (std::isfinite(x)) {
        row.dataMin = std::min(row.dataMin, x);
        row.dataMax = std::max(row.dataMax, x);
      }
    }
    if (row.dataMin > row.dataMax)
      row.dataMin = row.dataMax = 0;
    if (failed(tgt.measure(*w, row.error, why))) {
      error = "weight observer '" + row.info.name + "': " + why;
      return failure();
    }
    if (row.info.dynamic) {
      // Ranges computed from the constant, as the run-time would.
      row.info.clipMin =
          *std::min_element(tgt.map.lo.begin(), tgt.map.lo.end());
      row.info.clipMax =
          *std::max_element(tgt.map.hi.begin(), tgt.map.hi.end());
    }
    int64_t ranges = row.info.numRanges;
    row.bits = row.elements * row.info.storageBits + ranges * kScaleBits +
               (row.info.symmetric ? 0 : ranges * row.info.storageBits);
    row.bitsPerWeight = row.elements ? double(row.bits) / row.elements : 0.0;
    weightOfConstant.try_emplace(def, rep.weights.size());
    rep.weights.push_back(std::move(row));
    weightTargets.push_back(std::move(tgt));
  }

  // Model size: every float tensor constant is a parameter; an observed one
  // counts with its quantized bits.
  func.walk([&](Operation *op) {
    if (!isa<qc::ConstantOp, arith::ConstantOp>(op) || op->getNumResults() != 1)
      return;
    auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!type || !type.hasStaticShape() ||
        !isa<FloatType>(type.getElementType()))
      return;
    int64_t n = type.getNumElements();
    int64_t bits = n * type.getElementTypeBitWidth();
    rep.size.parameters += n;
    rep.size.floatBits += bits;
    auto it = weightOfConstant.find(op);
    if (it == weightOfConstant.end()) {
      rep.size.quantizedBits += bits;
      return;
    }
    const WeightRow &w = rep.weights[it->second];
    rep.size.quantizedParameters += n;
    rep.size.quantizedBits += w.bits;
    rep.size.quantizedWeightBits += w.bits;
  });

  // Executors: the float model (observers are identity) and its
  // fake-quantized twin in a scratch module.
  ExecutorOptions exeOptions;
  exeOptions.numThreads = options.numThreads;
  FailureOr<std::unique_ptr<Executor>> floatExe =
      Executor::create(func, exeOptions);
  if (failed(floatExe)) {
    error = "cannot run the model: " + diags.text;
    return failure();
  }
  OwningOpRef<ModuleOp> scratch = ModuleOp::create(func.getLoc());
  func::FuncOp fqFunc =
      buildFakeQuantFunc(func, *scratch, rep.dynamicNotApplied);
  FailureOr<std::unique_ptr<Executor>> fqExe =
      Executor::create(fqFunc, exeOptions);
  if (failed(fqExe)) {
    error = "cannot run the fake-quantized model: " + diags.text;
    return failure();
  }
  for (auto [name, type] :
       llvm::zip((*floatExe)->outputNames(), (*floatExe)->outputTypes())) {
    OutputRow row;
    row.name = name;
    ArrayRef<int64_t> shape = cast<RankedTensorType>(type).getShape();
    row.shape.assign(shape.begin(), shape.end());
    rep.outputs.push_back(std::move(row));
  }

  size_t limit = options.maxSamples ? options.maxSamples
                                    : std::numeric_limits<size_t>::max();
  std::string runError;
  // Pass 1: data ranges, local errors, clipping and the end-to-end outputs.
  (*floatExe)->setObserver([&](ObserveOp op, const Tensor &t) {
    auto it = actIndex.find(op);
    if (it == actIndex.end() || !runError.empty())
      return;
    ActivationRow &row = rep.activations[it->second];
    ++row.tensors;
    for (int64_t i = 0, n = t.numElements(); i < n; ++i) {
      double x = t.getAsDouble(i);
      if (!std::isfinite(x)) {
        ++row.nonFinite;
        continue;
      }
      row.dataMin = row.dataMin ? std::min(*row.dataMin, x) : x;
      row.dataMax = row.dataMax ? std::max(*row.dataMax, x) : x;
    }
    std::string why;
    if (failed(actTargets[it->second].measure(t, row.error, why)))
      runError = "activation observer '" + row.info.name + "': " + why;
  });
  data.reset();
  std::vector<Tensor> inputs;
  while (static_cast<size_t>(rep.samples) < limit) {
    FailureOr<bool> more = data.next(inputs, error);
    if (failed(more))
      return failure();
    if (!*more)
      break;
    FailureOr<std::vector<Tensor>> ref = (*floatExe)->run(inputs, error);
    if (failed(ref))
      return failure();
    if (!runError.empty()) {
      error = runError;
      return failure();
    }
    FailureOr<std::vector<Tensor>> got = (*fqExe)->run(inputs, error);
    if (failed(got)) {
      error = "fake-quantized model: " + error;
      return failure();
    }
    compareOutputs(*ref, *got, rep.outputs);
    ++rep.samples;
  }

  // Pass 2: histograms over [min(data, clip), max(data, clip)].
  bool any = false;
  for (ActivationRow &row : rep.activations) {
    if (!row.dataMin)
      continue;
    any = true;
    double lo = *row.dataMin, hi = *row.dataMax;
    if (row.info.clipMin) {
      lo = std::min(lo, *row.info.clipMin);
      hi = std::max(hi, *row.info.clipMax);
    }
    if (!(hi > lo)) {
      lo -= 0.5;
      hi += 0.5;
    }
    row.histogram.lo = lo;
    row.histogram.hi = hi;
    row.histogram.counts.assign(kHistogramBins, 0);
  }
  if (!any)
    return success();
  (*floatExe)->setObserver([&](ObserveOp op, const Tensor &t) {
    auto it = actIndex.find(op);
    if (it == actIndex.end())
      return;
    Histogram &h = rep.activations[it->second].histogram;
    if (h.counts.empty())
      return;
    double width = (h.hi - h.lo) / kHistogramBins;
    for (int64_t i = 0, n = t.numElements(); i < n; ++i) {
      double x = t.getAsDouble(i);
      if (!std::isfinite(x))
        continue;
      double b = std::floor((x - h.lo) / width);
      int64_t bin =
          std::clamp<int64_t>(static_cast<int64_t>(std::clamp(b, -1.0, 1e9)), 0,
                              kHistogramBins - 1);
      ++h.counts[bin];
    }
  });
  data.reset();
  for (int64_t s = 0; s < rep.samples; ++s) {
    FailureOr<bool> more = data.next(inputs, error);
    if (failed(more))
      return failure();
    if (!*more) {
      error = "the dataset yielded fewer samples on its second pass";
      return failure();
    }
    if (failed((*floatExe)->run(inputs, error)))
      return failure();
  }
  return success();
}

} // namespace

LogicalResult qc::writeQuantReport(func::FuncOp calibrated,
                                   CalibrationDataset &data,
                                   const ReportOptions &options,
                                   std::string &error) {
  if (options.path.empty()) {
    error = "no report path given";
    return failure();
  }
  QuantReport rep;
  if (failed(buildReport(calibrated, data, options, rep, error))) {
    error = "report: " + error;
    return failure();
  }
  std::string text = StringRef(options.path).ends_with_insensitive(".json")
                         ? renderJson(rep)
                         : renderHtml(rep);
  // A temporary file renamed into place: no partial report on failure.
  llvm::Error err = llvm::writeToOutput(options.path, [&](raw_ostream &os) {
    os << text;
    return llvm::Error::success();
  });
  if (err) {
    error = "cannot write report '" + options.path +
            "': " + llvm::toString(std::move(err));
    return failure();
  }
  return success();
}
