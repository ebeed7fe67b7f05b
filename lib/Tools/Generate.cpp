//===- Generate.cpp - text generation with llama2.c checkpoints -----------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Tools/Generate.h"

#include "qc/Executor/Executor.h"
#include "qc/Executor/Npy.h"
#include "qc/Import/LLM/Tokenizer.h"
#include "qc/Tools/LlamaSession.h"

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
} // namespace

int qc::generateText(MLIRContext &ctx, const GenerateOptions &opts) {
  std::string error;
  if (opts.numTokens < 0)
    return fail("-n must not be negative");
  if (opts.temperature < 0)
    return fail("--temperature must not be negative");

  auto start = std::chrono::steady_clock::now();
  auto session = LlamaSession::open(ctx, opts.checkpoint, opts.stepGraph,
                                    opts.llama2c, opts.numThreads, error);
  if (failed(session))
    return fail(error);
  LlamaSession &model = **session;
  if (model.tokensPerStep() > 1)
    return fail(opts.checkpoint + ": a step of " +
                Twine(model.tokensPerStep()) +
                " tokens cannot generate text one token at a time: compile "
                "the one-token step (quant-compile without --input-shape)");
  const int64_t vocab = model.vocabSize(), Smax = model.contextSize();
  std::string tokenizerPath =
      opts.tokenizer.empty() ? model.defaultTokenizer() : opts.tokenizer;
  if (tokenizerPath.empty())
    return fail("generating text needs --tokenizer FILE (tokenizer.bin, "
                "tokenizer.model or tokenizer.json): " + opts.checkpoint +
                " has none beside it");
  auto tok = Tokenizer::load(tokenizerPath, vocab, error);
  if (failed(tok))
    return fail(error);

  std::vector<int32_t> prompt = tok->encode(opts.prompt, /*bos=*/true,
                                            /*eos=*/false);
  const int64_t P = int64_t(prompt.size());
  if (P >= Smax)
    return fail("the prompt has " + Twine(P) + " tokens; the model's context "
                "holds " + Twine(Smax));
  if (failed(model.prepare(P, /*allRows=*/false, error)) ||
      failed(model.prepare(1, /*allRows=*/false, error)))
    return fail(error);
  double loadSeconds = secondsSince(start);

  std::string text;
  for (int64_t i = 1; i < P; ++i)
    text += tok->decode(prompt[i - 1], prompt[i]);
  llvm::outs() << text;
  llvm::outs().flush();

  std::vector<float> logits;
  start = std::chrono::steady_clock::now();
  if (failed(model.step(prompt, 0, /*allRows=*/false, logits, error)))
    return fail(error);
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
    if (failed(model.step({next}, pos, /*allRows=*/false, logits, error)))
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
