//===- WeightOnlyTest.cpp - GPTQ, AWQ and imatrix -------------------------===//
//
// Part of quantc. The matrix algorithms on random layers (errors computed
// here from the inputs themselves), and on a small random Llama step graph:
// AWQ's folding keeps the float model, and the codes the algorithms choose
// are the codes the folded model stores. The stories260K end-to-end tests
// are lit tests (test/LLM/weight-algo*.test).
//
//===----------------------------------------------------------------------===//

#include "qc/Quant/WeightOnly.h"

#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Dialect/QC/Transforms/Passes.h"
#include "qc/Dialect/QC/Utils/Numerics.h"
#include "qc/Executor/Executor.h"
#include "qc/Executor/QuantTensor.h"
#include "qc/Import/LLM/Llama.h"
#include "qc/InitAll.h"
#include "qc/Quant/Calibration.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringMap.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace mlir;
using namespace mlir::qc;

namespace {

std::vector<float> randomMatrix(int64_t n, int64_t k, uint32_t seed,
                                float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0, sigma);
  std::vector<float> w(n * k);
  for (float &v : w)
    v = normal(rng);
  return w;
}

/// T rows of K correlated input channels: x = z A with z ~ N(0, 1) of a
/// lower dimension and per-channel gains spread over two decades.
std::vector<float> correlatedInputs(int64_t t, int64_t k, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0, 1);
  int64_t latent = k / 4;
  std::vector<float> a(latent * k), gain(k), x(t * k, 0.0f);
  for (float &v : a)
    v = normal(rng);
  std::uniform_real_distribution<float> u(-1, 1);
  for (float &g : gain)
    g = std::pow(10.0f, u(rng));
  for (int64_t r = 0; r < t; ++r) {
    std::vector<float> z(latent);
    for (float &v : z)
      v = normal(rng);
    for (int64_t c = 0; c < k; ++c) {
      float s = 0.1f * normal(rng);
      for (int64_t l = 0; l < latent; ++l)
        s += z[l] * a[l * k + c];
      x[r * k + c] = s * gain[c];
    }
  }
  return x;
}

LinearInputStats statsOf(const std::vector<float> &x, int64_t k) {
  LinearInputStats s(k);
  s.accumulate(x.data(), int64_t(x.size()) / k);
  return s;
}

/// sum_t ||(W - Wq) x_t||^2, straight from the inputs.
double directError(const std::vector<float> &w, const std::vector<float> &wq,
                   int64_t n, int64_t k, const std::vector<float> &x) {
  int64_t t = int64_t(x.size()) / k;
  double sum = 0;
  for (int64_t r = 0; r < t; ++r)
    for (int64_t o = 0; o < n; ++o) {
      double acc = 0;
      for (int64_t c = 0; c < k; ++c)
        acc += (double(w[o * k + c]) - wq[o * k + c]) * x[r * k + c];
      sum += acc * acc;
    }
  return sum;
}

struct GridCase {
  const char *name;
  unsigned bits;
  bool symmetric;
  int64_t group;
};
const GridCase kGrids[] = {{"i4 g32 sym", 4, true, 32},
                           {"i4 g32 asym", 4, false, 32},
                           {"i4 per-channel sym", 4, true, 0},
                           {"i3 g16 asym", 3, false, 16},
                           {"i8 per-tensor sym", 8, true, -1}};

} // namespace

//===----------------------------------------------------------------------===//
// Matrix level
//===----------------------------------------------------------------------===//

TEST(WeightOnly, OutputErrorIsTheDirectError) {
  const int64_t n = 12, k = 32;
  std::vector<float> x = correlatedInputs(64, k, 1);
  std::vector<float> w = randomMatrix(n, k, 2);
  WeightGrid g = makeWeightGrid(n, k, 4, true, 16);
  std::vector<float> wq = quantizeRTN(w, g).dequantized(g);
  double direct = directError(w, wq, n, k, x);
  double viaGram = outputError(w, wq, n, k, statsOf(x, k).gram);
  EXPECT_NEAR(viaGram, direct, 1e-5 * direct);
}

TEST(WeightOnly, GPTQBeatsRTNOnCorrelatedInputs) {
  const int64_t n = 48, k = 128;
  std::vector<float> x = correlatedInputs(512, k, 3);
  std::vector<float> w = randomMatrix(n, k, 4, 0.05f);
  LinearInputStats st = statsOf(x, k);
  for (const GridCase &c : kGrids)
    for (bool actOrder : {false, true}) {
      WeightGrid g = makeWeightGrid(n, k, c.bits, c.symmetric, c.group);
      std::vector<float> rtn = quantizeRTN(w, g).dequantized(g);
      GPTQOptions o;
      o.actOrder = actOrder;
      std::string err;
      FailureOr<QuantizedWeights> q = quantizeGPTQ(w, g, st.gram, o, "w", err);
      ASSERT_TRUE(succeeded(q)) << err;
      for (int32_t code : q->codes)
        ASSERT_TRUE(code >= g.qmin && code <= g.qmax) << c.name;
      std::vector<float> wq = q->dequantized(g);
      double eRtn = directError(w, rtn, n, k, x);
      double eGptq = directError(w, wq, n, k, x);
      EXPECT_LT(eGptq, 0.8 * eRtn)
          << c.name << (actOrder ? " act-order" : "") << ": gptq " << eGptq
          << " rtn " << eRtn;
    }
}

TEST(WeightOnly, GPTQWithDiagonalHessianIsRTN) {
  const int64_t n = 16, k = 64;
  std::vector<float> w = randomMatrix(n, k, 5);
  std::mt19937 rng(6);
  std::uniform_real_distribution<double> u(0.5, 4.0);
  for (bool identity : {true, false})
    for (bool actOrder : {false, true})
      for (const GridCase &c : kGrids) {
        std::vector<double> gram(k * k, 0.0);
        for (int64_t i = 0; i < k; ++i)
          gram[i * k + i] = identity ? 1.0 : u(rng);
        WeightGrid g = makeWeightGrid(n, k, c.bits, c.symmetric, c.group);
        GPTQOptions o;
        o.actOrder = actOrder;
        std::string err;
        FailureOr<QuantizedWeights> q = quantizeGPTQ(w, g, gram, o, "w", err);
        ASSERT_TRUE(succeeded(q)) << err;
        QuantizedWeights r = quantizeRTN(w, g);
        EXPECT_EQ(q->codes, r.codes) << c.name;
        EXPECT_EQ(q->scales, r.scales) << c.name;
        EXPECT_EQ(q->zeroPoints, r.zeroPoints) << c.name;
      }
}

TEST(WeightOnly, GPTQDeadColumnsAndBadStatistics) {
  const int64_t n = 8, k = 32;
  std::vector<float> x = correlatedInputs(128, k, 7);
  for (int64_t r = 0; r < 128; ++r)
    x[r * k + 5] = 0.0f; // channel 5 never active
  std::vector<float> w = randomMatrix(n, k, 8, 0.1f);
  LinearInputStats st = statsOf(x, k);
  WeightGrid g = makeWeightGrid(n, k, 4, false, 16);
  std::string err;
  FailureOr<QuantizedWeights> q =
      quantizeGPTQ(w, g, st.gram, GPTQOptions(), "w", err);
  ASSERT_TRUE(succeeded(q)) << err;
  std::vector<float> wq = q->dequantized(g);
  for (int64_t o = 0; o < n; ++o)
    EXPECT_EQ(wq[o * k + 5], 0.0f);
  EXPECT_LT(directError(w, wq, n, k, x),
            directError(w, quantizeRTN(w, g).dequantized(g), n, k, x));

  std::vector<double> bad = st.gram;
  bad[3] = NAN;
  EXPECT_TRUE(failed(quantizeGPTQ(w, g, bad, GPTQOptions(), "layers.0.wq", err)));
  EXPECT_NE(err.find("layers.0.wq: GPTQ"), std::string::npos) << err;
  EXPECT_NE(err.find("non-finite"), std::string::npos) << err;
}

TEST(WeightOnly, IMatrixBeatsRTNOnWeightedError) {
  const int64_t n = 32, k = 128;
  std::vector<float> w = randomMatrix(n, k, 9);
  std::mt19937 rng(10);
  std::uniform_real_distribution<double> u(-2, 2);
  std::vector<double> importance(k);
  for (double &v : importance)
    v = std::pow(10.0, u(rng));
  for (const GridCase &c : kGrids) {
    WeightGrid g = makeWeightGrid(n, k, c.bits, c.symmetric, c.group);
    QuantizedWeights r = quantizeRTN(w, g);
    QuantizedWeights q = quantizeIMatrix(w, g, importance);
    double eRtn = weightedError(w, r.dequantized(g), n, k, importance);
    double eIm = weightedError(w, q.dequantized(g), n, k, importance);
    // One scale for the whole tensor leaves little to choose.
    double bound = c.group < 0 ? 1.0 : 0.9;
    EXPECT_LT(eIm, bound * eRtn)
        << c.name << ": imatrix " << eIm << " rtn " << eRtn;
    // Never worse than round-to-nearest, range by range.
    for (int64_t rr = 0; rr < g.numRanges(); ++rr) {
      double a = 0, b = 0;
      for (int64_t o = 0; o < n; ++o)
        for (int64_t kk = 0; kk < k; ++kk) {
          if (g.rangeOf(o, kk) != rr)
            continue;
          int64_t e = o * k + kk;
          double dq = w[e] - numerics::dequantize(q.codes[e], q.scales[rr], q.zeroPoints[rr]);
          double dr = w[e] - numerics::dequantize(r.codes[e], r.scales[rr], r.zeroPoints[rr]);
          a += importance[kk] * dq * dq;
          b += importance[kk] * dr * dr;
        }
      EXPECT_LE(a, b * (1 + 1e-12)) << c.name << " range " << rr;
    }
  }
}

TEST(WeightOnly, RangesGiveBackScalesAndZeroPoints) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-12, 4);
  for (const GridCase &c : kGrids) {
    WeightGrid g = makeWeightGrid(4, 32, c.bits, c.symmetric, 0);
    std::uniform_int_distribution<int32_t> zp(g.qmin, g.qmax);
    for (int i = 0; i < 200; ++i) {
      float s = std::exp2(u(rng));
      int32_t z = c.symmetric ? 0 : zp(rng);
      double lo, hi;
      ASSERT_TRUE(succeeded(rangeForParams(s, z, g, lo, hi))) << c.name << " " << s;
      numerics::QuantParams p =
          numerics::chooseQuantParams(lo, hi, g.qmin, g.qmax, g.symmetric);
      EXPECT_EQ(p.scale, s);
      EXPECT_EQ(p.zeroPoint, z);
      // The dequantized codes round back to themselves.
      for (int32_t q = g.qmin; q <= g.qmax; ++q)
        EXPECT_EQ(numerics::quantize(numerics::dequantize(q, s, z), s, z,
                                     g.qmin, g.qmax),
                  q);
    }
    double lo, hi;
    EXPECT_TRUE(failed(rangeForParams(0.0f, 0, g, lo, hi)));
    EXPECT_TRUE(failed(rangeForParams(1.0f, g.qmax + 1, g, lo, hi)));
  }
}

TEST(WeightOnly, AWQScalesHelpOutlierChannels) {
  const int64_t n = 32, k = 64;
  std::vector<float> x = correlatedInputs(256, k, 12);
  // A few input channels carry much larger activations.
  for (int64_t r = 0; r < 256; ++r)
    for (int64_t c : {3, 17, 40})
      x[r * k + c] *= 30.0f;
  LinearInputStats st = statsOf(x, k);
  std::vector<float> w1 = randomMatrix(n, k, 13, 0.05f),
                     w2 = randomMatrix(n, k, 14, 0.05f);
  WeightGrid g = makeWeightGrid(n, k, 4, true, 32);
  AWQOptions o;
  AWQScales s = searchAWQScales({{w1, &g}, {w2, &g}}, st, o);
  EXPECT_GT(s.alpha, 0.0);
  EXPECT_LT(s.error, 0.9 * s.rtnError);
  // The reported error is that of the scaled, rounded, unscaled weights.
  double direct = 0;
  for (const std::vector<float> *w : {&w1, &w2}) {
    std::vector<float> scaled(w->size());
    for (int64_t e = 0; e < n * k; ++e)
      scaled[e] = (*w)[e] * s.scales[e % k];
    std::vector<float> wq = quantizeRTN(scaled, g).dequantized(g);
    for (int64_t e = 0; e < n * k; ++e)
      wq[e] /= s.scales[e % k];
    direct += directError(*w, wq, n, k, x);
  }
  EXPECT_NEAR(s.error, direct, 1e-4 * direct);

  // alpha 0 is round-to-nearest; a fixed alpha is taken as it is.
  AWQOptions fixed;
  fixed.fixedAlpha = 0.5;
  EXPECT_EQ(searchAWQScales({{w1, &g}}, st, fixed).alpha, 0.5);
  fixed.fixedAlpha = 0;
  AWQScales none = searchAWQScales({{w1, &g}}, st, fixed);
  EXPECT_EQ(none.alpha, 0.0);
  for (float v : none.scales)
    EXPECT_EQ(v, 1.0f);

  // Clipping: never worse than round-to-nearest on each range's own
  // output error, and better overall on heavy-tailed weights.
  std::vector<float> tail = randomMatrix(n, k, 15, 0.05f);
  std::mt19937 rng(16);
  std::uniform_int_distribution<int64_t> pick(0, n * k - 1);
  for (int i = 0; i < 40; ++i)
    tail[pick(rng)] *= 6.0f;
  for (const GridCase &c : kGrids) {
    WeightGrid gc = makeWeightGrid(n, k, c.bits, c.symmetric, c.group);
    std::vector<float> clip =
        quantizeAWQClip(tail, gc, st.gram, o).dequantized(gc);
    std::vector<float> rtn = quantizeRTN(tail, gc).dequantized(gc);
    if (gc.colsPerRange == k && gc.rowsPerRange == 1)
      EXPECT_LE(directError(tail, clip, n, k, x),
                directError(tail, rtn, n, k, x) * (1 + 1e-9))
          << c.name;
  }
}

//===----------------------------------------------------------------------===//
// Model level: a small random Llama
//===----------------------------------------------------------------------===//

namespace {

/// A random Llama (dim 64, hidden 96, 2 layers, vocab 40, context 32) as a
/// weight lookup; some norm channels are large, as in trained models, so
/// that the activations have outlier channels.
struct RandomLlama {
  LlamaConfig cfg;
  llvm::StringMap<std::vector<float>> weights;
  llvm::StringMap<SmallVector<int64_t>> shapes;

  RandomLlama(int64_t heads, int64_t kvHeads, uint32_t seed) {
    cfg.dim = 64;
    cfg.hiddenDim = 96;
    cfg.numLayers = 2;
    cfg.numHeads = heads;
    cfg.numKVHeads = kvHeads;
    cfg.vocabSize = 40;
    cfg.maxSeqLen = 32;
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0, 1);
    auto add = [&](const std::string &name, SmallVector<int64_t> shape,
                   float sigma, bool norm = false) {
      int64_t count = 1;
      for (int64_t d : shape)
        count *= d;
      std::vector<float> v(count);
      for (int64_t i = 0; i < count; ++i)
        v[i] = norm ? 1.0f + 0.1f * normal(rng) + (i % 13 == 0 ? 6.0f : 0.0f)
                    : sigma * normal(rng);
      weights[name] = std::move(v);
      shapes[name] = shape;
    };
    int64_t d = cfg.dim, kv = cfg.kvDim(), f = cfg.hiddenDim;
    add("tok_embeddings", {cfg.vocabSize, d}, 1.0f);
    for (int64_t l = 0; l < cfg.numLayers; ++l) {
      std::string p = "layers." + std::to_string(l) + ".";
      add(p + "attention_norm", {d}, 0, true);
      add(p + "wq", {d, d}, 0.125f);
      add(p + "wk", {kv, d}, 0.125f);
      add(p + "wv", {kv, d}, 0.125f);
      add(p + "wo", {d, d}, 0.125f);
      add(p + "ffn_norm", {d}, 0, true);
      add(p + "w1", {f, d}, 0.125f);
      add(p + "w2", {d, f}, 0.1f);
      add(p + "w3", {f, d}, 0.125f);
    }
    add("norm", {d}, 0, true);
  }
  LlamaWeightLookup lookup() {
    return [this](StringRef name) -> std::optional<LlamaTensor> {
      auto it = weights.find(name);
      if (it == weights.end())
        return std::nullopt;
      LlamaTensor t;
      t.data = it->second;
      t.shape = shapes[name];
      return t;
    };
  }
};

struct Model {
  std::unique_ptr<MLIRContext> ctx;
  OwningOpRef<ModuleOp> module;
  func::FuncOp func;
};

Model buildModel(RandomLlama &llama, int64_t seqLen) {
  DialectRegistry registry;
  registerAllDialects(registry);
  Model m;
  m.ctx = std::make_unique<MLIRContext>(registry);
  m.ctx->loadAllAvailableDialects();
  m.module = ModuleOp::create(UnknownLoc::get(m.ctx.get()));
  LlamaStepSpec spec;
  spec.seqLen = seqLen;
  EXPECT_TRUE(succeeded(buildLlamaSteps(*m.module, llama.cfg, llama.lookup(), {spec})));
  m.func = m.module->lookupSymbol<func::FuncOp>("main");
  return m;
}

LogicalResult runPass(ModuleOp module, std::unique_ptr<Pass> pass,
                      bool nested = false) {
  PassManager pm(module.getContext());
  if (nested)
    pm.addNestedPass<func::FuncOp>(std::move(pass));
  else
    pm.addPass(std::move(pass));
  return pm.run(module);
}

LogicalResult placeObservers(ModuleOp module, StringRef scheme) {
  InsertObserversOptions o;
  o.scheme = scheme.str();
  o.protectFirstLast = false;
  return runPass(module, createInsertObservers(o), /*nested=*/true);
}

std::vector<int32_t> randomTokens(int64_t n, int64_t vocab, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> u(3, int32_t(vocab) - 1);
  std::vector<int32_t> t(n);
  for (int32_t &v : t)
    v = u(rng);
  return t;
}

/// The logits of `func` on the first chunk of `data`.
std::vector<float> logitsOf(func::FuncOp func, CalibrationDataset &data) {
  std::string err;
  auto exec = Executor::create(func);
  EXPECT_TRUE(succeeded(exec));
  std::vector<Tensor> in;
  data.reset();
  EXPECT_TRUE(succeeded(data.next(in, err)));
  auto out = (*exec)->run(in, err);
  EXPECT_TRUE(succeeded(out)) << err;
  const Tensor &l = (*out)[0];
  return std::vector<float>(l.data<float>(), l.data<float>() + l.numElements());
}

std::vector<float> constantValues(Value v) {
  while (auto obs = v.getDefiningOp<ObserveOp>())
    v = obs.getInput();
  auto cst = v.getDefiningOp<ConstantOp>();
  EXPECT_TRUE(cst);
  std::string why;
  auto t = materializeConstant(cst.getValue(),
                               cast<RankedTensorType>(cst.getType()), why);
  EXPECT_TRUE(succeeded(t)) << why;
  std::vector<float> out(t->numElements());
  for (int64_t i = 0; i < t->numElements(); ++i)
    out[i] = float(t->getAsDouble(i));
  return out;
}

} // namespace

TEST(WeightOnlyModel, AWQFoldingKeepsTheFloatModel) {
  // 4 query heads over 4 (multi-head: o_proj's scales go into v_proj) or 2
  // key/value heads (grouped: o_proj is not scaled).
  for (int64_t kvHeads : {4, 2})
    for (double alpha : {0.5, -1.0}) {
      RandomLlama llama(4, kvHeads, 21);
      Model m = buildModel(llama, 16);
      ASSERT_TRUE(succeeded(placeObservers(*m.module, "w4a16-g32")));
      std::string err;
      auto data = makeTokenChunkDataset(m.func, randomTokens(4 * 15, 40, 22), 4,
                                        1, err);
      ASSERT_TRUE(succeeded(data)) << err;
      auto stats = collectLinearInputStats(m.func, **data, 1, false, err);
      ASSERT_TRUE(succeeded(stats)) << err;
      ASSERT_EQ(stats->size(), 15u); // 7 per layer and the classifier
      // q, k and v read one value, as do w1 and w3.
      EXPECT_EQ((*stats)[0], (*stats)[1]);
      EXPECT_EQ((*stats)[0], (*stats)[2]);
      EXPECT_EQ((*stats)[4], (*stats)[5]);
      EXPECT_NE((*stats)[3], (*stats)[4]);

      std::vector<Operation *> lin = getLinearOps(m.func);
      std::vector<float> wvBefore = constantValues(lin[2]->getOperand(1));
      std::vector<float> woBefore = constantValues(lin[3]->getOperand(1));
      std::vector<float> w3Before = constantValues(lin[5]->getOperand(1));
      std::vector<float> before = logitsOf(m.func, **data);

      WeightOnlyOptions o;
      o.algorithm = WeightAlgorithm::AWQ;
      o.awq.fixedAlpha = alpha;
      std::vector<WeightOnlyLayerReport> reports;
      ASSERT_TRUE(succeeded(applyAWQScaling(m.func, *stats, o, reports, err)))
          << err;
      ASSERT_EQ(reports.size(), 15u);
      std::vector<float> after = logitsOf(m.func, **data);
      float maxAbs = 0, maxDiff = 0;
      for (size_t i = 0; i < before.size(); ++i) {
        maxAbs = std::max(maxAbs, std::fabs(before[i]));
        maxDiff = std::max(maxDiff, std::fabs(before[i] - after[i]));
      }
      EXPECT_LT(maxDiff, 1e-5f * maxAbs)
          << "kv heads " << kvHeads << " alpha " << alpha;
      if (alpha > 0) {
        // Every group was scaled: the norms' and w3's (for w2), and v's
        // rows for o_proj when the heads allow it.
        EXPECT_NE(constantValues(lin[5]->getOperand(1)), w3Before);
        EXPECT_EQ(reports[3].alpha, kvHeads == 4 ? alpha : -1.0);
        EXPECT_EQ(constantValues(lin[2]->getOperand(1)) != wvBefore, true);
        EXPECT_EQ(constantValues(lin[3]->getOperand(1)) != woBefore,
                  kvHeads == 4);
        for (size_t i : {0, 1, 2, 4, 5, 6, 14})
          EXPECT_EQ(reports[i].alpha, alpha) << reports[i].name;
      }
    }
}

TEST(WeightOnlyModel, FoldedModelStoresTheChosenCodes) {
  for (WeightAlgorithm algo : {WeightAlgorithm::GPTQ, WeightAlgorithm::AWQ,
                               WeightAlgorithm::IMatrix})
    for (StringRef scheme : {"w4a16-g32", "w4a16-g32-asym", "w4a8-dynamic"}) {
      RandomLlama llama(4, 2, 31);
      Model m = buildModel(llama, 16);
      ASSERT_TRUE(succeeded(placeObservers(*m.module, scheme)));
      std::string err;
      auto data = makeTokenChunkDataset(m.func, randomTokens(4 * 15, 40, 32), 4,
                                        1, err);
      ASSERT_TRUE(succeeded(data)) << err;
      auto stats = collectLinearInputStats(m.func, **data, 1, false, err);
      ASSERT_TRUE(succeeded(stats)) << err;
      WeightOnlyOptions o;
      o.algorithm = algo;
      std::vector<WeightOnlyLayerReport> reports;
      if (algo == WeightAlgorithm::AWQ)
        ASSERT_TRUE(succeeded(applyAWQScaling(m.func, *stats, o, reports, err)));
      struct NoData : CalibrationDataset {
        size_t size() const override { return 0; }
        void reset() override {}
        FailureOr<bool> next(std::vector<Tensor> &, std::string &) override {
          return false;
        }
      } none;
      ASSERT_TRUE(succeeded(calibrate(m.func, none, CalibrationOptions(), err)))
          << err;

      // What the algorithm chooses, computed here from the same inputs.
      std::vector<Operation *> lin = getLinearOps(m.func);
      std::vector<QuantizedWeights> expected;
      for (size_t i = 0; i < lin.size(); ++i) {
        auto obs = lin[i]->getOperand(1).getDefiningOp<ObserveOp>();
        ASSERT_TRUE(obs);
        FailureOr<WeightGrid> g = getObserverWeightGrid(obs, err);
        ASSERT_TRUE(succeeded(g)) << err;
        std::vector<float> w = constantValues(obs.getInput());
        const LinearInputStats &st = *(*stats)[i];
        if (algo == WeightAlgorithm::GPTQ)
          expected.push_back(*quantizeGPTQ(w, *g, st.gram, o.gptq, "w", err));
        else if (algo == WeightAlgorithm::IMatrix)
          expected.push_back(quantizeIMatrix(w, *g, st.meanSquare()));
        else
          // q and k (feeding RoPE) are not clipped.
          expected.push_back(i < 14 && i % 7 < 2
                                 ? quantizeRTN(w, *g)
                                 : quantizeAWQClip(w, *g, st.gram, o.awq));
      }
      ASSERT_TRUE(succeeded(quantizeLinearWeights(m.func, *stats, o, reports, err)))
          << err;
      ASSERT_EQ(reports.size(), lin.size());
      ASSERT_TRUE(succeeded(runPass(*m.module, createFakeQuant())));
      ASSERT_TRUE(succeeded(runPass(*m.module, createFoldFakeQuant())));

      // The folded weights: stored integers and scales of the types.
      lin = getLinearOps(m.func);
      int changed = 0;
      for (size_t i = 0; i < lin.size(); ++i) {
        Value wv = lin[i]->getOperand(1);
        auto cst = wv.getDefiningOp<ConstantOp>();
        ASSERT_TRUE(cst) << "layer " << i;
        auto type = cast<RankedTensorType>(cst.getType());
        ASSERT_TRUE(isa<quant::QuantizedType>(type.getElementType()));
        std::string why;
        auto codes = materializeConstant(cst.getValue(), type, why);
        ASSERT_TRUE(succeeded(codes)) << why;
        QuantParams params = getQuantParams(type.getElementType(), type.getShape());
        const QuantizedWeights &q = expected[i];
        for (int64_t e = 0; e < codes->numElements(); ++e)
          ASSERT_EQ(int32_t(codes->getAsDouble(e)), q.codes[e])
              << getWeightAlgorithmName(algo).str() << " " << scheme.str()
              << " layer " << i << " element " << e;
        EXPECT_EQ(params.scales, q.scales);
        EXPECT_EQ(params.zeroPoints, q.zeroPoints);
        changed += reports[i].error < reports[i].rtnError;
      }
      EXPECT_GT(changed, 0);
    }
}

/// The statistics are those of the right layers: for the key and value
/// projections and the classifier, whose outputs the step returns (the
/// caches hold the keys, rotated by RoPE, which keeps norms, and the values
/// of the written rows; the logits of every token), sum_t ||W x_t||^2 =
/// trace(W G W^T).
TEST(WeightOnlyModel, StatisticsAreThoseOfTheLayersInputs) {
  RandomLlama llama(4, 2, 61);
  Model m = buildModel(llama, 8);
  std::string err;
  auto data = makeTokenChunkDataset(m.func, randomTokens(3 * 7, 40, 62), 3, 1, err);
  ASSERT_TRUE(succeeded(data)) << err;
  auto stats = collectLinearInputStats(m.func, **data, 1, false, err);
  ASSERT_TRUE(succeeded(stats)) << err;
  std::vector<Operation *> lin = getLinearOps(m.func);
  // Sums of squares of the outputs over the chunks: logits, k/v caches.
  auto exec = Executor::create(m.func);
  ASSERT_TRUE(succeeded(exec));
  std::vector<double> sums(5, 0.0);
  std::vector<Tensor> in;
  (*data)->reset();
  while (*(*data)->next(in, err)) {
    auto out = (*exec)->run(in, err);
    ASSERT_TRUE(succeeded(out)) << err;
    for (size_t o = 0; o < 5; ++o)
      for (int64_t e = 0; e < (*out)[o].numElements(); ++e)
        sums[o] += std::pow((*out)[o].getAsDouble(e), 2);
  }
  auto expected = [&](size_t i) {
    std::vector<float> w = constantValues(lin[i]->getOperand(1));
    const LinearInputStats &st = *(*stats)[i];
    int64_t k = st.channels, n = int64_t(w.size()) / k;
    double sum = 0;
    for (int64_t r = 0; r < n; ++r)
      for (int64_t a = 0; a < k; ++a)
        for (int64_t b = 0; b < k; ++b)
          sum += double(w[r * k + a]) * st.gram[a * k + b] * w[r * k + b];
    return sum;
  };
  EXPECT_EQ((*stats)[14]->rows, 3 * 8);
  EXPECT_NEAR(expected(14), sums[0], 1e-4 * sums[0]);     // classifier
  EXPECT_NEAR(expected(1), sums[1], 1e-4 * sums[1]);      // layer 0 keys
  EXPECT_NEAR(expected(2), sums[2], 1e-4 * sums[2]);      // layer 0 values
  EXPECT_NEAR(expected(8), sums[3], 1e-4 * sums[3]);      // layer 1 keys
  EXPECT_NEAR(expected(9), sums[4], 1e-4 * sums[4]);      // layer 1 values
}

TEST(WeightOnlyModel, TokenChunks) {
  RandomLlama llama(4, 2, 41);
  Model m = buildModel(llama, 5);
  std::string err;
  std::vector<int32_t> text = {10, 11, 12, 13, 14, 15, 16, 17, 18};
  auto data = makeTokenChunkDataset(m.func, text, 2, 1, err);
  ASSERT_TRUE(succeeded(data)) << err;
  EXPECT_EQ((*data)->size(), 2u);
  std::vector<Tensor> in;
  ASSERT_TRUE(succeeded((*data)->next(in, err)));
  ASSERT_TRUE(succeeded((*data)->next(in, err)));
  ASSERT_EQ(in.size(), 3u + 2 * 2);
  const int64_t *tok = in[0].data<int64_t>();
  EXPECT_EQ((std::vector<int64_t>(tok, tok + 5)),
            (std::vector<int64_t>{1, 14, 15, 16, 17}));
  EXPECT_EQ(in[1].data<int64_t>()[0], 0);
  const float *mask = in[2].data<float>();
  EXPECT_EQ(mask[1 * 32 + 1], 0.0f);
  EXPECT_TRUE(std::isinf(mask[1 * 32 + 2]));
  EXPECT_FALSE(*(*data)->next(in, err));

  EXPECT_TRUE(failed(makeTokenChunkDataset(m.func, text, 3, 1, err)));
  EXPECT_NE(err.find("not enough tokens"), std::string::npos) << err;
  Model one = buildModel(llama, 1);
  EXPECT_TRUE(failed(makeTokenChunkDataset(one.func, text, 1, 1, err)));
  EXPECT_NE(err.find("2 or more tokens"), std::string::npos) << err;
}

TEST(WeightOnlyModel, StatisticsMustFitTheModel) {
  RandomLlama mha(4, 4, 51);
  Model a = buildModel(mha, 4);
  std::string err;
  auto data = makeTokenChunkDataset(a.func, randomTokens(6, 40, 52), 2, 1, err);
  ASSERT_TRUE(succeeded(data)) << err;
  auto stats = collectLinearInputStats(a.func, **data, 1, false, err);
  ASSERT_TRUE(succeeded(stats)) << err;
  EXPECT_TRUE(succeeded(checkStatsMatch(a.func, *stats, err))) << err;
  // One layer fewer.
  std::vector<std::shared_ptr<LinearInputStats>> fewer(stats->begin(),
                                                       stats->end() - 1);
  EXPECT_TRUE(failed(checkStatsMatch(a.func, fewer, err)));
  EXPECT_NE(err.find("has 14 qc.linear ops, the model 15"), std::string::npos)
      << err;
  // Another input width for w2.
  std::vector<std::shared_ptr<LinearInputStats>> swapped = *stats;
  std::swap(swapped[5], swapped[6]);
  EXPECT_TRUE(failed(checkStatsMatch(a.func, swapped, err)));
  EXPECT_NE(err.find("layers.0.w3 (qc.linear #5) reads 64 input channels in "
                     "the model, 96 in the calibration copy"),
            std::string::npos)
      << err;
}
