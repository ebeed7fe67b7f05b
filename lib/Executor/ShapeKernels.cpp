//===- ShapeKernels.cpp - data movement and resampling kernels ------------===//
//
// Part of quantc. Kernels of the shape family (QCShapeOps.td). Data movement
// only depends on the element size, so quantized tensors move their stored
// integers unchanged; the exceptions are the pad value (quantized with the
// tensor's parameters) and linear/cubic resize (interpolated on real values
// and requantized).
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "KernelsAHelpers.h"

#include "qc/Dialect/QC/IR/QCOps.h"

#include "qc/Executor/Resize.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::exec;
using namespace mlir::qc::exec::ka;

namespace {

LogicalResult reshapeKernel(Operation *, ArrayRef<Tensor> operands,
                            MutableArrayRef<Tensor> results, KernelContext &) {
  // Same row-major order: share the operand's storage.
  SmallVector<int64_t> shape(results[0].shape());
  results[0] = operands[0].reshaped(shape);
  return success();
}

LogicalResult transposeKernel(Operation *op, ArrayRef<Tensor> operands,
                              MutableArrayRef<Tensor> results,
                              KernelContext &ctx) {
  ArrayRef<int64_t> perm = cast<TransposeOp>(op).getPerm();
  const Tensor &in = operands[0];
  auto inStrides = rowMajorStrides(in.shape());
  StridedIter<1> it;
  it.shape.assign(results[0].shape().begin(), results[0].shape().end());
  for (int64_t p : perm)
    it.strides[0].push_back(inStrides[p]);
  it.collapse();
  stridedCopy(it, in, results[0], ctx.pool);
  return success();
}

LogicalResult sliceKernel(Operation *op, ArrayRef<Tensor> operands,
                          MutableArrayRef<Tensor> results, KernelContext &ctx) {
  auto slice = cast<SliceOp>(op);
  const Tensor &in = operands[0];
  if (results[0].numElements() == 0)
    return success();
  auto inStrides = rowMajorStrides(in.shape());
  StridedIter<1> it;
  it.shape.assign(results[0].shape().begin(), results[0].shape().end());
  for (auto [d, off, step] :
       llvm::enumerate(slice.getOffsets(), slice.getStrides())) {
    it.base[0] += off * inStrides[d];
    it.strides[0].push_back(step * inStrides[d]);
  }
  it.collapse();
  stridedCopy(it, in, results[0], ctx.pool);
  return success();
}

LogicalResult expandKernel(Operation *, ArrayRef<Tensor> operands,
                           MutableArrayRef<Tensor> results,
                           KernelContext &ctx) {
  StridedIter<1> it;
  it.shape.assign(results[0].shape().begin(), results[0].shape().end());
  it.strides[0] = broadcastStrides(operands[0].shape(), results[0].shape());
  it.collapse();
  stridedCopy(it, operands[0], results[0], ctx.pool);
  return success();
}

/// Copies `rows` rows: row r of `src` (rowBytes long, srcPitch apart) to
/// `dst` (dstPitch apart). Concat and split are this with different pitches.
void copyRows(ThreadPool *pool, const char *src, int64_t srcPitch, char *dst,
              int64_t dstPitch, int64_t rows, int64_t rowBytes) {
  if (rowBytes == 0)
    return;
  parallelFor(pool, rows, std::max<int64_t>(1, (kGrain * 4) / rowBytes),
              [&](int64_t b, int64_t e) {
                for (int64_t r = b; r < e; ++r)
                  std::memcpy(dst + r * dstPitch, src + r * srcPitch, rowBytes);
              });
}

LogicalResult concatKernel(Operation *op, ArrayRef<Tensor> operands,
                           MutableArrayRef<Tensor> results,
                           KernelContext &ctx) {
  int64_t axis = static_cast<int64_t>(cast<ConcatOp>(op).getAxis());
  Tensor &out = results[0];
  size_t esize = dtypeSize(out.dtype());
  int64_t outer = product(out.shape().take_front(axis));
  int64_t inner = product(out.shape().drop_front(axis + 1)) * esize;
  int64_t dstPitch = out.shape()[axis] * inner;
  int64_t offset = 0;
  for (const Tensor &in : operands) {
    int64_t rowBytes = in.shape()[axis] * inner;
    copyRows(ctx.pool, static_cast<const char *>(in.raw()), rowBytes,
             static_cast<char *>(out.raw()) + offset, dstPitch, outer,
             rowBytes);
    offset += rowBytes;
  }
  return success();
}

LogicalResult splitKernel(Operation *op, ArrayRef<Tensor> operands,
                          MutableArrayRef<Tensor> results, KernelContext &ctx) {
  int64_t axis = static_cast<int64_t>(cast<SplitOp>(op).getAxis());
  const Tensor &in = operands[0];
  size_t esize = dtypeSize(in.dtype());
  int64_t outer = product(in.shape().take_front(axis));
  int64_t inner = product(in.shape().drop_front(axis + 1)) * esize;
  int64_t srcPitch = in.shape()[axis] * inner;
  int64_t offset = 0;
  for (Tensor &out : results) {
    int64_t rowBytes = out.shape()[axis] * inner;
    copyRows(ctx.pool, static_cast<const char *>(in.raw()) + offset, srcPitch,
             static_cast<char *>(out.raw()), rowBytes, outer, rowBytes);
    offset += rowBytes;
  }
  return success();
}

LogicalResult gatherKernel(Operation *op, ArrayRef<Tensor> operands,
                           MutableArrayRef<Tensor> results,
                           KernelContext &ctx) {
  int64_t axis = static_cast<int64_t>(cast<GatherOp>(op).getAxis());
  const Tensor &data = operands[0], &indices = operands[1];
  Tensor &out = results[0];
  int64_t axisLen = data.shape()[axis];
  int64_t outer = product(data.shape().take_front(axis));
  size_t esize = dtypeSize(data.dtype());
  int64_t innerBytes = product(data.shape().drop_front(axis + 1)) * esize;
  int64_t numIdx = indices.numElements();

  // Normalise and check every index before moving anything: an index out of
  // range is a run-time error (undefined in ONNX).
  std::vector<int64_t> idx(numIdx);
  for (int64_t j = 0; j < numIdx; ++j) {
    int64_t i = indices.dtype() == DType::I32
                    ? static_cast<int64_t>(indices.data<int32_t>()[j])
                    : indices.data<int64_t>()[j];
    if (i < -axisLen || i >= axisLen)
      return fail(ctx, "index " + std::to_string(i) + " is out of range [" +
                           std::to_string(-axisLen) + ", " +
                           std::to_string(axisLen) + ") along axis " +
                           std::to_string(axis) + " of " + data.describe());
    idx[j] = i < 0 ? i + axisLen : i;
  }
  const char *src = static_cast<const char *>(data.raw());
  char *dst = static_cast<char *>(out.raw());
  if (innerBytes == 0)
    return success();
  parallelFor(ctx.pool, outer * numIdx,
              std::max<int64_t>(1, (kGrain * 4) / innerBytes),
              [&](int64_t b, int64_t e) {
                for (int64_t r = b; r < e; ++r) {
                  int64_t o = r / numIdx, j = r % numIdx;
                  std::memcpy(dst + r * innerBytes,
                              src + (o * axisLen + idx[j]) * innerBytes,
                              innerBytes);
                }
              });
  return success();
}

LogicalResult tileKernel(Operation *, ArrayRef<Tensor> operands,
                         MutableArrayRef<Tensor> results, KernelContext &ctx) {
  const Tensor &in = operands[0];
  Tensor &out = results[0];
  auto strides = rowMajorStrides(in.shape());
  std::vector<std::vector<int64_t>> tables(out.rank());
  for (int64_t d = 0; d < out.rank(); ++d)
    for (int64_t i = 0; i < out.shape()[d]; ++i)
      tables[d].push_back((i % in.shape()[d]) * strides[d]);
  tableCopy(in, out, tables, nullptr, ctx.pool);
  return success();
}

//===----------------------------------------------------------------------===//
// Pad
//===----------------------------------------------------------------------===//

/// Source index of padded position `j` (relative to the input start) of a
/// dimension of size `n`, or -1 for the constant value.
int64_t padSource(int64_t j, int64_t n, PadMode mode) {
  if (j >= 0 && j < n)
    return j;
  switch (mode) {
  case PadMode::Constant:
    return -1;
  case PadMode::Edge:
    return j < 0 ? 0 : n - 1;
  case PadMode::Wrap:
    return ((j % n) + n) % n;
  case PadMode::Reflect: {
    if (n == 1)
      return 0;
    // Mirroring without repeating the border is periodic in 2n - 2.
    int64_t period = 2 * n - 2;
    int64_t m = ((j % period) + period) % period;
    return m < n ? m : period - m;
  }
  }
  return -1;
}

/// The stored pad element of `value`: quantized with the tensor's
/// parameters for a per-tensor quantized tensor, else converted.
uint64_t padFillBits(double value, DType dtype, const QParams *q) {
  uint64_t bits = 0;
  KernelContext dummy;
  (void)dispatch<kAllTypes>(dtype, dummy, [&](auto e) {
    using E = decltype(e);
    typename E::Storage s;
    if constexpr (isIntElt<E>())
      s = q ? static_cast<typename E::Storage>(
                  q->quantize(static_cast<float>(value)))
            : static_cast<typename E::Storage>(value);
    else
      s = E::store(static_cast<typename E::Compute>(value));
    std::memcpy(&bits, &s, sizeof(s));
    return success();
  });
  return bits;
}

LogicalResult padKernel(Operation *op, ArrayRef<Tensor> operands,
                        MutableArrayRef<Tensor> results, KernelContext &ctx) {
  auto pad = cast<PadOp>(op);
  const Tensor &in = operands[0];
  Tensor &out = results[0];
  ArrayRef<int64_t> pads = pad.getPads();
  PadMode mode = pad.getMode();
  double value = pad.getValue().convertToDouble();
  int64_t rank = in.rank();
  auto strides = rowMajorStrides(in.shape());
  std::vector<std::vector<int64_t>> tables(rank);
  for (int64_t d = 0; d < rank; ++d) {
    int64_t n = in.shape()[d], begin = pads[d];
    for (int64_t i = 0; i < out.shape()[d]; ++i) {
      int64_t s = padSource(i - begin, n, mode);
      tables[d].push_back(s < 0 ? kFillIndex : s * strides[d]);
    }
  }
  std::optional<TensorQuant> tq;
  Type elt = elementTypeOf(op->getOperand(0));
  if (isa<quant::QuantizedType>(elt)) {
    tq = getTensorQuant(elt);
    if (!tq)
      return fail(ctx, "sub-channel quantized pad is not supported");
  }
  uint64_t fill = padFillBits(value, out.dtype(), tq ? &tq->groups[0] : nullptr);
  tableCopy(in, out, tables, &fill, ctx.pool);
  if (tq && tq->axis >= 0 && mode == PadMode::Constant) {
    // Per-axis: every channel pads with its own quantized value. Rewrite
    // the padded positions (those with a fill entry in some table).
    int64_t axis = tq->axis;
    auto outStrides = rowMajorStrides(out.shape());
    std::vector<uint64_t> fills;
    for (const QParams &p : tq->groups)
      fills.push_back(padFillBits(value, out.dtype(), &p));
    size_t esize = dtypeSize(out.dtype());
    char *dst = static_cast<char *>(out.raw());
    for (int64_t i = 0, n = out.numElements(); i < n; ++i) {
      bool filled = false;
      for (int64_t d = 0; d < rank && !filled; ++d)
        filled = tables[d][(i / outStrides[d]) % out.shape()[d]] == kFillIndex;
      if (filled)
        std::memcpy(dst + i * esize,
                    &fills[(i / outStrides[axis]) % out.shape()[axis]], esize);
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Resize
//===----------------------------------------------------------------------===//

} // namespace

namespace mlir::qc::resize {

/// The input coordinate of output coordinate `x` (QCShapeOps.td).
double sourceCoord(double x, const ResizeDim &dim, CoordinateMode mode) {
  double s = dim.scale;
  switch (mode) {
  case CoordinateMode::HalfPixel:
    return (x + 0.5) / s - 0.5;
  case CoordinateMode::HalfPixelSymmetric: {
    double adjustment = static_cast<double>(dim.out) / (s * dim.in);
    double center = dim.in / 2.0;
    return center * (1.0 - adjustment) + (x + 0.5) / s - 0.5;
  }
  case CoordinateMode::PytorchHalfPixel:
    return dim.out > 1 ? (x + 0.5) / s - 0.5 : 0.0;
  case CoordinateMode::AlignCorners:
    return dim.out > 1 ? x * static_cast<double>(dim.in - 1) / (dim.out - 1)
                       : 0.0;
  case CoordinateMode::Asymmetric:
    return x / s;
  }
  return x;
}

int64_t nearestIndex(double x, NearestMode mode, int64_t in) {
  double r = std::floor(x);
  switch (mode) {
  case NearestMode::RoundPreferFloor: r = std::ceil(x - 0.5); break;
  case NearestMode::RoundPreferCeil: r = std::floor(x + 0.5); break;
  case NearestMode::Floor: r = std::floor(x); break;
  case NearestMode::Ceil: r = std::ceil(x); break;
  }
  return static_cast<int64_t>(std::min<double>(std::max(r, 0.0), in - 1));
}


Taps linearTaps(double x, int64_t in) {
  x = std::min(std::max(x, 0.0), static_cast<double>(in - 1));
  int64_t x0 = static_cast<int64_t>(std::floor(x));
  double t = x - x0;
  Taps taps;
  taps.count = 2;
  taps.index[0] = x0;
  taps.index[1] = std::min(x0 + 1, in - 1);
  taps.weight[0] = 1.0 - t;
  taps.weight[1] = t;
  return taps;
}

/// Keys' cubic kernel with parameter `a` at distance |d|.
static double cubicWeight(double d, double a) {
  d = std::fabs(d);
  if (d <= 1.0)
    return ((a + 2.0) * d - (a + 3.0)) * d * d + 1.0;
  if (d < 2.0)
    return ((a * d - 5.0 * a) * d + 8.0 * a) * d - 4.0 * a;
  return 0.0;
}

Taps cubicTaps(double x, int64_t in, double a, bool excludeOutside) {
  int64_t x0 = static_cast<int64_t>(std::floor(x));
  double t = x - x0;
  Taps taps;
  taps.count = 4;
  double sum = 0.0;
  for (int k = 0; k < 4; ++k) {
    int64_t i = x0 - 1 + k;
    double w = cubicWeight(t - (k - 1), a);
    bool outside = i < 0 || i >= in;
    if (outside && excludeOutside)
      w = 0.0;
    taps.index[k] = std::min<int64_t>(std::max<int64_t>(i, 0), in - 1);
    taps.weight[k] = w;
    sum += w;
  }
  if (excludeOutside && sum != 0.0)
    for (double &w : taps.weight)
      w /= sum;
  return taps;
}

} // namespace mlir::qc::resize

namespace {
using namespace mlir::qc::resize;

/// One separable pass along `axis` of a row-major double buffer.
std::vector<double> resamplePass(ThreadPool *pool,
                                 const std::vector<double> &src,
                                 ArrayRef<int64_t> shape, int64_t axis,
                                 ArrayRef<Taps> taps) {
  int64_t outer = product(shape.take_front(axis));
  int64_t inLen = shape[axis];
  int64_t inner = product(shape.drop_front(axis + 1));
  int64_t outLen = taps.size();
  std::vector<double> dst(outer * outLen * inner);
  parallelFor(pool, outer * outLen, std::max<int64_t>(1, kGrain / inner),
              [&](int64_t b, int64_t e) {
                for (int64_t r = b; r < e; ++r) {
                  int64_t o = r / outLen, x = r % outLen;
                  const Taps &t = taps[x];
                  double *d = dst.data() + r * inner;
                  for (int k = 0; k < t.count; ++k) {
                    const double *s =
                        src.data() + (o * inLen + t.index[k]) * inner;
                    double w = t.weight[k];
                    for (int64_t i = 0; i < inner; ++i)
                      d[i] += w * s[i];
                  }
                }
              });
  return dst;
}

LogicalResult resizeKernel(Operation *op, ArrayRef<Tensor> operands,
                           MutableArrayRef<Tensor> results,
                           KernelContext &ctx) {
  auto resize = cast<ResizeOp>(op);
  const Tensor &in = operands[0];
  Tensor &out = results[0];
  int64_t rank = in.rank();
  std::optional<ArrayRef<double>> scales = resize.getScales();
  std::vector<ResizeDim> dims;
  for (int64_t d = 0; d < rank; ++d) {
    ResizeDim dim{in.shape()[d], out.shape()[d], 0.0};
    dim.scale = scales ? (*scales)[d]
                       : static_cast<double>(dim.out) / static_cast<double>(dim.in);
    dims.push_back(dim);
  }
  CoordinateMode coordMode = resize.getCoordinateMode();
  // At scale 1 every coordinate mode maps x to x and every kernel is exact
  // at whole coordinates: such dimensions need no pass.
  auto isIdentity = [](const ResizeDim &d) {
    return d.in == d.out && d.scale == 1.0;
  };

  if (resize.getMode() == ResizeMode::Nearest) {
    auto strides = rowMajorStrides(in.shape());
    std::vector<std::vector<int64_t>> tables(rank);
    for (int64_t d = 0; d < rank; ++d)
      for (int64_t x = 0; x < dims[d].out; ++x) {
        int64_t i = isIdentity(dims[d])
                        ? x
                        : nearestIndex(sourceCoord(x, dims[d], coordMode),
                                       resize.getNearestMode(), dims[d].in);
        tables[d].push_back(i * strides[d]);
      }
    tableCopy(in, out, tables, nullptr, ctx.pool);
    return success();
  }

  // Linear and cubic interpolate real values in double, one dimension after
  // another.
  Type elt = elementTypeOf(op->getOperand(0));
  std::optional<TensorQuant> tq;
  std::vector<double> buf;
  if (isa<quant::QuantizedType>(elt)) {
    tq = getTensorQuant(elt);
    if (!tq)
      return fail(ctx, "sub-channel quantized resize is not supported");
    std::vector<float> real = dequantizeTensor(in, *tq);
    buf.assign(real.begin(), real.end());
  } else if (isFloatDType(in.dtype())) {
    buf = loadAsDouble(in);
  } else {
    return fail(ctx, "linear and cubic resize need a float or quantized "
                     "tensor, got " + in.describe());
  }
  bool cubic = resize.getMode() == ResizeMode::Cubic;
  double a = resize.getCubicCoeffA().convertToDouble();
  bool excludeOutside = resize.getExcludeOutside();
  SmallVector<int64_t> shape(in.shape());
  for (int64_t d = 0; d < rank; ++d) {
    if (isIdentity(dims[d]))
      continue;
    std::vector<Taps> taps;
    for (int64_t x = 0; x < dims[d].out; ++x) {
      double src = sourceCoord(x, dims[d], coordMode);
      taps.push_back(cubic ? cubicTaps(src, dims[d].in, a, excludeOutside)
                           : linearTaps(src, dims[d].in));
    }
    buf = resamplePass(ctx.pool, buf, shape, d, taps);
    shape[d] = dims[d].out;
  }

  if (tq) {
    std::vector<float> real(buf.begin(), buf.end());
    quantizeTensor(real.data(), out, *tq);
    return success();
  }
  return dispatch<kFloats>(out.dtype(), ctx, [&](auto e) {
    using E = decltype(e);
    auto *y = out.data<typename E::Storage>();
    for (size_t i = 0; i < buf.size(); ++i)
      y[i] = E::store(static_cast<typename E::Compute>(buf[i]));
    return success();
  });
}

} // namespace

void exec::registerShapeKernels(KernelRegistry &registry) {
  registry.add("qc.reshape", reshapeKernel);
  registry.add("qc.transpose", transposeKernel);
  registry.add("qc.concat", concatKernel);
  registry.add("qc.slice", sliceKernel);
  registry.add("qc.gather", gatherKernel);
  registry.add("qc.pad", padKernel);
  registry.add("qc.resize", resizeKernel);
  registry.add("qc.expand", expandKernel);
  registry.add("qc.tile", tileKernel);
  registry.add("qc.split", splitKernel);
}
