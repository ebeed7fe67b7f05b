//===- InitAll.h - register every dialect and pass quantc uses --*- C++ -*-===//
//
// Part of quantc. Tools call these instead of listing dialects themselves.
//
//===----------------------------------------------------------------------===//

#ifndef QC_INITALL_H
#define QC_INITALL_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mlir::qc {

/// qc plus the upstream dialects that appear next to it in quantc's IR.
void registerAllDialects(DialectRegistry &registry);

/// qc passes and pipelines, plus the upstream passes users run in between
/// (canonicalize, cse, inline, symbol-dce, ...).
void registerAllPasses();

} // namespace mlir::qc

#endif // QC_INITALL_H
