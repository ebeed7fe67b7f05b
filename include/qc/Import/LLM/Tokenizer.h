//===- Tokenizer.h - llama2.c / SentencePiece-style BPE tokenizer -*- C++ -*-===//
//
// Part of quantc. SentencePiece-style BPE with byte fallback, read from
//  - llama2.c's tokenizer files (tokenizer.bin / tok512.bin: int32
//    max_token_length, then per token f32 score, int32 length and the
//    piece's bytes);
//  - SentencePiece models (tokenizer.model, a ModelProto: pieces with their
//    scores and types; BPE models);
//  - GGUF files (tokenizer.ggml.* of the "llama" tokenizer model);
//  - Hugging Face tokenizer.json with a BPE model over "▁"-marked pieces
//    (the Llama / Mistral convention, byte_fallback): the merge list's rank
//    becomes the merged piece's score, and pieces no merge produces never
//    come out of a merge.
// Special pieces (control and unknown ones: <s>, </s>, <unk>) are never
// produced from text. Encoding follows llama2.c's `encode`: a
// dummy leading space, one token per UTF-8 code point (bytes as <0xXX>
// tokens when the code point is not in the vocabulary), then repeated
// merges of the adjacent pair whose concatenation is in the vocabulary with
// the highest score (the leftmost such pair on a tie).
//
//===----------------------------------------------------------------------===//

#ifndef QC_IMPORT_LLM_TOKENIZER_H
#define QC_IMPORT_LLM_TOKENIZER_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::qc {

class Tokenizer {
public:
  static constexpr int32_t kBOS = 1, kEOS = 2;
  /// Token types, with SentencePiece's (and GGUF's token_type) numbers.
  static constexpr uint8_t kNormalToken = 1, kUnknownToken = 2,
                           kControlToken = 3, kUserDefinedToken = 4,
                           kUnusedToken = 5, kByteToken = 6;

  /// Reads `path` (by its name: `.model` a SentencePiece model, `.json` a
  /// Hugging Face tokenizer, `.gguf` a GGUF model's tokenizer, anything
  /// else llama2.c's format). With
  /// `vocabSize > 0` the file must hold exactly that
  /// many tokens (the model's vocabulary). `error` names the file on failure.
  static FailureOr<Tokenizer> load(llvm::StringRef path, int64_t vocabSize,
                                   std::string &error);

  int64_t size() const { return int64_t(pieces.size()); }
  llvm::StringRef piece(int32_t id) const { return pieces[id]; }
  float score(int32_t id) const { return scores[id]; }
  /// k*Token: from a SentencePiece model or a tokenizer.json's special
  /// tokens; for llama2.c's files <unk>/<s>/</s> at 0/1/2 and <0xXX> bytes.
  uint8_t type(int32_t id) const { return types[id]; }

  /// Token ids of `text`, with BOS first and EOS last when asked.
  std::vector<int32_t> encode(llvm::StringRef text, bool bos, bool eos) const;

  /// The bytes `token` stands for when it follows `prev`: byte tokens
  /// <0xXX> become that byte; the leading space of a piece after BOS is
  /// dropped (llama2.c's decode).
  std::string decode(int32_t prev, int32_t token) const;

private:
  int32_t lookup(llvm::StringRef s) const;
  static FailureOr<Tokenizer> loadLlama2c(llvm::StringRef path,
                                          llvm::StringRef data,
                                          int64_t vocabSize, std::string &error);
  static FailureOr<Tokenizer> loadSentencePiece(llvm::StringRef path,
                                                llvm::StringRef data,
                                                std::string &error);
  static FailureOr<Tokenizer> loadGGUF(llvm::StringRef path,
                                       std::string &error);
  static FailureOr<Tokenizer> loadHuggingFace(llvm::StringRef path,
                                              llvm::StringRef data,
                                              std::string &error);
  /// Fills `ids` and `byteTokens` after `pieces`, `scores` and `mergeable`.
  void index();

  std::vector<std::string> pieces;
  std::vector<float> scores;
  /// Whether a merge may produce the piece (special pieces and, for
  /// Hugging Face tokenizers, pieces without a merge rule may not).
  std::vector<bool> mergeable;
  std::vector<uint8_t> types;
  /// SentencePiece's remove_extra_whitespaces normalization.
  bool collapseSpaces = false;
  /// SentencePiece's nmt_nfkc whitespace rule: \t \n \r \v \f become spaces.
  bool whitespaceToSpace = false;
  llvm::StringMap<int32_t> ids;
  int32_t byteTokens[256];
};

} // namespace mlir::qc

#endif // QC_IMPORT_LLM_TOKENIZER_H
