//===- LlamaConfig.h - Hugging Face config.json of the Llama family -*- C++ -*-===//
//
// Part of quantc. Parses the config.json of LlamaForCausalLM-style models
// (Llama, Mistral and their kin: pre-norm decoder, RMSNorm, rotary
// embeddings, grouped-query attention, gated SiLU MLP) into LlamaConfig, and
// checks a safetensors model's tensors against it: every expected weight
// present with the expected shape. The graph itself is built elsewhere
// (lib/Import/LLM); this is the format layer only.
//
//===----------------------------------------------------------------------===//

#ifndef QC_IMPORT_SAFETENSORS_LLAMACONFIG_H
#define QC_IMPORT_SAFETENSORS_LLAMACONFIG_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace mlir::qc::safetensors {

class SafetensorsModel;

struct LlamaConfig {
  int64_t hiddenSize = 0;
  int64_t intermediateSize = 0;
  int64_t numHiddenLayers = 0;
  int64_t numAttentionHeads = 0;
  /// Default: numAttentionHeads (multi-head attention).
  int64_t numKeyValueHeads = 0;
  /// Default: hiddenSize / numAttentionHeads.
  int64_t headDim = 0;
  int64_t vocabSize = 0;
  /// Default: 2048 when absent.
  int64_t maxPositionEmbeddings = 0;
  /// Default: 1e-6.
  double rmsNormEps = 1e-6;
  /// Default: 10000.
  double ropeTheta = 10000.0;
  /// lm_head shares model.embed_tokens.weight. Default: false.
  bool tieWordEmbeddings = false;
  /// q/k/v/o projections (attention_bias) and gate/up/down projections
  /// (mlp_bias) carry a `.bias`. Default: false.
  bool attentionBias = false;
  bool mlpBias = false;
  /// The "rope_type" of a present "rope_scaling" object ("linear",
  /// "dynamic", "llama3", ...; "unknown" without one); empty when absent.
  std::string ropeScaling;
  /// "sliding_window" (Mistral); 0 when absent or null.
  int64_t slidingWindow = 0;
  /// E.g. {"LlamaForCausalLM"}; may be empty.
  std::vector<std::string> architectures;
  /// "model_type", e.g. "llama"; may be empty.
  std::string modelType;
  /// "torch_dtype" (or "dtype" in newer files), e.g. "bfloat16"; may be empty.
  std::string torchDtype;
  /// "hidden_act"; default "silu".
  std::string hiddenAct = "silu";

  int64_t qDim() const { return numAttentionHeads * headDim; }
  int64_t kvDim() const { return numKeyValueHeads * headDim; }
};

/// Parses config.json text. `source` names the file in errors. Checks that
/// the required sizes are present, integers and positive, that the number of
/// attention heads divides hidden_size when head_dim is absent (it is
/// derived from them), and that num_key_value_heads divides
/// num_attention_heads.
llvm::Expected<LlamaConfig> parseLlamaConfig(llvm::StringRef json,
                                             llvm::StringRef source);
/// Reads and parses a config.json file.
llvm::Expected<LlamaConfig> loadLlamaConfig(llvm::StringRef path);

/// A weight a Llama model needs, and its shape ([out, in] for projections,
/// as Hugging Face stores nn.Linear weights).
struct ExpectedTensor {
  std::string name;
  llvm::SmallVector<int64_t, 2> shape;
};
/// Every tensor `config` calls for, in a fixed order: the embedding, each
/// layer's norms, attention and MLP projections, the final norm and lm_head
/// unless the embeddings are tied.
std::vector<ExpectedTensor> expectedLlamaTensors(const LlamaConfig &config);

/// Checks that `model` holds every tensor of expectedLlamaTensors(config)
/// with that shape and a floating-point dtype; the error names the first
/// tensor that is missing or differs. Extra tensors are allowed.
llvm::Error checkLlamaWeights(const LlamaConfig &config,
                              const SafetensorsModel &model);

/// Prints the configuration, one `key: value` line each.
void printLlamaConfig(llvm::raw_ostream &os, const LlamaConfig &config);

} // namespace mlir::qc::safetensors

#endif // QC_IMPORT_SAFETENSORS_LLAMACONFIG_H
