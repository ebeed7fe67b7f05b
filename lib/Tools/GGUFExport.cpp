//===- GGUFExport.cpp - Llama checkpoints to llama.cpp's GGUF -------------===//
//
// Part of quantc. See include/qc/Tools/GGUFExport.h.
//
//===----------------------------------------------------------------------===//

#include "qc/Tools/GGUFExport.h"

#include "qc/GGUF/BlockFormats.h"
#include "qc/GGUF/GGUF.h"
#include "qc/GGUF/Imatrix.h"
#include "qc/Import/LLM/Checkpoint.h"
#include "qc/Import/LLM/Tokenizer.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::qc;
namespace gg = mlir::qc::gguf;

namespace {
int fail(const Twine &message) {
  llvm::WithColor::error(llvm::errs(), "quant-compile") << message << "\n";
  return 1;
}
} // namespace

int qc::listGGUF(StringRef path) {
  auto file = gg::GGUFFile::open(path);
  if (!file)
    return fail(llvm::toString(file.takeError()));
  auto &os = llvm::outs();
  os << path << ": GGUF version " << (*file)->version() << ", "
     << (*file)->metadata().size() << " metadata keys, "
     << (*file)->tensors().size() << " tensors, alignment "
     << (*file)->alignment() << "\n";
  for (const gg::KeyValue &kv : (*file)->metadata()) {
    os << "  " << kv.key << " = ";
    kv.value.print(os);
    os << "\n";
  }
  for (const gg::TensorInfo &t : (*file)->tensors()) {
    os << "  " << llvm::left_justify(t.name, 28) << " "
       << llvm::left_justify(gg::typeName(t.type), 7) << " ";
    gg::printShape(os, t.shape);
    os << "  " << t.size << " bytes\n";
  }
  return 0;
}

namespace {
/// llama.cpp's general.file_type (llama_ftype) for the weights' type.
uint32_t fileType(gg::GGMLType t) {
  switch (t) {
  case gg::GGMLType::F32: return 0;
  case gg::GGMLType::F16: return 1;
  case gg::GGMLType::Q4_0: return 2;
  case gg::GGMLType::Q4_1: return 3;
  case gg::GGMLType::Q8_0: return 7;
  case gg::GGMLType::Q5_0: return 8;
  case gg::GGMLType::Q5_1: return 9;
  case gg::GGMLType::Q2_K: return 10;
  case gg::GGMLType::Q3_K: return 11; // Q3_K_S: every tensor Q3_K
  case gg::GGMLType::Q4_K: return 14; // Q4_K_S
  case gg::GGMLType::Q5_K: return 16; // Q5_K_S
  case gg::GGMLType::Q6_K: return 18;
  case gg::GGMLType::IQ4_NL: return 25;
  case gg::GGMLType::BF16: return 32;
  default: return 0;
  }
}

bool isQuantized(gg::GGMLType t) {
  return t != gg::GGMLType::F32 && t != gg::GGMLType::F16 &&
         t != gg::GGMLType::BF16;
}

} // namespace

int qc::exportGGUF(const GGUFExportOptions &opts) {
  std::string error;
  auto ckptOr = openLlamaCheckpoint(opts.checkpoint, error);
  if (failed(ckptOr))
    return fail(error);
  const LlamaCheckpoint &ckpt = **ckptOr;
  const LlamaConfig &c = ckpt.config;
  std::string tokPath = opts.tokenizer.empty() ? ckpt.tokenizerPath : opts.tokenizer;
  if (tokPath.empty())
    return fail("--emit=gguf writes the tokenizer too: give --tokenizer FILE (" +
                opts.checkpoint + " has none beside it)");
  auto tok = Tokenizer::load(tokPath, c.vocabSize, error);
  if (failed(tok))
    return fail(error);

  std::optional<gg::GGMLType> type = gg::parseTypeName(opts.type);
  if (!type || !gg::canQuantize(*type))
    return fail("--gguf-type '" + opts.type + "' is not a type quantc writes "
                "(F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL, Q2_K, "
                "Q3_K, Q4_K, Q5_K, Q6_K)");
  gg::GGMLType outType = *type;
  if (!opts.outputType.empty()) {
    std::optional<gg::GGMLType> t = gg::parseTypeName(opts.outputType);
    if (!t || !gg::canQuantize(*t))
      return fail("--gguf-output-type '" + opts.outputType +
                  "' is not a type quantc writes");
    outType = *t;
  } else if (isQuantized(*type) && *type != gg::GGMLType::Q8_0) {
    // llama-quantize keeps the classifier at Q6_K below 8 bits.
    outType = gg::GGMLType::Q6_K;
  }
  std::optional<gg::ImportanceMatrix> imatrix;
  if (!opts.imatrix.empty()) {
    auto im = gg::loadImportanceMatrix(opts.imatrix);
    if (!im)
      return fail(llvm::toString(im.takeError()));
    imatrix = std::move(*im);
  }

  gg::GGUFWriter w;
  std::string name = opts.name;
  if (name.empty())
    name = llvm::sys::path::stem(llvm::sys::path::filename(
                                     StringRef(opts.checkpoint).rtrim('/')))
               .str();
  w.set("general.architecture", gg::Value::string("llama"));
  w.set("general.name", gg::Value::string(name));
  w.set("general.quantization_version", gg::Value::u32(2));
  w.set("general.file_type", gg::Value::u32(fileType(*type)));
  w.set("llama.context_length", gg::Value::u32(uint32_t(c.maxSeqLen)));
  w.set("llama.embedding_length", gg::Value::u32(uint32_t(c.dim)));
  w.set("llama.feed_forward_length", gg::Value::u32(uint32_t(c.hiddenDim)));
  w.set("llama.block_count", gg::Value::u32(uint32_t(c.numLayers)));
  w.set("llama.attention.head_count", gg::Value::u32(uint32_t(c.numHeads)));
  w.set("llama.attention.head_count_kv", gg::Value::u32(uint32_t(c.numKVHeads)));
  w.set("llama.rope.dimension_count", gg::Value::u32(uint32_t(c.headDim())));
  w.set("llama.rope.freq_base", gg::Value::f32(float(c.ropeTheta)));
  w.set("llama.attention.layer_norm_rms_epsilon",
        gg::Value::f32(float(c.normEps)));
  w.set("llama.vocab_size", gg::Value::u32(uint32_t(c.vocabSize)));

  std::vector<std::string> pieces;
  std::vector<float> scores;
  std::vector<int32_t> types;
  for (int32_t i = 0; i < tok->size(); ++i) {
    std::string p;
    // llama2.c's files write <s> and </s> between newlines; llama.cpp's
    // special pieces are the bare names.
    StringRef piece = tok->piece(i);
    if (tok->type(i) == Tokenizer::kControlToken ||
        tok->type(i) == Tokenizer::kUnknownToken)
      piece = piece.trim();
    for (char ch : piece)
      p += ch == ' ' ? std::string("\xE2\x96\x81") : std::string(1, ch);
    pieces.push_back(std::move(p));
    scores.push_back(tok->score(i));
    types.push_back(tok->type(i));
  }
  w.set("tokenizer.ggml.model", gg::Value::string("llama"));
  w.set("tokenizer.ggml.tokens", gg::Value::stringArray(pieces));
  w.set("tokenizer.ggml.scores", gg::Value::array<float>(scores));
  w.set("tokenizer.ggml.token_type", gg::Value::array<int32_t>(types));
  w.set("tokenizer.ggml.unknown_token_id", gg::Value::u32(0));
  w.set("tokenizer.ggml.bos_token_id", gg::Value::u32(Tokenizer::kBOS));
  w.set("tokenizer.ggml.eos_token_id", gg::Value::u32(Tokenizer::kEOS));
  w.set("tokenizer.ggml.add_bos_token", gg::Value::boolean(true));

  // Tensors in llama.cpp's order; the classifier of a tied llama2.c model
  // is written out as output.weight, as llama.cpp's converter does, while a
  // tied Hugging Face model keeps only token_embd (which then counts as the
  // classifier for its type).
  bool writeOutput = !c.tiedEmbeddings || ckpt.format == "llama2c";
  struct Entry {
    std::string canonical, gguf;
    bool classifier;
  };
  std::vector<Entry> entries;
  entries.push_back({"tok_embeddings", "token_embd.weight", !writeOutput});
  for (int64_t l = 0; l < c.numLayers; ++l)
    for (StringRef leaf : {"attention_norm", "wq", "wk", "wv", "wo",
                           "ffn_norm", "w1", "w2", "w3"}) {
      std::string canonical = "layers." + std::to_string(l) + "." + leaf.str();
      entries.push_back({canonical, llamaWeightName(canonical, LlamaNaming::LlamaCpp), false});
    }
  entries.push_back({"norm", "output_norm.weight", false});
  if (writeOutput)
    entries.push_back({c.tiedEmbeddings ? "tok_embeddings" : "output",
                       "output.weight", true});

  LlamaWeightLookup lookup = ckpt.lookup();
  const int64_t D = c.headDim();
  std::string what = opts.output;
  for (const Entry &e : entries) {
    // The shape from the config; the values (widened or dequantized copies
    // for some formats) only while the writer asks for this tensor's bytes,
    // so one tensor's f32 copy is alive at a time and each is read once.
    SmallVector<int64_t> canonicalShape = c.weightShape(e.canonical);
    bool matrix = canonicalShape.size() == 2;
    int64_t rowLength = canonicalShape.back();
    int64_t rows = matrix ? canonicalShape[0] : 1;
    gg::GGMLType tt = gg::GGMLType::F32;
    if (matrix)
      tt = gg::chooseFallback(e.classifier ? outType : *type, rowLength);
    SmallVector<int64_t, 2> shape = {rowLength};
    if (matrix)
      shape.push_back(rows);
    // llama.cpp rotates interleaved pairs: a Hugging Face model's q/k rows,
    // made for rotating halves, are reordered per head (row i of the first
    // half goes to 2i, row i of the second half to 2i + 1).
    bool permute = !c.ropeInterleaved &&
                   (StringRef(e.canonical).ends_with(".wq") ||
                    StringRef(e.canonical).ends_with(".wk"));
    const std::vector<float> *importance =
        imatrix ? imatrix->lookup(e.gguf) : nullptr;
    std::string tensorWhat = what + ": tensor '" + e.gguf + "'";
    std::string canonical = e.canonical, source = opts.checkpoint;
    auto produce = [=](MutableArrayRef<uint8_t> out) -> llvm::Error {
      std::optional<LlamaTensor> t = lookup(canonical);
      if (!t || int64_t(t->data.size()) != rows * rowLength)
        return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                       source + ": weight '" + canonical +
                                           "' is missing or has another shape");
      std::vector<float> reordered;
      ArrayRef<float> src = t->data;
      if (permute) {
        reordered.resize(src.size());
        for (int64_t r = 0; r < rows; ++r) {
          int64_t head = r / D, i = r % D;
          int64_t to = head * D + (i < D / 2 ? 2 * i : 2 * (i - D / 2) + 1);
          std::copy(src.begin() + r * rowLength,
                    src.begin() + (r + 1) * rowLength,
                    reordered.begin() + to * rowLength);
        }
        src = reordered;
      }
      ArrayRef<float> imp;
      if (importance && int64_t(importance->size()) == rowLength &&
          gg::usesImportance(tt))
        imp = *importance;
      return gg::quantizeMatrix(tt, src, rowLength, out, imp, tensorWhat);
    };
    if (llvm::Error err = w.addTensor(e.gguf, tt, shape, produce))
      return fail(llvm::toString(std::move(err)));
    if (!opts.quiet)
      llvm::errs() << llvm::format("  %-28s %-7s ", e.gguf.c_str(),
                                   gg::typeName(tt).str().c_str())
                   << rowLength << " x " << rows << "\n";
  }
  if (llvm::Error err = w.write(opts.output))
    return fail(llvm::toString(std::move(err)));
  if (!opts.quiet) {
    auto size = w.fileSize();
    llvm::errs() << "wrote " << opts.output << " ("
                 << (size ? *size : 0) << " bytes, " << gg::typeName(*type)
                 << ")\n";
    if (!size)
      llvm::consumeError(size.takeError());
  }
  return 0;
}
