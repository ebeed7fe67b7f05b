//===- ReportData.h - what a quantization report holds -----------*- C++
//-*-===//
//
// Part of quantc. Internal to lib/Quant: Report.cpp measures a model into a
// QuantReport; ReportJson.cpp and ReportHtml.cpp render it. Keeping the
// numbers in one struct means the JSON and the HTML page can never disagree.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_QUANT_REPORTDATA_H
#define QC_LIB_QUANT_REPORTDATA_H

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mlir::qc::report {

/// The JSON schema version; bump it when a field changes meaning or goes.
constexpr int kSchemaVersion = 1;
/// Bits counted per scale (one f32 per range entry).
constexpr int kScaleBits = 32;
/// The quantized type is printed into the report only up to this many range
/// entries.
constexpr int64_t kMaxPrintedRanges = 16;
/// Histogram bins per activation observer.
constexpr int kHistogramBins = 128;

/// Sums from which MSE and SQNR follow.
struct ErrorStats {
  double sumSignal = 0; ///< sum of x^2
  double sumError = 0;  ///< sum of (x - fq(x))^2
  int64_t count = 0;
  int64_t clipped = 0; ///< elements outside the representable range

  void add(double x, double y) {
    sumSignal += x * x;
    sumError += (x - y) * (x - y);
    ++count;
  }
  std::optional<double> mse() const {
    if (count == 0)
      return std::nullopt;
    return sumError / count;
  }
  /// 10 log10(signal / error) in dB; nullopt when it is not a finite number
  /// (no error at all, or no signal).
  std::optional<double> sqnrDb() const;
  std::optional<double> clippedFraction() const {
    if (count == 0)
      return std::nullopt;
    return double(clipped) / count;
  }
};

/// What every observer row shares: where it is and how it quantizes.
struct ObserverInfo {
  std::string name;
  std::vector<int64_t> shape;
  std::string storage; ///< "i8", "ui4", ...
  unsigned storageBits = 8;
  bool symmetric = false;
  bool narrowRange = false;
  bool dynamic = false;
  std::string granularity; ///< "per-tensor", "per-axis", "per-block"
  std::optional<int64_t> axis, blockAxis, blockSize;
  int64_t numRanges = 1;
  std::string method; ///< calibration method, "" when unset
  /// Calibrated range: the smallest min and the largest max over all range
  /// entries (nullopt for dynamic observers).
  std::optional<double> rangeMin, rangeMax;
  /// The range the quantized type can represent, [scale (qmin - zp),
  /// scale (qmax - zp)], enveloped over the range entries.
  std::optional<double> clipMin, clipMax;
  /// The quantized type, printed ("" for dynamic observers and for more
  /// than kMaxPrintedRanges range entries).
  std::string quantType;
};

struct WeightRow {
  ObserverInfo info;
  int64_t elements = 0;
  /// Storage bits of the elements plus kScaleBits per range entry plus the
  /// storage bits of a zero point per range entry when not symmetric.
  int64_t bits = 0;
  double bitsPerWeight = 0;
  double dataMin = 0, dataMax = 0;
  ErrorStats error;
};

struct Histogram {
  double lo = 0, hi = 0;
  std::vector<int64_t> counts;
};

struct ActivationRow {
  ObserverInfo info;
  /// Tensors seen (one per sample that reached the observer).
  int64_t tensors = 0;
  std::optional<double> dataMin, dataMax;
  int64_t nonFinite = 0;
  ErrorStats error;
  Histogram histogram;
};

struct OutputRow {
  std::string name;
  std::vector<int64_t> shape;
  ErrorStats error;
  double maxAbsError = 0;
  /// Rank-2 float outputs ([batch, classes]): rows whose arg-max agrees.
  std::optional<int64_t> top1Agree, top1Rows;
};

struct ModelSize {
  int64_t parameters = 0;          ///< float constant elements
  int64_t quantizedParameters = 0; ///< of which observed as weights
  int64_t floatBits = 0;
  int64_t quantizedBits = 0;
  int64_t quantizedWeightBits = 0; ///< bits of the observed weights alone
};

struct QuantReport {
  std::string title;
  std::vector<std::pair<std::string, std::string>> settings;
  std::string function;
  int64_t samples = 0;
  ModelSize size;
  std::vector<WeightRow> weights;
  std::vector<ActivationRow> activations;
  std::vector<OutputRow> outputs;
  /// Dynamic observers, which the end-to-end model leaves float.
  int64_t dynamicNotApplied = 0;
};

/// Pooled over all outputs: the overall metric.
ErrorStats pooledOutputError(const QuantReport &r);

std::string renderJson(const QuantReport &r);
std::string renderHtml(const QuantReport &r);

} // namespace mlir::qc::report

#endif // QC_LIB_QUANT_REPORTDATA_H
