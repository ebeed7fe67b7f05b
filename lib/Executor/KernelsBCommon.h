//===- KernelsBCommon.h - helpers shared by the kernel files ----*- C++ -*-===//
//
// Part of quantc. Internal to the executor: dtype conversion in bulk, the
// scale and zero point governing each element of a quantized tensor, and
// whole-tensor quantize / dequantize built on qc::numerics. The functions are
// defined in QuantKernels.cpp so that quant.qcast, quant.dcast,
// qc.fake_quant, the weight-only contractions, the quantized embedding table
// and the int8 KV cache all share one implementation of the numerics.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_EXECUTOR_KERNELSBCOMMON_H
#define QC_LIB_EXECUTOR_KERNELSBCOMMON_H

#include "Kernels.h"

#include "qc/Dialect/QC/Utils/Numerics.h"
#include "qc/Executor/Tensor.h"

#include "mlir/IR/Types.h"
#include "llvm/ADT/SmallVector.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace mlir::qc::exec::kb {

//===----------------------------------------------------------------------===//
// Scalar conversions
//===----------------------------------------------------------------------===//

/// Rounds `v` to the precision of float dtype `t` (identity for f32/f64).
inline float roundToDType(float v, DType t) {
  if (t == DType::F16)
    return halfToFloat(floatToHalf(v));
  if (t == DType::BF16)
    return bf16ToFloat(floatToBf16(v));
  return v;
}

//===----------------------------------------------------------------------===//
// Bulk conversions
//===----------------------------------------------------------------------===//

/// Converts elements [begin, end) of `t` (any dtype) to T (float or double).
template <typename T>
void loadAs(const Tensor &t, int64_t begin, int64_t end, T *out);

/// Stores `in` into elements [begin, end) of float tensor `t`, rounding to
/// its dtype.
template <typename T>
void storeAs(const T *in, int64_t begin, int64_t end, Tensor &t);

/// The elements of `t` as T: a pointer into `t` when its dtype already is T,
/// otherwise into `scratch`, which receives a converted copy.
template <typename T>
const T *viewAs(const Tensor &t, std::vector<T> &scratch, ThreadPool *pool);

/// Where a kernel writes results of type T for tensor `t`: `t` itself when
/// its dtype is T, otherwise `scratch`; finishOutput() then converts.
template <typename T> T *outputAs(Tensor &t, std::vector<T> &scratch);
template <typename T>
void finishOutput(const std::vector<T> &scratch, Tensor &t, ThreadPool *pool);

/// Element `i` of an integer (or bool) tensor.
int64_t loadInt(const Tensor &t, int64_t i);
/// Stores an in-range value into element `i` of an integer tensor.
void storeInt(Tensor &t, int64_t i, int64_t v);

//===----------------------------------------------------------------------===//
// Quantization parameters per element
//===----------------------------------------------------------------------===//

/// The scale and zero point of every element of a tensor of a uniform
/// quantized type, for any granularity. All three are described as blocks:
/// per-tensor is one block covering the tensor, per-axis along `d` is blocks
/// of size 1 along `d`, and sub-channel is its own block sizes (a dimension
/// without one is a single block). Element [i0, ..., iR-1] uses parameter
/// sum_d (i_d / blocks[d]) * paramStrides[d].
struct QuantGrid {
  /// Storage dtype of the quantized tensor and the dtype it expresses.
  DType storage = DType::I8;
  DType expressed = DType::F32;
  /// The storage range as numerics::quantize clamps to (narrow ranges such
  /// as i8<-127:127> included).
  int32_t qmin = 0, qmax = 0;
  /// Scales as the numerics use them: the type's double scale rounded to the
  /// expressed type (a no-op for f32 scales) and then held as float.
  llvm::SmallVector<float> scales;
  llvm::SmallVector<int32_t> zeroPoints;
  /// Shape of the data tensor (rank 0 is treated as [1]).
  llvm::SmallVector<int64_t> shape;
  llvm::SmallVector<int64_t> blocks;
  llvm::SmallVector<int64_t> paramStrides;

  int64_t rowLength() const { return shape.back(); }
  int64_t numRows() const;
  /// Parameter index of the first element of row `row` (all dims but the
  /// last flattened).
  int64_t rowParamBase(int64_t row) const;
  /// Calls fn(begin, end, paramIndex) for the runs of consecutive elements
  /// of row `row` that share a scale and zero point; begin/end are flat
  /// element indices.
  template <typename Fn> void forEachRun(int64_t row, Fn &&fn) const {
    int64_t len = rowLength(), block = blocks.back(),
            stride = paramStrides.back();
    int64_t p = rowParamBase(row), first = row * len;
    for (int64_t j = 0; j < len; j += block, p += stride)
      fn(first + j, first + std::min(j + block, len), p);
  }
  bool isPerTensor() const { return scales.size() == 1; }
};

/// The grid of `quantType` (a !quant.uniform element type of any granularity)
/// for a tensor of `shape`.
QuantGrid getQuantGrid(Type quantType, llvm::ArrayRef<int64_t> shape);

/// A quantization scale as a float in the precision of the expressed type:
/// a bf16/f16-expressed type's scale is rounded to that type first, which is
/// exact for scales imported from 16-bit ONNX tensors.
float expressedScale(double scale, DType expressed);

/// out[i] = numerics::quantize(in[i], s, z, qmin, qmax) with the parameters
/// of element i. `in` is any float tensor (f64 values are first rounded to
/// float, as numerics::quantize works in float); `out` has the grid's
/// storage dtype.
void quantizeTensor(const Tensor &in, const QuantGrid &grid, Tensor &out,
                    ThreadPool *pool);

/// out[i] = numerics::dequantize(q[i], s, z), rounded to out's float dtype.
void dequantizeTensor(const Tensor &q, const QuantGrid &grid, Tensor &out,
                      ThreadPool *pool);

/// A freshly allocated tensor of the grid's expressed dtype holding
/// dequantize(q).
Tensor dequantized(const Tensor &q, const QuantGrid &grid, ThreadPool *pool);

/// q[i] - z (exact in 64 bits, then wrapped to 32 bits, which is exact for
/// every storage type narrower than 32 bits).
std::vector<int32_t> centeredCodes(const Tensor &q, const QuantGrid &grid,
                                   ThreadPool *pool);

} // namespace mlir::qc::exec::kb

#endif // QC_LIB_EXECUTOR_KERNELSBCOMMON_H
