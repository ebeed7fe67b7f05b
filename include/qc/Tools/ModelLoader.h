//===- ModelLoader.h - load .onnx or .mlir models for the tools -*- C++ -*-===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#ifndef QC_TOOLS_MODELLOADER_H
#define QC_TOOLS_MODELLOADER_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"

#include "qc/Import/LLM/Checkpoint.h"

#include <string>

namespace mlir::qc {

/// Parses `--input-shape NAME=1x3x320x320` values into `shapes`; failure
/// explains the bad entry in `error`.
LogicalResult parseInputShapes(llvm::ArrayRef<std::string> specs,
                               llvm::StringMap<llvm::SmallVector<int64_t>> &shapes,
                               std::string &error);

/// Loads an .onnx (through the importer), a llama2.c checkpoint (.bin: one
/// decoding step as `main`, see qc/Import/LLM/Llama.h) or an .mlir/.mlirbc
/// file, verified.
/// Diagnostics go to the context's handler; null on failure.
/// `llama` says how a Llama checkpoint's linear weights are stored.
OwningOpRef<ModuleOp>
loadModel(MLIRContext *ctx, llvm::StringRef path,
          const llvm::StringMap<llvm::SmallVector<int64_t>> &inputShapes,
          const LlamaImportOptions &llama = {});

/// The function to run: `name` if given, else `main`, else the module's
/// only function. Emits an error and returns null otherwise.
func::FuncOp findEntryFunction(ModuleOp module, llvm::StringRef name);

} // namespace mlir::qc

#endif // QC_TOOLS_MODELLOADER_H
