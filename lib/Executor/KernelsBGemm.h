//===- KernelsBGemm.h - the float GEMM of the kernels -----------*- C++ -*-===//
//-*-===//
//
// Part of quantc. Internal to the executor: one Eigen matrix product on
// row-major buffers with leading dimensions, shared by the contractions and
// attention so that both compute their float products the same way.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_EXECUTOR_KERNELSBGEMM_H
#define QC_LIB_EXECUTOR_KERNELSBGEMM_H

#include <Eigen/Core>

#include <cstdint>

namespace mlir::qc::exec::kb {

/// C[M, N] = op(A)[M, K] * op(B)[K, N] for T = float or double, where all
/// buffers are row-major with leading dimensions lda/ldb/ldc and op()
/// transposes when asked (A is then stored [K, M], B [N, K]). Single
/// threaded: callers split the work into tasks themselves.
template <typename T>
void eigenGemm(int64_t m, int64_t n, int64_t k, const T *a, int64_t lda,
               bool transA, const T *b, int64_t ldb, bool transB, T *c,
               int64_t ldc) {
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using In = Eigen::Map<const Mat, 0, Eigen::OuterStride<>>;
  using Out = Eigen::Map<Mat, 0, Eigen::OuterStride<>>;
  Out cm(c, m, n, Eigen::OuterStride<>(ldc));
  if (k == 0) {
    cm.setZero();
    return;
  }
  if (!transA && !transB)
    cm.noalias() = In(a, m, k, Eigen::OuterStride<>(lda)) *
                   In(b, k, n, Eigen::OuterStride<>(ldb));
  else if (!transA && transB)
    cm.noalias() = In(a, m, k, Eigen::OuterStride<>(lda)) *
                   In(b, n, k, Eigen::OuterStride<>(ldb)).transpose();
  else if (transA && !transB)
    cm.noalias() = In(a, k, m, Eigen::OuterStride<>(lda)).transpose() *
                   In(b, k, n, Eigen::OuterStride<>(ldb));
  else
    cm.noalias() = In(a, k, m, Eigen::OuterStride<>(lda)).transpose() *
                   In(b, n, k, Eigen::OuterStride<>(ldb)).transpose();
}

} // namespace mlir::qc::exec::kb

#endif // QC_LIB_EXECUTOR_KERNELSBGEMM_H
