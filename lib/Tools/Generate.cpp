//===- Generate.cpp - text generation with llama2.c checkpoints -----------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Tools/Generate.h"

#include "qc/Executor/Executor.h"
#include "qc/Executor/Npy.h"
#include "qc/Import/LLM/Llama2c.h"
#include "qc/Import/LLM/Tokenizer.h"
#include "qc/Tools/ArtifactRunner.h"
#include "qc/Tools/ModelLoader.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>

using namespace mlir;
using namespace mlir::qc;

uint32_t Sampler::randomU32() {
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return uint32_t((state * 0x2545F4914F6CDD1Dull) >> 32);
}

float Sampler::randomF32() { return (randomU32() >> 8) / 16777216.0f; }

int32_t Sampler::sample(std::vector<float> &logits) {
  int32_t n = int32_t(logits.size());
  if (temperature == 0)
    return int32_t(std::max_element(logits.begin(), logits.end()) -
                   logits.begin());
  float maxv = -std::numeric_limits<float>::infinity();
  for (float &l : logits) {
    l = float(l / temperature);
    maxv = std::max(maxv, l);
  }
  float sum = 0;
  for (float &l : logits) {
    l = std::exp(l - maxv);
    sum += l;
  }
  for (float &l : logits)
    l /= sum;
  float coin = randomF32();
  if (topP <= 0 || topP >= 1) {
    float cdf = 0;
    for (int32_t i = 0; i < n; ++i) {
      cdf += logits[i];
      if (coin < cdf)
        return i;
    }
    return n - 1;
  }
  // Top-p: the smallest set of most likely tokens whose probability exceeds
  // topP (tokens below (1 - topP) / (n - 1) cannot be in it).
  float cutoff = float((1 - topP) / (n - 1));
  std::vector<int32_t> idx;
  for (int32_t i = 0; i < n; ++i)
    if (logits[i] >= cutoff)
      idx.push_back(i);
  std::sort(idx.begin(), idx.end(), [&](int32_t a, int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  });
  float cumulative = 0;
  size_t last = idx.size() - 1;
  for (size_t i = 0; i < idx.size(); ++i) {
    cumulative += logits[idx[i]];
    if (cumulative > topP) {
      last = i;
      break;
    }
  }
  float r = coin * cumulative, cdf = 0;
  for (size_t i = 0; i <= last; ++i) {
    cdf += logits[idx[i]];
    if (r < cdf)
      return idx[i];
  }
  return idx[last];
}

namespace {
int fail(const Twine &message) {
  llvm::WithColor::error(llvm::errs(), "quant-run") << message << "\n";
  return 1;
}

double secondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t)
      .count();
}

/// The additive mask of a step of `s` tokens at `pos`: query i (at position
/// pos + i) sees keys 0 ... pos + i.
Tensor stepMask(int64_t s, int64_t pos, int64_t smax) {
  Tensor m(DType::F32, {1, 1, s, smax});
  float *p = m.data<float>();
  for (int64_t i = 0; i < s; ++i)
    for (int64_t j = 0; j < smax; ++j)
      p[i * smax + j] =
          j <= pos + i ? 0.0f : -std::numeric_limits<float>::infinity();
  return m;
}
} // namespace

int qc::generateText(MLIRContext &ctx, const GenerateOptions &opts) {
  std::string error;
  if (opts.tokenizer.empty())
    return fail("generating text needs --tokenizer FILE (llama2.c's "
                "tokenizer.bin format)");
  if (opts.numTokens < 0)
    return fail("-n must not be negative");
  if (opts.temperature < 0)
    return fail("--temperature must not be negative");
  ctx.loadAllAvailableDialects();
  ExecutorOptions execOptions;
  execOptions.numThreads = opts.numThreads;

  auto start = std::chrono::steady_clock::now();
  OwningOpRef<ModuleOp> module;
  std::unique_ptr<Llama2cCheckpoint> ckpt;
  FailureOr<std::unique_ptr<Executor>> decode = std::unique_ptr<Executor>();
  int64_t vocab = 0, Smax = 0;
  // A compiled artifact of the one-token step (quant-compile CKPT -o X.qc):
  // the generated code through the runtime.
  std::unique_ptr<ArtifactRunner> artifact;
  std::vector<ArtifactRunner::Spec> cacheSpecs;
  if (opts.stepGraph && ArtifactRunner::isArtifact(opts.checkpoint)) {
    auto opened = ArtifactRunner::open(opts.checkpoint, opts.numThreads,
                                       0xffffffffu, error);
    if (failed(opened))
      return fail(error);
    artifact = std::move(*opened);
    ArrayRef<std::string> names = artifact->inputNames();
    ArrayRef<ArtifactRunner::Spec> in = artifact->inputSpecs(),
                                   out = artifact->outputSpecs();
    bool ok = names.size() >= 3 && names[0] == "tokens" && names[1] == "pos" &&
              names[2] == "mask" && in[0].shape == ArrayRef<int64_t>{1, 1} &&
              in[2].shape.size() == 4 && out.size() == names.size() - 2 &&
              out[0].shape.size() == 3 && out[0].shape[1] == 1 &&
              out[0].dtype == DType::F32;
    if (!ok)
      return fail(opts.checkpoint + ": not a one-token Llama step artifact "
                  "(inputs tokens : [1, 1], pos, mask, caches; outputs logits "
                  ": [1, 1, V], caches), as quant-compile writes for a "
                  "llama2.c checkpoint");
    Smax = in[2].shape[3];
    vocab = out[0].shape[2];
    cacheSpecs.assign(in.begin() + 3, in.end());
  } else if (opts.stepGraph) {
    // A step graph written by quant-compile (possibly quantized): its
    // `main` takes one token per step.
    module = loadModel(&ctx, opts.checkpoint, {});
    if (!module)
      return 1;
    func::FuncOp fn = findEntryFunction(*module, "");
    if (!fn)
      return 1;
    decode = Executor::create(fn, execOptions);
    if (failed(decode))
      return 1;
    ArrayRef<std::string> names = (*decode)->inputNames();
    ArrayRef<Type> types = (*decode)->inputTypes();
    auto shapeOf = [](Type t) { return cast<RankedTensorType>(t).getShape(); };
    bool ok = names.size() >= 3 && names[0] == "tokens" && names[1] == "pos" &&
              names[2] == "mask" &&
              shapeOf(types[0]) == ArrayRef<int64_t>{1, 1} &&
              shapeOf(types[2]).size() == 4 &&
              (*decode)->outputTypes().size() == names.size() - 2 &&
              shapeOf((*decode)->outputTypes()[0]).size() == 3 &&
              shapeOf((*decode)->outputTypes()[0])[1] == 1;
    if (!ok)
      return fail(opts.checkpoint + ": not a one-token Llama step graph (inputs "
                  "tokens : [1, 1], pos, mask, caches; outputs logits : [1, "
                  "1, V], caches), as quant-compile writes for a llama2.c "
                  "checkpoint");
    Smax = shapeOf(types[2])[3];
    vocab = shapeOf((*decode)->outputTypes()[0])[2];
  } else {
    auto read = readLlama2cCheckpoint(opts.checkpoint, error);
    if (failed(read))
      return fail(error);
    ckpt = std::move(*read);
    vocab = ckpt->config.vocabSize;
    Smax = ckpt->config.maxSeqLen;
  }
  auto tok = Tokenizer::load(opts.tokenizer, vocab, error);
  if (failed(tok))
    return fail(error);

  std::vector<int32_t> prompt = tok->encode(opts.prompt, /*bos=*/true,
                                            /*eos=*/false);
  const int64_t P = int64_t(prompt.size());
  if (P >= Smax)
    return fail("the prompt has " + Twine(P) + " tokens; the model's context "
                "holds " + Twine(Smax));

  FailureOr<std::unique_ptr<Executor>> prefill = std::unique_ptr<Executor>();
  if (!opts.stepGraph) {
    module = ModuleOp::create(FileLineColLoc::get(&ctx, opts.checkpoint, 0, 0));
    SmallVector<LlamaStepSpec> specs = {{"decode", 1, true}};
    if (P > 1)
      specs.push_back({"prefill", P, true});
    if (failed(buildLlamaSteps(*module, ckpt->config, ckpt->lookup(), specs)))
      return 1;
    decode = Executor::create(module->lookupSymbol<func::FuncOp>("decode"),
                              execOptions);
    if (failed(decode))
      return 1;
    if (P > 1) {
      prefill = Executor::create(
          module->lookupSymbol<func::FuncOp>("prefill"), execOptions);
      if (failed(prefill))
        return 1;
    }
  }
  double loadSeconds = secondsSince(start);

  // Empty caches of the types the step takes.
  std::vector<Tensor> caches;
  for (const ArtifactRunner::Spec &c : cacheSpecs)
    caches.emplace_back(c.dtype, c.shape);
  for (Type t : artifact ? ArrayRef<Type>() : (*decode)->inputTypes().drop_front(3)) {
    auto type = cast<RankedTensorType>(t);
    Type elt = type.getElementType();
    if (auto q = dyn_cast<quant::QuantizedType>(elt))
      elt = q.getStorageType();
    std::optional<DType> dtype = dtypeFromType(elt);
    if (!dtype)
      return fail("unsupported KV cache type");
    caches.emplace_back(*dtype, type.getShape());
  }

  // One step: S tokens at `pos`; returns the last token's logits and
  // replaces the caches.
  auto step = [&](Executor *exe, ArrayRef<int32_t> tokens, int64_t pos,
                  std::vector<float> &logits) -> LogicalResult {
    int64_t s = int64_t(tokens.size());
    Tensor ids(DType::I64, {1, s});
    for (int64_t i = 0; i < s; ++i)
      ids.data<int64_t>()[i] = tokens[i];
    Tensor posT(DType::I64, ArrayRef<int64_t>{});
    posT.data<int64_t>()[0] = pos;
    std::vector<Tensor> inputs = {ids, posT, stepMask(s, pos, Smax)};
    inputs.insert(inputs.end(), caches.begin(), caches.end());
    FailureOr<std::vector<Tensor>> out =
        exe ? exe->run(inputs, error) : artifact->run(inputs, error);
    if (failed(out))
      return failure();
    const Tensor &l = (*out)[0];
    logits.assign(l.data<float>(), l.data<float>() + l.numElements());
    for (size_t i = 0; i < caches.size(); ++i)
      caches[i] = (*out)[i + 1];
    return success();
  };

  std::string text;
  for (int64_t i = 1; i < P; ++i)
    text += tok->decode(prompt[i - 1], prompt[i]);
  llvm::outs() << text;
  llvm::outs().flush();

  std::vector<float> logits;
  start = std::chrono::steady_clock::now();
  if (*prefill) {
    if (failed(step(prefill->get(), prompt, 0, logits)))
      return fail(error);
  } else {
    // Without a prefill function the prompt runs one token per step.
    for (int64_t i = 0; i < P; ++i)
      if (failed(step(decode->get(), {prompt[i]}, i, logits)))
        return fail(error);
  }
  double prefillSeconds = secondsSince(start);
  if (!opts.firstLogitsPath.empty()) {
    Tensor l = Tensor::fromBytes(DType::F32, {1, vocab}, logits.data());
    if (failed(writeNpyFile(opts.firstLogitsPath, l, error)))
      return fail(error);
  }

  Sampler sampler(opts.temperature, opts.topP, opts.seed);
  std::vector<int32_t> generated;
  int32_t prev = prompt.back();
  int64_t pos = P;
  start = std::chrono::steady_clock::now();
  int64_t decodeSteps = 0;
  while (int64_t(generated.size()) < opts.numTokens) {
    int32_t next = sampler.sample(logits);
    if (next == Tokenizer::kBOS || next == Tokenizer::kEOS)
      break;
    generated.push_back(next);
    llvm::outs() << tok->decode(prev, next);
    llvm::outs().flush();
    prev = next;
    if (int64_t(generated.size()) == opts.numTokens || pos >= Smax)
      break;
    if (failed(step(decode->get(), {next}, pos, logits)))
      return fail(error);
    ++pos;
    ++decodeSteps;
  }
  double decodeSeconds = secondsSince(start);
  llvm::outs() << "\n";
  if (opts.printTokens) {
    llvm::outs() << "prompt tokens:";
    for (int32_t t : prompt)
      llvm::outs() << " " << t;
    llvm::outs() << "\ngenerated tokens:";
    for (int32_t t : generated)
      llvm::outs() << " " << t;
    llvm::outs() << "\n";
  }
  if (opts.time) {
    llvm::errs() << llvm::format("load: %.3f s\n", loadSeconds);
    llvm::errs() << llvm::format("prefill: %lld tokens in %.3f ms (%.1f tokens/s)\n",
                                 (long long)P, 1000 * prefillSeconds,
                                 P / std::max(prefillSeconds, 1e-9));
    llvm::errs() << llvm::format(
        "decode: %lld steps in %.3f ms (%.1f tokens/s)\n",
        (long long)decodeSteps, 1000 * decodeSeconds,
        decodeSteps / std::max(decodeSeconds, 1e-9));
  }
  return 0;
}
