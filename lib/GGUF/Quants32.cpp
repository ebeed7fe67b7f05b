//===- Quants32.cpp - the 32-element block formats ------------------------===//
//
// Part of quantc. Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 and IQ4_NL: quantization
// bit-identical to llama.cpp's quantize_row_*_ref (and, with importance, to
// its imatrix path), dequantization identical to dequantize_row_*.
// Compiled with -ffp-contract=off (see ScaleSearch.h).
//
//===----------------------------------------------------------------------===//

#include "BlockLayouts.h"
#include "ScaleSearch.h"

#include "qc/GGUF/BlockFormats.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

using namespace mlir::qc::gguf;
using namespace mlir::qc::gguf::detail;

namespace {

const int8_t kIQ4NLLevels[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                 1,    13,   25,  38,  53,  69,  89,  113};

/// Packs 32 values of up to 5 bits: low nibbles pairwise into qs (element j
/// and j + 16 share a byte), bit 4 of element j into bit j of qh.
void packFiveBits(const uint8_t *q, uint8_t *qs, uint8_t *qhBytes) {
  uint32_t qh = 0;
  for (int j = 0; j < kQK / 2; ++j) {
    uint8_t lo = q[j], hi = q[j + kQK / 2];
    qs[j] = uint8_t((lo & 0x0F) | ((hi & 0x0F) << 4));
    qh |= uint32_t((lo & 0x10u) >> 4) << j;
    qh |= uint32_t((hi & 0x10u) >> 4) << (j + kQK / 2);
  }
  for (int b = 0; b < 4; ++b)
    qhBytes[b] = uint8_t(qh >> (8 * b));
}

uint32_t loadQh(const uint8_t *qhBytes) {
  return uint32_t(qhBytes[0]) | uint32_t(qhBytes[1]) << 8 |
         uint32_t(qhBytes[2]) << 16 | uint32_t(qhBytes[3]) << 24;
}

/// The value of largest magnitude in a block (the first on ties).
float signedAbsMax(const float *x, int n) {
  float absMax = 0.0f, value = 0.0f;
  for (int j = 0; j < n; ++j) {
    if (absMax < std::fabs(x[j])) {
      absMax = std::fabs(x[j]);
      value = x[j];
    }
  }
  return value;
}

/// Per-column weights of the importance-weighted searches:
/// importance[j] * sqrt(sigma2 + x[j]^2), sigma2 the row's mean square.
float rowMeanSquare(const float *x, int64_t n) {
  float sum = 0;
  for (int64_t j = 0; j < n; ++j)
    sum += x[j] * x[j];
  return sum / float(n);
}

void columnWeights(const float *x, const float *importance, float sigma2,
                   float *w) {
  for (int j = 0; j < kQK; ++j)
    w[j] = importance[j] * std::sqrt(sigma2 + x[j] * x[j]);
}

} // namespace

llvm::ArrayRef<int8_t> mlir::qc::gguf::iq4nlLevels() { return kIQ4NLLevels; }

//===----------------------------------------------------------------------===//
// Q8_0
//===----------------------------------------------------------------------===//

void mlir::qc::gguf::quantizeRowQ8_0(const float *x, int64_t n, void *out) {
  auto *blocks = static_cast<BlockQ8_0 *>(out);
  for (int64_t b = 0; b < n / kQK; ++b, x += kQK) {
    float absMax = 0.0f;
    for (int j = 0; j < kQK; ++j)
      absMax = std::max(absMax, std::fabs(x[j]));
    float d = absMax / 127;
    float id = d != 0 ? 1.0f / d : 0.0f;
    storeHalf(blocks[b].d, d);
    for (int j = 0; j < kQK; ++j)
      blocks[b].qs[j] = int8_t(std::round(x[j] * id));
  }
}

void mlir::qc::gguf::dequantizeRowQ8_0(const void *in, int64_t n, float *out) {
  const auto *blocks = static_cast<const BlockQ8_0 *>(in);
  for (int64_t b = 0; b < n / kQK; ++b, out += kQK) {
    float d = loadHalf(blocks[b].d);
    for (int j = 0; j < kQK; ++j)
      out[j] = float(blocks[b].qs[j]) * d;
  }
}

//===----------------------------------------------------------------------===//
// Q4_0
//===----------------------------------------------------------------------===//

void mlir::qc::gguf::quantizeRowQ4_0(const float *x, int64_t n, void *out) {
  auto *blocks = static_cast<BlockQ4_0 *>(out);
  for (int64_t b = 0; b < n / kQK; ++b, x += kQK) {
    // The largest magnitude maps to -8, the one level without a mirror.
    float d = signedAbsMax(x, kQK) / -8;
    float id = d != 0 ? 1.0f / d : 0.0f;
    storeHalf(blocks[b].d, d);
    for (int j = 0; j < kQK / 2; ++j) {
      // Truncation of v + 8.5 rounds half up; 8.5 lands on 16 for the
      // extreme, hence the clamp.
      auto level = [&](float v) {
        return uint8_t(std::min(15, int(int8_t(v * id + 8.5f))));
      };
      blocks[b].qs[j] = uint8_t(level(x[j]) | (level(x[j + kQK / 2]) << 4));
    }
  }
}

void mlir::qc::gguf::quantizeRowQ4_0(const float *x, int64_t n, void *out,
                                     const float *importance) {
  if (!importance)
    return quantizeRowQ4_0(x, n, out);
  auto *blocks = static_cast<BlockQ4_0 *>(out);
  float sigma2 = rowMeanSquare(x, n);
  float w[kQK];
  int8_t levels[kQK];
  for (int64_t b = 0; b < n / kQK; ++b) {
    const float *xb = x + b * kQK;
    columnWeights(xb, importance + b * kQK, sigma2, w);
    float d = searchSymmetric(kQK, 8, xb, levels, w);
    storeHalf(blocks[b].d, d);
    for (int j = 0; j < kQK / 2; ++j)
      blocks[b].qs[j] = uint8_t(levels[j] | (levels[j + kQK / 2] << 4));
  }
}

void mlir::qc::gguf::dequantizeRowQ4_0(const void *in, int64_t n, float *out) {
  const auto *blocks = static_cast<const BlockQ4_0 *>(in);
  for (int64_t b = 0; b < n / kQK; ++b, out += kQK) {
    float d = loadHalf(blocks[b].d);
    for (int j = 0; j < kQK / 2; ++j) {
      out[j] = float((blocks[b].qs[j] & 0x0F) - 8) * d;
      out[j + kQK / 2] = float((blocks[b].qs[j] >> 4) - 8) * d;
    }
  }
}

//===----------------------------------------------------------------------===//
// Q4_1
//===----------------------------------------------------------------------===//

namespace {

/// Min and max of a block, starting from +-FLT_MAX as llama.cpp does.
void blockRange(const float *x, float &lo, float &hi) {
  lo = std::numeric_limits<float>::max();
  hi = -std::numeric_limits<float>::max();
  for (int j = 0; j < kQK; ++j) {
    if (x[j] < lo)
      lo = x[j];
    if (x[j] > hi)
      hi = x[j];
  }
}

} // namespace

void mlir::qc::gguf::quantizeRowQ4_1(const float *x, int64_t n, void *out) {
  auto *blocks = static_cast<BlockQ4_1 *>(out);
  for (int64_t b = 0; b < n / kQK; ++b, x += kQK) {
    float lo, hi;
    blockRange(x, lo, hi);
    float d = (hi - lo) / 15;
    float id = d != 0 ? 1.0f / d : 0.0f;
    storeHalf(blocks[b].d, d);
    storeHalf(blocks[b].m, lo);
    for (int j = 0; j < kQK / 2; ++j) {
      auto level = [&](float v) {
        return uint8_t(std::min(15, int(int8_t((v - lo) * id + 0.5f))));
      };
      blocks[b].qs[j] = uint8_t(level(x[j]) | (level(x[j + kQK / 2]) << 4));
    }
  }
}

void mlir::qc::gguf::quantizeRowQ4_1(const float *x, int64_t n, void *out,
                                     const float *importance) {
  if (!importance)
    return quantizeRowQ4_1(x, n, out);
  auto *blocks = static_cast<BlockQ4_1 *>(out);
  float sigma2 = rowMeanSquare(x, n);
  float w[kQK];
  uint8_t levels[kQK], scratch[kQK];
  for (int64_t b = 0; b < n / kQK; ++b) {
    const float *xb = x + b * kQK;
    columnWeights(xb, importance + b * kQK, sigma2, w);
    float negMin;
    float d = searchAffineGuarded(kQK, 15, xb, w, levels, &negMin, scratch,
                                  -0.9f, 0.05f, 36, false);
    storeHalf(blocks[b].d, d);
    storeHalf(blocks[b].m, -negMin);
    for (int j = 0; j < kQK / 2; ++j)
      blocks[b].qs[j] = uint8_t(levels[j] | (levels[j + kQK / 2] << 4));
  }
}

void mlir::qc::gguf::dequantizeRowQ4_1(const void *in, int64_t n, float *out) {
  const auto *blocks = static_cast<const BlockQ4_1 *>(in);
  for (int64_t b = 0; b < n / kQK; ++b, out += kQK) {
    float d = loadHalf(blocks[b].d);
    float m = loadHalf(blocks[b].m);
    for (int j = 0; j < kQK / 2; ++j) {
      out[j] = float(blocks[b].qs[j] & 0x0F) * d + m;
      out[j + kQK / 2] = float(blocks[b].qs[j] >> 4) * d + m;
    }
  }
}

//===----------------------------------------------------------------------===//
// Q5_0
//===----------------------------------------------------------------------===//

void mlir::qc::gguf::quantizeRowQ5_0(const float *x, int64_t n, void *out) {
  auto *blocks = static_cast<BlockQ5_0 *>(out);
  for (int64_t b = 0; b < n / kQK; ++b, x += kQK) {
    float d = signedAbsMax(x, kQK) / -16;
    float id = d != 0 ? 1.0f / d : 0.0f;
    storeHalf(blocks[b].d, d);
    uint8_t q[kQK];
    for (int j = 0; j < kQK; ++j)
      q[j] = uint8_t(std::min(31, int(int8_t(x[j] * id + 16.5f))));
    packFiveBits(q, blocks[b].qs, blocks[b].qh);
  }
}

void mlir::qc::gguf::quantizeRowQ5_0(const float *x, int64_t n, void *out,
                                     const float *importance) {
  if (!importance)
    return quantizeRowQ5_0(x, n, out);
  auto *blocks = static_cast<BlockQ5_0 *>(out);
  float sigma2 = rowMeanSquare(x, n);
  float w[kQK];
  int8_t levels[kQK];
  for (int64_t b = 0; b < n / kQK; ++b) {
    const float *xb = x + b * kQK;
    columnWeights(xb, importance + b * kQK, sigma2, w);
    float d = searchSymmetric(kQK, 16, xb, levels, w);
    storeHalf(blocks[b].d, d);
    uint8_t q[kQK];
    for (int j = 0; j < kQK; ++j)
      q[j] = uint8_t(levels[j]);
    packFiveBits(q, blocks[b].qs, blocks[b].qh);
  }
}

void mlir::qc::gguf::dequantizeRowQ5_0(const void *in, int64_t n, float *out) {
  const auto *blocks = static_cast<const BlockQ5_0 *>(in);
  for (int64_t b = 0; b < n / kQK; ++b, out += kQK) {
    float d = loadHalf(blocks[b].d);
    uint32_t qh = loadQh(blocks[b].qh);
    for (int j = 0; j < kQK / 2; ++j) {
      int lo = (blocks[b].qs[j] & 0x0F) | int(((qh >> j) << 4) & 0x10);
      int hi = (blocks[b].qs[j] >> 4) | int((qh >> (j + 12)) & 0x10);
      out[j] = float(lo - 16) * d;
      out[j + kQK / 2] = float(hi - 16) * d;
    }
  }
}

//===----------------------------------------------------------------------===//
// Q5_1
//===----------------------------------------------------------------------===//

void mlir::qc::gguf::quantizeRowQ5_1(const float *x, int64_t n, void *out) {
  auto *blocks = static_cast<BlockQ5_1 *>(out);
  for (int64_t b = 0; b < n / kQK; ++b, x += kQK) {
    float lo, hi;
    blockRange(x, lo, hi);
    float d = (hi - lo) / 31;
    float id = d != 0 ? 1.0f / d : 0.0f;
    storeHalf(blocks[b].d, d);
    storeHalf(blocks[b].m, lo);
    uint8_t q[kQK];
    for (int j = 0; j < kQK; ++j)
      q[j] = uint8_t((x[j] - lo) * id + 0.5f);
    packFiveBits(q, blocks[b].qs, blocks[b].qh);
  }
}

void mlir::qc::gguf::quantizeRowQ5_1(const float *x, int64_t n, void *out,
                                     const float *importance) {
  if (!importance)
    return quantizeRowQ5_1(x, n, out);
  auto *blocks = static_cast<BlockQ5_1 *>(out);
  float sigma2 = rowMeanSquare(x, n);
  float w[kQK];
  uint8_t levels[kQK], scratch[kQK];
  for (int64_t b = 0; b < n / kQK; ++b) {
    const float *xb = x + b * kQK;
    columnWeights(xb, importance + b * kQK, sigma2, w);
    float negMin;
    float d = searchAffineGuarded(kQK, 31, xb, w, levels, &negMin, scratch,
                                  -0.9f, 0.05f, 36, false);
    storeHalf(blocks[b].d, d);
    storeHalf(blocks[b].m, -negMin);
    packFiveBits(levels, blocks[b].qs, blocks[b].qh);
  }
}

void mlir::qc::gguf::dequantizeRowQ5_1(const void *in, int64_t n, float *out) {
  const auto *blocks = static_cast<const BlockQ5_1 *>(in);
  for (int64_t b = 0; b < n / kQK; ++b, out += kQK) {
    float d = loadHalf(blocks[b].d);
    float m = loadHalf(blocks[b].m);
    uint32_t qh = loadQh(blocks[b].qh);
    for (int j = 0; j < kQK / 2; ++j) {
      int lo = (blocks[b].qs[j] & 0x0F) | int(((qh >> j) << 4) & 0x10);
      int hi = (blocks[b].qs[j] >> 4) | int((qh >> (j + 12)) & 0x10);
      out[j] = float(lo) * d + m;
      out[j + kQK / 2] = float(hi) * d + m;
    }
  }
}

//===----------------------------------------------------------------------===//
// IQ4_NL
//===----------------------------------------------------------------------===//

namespace {

/// One IQ4_NL block: the scale d maximizing (sum w*q*x)^2 / sum w*q^2 over
/// 16 candidate inverse scales, then every element snapped to its nearest
/// level at that scale. `importance` null means w = x^2.
void quantizeBlockIQ4_NL(const float *x, const float *importance,
                         BlockIQ4_NL &block) {
  const int8_t *levels = kIQ4NLLevels;
  constexpr int kTries = 7;
  float sigma2 = 0;
  for (int j = 0; j < kQK; ++j)
    sigma2 += x[j] * x[j];
  sigma2 *= 2.f / kQK;

  float w[kQK];
  if (importance) {
    for (int j = 0; j < kQK; ++j)
      w[j] = importance[j] * std::sqrt(sigma2 + x[j] * x[j]);
  } else {
    for (int j = 0; j < kQK; ++j)
      w[j] = x[j] * x[j];
  }

  float absMax = 0, maxValue = 0;
  for (int j = 0; j < kQK; ++j) {
    float a = std::fabs(x[j]);
    if (a > absMax) {
      absMax = a;
      maxValue = x[j];
    }
  }
  float scale = 0;
  if (!(absMax < kGroupMaxEps)) {
    float d = -maxValue / float(levels[0]);
    float id = 1 / d;
    float sumqx = 0, sumq2 = 0;
    for (int j = 0; j < kQK; ++j) {
      float q = float(levels[nearestLevel(levels, id * x[j])]);
      sumqx += w[j] * q * x[j];
      sumq2 += w[j] * q * q;
    }
    d = sumq2 > 0 ? sumqx / sumq2 : 0.f;
    float best = d * sumqx;
    for (int t = -kTries; t <= kTries; ++t) {
      id = float(t + levels[0]) / maxValue;
      sumqx = sumq2 = 0;
      for (int j = 0; j < kQK; ++j) {
        float q = float(levels[nearestLevel(levels, id * x[j])]);
        sumqx += w[j] * q * x[j];
        sumq2 += w[j] * q * q;
      }
      if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
        d = sumqx / sumq2;
        best = d * sumqx;
      }
    }
    scale = d;
  }
  // The levels come from the unrounded scale, as llama.cpp does.
  storeHalf(block.d, scale);
  float id = scale != 0 ? 1 / scale : 0;
  uint8_t q[kQK];
  for (int j = 0; j < kQK; ++j)
    q[j] = uint8_t(nearestLevel(levels, id * x[j]));
  for (int j = 0; j < kQK / 2; ++j)
    block.qs[j] = uint8_t(q[j] | (q[j + kQK / 2] << 4));
}

} // namespace

void mlir::qc::gguf::quantizeRowIQ4_NL(const float *x, int64_t n, void *out) {
  quantizeRowIQ4_NL(x, n, out, nullptr);
}

void mlir::qc::gguf::quantizeRowIQ4_NL(const float *x, int64_t n, void *out,
                                       const float *importance) {
  auto *blocks = static_cast<BlockIQ4_NL *>(out);
  for (int64_t b = 0; b < n / kQK; ++b)
    quantizeBlockIQ4_NL(x + b * kQK,
                        importance ? importance + b * kQK : nullptr, blocks[b]);
}

void mlir::qc::gguf::dequantizeRowIQ4_NL(const void *in, int64_t n,
                                         float *out) {
  const auto *blocks = static_cast<const BlockIQ4_NL *>(in);
  for (int64_t b = 0; b < n / kQK; ++b, out += kQK) {
    float d = loadHalf(blocks[b].d);
    for (int j = 0; j < kQK / 2; ++j) {
      out[j] = d * float(kIQ4NLLevels[blocks[b].qs[j] & 0x0F]);
      out[j + kQK / 2] = d * float(kIQ4NLLevels[blocks[b].qs[j] >> 4]);
    }
  }
}
