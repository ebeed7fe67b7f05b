//===- QuantTensor.h - quantize host tensors with a quantized type -*- C++ -*-===//
//
// Part of quantc. The executor's quantize/dequantize, for code outside the
// executor (calibration, reports, learned quantization) that must round
// exactly as `quant.qcast`/`quant.dcast`/`qc.fake_quant` do.
//
//===----------------------------------------------------------------------===//

#ifndef QC_EXECUTOR_QUANTTENSOR_H
#define QC_EXECUTOR_QUANTTENSOR_H

#include "qc/Executor/Tensor.h"

#include "mlir/IR/Types.h"
#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace mlir::qc {

/// How `quantType` (a `!quant.uniform` type of any granularity) quantizes a
/// tensor of `shape`, element by element: element i (row-major) uses
/// scales[index[i]] and zeroPoints[index[i]] and clamps to [qmin, qmax],
/// exactly as quantizeTensor does.
struct QuantParams {
  std::vector<int32_t> index;
  std::vector<float> scales;
  std::vector<int32_t> zeroPoints;
  int32_t qmin = 0, qmax = 0;
};
QuantParams getQuantParams(Type quantType, llvm::ArrayRef<int64_t> shape);

/// The storage integers of `in` quantized with `quantType` (a
/// `!quant.uniform` type, per tensor, per axis or sub-channel, whose shape
/// rules `in` satisfies): `quant.qcast`.
Tensor quantizeTensor(const Tensor &in, Type quantType);

/// Storage integers back to the expressed float type: `quant.dcast`.
Tensor dequantizeTensor(const Tensor &codes, Type quantType);

/// Quantize then dequantize: `qc.fake_quant`.
Tensor fakeQuantizeTensor(const Tensor &in, Type quantType);

} // namespace mlir::qc

#endif // QC_EXECUTOR_QUANTTENSOR_H
