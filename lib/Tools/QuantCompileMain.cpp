//===- QuantCompileMain.cpp - the quant-compile driver --------------------===//
//
// Part of quantc. Reads an ONNX model (or qc IR) and runs the compilation
// phases up to the one named by --compile-to: import, observer placement,
// calibration, fake quantization (with optional learned rounding), folding
// into quantized compute.
//
//===----------------------------------------------------------------------===//

#include "qc/Tools/QuantCompileMain.h"

#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Dialect/QC/Transforms/Passes.h"
#include "qc/Executor/Npy.h"
#include "qc/Import/LLM/Checkpoint.h"
#include "qc/Import/ONNX/ONNXImporter.h"
#include "qc/Import/Safetensors/LlamaConfig.h"
#include "qc/Tools/GGUFExport.h"
#include "qc/Import/Safetensors/Safetensors.h"
#include "qc/InitAll.h"
#include "qc/Quant/ActivationFallback.h"
#include "qc/Quant/BiasCorrection.h"
#include "qc/Quant/Calibration.h"
#include "qc/Quant/LearnedQuant.h"
#include "qc/Quant/Report.h"
#include "qc/Quant/Scheme.h"
#include "qc/Quant/Smooth.h"
#include "qc/Target/CPU/CPUCodegen.h"
#include "qc/Tools/ModelLoader.h"
#include "qc/Tools/WeightOnlyDriver.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Pass/PassManager.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::qc;
namespace cl = llvm::cl;

namespace {

enum class Phase {
  Input,
  Observed,
  Calibrated,
  FakeQuant,
  Quantized,
  Linalg,
  Buffers,
  LLVMDialect,
  LLVMIR
};

struct Options {
  cl::OptionCategory category{"quant-compile options"};
  cl::opt<std::string> inputFile{cl::Positional, cl::desc("<model.onnx>"),
                                 cl::cat(category)};
  cl::opt<std::string> outputFile{"o", cl::desc("Output file (default stdout); a name ending in .qc "
                                           "writes the compiled artifact directory"),
                                  cl::value_desc("filename"), cl::init("-"),
                                  cl::cat(category)};
  cl::list<std::string> inputShapes{
      "input-shape",
      cl::desc("Fix the shape of a graph input: NAME=1x3x320x320 (repeatable)"),
      cl::value_desc("NAME=DIMS"), cl::cat(category)};
  cl::opt<Phase> compileTo{
      "compile-to", cl::desc("Stop after this phase and print its IR"),
      cl::values(
          clEnumValN(Phase::Input, "input",
                     "the imported model as qc IR, verified"),
          clEnumValN(Phase::Observed, "observed",
                     "with qc.observe placed by --scheme"),
          clEnumValN(Phase::Calibrated, "calibrated",
                     "with the observers' ranges filled by --calib"),
          clEnumValN(Phase::FakeQuant, "fake-quant",
                     "the float model with qc.fake_quant (after --qat-steps)"),
          clEnumValN(Phase::Quantized, "quantized",
                     "quantized compute on !quant.uniform types"),
          clEnumValN(Phase::Linalg, "linalg",
                     "CPU code generation: linalg on storage integers"),
          clEnumValN(Phase::Buffers, "buffers",
                     "CPU code generation: bufferized, weights and arena "
                     "planned"),
          clEnumValN(Phase::LLVMDialect, "llvm",
                     "CPU code generation: the LLVM dialect"),
          clEnumValN(Phase::LLVMIR, "llvm-ir",
                     "CPU code generation: optimised LLVM IR of the first "
                     "--target's base variant")),
      cl::init(Phase::Quantized), cl::cat(category)};
  cl::opt<std::string> modelName{
      "name",
      cl::desc("C name of the compiled model in an artifact (default: the "
               "output directory's name without .qc)"),
      cl::value_desc("NAME"), cl::cat(category)};
  cl::opt<std::string> targets{
      "target",
      cl::desc("CPU targets of the artifact, comma separated: host, x86_64, "
               "aarch64 (aarch64-linux-gnu), aarch64-apple-darwin, all"),
      cl::value_desc("LIST"), cl::init("host"), cl::cat(category)};
  cl::opt<std::string> scheme{
      "scheme",
      cl::desc("Quantization scheme: w8a8, w8a8-dynamic, w8a16, w4a16, w4a8, "
               "w3a16, w2a16, with -pt|-pc|-g<N> and -sym|-asym "
               "(docs/Quantization.md)"),
      cl::init("w8a8"), cl::cat(category)};
  cl::list<std::string> keepFloat{
      "keep-float",
      cl::desc("Regex of op or weight names to keep in float (repeatable)"),
      cl::value_desc("REGEX"), cl::cat(category)};
  cl::list<std::string> layerScheme{
      "layer-scheme",
      cl::desc("Another scheme for matching ops: REGEX=SCHEME (repeatable, "
               "first match wins)"),
      cl::value_desc("REGEX=SCHEME"), cl::cat(category)};
  cl::opt<bool> protectFirstLast{
      "protect-first-last",
      cl::desc("Keep 8-bit weights on the first and last quantized op when "
               "the scheme has fewer bits"),
      cl::init(true), cl::cat(category)};
  cl::list<std::string> calib{
      "calib",
      cl::desc("Calibration data: DIR of .npy files or images, FILE.npy with "
               "many samples, or NAME=DIR|FILE per input (repeatable)"),
      cl::value_desc("DATA"), cl::cat(category)};
  cl::opt<std::string> calibPreprocess{
      "calib-preprocess",
      cl::desc("Decode images: resize=WxH,mean=a:b:c,std=a:b:c,"
               "layout=nchw|nhwc,color=rgb|bgr|gray,scale=1|255"),
      cl::init(""), cl::cat(category)};
  cl::opt<std::string> calibMethod{
      "calib-method",
      cl::desc("Activation ranges: minmax, ema-minmax, percentile, mse, "
               "entropy"),
      cl::init("minmax"), cl::cat(category)};
  cl::opt<std::string> weightMethod{
      "weight-method", cl::desc("Weight ranges: minmax or mse"),
      cl::init("minmax"), cl::cat(category)};
  cl::opt<double> percentile{
      "percentile", cl::desc("Percentile kept by --calib-method=percentile"),
      cl::init(99.99), cl::cat(category)};
  cl::opt<unsigned> calibSamples{
      "calib-samples", cl::desc("Use at most N calibration samples (0 = all)"),
      cl::init(0), cl::cat(category)};
  cl::opt<int64_t> calibBatch{
      "calib-batch",
      cl::desc("Batch size used while calibrating when the model's batch "
               "dimension is dynamic (0: the leading dimension of the first "
               ".npy file of a directory, else 1)"),
      cl::init(0), cl::cat(category)};
  cl::opt<std::string> report{
      "report",
      cl::desc("Write a per-layer quantization report (.html or .json)"),
      cl::value_desc("FILE"), cl::init(""), cl::cat(category)};
  cl::opt<unsigned> reportSamples{
      "report-samples",
      cl::desc("Calibration samples the report's statistics use"),
      cl::init(32), cl::cat(category)};
  cl::opt<unsigned> qatSteps{
      "qat-steps",
      cl::desc("Learn weight scales and rounding for N steps per layer "
               "against the float model on the calibration data (0 = off)"),
      cl::init(0), cl::cat(category)};
  cl::opt<double> qatLearningRate{"qat-lr",
                                  cl::desc("Learning rate of --qat-steps"),
                                  cl::init(1e-3), cl::cat(category)};
  cl::opt<unsigned> qatSamples{
      "qat-samples", cl::desc("Calibration samples --qat-steps uses"),
      cl::init(64), cl::cat(category)};
  cl::opt<double> smoothAlpha{
      "smooth-alpha",
      cl::desc("Migrate activation outliers into the weights before "
               "quantizing (SmoothQuant): per input channel of each conv/linear "
               "s = max|x|^A / max|W|^(1-A); 0 = off"),
      cl::value_desc("A"), cl::init(0.0), cl::cat(category)};
  cl::opt<double> actMinSqnr{
      "act-min-sqnr",
      cl::desc("Keep float every activation whose int8 quantization SQNR on "
               "the calibration data is below DB decibels (0 = off); its "
               "producer gives a float result, its consumers run weight-only"),
      cl::value_desc("DB"), cl::init(0.0), cl::cat(category)};
  cl::opt<bool> biasCorrection{
      "bias-correction",
      cl::desc("Subtract the mean output error that weight rounding causes, "
               "measured on the calibration data, from each conv/linear bias"),
      cl::init(false), cl::cat(category)};
  cl::opt<unsigned> numThreads{
      "num-threads", cl::desc("Executor threads (0 = all)"), cl::init(0),
      cl::cat(category)};
  cl::opt<bool> quiet{"quiet", cl::desc("No progress bars"), cl::init(false),
                      cl::cat(category)};
  cl::opt<bool> listOps{"list-ops",
                        cl::desc("Print the ONNX ops and opsets the importer "
                                 "handles, then exit"),
                        cl::cat(category)};
  cl::opt<bool> listTensors{
      "list-tensors",
      cl::desc("Print the tensors of a safetensors model (a .safetensors "
               "file, a model.safetensors.index.json, or a directory; with a "
               "config.json beside them, the configuration and a check of "
               "the weights against it), then exit"),
      cl::cat(category)};
  cl::opt<std::string> emit{
      "emit",
      cl::desc("gguf: write a Llama checkpoint as a GGUF file for llama.cpp "
               "(implied by -o NAME.gguf)"),
      cl::cat(category)};
  cl::opt<std::string> ggufType{
      "gguf-type",
      cl::desc("--emit=gguf: the weights' type (F32, F16, BF16, Q8_0, Q4_0, "
               "Q4_1, Q5_0, Q5_1, IQ4_NL, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K; "
               "default Q8_0)"),
      cl::init("Q8_0"), cl::cat(category)};
  cl::opt<std::string> ggufOutputType{
      "gguf-output-type",
      cl::desc("--emit=gguf: the classifier's type (default: Q6_K below 8 "
               "bits, as llama-quantize)"),
      cl::cat(category)};
  cl::opt<std::string> imatrix{
      "imatrix",
      cl::desc("--emit=gguf: an importance matrix (llama-imatrix's GGUF) for "
               "the block formats"),
      cl::cat(category)};
  cl::opt<std::string> tokenizer{
      "tokenizer",
      cl::desc("The tokenizer of a Llama checkpoint (default: the one beside "
               "it)"),
      cl::cat(category)};
  cl::opt<std::string> functionName{"function-name",
                                    cl::desc("Name of the generated function"),
                                    cl::init("main"), cl::cat(category)};

  // Block-format weights: Llama checkpoints whose linear layers become
  // qc.block_linear (docs/GGUF.md, "Block weights in qc").
  cl::opt<std::string> weightFormat{
      "weight-format",
      cl::desc("Llama checkpoints: store the linear weights in a llama.cpp "
               "block format (Q4_0, Q8_0, Q4_K, ...: the --gguf-type names), "
               "quantized one tensor at a time; a .gguf model keeps its own "
               "formats without this option"),
      cl::value_desc("FORMAT"), cl::cat(category)};
  cl::opt<std::string> weightOutputFormat{
      "weight-output-format",
      cl::desc("With --weight-format: the classifier's format (default: "
               "Q6_K below 8 bits, as llama-quantize)"),
      cl::value_desc("FORMAT"), cl::cat(category)};
  cl::opt<std::string> blockActivations{
      "block-activations",
      cl::desc("Block weight layers: int8 (default; Q4_0/Q8_0 quantize the "
               "activations per block of 32 and run the int8 block kernels) "
               "or f32 (every layer computes in f32)"),
      cl::init("int8"), cl::cat(category)};

  cl::opt<int64_t> resourceThreshold{
      "resource-threshold",
      cl::desc("Constants with at least this many elements become "
               "dense_resource blobs"),
      cl::init(64), cl::cat(category)};
  // Calibrated weight rounding of Llama checkpoints (docs/WeightOnly.md).
  cl::opt<std::string> weightAlgo{
      "weight-algo",
      cl::desc("Weight rounding: rtn (round to nearest), or gptq, awq, "
               "imatrix calibrated on --calib-text (Llama checkpoints, "
               "weight-only and dynamic schemes)"),
      cl::init("rtn"), cl::cat(category)};
  cl::opt<std::string> calibText{
      "calib-text", cl::desc("Text that calibrates --weight-algo"),
      cl::value_desc("FILE"), cl::cat(category)};
  cl::opt<int64_t> calibTokens{
      "calib-tokens",
      cl::desc("Tokens of --calib-text to run, BOS included (whole chunks)"),
      cl::init(8192), cl::cat(category)};
  cl::opt<int64_t> calibCtx{
      "calib-ctx",
      cl::desc("Tokens per calibration chunk (default 256, or the model's "
               "context when shorter)"),
      cl::init(0), cl::cat(category)};
  cl::opt<double> gptqDamp{
      "gptq-damp",
      cl::desc("GPTQ damping: this fraction of the mean diagonal of X^T X is "
               "added to its diagonal"),
      cl::init(0.01), cl::cat(category)};
  cl::opt<bool> gptqActOrder{
      "gptq-act-order",
      cl::desc("GPTQ: round input channels in decreasing order of their "
               "activation energy (groups stay contiguous)"),
      cl::init(false), cl::cat(category)};
  cl::opt<unsigned> awqGrid{
      "awq-grid",
      cl::desc("AWQ: points of the scale exponent search and of the clip "
               "search"),
      cl::init(20), cl::cat(category)};
  cl::opt<double> awqAlpha{
      "awq-alpha",
      cl::desc("AWQ: use this scale exponent in [0, 1] instead of searching "
               "it (negative: search)"),
      cl::init(-1.0), cl::cat(category)};
  cl::opt<bool> awqClip{"awq-clip",
                        cl::desc("AWQ: also search each range's clipping"),
                        cl::init(true), cl::cat(category)};
  cl::opt<bool> printWeightErrors{
      "print-weight-errors",
      cl::desc("--weight-algo: print each layer's calibration output error "
               "against round-to-nearest's"),
      cl::init(false), cl::cat(category)};
};

llvm::StringRef severityName(DiagnosticSeverity s) {
  switch (s) {
  case DiagnosticSeverity::Error:
    return "error";
  case DiagnosticSeverity::Warning:
    return "warning";
  case DiagnosticSeverity::Remark:
    return "remark";
  case DiagnosticSeverity::Note:
    return "note";
  }
  return "error";
}

} // namespace

using ShapeMap = llvm::StringMap<SmallVector<int64_t>>;

/// How a Llama checkpoint's linear weights are imported: a .gguf model
/// keeps its block tensors unless a --scheme asks to quantize its floats.
static LlamaImportOptions llamaImportOptions(const Options &opts) {
  LlamaImportOptions o;
  o.weightFormat = opts.weightFormat;
  o.outputFormat = opts.weightOutputFormat;
  o.keepBlocks = StringRef(opts.inputFile).ends_with(".gguf") &&
                 !opts.scheme.getNumOccurrences();
  o.dynamicAct = opts.blockActivations != "f32";
  return o;
}

static OwningOpRef<ModuleOp> importModel(MLIRContext *ctx, const Options &opts,
                                         StringRef path,
                                         const ShapeMap &shapes) {
  if (llvm::sys::path::extension(path) == ".onnx") {
    qc::ONNXImportOptions options;
    options.functionName = opts.functionName;
    options.resourceThreshold = opts.resourceThreshold;
    for (const auto &entry : shapes)
      options.inputShapes[entry.getKey()] = entry.getValue();
    return qc::importONNXModel(ctx, path, options);
  }
  return qc::loadModel(ctx, path, shapes, llamaImportOptions(opts));
}

/// --list-tensors: the tensors of a safetensors model and, for a directory
/// with a config.json, the Llama configuration and the weight check.
static int listSafetensors(StringRef path) {
  namespace st = qc::safetensors;
  auto fail = [](llvm::Error e) {
    llvm::errs() << "quant-compile: error: " << llvm::toString(std::move(e))
                 << "\n";
    return 1;
  };
  llvm::Expected<std::unique_ptr<st::SafetensorsModel>> model =
      st::SafetensorsModel::open(path);
  if (!model)
    return fail(model.takeError());
  st::printTensorList(llvm::outs(), **model);
  if (!llvm::sys::fs::is_directory(path))
    return 0;
  SmallString<256> configPath(path);
  llvm::sys::path::append(configPath, "config.json");
  if (!llvm::sys::fs::exists(configPath))
    return 0;
  llvm::Expected<st::LlamaConfig> config = st::loadLlamaConfig(configPath);
  if (!config)
    return fail(config.takeError());
  llvm::outs() << configPath << ":\n";
  st::printLlamaConfig(llvm::outs(), *config);
  if (llvm::Error e = st::checkLlamaWeights(*config, **model))
    return fail(std::move(e));
  llvm::outs() << "the weights match the configuration ("
               << st::expectedLlamaTensors(*config).size() << " tensors)\n";
  return 0;
}

static func::FuncOp entryOf(ModuleOp module, const Options &opts) {
  return qc::findEntryFunction(module, opts.functionName);
}

/// Names and types of the entry function's inputs (`qc.name` or input<i>).
static void inputSignature(func::FuncOp func, std::vector<std::string> &names,
                           std::vector<Type> &types) {
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    auto name = func.getArgAttrOfType<StringAttr>(i, "qc.name");
    names.push_back(name ? name.str() : "input" + std::to_string(i));
    types.push_back(func.getArgument(i).getType());
  }
}

/// Whether the model already carries quantization (QDQ or fake-quant ops).
static bool isPreQuantized(ModuleOp module) {
  bool found = false;
  module.walk([&](Operation *op) {
    if (isa<quant::QuantizeCastOp, quant::DequantizeCastOp, FakeQuantOp,
            BlockLinearOp>(op))
      found = true;
  });
  return found;
}

static LogicalResult runPasses(ModuleOp module,
                               function_ref<void(OpPassManager &)> build) {
  PassManager pm(module.getContext());
  build(pm);
  return pm.run(module);
}

/// Copies what calibration and learning wrote into `from` over to the same
/// ops of `to`: both come from the same model through the same passes and
/// differ only in their input shapes. `copy` gets each pair of ops of the
/// types OpTs, in program order.
template <typename... OpTs, typename Fn>
static LogicalResult copyInLockstep(ModuleOp from, ModuleOp to, StringRef what,
                                    Fn &&copy) {
  SmallVector<Operation *> a, b;
  from.walk([&](Operation *op) {
    if (isa<OpTs...>(op))
      a.push_back(op);
  });
  to.walk([&](Operation *op) {
    if (isa<OpTs...>(op))
      b.push_back(op);
  });
  if (a.size() != b.size()) {
    to.emitError("internal error: the calibration copy of the model has ")
        << a.size() << " " << what << " ops, the model " << b.size();
    return failure();
  }
  for (size_t i = 0; i < a.size(); ++i)
    copy(a[i], b[i]);
  return success();
}

/// --calib-batch 0: a directory of .npy samples sets the batch by its first
/// file's leading dimension (when the file has the model input's rank);
/// anything else calibrates one sample at a time.
static int64_t inferCalibBatch(const Options &opts, int64_t rank) {
  if (opts.calibBatch > 0)
    return opts.calibBatch;
  if (opts.calib.empty() || !opts.calibPreprocess.empty())
    return 1;
  StringRef source = opts.calib.front();
  if (size_t eq = source.find('='); eq != StringRef::npos &&
                                    !llvm::sys::fs::exists(source))
    source = source.substr(eq + 1);
  if (!llvm::sys::fs::is_directory(source))
    return 1;
  std::error_code ec;
  std::vector<std::string> files;
  for (llvm::sys::fs::directory_iterator it(source, ec), end; it != end && !ec;
       it.increment(ec))
    if (llvm::sys::path::extension(it->path()) == ".npy")
      files.push_back(it->path());
  if (files.empty())
    return 1;
  std::sort(files.begin(), files.end());
  auto buffer = llvm::MemoryBuffer::getFile(files.front());
  if (!buffer)
    return 1;
  std::string error;
  FailureOr<NpyHeader> header =
      parseNpyHeader((*buffer)->getBuffer(), files.front(), error);
  if (failed(header) || static_cast<int64_t>(header->shape.size()) != rank ||
      header->shape.empty() || header->shape[0] <= 0)
    return 1;
  return header->shape[0];
}

/// The combinations --weight-algo takes (docs/WeightOnly.md).
static LogicalResult checkWeightAlgoOptions(const Options &opts,
                                            WeightAlgorithm algo) {
  auto fail = [&](const Twine &msg) {
    llvm::errs() << "quant-compile: error: " << msg << "\n";
    return failure();
  };
  std::string name = getWeightAlgorithmName(algo).str();
  if (algo == WeightAlgorithm::RTN) {
    if (!opts.calibText.empty())
      llvm::errs() << "quant-compile: warning: --calib-text is not used by "
                      "--weight-algo rtn\n";
    return success();
  }
  if (opts.calibText.empty())
    return fail("--weight-algo " + name +
                " needs calibration text: pass --calib-text FILE");
  if (!isLlamaCheckpointPath(opts.inputFile))
    return fail("--weight-algo " + name +
                " calibrates on text and needs a Llama checkpoint (a "
                "llama2.c .bin file or a Hugging Face model directory); '" +
                opts.inputFile + "' is not one");
  std::string error;
  FailureOr<QuantScheme> scheme = QuantScheme::parse(opts.scheme, error);
  if (failed(scheme))
    return fail(error);
  if (scheme->isFloat)
    return fail("--scheme float quantizes no weights: --weight-algo " + name +
                " does not apply");
  if (scheme->activations == ActivationMode::Static)
    return fail("--weight-algo " + name +
                " needs a weight-only or dynamic scheme (w4a16-g32, w8a16, "
                "w4a8-dynamic, w8a8-dynamic-g32, ...); --scheme " +
                opts.scheme + " quantizes activations statically");
  if (!opts.calib.empty())
    return fail("--calib and --weight-algo " + name +
                " cannot be combined: the weights calibrate on --calib-text");
  if (opts.qatSteps > 0)
    return fail("--qat-steps and --weight-algo " + name +
                " both choose the weights' rounding: use one");
  if (!(opts.gptqDamp > 0) || !std::isfinite(opts.gptqDamp))
    return fail("--gptq-damp must be positive");
  if (opts.awqGrid < 1)
    return fail("--awq-grid must be at least 1");
  if (opts.awqAlpha > 1 || std::isnan(opts.awqAlpha))
    return fail("--awq-alpha must be in [0, 1] (or negative to search it)");
  if (opts.calibTokens < 1)
    return fail("--calib-tokens must be positive");
  return success();
}

static LogicalResult quantize(const Options &opts, ModuleOp module,
                              const ShapeMap &userShapes) {
  MLIRContext *ctx = module.getContext();
  func::FuncOp func = entryOf(module, opts);
  if (!func)
    return failure();
  auto fail = [&](const Twine &msg) {
    llvm::errs() << "quant-compile: error: " << msg << "\n";
    return failure();
  };

  std::optional<WeightAlgorithm> weightAlgo =
      parseWeightAlgorithm(opts.weightAlgo);
  if (!weightAlgo)
    return fail("unknown --weight-algo '" + opts.weightAlgo +
                "' (expected rtn, gptq, awq or imatrix)");
  bool calibratedWeights = *weightAlgo != WeightAlgorithm::RTN;
  if (failed(checkWeightAlgoOptions(opts, *weightAlgo)))
    return failure();

  // A model that arrives quantized (QDQ from quantization-aware training)
  // is compiled with its own parameters.
  if (isPreQuantized(module)) {
    if (opts.qatSteps > 0 || !opts.calib.empty() || !opts.report.empty())
      return fail(opts.inputFile + " is already quantized (QuantizeLinear/"
                  "DequantizeLinear or fake-quant ops): its parameters are "
                  "compiled as given; --calib, --report and --qat-steps do "
                  "not apply");
    if (opts.scheme.getNumOccurrences() || opts.keepFloat.getNumOccurrences() ||
        opts.layerScheme.getNumOccurrences())
      llvm::errs() << "quant-compile: warning: " << opts.inputFile
                   << " is already quantized: --scheme, --keep-float and "
                      "--layer-scheme are ignored\n";
    if (opts.compileTo < Phase::Quantized)
      return fail("--compile-to=" +
                  std::string(opts.compileTo == Phase::FakeQuant
                                  ? "fake-quant"
                                  : opts.compileTo == Phase::Calibrated
                                        ? "calibrated"
                                        : "observed") +
                  " does not apply to an already quantized model; use "
                  "--compile-to=input or --compile-to=quantized");
    return runPasses(module, [&](OpPassManager &pm) {
      pm.addPass(qc::createFoldFakeQuant(
          qc::FoldFakeQuantOptions{opts.resourceThreshold}));
    });
  }

  std::string error;
  FailureOr<QuantScheme> scheme = QuantScheme::parse(opts.scheme, error);
  if (failed(scheme))
    return fail(error);
  std::optional<CalibrationMethod> method =
      parseCalibrationMethod(opts.calibMethod);
  if (!method)
    return fail("unknown --calib-method '" + opts.calibMethod +
                "' (expected minmax, ema-minmax, percentile, mse or entropy)");
  std::optional<CalibrationMethod> weightMethod =
      parseCalibrationMethod(opts.weightMethod);
  if (!weightMethod || (*weightMethod != CalibrationMethod::MinMax &&
                        *weightMethod != CalibrationMethod::MSE))
    return fail("unknown --weight-method '" + opts.weightMethod +
                "' (expected minmax or mse)");

  qc::InsertObserversOptions observeOptions;
  observeOptions.scheme = opts.scheme;
  observeOptions.keepFloat.assign(opts.keepFloat.begin(), opts.keepFloat.end());
  observeOptions.layerScheme.assign(opts.layerScheme.begin(), opts.layerScheme.end());
  observeOptions.protectFirstLast = opts.protectFirstLast;
  auto placeObservers = [&](ModuleOp m) {
    return runPasses(m, [&](OpPassManager &pm) {
      pm.addNestedPass<func::FuncOp>(qc::createInsertObservers(observeOptions));
    });
  };
  // Calibration runs on a copy whose batch dimension, when the model leaves
  // it dynamic, is --calib-batch (the final model keeps --input-shape's).
  // Without data nothing runs (weights are calibrated from the constants),
  // so shapes may stay dynamic.
  OwningOpRef<ModuleOp> calibOwner;
  ModuleOp calibModule = module;
  if (!opts.calib.empty()) {
    // The model as it comes says which dims are dynamic. Some models only
    // import with fixed shapes (shape arithmetic that must fold): then the
    // calibration uses the given shapes as they are.
    OwningOpRef<ModuleOp> raw;
    {
      ScopedDiagnosticHandler quiet(ctx, [](Diagnostic &) { return success(); });
      raw = importModel(ctx, opts, opts.inputFile, {});
    }
    if (!raw)
      raw = OwningOpRef<ModuleOp>(cast<ModuleOp>(module->clone()));
    func::FuncOp rawFunc = entryOf(*raw, opts);
    if (!rawFunc)
      return failure();
    ShapeMap shapes;
    bool differs = false;
    for (unsigned i = 0; i < func.getNumArguments(); ++i) {
      auto rt = dyn_cast<RankedTensorType>(func.getArgument(i).getType());
      auto rawType = dyn_cast<RankedTensorType>(rawFunc.getArgument(i).getType());
      auto nameAttr = func.getArgAttrOfType<StringAttr>(i, "qc.name");
      std::string name =
          nameAttr ? nameAttr.str() : "input" + std::to_string(i);
      if (!rt || !rawType)
        return fail("input '" + name + "' has no ranked type");
      SmallVector<int64_t> dims(rt.getShape());
      if (!dims.empty() && ShapedType::isDynamic(rawType.getDimSize(0)))
        dims[0] = inferCalibBatch(opts, rawType.getRank());
      for (size_t d = 0; d < dims.size(); ++d)
        if (ShapedType::isDynamic(dims[d]))
          return fail("input '" + name + "' has dynamic dimension " +
                      std::to_string(d) + ": fix it with --input-shape " +
                      name + "=DIMS to calibrate");
      differs |= ArrayRef<int64_t>(dims) != rt.getShape();
      shapes[name] = dims;
    }
    if (differs) {
      calibOwner = importModel(ctx, opts, opts.inputFile, shapes);
      if (!calibOwner)
        return failure();
      calibModule = *calibOwner;
    }
  }
  func::FuncOp calibFunc = entryOf(calibModule, opts);
  if (!calibFunc)
    return failure();

  std::unique_ptr<CalibrationDataset> data;
  if (!opts.calib.empty()) {
    DatasetSpec spec;
    spec.sources.assign(opts.calib.begin(), opts.calib.end());
    spec.preprocess = opts.calibPreprocess;
    spec.maxSamples = opts.calibSamples;
    std::vector<std::string> names;
    std::vector<Type> types;
    inputSignature(calibFunc, names, types);
    FailureOr<std::unique_ptr<CalibrationDataset>> opened =
        openCalibrationDataset(spec, names, types, error);
    if (failed(opened))
      return fail(error);
    data = std::move(*opened);
  }

  if (opts.smoothAlpha > 0.0) {
    if (!data)
      return fail("--smooth-alpha needs calibration data (--calib)");
    SmoothOptions so;
    so.alpha = opts.smoothAlpha;
    so.maxSamples = opts.qatSamples;
    so.numThreads = opts.numThreads;
    FailureOr<std::vector<std::vector<float>>> scales =
        computeSmoothingScales(calibFunc, *data, so, error);
    if (failed(scales) || failed(applySmoothing(calibFunc, *scales, error)) ||
        (calibModule != module && failed(applySmoothing(func, *scales, error))))
      return fail(error);
  }

  if (failed(placeObservers(module)))
    return failure();
  if (calibModule != module) {
    // The same decisions again on the copy: its remarks would repeat.
    ScopedDiagnosticHandler noRemarks(ctx, [](Diagnostic &diag) {
      return success(diag.getSeverity() == DiagnosticSeverity::Remark);
    });
    if (failed(placeObservers(calibModule)))
      return failure();
  }
  // Calibrated weight rounding: statistics of every linear layer's input on
  // the calibration text; AWQ folds its scales into the observed model.
  WeightOnlyOptions weightOnly;
  weightOnly.algorithm = *weightAlgo;
  weightOnly.gptq.damp = opts.gptqDamp;
  weightOnly.gptq.actOrder = opts.gptqActOrder;
  weightOnly.awq.grid = opts.awqGrid;
  weightOnly.awq.clip = opts.awqClip;
  weightOnly.awq.fixedAlpha = opts.awqAlpha;
  std::vector<std::shared_ptr<LinearInputStats>> weightStats;
  std::vector<WeightOnlyLayerReport> weightReports;
  if (calibratedWeights) {
    TextCalibrationOptions text;
    text.textPath = opts.calibText;
    text.tokenizerPath = opts.tokenizer;
    text.tokens = opts.calibTokens;
    text.context = opts.calibCtx;
    text.numThreads = opts.numThreads;
    text.progress = !opts.quiet;
    FailureOr<std::vector<std::shared_ptr<LinearInputStats>>> stats =
        collectLlamaTextStats(ctx, opts.inputFile, func, text, error);
    if (failed(stats))
      return fail(error);
    weightStats = std::move(*stats);
    if (*weightAlgo == WeightAlgorithm::AWQ &&
        failed(applyAWQScaling(func, weightStats, weightOnly, weightReports,
                               error)))
      return fail(error);
  }
  if (opts.compileTo == Phase::Observed)
    return success();

  // Which observers need data: static activations, and anything at all for
  // --report and --qat-steps.
  bool needsData = false;
  module.walk([&](ObserveOp op) {
    if (!op.getDynamic() && !op.getInput().getDefiningOp<ConstantOp>())
      needsData = true;
  });
  needsData |= !opts.report.empty() || opts.qatSteps > 0;
  if (needsData && opts.calib.empty())
    return fail("--scheme " + opts.scheme +
                (opts.qatSteps > 0 || !opts.report.empty()
                     ? std::string(" with --report or --qat-steps")
                     : std::string(" quantizes activations statically")) +
                " and needs calibration data: pass --calib DIR|FILE.npy|"
                "NAME=DIR (or use a weight-only scheme such as w8a16, or "
                "w8a8-dynamic)");


  CalibrationOptions calibOptions;
  calibOptions.method = *method;
  calibOptions.weightMethod = *weightMethod;
  calibOptions.percentile = opts.percentile;
  calibOptions.progress = !opts.quiet;
  calibOptions.numThreads = opts.numThreads;
  if (data) {
    if (failed(calibrate(calibFunc, *data, calibOptions, error)))
      return fail(error);
  } else {
    // Weight-only and dynamic schemes: the weights' ranges come from the
    // constants alone.
    struct NoData : CalibrationDataset {
      size_t size() const override { return 0; }
      void reset() override {}
      FailureOr<bool> next(std::vector<Tensor> &, std::string &) override {
        return false;
      }
    } none;
    if (failed(calibrate(calibFunc, none, calibOptions, error)))
      return fail(error);
  }
  if (calibratedWeights) {
    if (failed(quantizeLinearWeights(func, weightStats, weightOnly,
                                     weightReports, error)))
      return fail(error);
    if (!opts.quiet || opts.printWeightErrors)
      printWeightOnlyReport(llvm::errs(), *weightAlgo, weightReports,
                            opts.printWeightErrors);
  }

  if (!opts.report.empty()) {
    ReportOptions reportOptions;
    reportOptions.path = opts.report;
    reportOptions.maxSamples = opts.reportSamples;
    reportOptions.numThreads = opts.numThreads;
    reportOptions.title = llvm::sys::path::filename(opts.inputFile).str();
    reportOptions.settings = {{"scheme", scheme->str()},
                              {"calibration method", opts.calibMethod},
                              {"weight method", opts.weightMethod}};
    if (opts.qatSteps > 0)
      reportOptions.settings.push_back(
          {"note", "statistics before --qat-steps"});
    if (failed(writeQuantReport(calibFunc, *data, reportOptions, error)))
      return fail(error);
  }

  if (opts.actMinSqnr > 0.0) {
    if (!data)
      return fail("--act-min-sqnr needs calibration data (--calib)");
    std::vector<std::string> dropped;
    if (failed(dropNoisyActivations(calibFunc, *data, opts.actMinSqnr,
                                    opts.qatSamples, opts.numThreads, dropped,
                                    error)))
      return fail(error);
    for (const std::string &d : dropped)
      llvm::errs() << "quant-compile: remark: activation " << d
                   << " stays float (--act-min-sqnr "
                   << llvm::formatv("{0}", static_cast<double>(opts.actMinSqnr))
                   << ")\n";
    // The model keeps the same observers as its calibration copy.
    if (calibModule != module) {
      llvm::StringSet<> kept;
      calibModule.walk([&](ObserveOp op) {
        if (std::optional<StringRef> n = op.getName())
          kept.insert(*n);
      });
      SmallVector<ObserveOp> gone;
      module.walk([&](ObserveOp op) {
        if (op.getName() && !kept.contains(*op.getName()))
          gone.push_back(op);
      });
      for (ObserveOp op : gone) {
        op.getResult().replaceAllUsesWith(op.getInput());
        op.erase();
      }
    }
  }

  if (calibModule != module &&
      failed(copyInLockstep<ObserveOp>(
          calibModule, module, "qc.observe", [](Operation *from, Operation *to) {
            auto a = cast<ObserveOp>(from), b = cast<ObserveOp>(to);
            if (std::optional<ArrayRef<double>> mins = a.getMin()) {
              b.setMinAttr(a.getMinAttr());
              b.setMaxAttr(a.getMaxAttr());
            }
            if (a.getMethodAttr())
              b.setMethodAttr(a.getMethodAttr());
          })))
    return failure();
  if (opts.compileTo == Phase::Calibrated)
    return success();

  auto fakeQuant = [&](ModuleOp m) {
    return runPasses(m, [&](OpPassManager &pm) {
      pm.addPass(qc::createFakeQuant());
    });
  };
  if (failed(fakeQuant(module)) ||
      (calibModule != module && failed(fakeQuant(calibModule))))
    return failure();

  if (opts.biasCorrection) {
    if (!data)
      return fail("--bias-correction needs calibration data (--calib)");
    BiasCorrectionOptions bc;
    bc.maxSamples = opts.qatSamples;
    bc.numThreads = opts.numThreads;
    if (failed(correctBias(calibFunc, *data, bc, error)))
      return fail(error);
    if (calibModule != module &&
        failed(copyInLockstep<Conv2DOp, LinearOp>(
            calibModule, module, "conv/linear",
            [](Operation *a, Operation *b) {
              if (a->getNumOperands() < 3)
                return;
              auto cst = a->getOperand(2).getDefiningOp<ConstantOp>();
              if (!cst)
                return;
              OpBuilder builder(b);
              auto copy =
                  ConstantOp::create(builder, cst.getLoc(), cst.getValue());
              if (b->getNumOperands() < 3) {
                b->insertOperands(2, ValueRange{copy.getResult()});
                return;
              }
              Value old = b->getOperand(2);
              b->setOperand(2, copy.getResult());
              if (old.use_empty())
                old.getDefiningOp()->erase();
            })))
      return failure();
  }

  if (opts.qatSteps > 0) {
    LearnedQuantOptions learn;
    learn.steps = opts.qatSteps;
    learn.learningRate = opts.qatLearningRate;
    learn.maxSamples = opts.qatSamples;
    learn.progress = !opts.quiet;
    learn.numThreads = opts.numThreads;
    if (failed(learnWeightQuantization(calibFunc, *data, learn, error)))
      return fail(error);
    if (calibModule != module &&
        failed(copyInLockstep<FakeQuantOp>(
            calibModule, module, "qc.fake_quant",
            [](Operation *from, Operation *to) {
              auto a = cast<FakeQuantOp>(from), b = cast<FakeQuantOp>(to);
              b.setQuantTypeAttr(a.getQuantTypeAttr());
              // The learned weight: a new constant next to the fake-quant.
              auto ac = a.getInput().getDefiningOp<ConstantOp>();
              auto bc = b.getInput().getDefiningOp<ConstantOp>();
              if (!ac || !bc || ac.getType() != bc.getType() ||
                  ac.getValue() == bc.getValue())
                return;
              OpBuilder builder(b);
              auto cst =
                  ConstantOp::create(builder, bc.getLoc(), ac.getValue());
              b.getInputMutable().assign(cst.getResult());
              if (bc->use_empty())
                bc->erase();
            })))
      return failure();
  }
  if (opts.compileTo == Phase::FakeQuant)
    return success();

  return runPasses(module, [&](OpPassManager &pm) {
    pm.addPass(qc::createFoldFakeQuant(
        qc::FoldFakeQuantOptions{opts.resourceThreshold}));
  });
}

/// The CPU code generation stages of --compile-to (linalg .. llvm-ir).
static LogicalResult lowerForCPU(const Options &opts, ModuleOp module,
                                 std::string &llvmIR) {
  if (opts.compileTo == Phase::Linalg)
    return cpu::lowerToLinalg(module);
  cpu::LoweredModel model;
  if (opts.compileTo == Phase::Buffers)
    return cpu::lowerToBuffers(module, model, cpu::LowerOptions());
  FailureOr<cpu::LoweredModel> lowered =
      cpu::lowerToLLVMDialect(module, cpu::LowerOptions());
  if (failed(lowered))
    return failure();
  if (opts.compileTo == Phase::LLVMDialect)
    return success();
  std::string error;
  FailureOr<std::vector<cpu::TargetSpec>> targets =
      cpu::parseTargets(opts.targets, error);
  if (failed(targets)) {
    llvm::errs() << "quant-compile: error: --target: " << error << "\n";
    return failure();
  }
  FailureOr<std::string> ir = cpu::emitLLVMIR(module, *lowered, "model",
                                              targets->front(), error);
  if (failed(ir)) {
    llvm::errs() << "quant-compile: error: " << error << "\n";
    return failure();
  }
  llvmIR = std::move(*ir);
  return success();
}

int qc::quantCompileMain(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  // MLIR's printing flags (e.g. --mlir-print-debuginfo) stay usable; they
  // are left out of --help, which shows only quant-compile's own options.
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  Options opts;
  cl::HideUnrelatedOptions(opts.category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "quant-compile: the quantc model compiler\n\n"
      "  quant-compile model.onnx --scheme w8a8 --calib calib/ -o model.qc.mlir\n"
      "  quant-compile model.onnx --scheme w8a8 --calib calib/ --input-shape x=1x3x224x224 \\\n"
      "      --target host,aarch64,aarch64-apple-darwin -o model.qc\n"
      "  quant-compile model.onnx --scheme w4a16-g32 -o model.qc.mlir\n"
      "  quant-compile model.bin --scheme w4a16-g32 --weight-algo gptq --calib-text text.txt -o model.mlir\n"
      "  quant-compile model_qdq.onnx -o model.qc.mlir\n"
      "  quant-compile model.onnx --compile-to=input --input-shape x=1x3x320x320\n"
      "  quant-compile --list-ops\n"
      "  quant-compile path/to/llama-dir --list-tensors\n"
      "  quant-compile path/to/llama-dir --emit=gguf --gguf-type Q4_0 -o "
      "model.gguf\n");

  if (opts.listOps) {
    for (const std::string &entry : qc::listSupportedONNXOps())
      llvm::outs() << entry << "\n";
    return 0;
  }
  if (opts.listTensors) {
    if (opts.inputFile.empty()) {
      llvm::errs() << "quant-compile: error: --list-tensors needs a model "
                      "(a .safetensors file, an index, a directory or a "
                      ".gguf file)\n";
      return 1;
    }
    if (StringRef(opts.inputFile).ends_with(".gguf"))
      return qc::listGGUF(opts.inputFile);
    return listSafetensors(opts.inputFile);
  }
  if (opts.inputFile.empty()) {
    llvm::errs() << "quant-compile: error: no input model (usage: "
                    "quant-compile model.onnx --compile-to=input)\n";
    return 1;
  }
  if (opts.emit == "gguf" ||
      (opts.emit.empty() && StringRef(opts.outputFile).ends_with(".gguf"))) {
    if (opts.outputFile.empty() || opts.outputFile == "-") {
      llvm::errs() << "quant-compile: error: --emit=gguf needs -o FILE.gguf\n";
      return 1;
    }
    if (opts.weightAlgo.getNumOccurrences() || !opts.calibText.empty()) {
      llvm::errs() << "quant-compile: error: --weight-algo and --calib-text "
                      "do not apply to --emit=gguf (its formats take "
                      "llama.cpp's --imatrix)\n";
      return 1;
    }
    qc::GGUFExportOptions g;
    g.checkpoint = opts.inputFile;
    g.tokenizer = opts.tokenizer;
    g.output = opts.outputFile;
    g.type = opts.ggufType;
    g.outputType = opts.ggufOutputType;
    g.imatrix = opts.imatrix;
    g.quiet = opts.quiet;
    return qc::exportGGUF(g);
  }
  if (!opts.emit.empty()) {
    llvm::errs() << "quant-compile: error: unknown --emit '" << opts.emit
                 << "' (gguf)\n";
    return 1;
  }
  if (opts.blockActivations != "int8" && opts.blockActivations != "f32") {
    llvm::errs() << "quant-compile: error: --block-activations must be int8 "
                    "or f32, not '"
                 << opts.blockActivations << "'\n";
    return 1;
  }
  if ((!opts.weightFormat.empty() || !opts.weightOutputFormat.empty()) &&
      (!qc::isLlamaCheckpointPath(opts.inputFile) ||
       opts.scheme.getNumOccurrences() || opts.weightFormat.empty())) {
    llvm::errs() << "quant-compile: error: "
                 << (opts.weightFormat.empty()
                         ? "--weight-output-format needs --weight-format"
                         : !qc::isLlamaCheckpointPath(opts.inputFile)
                               ? "--weight-format applies to Llama checkpoints "
                                 "(.bin, .gguf, a Hugging Face directory)"
                               : "--weight-format and --scheme both choose how "
                                 "the weights are quantized: give one")
                 << "\n";
    return 1;
  }
  llvm::StringMap<SmallVector<int64_t>> userShapes;
  std::string shapeError;
  if (failed(qc::parseInputShapes(opts.inputShapes, userShapes, shapeError))) {
    llvm::errs() << "quant-compile: error: " << shapeError << "\n";
    return 1;
  }

  DialectRegistry registry;
  qc::registerAllDialects(registry);
  qc::cpu::registerCodegenDialects(registry);
  MLIRContext context(registry);
  // Diagnostics name the op by its location; do not print the op itself.
  context.printOpOnDiagnostic(false);
  // Importer messages name the file and node themselves; print them plainly.
  ScopedDiagnosticHandler handler(&context, [](Diagnostic &diag) {
    llvm::errs() << "quant-compile: " << severityName(diag.getSeverity())
                 << ": " << diag.str() << "\n";
    for (const Diagnostic &note : diag.getNotes())
      llvm::errs() << "quant-compile: note: " << note.str() << "\n";
    return success();
  });

  OwningOpRef<ModuleOp> module =
      importModel(&context, opts, opts.inputFile, userShapes);
  if (!module)
    return 1;
  if (opts.compileTo != Phase::Input && failed(quantize(opts, *module, userShapes)))
    return 1;
  // An output directory named *.qc is the artifact: compile for --target.
  StringRef outPath = StringRef(opts.outputFile).rtrim('/');
  if (outPath.ends_with(".qc") && opts.compileTo == Phase::Quantized) {
    std::string error;
    FailureOr<std::vector<cpu::TargetSpec>> targets =
        cpu::parseTargets(opts.targets, error);
    if (failed(targets)) {
      llvm::errs() << "quant-compile: error: --target: " << error << "\n";
      return 1;
    }
    cpu::ArtifactOptions ao;
    ao.outDir = outPath.str();
    ao.name = artifact::cName(opts.modelName.empty()
                                  ? llvm::sys::path::stem(outPath).str()
                                  : opts.modelName.getValue());
    ao.sourceFile = opts.inputFile;
    for (int i = 1; i < argc; ++i)
      ao.commandLine += (i > 1 ? " " : "") + std::string(argv[i]);
    ao.targets = std::move(*targets);
    if (failed(cpu::compileArtifact(*module, ao, error))) {
      llvm::errs() << "quant-compile: error: " << outPath << ": " << error << "\n";
      return 1;
    }
    return 0;
  }
  std::string llvmIR;
  if (opts.compileTo > Phase::Quantized &&
      failed(lowerForCPU(opts, *module, llvmIR)))
    return 1;

  // Opened only now, and kept only once written: errors leave no file.
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> out =
      openOutputFile(opts.outputFile, &error);
  if (!out) {
    llvm::errs() << "quant-compile: error: " << error << "\n";
    return 1;
  }
  if (opts.compileTo == Phase::LLVMIR) {
    out->os() << llvmIR;
  } else {
    module->print(out->os(), OpPrintingFlags());
    out->os() << "\n";
  }
  out->os().flush();
  if (out->os().has_error()) {
    llvm::errs() << "quant-compile: error: cannot write '" << opts.outputFile
                 << "'\n";
    out->os().clear_error();
    return 1;
  }
  out->keep();
  return 0;
}
