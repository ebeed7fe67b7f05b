//===- Generate.h - text generation with llama2.c checkpoints ---*- C++ -*-===//
//
// Part of quantc. Drives the Llama step graph (qc/Import/LLM/Llama.h) on the
// reference executor: the prompt runs as one prefill step, then one decode
// step per new token, the KV caches flowing from each step's results into
// the next step's arguments.
//
//===----------------------------------------------------------------------===//

#ifndef QC_TOOLS_GENERATE_H
#define QC_TOOLS_GENERATE_H

#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/LLVM.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::qc {

struct GenerateOptions {
  /// A Llama checkpoint (llama2.c .bin, Hugging Face directory), or (with
  /// stepGraph) an .mlir step graph or .qc artifact as quant-compile writes
  /// them for one (one token per step; it may be quantized).
  std::string checkpoint;
  bool stepGraph = false;
  /// Read the checkpoint as llama2.c's format whatever its name.
  bool llama2c = false;
  std::string tokenizer;
  std::string prompt;
  /// New tokens to generate (fewer when the context fills up or the model
  /// emits BOS or EOS).
  int64_t numTokens = 64;
  /// 0: greedy (argmax); otherwise softmax(logits / temperature) sampling.
  double temperature = 0;
  /// Nucleus sampling threshold; <= 0 or >= 1 samples from the whole
  /// distribution.
  double topP = 0.9;
  uint64_t seed = 1;
  unsigned numThreads = 0;
  bool printTokens = false;
  bool time = false;
  /// Writes the logits of the first step (the prompt's last token) as .npy.
  std::string firstLogitsPath;
};

/// llama2.c's sampler: xorshift random numbers, argmax, multinomial and
/// top-p sampling over `logits` (modified in place).
class Sampler {
public:
  Sampler(double temperature, double topP, uint64_t seed)
      : temperature(temperature), topP(topP), state(seed ? seed : 1) {}
  int32_t sample(std::vector<float> &logits);

private:
  uint32_t randomU32();
  float randomF32();
  double temperature, topP;
  uint64_t state;
};

/// Generates text and prints it to stdout; errors go to stderr. Returns the
/// process exit code.
int generateText(MLIRContext &ctx, const GenerateOptions &options);

struct PerplexityOptions {
  /// As GenerateOptions::checkpoint.
  std::string model;
  bool stepGraph = false;
  bool llama2c = false;
  std::string tokenizer;
  /// The text to score.
  std::string textPath;
  /// Tokens per chunk; 0: the model's context.
  int64_t ctx = 0;
  /// Score at most this many chunks (0: all).
  int64_t maxChunks = 0;
  /// Without klDivergence: where to save the scored tokens'
  /// log-probabilities; with it: the file to compare with.
  std::string klBasePath;
  bool klDivergence = false;
  /// Print the running perplexity after every chunk (llama.cpp's [1]x,[2]y).
  bool progress = true;
  bool time = false;
  unsigned numThreads = 0;
};

/// Perplexity of a text the way llama.cpp's llama-perplexity computes it
/// (see Perplexity.cpp), and KL divergence from saved base distributions.
int evaluatePerplexity(MLIRContext &ctx, const PerplexityOptions &options);

} // namespace mlir::qc

#endif // QC_TOOLS_GENERATE_H
