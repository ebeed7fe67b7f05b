//===- Checkpoint.h - Llama checkpoints on disk -----------------*- C++ -*-===//
//
// Part of quantc. The Llama checkpoints quantc reads, as one LlamaConfig and
// a weight lookup for buildLlamaSteps (see Llama.h):
//
//  - llama2.c checkpoints (`.bin`): the "legacy" version 0 export, a header
//    of 7 little-endian int32 followed by f32 tensors (docs/LLM.md). The
//    file is mapped and every size the header claims is checked against it
//    before anything is allocated. RoPE rotates interleaved pairs.
//  - Hugging Face Llama models: a directory with `config.json` and
//    `model.safetensors` (or sharded with `model.safetensors.index.json`),
//    LlamaForCausalLM / MistralForCausalLM. The safetensors files stay
//    mapped; F32 tensors are used in place, F16/BF16 ones are widened to f32
//    when the step builder asks for them. RoPE rotates halves.
//
//===----------------------------------------------------------------------===//

#ifndef QC_IMPORT_LLM_CHECKPOINT_H
#define QC_IMPORT_LLM_CHECKPOINT_H

#include "qc/Import/LLM/Llama.h"

#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringMap.h"

#include <memory>

namespace mlir::qc {

struct LlamaCheckpoint {
  std::string path;
  LlamaConfig config;
  /// "llama2c", "safetensors" or "gguf".
  std::string format;
  /// The tokenizer shipped beside the weights (tokenizer.bin,
  /// tokenizer.model or tokenizer.json in a model directory; tokenizer.bin
  /// or tok<vocab>.bin beside a llama2.c checkpoint); empty when none is.
  std::string tokenizerPath;
  /// Canonical weight names (see LlamaWeightLookup) to their data.
  LlamaWeightLookup lookup() const { return lookupFn; }

  // Set by the readers.
  LlamaWeightLookup lookupFn;
  /// Keeps the mapped files alive while `lookupFn` hands out views of them.
  std::shared_ptr<void> storage;
};

/// A llama2.c checkpoint (`.bin`).
FailureOr<std::unique_ptr<LlamaCheckpoint>>
readLlama2cCheckpoint(llvm::StringRef path, std::string &error);

/// A Hugging Face Llama model: a directory holding config.json and its
/// safetensors, or a `.safetensors` file / `model.safetensors.index.json`
/// with config.json beside it. Hugging Face tensor names map to the
/// canonical ones (model.layers.N.self_attn.q_proj.weight ->
/// layers.N.wq, ...).
FailureOr<std::unique_ptr<LlamaCheckpoint>>
readHFLlamaCheckpoint(llvm::StringRef path, std::string &error);

/// A llama.cpp GGUF file of the "llama" architecture (tensors in any block
/// format quantc expands are dequantized to f32 on demand; RoPE rotates
/// interleaved pairs). Its tokenizer is the file's own.
FailureOr<std::unique_ptr<LlamaCheckpoint>>
readGGUFLlamaCheckpoint(llvm::StringRef path, std::string &error);

enum class LlamaNaming { HuggingFace, LlamaCpp };
/// The Hugging Face or llama.cpp name of a canonical weight name
/// (layers.3.wq -> model.layers.3.self_attn.q_proj.weight /
/// blk.3.attn_q.weight, tok_embeddings -> model.embed_tokens.weight /
/// token_embd.weight, ...); empty for an unknown name.
std::string llamaWeightName(llvm::StringRef canonical, LlamaNaming naming);

/// Any of the above, chosen from the path.
FailureOr<std::unique_ptr<LlamaCheckpoint>>
openLlamaCheckpoint(llvm::StringRef path, std::string &error);

/// A llama2.c `.bin` file.
bool isLlama2cPath(llvm::StringRef path);
/// A path openLlamaCheckpoint takes: a `.bin` file, a `.gguf` file, a
/// directory with a config.json, a `.safetensors` file or a
/// `.safetensors.index.json` with a config.json beside it.
bool isLlamaCheckpointPath(llvm::StringRef path);

/// The step functions `steps` of the checkpoint at `path`, as a module.
OwningOpRef<ModuleOp> importLlamaCheckpoint(MLIRContext *ctx,
                                            llvm::StringRef path,
                                            llvm::ArrayRef<LlamaStepSpec> steps);

} // namespace mlir::qc

#endif // QC_IMPORT_LLM_CHECKPOINT_H
