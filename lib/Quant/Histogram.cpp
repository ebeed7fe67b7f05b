//===- Histogram.cpp - streaming histograms and range searches ------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Quant/Histogram.h"

#include "qc/Dialect/QC/Utils/Numerics.h"

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::qc;

Histogram::Histogram(unsigned numBins) : pos(numBins), neg(numBins) {
  assert(numBins >= 2 && numBins % 2 == 0 && "need an even number of bins");
}

void Histogram::grow(double absMax) {
  if (r == 0.0) {
    // Only zeros so far: they sit in bin 0, which stays [0, w) for any R.
    r = absMax;
    return;
  }
  size_t n = pos.size();
  while (r < absMax && std::isfinite(r)) {
    // Doubling R halves the resolution: bins 2i and 2i+1 become bin i.
    for (std::vector<double> *bins : {&pos, &neg}) {
      std::vector<double> &b = *bins;
      for (size_t i = 0; i < n / 2; ++i)
        b[i] = b[2 * i] + b[2 * i + 1];
      std::fill(b.begin() + n / 2, b.end(), 0.0);
    }
    r *= 2.0;
  }
}

void Histogram::add(double x) {
  if (!std::isfinite(x))
    return;
  if (count == 0.0) {
    lo = hi = x;
  } else {
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  count += 1.0;
  double a = std::fabs(x);
  if (a > r)
    grow(a);
  size_t n = pos.size();
  size_t bin = 0;
  if (r > 0.0)
    bin = std::min(static_cast<size_t>(a / r * static_cast<double>(n)), n - 1);
  (x < 0 ? neg : pos)[bin] += 1.0;
}

void Histogram::add(llvm::ArrayRef<float> xs) {
  // One growth step for the whole batch, then plain binning.
  double absMax = 0.0;
  for (float x : xs)
    if (std::isfinite(x))
      absMax = std::max(absMax, static_cast<double>(std::fabs(x)));
  if (absMax > r)
    grow(absMax);
  for (float x : xs)
    add(static_cast<double>(x));
}

std::vector<double> Histogram::magnitude() const {
  std::vector<double> m(pos.size());
  for (size_t i = 0; i < m.size(); ++i)
    m[i] = pos[i] + neg[i];
  return m;
}

/// [max(min, -a), min(max, a)], kept ordered.
static std::pair<double, double> clampToData(const Histogram &h, double a) {
  double lo = std::max(h.min(), -a), hi = std::min(h.max(), a);
  if (lo > hi)
    lo = hi = std::clamp(0.0, h.min(), h.max());
  return {lo, hi};
}

std::pair<double, double> qc::percentileRange(const Histogram &h,
                                              double percentile) {
  if (h.total() == 0.0 || h.range() == 0.0)
    return {h.min(), h.max()};
  std::vector<double> m = h.magnitude();
  double target = percentile / 100.0 * h.total();
  double cum = 0.0;
  double w = h.binWidth();
  for (size_t i = 0; i < m.size(); ++i) {
    cum += m[i];
    if (cum >= target)
      return clampToData(h, static_cast<double>(i + 1) * w);
  }
  return {h.min(), h.max()};
}

/// MXNet's and TensorRT's smoothing before the KL divergence: moves a mass
/// of eps = 1e-4 onto each empty bin, taken evenly from the non-empty ones,
/// so that Q is not 0 where P is not. False when every bin is empty.
static bool smooth(ArrayRef<double> in, std::vector<double> &out) {
  constexpr double kEps = 1e-4;
  size_t nonEmpty = llvm::count_if(in, [](double c) { return c != 0.0; });
  if (nonEmpty == 0)
    return false;
  double take = kEps * static_cast<double>(in.size() - nonEmpty) /
                static_cast<double>(nonEmpty);
  out.resize(in.size());
  for (size_t j = 0; j < in.size(); ++j)
    out[j] = in[j] == 0.0 ? kEps : std::max(in[j] - take, 0.0);
  return true;
}

std::pair<double, double> qc::entropyRange(const Histogram &h,
                                           unsigned numQuantBins) {
  size_t n = h.numBins();
  if (h.total() == 0.0 || h.range() == 0.0 || numQuantBins == 0 ||
      n < numQuantBins)
    return {h.min(), h.max()};
  std::vector<double> m = h.magnitude();
  std::vector<double> suffix(n + 1, 0.0);
  for (size_t i = n; i-- > 0;)
    suffix[i] = suffix[i + 1] + m[i];

  std::vector<double> p(n), q(n), ps, qs;
  double bestKL = std::numeric_limits<double>::infinity();
  size_t best = n;
  for (size_t i = numQuantBins; i <= n; ++i) {
    std::copy(m.begin(), m.begin() + i, p.begin());
    p[i - 1] += suffix[i];
    // Q: bins [0, i) merged into numQuantBins groups, each group's mass
    // spread evenly over its bins that are non-empty in P.
    size_t merged = i / numQuantBins;
    for (size_t g = 0; g < numQuantBins; ++g) {
      size_t start = g * merged;
      size_t stop = g + 1 == numQuantBins ? i : start + merged;
      double mass = 0.0, nonEmpty = 0.0;
      for (size_t j = start; j < stop; ++j) {
        mass += m[j];
        nonEmpty += p[j] != 0.0;
      }
      for (size_t j = start; j < stop; ++j)
        q[j] = p[j] != 0.0 && nonEmpty != 0.0 ? mass / nonEmpty : 0.0;
    }
    if (!smooth(ArrayRef<double>(p).take_front(i), ps) ||
        !smooth(ArrayRef<double>(q).take_front(i), qs))
      continue;
    double sumP = 0.0, sumQ = 0.0;
    for (size_t j = 0; j < i; ++j) {
      sumP += ps[j];
      sumQ += qs[j];
    }
    if (sumP == 0.0 || sumQ == 0.0)
      continue;
    double kl = 0.0;
    for (size_t j = 0; j < i && std::isfinite(kl); ++j) {
      if (ps[j] <= 0.0)
        continue;
      double pj = ps[j] / sumP, qj = qs[j] / sumQ;
      kl = qj == 0.0 ? std::numeric_limits<double>::infinity()
                     : kl + pj * std::log(pj / qj);
    }
    if (kl < bestKL) {
      bestKL = kl;
      best = i;
    }
  }
  return clampToData(h, static_cast<double>(best) * h.binWidth());
}

namespace {
/// Fake quantization of single values with the parameters of a range.
struct FakeQuant {
  numerics::QuantParams params;
  numerics::QRange range;

  FakeQuant(double lo, double hi, const QuantTarget &t) {
    range = numerics::getStorageRange(t.bits, t.isSigned, t.narrowRange);
    params = numerics::chooseQuantParams(lo, hi, range.qmin, range.qmax,
                                         t.symmetric);
  }
  bool ok() const { return params.ok(); }
  double operator()(double x) const {
    int32_t q = numerics::quantize(static_cast<float>(x), params.scale,
                                   params.zeroPoint, range.qmin, range.qmax);
    return numerics::dequantize(q, params.scale, params.zeroPoint);
  }
};

struct Bin {
  double centre;
  double count;
};
} // namespace

static double binnedError(ArrayRef<Bin> bins, double lo, double hi,
                          const QuantTarget &target) {
  FakeQuant fq(lo, hi, target);
  if (!fq.ok())
    return std::numeric_limits<double>::infinity();
  double err = 0.0;
  for (const Bin &b : bins) {
    double d = b.centre - fq(b.centre);
    err += b.count * d * d;
  }
  return err;
}

std::pair<double, double> qc::mseRange(const Histogram &h,
                                       const QuantTarget &target) {
  if (h.total() == 0.0 || h.range() == 0.0)
    return {h.min(), h.max()};
  double w = h.binWidth();
  size_t n = h.numBins();
  SmallVector<Bin> bins;
  size_t topPos = 0, topNeg = 0; // 1 + index of the highest non-empty bin
  for (size_t i = 0; i < n; ++i) {
    double c = (static_cast<double>(i) + 0.5) * w;
    if (h.positive()[i] != 0.0) {
      bins.push_back({c, h.positive()[i]});
      topPos = i + 1;
    }
    if (h.negative()[i] != 0.0) {
      bins.push_back({-c, h.negative()[i]});
      topNeg = i + 1;
    }
  }
  // At most ~512 candidates per bound keeps the search cheap on fine
  // histograms; the step is in whole bins.
  auto stepFor = [](size_t k) { return std::max<size_t>(1, k / 512); };

  if (target.symmetric) {
    size_t top = std::max(topPos, topNeg);
    size_t step = stepFor(top);
    double bestErr = std::numeric_limits<double>::infinity(), bestA = top * w;
    for (size_t k = top; k >= 1; k = k > step ? k - step : 0) {
      double a = static_cast<double>(k) * w;
      double err = binnedError(bins, -a, a, target);
      if (err <= bestErr) { // scanning downwards: ties go to the smaller a
        bestErr = err;
        bestA = a;
      }
    }
    return clampToData(h, bestA);
  }

  double hi = static_cast<double>(topPos) * w;
  double lo = -static_cast<double>(topNeg) * w;
  double bestErr = binnedError(bins, lo, hi, target);
  for (int round = 0; round < 4; ++round) {
    bool changed = false;
    for (size_t k = 1, step = stepFor(topPos); k <= topPos; k += step) {
      double cand = static_cast<double>(k) * w;
      double err = binnedError(bins, lo, cand, target);
      if (err < bestErr) {
        bestErr = err;
        hi = cand;
        changed = true;
      }
    }
    for (size_t k = 1, step = stepFor(topNeg); k <= topNeg; k += step) {
      double cand = -static_cast<double>(k) * w;
      double err = binnedError(bins, cand, hi, target);
      if (err < bestErr) {
        bestErr = err;
        lo = cand;
        changed = true;
      }
    }
    if (!changed)
      break;
  }
  lo = std::max(lo, h.min());
  hi = std::min(hi, h.max());
  if (lo > hi)
    lo = hi = std::clamp(0.0, h.min(), h.max());
  return {lo, hi};
}

double qc::quantizationError(ArrayRef<float> xs, double lo, double hi,
                             const QuantTarget &target) {
  FakeQuant fq(lo, hi, target);
  if (!fq.ok())
    return std::numeric_limits<double>::infinity();
  double err = 0.0;
  for (float x : xs) {
    if (!std::isfinite(x))
      continue;
    double d = static_cast<double>(x) - fq(x);
    err += d * d;
  }
  return err;
}

std::pair<double, double> qc::mseWeightRange(ArrayRef<float> xs,
                                             const QuantTarget &target) {
  double mn = 0.0, mx = 0.0;
  bool any = false;
  for (float x : xs) {
    if (!std::isfinite(x))
      continue;
    mn = any ? std::min(mn, static_cast<double>(x)) : x;
    mx = any ? std::max(mx, static_cast<double>(x)) : x;
    any = true;
  }
  if (!any)
    return {0.0, 0.0};
  double bestErr = std::numeric_limits<double>::infinity();
  std::pair<double, double> best{mn, mx};
  for (int k = 100; k >= 1; --k) {
    double t = k / 100.0;
    double err = quantizationError(xs, t * mn, t * mx, target);
    if (err < bestErr) {
      bestErr = err;
      best = {t * mn, t * mx};
    }
  }
  return best;
}
