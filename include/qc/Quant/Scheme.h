//===- Scheme.h - quantization recipes and observer targets ------*- C++ -*-===//
//
// Part of quantc. A scheme ("w8a8", "w4a16-g32", ...) says how the weights and
// activations of a contraction op are quantized; `qc-insert-observers` turns
// it into `qc.observe` targets, `qc-fake-quant` turns a calibrated observer
// into a `!quant.uniform` type with getObserverQuantType().
//
//===----------------------------------------------------------------------===//

#ifndef QC_QUANT_SCHEME_H
#define QC_QUANT_SCHEME_H

#include "mlir/IR/Types.h"
#include "mlir/Support/LLVM.h"

#include <string>

namespace mlir::qc {

class ObserveOp;

/// How activations are handled by a scheme.
enum class ActivationMode {
  Float,   ///< weight-only (a16): activations stay float
  Static,  ///< calibrated per-tensor range
  Dynamic, ///< range computed at run time (per token/row)
};

/// Granularity of weight ranges.
enum class WeightGranularity { PerTensor, PerChannel, PerGroup };

/// A parsed scheme. Grammar (case-insensitive):
///
///   w<B>a<A>[-dynamic][-pt|-pc|-g<N>][-sym|-asym]    or    float
///
/// B in 2..8 (weight bits), A in {8, 16} (16 = float activations). Defaults:
/// weights per channel, symmetric, narrow range for 8 bits; 4 bits and less
/// default to groups of 32 when the scheme is weight-only or dynamic;
/// activations asymmetric per tensor (symmetric per row when dynamic, per
/// row and group when the weights are in groups).
struct QuantScheme {
  bool isFloat = false;
  unsigned weightBits = 8;
  bool weightSymmetric = true;
  WeightGranularity granularity = WeightGranularity::PerChannel;
  int64_t groupSize = 0;
  ActivationMode activations = ActivationMode::Static;
  unsigned activationBits = 8;

  /// Canonical spelling, e.g. "w4a16-g32-sym"; parse(str()) == *this.
  std::string str() const;
  static FailureOr<QuantScheme> parse(StringRef text, std::string &error);
  bool operator==(const QuantScheme &o) const;
};

/// The names parse() accepts as base recipes, for help texts.
ArrayRef<StringRef> getSchemeRecipeNames();

/// The `!quant.uniform` type an observer's calibrated range and target
/// (storage, symmetric, narrow_range, axis, block_axis/block_size) describe:
/// per tensor, per axis (quant::UniformQuantizedPerAxisType) or sub-channel.
/// Scales and zero points come from numerics::chooseQuantParams (the range
/// is widened to include 0). Fails, with `why`, for an uncalibrated or
/// dynamic observer.
FailureOr<Type> getObserverQuantType(ObserveOp op, std::string &why);

/// Same, for an explicit range layout (used when searching ranges).
/// `mins`/`maxs` follow the observer's range layout.
FailureOr<Type> getObserverQuantType(ObserveOp op, ArrayRef<double> mins,
                                     ArrayRef<double> maxs, std::string &why);

} // namespace mlir::qc

#endif // QC_QUANT_SCHEME_H
