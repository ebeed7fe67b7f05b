//===- NNKernels.cpp - softmax, normalisation, reduction, pooling ---------===//
//
// Part of quantc. Kernels of the NN family (QCNNOps.td) with ONNX float
// semantics. Sums (softmax denominators, normalisation statistics, float
// reductions) accumulate in double so that results do not depend on the
// summation order beyond the final rounding; half and bfloat16 compute in
// float. Quantized inputs: max pooling and arg_max/arg_min compare stored
// integers, average pooling dequantizes, averages in float and requantizes.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "KernelsAHelpers.h"

#include "qc/Dialect/QC/IR/QCOps.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::exec;
using namespace mlir::qc::exec::ka;

namespace {

/// Sizes around one axis: `outer` slices of `len` elements, `inner` apart.
struct AxisSplit {
  int64_t outer, len, inner;
};

AxisSplit splitAt(ArrayRef<int64_t> shape, int64_t axis) {
  return {product(shape.take_front(axis)), shape[axis],
          product(shape.drop_front(axis + 1))};
}

/// `t` broadcast (NumPy rules) to `shape`, as doubles.
std::vector<double> expandToDouble(const Tensor &t, ArrayRef<int64_t> shape) {
  std::vector<double> values = loadAsDouble(t);
  std::vector<double> out(product(shape));
  StridedIter<1> it;
  it.shape.assign(shape.begin(), shape.end());
  it.strides[0] = broadcastStrides(t.shape(), shape);
  it.collapse();
  it.forRange(0, out.size(), [&](int64_t o, int64_t n, auto offs, auto inner) {
    for (int64_t i = 0; i < n; ++i)
      out[o + i] = values[offs[0] + i * inner[0]];
  });
  return out;
}

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

LogicalResult softmaxKernel(Operation *op, ArrayRef<Tensor> operands,
                            MutableArrayRef<Tensor> results, KernelContext &ctx,
                            bool isLog) {
  const Tensor &in = operands[0];
  Tensor &out = results[0];
  int64_t axis = isLog ? cast<LogSoftmaxOp>(op).getNormalizedAxis()
                       : cast<SoftmaxOp>(op).getNormalizedAxis();
  AxisSplit s = splitAt(in.shape(), axis);
  return dispatch<kFloats>(in.dtype(), ctx, [&](auto e) {
    using E = decltype(e);
    using C = typename E::Compute;
    const auto *x = in.data<typename E::Storage>();
    auto *y = out.data<typename E::Storage>();
    parallelFor(ctx.pool, s.outer * s.inner,
                std::max<int64_t>(1, kGrain / std::max<int64_t>(s.len, 1)),
                [&](int64_t b, int64_t end) {
                  std::vector<C> v(s.len);
                  for (int64_t r = b; r < end; ++r) {
                    int64_t base = (r / s.inner) * s.len * s.inner + r % s.inner;
                    C m = -std::numeric_limits<C>::infinity();
                    for (int64_t k = 0; k < s.len; ++k) {
                      v[k] = E::load(x[base + k * s.inner]);
                      m = v[k] > m ? v[k] : m;
                    }
                    double sum = 0.0;
                    for (int64_t k = 0; k < s.len; ++k)
                      sum += static_cast<double>(std::exp(v[k] - m));
                    if (isLog) {
                      C logSum = static_cast<C>(std::log(sum));
                      for (int64_t k = 0; k < s.len; ++k)
                        y[base + k * s.inner] = E::store((v[k] - m) - logSum);
                    } else {
                      for (int64_t k = 0; k < s.len; ++k)
                        y[base + k * s.inner] = E::store(static_cast<C>(
                            static_cast<double>(std::exp(v[k] - m)) / sum));
                    }
                  }
                });
    return success();
  });
}

//===----------------------------------------------------------------------===//
// Normalisation
//===----------------------------------------------------------------------===//

/// Normalises `rows` contiguous rows of `n` elements. `stats(row values)`
/// returns {shift, multiplier}; element k of row r becomes
/// (x - shift) * multiplier * scale[k or channel] + bias[...].
template <typename StatsFn>
LogicalResult normalizeRows(KernelContext &ctx, const Tensor &in, Tensor &out,
                            int64_t rows, int64_t n, StatsFn stats,
                            const std::vector<double> &scale,
                            const std::vector<double> &bias,
                            int64_t channels) {
  // With `channels` > 0, scale/bias hold one value per channel and row r is
  // channel r % channels (instance norm); otherwise one value per element.
  return dispatch<kFloats>(in.dtype(), ctx, [&](auto e) {
    using E = decltype(e);
    const auto *x = in.data<typename E::Storage>();
    auto *y = out.data<typename E::Storage>();
    parallelFor(ctx.pool, rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(n, 1)),
                [&](int64_t b, int64_t end) {
                  std::vector<double> v(n);
                  for (int64_t r = b; r < end; ++r) {
                    for (int64_t k = 0; k < n; ++k)
                      v[k] = E::load(x[r * n + k]);
                    auto [shift, mult] = stats(v);
                    for (int64_t k = 0; k < n; ++k) {
                      int64_t pi = channels > 0 ? r % channels : k;
                      double s = scale.empty() ? 1.0 : scale[pi];
                      double o = bias.empty() ? 0.0 : bias[pi];
                      y[r * n + k] = E::store(static_cast<typename E::Compute>(
                          (v[k] - shift) * mult * s + o));
                    }
                  }
                });
    return success();
  });
}

/// {mean, 1 / sqrt(biased variance + epsilon)}.
std::pair<double, double> meanVarStats(const std::vector<double> &v,
                                       double epsilon) {
  double n = static_cast<double>(v.size());
  double sum = 0.0;
  for (double x : v)
    sum += x;
  double mean = sum / n;
  double sq = 0.0;
  for (double x : v)
    sq += (x - mean) * (x - mean);
  return {mean, 1.0 / std::sqrt(sq / n + epsilon)};
}

LogicalResult layerNormKernel(Operation *op, ArrayRef<Tensor> operands,
                              MutableArrayRef<Tensor> results,
                              KernelContext &ctx) {
  auto ln = cast<LayerNormOp>(op);
  const Tensor &in = operands[0];
  int64_t axis = ln.getNormalizedAxis();
  double eps = ln.getEpsilon().convertToDouble();
  ArrayRef<int64_t> tail = in.shape().drop_front(axis);
  size_t next = 1;
  std::vector<double> scale, bias;
  if (ln.getScale())
    scale = expandToDouble(operands[next++], tail);
  if (ln.getBias())
    bias = expandToDouble(operands[next++], tail);
  return normalizeRows(
      ctx, in, results[0], product(in.shape().take_front(axis)), product(tail),
      [&](const std::vector<double> &v) { return meanVarStats(v, eps); },
      scale, bias, 0);
}

LogicalResult rmsNormKernel(Operation *op, ArrayRef<Tensor> operands,
                            MutableArrayRef<Tensor> results,
                            KernelContext &ctx) {
  auto rms = cast<RmsNormOp>(op);
  const Tensor &in = operands[0];
  int64_t axis = rms.getNormalizedAxis();
  double eps = rms.getEpsilon().convertToDouble();
  ArrayRef<int64_t> tail = in.shape().drop_front(axis);
  std::vector<double> scale;
  if (rms.getScale())
    scale = expandToDouble(operands[1], tail);
  return normalizeRows(
      ctx, in, results[0], product(in.shape().take_front(axis)), product(tail),
      [&](const std::vector<double> &v) {
        double sq = 0.0;
        for (double x : v)
          sq += x * x;
        return std::make_pair(0.0,
                              1.0 / std::sqrt(sq / v.size() + eps));
      },
      scale, {}, 0);
}

LogicalResult instanceNormKernel(Operation *op, ArrayRef<Tensor> operands,
                                 MutableArrayRef<Tensor> results,
                                 KernelContext &ctx) {
  auto inorm = cast<InstanceNormOp>(op);
  const Tensor &in = operands[0];
  double eps = inorm.getEpsilon().convertToDouble();
  int64_t channels = in.shape()[1];
  return normalizeRows(
      ctx, in, results[0], in.shape()[0] * channels,
      product(in.shape().drop_front(2)),
      [&](const std::vector<double> &v) { return meanVarStats(v, eps); },
      loadAsDouble(operands[1]), loadAsDouble(operands[2]), channels);
}

//===----------------------------------------------------------------------===//
// Reduce
//===----------------------------------------------------------------------===//

/// Reduces the elements visited by `visit(fn)` (fn(value) per element);
/// `count` is their number.
template <typename E, typename Visit>
typename E::Compute reduceSlice(ReduceKind kind, int64_t count, Visit visit) {
  using C = typename E::Compute;
  if constexpr (isFloatElt<E>()) {
    double acc = 0.0;
    switch (kind) {
    case ReduceKind::Sum:
    case ReduceKind::Mean:
    case ReduceKind::LogSum:
      visit([&](C v) { acc += v; });
      if (kind == ReduceKind::Mean)
        acc /= static_cast<double>(count);
      if (kind == ReduceKind::LogSum)
        acc = std::log(acc);
      break;
    case ReduceKind::Prod:
      acc = 1.0;
      visit([&](C v) { acc *= v; });
      break;
    case ReduceKind::L1:
      visit([&](C v) { acc += std::fabs(static_cast<double>(v)); });
      break;
    case ReduceKind::L2:
    case ReduceKind::SumSquare:
      visit([&](C v) { acc += static_cast<double>(v) * v; });
      if (kind == ReduceKind::L2)
        acc = std::sqrt(acc);
      break;
    case ReduceKind::Max:
    case ReduceKind::Min: {
      // NaN propagates, as with NumPy's max/min.
      bool isMax = kind == ReduceKind::Max;
      C m = isMax ? -std::numeric_limits<C>::infinity()
                  : std::numeric_limits<C>::infinity();
      visit([&](C v) {
        if (std::isnan(v) || (isMax ? v > m : v < m))
          m = std::isnan(m) ? m : v;
      });
      return m;
    }
    case ReduceKind::LogSumExp: {
      C m = -std::numeric_limits<C>::infinity();
      visit([&](C v) { m = v > m ? v : m; });
      if (std::isinf(m))
        return count == 0 ? -std::numeric_limits<C>::infinity() : m;
      visit([&](C v) { acc += std::exp(static_cast<double>(v) - m); });
      acc = m + std::log(acc);
      break;
    }
    }
    return static_cast<C>(acc);
  } else {
    // Integers wrap at their width: accumulate modulo 2^64 and truncate.
    uint64_t acc = 0;
    switch (kind) {
    case ReduceKind::Sum:
    case ReduceKind::Mean:
      visit([&](C v) { acc += static_cast<uint64_t>(v); });
      if (kind == ReduceKind::Mean)
        return count == 0 ? C(0)
                          : static_cast<C>(static_cast<int64_t>(static_cast<C>(acc)) /
                                           count);
      break;
    case ReduceKind::Prod:
      acc = 1;
      visit([&](C v) { acc *= static_cast<uint64_t>(v); });
      break;
    case ReduceKind::L1:
      visit([&](C v) {
        acc += v < C(0) ? uint64_t(0) - static_cast<uint64_t>(v)
                        : static_cast<uint64_t>(v);
      });
      break;
    case ReduceKind::SumSquare:
      visit([&](C v) { acc += static_cast<uint64_t>(v) * static_cast<uint64_t>(v); });
      break;
    case ReduceKind::Max: {
      C m = std::numeric_limits<C>::lowest();
      visit([&](C v) { m = v > m ? v : m; });
      return m;
    }
    case ReduceKind::Min: {
      C m = std::numeric_limits<C>::max();
      visit([&](C v) { m = v < m ? v : m; });
      return m;
    }
    default:
      // Float-only kinds; the verifier rejects them on integers.
      return C(0);
    }
    return static_cast<C>(acc);
  }
}

LogicalResult reduceKernel(Operation *op, ArrayRef<Tensor> operands,
                           MutableArrayRef<Tensor> results,
                           KernelContext &ctx) {
  auto reduce = cast<ReduceOp>(op);
  const Tensor &in = operands[0];
  Tensor &out = results[0];
  ReduceKind kind = reduce.getKind();
  ArrayRef<int64_t> axes = reduce.getAxes();
  auto strides = rowMajorStrides(in.shape());
  // Outputs walk the kept dimensions; each output's slice walks the reduced
  // ones, both as strided views of the input.
  StridedIter<1> kept, red;
  for (int64_t d = 0; d < in.rank(); ++d) {
    StridedIter<1> &it = llvm::is_contained(axes, d) ? red : kept;
    it.shape.push_back(in.shape()[d]);
    it.strides[0].push_back(strides[d]);
  }
  int64_t count = red.numElements();
  kept.collapse();
  red.collapse();
  if (!isFloatDType(in.dtype()) && !llvm::is_contained(
      {ReduceKind::Sum, ReduceKind::Mean, ReduceKind::Max, ReduceKind::Min,
       ReduceKind::Prod, ReduceKind::L1, ReduceKind::SumSquare}, kind))
    return fail(ctx, "reduction '" + stringifyReduceKind(kind).str() +
                         "' requires a float element type");
  return dispatch<kFloats | kInts>(in.dtype(), ctx, [&](auto e) {
    using E = decltype(e);
    using C = typename E::Compute;
    const auto *x = in.data<typename E::Storage>();
    auto *y = out.data<typename E::Storage>();
    int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(count, 1));
    kept.run(ctx.pool, grain, [&](int64_t o, int64_t n, auto offs,
                                  auto inner) {
      for (int64_t i = 0; i < n; ++i) {
        const auto *base = x + offs[0] + i * inner[0];
        y[o + i] = E::store(reduceSlice<E>(kind, count, [&](auto fn) {
          red.forRange(0, count, [&](int64_t, int64_t m, auto roffs,
                                     auto rinner) {
            for (int64_t k = 0; k < m; ++k)
              fn(static_cast<C>(E::load(base[roffs[0] + k * rinner[0]])));
          });
        }));
      }
    });
    return success();
  });
}

//===----------------------------------------------------------------------===//
// ArgMax / ArgMin
//===----------------------------------------------------------------------===//

LogicalResult argReduceKernel(Operation *op, ArrayRef<Tensor> operands,
                              MutableArrayRef<Tensor> results,
                              KernelContext &ctx, bool isMax) {
  const Tensor &in = operands[0];
  int64_t axis = isMax ? cast<ArgMaxOp>(op).getNormalizedAxis()
                       : cast<ArgMinOp>(op).getNormalizedAxis();
  bool selectLast = isMax ? cast<ArgMaxOp>(op).getSelectLastIndex()
                          : cast<ArgMinOp>(op).getSelectLastIndex();
  AxisSplit s = splitAt(in.shape(), axis);
  int64_t *y = results[0].data<int64_t>();
  // Quantized inputs arrive as their stored integers, which order like the
  // real values: comparing them directly is exact.
  return dispatch<kAllTypes>(in.dtype(), ctx, [&](auto e) {
    using E = decltype(e);
    using C = typename E::Compute;
    const auto *x = in.data<typename E::Storage>();
    parallelFor(ctx.pool, s.outer * s.inner,
                std::max<int64_t>(1, kGrain / std::max<int64_t>(s.len, 1)),
                [&](int64_t b, int64_t end) {
                  for (int64_t r = b; r < end; ++r) {
                    int64_t base = (r / s.inner) * s.len * s.inner + r % s.inner;
                    int64_t bestIdx = 0;
                    C best = E::load(x[base]);
                    for (int64_t k = 1; k < s.len; ++k) {
                      C v = E::load(x[base + k * s.inner]);
                      bool better;
                      if constexpr (isFloatElt<E>()) {
                        // NaN wins, as in NumPy's argmax/argmin.
                        if (std::isnan(best))
                          better = selectLast && std::isnan(v);
                        else if (std::isnan(v))
                          better = true;
                        else
                          better = isMax ? (selectLast ? v >= best : v > best)
                                         : (selectLast ? v <= best : v < best);
                      } else {
                        better = isMax ? (selectLast ? v >= best : v > best)
                                       : (selectLast ? v <= best : v < best);
                      }
                      if (better) {
                        best = v;
                        bestIdx = k;
                      }
                    }
                    y[r] = bestIdx;
                  }
                });
    return success();
  });
}

//===----------------------------------------------------------------------===//
// Pool2D
//===----------------------------------------------------------------------===//

struct PoolGeometry {
  int64_t n, c, h, w, oh, ow;
  int64_t kh, kw, sh, sw, top, left, bottom, right, dh, dw;
  bool countIncludePad;

  /// Number of taps of one window dimension with coordinates in [lo, hi).
  static int64_t tapsIn(int64_t start, int64_t k, int64_t d, int64_t lo,
                        int64_t hi) {
    int64_t cnt = 0;
    for (int64_t i = 0; i < k; ++i) {
      int64_t p = start + i * d;
      cnt += p >= lo && p < hi;
    }
    return cnt;
  }

  /// Divisor of the average at window origin (y0, x0).
  int64_t divisor(int64_t y0, int64_t x0) const {
    if (countIncludePad)
      return tapsIn(y0, kh, dh, -top, h + bottom) *
             tapsIn(x0, kw, dw, -left, w + right);
    return tapsIn(y0, kh, dh, 0, h) * tapsIn(x0, kw, dw, 0, w);
  }
};

/// Runs `fn(plane, oy, ox, y0, x0, outIndex)` for every output position,
/// split across threads by output row.
template <typename Fn>
void forEachWindow(const PoolGeometry &g, ThreadPool *pool, Fn fn) {
  int64_t rows = g.n * g.c * g.oh;
  parallelFor(pool, rows,
              std::max<int64_t>(1, kGrain / std::max<int64_t>(
                                        g.ow * g.kh * g.kw, 1)),
              [&](int64_t b, int64_t e) {
                for (int64_t r = b; r < e; ++r) {
                  int64_t plane = r / g.oh, oy = r % g.oh;
                  for (int64_t ox = 0; ox < g.ow; ++ox)
                    fn(plane, oy * g.sh - g.top, ox * g.sw - g.left,
                       r * g.ow + ox);
                }
              });
}

/// Calls `tap(index)` for the taps of the window at (y0, x0) that lie inside
/// the input plane.
template <typename Fn>
void forEachTap(const PoolGeometry &g, int64_t plane, int64_t y0, int64_t x0,
                Fn tap) {
  for (int64_t i = 0; i < g.kh; ++i) {
    int64_t y = y0 + i * g.dh;
    if (y < 0 || y >= g.h)
      continue;
    int64_t rowBase = (plane * g.h + y) * g.w;
    for (int64_t j = 0; j < g.kw; ++j) {
      int64_t x = x0 + j * g.dw;
      if (x >= 0 && x < g.w)
        tap(rowBase + x);
    }
  }
}

LogicalResult pool2dKernel(Operation *op, ArrayRef<Tensor> operands,
                           MutableArrayRef<Tensor> results,
                           KernelContext &ctx) {
  auto pool = cast<Pool2DOp>(op);
  const Tensor &in = operands[0];
  Tensor &out = results[0];
  PoolGeometry g;
  g.n = in.shape()[0];
  g.c = in.shape()[1];
  g.h = in.shape()[2];
  g.w = in.shape()[3];
  g.oh = out.shape()[2];
  g.ow = out.shape()[3];
  g.kh = pool.getKernel()[0];
  g.kw = pool.getKernel()[1];
  g.sh = pool.getStrides()[0];
  g.sw = pool.getStrides()[1];
  g.top = pool.getPads()[0];
  g.left = pool.getPads()[1];
  g.bottom = pool.getPads()[2];
  g.right = pool.getPads()[3];
  g.dh = pool.getDilations()[0];
  g.dw = pool.getDilations()[1];
  g.countIncludePad = pool.getCountIncludePad();
  bool isMax = pool.getKind() == PoolKind::Max;

  Type inElt = elementTypeOf(op->getOperand(0));
  if (isa<quant::QuantizedType>(inElt)) {
    std::optional<QParams> qi = getPerTensorQParams(inElt);
    std::optional<QParams> qo = getPerTensorQParams(elementTypeOf(op->getResult(0)));
    if (!qi || !qo)
      return fail(ctx, "quantized pooling needs per-tensor quantized types");
    return dispatch<kInts>(in.dtype(), ctx, [&](auto e) {
      using E = decltype(e);
      using S = typename E::Storage;
      const S *x = in.data<S>();
      // Max keeps the input type; average may change the storage type.
      return dispatch<kInts>(out.dtype(), ctx, [&](auto eo) {
        using SO = typename decltype(eo)::Storage;
        SO *y = out.data<SO>();
        forEachWindow(g, ctx.pool, [&](int64_t plane, int64_t y0, int64_t x0,
                                       int64_t o) {
          if (isMax) {
            int64_t best = std::numeric_limits<int64_t>::min();
            forEachTap(g, plane, y0, x0, [&](int64_t i) {
              best = std::max<int64_t>(best, x[i]);
            });
            y[o] = static_cast<SO>(best);
            return;
          }
          float sum = 0.0f;
          forEachTap(g, plane, y0, x0,
                     [&](int64_t i) { sum += qi->dequantize(x[i]); });
          float avg = sum / static_cast<float>(g.divisor(y0, x0));
          y[o] = static_cast<SO>(qo->quantize(avg));
        });
        return success();
      });
    });
  }

  return dispatch<kFloats>(in.dtype(), ctx, [&](auto e) {
    using E = decltype(e);
    using C = typename E::Compute;
    const auto *x = in.data<typename E::Storage>();
    auto *y = out.data<typename E::Storage>();
    forEachWindow(g, ctx.pool, [&](int64_t plane, int64_t y0, int64_t x0,
                                   int64_t o) {
      if (isMax) {
        C best = -std::numeric_limits<C>::infinity();
        forEachTap(g, plane, y0, x0, [&](int64_t i) {
          C v = E::load(x[i]);
          best = v > best ? v : best;
        });
        y[o] = E::store(best);
        return;
      }
      C sum = 0;
      forEachTap(g, plane, y0, x0, [&](int64_t i) { sum += E::load(x[i]); });
      y[o] = E::store(sum / static_cast<C>(g.divisor(y0, x0)));
    });
    return success();
  });
}

} // namespace

void exec::registerNNKernels(KernelRegistry &registry) {
  registry.add("qc.softmax", [](Operation *op, ArrayRef<Tensor> operands,
                                MutableArrayRef<Tensor> results,
                                KernelContext &ctx) {
    return softmaxKernel(op, operands, results, ctx, /*isLog=*/false);
  });
  registry.add("qc.log_softmax", [](Operation *op, ArrayRef<Tensor> operands,
                                    MutableArrayRef<Tensor> results,
                                    KernelContext &ctx) {
    return softmaxKernel(op, operands, results, ctx, /*isLog=*/true);
  });
  registry.add("qc.layer_norm", layerNormKernel);
  registry.add("qc.rms_norm", rmsNormKernel);
  registry.add("qc.instance_norm", instanceNormKernel);
  registry.add("qc.reduce", reduceKernel);
  registry.add("qc.arg_max", [](Operation *op, ArrayRef<Tensor> operands,
                                MutableArrayRef<Tensor> results,
                                KernelContext &ctx) {
    return argReduceKernel(op, operands, results, ctx, /*isMax=*/true);
  });
  registry.add("qc.arg_min", [](Operation *op, ArrayRef<Tensor> operands,
                                MutableArrayRef<Tensor> results,
                                KernelContext &ctx) {
    return argReduceKernel(op, operands, results, ctx, /*isMax=*/false);
  });
  registry.add("qc.pool2d", pool2dKernel);
}
