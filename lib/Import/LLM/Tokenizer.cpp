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
  // Merge the best-scoring adjacent pair until none merges.
  std::string merged;
  while (work.size() > 1) {
    float best = 0;
    int32_t bestId = -1;
    size_t bestIdx = 0;
    for (size_t i = 0; i + 1 < work.size(); ++i) {
      if (work[i] >= size() || work[i + 1] >= size())
        continue;
      merged = pieces[work[i]];
      merged += pieces[work[i + 1]];
      int32_t id = lookup(merged);
      if (id >= 0 && (bestId < 0 || scores[id] > best)) {
        best = scores[id];
        bestId = id;
        bestIdx = i;
      }
    }
    if (bestId < 0)
      break;
    work[bestIdx] = bestId;
    work.erase(work.begin() + bestIdx + 1);
  }
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
