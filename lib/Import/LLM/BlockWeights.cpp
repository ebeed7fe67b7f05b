//===- BlockWeights.cpp - linear weights in llama.cpp's block formats -----===//
//
// Part of quantc. See makeLlamaWeightEncoder in
// include/qc/Import/LLM/Checkpoint.h. Two sources of block weights:
//
//  - a GGUF file's own tensors (keepBlocks): handed out as views of the
//    mapped file, whatever block format llama.cpp wrote - nothing is
//    expanded, nothing is copied;
//  - any checkpoint's float weights (weightFormat): each tensor is read
//    (f16/bf16 widened to f32 for that tensor only), quantized with
//    gguf::quantizeMatrix - llama.cpp's reference quantizers - and its
//    floats dropped before the next one is read. The per-tensor format
//    follows `quant-compile --emit=gguf` (GGUFExport.cpp): the classifier
//    in Q6_K below 8 bits, and chooseFallback for rows no block divides.
//
//===----------------------------------------------------------------------===//

#include "qc/Import/LLM/Checkpoint.h"

#include "qc/GGUF/BlockFormats.h"

using namespace mlir;
using namespace mlir::qc;
namespace gg = mlir::qc::gguf;

namespace {

llvm::Error errorf(const Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

bool isFloatType(gg::GGMLType t) {
  return t == gg::GGMLType::F32 || t == gg::GGMLType::F16 ||
         t == gg::GGMLType::BF16;
}

bool takesDynamicAct(gg::GGMLType t) {
  return t == gg::GGMLType::Q4_0 || t == gg::GGMLType::Q8_0;
}

/// A format option: a type quantc both quantizes and runs.
FailureOr<gg::GGMLType> parseFormat(StringRef option, StringRef value,
                                    std::string &error) {
  std::optional<gg::GGMLType> t = gg::parseTypeName(value);
  if (!t || !gg::canQuantize(*t)) {
    error = (option + " '" + value +
             "' is not a format quantc writes (F32, F16, BF16, Q8_0, Q4_0, "
             "Q4_1, Q5_0, Q5_1, IQ4_NL, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K)")
                .str();
    return failure();
  }
  return *t;
}

} // namespace

FailureOr<LlamaWeightEncoder>
qc::makeLlamaWeightEncoder(const LlamaCheckpoint &ckpt,
                           const LlamaImportOptions &options,
                           std::string &error) {
  bool dynamicAct = options.dynamicAct;
  if (!options.weightFormat.empty()) {
    FailureOr<gg::GGMLType> type =
        parseFormat("--weight-format", options.weightFormat, error);
    if (failed(type))
      return failure();
    gg::GGMLType outType = *type;
    if (!options.outputFormat.empty()) {
      FailureOr<gg::GGMLType> t =
          parseFormat("--weight-output-format", options.outputFormat, error);
      if (failed(t))
        return failure();
      outType = *t;
    } else if (!isFloatType(*type) && *type != gg::GGMLType::Q8_0) {
      // llama-quantize keeps the classifier at Q6_K below 8 bits.
      outType = gg::GGMLType::Q6_K;
    }
    LlamaWeightLookup lookup = ckpt.lookup();
    std::string source = ckpt.path;
    gg::GGMLType weightType = *type;
    return LlamaWeightEncoder(
        [=](StringRef name, ArrayRef<int64_t> shape, bool classifier)
            -> llvm::Expected<std::optional<LlamaBlockWeight>> {
          int64_t N = shape[0], K = shape[1];
          gg::GGMLType t =
              gg::chooseFallback(classifier ? outType : weightType, K);
          if (t == gg::GGMLType::F32)
            return std::nullopt;
          std::optional<LlamaTensor> w = lookup(name);
          if (!w)
            return errorf(source + ": weight '" + name + "' is missing");
          if (ArrayRef<int64_t>(w->shape) != shape)
            return errorf(source + ": weight '" + name +
                          "' does not have the shape the config needs");
          uint64_t bytes = uint64_t(N) * gg::rowSize(t, K);
          std::shared_ptr<uint8_t[]> buffer(new uint8_t[bytes]);
          if (llvm::Error e = gg::quantizeMatrix(
                  t, w->data, K, MutableArrayRef<uint8_t>(buffer.get(), bytes),
                  {}, source + ": weight '" + name.str() + "'"))
            return std::move(e);
          LlamaBlockWeight out;
          out.format = gg::typeName(t).str();
          out.bytes = ArrayRef<uint8_t>(buffer.get(), bytes);
          out.owner = std::move(buffer);
          out.dynamicAct = dynamicAct && takesDynamicAct(t);
          return out;
        });
  }
  if (!options.keepBlocks || !ckpt.rawLookupFn)
    return LlamaWeightEncoder();
  auto raw = ckpt.rawLookupFn;
  std::shared_ptr<void> storage = ckpt.storage;
  std::string source = ckpt.path;
  return LlamaWeightEncoder(
      [=](StringRef name, ArrayRef<int64_t> shape, bool)
          -> llvm::Expected<std::optional<LlamaBlockWeight>> {
        std::optional<LlamaCheckpoint::RawTensor> t = raw(name);
        if (!t)
          return errorf(source + ": weight '" + name + "' is missing");
        // f32 rows stay an f32 qc.linear (viewed by the f32 lookup).
        if (t->type == gg::GGMLType::F32)
          return std::nullopt;
        if (ArrayRef<int64_t>(t->shape) != shape)
          return errorf(source + ": tensor for weight '" + name +
                        "' does not have the shape the config needs");
        if (!gg::canDequantize(t->type))
          return errorf(source + ": weight '" + name + "' has type " +
                        gg::typeName(t->type) + ", which quantc cannot run");
        LlamaBlockWeight out;
        out.format = gg::typeName(t->type).str();
        out.bytes = t->bytes;
        out.owner = storage;
        out.dynamicAct = dynamicAct && takesDynamicAct(t->type);
        return out;
      });
}
