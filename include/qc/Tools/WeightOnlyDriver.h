//===- WeightOnlyDriver.h - text calibration for --weight-algo --*- C++ -*-===//
//
// Part of quantc. quant-compile CHECKPOINT --weight-algo gptq|awq|imatrix
// --calib-text FILE: the text is tokenized with the checkpoint's tokenizer,
// cut into chunks of C tokens that each start with BOS, and run through a
// calibration copy of the model built with C tokens per step and logits
// for every token, so that every qc.linear sees C rows per chunk. The
// builder emits the linear layers in the same order whatever the step
// length, so the statistics map onto the model's layers by order (and are
// checked against their shapes).
//
//===----------------------------------------------------------------------===//

#ifndef QC_TOOLS_WEIGHTONLYDRIVER_H
#define QC_TOOLS_WEIGHTONLYDRIVER_H

#include "qc/Quant/WeightOnly.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir::qc {

class Tokenizer;

struct TextCalibrationOptions {
  /// The calibration text (UTF-8).
  std::string textPath;
  /// The tokenizer; empty: the one beside the checkpoint.
  std::string tokenizerPath;
  /// Tokens to run, BOS included: floor(tokens / context) chunks.
  int64_t tokens = 8192;
  /// Tokens per chunk; 0: 256, or the model's context when shorter.
  int64_t context = 0;
  unsigned numThreads = 0;
  bool progress = true;
};

/// Tokens of `text` for calibration, at most `maxTokens` of them: each
/// non-blank line (lines longer than 4096 bytes are cut at a space) is
/// encoded on its own as llama2.c encodes a prompt (a leading space, no
/// BOS), which keeps the encoder's cost linear in the text's length.
std::vector<int32_t> tokenizeCalibrationText(const Tokenizer &tokenizer,
                                             llvm::StringRef text,
                                             size_t maxTokens);

/// Statistics of the inputs of the linear layers of `modelFunc`, a step
/// graph of the Llama checkpoint at `checkpoint`, measured on the
/// calibration text. Writes what it does (chunks, tokens) to stderr unless
/// `options.progress` is false. `error` names the file or option at fault.
FailureOr<std::vector<std::shared_ptr<LinearInputStats>>>
collectLlamaTextStats(MLIRContext *ctx, llvm::StringRef checkpoint,
                      func::FuncOp modelFunc,
                      const TextCalibrationOptions &options,
                      std::string &error);

/// Writes what --weight-algo achieved to `os`: one summary line (the
/// geometric mean over the layers of the calibration output error relative
/// to round-to-nearest's) and, with `perLayer`, a line per layer.
void printWeightOnlyReport(llvm::raw_ostream &os, WeightAlgorithm algorithm,
                           llvm::ArrayRef<WeightOnlyLayerReport> reports,
                           bool perLayer);

} // namespace mlir::qc

#endif // QC_TOOLS_WEIGHTONLYDRIVER_H
