//===- Kernels.h - the executor's kernel registry (internal) ----*- C++ -*-===//
//
// Part of quantc. One kernel per op, registered by op name; each family of
// kernels lives in its own file and registers itself through one function.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_EXECUTOR_KERNELS_H
#define QC_LIB_EXECUTOR_KERNELS_H

#include "qc/Executor/Tensor.h"

#include "mlir/IR/Operation.h"
#include "llvm/ADT/StringMap.h"

#include <functional>
#include <string>

namespace mlir::qc::exec {

/// Runs `fn(begin, end)` over [0, n) split into chunks on the executor's
/// threads; small `n` (below `grain`) runs inline.
class ThreadPool;
void parallelFor(ThreadPool *pool, int64_t n, int64_t grain,
                 const std::function<void(int64_t, int64_t)> &fn);

struct KernelContext {
  ThreadPool *pool = nullptr;
  /// Set by a kernel that fails at run time (e.g. an index out of range);
  /// the executor prefixes it with the op's location.
  std::string error;
};

/// `results` arrive allocated (dtype and shape from the op's result types,
/// zero-filled); a kernel may instead replace a result with a tensor that
/// aliases an operand (reshape) since tensors are never mutated in place.
using Kernel = std::function<LogicalResult(
    Operation *op, ArrayRef<Tensor> operands, MutableArrayRef<Tensor> results,
    KernelContext &ctx)>;

class KernelRegistry {
public:
  void add(StringRef opName, Kernel kernel) { kernels[opName] = std::move(kernel); }
  const Kernel *lookup(StringRef opName) const {
    auto it = kernels.find(opName);
    return it == kernels.end() ? nullptr : &it->second;
  }

private:
  llvm::StringMap<Kernel> kernels;
};

/// One function per kernel family; Executor.cpp calls them all.
void registerElementwiseKernels(KernelRegistry &registry);
void registerShapeKernels(KernelRegistry &registry);
void registerNNKernels(KernelRegistry &registry);
void registerLinalgKernels(KernelRegistry &registry);
void registerQuantKernels(KernelRegistry &registry);
void registerTransformerKernels(KernelRegistry &registry);
void registerBlockKernels(KernelRegistry &registry);

/// The registry with every family registered (built once).
const KernelRegistry &getKernelRegistry();

} // namespace mlir::qc::exec

#endif // QC_LIB_EXECUTOR_KERNELS_H
