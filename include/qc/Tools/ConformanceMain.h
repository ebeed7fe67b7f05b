//===- ConformanceMain.h - ONNX backend node tests driver -------*- C++ -*-===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#ifndef QC_TOOLS_CONFORMANCEMAIN_H
#define QC_TOOLS_CONFORMANCEMAIN_H

namespace mlir::qc {

/// Feeds ONNX's backend node tests through the importer and the reference
/// executor and prints "N passed, M failed, K skipped". Returns the exit code.
int conformanceMain(int argc, char **argv);

} // namespace mlir::qc

#endif // QC_TOOLS_CONFORMANCEMAIN_H
