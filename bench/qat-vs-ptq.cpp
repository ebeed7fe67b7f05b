//===- qat-vs-ptq.cpp - learned vs round-to-nearest weight quantization ---===//
//
// Part of quantc. Imports an image classifier (the Fashion-MNIST CNN),
// quantizes the weights of every conv2d/linear op to B bits (symmetric,
// narrow range, per output channel or per tensor, scales from min/max) and
// prints the test accuracy of
//   float       the model as imported
//   rtn         round-to-nearest weights (plain PTQ)
//   learned     learnWeightQuantization() on the calibration images
// plus the per-layer reconstruction errors. Driven by bench/qat-vs-ptq.sh.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Dialect/QC/Utils/Numerics.h"
#include "qc/Executor/Executor.h"
#include "qc/Executor/Npy.h"
#include "qc/Import/ONNX/ONNXImporter.h"
#include "qc/InitAll.h"
#include "qc/Quant/LearnedQuantDetail.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstring>

using namespace mlir;
using namespace mlir::qc;
namespace cl = llvm::cl;

static cl::opt<std::string> modelPath("model", cl::desc("ONNX model"),
                                      cl::Required);
static cl::opt<std::string> testInput("test-input",
                                      cl::desc("test images .npy [N,...]"),
                                      cl::Required);
static cl::opt<std::string> testLabels("test-labels",
                                       cl::desc("int labels .npy [N]"),
                                       cl::Required);
static cl::opt<std::string> calibInput("calib-input",
                                       cl::desc("calibration images .npy"),
                                       cl::Required);
static cl::opt<std::string> inputName("input-name", cl::init("input"));
static cl::opt<int64_t> batch("batch", cl::desc("images per run"),
                              cl::init(16));
static cl::opt<unsigned> bits("bits", cl::desc("weight bits"), cl::init(4));
static cl::opt<bool> perTensor("per-tensor",
                               cl::desc("one scale per weight tensor"));
static cl::opt<unsigned> steps("steps", cl::desc("--qat-steps"),
                               cl::init(500));
static cl::opt<double> lr("lr", cl::desc("learning rate"), cl::init(1e-3));
static cl::opt<size_t> maxSamples("max-samples",
                                  cl::desc("calibration runs used (0 = all)"),
                                  cl::init(0));
static cl::opt<bool> noScales("no-scales", cl::desc("do not learn scales"));
static cl::opt<bool> noRounding("no-rounding",
                                cl::desc("do not learn rounding"));
static cl::opt<double> regWeight("reg", cl::desc("rounding regulariser"),
                                 cl::init(-1));
static cl::opt<int64_t> rowsPerStep("rows-per-step", cl::init(-1));
static cl::opt<double> scaleLr("scale-lr", cl::desc("scale lr factor"),
                               cl::init(-1));
static cl::opt<double> roundLr("round-lr", cl::desc("rounding lr factor"),
                               cl::init(-1));
static cl::opt<unsigned> threads("exec-threads", cl::init(0));

static void die(const std::string &msg) {
  llvm::errs() << "qat-vs-ptq: error: " << msg << "\n";
  exit(1);
}

/// Inserts a weight fake_quant (symmetric, narrow range) on every
/// conv2d/linear whose weight is a constant.
static int insertWeightFakeQuant(func::FuncOp func) {
  MLIRContext *ctx = func.getContext();
  numerics::QRange range = numerics::getStorageRange(bits, true, true);
  int count = 0;
  func.walk([&](Operation *op) {
    if (!isa<Conv2DOp, LinearOp>(op))
      return;
    auto cst = op->getOperand(1).getDefiningOp<ConstantOp>();
    if (!cst)
      return;
    auto type = cast<RankedTensorType>(cst.getType());
    auto res = dyn_cast<DenseResourceElementsAttr>(cst.getValue());
    std::vector<float> w(type.getNumElements());
    if (res) {
      std::memcpy(w.data(), res.getRawHandle().getBlob()->getData().data(),
                  w.size() * 4);
    } else {
      auto d = cast<DenseElementsAttr>(cst.getValue());
      auto v = d.getValues<float>();
      for (size_t i = 0; i < w.size(); ++i)
        w[i] = v[i];
    }
    int64_t channels = perTensor ? 1 : type.getDimSize(0);
    int64_t per = w.size() / channels;
    SmallVector<double> scales;
    SmallVector<int64_t> zps;
    for (int64_t c = 0; c < channels; ++c) {
      float lo = 0, hi = 0;
      for (int64_t i = 0; i < per; ++i) {
        lo = std::min(lo, w[c * per + i]);
        hi = std::max(hi, w[c * per + i]);
      }
      numerics::QuantParams p =
          numerics::chooseQuantParams(lo, hi, range.qmin, range.qmax, true);
      scales.push_back(p.scale);
      zps.push_back(p.zeroPoint);
    }
    Type storage = IntegerType::get(ctx, bits);
    Type qt;
    if (perTensor)
      qt = quant::UniformQuantizedType::get(
          quant::QuantizationFlags::Signed, storage, Float32Type::get(ctx),
          scales[0], zps[0], range.qmin, range.qmax);
    else
      qt = quant::UniformQuantizedPerAxisType::get(
          quant::QuantizationFlags::Signed, storage, Float32Type::get(ctx),
          scales, zps, 0, range.qmin, range.qmax);
    OpBuilder b(op);
    auto fq = FakeQuantOp::create(b, op->getLoc(), cst.getResult(),
                                  TypeAttr::get(qt));
    op->setOperand(1, fq.getResult());
    ++count;
  });
  return count;
}

static std::vector<Tensor> batches(const Tensor &all) {
  std::vector<Tensor> out;
  int64_t n = all.shape()[0];
  int64_t per = all.numElements() / n;
  SmallVector<int64_t> shape(all.shape());
  shape[0] = batch;
  for (int64_t i = 0; i + batch <= n; i += batch)
    out.push_back(Tensor::fromBytes(DType::F32, shape,
                                    all.data<float>() + i * per));
  return out;
}

static double accuracy(func::FuncOp func, const std::vector<Tensor> &images,
                       const Tensor &labels) {
  ExecutorOptions eo;
  eo.numThreads = threads;
  auto exec = Executor::create(func, eo);
  if (failed(exec))
    die("cannot create the executor");
  int64_t correct = 0, total = 0;
  std::string error;
  for (const Tensor &x : images) {
    auto out = (*exec)->run({x}, error);
    if (failed(out))
      die(error);
    const Tensor &logits = (*out)[0];
    int64_t classes = logits.shape().back();
    for (int64_t i = 0; i < batch; ++i, ++total) {
      int64_t best = 0;
      for (int64_t c = 1; c < classes; ++c)
        if (logits.getAsDouble(i * classes + c) >
            logits.getAsDouble(i * classes + best))
          best = c;
      correct += best == static_cast<int64_t>(labels.getAsDouble(total));
    }
  }
  return 100.0 * correct / total;
}

int main(int argc, char **argv) {
  cl::ParseCommandLineOptions(argc, argv, "learned vs RTN weight quantization");
  DialectRegistry registry;
  registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  std::string error;
  auto test = readNpyFile(testInput, error);
  auto labels = readNpyFile(testLabels, error);
  auto calib = readNpyFile(calibInput, error);
  if (failed(test) || failed(labels) || failed(calib))
    die(error);
  ONNXImportOptions io;
  SmallVector<int64_t> shape(test->shape());
  shape[0] = batch;
  io.inputShapes[inputName] = shape;
  OwningOpRef<ModuleOp> module = importONNXModel(&context, modelPath, io);
  if (!module)
    die("import failed");
  auto func = *module->getOps<func::FuncOp>().begin();

  std::vector<Tensor> testBatches = batches(*test);
  std::vector<std::vector<Tensor>> calibSamples;
  for (Tensor &t : batches(*calib))
    calibSamples.push_back({t});

  double floatAcc = accuracy(func, testBatches, *labels);
  int layers = insertWeightFakeQuant(func);
  double rtnAcc = accuracy(func, testBatches, *labels);

  learned::InMemoryDataset data(calibSamples);
  LearnedQuantOptions opts;
  opts.steps = steps;
  opts.learningRate = lr;
  opts.maxSamples = maxSamples;
  opts.learnScales = !noScales;
  opts.learnRounding = !noRounding;
  opts.numThreads = threads;
  learned::LearnedQuantTuning tuning;
  if (regWeight >= 0)
    tuning.regWeight = regWeight;
  if (rowsPerStep > 0)
    tuning.rowsPerStep = rowsPerStep;
  if (scaleLr >= 0)
    tuning.scaleLrFactor = scaleLr;
  if (roundLr >= 0)
    tuning.roundingLrFactor = roundLr;
  std::vector<learned::LayerReport> reports;
  auto start = std::chrono::steady_clock::now();
  if (failed(learned::learnWeightQuantization(func, data, opts, tuning,
                                              &reports, error)))
    die(error);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (failed(mlir::verify(func)))
    die("the learned function does not verify");
  double learnedAcc = accuracy(func, testBatches, *labels);

  llvm::outs() << llvm::formatv(
      "w{0} {1}, {2} layers, {3} calibration images, {4} steps, lr {5:e}\n",
      bits.getValue(), perTensor ? "per-tensor" : "per-channel", layers,
      calibSamples.size() * batch, steps.getValue(), lr.getValue());
  llvm::outs() << "layer                               kind    rows    "
                  "rtn-mse      learned-mse  ratio  flipped  seconds\n";
  for (const auto &r : reports)
    llvm::outs() << llvm::formatv(
        "{0,-35} {1,-7} {2,6} {3,12:e4} {4,12:e4} {5,6:f3} {6,6:f1}% {7,7:f1}{8}\n",
        r.name, r.kind, r.rows, r.rtnMse, r.learnedMse,
        r.learnedMse / r.rtnMse, 100 * r.flipped, r.seconds,
        r.keptRtn ? " (kept rtn)" : "");
  llvm::outs() << llvm::formatv("accuracy over {0} images: float {1:f2}%  "
                                "rtn {2:f2}%  learned {3:f2}%  "
                                "(learning took {4:f1} s)\n",
                                testBatches.size() * batch, floatAcc, rtnAcc,
                                learnedAcc, seconds);
  return 0;
}
