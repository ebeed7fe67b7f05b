//===- BlockKernels.cpp - linear layers with llama.cpp block weights ------===//
//
// Part of quantc. qc.block_linear in its two forms (QCBlockOps.td states
// the arithmetic; docs/Executor.md repeats it):
//
//  - float: each weight row expanded with gguf::dequantizeRow, then per
//    output an f32 fused multiply-add chain from the bias, in order of k -
//    the order and roundings of the generated f32 GEMM, so a model lowered
//    through it agrees bit for bit;
//  - integer (`dynamic_act`, Q4_0 / Q8_0): activations quantized per row and
//    block of 32 to int8, exact int32 block dot products, then
//    y += f32(acc) * f32(s_x * s_w) block by block - the w4a8-dynamic form.
//
// Work is split over output channels; each output is computed by one task
// in a fixed order, so results do not depend on the thread count.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Dialect/QC/Utils/Numerics.h"
#include "qc/GGUF/BlockFormats.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::exec;
namespace gg = mlir::qc::gguf;

namespace {

/// Rows of the weight per task: enough work to be worth a hand-off.
int64_t grainFor(int64_t rowWork) {
  return std::max<int64_t>(1, (int64_t(1) << 16) / std::max<int64_t>(rowWork, 1));
}

void floatForm(gg::GGMLType type, const float *x, const uint8_t *w,
               size_t rowBytes, const float *bias, float *y, int64_t M,
               int64_t K, int64_t N, ThreadPool *pool) {
  parallelFor(pool, N, grainFor(M * K), [&](int64_t begin, int64_t end) {
    std::vector<float> row(K);
    for (int64_t n = begin; n < end; ++n) {
      gg::dequantizeRow(type, w + n * rowBytes, K, row.data());
      for (int64_t m = 0; m < M; ++m) {
        const float *xr = x + m * K;
        float acc = bias ? bias[n] : 0.0f;
        for (int64_t k = 0; k < K; ++k)
          acc = std::fma(xr[k], row[k], acc);
        y[m * N + n] = acc;
      }
    }
  });
}

/// The integer form. Weight block b of row n: scale d (binary16) and 32
/// codes, Q4_0 `q - 8` from nibbles, Q8_0 int8.
void integerForm(gg::GGMLType type, const float *x, const uint8_t *w,
                 size_t rowBytes, const float *bias, float *y, int64_t M,
                 int64_t K, int64_t N, ThreadPool *pool) {
  const int64_t nb = K / 32;
  std::vector<float> xs(M * nb);
  std::vector<int8_t> xq(M * K);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t b = 0; b < nb; ++b) {
      const float *blk = x + m * K + b * 32;
      float amax = 0.0f;
      for (int64_t i = 0; i < 32; ++i)
        amax = std::max(amax, std::fabs(blk[i]));
      float s = amax > 0.0f
                    ? static_cast<float>(static_cast<double>(amax) / 127.0)
                    : 1.0f;
      if (!(s >= std::numeric_limits<float>::min()))
        s = 1.0f;
      xs[m * nb + b] = s;
      for (int64_t i = 0; i < 32; ++i)
        xq[m * K + b * 32 + i] =
            static_cast<int8_t>(numerics::quantize(blk[i], s, 0, -127, 127));
    }
  const bool q4 = type == gg::GGMLType::Q4_0;
  const size_t blockBytes = q4 ? 18 : 34;
  parallelFor(pool, N, grainFor(M * K), [&](int64_t begin, int64_t end) {
    int8_t codes[32];
    std::vector<float> acc(M);
    for (int64_t n = begin; n < end; ++n) {
      for (int64_t m = 0; m < M; ++m)
        acc[m] = bias ? bias[n] : 0.0f;
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t *blk = w + n * rowBytes + b * blockBytes;
        uint16_t d;
        std::memcpy(&d, blk, 2);
        float sw = gg::halfToFloat(d);
        if (q4) {
          for (int i = 0; i < 16; ++i) {
            codes[i] = static_cast<int8_t>((blk[2 + i] & 0xF) - 8);
            codes[i + 16] = static_cast<int8_t>((blk[2 + i] >> 4) - 8);
          }
        } else {
          std::memcpy(codes, blk + 2, 32);
        }
        for (int64_t m = 0; m < M; ++m) {
          const int8_t *xr = xq.data() + m * K + b * 32;
          int32_t dot = 0;
          for (int i = 0; i < 32; ++i)
            dot += int32_t(xr[i]) * int32_t(codes[i]);
          float s = static_cast<float>(static_cast<double>(xs[m * nb + b]) *
                                       static_cast<double>(sw));
          acc[m] += static_cast<float>(dot) * s;
        }
      }
      for (int64_t m = 0; m < M; ++m)
        y[m * N + n] = acc[m];
    }
  });
}

LogicalResult blockLinearKernel(Operation *op, ArrayRef<Tensor> operands,
                                MutableArrayRef<Tensor> results,
                                KernelContext &ctx) {
  auto bl = cast<BlockLinearOp>(op);
  std::optional<gg::GGMLType> type = gg::parseTypeName(bl.getFormat());
  if (!type) {
    ctx.error = "unknown block format '" + bl.getFormat().str() + "'";
    return failure();
  }
  const Tensor &x = operands[0], &w = operands[1];
  const float *bias = bl.getBias() ? operands[2].data<float>() : nullptr;
  int64_t K = bl.getRowLength(), N = bl.getNumRows();
  int64_t M = K > 0 ? x.numElements() / K : 0;
  size_t rowBytes = static_cast<size_t>(w.shape()[1]);
  const auto *wb = static_cast<const uint8_t *>(w.raw());
  float *y = results[0].data<float>();
  if (bl.getDynamicAct())
    integerForm(*type, x.data<float>(), wb, rowBytes, bias, y, M, K, N,
                ctx.pool);
  else
    floatForm(*type, x.data<float>(), wb, rowBytes, bias, y, M, K, N,
              ctx.pool);
  return success();
}

} // namespace

void exec::registerBlockKernels(KernelRegistry &registry) {
  registry.add("qc.block_linear", blockLinearKernel);
}
