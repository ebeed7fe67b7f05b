//===- WeightOnlyDriver.cpp - text calibration for --weight-algo ----------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Tools/WeightOnlyDriver.h"

#include "qc/Import/LLM/Checkpoint.h"
#include "qc/Import/LLM/Tokenizer.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qc;

std::vector<int32_t> qc::tokenizeCalibrationText(const Tokenizer &tokenizer,
                                                 StringRef text,
                                                 size_t maxTokens) {
  constexpr size_t kMaxPiece = 4096;
  std::vector<int32_t> out;
  while (!text.empty() && out.size() < maxTokens) {
    auto [line, rest] = text.split('\n');
    text = rest;
    line = line.trim();
    while (!line.empty() && out.size() < maxTokens) {
      StringRef piece = line;
      if (piece.size() > kMaxPiece) {
        size_t cut = piece.rfind(' ', kMaxPiece);
        if (cut == StringRef::npos || cut == 0) {
          // No space: cut on a UTF-8 code point boundary.
          cut = kMaxPiece;
          while (cut > 1 && (static_cast<unsigned char>(piece[cut]) & 0xC0) == 0x80)
            --cut;
        }
        piece = piece.take_front(cut);
      }
      line = line.drop_front(piece.size()).ltrim();
      piece = piece.rtrim();
      if (piece.empty())
        continue;
      std::vector<int32_t> ids = tokenizer.encode(piece, false, false);
      out.insert(out.end(), ids.begin(), ids.end());
    }
  }
  if (out.size() > maxTokens)
    out.resize(maxTokens);
  return out;
}

FailureOr<std::vector<std::shared_ptr<LinearInputStats>>>
qc::collectLlamaTextStats(MLIRContext *ctx, StringRef checkpoint,
                          func::FuncOp modelFunc,
                          const TextCalibrationOptions &options,
                          std::string &error) {
  auto fail = [&](const Twine &msg)
      -> FailureOr<std::vector<std::shared_ptr<LinearInputStats>>> {
    error = msg.str();
    return failure();
  };
  FailureOr<std::unique_ptr<LlamaCheckpoint>> ckpt =
      openLlamaCheckpoint(checkpoint, error);
  if (failed(ckpt))
    return failure();
  const LlamaConfig &cfg = (*ckpt)->config;

  int64_t c = options.context ? options.context
                              : std::min<int64_t>(256, cfg.maxSeqLen);
  if (c < 2)
    return fail("--calib-ctx " + Twine(c) +
                ": a calibration chunk needs at least 2 tokens (BOS and one "
                "of the text)");
  if (c > cfg.maxSeqLen)
    return fail("--calib-ctx " + Twine(c) + " exceeds the context of " +
                checkpoint + " (seq_len " + Twine(cfg.maxSeqLen) + ")");
  if (options.tokens < c)
    return fail("--calib-tokens " + Twine(options.tokens) +
                " is less than one calibration chunk of " + Twine(c) +
                " tokens (--calib-ctx)");
  int64_t chunks = options.tokens / c;

  std::string tokPath = options.tokenizerPath.empty()
                            ? (*ckpt)->tokenizerPath
                            : options.tokenizerPath;
  if (tokPath.empty())
    return fail("no tokenizer found beside " + checkpoint +
                ": pass --tokenizer FILE");
  FailureOr<Tokenizer> tok = Tokenizer::load(tokPath, cfg.vocabSize, error);
  if (failed(tok))
    return failure();

  auto buffer = llvm::MemoryBuffer::getFile(options.textPath, /*IsText=*/true);
  if (!buffer)
    return fail("cannot read --calib-text '" + options.textPath +
                "': " + buffer.getError().message());
  std::vector<int32_t> text = tokenizeCalibrationText(
      *tok, (*buffer)->getBuffer(), size_t(chunks) * size_t(c - 1));
  int64_t available = int64_t(text.size()) / (c - 1);
  if (available == 0)
    return fail(options.textPath + ": " + Twine(text.size()) +
                " tokens of text, fewer than the " + Twine(c - 1) +
                " of one calibration chunk (BOS + " + Twine(c - 1) +
                " tokens, --calib-ctx " + Twine(c) + ")");
  if (available < chunks) {
    llvm::errs() << "quant-compile: warning: " << options.textPath << " gives "
                 << text.size() << " tokens: calibrating on " << available
                 << " chunks of " << c << " tokens instead of " << chunks
                 << "\n";
    chunks = available;
  }
  if (options.progress)
    llvm::errs() << "quant-compile: calibrating weights on " << chunks
                 << " chunks of " << c << " tokens of " << options.textPath
                 << "\n";

  // The calibration copy: C tokens per step, logits for every token.
  OwningOpRef<ModuleOp> module =
      ModuleOp::create(FileLineColLoc::get(ctx, checkpoint, 0, 0));
  LlamaStepSpec spec;
  spec.functionName = "calibrate";
  spec.seqLen = c;
  spec.lastLogitsOnly = false;
  if (failed(buildLlamaSteps(*module, cfg, (*ckpt)->lookup(), {spec})))
    return fail("cannot build the calibration copy of " + checkpoint);
  auto calibFunc = module->lookupSymbol<func::FuncOp>("calibrate");
  FailureOr<std::unique_ptr<CalibrationDataset>> data =
      makeTokenChunkDataset(calibFunc, std::move(text), chunks, Tokenizer::kBOS,
                            error);
  if (failed(data))
    return failure();
  FailureOr<std::vector<std::shared_ptr<LinearInputStats>>> stats =
      collectLinearInputStats(calibFunc, **data, options.numThreads,
                              options.progress, error);
  if (failed(stats))
    return failure();
  if (failed(checkStatsMatch(modelFunc, *stats, error)))
    return fail(checkpoint + ": " + error);
  return stats;
}

void qc::printWeightOnlyReport(llvm::raw_ostream &os, WeightAlgorithm algorithm,
                               ArrayRef<WeightOnlyLayerReport> reports,
                               bool perLayer) {
  StringRef algo = getWeightAlgorithmName(algorithm);
  // Per layer ratios against round-to-nearest; a layer that rounds exactly
  // either way counts as 1.
  auto ratio = [](double a, double rtn) {
    return rtn > 0 ? a / rtn : (a > 0 ? INFINITY : 1.0);
  };
  double logSum = 0, logSumW = 0;
  int lower = 0, higher = 0;
  for (const WeightOnlyLayerReport &r : reports) {
    double q = ratio(r.error, r.rtnError);
    logSum += std::log(std::max(q, 1e-12));
    logSumW += std::log(std::max(ratio(r.weighted, r.rtnWeighted), 1e-12));
    lower += r.error < r.rtnError;
    higher += r.error > r.rtnError;
  }
  size_t n = reports.size();
  if (perLayer) {
    os << "quant-compile: " << algo
       << ": calibration output error per layer (sum over tokens of "
          "||(W - Q) x||^2)\n";
    for (const WeightOnlyLayerReport &r : reports) {
      os << llvm::formatv("  {0,-28} {1,5}x{2,-5} {3,-18} rtn {4,10:e3}  {5} "
                          "{6,10:e3}  ({7,6:f3}x)",
                          r.name, r.rows, r.cols, r.grid, r.rtnError, algo,
                          r.error, ratio(r.error, r.rtnError));
      if (r.alpha >= 0)
        os << llvm::formatv("  alpha {0:f2}", r.alpha);
      os << "\n";
    }
  }
  if (n == 0)
    return;
  os << llvm::formatv("quant-compile: remark: {0}: {1} linear layers; "
                      "calibration output error {2:f3}x round-to-nearest's "
                      "(geometric mean; {3} lower, {4} higher), "
                      "importance-weighted error {5:f3}x\n",
                      algo, n, std::exp(logSum / n), lower, higher,
                      std::exp(logSumW / n));
}
