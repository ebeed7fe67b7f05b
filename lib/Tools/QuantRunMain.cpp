//===- QuantRunMain.cpp - the quant-run driver ----------------------------===//
//
// Part of quantc. quant-run MODEL --input NAME=FILE.npy ... --output-dir DIR
//
//===----------------------------------------------------------------------===//

#include "qc/Tools/QuantRunMain.h"

#include "qc/Tools/ArtifactRunner.h"

#include "quantc/runtime.h"

#include <algorithm>

#include "qc/Executor/Executor.h"
#include "qc/Executor/Npy.h"
#include "qc/InitAll.h"
#include "qc/Import/LLM/Checkpoint.h"
#include "qc/Tools/Generate.h"
#include "qc/Tools/ModelLoader.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"
#include "mlir/IR/Diagnostics.h"

#include <chrono>

using namespace mlir;
using namespace mlir::qc;
namespace cl = llvm::cl;

namespace {
struct Options {
  cl::OptionCategory category{"quant-run options"};
  cl::opt<std::string> model{cl::Positional, cl::desc("<model.onnx|model.mlir|model.qc|model.bin>"),
                             cl::Required, cl::cat(category)};
  cl::list<std::string> inputs{
      "input",
      cl::desc("An input as NAME=FILE.npy (repeat per input; NAME may be "
               "omitted for a single-input model)"),
      cl::cat(category)};
  cl::opt<std::string> outputDir{
      "output-dir", cl::desc("Write <output-name>.npy files into this folder"),
      cl::cat(category)};
  cl::list<std::string> inputShapes{
      "input-shape",
      cl::desc("Fix an ONNX input's dims: NAME=1x3x320x320 (repeatable)"),
      cl::cat(category)};
  cl::opt<std::string> function{
      "function", cl::desc("Function to run (default: main, or the only one)"),
      cl::cat(category)};
  cl::opt<unsigned> threads{"num-threads",
                            cl::desc("Worker threads (0 = all cores)"),
                            cl::init(0), cl::cat(category)};
  cl::opt<bool> time{"time", cl::desc("Print load, prepare and run times"),
                     cl::cat(category)};
  cl::opt<std::string> isa{
      "isa",
      cl::desc("Artifacts: the most capable ISA variant to use (base, "
               "dotprod, i8mm; default: what the CPU has)"),
      cl::cat(category)};
  cl::opt<unsigned> repeat{"repeat",
                           cl::desc("Run this many times (for --time)"),
                           cl::init(1), cl::cat(category)};
  cl::opt<unsigned> warmup{
      "warmup",
      cl::desc("Untimed runs before the timed ones (for --time; the first "
               "run pays for page faults and cold caches)"),
      cl::init(0), cl::cat(category)};

  // Text generation (llama2.c checkpoints).
  cl::opt<std::string> format{
      "format",
      cl::desc("Model format: auto (by extension: .onnx, .mlir, .qc, .bin = "
               "llama2.c checkpoint) or llama2c"),
      cl::init("auto"), cl::cat(category)};
  cl::opt<std::string> tokenizer{
      "tokenizer", cl::desc("llama2.c tokenizer file (tokenizer.bin format)"),
      cl::cat(category)};
  cl::opt<std::string> prompt{"prompt", cl::desc("Text to continue"),
                              cl::init(""), cl::cat(category)};
  cl::opt<int64_t> numTokens{"n", cl::desc("Tokens to generate (default 64)"),
                             cl::init(64), cl::cat(category)};
  cl::opt<double> temperature{
      "temperature", cl::desc("Sampling temperature (0 = greedy, the default)"),
      cl::init(0.0), cl::cat(category)};
  cl::opt<double> topP{"top-p",
                       cl::desc("Nucleus sampling threshold in (0, 1) (default "
                                "0.9; other values sample from everything)"),
                       cl::init(0.9), cl::cat(category)};
  cl::opt<uint64_t> seed{"seed", cl::desc("Sampling seed (default 1)"),
                         cl::init(1), cl::cat(category)};
  cl::opt<bool> printTokens{"print-tokens",
                            cl::desc("Also print the prompt's and the "
                                     "generated token ids"),
                            cl::cat(category)};
  cl::opt<std::string> perplexity{
      "perplexity",
      cl::desc("Score this text file: perplexity over chunks of --ctx tokens "
               "(as llama-perplexity computes it)"),
      cl::value_desc("text file"), cl::cat(category)};
  cl::opt<int64_t> ctxTokens{
      "ctx", cl::desc("Tokens per perplexity chunk (default: the model's "
                      "context)"),
      cl::init(0), cl::cat(category)};
  cl::opt<int64_t> chunks{"chunks",
                          cl::desc("Score at most N chunks (0 = all)"),
                          cl::init(0), cl::cat(category)};
  cl::opt<std::string> klBase{
      "kl-divergence-base",
      cl::desc("With --perplexity: save the scored tokens' log-probabilities "
               "here; with --kl-divergence: compare with them"),
      cl::value_desc("file"), cl::cat(category)};
  cl::opt<bool> klDivergence{
      "kl-divergence",
      cl::desc("Compare this model's token distributions with the ones saved "
               "in --kl-divergence-base (KL divergence, top-1 agreement, both "
               "perplexities)"),
      cl::cat(category)};
  cl::opt<std::string> firstLogits{
      "dump-first-logits",
      cl::desc("Write the first step's logits (last prompt token) to this .npy"),
      cl::cat(category)};
};

/// Times of the timed runs (after the warm-up ones).
struct RunTimes {
  std::vector<double> ms;
  double totalSeconds() const {
    double s = 0;
    for (double v : ms)
      s += v / 1000;
    return s;
  }
  double mean() const { return ms.empty() ? 0 : 1000 * totalSeconds() / ms.size(); }
  double median() const {
    std::vector<double> v(ms);
    std::sort(v.begin(), v.end());
    if (v.empty())
      return 0;
    size_t h = v.size() / 2;
    return v.size() % 2 ? v[h] : (v[h - 1] + v[h]) / 2;
  }
  double min() const { return ms.empty() ? 0 : *std::min_element(ms.begin(), ms.end()); }
};

/// Runs `once` --warmup times untimed, then --repeat (at least 1) times
/// timed; the outputs of the last run stay in `outputs`.
template <typename Once>
LogicalResult timedRuns(const Options &opts, Once once,
                        std::vector<Tensor> &outputs, RunTimes &times,
                        std::string &error) {
  unsigned repeat = std::max(1u, unsigned(opts.repeat));
  for (unsigned r = 0; r < opts.warmup + repeat; ++r) {
    auto start = std::chrono::steady_clock::now();
    FailureOr<std::vector<Tensor>> result = once(error);
    if (failed(result))
      return failure();
    double ms = 1000 * std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - start)
                           .count();
    if (r >= opts.warmup)
      times.ms.push_back(ms);
    outputs = std::move(*result);
  }
  return success();
}

void printRunTimes(const Options &opts, const RunTimes &times) {
  llvm::errs() << llvm::format("run times: median %.6f ms, min %.6f ms over "
                               "%zu runs after %u warm-up runs\n",
                               times.median(), times.min(), times.ms.size(),
                               unsigned(opts.warmup));
}

double secondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t)
      .count();
}

int fail(const Twine &message) {
  llvm::WithColor::error(llvm::errs(), "quant-run") << message << "\n";
  return 1;
}

/// "logits" -> "logits.npy"; every character outside [A-Za-z0-9._-] becomes
/// '_' (as scripts/fixtures/ort-run.mjs does, so the two tools' files pair up).
std::string outputFileName(StringRef name) {
  std::string s = name.str();
  for (char &c : s)
    if (!llvm::isAlnum(c) && c != '.' && c != '_' && c != '-')
      c = '_';
  return s + ".npy";
}

void printSummary(StringRef name, const Tensor &t) {
  llvm::outs() << name << ": " << t.describe();
  int64_t n = std::min<int64_t>(t.numElements(), 8);
  llvm::outs() << " [";
  for (int64_t i = 0; i < n; ++i)
    llvm::outs() << (i ? ", " : "") << llvm::format("%g", t.getAsDouble(i));
  if (t.numElements() > n)
    llvm::outs() << ", ...";
  llvm::outs() << "]\n";
}
struct GivenInput {
  std::string spec, name;
  Tensor tensor;
};

/// Orders the --input values as the model's inputs `names`.
FailureOr<std::vector<Tensor>> matchInputs(std::vector<GivenInput> &given,
                                           ArrayRef<std::string> names,
                                           std::string &error) {
  std::vector<Tensor> inputs(names.size());
  for (GivenInput &g : given) {
    if (g.name.empty()) {
      if (names.size() != 1) {
        error = "--input '" + g.spec + "': the model has " +
                std::to_string(names.size()) + " inputs, write NAME=FILE.npy";
        return failure();
      }
      g.name = names[0];
    }
    auto it = llvm::find(names, g.name);
    if (it == names.end()) {
      std::string known;
      for (const std::string &n : names)
        known += (known.empty() ? "" : ", ") + n;
      error = "--input '" + g.spec + "': the model has no input '" + g.name +
              "' (inputs: " + known + ")";
      return failure();
    }
    inputs[it - names.begin()] = g.tensor;
  }
  for (auto [i, t] : llvm::enumerate(inputs))
    if (t.isNull()) {
      error = "no value for input '" + names[i] + "': pass --input " +
              names[i] + "=FILE.npy";
      return failure();
    }
  return inputs;
}

/// Writes the outputs as .npy files into --output-dir (none left behind on
/// an error), or prints a summary of each.
int emitOutputs(const Options &opts, ArrayRef<std::string> outNames,
                ArrayRef<Tensor> outputs) {
  std::string error;
  if (!opts.outputDir.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(opts.outputDir))
      return fail(opts.outputDir + ": " + ec.message());
    SmallVector<std::string> written;
    for (auto [name, t] : llvm::zip_equal(outNames, outputs)) {
      SmallString<256> path(opts.outputDir);
      llvm::sys::path::append(path, outputFileName(name));
      if (failed(writeNpyFile(path, t, error))) {
        for (const std::string &w : written)
          llvm::sys::fs::remove(w);
        return fail(error);
      }
      written.push_back(path.str().str());
    }
  } else {
    for (auto [name, t] : llvm::zip_equal(outNames, outputs))
      printSummary(name, t);
  }
  return 0;
}

/// quant-run model.qc/: the artifact's host code through the runtime.
int runArtifact(const Options &opts, std::vector<GivenInput> &given) {
  std::string error;
  auto start = std::chrono::steady_clock::now();
  uint32_t mask = 0xffffffffu;
  if (!opts.isa.empty()) {
    if (opts.isa == "base")
      mask = 0;
    else if (opts.isa == "dotprod")
      mask = QCRT_ISA_DOTPROD;
    else if (opts.isa != "i8mm" && opts.isa != "all")
      return fail("--isa must be base, dotprod, i8mm or all");
  }
  FailureOr<std::unique_ptr<ArtifactRunner>> runner =
      ArtifactRunner::open(opts.model, opts.threads, mask, error);
  if (failed(runner))
    return fail(error);
  double loadSeconds = secondsSince(start);
  FailureOr<std::vector<Tensor>> inputs =
      matchInputs(given, (*runner)->inputNames(), error);
  if (failed(inputs))
    return fail(error);
  std::vector<Tensor> outputs;
  RunTimes times;
  if (failed(timedRuns(
          opts, [&](std::string &e) { return (*runner)->run(*inputs, e); },
          outputs, times, error)))
    return fail(error);
  if (int rc = emitOutputs(opts, (*runner)->outputNames(), outputs))
    return rc;
  if (opts.time) {
    llvm::errs() << llvm::format(
        "load: %.3f s, run: %.3f s (%zu runs, %.3f ms each, variant %s)\n",
        loadSeconds, times.totalSeconds(), times.ms.size(), times.mean(),
        (*runner)->variant().str().c_str());
    printRunTimes(opts, times);
  }
  return 0;
}
} // namespace

int qc::quantRunMain(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  Options opts;
  cl::HideUnrelatedOptions(opts.category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "quant-run: run a model on the quantc reference executor, or a "
      "compiled artifact through the runtime\n\n"
      "  quant-run model.onnx --input input=batch.npy --output-dir out/\n"
      "  quant-run model.mlir --input x=x.npy --time --repeat 10\n"
      "  quant-run model.qc --input x=x.npy --output-dir out/\n"
      "  quant-run stories260K.bin --tokenizer tok512.bin --prompt \"Once upon "
      "a time\" -n 64\n"
      "  quant-run model-dir --perplexity text.txt --ctx 256\n"
      "  quant-run model-dir --perplexity text.txt --kl-divergence-base base.kld\n"
      "  quant-run q4.mlir --tokenizer tokenizer.bin --kl-divergence-base "
      "base.kld --kl-divergence\n");

  DialectRegistry registry;
  registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);

  std::string error;
  if (opts.format != "auto" && opts.format != "llama2c")
    return fail("--format must be auto or llama2c");
  bool llama2c = opts.format == "llama2c" ||
                 (isLlamaCheckpointPath(opts.model) && opts.inputs.empty());
  // A step graph compiled from a checkpoint generates text when given a
  // tokenizer.
  // A step graph (.mlir) or its compiled artifact (.qc) generates text when
  // given a tokenizer.
  bool stepGraph = !llama2c && !opts.tokenizer.empty();
  bool scoring = !opts.perplexity.empty() || opts.klDivergence;
  if (scoring && !llama2c && !ArtifactRunner::isArtifact(opts.model) &&
      !StringRef(opts.model).ends_with(".mlir"))
    return fail("--perplexity and --kl-divergence need a Llama model: a "
                "checkpoint, or an .mlir/.qc step graph with --tokenizer");
  if (scoring) {
    if (!opts.inputs.empty() || !opts.prompt.empty())
      return fail("--perplexity and --kl-divergence score a text: --input and "
                  "--prompt do not apply");
    PerplexityOptions p;
    p.model = opts.model;
    p.stepGraph = !llama2c;
    p.llama2c = opts.format == "llama2c";
    p.tokenizer = opts.tokenizer;
    p.textPath = opts.perplexity;
    p.ctx = opts.ctxTokens;
    p.maxChunks = opts.chunks;
    p.klBasePath = opts.klBase;
    p.klDivergence = opts.klDivergence;
    p.time = opts.time;
    p.numThreads = opts.threads;
    return evaluatePerplexity(context, p);
  }
  if (llama2c || stepGraph) {
    if (!opts.inputs.empty())
      return fail("--input does not apply to text generation: give --prompt");
    GenerateOptions gen;
    gen.checkpoint = opts.model;
    gen.stepGraph = stepGraph;
    gen.llama2c = opts.format == "llama2c";
    gen.tokenizer = opts.tokenizer;
    gen.prompt = opts.prompt;
    gen.numTokens = opts.numTokens;
    gen.temperature = opts.temperature;
    gen.topP = opts.topP;
    gen.seed = opts.seed;
    gen.numThreads = opts.threads;
    gen.printTokens = opts.printTokens;
    gen.time = opts.time;
    gen.firstLogitsPath = opts.firstLogits;
    return generateText(context, gen);
  }

  llvm::StringMap<SmallVector<int64_t>> shapes;
  if (failed(parseInputShapes(opts.inputShapes, shapes, error)))
    return fail(error);

  // Read the .npy inputs first: for an ONNX model their shapes also fix the
  // dims that the model leaves dynamic (unless --input-shape says otherwise).
  std::vector<GivenInput> given;
  for (StringRef spec : opts.inputs) {
    StringRef name, file = spec;
    if (spec.contains('='))
      std::tie(name, file) = spec.split('=');
    FailureOr<Tensor> t = readNpyFile(file, error);
    if (failed(t))
      return fail(error);
    if (!name.empty() && !shapes.count(name) &&
        StringRef(opts.model).ends_with(".onnx"))
      shapes[name] = SmallVector<int64_t>(t->shape());
    given.push_back({spec.str(), name.str(), *t});
  }

  if (ArtifactRunner::isArtifact(opts.model))
    return runArtifact(opts, given);

  auto start = std::chrono::steady_clock::now();
  OwningOpRef<ModuleOp> module = loadModel(&context, opts.model, shapes);
  if (!module)
    return 1;
  double loadSeconds = secondsSince(start);
  func::FuncOp fn = findEntryFunction(*module, opts.function);
  if (!fn)
    return 1;

  start = std::chrono::steady_clock::now();
  ExecutorOptions execOptions;
  execOptions.numThreads = opts.threads;
  FailureOr<std::unique_ptr<Executor>> exe = Executor::create(fn, execOptions);
  if (failed(exe))
    return 1;
  double prepareSeconds = secondsSince(start);

  FailureOr<std::vector<Tensor>> matched =
      matchInputs(given, (*exe)->inputNames(), error);
  if (failed(matched))
    return fail(error);
  std::vector<Tensor> inputs = std::move(*matched);

  std::vector<Tensor> outputs;
  RunTimes times;
  if (failed(timedRuns(
          opts, [&](std::string &e) { return (*exe)->run(inputs, e); },
          outputs, times, error)))
    return fail(error);

  if (int rc = emitOutputs(opts, (*exe)->outputNames(), outputs))
    return rc;
  if (opts.time) {
    llvm::errs() << llvm::format("load: %.3f s, prepare: %.3f s, run: %.3f s "
                                 "(%zu runs, %.3f ms each)\n",
                                 loadSeconds, prepareSeconds, times.totalSeconds(),
                                 times.ms.size(), times.mean());
    printRunTimes(opts, times);
  }
  return 0;
}
