//===- QuantRunMain.h - the quant-run driver --------------------*- C++ -*-===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#ifndef QC_TOOLS_QUANTRUNMAIN_H
#define QC_TOOLS_QUANTRUNMAIN_H

namespace mlir::qc {

/// Runs a model (.onnx or .mlir) on .npy inputs with the reference executor
/// and writes one .npy per output. Returns the process exit code.
int quantRunMain(int argc, char **argv);

} // namespace mlir::qc

#endif // QC_TOOLS_QUANTRUNMAIN_H
