//===- LearnedQuant.cpp - learned weight scales and rounding --------------===//
//
// Part of quantc. quant-compile --qat-steps N.
//
// Layer-wise reconstruction (AdaRound rounding + LSQ-style scales), in
// program order, against the float model:
//
//   min_{V, s}  mean || X_q W_hat(V, s)^T - X_f W^T ||^2  +  reg(V)
//
// X_q is the layer's input as the current (partly learned) quantized model
// produces it, X_f the input the float model produces for the same sample,
// W the float weight. Using the float model's input for the target
// ("asymmetric reconstruction", AdaRound/BRECQ) lets each layer absorb part
// of the error of the layers before it. Convolutions are im2col + GEMM, so
// every contraction is the same matrix problem; the bias cancels in the
// difference and is left out.
//
//===----------------------------------------------------------------------===//

#include "qc/Quant/LearnedQuantDetail.h"

#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Dialect/QC/Utils/Numerics.h"
#include "qc/Executor/Executor.h"
#include "qc/Executor/QuantTensor.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/raw_ostream.h"

#include <Eigen/Core>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <unistd.h>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::learned;

//===----------------------------------------------------------------------===//
// im2col and the GEMM loss
//===----------------------------------------------------------------------===//

void learned::im2colRow(const float *img, const ConvGeometry &g, int64_t group,
                        int64_t pixel, float *row) {
  int64_t cg = g.inC / g.groups;
  int64_t y = pixel / g.outW, x = pixel % g.outW;
  int64_t plane = g.inH * g.inW;
  for (int64_t c = 0; c < cg; ++c) {
    const float *xp = img + (group * cg + c) * plane;
    for (int64_t i = 0; i < g.kH; ++i) {
      int64_t iy = y * g.strideH - g.padTop + i * g.dilH;
      for (int64_t j = 0; j < g.kW; ++j) {
        int64_t ix = x * g.strideW - g.padLeft + j * g.dilW;
        *row++ = (iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW)
                     ? xp[iy * g.inW + ix]
                     : 0.0f;
      }
    }
  }
}

using MatR = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMap = Eigen::Map<const MatR, 0, Eigen::OuterStride<>>;
using MutMap = Eigen::Map<MatR, 0, Eigen::OuterStride<>>;

double learned::gemmSquaredError(const float *x, int64_t m, int64_t k,
                                 const float *w, int64_t n, const float *t,
                                 int64_t ldt, float *gradW) {
  if (m == 0) {
    if (gradW)
      std::fill(gradW, gradW + n * k, 0.0f);
    return 0;
  }
  ConstMap X(x, m, k, Eigen::OuterStride<>(k));
  ConstMap W(w, n, k, Eigen::OuterStride<>(k));
  ConstMap T(t, m, n, Eigen::OuterStride<>(ldt));
  MatR r = X * W.transpose();
  r -= T;
  double sse = r.cast<double>().squaredNorm();
  if (gradW) {
    MutMap G(gradW, n, k, Eigen::OuterStride<>(k));
    G.noalias() = 2.0f * (r.transpose() * X);
  }
  return sse;
}

//===----------------------------------------------------------------------===//
// SoftQuantizer
//===----------------------------------------------------------------------===//

static float sigmoid(float v) { return 1.0f / (1.0f + std::exp(-v)); }

SoftQuantizer::SoftQuantizer(ArrayRef<float> weights, ArrayRef<int32_t> param,
                             ArrayRef<float> scales,
                             ArrayRef<int32_t> zeroPoints, int32_t qmin,
                             int32_t qmax, bool learnRounding)
    : param(param.begin(), param.end()), scale(scales.begin(), scales.end()),
      scale0(scales.begin(), scales.end()),
      zeroPoint(zeroPoints.begin(), zeroPoints.end()), qmin(qmin), qmax(qmax),
      learnRounding(learnRounding) {
  size_t n = weights.size();
  base.resize(n);
  v.resize(n);
  rtnUp.resize(n);
  for (size_t i = 0; i < n; ++i) {
    float s = scale[param[i]];
    // The quotient as numerics::quantize forms it (float division).
    float y = weights[i] / s;
    if (!std::isfinite(y))
      y = 0.0f;
    // Far outside the grid the choice between floor and ceil is moot (the
    // clamp decides); keep the numbers small.
    float lo = static_cast<float>(qmin - zeroPoint[param[i]]) - 1.0f;
    float hi = static_cast<float>(qmax - zeroPoint[param[i]]) + 1.0f;
    y = std::min(std::max(y, lo), hi);
    float b = std::floor(y);
    float frac = y - b;
    base[i] = b;
    rtnUp[i] = numerics::roundHalfToEven(y) > b ? 1.0f : 0.0f;
    // sigmoid(V) = (frac - gamma) / (zeta - gamma), in (0.083, 0.917).
    float p = (frac - kGamma) / (kZeta - kGamma);
    v[i] = std::log(p / (1.0f - p));
  }
}

float SoftQuantizer::h(size_t i) const {
  if (!learnRounding)
    return rtnUp[i];
  float r = sigmoid(v[i]) * (kZeta - kGamma) + kGamma;
  return std::min(std::max(r, 0.0f), 1.0f);
}

void SoftQuantizer::softWeights(float *out) const {
  for (size_t i = 0, e = base.size(); i < e; ++i) {
    int32_t p = param[i];
    float lo = static_cast<float>(qmin - zeroPoint[p]);
    float hi = static_cast<float>(qmax - zeroPoint[p]);
    out[i] = scale[p] * std::min(std::max(base[i] + h(i), lo), hi);
  }
}

std::vector<int32_t> SoftQuantizer::hardCodes() const {
  std::vector<int32_t> q(base.size());
  for (size_t i = 0, e = base.size(); i < e; ++i) {
    int32_t p = param[i];
    int64_t c = static_cast<int64_t>(base[i]) + (h(i) >= 0.5f ? 1 : 0) +
                zeroPoint[p];
    q[i] = static_cast<int32_t>(
        std::min<int64_t>(std::max<int64_t>(c, qmin), qmax));
  }
  return q;
}

void SoftQuantizer::hardWeights(float *out) const {
  std::vector<int32_t> q = hardCodes();
  for (size_t i = 0, e = q.size(); i < e; ++i)
    out[i] = numerics::dequantize(q[i], scale[param[i]], zeroPoint[param[i]]);
}

void SoftQuantizer::backward(const float *gradW, float *gradV,
                             float *gradS) const {
  std::fill(gradS, gradS + scale.size(), 0.0f);
  for (size_t i = 0, e = base.size(); i < e; ++i) {
    int32_t p = param[i];
    float lo = static_cast<float>(qmin - zeroPoint[p]);
    float hi = static_cast<float>(qmax - zeroPoint[p]);
    float sg = 0.0f, raw = 0.0f, hv = rtnUp[i];
    if (learnRounding) {
      sg = sigmoid(v[i]);
      raw = sg * (kZeta - kGamma) + kGamma;
      hv = std::min(std::max(raw, 0.0f), 1.0f);
    }
    float u = base[i] + hv;
    float c = std::min(std::max(u, lo), hi);
    gradS[p] += gradW[i] * c;
    float g = 0.0f;
    if (learnRounding && u > lo && u < hi && raw > 0.0f && raw < 1.0f)
      g = gradW[i] * scale[p] * sg * (1.0f - sg) * (kZeta - kGamma);
    gradV[i] = g;
  }
}

double SoftQuantizer::regularizer(double beta, double weight,
                                  float *gradV) const {
  if (!learnRounding)
    return 0;
  double sum = 0;
  for (size_t i = 0, e = base.size(); i < e; ++i) {
    float sg = sigmoid(v[i]);
    float raw = sg * (kZeta - kGamma) + kGamma;
    float hv = std::min(std::max(raw, 0.0f), 1.0f);
    float d = 2.0f * hv - 1.0f;
    float ad = std::fabs(d);
    float pw = ad > 0.0f ? std::exp(static_cast<float>(beta) * std::log(ad))
                         : 0.0f;
    sum += 1.0 - pw;
    if (gradV && raw > 0.0f && raw < 1.0f && ad > 0) {
      // d/dh (1 - |2h-1|^beta) = -2 beta |2h-1|^(beta-1) sign(2h-1)
      double dh = -2.0 * beta * (pw / ad) * (d > 0 ? 1.0 : -1.0);
      gradV[i] += static_cast<float>(weight * dh * sg * (1.0f - sg) *
                                     (kZeta - kGamma));
    }
  }
  return weight * sum;
}

double SoftQuantizer::flippedFraction() const {
  if (base.empty())
    return 0;
  size_t n = 0;
  for (size_t i = 0, e = base.size(); i < e; ++i)
    n += (h(i) >= 0.5f ? 1.0f : 0.0f) != rtnUp[i];
  return static_cast<double>(n) / base.size();
}

//===----------------------------------------------------------------------===//
// Layers
//===----------------------------------------------------------------------===//

namespace {

enum class LayerKind { Conv2D, Linear, MatMul };

struct Layer {
  Operation *op = nullptr;
  int64_t contractionIndex = 0; ///< among all contraction ops, in order
  FakeQuantOp fq;
  ConstantOp cst;
  LayerKind kind = LayerKind::Linear;
  int64_t n = 0, k = 0, groups = 1; ///< W as [n, k] (k per group)
  ConvGeometry geom;
  /// Flat index in the weight tensor of matrix element (row, col).
  std::vector<int64_t> flatOf;
  std::string name;
};

/// Input rows of one layer: per group, [rows, k] row-major.
struct LayerData {
  std::vector<std::vector<float>> xq, xf;
  int64_t rows = 0;
};

} // namespace

static bool isContraction(Operation *op) {
  return isa<Conv2DOp, LinearOp, MatMulOp>(op);
}

static Value weightOperand(Operation *op) { return op->getOperand(1); }

static std::string layerName(Layer &l) {
  if (auto res = dyn_cast<DenseResourceElementsAttr>(l.cst.getValue()))
    return res.getRawHandle().getKey().str();
  std::string s;
  llvm::raw_string_ostream os(s);
  l.op->getLoc().print(os);
  return s;
}

/// The weight's quantization parameters, element by element, as the
/// executor's quantize uses them.
static FailureOr<QuantParams> getGrid(Type quantType, ArrayRef<int64_t> shape,
                                      std::string &why) {
  auto q = dyn_cast<quant::QuantizedType>(quantType);
  if (!q || !q.getExpressedType().isF32()) {
    why = "not an f32-expressed quantized type";
    return failure();
  }
  return getQuantParams(quantType, shape);
}

/// The new quantized type: `old` with the scales replaced.
static Type withScales(Type old, ArrayRef<float> scales) {
  if (auto pt = dyn_cast<quant::UniformQuantizedType>(old))
    return quant::UniformQuantizedType::get(
        pt.getFlags(), pt.getStorageType(), pt.getExpressedType(), scales[0],
        pt.getZeroPoint(), pt.getStorageTypeMin(), pt.getStorageTypeMax());
  if (auto pa = dyn_cast<quant::UniformQuantizedPerAxisType>(old)) {
    SmallVector<double> s(scales.begin(), scales.end());
    return quant::UniformQuantizedPerAxisType::get(
        pa.getFlags(), pa.getStorageType(), pa.getExpressedType(), s,
        pa.getZeroPoints(), pa.getQuantizedDimension(), pa.getStorageTypeMin(),
        pa.getStorageTypeMax());
  }
  auto sc = cast<quant::UniformQuantizedSubChannelType>(old);
  auto scaleType = sc.getScales().getType();
  SmallVector<APFloat> values;
  for (float s : scales)
    values.push_back(APFloat(s));
  return quant::UniformQuantizedSubChannelType::get(
      sc.getFlags(), sc.getStorageType(), sc.getExpressedType(),
      DenseElementsAttr::get(scaleType, values), sc.getZeroPoints(),
      sc.getQuantizedDimensions(), sc.getBlockSizes(), sc.getStorageTypeMin(),
      sc.getStorageTypeMax());
}

/// The float weight values held by a constant (f32 only).
static FailureOr<std::vector<float>> readWeights(ConstantOp cst,
                                                 std::string &why) {
  auto type = cast<RankedTensorType>(cst.getType());
  if (!type.getElementType().isF32()) {
    why = "weight is not f32";
    return failure();
  }
  int64_t n = type.getNumElements();
  std::vector<float> out(n);
  ElementsAttr attr = cst.getValue();
  if (auto res = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob || blob->getData().size() != n * sizeof(float)) {
      why = "weight blob missing or of the wrong size";
      return failure();
    }
    std::memcpy(out.data(), blob->getData().data(), n * sizeof(float));
    return out;
  }
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  if (!dense) {
    why = "unsupported weight attribute";
    return failure();
  }
  auto values = dense.getValues<float>();
  for (int64_t i = 0; i < n; ++i)
    out[i] = values[dense.isSplat() ? 0 : i];
  return out;
}

/// Recognises `op(x, fake_quant(constant), ...)` in float form.
static std::optional<Layer> matchLayer(Operation *op) {
  if (!isContraction(op))
    return std::nullopt;
  auto fq = weightOperand(op).getDefiningOp<FakeQuantOp>();
  if (!fq)
    return std::nullopt;
  auto cst = fq.getInput().getDefiningOp<ConstantOp>();
  if (!cst)
    return std::nullopt;
  auto xType = dyn_cast<RankedTensorType>(op->getOperand(0).getType());
  auto wType = dyn_cast<RankedTensorType>(cst.getType());
  auto yType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!xType || !wType || !yType || !xType.hasStaticShape() ||
      !wType.hasStaticShape() || !yType.hasStaticShape() ||
      !xType.getElementType().isF32() || !wType.getElementType().isF32() ||
      !yType.getElementType().isF32())
    return std::nullopt;
  Layer l;
  l.op = op;
  l.fq = fq;
  l.cst = cst;
  ArrayRef<int64_t> w = wType.getShape();
  if (auto conv = dyn_cast<Conv2DOp>(op)) {
    if (w.size() != 4 || xType.getRank() != 4)
      return std::nullopt;
    l.kind = LayerKind::Conv2D;
    ConvGeometry &g = l.geom;
    g.inC = xType.getDimSize(1);
    g.inH = xType.getDimSize(2);
    g.inW = xType.getDimSize(3);
    g.outH = yType.getDimSize(2);
    g.outW = yType.getDimSize(3);
    g.kH = w[2];
    g.kW = w[3];
    g.strideH = conv.getStrides()[0];
    g.strideW = conv.getStrides()[1];
    g.padTop = conv.getPads()[0];
    g.padLeft = conv.getPads()[1];
    g.dilH = conv.getDilations()[0];
    g.dilW = conv.getDilations()[1];
    g.groups = conv.getGroups();
    l.groups = g.groups;
    l.n = w[0];
    l.k = g.colsPerGroup();
    l.flatOf.resize(l.n * l.k);
    std::iota(l.flatOf.begin(), l.flatOf.end(), 0);
    return l;
  }
  if (isa<LinearOp>(op)) {
    if (w.size() != 2)
      return std::nullopt;
    l.kind = LayerKind::Linear;
    l.n = w[0];
    l.k = w[1];
    l.flatOf.resize(l.n * l.k);
    std::iota(l.flatOf.begin(), l.flatOf.end(), 0);
    return l;
  }
  // matmul: only a plain [K, N] weight; its columns are the output channels.
  if (w.size() != 2 || xType.getRank() < 1)
    return std::nullopt;
  l.kind = LayerKind::MatMul;
  l.k = w[0];
  l.n = w[1];
  l.flatOf.resize(l.n * l.k);
  for (int64_t r = 0; r < l.n; ++r)
    for (int64_t c = 0; c < l.k; ++c)
      l.flatOf[r * l.k + c] = c * l.n + r;
  return l;
}

static StringRef kindName(LayerKind k) {
  switch (k) {
  case LayerKind::Conv2D:
    return "conv2d";
  case LayerKind::Linear:
    return "linear";
  case LayerKind::MatMul:
    return "matmul";
  }
  return "";
}

/// A clone of `func` in its own module with an observer on the input of
/// its `index`-th contraction op; with `stripFakeQuant`, every
/// qc.fake_quant replaced by its operand (the float model).
static std::pair<OwningOpRef<ModuleOp>, func::FuncOp>
cloneWithObserver(func::FuncOp func, int64_t index, bool stripFakeQuant) {
  OwningOpRef<ModuleOp> module = ModuleOp::create(func.getLoc());
  auto clone = cast<func::FuncOp>(func->clone());
  module->push_back(clone);
  if (stripFakeQuant) {
    SmallVector<FakeQuantOp> fqs;
    clone.walk([&](FakeQuantOp fq) { fqs.push_back(fq); });
    for (FakeQuantOp fq : fqs) {
      fq.getResult().replaceAllUsesWith(fq.getInput());
      fq.erase();
    }
  }
  int64_t i = 0;
  clone.walk([&](Operation *op) {
    if (!isContraction(op))
      return;
    if (i++ != index)
      return;
    OpBuilder b(op);
    Value x = op->getOperand(0);
    auto observe = ObserveOp::create(b, op->getLoc(), ValueRange{x},
                                     ArrayRef<NamedAttribute>{});
    op->setOperand(0, observe.getResult());
  });
  return {std::move(module), clone};
}

/// Runs the quantized and the float model on the data and keeps the rows of
/// the layer's input (im2col rows for convolutions) of both, subsampled
/// with a fixed seed when there are more than the budget allows.
static LogicalResult collect(func::FuncOp func, const Layer &layer,
                             CalibrationDataset &data,
                             const LearnedQuantOptions &options,
                             const LearnedQuantTuning &tuning, uint64_t seed,
                             LayerData &out, std::string &error) {
  auto [qModule, qFunc] =
      cloneWithObserver(func, layer.contractionIndex, false);
  auto [fModule, fFunc] = cloneWithObserver(func, layer.contractionIndex, true);
  ExecutorOptions eo;
  eo.numThreads = options.numThreads;
  auto qExec = Executor::create(qFunc, eo);
  auto fExec = Executor::create(fFunc, eo);
  if (failed(qExec) || failed(fExec)) {
    error = "cannot run the model for learned quantization of " + layer.name;
    return failure();
  }
  Tensor xq, xf;
  (*qExec)->setObserver([&](ObserveOp, const Tensor &t) { xq = t.clone(); });
  (*fExec)->setObserver([&](ObserveOp, const Tensor &t) { xf = t.clone(); });

  size_t numSamples = data.size();
  if (options.maxSamples)
    numSamples = std::min(numSamples, options.maxSamples);
  int64_t k = layer.k, groups = layer.groups;
  out.xq.assign(groups, {});
  out.xf.assign(groups, {});
  out.rows = 0;
  std::mt19937_64 rng(seed);
  double keep = -1;
  std::vector<Tensor> inputs;
  data.reset();
  for (size_t s = 0; s < numSamples; ++s) {
    FailureOr<bool> more = data.next(inputs, error);
    if (failed(more))
      return failure();
    if (!*more)
      break;
    xq = Tensor();
    xf = Tensor();
    if (failed((*qExec)->run(inputs, error)) ||
        failed((*fExec)->run(inputs, error)))
      return failure();
    if (xq.isNull() || xf.isNull() || xq.dtype() != DType::F32 ||
        xf.dtype() != DType::F32 || xq.numElements() != xf.numElements()) {
      error = "no f32 input observed for " + layer.name;
      return failure();
    }
    int64_t images = 1, perImage = 0;
    if (layer.kind == LayerKind::Conv2D) {
      images = xq.shape()[0];
      perImage = layer.geom.pixels();
    } else {
      perImage = xq.numElements() / k;
    }
    int64_t rowsPerSample = images * perImage;
    if (keep < 0) {
      double total = static_cast<double>(rowsPerSample) * numSamples;
      double cap = static_cast<double>(tuning.maxElementsPerLayer) /
                   static_cast<double>(k * groups);
      keep = std::min(1.0, cap / std::max(total, 1.0));
    }
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const float *q = xq.data<float>(), *f = xf.data<float>();
    int64_t imageSize = layer.geom.inC * layer.geom.inH * layer.geom.inW;
    for (int64_t img = 0; img < images; ++img)
      for (int64_t p = 0; p < perImage; ++p) {
        if (keep < 1.0 && u(rng) >= keep)
          continue;
        ++out.rows;
        for (int64_t g = 0; g < groups; ++g) {
          auto &dq = out.xq[g], &df = out.xf[g];
          size_t at = dq.size();
          dq.resize(at + k);
          df.resize(at + k);
          if (layer.kind == LayerKind::Conv2D) {
            im2colRow(q + img * imageSize, layer.geom, g, p, dq.data() + at);
            im2colRow(f + img * imageSize, layer.geom, g, p, df.data() + at);
          } else {
            std::memcpy(dq.data() + at, q + p * k, k * sizeof(float));
            std::memcpy(df.data() + at, f + p * k, k * sizeof(float));
          }
        }
      }
  }
  if (out.rows == 0) {
    error = "no calibration samples for learned quantization";
    return failure();
  }
  return success();
}

/// Mean squared error of X_q W^T against T over all rows (in chunks).
static double fullMse(const LayerData &d, const Layer &l, const float *w,
                      const std::vector<float> &t) {
  int64_t og = l.n / l.groups;
  double sse = 0;
  const int64_t chunk = 4096;
  for (int64_t r0 = 0; r0 < d.rows; r0 += chunk) {
    int64_t m = std::min(chunk, d.rows - r0);
    for (int64_t g = 0; g < l.groups; ++g)
      sse += gemmSquaredError(d.xq[g].data() + r0 * l.k, m, l.k,
                              w + g * og * l.k, og,
                              t.data() + r0 * l.n + g * og, l.n, nullptr);
  }
  return sse / (static_cast<double>(d.rows) * l.n);
}

namespace {
/// Adam on a flat vector.
struct Adam {
  std::vector<float> m, v;
  int64_t t = 0;
  explicit Adam(size_t n) : m(n, 0.0f), v(n, 0.0f) {}
  /// lr per element via `lrOf(i)`.
  template <typename LrFn>
  void step(float *x, const float *g, size_t n, LrFn &&lrOf) {
    ++t;
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    double c1 = 1.0 - std::pow(b1, t), c2 = 1.0 - std::pow(b2, t);
    for (size_t i = 0; i < n; ++i) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      double mh = m[i] / c1, vh = v[i] / c2;
      x[i] -= static_cast<float>(lrOf(i) * mh / (std::sqrt(vh) + eps));
    }
  }
};
} // namespace

static void progressLine(const LearnedQuantOptions &options, size_t layer,
                         size_t layers, unsigned step, unsigned steps,
                         const std::string &name) {
  if (!options.progress || !isatty(2))
    return;
  fprintf(stderr, "\rlearning weight quantization: layer %zu/%zu (%s) step %u/%u   ",
          layer + 1, layers, name.c_str(), step, steps);
  if (layer + 1 == layers && step == steps)
    fprintf(stderr, "\n");
  fflush(stderr);
}

/// Optimises one layer and writes the result back into the IR.
static LogicalResult learnLayer(func::FuncOp func, Layer &l, size_t index,
                                size_t numLayers, CalibrationDataset &data,
                                const LearnedQuantOptions &options,
                                const LearnedQuantTuning &tuning,
                                LayerReport &report, std::string &error) {
  auto start = std::chrono::steady_clock::now();
  report.name = l.name;
  report.kind = kindName(l.kind).str();
  auto wType = cast<RankedTensorType>(l.cst.getType());
  Type quantType = l.fq.getQuantType();
  std::string why;
  FailureOr<QuantParams> grid = getGrid(quantType, wType.getShape(), why);
  FailureOr<std::vector<float>> flat = readWeights(l.cst, why);
  if (failed(grid) || failed(flat)) {
    error = l.name + ": " + why;
    return failure();
  }
  LayerData d;
  if (failed(collect(func, l, data, options, tuning, tuning.seed + index, d,
                     error)))
    return failure();
  report.rows = d.rows;

  // Weights, range indices in matrix order [n, k].
  int64_t numel = l.n * l.k;
  std::vector<float> w(numel);
  std::vector<int32_t> param(numel);
  for (int64_t i = 0; i < numel; ++i) {
    w[i] = (*flat)[l.flatOf[i]];
    param[i] = grid->index[l.flatOf[i]];
  }
  int64_t og = l.n / l.groups;
  // Float target T = X_f W^T, [rows, n].
  std::vector<float> t(d.rows * l.n);
  for (int64_t g = 0; g < l.groups; ++g) {
    ConstMap X(d.xf[g].data(), d.rows, l.k, Eigen::OuterStride<>(l.k));
    ConstMap W(w.data() + g * og * l.k, og, l.k, Eigen::OuterStride<>(l.k));
    MutMap T(t.data() + g * og, d.rows, og, Eigen::OuterStride<>(l.n));
    T.noalias() = X * W.transpose();
  }
  d.xf.clear(); // only the target is needed from here on

  SoftQuantizer sq(w, param, grid->scales, grid->zeroPoints, grid->qmin,
                   grid->qmax, options.learnRounding);
  // Round-to-nearest with the original type, the baseline to beat.
  std::vector<float> rtn(numel);
  {
    SoftQuantizer rtnQ(w, param, grid->scales, grid->zeroPoints, grid->qmin,
                       grid->qmax, /*learnRounding=*/false);
    rtnQ.hardWeights(rtn.data());
  }
  report.rtnMse = fullMse(d, l, rtn.data(), t);
  double norm = std::max(report.rtnMse, 1e-30);

  // Elements per range, for the LSQ gradient scale 1/sqrt(numel * qmax).
  std::vector<double> perRange(sq.numRanges(), 0);
  for (int32_t p : param)
    perRange[p] += 1;
  double qpos = std::max<int32_t>(1, grid->qmax);

  unsigned steps = options.steps;
  int64_t batch = std::min<int64_t>(tuning.rowsPerStep, d.rows);
  std::vector<float> xb(batch * l.k * l.groups), tb(batch * l.n);
  std::vector<float> wHat(numel), gW(numel), gV(numel), gS(sq.numRanges());
  Adam adamV(numel), adamS(sq.numRanges());
  std::mt19937_64 rng(tuning.seed ^ (0x9e3779b97f4a7c15ull * (index + 1)));
  std::uniform_int_distribution<int64_t> pick(0, d.rows - 1);
  std::vector<int64_t> rows(batch);
  double lrV = options.learningRate * tuning.roundingLrFactor *
               std::max(1.0, 500.0 / std::max(1u, steps));
  double lrS = options.learningRate * tuning.scaleLrFactor;
  unsigned warm = static_cast<unsigned>(tuning.warmup * steps);
  for (unsigned step = 0; step < steps; ++step) {
    if (step % 25 == 0)
      progressLine(options, index, numLayers, step, steps, l.name);
    // Mini-batch of rows (all rows when there are few).
    if (batch == d.rows)
      std::iota(rows.begin(), rows.end(), 0);
    else
      for (int64_t &r : rows)
        r = pick(rng);
    for (int64_t i = 0; i < batch; ++i) {
      for (int64_t g = 0; g < l.groups; ++g)
        std::memcpy(xb.data() + (g * batch + i) * l.k,
                    d.xq[g].data() + rows[i] * l.k, l.k * sizeof(float));
      std::memcpy(tb.data() + i * l.n, t.data() + rows[i] * l.n,
                  l.n * sizeof(float));
    }
    sq.softWeights(wHat.data());
    for (int64_t g = 0; g < l.groups; ++g)
      gemmSquaredError(xb.data() + g * batch * l.k, batch, l.k,
                       wHat.data() + g * og * l.k, og, tb.data() + g * og, l.n,
                       gW.data() + g * og * l.k);
    // d (mse / norm) / d W_hat.
    float scaleG = static_cast<float>(1.0 / (norm * batch * l.n));
    for (float &g : gW)
      g *= scaleG;
    sq.backward(gW.data(), gV.data(), gS.data());
    if (options.learnRounding) {
      if (step >= warm) {
        double rel = steps > warm ? double(step - warm) / (steps - warm) : 1;
        double beta =
            tuning.betaEnd + (tuning.betaStart - tuning.betaEnd) * (1 - rel);
        sq.regularizer(beta, tuning.regWeight / numel, gV.data());
      }
      adamV.step(sq.v.data(), gV.data(), numel,
                 [&](size_t) { return lrV; });
    }
    if (options.learnScales) {
      for (size_t p = 0; p < gS.size(); ++p)
        gS[p] = static_cast<float>(gS[p] / std::sqrt(perRange[p] * qpos));
      adamS.step(sq.scale.data(), gS.data(), gS.size(),
                 [&](size_t p) { return lrS * sq.scale0[p]; });
      for (size_t p = 0; p < gS.size(); ++p)
        sq.scale[p] = std::max(sq.scale[p], sq.scale0[p] * 1e-2f);
    }
  }
  progressLine(options, index, numLayers, steps, steps, l.name);

  // Hard rounding; keep round-to-nearest when it reconstructs better.
  std::vector<float> hard(numel);
  sq.hardWeights(hard.data());
  report.learnedMse = fullMse(d, l, hard.data(), t);
  report.flipped = sq.flippedFraction();
  std::vector<int32_t> codes;
  std::vector<float> scales;
  if (!(report.learnedMse < report.rtnMse)) {
    report.keptRtn = true;
    report.learnedMse = report.rtnMse;
    report.flipped = 0;
    SoftQuantizer rtnQ(w, param, grid->scales, grid->zeroPoints, grid->qmin,
                       grid->qmax, false);
    codes = rtnQ.hardCodes();
    scales = grid->scales;
  } else {
    codes = sq.hardCodes();
    scales = sq.scale;
  }

  // Write back: the float weight dequantize(q) (exactly on the grid), and
  // the quant type with the learned scales.
  Type newType = withScales(quantType, scales);
  Tensor values(DType::F32, wType.getShape());
  std::vector<int32_t> flatCodes(numel);
  for (int64_t i = 0; i < numel; ++i) {
    int32_t p = param[i];
    values.data<float>()[l.flatOf[i]] =
        numerics::dequantize(codes[i], scales[p], grid->zeroPoints[p]);
    flatCodes[l.flatOf[i]] = codes[i];
  }
  // Round-to-nearest-even of the written values must give the learned
  // codes back. dequantize(q) lands within a few ulps of an integer
  // multiple of s, so this holds; nudge towards the code if it ever fails.
  for (int round = 0; round < 4; ++round) {
    Tensor check = quantizeTensor(values, newType);
    bool ok = true;
    for (int64_t i = 0; i < numel; ++i) {
      int64_t got = static_cast<int64_t>(check.getAsDouble(i));
      if (got == flatCodes[i])
        continue;
      ok = false;
      float &x = values.data<float>()[i];
      x = std::nextafter(x, got < flatCodes[i] ? INFINITY : -INFINITY);
    }
    if (ok)
      break;
    if (round == 3) {
      error = l.name + ": learned codes do not round-trip";
      return failure();
    }
  }

  OpBuilder b(l.fq);
  ElementsAttr attr;
  ArrayRef<char> bytes(static_cast<const char *>(values.raw()),
                       values.byteSize());
  if (numel >= 64) {
    std::string key = "qat";
    if (auto res = dyn_cast<DenseResourceElementsAttr>(l.cst.getValue()))
      key = res.getRawHandle().getKey().str() + ".qat";
    attr = DenseResourceElementsAttr::get(
        wType, key,
        HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, /*align=*/64));
  } else {
    attr = DenseElementsAttr::getFromRawBuffer(wType, bytes);
  }
  auto cst = ConstantOp::create(b, l.cst.getLoc(), attr);
  l.fq.getInputMutable().assign(cst.getResult());
  l.fq.setQuantTypeAttr(TypeAttr::get(newType));
  if (l.cst->use_empty())
    l.cst->erase();
  l.cst = cst;
  report.seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count();
  return success();
}

LogicalResult learned::learnWeightQuantization(
    func::FuncOp func, CalibrationDataset &data,
    const LearnedQuantOptions &options, const LearnedQuantTuning &tuning,
    std::vector<LayerReport> *reports, std::string &error) {
  std::vector<Layer> layers;
  llvm::SmallPtrSet<Operation *, 8> seen;
  int64_t index = 0;
  func.walk([&](Operation *op) {
    if (!isContraction(op))
      return;
    int64_t i = index++;
    std::optional<Layer> l = matchLayer(op);
    // A weight shared by several layers is learned for the first only.
    if (!l || !seen.insert(l->fq).second)
      return;
    l->contractionIndex = i;
    l->name = layerName(*l);
    layers.push_back(std::move(*l));
  });
  if (reports)
    reports->clear();
  if (options.steps == 0 || layers.empty() ||
      (!options.learnRounding && !options.learnScales))
    return success();
  for (size_t i = 0; i < layers.size(); ++i) {
    LayerReport r;
    if (failed(learnLayer(func, layers[i], i, layers.size(), data, options,
                          tuning, r, error)))
      return failure();
    if (reports)
      reports->push_back(r);
  }
  return success();
}

LogicalResult qc::learnWeightQuantization(func::FuncOp func,
                                          CalibrationDataset &data,
                                          const LearnedQuantOptions &options,
                                          std::string &error) {
  return learned::learnWeightQuantization(func, data, options,
                                          LearnedQuantTuning(), nullptr,
                                          error);
}
