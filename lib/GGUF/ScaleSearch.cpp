//===- ScaleSearch.cpp - scale and level searches of llama.cpp ------------===//
//
// Part of quantc. See ScaleSearch.h. Every expression keeps llama.cpp's
// evaluation order: `w * x * l` is (w * x) * float(l), sums run from the
// first element to the last, and integer operands convert to float where C
// converts them.
//
//===----------------------------------------------------------------------===//

#include "ScaleSearch.h"

#include <algorithm>
#include <cmath>

using namespace mlir::qc::gguf::detail;

namespace {

int clampInt(int v, int lo, int hi) { return std::max(lo, std::min(hi, v)); }

/// The value of largest magnitude (the first one on ties) and that
/// magnitude.
void signedMax(int n, const float *x, float &maxValue, float &absMax) {
  maxValue = 0;
  absMax = 0;
  for (int i = 0; i < n; ++i) {
    float a = std::fabs(x[i]);
    if (a > absMax) {
      absMax = a;
      maxValue = x[i];
    }
  }
}

} // namespace

float mlir::qc::gguf::detail::searchSymmetric(int n, int nmax, const float *x,
                                              int8_t *levels, const float *w) {
  float maxValue, absMax;
  signedMax(n, x, maxValue, absMax);
  if (absMax < kGroupMaxEps) {
    std::fill(levels, levels + n, 0);
    return 0.f;
  }
  auto weight = [&](int i) { return w ? w[i] : x[i] * x[i]; };

  float iscale = float(-nmax) / maxValue;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    int l = clampInt(roundToInt(iscale * x[i]), -nmax, nmax - 1);
    levels[i] = int8_t(l + nmax);
    float wi = weight(i);
    sumlx += wi * x[i] * float(l);
    suml2 += wi * float(l) * float(l);
  }
  float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int step = -9; step <= 9; ++step) {
    if (step == 0)
      continue;
    iscale = -(float(nmax) + 0.1f * float(step)) / maxValue;
    sumlx = suml2 = 0;
    for (int i = 0; i < n; ++i) {
      int l = clampInt(roundToInt(iscale * x[i]), -nmax, nmax - 1);
      float wi = weight(i);
      sumlx += wi * x[i] * float(l);
      suml2 += wi * float(l) * float(l);
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i)
        levels[i] =
            int8_t(nmax + clampInt(roundToInt(iscale * x[i]), -nmax, nmax - 1));
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

float mlir::qc::gguf::detail::searchSymmetricRefined(int n, int nmax,
                                                     const float *x,
                                                     int8_t *levels) {
  float maxValue, absMax;
  signedMax(n, x, maxValue, absMax);
  if (absMax < kGroupMaxEps) {
    std::fill(levels, levels + n, 0);
    return 0.f;
  }
  float iscale = float(-nmax) / maxValue;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    int l = clampInt(roundToInt(iscale * x[i]), -nmax, nmax - 1);
    levels[i] = int8_t(l);
    float w = x[i] * x[i];
    sumlx += w * x[i] * float(l);
    suml2 += w * float(l) * float(l);
  }
  // Move single levels while that raises sumlx^2 / suml2.
  for (int pass = 0; pass < 5; ++pass) {
    int changed = 0;
    for (int i = 0; i < n; ++i) {
      float w = x[i] * x[i];
      float l = float(levels[i]);
      float slx = sumlx - w * x[i] * l;
      if (slx > 0) {
        float sl2 = suml2 - w * l * l;
        int newL = clampInt(roundToInt(x[i] * sl2 / slx), -nmax, nmax - 1);
        if (newL != levels[i]) {
          slx += w * x[i] * float(newL);
          sl2 += w * float(newL) * float(newL);
          if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
            levels[i] = int8_t(newL);
            sumlx = slx;
            suml2 = sl2;
            ++changed;
          }
        }
      }
    }
    if (!changed)
      break;
  }
  for (int i = 0; i < n; ++i)
    levels[i] = int8_t(levels[i] + nmax);
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

namespace {

/// The shared body of the two affine searches; `guarded` selects the
/// make_qkx3_quants form (max <= min test, clamped trial levels).
float searchAffineImpl(int n, int nmax, const float *x, const float *w,
                       uint8_t *levels, float *negMin, uint8_t *scratch,
                       float rmin, float rdelta, int nstep, bool useMad,
                       bool guarded) {
  auto weight = [&](int i) { return w ? w[i] : x[i] * x[i]; };
  float lo = x[0], hi = x[0];
  float sumW = weight(0);
  float sumX = sumW * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < lo)
      lo = x[i];
    if (x[i] > hi)
      hi = x[i];
    float wi = weight(i);
    sumW += wi;
    sumX += wi * x[i];
  }
  if (lo > 0)
    lo = 0;
  if (guarded ? hi <= lo : hi == lo) {
    std::fill(levels, levels + n, 0);
    *negMin = -lo;
    return 0.f;
  }
  float iscale = float(nmax) / (hi - lo);
  float scale = 1 / iscale;
  float bestError = 0;
  for (int i = 0; i < n; ++i) {
    int l = roundToInt(iscale * (x[i] - lo));
    levels[i] = uint8_t(clampInt(l, 0, nmax));
    float diff = scale * float(levels[i]) + lo - x[i];
    diff = useMad ? std::fabs(diff) : diff * diff;
    bestError += weight(i) * diff;
  }
  if (nstep < 1) {
    *negMin = -lo;
    return scale;
  }
  for (int step = 0; step <= nstep; ++step) {
    // `lo` is the best fit so far, so later trials measure from it.
    iscale = (rmin + rdelta * float(step) + float(nmax)) / (hi - lo);
    float sumL = 0, sumL2 = 0, sumXL = 0;
    for (int i = 0; i < n; ++i) {
      int l;
      if (guarded) {
        float v = iscale * (x[i] - lo);
        l = v > 0 ? roundToInt(v < float(nmax) ? v : float(nmax)) : 0;
      } else {
        l = clampInt(roundToInt(iscale * (x[i] - lo)), 0, nmax);
      }
      scratch[i] = uint8_t(l);
      float wi = weight(i);
      sumL += wi * float(l);
      sumL2 += wi * float(l) * float(l);
      sumXL += wi * float(l) * x[i];
    }
    float det = sumW * sumL2 - sumL * sumL;
    if (det > 0) {
      float thisScale = (sumW * sumXL - sumX * sumL) / det;
      float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = sumXL / sumL2;
      }
      float error = 0;
      for (int i = 0; i < n; ++i) {
        float diff = thisScale * float(scratch[i]) + thisMin - x[i];
        diff = useMad ? std::fabs(diff) : diff * diff;
        error += weight(i) * diff;
      }
      if (error < bestError) {
        std::copy(scratch, scratch + n, levels);
        bestError = error;
        scale = thisScale;
        lo = thisMin;
      }
    }
  }
  *negMin = -lo;
  return scale;
}

} // namespace

float mlir::qc::gguf::detail::searchAffine(int n, int nmax, const float *x,
                                           const float *w, uint8_t *levels,
                                           float *negMin, uint8_t *scratch,
                                           float rmin, float rdelta, int nstep,
                                           bool useMad) {
  return searchAffineImpl(n, nmax, x, w, levels, negMin, scratch, rmin, rdelta,
                          nstep, useMad, /*guarded=*/false);
}

float mlir::qc::gguf::detail::searchAffineGuarded(
    int n, int nmax, const float *x, const float *w, uint8_t *levels,
    float *negMin, uint8_t *scratch, float rmin, float rdelta, int nstep,
    bool useMad) {
  return searchAffineImpl(n, nmax, x, w, levels, negMin, scratch, rmin, rdelta,
                          nstep, useMad, /*guarded=*/true);
}

float mlir::qc::gguf::detail::searchPositive(int n, int nmax, const float *x,
                                             uint8_t *levels, const float *w) {
  float hi = 0;
  for (int i = 0; i < n; ++i)
    hi = hi > x[i] ? hi : x[i];
  if (hi < kGroupMaxEps) {
    std::fill(levels, levels + n, 0);
    return 0.f;
  }
  float iscale = float(nmax) / hi;
  for (int i = 0; i < n; ++i)
    levels[i] = uint8_t(roundToInt(iscale * x[i]));
  float scale = 1 / iscale;
  float bestMse = 0;
  for (int i = 0; i < n; ++i) {
    float diff = x[i] - scale * float(levels[i]);
    bestMse += w[i] * diff * diff;
  }
  for (int step = -4; step <= 4; ++step) {
    if (step == 0)
      continue;
    float trialIscale = (0.1f * float(step) + float(nmax)) / hi;
    float trialScale = 1 / trialIscale;
    float mse = 0;
    for (int i = 0; i < n; ++i) {
      int l = std::min(nmax, roundToInt(trialIscale * x[i]));
      float diff = x[i] - trialScale * float(l);
      mse += w[i] * diff * diff;
    }
    if (mse < bestMse) {
      bestMse = mse;
      iscale = trialIscale;
    }
  }
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    int l = std::min(nmax, roundToInt(iscale * x[i]));
    levels[i] = uint8_t(l);
    sumlx += w[i] * x[i] * float(l);
    suml2 += w[i] * float(l) * float(l);
  }
  for (int pass = 0; pass < 5; ++pass) {
    int changed = 0;
    for (int i = 0; i < n; ++i) {
      float l = float(levels[i]);
      float slx = sumlx - w[i] * x[i] * l;
      float sl2 = suml2 - w[i] * l * l;
      if (slx > 0 && sl2 > 0) {
        int newL = std::min(nmax, roundToInt(x[i] * sl2 / slx));
        if (newL != levels[i]) {
          slx += w[i] * x[i] * float(newL);
          sl2 += w[i] * float(newL) * float(newL);
          if (slx * slx * suml2 > sumlx * sumlx * sl2) {
            levels[i] = uint8_t(newL);
            sumlx = slx;
            suml2 = sl2;
            ++changed;
          }
        }
      }
    }
    if (!changed)
      break;
  }
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

int mlir::qc::gguf::detail::nearestLevel(const int8_t *levels, float v) {
  // Compare 2v with the sum of two neighbours: both sides are exact, so a
  // value on a midpoint always lands on the upper level.
  float twice = v + v;
  int index = 0;
  for (int step = 8; step > 0; step >>= 1) {
    int j = index + step;
    if (twice >= float(levels[j - 1] + levels[j]))
      index = j;
  }
  return index;
}
