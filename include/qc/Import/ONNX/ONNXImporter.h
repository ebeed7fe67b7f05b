//===- ONNXImporter.h - ONNX models into qc ---------------------*- C++ -*-===//
//
// Part of quantc. Reads an ONNX ModelProto with Debian's libonnx protobuf
// classes and builds a module with one func.func of qc ops. Handlers are
// table-driven: one per op type and opset range.
//
//===----------------------------------------------------------------------===//

#ifndef QC_IMPORT_ONNX_ONNXIMPORTER_H
#define QC_IMPORT_ONNX_ONNXIMPORTER_H

#include "qc/Executor/Tensor.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"

#include <string>

namespace mlir::qc {

struct ONNXImportOptions {
  /// `--input-shape NAME=1x3x320x320`: fixes the dims of a graph input
  /// (dynamic or not; the rank must match).
  llvm::StringMap<llvm::SmallVector<int64_t>> inputShapes;
  /// Name of the generated function.
  std::string functionName = "main";
  /// Initializers and Constant tensors with at least this many elements are
  /// stored as dense_resource blobs (never printed as text); smaller ones
  /// stay dense attributes so that shape arithmetic folds at import.
  int64_t resourceThreshold = 64;
};

/// Imports the model at `path` (external-data tensors are read relative to
/// its folder). The function's arguments and results carry their ONNX names
/// as `qc.name` attributes. On failure, diagnostics naming the file, node,
/// op type and opset are emitted on `ctx` and a null module is returned.
OwningOpRef<ModuleOp> importONNXModel(MLIRContext *ctx, llvm::StringRef path,
                                      const ONNXImportOptions &options = {});

/// Reads a serialized onnx.TensorProto (the format of ONNX's backend test
/// data, `input_0.pb`) into a host tensor; `name` receives its name.
FailureOr<Tensor> readONNXTensorFile(llvm::StringRef path, std::string &name,
                                     std::string &error);

/// The op types and opset ranges the importer handles, for `--list-ops` and
/// docs: one "OpType since-version[-until]" entry per handler.
std::vector<std::string> listSupportedONNXOps();

} // namespace mlir::qc

#endif // QC_IMPORT_ONNX_ONNXIMPORTER_H
