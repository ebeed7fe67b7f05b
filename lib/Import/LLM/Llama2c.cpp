//===- Llama2c.cpp - llama2.c checkpoint reader ---------------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Import/LLM/Checkpoint.h"

#include "qc/Dialect/QC/IR/QCDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mlir::qc;

bool qc::isLlama2cPath(StringRef path) {
  return llvm::sys::path::extension(path) == ".bin";
}

FailureOr<std::unique_ptr<LlamaCheckpoint>>
qc::readLlama2cCheckpoint(StringRef path, std::string &error) {
  auto fail = [&](const Twine &why) {
    error = (path + ": " + why).str();
    return failure();
  };
  constexpr int64_t headerBytes = 7 * 4;
  uint64_t fileSize = 0;
  if (std::error_code ec = llvm::sys::fs::file_size(path, fileSize))
    return fail("cannot read the llama2.c checkpoint: " + ec.message());
  if (fileSize < uint64_t(headerBytes))
    return fail("not a llama2.c checkpoint: " + Twine(fileSize) +
                " bytes, shorter than the 28-byte header");
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return fail("cannot read the llama2.c checkpoint: " +
                buffer.getError().message());
  auto ckpt = std::make_unique<LlamaCheckpoint>();
  ckpt->path = path.str();
  ckpt->format = "llama2c";
  std::shared_ptr<llvm::MemoryBuffer> file = std::move(*buffer);
  ckpt->storage = file;
  const char *base = file->getBufferStart();
  int64_t size = file->getBufferSize();

  int32_t h[7];
  for (int i = 0; i < 7; ++i)
    h[i] = llvm::support::endian::read32le(base + 4 * i);
  LlamaConfig &c = ckpt->config;
  c.dim = h[0];
  c.hiddenDim = h[1];
  c.numLayers = h[2];
  c.numHeads = h[3];
  c.numKVHeads = h[4];
  // A negative vocabulary size marks an unshared classifier at the end.
  c.tiedEmbeddings = h[5] > 0;
  c.vocabSize = h[5] < 0 ? -int64_t(h[5]) : h[5];
  c.maxSeqLen = h[6];
  c.ropeInterleaved = true;
  c.ropeTheta = 10000.0;
  c.normEps = 1e-5;
  std::string why = c.validate();
  if (!why.empty())
    return fail("not a valid llama2.c checkpoint header (dim " + Twine(h[0]) +
                ", hidden_dim " + Twine(h[1]) + ", n_layers " + Twine(h[2]) +
                ", n_heads " + Twine(h[3]) + ", n_kv_heads " + Twine(h[4]) +
                ", vocab_size " + Twine(h[5]) + ", seq_len " + Twine(h[6]) +
                "): " + why);

  // The validated bounds keep every product below 2^62.
  const int64_t dim = c.dim, F = c.hiddenDim, L = c.numLayers,
                V = c.vocabSize, kv = c.kvDim(), hs = c.headDim();
  struct Entry {
    std::string name;
    SmallVector<int64_t> shape; // stacked over layers when perLayer
    bool perLayer;
  };
  SmallVector<Entry> entries = {
      {"tok_embeddings", {V, dim}, false},
      {"attention_norm", {dim}, true},
      {"wq", {dim, dim}, true},
      {"wk", {kv, dim}, true},
      {"wv", {kv, dim}, true},
      {"wo", {dim, dim}, true},
      {"ffn_norm", {dim}, true},
      {"w1", {F, dim}, true},
      {"w2", {dim, F}, true},
      {"w3", {F, dim}, true},
      {"norm", {dim}, false},
      {"", {c.maxSeqLen * hs}, false}, // freq_cis real and imag halves: skipped
  };
  if (!c.tiedEmbeddings)
    entries.push_back({"output", {V, dim}, false});

  int64_t expected = headerBytes;
  for (const Entry &e : entries) {
    int64_t n = 1;
    for (int64_t d : e.shape)
      n *= d;
    expected += 4 * n * (e.perLayer ? L : 1);
  }
  if (size < expected)
    return fail("truncated llama2.c checkpoint: the header (dim " +
                Twine(dim) + ", hidden_dim " + Twine(F) + ", n_layers " +
                Twine(L) + ", vocab_size " + Twine(V) + ", seq_len " +
                Twine(c.maxSeqLen) + ") needs " + Twine(expected) +
                " bytes, the file has " + Twine(size));
  if (size > expected)
    return fail("the llama2.c header accounts for " + Twine(expected) +
                " bytes, the file has " + Twine(size) + " (" +
                Twine(size - expected) +
                " extra bytes: another format or version?)");

  auto tensors = std::make_shared<llvm::StringMap<LlamaTensor>>();
  const float *p = reinterpret_cast<const float *>(base + headerBytes);
  for (const Entry &e : entries) {
    int64_t n = 1;
    for (int64_t d : e.shape)
      n *= d;
    if (e.name.empty()) {
      p += n;
      continue;
    }
    if (!e.perLayer) {
      (*tensors)[e.name] = LlamaTensor{ArrayRef<float>(p, n), e.shape, nullptr};
      p += n;
      continue;
    }
    for (int64_t l = 0; l < L; ++l, p += n)
      (*tensors)["layers." + std::to_string(l) + "." + e.name] =
          LlamaTensor{ArrayRef<float>(p, n), e.shape, nullptr};
  }
  // The views point into `file`, which the lookup keeps alive.
  ckpt->lookupFn = [tensors, file](StringRef name) -> std::optional<LlamaTensor> {
    auto it = tensors->find(name);
    if (it == tensors->end())
      return std::nullopt;
    return it->second;
  };

  // llama2.c ships its tokenizers as tokenizer.bin or tok<vocab>.bin.
  SmallString<256> dir = llvm::sys::path::parent_path(path);
  for (std::string name : {std::string("tokenizer.bin"),
                           "tok" + std::to_string(c.vocabSize) + ".bin"}) {
    SmallString<256> candidate = dir;
    llvm::sys::path::append(candidate, name);
    if (llvm::sys::fs::exists(candidate)) {
      ckpt->tokenizerPath = candidate.str().str();
      break;
    }
  }
  return ckpt;
}

bool qc::isLlamaCheckpointPath(StringRef path) {
  if (isLlama2cPath(path) || path.ends_with(".gguf") ||
      path.ends_with(".safetensors") ||
      path.ends_with(".safetensors.index.json"))
    return true;
  SmallString<256> config(path);
  llvm::sys::path::append(config, "config.json");
  return llvm::sys::fs::is_directory(path) && llvm::sys::fs::exists(config);
}

FailureOr<std::unique_ptr<LlamaCheckpoint>>
qc::openLlamaCheckpoint(StringRef path, std::string &error) {
  if (isLlama2cPath(path))
    return readLlama2cCheckpoint(path, error);
  if (path.ends_with(".gguf"))
    return readGGUFLlamaCheckpoint(path, error);
  return readHFLlamaCheckpoint(path, error);
}

OwningOpRef<ModuleOp>
qc::importLlamaCheckpoint(MLIRContext *ctx, StringRef path,
                          ArrayRef<LlamaStepSpec> steps,
                          const LlamaImportOptions &options) {
  ctx->loadDialect<QCDialect, func::FuncDialect>();
  std::string error;
  Location loc = FileLineColLoc::get(ctx, path, 0, 0);
  auto ckpt = openLlamaCheckpoint(path, error);
  if (failed(ckpt)) {
    emitError(loc) << error;
    return nullptr;
  }
  FailureOr<LlamaWeightEncoder> encoder =
      makeLlamaWeightEncoder(**ckpt, options, error);
  if (failed(encoder)) {
    emitError(loc) << error;
    return nullptr;
  }
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  if (failed(buildLlamaSteps(*module, (*ckpt)->config, (*ckpt)->lookup(),
                             steps, *encoder)))
    return nullptr;
  return module;
}
