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

#include "qc/GGUF/BlockFormats.h"
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

  /// A weight as stored: its ggml type, bytes and shape ([N, K] for a
  /// matrix; row-major, ggml's dims reversed).
  struct RawTensor {
    gguf::GGMLType type;
    llvm::ArrayRef<uint8_t> bytes;
    llvm::SmallVector<int64_t> shape;
  };
  /// GGUF checkpoints: a weight's stored bytes without expanding them
  /// (null for the other formats; nullopt for a missing weight).
  std::function<std::optional<RawTensor>(llvm::StringRef canonical)> rawLookupFn;

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
/// format quantc expands are dequantized to f32 on demand, or viewed as
/// stored through rawLookupFn; RoPE rotates interleaved pairs). Its
/// tokenizer is the file's own.
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

/// How linear weights are stored in the imported graph (docs/GGUF.md,
/// "Block weights in qc").
struct LlamaImportOptions {
  /// Linear weights in this block format (ggml's name, e.g. "Q4_0"),
  /// quantized from the checkpoint's floats one tensor at a time with
  /// llama.cpp's reference quantizers and partial-block rule; empty: as
  /// stored.
  std::string weightFormat;
  /// The classifier's format with weightFormat; empty: llama.cpp's rule
  /// (Q6_K below 8 bits, else weightFormat).
  std::string outputFormat;
  /// A GGUF file's tensors in block formats (and F16/BF16) stay as they are
  /// and become qc.block_linear weights; otherwise they are expanded to f32.
  bool keepBlocks = false;
  /// Q4_0 and Q8_0 layers take int8 activations (qc.block_linear's integer
  /// form, the generated int8 block kernels); else the float form.
  bool dynamicAct = true;

  bool encodes() const { return keepBlocks || !weightFormat.empty(); }
};

/// The encoder that stores `ckpt`'s linear weights as `options` asks (see
/// LlamaWeightEncoder); a null function when nothing is encoded. Errors
/// (an unknown format) name the option.
FailureOr<LlamaWeightEncoder>
makeLlamaWeightEncoder(const LlamaCheckpoint &ckpt,
                       const LlamaImportOptions &options, std::string &error);

/// The step functions `steps` of the checkpoint at `path`, as a module.
OwningOpRef<ModuleOp> importLlamaCheckpoint(MLIRContext *ctx,
                                            llvm::StringRef path,
                                            llvm::ArrayRef<LlamaStepSpec> steps,
                                            const LlamaImportOptions &options = {});

} // namespace mlir::qc

#endif // QC_IMPORT_LLM_CHECKPOINT_H
