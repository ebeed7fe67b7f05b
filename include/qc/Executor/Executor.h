//===- Executor.h - reference interpreter of qc programs --------*- C++ -*-===//
//
// Part of quantc. Runs a `func.func` of qc ops (plus the upstream ops the
// importers emit: quant.qcast/dcast/scast, arith.constant) on host tensors.
// It is the numeric oracle for every later stage and the engine of
// calibration: float semantics follow ONNX, quantized ops follow
// docs/Numerics.md exactly.
//
//===----------------------------------------------------------------------===//

#ifndef QC_EXECUTOR_EXECUTOR_H
#define QC_EXECUTOR_EXECUTOR_H

#include "qc/Executor/Tensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Support/LLVM.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace mlir::qc {

class ObserveOp;

/// A host tensor holding the value of a constant's elements attribute, stored
/// as `type` says (quantized element types hold their storage integers);
/// `dense_resource` blobs are viewed without a copy. This is how the executor
/// materialises `qc.constant` and `arith.constant`.
FailureOr<Tensor> materializeConstant(ElementsAttr attr, RankedTensorType type,
                                      std::string &why);

/// The inverse: an attribute of `type` (float, or the storage integer type
/// of a quantized constant) holding `t`. Tensors with at least
/// `resourceThreshold` elements become `dense_resource` blobs named after
/// `blobName` (made identifier-safe).
ElementsAttr elementsFromTensor(const Tensor &t, RankedTensorType type,
                                int64_t resourceThreshold, StringRef blobName);

struct ExecutorOptions {
  /// Worker threads for the heavy kernels; 0 = one per hardware thread.
  unsigned numThreads = 0;
};

/// Called for each `qc.observe` with the tensor flowing through it.
using ObserverCallback = std::function<void(ObserveOp, const Tensor &)>;

class Executor {
public:
  /// Prepares `func` for execution. Fails, with a diagnostic located at the
  /// offending op, when an op has no kernel or a tensor type is not static.
  static FailureOr<std::unique_ptr<Executor>>
  create(func::FuncOp func, const ExecutorOptions &options = {});
  ~Executor();

  /// Names of the inputs and outputs: the `qc.name` argument/result
  /// attributes when present, otherwise "input<i>" / "output<i>".
  ArrayRef<std::string> inputNames() const;
  ArrayRef<std::string> outputNames() const;
  /// Tensor types of the function's arguments and results.
  ArrayRef<Type> inputTypes() const;
  ArrayRef<Type> outputTypes() const;

  /// Runs the function. Inputs must match the argument types (dtype and
  /// shape); on failure `error` says which input or op went wrong.
  FailureOr<std::vector<Tensor>> run(ArrayRef<Tensor> inputs,
                                     std::string &error);

  void setObserver(ObserverCallback callback);

private:
  Executor();
  struct Impl;
  std::unique_ptr<Impl> impl;
};

} // namespace mlir::qc

#endif // QC_EXECUTOR_EXECUTOR_H
