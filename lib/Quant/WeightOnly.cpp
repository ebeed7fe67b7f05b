//===- WeightOnly.cpp - GPTQ, AWQ and imatrix on weight matrices ----------===//
//
// Part of quantc. The matrix algorithms of quant-compile --weight-algo (see
// include/qc/Quant/WeightOnly.h). Every scale and zero point is one that
// numerics::chooseQuantParams gives for some range, and every code is
// numerics::quantize's, so that the result is what a `!quant.uniform` type
// and the executor represent.
//
//===----------------------------------------------------------------------===//

#include "qc/Quant/WeightOnly.h"

#include "qc/Dialect/QC/Utils/Numerics.h"

#include "llvm/ADT/StringExtras.h"

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <numeric>

using namespace mlir;
using namespace mlir::qc;

using MatD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

std::optional<WeightAlgorithm> qc::parseWeightAlgorithm(StringRef name) {
  std::string n = name.lower();
  if (n == "rtn")
    return WeightAlgorithm::RTN;
  if (n == "gptq")
    return WeightAlgorithm::GPTQ;
  if (n == "awq")
    return WeightAlgorithm::AWQ;
  if (n == "imatrix")
    return WeightAlgorithm::IMatrix;
  return std::nullopt;
}

StringRef qc::getWeightAlgorithmName(WeightAlgorithm algorithm) {
  switch (algorithm) {
  case WeightAlgorithm::RTN:
    return "rtn";
  case WeightAlgorithm::GPTQ:
    return "gptq";
  case WeightAlgorithm::AWQ:
    return "awq";
  case WeightAlgorithm::IMatrix:
    return "imatrix";
  }
  return "rtn";
}

//===----------------------------------------------------------------------===//
// Grids, parameters and errors
//===----------------------------------------------------------------------===//

std::string WeightGrid::validate() const {
  if (rows <= 0 || cols <= 0)
    return "empty weight [" + std::to_string(rows) + ", " +
           std::to_string(cols) + "]";
  if (rowsPerRange <= 0 || rows % rowsPerRange)
    return "ranges of " + std::to_string(rowsPerRange) +
           " rows do not tile " + std::to_string(rows) + " rows";
  if (colsPerRange <= 0 || cols % colsPerRange)
    return "ranges of " + std::to_string(colsPerRange) +
           " columns do not tile " + std::to_string(cols) + " columns";
  if (qmin >= qmax)
    return "empty storage range";
  return "";
}

WeightGrid qc::makeWeightGrid(int64_t rows, int64_t cols, unsigned bits,
                              bool symmetric, int64_t group) {
  WeightGrid g;
  g.rows = rows;
  g.cols = cols;
  g.rowsPerRange = group < 0 ? rows : 1;
  g.colsPerRange = group <= 0 ? cols : group;
  numerics::QRange r = numerics::getStorageRange(bits, true, symmetric);
  g.qmin = r.qmin;
  g.qmax = r.qmax;
  g.symmetric = symmetric;
  return g;
}

namespace {
/// The rectangle of range r: rows [row0, row0 + grid.rowsPerRange) and
/// columns [col0, col0 + grid.colsPerRange).
struct Box {
  int64_t row0, col0;
};
} // namespace

static Box boxOf(const WeightGrid &g, int64_t r) {
  int64_t per = g.rangesPerRow();
  return {(r / per) * g.rowsPerRange, (r % per) * g.colsPerRange};
}

static numerics::QuantParams paramsOf(double lo, double hi,
                                      const WeightGrid &g) {
  return numerics::chooseQuantParams(lo, hi, g.qmin, g.qmax, g.symmetric);
}

LogicalResult qc::rangeForParams(float scale, int32_t zeroPoint,
                                 const WeightGrid &g, double &lo, double &hi) {
  if (!(scale > 0) || !std::isfinite(scale) || zeroPoint < g.qmin ||
      zeroPoint > g.qmax)
    return failure();
  double levels = double(g.qmax) - double(g.qmin);
  if (g.symmetric) {
    hi = double(scale) * (levels / 2.0);
    lo = -hi;
  } else {
    lo = (double(g.qmin) - zeroPoint) * double(scale);
    hi = (double(g.qmax) - zeroPoint) * double(scale);
  }
  numerics::QuantParams p = paramsOf(lo, hi, g);
  return success(p.ok() && p.scale == scale && p.zeroPoint == zeroPoint);
}

std::vector<float> QuantizedWeights::dequantized(const WeightGrid &g) const {
  std::vector<float> out(codes.size());
  for (int64_t n = 0; n < g.rows; ++n)
    for (int64_t k = 0; k < g.cols; ++k) {
      int64_t r = g.rangeOf(n, k);
      out[n * g.cols + k] =
          numerics::dequantize(codes[n * g.cols + k], scales[r], zeroPoints[r]);
    }
  return out;
}

static void resize(QuantizedWeights &q, const WeightGrid &g) {
  q.codes.assign(g.rows * g.cols, 0);
  int64_t n = g.numRanges();
  q.scales.assign(n, 1.0f);
  q.zeroPoints.assign(n, 0);
  q.rangeMin.assign(n, 0.0);
  q.rangeMax.assign(n, 0.0);
}

/// Sets range r's parameters to those of [lo, hi].
static void setRange(QuantizedWeights &q, const WeightGrid &g, int64_t r,
                     double lo, double hi) {
  numerics::QuantParams p = paramsOf(lo, hi, g);
  q.scales[r] = p.scale;
  q.zeroPoints[r] = p.zeroPoint;
  q.rangeMin[r] = lo;
  q.rangeMax[r] = hi;
}

/// Min and max of range r's weights.
static std::pair<double, double> minMaxOf(ArrayRef<float> w,
                                          const WeightGrid &g, int64_t r) {
  Box b = boxOf(g, r);
  double lo = INFINITY, hi = -INFINITY;
  for (int64_t n = b.row0; n < b.row0 + g.rowsPerRange; ++n)
    for (int64_t k = b.col0; k < b.col0 + g.colsPerRange; ++k) {
      double v = w[n * g.cols + k];
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  return {lo, hi};
}

/// Codes of range r under its current parameters.
static void roundRange(ArrayRef<float> w, const WeightGrid &g, int64_t r,
                       QuantizedWeights &q) {
  Box b = boxOf(g, r);
  for (int64_t n = b.row0; n < b.row0 + g.rowsPerRange; ++n)
    for (int64_t k = b.col0; k < b.col0 + g.colsPerRange; ++k)
      q.codes[n * g.cols + k] =
          numerics::quantize(w[n * g.cols + k], q.scales[r], q.zeroPoints[r],
                             g.qmin, g.qmax);
}

QuantizedWeights qc::quantizeRTN(ArrayRef<float> w, const WeightGrid &g) {
  QuantizedWeights q;
  resize(q, g);
  for (int64_t r = 0, e = g.numRanges(); r < e; ++r) {
    auto [lo, hi] = minMaxOf(w, g, r);
    setRange(q, g, r, lo, hi);
    roundRange(w, g, r, q);
  }
  return q;
}

void LinearInputStats::accumulate(const float *x, int64_t m) {
  if (m <= 0)
    return;
  Eigen::Map<const MatF> X(x, m, channels);
  MatF g = X.transpose() * X;
  for (int64_t i = 0; i < channels * channels; ++i)
    gram[i] += g.data()[i];
  for (int64_t t = 0; t < m; ++t)
    for (int64_t c = 0; c < channels; ++c)
      absSum[c] += std::fabs(x[t * channels + c]);
  rows += m;
}

std::vector<double> LinearInputStats::meanSquare() const {
  std::vector<double> out(channels, 0.0);
  if (rows)
    for (int64_t c = 0; c < channels; ++c)
      out[c] = gram[c * channels + c] / double(rows);
  return out;
}

std::vector<double> LinearInputStats::meanAbs() const {
  std::vector<double> out(channels, 0.0);
  if (rows)
    for (int64_t c = 0; c < channels; ++c)
      out[c] = absSum[c] / double(rows);
  return out;
}

double qc::outputError(ArrayRef<float> w, ArrayRef<float> wq, int64_t rows,
                       int64_t cols, ArrayRef<double> gram) {
  MatD d(rows, cols);
  for (int64_t i = 0; i < rows * cols; ++i)
    d.data()[i] = double(w[i]) - double(wq[i]);
  Eigen::Map<const MatD> G(gram.data(), cols, cols);
  MatD dg = d * G;
  return dg.cwiseProduct(d).sum();
}

double qc::weightedError(ArrayRef<float> w, ArrayRef<float> wq, int64_t rows,
                         int64_t cols, ArrayRef<double> importance) {
  double sum = 0;
  for (int64_t n = 0; n < rows; ++n)
    for (int64_t k = 0; k < cols; ++k) {
      double d = double(w[n * cols + k]) - double(wq[n * cols + k]);
      sum += importance[k] * d * d;
    }
  return sum;
}

//===----------------------------------------------------------------------===//
// GPTQ
//===----------------------------------------------------------------------===//

FailureOr<QuantizedWeights>
qc::quantizeGPTQ(ArrayRef<float> w, const WeightGrid &g, ArrayRef<double> gram,
                 const GPTQOptions &options, StringRef what,
                 std::string &error) {
  const int64_t N = g.rows, K = g.cols;
  auto fail = [&](const Twine &why) -> FailureOr<QuantizedWeights> {
    error = (what + ": GPTQ: " + why).str();
    return failure();
  };
  if (std::string why = g.validate(); !why.empty())
    return fail(why);
  if (int64_t(w.size()) != N * K || int64_t(gram.size()) != K * K)
    return fail("the weight or the Hessian has the wrong size");
  if (!(options.damp > 0) || !std::isfinite(options.damp))
    return fail("the damping must be positive");

  // Columns in processing order: perm[i] is the i-th column quantized.
  std::vector<int64_t> perm(K), pos(K);
  std::iota(perm.begin(), perm.end(), 0);
  if (options.actOrder)
    std::sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) {
      double da = gram[a * K + a], db = gram[b * K + b];
      return da != db ? da > db : a < b;
    });
  for (int64_t i = 0; i < K; ++i)
    pos[perm[i]] = i;

  MatD H(K, K), W(N, K);
  for (int64_t i = 0; i < K; ++i)
    for (int64_t j = 0; j < K; ++j)
      H(i, j) = gram[perm[i] * K + perm[j]];
  if (!H.allFinite())
    return fail("the input statistics hold non-finite values");
  for (int64_t n = 0; n < N; ++n)
    for (int64_t i = 0; i < K; ++i)
      W(n, i) = w[n * K + perm[i]];
  // Dead columns: an input channel that was always 0 gives no information;
  // its weights are set to 0 (they never contribute on that data).
  for (int64_t i = 0; i < K; ++i)
    if (!(H(i, i) > 0)) {
      H.row(i).setZero();
      H.col(i).setZero();
      H(i, i) = 1;
      W.col(i).setZero();
    }
  double lambda = options.damp * H.diagonal().mean();

  // U: the upper Cholesky factor of H^-1 (H^-1 = U^T U). A matrix that is
  // not positive definite after damping gets 10x more damping, a few times.
  MatD U;
  bool ok = false;
  for (int attempt = 0; attempt < 6 && !ok; ++attempt, lambda *= 10) {
    MatD Hd = H;
    Hd.diagonal().array() += lambda;
    Eigen::LLT<MatD> llt(Hd);
    if (llt.info() != Eigen::Success)
      continue;
    MatD Hinv = llt.solve(MatD::Identity(K, K));
    Hinv = 0.5 * (Hinv + Hinv.transpose()).eval();
    Eigen::LLT<MatD> llt2(Hinv);
    if (llt2.info() != Eigen::Success)
      continue;
    U = llt2.matrixU();
    ok = U.allFinite() && (U.diagonal().array() > 0).all();
  }
  if (!ok)
    return fail("the damped input Hessian is not positive definite (a "
                "larger --gptq-damp may help)");

  QuantizedWeights q;
  resize(q, g);
  // Last processing position of each range's columns, and whether its
  // parameters are chosen yet.
  int64_t numRanges = g.numRanges();
  std::vector<int64_t> lastPos(numRanges, 0);
  std::vector<char> decided(numRanges, 0);
  for (int64_t r = 0; r < numRanges; ++r) {
    Box b = boxOf(g, r);
    for (int64_t k = b.col0; k < b.col0 + g.colsPerRange; ++k)
      lastPos[r] = std::max(lastPos[r], pos[k]);
  }

  const int64_t B = std::max<int64_t>(1, options.blockSize);
  MatD err(N, B);
  int64_t bs = 0, be = std::min(B, K);
  // Applies the updates of the block's quantized columns [bs, i) to the
  // columns after the block, and starts a new block at i.
  auto flush = [&](int64_t i) {
    if (i > bs && be < K)
      W.block(0, be, N, K - be).noalias() -=
          err.leftCols(i - bs) * U.block(bs, be, i - bs, K - be);
    bs = i;
    be = std::min(i + B, K);
  };
  Eigen::VectorXd e(N);
  for (int64_t i = 0; i < K; ++i) {
    // Parameters of the ranges whose first column this is, from their
    // weights as they are now; all of them must be up to date.
    for (int64_t n = 0; n < N; ++n) {
      int64_t r = g.rangeOf(n, perm[i]);
      if (decided[r])
        continue;
      if (lastPos[r] >= be && i > bs)
        flush(i);
      Box b = boxOf(g, r);
      double lo = INFINITY, hi = -INFINITY;
      for (int64_t rn = b.row0; rn < b.row0 + g.rowsPerRange; ++rn)
        for (int64_t k = b.col0; k < b.col0 + g.colsPerRange; ++k) {
          double v = static_cast<float>(W(rn, pos[k]));
          lo = std::min(lo, v);
          hi = std::max(hi, v);
        }
      setRange(q, g, r, lo, hi);
      decided[r] = 1;
    }
    double d = U(i, i);
    for (int64_t n = 0; n < N; ++n) {
      int64_t r = g.rangeOf(n, perm[i]);
      float x = static_cast<float>(W(n, i));
      int32_t code =
          numerics::quantize(x, q.scales[r], q.zeroPoints[r], g.qmin, g.qmax);
      q.codes[n * K + perm[i]] = code;
      double deq = numerics::dequantize(code, q.scales[r], q.zeroPoints[r]);
      e[n] = (W(n, i) - deq) / d;
      err(n, i - bs) = e[n];
    }
    if (i + 1 < be)
      W.block(0, i + 1, N, be - i - 1).noalias() -=
          e * U.row(i).segment(i + 1, be - i - 1);
    if (i + 1 == be)
      flush(be);
  }
  return q;
}

//===----------------------------------------------------------------------===//
// imatrix
//===----------------------------------------------------------------------===//

namespace {
/// One range's elements and importances, and the best parameters found.
struct RangeFit {
  std::vector<float> x;
  std::vector<double> a;
  const WeightGrid &g;
  double bestErr = INFINITY;
  float bestScale = 1;
  int32_t bestZp = 0;
  std::vector<int32_t> bestCodes, codes;

  explicit RangeFit(const WeightGrid &g) : g(g) {}

  double errorOf(const std::vector<int32_t> &c, float s, int32_t zp) const {
    double sum = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      double d = double(x[i]) - numerics::dequantize(c[i], s, zp);
      sum += a[i] * d * d;
    }
    return sum;
  }
  void consider(const std::vector<int32_t> &c, float s, int32_t zp) {
    double lo, hi;
    if (failed(rangeForParams(s, zp, g, lo, hi)))
      return;
    double err = errorOf(c, s, zp);
    if (err < bestErr) {
      bestErr = err;
      bestScale = s;
      bestZp = zp;
      bestCodes = c;
    }
  }
  void roundWith(float s, int32_t zp) {
    codes.resize(x.size());
    for (size_t i = 0; i < x.size(); ++i)
      codes[i] = numerics::quantize(x[i], s, zp, g.qmin, g.qmax);
  }
  /// Round-to-nearest with (s, zp); then the weighted least-squares scale
  /// of those codes, and rounding again with it.
  void tryParams(float s, int32_t zp) {
    if (!(s >= FLT_MIN) || !std::isfinite(s))
      return;
    roundWith(s, zp);
    consider(codes, s, zp);
    for (int iter = 0; iter < 2; ++iter) {
      double num = 0, den = 0;
      for (size_t i = 0; i < x.size(); ++i) {
        double l = double(codes[i]) - zp;
        num += a[i] * x[i] * l;
        den += a[i] * l * l;
      }
      if (!(den > 0))
        return;
      float ls = static_cast<float>(num / den);
      if (!(ls >= FLT_MIN) || !std::isfinite(ls))
        return;
      consider(codes, ls, zp);
      roundWith(ls, zp);
      consider(codes, ls, zp);
    }
  }
};
} // namespace

QuantizedWeights qc::quantizeIMatrix(ArrayRef<float> w, const WeightGrid &g,
                                     ArrayRef<double> importance) {
  QuantizedWeights q = quantizeRTN(w, g);
  for (int64_t r = 0, e = g.numRanges(); r < e; ++r) {
    Box b = boxOf(g, r);
    RangeFit fit(g);
    double total = 0;
    for (int64_t n = b.row0; n < b.row0 + g.rowsPerRange; ++n)
      for (int64_t k = b.col0; k < b.col0 + g.colsPerRange; ++k) {
        fit.x.push_back(w[n * g.cols + k]);
        fit.a.push_back(std::max(0.0, importance[k]));
        total += fit.a.back();
      }
    if (!(total > 0) || !std::isfinite(total))
      continue; // no information: round-to-nearest
    // Round-to-nearest first: the candidate to beat.
    std::vector<int32_t> rtn;
    for (int64_t n = b.row0; n < b.row0 + g.rowsPerRange; ++n)
      for (int64_t k = b.col0; k < b.col0 + g.colsPerRange; ++k)
        rtn.push_back(q.codes[n * g.cols + k]);
    fit.consider(rtn, q.scales[r], q.zeroPoints[r]);
    auto [lo, hi] = minMaxOf(w, g, r);
    if (g.symmetric) {
      double amax = std::max(std::fabs(lo), std::fabs(hi));
      double nmax = (double(g.qmax) - double(g.qmin)) / 2.0;
      numerics::QuantParams mid = paramsOf(-1.0, 1.0, g);
      for (int j = -9; j <= 9; ++j) {
        double denom = nmax + 0.1 * j;
        if (denom > 0)
          fit.tryParams(static_cast<float>(amax / denom), mid.zeroPoint);
      }
    } else {
      static const double shrink[] = {1.0, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7};
      for (double sl : shrink)
        for (double sh : shrink) {
          numerics::QuantParams p = paramsOf(lo * sl, hi * sh, g);
          if (p.ok())
            fit.tryParams(p.scale, p.zeroPoint);
        }
    }
    double rlo, rhi;
    if (failed(rangeForParams(fit.bestScale, fit.bestZp, g, rlo, rhi)))
      continue;
    q.scales[r] = fit.bestScale;
    q.zeroPoints[r] = fit.bestZp;
    q.rangeMin[r] = rlo;
    q.rangeMax[r] = rhi;
    size_t i = 0;
    for (int64_t n = b.row0; n < b.row0 + g.rowsPerRange; ++n)
      for (int64_t k = b.col0; k < b.col0 + g.colsPerRange; ++k)
        q.codes[n * g.cols + k] = fit.bestCodes[i++];
  }
  return q;
}

//===----------------------------------------------------------------------===//
// AWQ
//===----------------------------------------------------------------------===//

AWQScales qc::searchAWQScales(ArrayRef<AWQLayer> layers,
                              const LinearInputStats &stats,
                              const AWQOptions &options) {
  const int64_t K = stats.channels;
  std::vector<double> xabs = stats.meanAbs();
  AWQScales best;
  best.scales.assign(K, 1.0f);
  best.error = INFINITY;
  std::vector<double> alphas = {0.0};
  if (options.fixedAlpha >= 0) {
    if (options.fixedAlpha > 0)
      alphas.push_back(options.fixedAlpha);
  } else {
    for (unsigned i = 1, grid = std::max(1u, options.grid); i < grid; ++i)
      alphas.push_back(double(i) / grid);
  }
  std::vector<float> s(K), scaled, wq;
  for (size_t i = 0; i < alphas.size(); ++i) {
    double alpha = alphas[i];
    double smax = 0, smin = INFINITY;
    std::vector<double> sd(K);
    for (int64_t c = 0; c < K; ++c) {
      sd[c] = std::max(std::pow(xabs[c], alpha), 1e-4);
      smax = std::max(smax, sd[c]);
      smin = std::min(smin, sd[c]);
    }
    double norm = std::sqrt(smax * smin);
    for (int64_t c = 0; c < K; ++c)
      s[c] = static_cast<float>(sd[c] / norm);
    double err = 0;
    for (const AWQLayer &l : layers) {
      if (!l.grid)
        continue;
      const WeightGrid &g = *l.grid;
      scaled.resize(l.weights.size());
      for (int64_t n = 0; n < g.rows; ++n)
        for (int64_t c = 0; c < K; ++c)
          scaled[n * K + c] = l.weights[n * K + c] * s[c];
      wq = quantizeRTN(scaled, g).dequantized(g);
      for (int64_t n = 0; n < g.rows; ++n)
        for (int64_t c = 0; c < K; ++c)
          wq[n * K + c] /= s[c];
      err += outputError(l.weights, wq, g.rows, K, stats.gram);
    }
    if (i == 0)
      best.rtnError = err;
    // A fixed alpha is taken whatever its error.
    if (err < best.error || (options.fixedAlpha > 0 && i == 1)) {
      best.error = err;
      best.alpha = alpha;
      best.scales = s;
    }
  }
  return best;
}

QuantizedWeights qc::quantizeAWQClip(ArrayRef<float> w, const WeightGrid &g,
                                     ArrayRef<double> gram,
                                     const AWQOptions &options) {
  QuantizedWeights q = quantizeRTN(w, g);
  const int64_t K = g.cols, cpr = g.colsPerRange;
  unsigned grid = std::max(1u, options.grid);
  int steps = std::max(1, int(options.maxShrink * grid));
  std::vector<double> d(cpr);
  std::vector<int32_t> codes(g.rowsPerRange * cpr);
  for (int64_t r = 0, e = g.numRanges(); r < e; ++r) {
    Box b = boxOf(g, r);
    auto [lo, hi] = minMaxOf(w, g, r);
    double bestErr = INFINITY;
    double bestLo = lo, bestHi = hi;
    for (int i = 0; i < steps; ++i) {
      double t = 1.0 - double(i) / grid;
      double clo = lo * t, chi = hi * t;
      if (g.symmetric) {
        chi = std::max(std::fabs(lo), std::fabs(hi)) * t;
        clo = -chi;
      }
      numerics::QuantParams p = paramsOf(clo, chi, g);
      if (!p.ok())
        continue;
      // Output error of the range: its rows' errors on its columns, through
      // the Gram matrix block of those columns.
      double err = 0;
      for (int64_t n = b.row0; n < b.row0 + g.rowsPerRange; ++n) {
        for (int64_t j = 0; j < cpr; ++j) {
          float x = w[n * K + b.col0 + j];
          int32_t c = numerics::quantize(x, p.scale, p.zeroPoint, g.qmin, g.qmax);
          codes[(n - b.row0) * cpr + j] = c;
          d[j] = double(x) - numerics::dequantize(c, p.scale, p.zeroPoint);
        }
        for (int64_t j = 0; j < cpr; ++j) {
          if (d[j] == 0)
            continue;
          const double *row = gram.data() + (b.col0 + j) * K + b.col0;
          double acc = 0;
          for (int64_t l = 0; l < cpr; ++l)
            acc += row[l] * d[l];
          err += d[j] * acc;
        }
      }
      if (err < bestErr) {
        bestErr = err;
        bestLo = clo;
        bestHi = chi;
      }
    }
    setRange(q, g, r, bestLo, bestHi);
    roundRange(w, g, r, q);
  }
  return q;
}
