//===- ElementwiseKernels.cpp - unary, binary, compare, cast, where -------===//
//
// Part of quantc. Kernels of the elementwise family (QCElementwiseOps.td)
// with ONNX float semantics. Half and bfloat16 compute in float and round
// each result to nearest even; integers wrap at their width. Per-tensor
// quantized add/sub/mul dequantize, compute in float and requantize to the
// result type; relu/clip/max/min stay on the integer grid where the types
// allow it (docs/Numerics.md).
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "KernelsAHelpers.h"

#include "qc/Dialect/QC/IR/QCOps.h"

#include <atomic>
#include <cmath>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::exec;
using namespace mlir::qc::exec::ka;

namespace {

//===----------------------------------------------------------------------===//
// Mapping helpers
//===----------------------------------------------------------------------===//

/// y[i] = f(x[i]) with `EIn`/`EOut` element traits.
template <typename EIn, typename EOut, typename F>
void mapUnary(KernelContext &ctx, const Tensor &in, Tensor &out, F f) {
  const auto *x = in.data<typename EIn::Storage>();
  auto *y = out.data<typename EOut::Storage>();
  parallelFor(ctx.pool, in.numElements(), kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      y[i] = EOut::store(f(EIn::load(x[i])));
  });
}

/// z = f(a, b) with both operands broadcast to out's shape. The common
/// stride patterns (same shape, one side broadcast along the run) get their
/// own loops so that the compiler can vectorise them.
template <typename EA, typename EB, typename EO, typename F>
void mapBinary(KernelContext &ctx, const Tensor &a, const Tensor &b,
               Tensor &out, F f) {
  StridedIter<2> it;
  it.shape.assign(out.shape().begin(), out.shape().end());
  it.strides[0] = broadcastStrides(a.shape(), out.shape());
  it.strides[1] = broadcastStrides(b.shape(), out.shape());
  it.collapse();
  const auto *pa = a.data<typename EA::Storage>();
  const auto *pb = b.data<typename EB::Storage>();
  auto *pz = out.data<typename EO::Storage>();
  it.run(ctx.pool, kGrain, [&](int64_t o, int64_t n, auto offs, auto inner) {
    const auto *x = pa + offs[0];
    const auto *y = pb + offs[1];
    auto *z = pz + o;
    if (inner[0] == 1 && inner[1] == 1) {
      for (int64_t i = 0; i < n; ++i)
        z[i] = EO::store(f(EA::load(x[i]), EB::load(y[i])));
    } else if (inner[0] == 1 && inner[1] == 0) {
      auto yv = EB::load(*y);
      for (int64_t i = 0; i < n; ++i)
        z[i] = EO::store(f(EA::load(x[i]), yv));
    } else if (inner[0] == 0 && inner[1] == 1) {
      auto xv = EA::load(*x);
      for (int64_t i = 0; i < n; ++i)
        z[i] = EO::store(f(xv, EB::load(y[i])));
    } else {
      int64_t sa = inner[0], sb = inner[1];
      for (int64_t i = 0; i < n; ++i)
        z[i] = EO::store(f(EA::load(x[i * sa]), EB::load(y[i * sb])));
    }
  });
}

/// Wraps an op-independent generic functor `f(x)` into a kernel.
template <unsigned Mask, typename Make> Kernel unaryKernel(Make make) {
  return [make](Operation *op, ArrayRef<Tensor> operands,
                MutableArrayRef<Tensor> results, KernelContext &ctx) {
    auto f = make(op);
    return dispatch<Mask>(operands[0].dtype(), ctx, [&](auto e) {
      using E = decltype(e);
      using C = typename E::Compute;
      mapUnary<E, E>(ctx, operands[0], results[0],
                     [&](C x) { return static_cast<C>(f(x)); });
      return success();
    });
  };
}

//===----------------------------------------------------------------------===//
// Integer arithmetic
//===----------------------------------------------------------------------===//

// Signed overflow is undefined in C++; the ops wrap at the element width, so
// the arithmetic goes through uint64_t, whose wrap-around is defined, and
// truncates.
template <typename T> T wrapAdd(T a, T b) {
  return static_cast<T>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
template <typename T> T wrapSub(T a, T b) {
  return static_cast<T>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
template <typename T> T wrapMul(T a, T b) {
  return static_cast<T>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}
template <typename T> T wrapNeg(T a) {
  return static_cast<T>(uint64_t(0) - static_cast<uint64_t>(a));
}

/// a / b truncating toward zero; the caller has excluded b == 0. The one
/// overflowing quotient, MIN / -1, wraps to MIN.
template <typename T> T intDiv(T a, T b) {
  if constexpr (std::is_signed_v<T>)
    if (b == -1)
      return wrapNeg(a);
  return static_cast<T>(a / b);
}

/// a mod b with the sign of b (Python's %); b != 0.
template <typename T> T intMod(T a, T b) {
  if constexpr (std::is_signed_v<T>) {
    if (b == -1)
      return 0;
    T r = static_cast<T>(a % b);
    if (r != 0 && ((r < 0) != (b < 0)))
      r = static_cast<T>(r + b);
    return r;
  } else {
    return static_cast<T>(a % b);
  }
}

/// max/min that propagate NaN, as NumPy's maximum/minimum (ONNX's
/// reference) do.
template <typename T> T maxValue(T a, T b) {
  if constexpr (std::is_floating_point_v<T>)
    if (std::isnan(a) || std::isnan(b))
      return std::isnan(a) ? a : b;
  return a < b ? b : a;
}
template <typename T> T minValue(T a, T b) {
  if constexpr (std::is_floating_point_v<T>)
    if (std::isnan(a) || std::isnan(b))
      return std::isnan(a) ? a : b;
  return b < a ? b : a;
}

/// `v` (already integral) saturated into T; NaN becomes 0.
template <typename T> T saturateToInt(double v) {
  if (std::isnan(v))
    return 0;
  // Compare in double against bounds that are exactly representable: 2^63
  // and 2^64 are, INT64_MAX is not.
  constexpr double lo = static_cast<double>(std::numeric_limits<T>::lowest());
  constexpr double hiExclusive =
      std::is_signed_v<T>
          ? -static_cast<double>(std::numeric_limits<T>::lowest())
          : 2.0 * (static_cast<double>(std::numeric_limits<T>::max() / 2) + 1);
  if (v <= lo)
    return std::numeric_limits<T>::lowest();
  if (v >= hiExclusive)
    return std::numeric_limits<T>::max();
  return static_cast<T>(v);
}

//===----------------------------------------------------------------------===//
// Binary ops
//===----------------------------------------------------------------------===//

enum class BinKind { Add, Sub, Mul, Div, Pow, Max, Min, Mod };

/// The float (or quantized-real) formula of a binary op.
template <typename C> C floatBinary(BinKind kind, C a, C b) {
  switch (kind) {
  case BinKind::Add: return a + b;
  case BinKind::Sub: return a - b;
  case BinKind::Mul: return a * b;
  case BinKind::Div: return a / b;
  case BinKind::Pow: return std::pow(a, b);
  case BinKind::Max: return maxValue(a, b);
  case BinKind::Min: return minValue(a, b);
  case BinKind::Mod: {
    C r = std::fmod(a, b);
    if (r != 0 && ((r < 0) != (b < 0)))
      r += b;
    return r;
  }
  }
  return a;
}

/// Instantiates one loop per kind so that the switch is not in the inner
/// loop.
template <typename E>
LogicalResult runFloatBinary(BinKind kind, KernelContext &ctx, const Tensor &a,
                             const Tensor &b, Tensor &out) {
  using C = typename E::Compute;
  switch (kind) {
#define QC_KA_FLOAT_BIN(K)                                                     \
  case BinKind::K:                                                             \
    mapBinary<E, E, E>(ctx, a, b, out,                                         \
                       [](C x, C y) { return floatBinary(BinKind::K, x, y); }); \
    break;
    QC_KA_FLOAT_BIN(Add)
    QC_KA_FLOAT_BIN(Sub)
    QC_KA_FLOAT_BIN(Mul)
    QC_KA_FLOAT_BIN(Div)
    QC_KA_FLOAT_BIN(Pow)
    QC_KA_FLOAT_BIN(Max)
    QC_KA_FLOAT_BIN(Min)
    QC_KA_FLOAT_BIN(Mod)
#undef QC_KA_FLOAT_BIN
  }
  return success();
}

template <typename E>
LogicalResult runIntBinary(BinKind kind, KernelContext &ctx, const Tensor &a,
                           const Tensor &b, Tensor &out) {
  using C = typename E::Compute;
  // Division by zero is a run-time error; the loops only raise a flag.
  std::atomic<bool> divByZero{false};
  switch (kind) {
  case BinKind::Add:
    mapBinary<E, E, E>(ctx, a, b, out, [](C x, C y) { return wrapAdd(x, y); });
    break;
  case BinKind::Sub:
    mapBinary<E, E, E>(ctx, a, b, out, [](C x, C y) { return wrapSub(x, y); });
    break;
  case BinKind::Mul:
    mapBinary<E, E, E>(ctx, a, b, out, [](C x, C y) { return wrapMul(x, y); });
    break;
  case BinKind::Max:
    mapBinary<E, E, E>(ctx, a, b, out, [](C x, C y) { return maxValue(x, y); });
    break;
  case BinKind::Min:
    mapBinary<E, E, E>(ctx, a, b, out, [](C x, C y) { return minValue(x, y); });
    break;
  case BinKind::Div:
    mapBinary<E, E, E>(ctx, a, b, out, [&](C x, C y) -> C {
      if (y == 0) {
        divByZero.store(true, std::memory_order_relaxed);
        return 0;
      }
      return intDiv(x, y);
    });
    break;
  case BinKind::Mod:
    mapBinary<E, E, E>(ctx, a, b, out, [&](C x, C y) -> C {
      if (y == 0) {
        divByZero.store(true, std::memory_order_relaxed);
        return 0;
      }
      return intMod(x, y);
    });
    break;
  case BinKind::Pow:
    return fail(ctx, "pow requires a float element type");
  }
  if (divByZero)
    return fail(ctx, std::string("integer ") +
                         (kind == BinKind::Div ? "division" : "modulo") +
                         " by zero");
  return success();
}

/// Quantized add/sub/mul/max/min: dequantize both operands, compute in float,
/// requantize to the result type.
LogicalResult runQuantBinary(BinKind kind, Operation *op, KernelContext &ctx,
                             const Tensor &a, const Tensor &b, Tensor &out) {
  std::optional<TensorQuant> qa = getTensorQuant(elementTypeOf(op->getOperand(0)));
  std::optional<TensorQuant> qb = getTensorQuant(elementTypeOf(op->getOperand(1)));
  std::optional<TensorQuant> qo = getTensorQuant(elementTypeOf(op->getResult(0)));
  if (!qa || !qb || !qo || qa->axis >= 0 || qb->axis >= 0 || qo->axis >= 0)
    return fail(ctx, "quantized operands and result must all be per-tensor "
                     "quantized");
  // max/min with one shared type select stored integers: exact, and the same
  // as requantizing since quantize is monotonic.
  if ((kind == BinKind::Max || kind == BinKind::Min) &&
      qa->groups[0] == qo->groups[0] && qb->groups[0] == qo->groups[0] &&
      a.dtype() == out.dtype() && b.dtype() == out.dtype())
    return dispatch<kInts>(out.dtype(), ctx, [&](auto e) {
      return runIntBinary<decltype(e)>(kind, ctx, a, b, out);
    });
  std::vector<float> fa = dequantizeTensor(a, *qa);
  std::vector<float> fb = dequantizeTensor(b, *qb);
  Tensor ta = Tensor::view(DType::F32, a.shape(), nullptr, fa.data());
  Tensor tb = Tensor::view(DType::F32, b.shape(), nullptr, fb.data());
  Tensor real(DType::F32, out.shape());
  (void)runFloatBinary<Elt<DType::F32>>(kind, ctx, ta, tb, real);
  quantizeTensor(real.data<float>(), out, *qo);
  return success();
}

Kernel binaryKernel(BinKind kind) {
  return [kind](Operation *op, ArrayRef<Tensor> operands,
                MutableArrayRef<Tensor> results, KernelContext &ctx) {
    const Tensor &a = operands[0], &b = operands[1];
    Tensor &out = results[0];
    bool quantized = llvm::any_of(op->getOperandTypes(), [](Type t) {
      return isa<quant::QuantizedType>(cast<ShapedType>(t).getElementType());
    }) || isa<quant::QuantizedType>(elementTypeOf(op->getResult(0)));
    if (quantized) {
      if (kind == BinKind::Div || kind == BinKind::Pow || kind == BinKind::Mod)
        return fail(ctx, "quantized operands are not supported");
      return runQuantBinary(kind, op, ctx, a, b, out);
    }
    return dispatch<kFloats | kInts>(out.dtype(), ctx, [&](auto e) {
      using E = decltype(e);
      if constexpr (isFloatElt<E>())
        return runFloatBinary<E>(kind, ctx, a, b, out);
      else
        return runIntBinary<E>(kind, ctx, a, b, out);
    });
  };
}

enum class CmpKind { Eq, Lt, Le, Gt, Ge };

template <typename E, CmpKind K>
void runCompare(KernelContext &ctx, const Tensor &a, const Tensor &b,
                Tensor &out) {
  using C = typename E::Compute;
  mapBinary<E, E, Elt<DType::Bool>>(ctx, a, b, out, [](C x, C y) {
    switch (K) {
    case CmpKind::Eq: return x == y;
    case CmpKind::Lt: return x < y;
    case CmpKind::Le: return x <= y;
    case CmpKind::Gt: return x > y;
    case CmpKind::Ge: return x >= y;
    }
    return false;
  });
}

template <CmpKind K> Kernel compareKernel() {
  return [](Operation *, ArrayRef<Tensor> operands,
            MutableArrayRef<Tensor> results, KernelContext &ctx) {
    return dispatch<kAllTypes>(operands[0].dtype(), ctx, [&](auto e) {
      runCompare<decltype(e), K>(ctx, operands[0], operands[1], results[0]);
      return success();
    });
  };
}

template <typename F> Kernel logicalKernel(F f) {
  return [f](Operation *, ArrayRef<Tensor> operands,
             MutableArrayRef<Tensor> results, KernelContext &ctx) {
    using B = Elt<DType::Bool>;
    mapBinary<B, B, B>(ctx, operands[0], operands[1], results[0], f);
    return success();
  };
}

LogicalResult whereKernel(Operation *, ArrayRef<Tensor> operands,
                          MutableArrayRef<Tensor> results, KernelContext &ctx) {
  const Tensor &cond = operands[0], &a = operands[1], &b = operands[2];
  Tensor &out = results[0];
  StridedIter<3> it;
  it.shape.assign(out.shape().begin(), out.shape().end());
  it.strides[0] = broadcastStrides(cond.shape(), out.shape());
  it.strides[1] = broadcastStrides(a.shape(), out.shape());
  it.strides[2] = broadcastStrides(b.shape(), out.shape());
  it.collapse();
  // Selecting moves elements unchanged: only the element size matters.
  dispatchBySize(dtypeSize(out.dtype()), [&](auto tag) {
    using T = decltype(tag);
    const uint8_t *pc = cond.data<uint8_t>();
    const T *pa = a.data<T>(), *pb = b.data<T>();
    T *pz = out.data<T>();
    it.run(ctx.pool, kGrain, [&](int64_t o, int64_t n, auto offs, auto inner) {
      for (int64_t i = 0; i < n; ++i)
        pz[o + i] = pc[offs[0] + i * inner[0]] ? pa[offs[1] + i * inner[1]]
                                               : pb[offs[2] + i * inner[2]];
    });
  });
  return success();
}

//===----------------------------------------------------------------------===//
// Relu and clip
//===----------------------------------------------------------------------===//

/// Clamps stored integers to per-group bounds: the real bounds mapped
/// through each group's scale and zero point with quantize (round half to
/// even, saturating), so the op stays exact on the integer grid.
LogicalResult clampQuantized(KernelContext &ctx, const Tensor &in, Tensor &out,
                             const TensorQuant &tq, std::optional<double> lo,
                             std::optional<double> hi) {
  std::vector<int64_t> los, his;
  for (const QParams &p : tq.groups) {
    los.push_back(lo ? p.quantize(static_cast<float>(*lo)) : p.qmin);
    his.push_back(hi ? p.quantize(static_cast<float>(*hi)) : p.qmax);
  }
  auto strides = rowMajorStrides(in.shape());
  int64_t inner = tq.axis < 0 ? in.numElements() : strides[tq.axis];
  int64_t groups = tq.axis < 0 ? 1 : in.shape()[tq.axis];
  return dispatch<kInts>(in.dtype(), ctx, [&](auto e) {
    using T = typename decltype(e)::Storage;
    const T *x = in.data<T>();
    T *y = out.data<T>();
    parallelFor(ctx.pool, in.numElements(), kGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        int64_t g = inner == 0 ? 0 : (i / inner) % groups;
        int64_t v = static_cast<int64_t>(x[i]);
        y[i] = static_cast<T>(std::min(std::max(v, los[g]), his[g]));
      }
    });
    return success();
  });
}

/// Clamp of a plain (float or integer) tensor. NaN passes through, as with
/// NumPy's clip. Integer bounds round inwards (ceil(min), floor(max)), which
/// keeps exactly the integers inside [min, max].
LogicalResult clampPlain(KernelContext &ctx, const Tensor &in, Tensor &out,
                         std::optional<double> lo, std::optional<double> hi) {
  return dispatch<kFloats | kInts>(in.dtype(), ctx, [&](auto e) {
    using E = decltype(e);
    using C = typename E::Compute;
    C l, h;
    if constexpr (isFloatElt<E>()) {
      l = lo ? static_cast<C>(*lo) : -std::numeric_limits<C>::infinity();
      h = hi ? static_cast<C>(*hi) : std::numeric_limits<C>::infinity();
    } else {
      l = lo ? saturateToInt<C>(std::ceil(*lo)) : std::numeric_limits<C>::lowest();
      h = hi ? saturateToInt<C>(std::floor(*hi)) : std::numeric_limits<C>::max();
    }
    mapUnary<E, E>(ctx, in, out,
                   [=](C x) { return x < l ? l : (x > h ? h : x); });
    return success();
  });
}

LogicalResult clampKernel(Operation *op, ArrayRef<Tensor> operands,
                          MutableArrayRef<Tensor> results, KernelContext &ctx,
                          std::optional<double> lo, std::optional<double> hi) {
  Type elt = elementTypeOf(op->getOperand(0));
  if (isa<quant::QuantizedType>(elt)) {
    std::optional<TensorQuant> tq = getTensorQuant(elt);
    if (!tq)
      return fail(ctx, "only per-tensor and per-axis quantized types are "
                       "supported");
    return clampQuantized(ctx, operands[0], results[0], *tq, lo, hi);
  }
  return clampPlain(ctx, operands[0], results[0], lo, hi);
}

//===----------------------------------------------------------------------===//
// Cast
//===----------------------------------------------------------------------===//

template <typename ES, typename ED>
typename ED::Compute convertValue(typename ES::Compute v) {
  using To = typename ED::Compute;
  if constexpr (isBoolElt<ED>())
    return v != 0;
  else if constexpr (isFloatElt<ES>() && isIntElt<ED>())
    // Truncation toward zero; out-of-range values are undefined in ONNX and
    // saturate here rather than invoke C++ undefined behaviour.
    return saturateToInt<To>(std::trunc(static_cast<double>(v)));
  else
    return static_cast<To>(v);
}

LogicalResult castKernel(Operation *, ArrayRef<Tensor> operands,
                         MutableArrayRef<Tensor> results, KernelContext &ctx) {
  const Tensor &in = operands[0];
  Tensor &out = results[0];
  return dispatch<kAllTypes>(in.dtype(), ctx, [&](auto es) {
    using ES = decltype(es);
    return dispatch<kAllTypes>(out.dtype(), ctx, [&](auto ed) {
      using ED = decltype(ed);
      constexpr bool toSmallFloat =
          ED::kDType == DType::F16 || ED::kDType == DType::BF16;
      constexpr bool fromWide = !isBoolElt<ES>() &&
                                ES::kDType != DType::F32 &&
                                ES::kDType != DType::F16 &&
                                ES::kDType != DType::BF16;
      if constexpr (toSmallFloat && fromWide) {
        // Going through float would round twice (f64 -> f32 -> f16); round
        // once from the double value instead.
        const auto &sem = ED::kDType == DType::F16
                              ? llvm::APFloat::IEEEhalf()
                              : llvm::APFloat::BFloat();
        const auto *x = in.data<typename ES::Storage>();
        auto *y = out.data<uint16_t>();
        for (int64_t i = 0, n = in.numElements(); i < n; ++i) {
          llvm::APFloat f(static_cast<double>(ES::load(x[i])));
          bool lost;
          f.convert(sem, llvm::APFloat::rmNearestTiesToEven, &lost);
          y[i] = static_cast<uint16_t>(f.bitcastToAPInt().getZExtValue());
        }
      } else {
        mapUnary<ES, ED>(ctx, in, out, [](typename ES::Compute v) {
          return convertValue<ES, ED>(v);
        });
      }
      return success();
    });
  });
}

//===----------------------------------------------------------------------===//
// Float helpers
//===----------------------------------------------------------------------===//

template <typename T> T sigmoidOf(T x) { return T(1) / (T(1) + std::exp(-x)); }

/// log(1 + exp(x)) without overflow for large x.
template <typename T> T softplusOf(T x) {
  return x > T(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}

template <typename T> T roundEven(T x) { return numerics::roundHalfToEven(x); }

template <typename T> T signOf(T x) {
  if constexpr (std::is_floating_point_v<T>)
    if (std::isnan(x))
      return x;
  return x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0));
}

template <typename T> T absOf(T x) {
  if constexpr (std::is_floating_point_v<T>)
    return std::fabs(x);
  else if constexpr (std::is_signed_v<T>)
    return x < 0 ? wrapNeg(x) : x;
  else
    return x;
}

template <typename T> T negOf(T x) {
  if constexpr (std::is_floating_point_v<T>)
    return -x;
  else
    return wrapNeg(x);
}

double attrDouble(Operation *op, StringRef name, double dflt) {
  if (auto a = op->getAttrOfType<FloatAttr>(name))
    return a.getValueAsDouble();
  return dflt;
}

} // namespace

void exec::registerElementwiseKernels(KernelRegistry &registry) {
  // Op-independent unary functions of the compute value `x`.
#define QC_KA_UNARY(NAME, MASK, EXPR)                                          \
  registry.add(NAME, unaryKernel<MASK>([](Operation *) {                       \
                 return [](auto x) {                                           \
                   using T = decltype(x);                                      \
                   (void)sizeof(T);                                            \
                   return EXPR;                                                \
                 };                                                            \
               }));
  QC_KA_UNARY("qc.sigmoid", kFloats, sigmoidOf(x))
  QC_KA_UNARY("qc.tanh", kFloats, std::tanh(x))
  QC_KA_UNARY("qc.silu", kFloats, x * sigmoidOf(x))
  QC_KA_UNARY("qc.hardswish", kFloats,
              x * std::max(T(0), std::min(T(1), x / T(6) + T(0.5))))
  QC_KA_UNARY("qc.softplus", kFloats, softplusOf(x))
  QC_KA_UNARY("qc.exp", kFloats, std::exp(x))
  QC_KA_UNARY("qc.log", kFloats, std::log(x))
  QC_KA_UNARY("qc.sqrt", kFloats, std::sqrt(x))
  QC_KA_UNARY("qc.rsqrt", kFloats, T(1) / std::sqrt(x))
  QC_KA_UNARY("qc.reciprocal", kFloats, T(1) / x)
  QC_KA_UNARY("qc.erf", kFloats, std::erf(x))
  QC_KA_UNARY("qc.sin", kFloats, std::sin(x))
  QC_KA_UNARY("qc.cos", kFloats, std::cos(x))
  QC_KA_UNARY("qc.floor", kFloats, std::floor(x))
  QC_KA_UNARY("qc.ceil", kFloats, std::ceil(x))
  QC_KA_UNARY("qc.round", kFloats, roundEven(x))
  QC_KA_UNARY("qc.neg", kFloats | kInts, negOf(x))
  QC_KA_UNARY("qc.abs", kFloats | kInts, absOf(x))
  QC_KA_UNARY("qc.sign", kFloats | kInts, signOf(x))
  QC_KA_UNARY("qc.not", kBool, !x)
#undef QC_KA_UNARY

  registry.add("qc.gelu", unaryKernel<kFloats>([](Operation *op) {
                 bool tanhApprox =
                     cast<GeluOp>(op).getApproximate() == GeluApprox::Tanh;
                 return [tanhApprox](auto x) {
                   using T = decltype(x);
                   if (tanhApprox) {
                     const T k = static_cast<T>(0.79788456080286535588); // sqrt(2/pi)
                     return T(0.5) * x *
                            (T(1) + std::tanh(k * (x + T(0.044715) * x * x * x)));
                   }
                   return T(0.5) * x *
                          (T(1) + std::erf(x / static_cast<T>(1.41421356237309504880)));
                 };
               }));
  registry.add("qc.leaky_relu", unaryKernel<kFloats>([](Operation *op) {
                 double alpha = attrDouble(op, "alpha", 0.01);
                 return [alpha](auto x) {
                   using T = decltype(x);
                   return x >= T(0) ? x : static_cast<T>(alpha) * x;
                 };
               }));
  registry.add("qc.elu", unaryKernel<kFloats>([](Operation *op) {
                 double alpha = attrDouble(op, "alpha", 1.0);
                 return [alpha](auto x) {
                   using T = decltype(x);
                   return x >= T(0) ? x
                                    : static_cast<T>(alpha) * (std::exp(x) - T(1));
                 };
               }));
  registry.add("qc.hardsigmoid", unaryKernel<kFloats>([](Operation *op) {
                 double alpha = attrDouble(op, "alpha", 0.2);
                 double beta = attrDouble(op, "beta", 0.5);
                 return [alpha, beta](auto x) {
                   using T = decltype(x);
                   T v = static_cast<T>(alpha) * x + static_cast<T>(beta);
                   return std::max(T(0), std::min(T(1), v));
                 };
               }));

  registry.add("qc.relu", [](Operation *op, ArrayRef<Tensor> operands,
                             MutableArrayRef<Tensor> results,
                             KernelContext &ctx) {
    return clampKernel(op, operands, results, ctx, 0.0, std::nullopt);
  });
  registry.add("qc.clip", [](Operation *op, ArrayRef<Tensor> operands,
                             MutableArrayRef<Tensor> results,
                             KernelContext &ctx) {
    auto clip = cast<ClipOp>(op);
    std::optional<double> lo, hi;
    if (auto m = clip.getMin())
      lo = m->convertToDouble();
    if (auto m = clip.getMax())
      hi = m->convertToDouble();
    return clampKernel(op, operands, results, ctx, lo, hi);
  });
  registry.add("qc.cast", castKernel);

  registry.add("qc.add", binaryKernel(BinKind::Add));
  registry.add("qc.sub", binaryKernel(BinKind::Sub));
  registry.add("qc.mul", binaryKernel(BinKind::Mul));
  registry.add("qc.div", binaryKernel(BinKind::Div));
  registry.add("qc.pow", binaryKernel(BinKind::Pow));
  registry.add("qc.max", binaryKernel(BinKind::Max));
  registry.add("qc.min", binaryKernel(BinKind::Min));
  registry.add("qc.mod", binaryKernel(BinKind::Mod));

  registry.add("qc.equal", compareKernel<CmpKind::Eq>());
  registry.add("qc.less", compareKernel<CmpKind::Lt>());
  registry.add("qc.less_equal", compareKernel<CmpKind::Le>());
  registry.add("qc.greater", compareKernel<CmpKind::Gt>());
  registry.add("qc.greater_equal", compareKernel<CmpKind::Ge>());

  registry.add("qc.and", logicalKernel([](bool a, bool b) { return a && b; }));
  registry.add("qc.or", logicalKernel([](bool a, bool b) { return a || b; }));
  registry.add("qc.xor", logicalKernel([](bool a, bool b) { return a != b; }));
  registry.add("qc.where", whereKernel);
}
