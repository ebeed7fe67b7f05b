//===- LearnedQuantDetail.h - pieces of learned quantization -----*- C++ -*-===//
//
// Part of quantc. The building blocks of learnWeightQuantization()
// (LearnedQuant.h), exposed so that unit tests can check them one by one
// (im2col, the GEMM reconstruction loss and its gradient, the AdaRound/LSQ
// soft quantizer) and so that benchmarks can read per-layer results.
//
//===----------------------------------------------------------------------===//

#ifndef QC_QUANT_LEARNEDQUANTDETAIL_H
#define QC_QUANT_LEARNEDQUANTDETAIL_H

#include "qc/Quant/LearnedQuant.h"

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::qc::learned {

//===----------------------------------------------------------------------===//
// Convolution as a GEMM
//===----------------------------------------------------------------------===//

/// A 2-D convolution (qc.conv2d, NCHW / OIHW) of one image, seen as one GEMM
/// per group: out[p, o] = sum_k col[p, k] * w[o, k], with
/// k = (c * kH + i) * kW + j, the flat order of an OIHW weight row.
struct ConvGeometry {
  int64_t inC = 1, inH = 1, inW = 1, outH = 1, outW = 1, kH = 1, kW = 1;
  int64_t strideH = 1, strideW = 1, padTop = 0, padLeft = 0, dilH = 1,
          dilW = 1, groups = 1;
  int64_t colsPerGroup() const { return inC / groups * kH * kW; }
  int64_t pixels() const { return outH * outW; }
};

/// Writes the im2col row of output pixel `pixel` (y * outW + x) of group
/// `group` of one image `img` ([inC, inH, inW], row-major) into `row`
/// (colsPerGroup() values; zero padding outside the image).
void im2colRow(const float *img, const ConvGeometry &g, int64_t group,
               int64_t pixel, float *row);

/// Sum of squared errors of a GEMM against a target and its gradient:
///   sse = sum_{m,n} ((X W^T)[m, n] - T[m, n])^2
/// X is [m, k], W is [n, k] (rows of length k), T is [m, n] with row stride
/// `ldt`. When `gradW` is not null it receives d sse / d W, [n, k].
double gemmSquaredError(const float *x, int64_t m, int64_t k, const float *w,
                        int64_t n, const float *t, int64_t ldt, float *gradW);

//===----------------------------------------------------------------------===//
// Soft quantizer (AdaRound rounding + LSQ-style scales)
//===----------------------------------------------------------------------===//

/// Per weight element i with scale s = s[p(i)] and zero point z = z[p(i)]:
///
///   W_hat_i = s * clamp(B_i + h(V_i), qmin - z, qmax - z)
///   h(V)    = clamp(sigmoid(V) * (zeta - gamma) + gamma, 0, 1)
///
/// B_i = floor(W_i / s0) is the integer below the float weight on the
/// initial grid and V_i is initialised so that h(V_i) = W_i / s0 - B_i, i.e.
/// the soft weight starts equal to the float weight. The hard weight takes
/// B_i + (h(V_i) >= 0.5). The base B is kept fixed while s is learned, so
/// rounding decisions belong to V alone and the scale acts as a learned
/// per-range gain on the integer grid (its gradient is exact, and no
/// rounding flips behind the optimiser's back as s moves).
class SoftQuantizer {
public:
  static constexpr float kZeta = 1.1f, kGamma = -0.1f;

  /// `weights` and `param` (range index of each element) are per element;
  /// `scales`/`zeroPoints` per range. With `learnRounding` false the
  /// rounding is fixed to round-to-nearest-even (what quantize() does) and
  /// only the scales can move.
  SoftQuantizer(llvm::ArrayRef<float> weights, llvm::ArrayRef<int32_t> param,
                llvm::ArrayRef<float> scales,
                llvm::ArrayRef<int32_t> zeroPoints, int32_t qmin, int32_t qmax,
                bool learnRounding);

  size_t numElements() const { return base.size(); }
  size_t numRanges() const { return scale.size(); }

  float h(size_t i) const;
  void softWeights(float *out) const;
  void hardWeights(float *out) const;
  /// The storage integers of the hard weights: clamp(B + bit + z).
  std::vector<int32_t> hardCodes() const;

  /// Back-propagates g = d loss / d W_hat (soft path) into d loss / d V and
  /// d loss / d s. Both outputs are overwritten.
  void backward(const float *gradW, float *gradV, float *gradS) const;

  /// AdaRound's regulariser sum_i (1 - |2 h_i - 1|^beta); when `gradV` is
  /// not null, adds weight * d reg / d V to it.
  double regularizer(double beta, double weight, float *gradV) const;

  /// Fraction of elements whose hard rounding differs from
  /// round-to-nearest on the initial grid.
  double flippedFraction() const;

  // State, public for the optimiser and tests.
  std::vector<float> base;     ///< B_i
  std::vector<float> v;        ///< V_i
  std::vector<float> rtnUp;    ///< 1 where round-to-nearest rounds up
  std::vector<int32_t> param;  ///< range index of element i
  std::vector<float> scale;    ///< s per range (learned)
  std::vector<float> scale0;   ///< initial s per range
  std::vector<int32_t> zeroPoint;
  int32_t qmin = 0, qmax = 0;
  bool learnRounding = true;
};

/// Calibration data held in memory, one list of input tensors per sample
/// (tests and benchmarks; quant-compile streams from files instead).
class InMemoryDataset : public CalibrationDataset {
public:
  explicit InMemoryDataset(std::vector<std::vector<Tensor>> samples)
      : samples(std::move(samples)) {}
  size_t size() const override { return samples.size(); }
  void reset() override { pos = 0; }
  FailureOr<bool> next(std::vector<Tensor> &inputs, std::string &) override {
    if (pos >= samples.size())
      return false;
    inputs = samples[pos++];
    return true;
  }

private:
  std::vector<std::vector<Tensor>> samples;
  size_t pos = 0;
};

//===----------------------------------------------------------------------===//
// Driver with per-layer results
//===----------------------------------------------------------------------===//

/// Knobs that are not part of the public options (defaults are what
/// learnWeightQuantization() uses).
struct LearnedQuantTuning {
  /// Rows (im2col rows / tokens) per optimisation step.
  int64_t rowsPerStep = 2048;
  /// Largest number of input elements (rows * K) kept per layer; rows are
  /// subsampled at random (fixed seed) beyond it.
  int64_t maxElementsPerLayer = int64_t(1) << 23;
  /// Rounding regulariser weight: the loss is
  ///   mse / mse_rtn + regWeight * mean_i (1 - |2 h_i - 1|^beta),
  /// so 1 weighs "every weight undecided" about as much as the whole
  /// round-to-nearest error (AdaRound's 0.01 is for a summed, unnormalised
  /// loss).
  double regWeight = 1.0;
  /// Fraction of the steps without the regulariser.
  double warmup = 0.2;
  double betaStart = 20.0, betaEnd = 2.0;
  /// Adam step of the scales relative to the initial scale, as a multiple
  /// of options.learningRate.
  double scaleLrFactor = 1.0;
  /// Adam step of the rounding logits as a multiple of
  /// options.learningRate, for 500 steps or more; with fewer steps it grows
  /// as 500 / steps, since a logit needs a travel of a few units to settle
  /// on 0 or 1 whatever the number of steps.
  double roundingLrFactor = 10.0;
  uint64_t seed = 0x5eed;
};

struct LayerReport {
  std::string name; ///< the layer's location or weight name
  std::string kind; ///< conv2d, linear, matmul
  int64_t rows = 0; ///< reconstruction rows collected
  double rtnMse = 0, learnedMse = 0; ///< mean squared output error
  double flipped = 0;  ///< fraction of weights rounded away from nearest
  bool keptRtn = false; ///< learning did not beat round-to-nearest
  double seconds = 0;
};

LogicalResult learnWeightQuantization(func::FuncOp func,
                                      CalibrationDataset &data,
                                      const LearnedQuantOptions &options,
                                      const LearnedQuantTuning &tuning,
                                      std::vector<LayerReport> *reports,
                                      std::string &error);

} // namespace mlir::qc::learned

#endif // QC_QUANT_LEARNEDQUANTDETAIL_H
