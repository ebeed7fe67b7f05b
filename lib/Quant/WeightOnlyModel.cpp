//===- WeightOnlyModel.cpp - GPTQ, AWQ and imatrix on qc models -----------===//
//
// Part of quantc. The model-level half of quant-compile --weight-algo (see
// include/qc/Quant/WeightOnly.h): input statistics of the qc.linear ops
// measured on the reference executor, AWQ's scale folding, and the write
// back into the weight observers.
//
//===----------------------------------------------------------------------===//

#include "qc/Quant/WeightOnly.h"

#include "InputTaps.h"

#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Dialect/QC/Utils/Numerics.h"
#include "qc/Executor/Executor.h"
#include "qc/Executor/QuantTensor.h"
#include "qc/Quant/Scheme.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <unistd.h>

using namespace mlir;
using namespace mlir::qc;

std::vector<Operation *> qc::getLinearOps(func::FuncOp func) {
  std::vector<Operation *> ops;
  func.walk([&](LinearOp op) { ops.push_back(op); });
  return ops;
}

/// The value under any qc.observe ops.
static Value stripObserve(Value v) {
  while (auto obs = v.getDefiningOp<ObserveOp>())
    v = obs.getInput();
  return v;
}

/// The f32 constant a linear's weight comes from (through observers), with
/// the observer directly on it when there is one.
struct WeightSource {
  ConstantOp cst;
  ObserveOp observer;
};
static std::optional<WeightSource> weightSource(Operation *linear) {
  Value w = linear->getOperand(1);
  WeightSource src;
  src.observer = w.getDefiningOp<ObserveOp>();
  src.cst = stripObserve(w).getDefiningOp<ConstantOp>();
  auto type = dyn_cast<RankedTensorType>(stripObserve(w).getType());
  if (!src.cst || !type || type.getRank() != 2 ||
      !type.getElementType().isF32() || !type.hasStaticShape())
    return std::nullopt;
  return src;
}

/// A constant's dense_resource key, else `fallback`.
static std::string constantName(ConstantOp cst, StringRef fallback) {
  if (auto res = dyn_cast<DenseResourceElementsAttr>(cst.getValue()))
    return res.getRawHandle().getKey().str();
  return fallback.str();
}

/// The weight's name (its dense_resource key) or its op's location.
static std::string layerName(Operation *linear, size_t index) {
  if (std::optional<WeightSource> src = weightSource(linear))
    if (auto res = dyn_cast<DenseResourceElementsAttr>(src->cst.getValue()))
      return res.getRawHandle().getKey().str();
  if (auto nl = dyn_cast<NameLoc>(linear->getLoc()))
    return nl.getName().str();
  return "qc.linear #" + std::to_string(index);
}

static int64_t inputWidth(Operation *linear) {
  auto w = cast<RankedTensorType>(linear->getOperand(1).getType());
  return w.getRank() == 2 ? w.getDimSize(1) : -1;
}

static FailureOr<std::vector<float>> readF32(ConstantOp cst, StringRef what,
                                             std::string &error) {
  FailureOr<Tensor> t = constantTensor(cst, what, error);
  if (failed(t))
    return failure();
  if (t->dtype() != DType::F32) {
    error = (what + ": the weight is not f32").str();
    return failure();
  }
  const float *p = t->data<float>();
  std::vector<float> out(p, p + t->numElements());
  for (float v : out)
    if (!std::isfinite(v)) {
      error = (what + ": the weight holds a non-finite value").str();
      return failure();
    }
  return out;
}

/// A new constant holding `values` (shape of `like`) next to `like`, its
/// blob named `name` (made unique by the blob manager).
static ConstantOp makeConstant(ConstantOp like, ArrayRef<float> values,
                               StringRef name) {
  auto type = cast<RankedTensorType>(like.getType());
  Tensor t(DType::F32, type.getShape());
  std::copy(values.begin(), values.end(), t.data<float>());
  OpBuilder b(like);
  return ConstantOp::create(b, like.getLoc(),
                            elementsFromTensor(t, type, 64, name));
}

/// Makes `operand` read `cst` and drops the old constant when unused.
static void replaceConstant(OpOperand &operand, ConstantOp cst) {
  Operation *old = operand.get().getDefiningOp();
  operand.set(cst.getResult());
  if (old && old->use_empty())
    old->erase();
}

//===----------------------------------------------------------------------===//
// Statistics
//===----------------------------------------------------------------------===//

FailureOr<std::vector<std::shared_ptr<LinearInputStats>>>
qc::collectLinearInputStats(func::FuncOp func, CalibrationDataset &data,
                            unsigned numThreads, bool progress,
                            std::string &error) {
  std::vector<Operation *> linears = getLinearOps(func);
  // One tap per distinct input value.
  llvm::DenseMap<Value, size_t> byInput;
  std::vector<Operation *> targets;
  std::vector<size_t> statOf(linears.size());
  for (size_t i = 0; i < linears.size(); ++i) {
    Operation *op = linears[i];
    auto x = dyn_cast<RankedTensorType>(op->getOperand(0).getType());
    int64_t k = inputWidth(op);
    if (!x || !x.hasStaticShape() || !x.getElementType().isF32() || k <= 0 ||
        x.getShape().back() != k) {
      error = layerName(op, i) +
              ": a qc.linear without a static f32 input of its weight's "
              "width cannot be calibrated";
      return failure();
    }
    auto [it, inserted] =
        byInput.try_emplace(stripObserve(op->getOperand(0)), targets.size());
    if (inserted)
      targets.push_back(op);
    statOf[i] = it->second;
  }
  std::vector<std::shared_ptr<LinearInputStats>> distinct;
  for (Operation *op : targets)
    distinct.push_back(std::make_shared<LinearInputStats>(inputWidth(op)));

  llvm::DenseMap<Operation *, size_t> index;
  auto [module, clone] =
      cloneWithInputTaps(func, targets, /*keepFakeQuant=*/false, index);
  ExecutorOptions eo;
  eo.numThreads = numThreads;
  FailureOr<std::unique_ptr<Executor>> exec = Executor::create(clone, eo);
  if (failed(exec)) {
    error = "weight calibration: cannot run the float model";
    return failure();
  }
  std::string tapError;
  (*exec)->setObserver([&](ObserveOp obs, const Tensor &t) {
    auto it = index.find(obs);
    if (it == index.end())
      return;
    LinearInputStats &s = *distinct[it->second];
    if (t.dtype() != DType::F32 || t.numElements() % s.channels) {
      tapError = "weight calibration: unexpected input tensor " + t.describe();
      return;
    }
    s.accumulate(t.data<float>(), t.numElements() / s.channels);
  });

  size_t total = data.size();
  bool bar = progress && isatty(2);
  std::vector<Tensor> inputs;
  data.reset();
  for (size_t s = 0;; ++s) {
    FailureOr<bool> more = data.next(inputs, error);
    if (failed(more))
      return failure();
    if (!*more)
      break;
    if (bar) {
      llvm::errs() << "\rcalibrating weights [" << (s + 1) << "/" << total
                   << " chunks]";
      llvm::errs().flush();
    }
    if (failed((*exec)->run(inputs, error))) {
      std::string where = data.describeSample(s);
      error = "weight calibration, sample " + std::to_string(s) +
              (where.empty() ? "" : " (" + where + ")") + ": " + error;
      return failure();
    }
    if (!tapError.empty()) {
      error = tapError;
      return failure();
    }
  }
  if (bar)
    llvm::errs() << "\n";
  for (auto &s : distinct)
    if (s->rows == 0) {
      error = "weight calibration: no calibration data reached the linear "
              "layers";
      return failure();
    }
  std::vector<std::shared_ptr<LinearInputStats>> out;
  for (size_t i = 0; i < linears.size(); ++i)
    out.push_back(distinct[statOf[i]]);
  return out;
}

LogicalResult
qc::checkStatsMatch(func::FuncOp func,
                    ArrayRef<std::shared_ptr<LinearInputStats>> stats,
                    std::string &error) {
  std::vector<Operation *> linears = getLinearOps(func);
  if (linears.size() != stats.size()) {
    error = "the calibration copy of the model has " +
            std::to_string(stats.size()) + " qc.linear ops, the model " +
            std::to_string(linears.size());
    return failure();
  }
  llvm::DenseMap<Value, LinearInputStats *> byInput;
  llvm::DenseMap<LinearInputStats *, Value> byStats;
  for (size_t i = 0; i < linears.size(); ++i) {
    int64_t k = inputWidth(linears[i]);
    if (!stats[i] || stats[i]->channels != k) {
      error = layerName(linears[i], i) + " (qc.linear #" + std::to_string(i) +
              ") reads " + std::to_string(k) +
              " input channels in the model, " +
              std::to_string(stats[i] ? stats[i]->channels : 0) +
              " in the calibration copy";
      return failure();
    }
    Value x = stripObserve(linears[i]->getOperand(0));
    auto [a, newInput] = byInput.try_emplace(x, stats[i].get());
    auto [b, newStats] = byStats.try_emplace(stats[i].get(), x);
    if (a->second != stats[i].get() || b->second != x) {
      error = layerName(linears[i], i) + " (qc.linear #" + std::to_string(i) +
              ") shares its input with other layers differently in the "
              "model and in its calibration copy";
      return failure();
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Grids of observers
//===----------------------------------------------------------------------===//

FailureOr<WeightGrid> qc::getObserverWeightGrid(ObserveOp op,
                                                std::string &error) {
  auto type = cast<RankedTensorType>(op.getType());
  if (type.getRank() != 2 || !type.hasStaticShape()) {
    error = "the observed weight is not a static [N, K] matrix";
    return failure();
  }
  WeightGrid g;
  g.rows = type.getDimSize(0);
  g.cols = type.getDimSize(1);
  auto storage = op.getStorage()
                     ? cast<IntegerType>(*op.getStorage())
                     : IntegerType::get(op.getContext(), 8, IntegerType::Signed);
  numerics::QRange range = numerics::getStorageRange(
      storage.getWidth(), !storage.isUnsigned(), op.getNarrowRange());
  g.qmin = range.qmin;
  g.qmax = range.qmax;
  g.symmetric = op.getSymmetric();
  if (!op.getAxis()) {
    g.rowsPerRange = g.rows;
    g.colsPerRange = g.cols;
  } else if (*op.getAxis() == 0) {
    g.rowsPerRange = 1;
    g.colsPerRange = g.cols;
    if (op.getBlockAxis()) {
      if (*op.getBlockAxis() != 1 || !op.getBlockSize()) {
        error = "groups along dimension " + std::to_string(*op.getBlockAxis()) +
                " of a linear weight (only along its input dimension 1)";
        return failure();
      }
      g.colsPerRange = *op.getBlockSize();
    }
  } else {
    error = "ranges along axis " + std::to_string(*op.getAxis()) +
            " of a linear weight (only per tensor, per output channel "
            "(axis 0) and groups along the input dimension)";
    return failure();
  }
  if (std::string why = g.validate(); !why.empty()) {
    error = why;
    return failure();
  }
  if (g.numRanges() != op.getNumRanges()) {
    error = "the observer's range layout does not match its grid";
    return failure();
  }
  return g;
}

static std::string describeGrid(const WeightGrid &g, IntegerType storage) {
  std::string s = (storage && storage.isUnsigned() ? "u" : "i") +
                  std::to_string(storage ? storage.getWidth() : 8);
  if (g.rowsPerRange == g.rows && g.colsPerRange == g.cols)
    s += " per-tensor";
  else if (g.colsPerRange == g.cols)
    s += " per-channel";
  else
    s += " g" + std::to_string(g.colsPerRange);
  return s + (g.symmetric ? " sym" : " asym");
}

/// The grid of a linear's weight when it is quantized (an observer with a
/// storage target that is not dynamic), else nullopt.
static FailureOr<std::optional<WeightGrid>>
gridOfLinear(Operation *linear, size_t index, std::string &error) {
  auto obs = linear->getOperand(1).getDefiningOp<ObserveOp>();
  if (!obs || obs.getDynamic() || !obs.getStorage())
    return std::optional<WeightGrid>();
  FailureOr<WeightGrid> g = getObserverWeightGrid(obs, error);
  if (failed(g)) {
    error = layerName(linear, index) + ": " + error;
    return failure();
  }
  return std::optional<WeightGrid>(*g);
}

//===----------------------------------------------------------------------===//
// AWQ scaling
//===----------------------------------------------------------------------===//

namespace {
/// Who produces a group's input and how 1/s gets into it.
struct Producer {
  enum Kind { None, Norm, LinearRows } kind = None;
  Operation *op = nullptr; ///< the qc.rms_norm or the producing qc.linear
};
} // namespace

/// Whether every use of `v` is the input of one of `members` (directly or
/// through observers used only that way).
static bool onlyFeeds(Value v, const llvm::SmallPtrSetImpl<Operation *> &members) {
  for (OpOperand &use : v.getUses()) {
    Operation *user = use.getOwner();
    if (auto obs = dyn_cast<ObserveOp>(user)) {
      if (!onlyFeeds(obs.getResult(), members))
        return false;
      continue;
    }
    if (!members.contains(user) || use.getOperandNumber() != 0)
      return false;
  }
  return true;
}

/// A single-use qc.linear result with a constant f32 weight of `rows`
/// output channels.
static LinearOp singleUseLinear(Value v, int64_t rows) {
  auto lin = v.getDefiningOp<LinearOp>();
  if (!lin || !v.hasOneUse() || !weightSource(lin))
    return nullptr;
  auto w = cast<RankedTensorType>(stripObserve(lin.getWeight()).getType());
  if (w.getDimSize(0) != rows)
    return nullptr;
  if (Value bias = lin.getBias())
    if (!stripObserve(bias).getDefiningOp<ConstantOp>())
      return nullptr;
  return lin;
}

static bool isTranspose0213(Operation *op) {
  auto t = dyn_cast_or_null<TransposeOp>(op);
  return t && t.getPerm() == ArrayRef<int64_t>{0, 2, 1, 3};
}

static Producer findProducer(Value x, int64_t k,
                             const llvm::SmallPtrSetImpl<Operation *> &members) {
  Producer p;
  if (!onlyFeeds(x, members))
    return p;
  Operation *def = x.getDefiningOp();
  if (!def)
    return p;
  // rms_norm(h) * g over the last dimension, g a constant [K].
  if (auto norm = dyn_cast<RmsNormOp>(def)) {
    Value g = norm.getScale();
    auto gType = g ? dyn_cast<RankedTensorType>(g.getType()) : nullptr;
    auto xType = cast<RankedTensorType>(x.getType());
    int64_t axis = static_cast<int64_t>(norm.getAxis());
    if (axis < 0)
      axis += xType.getRank();
    if (g && g.getDefiningOp<ConstantOp>() && gType.getRank() == 1 &&
        gType.getDimSize(0) == k && gType.getElementType().isF32() &&
        axis == xType.getRank() - 1 && g.hasOneUse()) {
      p.kind = Producer::Norm;
      p.op = norm;
    }
    return p;
  }
  // a * linear(...) (SwiGLU's up projection), same shapes.
  if (auto mul = dyn_cast<MulOp>(def)) {
    if (mul.getLhs().getType() != x.getType() ||
        mul.getRhs().getType() != x.getType())
      return p;
    for (Value v : {mul.getRhs(), mul.getLhs()})
      if (LinearOp lin = singleUseLinear(v, k)) {
        p.kind = Producer::LinearRows;
        p.op = lin;
        return p;
      }
    return p;
  }
  // reshape(transpose(attention(q, k, kv_cache_write(c, transpose(reshape(
  // linear_v(h))), pos)))) with as many key/value heads as query heads:
  // channel h * D + d of the result is channel h * D + d of linear_v.
  if (auto reshape = dyn_cast<ReshapeOp>(def)) {
    Operation *t1 = reshape.getInput().getDefiningOp();
    if (!isTranspose0213(t1) || !t1->getResult(0).hasOneUse())
      return p;
    auto attn = t1->getOperand(0).getDefiningOp<AttentionOp>();
    if (!attn || !attn.getResult().hasOneUse())
      return p;
    auto q = cast<RankedTensorType>(attn.getQuery().getType());
    auto v = cast<RankedTensorType>(attn.getValue().getType());
    if (q.getRank() != 4 || v.getRank() != 4 || q.getDimSize(1) != v.getDimSize(1) ||
        q.getDimSize(1) * v.getDimSize(3) != k)
      return p;
    Value vt = attn.getValue();
    if (auto write = vt.getDefiningOp<KVCacheWriteOp>()) {
      if (llvm::any_of(write.getResult().getUsers(), [&](Operation *u) {
            return u != attn.getOperation() && !isa<func::ReturnOp>(u);
          }))
        return p;
      vt = write.getUpdate();
    }
    Operation *t2 = vt.getDefiningOp();
    if (!isTranspose0213(t2) || !vt.hasOneUse())
      return p;
    auto r2 = t2->getOperand(0).getDefiningOp<ReshapeOp>();
    if (!r2 || !r2.getResult().hasOneUse())
      return p;
    if (LinearOp lin = singleUseLinear(r2.getInput(), k)) {
      p.kind = Producer::LinearRows;
      p.op = lin;
    }
  }
  return p;
}

LogicalResult
qc::applyAWQScaling(func::FuncOp func,
                    ArrayRef<std::shared_ptr<LinearInputStats>> stats,
                    const WeightOnlyOptions &options,
                    std::vector<WeightOnlyLayerReport> &reports,
                    std::string &error) {
  if (failed(checkStatsMatch(func, stats, error)))
    return failure();
  std::vector<Operation *> linears = getLinearOps(func);
  reports.assign(linears.size(), {});
  llvm::DenseMap<Operation *, size_t> indexOf;
  for (size_t i = 0; i < linears.size(); ++i) {
    indexOf[linears[i]] = i;
    reports[i].name = layerName(linears[i], i);
  }
  // Groups: the layers reading one value, in program order.
  std::vector<std::pair<Value, std::vector<size_t>>> groups;
  llvm::DenseMap<Value, size_t> groupOf;
  for (size_t i = 0; i < linears.size(); ++i) {
    Value x = stripObserve(linears[i]->getOperand(0));
    auto [it, inserted] = groupOf.try_emplace(x, groups.size());
    if (inserted)
      groups.push_back({x, {}});
    groups[it->second].second.push_back(i);
  }

  for (auto &[x, members] : groups) {
    int64_t k = inputWidth(linears[members.front()]);
    llvm::SmallPtrSet<Operation *, 4> memberOps;
    for (size_t i : members)
      memberOps.insert(linears[i]);
    Producer producer = findProducer(x, k, memberOps);
    if (producer.kind == Producer::None)
      continue;
    // Producer rows must not be one of the group's own layers.
    if (memberOps.contains(producer.op))
      continue;
    std::vector<std::vector<float>> weights(members.size());
    std::vector<std::optional<WeightGrid>> grids(members.size());
    std::vector<AWQLayer> layers;
    bool usable = true;
    for (size_t m = 0; m < members.size() && usable; ++m) {
      Operation *op = linears[members[m]];
      std::optional<WeightSource> src = weightSource(op);
      if (!src) {
        usable = false;
        break;
      }
      FailureOr<std::vector<float>> w =
          readF32(src->cst, reports[members[m]].name, error);
      if (failed(w))
        return failure();
      weights[m] = std::move(*w);
      FailureOr<std::optional<WeightGrid>> g =
          gridOfLinear(op, members[m], error);
      if (failed(g))
        return failure();
      grids[m] = *g;
    }
    if (!usable)
      continue;
    LinearInputStats &st = *stats[members.front()];
    std::vector<double> importance = st.meanSquare();
    for (size_t m = 0; m < members.size(); ++m) {
      layers.push_back({weights[m], grids[m] ? &*grids[m] : nullptr});
      if (!grids[m])
        continue;
      // Round-to-nearest of the unscaled weights: the baseline reported.
      const WeightGrid &g = *grids[m];
      std::vector<float> rtn = quantizeRTN(weights[m], g).dequantized(g);
      WeightOnlyLayerReport &r = reports[members[m]];
      r.rtnError = outputError(weights[m], rtn, g.rows, g.cols, st.gram);
      r.rtnWeighted = weightedError(weights[m], rtn, g.rows, g.cols, importance);
      r.hasBaseline = true;
    }
    AWQScales found = searchAWQScales(layers, st, options.awq);
    for (size_t i : members)
      reports[i].alpha = found.alpha;
    if (found.alpha == 0)
      continue;
    const std::vector<float> &s = found.scales;

    // The layers: W[:, c] * s_c.
    for (size_t m = 0; m < members.size(); ++m) {
      Operation *op = linears[members[m]];
      std::vector<float> &w = weights[m];
      for (size_t e = 0; e < w.size(); ++e)
        w[e] *= s[e % k];
      WeightSource src = *weightSource(op);
      ConstantOp cst =
          makeConstant(src.cst, w, reports[members[m]].name + ".awq");
      replaceConstant(src.observer ? src.observer->getOpOperand(0)
                                   : op->getOpOperand(1),
                      cst);
    }
    // The producer: divided by s_c.
    if (producer.kind == Producer::Norm) {
      auto norm = cast<RmsNormOp>(producer.op);
      auto gc = norm.getScale().getDefiningOp<ConstantOp>();
      FailureOr<std::vector<float>> g = readF32(gc, "norm weight", error);
      if (failed(g))
        return failure();
      for (int64_t c = 0; c < k; ++c)
        (*g)[c] /= s[c];
      replaceConstant(norm->getOpOperand(1),
                      makeConstant(gc, *g, constantName(gc, "norm") + ".awq"));
    } else {
      auto lin = cast<LinearOp>(producer.op);
      size_t pi = indexOf.lookup(lin);
      WeightSource src = *weightSource(lin);
      FailureOr<std::vector<float>> w =
          readF32(src.cst, layerName(lin, pi), error);
      if (failed(w))
        return failure();
      int64_t cols = static_cast<int64_t>(w->size()) / k;
      for (int64_t r = 0; r < k; ++r)
        for (int64_t c = 0; c < cols; ++c)
          (*w)[r * cols + c] /= s[r];
      replaceConstant(src.observer ? src.observer->getOpOperand(0)
                                   : lin->getOpOperand(1),
                      makeConstant(src.cst, *w, reports[pi].name + ".awq"));
      if (Value bias = lin.getBias()) {
        auto bc = stripObserve(bias).getDefiningOp<ConstantOp>();
        FailureOr<std::vector<float>> b = readF32(bc, "bias", error);
        if (failed(b))
          return failure();
        for (int64_t r = 0; r < k; ++r)
          (*b)[r] /= s[r];
        OpOperand &operand = bias.getDefiningOp<ObserveOp>()
                                 ? bias.getDefiningOp<ObserveOp>()->getOpOperand(0)
                                 : lin->getOpOperand(2);
        replaceConstant(operand,
                        makeConstant(bc, *b, reports[pi].name + ".bias.awq"));
      }
    }
    // The statistics now describe x / s.
    for (int64_t i = 0; i < k; ++i) {
      st.absSum[i] /= s[i];
      for (int64_t j = 0; j < k; ++j)
        st.gram[i * k + j] /= double(s[i]) * double(s[j]);
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Quantizing the weights
//===----------------------------------------------------------------------===//

/// Whether a linear's result goes (through reshapes) into qc.rope: the query
/// and key projections, whose clipping AWQ leaves alone.
static bool feedsRoPE(Operation *linear) {
  Value v = linear->getResult(0);
  for (int depth = 0; depth < 4; ++depth) {
    if (!v.hasOneUse())
      return false;
    Operation *user = *v.getUsers().begin();
    if (isa<RoPEOp>(user))
      return true;
    if (!isa<ReshapeOp, ObserveOp>(user))
      return false;
    v = user->getResult(0);
  }
  return false;
}

LogicalResult
qc::quantizeLinearWeights(func::FuncOp func,
                          ArrayRef<std::shared_ptr<LinearInputStats>> stats,
                          const WeightOnlyOptions &options,
                          std::vector<WeightOnlyLayerReport> &reports,
                          std::string &error) {
  if (failed(checkStatsMatch(func, stats, error)))
    return failure();
  std::vector<Operation *> linears = getLinearOps(func);
  std::vector<WeightOnlyLayerReport> previous = std::move(reports);
  reports.clear();
  for (size_t i = 0; i < linears.size(); ++i) {
    Operation *op = linears[i];
    std::optional<WeightSource> src = weightSource(op);
    if (!src || !src->observer || src->observer.getDynamic() ||
        !src->observer.isCalibrated())
      continue;
    ObserveOp obs = src->observer;
    bool aligned = previous.size() == linears.size();
    std::string name = aligned ? previous[i].name : layerName(op, i);
    FailureOr<WeightGrid> grid = getObserverWeightGrid(obs, error);
    if (failed(grid)) {
      error = name + ": " + error;
      return failure();
    }
    FailureOr<std::vector<float>> w = readF32(src->cst, name, error);
    if (failed(w))
      return failure();
    const LinearInputStats &st = *stats[i];
    if (st.rows == 0) {
      error = name + ": no calibration data reached this layer";
      return failure();
    }
    QuantizedWeights q;
    switch (options.algorithm) {
    case WeightAlgorithm::RTN:
      q = quantizeRTN(*w, *grid);
      break;
    case WeightAlgorithm::GPTQ: {
      FailureOr<QuantizedWeights> g =
          quantizeGPTQ(*w, *grid, st.gram, options.gptq, name, error);
      if (failed(g))
        return failure();
      q = std::move(*g);
      break;
    }
    case WeightAlgorithm::AWQ:
      q = options.awq.clip && !feedsRoPE(op)
              ? quantizeAWQClip(*w, *grid, st.gram, options.awq)
              : quantizeRTN(*w, *grid);
      break;
    case WeightAlgorithm::IMatrix:
      q = quantizeIMatrix(*w, *grid, st.meanSquare());
      break;
    }

    WeightOnlyLayerReport r;
    r.name = name;
    r.rows = grid->rows;
    r.cols = grid->cols;
    r.grid = describeGrid(*grid, obs.getStorage()
                                     ? cast<IntegerType>(*obs.getStorage())
                                     : IntegerType());
    std::vector<float> values = q.dequantized(*grid);
    std::vector<double> importance = st.meanSquare();
    r.error = outputError(*w, values, grid->rows, grid->cols, st.gram);
    r.weighted = weightedError(*w, values, grid->rows, grid->cols, importance);
    if (aligned && previous[i].hasBaseline) {
      // Measured before AWQ scaled the weights (the errors do not change
      // under the scaling, since the statistics are scaled with them).
      r.alpha = previous[i].alpha;
      r.rtnError = previous[i].rtnError;
      r.rtnWeighted = previous[i].rtnWeighted;
    } else {
      if (aligned)
        r.alpha = previous[i].alpha;
      std::vector<float> rtn = quantizeRTN(*w, *grid).dequantized(*grid);
      r.rtnError = outputError(*w, rtn, grid->rows, grid->cols, st.gram);
      r.rtnWeighted =
          weightedError(*w, rtn, grid->rows, grid->cols, importance);
    }
    r.hasBaseline = true;
    reports.push_back(r);

    // Pin the range, write the dequantized codes, and check that the
    // observer's type rounds them back to exactly these codes.
    Builder b(func.getContext());
    obs.setMinAttr(b.getDenseF64ArrayAttr(q.rangeMin));
    obs.setMaxAttr(b.getDenseF64ArrayAttr(q.rangeMax));
    obs.setMethodAttr(b.getStringAttr(getWeightAlgorithmName(options.algorithm)));
    std::string why;
    FailureOr<Type> type = getObserverQuantType(obs, why);
    if (failed(type)) {
      error = name + ": " + why;
      return failure();
    }
    QuantParams params = getQuantParams(*type, {grid->rows, grid->cols});
    Tensor t(DType::F32, {grid->rows, grid->cols});
    std::copy(values.begin(), values.end(), t.data<float>());
    for (int round = 0;; ++round) {
      Tensor check = quantizeTensor(t, *type);
      bool ok = true;
      for (int64_t e = 0, n = t.numElements(); e < n; ++e) {
        int64_t got = static_cast<int64_t>(check.getAsDouble(e));
        if (got == q.codes[e])
          continue;
        ok = false;
        float &x = t.data<float>()[e];
        x = std::nextafter(x, got < q.codes[e] ? INFINITY : -INFINITY);
      }
      if (ok)
        break;
      if (round == 3) {
        error = name + ": the " +
                getWeightAlgorithmName(options.algorithm).str() +
                " codes cannot be represented by the observer's type";
        return failure();
      }
    }
    for (int64_t rr = 0; rr < grid->numRanges(); ++rr)
      if (params.scales[rr] != q.scales[rr] ||
          params.zeroPoints[rr] != q.zeroPoints[rr]) {
        error = name + ": range " + std::to_string(rr) +
                " does not give back its scale and zero point";
        return failure();
      }
    ConstantOp cst = makeConstant(
        src->cst, ArrayRef<float>(t.data<float>(), t.numElements()),
        name + "." + getWeightAlgorithmName(options.algorithm).str());
    replaceConstant(obs->getOpOperand(0), cst);
  }
  if (failed(verify(func))) {
    error = "internal error: the model does not verify after " +
            getWeightAlgorithmName(options.algorithm).str();
    return failure();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Token chunks for Llama step graphs
//===----------------------------------------------------------------------===//

namespace {
class TokenChunkDataset : public CalibrationDataset {
public:
  TokenChunkDataset(std::vector<int32_t> text, int64_t numChunks, int32_t bos,
                    std::vector<std::string> names, std::vector<Type> types)
      : text(std::move(text)), numChunks(numChunks), bos(bos),
        names(std::move(names)), types(std::move(types)) {}
  size_t size() const override { return numChunks; }
  void reset() override { next_ = 0; }
  FailureOr<bool> next(std::vector<Tensor> &inputs, std::string &) override {
    if (next_ >= numChunks)
      return false;
    inputs.clear();
    for (size_t i = 0; i < names.size(); ++i) {
      auto type = cast<RankedTensorType>(types[i]);
      ArrayRef<int64_t> shape = type.getShape();
      if (names[i] == "tokens") {
        Tensor t(DType::I64, shape);
        int64_t c = shape[1];
        int64_t *p = t.data<int64_t>();
        p[0] = bos;
        for (int64_t j = 1; j < c; ++j)
          p[j] = text[next_ * (c - 1) + j - 1];
        inputs.push_back(std::move(t));
      } else if (names[i] == "pos") {
        Tensor t(DType::I64, shape);
        t.data<int64_t>()[0] = 0;
        inputs.push_back(std::move(t));
      } else if (names[i] == "mask") {
        // Query i (position i) sees keys 0 .. i.
        Tensor t(DType::F32, shape);
        int64_t s = shape[2], smax = shape[3];
        for (int64_t qi = 0; qi < s; ++qi)
          for (int64_t j = 0; j < smax; ++j)
            t.data<float>()[qi * smax + j] = j <= qi ? 0.0f : -INFINITY;
        inputs.push_back(std::move(t));
      } else {
        Tensor t(DType::F32, shape);
        std::fill(t.data<float>(), t.data<float>() + t.numElements(), 0.0f);
        inputs.push_back(std::move(t));
      }
    }
    ++next_;
    return true;
  }
  std::string describeSample(size_t index) const override {
    return "calibration chunk " + std::to_string(index);
  }

private:
  std::vector<int32_t> text;
  int64_t numChunks;
  int32_t bos;
  std::vector<std::string> names;
  std::vector<Type> types;
  int64_t next_ = 0;
};
} // namespace

FailureOr<std::unique_ptr<CalibrationDataset>>
qc::makeTokenChunkDataset(func::FuncOp stepFunc, std::vector<int32_t> text,
                          int64_t numChunks, int32_t bos, std::string &error) {
  std::vector<std::string> names;
  std::vector<Type> types;
  int64_t seq = -1;
  for (unsigned i = 0; i < stepFunc.getNumArguments(); ++i) {
    auto name = stepFunc.getArgAttrOfType<StringAttr>(i, "qc.name");
    auto type = dyn_cast<RankedTensorType>(stepFunc.getArgument(i).getType());
    std::string n = name ? name.str() : "";
    bool ok = type && type.hasStaticShape();
    if (ok && i == 0)
      ok = n == "tokens" && type.getRank() == 2 && type.getDimSize(0) == 1 &&
           type.getElementType().isInteger(64);
    if (ok && i == 1)
      ok = n == "pos" && type.getRank() == 0 &&
           type.getElementType().isInteger(64);
    if (ok && i == 2)
      ok = n == "mask" && type.getRank() == 4 && type.getDimSize(0) == 1 &&
           type.getDimSize(1) == 1 && type.getElementType().isF32();
    if (ok && i > 2)
      ok = type.getElementType().isF32();
    if (!ok) {
      error = "the calibration model is not a Llama step graph (input " +
              std::to_string(i) + (n.empty() ? "" : " '" + n + "'") + ")";
      return failure();
    }
    if (i == 0)
      seq = type.getDimSize(1);
    names.push_back(n);
    types.push_back(type);
  }
  if (names.size() < 3 || seq < 2 ||
      cast<RankedTensorType>(types[2]).getDimSize(2) != seq) {
    error = "the calibration model is not a Llama step graph of 2 or more "
            "tokens";
    return failure();
  }
  if (numChunks < 1 || int64_t(text.size()) < numChunks * (seq - 1)) {
    error = "not enough tokens for " + std::to_string(numChunks) +
            " calibration chunks of " + std::to_string(seq);
    return failure();
  }
  return std::unique_ptr<CalibrationDataset>(new TokenChunkDataset(
      std::move(text), numChunks, bos, std::move(names), std::move(types)));
}
