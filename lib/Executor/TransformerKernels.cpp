//===- TransformerKernels.cpp - embedding, RoPE, attention, KV cache ------===//
//
// Part of quantc. The exact math is in QCTransformerOps.td; the comments
// here record the choices the descriptions leave to an implementation.
//
//===----------------------------------------------------------------------===//

#include "KernelsBCommon.h"
#include "KernelsBGemm.h"
#include "ThreadPool.h"

#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Dialect/QC/IR/QCTypeUtils.h"

#include "mlir/IR/TypeUtilities.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::exec;
using namespace mlir::qc::exec::kb;

static Type elementTypeOf(Value v) { return getElementTypeOrSelf(v.getType()); }

/// "[0, 2]": the multi-index of flat element `i` of a tensor of `shape`.
static std::string indexString(ArrayRef<int64_t> shape, int64_t i) {
  SmallVector<int64_t> idx(shape.size());
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    idx[d] = i % shape[d];
    i /= shape[d];
  }
  std::string s = "[";
  for (auto [n, v] : llvm::enumerate(idx))
    s += (n ? ", " : "") + std::to_string(v);
  return s + "]";
}

//===----------------------------------------------------------------------===//
// qc.embedding
//===----------------------------------------------------------------------===//

static LogicalResult embeddingKernel(Operation *op, ArrayRef<Tensor> operands,
                                     MutableArrayRef<Tensor> results,
                                     KernelContext &ctx) {
  auto emb = cast<EmbeddingOp>(op);
  const Tensor &table = operands[0], &ids = operands[1];
  Tensor &out = results[0];
  int64_t vocab = table.shape()[0], dim = table.shape()[1];
  int64_t n = ids.numElements();
  // Check every id before writing anything: the op has no result for an
  // out-of-range id, so report it rather than clamp or wrap.
  for (int64_t i = 0; i < n; ++i) {
    int64_t id = loadInt(ids, i);
    if (id < 0 || id >= vocab) {
      ctx.error = "id " + std::to_string(id) + " at " +
                  indexString(ids.shape(), i) +
                  " is out of range for a vocabulary of " +
                  std::to_string(vocab) + " rows";
      return failure();
    }
  }
  Type te = elementTypeOf(emb.getTable());
  if (!isUniformQuantized(te)) {
    size_t rowBytes = dim * dtypeSize(table.dtype());
    const char *src = static_cast<const char *>(table.raw());
    char *dst = static_cast<char *>(out.raw());
    parallelFor(ctx.pool, n,
                std::max<int64_t>(1, 4096 / std::max<int64_t>(dim, 1)),
                [&](int64_t b, int64_t e) {
                  for (int64_t i = b; i < e; ++i)
                    std::memcpy(dst + i * rowBytes,
                                src + loadInt(ids, i) * rowBytes, rowBytes);
                });
    return success();
  }
  // A quantized row is dequantized exactly as quant.dcast would dequantize
  // the whole table (numerics::dequantize with the scale and zero point of
  // the element's row or block, rounded to the result type).
  QuantGrid grid = getQuantGrid(te, table.shape());
  parallelFor(
      ctx.pool, n, std::max<int64_t>(1, 4096 / std::max<int64_t>(dim, 1)),
      [&](int64_t b, int64_t e) {
        std::vector<float> row(dim);
        for (int64_t i = b; i < e; ++i) {
          int64_t id = loadInt(ids, i);
          grid.forEachRun(id, [&](int64_t s, int64_t t, int64_t p) {
            for (int64_t j = s; j < t; ++j)
              row[j - id * dim] =
                  numerics::dequantize(static_cast<int32_t>(loadInt(table, j)),
                                       grid.scales[p], grid.zeroPoints[p]);
          });
          storeAs<float>(row.data(), i * dim, (i + 1) * dim, out);
        }
      });
  return success();
}

//===----------------------------------------------------------------------===//
// qc.rope
//===----------------------------------------------------------------------===//

// The angle follows llama2.c and Hugging Face's float32 code step by step:
//   inv_freq = 1 / pow(base, (2i) / R)     (the exponent a float division)
//   theta    = float(pos) * inv_freq
// in f32 for f32/f16/bf16 inputs and in f64 for f64 inputs, then cos and sin
// from the C library in the same type, rounded to the element type.
// The rotation is then evaluated in the element type: exactly for f32/f64;
// for f16/bf16 each product is computed exactly in f32 and rounded to the
// element type, and the sum or difference is computed in f32 and rounded
// again, as 16-bit arithmetic would.
template <typename T>
static void ropeRows(RoPEOp rope, const Tensor &in, const Tensor &pos,
                     Tensor &out, ThreadPool *pool) {
  ArrayRef<int64_t> shape = in.shape();
  int64_t batch = shape[0], seq = shape[1], heads = shape[2], hd = shape[3];
  int64_t r = rope.getEffectiveRotaryDim();
  int64_t half = r / 2;
  bool interleaved = rope.getInterleaved();
  T base = static_cast<T>(rope.getBase().convertToDouble());
  DType dt = in.dtype();
  bool posPerBatch = pos.rank() == 2;
  auto rnd = [&](T v) -> T {
    if constexpr (std::is_same_v<T, float>)
      return roundToDType(v, dt);
    return v;
  };
  std::vector<T> sx, sy;
  const T *x = viewAs<T>(in, sx, pool);
  T *y = outputAs<T>(out, sy);
  int64_t tokenSize = heads * hd;
  parallelFor(pool, batch * seq,
              std::max<int64_t>(1, 8192 / std::max<int64_t>(tokenSize, 1)),
              [&](int64_t b, int64_t e) {
                std::vector<T> cosv(half), sinv(half);
                for (int64_t t = b; t < e; ++t) {
                  int64_t n = t / seq, s = t % seq;
                  int64_t p = loadInt(pos, posPerBatch ? n * seq + s : s);
                  for (int64_t i = 0; i < half; ++i) {
                    T expo = static_cast<T>(2 * i) / static_cast<T>(r);
                    T invFreq = T(1) / std::pow(base, expo);
                    T theta = static_cast<T>(p) * invFreq;
                    cosv[i] = rnd(std::cos(theta));
                    sinv[i] = rnd(std::sin(theta));
                  }
                  const T *xt = x + t * tokenSize;
                  T *yt = y + t * tokenSize;
                  for (int64_t h = 0; h < heads; ++h) {
                    const T *xh = xt + h * hd;
                    T *yh = yt + h * hd;
                    for (int64_t i = 0; i < half; ++i) {
                      int64_t pi = interleaved ? 2 * i : i;
                      int64_t qi = interleaved ? 2 * i + 1 : i + half;
                      T a = xh[pi], bb = xh[qi], c = cosv[i], sn = sinv[i];
                      yh[pi] = rnd(rnd(a * c) - rnd(bb * sn));
                      yh[qi] = rnd(rnd(a * sn) + rnd(bb * c));
                    }
                    for (int64_t d = r; d < hd; ++d)
                      yh[d] = xh[d];
                  }
                }
              });
  finishOutput<T>(sy, out, pool);
}

static LogicalResult ropeKernel(Operation *op, ArrayRef<Tensor> operands,
                                MutableArrayRef<Tensor> results,
                                KernelContext &ctx) {
  auto rope = cast<RoPEOp>(op);
  if (operands[0].dtype() == DType::F64)
    ropeRows<double>(rope, operands[0], operands[1], results[0], ctx.pool);
  else
    ropeRows<float>(rope, operands[0], operands[1], results[0], ctx.pool);
  return success();
}

//===----------------------------------------------------------------------===//
// qc.attention
//===----------------------------------------------------------------------===//

// Computed per (batch, query head, block of query rows):
//   S = Q K^T                    one GEMM (Eigen), in the compute type
//   s = S * scale + mask         scale rounded to the compute type
//   s = -inf where causal masks  (j > Skv - Sq + i)
//   m = max_j s; e = exp(s - m); l = sum_j e (ascending j); p = e / l
//   O = P V                      one GEMM
// f32 and f64 compute in their own type; f16 and bf16 compute in f32 and
// round the result once (a deliberate deviation from "computed in the element
// type": it is what fused attention kernels do and is strictly more
// accurate). A row whose scores are all -inf gets m = -inf, so s - m and
// everything after it is NaN, as the op specifies.
template <typename T>
static void attentionImpl(AttentionOp attn, ArrayRef<Tensor> operands,
                          Tensor &out, ThreadPool *pool) {
  const Tensor &q = operands[0], &k = operands[1], &v = operands[2];
  const Tensor *mask = attn.getMask() ? &operands[3] : nullptr;
  int64_t batch = q.shape()[0], hq = q.shape()[1], sq = q.shape()[2],
          d = q.shape()[3];
  int64_t hkv = k.shape()[1], skv = k.shape()[2], dv = v.shape()[3];
  int64_t group = hq / hkv;
  bool causal = attn.getCausal();
  T scale = static_cast<T>(*attn.getEffectiveScale());

  std::vector<T> sq_, sk, sv, sm, so;
  const T *qp = viewAs<T>(q, sq_, pool);
  const T *kp = viewAs<T>(k, sk, pool);
  const T *vp = viewAs<T>(v, sv, pool);
  const T *mp = mask ? viewAs<T>(*mask, sm, pool) : nullptr;
  T *op = outputAs<T>(out, so);

  // Mask strides against [B, Hq, Sq, Skv]; broadcast dimensions stride 0.
  int64_t mStride[4] = {0, 0, 0, 0};
  if (mask) {
    ArrayRef<int64_t> ms = mask->shape();
    int64_t lead = 4 - static_cast<int64_t>(ms.size()), stride = 1;
    for (int64_t i = static_cast<int64_t>(ms.size()) - 1; i >= 0; --i) {
      mStride[lead + i] = ms[i] == 1 ? 0 : stride;
      stride *= ms[i];
    }
  }

  int64_t rowBlock = std::max<int64_t>(
      1, std::min<int64_t>(sq, (int64_t(1) << 16) / std::max<int64_t>(skv, 1)));
  int64_t blocks = (sq + rowBlock - 1) / rowBlock;
  parallelFor(pool, batch * hq * blocks, 1, [&](int64_t begin, int64_t end) {
    std::vector<T> scores;
    for (int64_t task = begin; task < end; ++task) {
      int64_t bh = task / blocks;
      int64_t b = bh / hq, h = bh % hq;
      int64_t i0 = (task % blocks) * rowBlock;
      int64_t ni = std::min(rowBlock, sq - i0);
      int64_t kvh = h / group;
      const T *qb = qp + ((b * hq + h) * sq + i0) * d;
      const T *kb_ = kp + (b * hkv + kvh) * skv * d;
      const T *vb = vp + (b * hkv + kvh) * skv * dv;
      T *ob = op + ((b * hq + h) * sq + i0) * dv;
      scores.resize(ni * skv);
      eigenGemm<T>(ni, skv, d, qb, d, false, kb_, d, true, scores.data(), skv);
      for (int64_t r = 0; r < ni; ++r) {
        int64_t i = i0 + r;
        T *s = scores.data() + r * skv;
        int64_t limit = causal ? skv - sq + i : skv - 1;
        const T *mrow =
            mp ? mp + b * mStride[0] + h * mStride[1] + i * mStride[2]
               : nullptr;
        T m = -std::numeric_limits<T>::infinity();
        for (int64_t j = 0; j < skv; ++j) {
          if (j > limit) {
            s[j] = -std::numeric_limits<T>::infinity();
            continue;
          }
          s[j] = s[j] * scale;
          if (mrow)
            s[j] += mrow[j * mStride[3]];
          m = std::max(m, s[j]);
        }
        T sum = 0;
        for (int64_t j = 0; j < skv; ++j) {
          s[j] = std::exp(s[j] - m);
          sum += s[j];
        }
        for (int64_t j = 0; j < skv; ++j)
          s[j] = s[j] / sum;
      }
      eigenGemm<T>(ni, dv, skv, scores.data(), skv, false, vb, dv, false, ob,
                   dv);
    }
  });
  finishOutput<T>(so, out, pool);
}

static LogicalResult attentionKernel(Operation *op, ArrayRef<Tensor> operands,
                                     MutableArrayRef<Tensor> results,
                                     KernelContext &ctx) {
  auto attn = cast<AttentionOp>(op);
  if (!attn.getEffectiveScale()) {
    ctx.error = "the head dimension must be positive when no scale is given";
    return failure();
  }
  if (operands[0].dtype() == DType::F64)
    attentionImpl<double>(attn, operands, results[0], ctx.pool);
  else
    attentionImpl<float>(attn, operands, results[0], ctx.pool);
  return success();
}

//===----------------------------------------------------------------------===//
// qc.kv_cache_write
//===----------------------------------------------------------------------===//

static LogicalResult kvCacheWriteKernel(Operation *op,
                                        ArrayRef<Tensor> operands,
                                        MutableArrayRef<Tensor> results,
                                        KernelContext &ctx) {
  auto kv = cast<KVCacheWriteOp>(op);
  const Tensor &cache = operands[0], &update = operands[1];
  Tensor &out = results[0];
  ArrayRef<int64_t> cs = cache.shape(), us = update.shape();
  int64_t smax = cs[2], sn = us[2];
  int64_t position = loadInt(operands[2], 0);
  if (position < 0 || position > smax - sn) {
    ctx.error = "position " + std::to_string(position) + " with " +
                std::to_string(sn) +
                " new row(s) is out of range for a cache of " +
                std::to_string(smax) + " rows";
    return failure();
  }
  // Value semantics: the result is a copy of the cache with the new rows.
  std::memcpy(out.raw(), cache.raw(), cache.byteSize());

  Tensor rows = update;
  Type ce = elementTypeOf(kv.getCache());
  if (isUniformQuantized(ce)) {
    // Quantize on write, with the cache's per-tensor scale, exactly as
    // quant.qcast; the old rows keep their stored integers.
    QuantGrid grid = getQuantGrid(ce, update.shape());
    rows = Tensor(grid.storage, update.shape());
    quantizeTensor(update, grid, rows, ctx.pool);
  }
  size_t rowBytes = cs[3] * dtypeSize(out.dtype());
  const char *src = static_cast<const char *>(rows.raw());
  char *dst = static_cast<char *>(out.raw());
  int64_t planes = cs[0] * cs[1];
  for (int64_t p = 0; p < planes; ++p)
    std::memcpy(dst + (p * smax + position) * rowBytes, src + p * sn * rowBytes,
                sn * rowBytes);
  return success();
}

void exec::registerTransformerKernels(KernelRegistry &registry) {
  registry.add("qc.embedding", embeddingKernel);
  registry.add("qc.rope", ropeKernel);
  registry.add("qc.attention", attentionKernel);
  registry.add("qc.kv_cache_write", kvCacheWriteKernel);
}
