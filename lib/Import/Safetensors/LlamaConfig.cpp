//===- LlamaConfig.cpp - Hugging Face config.json of the Llama family -----===//
//
// Part of quantc. See include/qc/Import/Safetensors/LlamaConfig.h.
//
//===----------------------------------------------------------------------===//

#include "qc/Import/Safetensors/LlamaConfig.h"
#include "qc/Import/Safetensors/Safetensors.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace mlir::qc::safetensors;

namespace {

Error fail(const Twine &msg) {
  return createStringError(inconvertibleErrorCode(), msg);
}

/// Reads the keys of a config object, with errors that name the file.
class ConfigReader {
public:
  ConfigReader(const json::Object &obj, StringRef source)
      : obj(obj), source(source) {}

  Error error(const Twine &msg) const { return fail(source + ": " + msg); }

  /// A present, non-null value, or null.
  const json::Value *get(StringRef key) const {
    const json::Value *v = obj.get(key);
    return v && v->kind() != json::Value::Null ? v : nullptr;
  }

  /// A positive integer; `fallback` when absent (0: required).
  Error positive(StringRef key, int64_t &out, int64_t fallback = 0) const {
    const json::Value *v = get(key);
    if (!v) {
      if (fallback > 0) {
        out = fallback;
        return Error::success();
      }
      return error("missing '" + key + "'");
    }
    std::optional<int64_t> i = v->getAsInteger();
    if (!i) {
      // 4096.0 is an integer written as a float; accept it.
      std::optional<double> d = v->getAsNumber();
      if (d && *d == double(int64_t(*d)) && *d < 9.0e18)
        i = int64_t(*d);
    }
    if (!i)
      return error("'" + key + "' is not an integer");
    if (*i <= 0)
      return error("'" + key + "' must be positive (got " + Twine(*i) + ")");
    out = *i;
    return Error::success();
  }

  /// A positive number; unchanged when absent.
  Error positiveNumber(StringRef key, double &out) const {
    const json::Value *v = get(key);
    if (!v)
      return Error::success();
    std::optional<double> d = v->getAsNumber();
    if (!d)
      return error("'" + key + "' is not a number");
    if (!(*d > 0))
      return error("'" + key + "' must be positive (got " +
                   formatv("{0}", *d).str() + ")");
    out = *d;
    return Error::success();
  }

  Error boolean(StringRef key, bool &out) const {
    const json::Value *v = get(key);
    if (!v)
      return Error::success();
    std::optional<bool> b = v->getAsBoolean();
    if (!b)
      return error("'" + key + "' is not true or false");
    out = *b;
    return Error::success();
  }

  Error string(StringRef key, std::string &out) const {
    const json::Value *v = get(key);
    if (!v)
      return Error::success();
    std::optional<StringRef> s = v->getAsString();
    if (!s)
      return error("'" + key + "' is not a string");
    out = s->str();
    return Error::success();
  }

private:
  const json::Object &obj;
  StringRef source;
};

} // namespace

Expected<LlamaConfig>
mlir::qc::safetensors::parseLlamaConfig(StringRef text, StringRef source) {
  Expected<json::Value> root = json::parse(text);
  if (!root)
    return fail(source + ": not valid JSON: " + toString(root.takeError()));
  const json::Object *obj = root->getAsObject();
  if (!obj)
    return fail(source + ": the configuration is not a JSON object");
  ConfigReader r(*obj, source);
  LlamaConfig c;

  if (const json::Value *archs = r.get("architectures")) {
    const json::Array *a = archs->getAsArray();
    if (!a)
      return r.error("'architectures' is not an array of strings");
    for (const json::Value &v : *a) {
      std::optional<StringRef> s = v.getAsString();
      if (!s)
        return r.error("'architectures' is not an array of strings");
      c.architectures.push_back(s->str());
    }
  }
  if (Error e = r.string("model_type", c.modelType))
    return std::move(e);
  if (Error e = r.string("torch_dtype", c.torchDtype))
    return std::move(e);
  if (c.torchDtype.empty())
    if (Error e = r.string("dtype", c.torchDtype))
      return std::move(e);
  if (Error e = r.string("hidden_act", c.hiddenAct))
    return std::move(e);

  if (Error e = r.positive("hidden_size", c.hiddenSize))
    return std::move(e);
  if (Error e = r.positive("intermediate_size", c.intermediateSize))
    return std::move(e);
  if (Error e = r.positive("num_hidden_layers", c.numHiddenLayers))
    return std::move(e);
  if (Error e = r.positive("num_attention_heads", c.numAttentionHeads))
    return std::move(e);
  if (Error e = r.positive("vocab_size", c.vocabSize))
    return std::move(e);
  if (Error e = r.positive("max_position_embeddings", c.maxPositionEmbeddings,
                           /*fallback=*/2048))
    return std::move(e);
  if (Error e = r.positive("num_key_value_heads", c.numKeyValueHeads,
                           /*fallback=*/c.numAttentionHeads))
    return std::move(e);
  if (r.get("head_dim")) {
    if (Error e = r.positive("head_dim", c.headDim))
      return std::move(e);
  } else {
    if (c.hiddenSize % c.numAttentionHeads != 0)
      return r.error("num_attention_heads (" + Twine(c.numAttentionHeads) +
                     ") does not divide hidden_size (" + Twine(c.hiddenSize) +
                     ")");
    c.headDim = c.hiddenSize / c.numAttentionHeads;
  }
  if (c.numAttentionHeads % c.numKeyValueHeads != 0)
    return r.error("num_key_value_heads (" + Twine(c.numKeyValueHeads) +
                   ") does not divide num_attention_heads (" +
                   Twine(c.numAttentionHeads) + ")");
  if (Error e = r.positiveNumber("rms_norm_eps", c.rmsNormEps))
    return std::move(e);
  if (Error e = r.positiveNumber("rope_theta", c.ropeTheta))
    return std::move(e);
  if (Error e = r.boolean("tie_word_embeddings", c.tieWordEmbeddings))
    return std::move(e);
  if (Error e = r.boolean("attention_bias", c.attentionBias))
    return std::move(e);
  if (Error e = r.boolean("mlp_bias", c.mlpBias))
    return std::move(e);
  if (const json::Value *v = r.get("rope_scaling")) {
    const json::Object *o = v->getAsObject();
    if (!o)
      return r.error("'rope_scaling' is not an object");
    std::optional<StringRef> type = o->getString("rope_type");
    if (!type)
      type = o->getString("type");
    c.ropeScaling = type ? type->str() : "unknown";
  }
  if (r.get("sliding_window"))
    if (Error e = r.positive("sliding_window", c.slidingWindow))
      return std::move(e);
  return c;
}

Expected<LlamaConfig> mlir::qc::safetensors::loadLlamaConfig(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer =
      MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return fail(path + ": " + buffer.getError().message());
  return parseLlamaConfig((*buffer)->getBuffer(), path);
}

std::vector<ExpectedTensor>
mlir::qc::safetensors::expectedLlamaTensors(const LlamaConfig &c) {
  std::vector<ExpectedTensor> out;
  auto add = [&](std::string name, SmallVector<int64_t, 2> shape) {
    out.push_back({std::move(name), std::move(shape)});
  };
  int64_t h = c.hiddenSize, q = c.qDim(), kv = c.kvDim(),
          ff = c.intermediateSize;
  add("model.embed_tokens.weight", {c.vocabSize, h});
  for (int64_t i = 0; i < c.numHiddenLayers; ++i) {
    std::string p = "model.layers." + std::to_string(i) + ".";
    add(p + "input_layernorm.weight", {h});
    add(p + "self_attn.q_proj.weight", {q, h});
    add(p + "self_attn.k_proj.weight", {kv, h});
    add(p + "self_attn.v_proj.weight", {kv, h});
    add(p + "self_attn.o_proj.weight", {h, q});
    if (c.attentionBias) {
      add(p + "self_attn.q_proj.bias", {q});
      add(p + "self_attn.k_proj.bias", {kv});
      add(p + "self_attn.v_proj.bias", {kv});
      add(p + "self_attn.o_proj.bias", {h});
    }
    add(p + "post_attention_layernorm.weight", {h});
    add(p + "mlp.gate_proj.weight", {ff, h});
    add(p + "mlp.up_proj.weight", {ff, h});
    add(p + "mlp.down_proj.weight", {h, ff});
    if (c.mlpBias) {
      add(p + "mlp.gate_proj.bias", {ff});
      add(p + "mlp.up_proj.bias", {ff});
      add(p + "mlp.down_proj.bias", {h});
    }
  }
  add("model.norm.weight", {h});
  if (!c.tieWordEmbeddings)
    add("lm_head.weight", {c.vocabSize, h});
  return out;
}

Error mlir::qc::safetensors::checkLlamaWeights(const LlamaConfig &config,
                                               const SafetensorsModel &model) {
  auto shapeText = [](ArrayRef<int64_t> shape) {
    std::string s;
    raw_string_ostream os(s);
    printShape(os, shape);
    return s;
  };
  for (const ExpectedTensor &t : expectedLlamaTensors(config)) {
    const TensorView *v = model.lookup(t.name);
    if (!v)
      return fail(model.path() + ": missing tensor '" + t.name +
                  "' (expected shape " + shapeText(t.shape) + ")");
    if (ArrayRef<int64_t>(v->shape) != ArrayRef<int64_t>(t.shape))
      return fail(model.path() + ": tensor '" + t.name + "' has shape " +
                  shapeText(v->shape) + ", but the configuration calls for " +
                  shapeText(t.shape));
    if (!isFloatingPoint(v->dtype))
      return fail(model.path() + ": tensor '" + t.name + "' has dtype " +
                  dtypeName(v->dtype) +
                  "; expected a floating-point one (F32, F16, BF16, F64)");
  }
  return Error::success();
}

void mlir::qc::safetensors::printLlamaConfig(raw_ostream &os,
                                             const LlamaConfig &c) {
  os << "architectures: ";
  if (c.architectures.empty())
    os << "(none)";
  llvm::interleave(c.architectures, os, ", ");
  os << "\n";
  if (!c.modelType.empty())
    os << "model_type: " << c.modelType << "\n";
  if (!c.torchDtype.empty())
    os << "torch_dtype: " << c.torchDtype << "\n";
  os << "hidden_size: " << c.hiddenSize << "\n"
     << "intermediate_size: " << c.intermediateSize << "\n"
     << "num_hidden_layers: " << c.numHiddenLayers << "\n"
     << "num_attention_heads: " << c.numAttentionHeads << "\n"
     << "num_key_value_heads: " << c.numKeyValueHeads << "\n"
     << "head_dim: " << c.headDim << "\n"
     << "vocab_size: " << c.vocabSize << "\n"
     << "max_position_embeddings: " << c.maxPositionEmbeddings << "\n"
     << "rms_norm_eps: " << c.rmsNormEps << "\n"
     << "rope_theta: " << c.ropeTheta << "\n"
     << "tie_word_embeddings: " << (c.tieWordEmbeddings ? "true" : "false")
     << "\n"
     << "attention_bias: " << (c.attentionBias ? "true" : "false") << "\n"
     << "mlp_bias: " << (c.mlpBias ? "true" : "false") << "\n"
     << "hidden_act: " << c.hiddenAct << "\n";
}
