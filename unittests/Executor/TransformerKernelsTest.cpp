//===- TransformerKernelsTest.cpp - embedding, RoPE, attention, KV cache --===//
//
// Part of quantc. References are written here from the op descriptions, in
// double; float results must agree within 1e-5 absolute + 1e-5 relative,
// gathers and quantized writes exactly.
//
//===----------------------------------------------------------------------===//

#include "ExecutorTestUtil.h"

#include "qc/Dialect/QC/Utils/Numerics.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::testing;

namespace {

class TransformerKernelTest : public ExecutorFixture {
protected:
  TransformerKernelTest() : ExecutorFixture(/*threads=*/3) {}
};

//===----------------------------------------------------------------------===//
// qc.embedding
//===----------------------------------------------------------------------===//

TEST_F(TransformerKernelTest, EmbeddingFloatAndQuantizedTables) {
  auto table = randomFloats(5 * 8, 1);
  std::vector<int64_t> codes;
  for (int i = 0; i < 5 * 8; ++i)
    codes.push_back((i * 37) % 256 - 128);
  std::vector<int64_t> ids = {4, 0, 2, 2, 1, 3};
  auto out =
      run(R"mlir(
    !pa = !quant.uniform<i8:f32:0, {0.1:1, 0.2, 0.05:-3, 0.3:2, 0.01}>
    !sc = !quant.uniform<i8:f32:{0:1, 1:4}, {{0.1, 0.2}, {0.3:1, 0.4}, {0.5, 0.6:-1}, {0.7, 0.8}, {0.9:2, 1.0}}>
    func.func @f(%t: tensor<5x8xf32>, %q: tensor<5x8x!pa>, %s: tensor<5x8x!sc>, %ids: tensor<2x3xi64>, %one: tensor<i32>)
        -> (tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<8xf32>) {
      %0 = qc.embedding %t, %ids : (tensor<5x8xf32>, tensor<2x3xi64>) -> tensor<2x3x8xf32>
      %1 = qc.embedding %q, %ids : (tensor<5x8x!pa>, tensor<2x3xi64>) -> tensor<2x3x8xf32>
      %2 = qc.embedding %s, %ids : (tensor<5x8x!sc>, tensor<2x3xi64>) -> tensor<2x3x8xf32>
      %3 = qc.embedding %t, %one : (tensor<5x8xf32>, tensor<i32>) -> tensor<8xf32>
      return %0, %1, %2, %3 : tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<8xf32>
    })mlir",
          {f32({5, 8}, table), intTensor(DType::I8, {5, 8}, codes),
           intTensor(DType::I8, {5, 8}, codes),
           intTensor(DType::I64, {2, 3}, ids), intTensor(DType::I32, {}, {3})});
  ASSERT_EQ(out.size(), 4u);
  const float paS[5] = {0.1f, 0.2f, 0.05f, 0.3f, 0.01f};
  const int paZ[5] = {1, 0, -3, 2, 0};
  const float scS[5][2] = {
      {0.1f, 0.2f}, {0.3f, 0.4f}, {0.5f, 0.6f}, {0.7f, 0.8f}, {0.9f, 1.0f}};
  const int scZ[5][2] = {{0, 0}, {1, 0}, {0, -1}, {0, 0}, {2, 0}};
  for (size_t i = 0; i < ids.size(); ++i)
    for (int d = 0; d < 8; ++d) {
      int64_t id = ids[i];
      int64_t e = i * 8 + d;
      int q = static_cast<int>(codes[id * 8 + d]);
      EXPECT_EQ(out[0].data<float>()[e], table[id * 8 + d]);
      EXPECT_EQ(out[1].data<float>()[e],
                numerics::dequantize(q, paS[id], paZ[id]));
      EXPECT_EQ(out[2].data<float>()[e],
                numerics::dequantize(q, scS[id][d / 4], scZ[id][d / 4]));
    }
  for (int d = 0; d < 8; ++d)
    EXPECT_EQ(out[3].data<float>()[d], table[3 * 8 + d]);
}

TEST_F(TransformerKernelTest, EmbeddingRejectsOutOfRangeIds) {
  const char *src = R"mlir(
    func.func @f(%t: tensor<5x4xf32>, %ids: tensor<2x2xi32>) -> tensor<2x2x4xf32> {
      %0 = qc.embedding %t, %ids : (tensor<5x4xf32>, tensor<2x2xi32>) -> tensor<2x2x4xf32>
      return %0 : tensor<2x2x4xf32>
    })mlir";
  std::string error;
  auto out = tryRun(src,
                    {f32({5, 4}, randomFloats(20, 2)),
                     intTensor(DType::I32, {2, 2}, {0, 1, 5, 2})},
                    error);
  EXPECT_TRUE(failed(out));
  EXPECT_NE(error.find("'qc.embedding' failed"), std::string::npos) << error;
  EXPECT_NE(error.find("id 5 at [1, 0]"), std::string::npos) << error;
  EXPECT_NE(error.find("vocabulary of 5"), std::string::npos) << error;

  error.clear();
  out = tryRun(src,
               {f32({5, 4}, randomFloats(20, 2)),
                intTensor(DType::I32, {2, 2}, {0, -1, 1, 2})},
               error);
  EXPECT_TRUE(failed(out));
  EXPECT_NE(error.find("id -1"), std::string::npos) << error;
}

//===----------------------------------------------------------------------===//
// qc.rope
//===----------------------------------------------------------------------===//

/// The op description evaluated in double.
std::vector<double> refRope(const std::vector<float> &x, int64_t b, int64_t s,
                            int64_t h, int64_t d,
                            const std::vector<int64_t> &pos, bool perBatch,
                            double base, int64_t r, bool interleaved) {
  std::vector<double> y(x.begin(), x.end());
  for (int64_t n = 0; n < b; ++n)
    for (int64_t t = 0; t < s; ++t) {
      double p = static_cast<double>(perBatch ? pos[n * s + t] : pos[t]);
      for (int64_t hh = 0; hh < h; ++hh) {
        int64_t off = ((n * s + t) * h + hh) * d;
        for (int64_t i = 0; i < r / 2; ++i) {
          double theta = p * std::pow(base, -2.0 * i / r);
          int64_t pi = interleaved ? 2 * i : i;
          int64_t qi = interleaved ? 2 * i + 1 : i + r / 2;
          double a = x[off + pi], bb = x[off + qi];
          y[off + pi] = a * std::cos(theta) - bb * std::sin(theta);
          y[off + qi] = a * std::sin(theta) + bb * std::cos(theta);
        }
      }
    }
  return y;
}

TEST_F(TransformerKernelTest, RopeBothPairConventions) {
  // [B=2, S=3, H=2, Dh=8]; rotate-half over all features with [S] positions,
  // interleaved over the first 4 features with per-batch [B, S] positions.
  auto x = randomFloats(2 * 3 * 2 * 8, 3);
  std::vector<int64_t> pos = {0, 5, 17};
  std::vector<int64_t> pos2 = {3, 4, 5, 40, 41, 42};
  auto out = run(R"mlir(
    func.func @f(%x: tensor<2x3x2x8xf32>, %p: tensor<3xi64>, %p2: tensor<2x3xi32>)
        -> (tensor<2x3x2x8xf32>, tensor<2x3x2x8xf32>) {
      %0 = qc.rope %x, %p : tensor<2x3x2x8xf32>, tensor<3xi64>
      %1 = qc.rope %x, %p2 {base = 500.0 : f64, interleaved = true, rotary_dim = 4 : i64}
          : tensor<2x3x2x8xf32>, tensor<2x3xi32>
      return %0, %1 : tensor<2x3x2x8xf32>, tensor<2x3x2x8xf32>
    })mlir",
                 {f32({2, 3, 2, 8}, x), intTensor(DType::I64, {3}, pos),
                  intTensor(DType::I32, {2, 3}, pos2)});
  ASSERT_EQ(out.size(), 2u);
  // Angles are computed in f32 (up to ~40 rad here), hence 1e-5 relative to
  // the angle: allow 2e-5.
  expectClose(out[0], refRope(x, 2, 3, 2, 8, pos, false, 10000.0, 8, false),
              2e-5);
  expectClose(out[1], refRope(x, 2, 3, 2, 8, pos2, true, 500.0, 4, true), 2e-5);
  // Features beyond rotary_dim are copied bit for bit.
  for (int64_t i = 0; i < 2 * 3 * 2; ++i)
    for (int d = 4; d < 8; ++d)
      EXPECT_EQ(out[1].data<float>()[i * 8 + d], x[i * 8 + d]);
}

//===----------------------------------------------------------------------===//
// qc.attention
//===----------------------------------------------------------------------===//

std::vector<double>
refAttention(const std::vector<float> &q, const std::vector<float> &k,
             const std::vector<float> &v, const std::vector<float> *mask,
             ArrayRef<int64_t> maskShape, int64_t b, int64_t hq, int64_t hkv,
             int64_t sq, int64_t skv, int64_t d, int64_t dv, bool causal,
             double scale) {
  std::vector<double> out;
  int64_t g = hq / hkv;
  auto maskAt = [&](int64_t bi, int64_t h, int64_t i, int64_t j) {
    int64_t idx[4] = {bi, h, i, j};
    int64_t lead = 4 - maskShape.size(), off = 0;
    for (size_t dd = 0; dd < maskShape.size(); ++dd)
      off = off * maskShape[dd] + (maskShape[dd] == 1 ? 0 : idx[lead + dd]);
    return double((*mask)[off]);
  };
  for (int64_t bi = 0; bi < b; ++bi)
    for (int64_t h = 0; h < hq; ++h)
      for (int64_t i = 0; i < sq; ++i) {
        std::vector<double> s(skv);
        double m = -INFINITY;
        for (int64_t j = 0; j < skv; ++j) {
          double dot = 0;
          for (int64_t e = 0; e < d; ++e)
            dot += double(q[((bi * hq + h) * sq + i) * d + e]) *
                   k[((bi * hkv + h / g) * skv + j) * d + e];
          s[j] = dot * scale + (mask ? maskAt(bi, h, i, j) : 0.0);
          if (causal && j > skv - sq + i)
            s[j] = -INFINITY;
          m = std::max(m, s[j]);
        }
        double sum = 0;
        for (double &x : s) {
          x = std::exp(x - m);
          sum += x;
        }
        for (int64_t e = 0; e < dv; ++e) {
          double acc = 0;
          for (int64_t j = 0; j < skv; ++j)
            acc += s[j] / sum * v[((bi * hkv + h / g) * skv + j) * dv + e];
          out.push_back(acc);
        }
      }
  return out;
}

TEST_F(TransformerKernelTest, AttentionCausalKVPrefixGQAWithMask) {
  // Hq = 4 query heads over Hkv = 2 KV heads; 3 new queries after a 4-key
  // prefix (Skv = 7); a [B, 1, Sq, Skv] mask broadcast over heads.
  const int64_t b = 2, hq = 4, hkv = 2, sq = 3, skv = 7, d = 8, dv = 5;
  auto q = randomFloats(b * hq * sq * d, 4),
       k = randomFloats(b * hkv * skv * d, 5),
       v = randomFloats(b * hkv * skv * dv, 6),
       m = randomFloats(b * 1 * sq * skv, 7, -2.0f, 0.0f);
  auto out = run(R"mlir(
    func.func @f(%q: tensor<2x4x3x8xf32>, %k: tensor<2x2x7x8xf32>, %v: tensor<2x2x7x5xf32>, %m: tensor<2x1x3x7xf32>)
        -> (tensor<2x4x3x5xf32>, tensor<2x4x3x5xf32>) {
      %0 = qc.attention %q, %k, %v {causal = true}
          : (tensor<2x4x3x8xf32>, tensor<2x2x7x8xf32>, tensor<2x2x7x5xf32>) -> tensor<2x4x3x5xf32>
      %1 = qc.attention %q, %k, %v, %m {causal = true, scale = 0.5 : f64}
          : (tensor<2x4x3x8xf32>, tensor<2x2x7x8xf32>, tensor<2x2x7x5xf32>, tensor<2x1x3x7xf32>) -> tensor<2x4x3x5xf32>
      return %0, %1 : tensor<2x4x3x5xf32>, tensor<2x4x3x5xf32>
    })mlir",
                 {f32({b, hq, sq, d}, q), f32({b, hkv, skv, d}, k),
                  f32({b, hkv, skv, dv}, v), f32({b, 1, sq, skv}, m)});
  ASSERT_EQ(out.size(), 2u);
  expectClose(out[0], refAttention(q, k, v, nullptr, {}, b, hq, hkv, sq, skv, d,
                                   dv, true, 1.0 / std::sqrt(8.0)));
  expectClose(out[1], refAttention(q, k, v, &m, {b, 1, sq, skv}, b, hq, hkv, sq,
                                   skv, d, dv, true, 0.5));
}

TEST_F(TransformerKernelTest, AttentionFullyMaskedRowIsNaN) {
  // A rank-2 mask [Sq, Skv] masking every key of query row 1.
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> m = {0.0f, -1.0f, 0.5f, -inf, -inf, -inf};
  auto q = randomFloats(2 * 4, 8), k = randomFloats(3 * 4, 9),
       v = randomFloats(3 * 4, 10);
  auto out = run(R"mlir(
    func.func @f(%q: tensor<1x1x2x4xf32>, %k: tensor<1x1x3x4xf32>, %v: tensor<1x1x3x4xf32>, %m: tensor<2x3xf32>)
        -> tensor<1x1x2x4xf32> {
      %0 = qc.attention %q, %k, %v, %m
          : (tensor<1x1x2x4xf32>, tensor<1x1x3x4xf32>, tensor<1x1x3x4xf32>, tensor<2x3xf32>) -> tensor<1x1x2x4xf32>
      return %0 : tensor<1x1x2x4xf32>
    })mlir",
                 {f32({1, 1, 2, 4}, q), f32({1, 1, 3, 4}, k),
                  f32({1, 1, 3, 4}, v), f32({2, 3}, m)});
  ASSERT_EQ(out.size(), 1u);
  auto want =
      refAttention(q, k, v, &m, {2, 3}, 1, 1, 1, 2, 3, 4, 4, false, 0.5);
  for (int e = 0; e < 4; ++e) {
    EXPECT_NEAR(out[0].data<float>()[e], want[e], 1e-5);
    EXPECT_TRUE(std::isnan(out[0].data<float>()[4 + e]));
  }
}

//===----------------------------------------------------------------------===//
// qc.kv_cache_write
//===----------------------------------------------------------------------===//

TEST_F(TransformerKernelTest, KVCacheWriteFloatAndQuantized) {
  // cache [1, 2, 6, 3], two new rows at position 3.
  auto cache = randomFloats(1 * 2 * 6 * 3, 11),
       upd = randomFloats(1 * 2 * 2 * 3, 12);
  upd[0] = 100.0f; // saturates in the int8 cache
  std::vector<int64_t> qcache;
  for (int i = 0; i < 36; ++i)
    qcache.push_back(i - 18);
  auto out =
      run(R"mlir(
    !q = !quant.uniform<i8:f32, 0.05:-2>
    func.func @f(%c: tensor<1x2x6x3xf32>, %qc: tensor<1x2x6x3x!q>, %u: tensor<1x2x2x3xf32>, %p: tensor<i64>)
        -> (tensor<1x2x6x3xf32>, tensor<1x2x6x3x!q>) {
      %0 = qc.kv_cache_write %c, %u, %p : tensor<1x2x6x3xf32>, tensor<1x2x2x3xf32>, tensor<i64>
      %1 = qc.kv_cache_write %qc, %u, %p : tensor<1x2x6x3x!q>, tensor<1x2x2x3xf32>, tensor<i64>
      return %0, %1 : tensor<1x2x6x3xf32>, tensor<1x2x6x3x!q>
    })mlir",
          {f32({1, 2, 6, 3}, cache), intTensor(DType::I8, {1, 2, 6, 3}, qcache),
           f32({1, 2, 2, 3}, upd), intTensor(DType::I64, {}, {3})});
  ASSERT_EQ(out.size(), 2u);
  for (int h = 0; h < 2; ++h)
    for (int s = 0; s < 6; ++s)
      for (int e = 0; e < 3; ++e) {
        int i = (h * 6 + s) * 3 + e;
        bool fresh = s >= 3 && s < 5;
        int u = (h * 2 + (s - 3)) * 3 + e;
        EXPECT_EQ(out[0].data<float>()[i], fresh ? upd[u] : cache[i]) << i;
        int64_t want = fresh ? numerics::quantize(upd[u], 0.05f, -2, -128, 127)
                             : qcache[i];
        EXPECT_EQ(out[1].data<int8_t>()[i], want) << i;
      }
  EXPECT_EQ(out[1].data<int8_t>()[3 * 3], 127);
}

TEST_F(TransformerKernelTest, KVCacheWriteRejectsBadPositions) {
  const char *src = R"mlir(
    func.func @f(%c: tensor<1x1x4x2xf32>, %u: tensor<1x1x2x2xf32>, %p: tensor<i64>) -> tensor<1x1x4x2xf32> {
      %0 = qc.kv_cache_write %c, %u, %p : tensor<1x1x4x2xf32>, tensor<1x1x2x2xf32>, tensor<i64>
      return %0 : tensor<1x1x4x2xf32>
    })mlir";
  for (int64_t p : {3, -1}) {
    std::string error;
    auto out = tryRun(src,
                      {f32({1, 1, 4, 2}, randomFloats(8, 13)),
                       f32({1, 1, 2, 2}, randomFloats(4, 14)),
                       intTensor(DType::I64, {}, {p})},
                      error);
    EXPECT_TRUE(failed(out));
    EXPECT_NE(error.find("'qc.kv_cache_write' failed: position " +
                         std::to_string(p) +
                         " with 2 new row(s) is out of "
                         "range for a cache of 4 rows"),
              std::string::npos)
        << error;
  }
  // The last valid position succeeds.
  std::string error;
  auto out = tryRun(src,
                    {f32({1, 1, 4, 2}, randomFloats(8, 13)),
                     f32({1, 1, 2, 2}, randomFloats(4, 14)),
                     intTensor(DType::I64, {}, {2})},
                    error);
  EXPECT_TRUE(succeeded(out)) << error;
}

} // namespace
