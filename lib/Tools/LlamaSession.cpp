//===- LlamaSession.cpp - run a Llama model step by step ------------------===//
//
// Part of quantc. See include/qc/Tools/LlamaSession.h.
//
//===----------------------------------------------------------------------===//

#include "qc/Tools/LlamaSession.h"

#include "qc/Executor/Executor.h"
#include "qc/Import/LLM/Checkpoint.h"
#include "qc/Tools/ArtifactRunner.h"
#include "qc/Tools/ModelLoader.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/BuiltinOps.h"

#include <limits>
#include <map>

using namespace mlir;
using namespace mlir::qc;

Tensor qc::llamaStepMask(int64_t s, int64_t pos, int64_t smax) {
  Tensor m(DType::F32, {1, 1, s, smax});
  float *p = m.data<float>();
  for (int64_t i = 0; i < s; ++i)
    for (int64_t j = 0; j < smax; ++j)
      p[i * smax + j] =
          j <= pos + i ? 0.0f : -std::numeric_limits<float>::infinity();
  return m;
}

struct LlamaSession::Impl {
  MLIRContext *ctx = nullptr;
  unsigned numThreads = 0;
  // A checkpoint: step functions built per (tokens, all rows).
  std::unique_ptr<LlamaCheckpoint> ckpt;
  std::map<std::pair<int64_t, bool>, std::unique_ptr<Executor>> built;
  std::vector<OwningOpRef<ModuleOp>> modules;
  // A fixed step graph on the executor or a compiled artifact.
  OwningOpRef<ModuleOp> graph;
  std::unique_ptr<Executor> fixed;
  std::unique_ptr<ArtifactRunner> artifact;
  int64_t fixedTokens = 0;
  /// The fixed graph returns the logits of every token of its step.
  bool fixedAllRows = false;
  std::vector<DType> cacheTypes;
  std::vector<SmallVector<int64_t>> cacheShapes;
  std::vector<Tensor> caches;

  FailureOr<Executor *> stepFunction(int64_t s, bool allRows,
                                     std::string &error);
};

LlamaSession::LlamaSession() : impl(std::make_unique<Impl>()) {}
LlamaSession::~LlamaSession() = default;

/// A step graph's signature: tokens [1, S], pos, mask [1, 1, S, Smax],
/// caches...; logits [1, S or 1, V], caches.
static bool isStepSignature(ArrayRef<std::string> names,
                            ArrayRef<SmallVector<int64_t>> in,
                            ArrayRef<SmallVector<int64_t>> out) {
  return names.size() >= 3 && names[0] == "tokens" && names[1] == "pos" &&
         names[2] == "mask" && in[0].size() == 2 && in[0][0] == 1 &&
         in[0][1] >= 1 && in[2].size() == 4 && in[2][2] == in[0][1] &&
         out.size() == names.size() - 2 && out[0].size() == 3 &&
         (out[0][1] == 1 || out[0][1] == in[0][1]);
}

FailureOr<std::unique_ptr<LlamaSession>>
LlamaSession::open(MLIRContext &ctx, StringRef path, bool stepGraph,
                   bool llama2c, unsigned numThreads, std::string &error) {
  std::unique_ptr<LlamaSession> s(new LlamaSession());
  Impl &im = *s->impl;
  im.ctx = &ctx;
  im.numThreads = numThreads;
  ctx.loadAllAvailableDialects();
  auto notAStep = [&]() {
    error = (path + ": not a Llama step graph (inputs tokens : [1, S], pos, "
                    "mask : [1, 1, S, Smax], caches; outputs logits : [1, 1 "
                    "or S, V], caches), as quant-compile writes for a Llama "
                    "checkpoint")
                .str();
    return failure();
  };
  if (!stepGraph) {
    auto ckpt = llama2c ? readLlama2cCheckpoint(path, error)
                        : openLlamaCheckpoint(path, error);
    if (failed(ckpt))
      return failure();
    im.ckpt = std::move(*ckpt);
    const LlamaConfig &c = im.ckpt->config;
    s->vocab = c.vocabSize;
    s->smax = c.maxSeqLen;
    s->tokenizerPath = im.ckpt->tokenizerPath;
    for (int64_t l = 0; l < 2 * c.numLayers; ++l) {
      im.cacheTypes.push_back(DType::F32);
      im.cacheShapes.push_back({1, c.numKVHeads, c.maxSeqLen, c.headDim()});
    }
  } else {
    std::vector<std::string> names;
    std::vector<SmallVector<int64_t>> in, out;
    if (ArtifactRunner::isArtifact(path)) {
      auto opened = ArtifactRunner::open(path, numThreads, 0xffffffffu, error);
      if (failed(opened))
        return failure();
      im.artifact = std::move(*opened);
      names.assign(im.artifact->inputNames().begin(),
                   im.artifact->inputNames().end());
      for (const ArtifactRunner::Spec &spec : im.artifact->inputSpecs()) {
        in.emplace_back(spec.shape.begin(), spec.shape.end());
        im.cacheTypes.push_back(spec.dtype);
      }
      for (const ArtifactRunner::Spec &spec : im.artifact->outputSpecs())
        out.emplace_back(spec.shape.begin(), spec.shape.end());
      if (!isStepSignature(names, in, out) ||
          im.artifact->outputSpecs()[0].dtype != DType::F32)
        return notAStep();
    } else {
      im.graph = loadModel(&ctx, path, {});
      if (!im.graph)
        return (error = (path + ": cannot load the step graph").str(),
                failure());
      func::FuncOp fn = findEntryFunction(*im.graph, "");
      if (!fn)
        return (error = (path + ": no entry function").str(), failure());
      ExecutorOptions options;
      options.numThreads = numThreads;
      auto exe = Executor::create(fn, options);
      if (failed(exe))
        return (error = (path + ": the step graph cannot run").str(),
                failure());
      im.fixed = std::move(*exe);
      names.assign(im.fixed->inputNames().begin(),
                   im.fixed->inputNames().end());
      for (Type t : im.fixed->inputTypes()) {
        auto type = cast<RankedTensorType>(t);
        in.emplace_back(type.getShape());
        Type elt = type.getElementType();
        if (auto q = dyn_cast<quant::QuantizedType>(elt))
          elt = q.getStorageType();
        std::optional<DType> dtype = dtypeFromType(elt);
        im.cacheTypes.push_back(dtype.value_or(DType::F32));
      }
      for (Type t : im.fixed->outputTypes())
        out.emplace_back(cast<RankedTensorType>(t).getShape());
      if (!isStepSignature(names, in, out))
        return notAStep();
    }
    im.fixedTokens = in[0][1];
    im.fixedAllRows = out[0][1] == in[0][1];
    s->smax = in[2][3];
    s->vocab = out[0][2];
    im.cacheTypes.erase(im.cacheTypes.begin(), im.cacheTypes.begin() + 3);
    im.cacheShapes.assign(in.begin() + 3, in.end());
  }
  s->reset();
  return s;
}

int64_t LlamaSession::tokensPerStep() const {
  return impl->ckpt ? 0 : impl->fixedTokens;
}

void LlamaSession::reset() {
  impl->caches.clear();
  for (size_t i = 0; i < impl->cacheTypes.size(); ++i)
    impl->caches.emplace_back(impl->cacheTypes[i], impl->cacheShapes[i]);
}

FailureOr<Executor *> LlamaSession::Impl::stepFunction(int64_t s, bool allRows,
                                                       std::string &error) {
  auto key = std::make_pair(s, allRows);
  auto it = built.find(key);
  if (it != built.end())
    return it->second.get();
  OwningOpRef<ModuleOp> module =
      ModuleOp::create(FileLineColLoc::get(ctx, ckpt->path, 0, 0));
  LlamaStepSpec spec{"step", s, /*lastLogitsOnly=*/!allRows};
  if (failed(buildLlamaSteps(*module, ckpt->config, ckpt->lookup(), {spec}))) {
    error = ckpt->path + ": cannot build the Llama step graph";
    return failure();
  }
  ExecutorOptions options;
  options.numThreads = numThreads;
  auto exe = Executor::create(module->lookupSymbol<func::FuncOp>("step"),
                              options);
  if (failed(exe)) {
    error = ckpt->path + ": the Llama step graph cannot run";
    return failure();
  }
  modules.push_back(std::move(module));
  return (built[key] = std::move(*exe)).get();
}

LogicalResult LlamaSession::prepare(int64_t tokens, bool allRows,
                                    std::string &error) {
  if (!impl->ckpt || tokens < 1 || tokens > smax)
    return success();
  return impl->stepFunction(tokens, allRows, error);
}

LogicalResult LlamaSession::step(ArrayRef<int32_t> tokens, int64_t pos,
                                 bool allRows, std::vector<float> &logits,
                                 std::string &error) {
  Impl &im = *impl;
  const int64_t n = int64_t(tokens.size());
  if (n == 0 || pos < 0 || pos + n > smax) {
    error = "a step of " + std::to_string(n) + " tokens at position " +
            std::to_string(pos) + " does not fit the context of " +
            std::to_string(smax);
    return failure();
  }
  logits.clear();
  // Checkpoints run the whole step at once; fixed graphs in pieces.
  int64_t piece = im.ckpt ? n : im.fixedTokens;
  for (int64_t at = 0; at < n; at += piece) {
    int64_t s = std::min(piece, n - at);
    if (!im.ckpt && s != im.fixedTokens) {
      error = "the step graph takes " + std::to_string(im.fixedTokens) +
              " tokens per step; " + std::to_string(s) + " are left";
      return failure();
    }
    if (!im.ckpt && allRows && s > 1 && !im.fixedAllRows) {
      error = "the step graph returns the last token's logits only; every "
              "token's are needed";
      return failure();
    }
    Executor *exe = nullptr;
    if (im.ckpt) {
      auto f = im.stepFunction(s, allRows, error);
      if (failed(f))
        return failure();
      exe = *f;
    } else {
      exe = im.fixed.get();
    }
    Tensor ids(DType::I64, {1, s});
    for (int64_t i = 0; i < s; ++i)
      ids.data<int64_t>()[i] = tokens[at + i];
    Tensor posT(DType::I64, ArrayRef<int64_t>{});
    posT.data<int64_t>()[0] = pos + at;
    std::vector<Tensor> inputs = {ids, posT, llamaStepMask(s, pos + at, smax)};
    inputs.insert(inputs.end(), im.caches.begin(), im.caches.end());
    FailureOr<std::vector<Tensor>> out =
        exe ? exe->run(inputs, error) : im.artifact->run(inputs, error);
    if (failed(out))
      return failure();
    const Tensor &l = (*out)[0];
    // Keep every row when all are asked for, else the final token's.
    if (allRows)
      logits.insert(logits.end(), l.data<float>(),
                    l.data<float>() + l.numElements());
    else if (at + s >= n)
      logits.insert(logits.end(), l.data<float>() + l.numElements() - vocab,
                    l.data<float>() + l.numElements());
    for (size_t i = 0; i < im.caches.size(); ++i)
      im.caches[i] = std::move((*out)[i + 1]);
  }
  return success();
}
