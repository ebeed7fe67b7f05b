//===- KQuants.cpp - the 256-element super-block formats ------------------===//
//
// Part of quantc. Q2_K, Q3_K, Q4_K, Q5_K and Q6_K: quantization
// bit-identical to llama.cpp's quantize_row_*_ref (and, with importance, to
// the quantize_row_*_impl it runs with an imatrix), dequantization identical
// to dequantize_row_*. Each super-block first fits every sub-block on its
// own, then quantizes the sub-block scales (and mins) against one binary16
// super-block scale, then recomputes every level with the rounded scales.
// Compiled with -ffp-contract=off (see ScaleSearch.h).
//
//===----------------------------------------------------------------------===//

#include "BlockLayouts.h"
#include "ScaleSearch.h"

#include "qc/GGUF/BlockFormats.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace mlir::qc::gguf;
using namespace mlir::qc::gguf::detail;

namespace {

int clampInt(int v, int lo, int hi) { return std::max(lo, std::min(hi, v)); }

/// Two bits per element: element e at bits 2*((e % 128) / 32) of byte
/// 32*(e / 128) + e % 32.
void packTwoBits(const uint8_t *levels, uint8_t *qs) {
  for (int j = 0; j < kQKK; j += 128)
    for (int l = 0; l < 32; ++l)
      qs[j / 4 + l] =
          uint8_t(levels[j + l] | (levels[j + l + 32] << 2) |
                  (levels[j + l + 64] << 4) | (levels[j + l + 96] << 6));
}

int unpackTwoBits(const uint8_t *qs, int e) {
  return (qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3;
}

/// The 6-bit scales and mins of Q4_K/Q5_K's eight sub-blocks in 12 bytes:
/// bytes 0-3 hold sc[0..3] and bytes 4-7 m[0..3] in their low six bits;
/// bytes 8-11 hold the low nibbles of sc[4..7] and m[4..7]; the top two
/// bits of sc[4..7] sit in bits 6-7 of bytes 0-3, those of m[4..7] in bits
/// 6-7 of bytes 4-7.
void packScalesMins(const uint8_t *sc, const uint8_t *m, uint8_t *out) {
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      out[j] = sc[j];
      out[j + 4] = m[j];
    } else {
      out[j + 4] = uint8_t((sc[j] & 0xF) | ((m[j] & 0xF) << 4));
      out[j - 4] |= uint8_t((sc[j] >> 4) << 6);
      out[j] |= uint8_t((m[j] >> 4) << 6);
    }
  }
}

void unpackScaleMin(int j, const uint8_t *q, uint8_t &sc, uint8_t &m) {
  if (j < 4) {
    sc = q[j] & 63;
    m = q[j + 4] & 63;
  } else {
    sc = uint8_t((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    m = uint8_t((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

/// Q3_K's 6-bit signed sub-block scale g (stored biased by 32).
int q3Scale(const uint8_t *scales, int g) {
  int lo = g < 8 ? scales[g] & 0xF : scales[g - 8] >> 4;
  int hi = (scales[8 + g % 4] >> (2 * (g / 4))) & 3;
  return (lo | (hi << 4)) - 32;
}

void packQ3Scale(uint8_t *scales, int g, int biased) {
  if (g < 8)
    scales[g] = uint8_t(biased & 0xF);
  else
    scales[g - 8] |= uint8_t((biased & 0xF) << 4);
  scales[g % 4 + 8] |= uint8_t((biased >> 4) << (2 * (g / 4)));
}

float superBlockMeanSquare(const float *x, float factor) {
  float sum = 0;
  for (int l = 0; l < kQKK; ++l)
    sum += x[l] * x[l];
  return factor * sum / kQKK;
}

} // namespace

//===----------------------------------------------------------------------===//
// Q2_K
//===----------------------------------------------------------------------===//

namespace {

/// Levels of every 16-group against the rounded binary16 scales, then the
/// two-bit packing. Groups whose scale rounds to zero keep the levels of
/// the first fit.
void finishQ2_K(const float *x, uint8_t *levels, BlockQ2_K &block) {
  float d = loadHalf(block.d), dmin = loadHalf(block.dmin);
  for (int g = 0; g < kQKK / 16; ++g) {
    float dg = d * float(block.scales[g] & 0xF);
    if (dg == 0)
      continue;
    float mg = dmin * float(block.scales[g] >> 4);
    for (int i = 0; i < 16; ++i)
      levels[16 * g + i] =
          uint8_t(clampInt(roundToInt((x[16 * g + i] + mg) / dg), 0, 3));
  }
  packTwoBits(levels, block.qs);
}

} // namespace

void mlir::qc::gguf::quantizeRowQ2_K(const float *x, int64_t n, void *out) {
  auto *blocks = static_cast<BlockQ2_K *>(out);
  uint8_t levels[kQKK], scratch[16];
  float w[16], scales[kQKK / 16], mins[kQKK / 16];
  const float q4scale = 15.f;
  for (int64_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    BlockQ2_K &block = blocks[b];
    float maxScale = 0, maxMin = 0;
    for (int g = 0; g < kQKK / 16; ++g) {
      for (int l = 0; l < 16; ++l)
        w[l] = std::fabs(x[16 * g + l]);
      scales[g] = searchAffine(16, 3, x + 16 * g, w, levels + 16 * g, &mins[g],
                               scratch, -0.5f, 0.1f, 15, true);
      if (scales[g] > maxScale)
        maxScale = scales[g];
      if (mins[g] > maxMin)
        maxMin = mins[g];
    }
    if (maxScale > 0) {
      float iscale = q4scale / maxScale;
      for (int g = 0; g < kQKK / 16; ++g)
        block.scales[g] = uint8_t(roundToInt(iscale * scales[g]));
      storeHalf(block.d, maxScale / q4scale);
    } else {
      std::memset(block.scales, 0, sizeof block.scales);
      storeHalf(block.d, 0.f);
    }
    if (maxMin > 0) {
      float iscale = q4scale / maxMin;
      for (int g = 0; g < kQKK / 16; ++g)
        block.scales[g] |= uint8_t(roundToInt(iscale * mins[g]) << 4);
      storeHalf(block.dmin, maxMin / q4scale);
    } else {
      storeHalf(block.dmin, 0.f);
    }
    finishQ2_K(x, levels, block);
  }
}

void mlir::qc::gguf::quantizeRowQ2_K(const float *x, int64_t n, void *out,
                                     const float *importance) {
  if (!importance)
    return quantizeRowQ2_K(x, n, out);
  auto *blocks = static_cast<BlockQ2_K *>(out);
  uint8_t levels[kQKK], scratch[16], scaleLevels[16], minLevels[16];
  float w[16], sw[16], scales[16], mins[16];
  for (int64_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    BlockQ2_K &block = blocks[b];
    float sigma2 = superBlockMeanSquare(x, 1);
    for (int g = 0; g < kQKK / 16; ++g) {
      const float *imp = importance + kQKK * b + 16 * g;
      for (int l = 0; l < 16; ++l)
        w[l] = imp[l] * std::sqrt(sigma2 + x[16 * g + l] * x[16 * g + l]);
      sw[g] = 0;
      for (int l = 0; l < 16; ++l)
        sw[g] += w[l];
      scales[g] =
          searchAffineGuarded(16, 3, x + 16 * g, w, levels + 16 * g, &mins[g],
                              scratch, -0.9f, 0.05f, 36, false);
    }
    float dm = searchPositive(16, 15, scales, scaleLevels, sw);
    float mm = searchPositive(16, 15, mins, minLevels, sw);
    storeHalf(block.d, dm);
    storeHalf(block.dmin, mm);
    for (int g = 0; g < kQKK / 16; ++g)
      block.scales[g] = uint8_t(scaleLevels[g] | (minLevels[g] << 4));
    finishQ2_K(x, levels, block);
  }
}

void mlir::qc::gguf::dequantizeRowQ2_K(const void *in, int64_t n, float *out) {
  const auto *blocks = static_cast<const BlockQ2_K *>(in);
  for (int64_t b = 0; b < n / kQKK; ++b, out += kQKK) {
    const BlockQ2_K &block = blocks[b];
    float d = loadHalf(block.d), dmin = loadHalf(block.dmin);
    for (int g = 0; g < kQKK / 16; ++g) {
      float dl = d * float(block.scales[g] & 0xF);
      float ml = dmin * float(block.scales[g] >> 4);
      for (int i = 0; i < 16; ++i)
        out[16 * g + i] = dl * float(unpackTwoBits(block.qs, 16 * g + i)) - ml;
    }
  }
}

//===----------------------------------------------------------------------===//
// Q3_K
//===----------------------------------------------------------------------===//

namespace {

/// Levels against the rounded scales (groups whose scale is zero keep the
/// first fit), then the high bits into hmask and the low two into qs.
void finishQ3_K(const float *x, int8_t *levels, BlockQ3_K &block) {
  float d = loadHalf(block.d);
  for (int g = 0; g < kQKK / 16; ++g) {
    float dg = d * float(q3Scale(block.scales, g));
    if (dg == 0)
      continue;
    for (int i = 0; i < 16; ++i)
      levels[16 * g + i] =
          int8_t(clampInt(roundToInt(x[16 * g + i] / dg), -4, 3) + 4);
  }
  std::memset(block.hmask, 0, sizeof block.hmask);
  uint8_t low[kQKK];
  for (int e = 0; e < kQKK; ++e) {
    int l = levels[e];
    if (l > 3) {
      block.hmask[e % 32] |= uint8_t(1 << (e / 32));
      l -= 4;
    }
    low[e] = uint8_t(l);
  }
  packTwoBits(low, block.qs);
}

} // namespace

void mlir::qc::gguf::quantizeRowQ3_K(const float *x, int64_t n, void *out) {
  auto *blocks = static_cast<BlockQ3_K *>(out);
  int8_t levels[kQKK];
  float scales[kQKK / 16];
  for (int64_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    BlockQ3_K &block = blocks[b];
    float maxScale = 0, absMax = 0;
    for (int g = 0; g < kQKK / 16; ++g) {
      scales[g] = searchSymmetricRefined(16, 4, x + 16 * g, levels + 16 * g);
      float a = std::fabs(scales[g]);
      if (a > absMax) {
        absMax = a;
        maxScale = scales[g];
      }
    }
    std::memset(block.scales, 0, sizeof block.scales);
    if (maxScale != 0) {
      float iscale = -32.f / maxScale;
      for (int g = 0; g < kQKK / 16; ++g) {
        int8_t l = int8_t(roundToInt(iscale * scales[g]));
        packQ3Scale(block.scales, g, clampInt(l, -32, 31) + 32);
      }
      storeHalf(block.d, 1 / iscale);
    } else {
      storeHalf(block.d, 0.f);
    }
    finishQ3_K(x, levels, block);
  }
}

void mlir::qc::gguf::quantizeRowQ3_K(const float *x, int64_t n, void *out,
                                     const float *importance) {
  if (!importance)
    return quantizeRowQ3_K(x, n, out);
  auto *blocks = static_cast<BlockQ3_K *>(out);
  int8_t levels[kQKK], scaleLevels[16];
  float w[16], sw[16], scales[16];
  for (int64_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    BlockQ3_K &block = blocks[b];
    float sigma2 = superBlockMeanSquare(x, 2);
    for (int g = 0; g < kQKK / 16; ++g) {
      const float *imp = importance + kQKK * b + 16 * g;
      for (int l = 0; l < 16; ++l)
        w[l] = imp[l] * std::sqrt(sigma2 + x[16 * g + l] * x[16 * g + l]);
      float sum = 0;
      for (int l = 0; l < 16; ++l)
        sum += w[l];
      sw[g] = sum;
      scales[g] = searchSymmetric(16, 4, x + 16 * g, levels + 16 * g, w);
    }
    std::memset(block.scales, 0, sizeof block.scales);
    float d = searchSymmetric(16, 32, scales, scaleLevels, sw);
    for (int g = 0; g < kQKK / 16; ++g)
      packQ3Scale(block.scales, g, scaleLevels[g]);
    storeHalf(block.d, d);
    finishQ3_K(x, levels, block);
  }
}

void mlir::qc::gguf::dequantizeRowQ3_K(const void *in, int64_t n, float *out) {
  const auto *blocks = static_cast<const BlockQ3_K *>(in);
  for (int64_t b = 0; b < n / kQKK; ++b, out += kQKK) {
    const BlockQ3_K &block = blocks[b];
    float d = loadHalf(block.d);
    for (int g = 0; g < kQKK / 16; ++g) {
      float dl = d * float(q3Scale(block.scales, g));
      for (int i = 0; i < 16; ++i) {
        int e = 16 * g + i;
        int high = (block.hmask[e % 32] >> (e / 32)) & 1;
        int q = unpackTwoBits(block.qs, e) - (high ? 0 : 4);
        out[e] = dl * float(q);
      }
    }
  }
}

//===----------------------------------------------------------------------===//
// Q4_K and Q5_K
//===----------------------------------------------------------------------===//

namespace {

/// The first fit of Q4_K/Q5_K's eight 32-groups without importance:
/// weights av + |x| with av the group's RMS, and the 6-bit quantization of
/// the group scales and mins against their maxima.
void fitScalesMinsRef(const float *x, int nmax, float rmin, int nstep,
                      uint8_t *levels, uint8_t *superD, uint8_t *superMin,
                      uint8_t *packed) {
  float w[32], scales[8], mins[8];
  uint8_t scratch[32];
  float maxScale = 0, maxMin = 0;
  for (int g = 0; g < 8; ++g) {
    const float *xg = x + 32 * g;
    float sumX2 = 0;
    for (int l = 0; l < 32; ++l)
      sumX2 += xg[l] * xg[l];
    float av = std::sqrt(sumX2 / 32);
    for (int l = 0; l < 32; ++l)
      w[l] = av + std::fabs(xg[l]);
    scales[g] = searchAffine(32, nmax, xg, w, levels + 32 * g, &mins[g],
                             scratch, rmin, 0.1f, nstep, false);
    if (scales[g] > maxScale)
      maxScale = scales[g];
    if (mins[g] > maxMin)
      maxMin = mins[g];
  }
  float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
  float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
  uint8_t ls[8], lm[8];
  for (int g = 0; g < 8; ++g) {
    ls[g] = std::min<uint8_t>(63, uint8_t(roundToInt(invScale * scales[g])));
    lm[g] = std::min<uint8_t>(63, uint8_t(roundToInt(invMin * mins[g])));
  }
  packScalesMins(ls, lm, packed);
  storeHalf(superD, maxScale / 63.f);
  storeHalf(superMin, maxMin / 63.f);
}

/// The importance-weighted first fit: weights imp * sqrt(sigma2 + x^2)
/// (or av + |x| without importance), the guarded affine search, and the
/// scales and mins fitted with the weighted positive search. llama.cpp caps
/// the 6-bit levels at 63 for Q5_K only (`capLevels`); the search keeps
/// them in range for non-negative input either way.
void fitScalesMinsWeighted(const float *x, const float *importance, int nmax,
                           bool capLevels, uint8_t *levels, uint8_t *superD,
                           uint8_t *superMin, uint8_t *packed) {
  float w[32], sw[8], scales[8], mins[8];
  uint8_t scratch[32], ls[8], lm[8];
  float sigma2 = superBlockMeanSquare(x, 2);
  float av = std::sqrt(sigma2);
  for (int g = 0; g < 8; ++g) {
    const float *xg = x + 32 * g;
    if (importance) {
      const float *imp = importance + 32 * g;
      for (int l = 0; l < 32; ++l)
        w[l] = imp[l] * std::sqrt(sigma2 + xg[l] * xg[l]);
    } else {
      for (int l = 0; l < 32; ++l)
        w[l] = av + std::fabs(xg[l]);
    }
    float sum = 0;
    for (int l = 0; l < 32; ++l)
      sum += w[l];
    sw[g] = sum;
    scales[g] = searchAffineGuarded(32, nmax, xg, w, levels + 32 * g, &mins[g],
                                    scratch, -0.9f, 0.05f, 36, false);
  }
  float dBlock = searchPositive(8, 63, scales, ls, sw);
  float mBlock = searchPositive(8, 63, mins, lm, sw);
  if (capLevels) {
    for (int g = 0; g < 8; ++g) {
      ls[g] = std::min<uint8_t>(63, ls[g]);
      lm[g] = std::min<uint8_t>(63, lm[g]);
    }
  }
  packScalesMins(ls, lm, packed);
  storeHalf(superD, dBlock);
  storeHalf(superMin, mBlock);
}

/// Levels in [0, nmax] against the rounded scales and mins; groups whose
/// scale is zero keep the first fit.
void requantizeAffine(const float *x, int nmax, const uint8_t *superD,
                      const uint8_t *superMin, const uint8_t *packed,
                      uint8_t *levels) {
  float d = loadHalf(superD), dmin = loadHalf(superMin);
  for (int g = 0; g < 8; ++g) {
    uint8_t sc, m;
    unpackScaleMin(g, packed, sc, m);
    float dg = d * float(sc);
    if (dg == 0)
      continue;
    float mg = dmin * float(m);
    for (int i = 0; i < 32; ++i)
      levels[32 * g + i] =
          uint8_t(clampInt(roundToInt((x[32 * g + i] + mg) / dg), 0, nmax));
  }
}

void packQ4_K(const uint8_t *levels, uint8_t *qs) {
  for (int j = 0; j < kQKK; j += 64)
    for (int l = 0; l < 32; ++l)
      qs[j / 2 + l] = uint8_t(levels[j + l] | (levels[j + l + 32] << 4));
}

void packQ5_K(const uint8_t *levels, uint8_t *qs, uint8_t *qh) {
  std::memset(qh, 0, kQKK / 8);
  for (int c = 0; c < kQKK / 64; ++c) {
    for (int l = 0; l < 32; ++l) {
      int lo = levels[64 * c + l], hi = levels[64 * c + l + 32];
      if (lo > 15) {
        lo -= 16;
        qh[l] |= uint8_t(1 << (2 * c));
      }
      if (hi > 15) {
        hi -= 16;
        qh[l] |= uint8_t(2 << (2 * c));
      }
      qs[32 * c + l] = uint8_t(lo | (hi << 4));
    }
  }
}

} // namespace

void mlir::qc::gguf::quantizeRowQ4_K(const float *x, int64_t n, void *out) {
  auto *blocks = static_cast<BlockQ4_K *>(out);
  uint8_t levels[kQKK];
  for (int64_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    BlockQ4_K &block = blocks[b];
    fitScalesMinsRef(x, 15, -1.f, 20, levels, block.d, block.dmin,
                     block.scales);
    requantizeAffine(x, 15, block.d, block.dmin, block.scales, levels);
    packQ4_K(levels, block.qs);
  }
}

void mlir::qc::gguf::quantizeRowQ4_K(const float *x, int64_t n, void *out,
                                     const float *importance) {
  if (!importance)
    return quantizeRowQ4_K(x, n, out);
  auto *blocks = static_cast<BlockQ4_K *>(out);
  uint8_t levels[kQKK];
  for (int64_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    BlockQ4_K &block = blocks[b];
    fitScalesMinsWeighted(x, importance + kQKK * b, 15, false, levels, block.d,
                          block.dmin, block.scales);
    requantizeAffine(x, 15, block.d, block.dmin, block.scales, levels);
    packQ4_K(levels, block.qs);
  }
}

void mlir::qc::gguf::dequantizeRowQ4_K(const void *in, int64_t n, float *out) {
  const auto *blocks = static_cast<const BlockQ4_K *>(in);
  for (int64_t b = 0; b < n / kQKK; ++b, out += kQKK) {
    const BlockQ4_K &block = blocks[b];
    float d = loadHalf(block.d), dmin = loadHalf(block.dmin);
    for (int g = 0; g < 8; ++g) {
      uint8_t sc, m;
      unpackScaleMin(g, block.scales, sc, m);
      float dg = d * float(sc), mg = dmin * float(m);
      const uint8_t *q = block.qs + 32 * (g / 2);
      int shift = 4 * (g % 2);
      for (int l = 0; l < 32; ++l)
        out[32 * g + l] = dg * float((q[l] >> shift) & 0xF) - mg;
    }
  }
}

void mlir::qc::gguf::quantizeRowQ5_K(const float *x, int64_t n, void *out) {
  auto *blocks = static_cast<BlockQ5_K *>(out);
  uint8_t levels[kQKK];
  for (int64_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    BlockQ5_K &block = blocks[b];
    fitScalesMinsRef(x, 31, -0.5f, 15, levels, block.d, block.dmin,
                     block.scales);
    requantizeAffine(x, 31, block.d, block.dmin, block.scales, levels);
    packQ5_K(levels, block.qs, block.qh);
  }
}

void mlir::qc::gguf::quantizeRowQ5_K(const float *x, int64_t n, void *out,
                                     const float *importance) {
  if (!importance)
    return quantizeRowQ5_K(x, n, out);
  auto *blocks = static_cast<BlockQ5_K *>(out);
  uint8_t levels[kQKK];
  for (int64_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    BlockQ5_K &block = blocks[b];
    fitScalesMinsWeighted(x, importance + kQKK * b, 31, true, levels, block.d,
                          block.dmin, block.scales);
    requantizeAffine(x, 31, block.d, block.dmin, block.scales, levels);
    packQ5_K(levels, block.qs, block.qh);
  }
}

void mlir::qc::gguf::dequantizeRowQ5_K(const void *in, int64_t n, float *out) {
  const auto *blocks = static_cast<const BlockQ5_K *>(in);
  for (int64_t b = 0; b < n / kQKK; ++b, out += kQKK) {
    const BlockQ5_K &block = blocks[b];
    float d = loadHalf(block.d), dmin = loadHalf(block.dmin);
    for (int g = 0; g < 8; ++g) {
      uint8_t sc, m;
      unpackScaleMin(g, block.scales, sc, m);
      float dg = d * float(sc), mg = dmin * float(m);
      const uint8_t *q = block.qs + 32 * (g / 2);
      int shift = 4 * (g % 2);
      for (int l = 0; l < 32; ++l) {
        int high = (block.qh[l] >> g) & 1 ? 16 : 0;
        out[32 * g + l] = dg * float(((q[l] >> shift) & 0xF) + high) - mg;
      }
    }
  }
}

//===----------------------------------------------------------------------===//
// Q6_K
//===----------------------------------------------------------------------===//

void mlir::qc::gguf::quantizeRowQ6_K(const float *x, int64_t n, void *out) {
  quantizeRowQ6_K(x, n, out, nullptr);
}

void mlir::qc::gguf::quantizeRowQ6_K(const float *x, int64_t n, void *out,
                                     const float *importance) {
  auto *blocks = static_cast<BlockQ6_K *>(out);
  int8_t levels[kQKK];
  float scales[kQKK / 16];
  for (int64_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    BlockQ6_K &block = blocks[b];
    float maxScale = 0, absMax = 0;
    for (int g = 0; g < kQKK / 16; ++g) {
      // With importance the group search weighs by it alone.
      const float *imp = importance ? importance + kQKK * b + 16 * g : nullptr;
      scales[g] = searchSymmetric(16, 32, x + 16 * g, levels + 16 * g, imp);
      float a = std::fabs(scales[g]);
      if (a > absMax) {
        absMax = a;
        maxScale = scales[g];
      }
    }
    if (absMax < kGroupMaxEps) {
      std::memset(&block, 0, sizeof block);
      continue;
    }
    float iscale = -128.f / maxScale;
    storeHalf(block.d, 1 / iscale);
    for (int g = 0; g < kQKK / 16; ++g)
      block.scales[g] = int8_t(std::min(127, roundToInt(iscale * scales[g])));
    float d = loadHalf(block.d);
    for (int g = 0; g < kQKK / 16; ++g) {
      float dg = d * float(block.scales[g]);
      if (dg == 0)
        continue;
      for (int i = 0; i < 16; ++i)
        levels[16 * g + i] =
            int8_t(clampInt(roundToInt(x[16 * g + i] / dg), -32, 31) + 32);
    }
    for (int h = 0; h < kQKK / 128; ++h) {
      const int8_t *lv = levels + 128 * h;
      uint8_t *ql = block.ql + 64 * h;
      uint8_t *qh = block.qh + 32 * h;
      for (int l = 0; l < 32; ++l) {
        int q1 = lv[l], q2 = lv[l + 32], q3 = lv[l + 64], q4 = lv[l + 96];
        ql[l] = uint8_t((q1 & 0xF) | ((q3 & 0xF) << 4));
        ql[l + 32] = uint8_t((q2 & 0xF) | ((q4 & 0xF) << 4));
        qh[l] = uint8_t((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) |
                        ((q4 >> 4) << 6));
      }
    }
  }
}

void mlir::qc::gguf::dequantizeRowQ6_K(const void *in, int64_t n, float *out) {
  const auto *blocks = static_cast<const BlockQ6_K *>(in);
  for (int64_t b = 0; b < n / kQKK; ++b) {
    const BlockQ6_K &block = blocks[b];
    float d = loadHalf(block.d);
    for (int h = 0; h < kQKK / 128; ++h, out += 128) {
      const uint8_t *ql = block.ql + 64 * h;
      const uint8_t *qh = block.qh + 32 * h;
      const int8_t *sc = block.scales + 8 * h;
      for (int l = 0; l < 32; ++l) {
        int is = l / 16;
        int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        out[l] = d * float(sc[is + 0]) * float(q1);
        out[l + 32] = d * float(sc[is + 2]) * float(q2);
        out[l + 64] = d * float(sc[is + 4]) * float(q3);
        out[l + 96] = d * float(sc[is + 6]) * float(q4);
      }
    }
  }
}
