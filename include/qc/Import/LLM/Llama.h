//===- Llama.h - Llama-family decoders as qc step graphs --------*- C++ -*-===//
//
// Part of quantc. A file-format-independent description of a Llama-family
// decoder (config + a weight lookup) and the builder that turns it into a
// `func.func` of qc ops computing one decoding *step* with static shapes:
//
//   (tokens : [1, S] i64, pos : i64 (rank 0), mask : [1, 1, S, Smax] f32,
//    k_cache_0, v_cache_0, ..., k_cache_{L-1}, v_cache_{L-1} : [1, Hkv, Smax, D] f32)
//     -> (logits : [1, S or 1, V] f32, k_cache_0', v_cache_0', ...)
//
// The S new tokens sit at positions [pos, pos + S); their keys and values
// are written into the caches at those rows and attention reads the whole
// cache through the additive mask (0 where key j is visible to query i,
// -inf elsewhere), so the shapes stay static while the valid length grows.
//
//===----------------------------------------------------------------------===//

#ifndef QC_IMPORT_LLM_LLAMA_H
#define QC_IMPORT_LLM_LLAMA_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace mlir::qc {

struct LlamaConfig {
  int64_t dim = 0;        ///< model width
  int64_t hiddenDim = 0;  ///< FFN width
  int64_t numLayers = 0;
  int64_t numHeads = 0;
  int64_t numKVHeads = 0; ///< divides numHeads (grouped-query attention)
  int64_t vocabSize = 0;
  int64_t maxSeqLen = 0;  ///< Smax: rows of the KV cache
  double ropeTheta = 10000.0;
  double normEps = 1e-5;
  /// RoPE pairs (2i, 2i+1) (llama2.c, Meta) or (i, i + D/2) (Hugging Face).
  bool ropeInterleaved = true;
  /// The classifier is the token embedding table.
  bool tiedEmbeddings = true;

  int64_t headDim() const { return numHeads ? dim / numHeads : 0; }
  int64_t kvDim() const { return numKVHeads * headDim(); }
  /// Empty when the config is consistent, else what is wrong.
  std::string validate() const;
  /// The shape of the weight with canonical name `name` (see
  /// LlamaWeightLookup); empty for an unknown name.
  llvm::SmallVector<int64_t> weightShape(llvm::StringRef name) const;
};

/// A weight as row-major f32 values with its shape.
struct LlamaTensor {
  llvm::ArrayRef<float> data;
  llvm::SmallVector<int64_t> shape;
  /// Owns `data` when it was converted (e.g. widened from f16) rather than
  /// viewed in a mapped file; null for views.
  std::shared_ptr<const float[]> owner;
};

/// Looks up a weight by its canonical name; nullopt if absent. Names:
///   tok_embeddings                  [V, dim]
///   layers.<l>.attention_norm       [dim]
///   layers.<l>.wq / wk / wv / wo    [dim, dim] / [kvDim, dim] / [kvDim, dim] / [dim, dim]
///   layers.<l>.ffn_norm             [dim]
///   layers.<l>.w1 / w2 / w3         [hidden, dim] / [dim, hidden] / [hidden, dim]
///   norm                            [dim]
///   output                          [V, dim] (only without tiedEmbeddings)
/// Linear weights use the PyTorch layout [out, in].
using LlamaWeightLookup =
    std::function<std::optional<LlamaTensor>(llvm::StringRef name)>;

/// A linear layer's weight in one of llama.cpp's block formats
/// (docs/GGUF.md): N rows of rowSize(format, K) bytes each, exactly as a
/// GGUF tensor [K, N] stores them.
struct LlamaBlockWeight {
  /// ggml's type name: "Q4_0", "Q8_0", "Q6_K", "F16", ...
  std::string format;
  llvm::ArrayRef<uint8_t> bytes;
  /// Keeps `bytes` alive (a mapped file, or a buffer the encoder filled).
  std::shared_ptr<const void> owner;
  /// qc.block_linear's integer form (int8 activations; Q4_0 and Q8_0).
  bool dynamicAct = false;
};

/// Decides how the linear weight `name` (shape [N, K]; `classifier` for
/// the output layer) is stored: nullopt keeps it f32 (qc.linear), a block
/// weight makes the layer a qc.block_linear on a qc.constant of its bytes.
/// The builder calls it once per weight, in graph order, and keeps nothing
/// else of the weight, so an encoder that quantizes holds one tensor's
/// floats at a time.
using LlamaWeightEncoder =
    std::function<llvm::Expected<std::optional<LlamaBlockWeight>>(
        llvm::StringRef name, llvm::ArrayRef<int64_t> shape, bool classifier)>;

struct LlamaStepSpec {
  std::string functionName = "main";
  int64_t seqLen = 1;            ///< S: tokens per step
  bool lastLogitsOnly = false;   ///< logits [1, 1, V] of the last token only
};

/// Adds one step function per spec to `module` (weights shared between
/// them as dense_resource blobs named after the weights). Errors (a missing
/// weight, a shape that disagrees with the config) are emitted on the
/// module's context and fail.
/// With an `encoder`, linear layers whose weight it encodes become
/// qc.block_linear (the token embedding stays f32 from `weights`).
LogicalResult buildLlamaSteps(ModuleOp module, const LlamaConfig &config,
                              const LlamaWeightLookup &weights,
                              llvm::ArrayRef<LlamaStepSpec> steps,
                              const LlamaWeightEncoder &encoder = nullptr);

} // namespace mlir::qc

#endif // QC_IMPORT_LLM_LLAMA_H
