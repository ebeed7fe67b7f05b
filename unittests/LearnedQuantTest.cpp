//===- LearnedQuantTest.cpp - learned weight quantization ----------------===//
//
// Part of quantc. The pieces of learnWeightQuantization() (im2col against
// the executor's conv2d, gradients by finite differences) and the whole on
// single random layers: the learned weights must reconstruct the float
// layer clearly better than round-to-nearest, their codes must round-trip
// through quantizeTensor, and the scales must stay positive.
//
//===----------------------------------------------------------------------===//

#include "qc/Quant/LearnedQuantDetail.h"

#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Dialect/QC/Utils/Numerics.h"
#include "qc/Executor/Executor.h"
#include "qc/Executor/QuantTensor.h"
#include "qc/InitAll.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <random>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::learned;

namespace {

std::vector<float> randomVector(size_t n, float sigma, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, sigma);
  std::vector<float> v(n);
  for (float &x : v)
    x = d(rng);
  return v;
}

Tensor tensorOf(ArrayRef<int64_t> shape, const std::vector<float> &v) {
  return Tensor::fromBytes(DType::F32, shape, v.data());
}

std::vector<float> valuesOf(const Tensor &t) {
  std::vector<float> v(t.numElements());
  for (int64_t i = 0; i < t.numElements(); ++i)
    v[i] = static_cast<float>(t.getAsDouble(i));
  return v;
}

//===----------------------------------------------------------------------===//
// Gradients
//===----------------------------------------------------------------------===//

TEST(LearnedQuantGradients, GemmSquaredErrorMatchesFiniteDifferences) {
  const int64_t m = 6, k = 5, n = 3;
  std::vector<float> x = randomVector(m * k, 1.0f, 1);
  std::vector<float> w = randomVector(n * k, 0.5f, 2);
  std::vector<float> t = randomVector(m * n, 1.0f, 3);
  std::vector<float> g(n * k);
  gemmSquaredError(x.data(), m, k, w.data(), n, t.data(), n, g.data());
  for (int64_t i = 0; i < n * k; ++i) {
    const float eps = 1e-2f;
    std::vector<float> wp = w, wm = w;
    wp[i] += eps;
    wm[i] -= eps;
    double fd = (gemmSquaredError(x.data(), m, k, wp.data(), n, t.data(), n,
                                  nullptr) -
                 gemmSquaredError(x.data(), m, k, wm.data(), n, t.data(), n,
                                  nullptr)) /
                (2 * eps);
    EXPECT_NEAR(g[i], fd, 1e-3 * std::max(1.0, std::fabs(fd))) << "w[" << i
                                                                << "]";
  }
}

/// Conv as GEMM: im2col rows times the OIHW weight rows give the
/// executor's qc.conv2d, and the loss gradient of the GEMM form matches
/// finite differences of the convolution itself.
TEST(LearnedQuantGradients, ConvAsGemmForwardAndGradient) {
  DialectRegistry registry;
  registerAllDialects(registry);
  MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  // N=1, C=4, 6x7 input, O=4, groups=2, 3x2 kernel, stride 2x1, dilation
  // 1x2, pads [1, 0, 2, 1].
  ConvGeometry g;
  g.inC = 4, g.inH = 6, g.inW = 7, g.kH = 3, g.kW = 2, g.groups = 2;
  g.strideH = 2, g.strideW = 1, g.padTop = 1, g.padLeft = 0, g.dilH = 1,
  g.dilW = 2;
  g.outH = (6 + 1 + 2 - 1 * (3 - 1) - 1) / 2 + 1;  // 4
  g.outW = (7 + 0 + 1 - 2 * (2 - 1) - 1) / 1 + 1; // 6
  const int64_t o = 4, og = 2, kk = g.colsPerGroup();
  std::vector<float> x = randomVector(4 * 6 * 7, 1.0f, 4);
  std::vector<float> w = randomVector(o * kk, 0.5f, 5);

  OpBuilder b(&ctx);
  Location loc = b.getUnknownLoc();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  auto xType = RankedTensorType::get({1, 4, 6, 7}, b.getF32Type());
  auto wType = RankedTensorType::get({o, 2, 3, 2}, b.getF32Type());
  auto yType = RankedTensorType::get({1, o, g.outH, g.outW}, b.getF32Type());
  b.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(b, loc, "conv",
                                   b.getFunctionType({xType}, {yType}));
  b.setInsertionPointToEnd(func.addEntryBlock());
  auto cst = ConstantOp::create(
      b, loc, DenseElementsAttr::get(wType, ArrayRef<float>(w)));
  auto conv = Conv2DOp::create(
      b, loc, yType, func.getArgument(0), cst.getResult(), Value(),
      b.getDenseI64ArrayAttr({2, 1}), b.getDenseI64ArrayAttr({1, 0, 2, 1}),
      b.getDenseI64ArrayAttr({1, 2}), b.getI64IntegerAttr(2));
  func::ReturnOp::create(b, loc, conv.getResult());
  ASSERT_TRUE(succeeded(verify(*module)));
  auto exec = Executor::create(func);
  ASSERT_TRUE(succeeded(exec));
  std::string error;
  auto out = (*exec)->run({tensorOf({1, 4, 6, 7}, x)}, error);
  ASSERT_TRUE(succeeded(out)) << error;
  std::vector<float> ref = valuesOf((*out)[0]);

  const int64_t pixels = g.pixels();
  std::vector<std::vector<float>> cols(2, std::vector<float>(pixels * kk));
  for (int64_t grp = 0; grp < 2; ++grp)
    for (int64_t p = 0; p < pixels; ++p)
      im2colRow(x.data(), g, grp, p, cols[grp].data() + p * kk);
  // GEMM with a zero target gives sum(y^2); y itself from a one-hot target
  // is awkward, so compare y directly.
  for (int64_t grp = 0; grp < 2; ++grp)
    for (int64_t oc = 0; oc < og; ++oc)
      for (int64_t p = 0; p < pixels; ++p) {
        double y = 0;
        for (int64_t c = 0; c < kk; ++c)
          y += cols[grp][p * kk + c] * w[(grp * og + oc) * kk + c];
        EXPECT_NEAR(y, ref[(grp * og + oc) * pixels + p], 1e-4)
            << "group " << grp << " channel " << oc << " pixel " << p;
      }

  // Loss of the convolution against a random target through the executor,
  // vs the gradient of the GEMM form.
  std::vector<float> target = randomVector(o * pixels, 1.0f, 6);
  auto convLoss = [&](const std::vector<float> &wv) {
    cst.setValueAttr(DenseElementsAttr::get(wType, ArrayRef<float>(wv)));
    auto e = Executor::create(func);
    std::string err;
    auto r = (*e)->run({tensorOf({1, 4, 6, 7}, x)}, err);
    std::vector<float> y = valuesOf((*r)[0]);
    double s = 0;
    for (size_t i = 0; i < y.size(); ++i)
      s += (double(y[i]) - target[i]) * (double(y[i]) - target[i]);
    return s;
  };
  // Target laid out [pixels, O] for the GEMM.
  std::vector<float> tg(pixels * o);
  for (int64_t oc = 0; oc < o; ++oc)
    for (int64_t p = 0; p < pixels; ++p)
      tg[p * o + oc] = target[oc * pixels + p];
  std::vector<float> grad(o * kk);
  double sse = 0;
  for (int64_t grp = 0; grp < 2; ++grp)
    sse += gemmSquaredError(cols[grp].data(), pixels, kk,
                            w.data() + grp * og * kk, og, tg.data() + grp * og,
                            o, grad.data() + grp * og * kk);
  EXPECT_NEAR(sse, convLoss(w), 1e-3 * sse);
  for (int64_t i = 0; i < o * kk; i += 3) {
    const float eps = 1e-2f;
    std::vector<float> wp = w, wm = w;
    wp[i] += eps;
    wm[i] -= eps;
    double fd = (convLoss(wp) - convLoss(wm)) / (2 * eps);
    EXPECT_NEAR(grad[i], fd, 2e-3 * std::max(1.0, std::fabs(fd)))
        << "w[" << i << "]";
  }
}

/// d loss / d V and d loss / d s of the soft quantizer, for the linear loss
/// sum_i c_i * W_hat_i, against finite differences.
TEST(LearnedQuantGradients, SoftQuantizerMatchesFiniteDifferences) {
  const size_t n = 24;
  std::vector<float> w = randomVector(n, 0.3f, 7);
  std::vector<int32_t> param(n);
  for (size_t i = 0; i < n; ++i)
    param[i] = static_cast<int32_t>(i % 3);
  std::vector<float> scales = {0.05f, 0.08f, 0.11f};
  // Asymmetric u4 grid with zero points, so that some weights clamp.
  std::vector<int32_t> zps = {8, 3, 12};
  SoftQuantizer sq(w, param, scales, zps, 0, 15, true);
  // Move V off its initial values so that h is not the plain fraction.
  std::vector<float> dv = randomVector(n, 1.0f, 8);
  for (size_t i = 0; i < n; ++i)
    sq.v[i] += dv[i];
  std::vector<float> c = randomVector(n, 1.0f, 9);
  auto loss = [&](const SoftQuantizer &q) {
    std::vector<float> wh(n);
    q.softWeights(wh.data());
    double s = 0;
    for (size_t i = 0; i < n; ++i)
      s += double(c[i]) * wh[i];
    return s;
  };
  std::vector<float> gv(n), gs(3);
  sq.backward(c.data(), gv.data(), gs.data());
  for (size_t i = 0; i < n; ++i) {
    const float eps = 1e-3f;
    SoftQuantizer p = sq, m = sq;
    p.v[i] += eps;
    m.v[i] -= eps;
    double fd = (loss(p) - loss(m)) / (2 * eps);
    EXPECT_NEAR(gv[i], fd, 2e-3) << "V[" << i << "]";
  }
  for (size_t r = 0; r < 3; ++r) {
    const float eps = 1e-4f;
    SoftQuantizer p = sq, m = sq;
    p.scale[r] += eps;
    m.scale[r] -= eps;
    double fd = (loss(p) - loss(m)) / (2 * eps);
    EXPECT_NEAR(gs[r], fd, 2e-2 * std::max(1.0, std::fabs(fd)))
        << "s[" << r << "]";
  }
  // The regulariser's gradient too.
  std::vector<float> gr(n, 0.0f);
  sq.regularizer(3.0, 0.7, gr.data());
  for (size_t i = 0; i < n; ++i) {
    const float eps = 1e-3f;
    SoftQuantizer p = sq, m = sq;
    p.v[i] += eps;
    m.v[i] -= eps;
    double fd = (p.regularizer(3.0, 0.7, nullptr) -
                 m.regularizer(3.0, 0.7, nullptr)) /
                (2 * eps);
    EXPECT_NEAR(gr[i], fd, 5e-3) << "reg V[" << i << "]";
  }
}

TEST(LearnedQuantGradients, InitialSoftWeightsAreTheFloatWeights) {
  std::vector<float> w = randomVector(64, 0.2f, 10);
  std::vector<int32_t> param(64, 0);
  float s = 0.4f / 7;
  SoftQuantizer sq(w, param, {s}, {0}, -7, 7, true);
  std::vector<float> soft(64);
  sq.softWeights(soft.data());
  for (size_t i = 0; i < 64; ++i)
    if (std::fabs(w[i]) < 7 * s)
      EXPECT_NEAR(soft[i], w[i], 1e-5) << i;
  // Without learned rounding the hard codes are round-to-nearest.
  SoftQuantizer rtn(w, param, {s}, {0}, -7, 7, false);
  std::vector<int32_t> codes = rtn.hardCodes();
  for (size_t i = 0; i < 64; ++i)
    EXPECT_EQ(codes[i], numerics::quantize(w[i], s, 0, -7, 7)) << i;
}

//===----------------------------------------------------------------------===//
// Whole layers
//===----------------------------------------------------------------------===//

class LearnedQuantLayerTest : public ::testing::Test {
protected:
  LearnedQuantLayerTest() {
    DialectRegistry registry;
    registerAllDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  /// Per-range symmetric (or asymmetric) parameters from min/max.
  static void rangeParams(const std::vector<float> &w,
                          const std::vector<int32_t> &param, size_t ranges,
                          int32_t qmin, int32_t qmax, bool symmetric,
                          SmallVector<double> &scales,
                          SmallVector<int64_t> &zps) {
    std::vector<float> lo(ranges, 0.0f), hi(ranges, 0.0f);
    for (size_t i = 0; i < w.size(); ++i) {
      lo[param[i]] = std::min(lo[param[i]], w[i]);
      hi[param[i]] = std::max(hi[param[i]], w[i]);
    }
    for (size_t r = 0; r < ranges; ++r) {
      numerics::QuantParams p =
          numerics::chooseQuantParams(lo[r], hi[r], qmin, qmax, symmetric);
      scales.push_back(p.scale);
      zps.push_back(p.zeroPoint);
    }
  }

  /// func(x) = op(x, fake_quant(constant w)) (+ bias), returned.
  func::FuncOp build(StringRef kind, ArrayRef<int64_t> xShape,
                     ArrayRef<int64_t> wShape, ArrayRef<int64_t> yShape,
                     const std::vector<float> &w, Type quantType,
                     bool resource) {
    OpBuilder b(&context);
    Location loc = b.getUnknownLoc();
    module = ModuleOp::create(loc);
    auto f32 = b.getF32Type();
    auto xType = RankedTensorType::get(xShape, f32);
    auto wType = RankedTensorType::get(wShape, f32);
    auto yType = RankedTensorType::get(yShape, f32);
    b.setInsertionPointToEnd(module->getBody());
    auto func = func::FuncOp::create(b, loc, "main",
                                     b.getFunctionType({xType}, {yType}));
    b.setInsertionPointToEnd(func.addEntryBlock());
    ElementsAttr attr;
    if (resource)
      attr = DenseResourceElementsAttr::get(
          wType, "w",
          HeapAsmResourceBlob::allocateAndCopyWithAlign(
              ArrayRef<char>(reinterpret_cast<const char *>(w.data()),
                             w.size() * sizeof(float)),
              64));
    else
      attr = DenseElementsAttr::get(wType, ArrayRef<float>(w));
    auto cst = ConstantOp::create(b, loc, attr);
    auto fq = FakeQuantOp::create(b, loc, cst.getResult(),
                                  TypeAttr::get(quantType));
    Value x = func.getArgument(0), y;
    if (kind == "linear") {
      std::vector<float> bias = randomVector(wShape[0], 0.1f, 77);
      auto bType = RankedTensorType::get({wShape[0]}, f32);
      auto bc = ConstantOp::create(
          b, loc, DenseElementsAttr::get(bType, ArrayRef<float>(bias)));
      y = LinearOp::create(b, loc, yType, x, fq.getResult(), bc.getResult());
    } else if (kind == "matmul") {
      y = MatMulOp::create(b, loc, yType, x, fq.getResult());
    } else {
      y = Conv2DOp::create(b, loc, yType, x, fq.getResult(), Value(),
                           b.getDenseI64ArrayAttr({1, 1}),
                           b.getDenseI64ArrayAttr({1, 1, 1, 1}),
                           b.getDenseI64ArrayAttr({1, 1}),
                           b.getI64IntegerAttr(1));
    }
    func::ReturnOp::create(b, loc, y);
    EXPECT_TRUE(succeeded(verify(*module)));
    return func;
  }

  /// Correlated random inputs (x = z A), as layers usually see.
  std::vector<std::vector<Tensor>> makeData(ArrayRef<int64_t> xShape,
                                            int samples, uint32_t seed) {
    int64_t n = 1;
    for (int64_t d : xShape)
      n *= d;
    int64_t last = xShape.back();
    std::vector<float> mix = randomVector(last * last, 1.0f / std::sqrt(last),
                                          seed + 1000);
    std::vector<std::vector<Tensor>> out;
    for (int s = 0; s < samples; ++s) {
      std::vector<float> z = randomVector(n, 1.0f, seed + s), x(n, 0.0f);
      for (int64_t r = 0; r < n / last; ++r)
        for (int64_t j = 0; j < last; ++j) {
          float acc = 0.5f * z[r * last + j];
          for (int64_t i = 0; i < last; ++i)
            acc += z[r * last + i] * mix[i * last + j];
          x[r * last + j] = std::max(acc, -0.3f); // a little ReLU-like skew
        }
      out.push_back({tensorOf(xShape, x)});
    }
    return out;
  }

  /// Outputs of the float twin of `func` (every fake_quant removed), i.e.
  /// the float model as long as the weights have not been learned.
  std::vector<Tensor> floatOutputs(func::FuncOp func,
                                   const std::vector<std::vector<Tensor>> &data) {
    OwningOpRef<ModuleOp> floatModule = ModuleOp::create(func.getLoc());
    auto floatFunc = cast<func::FuncOp>(func->clone());
    floatModule->push_back(floatFunc);
    SmallVector<FakeQuantOp> fqs;
    floatFunc.walk([&](FakeQuantOp fq) { fqs.push_back(fq); });
    for (FakeQuantOp fq : fqs) {
      fq.getResult().replaceAllUsesWith(fq.getInput());
      fq.erase();
    }
    auto fe = Executor::create(floatFunc);
    EXPECT_TRUE(succeeded(fe));
    std::vector<Tensor> out;
    std::string error;
    for (const auto &in : data) {
      auto f = (*fe)->run(in, error);
      EXPECT_TRUE(succeeded(f)) << error;
      out.push_back((*f)[0].clone());
    }
    return out;
  }

  /// Mean squared difference between the outputs of `func` and `ref`.
  double outputMse(func::FuncOp func,
                   const std::vector<std::vector<Tensor>> &data,
                   const std::vector<Tensor> &ref) {
    auto qe = Executor::create(func);
    EXPECT_TRUE(succeeded(qe));
    double sse = 0;
    int64_t count = 0;
    std::string error;
    for (size_t s = 0; s < data.size(); ++s) {
      auto q = (*qe)->run(data[s], error);
      EXPECT_TRUE(succeeded(q)) << error;
      for (int64_t i = 0; i < (*q)[0].numElements(); ++i, ++count) {
        double d = (*q)[0].getAsDouble(i) - ref[s].getAsDouble(i);
        sse += d * d;
      }
    }
    return sse / count;
  }

  /// The learned weight: codes must round-trip, scales must be positive.
  void checkWriteBack(func::FuncOp func, Type oldType) {
    FakeQuantOp fq;
    func.walk([&](FakeQuantOp op) { fq = op; });
    ASSERT_TRUE(fq);
    auto cst = fq.getInput().getDefiningOp<ConstantOp>();
    ASSERT_TRUE(cst);
    Type qt = fq.getQuantType();
    EXPECT_NE(qt, oldType) << "scales were not updated";
    auto exec = Executor::create(func);
    ASSERT_TRUE(succeeded(exec));
    // The constant's values, through a tiny function returning it.
    auto wType = cast<RankedTensorType>(cst.getType());
    std::vector<float> values(wType.getNumElements());
    if (auto res = dyn_cast<DenseResourceElementsAttr>(cst.getValue()))
      std::memcpy(values.data(), res.getRawHandle().getBlob()->getData().data(),
                  values.size() * sizeof(float));
    else {
      auto d = cast<DenseElementsAttr>(cst.getValue());
      auto v = d.getValues<float>();
      for (size_t i = 0; i < values.size(); ++i)
        values[i] = v[i];
    }
    Tensor t = tensorOf(wType.getShape(), values);
    Tensor codes = quantizeTensor(t, qt);
    Tensor back = dequantizeTensor(codes, qt);
    for (int64_t i = 0; i < t.numElements(); ++i)
      ASSERT_EQ(back.getAsDouble(i), values[i])
          << "weight " << i << " is not on the learned grid";
    // Codes survive a second round trip too.
    Tensor codes2 = quantizeTensor(back, qt);
    for (int64_t i = 0; i < t.numElements(); ++i)
      ASSERT_EQ(codes.getAsDouble(i), codes2.getAsDouble(i)) << i;
    std::vector<double> scales;
    if (auto pa = dyn_cast<quant::UniformQuantizedPerAxisType>(qt))
      scales.assign(pa.getScales().begin(), pa.getScales().end());
    else if (auto pt = dyn_cast<quant::UniformQuantizedType>(qt))
      scales.push_back(pt.getScale());
    else
      for (const APFloat &s :
           cast<quant::UniformQuantizedSubChannelType>(qt)
               .getScales()
               .getValues<APFloat>())
        scales.push_back(s.convertToDouble());
    for (double s : scales) {
      EXPECT_GT(s, 0.0);
      EXPECT_TRUE(std::isfinite(s));
    }
  }

  /// Learns `func` and checks it against round-to-nearest.
  void learnAndCheck(func::FuncOp func,
                     const std::vector<std::vector<Tensor>> &data,
                     unsigned steps, double maxRatio) {
    FakeQuantOp fq;
    func.walk([&](FakeQuantOp op) { fq = op; });
    Type oldType = fq.getQuantType();
    std::vector<Tensor> ref = floatOutputs(func, data);
    double rtn = outputMse(func, data, ref);
    InMemoryDataset ds(data);
    LearnedQuantOptions options;
    options.steps = steps;
    options.progress = false;
    options.numThreads = 1;
    std::vector<LayerReport> reports;
    std::string error;
    ASSERT_TRUE(succeeded(learnWeightQuantization(
        func, ds, options, LearnedQuantTuning(), &reports, error)))
        << error;
    ASSERT_TRUE(succeeded(verify(*module)));
    ASSERT_EQ(reports.size(), 1u);
    double learned = outputMse(func, data, ref);
    EXPECT_NEAR(reports[0].rtnMse, rtn, 1e-3 * rtn);
    EXPECT_NEAR(reports[0].learnedMse, learned, 1e-3 * rtn);
    EXPECT_FALSE(reports[0].keptRtn);
    EXPECT_LE(learned, maxRatio * rtn)
        << "learned " << learned << " vs round-to-nearest " << rtn;
    checkWriteBack(func, oldType);
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
};

TEST_F(LearnedQuantLayerTest, LinearPerChannel4Bit) {
  const int64_t n = 16, k = 64;
  std::vector<float> w = randomVector(n * k, 0.1f, 11);
  std::vector<int32_t> param(n * k);
  for (int64_t i = 0; i < n * k; ++i)
    param[i] = static_cast<int32_t>(i / k);
  SmallVector<double> scales;
  SmallVector<int64_t> zps;
  rangeParams(w, param, n, -7, 7, true, scales, zps);
  auto qt = quant::UniformQuantizedPerAxisType::get(
      quant::QuantizationFlags::Signed, IntegerType::get(&context, 4),
      Float32Type::get(&context), scales, zps, 0, -7, 7);
  func::FuncOp func = build("linear", {32, k}, {n, k}, {32, n}, w, qt, true);
  learnAndCheck(func, makeData({32, k}, 8, 100), 1000, 0.8);
}

TEST_F(LearnedQuantLayerTest, ConvPerChannel3Bit) {
  const int64_t o = 8, c = 4;
  std::vector<float> w = randomVector(o * c * 9, 0.2f, 12);
  std::vector<int32_t> param(w.size());
  for (size_t i = 0; i < w.size(); ++i)
    param[i] = static_cast<int32_t>(i / (c * 9));
  SmallVector<double> scales;
  SmallVector<int64_t> zps;
  rangeParams(w, param, o, -3, 3, true, scales, zps);
  auto qt = quant::UniformQuantizedPerAxisType::get(
      quant::QuantizationFlags::Signed, IntegerType::get(&context, 3),
      Float32Type::get(&context), scales, zps, 0, -3, 3);
  func::FuncOp func = build("conv", {2, c, 8, 8}, {o, c, 3, 3},
                            {2, o, 8, 8}, w, qt, true);
  learnAndCheck(func, makeData({2, c, 8, 8}, 6, 200), 1000, 0.8);
}

TEST_F(LearnedQuantLayerTest, LinearSubChannel4BitDenseConstant) {
  // Blocks of 16 along the reduction dimension: scales [n, k / 16].
  const int64_t n = 8, k = 64, block = 16;
  std::vector<float> w = randomVector(n * k, 0.1f, 13);
  std::vector<int32_t> param(n * k);
  for (int64_t i = 0; i < n * k; ++i)
    param[i] = static_cast<int32_t>((i / k) * (k / block) + (i % k) / block);
  SmallVector<double> scales;
  SmallVector<int64_t> zps;
  rangeParams(w, param, n * k / block, -7, 7, true, scales, zps);
  auto f32 = Float32Type::get(&context);
  auto i4 = IntegerType::get(&context, 4);
  SmallVector<APFloat> sv;
  SmallVector<APInt> zv;
  for (size_t r = 0; r < scales.size(); ++r) {
    sv.push_back(APFloat(static_cast<float>(scales[r])));
    zv.push_back(APInt(4, 0, true));
  }
  auto st = RankedTensorType::get({n, k / block}, f32);
  auto zt = RankedTensorType::get({n, k / block}, i4);
  auto qt = quant::UniformQuantizedSubChannelType::get(
      quant::QuantizationFlags::Signed, i4, f32, DenseElementsAttr::get(st, sv),
      DenseElementsAttr::get(zt, zv), {0, 1}, {1, block}, -7, 7);
  func::FuncOp func = build("linear", {32, k}, {n, k}, {32, n}, w, qt, false);
  learnAndCheck(func, makeData({32, k}, 8, 300), 1000, 0.8);
}

TEST_F(LearnedQuantLayerTest, MatMulPerAxisAsymmetricU4) {
  // rhs [K, N], output channel = axis 1, asymmetric with zero points.
  const int64_t k = 48, n = 12;
  std::vector<float> w = randomVector(k * n, 0.1f, 14);
  for (float &x : w)
    x += 0.05f; // off-centre, so zero points are not mid-range
  std::vector<int32_t> param(k * n);
  for (int64_t i = 0; i < k * n; ++i)
    param[i] = static_cast<int32_t>(i % n);
  SmallVector<double> scales;
  SmallVector<int64_t> zps;
  rangeParams(w, param, n, 0, 15, false, scales, zps);
  auto qt = quant::UniformQuantizedPerAxisType::get(
      0, IntegerType::get(&context, 4), Float32Type::get(&context), scales,
      zps, 1, 0, 15);
  func::FuncOp func =
      build("matmul", {16, k}, {k, n}, {16, n}, w, qt, true);
  learnAndCheck(func, makeData({16, k}, 8, 400), 1000, 0.8);
}

TEST_F(LearnedQuantLayerTest, ZeroStepsLeavesTheModelAlone) {
  std::vector<float> w = randomVector(4 * 8, 0.1f, 15);
  auto qt = quant::UniformQuantizedType::get(
      quant::QuantizationFlags::Signed, IntegerType::get(&context, 4),
      Float32Type::get(&context), 0.05, 0, -7, 7);
  func::FuncOp func = build("linear", {2, 8}, {4, 8}, {2, 4}, w, qt, false);
  std::string before;
  llvm::raw_string_ostream(before) << *module;
  InMemoryDataset ds(makeData({2, 8}, 2, 500));
  LearnedQuantOptions options;
  options.steps = 0;
  std::string error;
  ASSERT_TRUE(succeeded(
      mlir::qc::learnWeightQuantization(func, ds, options, error)));
  std::string after;
  llvm::raw_string_ostream(after) << *module;
  EXPECT_EQ(before, after);
}

} // namespace
