//===- LLMTest.cpp - llama2.c reader, tokenizer, step graph ---------------===//
//
// Part of quantc. Self-contained (synthesized files); the tests against the
// real stories260K model are lit tests under test/LLM.
//
//===----------------------------------------------------------------------===//

#include "qc/Executor/Executor.h"
#include "qc/Import/LLM/Checkpoint.h"
#include "qc/Import/LLM/Tokenizer.h"
#include "qc/InitAll.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

using namespace mlir;
using namespace mlir::qc;

namespace {

/// A temporary file removed at the end of the test.
struct TempFile {
  llvm::SmallString<128> path;
  explicit TempFile(const std::string &bytes) {
    int fd;
    EXPECT_FALSE(llvm::sys::fs::createTemporaryFile("qc-llm", "bin", fd, path));
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << bytes;
  }
  ~TempFile() { llvm::sys::fs::remove(path); }
};

void put32(std::string &s, int32_t v) { s.append(reinterpret_cast<char *>(&v), 4); }
void putF(std::string &s, float v) { s.append(reinterpret_cast<char *>(&v), 4); }

/// <unk> <s> </s> <0x00>..<0xFF>, then `extra` (piece, score) pairs.
std::string tokenizerFile(std::vector<std::pair<std::string, float>> extra,
                          int32_t maxLen = 16) {
  std::vector<std::pair<std::string, float>> all = {
      {"<unk>", 0}, {"\n<s>\n", 0}, {"\n</s>\n", 0}};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    all.push_back({name, 0});
  }
  all.insert(all.end(), extra.begin(), extra.end());
  std::string s;
  put32(s, maxLen);
  for (auto &[piece, score] : all) {
    putF(s, score);
    put32(s, int32_t(piece.size()));
    s += piece;
  }
  return s;
}
constexpr int32_t kFirst = 259; // id of the first extra piece

TEST(LLMTokenizer, MergesByScore) {
  std::string err;
  // " a" outranks "ab": "ab" encodes as [" a", "b"].
  TempFile f1(tokenizerFile({{" ", 0}, {"a", 0}, {"b", 0}, {" a", 3}, {"ab", 2}}));
  auto t1 = Tokenizer::load(f1.path, 0, err);
  ASSERT_TRUE(succeeded(t1)) << err;
  EXPECT_EQ(t1->encode("ab", true, false),
            (std::vector<int32_t>{1, kFirst + 3, kFirst + 2}));
  // "ab" outranks " a": [" ", "ab"]; with EOS, without BOS.
  TempFile f2(tokenizerFile({{" ", 0}, {"a", 0}, {"b", 0}, {" a", 1}, {"ab", 2}}));
  auto t2 = Tokenizer::load(f2.path, 0, err);
  ASSERT_TRUE(succeeded(t2)) << err;
  EXPECT_EQ(t2->encode("ab", false, true),
            (std::vector<int32_t>{kFirst, kFirst + 4, 2}));
  // Ties go to the leftmost pair: "aaa" -> ["aa", "a"] after " " + ...
  TempFile f3(tokenizerFile({{" ", 0}, {"a", 0}, {"aa", 1}}));
  auto t3 = Tokenizer::load(f3.path, 0, err);
  ASSERT_TRUE(succeeded(t3)) << err;
  EXPECT_EQ(t3->encode("aaa", false, false),
            (std::vector<int32_t>{kFirst, kFirst + 2, kFirst + 1}));
  EXPECT_EQ(t3->encode("", true, false), (std::vector<int32_t>{1}));
}

TEST(LLMTokenizer, ByteFallbackAndDecode) {
  std::string err;
  TempFile f(tokenizerFile({{" ", 0}, {"a", 0}, {" a", 1}}));
  auto t = Tokenizer::load(f.path, 0, err);
  ASSERT_TRUE(succeeded(t)) << err;
  // "é" is not a piece: its two UTF-8 bytes.
  std::vector<int32_t> ids = t->encode("aé", true, false);
  EXPECT_EQ(ids, (std::vector<int32_t>{1, kFirst + 2, 3 + 0xC3, 3 + 0xA9}));
  std::string text;
  for (size_t i = 1; i < ids.size(); ++i)
    text += t->decode(ids[i - 1], ids[i]);
  EXPECT_EQ(text, "aé");
  // The leading space survives when the piece does not follow BOS.
  EXPECT_EQ(t->decode(kFirst + 1, kFirst + 2), " a");
}

TEST(LLMTokenizer, RejectsBadFiles) {
  std::string err;
  std::string good = tokenizerFile({{" ", 0}});
  TempFile trunc(good.substr(0, good.size() - 3));
  EXPECT_TRUE(failed(Tokenizer::load(trunc.path, 0, err)));
  EXPECT_NE(err.find(trunc.path.str().str()), std::string::npos) << err;
  EXPECT_NE(err.find("truncated"), std::string::npos) << err;
  TempFile longPiece(tokenizerFile({{"abcdef", 0}}, /*maxLen=*/5));
  EXPECT_TRUE(failed(Tokenizer::load(longPiece.path, 0, err)));
  EXPECT_NE(err.find("outside [0, max_token_length 5]"), std::string::npos) << err;
  TempFile ok(good);
  EXPECT_TRUE(failed(Tokenizer::load(ok.path, 512, err)));
  EXPECT_NE(err.find("model's vocabulary has 512"), std::string::npos) << err;
}

/// A random llama2.c checkpoint: dim 8, hidden 12, 2 layers, 2 heads, 1 KV
/// head, vocab 10 (negated when the classifier is separate), seq_len 6.
std::string checkpointFile(bool shared, uint32_t seed = 1) {
  const int dim = 8, hidden = 12, layers = 2, heads = 2, kvHeads = 1,
            vocab = 10, seqLen = 6, hs = dim / heads, kv = kvHeads * hs;
  std::string s;
  for (int v : {dim, hidden, layers, heads, kvHeads, shared ? vocab : -vocab, seqLen})
    put32(s, v);
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0, 0.5f);
  auto fill = [&](int64_t n, bool ones = false) {
    for (int64_t i = 0; i < n; ++i)
      putF(s, ones ? 1.0f + 0.1f * normal(rng) : normal(rng));
  };
  fill(vocab * dim);
  fill(layers * dim, true);
  fill(layers * dim * dim);
  fill(layers * kv * dim);
  fill(layers * kv * dim);
  fill(layers * dim * dim);
  fill(layers * dim, true);
  fill(layers * hidden * dim);
  fill(layers * dim * hidden);
  fill(layers * hidden * dim);
  fill(dim, true);
  fill(seqLen * hs); // freq_cis
  if (!shared)
    fill(vocab * dim);
  return s;
}

TEST(LLMLlama2c, ReadsAndValidates) {
  std::string err;
  TempFile f(checkpointFile(true));
  auto c = readLlama2cCheckpoint(f.path, err);
  ASSERT_TRUE(succeeded(c)) << err;
  EXPECT_EQ((*c)->config.kvDim(), 4);
  EXPECT_TRUE((*c)->config.tiedEmbeddings);
  EXPECT_FALSE((*c)->lookup()("output"));
  auto wk = (*c)->lookup()("layers.1.wk");
  ASSERT_TRUE(wk);
  EXPECT_EQ(wk->shape, (SmallVector<int64_t>{4, 8}));

  TempFile sep(checkpointFile(false));
  c = readLlama2cCheckpoint(sep.path, err);
  ASSERT_TRUE(succeeded(c)) << err;
  EXPECT_FALSE((*c)->config.tiedEmbeddings);
  EXPECT_EQ((*c)->config.vocabSize, 10);
  EXPECT_TRUE((*c)->lookup()("output"));

  std::string bytes = checkpointFile(true);
  TempFile trunc(bytes.substr(0, bytes.size() - 4));
  EXPECT_TRUE(failed(readLlama2cCheckpoint(trunc.path, err)));
  EXPECT_NE(err.find("truncated llama2.c checkpoint"), std::string::npos) << err;
  std::string odd = bytes;
  int32_t heads = 3; // dim 8 is not a multiple of 3
  std::memcpy(&odd[12], &heads, 4);
  TempFile oddFile(odd);
  EXPECT_TRUE(failed(readLlama2cCheckpoint(oddFile.path, err)));
  EXPECT_NE(err.find("not a multiple of n_heads 3"), std::string::npos) << err;
}

Tensor stepMask(int64_t s, int64_t pos, int64_t smax) {
  Tensor m(DType::F32, {1, 1, s, smax});
  for (int64_t i = 0; i < s; ++i)
    for (int64_t j = 0; j < smax; ++j)
      m.data<float>()[i * smax + j] =
          j <= pos + i ? 0.0f : -std::numeric_limits<float>::infinity();
  return m;
}

/// A prefill of three tokens gives the logits of three single-token steps
/// (the caches carried from step to step), for shared and separate
/// classifiers.
TEST(LLMLlamaStep, PrefillEqualsDecodeSteps) {
  for (bool shared : {true, false}) {
    std::string err;
    TempFile f(checkpointFile(shared, shared ? 3 : 4));
    DialectRegistry registry;
    registerAllDialects(registry);
    MLIRContext ctx(registry);
    ctx.loadAllAvailableDialects();
    OwningOpRef<ModuleOp> module =
        importLlamaCheckpoint(&ctx, f.path, {{"prefill", 3, false}, {"decode", 1, true}});
    ASSERT_TRUE(module);
    auto prefill = Executor::create(module->lookupSymbol<func::FuncOp>("prefill"));
    auto decode = Executor::create(module->lookupSymbol<func::FuncOp>("decode"));
    ASSERT_TRUE(succeeded(prefill) && succeeded(decode));
    const int64_t smax = 6, vocab = 10;
    std::vector<Tensor> emptyCaches(4, Tensor(DType::F32, {1, 1, smax, 4}));
    const int64_t toks[3] = {1, 5, 7};

    Tensor ids(DType::I64, {1, 3});
    std::memcpy(ids.raw(), toks, sizeof(toks));
    Tensor pos(DType::I64, ArrayRef<int64_t>{});
    std::vector<Tensor> in = {ids, pos, stepMask(3, 0, smax)};
    in.insert(in.end(), emptyCaches.begin(), emptyCaches.end());
    auto all = (*prefill)->run(in, err);
    ASSERT_TRUE(succeeded(all)) << err;
    ASSERT_EQ((*all)[0].shape(), (ArrayRef<int64_t>{1, 3, vocab}));

    std::vector<Tensor> caches = emptyCaches;
    for (int64_t p = 0; p < 3; ++p) {
      Tensor id(DType::I64, {1, 1});
      id.data<int64_t>()[0] = toks[p];
      Tensor posT(DType::I64, ArrayRef<int64_t>{});
      posT.data<int64_t>()[0] = p;
      std::vector<Tensor> stepIn = {id, posT, stepMask(1, p, smax)};
      stepIn.insert(stepIn.end(), caches.begin(), caches.end());
      auto out = (*decode)->run(stepIn, err);
      ASSERT_TRUE(succeeded(out)) << err;
      for (int64_t v = 0; v < vocab; ++v)
        EXPECT_NEAR((*out)[0].data<float>()[v],
                    (*all)[0].data<float>()[p * vocab + v], 1e-5)
            << "shared " << shared << " position " << p << " token " << v;
      caches.assign(out->begin() + 1, out->end());
    }
    // The caches written by the prefill equal those of the three steps.
    for (size_t i = 0; i < caches.size(); ++i)
      for (int64_t e = 0; e < caches[i].numElements(); ++e)
        EXPECT_NEAR(caches[i].data<float>()[e], (*all)[1 + i].data<float>()[e], 1e-6);
  }
}

TEST(LLMLlamaStep, ReportsBadStepAndMissingWeights) {
  std::string err;
  TempFile f(checkpointFile(true));
  auto ckpt = readLlama2cCheckpoint(f.path, err);
  ASSERT_TRUE(succeeded(ckpt)) << err;
  DialectRegistry registry;
  registerAllDialects(registry);
  MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  std::string diags;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
    diags += d.str() + "\n";
    return success();
  });
  OwningOpRef<ModuleOp> m1 = ModuleOp::create(UnknownLoc::get(&ctx));
  EXPECT_TRUE(failed(buildLlamaSteps(*m1, (*ckpt)->config, (*ckpt)->lookup(),
                                     {{"main", 7, false}})));
  EXPECT_NE(diags.find("does not fit seq_len 6"), std::string::npos) << diags;
  OwningOpRef<ModuleOp> m2 = ModuleOp::create(UnknownLoc::get(&ctx));
  LlamaWeightLookup partial = [&](StringRef name) -> std::optional<LlamaTensor> {
    if (name == "layers.1.w3")
      return std::nullopt;
    return (*ckpt)->lookup()(name);
  };
  EXPECT_TRUE(failed(buildLlamaSteps(*m2, (*ckpt)->config, partial,
                                     {{"main", 1, false}})));
  EXPECT_NE(diags.find("Llama weight 'layers.1.w3' is missing"), std::string::npos)
      << diags;
}

} // namespace
