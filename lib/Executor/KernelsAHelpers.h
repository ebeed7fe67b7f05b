//===- KernelsAHelpers.h - shared kernel helpers (internal) -----*- C++ -*-===//
//
// Part of quantc. Building blocks of the elementwise, shape and NN kernels:
// element traits with a dtype dispatcher, an iterator over strided
// (broadcast, transposed, sliced) views, a copy through per-dimension index
// tables, and quantization parameters read from MLIR types. Everything lives
// in namespace `ka` so that these inline definitions cannot clash with
// another kernel family's helpers.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_EXECUTOR_KERNELSAHELPERS_H
#define QC_LIB_EXECUTOR_KERNELSAHELPERS_H

#include "Kernels.h"

#include "qc/Dialect/QC/Utils/Numerics.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/SmallVector.h"

#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace mlir::qc::exec::ka {

/// Elements per parallelFor chunk for cheap per-element work.
constexpr int64_t kGrain = 1 << 14;

inline LogicalResult fail(KernelContext &ctx, std::string message) {
  ctx.error = std::move(message);
  return failure();
}

//===----------------------------------------------------------------------===//
// Element traits and dispatch
//===----------------------------------------------------------------------===//

/// `Storage` is what the tensor holds, `Compute` what kernels compute in:
/// half and bfloat16 compute in float and round back to nearest even with
/// Tensor.h's bit-level conversions.
template <DType D> struct Elt;

#define QC_KA_PLAIN_ELT(D, T)                                                  \
  template <> struct Elt<DType::D> {                                           \
    using Storage = T;                                                         \
    using Compute = T;                                                         \
    static constexpr DType kDType = DType::D;                                  \
    static Compute load(Storage v) { return v; }                               \
    static Storage store(Compute v) { return v; }                              \
  };
QC_KA_PLAIN_ELT(F32, float)
QC_KA_PLAIN_ELT(F64, double)
QC_KA_PLAIN_ELT(I8, int8_t)
QC_KA_PLAIN_ELT(U8, uint8_t)
QC_KA_PLAIN_ELT(I16, int16_t)
QC_KA_PLAIN_ELT(U16, uint16_t)
QC_KA_PLAIN_ELT(I32, int32_t)
QC_KA_PLAIN_ELT(U32, uint32_t)
QC_KA_PLAIN_ELT(I64, int64_t)
QC_KA_PLAIN_ELT(U64, uint64_t)
#undef QC_KA_PLAIN_ELT

/// A 16-bit float held as its bits and computed in float.
template <DType D, float (*Widen)(uint16_t), uint16_t (*Narrow)(float)>
struct Float16Elt {
  using Storage = uint16_t;
  using Compute = float;
  static constexpr DType kDType = D;
  static Compute load(Storage v) { return Widen(v); }
  static Storage store(Compute v) { return Narrow(v); }
};
template <>
struct Elt<DType::F16> : Float16Elt<DType::F16, halfToFloat, floatToHalf> {};
template <>
struct Elt<DType::BF16> : Float16Elt<DType::BF16, bf16ToFloat, floatToBf16> {};

template <> struct Elt<DType::Bool> {
  using Storage = uint8_t;
  using Compute = bool;
  static constexpr DType kDType = DType::Bool;
  static Compute load(Storage v) { return v != 0; }
  static Storage store(Compute v) { return v ? 1 : 0; }
};

template <typename E> constexpr bool isFloatElt() {
  return std::is_floating_point_v<typename E::Compute>;
}
template <typename E> constexpr bool isBoolElt() {
  return E::kDType == DType::Bool;
}
template <typename E> constexpr bool isIntElt() {
  return !isFloatElt<E>() && !isBoolElt<E>();
}

/// Dtype categories a kernel accepts.
enum DTypeMask : unsigned { kFloats = 1, kInts = 2, kBool = 4, kAllTypes = 7 };

/// Calls `fn(Elt<t>{})` when `t` is in `Mask` (only those instantiations are
/// compiled); otherwise fails with a message naming the dtype.
template <unsigned Mask, typename Fn>
LogicalResult dispatch(DType t, KernelContext &ctx, Fn &&fn) {
  switch (t) {
#define QC_KA_CASE(D, CAT)                                                     \
  case DType::D:                                                               \
    if constexpr ((Mask & (CAT)) != 0)                                         \
      return fn(Elt<DType::D>{});                                              \
    break;
    QC_KA_CASE(F32, kFloats)
    QC_KA_CASE(F16, kFloats)
    QC_KA_CASE(BF16, kFloats)
    QC_KA_CASE(F64, kFloats)
    QC_KA_CASE(Bool, kBool)
    QC_KA_CASE(I8, kInts)
    QC_KA_CASE(U8, kInts)
    QC_KA_CASE(I16, kInts)
    QC_KA_CASE(U16, kInts)
    QC_KA_CASE(I32, kInts)
    QC_KA_CASE(U32, kInts)
    QC_KA_CASE(I64, kInts)
    QC_KA_CASE(U64, kInts)
#undef QC_KA_CASE
  }
  return fail(ctx, "unsupported element type " + dtypeName(t).str());
}

/// Calls `fn(T{})` with the unsigned integer type of `bytes` bytes: data
/// movement only needs the element size.
template <typename Fn> void dispatchBySize(size_t bytes, Fn &&fn) {
  switch (bytes) {
  case 1: fn(uint8_t{}); return;
  case 2: fn(uint16_t{}); return;
  case 4: fn(uint32_t{}); return;
  default: fn(uint64_t{}); return;
  }
}

/// Every element of `t` as double (fast path of Tensor::getAsDouble).
inline std::vector<double> loadAsDouble(const Tensor &t) {
  std::vector<double> out(t.numElements());
  KernelContext dummy;
  (void)dispatch<kAllTypes>(t.dtype(), dummy, [&](auto e) {
    using E = decltype(e);
    const auto *p = t.data<typename E::Storage>();
    for (size_t i = 0; i < out.size(); ++i)
      out[i] = static_cast<double>(E::load(p[i]));
    return success();
  });
  return out;
}

//===----------------------------------------------------------------------===//
// Strided iteration
//===----------------------------------------------------------------------===//

/// Walks a row-major output of `shape` while tracking, for each of `N`
/// operand views, the element offset `base[k] + sum_d coord[d] *
/// strides[k][d]` (a stride of 0 broadcasts, a negative one reverses).
/// Runs along the innermost dimension are handed to a row callback, so that
/// kernels keep a tight inner loop.
template <unsigned N> struct StridedIter {
  llvm::SmallVector<int64_t, 6> shape;
  std::array<llvm::SmallVector<int64_t, 6>, N> strides;
  std::array<int64_t, N> base{};

  int64_t numElements() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }

  /// Drops unit dimensions and merges dimensions that are contiguous for
  /// every operand, so same-shape operands become one long run.
  void collapse() {
    llvm::SmallVector<int64_t, 6> s;
    std::array<llvm::SmallVector<int64_t, 6>, N> st;
    for (size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] == 1)
        continue;
      bool merge = !s.empty();
      for (unsigned k = 0; k < N && merge; ++k)
        merge = st[k].back() == strides[k][d] * shape[d];
      if (merge) {
        s.back() *= shape[d];
        for (unsigned k = 0; k < N; ++k)
          st[k].back() = strides[k][d];
        continue;
      }
      s.push_back(shape[d]);
      for (unsigned k = 0; k < N; ++k)
        st[k].push_back(strides[k][d]);
    }
    if (numElements() == 0) {
      // Keep an empty dimension so that nothing is visited.
      s.assign(1, 0);
      for (unsigned k = 0; k < N; ++k)
        st[k].assign(1, 0);
    }
    shape = std::move(s);
    strides = std::move(st);
  }

  /// Calls `row(outIndex, count, offsets, innerStrides)` for the runs that
  /// cover outputs [begin, end); `offsets[k]` is operand k's offset of the
  /// first element of the run.
  template <typename RowFn>
  void forRange(int64_t begin, int64_t end, RowFn &&row) const {
    std::array<int64_t, N> offs = base;
    std::array<int64_t, N> inner{};
    int64_t rank = shape.size();
    if (rank == 0) {
      if (begin < end)
        row(int64_t(0), int64_t(1), offs, inner);
      return;
    }
    // An empty tensor has no rows (and a zero extent to divide by).
    if (begin >= end || llvm::is_contained(shape, 0))
      return;
    llvm::SmallVector<int64_t, 6> coord(rank);
    int64_t rem = begin;
    for (int64_t d = rank - 1; d >= 0; --d) {
      coord[d] = rem % shape[d];
      rem /= shape[d];
      for (unsigned k = 0; k < N; ++k)
        offs[k] += coord[d] * strides[k][d];
    }
    for (unsigned k = 0; k < N; ++k)
      inner[k] = strides[k][rank - 1];
    int64_t len = shape[rank - 1];
    for (int64_t pos = begin; pos < end;) {
      int64_t count = std::min(len - coord[rank - 1], end - pos);
      row(pos, count, offs, inner);
      pos += count;
      coord[rank - 1] += count;
      for (unsigned k = 0; k < N; ++k)
        offs[k] += count * inner[k];
      if (coord[rank - 1] < len)
        continue;
      coord[rank - 1] = 0;
      for (unsigned k = 0; k < N; ++k)
        offs[k] -= len * inner[k];
      for (int64_t d = rank - 2; d >= 0; --d) {
        ++coord[d];
        for (unsigned k = 0; k < N; ++k)
          offs[k] += strides[k][d];
        if (coord[d] < shape[d])
          break;
        coord[d] = 0;
        for (unsigned k = 0; k < N; ++k)
          offs[k] -= shape[d] * strides[k][d];
      }
    }
  }

  /// forRange over the whole output, split across the executor's threads.
  template <typename RowFn>
  void run(ThreadPool *pool, int64_t grain, RowFn &&row) const {
    parallelFor(pool, numElements(), grain,
                [&](int64_t b, int64_t e) { forRange(b, e, row); });
  }
};

/// Row-major strides of `shape`, in elements.
inline llvm::SmallVector<int64_t, 6> rowMajorStrides(ArrayRef<int64_t> shape) {
  llvm::SmallVector<int64_t, 6> s(shape.size());
  int64_t acc = 1;
  for (int64_t d = shape.size() - 1; d >= 0; --d) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

/// Strides, one per dimension of `out`, that read a tensor of shape `src`
/// broadcast (NumPy rules) to `out`: stretched and missing dimensions get 0.
inline llvm::SmallVector<int64_t, 6> broadcastStrides(ArrayRef<int64_t> src,
                                                      ArrayRef<int64_t> out) {
  llvm::SmallVector<int64_t, 6> s(out.size(), 0);
  llvm::SmallVector<int64_t, 6> rm = rowMajorStrides(src);
  int64_t offset = out.size() - src.size();
  for (size_t d = 0; d < src.size(); ++d)
    if (src[d] != 1)
      s[offset + d] = rm[d];
  return s;
}

/// Copies `in` viewed through `iter` (one operand) into the contiguous `out`.
inline void stridedCopy(const StridedIter<1> &iter, const Tensor &in,
                        Tensor &out, ThreadPool *pool) {
  dispatchBySize(dtypeSize(in.dtype()), [&](auto tag) {
    using T = decltype(tag);
    const T *src = in.data<T>();
    T *dst = out.data<T>();
    iter.run(pool, kGrain, [&](int64_t o, int64_t n, auto offs, auto inner) {
      const T *s = src + offs[0];
      if (inner[0] == 1) {
        std::memcpy(dst + o, s, n * sizeof(T));
        return;
      }
      int64_t st = inner[0];
      for (int64_t i = 0; i < n; ++i)
        dst[o + i] = s[i * st];
    });
  });
}

/// Marks an output coordinate whose element is the fill value.
constexpr int64_t kFillIndex = std::numeric_limits<int64_t>::min();

/// out[i_0, ..., i_(r-1)] = in[tables[0][i_0] + ... + tables[r-1][i_(r-1)]]
/// where each table entry is an element offset into `in`, or `fill` when any
/// entry is kFillIndex. `fill` points at one element of out's dtype.
inline void tableCopy(const Tensor &in, Tensor &out,
                      ArrayRef<std::vector<int64_t>> tables, const void *fill,
                      ThreadPool *pool) {
  int64_t rank = out.rank();
  int64_t total = out.numElements();
  if (total == 0)
    return;
  dispatchBySize(dtypeSize(out.dtype()), [&](auto tag) {
    using T = decltype(tag);
    const T *src = in.data<T>();
    T *dst = out.data<T>();
    T fillValue{};
    if (fill)
      std::memcpy(&fillValue, fill, sizeof(T));
    if (rank == 0) {
      dst[0] = src[0];
      return;
    }
    ArrayRef<int64_t> shape = out.shape();
    int64_t len = shape[rank - 1];
    const std::vector<int64_t> &last = tables[rank - 1];
    // The innermost table is often a plain run (crop, tile), worth a memcpy.
    auto rowFn = [&](int64_t rowBegin, int64_t rowEnd) {
      llvm::SmallVector<int64_t, 6> coord(rank, 0);
      int64_t rem = rowBegin;
      for (int64_t d = rank - 2; d >= 0; --d) {
        coord[d] = rem % shape[d];
        rem /= shape[d];
      }
      for (int64_t r = rowBegin; r < rowEnd; ++r) {
        T *o = dst + r * len;
        int64_t baseOff = 0;
        bool filled = false;
        for (int64_t d = 0; d < rank - 1; ++d) {
          int64_t t = tables[d][coord[d]];
          if (t == kFillIndex) {
            filled = true;
            break;
          }
          baseOff += t;
        }
        if (filled) {
          std::fill(o, o + len, fillValue);
        } else {
          for (int64_t i = 0; i < len;) {
            int64_t t = last[i];
            if (t == kFillIndex) {
              o[i++] = fillValue;
              continue;
            }
            // Extend a contiguous run and copy it at once.
            int64_t j = i + 1;
            while (j < len && last[j] == t + (j - i))
              ++j;
            if (j - i > 4) {
              std::memcpy(o + i, src + baseOff + t, (j - i) * sizeof(T));
            } else {
              for (int64_t k = i; k < j; ++k)
                o[k] = src[baseOff + t + (k - i)];
            }
            i = j;
          }
        }
        for (int64_t d = rank - 2; d >= 0; --d) {
          if (++coord[d] < shape[d])
            break;
          coord[d] = 0;
        }
      }
    };
    parallelFor(pool, total / len, std::max<int64_t>(1, kGrain / len),
                rowFn);
  });
}

//===----------------------------------------------------------------------===//
// Quantization parameters
//===----------------------------------------------------------------------===//

/// Scale, zero point and storage range of one quantization group.
struct QParams {
  float scale = 1.0f;
  int32_t zeroPoint = 0;
  int32_t qmin = 0;
  int32_t qmax = 0;

  float dequantize(int64_t q) const {
    return numerics::dequantize(static_cast<int32_t>(q), scale, zeroPoint);
  }
  int32_t quantize(float x) const {
    return numerics::quantize(x, scale, zeroPoint, qmin, qmax);
  }
  bool operator==(const QParams &o) const {
    return scale == o.scale && zeroPoint == o.zeroPoint && qmin == o.qmin &&
           qmax == o.qmax;
  }
};

inline int32_t clampToInt32(int64_t v) {
  return static_cast<int32_t>(std::min<int64_t>(
      std::max<int64_t>(v, std::numeric_limits<int32_t>::min()),
      std::numeric_limits<int32_t>::max()));
}

inline Type elementTypeOf(Value v) {
  return cast<ShapedType>(v.getType()).getElementType();
}

/// Per-tensor parameters of `t`, or nullopt when it is not a per-tensor
/// uniform quantized type.
inline std::optional<QParams> getPerTensorQParams(Type t) {
  auto q = dyn_cast<quant::UniformQuantizedType>(t);
  if (!q)
    return std::nullopt;
  QParams p;
  p.scale = static_cast<float>(q.getScale());
  p.zeroPoint = clampToInt32(q.getZeroPoint());
  p.qmin = clampToInt32(q.getStorageTypeMin());
  p.qmax = clampToInt32(q.getStorageTypeMax());
  return p;
}

/// Quantization of a whole tensor: one group (per tensor) or one group per
/// index along `axis` (per axis).
struct TensorQuant {
  int64_t axis = -1;
  std::vector<QParams> groups;

  /// Group of flat element `i` of a tensor of `shape`.
  int64_t groupOf(int64_t i, ArrayRef<int64_t> strides,
                  ArrayRef<int64_t> shape) const {
    if (axis < 0)
      return 0;
    return (i / strides[axis]) % shape[axis];
  }
};

/// Per-tensor or per-axis parameters of a quantized element type; nullopt
/// for anything else (sub-channel types are not handled here).
inline std::optional<TensorQuant> getTensorQuant(Type t) {
  if (auto p = getPerTensorQParams(t)) {
    TensorQuant tq;
    tq.groups.push_back(*p);
    return tq;
  }
  auto q = dyn_cast<quant::UniformQuantizedPerAxisType>(t);
  if (!q)
    return std::nullopt;
  TensorQuant tq;
  tq.axis = q.getQuantizedDimension();
  for (auto [s, zp] : llvm::zip(q.getScales(), q.getZeroPoints())) {
    QParams p;
    p.scale = static_cast<float>(s);
    p.zeroPoint = clampToInt32(zp);
    p.qmin = clampToInt32(q.getStorageTypeMin());
    p.qmax = clampToInt32(q.getStorageTypeMax());
    tq.groups.push_back(p);
  }
  return tq;
}

/// The stored integers of `t` as real values.
inline std::vector<float> dequantizeTensor(const Tensor &t,
                                           const TensorQuant &tq) {
  std::vector<float> out(t.numElements());
  auto strides = rowMajorStrides(t.shape());
  KernelContext dummy;
  (void)dispatch<kInts>(t.dtype(), dummy, [&](auto e) {
    using E = decltype(e);
    const auto *p = t.data<typename E::Storage>();
    for (size_t i = 0; i < out.size(); ++i)
      out[i] = tq.groups[tq.groupOf(i, strides, t.shape())].dequantize(p[i]);
    return success();
  });
  return out;
}

/// Quantizes `values` into the stored integers of `t`.
inline void quantizeTensor(const float *values, Tensor &t,
                           const TensorQuant &tq) {
  auto strides = rowMajorStrides(t.shape());
  int64_t n = t.numElements();
  KernelContext dummy;
  (void)dispatch<kInts>(t.dtype(), dummy, [&](auto e) {
    using E = decltype(e);
    auto *p = t.data<typename E::Storage>();
    for (int64_t i = 0; i < n; ++i)
      p[i] = static_cast<typename E::Storage>(
          tq.groups[tq.groupOf(i, strides, t.shape())].quantize(values[i]));
    return success();
  });
}

/// Axis in [0, rank) from a possibly negative one.
inline int64_t normAxis(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
}

inline int64_t product(ArrayRef<int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

} // namespace mlir::qc::exec::ka

#endif // QC_LIB_EXECUTOR_KERNELSAHELPERS_H
