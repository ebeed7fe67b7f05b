//===- LlamaBuilder.cpp - Llama config + weights to a qc step graph -------===//
//
// Part of quantc. See include/qc/Import/LLM/Llama.h for the signature.
//
//===----------------------------------------------------------------------===//

#include "qc/Import/LLM/Llama.h"

#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Executor/Executor.h"
#include "qc/GGUF/BlockFormats.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringMap.h"

using namespace mlir;
using namespace mlir::qc;

std::string LlamaConfig::validate() const {
  auto bad = [](int64_t v, int64_t hi) { return v <= 0 || v > hi; };
  // Limits far above any real model but low enough that no product of them
  // overflows int64 when sizes are computed.
  if (bad(dim, 1 << 16))
    return "dim " + std::to_string(dim) + " is not in [1, 65536]";
  if (bad(hiddenDim, 1 << 18))
    return "hidden_dim " + std::to_string(hiddenDim) + " is not in [1, 262144]";
  if (bad(numLayers, 1024))
    return "n_layers " + std::to_string(numLayers) + " is not in [1, 1024]";
  if (bad(numHeads, dim))
    return "n_heads " + std::to_string(numHeads) + " is not in [1, dim]";
  if (dim % numHeads)
    return "dim " + std::to_string(dim) + " is not a multiple of n_heads " +
           std::to_string(numHeads);
  if (headDim() % 2)
    return "head size " + std::to_string(headDim()) + " is odd (RoPE needs pairs)";
  if (bad(numKVHeads, numHeads) || numHeads % numKVHeads)
    return "n_kv_heads " + std::to_string(numKVHeads) +
           " does not divide n_heads " + std::to_string(numHeads);
  if (bad(vocabSize, 1 << 22))
    return "vocab_size " + std::to_string(vocabSize) + " is not in [1, 4194304]";
  if (bad(maxSeqLen, 1 << 20))
    return "seq_len " + std::to_string(maxSeqLen) + " is not in [1, 1048576]";
  if (!(normEps >= 0))
    return "the norm epsilon is negative";
  return "";
}

SmallVector<int64_t> LlamaConfig::weightShape(StringRef name) const {
  if (name == "tok_embeddings" || name == "output")
    return {vocabSize, dim};
  if (name == "norm")
    return {dim};
  StringRef rest = name;
  if (!rest.consume_front("layers."))
    return {};
  StringRef leaf = rest.split('.').second;
  if (leaf == "attention_norm" || leaf == "ffn_norm")
    return {dim};
  if (leaf == "wq" || leaf == "wo")
    return {dim, dim};
  if (leaf == "wk" || leaf == "wv")
    return {kvDim(), dim};
  if (leaf == "w1" || leaf == "w3")
    return {hiddenDim, dim};
  if (leaf == "w2")
    return {dim, hiddenDim};
  return {};
}

namespace {

/// A linear layer's weight as the graph holds it: f32 (format empty) or
/// the bytes of a block format.
struct LinearWeight {
  Value value;
  std::string format;
  bool dynamicAct = false;
};

struct StepBuilder {
  ModuleOp module;
  const LlamaConfig &cfg;
  const LlamaWeightLookup &lookup;
  const LlamaWeightEncoder &encoder;
  OpBuilder b;
  Location loc;
  llvm::StringMap<ElementsAttr> weightAttrs;
  /// Encoded linear weights by name (a null attribute: kept f32).
  struct Encoded {
    ElementsAttr attr;
    std::string format;
    bool dynamicAct = false;
  };
  llvm::StringMap<Encoded> encoded;

  StepBuilder(ModuleOp module, const LlamaConfig &cfg,
              const LlamaWeightLookup &lookup, const LlamaWeightEncoder &encoder)
      : module(module), cfg(cfg), lookup(lookup), encoder(encoder),
        b(module.getContext()), loc(module.getLoc()) {}

  Type f32() { return b.getF32Type(); }
  RankedTensorType t(ArrayRef<int64_t> shape, Type elt = {}) {
    return RankedTensorType::get(shape, elt ? elt : f32());
  }

  template <typename Op>
  Value op(Type type, ValueRange operands,
           ArrayRef<NamedAttribute> attrs = {}) {
    OperationState state(loc, Op::getOperationName());
    state.addOperands(operands);
    state.addTypes(type);
    state.addAttributes(attrs);
    return b.create(state)->getResult(0);
  }
  NamedAttribute attr(StringRef name, Attribute value) {
    return b.getNamedAttr(name, value);
  }

  /// The weight `name` as a constant of `shape`; errors if it is missing
  /// or has another shape.
  FailureOr<Value> weight(StringRef name, ArrayRef<int64_t> shape) {
    auto type = t(shape);
    auto it = weightAttrs.find(name);
    if (it == weightAttrs.end()) {
      std::optional<LlamaTensor> w = lookup(name);
      if (!w) {
        emitError(loc) << "Llama weight '" << name << "' is missing";
        return failure();
      }
      if (ArrayRef<int64_t>(w->shape) != shape ||
          int64_t(w->data.size()) != type.getNumElements()) {
        auto diag = emitError(loc) << "Llama weight '" << name << "' has shape [";
        llvm::interleaveComma(w->shape, diag);
        diag << "], the config needs [";
        llvm::interleaveComma(shape, diag);
        diag << "]";
        return failure();
      }
      ArrayRef<char> bytes(reinterpret_cast<const char *>(w->data.data()),
                           w->data.size() * sizeof(float));
      // A converted copy the lookup made for us is adopted as it is; a view
      // of a mapped file is copied (the file may be gone before the graph).
      AsmResourceBlob blob =
          w->owner ? AsmResourceBlob(
                         bytes, alignof(float),
                         [owner = w->owner](void *, size_t, size_t) mutable {
                           owner.reset();
                         },
                         /*dataIsMutable=*/false)
                   : HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, /*align=*/64);
      ElementsAttr a = DenseResourceElementsAttr::get(type, resourceKey(name),
                                                      std::move(blob));
      it = weightAttrs.try_emplace(name, a).first;
    }
    return op<ConstantOp>(type, {}, {attr("value", it->second)});
  }

  /// The linear weight `name` [N, K]: through the encoder when there is
  /// one, else f32.
  FailureOr<LinearWeight> linearWeight(StringRef name, ArrayRef<int64_t> shape,
                                       bool classifier = false) {
    if (encoder) {
      auto it = encoded.find(name);
      if (it == encoded.end()) {
        llvm::Expected<std::optional<LlamaBlockWeight>> e =
            encoder(name, shape, classifier);
        if (!e) {
          emitError(loc) << llvm::toString(e.takeError());
          return failure();
        }
        Encoded enc;
        if (*e) {
          LlamaBlockWeight &bw = **e;
          std::optional<gguf::GGMLType> type = gguf::parseTypeName(bw.format);
          int64_t N = shape[0], K = shape[1];
          if (!type || !gguf::isValidRowLength(*type, K) ||
              bw.bytes.size() != uint64_t(N) * gguf::rowSize(*type, K)) {
            emitError(loc) << "Llama weight '" << name << "' in " << bw.format
                           << " has " << bw.bytes.size()
                           << " bytes, which is not [" << N << ", " << K
                           << "] in that format";
            return failure();
          }
          int64_t rowBytes = int64_t(gguf::rowSize(*type, K));
          auto type8 = RankedTensorType::get({N, rowBytes}, b.getIntegerType(8));
          std::shared_ptr<const void> owner = bw.owner;
          AsmResourceBlob blob(
              ArrayRef<char>(reinterpret_cast<const char *>(bw.bytes.data()),
                             bw.bytes.size()),
              /*dataAlignment=*/1,
              [owner](void *, size_t, size_t) mutable { owner.reset(); },
              /*dataIsMutable=*/false);
          // Named after the layer: a tied classifier's blocks are the
          // output layer's, whatever the f32 table they came from.
          StringRef layer = classifier ? StringRef("output") : name;
          enc.attr = DenseResourceElementsAttr::get(
              type8, resourceKey((layer + "." + bw.format).str()), std::move(blob));
          enc.format = bw.format;
          enc.dynamicAct = bw.dynamicAct;
        }
        it = encoded.try_emplace(name, std::move(enc)).first;
      }
      if (it->second.attr)
        return LinearWeight{op<ConstantOp>(cast<ShapedType>(it->second.attr.getType()),
                                           {}, {attr("value", it->second.attr)}),
                            it->second.format, it->second.dynamicAct};
    }
    FailureOr<Value> w = weight(name, shape);
    if (failed(w))
      return failure();
    return LinearWeight{*w, "", false};
  }

  Value linear(Value x, const LinearWeight &w, ArrayRef<int64_t> outShape) {
    if (w.format.empty())
      return op<LinearOp>(t(outShape), {x, w.value});
    SmallVector<NamedAttribute> attrs = {attr("format", b.getStringAttr(w.format))};
    if (w.dynamicAct)
      attrs.push_back(attr("dynamic_act", b.getUnitAttr()));
    return op<BlockLinearOp>(t(outShape), {x, w.value}, attrs);
  }
  Value reshape(Value x, ArrayRef<int64_t> shape) {
    auto type = cast<RankedTensorType>(x.getType());
    return op<ReshapeOp>(t(shape, type.getElementType()), {x});
  }
  Value transpose0213(Value x) {
    auto s = cast<RankedTensorType>(x.getType()).getShape();
    return op<TransposeOp>(t({s[0], s[2], s[1], s[3]}), {x},
                           {attr("perm", b.getDenseI64ArrayAttr({0, 2, 1, 3}))});
  }
  Value rmsNorm(Value x, Value g) {
    return op<RmsNormOp>(x.getType(), {x, g},
                         {attr("epsilon", b.getF64FloatAttr(cfg.normEps))});
  }

  LogicalResult buildStep(const LlamaStepSpec &spec);
};

LogicalResult StepBuilder::buildStep(const LlamaStepSpec &spec) {
  const int64_t S = spec.seqLen, Smax = cfg.maxSeqLen, D = cfg.headDim();
  const int64_t H = cfg.numHeads, Hkv = cfg.numKVHeads, dim = cfg.dim;
  const int64_t L = cfg.numLayers, V = cfg.vocabSize, F = cfg.hiddenDim;
  if (S < 1 || S > Smax) {
    emitError(loc) << "a step of " << S << " tokens does not fit seq_len "
                   << Smax;
    return failure();
  }
  Type i64 = b.getI64Type();
  auto cacheType = t({1, Hkv, Smax, D});
  SmallVector<Type> argTypes = {t({1, S}, i64), t({}, i64), t({1, 1, S, Smax})};
  SmallVector<std::string> argNames = {"tokens", "pos", "mask"};
  for (int64_t l = 0; l < L; ++l) {
    argTypes.append({cacheType, cacheType});
    argNames.push_back("k_cache_" + std::to_string(l));
    argNames.push_back("v_cache_" + std::to_string(l));
  }
  int64_t outRows = spec.lastLogitsOnly ? 1 : S;
  SmallVector<Type> resTypes = {t({1, outRows, V})};
  SmallVector<std::string> resNames = {"logits"};
  for (int64_t l = 0; l < L; ++l) {
    resTypes.append({cacheType, cacheType});
    resNames.push_back("k_cache_" + std::to_string(l) + "_out");
    resNames.push_back("v_cache_" + std::to_string(l) + "_out");
  }

  b.setInsertionPointToEnd(module.getBody());
  auto fn = func::FuncOp::create(b, loc, spec.functionName,
                                 b.getFunctionType(argTypes, resTypes));
  for (auto [i, n] : llvm::enumerate(argNames))
    fn.setArgAttr(i, "qc.name", b.getStringAttr(n));
  for (auto [i, n] : llvm::enumerate(resNames))
    fn.setResultAttr(i, "qc.name", b.getStringAttr(n));
  Block *body = fn.addEntryBlock();
  b.setInsertionPointToStart(body);
  Value tokens = body->getArgument(0), pos = body->getArgument(1),
        mask = body->getArgument(2);

  // positions[s] = pos + s
  SmallVector<int64_t> iota(S);
  for (int64_t s = 0; s < S; ++s)
    iota[s] = s;
  Value offsets = op<ConstantOp>(
      t({S}, i64), {},
      {attr("value", DenseElementsAttr::get(t({S}, i64), ArrayRef<int64_t>(iota)))});
  Value positions = op<AddOp>(t({S}, i64), {reshape(pos, {1}), offsets});

  auto emb = weight("tok_embeddings", {V, dim});
  if (failed(emb))
    return failure();
  Value x = op<EmbeddingOp>(t({1, S, dim}), {*emb, tokens});

  SmallVector<Value> newCaches;
  for (int64_t l = 0; l < L; ++l) {
    std::string p = "layers." + std::to_string(l) + ".";
    auto attnNorm = weight(p + "attention_norm", {dim});
    auto wq = linearWeight(p + "wq", {dim, dim});
    auto wk = linearWeight(p + "wk", {Hkv * D, dim});
    auto wv = linearWeight(p + "wv", {Hkv * D, dim});
    auto wo = linearWeight(p + "wo", {dim, dim});
    auto ffnNorm = weight(p + "ffn_norm", {dim});
    auto w1 = linearWeight(p + "w1", {F, dim});
    auto w2 = linearWeight(p + "w2", {dim, F});
    auto w3 = linearWeight(p + "w3", {F, dim});
    if (failed(attnNorm) || failed(wq) || failed(wk) || failed(wv) ||
        failed(wo) || failed(ffnNorm) || failed(w1) || failed(w2) || failed(w3))
      return failure();

    Value h = rmsNorm(x, *attnNorm);
    SmallVector<NamedAttribute> ropeAttrs = {
        attr("base", b.getF64FloatAttr(cfg.ropeTheta)),
        attr("interleaved", b.getBoolAttr(cfg.ropeInterleaved))};
    Value q = reshape(linear(h, *wq, {1, S, dim}), {1, S, H, D});
    q = transpose0213(op<RoPEOp>(q.getType(), {q, positions}, ropeAttrs));
    Value k = reshape(linear(h, *wk, {1, S, Hkv * D}), {1, S, Hkv, D});
    k = transpose0213(op<RoPEOp>(k.getType(), {k, positions}, ropeAttrs));
    Value v = transpose0213(
        reshape(linear(h, *wv, {1, S, Hkv * D}), {1, S, Hkv, D}));

    Value kc = op<KVCacheWriteOp>(cacheType, {body->getArgument(3 + 2 * l), k, pos});
    Value vc = op<KVCacheWriteOp>(cacheType, {body->getArgument(4 + 2 * l), v, pos});
    newCaches.append({kc, vc});
    Value o = op<AttentionOp>(t({1, H, S, D}), {q, kc, vc, mask});
    o = reshape(transpose0213(o), {1, S, dim});
    x = op<AddOp>(x.getType(), {x, linear(o, *wo, {1, S, dim})});

    h = rmsNorm(x, *ffnNorm);
    Value gate = op<SiluOp>(t({1, S, F}), {linear(h, *w1, {1, S, F})});
    Value up = linear(h, *w3, {1, S, F});
    Value ff = linear(op<MulOp>(t({1, S, F}), {gate, up}), *w2, {1, S, dim});
    x = op<AddOp>(x.getType(), {x, ff});
  }
  auto norm = weight("norm", {dim});
  auto cls = linearWeight(cfg.tiedEmbeddings ? "tok_embeddings" : "output",
                          {V, dim}, /*classifier=*/true);
  if (failed(norm) || failed(cls))
    return failure();
  if (spec.lastLogitsOnly && S > 1)
    x = op<SliceOp>(t({1, 1, dim}), {x},
                    {attr("offsets", b.getDenseI64ArrayAttr({0, S - 1, 0})),
                     attr("sizes", b.getDenseI64ArrayAttr({1, 1, dim})),
                     attr("strides", b.getDenseI64ArrayAttr({1, 1, 1}))});
  x = rmsNorm(x, *norm);
  SmallVector<Value> results = {linear(x, *cls, {1, outRows, V})};
  results.append(newCaches);
  func::ReturnOp::create(b, loc, results);
  return success();
}

} // namespace

LogicalResult qc::buildLlamaSteps(ModuleOp module, const LlamaConfig &config,
                                  const LlamaWeightLookup &weights,
                                  ArrayRef<LlamaStepSpec> steps,
                                  const LlamaWeightEncoder &encoder) {
  std::string why = config.validate();
  if (!why.empty())
    return emitError(module.getLoc()) << "invalid Llama config: " << why;
  StepBuilder builder(module, config, weights, encoder);
  for (const LlamaStepSpec &spec : steps)
    if (failed(builder.buildStep(spec)))
      return failure();
  return verify(module);
}
