//===- Perplexity.cpp - perplexity and KL divergence over a text ----------===//
//
// Part of quantc. `quant-run MODEL --perplexity FILE --ctx N` scores a text
// the way llama.cpp's llama-perplexity does, so the numbers can stand side
// by side: the text is tokenized with BOS first, cut into chunks of N
// tokens (the remainder is dropped), the first token of every chunk is
// replaced by BOS, each chunk runs from an empty KV cache, and only the
// second half of each chunk is scored (tokens N/2 + 1 .. N - 1, each
// predicted from everything before it in the chunk).
//
// --kl-divergence-base OUT saves the scored tokens' log-probabilities; a
// later run with --kl-divergence-base OUT --kl-divergence compares another
// model (a quantized one) with them: KL(base || model) per token, the
// top-1 agreement and both perplexities.
//
//===----------------------------------------------------------------------===//

#include "qc/Tools/Generate.h"

#include "qc/Import/LLM/Tokenizer.h"
#include "qc/Tools/LlamaSession.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::qc;

namespace {
int fail(const Twine &message) {
  llvm::WithColor::error(llvm::errs(), "quant-run") << message << "\n";
  return 1;
}

constexpr char kMagic[8] = {'Q', 'C', 'K', 'L', 'D', '0', '0', '1'};

/// The saved base distributions: a 24-byte header (magic, vocab, ctx,
/// chunks, first scored row, all little-endian uint32), the chunks' tokens
/// (int32, chunks x ctx, BOS already in place), then per scored token its
/// log-probabilities (f32 x vocab), chunk by chunk.
struct BaseHeader {
  uint32_t vocab = 0, ctx = 0, chunks = 0, first = 0;
};

/// log-softmax of `logits` (n values) into `out`.
void logSoftmax(const float *logits, int64_t n, std::vector<double> &out) {
  out.resize(n);
  double maxv = *std::max_element(logits, logits + n);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i)
    sum += std::exp(double(logits[i]) - maxv);
  double lse = maxv + std::log(sum);
  for (int64_t i = 0; i < n; ++i)
    out[i] = double(logits[i]) - lse;
}

/// mean ± standard error of the mean.
struct Stat {
  double sum = 0, sum2 = 0;
  int64_t n = 0;
  void add(double v) {
    sum += v;
    sum2 += v * v;
    ++n;
  }
  double mean() const { return n ? sum / n : 0; }
  double err() const {
    if (n < 2)
      return 0;
    double var = sum2 / n - mean() * mean();
    return var > 0 ? std::sqrt(var / (n - 1)) : 0;
  }
};

/// The value at quantile q of sorted `v`.
double quantile(const std::vector<double> &v, double q) {
  if (v.empty())
    return 0;
  double at = q * double(v.size() - 1);
  size_t lo = size_t(at);
  size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (at - double(lo)) * (v[hi] - v[lo]);
}
} // namespace

int qc::evaluatePerplexity(MLIRContext &ctx, const PerplexityOptions &opts) {
  std::string error;
  if (opts.ctx < 0)
    return fail("--ctx must be positive");
  if (opts.klDivergence && opts.klBasePath.empty())
    return fail("--kl-divergence compares with saved base log-probabilities: "
                "give --kl-divergence-base FILE");
  auto start = std::chrono::steady_clock::now();
  auto session = LlamaSession::open(ctx, opts.model, opts.stepGraph,
                                    opts.llama2c, opts.numThreads, error);
  if (failed(session))
    return fail(error);
  LlamaSession &model = **session;
  const int64_t V = model.vocabSize();
  std::string tokenizerPath =
      opts.tokenizer.empty() ? model.defaultTokenizer() : opts.tokenizer;
  if (tokenizerPath.empty())
    return fail("--perplexity needs --tokenizer FILE: " + opts.model +
                " has none beside it");
  auto tok = Tokenizer::load(tokenizerPath, V, error);
  if (failed(tok))
    return fail(error);
  const int64_t n = opts.ctx ? opts.ctx : model.contextSize();
  if (n > model.contextSize())
    return fail("--ctx " + Twine(n) + " is longer than the model's context of " +
                Twine(model.contextSize()) + " tokens");
  if (n < 4)
    return fail("--ctx " + Twine(n) + " is too short (at least 4 tokens)");

  // The text and its chunks.
  std::vector<int32_t> tokens;
  if (!opts.klDivergence) {
    auto text = llvm::MemoryBuffer::getFile(opts.textPath, /*IsText=*/true);
    if (!text)
      return fail(opts.textPath + ": cannot read the text: " +
                  text.getError().message());
    tokens = tok->encode((*text)->getBuffer(), /*bos=*/true, /*eos=*/false);
  }
  const int64_t first = n / 2;
  int64_t chunks = int64_t(tokens.size()) / n;

  // The base log-probabilities, when comparing with them.
  std::unique_ptr<llvm::MemoryBuffer> base;
  BaseHeader bh;
  if (opts.klDivergence) {
    auto buffer = llvm::MemoryBuffer::getFile(opts.klBasePath, false, false);
    if (!buffer)
      return fail(opts.klBasePath + ": cannot read the KL divergence base: " +
                  buffer.getError().message());
    base = std::move(*buffer);
    StringRef b = base->getBuffer();
    if (b.size() < 24 || std::memcmp(b.data(), kMagic, 8))
      return fail(opts.klBasePath + ": not a KL divergence base file (quant-run "
                  "--perplexity TEXT --kl-divergence-base FILE writes one)");
    using llvm::support::endian::read32le;
    bh = {read32le(b.data() + 8), read32le(b.data() + 12),
          read32le(b.data() + 16), read32le(b.data() + 20)};
    uint64_t need = 24 + 4ull * bh.chunks * bh.ctx +
                    4ull * bh.chunks * (bh.ctx - 1 - bh.first) * bh.vocab;
    if (bh.ctx < 4 || bh.first >= bh.ctx - 1 || bh.chunks == 0 ||
        b.size() != need)
      return fail(opts.klBasePath + ": the KL divergence base is truncated or "
                  "corrupt (" + Twine(b.size()) + " bytes, its header needs " +
                  Twine(need) + ")");
    if (int64_t(bh.vocab) != V)
      return fail(opts.klBasePath + ": the base model's vocabulary has " +
                  Twine(bh.vocab) + " tokens, " + opts.model + "'s " + Twine(V));
    if (opts.ctx && opts.ctx != int64_t(bh.ctx))
      return fail(opts.klBasePath + ": saved with --ctx " + Twine(bh.ctx) +
                  ", not " + Twine(opts.ctx));
    if (int64_t(bh.ctx) > model.contextSize())
      return fail(opts.klBasePath + ": its context of " + Twine(bh.ctx) +
                  " tokens is longer than " + opts.model + "'s");
    chunks = bh.chunks;
    tokens.resize(size_t(chunks) * bh.ctx);
    for (size_t i = 0; i < tokens.size(); ++i)
      tokens[i] = int32_t(read32le(b.data() + 24 + 4 * i));
    for (int32_t t : tokens)
      if (t < 0 || t >= V)
        return fail(opts.klBasePath + ": token " + Twine(t) +
                    " is outside the vocabulary");
  }
  const int64_t ctxLen = opts.klDivergence ? int64_t(bh.ctx) : n;
  const int64_t firstRow = opts.klDivergence ? int64_t(bh.first) : first;
  if (opts.maxChunks > 0)
    chunks = std::min<int64_t>(chunks, opts.maxChunks);
  if (chunks < 1)
    return fail(opts.textPath + ": " + Twine(tokens.size()) +
                " tokens, fewer than one chunk of --ctx " + Twine(n));

  // Writes the base file to a temporary name, renamed at the end.
  std::unique_ptr<llvm::raw_fd_ostream> out;
  SmallString<256> tmpPath;
  if (!opts.klBasePath.empty() && !opts.klDivergence) {
    tmpPath = opts.klBasePath + ".tmp";
    std::error_code ec;
    out = std::make_unique<llvm::raw_fd_ostream>(tmpPath, ec);
    if (ec)
      return fail(opts.klBasePath + ": cannot write: " + ec.message());
    out->write(kMagic, 8);
    for (uint32_t v : {uint32_t(V), uint32_t(n), uint32_t(chunks),
                       uint32_t(first)}) {
      char le[4];
      llvm::support::endian::write32le(le, v);
      out->write(le, 4);
    }
    for (int64_t c = 0; c < chunks; ++c)
      for (int64_t j = 0; j < n; ++j) {
        char le[4];
        llvm::support::endian::write32le(
            le, uint32_t(j == 0 ? Tokenizer::kBOS : tokens[c * n + j]));
        out->write(le, 4);
      }
  }
  auto cleanup = [&] {
    if (out) {
      out.reset();
      llvm::sys::fs::remove(tmpPath);
    }
  };

  llvm::errs() << llvm::format(
      "perplexity: %lld chunks of %lld tokens, scoring tokens %lld..%lld of "
      "each (%lld tokens)\n",
      (long long)chunks, (long long)ctxLen, (long long)firstRow + 1,
      (long long)ctxLen - 1, (long long)(chunks * (ctxLen - 1 - firstRow)));

  Stat nll, baseNll, kld, sameTop;
  std::vector<double> klds;
  std::vector<double> lp;
  std::vector<float> logits;
  std::vector<int32_t> chunk(ctxLen);
  const char *baseLogProbs =
      base ? base->getBufferStart() + 24 + 4 * tokens.size() : nullptr;
  for (int64_t c = 0; c < chunks; ++c) {
    std::copy(tokens.begin() + c * ctxLen, tokens.begin() + (c + 1) * ctxLen,
              chunk.begin());
    chunk[0] = Tokenizer::kBOS;
    model.reset();
    if (failed(model.step(chunk, 0, /*allRows=*/true, logits, error))) {
      cleanup();
      return fail(error);
    }
    for (int64_t j = firstRow; j < ctxLen - 1; ++j) {
      logSoftmax(logits.data() + j * V, V, lp);
      int32_t next = chunk[j + 1];
      nll.add(-lp[next]);
      if (out) {
        for (int64_t v = 0; v < V; ++v) {
          char le[4];
          float f = float(lp[v]);
          uint32_t bits;
          std::memcpy(&bits, &f, 4);
          llvm::support::endian::write32le(le, bits);
          out->write(le, 4);
        }
      }
      if (base) {
        // KL(base || model) = sum p_base (log p_base - log p_model).
        double kl = 0;
        int64_t topBase = 0, topModel = 0;
        float bestBase = -INFINITY;
        for (int64_t v = 0; v < V; ++v) {
          uint32_t bits = llvm::support::endian::read32le(baseLogProbs);
          baseLogProbs += 4;
          float b;
          std::memcpy(&b, &bits, 4);
          if (b > bestBase) {
            bestBase = b;
            topBase = v;
          }
          if (lp[v] > lp[topModel])
            topModel = v;
          kl += std::exp(double(b)) * (double(b) - lp[v]);
          if (v == next)
            baseNll.add(-double(b));
        }
        kld.add(kl);
        klds.push_back(kl);
        sameTop.add(topBase == topModel ? 1.0 : 0.0);
      }
    }
    if (opts.progress)
      llvm::errs() << llvm::format("[%lld]%.4f%s", (long long)c + 1,
                                   std::exp(nll.mean()),
                                   c + 1 == chunks ? "\n" : ",");
  }
  double seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count();

  if (out) {
    out->close();
    if (out->has_error()) {
      out->clear_error();
      cleanup();
      return fail(opts.klBasePath + ": cannot write the base log-probabilities");
    }
    out.reset();
    if (std::error_code ec = llvm::sys::fs::rename(tmpPath, opts.klBasePath)) {
      llvm::sys::fs::remove(tmpPath);
      return fail(opts.klBasePath + ": cannot write: " + ec.message());
    }
  }

  double ppl = std::exp(nll.mean());
  auto &os = llvm::outs();
  if (!base) {
    os << llvm::format("Final estimate: PPL = %.4f +/- %.5f\n", ppl,
                       ppl * nll.err());
    if (!opts.klBasePath.empty())
      os << "saved the base log-probabilities of " << nll.n << " tokens to "
         << opts.klBasePath << "\n";
  } else {
    double basePpl = std::exp(baseNll.mean());
    std::sort(klds.begin(), klds.end());
    os << "====== Perplexity statistics ======\n";
    os << llvm::format("Mean PPL(Q)      : %10.6f +/- %10.6f\n", ppl,
                       ppl * nll.err());
    os << llvm::format("Mean PPL(base)   : %10.6f +/- %10.6f\n", basePpl,
                       basePpl * baseNll.err());
    os << llvm::format("PPL ratio Q/base : %10.6f\n", ppl / basePpl);
    os << "====== KL divergence statistics ======\n";
    os << llvm::format("Mean    KLD: %10.6f +/- %10.6f\n", kld.mean(),
                       kld.err());
    os << llvm::format("Maximum KLD: %10.6f\n", klds.back());
    os << llvm::format("99.0%%   KLD: %10.6f\n", quantile(klds, 0.99));
    os << llvm::format("Median  KLD: %10.6f\n", quantile(klds, 0.5));
    os << "====== Token probability statistics ======\n";
    os << llvm::format("Same top p: %7.3f +/- %6.3f %%\n", 100 * sameTop.mean(),
                       100 * sameTop.err());
  }
  if (opts.time)
    llvm::errs() << llvm::format("perplexity: %lld tokens in %.3f s (%.1f "
                                 "tokens/s)\n",
                                 (long long)(chunks * ctxLen), seconds,
                                 chunks * ctxLen / std::max(seconds, 1e-9));
  return 0;
}
