//===- Histogram.h - streaming histograms and range searches -----*- C++ -*-===//
//
// Part of quantc. The statistics behind the histogram calibration methods
// (percentile, mse, entropy). A histogram keeps a fixed number of bins however
// much data streams through it: when a value falls outside its range the range
// doubles and neighbouring bins merge, so memory never grows with the data.
//
//===----------------------------------------------------------------------===//

#ifndef QC_QUANT_HISTOGRAM_H
#define QC_QUANT_HISTOGRAM_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <utility>
#include <vector>

namespace mlir::qc {

/// Counts of |x| in `numBins` equal bins over [0, R), kept separately for
/// x >= 0 and x < 0 so that both the magnitude histogram (entropy,
/// percentile) and the signed one (mse) can be read. Bin i of either half
/// holds |x| in [i * R / n, (i + 1) * R / n); |x| == R falls in the last bin.
/// R starts at the largest |x| of the first data with a non-zero value and
/// doubles (merging bins pairwise) whenever larger data arrives. Non-finite
/// values are ignored.
class Histogram {
public:
  /// `numBins` must be even and at least 2.
  explicit Histogram(unsigned numBins = 2048);

  void add(double x);
  void add(llvm::ArrayRef<float> xs);

  unsigned numBins() const { return pos.size(); }
  /// R: the range of |x| the bins cover (0 before any non-zero value).
  double range() const { return r; }
  double binWidth() const { return r / pos.size(); }
  /// Counts of x >= 0 and of x < 0, by |x| bin.
  llvm::ArrayRef<double> positive() const { return pos; }
  llvm::ArrayRef<double> negative() const { return neg; }
  /// Counts of |x| (positive + negative).
  std::vector<double> magnitude() const;
  double total() const { return count; }
  /// Exact extremes of the (finite) data seen; 0 when none.
  double min() const { return count ? lo : 0.0; }
  double max() const { return count ? hi : 0.0; }

private:
  void grow(double absMax);

  std::vector<double> pos, neg;
  double r = 0.0;
  double count = 0.0;
  double lo = 0.0, hi = 0.0;
};

/// The storage grid a range is searched for: what a `qc.observe` targets.
struct QuantTarget {
  unsigned bits = 8;
  bool isSigned = true;
  bool narrowRange = false;
  bool symmetric = false;
};

/// Ranges chosen from a histogram. Each returns [lo, hi] with lo <= hi, and
/// never wider than the data: lo >= min(), hi <= max().

/// Keeps `percentile` percent of |x|: a is the upper edge of the first bin at
/// which the cumulative |x| count reaches that fraction; the range is
/// [max(min, -a), min(max, a)].
std::pair<double, double> percentileRange(const Histogram &h,
                                          double percentile);

/// TensorRT's entropy calibration on the |x| histogram: for each threshold
/// bin i in [numQuantBins, n], the reference distribution P is bins [0, i)
/// with the counts beyond added to bin i - 1, and Q is bins [0, i) merged into
/// `numQuantBins` groups and spread back over each group's non-empty bins;
/// both are smoothed as MXNet and TensorRT do (a mass of 1e-4 moved onto
/// every empty bin); the threshold a = i * binWidth minimises KL(P || Q)
/// (the smallest such i on ties). The range is
/// [max(min, -a), min(max, a)].
std::pair<double, double> entropyRange(const Histogram &h,
                                       unsigned numQuantBins);

/// The clipping range that minimises the expected quantization error
/// sum_bins count * (c - fq(c))^2 over bin centres c, with fq the quantize /
/// dequantize of docs/Numerics.md for `target`. Symmetric targets search
/// a = k * binWidth (k = 1..n) for [-a, a]; asymmetric ones search the
/// upper and lower bounds over the bin edges by alternating (coordinate)
/// minimisation, starting from the data's extent.
std::pair<double, double> mseRange(const Histogram &h,
                                   const QuantTarget &target);

/// Sum of (x - fq(x))^2 over `xs` for the range [lo, hi] and `target`.
double quantizationError(llvm::ArrayRef<float> xs, double lo, double hi,
                         const QuantTarget &target);

/// The weight-MSE search: the range [t * min, t * max] (min/max of `xs`)
/// with t in {1, 0.99, ..., 0.01} that minimises quantizationError (the
/// first, i.e. widest, on ties).
std::pair<double, double> mseWeightRange(llvm::ArrayRef<float> xs,
                                         const QuantTarget &target);

} // namespace mlir::qc

#endif // QC_QUANT_HISTOGRAM_H
