//===- HFLlama.cpp - Hugging Face Llama models (safetensors) --------------===//
//
// Part of quantc. See include/qc/Import/LLM/Checkpoint.h.
//
//===----------------------------------------------------------------------===//

#include "qc/Import/LLM/Checkpoint.h"
#include "qc/Import/Safetensors/LlamaConfig.h"
#include "qc/Import/Safetensors/Safetensors.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mlir::qc;
namespace st = mlir::qc::safetensors;

std::string qc::llamaWeightName(StringRef canonical, LlamaNaming naming) {
  // canonical leaf, Hugging Face leaf, llama.cpp leaf
  static const std::tuple<StringRef, StringRef, StringRef> perLayer[] = {
      {"attention_norm", "input_layernorm.weight", "attn_norm.weight"},
      {"wq", "self_attn.q_proj.weight", "attn_q.weight"},
      {"wk", "self_attn.k_proj.weight", "attn_k.weight"},
      {"wv", "self_attn.v_proj.weight", "attn_v.weight"},
      {"wo", "self_attn.o_proj.weight", "attn_output.weight"},
      {"ffn_norm", "post_attention_layernorm.weight", "ffn_norm.weight"},
      {"w1", "mlp.gate_proj.weight", "ffn_gate.weight"},
      {"w2", "mlp.down_proj.weight", "ffn_down.weight"},
      {"w3", "mlp.up_proj.weight", "ffn_up.weight"},
  };
  static const std::tuple<StringRef, StringRef, StringRef> global[] = {
      {"tok_embeddings", "model.embed_tokens.weight", "token_embd.weight"},
      {"norm", "model.norm.weight", "output_norm.weight"},
      {"output", "lm_head.weight", "output.weight"},
  };
  bool hf = naming == LlamaNaming::HuggingFace;
  for (auto [ours, hfName, cppName] : global)
    if (canonical == ours)
      return (hf ? hfName : cppName).str();
  StringRef rest = canonical;
  if (!rest.consume_front("layers."))
    return "";
  auto [layer, leaf] = rest.split('.');
  for (auto [ours, hfName, cppName] : perLayer)
    if (leaf == ours)
      return ((hf ? "model.layers." : "blk.") + layer + "." +
              (hf ? hfName : cppName))
          .str();
  return "";
}

FailureOr<std::unique_ptr<LlamaCheckpoint>>
qc::readHFLlamaCheckpoint(StringRef path, std::string &error) {
  auto fail = [&](const Twine &why) {
    error = why.str();
    return failure();
  };
  // The directory holding config.json (and, by default, the weights).
  SmallString<256> dir(path);
  bool isDir = llvm::sys::fs::is_directory(path);
  if (!isDir)
    dir = llvm::sys::path::parent_path(path);
  if (dir.empty())
    dir = ".";
  SmallString<256> configPath = dir;
  llvm::sys::path::append(configPath, "config.json");
  if (!llvm::sys::fs::exists(path))
    return fail(path + ": no such file or directory");
  if (!llvm::sys::fs::exists(configPath))
    return fail(path + ": a Hugging Face model needs its config.json (" +
                configPath + " does not exist)");
  llvm::Expected<st::LlamaConfig> hf = st::loadLlamaConfig(configPath);
  if (!hf)
    return fail(llvm::toString(hf.takeError()));
  auto unsupported = [&](const Twine &what, const Twine &supported = "") {
    std::string alternatives = supported.str();
    return fail(configPath + ": " + what + " is not supported" +
                (alternatives.empty() ? "" : " (" + alternatives + ")"));
  };
  bool llamaFamily = hf->architectures.empty();
  for (const std::string &a : hf->architectures)
    llamaFamily |= a == "LlamaForCausalLM" || a == "MistralForCausalLM";
  if (!llamaFamily)
    return unsupported("architecture '" + hf->architectures.front() + "'",
                       "LlamaForCausalLM and MistralForCausalLM are");
  if (hf->hiddenAct != "silu")
    return unsupported("hidden_act '" + hf->hiddenAct + "'", "silu is");
  if (hf->attentionBias || hf->mlpBias)
    return unsupported("a projection bias (attention_bias / mlp_bias)");
  if (!hf->ropeScaling.empty())
    return unsupported("rope_scaling of type '" + hf->ropeScaling + "'");
  if (hf->qDim() != hf->hiddenSize)
    return unsupported("head_dim " + Twine(hf->headDim) + " with " +
                       Twine(hf->numAttentionHeads) + " heads != hidden_size " +
                       Twine(hf->hiddenSize));
  if (hf->slidingWindow && hf->slidingWindow < hf->maxPositionEmbeddings)
    return unsupported("sliding_window " + Twine(hf->slidingWindow) +
                       " below max_position_embeddings " +
                       Twine(hf->maxPositionEmbeddings));

  llvm::Expected<std::unique_ptr<st::SafetensorsModel>> opened =
      st::SafetensorsModel::open(path);
  if (!opened)
    return fail(llvm::toString(opened.takeError()));
  std::shared_ptr<st::SafetensorsModel> model = std::move(*opened);
  if (llvm::Error e = st::checkLlamaWeights(*hf, *model))
    return fail(llvm::toString(std::move(e)));

  auto ckpt = std::make_unique<LlamaCheckpoint>();
  ckpt->path = path.str();
  ckpt->format = "safetensors";
  ckpt->storage = model;
  LlamaConfig &c = ckpt->config;
  c.dim = hf->hiddenSize;
  c.hiddenDim = hf->intermediateSize;
  c.numLayers = hf->numHiddenLayers;
  c.numHeads = hf->numAttentionHeads;
  c.numKVHeads = hf->numKeyValueHeads;
  c.vocabSize = hf->vocabSize;
  c.maxSeqLen = hf->maxPositionEmbeddings;
  c.ropeTheta = hf->ropeTheta;
  c.normEps = hf->rmsNormEps;
  c.ropeInterleaved = false;
  c.tiedEmbeddings = hf->tieWordEmbeddings;
  std::string why = c.validate();
  if (!why.empty())
    return fail(configPath + ": " + why);

  std::string modelPath = model->path().str();
  ckpt->lookupFn = [model, modelPath](StringRef name)
      -> std::optional<LlamaTensor> {
    std::string theirs = llamaWeightName(name, LlamaNaming::HuggingFace);
    const st::TensorView *v = theirs.empty() ? nullptr : model->lookup(theirs);
    if (!v)
      return std::nullopt;
    LlamaTensor t;
    t.shape.assign(v->shape.begin(), v->shape.end());
    if (v->dtype == st::DType::F32 &&
        reinterpret_cast<uintptr_t>(v->data) % alignof(float) == 0) {
      t.data = ArrayRef<float>(reinterpret_cast<const float *>(v->data),
                               v->numElements());
      return t;
    }
    // Widened (f16, bf16, f64) or realigned: a copy the tensor owns.
    size_t n = v->numElements();
    std::shared_ptr<float[]> copy(new float[n]);
    if (llvm::Error e = v->toF32(MutableArrayRef<float>(copy.get(), n))) {
      // checkLlamaWeights accepted the dtype, so this cannot fail; drop the
      // error rather than hand out garbage.
      llvm::consumeError(std::move(e));
      return std::nullopt;
    }
    t.data = ArrayRef<float>(copy.get(), n);
    t.owner = std::move(copy);
    return t;
  };

  for (StringRef name : {"tokenizer.bin", "tokenizer.model", "tokenizer.json"}) {
    SmallString<256> candidate = dir;
    llvm::sys::path::append(candidate, name);
    if (llvm::sys::fs::exists(candidate)) {
      ckpt->tokenizerPath = candidate.str().str();
      break;
    }
  }
  return ckpt;
}
