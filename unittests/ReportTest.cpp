//===- ReportTest.cpp - the quantization report ---------------------------===//
//
// Part of quantc. Builds small calibrated models, writes their reports and
// checks the numbers against values computed here from the formulas (not
// with the report's own helpers).
//
//===----------------------------------------------------------------------===//

#include "qc/Quant/Report.h"
#include "Executor/ExecutorTestUtil.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::testing;

namespace {

/// Samples held in memory.
class VectorDataset : public CalibrationDataset {
public:
  explicit VectorDataset(std::vector<std::vector<Tensor>> samples)
      : samples(std::move(samples)) {}
  size_t size() const override { return samples.size(); }
  void reset() override {
    pos = 0;
    ++resets;
  }
  FailureOr<bool> next(std::vector<Tensor> &inputs, std::string &) override {
    if (pos >= samples.size())
      return false;
    inputs = samples[pos++];
    return true;
  }
  std::vector<std::vector<Tensor>> samples;
  size_t pos = 0;
  int resets = 0;
};

std::string denseLiteral(const std::vector<float> &v, int64_t rows,
                         int64_t cols) {
  std::string s = "dense<[";
  for (int64_t r = 0; r < rows; ++r) {
    s += r ? ", [" : "[";
    for (int64_t c = 0; c < cols; ++c) {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.9g", v[r * cols + c]);
      s += (c ? ", " : "") + std::string(buf);
    }
    s += "]";
  }
  return s + "]>";
}

std::string readFile(const std::string &path) {
  auto buf = llvm::MemoryBuffer::getFile(path);
  return buf ? (*buf)->getBuffer().str() : std::string();
}

size_t countOf(const std::string &hay, const std::string &needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos;
       p = hay.find(needle, p + needle.size()))
    ++n;
  return n;
}

const llvm::json::Object *findByName(const llvm::json::Object &root,
                                     StringRef list, StringRef name) {
  const llvm::json::Array *a = root.getArray(list);
  if (!a)
    return nullptr;
  for (const llvm::json::Value &v : *a)
    if (const llvm::json::Object *o = v.getAsObject())
      if (o->getString("name") == name)
        return o;
  return nullptr;
}

/// The second-layer weight: row 0 is calibrated to [-0.5, 0.5] although it
/// holds 0.9 and -0.7, so two of its twelve values are clipped.
const std::vector<float> kW2 = {0.9f,   -0.3f, 0.25f, -0.7f, 0.1f,  0.2f,
                                -0.95f, 0.6f,  -0.4f, 0.33f, 0.77f, -0.12f};
const double kW2Range[3] = {0.5, 1.0, 1.0};

class ReportTest : public ExecutorFixture {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("qc-report-test", dir));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  std::string path(StringRef file) {
    SmallString<128> p(dir);
    llvm::sys::path::append(p, file);
    return std::string(p);
  }

  /// x[2x64] -> linear(fc1.w: 4x64, i4 asymmetric groups of 32) -> h[2x4]
  /// -> linear(fc2.w: 3x4, i8 symmetric narrow per channel, bias) -> y[2x3].
  std::string model() {
    w1 = randomFloats(4 * 64, 7);
    std::string mins, maxs;
    for (int r = 0; r < 4; ++r)
      for (int b = 0; b < 2; ++b) {
        auto first = w1.begin() + r * 64 + b * 32;
        auto [lo, hi] = std::minmax_element(first, first + 32);
        mins += (mins.empty() ? "" : ", ") + std::to_string(*lo);
        maxs += (maxs.empty() ? "" : ", ") + std::to_string(*hi);
      }
    return R"(
func.func @net(%x: tensor<2x64xf32>) -> tensor<2x3xf32> {
  %w1 = qc.constant )" +
           denseLiteral(w1, 4, 64) + R"( : tensor<4x64xf32>
  %w2 = qc.constant )" +
           denseLiteral(kW2, 3, 4) + R"( : tensor<3x4xf32>
  %b2 = qc.constant dense<[0.1, -0.2, 0.3]> : tensor<3xf32>
  %xo = qc.observe %x {name = "in<&>", min = array<f64: -1.0>, max = array<f64: 1.0>, method = "minmax", storage = i8} : tensor<2x64xf32>
  %w1o = qc.observe %w1 {name = "fc1.w", axis = 0 : i64, block_axis = 1 : i64, block_size = 32 : i64, storage = i4, min = array<f64: )" +
           mins + R"(>, max = array<f64: )" + maxs + R"(>} : tensor<4x64xf32>
  %h = qc.linear %xo, %w1o : (tensor<2x64xf32>, tensor<4x64xf32>) -> tensor<2x4xf32>
  %ho = qc.observe %h {name = "fc1.out", min = array<f64: -3.0>, max = array<f64: 3.0>, storage = i8} : tensor<2x4xf32>
  %w2o = qc.observe %w2 {name = "fc2.w", axis = 0 : i64, symmetric, narrow_range, storage = i8, min = array<f64: -0.5, -1.0, -1.0>, max = array<f64: 0.5, 1.0, 1.0>} : tensor<3x4xf32>
  %y = qc.linear %ho, %w2o, %b2 : (tensor<2x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
)";
  }

  /// Three samples in [-1.5, 1.5): about a third of each is outside the
  /// input observer's range.
  VectorDataset dataset() {
    std::vector<std::vector<Tensor>> samples;
    for (unsigned s = 0; s < 3; ++s)
      samples.push_back(
          {f32({2, 64}, randomFloats(128, 100 + s, -1.5f, 1.5f))});
    return VectorDataset(std::move(samples));
  }

  SmallString<128> dir;
  std::vector<float> w1;
};

TEST_F(ReportTest, JsonNumbersMatchIndependentComputation) {
  func::FuncOp func = parse(model());
  ASSERT_TRUE(func) << diagnostics;
  VectorDataset data = dataset();
  ReportOptions options;
  options.path = path("report.json");
  options.maxSamples = 2;
  options.title = "tiny";
  options.settings = {{"scheme", "w8a8"}};
  options.numThreads = 1;
  std::string error;
  ASSERT_TRUE(succeeded(writeQuantReport(func, data, options, error)))
      << error << diagnostics;

  llvm::Expected<llvm::json::Value> parsed =
      llvm::json::parse(readFile(options.path));
  ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
  const llvm::json::Object &root = *parsed->getAsObject();
  EXPECT_EQ(root.getString("schema"), "quantc-quant-report");
  EXPECT_EQ(root.getInteger("version"), 1);
  EXPECT_EQ(root.getString("title"), "tiny");
  EXPECT_EQ(root.getInteger("samples"), 2);

  // fc2.w: symmetric narrow i8 per row, scale = a / 127 in float.
  double sx = 0, se = 0;
  int clipped = 0;
  for (int r = 0; r < 3; ++r) {
    float s = static_cast<float>(kW2Range[r] / 127.0);
    for (int c = 0; c < 4; ++c) {
      float x = kW2[r * 4 + c];
      double q = std::clamp<double>(std::nearbyint(x / s), -127, 127);
      float y = static_cast<float>(q) * s;
      sx += double(x) * x;
      se += (double(x) - y) * (double(x) - y);
      if (x < -127.0f * s || x > 127.0f * s)
        ++clipped;
    }
  }
  EXPECT_EQ(clipped, 2);
  const llvm::json::Object *w2 = findByName(root, "weights", "fc2.w");
  ASSERT_TRUE(w2);
  EXPECT_NEAR(*w2->getNumber("sqnr_db"), 10 * std::log10(sx / se), 1e-9);
  EXPECT_NEAR(*w2->getNumber("mse"), se / 12, 1e-12);
  EXPECT_NEAR(*w2->getNumber("clipped_fraction"), 2.0 / 12, 1e-12);
  // 12 x 8 bits + 3 scales x 32 bits, no zero points: 16 bits per weight.
  EXPECT_EQ(w2->getInteger("bits"), 12 * 8 + 3 * 32);
  EXPECT_DOUBLE_EQ(*w2->getNumber("bits_per_weight"), 16.0);
  EXPECT_EQ(w2->getString("granularity"), "per-axis");
  EXPECT_TRUE(w2->getString("quant_type")
                  ->starts_with("!quant.uniform<i8<-127:127>:f32:0, {"));
  EXPECT_NEAR(*w2->getNumber("data_max"), 0.9, 1e-6);

  // fc1.w: i4 asymmetric, 4 rows x 2 groups: 4 bits + (32 + 4) / 32.
  const llvm::json::Object *w1o = findByName(root, "weights", "fc1.w");
  ASSERT_TRUE(w1o);
  EXPECT_EQ(w1o->getInteger("ranges"), 8);
  EXPECT_EQ(w1o->getInteger("bits"), 256 * 4 + 8 * 32 + 8 * 4);
  EXPECT_DOUBLE_EQ(*w1o->getNumber("bits_per_weight"), 5.125);
  EXPECT_EQ(w1o->getString("granularity"), "per-block");
  ASSERT_TRUE(w1o->getNumber("sqnr_db"));
  EXPECT_GT(*w1o->getNumber("sqnr_db"), 10.0);

  // in<&>: asymmetric i8 on [-1, 1] over the first two samples only.
  float s = static_cast<float>(2.0 / 255.0);
  double zp =
      std::clamp(std::nearbyint(-128.0 - (-1.0) / double(s)), -128.0, 127.0);
  double lo = float(-128 - zp) * s, hi = float(127 - zp) * s;
  double ax = 0, ae = 0, dmin = 1e9, dmax = -1e9;
  int aclipped = 0;
  for (unsigned k = 0; k < 2; ++k)
    for (float x : randomFloats(128, 100 + k, -1.5f, 1.5f)) {
      double q = std::clamp<double>(std::nearbyint(x / s) + zp, -128, 127);
      float y = static_cast<float>(q - zp) * s;
      ax += double(x) * x;
      ae += (double(x) - y) * (double(x) - y);
      aclipped += x < lo || x > hi;
      dmin = std::min<double>(dmin, x);
      dmax = std::max<double>(dmax, x);
    }
  const llvm::json::Object *in = findByName(root, "activations", "in<&>");
  ASSERT_TRUE(in);
  EXPECT_EQ(in->getInteger("elements"), 256);
  EXPECT_EQ(in->getInteger("tensors"), 2);
  EXPECT_NEAR(*in->getNumber("clipped_fraction"), aclipped / 256.0, 1e-12);
  EXPECT_GT(aclipped, 40);
  EXPECT_NEAR(*in->getNumber("sqnr_db"), 10 * std::log10(ax / ae), 1e-9);
  EXPECT_NEAR(*in->getNumber("mse"), ae / 256, 1e-12);
  EXPECT_NEAR(*in->getNumber("clip_min"), lo, 1e-12);
  EXPECT_NEAR(*in->getNumber("clip_max"), hi, 1e-12);
  EXPECT_DOUBLE_EQ(*in->getNumber("data_min"), dmin);
  EXPECT_DOUBLE_EQ(*in->getNumber("data_max"), dmax);
  const llvm::json::Object *hist = in->getObject("histogram");
  ASSERT_TRUE(hist);
  EXPECT_DOUBLE_EQ(*hist->getNumber("min"), std::min(dmin, lo));
  EXPECT_DOUBLE_EQ(*hist->getNumber("max"), std::max(dmax, hi));
  int64_t total = 0;
  for (const llvm::json::Value &c : *hist->getArray("counts"))
    total += *c.getAsInteger();
  EXPECT_EQ(total, 256);

  // Model size: 256 + 12 observed weights and a float bias of 3.
  const llvm::json::Object *m = root.getObject("model");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->getInteger("parameters"), 256 + 12 + 3);
  EXPECT_EQ(m->getInteger("quantized_parameters"), 256 + 12);
  EXPECT_EQ(m->getInteger("float_bytes"), (256 + 12 + 3) * 4);
  int64_t qbits = 1312 + 192 + 3 * 32;
  EXPECT_EQ(m->getInteger("quantized_bits"), qbits);
  EXPECT_DOUBLE_EQ(*m->getNumber("bits_per_weight"), double(qbits) / 271);

  // End to end: one [2, 3] output over two samples, with top-1 agreement.
  const llvm::json::Object *e2e = root.getObject("end_to_end");
  ASSERT_TRUE(e2e);
  EXPECT_EQ(e2e->getInteger("samples"), 2);
  EXPECT_EQ(e2e->getInteger("dynamic_observers_not_applied"), 0);
  const llvm::json::Object &out =
      *e2e->getArray("outputs")->front().getAsObject();
  EXPECT_EQ(out.getInteger("elements"), 12);
  std::optional<double> top1 = out.getNumber("top1_agreement");
  ASSERT_TRUE(top1);
  EXPECT_GE(*top1, 0.0);
  EXPECT_LE(*top1, 1.0);
  EXPECT_TRUE(out.getNumber("sqnr_db"));
  EXPECT_EQ(root.getObject("overall")->getNumber("top1_agreement"), top1);
  // Two passes over the data, each from its start.
  EXPECT_EQ(data.resets, 2);
}

TEST_F(ReportTest, HtmlHasPlotsClipLinesAndEscapedNames) {
  func::FuncOp func = parse(model());
  ASSERT_TRUE(func) << diagnostics;
  VectorDataset data = dataset();
  ReportOptions options;
  options.path = path("report.html");
  options.title = "a <b> & \"c\"";
  options.numThreads = 1;
  std::string error;
  ASSERT_TRUE(succeeded(writeQuantReport(func, data, options, error))) << error;
  std::string html = readFile(options.path);
  // One histogram per activation observer, plus the SQNR bar chart.
  EXPECT_EQ(countOf(html, "<figure><svg"), 2u);
  EXPECT_EQ(countOf(html, "<svg"), 3u);
  // Both ends of both clip ranges are drawn.
  EXPECT_EQ(countOf(html, "<line class=\"clip\""), 4u);
  float s = static_cast<float>(6.0 / 255.0); // fc1.out: [-3, 3]
  double zp = std::nearbyint(-128.0 - (-3.0) / double(s));
  char want[64];
  std::snprintf(want, sizeof(want), "data-value=\"%.9g\"",
                double(float(127 - zp) * s));
  EXPECT_NE(html.find(want), std::string::npos) << want;
  // Names and the title are escaped; nothing is fetched from the network.
  EXPECT_NE(html.find("in&lt;&amp;&gt;"), std::string::npos);
  EXPECT_EQ(html.find("in<&>"), std::string::npos);
  EXPECT_NE(html.find("a &lt;b&gt; &amp; &quot;c&quot;"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://www.w3.org/2000/svg"),
            html.find("http")); // the only URL is the SVG namespace
  EXPECT_EQ(countOf(html, "http"), countOf(html, "http://www.w3.org/2000/svg"));

  // Deterministic: the same inputs give the same bytes.
  options.path = path("again.html");
  ASSERT_TRUE(succeeded(writeQuantReport(func, data, options, error)));
  EXPECT_EQ(readFile(options.path), html);
}

TEST_F(ReportTest, UncalibratedObserverIsAnErrorAndWritesNothing) {
  func::FuncOp func = parse(R"(
func.func @f(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %0 = qc.observe %x {name = "act.uncal"} : tensor<2x4xf32>
  %1 = qc.relu %0 : tensor<2x4xf32>
  return %1 : tensor<2x4xf32>
}
)");
  ASSERT_TRUE(func) << diagnostics;
  VectorDataset data({{iota({2, 4})}});
  for (const char *file : {"r.json", "r.html"}) {
    ReportOptions options;
    options.path = path(file);
    std::string error;
    EXPECT_TRUE(failed(writeQuantReport(func, data, options, error)));
    EXPECT_NE(error.find("act.uncal"), std::string::npos) << error;
    EXPECT_NE(error.find("calibrated"), std::string::npos) << error;
    EXPECT_FALSE(llvm::sys::fs::exists(options.path));
  }
  std::error_code ec;
  llvm::sys::fs::directory_iterator it(dir, ec), end;
  EXPECT_FALSE(ec);
  EXPECT_TRUE(it == end) << "left behind: " << it->path();
}

/// Fails on its second sample, as a dataset with an unreadable file does.
class FailingDataset : public VectorDataset {
public:
  using VectorDataset::VectorDataset;
  FailureOr<bool> next(std::vector<Tensor> &inputs,
                       std::string &error) override {
    if (pos == 1) {
      error = "cannot read 'calib/0001.npy'";
      return failure();
    }
    return VectorDataset::next(inputs, error);
  }
};

TEST_F(ReportTest, DataErrorIsReportedAndWritesNothing) {
  func::FuncOp func = parse(model());
  ASSERT_TRUE(func) << diagnostics;
  FailingDataset data(dataset().samples);
  ReportOptions options;
  options.path = path("r.html");
  options.maxSamples = 0; // all samples: reaches the bad one
  std::string error;
  EXPECT_TRUE(failed(writeQuantReport(func, data, options, error)));
  EXPECT_NE(error.find("calib/0001.npy"), std::string::npos) << error;
  EXPECT_FALSE(llvm::sys::fs::exists(options.path));
}

TEST_F(ReportTest, AllSamplesWhenMaxSamplesIsZero) {
  func::FuncOp func = parse(model());
  ASSERT_TRUE(func) << diagnostics;
  VectorDataset data = dataset();
  ReportOptions options;
  options.path = path("all.JSON"); // the extension is matched in any case
  options.maxSamples = 0;
  std::string error;
  ASSERT_TRUE(succeeded(writeQuantReport(func, data, options, error))) << error;
  auto parsed = llvm::json::parse(readFile(options.path));
  ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
  EXPECT_EQ(parsed->getAsObject()->getInteger("samples"), 3);
}

TEST_F(ReportTest, EmptyDatasetStillReportsWeights) {
  func::FuncOp func = parse(model());
  ASSERT_TRUE(func) << diagnostics;
  VectorDataset data({});
  for (const char *file : {"empty.json", "empty.html"}) {
    ReportOptions options;
    options.path = path(file);
    std::string error;
    ASSERT_TRUE(succeeded(writeQuantReport(func, data, options, error)))
        << error;
  }
  auto parsed = llvm::json::parse(readFile(path("empty.json")));
  ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
  const llvm::json::Object &root = *parsed->getAsObject();
  EXPECT_EQ(root.getInteger("samples"), 0);
  const llvm::json::Object *in = findByName(root, "activations", "in<&>");
  ASSERT_TRUE(in);
  EXPECT_EQ(in->get("histogram")->kind(), llvm::json::Value::Null);
  EXPECT_EQ(in->get("sqnr_db")->kind(), llvm::json::Value::Null);
  EXPECT_TRUE(findByName(root, "weights", "fc2.w")->getNumber("sqnr_db"));
  EXPECT_NE(readFile(path("empty.html")).find("No samples."),
            std::string::npos);
}

TEST_F(ReportTest, UnwritablePathFailsCleanly) {
  func::FuncOp func = parse(model());
  ASSERT_TRUE(func) << diagnostics;
  VectorDataset data = dataset();
  ReportOptions options;
  options.path = path("no/such/dir/report.json");
  std::string error;
  EXPECT_TRUE(failed(writeQuantReport(func, data, options, error)));
  EXPECT_NE(error.find("no/such/dir/report.json"), std::string::npos) << error;
}

TEST_F(ReportTest, DynamicObserverMeasuredPerRowAndLeftFloatEndToEnd) {
  func::FuncOp func = parse(R"(
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %0 = qc.observe %x {name = "dyn", axis = 0 : i64, dynamic, symmetric, storage = i8} : tensor<2x8xf32>
  %1 = qc.relu %0 : tensor<2x8xf32>
  return %1 : tensor<2x8xf32>
}
)");
  ASSERT_TRUE(func) << diagnostics;
  std::vector<float> xs = randomFloats(16, 3, -2.0f, 2.0f);
  VectorDataset data({{f32({2, 8}, xs)}});
  ReportOptions options;
  options.path = path("dyn.json");
  std::string error;
  ASSERT_TRUE(succeeded(writeQuantReport(func, data, options, error))) << error;
  auto parsed = llvm::json::parse(readFile(options.path));
  ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
  const llvm::json::Object &root = *parsed->getAsObject();
  const llvm::json::Object *dyn = findByName(root, "activations", "dyn");
  ASSERT_TRUE(dyn);
  EXPECT_EQ(dyn->getBoolean("dynamic"), true);
  EXPECT_EQ(dyn->getNumber("clipped_fraction"), 0.0);
  EXPECT_EQ(dyn->get("clip_min")->kind(), llvm::json::Value::Null);

  // Symmetric i8 (not narrow: [-128, 127]) per row, scale = max|x| / 127.5.
  double sx = 0, se = 0;
  for (int r = 0; r < 2; ++r) {
    double a = 0;
    for (int c = 0; c < 8; ++c)
      a = std::max(a, std::fabs(double(xs[r * 8 + c])));
    float s = static_cast<float>(a / 127.5);
    for (int c = 0; c < 8; ++c) {
      float x = xs[r * 8 + c];
      double q = std::clamp<double>(std::nearbyint(x / s), -128, 127);
      float y = static_cast<float>(q) * s;
      sx += double(x) * x;
      se += (double(x) - y) * (double(x) - y);
    }
  }
  EXPECT_NEAR(*dyn->getNumber("sqnr_db"), 10 * std::log10(sx / se), 1e-9);
  const llvm::json::Object *e2e = root.getObject("end_to_end");
  EXPECT_EQ(e2e->getInteger("dynamic_observers_not_applied"), 1);
  // Nothing is quantized end to end: no error, so no finite SQNR.
  const llvm::json::Object &out =
      *e2e->getArray("outputs")->front().getAsObject();
  EXPECT_EQ(out.getNumber("mse"), 0.0);
  EXPECT_EQ(out.get("sqnr_db")->kind(), llvm::json::Value::Null);
  // Not [batch, classes] with float... it is rank 2: agreement is defined.
  EXPECT_TRUE(out.getNumber("top1_agreement"));
}

} // namespace
