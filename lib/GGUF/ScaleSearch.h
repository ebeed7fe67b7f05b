//===- ScaleSearch.h - scale and level searches of llama.cpp's quantizers -===//
//
// Part of quantc. The searches that llama.cpp's reference quantizers share
// (docs/GGUF.md, "Scale searches"). Each one reproduces llama.cpp's float
// arithmetic step by step - same operations, same order, float throughout -
// because the chosen scale and levels must be bit-identical to what
// llama-quantize writes. This file is compiled with -ffp-contract=off so no
// a*b+c is fused (llama.cpp's x86-64 build fuses none either).
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_GGUF_SCALESEARCH_H
#define QC_LIB_GGUF_SCALESEARCH_H

#include <cstdint>
#include <cstring>

namespace mlir::qc::gguf::detail {

/// Below this absolute maximum a group counts as all zero.
inline constexpr float kGroupMaxEps = 1e-15f;

/// Round to nearest, ties to even, by adding 1.5 * 2^23 and reading the low
/// mantissa bits (llama.cpp's nearest_int). Meant for |v| < 2^22; outside
/// that range the result is what the bit trick gives, as in llama.cpp.
inline int roundToInt(float v) {
  float shifted = v + 12582912.f;
  int32_t bits;
  std::memcpy(&bits, &shifted, sizeof bits);
  return (bits & 0x007fffff) - 0x00400000;
}

/// Symmetric levels l in [-nmax, nmax-1] (stored as l + nmax) and the scale
/// minimizing sum w*(x - scale*l)^2, trying 19 candidate inverse scales
/// around -nmax/max (llama.cpp's make_qx_quants with rmse_type 1). `w` null
/// means w = x*x.
float searchSymmetric(int n, int nmax, const float *x, int8_t *levels,
                      const float *w);

/// The 3-bit variant with per-element refinement passes (make_q3_quants,
/// do_rmse): levels in [-nmax, nmax-1], stored as l + nmax.
float searchSymmetricRefined(int n, int nmax, const float *x, int8_t *levels);

/// Affine levels l in [0, nmax] with x ~ scale*l - negMin, searching
/// nstep+1 inverse scales (make_qkx2_quants). Writes -min to *negMin.
float searchAffine(int n, int nmax, const float *x, const float *w,
                   uint8_t *levels, float *negMin, uint8_t *scratch, float rmin,
                   float rdelta, int nstep, bool useMad);

/// Same search, guarded against a current minimum at the maximum
/// (make_qkx3_quants); `w` null means w = x*x.
float searchAffineGuarded(int n, int nmax, const float *x, const float *w,
                          uint8_t *levels, float *negMin, uint8_t *scratch,
                          float rmin, float rdelta, int nstep, bool useMad);

/// Non-negative values quantized to [0, nmax] with weights, for the
/// sub-block scales of the weighted K-quants (make_qp_quants).
float searchPositive(int n, int nmax, const float *x, uint8_t *levels,
                     const float *w);

/// Index of the level nearest to v among 16 sorted levels; a value on a
/// midpoint takes the upper level.
int nearestLevel(const int8_t *levels, float v);

} // namespace mlir::qc::gguf::detail

#endif // QC_LIB_GGUF_SCALESEARCH_H
