//===- QuantKernels.cpp - quant.qcast/dcast/scast and qc.fake_quant -------===//
//
// Part of quantc. Quantize and dequantize whole tensors with the per-element
// parameters of per-tensor, per-axis and sub-channel types, calling
// qc::numerics for every value. The helpers of KernelsBCommon.h live here
// too, since the contractions, the embedding and the KV cache reuse them.
//
//===----------------------------------------------------------------------===//

#include "KernelsBCommon.h"

#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Executor/QuantTensor.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/APFloat.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::exec;
using namespace mlir::qc::exec::kb;

//===----------------------------------------------------------------------===//
// Bulk conversions
//===----------------------------------------------------------------------===//

/// Calls fn(T{}) with T the C++ type of integer dtype `t`.
template <typename Fn> static void dispatchInt(DType t, Fn &&fn) {
  switch (t) {
  case DType::Bool:
  case DType::U8:
    fn(uint8_t{});
    return;
  case DType::I8:
    fn(int8_t{});
    return;
  case DType::I16:
    fn(int16_t{});
    return;
  case DType::U16:
    fn(uint16_t{});
    return;
  case DType::I32:
    fn(int32_t{});
    return;
  case DType::U32:
    fn(uint32_t{});
    return;
  case DType::I64:
    fn(int64_t{});
    return;
  case DType::U64:
    fn(uint64_t{});
    return;
  default:
    llvm_unreachable("not an integer dtype");
  }
}

template <typename T>
void kb::loadAs(const Tensor &t, int64_t begin, int64_t end, T *out) {
  switch (t.dtype()) {
  case DType::F32: {
    const float *p = t.data<float>();
    for (int64_t i = begin; i < end; ++i)
      out[i - begin] = static_cast<T>(p[i]);
    return;
  }
  case DType::F64: {
    const double *p = t.data<double>();
    for (int64_t i = begin; i < end; ++i)
      out[i - begin] = static_cast<T>(p[i]);
    return;
  }
  case DType::F16: {
    const uint16_t *p = t.data<uint16_t>();
    for (int64_t i = begin; i < end; ++i)
      out[i - begin] = static_cast<T>(halfToFloat(p[i]));
    return;
  }
  case DType::BF16: {
    const uint16_t *p = t.data<uint16_t>();
    for (int64_t i = begin; i < end; ++i)
      out[i - begin] = static_cast<T>(bf16ToFloat(p[i]));
    return;
  }
  default:
    dispatchInt(t.dtype(), [&](auto tag) {
      using I = decltype(tag);
      const I *p = t.data<I>();
      for (int64_t i = begin; i < end; ++i)
        out[i - begin] = static_cast<T>(p[i]);
    });
    return;
  }
}

template <typename T>
void kb::storeAs(const T *in, int64_t begin, int64_t end, Tensor &t) {
  switch (t.dtype()) {
  case DType::F32: {
    float *p = t.data<float>();
    for (int64_t i = begin; i < end; ++i)
      p[i] = static_cast<float>(in[i - begin]);
    return;
  }
  case DType::F64: {
    double *p = t.data<double>();
    for (int64_t i = begin; i < end; ++i)
      p[i] = static_cast<double>(in[i - begin]);
    return;
  }
  case DType::F16: {
    uint16_t *p = t.data<uint16_t>();
    // Round once, from the computed type.
    for (int64_t i = begin; i < end; ++i)
      if constexpr (std::is_same_v<T, double>)
        p[i] = doubleToHalf(in[i - begin]);
      else
        p[i] = floatToHalf(static_cast<float>(in[i - begin]));
    return;
  }
  case DType::BF16: {
    uint16_t *p = t.data<uint16_t>();
    for (int64_t i = begin; i < end; ++i)
      if constexpr (std::is_same_v<T, double>)
        p[i] = doubleToBf16(in[i - begin]);
      else
        p[i] = floatToBf16(static_cast<float>(in[i - begin]));
    return;
  }
  default:
    llvm_unreachable("storeAs needs a float tensor");
  }
}

template <typename T> static constexpr DType dtypeOf() {
  return std::is_same_v<T, double> ? DType::F64 : DType::F32;
}

template <typename T>
const T *kb::viewAs(const Tensor &t, std::vector<T> &scratch,
                    ThreadPool *pool) {
  if (t.dtype() == dtypeOf<T>())
    return t.data<T>();
  int64_t n = t.numElements();
  scratch.resize(n);
  parallelFor(pool, n, 1 << 16, [&](int64_t b, int64_t e) {
    loadAs<T>(t, b, e, scratch.data() + b);
  });
  return scratch.data();
}

template <typename T> T *kb::outputAs(Tensor &t, std::vector<T> &scratch) {
  if (t.dtype() == dtypeOf<T>())
    return t.data<T>();
  scratch.assign(t.numElements(), T(0));
  return scratch.data();
}

template <typename T>
void kb::finishOutput(const std::vector<T> &scratch, Tensor &t,
                      ThreadPool *pool) {
  if (t.dtype() == dtypeOf<T>())
    return;
  parallelFor(pool, t.numElements(), 1 << 16, [&](int64_t b, int64_t e) {
    storeAs<T>(scratch.data() + b, b, e, t);
  });
}

namespace mlir::qc::exec::kb {
template void loadAs<float>(const Tensor &, int64_t, int64_t, float *);
template void loadAs<double>(const Tensor &, int64_t, int64_t, double *);
template void storeAs<float>(const float *, int64_t, int64_t, Tensor &);
template void storeAs<double>(const double *, int64_t, int64_t, Tensor &);
template const float *viewAs<float>(const Tensor &, std::vector<float> &,
                                    ThreadPool *);
template const double *viewAs<double>(const Tensor &, std::vector<double> &,
                                      ThreadPool *);
template float *outputAs<float>(Tensor &, std::vector<float> &);
template double *outputAs<double>(Tensor &, std::vector<double> &);
template void finishOutput<float>(const std::vector<float> &, Tensor &,
                                  ThreadPool *);
template void finishOutput<double>(const std::vector<double> &, Tensor &,
                                   ThreadPool *);
} // namespace mlir::qc::exec::kb

int64_t kb::loadInt(const Tensor &t, int64_t i) {
  int64_t v = 0;
  dispatchInt(t.dtype(), [&](auto tag) {
    using I = decltype(tag);
    v = static_cast<int64_t>(t.data<I>()[i]);
  });
  return v;
}

void kb::storeInt(Tensor &t, int64_t i, int64_t v) {
  dispatchInt(t.dtype(), [&](auto tag) {
    using I = decltype(tag);
    t.data<I>()[i] = static_cast<I>(v);
  });
}

//===----------------------------------------------------------------------===//
// QuantGrid
//===----------------------------------------------------------------------===//

int64_t QuantGrid::numRows() const {
  int64_t n = 1;
  for (int64_t d : ArrayRef<int64_t>(shape).drop_back())
    n *= d;
  return n;
}

int64_t QuantGrid::rowParamBase(int64_t row) const {
  int64_t p = 0;
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d) {
    int64_t idx = row % shape[d];
    row /= shape[d];
    p += (idx / blocks[d]) * paramStrides[d];
  }
  return p;
}

float kb::expressedScale(double scale, DType expressed) {
  if (expressed != DType::F16 && expressed != DType::BF16)
    return static_cast<float>(scale);
  // One rounding from double straight to the 16-bit format (going through
  // float first could round twice).
  llvm::APFloat f(scale);
  bool lost;
  f.convert(expressed == DType::F16 ? llvm::APFloat::IEEEhalf()
                                    : llvm::APFloat::BFloat(),
            llvm::APFloat::rmNearestTiesToEven, &lost);
  f.convert(llvm::APFloat::IEEEsingle(), llvm::APFloat::rmNearestTiesToEven,
            &lost);
  return f.convertToFloat();
}

QuantGrid kb::getQuantGrid(Type quantType, ArrayRef<int64_t> shape) {
  auto q = cast<quant::QuantizedType>(quantType);
  QuantGrid g;
  g.storage = *dtypeFromType(q);
  g.expressed = *dtypeFromType(q.getExpressedType());
  g.qmin = static_cast<int32_t>(q.getStorageTypeMin());
  g.qmax = static_cast<int32_t>(q.getStorageTypeMax());
  g.shape.assign(shape.begin(), shape.end());
  if (g.shape.empty())
    g.shape.push_back(1);
  int64_t rank = g.shape.size();
  g.blocks.assign(g.shape.begin(), g.shape.end());
  g.paramStrides.assign(rank, 0);
  // A zero-sized dimension would make a block of 0; blocks are only used as
  // divisors, so keep them positive.
  for (int64_t &b : g.blocks)
    b = std::max<int64_t>(b, 1);

  if (auto pt = dyn_cast<quant::UniformQuantizedType>(q)) {
    g.scales.push_back(expressedScale(pt.getScale(), g.expressed));
    g.zeroPoints.push_back(static_cast<int32_t>(pt.getZeroPoint()));
    return g;
  }
  if (auto pa = dyn_cast<quant::UniformQuantizedPerAxisType>(q)) {
    int64_t axis = pa.getQuantizedDimension();
    g.blocks[axis] = 1;
    g.paramStrides[axis] = 1;
    for (double s : pa.getScales())
      g.scales.push_back(expressedScale(s, g.expressed));
    for (int64_t z : pa.getZeroPoints())
      g.zeroPoints.push_back(static_cast<int32_t>(z));
    return g;
  }
  auto sc = cast<quant::UniformQuantizedSubChannelType>(q);
  for (auto [dim, size] : sc.getBlockSizeInfo())
    g.blocks[dim] = size;
  DenseElementsAttr scales = sc.getScales(), zps = sc.getZeroPoints();
  ArrayRef<int64_t> paramShape = scales.getType().getShape();
  int64_t stride = 1;
  for (int64_t d = rank - 1; d >= 0; --d) {
    // A dimension with a single block never moves the index.
    g.paramStrides[d] = paramShape[d] == 1 ? 0 : stride;
    stride *= paramShape[d];
  }
  for (const APFloat &s : scales.getValues<APFloat>())
    g.scales.push_back(expressedScale(s.convertToDouble(), g.expressed));
  // Zero points are held in the storage width; an unsigned storage type's
  // codes above the signed range read back negative unless zero-extended.
  for (const APInt &z : zps.getValues<APInt>())
    g.zeroPoints.push_back(static_cast<int32_t>(
        q.isSigned() ? z.getSExtValue() : z.getZExtValue()));
  if (g.zeroPoints.size() == 1 && g.scales.size() > 1)
    g.zeroPoints.assign(g.scales.size(), g.zeroPoints.front());
  return g;
}

//===----------------------------------------------------------------------===//
// Quantize / dequantize tensors
//===----------------------------------------------------------------------===//

/// Rows per parallel task so that each task handles roughly 64K elements.
static int64_t rowGrain(const QuantGrid &g) {
  return std::max<int64_t>(1, (int64_t(1) << 16) /
                                  std::max<int64_t>(g.rowLength(), 1));
}

void kb::quantizeTensor(const Tensor &in, const QuantGrid &grid, Tensor &out,
                        ThreadPool *pool) {
  int64_t len = grid.rowLength();
  dispatchInt(out.dtype(), [&](auto tag) {
    using I = decltype(tag);
    I *o = out.data<I>();
    parallelFor(pool, grid.numRows(), rowGrain(grid),
                [&](int64_t b, int64_t e) {
                  std::vector<float> row(len);
                  for (int64_t r = b; r < e; ++r) {
                    loadAs<float>(in, r * len, (r + 1) * len, row.data());
                    grid.forEachRun(r, [&](int64_t s, int64_t t, int64_t p) {
                      float scale = grid.scales[p];
                      int32_t zp = grid.zeroPoints[p];
                      for (int64_t i = s; i < t; ++i)
                        o[i] = static_cast<I>(numerics::quantize(
                            row[i - r * len], scale, zp, grid.qmin, grid.qmax));
                    });
                  }
                });
  });
}

void kb::dequantizeTensor(const Tensor &q, const QuantGrid &grid, Tensor &out,
                          ThreadPool *pool) {
  int64_t len = grid.rowLength();
  dispatchInt(q.dtype(), [&](auto tag) {
    using I = decltype(tag);
    const I *src = q.data<I>();
    parallelFor(pool, grid.numRows(), rowGrain(grid),
                [&](int64_t b, int64_t e) {
                  std::vector<float> row(len);
                  for (int64_t r = b; r < e; ++r) {
                    grid.forEachRun(r, [&](int64_t s, int64_t t, int64_t p) {
                      float scale = grid.scales[p];
                      int32_t zp = grid.zeroPoints[p];
                      for (int64_t i = s; i < t; ++i)
                        row[i - r * len] = numerics::dequantize(
                            static_cast<int32_t>(src[i]), scale, zp);
                    });
                    storeAs<float>(row.data(), r * len, (r + 1) * len, out);
                  }
                });
  });
}

Tensor kb::dequantized(const Tensor &q, const QuantGrid &grid,
                       ThreadPool *pool) {
  Tensor out(grid.expressed, q.shape());
  dequantizeTensor(q, grid, out, pool);
  return out;
}

std::vector<int32_t> kb::centeredCodes(const Tensor &q, const QuantGrid &grid,
                                       ThreadPool *pool) {
  std::vector<int32_t> out(q.numElements());
  dispatchInt(q.dtype(), [&](auto tag) {
    using I = decltype(tag);
    const I *src = q.data<I>();
    parallelFor(
        pool, grid.numRows(), rowGrain(grid), [&](int64_t b, int64_t e) {
          for (int64_t r = b; r < e; ++r)
            grid.forEachRun(r, [&](int64_t s, int64_t t, int64_t p) {
              int64_t zp = grid.zeroPoints[p];
              for (int64_t i = s; i < t; ++i)
                out[i] = static_cast<int32_t>(
                    static_cast<uint32_t>(static_cast<int64_t>(src[i]) - zp));
            });
        });
  });
  return out;
}

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

static Type elementTypeOf(Value v) { return getElementTypeOrSelf(v.getType()); }

static LogicalResult qcastKernel(Operation *op, ArrayRef<Tensor> operands,
                                 MutableArrayRef<Tensor> results,
                                 KernelContext &ctx) {
  QuantGrid grid =
      getQuantGrid(elementTypeOf(op->getResult(0)), results[0].shape());
  quantizeTensor(operands[0], grid, results[0], ctx.pool);
  return success();
}

static LogicalResult dcastKernel(Operation *op, ArrayRef<Tensor> operands,
                                 MutableArrayRef<Tensor> results,
                                 KernelContext &ctx) {
  QuantGrid grid =
      getQuantGrid(elementTypeOf(op->getOperand(0)), operands[0].shape());
  dequantizeTensor(operands[0], grid, results[0], ctx.pool);
  return success();
}

/// Width and signedness of the integers an integer or quantized element type
/// stores.
static std::pair<unsigned, bool> storageBits(Type t) {
  if (auto q = dyn_cast<quant::QuantizedType>(t))
    return {q.getStorageTypeIntegralWidth(), q.isSigned()};
  auto i = cast<IntegerType>(t);
  return {i.getWidth(), !i.isUnsigned()};
}

static LogicalResult scastKernel(Operation *op, ArrayRef<Tensor> operands,
                                 MutableArrayRef<Tensor> results,
                                 KernelContext &ctx) {
  const Tensor &in = operands[0];
  Tensor &out = results[0];
  // Same host dtype: the bits are already right, share the storage.
  if (in.dtype() == out.dtype()) {
    out = in.reshaped(out.shape());
    return success();
  }
  // Otherwise the host widening differs (e.g. signless i4, held
  // sign-extended, viewed as u4 storage, held zero-extended): keep the low
  // `width` bits and re-extend them as the destination says.
  unsigned inWidth = storageBits(elementTypeOf(op->getOperand(0))).first;
  std::pair<unsigned, bool> outBits =
      storageBits(elementTypeOf(op->getResult(0)));
  unsigned outWidth = outBits.first;
  bool outSigned = outBits.second;
  unsigned width = std::min(inWidth, outWidth);
  uint64_t mask = width >= 64 ? ~uint64_t(0) : (uint64_t(1) << width) - 1;
  int64_t n = in.numElements();
  parallelFor(ctx.pool, n, 1 << 16, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      uint64_t bits = static_cast<uint64_t>(loadInt(in, i)) & mask;
      int64_t v = static_cast<int64_t>(bits);
      if (outSigned && width < 64 && (bits >> (width - 1)) & 1)
        v = static_cast<int64_t>(bits | ~mask);
      storeInt(out, i, v);
    }
  });
  return success();
}

static LogicalResult fakeQuantKernel(Operation *op, ArrayRef<Tensor> operands,
                                     MutableArrayRef<Tensor> results,
                                     KernelContext &ctx) {
  auto fq = cast<FakeQuantOp>(op);
  QuantGrid grid = getQuantGrid(fq.getQuantType(), operands[0].shape());
  // Quantize into the storage integers, then dequantize them: exactly
  // quant.qcast followed by quant.dcast, which is what
  // qc-expand-fake-quant rewrites this op into.
  Tensor codes(grid.storage, operands[0].shape());
  quantizeTensor(operands[0], grid, codes, ctx.pool);
  dequantizeTensor(codes, grid, results[0], ctx.pool);
  return success();
}

void exec::registerQuantKernels(KernelRegistry &registry) {
  registry.add("quant.qcast", qcastKernel);
  registry.add("quant.dcast", dcastKernel);
  registry.add("quant.scast", scastKernel);
  registry.add("qc.fake_quant", fakeQuantKernel);
}

//===----------------------------------------------------------------------===//
// Public helpers (include/qc/Executor/QuantTensor.h)
//===----------------------------------------------------------------------===//

QuantParams qc::getQuantParams(Type quantType, ArrayRef<int64_t> shape) {
  QuantGrid grid = getQuantGrid(quantType, shape);
  QuantParams p;
  p.scales.assign(grid.scales.begin(), grid.scales.end());
  p.zeroPoints.assign(grid.zeroPoints.begin(), grid.zeroPoints.end());
  p.qmin = grid.qmin;
  p.qmax = grid.qmax;
  p.index.resize(grid.numRows() * grid.rowLength());
  for (int64_t row = 0, rows = grid.numRows(); row < rows; ++row)
    grid.forEachRun(row, [&](int64_t begin, int64_t end, int64_t param) {
      std::fill(p.index.begin() + begin, p.index.begin() + end,
                static_cast<int32_t>(param));
    });
  return p;
}

Tensor qc::quantizeTensor(const Tensor &in, Type quantType) {
  QuantGrid grid = getQuantGrid(quantType, in.shape());
  Tensor codes(grid.storage, in.shape());
  kb::quantizeTensor(in, grid, codes, nullptr);
  return codes;
}

Tensor qc::dequantizeTensor(const Tensor &codes, Type quantType) {
  QuantGrid grid = getQuantGrid(quantType, codes.shape());
  return kb::dequantized(codes, grid, nullptr);
}

Tensor qc::fakeQuantizeTensor(const Tensor &in, Type quantType) {
  QuantGrid grid = getQuantGrid(quantType, in.shape());
  Tensor codes(grid.storage, in.shape());
  kb::quantizeTensor(in, grid, codes, nullptr);
  Tensor out(in.dtype(), in.shape());
  kb::dequantizeTensor(codes, grid, out, nullptr);
  return out;
}
