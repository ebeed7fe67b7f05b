//===- GGUFLlama.cpp - llama.cpp's GGUF Llama models ----------------------===//
//
// Part of quantc. See include/qc/Import/LLM/Checkpoint.h. A GGUF file of
// the "llama" architecture reads as a checkpoint: llama.cpp's metadata keys
// give the config, its tensors (any block format quantc can expand) are
// dequantized to f32 when the step builder asks for them - or handed out as
// they are stored (rawLookupFn) for qc.block_linear weights - and RoPE rotates
// interleaved pairs (llama.cpp's layout). The tokenizer is the file's own
// (tokenizer.ggml.*), read by Tokenizer::load from the same path.
//
//===----------------------------------------------------------------------===//

#include "qc/Import/LLM/Checkpoint.h"

#include "qc/GGUF/BlockFormats.h"
#include "qc/GGUF/GGUF.h"

#include "llvm/ADT/SmallString.h"

using namespace mlir;
using namespace mlir::qc;
namespace gg = mlir::qc::gguf;


FailureOr<std::unique_ptr<LlamaCheckpoint>>
qc::readGGUFLlamaCheckpoint(StringRef path, std::string &error) {
  auto fail = [&](const Twine &why) {
    error = (path + ": " + why).str();
    return failure();
  };
  auto opened = gg::GGUFFile::open(path);
  if (!opened) {
    error = llvm::toString(opened.takeError());
    return failure();
  }
  std::shared_ptr<gg::GGUFFile> file = std::move(*opened);
  const gg::Value *arch = file->lookup("general.architecture");
  std::optional<StringRef> archName = arch ? arch->asString() : std::nullopt;
  if (!archName || *archName != "llama")
    return fail("a GGUF model of architecture '" +
                (archName ? *archName : StringRef("?")) +
                "': only llama is supported");
  auto number = [&](StringRef key, int64_t &out, int64_t fallback) {
    const gg::Value *v = file->lookup(key);
    if (!v) {
      out = fallback;
      return fallback > 0;
    }
    std::optional<uint64_t> u = v->asUnsigned();
    if (!u || *u == 0 || *u > (1u << 30))
      return false;
    out = int64_t(*u);
    return true;
  };
  auto ckpt = std::make_unique<LlamaCheckpoint>();
  ckpt->path = path.str();
  ckpt->format = "gguf";
  ckpt->storage = file;
  LlamaConfig &c = ckpt->config;
  for (auto [key, out, fallback] :
       {std::make_tuple("llama.embedding_length", &c.dim, int64_t(0)),
        std::make_tuple("llama.feed_forward_length", &c.hiddenDim, int64_t(0)),
        std::make_tuple("llama.block_count", &c.numLayers, int64_t(0)),
        std::make_tuple("llama.attention.head_count", &c.numHeads, int64_t(0)),
        std::make_tuple("llama.context_length", &c.maxSeqLen, int64_t(0))})
    if (!number(key, *out, fallback))
      return fail("metadata '" + Twine(key) +
                  "' is missing or not a positive integer");
  if (!number("llama.attention.head_count_kv", c.numKVHeads, c.numHeads))
    return fail("metadata 'llama.attention.head_count_kv' is not a positive "
                "integer");
  if (const gg::Value *v = file->lookup("llama.rope.freq_base"))
    c.ropeTheta = v->asFloat().value_or(10000.0);
  if (const gg::Value *v = file->lookup("llama.attention.layer_norm_rms_epsilon"))
    c.normEps = v->asFloat().value_or(1e-5);
  if (const gg::Value *v = file->lookup("llama.rope.dimension_count"))
    if (v->asUnsigned() && int64_t(*v->asUnsigned()) != c.dim / c.numHeads)
      return fail("llama.rope.dimension_count " + Twine(*v->asUnsigned()) +
                  " is not the head size: partial rotary embeddings are not "
                  "supported");
  const gg::TensorInfo *emb = file->tensor("token_embd.weight");
  if (!emb || emb->shape.size() != 2)
    return fail("tensor 'token_embd.weight' is missing or not a matrix");
  c.vocabSize = emb->shape[1];
  c.tiedEmbeddings = file->tensor("output.weight") == nullptr;
  c.ropeInterleaved = true;
  std::string why = c.validate();
  if (!why.empty())
    return fail(why);

  ckpt->lookupFn = [file](StringRef name) -> std::optional<LlamaTensor> {
    std::string theirs = llamaWeightName(name, LlamaNaming::LlamaCpp);
    const gg::TensorInfo *t = theirs.empty() ? nullptr : file->tensor(theirs);
    if (!t || !gg::canDequantize(t->type))
      return std::nullopt;
    llvm::Expected<std::vector<float>> values = file->readFloats(*t);
    if (!values) {
      llvm::consumeError(values.takeError());
      return std::nullopt;
    }
    LlamaTensor out;
    // ggml lists the row length first.
    out.shape.assign(t->shape.rbegin(), t->shape.rend());
    // The tensor owns the dequantized vector itself (no second copy).
    auto owned = std::make_shared<std::vector<float>>(std::move(*values));
    out.data = ArrayRef<float>(*owned);
    out.owner = std::shared_ptr<const float[]>(owned, owned->data());
    return out;
  };
  ckpt->rawLookupFn = [file](StringRef name)
      -> std::optional<LlamaCheckpoint::RawTensor> {
    std::string theirs = llamaWeightName(name, LlamaNaming::LlamaCpp);
    const gg::TensorInfo *t = theirs.empty() ? nullptr : file->tensor(theirs);
    if (!t)
      return std::nullopt;
    LlamaCheckpoint::RawTensor raw;
    raw.type = t->type;
    raw.bytes = ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(t->data),
                                  t->size);
    raw.shape.assign(t->shape.rbegin(), t->shape.rend());
    return raw;
  };
  for (const gg::TensorInfo &t : file->tensors())
    if (!gg::canDequantize(t.type))
      return fail("tensor '" + t.name + "' has type " + gg::typeName(t.type) +
                  ", which quantc cannot expand");
  if (file->lookup("tokenizer.ggml.tokens"))
    ckpt->tokenizerPath = path.str();
  return ckpt;
}
