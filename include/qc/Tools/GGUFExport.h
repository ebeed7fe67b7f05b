//===- GGUFExport.h - Llama checkpoints to llama.cpp's GGUF ------*- C++ -*-===//
//
// Part of quantc. `quant-compile CHECKPOINT --emit=gguf --gguf-type Q4_0
// -o model.gguf` writes a Llama checkpoint (llama2.c .bin or a Hugging Face
// directory) as a GGUF file llama.cpp loads: llama.cpp's metadata keys and
// tensor names, the tokenizer, and the weights in llama.cpp's block
// formats (see docs/GGUF.md for the per-tensor type rule).
//
//===----------------------------------------------------------------------===//

#ifndef QC_TOOLS_GGUFEXPORT_H
#define QC_TOOLS_GGUFEXPORT_H

#include "llvm/ADT/StringRef.h"

#include <string>

namespace mlir::qc {

struct GGUFExportOptions {
  std::string checkpoint;
  /// The tokenizer; empty: the one beside the checkpoint.
  std::string tokenizer;
  std::string output;
  /// The weights' type name (F32, F16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1,
  /// IQ4_NL, Q2_K .. Q6_K).
  std::string type = "Q8_0";
  /// The classifier's type (output.weight, or token_embd.weight when the
  /// embeddings are tied); empty: llama.cpp's rule (Q6_K for the block and
  /// K formats below 8 bits, else the weights' type).
  std::string outputType;
  /// An importance matrix (llama.cpp's imatrix GGUF) for the formats that
  /// take one.
  std::string imatrix;
  /// Model name for general.name; empty: the checkpoint's file name.
  std::string name;
  bool quiet = false;
};

/// Writes the GGUF file; returns the exit code (errors are printed).
int exportGGUF(const GGUFExportOptions &options);

/// Prints a GGUF file's metadata and tensors (as gguf-dump does).
int listGGUF(llvm::StringRef path);

} // namespace mlir::qc

#endif // QC_TOOLS_GGUFEXPORT_H
