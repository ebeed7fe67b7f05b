//===- Executor.cpp - reference interpreter core --------------------------===//
//
// Part of quantc. Walks the function's single block in order, keeps one host
// tensor per live SSA value and frees it after its last use. Constants are
// materialised once, when the executor is created.
//
//===----------------------------------------------------------------------===//

#include "qc/Executor/Executor.h"

#include "Kernels.h"
#include "ThreadPool.h"

#include "qc/Dialect/QC/IR/QCOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/raw_ostream.h"

#include <thread>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::exec;

const KernelRegistry &exec::getKernelRegistry() {
  static const KernelRegistry registry = [] {
    KernelRegistry r;
    registerElementwiseKernels(r);
    registerShapeKernels(r);
    registerNNKernels(r);
    registerLinalgKernels(r);
    registerQuantKernels(r);
    registerTransformerKernels(r);
    registerBlockKernels(r);
    return r;
  }();
  return registry;
}

FailureOr<Tensor> qc::materializeConstant(ElementsAttr attr,
                                          RankedTensorType type,
                                          std::string &why) {
  std::optional<DType> dtype = dtypeFromType(type.getElementType());
  if (!dtype) {
    why = "unsupported element type";
    return failure();
  }
  Tensor t(*dtype, type.getShape());
  int64_t n = t.numElements();
  if (auto res = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob) {
      why = "dense_resource blob '" + res.getRawHandle().getKey().str() +
            "' has no data";
      return failure();
    }
    ArrayRef<char> data = blob->getData();
    if (data.size() != t.byteSize()) {
      why = "dense_resource blob holds " + std::to_string(data.size()) +
            " bytes, the type needs " + std::to_string(t.byteSize());
      return failure();
    }
    // The blob lives as long as the MLIR context: view it without a copy.
    return Tensor::view(*dtype, type.getShape(), nullptr, data.data());
  }
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  if (!dense) {
    why = "unsupported constant attribute";
    return failure();
  }
  Type elt = dense.getElementType();
  if (isa<FloatType>(elt)) {
    auto values = dense.getValues<APFloat>();
    for (int64_t i = 0; i < n; ++i)
      t.setFromDouble(i, values[dense.isSplat() ? 0 : i].convertToDouble());
    return t;
  }
  if (auto it = dyn_cast<IntegerType>(elt)) {
    auto values = dense.getValues<APInt>();
    bool isUnsigned = it.isUnsigned() || it.getWidth() == 1;
    if (auto q = dyn_cast<quant::QuantizedType>(type.getElementType()))
      isUnsigned = !q.isSigned();
    for (int64_t i = 0; i < n; ++i) {
      const APInt &v = values[dense.isSplat() ? 0 : i];
      uint64_t bits = isUnsigned ? v.getZExtValue()
                                 : static_cast<uint64_t>(v.getSExtValue());
      // Write through the integer of the tensor's width (no double round trip
      // for 64-bit values).
      switch (dtypeSize(*dtype)) {
      case 1: t.data<uint8_t>()[i] = static_cast<uint8_t>(bits); break;
      case 2: t.data<uint16_t>()[i] = static_cast<uint16_t>(bits); break;
      case 4: t.data<uint32_t>()[i] = static_cast<uint32_t>(bits); break;
      default: t.data<uint64_t>()[i] = bits; break;
      }
    }
    return t;
  }
  why = "unsupported constant element type";
  return failure();
}

static std::string locationString(Operation *op) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << op->getLoc();
  return s;
}

struct Executor::Impl {
  func::FuncOp func;
  std::vector<std::string> inputNames, outputNames;
  std::vector<Type> inputTypes, outputTypes;
  /// The ops to run, in order, with their kernels (constants excluded).
  struct Step {
    Operation *op;
    const Kernel *kernel;
    /// Values whose last use is this step.
    SmallVector<Value> dying;
  };
  std::vector<Step> steps;
  DenseMap<Value, Tensor> constants;
  std::unique_ptr<ThreadPool> pool;
  ObserverCallback observer;
};

Executor::Executor() : impl(std::make_unique<Impl>()) {}
Executor::~Executor() = default;

ArrayRef<std::string> Executor::inputNames() const { return impl->inputNames; }
ArrayRef<std::string> Executor::outputNames() const { return impl->outputNames; }
ArrayRef<Type> Executor::inputTypes() const { return impl->inputTypes; }
ArrayRef<Type> Executor::outputTypes() const { return impl->outputTypes; }
void Executor::setObserver(ObserverCallback cb) { impl->observer = std::move(cb); }

static LogicalResult checkStaticTensor(Operation *op, Type t, StringRef what) {
  auto rt = dyn_cast<RankedTensorType>(t);
  if (!rt || !rt.hasStaticShape())
    return op->emitError("executor: ") << what << " type " << t
                                       << " must be a statically shaped tensor "
                                          "(fix dynamic dims with --input-shape)";
  if (!dtypeFromType(rt.getElementType()))
    return op->emitError("executor: unsupported element type ")
           << rt.getElementType() << " in " << what;
  return success();
}

FailureOr<std::unique_ptr<Executor>>
Executor::create(func::FuncOp func, const ExecutorOptions &options) {
  std::unique_ptr<Executor> exe(new Executor());
  Impl &impl = *exe->impl;
  impl.func = func;
  if (func.isExternal() || !llvm::hasSingleElement(func.getBody()))
    return func.emitError("executor: expected a function with one block");

  FunctionType ft = func.getFunctionType();
  for (auto [i, t] : llvm::enumerate(ft.getInputs())) {
    if (failed(checkStaticTensor(func, t, "argument")))
      return failure();
    auto name = func.getArgAttrOfType<StringAttr>(i, "qc.name");
    impl.inputNames.push_back(name ? name.str() : "input" + std::to_string(i));
    impl.inputTypes.push_back(t);
  }
  for (auto [i, t] : llvm::enumerate(ft.getResults())) {
    if (failed(checkStaticTensor(func, t, "result")))
      return failure();
    auto name = func.getResultAttrOfType<StringAttr>(i, "qc.name");
    impl.outputNames.push_back(name ? name.str() : "output" + std::to_string(i));
    impl.outputTypes.push_back(t);
  }

  const KernelRegistry &registry = getKernelRegistry();
  DenseMap<Value, size_t> lastUse;
  Block &body = func.getBody().front();
  for (Operation &op : body) {
    for (Value v : op.getOperands())
      lastUse[v] = impl.steps.size();
    if (isa<func::ReturnOp>(op))
      continue;
    for (Type t : op.getResultTypes())
      if (failed(checkStaticTensor(&op, t, "result")))
        return failure();
    if (isa<qc::ConstantOp, arith::ConstantOp>(op)) {
      auto attr = dyn_cast<ElementsAttr>(op.getAttr("value"));
      std::string why;
      FailureOr<Tensor> t =
          attr ? materializeConstant(attr, cast<RankedTensorType>(op.getResult(0).getType()), why)
               : FailureOr<Tensor>(failure());
      if (failed(t))
        return op.emitError("executor: cannot materialise constant: ")
               << (attr ? why : "not an elements attribute");
      impl.constants[op.getResult(0)] = *t;
      continue;
    }
    if (op.getNumRegions() != 0)
      return op.emitError("executor: ops with regions are not supported: '")
             << op.getName() << "'";
    const Kernel *kernel = nullptr;
    if (!isa<qc::ObserveOp>(op)) {
      kernel = registry.lookup(op.getName().getStringRef());
      if (!kernel)
        return op.emitError("executor: no kernel for '")
               << op.getName() << "'";
    }
    impl.steps.push_back({&op, kernel, {}});
  }
  for (auto [value, step] : lastUse)
    if (step < impl.steps.size() && !impl.constants.count(value))
      impl.steps[step].dying.push_back(value);

  unsigned threads = options.numThreads ? options.numThreads
                                        : std::thread::hardware_concurrency();
  if (threads > 1)
    impl.pool = std::make_unique<ThreadPool>(threads - 1);
  return exe;
}

FailureOr<std::vector<Tensor>> Executor::run(ArrayRef<Tensor> inputs,
                                             std::string &error) {
  Impl &impl = *this->impl;
  if (inputs.size() != impl.inputTypes.size()) {
    error = "expected " + std::to_string(impl.inputTypes.size()) +
            " inputs, got " + std::to_string(inputs.size());
    return failure();
  }
  DenseMap<Value, Tensor> values;
  Block &body = impl.func.getBody().front();
  for (auto [i, input] : llvm::enumerate(inputs)) {
    auto type = cast<RankedTensorType>(impl.inputTypes[i]);
    std::optional<DType> want = dtypeFromType(type.getElementType());
    if (input.isNull() || input.dtype() != *want ||
        input.shape() != type.getShape()) {
      std::string expected = std::string(dtypeName(*want)) + "[";
      llvm::raw_string_ostream os(expected);
      llvm::interleave(type.getShape(), os, "x");
      os << "]";
      error = "input '" + impl.inputNames[i] + "' is " +
              (input.isNull() ? std::string("missing") : input.describe()) +
              ", expected " + expected;
      return failure();
    }
    values[body.getArgument(i)] = input;
  }
  auto lookup = [&](Value v) -> Tensor {
    auto it = values.find(v);
    if (it != values.end())
      return it->second;
    return impl.constants.lookup(v);
  };

  KernelContext ctx;
  ctx.pool = impl.pool.get();
  for (Impl::Step &step : impl.steps) {
    Operation *op = step.op;
    SmallVector<Tensor> operands;
    for (Value v : op->getOperands())
      operands.push_back(lookup(v));
    if (auto observe = dyn_cast<qc::ObserveOp>(op)) {
      if (impl.observer)
        impl.observer(observe, operands[0]);
      values[op->getResult(0)] = operands[0];
    } else {
      SmallVector<Tensor> results;
      for (Type t : op->getResultTypes()) {
        auto rt = cast<RankedTensorType>(t);
        results.emplace_back(*dtypeFromType(rt.getElementType()), rt.getShape());
      }
      ctx.error.clear();
      if (failed((*step.kernel)(op, operands, results, ctx))) {
        error = locationString(op) + ": '" +
                op->getName().getStringRef().str() + "' failed" +
                (ctx.error.empty() ? std::string() : ": " + ctx.error);
        return failure();
      }
      for (auto [v, t] : llvm::zip_equal(op->getResults(), results))
        values[v] = std::move(t);
    }
    for (Value v : step.dying)
      values.erase(v);
  }
  std::vector<Tensor> outputs;
  for (Value v : body.getTerminator()->getOperands())
    outputs.push_back(lookup(v));
  return outputs;
}

std::string qc::resourceKey(StringRef name) {
  std::string key;
  for (char c : name)
    key += llvm::isAlnum(c) || c == '_' || c == '.' ? c : '_';
  if (key.empty() || llvm::isDigit(key[0]))
    key = "w_" + key;
  return key;
}

ElementsAttr qc::elementsFromTensor(const Tensor &t, RankedTensorType type,
                                    int64_t resourceThreshold,
                                    StringRef blobName) {
  Type elt = type.getElementType();
  ArrayRef<char> bytes(static_cast<const char *>(t.raw()), t.byteSize());
  auto it = dyn_cast<IntegerType>(elt);
  bool byteAligned = !it || it.getWidth() % 8 == 0;
  if (type.getNumElements() >= resourceThreshold && type.getNumElements() > 0 &&
      (byteAligned || dtypeSize(t.dtype()) == 1)) {
    return DenseResourceElementsAttr::get(
        type, resourceKey(blobName),
        HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, /*align=*/64));
  }
  if (it && !byteAligned) {
    SmallVector<APInt> values;
    for (int64_t i = 0, e = t.numElements(); i < e; ++i)
      values.push_back(APInt(it.getWidth(), static_cast<uint64_t>(static_cast<int64_t>(t.getAsDouble(i))),
                             /*isSigned=*/true, /*implicitTrunc=*/true));
    return DenseElementsAttr::get(type, values);
  }
  return DenseElementsAttr::getFromRawBuffer(type, bytes);
}
