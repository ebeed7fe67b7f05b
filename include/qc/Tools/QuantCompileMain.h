//===- QuantCompileMain.h - the quant-compile driver ------------*- C++ -*-===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#ifndef QC_TOOLS_QUANTCOMPILEMAIN_H
#define QC_TOOLS_QUANTCOMPILEMAIN_H

namespace mlir::qc {

/// Compiles a model through the phases up to --compile-to and prints or
/// writes the result. Returns the process exit code.
int quantCompileMain(int argc, char **argv);

} // namespace mlir::qc

#endif // QC_TOOLS_QUANTCOMPILEMAIN_H
