//===- LlamaSession.h - run a Llama model step by step ----------*- C++ -*-===//
//
// Part of quantc. A LlamaSession runs a Llama model a step of tokens at a
// time with its KV caches, whatever form the model has:
//
//  - a checkpoint (llama2.c `.bin`, Hugging Face directory): step functions
//    are built with buildLlamaSteps for each step length asked for and run
//    on the reference executor;
//  - a step graph (`.mlir`, as `quant-compile CHECKPOINT -o X.mlir` writes
//    it, possibly quantized): its `main` runs on the executor;
//  - a compiled step artifact (`.qc`): the generated code through the
//    runtime.
//
// Step graphs and artifacts take a fixed number of tokens per step (one,
// as quant-compile writes them by default; S with --input-shape
// tokens=1xS, returning every token's logits); longer steps run as several.
//
//===----------------------------------------------------------------------===//

#ifndef QC_TOOLS_LLAMASESSION_H
#define QC_TOOLS_LLAMASESSION_H

#include "qc/Executor/Tensor.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/LLVM.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mlir::qc {

class LlamaSession {
public:
  /// Opens `path`: a checkpoint unless `stepGraph` (then an .mlir step graph
  /// or a .qc artifact); `llama2c` reads a checkpoint as llama2.c's
  /// format whatever its name. `error` names the file on failure.
  static FailureOr<std::unique_ptr<LlamaSession>>
  open(MLIRContext &ctx, llvm::StringRef path, bool stepGraph, bool llama2c,
       unsigned numThreads, std::string &error);
  ~LlamaSession();

  int64_t vocabSize() const { return vocab; }
  /// Rows of the KV cache: positions 0 .. contextSize() - 1.
  int64_t contextSize() const { return smax; }
  /// The tokenizer beside a checkpoint; empty for step graphs and when
  /// there is none.
  const std::string &defaultTokenizer() const { return tokenizerPath; }

  /// Tokens a step graph or artifact takes per step (quant-compile
  /// --input-shape tokens=1xS); 0 for a checkpoint, which takes any number.
  int64_t tokensPerStep() const;

  /// Empties the KV caches (a new sequence starts at position 0).
  void reset();

  /// Builds (for a checkpoint) the step function for `tokens` tokens ahead
  /// of time, so that the first step() of that length is not slower.
  LogicalResult prepare(int64_t tokens, bool allRows, std::string &error);

  /// Runs `tokens` at positions pos .. pos + n - 1 (pos must be the number
  /// of tokens the caches hold) and returns the logits of every token
  /// (`allRows`: n x V, row-major) or of the last one (V).
  LogicalResult step(llvm::ArrayRef<int32_t> tokens, int64_t pos, bool allRows,
                     std::vector<float> &logits, std::string &error);

private:
  struct Impl;
  LlamaSession();
  std::unique_ptr<Impl> impl;
  int64_t vocab = 0, smax = 0;
  std::string tokenizerPath;
};

/// The additive attention mask of a step of `s` tokens at `pos` over a
/// cache of `smax` rows: query i (at position pos + i) sees keys
/// 0 .. pos + i.
Tensor llamaStepMask(int64_t s, int64_t pos, int64_t smax);

} // namespace mlir::qc

#endif // QC_TOOLS_LLAMASESSION_H
