//===- Tokenizer.cpp - llama2.c / SentencePiece-style BPE tokenizer -------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Import/LLM/Tokenizer.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstring>
#include <queue>

using namespace mlir;
using namespace mlir::qc;

FailureOr<Tokenizer> Tokenizer::load(StringRef path, int64_t vocabSize,
                                     std::string &error) {
  auto fail = [&](const Twine &why) {
    error = (path + ": " + why).str();
    return failure();
  };
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return fail("cannot read the tokenizer: " + buffer.getError().message());
  const char *p = (*buffer)->getBufferStart();
  const char *end = (*buffer)->getBufferEnd();
  auto remaining = [&] { return int64_t(end - p); };
  if (remaining() < 4)
    return fail("not a llama2.c tokenizer: shorter than its 4-byte header");
  int32_t maxLen = llvm::support::endian::read32le(p);
  p += 4;
  if (maxLen <= 0 || maxLen > 65536)
    return fail("not a llama2.c tokenizer: max_token_length " + Twine(maxLen) +
                " is not in [1, 65536]");
  Tokenizer tok;
  while (remaining() > 0) {
    int64_t index = tok.size();
    if (vocabSize > 0 && index >= vocabSize)
      return fail("not the model's tokenizer: more than the model's " +
                  Twine(vocabSize) + " tokens (" + Twine(remaining()) +
                  " bytes left after token " + Twine(index - 1) + ")");
    if (remaining() < 8)
      return fail("truncated llama2.c tokenizer: token " + Twine(index) +
                  " has " + Twine(remaining()) +
                  " bytes, fewer than its score and length");
    float score;
    uint32_t bits = llvm::support::endian::read32le(p);
    std::memcpy(&score, &bits, 4);
    int32_t len = llvm::support::endian::read32le(p + 4);
    p += 8;
    if (len < 0 || len > maxLen)
      return fail("not a llama2.c tokenizer: token " + Twine(index) +
                  " has length " + Twine(len) + ", outside [0, max_token_length " +
                  Twine(maxLen) + "]");
    if (len > remaining())
      return fail("truncated llama2.c tokenizer: token " + Twine(index) +
                  " needs " + Twine(len) + " bytes, " + Twine(remaining()) +
                  " are left");
    tok.pieces.emplace_back(p, size_t(len));
    tok.scores.push_back(score);
    p += len;
  }
  if (vocabSize > 0 && tok.size() != vocabSize)
    return fail("not the model's tokenizer: it has " + Twine(tok.size()) +
                " tokens, the model's vocabulary has " + Twine(vocabSize));
  if (tok.size() <= kEOS)
    return fail("not a llama2.c tokenizer: only " + Twine(tok.size()) +
                " tokens");
  for (int32_t i = 0; i < tok.size(); ++i)
    tok.ids.try_emplace(tok.pieces[i], i); // the first of duplicates wins
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    tok.byteTokens[b] = tok.lookup(name);
  }
  return tok;
}

int32_t Tokenizer::lookup(StringRef s) const {
  auto it = ids.find(s);
  return it == ids.end() ? -1 : it->second;
}

std::vector<int32_t> Tokenizer::encode(StringRef text, bool bos,
                                       bool eos) const {
  std::vector<int32_t> tokens;
  if (bos)
    tokens.push_back(kBOS);
  std::vector<int32_t> work;
  if (!text.empty()) {
    int32_t space = lookup(" ");
    if (space >= 0)
      work.push_back(space);
  }
  // One token per UTF-8 code point (a lead byte and at most 3 continuation
  // bytes), or its bytes when the code point is not a piece.
  for (size_t i = 0; i < text.size();) {
    size_t j = i + 1;
    while (j < text.size() && j - i < 4 &&
           (static_cast<unsigned char>(text[j]) & 0xC0) == 0x80)
      ++j;
    int32_t id = lookup(text.slice(i, j));
    if (id >= 0) {
      work.push_back(id);
    } else {
      for (size_t k = i; k < j; ++k) {
        int32_t b = byteTokens[static_cast<unsigned char>(text[k])];
        // llama2.c's convention (<0x00> at id 3) when the vocabulary lacks
        // the byte piece.
        work.push_back(b >= 0 ? b : static_cast<unsigned char>(text[k]) + 3);
      }
    }
    i = j;
  }
  // Merge the best-scoring adjacent pair (the leftmost of equals) until
  // none merges. Symbols form a linked list over `work`; candidate pairs sit
  // in a heap and are dropped when one of their symbols has changed since.
  // O(n log n), and the same merges in the same order as rescanning the
  // whole list for every merge.
  const size_t n = work.size();
  std::vector<int64_t> prev(n), next(n);
  for (size_t i = 0; i < n; ++i) {
    prev[i] = int64_t(i) - 1;
    next[i] = i + 1 < n ? int64_t(i + 1) : -1;
  }
  struct Candidate {
    float score;
    int64_t left, right;
    int32_t leftId, rightId, merged;
    bool operator<(const Candidate &o) const {
      // std::priority_queue pops the largest: best score, then leftmost.
      return score < o.score || (score == o.score && left > o.left);
    }
  };
  std::priority_queue<Candidate> heap;
  std::string merged;
  auto consider = [&](int64_t left) {
    if (left < 0 || next[left] < 0)
      return;
    int64_t right = next[left];
    int32_t a = work[left], b = work[right];
    if (a >= size() || b >= size())
      return;
    merged = pieces[a];
    merged += pieces[b];
    int32_t id = lookup(merged);
    if (id >= 0)
      heap.push({scores[id], left, right, a, b, id});
  };
  for (size_t i = 0; i + 1 < n; ++i)
    consider(int64_t(i));
  std::vector<bool> dead(n, false);
  while (!heap.empty()) {
    Candidate c = heap.top();
    heap.pop();
    if (dead[c.left] || dead[c.right] || next[c.left] != c.right ||
        work[c.left] != c.leftId || work[c.right] != c.rightId)
      continue;
    work[c.left] = c.merged;
    dead[c.right] = true;
    next[c.left] = next[c.right];
    if (next[c.right] >= 0)
      prev[next[c.right]] = c.left;
    consider(prev[c.left]);
    consider(c.left);
  }
  std::vector<int32_t> kept;
  for (int64_t i = n ? 0 : -1; i >= 0; i = next[i])
    kept.push_back(work[i]);
  work = std::move(kept);
  tokens.insert(tokens.end(), work.begin(), work.end());
  if (eos)
    tokens.push_back(kEOS);
  return tokens;
}

std::string Tokenizer::decode(int32_t prev, int32_t token) const {
  if (token < 0 || token >= size())
    return "";
  StringRef piece = pieces[token];
  if (prev == kBOS && piece.starts_with(" "))
    piece = piece.drop_front();
  unsigned byte;
  if (piece.size() == 6 && piece.starts_with("<0x") && piece.ends_with(">") &&
      !piece.substr(3, 2).getAsInteger(16, byte))
    return std::string(1, char(byte));
  return piece.str();
}
