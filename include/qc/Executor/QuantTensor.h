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

namespace mlir::qc {

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
