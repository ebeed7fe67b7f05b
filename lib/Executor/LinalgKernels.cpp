//===- LinalgKernels.cpp - matmul, linear, conv2d, conv_transpose2d -------===//
//
// Part of quantc. The contractions in their three forms (QCLinalgOps.td):
//
//  - float: f32 and f64 are computed in their own type with Eigen's GEMM;
//    f16 and bf16 are widened to f32, computed in f32 and rounded once at the
//    end, as ONNX Runtime's CPU kernels do.
//  - weight-only: the weight is dequantized (numerics::dequantize, per-tensor,
//    per-axis or sub-channel, rounded to the expressed type) once per call,
//    exactly as quant.dcast would, and the float path runs on it.
//  - integer: exact integer arithmetic, no float until the output stage; see
//    "Integer form" below for the order of operations the code generators
//    must reproduce bit for bit.
//
// Convolutions are im2col + GEMM per (image, group, block of output pixels);
// depthwise convolutions (one input channel per group) use a direct loop,
// where im2col would only copy. Transposed convolutions are GEMM + col2im per
// (image, group, block of output channels), so that concurrent tasks never
// add into the same output element.
//
//===----------------------------------------------------------------------===//

#include "KernelsBCommon.h"
#include "KernelsBGemm.h"
#include "ThreadPool.h"

#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Executor/QuantTensor.h"
#include "qc/Dialect/QC/IR/QCTypeUtils.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/TypeUtilities.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstring>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::exec;
using namespace mlir::qc::exec::kb;

static int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

//===----------------------------------------------------------------------===//
// Arithmetic of the element types
//===----------------------------------------------------------------------===//

namespace {
/// Float types accumulate in themselves. int32 accumulates in uint32 so that
/// overflow wraps (two's complement, docs/Numerics.md section 7) instead of
/// being undefined behaviour; the wrapped sum equals the exact one whenever
/// the exact one fits in int32, in any summation order.
template <typename T> struct Arith {
  using Acc = T;
  static Acc mac(Acc acc, T a, T b) { return acc + a * b; }
  static T add(T a, T b) { return a + b; }
  static T result(Acc a) { return a; }
};
template <> struct Arith<int32_t> {
  using Acc = uint32_t;
  static Acc mac(Acc acc, int32_t a, int32_t b) {
    return acc + static_cast<uint32_t>(a) * static_cast<uint32_t>(b);
  }
  static int32_t add(int32_t a, int32_t b) {
    return static_cast<int32_t>(static_cast<uint32_t>(a) +
                                static_cast<uint32_t>(b));
  }
  static int32_t result(Acc a) { return static_cast<int32_t>(a); }
};
} // namespace

//===----------------------------------------------------------------------===//
// GEMM: C[M, N] = op(A)[M, K] * op(B)[K, N], all row-major with leading
// dimensions; op transposes when asked.
//===----------------------------------------------------------------------===//

template <typename T>
static void gemm(int64_t m, int64_t n, int64_t k, const T *a, int64_t lda,
                 bool transA, const T *b, int64_t ldb, bool transB, T *c,
                 int64_t ldc) {
  eigenGemm<T>(m, n, k, a, lda, transA, b, ldb, transB, c, ldc);
}

/// The integer GEMM, with wrapping int32 accumulation. Plain loops: Eigen's
/// integer products would accumulate in signed int, whose overflow is
/// undefined.
template <>
void gemm<int32_t>(int64_t m, int64_t n, int64_t k, const int32_t *a,
                   int64_t lda, bool transA, const int32_t *b, int64_t ldb,
                   bool transB, int32_t *c, int64_t ldc) {
  auto aAt = [&](int64_t i, int64_t kk) {
    return transA ? a[kk * lda + i] : a[i * lda + kk];
  };
  if (transB) {
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        uint32_t acc = 0;
        const int32_t *bj = b + j * ldb;
        for (int64_t kk = 0; kk < k; ++kk)
          acc = Arith<int32_t>::mac(acc, aAt(i, kk), bj[kk]);
        c[i * ldc + j] = static_cast<int32_t>(acc);
      }
    return;
  }
  std::vector<uint32_t> row(n);
  for (int64_t i = 0; i < m; ++i) {
    std::fill(row.begin(), row.end(), 0u);
    for (int64_t kk = 0; kk < k; ++kk) {
      uint32_t av = static_cast<uint32_t>(aAt(i, kk));
      if (av == 0)
        continue;
      const int32_t *bk = b + kk * ldb;
      for (int64_t j = 0; j < n; ++j)
        row[j] += av * static_cast<uint32_t>(bk[j]);
    }
    for (int64_t j = 0; j < n; ++j)
      c[i * ldc + j] = static_cast<int32_t>(row[j]);
  }
}

//===----------------------------------------------------------------------===//
// Work splitting
//===----------------------------------------------------------------------===//

/// How finely the products are split into tasks. It is a constant, not the
/// pool's size: the blocking decides the order of the float sums inside
/// Eigen's GEMM, and results must not depend on how many threads run.
static constexpr int64_t kTargetTasks = 16;

/// Runs fn over [0, nTasks) on the pool, or inline when the whole job is too
/// small to be worth waking the workers.
static void runTasks(ThreadPool *pool, int64_t nTasks, int64_t workPerTask,
                     const std::function<void(int64_t, int64_t)> &fn) {
  if (nTasks <= 1 || nTasks * workPerTask < (int64_t(1) << 15)) {
    fn(0, nTasks);
    return;
  }
  parallelFor(pool, nTasks, 1, fn);
}

namespace {
/// A split of `batches` independent [M, N] products with reduction K into
/// row and column blocks: rows first (large blocks keep Eigen's GEMM
/// efficient), columns only when there are too few row blocks to keep the
/// threads busy (the decode-time GEMV with M = 1).
struct Tiling {
  int64_t rowBlock, colBlock, rowBlocks, colBlocks;
  int64_t tasksPerBatch() const { return rowBlocks * colBlocks; }
};
} // namespace

static Tiling tileGemm(int64_t batches, int64_t m, int64_t n, int64_t k,
                       ThreadPool *pool) {
  Tiling t;
  int64_t perRow = std::max<int64_t>(1, n * k);
  t.rowBlock = std::max<int64_t>(
      1, std::min(m, std::max<int64_t>(16, ceilDiv(int64_t(1) << 18, perRow))));
  t.rowBlocks = ceilDiv(std::max<int64_t>(m, 1), t.rowBlock);
  t.colBlock = std::max<int64_t>(n, 1);
  int64_t want = kTargetTasks;
  if (batches * t.rowBlocks < want && n >= 128) {
    int64_t cols = ceilDiv(want, batches * t.rowBlocks);
    t.colBlock = std::max<int64_t>(64, ceilDiv(n, cols));
  }
  t.colBlocks = ceilDiv(std::max<int64_t>(n, 1), t.colBlock);
  return t;
}

//===----------------------------------------------------------------------===//
// Geometry
//===----------------------------------------------------------------------===//

namespace {
struct MatmulGeom {
  int64_t m = 0, k = 0, n = 0;
  /// Element offsets of each output batch's lhs and rhs matrices, after
  /// NumPy broadcasting of the batch dimensions.
  SmallVector<int64_t> lhsOffset, rhsOffset;
};

struct ConvGeom {
  int64_t batch, inC, inH, inW, outC, outH, outW, kH, kW;
  int64_t strideH, strideW, padTop, padLeft, dilH, dilW, groups;
  int64_t inCPerGroup() const { return inC / groups; }
  int64_t outCPerGroup() const { return outC / groups; }
};
} // namespace

static MatmulGeom matmulGeom(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs) {
  SmallVector<int64_t> a(lhs), b(rhs);
  if (a.size() == 1)
    a.insert(a.begin(), 1);
  if (b.size() == 1)
    b.push_back(1);
  MatmulGeom g;
  g.m = a[a.size() - 2];
  g.k = a.back();
  g.n = b.back();
  ArrayRef<int64_t> ba = ArrayRef<int64_t>(a).drop_back(2);
  ArrayRef<int64_t> bb = ArrayRef<int64_t>(b).drop_back(2);
  size_t rank = std::max(ba.size(), bb.size());
  // Batch dims right-aligned; a size-1 (or missing) dim has stride 0.
  SmallVector<int64_t> out(rank), strideA(rank, 0), strideB(rank, 0);
  int64_t sa = g.m * g.k, sb = g.k * g.n;
  for (size_t i = 0; i < rank; ++i) {
    size_t d = rank - 1 - i;
    int64_t da = i < ba.size() ? ba[ba.size() - 1 - i] : 1;
    int64_t db = i < bb.size() ? bb[bb.size() - 1 - i] : 1;
    out[d] = da == 1 ? db : da;
    strideA[d] = da == 1 ? 0 : sa;
    strideB[d] = db == 1 ? 0 : sb;
    sa *= da;
    sb *= db;
  }
  int64_t batches = 1;
  for (int64_t d : out)
    batches *= d;
  for (int64_t bi = 0; bi < batches; ++bi) {
    int64_t rem = bi, oa = 0, ob = 0;
    for (int64_t d = static_cast<int64_t>(rank) - 1; d >= 0; --d) {
      int64_t idx = rem % out[d];
      rem /= out[d];
      oa += idx * strideA[d];
      ob += idx * strideB[d];
    }
    g.lhsOffset.push_back(oa);
    g.rhsOffset.push_back(ob);
  }
  return g;
}

template <typename OpT>
static ConvGeom convGeom(OpT op, const Tensor &x, const Tensor &w,
                         const Tensor &y) {
  ConvGeom g;
  g.batch = x.shape()[0];
  g.inC = x.shape()[1];
  g.inH = x.shape()[2];
  g.inW = x.shape()[3];
  g.outC = y.shape()[1];
  g.outH = y.shape()[2];
  g.outW = y.shape()[3];
  g.kH = w.shape()[2];
  g.kW = w.shape()[3];
  g.strideH = op.getStrides()[0];
  g.strideW = op.getStrides()[1];
  g.padTop = op.getPads()[0];
  g.padLeft = op.getPads()[1];
  g.dilH = op.getDilations()[0];
  g.dilW = op.getDilations()[1];
  g.groups = op.getGroups();
  return g;
}

//===----------------------------------------------------------------------===//
// Cores, shared by the float (T = float, double) and integer (T = int32_t,
// on zero-point-corrected codes) forms. `bias` is one value per output
// channel or null.
//===----------------------------------------------------------------------===//

template <typename T>
static void matmulCore(const MatmulGeom &g, const T *a, const T *b, T *c,
                       ThreadPool *pool) {
  int64_t batches = g.lhsOffset.size();
  Tiling t = tileGemm(batches, g.m, g.n, g.k, pool);
  runTasks(pool, batches * t.tasksPerBatch(), t.rowBlock * t.colBlock * g.k,
           [&](int64_t begin, int64_t end) {
             for (int64_t task = begin; task < end; ++task) {
               int64_t bi = task / t.tasksPerBatch();
               int64_t r = task % t.tasksPerBatch();
               int64_t r0 = (r / t.colBlocks) * t.rowBlock;
               int64_t c0 = (r % t.colBlocks) * t.colBlock;
               int64_t rows = std::min(t.rowBlock, g.m - r0);
               int64_t cols = std::min(t.colBlock, g.n - c0);
               if (rows <= 0 || cols <= 0)
                 continue;
               gemm<T>(rows, cols, g.k, a + g.lhsOffset[bi] + r0 * g.k, g.k,
                       false, b + g.rhsOffset[bi] + c0, g.n, false,
                       c + bi * g.m * g.n + r0 * g.n + c0, g.n);
             }
           });
}

/// out[r, n] = sum_k x[r, k] * w[n, k] + bias[n].
template <typename T>
static void linearCore(int64_t rows, int64_t k, int64_t n, const T *x,
                       const T *w, const T *bias, T *out, ThreadPool *pool) {
  Tiling t = tileGemm(1, rows, n, k, pool);
  runTasks(pool, t.tasksPerBatch(), t.rowBlock * t.colBlock * k,
           [&](int64_t begin, int64_t end) {
             for (int64_t task = begin; task < end; ++task) {
               int64_t r0 = (task / t.colBlocks) * t.rowBlock;
               int64_t c0 = (task % t.colBlocks) * t.colBlock;
               int64_t nr = std::min(t.rowBlock, rows - r0);
               int64_t nc = std::min(t.colBlock, n - c0);
               if (nr <= 0 || nc <= 0)
                 continue;
               T *o = out + r0 * n + c0;
               gemm<T>(nr, nc, k, x + r0 * k, k, false, w + c0 * k, k, true, o,
                       n);
               if (bias)
                 for (int64_t i = 0; i < nr; ++i)
                   for (int64_t j = 0; j < nc; ++j)
                     o[i * n + j] = Arith<T>::add(o[i * n + j], bias[c0 + j]);
             }
           });
}

template <typename T>
static void conv2dCore(const ConvGeom &g, const T *x, const T *w, const T *bias,
                       T *out, ThreadPool *pool) {
  int64_t cg = g.inCPerGroup(), og = g.outCPerGroup();
  int64_t pixels = g.outH * g.outW;
  int64_t kk = cg * g.kH * g.kW;
  int64_t inPlane = g.inH * g.inW;

  if (cg == 1) {
    // Depthwise (or any one-channel-per-group) convolution: a direct loop per
    // output channel plane.
    runTasks(pool, g.batch * g.outC, pixels * g.kH * g.kW,
             [&](int64_t begin, int64_t end) {
               for (int64_t task = begin; task < end; ++task) {
                 int64_t n = task / g.outC, o = task % g.outC;
                 int64_t c = o / og;
                 const T *xp = x + (n * g.inC + c) * inPlane;
                 const T *wp = w + o * g.kH * g.kW;
                 T *op = out + (n * g.outC + o) * pixels;
                 for (int64_t y = 0; y < g.outH; ++y)
                   for (int64_t xx = 0; xx < g.outW; ++xx) {
                     typename Arith<T>::Acc acc = 0;
                     for (int64_t i = 0; i < g.kH; ++i) {
                       int64_t iy = y * g.strideH - g.padTop + i * g.dilH;
                       if (iy < 0 || iy >= g.inH)
                         continue;
                       for (int64_t j = 0; j < g.kW; ++j) {
                         int64_t ix = xx * g.strideW - g.padLeft + j * g.dilW;
                         if (ix < 0 || ix >= g.inW)
                           continue;
                         acc = Arith<T>::mac(acc, xp[iy * g.inW + ix],
                                             wp[i * g.kW + j]);
                       }
                     }
                     T v = Arith<T>::result(acc);
                     op[y * g.outW + xx] = bias ? Arith<T>::add(v, bias[o]) : v;
                   }
               }
             });
    return;
  }

  // im2col + GEMM on blocks of output pixels; the column buffer of a block is
  // [cg * kH * kW, block] so that out[o, p] = W_g[o, :] . col[:, p].
  int64_t pBlock = std::min<int64_t>(
      pixels,
      std::max<int64_t>(64, (int64_t(1) << 20) / std::max<int64_t>(kk, 1)));
  int64_t want = kTargetTasks;
  int64_t images = g.batch * g.groups;
  if (images * ceilDiv(pixels, pBlock) < want)
    pBlock = std::min(
        pBlock, std::max<int64_t>(16, ceilDiv(pixels, ceilDiv(want, images))));
  pBlock = std::max<int64_t>(pBlock, 1);
  int64_t blocks = ceilDiv(pixels, pBlock);
  runTasks(pool, images * blocks, pBlock * kk * og,
           [&](int64_t begin, int64_t end) {
             std::vector<T> col;
             for (int64_t task = begin; task < end; ++task) {
               int64_t n = task / (g.groups * blocks);
               int64_t grp = (task / blocks) % g.groups;
               int64_t p0 = (task % blocks) * pBlock;
               int64_t np = std::min(pBlock, pixels - p0);
               col.assign(kk * np, T(0));
               for (int64_t c = 0; c < cg; ++c) {
                 const T *xp = x + (n * g.inC + grp * cg + c) * inPlane;
                 for (int64_t i = 0; i < g.kH; ++i)
                   for (int64_t j = 0; j < g.kW; ++j) {
                     T *row = col.data() + ((c * g.kH + i) * g.kW + j) * np;
                     for (int64_t p = 0; p < np; ++p) {
                       int64_t y = (p0 + p) / g.outW, xx = (p0 + p) % g.outW;
                       int64_t iy = y * g.strideH - g.padTop + i * g.dilH;
                       int64_t ix = xx * g.strideW - g.padLeft + j * g.dilW;
                       if (iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW)
                         row[p] = xp[iy * g.inW + ix];
                     }
                   }
               }
               T *o = out + (n * g.outC + grp * og) * pixels + p0;
               gemm<T>(og, np, kk, w + grp * og * kk, kk, false, col.data(), np,
                       false, o, pixels);
               if (bias)
                 for (int64_t oc = 0; oc < og; ++oc)
                   for (int64_t p = 0; p < np; ++p)
                     o[oc * pixels + p] =
                         Arith<T>::add(o[oc * pixels + p], bias[grp * og + oc]);
             }
           });
}

template <typename T>
static void convTranspose2dCore(const ConvGeom &g, const T *x, const T *w,
                                const T *bias, T *out, ThreadPool *pool) {
  int64_t cg = g.inCPerGroup(), og = g.outCPerGroup();
  int64_t inPixels = g.inH * g.inW, outPixels = g.outH * g.outW;
  int64_t taps = g.kH * g.kW;
  // Rows of the weight per input channel: [og * kH * kW].
  int64_t wRow = og * taps;
  int64_t oBlock = std::max<int64_t>(
      1, std::min<int64_t>(og, (int64_t(1) << 20) /
                                   std::max<int64_t>(taps * inPixels, 1)));
  int64_t want = kTargetTasks;
  int64_t images = g.batch * g.groups;
  if (images * ceilDiv(og, oBlock) < want)
    oBlock = std::max<int64_t>(
        1, std::min(oBlock, ceilDiv(og, ceilDiv(want, images))));
  int64_t blocks = ceilDiv(og, oBlock);
  runTasks(pool, images * blocks, oBlock * taps * inPixels * cg,
           [&](int64_t begin, int64_t end) {
             std::vector<T> cols;
             for (int64_t task = begin; task < end; ++task) {
               int64_t n = task / (g.groups * blocks);
               int64_t grp = (task / blocks) % g.groups;
               int64_t o0 = (task % blocks) * oBlock;
               int64_t no = std::min(oBlock, og - o0);
               int64_t rows = no * taps;
               cols.resize(rows * inPixels);
               // cols[(o, i, j), p] = sum_c W[g*cg + c, o0 + o, i, j] * x[c, p]
               gemm<T>(rows, inPixels, cg, w + grp * cg * wRow + o0 * taps,
                       wRow,
                       /*transA=*/true, x + (n * g.inC + grp * cg) * inPixels,
                       inPixels, false, cols.data(), inPixels);
               for (int64_t o = 0; o < no; ++o) {
                 int64_t oc = grp * og + o0 + o;
                 T *op = out + (n * g.outC + oc) * outPixels;
                 T init = bias ? bias[oc] : T(0);
                 std::fill(op, op + outPixels, init);
                 for (int64_t i = 0; i < g.kH; ++i)
                   for (int64_t j = 0; j < g.kW; ++j) {
                     const T *cr =
                         cols.data() + ((o * g.kH + i) * g.kW + j) * inPixels;
                     for (int64_t y = 0; y < g.inH; ++y) {
                       int64_t oy = y * g.strideH - g.padTop + i * g.dilH;
                       if (oy < 0 || oy >= g.outH)
                         continue;
                       for (int64_t xx = 0; xx < g.inW; ++xx) {
                         int64_t ox = xx * g.strideW - g.padLeft + j * g.dilW;
                         if (ox < 0 || ox >= g.outW)
                           continue;
                         T &dst = op[oy * g.outW + ox];
                         dst = Arith<T>::add(dst, cr[y * g.inW + xx]);
                       }
                     }
                   }
               }
             }
           });
}

//===----------------------------------------------------------------------===//
// Forms
//===----------------------------------------------------------------------===//

namespace {
/// One contraction, independent of the op: the cores above bound to their
/// geometry, plus where the output channel sits in the result.
struct Contraction {
  std::function<void(const float *, const float *, const float *, float *)> f32;
  std::function<void(const double *, const double *, const double *, double *)>
      f64;
  std::function<void(const int32_t *, const int32_t *, const int32_t *,
                     int32_t *)>
      i32;
  /// Output channel of flat result element e: (e / channelInner) %
  /// channelCount.
  int64_t channelInner = 1, channelCount = 1;
};
} // namespace

static Type elementTypeOf(Value v) { return getElementTypeOrSelf(v.getType()); }

template <typename T>
static void runFloat(const Contraction &c, const Tensor &x, const Tensor &w,
                     const Tensor *bias, Tensor &y, ThreadPool *pool) {
  std::vector<T> sx, sw, sb, sy;
  const T *xp = viewAs<T>(x, sx, pool);
  const T *wp = viewAs<T>(w, sw, pool);
  const T *bp = bias ? viewAs<T>(*bias, sb, pool) : nullptr;
  T *yp = outputAs<T>(y, sy);
  if constexpr (std::is_same_v<T, double>)
    c.f64(xp, wp, bp, yp);
  else
    c.f32(xp, wp, bp, yp);
  finishOutput<T>(sy, y, pool);
}

// Integer form, the order of operations (every backend must match it bit for
// bit):
//
//   1. x_c = x_q - z_x, w_c = w_q - z_w[channel]     exact, int32
//   2. acc = b_q[channel] + sum_k x_c * w_c          int32, wrapping
//      (the sum's order is irrelevant: wrapping addition is associative, and
//      the compiler keeps the true sum within int32, docs/Numerics.md s. 7;
//      convolution padding contributes x_c = 0, i.e. real 0)
//   3. the result:
//      - i32-stored result:  acc itself;
//      - narrower quantized result (per-tensor s_y, z_y):
//          m        = numerics::getRequantScale(s_x, s_w[channel], s_y)
//                     (double; the float scales multiplied exactly)
//          {M, sh}  = numerics::quantizeMultiplier(m)
//          y_q      = numerics::requantize(acc, M, sh, z_y, qmin, qmax)
//        with one multiplier per weight channel for a per-axis weight;
//      - float result:
//          s_acc    = f32(double(s_x) * double(s_w[channel]))
//                     (the scale of the i32 accumulator type)
//          y        = numerics::dequantize(acc, s_acc, 0)
//                   = f32(acc) * s_acc   (one int->float rounding, one f32
//                                         multiplication)
//        then rounded to the result type if it is f16/bf16.
//      s_x, s_w, s_y are the types' scales as float (rounded to the expressed
//      type first, a no-op for f32; see kb::expressedScale).
static LogicalResult runInteger(Operation *op, const Contraction &c, Value xv,
                                Value wv, const Tensor &x, const Tensor &w,
                                const Tensor *bias, Tensor &y,
                                KernelContext &ctx) {
  QuantGrid gx = getQuantGrid(elementTypeOf(xv), x.shape());
  QuantGrid gw = getQuantGrid(elementTypeOf(wv), w.shape());
  std::vector<int32_t> xc = centeredCodes(x, gx, ctx.pool);
  std::vector<int32_t> wc = centeredCodes(w, gw, ctx.pool);
  std::vector<int32_t> bq;
  if (bias) {
    bq.resize(bias->numElements());
    for (int64_t i = 0, e = bias->numElements(); i < e; ++i)
      bq[i] = static_cast<int32_t>(loadInt(*bias, i));
  }
  int64_t total = y.numElements();
  std::vector<int32_t> acc(total);
  c.i32(xc.data(), wc.data(), bias ? bq.data() : nullptr, acc.data());

  float sx = gx.scales.front();
  int64_t nScales = gw.scales.size();
  auto scaleIndex = [&](int64_t e) {
    return ((e / c.channelInner) % c.channelCount) % nScales;
  };
  Type re = elementTypeOf(op->getResult(0));
  if (auto rq = dyn_cast<quant::QuantizedType>(re)) {
    if (rq.getStorageTypeIntegralWidth() == 32) {
      for (int64_t e = 0; e < total; ++e)
        storeInt(y, e, acc[e]);
      return success();
    }
    auto rt = dyn_cast<quant::UniformQuantizedType>(re);
    if (!rt) {
      ctx.error = "a requantized result must be per-tensor quantized";
      return failure();
    }
    QuantGrid gy = getQuantGrid(re, y.shape());
    SmallVector<numerics::QuantizedMultiplier> mult;
    for (float sw : gw.scales)
      mult.push_back(numerics::quantizeMultiplier(
          numerics::getRequantScale(sx, sw, gy.scales.front())));
    int32_t zy = gy.zeroPoints.front();
    parallelFor(ctx.pool, total, 1 << 16, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const numerics::QuantizedMultiplier &m = mult[scaleIndex(i)];
        storeInt(y, i,
                 numerics::requantize(acc[i], m.multiplier, m.shift, zy,
                                      gy.qmin, gy.qmax));
      }
    });
    return success();
  }
  SmallVector<float> accScale;
  for (float sw : gw.scales)
    accScale.push_back(
        static_cast<float>(static_cast<double>(sx) * static_cast<double>(sw)));
  parallelFor(ctx.pool, total, 1 << 16, [&](int64_t b, int64_t e) {
    std::vector<float> tmp(e - b);
    for (int64_t i = b; i < e; ++i)
      tmp[i - b] = numerics::dequantize(acc[i], accScale[scaleIndex(i)], 0);
    storeAs<float>(tmp.data(), b, e, y);
  });
  return success();
}

// Dynamic form (`dynamic_act`): the float activation is quantized here, per
// row of its last dimension (rowLength = K) or per tensor (rowLength = 0), to
// i8<-127:127> with s_r = f32(max|x_r| / 127) (1 for an all-zero row):
//   x_q = numerics::quantize(x, s_r, 0, -127, 127)
//   acc = sum_k x_q * w_c                          int32
//   y   = f32(acc) * f32(f64(s_r) * f64(s_w[c])) + b[c]      (f32)
// A result row is a row of the activation: e / channelCount.
static LogicalResult runDynamic(const Contraction &c, Value wv,
                                const Tensor &x, const Tensor &w,
                                const Tensor *bias, Tensor &y,
                                int64_t rowLength, KernelContext &ctx) {
  std::vector<float> sxBuf;
  const float *xf = viewAs<float>(x, sxBuf, ctx.pool);
  int64_t n = x.numElements();
  int64_t len = rowLength > 0 ? rowLength : std::max<int64_t>(n, 1);
  int64_t rows = n / len;
  std::vector<float> rowScale(std::max<int64_t>(rows, 1), 1.0f);
  std::vector<int32_t> xc(n);
  for (int64_t r = 0; r < rows; ++r) {
    float m = 0.0f;
    for (int64_t i = r * len; i < (r + 1) * len; ++i)
      m = std::max(m, std::fabs(xf[i]));
    float s = m > 0.0f ? static_cast<float>(static_cast<double>(m) / 127.0)
                       : 1.0f;
    if (!(s >= std::numeric_limits<float>::min()))
      s = 1.0f;
    rowScale[r] = s;
    for (int64_t i = r * len; i < (r + 1) * len; ++i)
      xc[i] = numerics::quantize(xf[i], s, 0, -127, 127);
  }
  QuantGrid gw = getQuantGrid(elementTypeOf(wv), w.shape());
  std::vector<int32_t> wc = centeredCodes(w, gw, ctx.pool);
  int64_t total = y.numElements();
  std::vector<int32_t> acc(total);
  c.i32(xc.data(), wc.data(), nullptr, acc.data());
  std::vector<float> sbBuf;
  const float *bp = bias ? viewAs<float>(*bias, sbBuf, ctx.pool) : nullptr;
  int64_t nScales = gw.scales.size();
  std::vector<float> out(total);
  for (int64_t e = 0; e < total; ++e) {
    int64_t ch = (e / c.channelInner) % c.channelCount;
    int64_t r = rowLength > 0 ? e / c.channelCount : 0;
    float sAcc = static_cast<float>(static_cast<double>(rowScale[r]) *
                                    static_cast<double>(gw.scales[ch % nScales]));
    float v = static_cast<float>(acc[e]) * sAcc;
    out[e] = bp ? v + bp[ch] : v;
  }
  storeAs<float>(out.data(), 0, total, y);
  return success();
}

// Dynamic form with a block quantized rank-2 weight (blocks of B along the
// reduction dimension; `linear` [N, K] or `matmul` [K, N]): the activation is
// quantized per row and block of B, s_rb = f32(max|x_rb| / 127) (1 for an
// all-zero block), and each result starts from the bias (or 0) and adds the
// blocks in order, in f32:
//   acc_b = sum_{k in b} x_q * w_q                       int32
//   y    += f32(acc_b) * f32(f64(s_rb) * f64(s_w[c, b]))
static LogicalResult runDynamicBlocks(Operation *op, Value wv, const Tensor &x,
                                      const Tensor &w, const Tensor *bias,
                                      Tensor &y, KernelContext &ctx) {
  auto sc = cast<quant::UniformQuantizedSubChannelType>(elementTypeOf(wv));
  bool transposed = isa<LinearOp>(op); // weight [N, K]
  int64_t kDim = transposed ? 1 : 0;
  int64_t K = w.shape()[kDim], N = w.shape()[1 - kDim];
  int64_t B = 1;
  for (auto [d, bs] : llvm::zip(sc.getQuantizedDimensions(), sc.getBlockSizes()))
    if (d == kDim)
      B = bs;
  int64_t nb = K / B;
  std::vector<float> sxBuf;
  const float *xf = viewAs<float>(x, sxBuf, ctx.pool);
  int64_t rows = K ? x.numElements() / K : 0;
  std::vector<float> xs(rows * nb);
  std::vector<int32_t> xq(rows * K);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t b = 0; b < nb; ++b) {
      const float *blk = xf + r * K + b * B;
      float m = 0.0f;
      for (int64_t i = 0; i < B; ++i)
        m = std::max(m, std::fabs(blk[i]));
      float s = m > 0.0f ? static_cast<float>(static_cast<double>(m) / 127.0)
                         : 1.0f;
      if (!(s >= std::numeric_limits<float>::min()))
        s = 1.0f;
      xs[r * nb + b] = s;
      for (int64_t i = 0; i < B; ++i)
        xq[r * K + b * B + i] = numerics::quantize(blk[i], s, 0, -127, 127);
    }
  QuantParams qp = getQuantParams(sc, w.shape());
  QuantGrid gw = getQuantGrid(sc, w.shape());
  std::vector<int32_t> wc = centeredCodes(w, gw, ctx.pool);
  // Weight codes and scales as [N][K] and [N][nb].
  std::vector<int32_t> wt(N * K);
  std::vector<float> ws(N * nb);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k) {
      int64_t e = transposed ? n * K + k : k * N + n;
      wt[n * K + k] = wc[e];
      if (k % B == 0)
        ws[n * nb + k / B] = qp.scales[qp.index[e]];
    }
  std::vector<float> sbBuf;
  const float *bp = bias ? viewAs<float>(*bias, sbBuf, ctx.pool) : nullptr;
  std::vector<float> out(rows * N);
  parallelFor(ctx.pool, rows * N, 64, [&](int64_t begin, int64_t end) {
    for (int64_t e = begin; e < end; ++e) {
      int64_t r = e / N, n = e % N;
      float v = bp ? bp[n] : 0.0f;
      for (int64_t b = 0; b < nb; ++b) {
        int32_t acc = 0;
        const int32_t *xr = xq.data() + r * K + b * B;
        const int32_t *wr = wt.data() + n * K + b * B;
        for (int64_t i = 0; i < B; ++i)
          acc += xr[i] * wr[i];
        float s = static_cast<float>(static_cast<double>(xs[r * nb + b]) *
                                     static_cast<double>(ws[n * nb + b]));
        v += static_cast<float>(acc) * s;
      }
      out[e] = v;
    }
  });
  storeAs<float>(out.data(), 0, rows * N, y);
  return success();
}

/// Runs contraction `c` in the form its operand types select.
static LogicalResult runContraction(Operation *op, const Contraction &c,
                                    Value xv, Value wv, Value bv,
                                    ArrayRef<Tensor> operands,
                                    MutableArrayRef<Tensor> results,
                                    KernelContext &ctx) {
  const Tensor &x = operands[0];
  Tensor w = operands[1];
  const Tensor *bias = bv ? &operands[2] : nullptr;
  Tensor &y = results[0];
  if (isUniformQuantized(elementTypeOf(xv)))
    return runInteger(op, c, xv, wv, x, w, bias, y, ctx);
  if (op->hasAttr("dynamic_act") &&
      isa<quant::UniformQuantizedSubChannelType>(elementTypeOf(wv)))
    return runDynamicBlocks(op, wv, x, w, bias, y, ctx);
  if (op->hasAttr("dynamic_act") && isUniformQuantized(elementTypeOf(wv))) {
    int64_t rowLength = isa<Conv2DOp>(op) ? 0 : x.shape().back();
    return runDynamic(c, wv, x, w, bias, y, rowLength, ctx);
  }
  if (isUniformQuantized(elementTypeOf(wv))) {
    // Weight-only: the float weight quant.dcast would produce, once per call.
    w = dequantized(w, getQuantGrid(elementTypeOf(wv), w.shape()), ctx.pool);
  }
  if (y.dtype() == DType::F64)
    runFloat<double>(c, x, w, bias, y, ctx.pool);
  else
    runFloat<float>(c, x, w, bias, y, ctx.pool);
  return success();
}

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

template <typename Fn> static Contraction bindAll(Fn &&fn) {
  Contraction c;
  c.f32 = [fn](const float *a, const float *b, const float *bias, float *o) {
    fn(a, b, bias, o);
  };
  c.f64 = [fn](const double *a, const double *b, const double *bias,
               double *o) { fn(a, b, bias, o); };
  c.i32 = [fn](const int32_t *a, const int32_t *b, const int32_t *bias,
               int32_t *o) { fn(a, b, bias, o); };
  return c;
}

static LogicalResult matmulKernel(Operation *op, ArrayRef<Tensor> operands,
                                  MutableArrayRef<Tensor> results,
                                  KernelContext &ctx) {
  auto mm = cast<MatMulOp>(op);
  MatmulGeom g = matmulGeom(operands[0].shape(), operands[1].shape());
  ThreadPool *pool = ctx.pool;
  Contraction c =
      bindAll([&g, pool](const auto *a, const auto *b, const auto *, auto *o) {
        matmulCore(g, a, b, o, pool);
      });
  // The weight's output channel is the last dimension of rhs, i.e. of the
  // result; a rank-1 rhs has none (and only a per-tensor weight).
  c.channelCount = operands[1].rank() > 1 ? g.n : 1;
  return runContraction(op, c, mm.getLhs(), mm.getRhs(), Value(), operands,
                        results, ctx);
}

static LogicalResult linearKernel(Operation *op, ArrayRef<Tensor> operands,
                                  MutableArrayRef<Tensor> results,
                                  KernelContext &ctx) {
  auto lin = cast<LinearOp>(op);
  int64_t k = operands[1].shape()[1], n = operands[1].shape()[0];
  int64_t rows = k ? operands[0].numElements() / k
                   : results[0].numElements() / std::max<int64_t>(n, 1);
  ThreadPool *pool = ctx.pool;
  Contraction c =
      bindAll([=](const auto *x, const auto *w, const auto *bias, auto *o) {
        linearCore(rows, k, n, x, w, bias, o, pool);
      });
  c.channelCount = n;
  return runContraction(op, c, lin.getInput(), lin.getWeight(), lin.getBias(),
                        operands, results, ctx);
}

static LogicalResult conv2dKernel(Operation *op, ArrayRef<Tensor> operands,
                                  MutableArrayRef<Tensor> results,
                                  KernelContext &ctx) {
  auto conv = cast<Conv2DOp>(op);
  ConvGeom g = convGeom(conv, operands[0], operands[1], results[0]);
  ThreadPool *pool = ctx.pool;
  Contraction c = bindAll([=](const auto *x, const auto *w, const auto *bias,
                              auto *o) { conv2dCore(g, x, w, bias, o, pool); });
  c.channelInner = g.outH * g.outW;
  c.channelCount = g.outC;
  return runContraction(op, c, conv.getInput(), conv.getWeight(),
                        conv.getBias(), operands, results, ctx);
}

static LogicalResult convTranspose2dKernel(Operation *op,
                                           ArrayRef<Tensor> operands,
                                           MutableArrayRef<Tensor> results,
                                           KernelContext &ctx) {
  auto conv = cast<ConvTranspose2DOp>(op);
  ConvGeom g = convGeom(conv, operands[0], operands[1], results[0]);
  ThreadPool *pool = ctx.pool;
  Contraction c =
      bindAll([=](const auto *x, const auto *w, const auto *bias, auto *o) {
        convTranspose2dCore(g, x, w, bias, o, pool);
      });
  // Output channel oc = group * (O / groups) + o uses weight channel o
  // (dimension 1 of the IOHW weight): runInteger reduces the channel modulo
  // the number of weight scales.
  c.channelInner = g.outH * g.outW;
  c.channelCount = g.outC;
  return runContraction(op, c, conv.getInput(), conv.getWeight(),
                        conv.getBias(), operands, results, ctx);
}

void exec::registerLinalgKernels(KernelRegistry &registry) {
  registry.add("qc.matmul", matmulKernel);
  registry.add("qc.linear", linearKernel);
  registry.add("qc.conv2d", conv2dKernel);
  registry.add("qc.conv_transpose2d", convTranspose2dKernel);
}
