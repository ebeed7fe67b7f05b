//===- Llama2c.h - llama2.c checkpoints -------------------------*- C++ -*-===//
//
// Part of quantc. Reads Andrej Karpathy's llama2.c checkpoint format (the
// "legacy" version 0 export: a header of 7 little-endian int32 followed by
// f32 tensors, see docs/LLM.md) into a LlamaConfig and a weight lookup for
// buildLlamaSteps. The file is mapped, not read into memory, and every size
// the header claims is checked against the file before anything is
// allocated.
//
//===----------------------------------------------------------------------===//

#ifndef QC_IMPORT_LLM_LLAMA2C_H
#define QC_IMPORT_LLM_LLAMA2C_H

#include "qc/Import/LLM/Llama.h"

#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>

namespace mlir::qc {

struct Llama2cCheckpoint {
  std::string path;
  LlamaConfig config;
  /// The mapped file; `tensors` point into it.
  std::unique_ptr<llvm::MemoryBuffer> file;
  /// Canonical weight names (see LlamaWeightLookup) to views of the file.
  llvm::StringMap<LlamaTensor> tensors;

  LlamaWeightLookup lookup() const;
};

/// Reads and validates the checkpoint at `path`. On failure `error` names
/// the file and says what is wrong (a truncated file, a header with
/// impossible dimensions, bytes the header does not account for).
FailureOr<std::unique_ptr<Llama2cCheckpoint>>
readLlama2cCheckpoint(llvm::StringRef path, std::string &error);

/// True for paths that the tools treat as llama2.c checkpoints (".bin").
bool isLlama2cPath(llvm::StringRef path);

/// Reads the checkpoint at `path` and builds a module holding one step
/// function per spec. Errors are emitted on `ctx` (naming the file); null
/// on failure.
OwningOpRef<ModuleOp> importLlama2c(MLIRContext *ctx, llvm::StringRef path,
                                    llvm::ArrayRef<LlamaStepSpec> steps);

} // namespace mlir::qc

#endif // QC_IMPORT_LLM_LLAMA2C_H
