//===- Tokenizer.cpp - llama2.c / SentencePiece-style BPE tokenizer -------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Import/LLM/Tokenizer.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"

#include "qc/GGUF/GGUF.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstring>
#include <queue>

using namespace mlir;
using namespace mlir::qc;

FailureOr<Tokenizer> Tokenizer::load(StringRef path, int64_t vocabSize,
                                     std::string &error) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    error = (path + ": cannot read the tokenizer: " +
             buffer.getError().message())
                .str();
    return failure();
  }
  StringRef data = (*buffer)->getBuffer();
  FailureOr<Tokenizer> tok =
      path.ends_with(".model")  ? loadSentencePiece(path, data, error)
      : path.ends_with(".json") ? loadHuggingFace(path, data, error)
      : path.ends_with(".gguf") ? loadGGUF(path, error)
                                : loadLlama2c(path, data, vocabSize, error);
  if (failed(tok))
    return failure();
  if (vocabSize > 0 && tok->size() != vocabSize) {
    error = (path + ": not the model's tokenizer: it has " + Twine(tok->size()) +
             " tokens, the model's vocabulary has " + Twine(vocabSize))
                .str();
    return failure();
  }
  if (tok->size() <= kEOS) {
    error = (path + ": not a tokenizer: only " + Twine(tok->size()) + " tokens")
                .str();
    return failure();
  }
  tok->index();
  return tok;
}

void Tokenizer::index() {
  mergeable.resize(pieces.size(), true);
  // Without recorded types (llama2.c's files): <unk>, <s> and </s> at 0, 1
  // and 2, <0xXX> byte pieces, and normal pieces.
  if (types.size() != pieces.size()) {
    types.assign(pieces.size(), kNormalToken);
    types[0] = kUnknownToken;
    types[kBOS] = types[kEOS] = kControlToken;
  }
  for (size_t i = 0; i < pieces.size(); ++i) {
    StringRef p = pieces[i];
    unsigned byte;
    if (types[i] == kNormalToken && p.size() == 6 && p.starts_with("<0x") &&
        p.ends_with(">") && !p.substr(3, 2).getAsInteger(16, byte))
      types[i] = kByteToken;
  }
  // Every piece is looked up (single code points start the encoding), but
  // only mergeable ones come out of a merge.
  for (int32_t i = 0; i < size(); ++i)
    ids.try_emplace(pieces[i], i); // the first of duplicates wins
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    byteTokens[b] = lookup(name);
  }
}

FailureOr<Tokenizer> Tokenizer::loadLlama2c(StringRef path, StringRef data,
                                            int64_t vocabSize,
                                            std::string &error) {
  auto fail = [&](const Twine &why) {
    error = (path + ": " + why).str();
    return failure();
  };
  const char *p = data.begin();
  const char *end = data.end();
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
  return tok;
}

namespace {
/// Protocol buffer wire format, as much as a SentencePiece ModelProto
/// needs.
struct WireReader {
  const uint8_t *p, *end;
  bool ok = true;
  explicit WireReader(StringRef s)
      : p(reinterpret_cast<const uint8_t *>(s.begin())),
        end(reinterpret_cast<const uint8_t *>(s.end())) {}
  bool done() const { return !ok || p >= end; }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p >= end)
        break;
      uint8_t b = *p++;
      v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80))
        return v;
    }
    ok = false;
    return 0;
  }
  /// The next field: its number, wire type and (for length-delimited and
  /// 32-bit fields) its bytes; varints land in `value`.
  bool field(uint32_t &number, uint32_t &wire, StringRef &bytes,
             uint64_t &value) {
    uint64_t key = varint();
    number = uint32_t(key >> 3);
    wire = uint32_t(key & 7);
    switch (wire) {
    case 0:
      value = varint();
      break;
    case 1:
    case 5: {
      size_t n = wire == 1 ? 8 : 4;
      if (size_t(end - p) < n)
        return ok = false;
      bytes = StringRef(reinterpret_cast<const char *>(p), n);
      p += n;
      break;
    }
    case 2: {
      uint64_t n = varint();
      if (!ok || n > uint64_t(end - p))
        return ok = false;
      bytes = StringRef(reinterpret_cast<const char *>(p), n);
      p += n;
      break;
    }
    default:
      return ok = false;
    }
    return ok;
  }
};

/// "▁" (U+2581) marks a space in SentencePiece pieces.
std::string spaceFromMarker(StringRef piece) {
  std::string out;
  for (size_t i = 0; i < piece.size();) {
    if (piece.substr(i).starts_with("\xE2\x96\x81")) {
      out += ' ';
      i += 3;
    } else {
      out += piece[i++];
    }
  }
  return out;
}
} // namespace

FailureOr<Tokenizer> Tokenizer::loadSentencePiece(StringRef path,
                                                  StringRef data,
                                                  std::string &error) {
  auto fail = [&](const Twine &why) {
    error = (path + ": " + why).str();
    return failure();
  };
  enum { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4,
         kUnused = 5, kByte = 6 };
  Tokenizer tok;
  WireReader model(data);
  int64_t modelType = 1; // TrainerSpec.model_type: 1 unigram, 2 BPE
  bool removeExtraSpaces = true; // NormalizerSpec.remove_extra_whitespaces
  bool whitespaceToSpace = true;  // NormalizerSpec.name nmt_nfkc (default)
  while (!model.done()) {
    uint32_t number, wire;
    StringRef bytes;
    uint64_t value;
    if (!model.field(number, wire, bytes, value))
      break;
    if (number == 3 && wire == 2) { // normalizer_spec
      WireReader spec(bytes);
      while (!spec.done()) {
        uint32_t n, w;
        StringRef b;
        uint64_t v;
        if (!spec.field(n, w, b, v))
          break;
        if (n == 4 && w == 0)
          removeExtraSpaces = v != 0;
        // The nmt_nfkc rules (SentencePiece's default) turn tabs, newlines
        // and other control whitespace into spaces; NFKC itself leaves
        // ASCII alone and is not applied.
        if (n == 1 && w == 2)
          whitespaceToSpace = b.starts_with("nmt_nfkc") || b.starts_with("nfkc");
      }
      continue;
    }
    if (number == 2 && wire == 2) { // trainer_spec
      WireReader spec(bytes);
      while (!spec.done()) {
        uint32_t n, w;
        StringRef b;
        uint64_t v;
        if (spec.field(n, w, b, v) && n == 3 && w == 0)
          modelType = int64_t(v);
      }
      continue;
    }
    if (number != 1 || wire != 2)
      continue;
    WireReader entry(bytes);
    std::string piece;
    float score = 0;
    int64_t type = kNormal;
    while (!entry.done()) {
      uint32_t n, w;
      StringRef b;
      uint64_t v;
      if (!entry.field(n, w, b, v))
        break;
      if (n == 1 && w == 2)
        piece = spaceFromMarker(b);
      else if (n == 2 && w == 5)
        std::memcpy(&score, b.data(), 4);
      else if (n == 3 && w == 0)
        type = int64_t(v);
    }
    if (!entry.ok)
      return fail("not a SentencePiece model: piece " + Twine(tok.size()) +
                  " is malformed");
    tok.pieces.push_back(std::move(piece));
    tok.scores.push_back(score);
    tok.mergeable.push_back(type == kNormal || type == kUserDefined);
    tok.types.push_back(type >= kNormal && type <= kByte ? uint8_t(type)
                                                         : uint8_t(kNormal));
  }
  if (!model.ok)
    return fail("not a SentencePiece model: the protocol buffer is malformed "
                "or truncated after piece " + Twine(tok.size()));
  if (tok.pieces.empty())
    return fail("not a SentencePiece model: no pieces");
  tok.collapseSpaces = removeExtraSpaces;
  tok.whitespaceToSpace = whitespaceToSpace;
  if (modelType != 2)
    return fail("a SentencePiece " +
                Twine(modelType == 1 ? "unigram" : "non-BPE") +
                " model: only BPE models are supported");
  return tok;
}

FailureOr<Tokenizer> Tokenizer::loadGGUF(StringRef path, std::string &error) {
  auto fail = [&](const Twine &why) {
    error = (path + ": " + why).str();
    return failure();
  };
  auto file = gguf::GGUFFile::open(path);
  if (!file) {
    error = llvm::toString(file.takeError());
    return failure();
  }
  const gguf::Value *model = (*file)->lookup("tokenizer.ggml.model");
  std::optional<StringRef> kind = model ? model->asString() : std::nullopt;
  if (!kind || *kind != "llama")
    return fail("a GGUF tokenizer of model '" +
                (kind ? *kind : StringRef("?")) +
                "': only llama (SentencePiece-style BPE) is supported");
  const gguf::Value *tokens = (*file)->lookup("tokenizer.ggml.tokens");
  if (!tokens || !tokens->isArray() ||
      tokens->elementType() != gguf::ValueType::String)
    return fail("'tokenizer.ggml.tokens' is missing or not a string array");
  Tokenizer tok;
  for (const std::string &p : tokens->strings())
    tok.pieces.push_back(spaceFromMarker(p));
  size_t n = tok.pieces.size();
  tok.scores.assign(n, 0.0f);
  if (const gguf::Value *v = (*file)->lookup("tokenizer.ggml.scores")) {
    std::optional<std::vector<float>> scores = v->getArray<float>();
    if (!scores || scores->size() != n)
      return fail("'tokenizer.ggml.scores' is not " + Twine(n) + " floats");
    tok.scores = std::move(*scores);
  }
  if (const gguf::Value *v = (*file)->lookup("tokenizer.ggml.token_type")) {
    std::optional<std::vector<int32_t>> types = v->getArray<int32_t>();
    if (!types || types->size() != n)
      return fail("'tokenizer.ggml.token_type' is not " + Twine(n) +
                  " integers");
    for (int32_t t : *types) {
      tok.types.push_back(t >= kNormalToken && t <= kByteToken ? uint8_t(t)
                                                               : kNormalToken);
      tok.mergeable.push_back(t == kNormalToken || t == kUserDefinedToken);
    }
  }
  return tok;
}

FailureOr<Tokenizer> Tokenizer::loadHuggingFace(StringRef path, StringRef data,
                                                std::string &error) {
  auto fail = [&](const Twine &why) {
    error = (path + ": " + why).str();
    return failure();
  };
  llvm::Expected<llvm::json::Value> root = llvm::json::parse(data);
  if (!root)
    return fail("not valid JSON: " + llvm::toString(root.takeError()));
  const llvm::json::Object *top = root->getAsObject();
  const llvm::json::Object *model = top ? top->getObject("model") : nullptr;
  if (!model)
    return fail("not a Hugging Face tokenizer: no \"model\" object");
  std::optional<StringRef> type = model->getString("type");
  if (!type || *type != "BPE")
    return fail("a Hugging Face tokenizer of model type '" +
                (type ? *type : StringRef("?")) + "': only BPE is supported");
  if (const llvm::json::Object *pre = top->getObject("pre_tokenizer"))
    if (std::optional<StringRef> t = pre->getString("type"); t && *t == "ByteLevel")
      return fail("a byte-level BPE tokenizer (GPT-2 style): only "
                  "SentencePiece-style BPE (\"▁\" pieces, byte fallback) is "
                  "supported");
  const llvm::json::Object *vocab = model->getObject("vocab");
  const llvm::json::Array *merges = model->getArray("merges");
  if (!vocab || !merges)
    return fail("not a Hugging Face BPE tokenizer: \"model\" lacks \"vocab\" "
                "or \"merges\"");
  Tokenizer tok;
  size_t n = vocab->size();
  if (const llvm::json::Array *added = top->getArray("added_tokens"))
    for (const llvm::json::Value &a : *added)
      if (const llvm::json::Object *o = a.getAsObject())
        if (std::optional<int64_t> id = o->getInteger("id"))
          n = std::max<size_t>(n, size_t(std::max<int64_t>(*id + 1, 0)));
  if (n > (1u << 22))
    return fail("a vocabulary of " + Twine(n) + " tokens is too large");
  tok.pieces.assign(n, "");
  tok.scores.assign(n, -1e30f);
  tok.mergeable.assign(n, false);
  std::vector<bool> seen(n, false);
  std::vector<int64_t> specials;
  for (const auto &kv : *vocab) {
    std::optional<int64_t> id = kv.second.getAsInteger();
    if (!id || *id < 0 || size_t(*id) >= n)
      return fail("vocabulary entry '" + StringRef(kv.first) +
                  "' has no valid id");
    tok.pieces[*id] = spaceFromMarker(kv.first);
    seen[*id] = true;
  }
  if (const llvm::json::Array *added = top->getArray("added_tokens"))
    for (const llvm::json::Value &a : *added) {
      const llvm::json::Object *o = a.getAsObject();
      std::optional<int64_t> id = o ? o->getInteger("id") : std::nullopt;
      std::optional<StringRef> content = o ? o->getString("content") : std::nullopt;
      if (!id || !content)
        return fail("an \"added_tokens\" entry lacks its id or content");
      if (!seen[*id])
        tok.pieces[*id] = content->str();
      seen[*id] = true;
      if (o->getBoolean("special").value_or(false))
        specials.push_back(*id);
    }
  for (size_t i = 0; i < n; ++i)
    if (!seen[i])
      return fail("token id " + Twine(i) + " has no piece");
  llvm::StringMap<int32_t> byPiece;
  for (size_t i = 0; i < n; ++i)
    byPiece.try_emplace(tok.pieces[i], int32_t(i));
  tok.types.assign(n, kNormalToken);
  for (int64_t id : specials)
    tok.types[id] = tok.pieces[id] == "<unk>" ? kUnknownToken : kControlToken;
  // Merge k (0-based) makes its piece with score -k: earlier merges first.
  for (size_t k = 0; k < merges->size(); ++k) {
    const llvm::json::Value &m = (*merges)[k];
    std::string left, right;
    if (std::optional<StringRef> s = m.getAsString()) {
      auto [l, r] = s->split(' ');
      if (r.empty() && !s->contains(' '))
        return fail("merge " + Twine(k) + " '" + *s + "' is not \"LEFT RIGHT\"");
      left = l.str();
      right = r.str();
    } else if (const llvm::json::Array *pair = m.getAsArray();
               pair && pair->size() == 2 && (*pair)[0].getAsString() &&
               (*pair)[1].getAsString()) {
      left = (*pair)[0].getAsString()->str();
      right = (*pair)[1].getAsString()->str();
    } else {
      return fail("merge " + Twine(k) + " is neither \"LEFT RIGHT\" nor a pair");
    }
    auto it = byPiece.find(spaceFromMarker(left) + spaceFromMarker(right));
    if (it == byPiece.end())
      return fail("merge " + Twine(k) + " makes '" + left + right +
                  "', which is not in the vocabulary");
    if (!tok.mergeable[it->second]) {
      tok.mergeable[it->second] = true;
      tok.scores[it->second] = -float(k);
    }
  }
  return tok;
}

int32_t Tokenizer::lookup(StringRef s) const {
  auto it = ids.find(s);
  return it == ids.end() ? -1 : it->second;
}

std::vector<int32_t> Tokenizer::encode(StringRef input, bool bos,
                                       bool eos) const {
  // SentencePiece's remove_extra_whitespaces: no leading or trailing
  // spaces, runs of spaces as one.
  std::string normalized;
  StringRef text = input;
  if (whitespaceToSpace) {
    normalized = input.str();
    for (char &c : normalized)
      if (c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f')
        c = ' ';
    text = normalized;
  }
  std::string collapsed;
  if (collapseSpaces) {
    for (char c : text.trim(' '))
      if (c != ' ' || collapsed.empty() || collapsed.back() != ' ')
        collapsed += c;
    text = collapsed;
  }
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
    if (id >= 0 && mergeable[id])
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
