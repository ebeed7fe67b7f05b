//===- WeightOnly.h - calibrated weight quantization (GPTQ, AWQ, imatrix) -*- C++ -*-===//
//
// Part of quantc. quant-compile --weight-algo rtn|gptq|awq|imatrix.
//
// Round-to-nearest (RTN) gives every weight range (a tensor, an output
// channel or a group of input channels of one) the scale and zero point of
// its min/max, and rounds each weight on its own. The algorithms here use
// the statistics of each qc.linear's input on calibration data to choose
// better codes, and still produce what the `!quant.uniform` types of the
// scheme can hold: per range one scale and zero point, per weight one
// integer code.
//
//  - GPTQ: rounds the input columns one after another and spreads each
//    column's rounding error over the columns not yet rounded, weighted by
//    the inverse of H = X^T X (the second derivative of the layer's output
//    error), so that the output error ||W X - Q X|| stays small.
//  - AWQ: scales input channel c of a layer by s_c = mean|x_c|^alpha before
//    rounding (and the producer of x by 1/s_c, which leaves the float model
//    unchanged), with alpha searched on the output error; then shrinks each
//    range's clip limits where that lowers the output error.
//  - imatrix: per range the scale (and zero point) that minimises
//    sum_c E[x_c^2] (w_c - q(w_c))^2, the diagonal part of the output error
//    (llama.cpp's importance matrix).
//
// The matrix algorithms work on a weight W [N, K] (qc.linear's layout) and
// the Gram matrix G = sum_t x_t x_t^T of its input over the calibration
// tokens. The model-level functions find the linear layers, measure those
// statistics by running the reference executor, fold AWQ's scales, and
// write the result into the observers: the weight constant becomes its
// dequantized codes and the observer's range is pinned so that
// qc-fake-quant chooses exactly the algorithm's scales and zero points, and
// round-to-nearest then gives back exactly its codes (checked for every
// weight).
//
//===----------------------------------------------------------------------===//

#ifndef QC_QUANT_WEIGHTONLY_H
#define QC_QUANT_WEIGHTONLY_H

#include "qc/Quant/Dataset.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir::qc {

class ObserveOp;

enum class WeightAlgorithm { RTN, GPTQ, AWQ, IMatrix };

/// "rtn", "gptq", "awq", "imatrix" (case-insensitive).
std::optional<WeightAlgorithm> parseWeightAlgorithm(llvm::StringRef name);
llvm::StringRef getWeightAlgorithmName(WeightAlgorithm algorithm);

//===----------------------------------------------------------------------===//
// Matrix level
//===----------------------------------------------------------------------===//

/// How the weights of an [N, K] matrix share quantization parameters: the
/// ranges are rectangles of `rowsPerRange` x `colsPerRange` elements, laid
/// out row-major (per tensor: N x K; per output channel: 1 x K; groups of g
/// input channels: 1 x g, in the order of a sub-channel type's scales).
struct WeightGrid {
  int64_t rows = 0, cols = 0;
  int64_t rowsPerRange = 1, colsPerRange = 1;
  int32_t qmin = -7, qmax = 7;
  bool symmetric = true;

  int64_t rangesPerRow() const { return cols / colsPerRange; }
  int64_t numRanges() const {
    return (rows / rowsPerRange) * rangesPerRow();
  }
  int64_t rangeOf(int64_t n, int64_t k) const {
    return (n / rowsPerRange) * rangesPerRow() + k / colsPerRange;
  }
  /// Empty when the fields are consistent, else what is wrong.
  std::string validate() const;
};

/// Per-tensor, per-channel or grouped grids of `bits`-bit signed storage
/// (symmetric ones narrow, as quant-compile's schemes make them):
/// `group` = 0 per channel, -1 per tensor.
WeightGrid makeWeightGrid(int64_t rows, int64_t cols, unsigned bits,
                          bool symmetric, int64_t group);

/// Quantized weights: a code per element (row-major [N, K]) and, per range,
/// the scale and zero point with the real range [rangeMin, rangeMax] from
/// which numerics::chooseQuantParams gives exactly that scale and zero
/// point (the range an observer is pinned to).
struct QuantizedWeights {
  std::vector<int32_t> codes;
  std::vector<float> scales;
  std::vector<int32_t> zeroPoints;
  std::vector<double> rangeMin, rangeMax;

  /// dequantize(code) per element, as numerics::dequantize computes it.
  std::vector<float> dequantized(const WeightGrid &grid) const;
};

/// Round-to-nearest: per range the scale and zero point of its min and max,
/// every weight rounded half to even (what qc-calibrate's minmax weight
/// method and qc-fake-quant do).
QuantizedWeights quantizeRTN(llvm::ArrayRef<float> w, const WeightGrid &grid);

/// Statistics of a linear layer's input over the calibration tokens.
struct LinearInputStats {
  int64_t channels = 0; ///< K
  int64_t rows = 0;     ///< tokens seen
  /// sum_t x_t x_t^T, K x K row-major.
  std::vector<double> gram;
  /// sum_t |x_t|, per channel.
  std::vector<double> absSum;

  explicit LinearInputStats(int64_t k = 0)
      : channels(k), gram(k * k, 0.0), absSum(k, 0.0) {}
  /// Adds `m` rows of `x` ([m, K] row-major).
  void accumulate(const float *x, int64_t m);
  /// E[x_c^2] per channel: the imatrix importance.
  std::vector<double> meanSquare() const;
  /// E[|x_c|] per channel: AWQ's activation magnitude.
  std::vector<double> meanAbs() const;
};

/// sum_n (W - Wq)_n G (W - Wq)_n^T: the summed squared output error of the
/// layer over the tokens whose Gram matrix is `gram`.
double outputError(llvm::ArrayRef<float> w, llvm::ArrayRef<float> wq,
                   int64_t rows, int64_t cols, llvm::ArrayRef<double> gram);
/// sum_{n,c} importance_c (W - Wq)_{n,c}^2.
double weightedError(llvm::ArrayRef<float> w, llvm::ArrayRef<float> wq,
                     int64_t rows, int64_t cols,
                     llvm::ArrayRef<double> importance);

struct GPTQOptions {
  /// lambda = damp * mean(diag H) is added to the diagonal of H.
  double damp = 0.01;
  /// Quantize the columns in decreasing diag(H) order. The groups stay the
  /// contiguous ones of the type; a group's parameters are chosen when its
  /// first column in that order is reached.
  bool actOrder = false;
  /// Columns whose updates are applied lazily as a block.
  int64_t blockSize = 128;
};

/// GPTQ with `gram` = X^T X (any positive multiple: only its shape and the
/// relative damping matter). Columns with diag 0 (never active in the
/// calibration data) are quantized as 0. Each range's scale and zero point
/// come from the min/max of its weights as they are (error feedback
/// included) when its first column is reached. Fails, naming `what`, when
/// the damped matrix is not positive definite or holds non-finite values.
FailureOr<QuantizedWeights> quantizeGPTQ(llvm::ArrayRef<float> w,
                                         const WeightGrid &grid,
                                         llvm::ArrayRef<double> gram,
                                         const GPTQOptions &options,
                                         llvm::StringRef what,
                                         std::string &error);

/// imatrix: per range, the scale (and, asymmetric, zero point) minimising
/// sum importance_c (w - q(w))^2 among candidate scales around max|w| /
/// qmax (symmetric) or shrunk [min, max] ranges (asymmetric), each refined
/// by the weighted least-squares scale of its codes; round-to-nearest is
/// one candidate, so the weighted error is never above RTN's.
QuantizedWeights quantizeIMatrix(llvm::ArrayRef<float> w,
                                 const WeightGrid &grid,
                                 llvm::ArrayRef<double> importance);

struct AWQOptions {
  /// alpha in {0, 1/grid, ..., (grid-1)/grid}.
  unsigned grid = 20;
  /// In [0, 1]: this alpha, without a search.
  double fixedAlpha = -1;
  /// Clip search: shrink each range's limits by t in {1, 1 - 1/grid, ...}
  /// down to 1 - maxShrink (exclusive), keep the t with the lowest output
  /// error of the range.
  bool clip = true;
  double maxShrink = 0.5;
};

/// One layer of an AWQ scale search: its weight and grid (null: the layer
/// stays float and only needs its weights scaled).
struct AWQLayer {
  llvm::ArrayRef<float> weights;
  const WeightGrid *grid = nullptr;
};

struct AWQScales {
  std::vector<float> scales; ///< s per input channel (all 1: no scaling)
  double alpha = 0;          ///< the chosen exponent
  double error = 0;          ///< summed output error with `scales`
  double rtnError = 0;       ///< the same without scaling (alpha = 0)
};

/// Searches s = mean|x|^alpha (normalised by sqrt(max s * min s), at least
/// 1e-4) for the layers sharing one input: the alpha minimising
/// sum_layers ||W X - Q(W diag(s)) diag(1/s) X||^2, measured through the
/// Gram matrix.
AWQScales searchAWQScales(llvm::ArrayRef<AWQLayer> layers,
                          const LinearInputStats &stats,
                          const AWQOptions &options);

/// AWQ's clip search on one weight: per range the shrink factor of its
/// [min, max] (symmetric: of max|w|) with the lowest output error of the
/// range, measured with the Gram matrix block of its columns.
QuantizedWeights quantizeAWQClip(llvm::ArrayRef<float> w,
                                 const WeightGrid &grid,
                                 llvm::ArrayRef<double> gram,
                                 const AWQOptions &options);

/// The range [lo, hi] from which numerics::chooseQuantParams gives exactly
/// `scale` and `zeroPoint` for this grid (symmetric grids need the
/// midpoint zero point); fails for scales it cannot give.
LogicalResult rangeForParams(float scale, int32_t zeroPoint,
                             const WeightGrid &grid, double &lo, double &hi);

//===----------------------------------------------------------------------===//
// Model level
//===----------------------------------------------------------------------===//

/// The qc.linear ops of `func` in program order: what the statistics below
/// are indexed by.
std::vector<Operation *> getLinearOps(func::FuncOp func);

/// Statistics of the inputs of every qc.linear of `func` (program order),
/// measured on the float model (observers and fake-quants left out) while
/// the executor runs the samples of `data`. Layers reading the same value
/// share one LinearInputStats.
FailureOr<std::vector<std::shared_ptr<LinearInputStats>>>
collectLinearInputStats(func::FuncOp func, CalibrationDataset &data,
                        unsigned numThreads, bool progress,
                        std::string &error);

/// Checks that `stats` (measured on a calibration copy of the model with
/// other input shapes) fits the linear layers of `func`: the same number,
/// each with the input width of its weight, and layers that read one value
/// in `func` sharing their statistics. `error` names the first misfit.
LogicalResult checkStatsMatch(func::FuncOp func,
                              llvm::ArrayRef<std::shared_ptr<LinearInputStats>> stats,
                              std::string &error);

struct WeightOnlyOptions {
  WeightAlgorithm algorithm = WeightAlgorithm::RTN;
  GPTQOptions gptq;
  AWQOptions awq;
};

/// The weight grid an observer on a qc.linear weight [N, K] describes
/// (before or after calibration): per tensor, per output channel (axis 0),
/// or groups along K (block_axis 1). Fails for other layouts.
FailureOr<WeightGrid> getObserverWeightGrid(ObserveOp op, std::string &error);

/// What one layer's algorithm achieved, on the calibration statistics.
struct WeightOnlyLayerReport {
  std::string name;      ///< the weight's name (dense_resource key) or location
  int64_t rows = 0, cols = 0;
  std::string grid;      ///< e.g. "i4 g32 sym"
  double rtnError = 0;   ///< output error of round-to-nearest (summed)
  double error = 0;      ///< output error of the algorithm
  double rtnWeighted = 0, weighted = 0; ///< imatrix-weighted errors
  double alpha = -1;     ///< AWQ's exponent (-1: not searched)
  bool hasBaseline = false; ///< rtnError/rtnWeighted are set
};

/// AWQ's scale search and folding, on a model with weight observers placed
/// (qc-insert-observers) and not yet calibrated. Groups the linear layers by
/// the value they read; when that value's producer can absorb a per-channel
/// factor exactly (a qc.rms_norm with a constant weight, a qc.mul of which
/// one factor is a single-use qc.linear, or attention whose values come
/// straight from a single-use qc.linear with as many key/value heads as
/// query heads), searches s, multiplies the layers' weight columns by s and
/// divides the producer (norm weight, linear rows) by s. The float model
/// computes the same outputs (up to float rounding); `stats` are updated to
/// the scaled inputs. `reports` (one per linear, program order) get alpha.
LogicalResult applyAWQScaling(func::FuncOp func,
                              llvm::ArrayRef<std::shared_ptr<LinearInputStats>> stats,
                              const WeightOnlyOptions &options,
                              std::vector<WeightOnlyLayerReport> &reports,
                              std::string &error);

/// After qc-calibrate (weight observers hold their min/max): quantizes the
/// weight of every qc.linear whose weight is an observed f32 constant with
/// `options.algorithm`, replaces the constant by the dequantized codes,
/// pins the observer's range (method = the algorithm's name) and checks
/// that the observer's quantized type gives back every code. `reports`
/// gets the per-layer errors (program order, observed layers only).
LogicalResult quantizeLinearWeights(func::FuncOp func,
                                    llvm::ArrayRef<std::shared_ptr<LinearInputStats>> stats,
                                    const WeightOnlyOptions &options,
                                    std::vector<WeightOnlyLayerReport> &reports,
                                    std::string &error);

//===----------------------------------------------------------------------===//
// Text calibration of Llama step graphs
//===----------------------------------------------------------------------===//

/// Samples for a Llama step function (qc/Import/LLM/Llama.h) of C tokens
/// from a token stream: chunk j is BOS followed by tokens
/// [j (C-1), (j+1) (C-1)) of `text`, at position 0 with a causal mask and
/// empty caches. Fails when the function's signature is not a Llama step's.
FailureOr<std::unique_ptr<CalibrationDataset>>
makeTokenChunkDataset(func::FuncOp stepFunc, std::vector<int32_t> text,
                      int64_t numChunks, int32_t bos, std::string &error);

} // namespace mlir::qc

#endif // QC_QUANT_WEIGHTONLY_H
