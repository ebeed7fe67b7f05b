//===- CalibrationTest.cpp - histograms, range methods, datasets ----------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Quant/Calibration.h"
#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Executor/Npy.h"
#include "qc/InitAll.h"
#include "qc/Quant/Dataset.h"
#include "qc/Quant/Histogram.h"
#include "qc/Quant/Scheme.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include "stb_image_write.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>

using namespace mlir;
using namespace mlir::qc;

namespace {

//===----------------------------------------------------------------------===//
// Histogram
//===----------------------------------------------------------------------===//

TEST(Histogram, GrowingRangeKeepsCounts) {
  Histogram h(8);
  h.add(0.0);
  EXPECT_EQ(h.range(), 0.0);
  h.add(-1.0);
  for (int i = 0; i < 10; ++i)
    h.add(0.5);
  EXPECT_EQ(h.range(), 1.0);
  EXPECT_EQ(h.positive()[0], 1.0); // the zero
  EXPECT_EQ(h.positive()[4], 10.0);
  EXPECT_EQ(h.negative()[7], 1.0); // |x| == R lands in the last bin
  h.add(3.0); // R doubles twice, to 4: bins merge pairwise each time
  EXPECT_EQ(h.range(), 4.0);
  EXPECT_EQ(h.positive()[0], 1.0);
  EXPECT_EQ(h.positive()[1], 10.0);
  EXPECT_EQ(h.negative()[1], 1.0);
  EXPECT_EQ(h.positive()[6], 1.0);
  EXPECT_EQ(h.total(), 13.0);
  double sum = 0;
  for (double c : h.magnitude())
    sum += c;
  EXPECT_EQ(sum, 13.0);
  EXPECT_EQ(h.min(), -1.0);
  EXPECT_EQ(h.max(), 3.0);
  h.add(std::nan(""));
  h.add(INFINITY);
  EXPECT_EQ(h.total(), 13.0);
}

TEST(Histogram, BatchGrowthMatchesValueByValue) {
  std::vector<float> xs = {0.1f, -0.7f, 5.0f, 2.5f, -9.0f, 0.0f};
  Histogram a(16), b(16);
  a.add(xs);
  for (float x : xs)
    b.add(x);
  // Different growth histories, same total and extremes.
  EXPECT_EQ(a.total(), b.total());
  EXPECT_EQ(a.min(), -9.0);
  EXPECT_EQ(a.max(), 5.0);
  double sa = 0;
  for (double c : a.magnitude())
    sa += c;
  EXPECT_EQ(sa, 6.0);
}

TEST(Histogram, PercentileOfUniform) {
  Histogram h(1000);
  for (int i = 0; i < 1000; ++i)
    h.add((i + 0.5) / 1000.0);
  auto [lo, hi] = percentileRange(h, 90.0);
  EXPECT_NEAR(lo, 0.0005, 1e-12); // never below the data
  EXPECT_NEAR(hi, 0.9, 0.002);
  auto [lo2, hi2] = percentileRange(h, 100.0);
  EXPECT_EQ(lo2, h.min());
  EXPECT_EQ(hi2, h.max());
}

TEST(Histogram, MseMatchesTheKnownGaussianOptimum) {
  // The optimal uniform 16-level quantizer of N(0, 1) has a step of about
  // 0.335; int4 symmetric spans [-8 s, 7 s] with s = a / 7.5, so a ~ 2.5.
  std::mt19937 gen(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> xs(1000000);
  for (float &x : xs)
    x = normal(gen);
  Histogram h;
  h.add(xs);
  auto [lo, hi] = mseRange(h, QuantTarget{4, true, false, true});
  EXPECT_GT(hi, 2.2);
  EXPECT_LT(hi, 2.9);
  EXPECT_GT(lo, -2.9);
  EXPECT_LT(lo, -2.2);
  // Uniform data is not clipped (8-bit asymmetric).
  Histogram u;
  for (int i = 0; i <= 100000; ++i)
    u.add(-1.0 + 3.0 * i / 100000);
  auto [ulo, uhi] = mseRange(u, QuantTarget{});
  EXPECT_LT(ulo, -0.98);
  EXPECT_GT(uhi, 1.97);
}

//===----------------------------------------------------------------------===//
// calibrate() on a one-observer function
//===----------------------------------------------------------------------===//

/// Samples held in memory.
class VectorDataset : public CalibrationDataset {
public:
  explicit VectorDataset(std::vector<Tensor> samples)
      : samples(std::move(samples)) {}
  size_t size() const override { return samples.size(); }
  void reset() override { cursor = 0; }
  FailureOr<bool> next(std::vector<Tensor> &inputs, std::string &) override {
    if (cursor == samples.size())
      return false;
    inputs = {samples[cursor++]};
    return true;
  }

private:
  std::vector<Tensor> samples;
  size_t cursor = 0;
};

Tensor makeTensor(ArrayRef<int64_t> shape, ArrayRef<float> values) {
  Tensor t(DType::F32, shape);
  EXPECT_EQ(t.numElements(), static_cast<int64_t>(values.size()));
  std::copy(values.begin(), values.end(), t.data<float>());
  return t;
}

class CalibrationTest : public ::testing::Test {
protected:
  CalibrationTest() {
    DialectRegistry registry;
    registerAllDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  /// Parses `src`, calibrates @f with `samples`, returns its observers.
  SmallVector<ObserveOp> run(StringRef src, std::vector<Tensor> samples,
                             const CalibrationOptions &options) {
    module = parseSourceString<ModuleOp>(src, &context);
    EXPECT_TRUE(module);
    if (!module)
      return {};
    auto func = module->lookupSymbol<func::FuncOp>("f");
    VectorDataset data(std::move(samples));
    std::string error;
    EXPECT_TRUE(succeeded(calibrate(func, data, options, error))) << error;
    SmallVector<ObserveOp> ops;
    func.walk([&](ObserveOp op) { ops.push_back(op); });
    return ops;
  }

  static CalibrationOptions opts(CalibrationMethod m) {
    CalibrationOptions o;
    o.method = m;
    o.progress = false;
    o.numThreads = 1;
    return o;
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
};

constexpr const char *kIdentity = R"mlir(
  func.func @f(%x: tensor<1x100000xf32>) -> tensor<1x100000xf32> {
    %0 = qc.observe %x {name = "x"} : tensor<1x100000xf32>
    return %0 : tensor<1x100000xf32>
  })mlir";

/// 40 samples of 100000 standard normal values; one value of the first is
/// 1000. (MSE trades the outlier's clipping error against the rounding
/// error of every other value, so it needs enough data to clip it.)
std::vector<Tensor> gaussianWithOutlier(unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<Tensor> samples;
  for (int s = 0; s < 40; ++s) {
    Tensor t(DType::F32, {1, 100000});
    for (int i = 0; i < 100000; ++i)
      t.data<float>()[i] = normal(gen);
    samples.push_back(t);
  }
  samples[0].data<float>()[123] = 1000.0f;
  return samples;
}

TEST_F(CalibrationTest, MinMaxOfUniformIsExact) {
  std::mt19937 gen(1);
  std::uniform_real_distribution<float> u(-2.0f, 3.0f);
  std::vector<Tensor> samples;
  float mn = INFINITY, mx = -INFINITY;
  for (int s = 0; s < 3; ++s) {
    std::vector<float> v(100000);
    for (float &x : v) {
      x = u(gen);
      mn = std::min(mn, x);
      mx = std::max(mx, x);
    }
    samples.push_back(makeTensor({1, 100000}, v));
  }
  auto ops = run(kIdentity, samples, opts(CalibrationMethod::MinMax));
  ASSERT_EQ(ops.size(), 1u);
  ASSERT_TRUE(ops[0].isCalibrated());
  EXPECT_EQ((*ops[0].getMin())[0], mn);
  EXPECT_EQ((*ops[0].getMax())[0], mx);
  EXPECT_EQ(ops[0].getMethod(), "minmax");
}

TEST_F(CalibrationTest, HistogramMethodsClipAnOutlier) {
  for (CalibrationMethod m :
       {CalibrationMethod::MinMax, CalibrationMethod::Percentile,
        CalibrationMethod::MSE, CalibrationMethod::Entropy}) {
    auto ops = run(kIdentity, gaussianWithOutlier(7), opts(m));
    ASSERT_EQ(ops.size(), 1u);
    double lo = (*ops[0].getMin())[0], hi = (*ops[0].getMax())[0];
    StringRef name = stringifyCalibrationMethod(m);
    EXPECT_EQ(ops[0].getMethod(), name);
    EXPECT_LT(lo, -2.0) << name.str();
    if (m == CalibrationMethod::MinMax) {
      EXPECT_EQ(hi, 1000.0);
      continue;
    }
    // The bins are 1000/2048 wide and the Gaussian's bulk stays inside.
    // Percentile drops the outlier's bin; entropy keeps at least 128 bins
    // (62.5); MSE balances the outlier's clipping error against the rounding
    // error of 4M values (about 240 here).
    EXPECT_GT(hi, 2.0) << name.str();
    double bound = m == CalibrationMethod::Percentile ? 10.0
                   : m == CalibrationMethod::Entropy  ? 200.0
                                                      : 500.0;
    EXPECT_LT(hi, bound) << name.str();
  }
}

TEST_F(CalibrationTest, EmaMinMaxOverTwoSamples) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
      %0 = qc.observe %x : tensor<1x4xf32>
      return %0 : tensor<1x4xf32>
    })mlir";
  CalibrationOptions o = opts(CalibrationMethod::EmaMinMax);
  o.emaConstant = 0.25;
  auto ops = run(
      src,
      {makeTensor({1, 4}, {-1, 0, 0.5, 1}), makeTensor({1, 4}, {-2, 1, 2, 3})},
      o);
  ASSERT_EQ(ops.size(), 1u);
  // First sample initialises, then v = (1 - c) v + c batch.
  EXPECT_DOUBLE_EQ((*ops[0].getMin())[0], 0.75 * -1 + 0.25 * -2);
  EXPECT_DOUBLE_EQ((*ops[0].getMax())[0], 0.75 * 1 + 0.25 * 3);
  EXPECT_EQ(ops[0].getMethod(), "ema-minmax");
}

TEST_F(CalibrationTest, PerAxisActivationIsMinMaxPerSlice) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
      %0 = qc.observe %x {axis = 1 : i64} : tensor<2x3xf32>
      %1 = qc.observe %x {dynamic} : tensor<2x3xf32>
      return %1 : tensor<2x3xf32>
    })mlir";
  auto ops = run(src,
                 {makeTensor({2, 3}, {1, -2, 3, 4, 5, -6}),
                  makeTensor({2, 3}, {0, 0, 7, 0, 0, 0})},
                 opts(CalibrationMethod::Percentile));
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(*ops[0].getMin(), ArrayRef<double>({0, -2, -6}));
  EXPECT_EQ(*ops[0].getMax(), ArrayRef<double>({4, 5, 7}));
  EXPECT_EQ(ops[0].getMethod(), "minmax");
  EXPECT_FALSE(ops[1].isCalibrated()); // dynamic: left alone
}

TEST_F(CalibrationTest, WeightsPerChannelAndPerBlock) {
  const char *src = R"mlir(
    func.func @f(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
      %w = qc.constant dense<[[1.0, -2.0, 0.5, 4.0], [-3.0, 0.25, 2.0, -1.0]]> : tensor<2x4xf32>
      %0 = qc.observe %w {axis = 0 : i64} : tensor<2x4xf32>
      %1 = qc.observe %w {axis = 0 : i64, block_axis = 1 : i64, block_size = 2 : i64} : tensor<2x4xf32>
      %2 = qc.observe %w : tensor<2x4xf32>
      %3 = qc.add %0, %1 : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
      %4 = qc.add %3, %2 : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
      return %4 : tensor<2x4xf32>
    })mlir";
  // No activation observer: the data is never read.
  auto ops = run(src, {}, opts(CalibrationMethod::Entropy));
  ASSERT_EQ(ops.size(), 3u);
  EXPECT_EQ(*ops[0].getMin(), ArrayRef<double>({-2, -3}));
  EXPECT_EQ(*ops[0].getMax(), ArrayRef<double>({4, 2}));
  EXPECT_EQ(*ops[1].getMin(), ArrayRef<double>({-2, 0.5, -3, -1}));
  EXPECT_EQ(*ops[1].getMax(), ArrayRef<double>({1, 4, 0.25, 2}));
  EXPECT_EQ(*ops[2].getMin(), ArrayRef<double>({-3}));
  EXPECT_EQ(*ops[2].getMax(), ArrayRef<double>({4}));
  EXPECT_EQ(ops[2].getMethod(), "minmax");
  // The ranges are what getObserverQuantType() expects.
  for (ObserveOp op : ops) {
    std::string why;
    EXPECT_TRUE(succeeded(getObserverQuantType(op, why))) << why;
  }
}

TEST_F(CalibrationTest, WeightMseClipsAndLowersTheError) {
  std::mt19937 gen(3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::string values;
  std::vector<float> xs;
  for (int i = 0; i < 256; ++i) {
    float x = normal(gen);
    xs.push_back(x);
    values += (i ? ", " : "") + std::to_string(x);
  }
  std::string src = R"mlir(
    func.func @f(%x: tensor<1xf32>) -> tensor<1x256xf32> {
      %w = qc.constant dense<[[)mlir" +
                    values + R"mlir(]]> : tensor<1x256xf32>
      %0 = qc.observe %w {storage = i4, symmetric, narrow_range} : tensor<1x256xf32>
      return %0 : tensor<1x256xf32>
    })mlir";
  CalibrationOptions o = opts(CalibrationMethod::MinMax);
  o.weightMethod = CalibrationMethod::MSE;
  auto ops = run(src, {}, o);
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].getMethod(), "mse");
  // The values went through the MLIR printer/parser as decimal text: take
  // them back from the float constants for the comparison.
  float mn = *std::min_element(xs.begin(), xs.end());
  float mx = *std::max_element(xs.begin(), xs.end());
  double lo = (*ops[0].getMin())[0], hi = (*ops[0].getMax())[0];
  QuantTarget t{4, true, true, true};
  EXPECT_LT(std::max(-lo, hi), std::max(-mn, mx) * 0.95);
  EXPECT_LT(quantizationError(xs, lo, hi, t), quantizationError(xs, mn, mx, t));
}

TEST_F(CalibrationTest, RunErrorNamesTheSample) {
  module = parseSourceString<ModuleOp>(R"mlir(
    func.func @f(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
      %0 = qc.observe %x : tensor<1x2xf32>
      return %0 : tensor<1x2xf32>
    })mlir",
                                       &context);
  ASSERT_TRUE(module);
  VectorDataset data({makeTensor({1, 2}, {1, 2}), makeTensor({2}, {1, 2})});
  std::string error;
  EXPECT_TRUE(failed(calibrate(module->lookupSymbol<func::FuncOp>("f"), data,
                               opts(CalibrationMethod::MinMax), error)));
  EXPECT_NE(error.find("sample 1"), std::string::npos) << error;
  EXPECT_NE(error.find("f32[2]"), std::string::npos) << error;
}

//===----------------------------------------------------------------------===//
// Datasets
//===----------------------------------------------------------------------===//

class DatasetTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("qc-dataset", dir));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  std::string path(StringRef name) {
    SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  }
  std::string mkdir(StringRef name) {
    std::string p = path(name);
    EXPECT_FALSE(llvm::sys::fs::create_directories(p));
    return p;
  }
  void writeNpy(StringRef file, const Tensor &t) {
    std::string error;
    ASSERT_TRUE(succeeded(writeNpyFile(file, t, error))) << error;
  }
  /// A tensor whose element i is base + i.
  static Tensor iota(DType dtype, ArrayRef<int64_t> shape, double base) {
    Tensor t(dtype, shape);
    for (int64_t i = 0; i < t.numElements(); ++i)
      t.setFromDouble(i, base + i);
    return t;
  }
  FailureOr<std::unique_ptr<CalibrationDataset>>
  open(std::vector<std::string> sources, ArrayRef<std::string> names,
       ArrayRef<Type> types, std::string preprocess = "",
       size_t maxSamples = 0) {
    DatasetSpec spec;
    spec.sources = std::move(sources);
    spec.preprocess = std::move(preprocess);
    spec.maxSamples = maxSamples;
    return openCalibrationDataset(spec, names, types, error);
  }
  Type f32(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, Float32Type::get(&context));
  }

  MLIRContext context;
  SmallString<128> dir;
  std::string error;
};

TEST_F(DatasetTest, DirectoryOfNpySortedByName) {
  std::string d = mkdir("samples");
  writeNpy(path("samples/b.npy"), iota(DType::F64, {1, 2, 2}, 10)); // f64
  writeNpy(path("samples/a.npy"), iota(DType::F32, {2, 2}, 0));     // no batch
  writeNpy(path("samples/c.npy"), iota(DType::I32, {1, 2, 2}, 20)); // ints
  std::ofstream(path("samples/README.txt")) << "ignored";
  auto data = open({d}, {"x"}, {f32({1, 2, 2})});
  ASSERT_TRUE(succeeded(data)) << error;
  ASSERT_EQ((*data)->size(), 3u);
  std::vector<Tensor> in;
  for (double base : {0.0, 10.0, 20.0}) {
    FailureOr<bool> more = (*data)->next(in, error);
    ASSERT_TRUE(succeeded(more) && *more) << error;
    ASSERT_EQ(in.size(), 1u);
    EXPECT_EQ(in[0].dtype(), DType::F32);
    EXPECT_EQ(in[0].shape(), ArrayRef<int64_t>({1, 2, 2}));
    EXPECT_EQ(in[0].getAsDouble(3), base + 3);
  }
  EXPECT_EQ((*data)->describeSample(1), path("samples/b.npy"));
  FailureOr<bool> more = (*data)->next(in, error);
  ASSERT_TRUE(succeeded(more));
  EXPECT_FALSE(*more);
  (*data)->reset();
  ASSERT_TRUE(*(*data)->next(in, error));
  EXPECT_EQ(in[0].getAsDouble(0), 0.0);
}

TEST_F(DatasetTest, BigNpyIsCutIntoBatches) {
  // 7 rows of 3, batches of 2: three samples, the 7th row is dropped.
  writeNpy(path("all.npy"), iota(DType::F32, {7, 3}, 0));
  auto data = open({path("all.npy")}, {"x"}, {f32({2, 3})});
  ASSERT_TRUE(succeeded(data)) << error;
  ASSERT_EQ((*data)->size(), 3u);
  std::vector<Tensor> in;
  for (int s = 0; s < 3; ++s) {
    ASSERT_TRUE(*(*data)->next(in, error)) << error;
    EXPECT_EQ(in[0].shape(), ArrayRef<int64_t>({2, 3}));
    for (int i = 0; i < 6; ++i)
      EXPECT_EQ(in[0].getAsDouble(i), s * 6 + i);
  }
  EXPECT_FALSE(*(*data)->next(in, error));
  EXPECT_EQ((*data)->describeSample(2), path("all.npy") + " [4:6]");

  // Whole samples stacked along a new leading dimension, f64 -> f32.
  writeNpy(path("stacked.npy"), iota(DType::F64, {4, 1, 3}, 100));
  auto stacked =
      open({path("stacked.npy")}, {"x"}, {f32({1, 3})}, "", /*max=*/3);
  ASSERT_TRUE(succeeded(stacked)) << error;
  EXPECT_EQ((*stacked)->size(), 3u);
  ASSERT_TRUE(*(*stacked)->next(in, error));
  ASSERT_TRUE(*(*stacked)->next(in, error));
  EXPECT_EQ(in[0].getAsDouble(2), 105.0);
}

TEST_F(DatasetTest, NamedSourcesForTwoInputs) {
  std::string a = mkdir("a");
  for (int i = 0; i < 3; ++i)
    writeNpy(path("a/" + std::to_string(i) + ".npy"),
             iota(DType::F32, {1, 2}, i));
  writeNpy(path("b.npy"), iota(DType::I64, {3, 4}, 50));
  Type i64 = RankedTensorType::get({1, 4}, IntegerType::get(&context, 64));
  auto data = open({"ids=" + path("b.npy"), "x=" + a}, {"x", "ids"},
                   {f32({1, 2}), i64});
  ASSERT_TRUE(succeeded(data)) << error;
  std::vector<Tensor> in;
  ASSERT_TRUE(*(*data)->next(in, error));
  ASSERT_TRUE(*(*data)->next(in, error)) << error;
  ASSERT_EQ(in.size(), 2u);
  EXPECT_EQ(in[0].getAsDouble(1), 2.0);
  EXPECT_EQ(in[1].dtype(), DType::I64);
  EXPECT_EQ(in[1].getAsDouble(0), 54.0);

  // A different number of samples is an error naming both sources.
  writeNpy(path("b2.npy"), iota(DType::I64, {2, 4}, 0));
  auto bad = open({"x=" + a, "ids=" + path("b2.npy")}, {"x", "ids"},
                  {f32({1, 2}), i64});
  EXPECT_TRUE(failed(bad));
  EXPECT_NE(error.find("'x=" + a + "' yields 3"), std::string::npos) << error;
  EXPECT_NE(error.find("b2.npy' yields 2"), std::string::npos) << error;

  EXPECT_TRUE(failed(open({a}, {"x", "ids"}, {f32({1, 2}), i64})));
  EXPECT_NE(error.find("does not say which input"), std::string::npos);
  EXPECT_TRUE(failed(open({"y=" + a}, {"x", "ids"}, {f32({1, 2}), i64})));
  EXPECT_NE(error.find("no input 'y' (inputs: x, ids)"), std::string::npos)
      << error;
  EXPECT_TRUE(failed(open({"x=" + a}, {"x", "ids"}, {f32({1, 2}), i64})));
  EXPECT_NE(error.find("no calibration source for input 'ids'"),
            std::string::npos)
      << error;
  // Float data for an integer input.
  writeNpy(path("f.npy"), iota(DType::F32, {3, 4}, 0));
  EXPECT_TRUE(failed(open({"x=" + a, "ids=" + path("f.npy")}, {"x", "ids"},
                          {f32({1, 2}), i64})));
  EXPECT_NE(error.find("f.npy: f32 data cannot be converted to input 'ids' of "
                       "type i64"),
            std::string::npos)
      << error;
}

TEST_F(DatasetTest, ShapeMismatchNamesFileAndShapes) {
  std::string d = mkdir("s");
  writeNpy(path("s/0.npy"), iota(DType::F32, {1, 2}, 0));
  writeNpy(path("s/1.npy"), iota(DType::F32, {3, 5}, 0));
  auto data = open({d}, {"x"}, {f32({1, 2})});
  ASSERT_TRUE(succeeded(data)) << error;
  std::vector<Tensor> in;
  ASSERT_TRUE(*(*data)->next(in, error));
  EXPECT_TRUE(failed((*data)->next(in, error)));
  EXPECT_EQ(error,
            path("s/1.npy") + ": shape 3x5 does not match input 'x' (1x2)");

  writeNpy(path("big.npy"), iota(DType::F32, {4, 3}, 0));
  EXPECT_TRUE(failed(open({path("big.npy")}, {"x"}, {f32({1, 2})})));
  EXPECT_NE(error.find("big.npy: shape 4x3 does not match input 'x' (1x2)"),
            std::string::npos)
      << error;
  EXPECT_TRUE(failed(open({path("missing")}, {"x"}, {f32({1, 2})})));
  EXPECT_EQ(error, path("missing") + ": no such file or directory");
  std::string empty = mkdir("empty");
  EXPECT_TRUE(failed(open({empty}, {"x"}, {f32({1, 2})})));
  EXPECT_EQ(error, empty + ": no .npy files");
}

TEST_F(DatasetTest, ImagesDecodeAndPreprocess) {
  std::string d = mkdir("img");
  // 4x2 RGB: pixel (y, x) = (10 * x + 100 * y, 20, 200 - 40 * x).
  std::vector<uint8_t> rgb;
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 4; ++x)
      for (int v : {10 * x + 100 * y, 20, 200 - 40 * x})
        rgb.push_back(static_cast<uint8_t>(v));
  ASSERT_TRUE(
      stbi_write_png(path("img/0.png").c_str(), 4, 2, 3, rgb.data(), 4 * 3));
  // A flat JPEG (lossy: checked to a few levels).
  std::vector<uint8_t> flat(16 * 16 * 3);
  for (size_t i = 0; i < flat.size(); i += 3) {
    flat[i] = 51;
    flat[i + 1] = 102;
    flat[i + 2] = 204;
  }
  ASSERT_TRUE(
      stbi_write_jpg(path("img/1.jpg").c_str(), 16, 16, 3, flat.data(), 100));

  // resize 4x2 -> 2x1: each output pixel is the mean of a 2x2 block.
  auto data = open({d}, {"x"}, {f32({1, 3, 1, 2})},
                   "resize=2x1,mean=0.5,std=0.5,layout=nchw");
  ASSERT_TRUE(succeeded(data)) << error;
  std::vector<Tensor> in;
  ASSERT_TRUE(*(*data)->next(in, error)) << error;
  auto norm = [](double p) { return (p / 255.0 - 0.5) / 0.5; };
  const float *v = in[0].data<float>();
  EXPECT_NEAR(v[0], norm(55), 1e-6);  // R, x = 0: (0 + 10 + 100 + 110) / 4
  EXPECT_NEAR(v[1], norm(75), 1e-6);  // R, x = 1
  EXPECT_NEAR(v[2], norm(20), 1e-6);  // G
  EXPECT_NEAR(v[4], norm(180), 1e-6); // B, x = 0
  EXPECT_NEAR(v[5], norm(100), 1e-6); // B, x = 1
  ASSERT_TRUE(*(*data)->next(in, error)) << error;
  EXPECT_NEAR(in[0].data<float>()[0], norm(51), 3 / 127.5);
  EXPECT_NEAR(in[0].data<float>()[4], norm(204), 3 / 127.5);

  // bgr, nhwc, no resize, scale=255 keeps 0..255.
  auto bgr =
      open({d}, {"x"}, {f32({2, 4, 3})}, "layout=nhwc;color=bgr;scale=255", 1);
  ASSERT_TRUE(succeeded(bgr)) << error;
  ASSERT_TRUE(*(*bgr)->next(in, error)) << error;
  EXPECT_EQ(in[0].data<float>()[0], 200.0f); // B of (0, 0)
  EXPECT_EQ(in[0].data<float>()[2], 0.0f);   // R of (0, 0)
  EXPECT_EQ(in[0].data<float>()[(1 * 4 + 3) * 3 + 2], 130.0f);

  // gray: one channel.
  auto gray = open({d}, {"x"}, {f32({1, 1, 2, 4})}, "color=gray", 1);
  ASSERT_TRUE(succeeded(gray)) << error;
  ASSERT_TRUE(*(*gray)->next(in, error)) << error;
  EXPECT_EQ(in[0].shape(), ArrayRef<int64_t>({1, 1, 2, 4}));

  // Without resize, a size mismatch names the file and suggests resize.
  auto wrong = open({d}, {"x"}, {f32({1, 3, 8, 8})}, "layout=nchw");
  ASSERT_TRUE(succeeded(wrong)) << error;
  EXPECT_TRUE(failed((*wrong)->next(in, error)));
  EXPECT_NE(error.find("0.png: shape 1x3x2x4 does not match input 'x' "
                       "(1x3x8x8) (resize=WxH sets the image size)"),
            std::string::npos)
      << error;

  EXPECT_TRUE(failed(open({d}, {"x"}, {f32({1, 3, 1, 2})}, "crop=2")));
  EXPECT_NE(error.find("unknown key 'crop'"), std::string::npos) << error;
  EXPECT_TRUE(failed(open({d}, {"x"}, {f32({1, 3, 1, 2})}, "mean=1:2")));
  EXPECT_NE(error.find("mean has 2 values for 3 channel(s)"), std::string::npos)
      << error;

  // A corrupt image names its file.
  std::ofstream(path("img/2.png")) << "not a png";
  auto corrupt = open({d}, {"x"}, {f32({1, 3, 1, 2})}, "resize=2x1");
  ASSERT_TRUE(succeeded(corrupt)) << error;
  ASSERT_TRUE(*(*corrupt)->next(in, error));
  ASSERT_TRUE(*(*corrupt)->next(in, error));
  EXPECT_TRUE(failed((*corrupt)->next(in, error)));
  EXPECT_NE(error.find("2.png: cannot decode image"), std::string::npos)
      << error;
}

} // namespace
