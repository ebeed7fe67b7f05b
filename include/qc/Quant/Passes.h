//===- Passes.h - quantization passes ---------------------------*- C++ -*-===//
//
// Part of quantc. Passes that need more than the dialect: the reference
// executor, calibration data, quantization schemes.
//
//===----------------------------------------------------------------------===//

#ifndef QC_QUANT_PASSES_H
#define QC_QUANT_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir::qc {

#define GEN_PASS_DECL
#include "qc/Quant/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "qc/Quant/Passes.h.inc"

} // namespace mlir::qc

#endif // QC_QUANT_PASSES_H
