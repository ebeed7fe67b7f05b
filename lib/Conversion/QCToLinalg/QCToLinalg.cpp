//===- QCToLinalg.cpp - qc on tensors to linalg, tensor and arith ---------===//
//
// Part of quantc.
//
// Rewrites a quantized (or float) qc model function into upstream dialects on
// tensors: quantized element types become their storage integers, every qc op
// becomes linalg.generic (or tensor data movement), and the integer forms of
// the contractions spell out the order of operations of docs/Executor.md in
// arith, so that generated code is bit-exact with the reference executor.
//
// The rewrite walks the function once, in order, building the new body next
// to the old one; ops it does not know are errors naming the op.
//
//===----------------------------------------------------------------------===//

#include "qc/Conversion/Passes.h"

#include "qc/Dialect/QC/IR/QCDialect.h"
#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Dialect/QC/Utils/Numerics.h"
#include "qc/GGUF/BlockFormats.h"
#include "qc/Executor/Resize.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/IRMapping.h"

#include <cmath>
#include <cstring>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <limits>

namespace mlir::qc {
#define GEN_PASS_DEF_CONVERTQCTOLINALG
#include "qc/Conversion/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

using BodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

//===----------------------------------------------------------------------===//
// Types and quantization parameters
//===----------------------------------------------------------------------===//

Type storageOf(Type elt) {
  if (auto q = dyn_cast<quant::QuantizedType>(elt))
    return IntegerType::get(elt.getContext(), q.getStorageTypeIntegralWidth());
  return elt;
}

RankedTensorType convertType(Type t) {
  auto rt = cast<RankedTensorType>(t);
  return RankedTensorType::get(rt.getShape(), storageOf(rt.getElementType()));
}

Type eltOf(Value v) { return cast<ShapedType>(v.getType()).getElementType(); }
ArrayRef<int64_t> shapeOf(Value v) {
  return cast<ShapedType>(v.getType()).getShape();
}

/// Per-tensor or per-axis parameters of a quantized element type, with the
/// scales rounded to float (the expressed type) as every kernel uses them.
struct QInfo {
  SmallVector<float> scales;
  SmallVector<int32_t> zeroPoints;
  int32_t qmin = 0, qmax = 0;
  int64_t axis = -1; // -1: per tensor
  unsigned bits = 8;
  bool perTensor() const { return axis < 0; }
  float scale() const { return scales.front(); }
  int32_t zp() const { return zeroPoints.front(); }
};

std::optional<QInfo> qinfo(Type elt) {
  QInfo q;
  if (auto u = dyn_cast<quant::UniformQuantizedType>(elt)) {
    q.scales.push_back(static_cast<float>(u.getScale()));
    q.zeroPoints.push_back(static_cast<int32_t>(u.getZeroPoint()));
  } else if (auto a = dyn_cast<quant::UniformQuantizedPerAxisType>(elt)) {
    for (double s : a.getScales())
      q.scales.push_back(static_cast<float>(s));
    for (int64_t z : a.getZeroPoints())
      q.zeroPoints.push_back(static_cast<int32_t>(z));
    q.axis = a.getQuantizedDimension();
  } else {
    return std::nullopt;
  }
  auto qt = cast<quant::QuantizedType>(elt);
  q.qmin = static_cast<int32_t>(qt.getStorageTypeMin());
  q.qmax = static_cast<int32_t>(qt.getStorageTypeMax());
  q.bits = qt.getStorageTypeIntegralWidth();
  return q;
}

/// Fixed-point requantization constants of one output channel, arranged so
/// that one branch-free sequence reproduces numerics::requantize:
///   v = (x * mult + add) >> rshift               (floor division)
///   r = sign(v) * ((|v| + half) >> exp)          (round half away from 0)
struct RequantChannel {
  int64_t mult, add, rshift, half, exp;
};

RequantChannel requantChannel(double realScale) {
  numerics::QuantizedMultiplier m = numerics::quantizeMultiplier(realScale);
  RequantChannel c{m.multiplier, 0, 0, 0, 0};
  if (m.shift <= 0) {
    c.add = int64_t(1) << 30;
    c.rshift = 31;
    c.exp = -m.shift;
  } else if (m.shift < 31) {
    c.add = int64_t(1) << (30 - m.shift);
    c.rshift = 31 - m.shift;
  }
  c.half = c.exp > 0 ? int64_t(1) << (c.exp - 1) : 0;
  return c;
}

/// An error on `op` that names it and, when it has one, its ONNX node:
/// "'qc.softmax' op (node /head/Softmax): ...".
InFlightDiagnostic err(Operation *op) {
  InFlightDiagnostic d = op->emitError();
  d << "'" << op->getName() << "' op";
  Location loc = op->getLoc();
  if (auto fused = dyn_cast<FusedLoc>(loc); fused && !fused.getLocations().empty())
    loc = fused.getLocations().front();
  if (auto name = dyn_cast<NameLoc>(loc))
    d << " (node " << name.getName() << ")";
  d << ": ";
  return d;
}

//===----------------------------------------------------------------------===//
// The lowering
//===----------------------------------------------------------------------===//

struct AxisReduce;

class Lowering {
public:
  explicit Lowering(MLIRContext *ctx) : b(ctx) {}
  LogicalResult run(func::FuncOp f);

private:
  friend struct AxisReduce;
  OpBuilder b;
  IRMapping map;

  Value get(Value v) { return map.lookup(v); }

  // Building blocks.
  Value empty(Location loc, ArrayRef<int64_t> shape, Type elt) {
    return tensor::EmptyOp::create(b, loc, shape, elt);
  }
  Value fill(Location loc, ArrayRef<int64_t> shape, Value scalar) {
    Value e = empty(loc, shape, scalar.getType());
    return linalg::FillOp::create(b, loc, scalar, e).getResult(0);
  }
  Value cst(Location loc, Type t, double v) {
    if (isa<FloatType>(t))
      return arith::ConstantOp::create(b, loc, t, b.getFloatAttr(t, v));
    return arith::ConstantOp::create(b, loc, t,
                                     b.getIntegerAttr(t, static_cast<int64_t>(v)));
  }
  template <typename T>
  Value vec(Location loc, ArrayRef<T> values, Type elt) {
    auto t = RankedTensorType::get({static_cast<int64_t>(values.size())}, elt);
    if constexpr (std::is_floating_point_v<T>)
      return arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(t, llvm::to_vector(llvm::map_range(
                                                values, [](T v) {
                                                  return APFloat(static_cast<float>(v));
                                                }))));
    else
      return arith::ConstantOp::create(
          b, loc,
          DenseElementsAttr::get(
              t, llvm::to_vector(llvm::map_range(values, [&](T v) {
                   return APInt(elt.getIntOrFloatBitWidth(), static_cast<uint64_t>(v),
                                /*isSigned=*/true);
                 }))));
  }

  /// Elementwise generic over `outShape`; inputs broadcast NumPy-style
  /// (aligned right, size-1 dimensions repeat). `extra` inputs carry their own
  /// indexing maps (e.g. per-channel constants).
  Value elementwise(Location loc, ValueRange ins, ArrayRef<int64_t> outShape,
                    Type outElt, BodyFn body,
                    ArrayRef<std::pair<Value, AffineMap>> extra = {});
  AffineMap broadcastMap(ArrayRef<int64_t> inShape, ArrayRef<int64_t> outShape);

  /// Per-channel constant `values` as an input of an elementwise op over a
  /// rank-`rank` result whose channel is dimension `dim`.
  template <typename T>
  std::pair<Value, AffineMap> channelInput(Location loc, ArrayRef<T> values,
                                           Type elt, unsigned rank, int64_t dim) {
    return {vec<T>(loc, values, elt),
            AffineMap::get(rank, 0, b.getAffineDimExpr(dim), b.getContext())};
  }

  // Scalar arithmetic of the quantized forms.
  Value quantizeScalar(OpBuilder &bb, Location loc, Value x, Value scale,
                       Value zp, int32_t qmin, int32_t qmax, Type storage);
  Value dequantizeScalar(OpBuilder &bb, Location loc, Value q, Value scale,
                         Value zp);
  Value requantScalar(OpBuilder &bb, Location loc, Value acc, ValueRange ch,
                      int32_t zp, int32_t qmin, int32_t qmax, Type storage);

  /// The quantized tensor `v` (storage ints, type `qt`) as f32.
  Value dequantize(Location loc, Value v, Type qt);
  /// The f32 tensor `v` quantized to `qt`.
  Value quantize(Location loc, Value v, Type qt);

  /// Applies the output stage of an integer or float contraction: `acc` is
  /// the i32 accumulator (bias included) of a result of type `resultType`.
  FailureOr<Value> finishInteger(Operation *op, Value acc, const QInfo &x,
                                 const QInfo &w, Type resultType,
                                 int64_t channelDim);

  /// Constant [N, K] weight `v` (f32, or 8-bit storage) transposed to
  /// [K, N] as a new constant; null when `v` is not such a constant.
  Value transposedConstant(Value v);
  /// The int8 values of constant `v` (a qc.constant of 8-bit storage).
  std::optional<std::vector<int8_t>> constantInt8(Value v);
  /// The int32 values of constant `v` (a qc.constant of 32-bit storage).
  std::optional<std::vector<int32_t>> constantInt32(Value v);
  /// acc[M,N] = bias'[n] + sum_k x[m,k] * w[n,k] with bias' = bias - zx *
  /// sum_k w[n,k]: a linalg.generic tagged `qc.kernel = "gemm_s8"` whose
  /// weight operand is the packed [N/16][K/4][16][4] layout.
  FailureOr<Value> packedGemm(Operation *op, Value x, ArrayRef<int8_t> w,
                              int64_t M, int64_t N, int64_t K, int32_t zx,
                              ArrayRef<int32_t> bias);
  /// The f32 values of constant `v` (row-major; a qc.constant or a value
  /// the lowering mapped to an arith.constant); none for anything else.
  std::optional<std::vector<float>> constantF32(Value v);
  /// y[M,N] = bias[n] + sum_k x[m,k] * w[n,k] for f32 `x` [M,K] and a
  /// constant f32 weight `w` ([N,K] row-major): a linalg.generic tagged
  /// `qc.kernel = "fgemm"` reading the weight repacked at compile time into
  /// column tiles [N/16][K][16] (zero padded), its result initialised with
  /// the bias by a generic tagged `qc.kernel_init`. `bias` ([N] f32) may be
  /// null; a constant one is also attached, padded, as `qc.bias`.
  Value floatGemm(Location loc, Value x, ArrayRef<float> w, int64_t M,
                  int64_t N, int64_t K, Value bias);
  /// floatGemm on a weight already in the packed [N/16][K][16] layout.
  Value floatGemmPacked(Location loc, Value x, Value wp, int64_t M, int64_t N,
                        int64_t K, Value bias);
  /// A constant of `type` whose bytes `fill` writes, held in a resource blob
  /// (never uniqued into the context, released when the weights are
  /// outlined).
  Value blobConstant(Location loc, RankedTensorType type, StringRef key,
                     function_ref<void(MutableArrayRef<char>)> fill);

  LogicalResult lowerOp(Operation *op);
  LogicalResult lowerConstant(qc::ConstantOp op);
  LogicalResult lowerConv(Operation *op, Value x, Value w, Value bias,
                          ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                          ArrayRef<int64_t> dilations, int64_t groups);
  LogicalResult lowerConvTranspose(ConvTranspose2DOp op);
  LogicalResult lowerLinear(Operation *op, Value x, Value w, Value bias);
  LogicalResult lowerMatmul(MatMulOp op);
  LogicalResult lowerPool(Pool2DOp op);
  LogicalResult lowerReduce(ReduceOp op);
  LogicalResult lowerResize(ResizeOp op);
  LogicalResult lowerConcat(ConcatOp op);
  LogicalResult lowerReshape(Operation *op);
  LogicalResult lowerTranspose(TransposeOp op);
  LogicalResult lowerNorm(Operation *op, Value input, Value scale, Value bias,
                          int64_t axis, double epsilon, bool centre);
  LogicalResult lowerSoftmax(SoftmaxOp op);
  LogicalResult lowerGather(GatherOp op);
  LogicalResult lowerEmbedding(EmbeddingOp op);
  LogicalResult lowerRoPE(RoPEOp op);
  LogicalResult lowerKVCacheWrite(KVCacheWriteOp op);
  LogicalResult lowerAttention(AttentionOp op);
  LogicalResult lowerCast(CastOp op);
  LogicalResult lowerWhere(WhereOp op);
  /// Reduces `x` ([rows, len]) along its last dimension into f64 [rows]:
  /// acc = combine(acc, f64(element(x[r, k], r))).
  Value rowReduce(Location loc, Value x, double init,
                  function_ref<Value(OpBuilder &, Location, Value x, Value acc,
                                     ValueRange rowValues)>
                      combine,
                  ValueRange rowInputs = {});
  LogicalResult lowerUnary(Operation *op);
  LogicalResult lowerBinary(Operation *op);
  LogicalResult lowerClamp(Operation *op, std::optional<double> lo,
                           std::optional<double> hi);
  LogicalResult lowerLogSoftmax(LogSoftmaxOp op);
  LogicalResult lowerInstanceNorm(InstanceNormOp op);
  LogicalResult lowerPad(PadOp op);
  LogicalResult lowerTile(TileOp op);
  LogicalResult lowerArgReduce(Operation *op, bool isMax);
  LogicalResult lowerCompare(Operation *op);
  LogicalResult lowerLogical(Operation *op);
  LogicalResult lowerMod(ModOp op);
  /// The unary ops lowerUnary leaves out: sin, cos, softplus, gelu, elu,
  /// sign, not, and abs/neg on integers.
  LogicalResult lowerUnaryMore(Operation *op);
  /// A call of the C library's float function `name` (declared, on first
  /// use, in the module of `anchor`), for functions whose math dialect
  /// lowering is not the library's (math.log1p becomes log(1 + x)).
  Value libmCall(OpBuilder &bb, Location loc, Operation *anchor, StringRef name,
                 Value x);

  /// The contraction of a float, integer or weight-only form: `maps` index x,
  /// w and the accumulator `init`; `channel` indexes per-channel weight
  /// parameters.
  Value contraction(Location loc, Value x, Value w, Value init,
                    SmallVector<AffineMap> maps,
                    ArrayRef<utils::IteratorType> iters, AffineMap channel,
                    const std::optional<QInfo> &xq,
                    const std::optional<QInfo> &wq);

  /// The columns [N*OH*OW, C*KH*KW] of padded NCHW input `x` for a
  /// convolution with result shape `ys` and weight shape `ws`.
  Value im2col(Location loc, Value x, ArrayRef<int64_t> ys, ArrayRef<int64_t> ws,
               ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations);
  /// [N*OH*OW, F] back to NCHW [N, F, OH, OW] = `ys`.
  Value toNCHW(Location loc, Value v, ArrayRef<int64_t> ys);
  /// x [rows, len] f32 quantized per row to i8<-127:127> with
  /// s_r = f32(max|x_r| / 127) (1 for an all-zero row): {scales, codes}.
  std::pair<Value, Value> quantizeRows(Location loc, Value x2);
  LogicalResult lowerDynamicBlocks(Operation *op, Value xv, Value wv, Value bv);
  /// Row n of a block weight: its K codes and K/B scales.
  using BlockRowFn = function_ref<void(int64_t n, int8_t *codes, float *scales)>;
  /// The weight of the block kernels (packed codes, scales) from its rows.
  std::pair<Value, Value> packBlockWeight(Location loc, int64_t N, int64_t K,
                                          int64_t B, bool nibbles,
                                          BlockRowFn row);
  /// The dynamic block product of `xv` with packed weight (wp, wsc): the
  /// `qmm_acc` / `qmm` generics.
  LogicalResult emitBlockProduct(Operation *op, Value xv, Value bv, Value wp,
                                 Value wsc, int64_t N, int64_t K, int64_t B,
                                 bool nibbles);
  LogicalResult lowerBlockLinear(BlockLinearOp op);
  LogicalResult lowerDynamic(Operation *op, Value xv, Value wv, Value bv,
                             bool isConv, ArrayRef<int64_t> strides,
                             ArrayRef<int64_t> pads, ArrayRef<int64_t> dilations,
                             int64_t groups);

  /// Pads `v` (NCHW) spatially with `value`.
  Value padSpatial(Location loc, Value v, ArrayRef<int64_t> lo,
                   ArrayRef<int64_t> hi, Value value);

  void set(Value old, Value nv) { map.map(old, nv); }

  /// A distinct value for each `qc.kernel_init` tag: CSE must not merge the
  /// initialisations of two kernels (each kernel replaces its own).
  IntegerAttr uniqueTag() { return b.getI64IntegerAttr(numKernelInits++); }
  int64_t numKernelInits = 0;
};

AffineMap Lowering::broadcastMap(ArrayRef<int64_t> inShape,
                                 ArrayRef<int64_t> outShape) {
  unsigned rank = outShape.size();
  SmallVector<AffineExpr> exprs;
  unsigned offset = rank - inShape.size();
  for (unsigned i = 0; i < inShape.size(); ++i) {
    if (inShape[i] == 1 && outShape[offset + i] != 1)
      exprs.push_back(b.getAffineConstantExpr(0));
    else
      exprs.push_back(b.getAffineDimExpr(offset + i));
  }
  return AffineMap::get(rank, 0, exprs, b.getContext());
}

Value Lowering::elementwise(Location loc, ValueRange ins,
                            ArrayRef<int64_t> outShape, Type outElt,
                            BodyFn body,
                            ArrayRef<std::pair<Value, AffineMap>> extra) {
  unsigned rank = outShape.size();
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  for (Value v : ins) {
    inputs.push_back(v);
    maps.push_back(broadcastMap(shapeOf(v), outShape));
  }
  for (auto &[v, m] : extra) {
    inputs.push_back(v);
    maps.push_back(m);
  }
  maps.push_back(b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  Value init = empty(loc, outShape, outElt);
  auto g = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps, iters,
      [&](OpBuilder &bb, Location l, ValueRange args) {
        Value r = body(bb, l, args.drop_back());
        linalg::YieldOp::create(bb, l, r);
      });
  return g.getResult(0);
}

Value Lowering::quantizeScalar(OpBuilder &bb, Location loc, Value x,
                               Value scale, Value zp, int32_t qmin,
                               int32_t qmax, Type storage) {
  // numerics::quantize: f32 division, round half to even, clamp to
  // [qmin - zp, qmax - zp] before adding the zero point; NaN -> zp.
  Type f32 = bb.getF32Type(), i32 = bb.getI32Type();
  if (x.getType() != f32)
    x = arith::ExtFOp::create(bb, loc, f32, x);
  Value scaled = arith::DivFOp::create(bb, loc, x, scale);
  Value r = math::RoundEvenOp::create(bb, loc, scaled);
  Value zpf = arith::SIToFPOp::create(bb, loc, f32, zp);
  Value lo = arith::SubFOp::create(
      bb, loc, arith::ConstantOp::create(bb, loc, bb.getF32FloatAttr(qmin)), zpf);
  Value hi = arith::SubFOp::create(
      bb, loc, arith::ConstantOp::create(bb, loc, bb.getF32FloatAttr(qmax)), zpf);
  Value c = arith::MinimumFOp::create(bb, loc,
                                      arith::MaximumFOp::create(bb, loc, r, lo), hi);
  Value isNan = arith::CmpFOp::create(bb, loc, arith::CmpFPredicate::UNO, x, x);
  Value zero = arith::ConstantOp::create(bb, loc, bb.getF32FloatAttr(0.0f));
  c = arith::SelectOp::create(bb, loc, isNan, zero, c);
  Value q = arith::AddIOp::create(bb, loc, arith::FPToSIOp::create(bb, loc, i32, c),
                                  zp);
  if (storage != i32)
    q = arith::TruncIOp::create(bb, loc, storage, q);
  return q;
}

Value Lowering::dequantizeScalar(OpBuilder &bb, Location loc, Value q,
                                 Value scale, Value zp) {
  Type i64 = bb.getI64Type();
  Value q64 = arith::ExtSIOp::create(bb, loc, i64, q);
  Value z64 = arith::ExtSIOp::create(bb, loc, i64, zp);
  Value d = arith::SubIOp::create(bb, loc, q64, z64);
  Value f = arith::SIToFPOp::create(bb, loc, bb.getF32Type(), d);
  return arith::MulFOp::create(bb, loc, f, scale);
}

Value Lowering::requantScalar(OpBuilder &bb, Location loc, Value acc,
                              ValueRange ch, int32_t zp, int32_t qmin,
                              int32_t qmax, Type storage) {
  Type i64 = bb.getI64Type();
  Value mult = ch[0], add = ch[1], rshift = ch[2], half = ch[3], exp = ch[4];
  Value x = arith::ExtSIOp::create(bb, loc, i64, acc);
  Value v = arith::ShRSIOp::create(
      bb, loc, arith::AddIOp::create(bb, loc, arith::MulIOp::create(bb, loc, x, mult), add),
      rshift);
  Value zero = arith::ConstantOp::create(bb, loc, bb.getI64IntegerAttr(0));
  Value neg = arith::CmpIOp::create(bb, loc, arith::CmpIPredicate::slt, v, zero);
  Value mag = arith::SelectOp::create(bb, loc, neg,
                                      arith::SubIOp::create(bb, loc, zero, v), v);
  Value r = arith::ShRSIOp::create(bb, loc, arith::AddIOp::create(bb, loc, mag, half),
                                   exp);
  r = arith::SelectOp::create(bb, loc, neg, arith::SubIOp::create(bb, loc, zero, r), r);
  r = arith::AddIOp::create(bb, loc, r,
                            arith::ConstantOp::create(bb, loc, bb.getI64IntegerAttr(zp)));
  r = arith::MaxSIOp::create(bb, loc, r,
                             arith::ConstantOp::create(bb, loc, bb.getI64IntegerAttr(qmin)));
  r = arith::MinSIOp::create(bb, loc, r,
                             arith::ConstantOp::create(bb, loc, bb.getI64IntegerAttr(qmax)));
  return arith::TruncIOp::create(bb, loc, storage, r);
}

Value Lowering::dequantize(Location loc, Value v, Type qt) {
  QInfo q = *qinfo(qt);
  ArrayRef<int64_t> shape = shapeOf(v);
  unsigned rank = shape.size();
  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  if (q.perTensor()) {
    float s = q.scale();
    int32_t z = q.zp();
    return elementwise(loc, {v}, shape, f32,
                       [&](OpBuilder &bb, Location l, ValueRange a) {
                         Value sv = arith::ConstantOp::create(bb, l, bb.getF32FloatAttr(s));
                         Value zv = arith::ConstantOp::create(bb, l, bb.getI32IntegerAttr(z));
                         return dequantizeScalar(bb, l, a[0], sv, zv);
                       });
  }
  auto sIn = channelInput<float>(loc, q.scales, f32, rank, q.axis);
  auto zIn = channelInput<int32_t>(loc, q.zeroPoints, i32, rank, q.axis);
  return elementwise(
      loc, {v}, shape, f32,
      [&](OpBuilder &bb, Location l, ValueRange a) {
        return dequantizeScalar(bb, l, a[0], a[1], a[2]);
      },
      {sIn, zIn});
}

Value Lowering::quantize(Location loc, Value v, Type qt) {
  QInfo q = *qinfo(qt);
  ArrayRef<int64_t> shape = shapeOf(v);
  unsigned rank = shape.size();
  Type storage = storageOf(qt);
  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  if (q.perTensor()) {
    float s = q.scale();
    int32_t z = q.zp();
    return elementwise(loc, {v}, shape, storage,
                       [&](OpBuilder &bb, Location l, ValueRange a) {
                         Value sv = arith::ConstantOp::create(bb, l, bb.getF32FloatAttr(s));
                         Value zv = arith::ConstantOp::create(bb, l, bb.getI32IntegerAttr(z));
                         return quantizeScalar(bb, l, a[0], sv, zv, q.qmin, q.qmax,
                                               storage);
                       });
  }
  auto sIn = channelInput<float>(loc, q.scales, f32, rank, q.axis);
  auto zIn = channelInput<int32_t>(loc, q.zeroPoints, i32, rank, q.axis);
  return elementwise(
      loc, {v}, shape, storage,
      [&](OpBuilder &bb, Location l, ValueRange a) {
        return quantizeScalar(bb, l, a[0], a[1], a[2], q.qmin, q.qmax, storage);
      },
      {sIn, zIn});
}

FailureOr<Value> Lowering::finishInteger(Operation *op, Value acc,
                                         const QInfo &x, const QInfo &w,
                                         Type resultType, int64_t channelDim) {
  Location loc = op->getLoc();
  auto rt = cast<RankedTensorType>(resultType);
  ArrayRef<int64_t> shape = rt.getShape();
  unsigned rank = shape.size();
  Type re = rt.getElementType();
  float sx = x.scale();
  if (auto rq = dyn_cast<quant::QuantizedType>(re)) {
    if (rq.getStorageTypeIntegralWidth() == 32)
      return acc;
    std::optional<QInfo> y = qinfo(re);
    if (!y || !y->perTensor())
      return err(op) << ("a requantized result must be per-tensor quantized");
    SmallVector<int64_t> mult, add, rshift, half, exp;
    for (float sw : w.scales) {
      RequantChannel c =
          requantChannel(numerics::getRequantScale(sx, sw, y->scale()));
      mult.push_back(c.mult);
      add.push_back(c.add);
      rshift.push_back(c.rshift);
      half.push_back(c.half);
      exp.push_back(c.exp);
    }
    Type i64 = b.getI64Type();
    Type storage = storageOf(re);
    int32_t zy = y->zp(), qmin = y->qmin, qmax = y->qmax;
    if (w.perTensor()) {
      RequantChannel c{mult[0], add[0], rshift[0], half[0], exp[0]};
      return elementwise(loc, {acc}, shape, storage,
                         [&](OpBuilder &bb, Location l, ValueRange a) {
                           SmallVector<Value> ch;
                           for (int64_t v : {c.mult, c.add, c.rshift, c.half, c.exp})
                             ch.push_back(arith::ConstantOp::create(
                                 bb, l, bb.getI64IntegerAttr(v)));
                           return requantScalar(bb, l, a[0], ch, zy, qmin, qmax,
                                                storage);
                         });
    }
    SmallVector<std::pair<Value, AffineMap>> extra;
    for (ArrayRef<int64_t> arr : {ArrayRef<int64_t>(mult), ArrayRef<int64_t>(add),
                                  ArrayRef<int64_t>(rshift), ArrayRef<int64_t>(half),
                                  ArrayRef<int64_t>(exp)})
      extra.push_back(channelInput<int64_t>(loc, arr, i64, rank, channelDim));
    return elementwise(
        loc, {acc}, shape, storage,
        [&](OpBuilder &bb, Location l, ValueRange a) {
          return requantScalar(bb, l, a[0], a.drop_front(), zy, qmin, qmax,
                               storage);
        },
        extra);
  }
  // Float result: f32(acc) * f32(f64(s_x) * f64(s_w[c])).
  if (!re.isF32())
    return err(op) << ("an integer contraction's float result must be f32");
  SmallVector<float> accScale;
  for (float sw : w.scales)
    accScale.push_back(static_cast<float>(double(sx) * double(sw)));
  Type f32 = b.getF32Type();
  if (w.perTensor()) {
    float s = accScale[0];
    return elementwise(loc, {acc}, shape, f32,
                       [&](OpBuilder &bb, Location l, ValueRange a) {
                         Value f = arith::SIToFPOp::create(bb, l, f32, a[0]);
                         return arith::MulFOp::create(
                             bb, l, f, arith::ConstantOp::create(bb, l, bb.getF32FloatAttr(s)));
                       });
  }
  auto sIn = channelInput<float>(loc, accScale, f32, rank, channelDim);
  return elementwise(
      loc, {acc}, shape, f32,
      [&](OpBuilder &bb, Location l, ValueRange a) {
        Value f = arith::SIToFPOp::create(bb, l, f32, a[0]);
        return arith::MulFOp::create(bb, l, f, a[1]);
      },
      {sIn});
}

static bool weightZpOf(const QInfo &w) {
  return llvm::any_of(w.zeroPoints, [](int32_t z) { return z != 0; });
}

/// The values of constant `v` (a qc.constant whose storage is T-sized
/// integers), dense or a resource blob.
template <typename T, typename ResourceAttr>
static std::optional<std::vector<T>> constantInts(Value v) {
  auto c = v.getDefiningOp<qc::ConstantOp>();
  if (!c)
    return std::nullopt;
  Attribute value = c.getValue();
  if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    if (!dense.getElementType().isInteger(8 * sizeof(T)))
      return std::nullopt;
    std::vector<T> out;
    for (const APInt &a : dense.getValues<APInt>())
      out.push_back(static_cast<T>(a.getSExtValue()));
    return out;
  }
  if (auto res = dyn_cast<ResourceAttr>(value))
    if (std::optional<ArrayRef<T>> data = res.tryGetAsArrayRef())
      return std::vector<T>(data->begin(), data->end());
  return std::nullopt;
}

Value Lowering::transposedConstant(Value v) {
  auto c = v.getDefiningOp<qc::ConstantOp>();
  ArrayRef<int64_t> shape = shapeOf(v);
  if (!c || shape.size() != 2)
    return Value();
  int64_t N = shape[0], K = shape[1];
  Location loc = c.getLoc();
  if (std::optional<std::vector<int8_t>> w8 = constantInt8(v)) {
    std::vector<int8_t> t(w8->size());
    for (int64_t n = 0; n < N; ++n)
      for (int64_t k = 0; k < K; ++k)
        t[k * N + n] = (*w8)[n * K + k];
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(RankedTensorType::get({K, N}, b.getI8Type()),
                                       ArrayRef<int8_t>(t)));
  }
  std::vector<float> src;
  if (auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
      dense && dense.getElementType().isF32()) {
    auto values = dense.getValues<float>();
    src.assign(values.begin(), values.end());
  } else if (auto res = dyn_cast<DenseF32ResourceElementsAttr>(c.getValue())) {
    if (std::optional<ArrayRef<float>> values = res.tryGetAsArrayRef())
      src.assign(values->begin(), values->end());
  }
  if (src.size() != static_cast<size_t>(N * K))
    return Value();
  std::vector<float> t(src.size());
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k)
      t[k * N + n] = src[n * K + k];
  return arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(RankedTensorType::get({K, N}, b.getF32Type()),
                                     ArrayRef<float>(t)));
}

std::optional<std::vector<int8_t>> Lowering::constantInt8(Value v) {
  return constantInts<int8_t, DenseI8ResourceElementsAttr>(v);
}

std::optional<std::vector<int32_t>> Lowering::constantInt32(Value v) {
  return constantInts<int32_t, DenseI32ResourceElementsAttr>(v);
}

FailureOr<Value> Lowering::packedGemm(Operation *op, Value x,
                                      ArrayRef<int8_t> w, int64_t M, int64_t N,
                                      int64_t K, int32_t zx,
                                      ArrayRef<int32_t> bias) {
  Location loc = op->getLoc();
  MLIRContext *ctx = b.getContext();
  // K4 is even (K padded to a multiple of 8): the i8mm kernel steps 8 deep.
  int64_t N16 = (N + 15) / 16, K4 = 2 * ((K + 7) / 8);
  std::vector<int8_t> packed(N16 * K4 * 64, 0);
  std::vector<int32_t> colsum(N, 0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k) {
      int8_t v = w[n * K + k];
      packed[((n / 16) * K4 + k / 4) * 64 + (n % 16) * 4 + k % 4] = v;
      colsum[n] += v;
    }
  auto pt = RankedTensorType::get({N16, K4, 16, 4}, b.getI8Type());
  Value wp = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(pt, llvm::ArrayRef<int8_t>(packed)));
  // bias' = bias - zx * colsum, in wrapping i32 arithmetic.
  std::vector<int32_t> biasP(N16 * 16, 0);
  for (int64_t n = 0; n < N; ++n)
    biasP[n] = static_cast<int32_t>(
        static_cast<uint32_t>(bias.empty() ? 0 : bias[n]) +
        static_cast<uint32_t>(-zx) * static_cast<uint32_t>(colsum[n]));
  Value biasV = vec<int32_t>(loc, ArrayRef<int32_t>(biasP).take_front(N),
                             b.getI32Type());
  AffineMap chan = AffineMap::get(2, 0, b.getAffineDimExpr(1), ctx);
  Value init = elementwise(loc, {}, {M, N}, b.getI32Type(),
                           [&](OpBuilder &, Location, ValueRange a) { return a[0]; },
                           {{biasV, chan}});
  // The kernel stores bias' + products itself (qc.bias); it drops this
  // initialisation.
  init.getDefiningOp()->setAttr("qc.kernel_init", uniqueTag());
  AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
             k = getAffineDimExpr(2, ctx);
  SmallVector<AffineMap> maps = {
      AffineMap::get(3, 0, {m, k}, ctx),
      AffineMap::get(3, 0, {n.floorDiv(16), k.floorDiv(4), n % 16, k % 4}, ctx),
      AffineMap::get(3, 0, {m, n}, ctx)};
  using utils::IteratorType;
  SmallVector<IteratorType> iters = {IteratorType::parallel,
                                     IteratorType::parallel,
                                     IteratorType::reduction};
  auto g = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{x, wp}, ValueRange{init},
      maps, iters, [&](OpBuilder &bb, Location l, ValueRange a) {
        Type i32 = bb.getI32Type();
        Value p = arith::MulIOp::create(bb, l, arith::ExtSIOp::create(bb, l, i32, a[0]),
                                        arith::ExtSIOp::create(bb, l, i32, a[1]));
        linalg::YieldOp::create(bb, l, Value(arith::AddIOp::create(bb, l, a[2], p)));
      });
  g->setAttr("qc.kernel", b.getStringAttr("gemm_s8"));
  // sum_k w[n, k], zero padded to whole 16-column tiles: kernels that offset
  // the activations (x86 vpdpbusd takes unsigned bytes) correct with it.
  std::vector<int32_t> padded(N16 * 16, 0);
  std::copy(colsum.begin(), colsum.end(), padded.begin());
  g->setAttr("qc.colsum",
             DenseElementsAttr::get(RankedTensorType::get({N16 * 16}, b.getI32Type()),
                                    llvm::ArrayRef<int32_t>(padded)));
  g->setAttr("qc.bias",
             DenseElementsAttr::get(RankedTensorType::get({N16 * 16}, b.getI32Type()),
                                    llvm::ArrayRef<int32_t>(biasP)));
  return g.getResult(0);
}

std::optional<std::vector<float>> Lowering::constantF32(Value v) {
  if (!eltOf(v).isF32())
    return std::nullopt;
  // The mapped value first: a transposed convolution maps its weight to a
  // prepared (flipped) constant.
  Attribute value;
  if (Value m = map.lookupOrNull(v)) {
    if (auto c = m.getDefiningOp<arith::ConstantOp>())
      value = c.getValue();
  } else if (auto c = v.getDefiningOp<qc::ConstantOp>()) {
    value = c.getValue();
  }
  if (!value)
    return std::nullopt;
  if (auto dense = dyn_cast<DenseElementsAttr>(value);
      dense && dense.getElementType().isF32()) {
    auto values = dense.getValues<float>();
    return std::vector<float>(values.begin(), values.end());
  }
  if (auto res = dyn_cast<DenseF32ResourceElementsAttr>(value))
    if (std::optional<ArrayRef<float>> data = res.tryGetAsArrayRef())
      return std::vector<float>(data->begin(), data->end());
  return std::nullopt;
}

Value Lowering::floatGemm(Location loc, Value x, ArrayRef<float> w, int64_t M,
                          int64_t N, int64_t K, Value bias) {
  Type f32 = b.getF32Type();
  int64_t NT = (N + 15) / 16;
  std::vector<float> packed(NT * K * 16, 0.0f);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k)
      packed[((n / 16) * K + k) * 16 + n % 16] = w[n * K + k];
  Value wp = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(RankedTensorType::get({NT, K, 16}, f32),
                                     ArrayRef<float>(packed)));
  return floatGemmPacked(loc, x, wp, M, N, K, bias);
}

Value Lowering::floatGemmPacked(Location loc, Value x, Value wp, int64_t M,
                                int64_t N, int64_t K, Value bias) {
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type();
  int64_t NT = (N + 15) / 16;
  // The bias, zero padded to whole column tiles: the kernels read it a tile
  // at a time, the initialisation its first N values.
  std::optional<std::vector<float>> biasValues;
  if (bias)
    biasValues = constantF32(bias);
  std::vector<float> padded;
  Value biasP;
  if (!bias || biasValues) {
    padded.assign(NT * 16, 0.0f);
    if (biasValues)
      std::copy(biasValues->begin(), biasValues->end(), padded.begin());
    biasP = vec<float>(loc, ArrayRef<float>(padded), f32);
  } else {
    biasP = tensor::PadOp::create(
        b, loc, RankedTensorType::get({NT * 16}, f32), get(bias),
        ArrayRef<OpFoldResult>{b.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(NT * 16 - N)}, cst(loc, f32, 0.0));
  }
  Value biasN = tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get({N}, f32), biasP,
      ArrayRef<OpFoldResult>{b.getIndexAttr(0)}, ArrayRef<OpFoldResult>{b.getIndexAttr(N)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
  Value init = elementwise(loc, {}, {M, N}, f32,
                           [&](OpBuilder &, Location, ValueRange a) { return a[0]; },
                           {{biasN, AffineMap::get(2, 0, b.getAffineDimExpr(1), ctx)}});
  // The kernel starts from the bias itself; it drops this initialisation.
  init.getDefiningOp()->setAttr("qc.kernel_init", uniqueTag());
  AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
             k = getAffineDimExpr(2, ctx);
  SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {m, k}, ctx),
                                 AffineMap::get(3, 0, {n.floorDiv(16), k, n % 16}, ctx),
                                 AffineMap::get(3, 0, {m, n}, ctx)};
  using utils::IteratorType;
  auto g = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{x, wp}, ValueRange{init}, maps,
      SmallVector<IteratorType>{IteratorType::parallel, IteratorType::parallel,
                                IteratorType::reduction},
      [&](OpBuilder &bb, Location l, ValueRange a) {
        Value p = arith::MulFOp::create(bb, l, a[0], a[1]);
        linalg::YieldOp::create(bb, l, Value(arith::AddFOp::create(bb, l, a[2], p)));
      });
  g->setAttr("qc.kernel", b.getStringAttr("fgemm"));
  if (!padded.empty())
    g->setAttr("qc.bias", DenseElementsAttr::get(RankedTensorType::get({NT * 16}, f32),
                                                 ArrayRef<float>(padded)));
  return g.getResult(0);
}

Value Lowering::blobConstant(Location loc, RankedTensorType type,
                             StringRef key,
                             function_ref<void(MutableArrayRef<char>)> fill) {
  size_t bytes = static_cast<size_t>(type.getNumElements()) *
                 (type.getElementTypeBitWidth() / 8);
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocate(bytes, /*align=*/64, /*dataIsMutable=*/true);
  fill(blob.getMutableData());
  return arith::ConstantOp::create(
      b, loc, DenseResourceElementsAttr::get(type, key, std::move(blob)));
}

Value Lowering::contraction(Location loc, Value x, Value w, Value init,
                            SmallVector<AffineMap> maps,
                            ArrayRef<utils::IteratorType> iters,
                            AffineMap channel, const std::optional<QInfo> &xq,
                            const std::optional<QInfo> &wq) {
  bool integer = xq.has_value();
  bool weightZp = wq && weightZpOf(*wq);
  bool perTensorW = wq && wq->perTensor();
  SmallVector<Value> inputs = {x, w};
  // Per-channel parameters go in between the operands and the result.
  AffineMap out = maps.pop_back_val();
  if (wq && !perTensorW) {
    if (integer && weightZp) {
      inputs.push_back(vec<int32_t>(loc, wq->zeroPoints, b.getI32Type()));
      maps.push_back(channel);
    } else if (!integer) {
      inputs.push_back(vec<float>(loc, wq->scales, b.getF32Type()));
      maps.push_back(channel);
      inputs.push_back(vec<int32_t>(loc, wq->zeroPoints, b.getI32Type()));
      maps.push_back(channel);
    }
  }
  maps.push_back(out);
  int32_t zx = integer ? xq->zp() : 0;
  auto g = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps, iters,
      [&](OpBuilder &bb, Location l, ValueRange a) {
        if (integer) {
          Type i32 = bb.getI32Type();
          Value xc = arith::SubIOp::create(
              bb, l, arith::ExtSIOp::create(bb, l, i32, a[0]),
              arith::ConstantOp::create(bb, l, bb.getI32IntegerAttr(zx)));
          Value wc = arith::ExtSIOp::create(bb, l, i32, a[1]);
          if (weightZp)
            wc = arith::SubIOp::create(
                bb, l, wc,
                perTensorW ? Value(arith::ConstantOp::create(
                                 bb, l, bb.getI32IntegerAttr(wq->zp())))
                           : a[2]);
          Value prod = arith::MulIOp::create(bb, l, xc, wc);
          linalg::YieldOp::create(bb, l,
                                  Value(arith::AddIOp::create(bb, l, a.back(), prod)));
          return;
        }
        Value wf = a[1];
        if (wq) {
          Value s = perTensorW ? Value(arith::ConstantOp::create(
                                     bb, l, bb.getF32FloatAttr(wq->scale())))
                               : a[2];
          Value z = perTensorW ? Value(arith::ConstantOp::create(
                                     bb, l, bb.getI32IntegerAttr(wq->zp())))
                               : a[3];
          wf = dequantizeScalar(bb, l, a[1], s, z);
        }
        Value prod = arith::MulFOp::create(bb, l, a[0], wf);
        linalg::YieldOp::create(bb, l,
                                Value(arith::AddFOp::create(bb, l, a.back(), prod)));
      });
  return g.getResult(0);
}

Value Lowering::im2col(Location loc, Value x, ArrayRef<int64_t> ys,
                       ArrayRef<int64_t> ws, ArrayRef<int64_t> strides,
                       ArrayRef<int64_t> dilations) {
  int64_t Nb = ys[0], OH = ys[2], OW = ys[3], C = shapeOf(x)[1], KH = ws[2],
          KW = ws[3];
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineExpr> d;
  for (unsigned i = 0; i < 6; ++i)
    d.push_back(getAffineDimExpr(i, ctx));
  Type elt = eltOf(x);
  Value colInit = empty(loc, {Nb, OH, OW, C, KH, KW}, elt);
  auto col = linalg::GenericOp::create(
      b, loc, TypeRange{colInit.getType()}, ValueRange{x}, ValueRange{colInit},
      SmallVector<AffineMap>{
          AffineMap::get(6, 0,
                         {d[0], d[3], d[1] * strides[0] + d[4] * dilations[0],
                          d[2] * strides[1] + d[5] * dilations[1]},
                         ctx),
          b.getMultiDimIdentityMap(6)},
      SmallVector<utils::IteratorType>(6, utils::IteratorType::parallel),
      [&](OpBuilder &bb, Location l, ValueRange a) {
        linalg::YieldOp::create(bb, l, a[0]);
      });
  return tensor::CollapseShapeOp::create(
      b, loc, col.getResult(0),
      ArrayRef<ReassociationIndices>{{0, 1, 2}, {3, 4, 5}});
}

Value Lowering::toNCHW(Location loc, Value v, ArrayRef<int64_t> ys) {
  // [N*OH*OW, F] -> [N, OH*OW, F] -> [N, F, OH*OW] -> [N, F, OH, OW]
  int64_t Nb = ys[0], F = ys[1], OH = ys[2], OW = ys[3];
  Type re = eltOf(v);
  v = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get({Nb, OH * OW, F}, re), v,
      ArrayRef<ReassociationIndices>{{0, 1}, {2}});
  Value tInit = empty(loc, {Nb, F, OH * OW}, re);
  v = linalg::TransposeOp::create(b, loc, v, tInit, ArrayRef<int64_t>{0, 2, 1})
          ->getResult(0);
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get({Nb, F, OH, OW}, re), v,
      ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
}

/// The dynamic form (`dynamic_act`, docs/Executor.md): the f32 input is
/// quantized here to i8<-127:127> with s_r = f32(max|x_r| / 127) per row of
/// its last dimension (per tensor for a convolution; 1 for an all-zero
/// row), multiplied with the int8 weight by the packed GEMM, and
///   y = f32(acc) * f32(f64(s_r) * f64(s_w[c])) + b[c].
/// The storage integers of constant `v` whose storage is at most 8 bits
/// wide (i4 resources hold one byte per element), row-major.
static std::optional<std::vector<int8_t>> constantCodes(Value v) {
  auto c = v.getDefiningOp<qc::ConstantOp>();
  if (!c)
    return std::nullopt;
  int64_t n = cast<ShapedType>(v.getType()).getNumElements();
  if (auto dense = dyn_cast<DenseElementsAttr>(c.getValue())) {
    auto it = dyn_cast<IntegerType>(dense.getElementType());
    if (!it || it.getWidth() > 8)
      return std::nullopt;
    std::vector<int8_t> out;
    for (const APInt &a : dense.getValues<APInt>())
      out.push_back(static_cast<int8_t>(a.getSExtValue()));
    if (dense.isSplat())
      out.assign(n, out.front());
    return out;
  }
  if (auto res = dyn_cast<DenseResourceElementsAttr>(c.getValue())) {
    auto it = dyn_cast<IntegerType>(res.getType().getElementType());
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!it || it.getWidth() > 8 || !blob ||
        blob->getData().size() != static_cast<size_t>(n))
      return std::nullopt;
    ArrayRef<char> data = blob->getData();
    return std::vector<int8_t>(data.begin(), data.end());
  }
  return std::nullopt;
}

/// The dynamic form with a block quantized rank-2 weight (docs/Executor.md;
/// Q4_0 x Q8_0): the activation is quantized per row and block of B at run
/// time; the weight is repacked for the generated kernels (CPUCodegen.h,
/// outlineQuantMatmuls) in tiles of 16 output channels:
///   4-bit codes: [N/16][K/B][B/32][4][16][4] bytes, byte [t,b,c,j,r,i] holding
///     w[16t + r, bB + 32c + 4j + i] in its low and w[..., + 16] in its high
///     nibble (two's complement);
///   8-bit codes: [N/16][K/B][B/32][8][16][4], byte [t,b,c,g,r,i] =
///     w[16t + r, bB + 32c + 4g + i];
/// and the scales as [N/16][K/B][16] f32 s_w (zero for padding rows). The
/// reference form below computes, per block,
///   acc_u = sum (w + O) * x_q,  acc = acc_u - O * sum x_q   (O = 8 or 128,
/// the unsigned offset x86 vpdpbusd works with) and
///   y = bias (or 0);  y += f32(acc) * (s_x * s_w)   block by block,
/// which is the executor's f32(acc) * f32(f64(s_x) * f64(s_w)) exactly (the
/// f64 product of two floats is exact, so both round once).
LogicalResult Lowering::lowerDynamicBlocks(Operation *op, Value xv, Value wv,
                                           Value bv) {
  Location loc = op->getLoc();
  auto sc = cast<quant::UniformQuantizedSubChannelType>(eltOf(wv));
  bool linear = !isa<MatMulOp>(op);
  ArrayRef<int64_t> ws = shapeOf(wv);
  int64_t kDim = linear ? 1 : 0;
  int64_t K = ws[kDim], N = ws[1 - kDim];
  SmallVector<int64_t> blockOf(ws.begin(), ws.end());
  for (auto [d, bs] : llvm::zip(sc.getQuantizedDimensions(), sc.getBlockSizes()))
    blockOf[d] = bs;
  int64_t B = blockOf[kDim];
  unsigned bits = sc.getStorageTypeIntegralWidth();
  std::optional<std::vector<int8_t>> codes = constantCodes(wv);
  if (!codes || !eltOf(xv).isF32() || B % 32 != 0 || bits > 8)
    return err(op) << "the dynamic form with weight blocks is lowered for f32 "
                      "inputs and constant weights of at most 8 bits in "
                      "blocks of a multiple of 32";
  // Scales: element (n, k) of the weight uses scale [coords / block sizes].
  auto scaleAttr = sc.getScales();
  SmallVector<double> scales;
  for (const APFloat &v : scaleAttr.getValues<APFloat>())
    scales.push_back(v.convertToDouble());
  ArrayRef<int64_t> sshape = scaleAttr.getType().getShape();
  int64_t nb = K / B;
  auto [wp, wsc] = packBlockWeight(
      loc, N, K, B, bits <= 4, [&](int64_t n, int8_t *rowCodes, float *rowScales) {
        for (int64_t k = 0; k < K; ++k)
          rowCodes[k] = (*codes)[linear ? n * K + k : k * N + n];
        for (int64_t blk = 0; blk < nb; ++blk) {
          int64_t coord[2];
          coord[kDim] = blk * B;
          coord[1 - kDim] = n;
          int64_t at = (coord[0] / blockOf[0]) * sshape[1] + coord[1] / blockOf[1];
          rowScales[blk] = static_cast<float>(scales[at]);
        }
      });
  return emitBlockProduct(op, xv, bv, wp, wsc, N, K, B, bits <= 4);
}

std::pair<Value, Value> Lowering::packBlockWeight(Location loc, int64_t N,
                                                  int64_t K, int64_t B,
                                                  bool nibbles, BlockRowFn row) {
  int64_t nb = K / B, S = B / 32, NT = (N + 15) / 16;
  int64_t G = nibbles ? 4 : 8;
  Type f32 = b.getF32Type(), i8 = b.getI8Type();
  // One tile of 16 rows decoded at a time.
  std::vector<int8_t> codes(16 * K);
  std::vector<float> scales(16 * nb);
  std::vector<int8_t> packed;
  std::vector<float> wscale;
  auto decodeTile = [&](int64_t t) {
    std::fill(codes.begin(), codes.end(), 0);
    std::fill(scales.begin(), scales.end(), 0.0f);
    for (int64_t r = 0; r < 16 && 16 * t + r < N; ++r)
      row(16 * t + r, codes.data() + r * K, scales.data() + r * nb);
  };
  Value wp = blobConstant(
      loc, RankedTensorType::get({NT, nb, S, G, 16, 4}, i8), "qc_qmm_weight",
      [&](MutableArrayRef<char> out) {
        std::vector<float> tileScales(NT * nb * 16, 0.0f);
        for (int64_t t = 0; t < NT; ++t) {
          decodeTile(t);
          for (int64_t blk = 0; blk < nb; ++blk) {
            for (int64_t r = 0; r < 16; ++r)
              tileScales[(t * nb + blk) * 16 + r] = scales[r * nb + blk];
            for (int64_t c = 0; c < S; ++c)
              for (int64_t g = 0; g < G; ++g)
                for (int64_t r = 0; r < 16; ++r)
                  for (int64_t i = 0; i < 4; ++i) {
                    int64_t k = blk * B + 32 * c + 4 * g + i;
                    size_t at = ((((t * nb + blk) * S + c) * G + g) * 16 + r) * 4 + i;
                    const int8_t *cr = codes.data() + r * K;
                    out[at] = nibbles ? static_cast<char>((cr[k] & 0xF) |
                                                          ((cr[k + 16] & 0xF) << 4))
                                      : static_cast<char>(cr[k]);
                  }
          }
        }
        wscale = std::move(tileScales);
      });
  Value wsc = blobConstant(loc, RankedTensorType::get({NT, nb, 16}, f32),
                           "qc_qmm_scales", [&](MutableArrayRef<char> out) {
                             std::memcpy(out.data(), wscale.data(),
                                         wscale.size() * sizeof(float));
                           });
  return {wp, wsc};
}

LogicalResult Lowering::emitBlockProduct(Operation *op, Value xv, Value bv,
                                         Value wp, Value wsc, int64_t N,
                                         int64_t K, int64_t B, bool nibbles) {
  Location loc = op->getLoc();
  MLIRContext *ctx = b.getContext();
  ArrayRef<int64_t> xs = shapeOf(xv);
  int64_t M = 1;
  for (int64_t d : xs.drop_back())
    M *= d;
  int64_t nb = K / B, S = B / 32, NT = (N + 15) / 16;
  int64_t O = nibbles ? 8 : 128;
  Type f32 = b.getF32Type(), i8 = b.getI8Type(), i32 = b.getI32Type();

  // The activation, per row and block of B: scales [M, nb], codes [M, K]
  // and code sums [M, nb].
  ReassociationIndices all;
  for (size_t i = 0; i < xs.size(); ++i)
    all.push_back(i);
  Value flat = tensor::CollapseShapeOp::create(
      b, loc, get(xv), SmallVector<ReassociationIndices>{all});
  Value x2 = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get({M * nb, B}, f32), flat,
      SmallVector<ReassociationIndices>{{0, 1}});
  auto [scale2, xq2] = quantizeRows(loc, x2);
  Value sum2 = linalg::GenericOp::create(
                   b, loc, TypeRange{RankedTensorType::get({M * nb}, i32)},
                   ValueRange{xq2}, ValueRange{fill(loc, {M * nb}, cst(loc, i32, 0))},
                   SmallVector<AffineMap>{b.getMultiDimIdentityMap(2),
                                          AffineMap::get(2, 0, b.getAffineDimExpr(0), ctx)},
                   SmallVector<utils::IteratorType>{utils::IteratorType::parallel,
                                                    utils::IteratorType::reduction},
                   [&](OpBuilder &bb, Location l, ValueRange a) {
                     Value v = arith::ExtSIOp::create(bb, l, bb.getI32Type(), a[0]);
                     linalg::YieldOp::create(bb, l, Value(arith::AddIOp::create(bb, l, a[1], v)));
                   })
                   .getResult(0);
  auto toRows = [&](Value v, int64_t cols) -> Value {
    auto t = cast<RankedTensorType>(v.getType());
    Value f = t.getRank() == 1 ? v
                               : Value(tensor::CollapseShapeOp::create(
                                     b, loc, v, SmallVector<ReassociationIndices>{{0, 1}}));
    return tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get({M, cols}, t.getElementType()), f,
        SmallVector<ReassociationIndices>{{0, 1}});
  };
  Value xq = toRows(xq2, K), xsc = toRows(scale2, nb), xsum = toRows(sum2, nb);

  // acc_u[m, n, b] = sum_kk (w[n, bB + kk] + O) * x_q[m, bB + kk], over
  // kk = 32c + 16h + 4j + i (4-bit codes: h picks the nibble) or
  // kk = 32c + 4g + i (8-bit codes), x_q seen with those dimensions.
  SmallVector<int64_t> xView = nibbles ? SmallVector<int64_t>{M, nb, S, 2, 4, 4}
                                       : SmallVector<int64_t>{M, nb, S, 8, 4};
  SmallVector<ReassociationIndices> xAssoc = {{0}, {}};
  for (int64_t d = 1; d < static_cast<int64_t>(xView.size()); ++d)
    xAssoc[1].push_back(d);
  Value xqv = tensor::ExpandShapeOp::create(b, loc, RankedTensorType::get(xView, i8),
                                            xq, xAssoc);
  unsigned nd = xView.size() + 1;
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineExpr> xExprs = {d(0)};
  for (unsigned i = 2; i < nd; ++i)
    xExprs.push_back(d(i));
  // w: [t, b, c, group, r, i]; the group is j (4-bit) or g (8-bit).
  AffineExpr grp = nibbles ? d(5) : d(4);
  SmallVector<AffineMap> accMaps = {
      AffineMap::get(nd, 0, xExprs, ctx),
      AffineMap::get(nd, 0, {d(1).floorDiv(16), d(2), d(3), grp, d(1) % 16, d(nd - 1)},
                     ctx),
      AffineMap::get(nd, 0, {d(0), d(1), d(2)}, ctx)};
  using utils::IteratorType;
  SmallVector<IteratorType> accIters(nd, IteratorType::reduction);
  accIters[0] = accIters[1] = accIters[2] = IteratorType::parallel;
  Value accInit = fill(loc, {M, N, nb}, cst(loc, i32, 0));
  auto accOp = linalg::GenericOp::create(
      b, loc, TypeRange{accInit.getType()}, ValueRange{xqv, wp}, ValueRange{accInit},
      accMaps, accIters, [&](OpBuilder &bb, Location l, ValueRange a) {
        Value w = a[1];
        if (nibbles) {
          // The low nibble for h = 0, the high one for h = 1, sign-extended.
          Value four = arith::ConstantOp::create(bb, l, bb.getI8IntegerAttr(4));
          Value lo = arith::ShRSIOp::create(bb, l, arith::ShLIOp::create(bb, l, w, four), four);
          Value hi = arith::ShRSIOp::create(bb, l, w, four);
          Value high = arith::CmpIOp::create(bb, l, arith::CmpIPredicate::ne,
                                             linalg::IndexOp::create(bb, l, 4),
                                             arith::ConstantIndexOp::create(bb, l, 0));
          w = arith::SelectOp::create(bb, l, high, hi, lo);
        }
        Type t32 = bb.getI32Type();
        Value u = arith::AddIOp::create(
            bb, l, arith::ExtSIOp::create(bb, l, t32, w),
            arith::ConstantOp::create(bb, l, bb.getI32IntegerAttr(O)));
        Value p = arith::MulIOp::create(bb, l, u, arith::ExtSIOp::create(bb, l, t32, a[0]));
        linalg::YieldOp::create(bb, l, Value(arith::AddIOp::create(bb, l, a[2], p)));
      });
  accOp->setAttr("qc.kernel", b.getStringAttr("qmm_acc"));

  // y = bias (zero padded to whole tiles; 0 without one), then the blocks.
  Value biasP;
  if (bv) {
    Value zero = cst(loc, f32, 0.0);
    biasP = tensor::PadOp::create(
        b, loc, RankedTensorType::get({NT * 16}, f32), get(bv),
        ArrayRef<OpFoldResult>{b.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(NT * 16 - N)}, zero);
  } else {
    biasP = vec<float>(loc, std::vector<float>(NT * 16, 0.0f), f32);
  }
  // The initialisation reads its first N values; the kernels read whole
  // tiles of 16 from the padded tensor.
  Value biasN = tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get({N}, f32), biasP, ArrayRef<OpFoldResult>{b.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(N)}, ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
  Value init = elementwise(loc, {}, {M, N}, f32,
                           [&](OpBuilder &, Location, ValueRange a) { return a[0]; },
                           {{biasN, AffineMap::get(2, 0, b.getAffineDimExpr(1), ctx)}});
  init.getDefiningOp()->setAttr("qc.kernel_init", uniqueTag());
  AffineExpr m3 = getAffineDimExpr(0, ctx), n3 = getAffineDimExpr(1, ctx),
             b3 = getAffineDimExpr(2, ctx);
  SmallVector<AffineMap> yMaps = {
      AffineMap::get(3, 0, {m3, n3, b3}, ctx), AffineMap::get(3, 0, {m3, b3}, ctx),
      AffineMap::get(3, 0, {n3.floorDiv(16), b3, n3 % 16}, ctx),
      AffineMap::get(3, 0, {m3, b3}, ctx), AffineMap::get(3, 0, {m3, n3}, ctx)};
  auto yOp = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{accOp.getResult(0), xsc, wsc, xsum},
      ValueRange{init}, yMaps,
      SmallVector<IteratorType>{IteratorType::parallel, IteratorType::parallel,
                                IteratorType::reduction},
      [&](OpBuilder &bb, Location l, ValueRange a) {
        Type t32 = bb.getI32Type();
        Value acc = arith::SubIOp::create(
            bb, l, a[0],
            arith::MulIOp::create(bb, l, a[3],
                                  arith::ConstantOp::create(bb, l, bb.getIntegerAttr(t32, O))));
        Value s = arith::MulFOp::create(bb, l, a[1], a[2]);
        Value term = arith::MulFOp::create(
            bb, l, arith::SIToFPOp::create(bb, l, bb.getF32Type(), acc), s);
        linalg::YieldOp::create(bb, l, Value(arith::AddFOp::create(bb, l, a[4], term)));
      });
  yOp->setAttr("qc.kernel", b.getStringAttr("qmm"));
  yOp->setAttr("qc.bits", b.getI64IntegerAttr(nibbles ? 4 : 8));
  yOp->setAttr("qc.block", b.getI64IntegerAttr(B));
  Value y = yOp.getResult(0);
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  if (resultType.getShape() != ArrayRef<int64_t>{M, N}) {
    SmallVector<ReassociationIndices> outAll(1);
    for (int64_t i = 0; i < resultType.getRank(); ++i)
      outAll[0].push_back(i);
    y = tensor::ExpandShapeOp::create(
        b, loc, resultType,
        tensor::CollapseShapeOp::create(b, loc, y, SmallVector<ReassociationIndices>{{0, 1}}),
        outAll);
  }
  set(op->getResult(0), y);
  return success();
}

/// Frees the data of resource `res` when no other op of `module` refers to
/// it (the blob entry stays, empty).
static void releaseBlobIfUnshared(ModuleOp module, DenseResourceElementsAttr res) {
  if (!module)
    return;
  auto *entry = res.getRawHandle().getResource();
  int refs = 0;
  module.walk([&](Operation *op) {
    for (NamedAttribute a : op->getAttrs())
      if (auto r = dyn_cast<DenseResourceElementsAttr>(a.getValue()))
        refs += r.getRawHandle().getResource() == entry;
  });
  if (refs != 1)
    return;
  entry->setBlob(HeapAsmResourceBlob::allocate(0, 64));
#if defined(__GLIBC__)
  // Most weights are below glibc's adaptive mmap threshold: return the
  // pages now, so a large model's raw and repacked weights are not both
  // resident.
  malloc_trim(0);
#endif
}

/// The bytes of a constant block weight: a view of its resource blob, or
/// of the raw data of a dense attribute (a splat is expanded into `copy`).
static std::optional<ArrayRef<char>> blockBytes(qc::ConstantOp c,
                                                std::vector<char> &copy) {
  Attribute value = c.getValue();
  if (auto res = dyn_cast<DenseResourceElementsAttr>(value)) {
    if (AsmResourceBlob *blob = res.getRawHandle().getBlob())
      return blob->getData();
    return std::nullopt;
  }
  auto dense = dyn_cast<DenseElementsAttr>(value);
  if (!dense || dense.getElementType().getIntOrFloatBitWidth() != 8)
    return std::nullopt;
  if (dense.isSplat()) {
    copy.assign(dense.getNumElements(), dense.getRawData().front());
    return ArrayRef<char>(copy);
  }
  return dense.getRawData();
}

/// qc.block_linear (QCBlockOps.td). The integer form of Q4_0 / Q8_0 runs on
/// the block kernels of the w4a8-dynamic form: the blocks are decoded at
/// compile time into codes (Q4_0 q - 8, Q8_0 q) and f32 scales (the binary16
/// d widened exactly) and repacked into that form's layout. The float form
/// of every format expands the rows with gguf::dequantizeRow at compile
/// time straight into the f32 GEMM's packed layout; the GEMM's fused
/// multiply-adds in order of k are the executor's arithmetic.
LogicalResult Lowering::lowerBlockLinear(BlockLinearOp op) {
  Location loc = op.getLoc();
  namespace gg = mlir::qc::gguf;
  auto c = op.getWeight().getDefiningOp<qc::ConstantOp>();
  std::vector<char> splat;
  std::optional<ArrayRef<char>> bytes;
  if (c)
    bytes = blockBytes(c, splat);
  int64_t K = op.getRowLength(), N = op.getNumRows();
  std::optional<gg::GGMLType> type = gg::parseTypeName(op.getFormat());
  size_t rowBytes = static_cast<size_t>(op.getWeight().getType().getShape()[1]);
  if (!bytes || !type || bytes->size() != rowBytes * N)
    return err(op) << "is lowered with a constant weight (qc.constant, dense "
                      "or dense_resource) holding " << rowBytes * N << " bytes";
  const char *w = bytes->data();
  ArrayRef<int64_t> xs = shapeOf(op.getInput());
  int64_t M = 1;
  for (int64_t d : xs.drop_back())
    M *= d;
  LogicalResult result = success();
  if (op.getDynamicAct()) {
    bool q4 = *type == gg::GGMLType::Q4_0;
    size_t blockBytes = q4 ? 18 : 34;
    auto [wp, wsc] = packBlockWeight(
        loc, N, K, 32, q4, [&](int64_t n, int8_t *codes, float *scales) {
          for (int64_t blk = 0; blk < K / 32; ++blk) {
            const auto *p = reinterpret_cast<const uint8_t *>(
                w + n * rowBytes + blk * blockBytes);
            uint16_t d;
            std::memcpy(&d, p, 2);
            scales[blk] = gg::halfToFloat(d);
            int8_t *out = codes + blk * 32;
            if (q4) {
              for (int i = 0; i < 16; ++i) {
                out[i] = static_cast<int8_t>((p[2 + i] & 0xF) - 8);
                out[i + 16] = static_cast<int8_t>((p[2 + i] >> 4) - 8);
              }
            } else {
              std::memcpy(out, p + 2, 32);
            }
          }
        });
    result = emitBlockProduct(op, op.getInput(), op.getBias(), wp, wsc, N, K,
                              32, q4);
  } else {
    int64_t NT = (N + 15) / 16;
    Value wp = blobConstant(
        loc, RankedTensorType::get({NT, K, 16}, b.getF32Type()), "qc_fgemm_weight",
        [&](MutableArrayRef<char> out) {
          auto *packed = reinterpret_cast<float *>(out.data());
          std::fill(packed, packed + NT * K * 16, 0.0f);
          std::vector<float> row(K);
          for (int64_t n = 0; n < N; ++n) {
            gg::dequantizeRow(*type, w + n * rowBytes, K, row.data());
            for (int64_t k = 0; k < K; ++k)
              packed[((n / 16) * K + k) * 16 + n % 16] = row[k];
          }
        });
    Value x = get(op.getInput());
    if (xs.size() != 2) {
      ReassociationIndices lead;
      for (unsigned i = 0; i + 1 < xs.size(); ++i)
        lead.push_back(i);
      x = tensor::CollapseShapeOp::create(
          b, loc, x,
          SmallVector<ReassociationIndices>{lead, {static_cast<int64_t>(xs.size() - 1)}});
    }
    Value y = floatGemmPacked(loc, x, wp, M, N, K, op.getBias());
    auto rt = cast<RankedTensorType>(op.getResult().getType());
    if (rt.getShape() != ArrayRef<int64_t>{M, N}) {
      ReassociationIndices lead;
      for (int64_t i = 0; i + 1 < rt.getRank(); ++i)
        lead.push_back(i);
      y = tensor::ExpandShapeOp::create(
          b, loc, rt, y,
          SmallVector<ReassociationIndices>{lead, {rt.getRank() - 1}});
    }
    set(op.getResult(), y);
  }
  // The raw blocks are not needed any more once repacked: release a blob
  // no other constant refers to, so a large model holds one copy at a time.
  if (succeeded(result) && c && c->hasOneUse())
    if (auto res = dyn_cast<DenseResourceElementsAttr>(c.getValue()))
      releaseBlobIfUnshared(c->getParentOfType<ModuleOp>(), res);
  return result;
}

std::pair<Value, Value> Lowering::quantizeRows(Location loc, Value x2) {
  Type f32 = b.getF32Type(), f64 = b.getF64Type(), i8 = b.getI8Type();
  MLIRContext *ctx = b.getContext();
  int64_t rows = shapeOf(x2)[0], len = shapeOf(x2)[1];
  Value amax = rowReduce(loc, x2, 0.0, [&](OpBuilder &bb, Location l, Value v,
                                            Value acc, ValueRange) -> Value {
    return arith::MaxNumFOp::create(
        bb, l, acc, arith::ExtFOp::create(bb, l, f64, Value(math::AbsFOp::create(bb, l, v))));
  });
  Value scale = elementwise(loc, {amax}, {rows}, f32, [&](OpBuilder &bb, Location l, ValueRange a) -> Value {
    Value s = arith::TruncFOp::create(
        bb, l, f32, arith::DivFOp::create(bb, l, a[0], arith::ConstantOp::create(bb, l, bb.getF64FloatAttr(127.0))));
    Value ok = arith::CmpFOp::create(
        bb, l, arith::CmpFPredicate::OGE, s,
        arith::ConstantOp::create(bb, l, bb.getF32FloatAttr(std::numeric_limits<float>::min())));
    return arith::SelectOp::create(bb, l, ok, s,
                                   arith::ConstantOp::create(bb, l, bb.getF32FloatAttr(1.0f)));
  });
  Value xq2 = elementwise(
      loc, {x2}, {rows, len}, i8,
      [&](OpBuilder &bb, Location l, ValueRange a) -> Value {
        return quantizeScalar(bb, l, a[0], a[1],
                              arith::ConstantOp::create(bb, l, bb.getI32IntegerAttr(0)),
                              -127, 127, i8);
      },
      {{scale, AffineMap::get(2, 0, b.getAffineDimExpr(0), ctx)}});
  return {scale, xq2};
}

LogicalResult Lowering::lowerDynamic(Operation *op, Value xv, Value wv,
                                     Value bv, bool isConv,
                                     ArrayRef<int64_t> strides,
                                     ArrayRef<int64_t> pads,
                                     ArrayRef<int64_t> dilations,
                                     int64_t groups) {
  Location loc = op->getLoc();
  std::optional<QInfo> wq = qinfo(eltOf(wv));
  std::optional<std::vector<int8_t>> w8 = constantCodes(wv);
  if (!wq || wq->bits > 8 || weightZpOf(*wq) || !w8 ||
      (!wq->perTensor() && wq->axis != 0) || groups != 1 ||
      !eltOf(xv).isF32())
    return err(op) << "the dynamic form is lowered for f32 inputs, one group "
                      "and constant symmetric weights of at most 8 bits only";
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  ArrayRef<int64_t> xs = shapeOf(xv), ws = shapeOf(wv), ys = resultType.getShape();
  int64_t total = 1;
  for (int64_t d : xs)
    total *= d;
  int64_t len = isConv ? total : xs.back(), rows = total / std::max<int64_t>(len, 1);
  Value x = get(xv);
  ReassociationIndices all;
  for (size_t i = 0; i < xs.size(); ++i)
    all.push_back(i);
  Value flat = tensor::CollapseShapeOp::create(b, loc, x, SmallVector<ReassociationIndices>{all});
  Value x2 = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get({rows, len}, b.getF32Type()), flat,
      SmallVector<ReassociationIndices>{{0, 1}});
  Type f32 = b.getF32Type(), f64 = b.getF64Type(), i8 = b.getI8Type();
  MLIRContext *ctx = b.getContext();
  auto [scale, xq2] = quantizeRows(loc, x2);
  Value xq = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(xs, i8),
      tensor::CollapseShapeOp::create(b, loc, xq2, SmallVector<ReassociationIndices>{{0, 1}}),
      SmallVector<ReassociationIndices>{all});
  // acc[P, F] (convolution) or [M, N] (linear).
  Value cols;
  int64_t P, F = ws[0], K;
  if (isConv) {
    Value zero = arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(0));
    xq = padSpatial(loc, xq, {pads[0], pads[1]}, {pads[2], pads[3]}, zero);
    cols = im2col(loc, xq, ys, ws, strides, dilations);
  } else {
    cols = xq2; // rows x len = [M, K]
  }
  P = shapeOf(cols)[0];
  K = shapeOf(cols)[1];
  FailureOr<Value> acc = packedGemm(op, cols, *w8, P, F, K, 0, {});
  if (failed(acc))
    return failure();
  // y = f32(acc) * f32(f64(s_r) * f64(s_w[c])) (+ b[c]); the row of result
  // row p is p for a linear layer, 0 for a convolution.
  SmallVector<float> sw(F);
  for (int64_t c = 0; c < F; ++c)
    sw[c] = wq->perTensor() ? wq->scale() : wq->scales[c];
  AffineMap chan = AffineMap::get(2, 0, b.getAffineDimExpr(1), ctx);
  AffineMap row = isConv ? AffineMap::get(2, 0, b.getAffineConstantExpr(0), ctx)
                         : AffineMap::get(2, 0, b.getAffineDimExpr(0), ctx);
  SmallVector<std::pair<Value, AffineMap>> extra = {
      {scale, row}, {vec<float>(loc, sw, f32), chan}};
  if (bv)
    extra.push_back({get(bv), chan});
  Value y = elementwise(
      loc, {*acc}, {P, F}, f32,
      [&](OpBuilder &bb, Location l, ValueRange a) -> Value {
        Value s = arith::TruncFOp::create(
            bb, l, f32,
            arith::MulFOp::create(bb, l, arith::ExtFOp::create(bb, l, f64, a[1]),
                                  arith::ExtFOp::create(bb, l, f64, a[2])));
        Value v = arith::MulFOp::create(bb, l, arith::SIToFPOp::create(bb, l, f32, a[0]), s);
        if (bv)
          v = arith::AddFOp::create(bb, l, v, a[3]);
        return v;
      },
      extra);
  if (isConv) {
    set(op->getResult(0), toNCHW(loc, y, ys));
    return success();
  }
  set(op->getResult(0),
      shapeOf(y) == resultType.getShape()
          ? y
          : Value(tensor::ExpandShapeOp::create(
                b, loc, resultType,
                tensor::CollapseShapeOp::create(b, loc, y, SmallVector<ReassociationIndices>{{0, 1}}),
                SmallVector<ReassociationIndices>{all})));
  return success();
}

Value Lowering::padSpatial(Location loc, Value v, ArrayRef<int64_t> lo,
                           ArrayRef<int64_t> hi, Value value) {
  if (llvm::all_of(lo, [](int64_t p) { return p == 0; }) &&
      llvm::all_of(hi, [](int64_t p) { return p == 0; }))
    return v;
  ArrayRef<int64_t> shape = shapeOf(v);
  SmallVector<int64_t> low(shape.size(), 0), high(shape.size(), 0);
  SmallVector<int64_t> outShape(shape);
  for (size_t i = 0; i < lo.size(); ++i) {
    size_t d = shape.size() - lo.size() + i;
    low[d] = lo[i];
    high[d] = hi[i];
    outShape[d] += lo[i] + hi[i];
  }
  auto t = RankedTensorType::get(outShape, eltOf(v));
  SmallVector<OpFoldResult> lowF, highF;
  for (size_t d = 0; d < shape.size(); ++d) {
    lowF.push_back(b.getIndexAttr(low[d]));
    highF.push_back(b.getIndexAttr(high[d]));
  }
  return tensor::PadOp::create(b, loc, t, v, lowF, highF, value);
}

//===----------------------------------------------------------------------===//
// Ops
//===----------------------------------------------------------------------===//

LogicalResult Lowering::lowerConstant(qc::ConstantOp op) {
  // Block weights are read by their qc.block_linear users, which repack
  // them; the raw bytes themselves are not part of the lowered model.
  if (!op->use_empty() && llvm::all_of(op->getUses(), [](OpOperand &use) {
        return isa<BlockLinearOp>(use.getOwner()) && use.getOperandNumber() == 1;
      }))
    return success();
  auto t = convertType(op.getType());
  auto value = cast<ElementsAttr>(op.getValue());
  TypedAttr attr;
  if (value.getType() == t) {
    attr = cast<TypedAttr>(value);
  } else if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    attr = dense.reshape(t.clone(dense.getElementType()));
    if (cast<ShapedType>(attr.getType()).getElementType() != t.getElementType())
      return err(op) << ("constant of type ")
             << value.getType() << " does not hold " << t;
  } else {
    return err(op) << ("constant of type ")
           << value.getType() << " cannot be lowered as " << t;
  }
  set(op.getResult(), arith::ConstantOp::create(b, op.getLoc(), attr));
  return success();
}

/// Convolution in one of the forms of docs/Executor.md: float, integer (both
/// operands quantized) or weight-only (quantized weight, float input).
LogicalResult Lowering::lowerConv(Operation *op, Value xv, Value wv, Value bv,
                                  ArrayRef<int64_t> strides,
                                  ArrayRef<int64_t> pads,
                                  ArrayRef<int64_t> dilations, int64_t groups) {
  Location loc = op->getLoc();
  if (op->hasAttr("dynamic_act"))
    return lowerDynamic(op, xv, wv, bv, /*isConv=*/true, strides, pads,
                        dilations, groups);
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  // Shapes of the operands as lowered (a transposed convolution hands in
  // prepared ones).
  ArrayRef<int64_t> xs = shapeOf(get(xv)), ws = shapeOf(get(wv));
  ArrayRef<int64_t> ys = resultType.getShape();
  if (xs.size() != 4 || ws.size() != 4)
    return err(op) << ("only 2-D convolution (NCHW) is lowered");
  std::optional<QInfo> xq = qinfo(eltOf(xv)), wq = qinfo(eltOf(wv));
  bool integer = xq.has_value();
  if (integer && !wq)
    return err(op) << ("quantized input with a float weight");
  if (wq && !wq->perTensor() && wq->axis != 0)
    return err(op) << ("weight quantized along axis ")
           << wq->axis << "; only output channels (axis 0) are lowered";
  Value x = get(xv), w = get(wv);
  int64_t F = ws[0], Cg = ws[1];
  int64_t Fg = F / groups;

  Value padValue;
  Type accElt;
  if (integer) {
    accElt = b.getI32Type();
    padValue = cst(loc, storageOf(eltOf(xv)), xq->zp());
  } else {
    accElt = b.getF32Type();
    if (!eltOf(xv).isF32())
      return err(op) << ("only f32 float convolution is lowered");
    padValue = cst(loc, accElt, 0.0);
  }
  x = padSpatial(loc, x, {pads[0], pads[1]}, {pads[2], pads[3]}, padValue);

  // Integer form with a constant symmetric int8 weight and one group: a
  // packed GEMM over the columns of the (padded) input,
  //   col[n, oh, ow, c, kh, kw] = x[n, c, oh * s + kh * d, ow * s + kw * d],
  // acc[n*OH*OW, F] = col[P, C*KH*KW] * w[F, C*KH*KW]^T, then back to NCHW.
  std::optional<std::vector<int32_t>> biasValues;
  if (bv)
    biasValues = constantInt32(bv);
  if (integer && groups == 1 && xq->bits == 8 && wq->bits == 8 &&
      !weightZpOf(*wq) && (!bv || biasValues)) {
    if (std::optional<std::vector<int8_t>> w8 = constantInt8(wv)) {
      Value cols = im2col(loc, x, ys, ws, strides, dilations);
      int64_t P = shapeOf(cols)[0], K = shapeOf(cols)[1];
      FailureOr<Value> acc = packedGemm(
          op, cols, *w8, P, F, K, xq->zp(),
          biasValues ? ArrayRef<int32_t>(*biasValues) : ArrayRef<int32_t>());
      if (failed(acc))
        return failure();
      auto flatType = RankedTensorType::get({P, F}, resultType.getElementType());
      FailureOr<Value> r = finishInteger(op, *acc, *xq, *wq, flatType, 1);
      if (failed(r))
        return failure();
      set(op->getResult(0), toNCHW(loc, *r, ys));
      return success();
    }
  }

  // Float form with a constant weight and one group: the float GEMM over
  // the columns of the padded input, then back to NCHW. A transposed
  // convolution (here on its stride-spread input, mostly zeros) keeps the
  // loop form.
  if (!integer && !wq && groups == 1 && isa<Conv2DOp>(op) &&
      (!bv || eltOf(bv).isF32())) {
    if (std::optional<std::vector<float>> wf = constantF32(wv)) {
      Value cols = im2col(loc, x, ys, ws, strides, dilations);
      int64_t P = shapeOf(cols)[0], K = shapeOf(cols)[1];
      Value y = floatGemm(loc, cols, *wf, P, F, K, bv);
      set(op->getResult(0), toNCHW(loc, y, ys));
      return success();
    }
  }

  // Accumulator initialised with the bias.
  SmallVector<int64_t> accShape(ys);
  Value init;
  if (bv) {
    Value bias = get(bv);
    init = elementwise(loc, {}, accShape, accElt,
                       [&](OpBuilder &, Location, ValueRange a) { return a[0]; },
                       {{bias, AffineMap::get(4, 0, b.getAffineDimExpr(1),
                                              b.getContext())}});
  } else {
    init = fill(loc, accShape, cst(loc, accElt, 0.0));
  }

  MLIRContext *ctx = b.getContext();
  // Loop order n, f, oh, c, kh, kw, ow: every output element still sums its
  // products in (c, kh, kw) order, the innermost loop walks a row of the
  // output (contiguous, vectorisable at stride 1) that stays in cache while
  // it accumulates, and the parallel loops outside the reductions cover
  // output rows too, so a layer with one output channel still runs on every
  // thread.
  AffineExpr n = getAffineDimExpr(0, ctx), f = getAffineDimExpr(1, ctx),
             oh = getAffineDimExpr(2, ctx), c = getAffineDimExpr(3, ctx),
             kh = getAffineDimExpr(4, ctx), kw = getAffineDimExpr(5, ctx),
             ow = getAffineDimExpr(6, ctx);
  AffineExpr cin = groups == 1 ? c : f.floorDiv(Fg) * Cg + c;
  SmallVector<AffineMap> maps = {
      AffineMap::get(7, 0,
                     {n, cin, oh * strides[0] + kh * dilations[0],
                      ow * strides[1] + kw * dilations[1]},
                     ctx),
      AffineMap::get(7, 0, {f, c, kh, kw}, ctx)};
  maps.push_back(AffineMap::get(7, 0, {n, f, oh, ow}, ctx));
  using utils::IteratorType;
  SmallVector<IteratorType> iters = {
      IteratorType::parallel,  IteratorType::parallel,  IteratorType::parallel,
      IteratorType::reduction, IteratorType::reduction, IteratorType::reduction,
      IteratorType::parallel};
  Value acc = contraction(loc, x, w, init, maps, iters,
                          AffineMap::get(7, 0, {f}, ctx), xq, wq);
  if (!integer) {
    set(op->getResult(0), acc);
    return success();
  }
  FailureOr<Value> r = finishInteger(op, acc, *xq, *wq, resultType, 1);
  if (failed(r))
    return failure();
  set(op->getResult(0), *r);
  return success();
}

/// Transposed convolution as a convolution over the input spread by the
/// stride (zeros between pixels), with the weight flipped and its input and
/// output channels swapped. The weight must be a constant.
LogicalResult Lowering::lowerConvTranspose(ConvTranspose2DOp op) {
  Location loc = op.getLoc();
  auto wc = op.getWeight().getDefiningOp<qc::ConstantOp>();
  if (!wc)
    return err(op) << ("transposed convolution needs a constant weight");
  if (qinfo(eltOf(op.getInput())) || qinfo(eltOf(op.getWeight())))
    return err(op) << ("quantized transposed convolution has no CPU lowering yet");
  std::vector<float> src;
  if (auto dense = dyn_cast<DenseElementsAttr>(wc.getValue());
      dense && dense.getElementType().isF32()) {
    auto values = dense.getValues<float>();
    src.assign(values.begin(), values.end());
  } else if (auto res = dyn_cast<DenseF32ResourceElementsAttr>(wc.getValue())) {
    std::optional<ArrayRef<float>> values = res.tryGetAsArrayRef();
    if (values)
      src.assign(values->begin(), values->end());
  }
  if (src.empty())
    return err(op) << ("transposed convolution needs a constant f32 weight");
  ArrayRef<int64_t> ws = shapeOf(op.getWeight()), xs = shapeOf(op.getInput());
  int64_t groups = op.getGroups();
  int64_t Cin = ws[0], Fg = ws[1], KH = ws[2], KW = ws[3];
  int64_t Cg = Cin / groups, F = Fg * groups;
  // w'[g*Fg + f][c][kh][kw] = w[g*Cg + c][f][KH-1-kh][KW-1-kw]
  std::vector<float> dst(src.size());
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t f = 0; f < Fg; ++f)
      for (int64_t c = 0; c < Cg; ++c)
        for (int64_t i = 0; i < KH; ++i)
          for (int64_t j = 0; j < KW; ++j)
            dst[(((g * Fg + f) * Cg + c) * KH + i) * KW + j] =
                src[(((g * Cg + c) * Fg + f) * KH + (KH - 1 - i)) * KW +
                    (KW - 1 - j)];
  auto wt = RankedTensorType::get({F, Cg, KH, KW}, b.getF32Type());
  Value w = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(wt, llvm::ArrayRef<float>(dst)));

  ArrayRef<int64_t> s = op.getStrides(), d = op.getDilations(),
                    p = op.getPads(), op_ = op.getOutputPadding();
  Value x = get(op.getInput());
  // Spread: (H - 1) * s + 1 rows, input pixels at multiples of the stride.
  int64_t H = xs[2], W = xs[3];
  int64_t SH = (H - 1) * s[0] + 1, SW = (W - 1) * s[1] + 1;
  if (s[0] != 1 || s[1] != 1) {
    Value zeros = fill(loc, {xs[0], xs[1], SH, SW}, cst(loc, b.getF32Type(), 0.0));
    SmallVector<OpFoldResult> offsets(4, b.getIndexAttr(0)),
        sizes = {b.getIndexAttr(xs[0]), b.getIndexAttr(xs[1]), b.getIndexAttr(H),
                 b.getIndexAttr(W)},
        strides = {b.getIndexAttr(1), b.getIndexAttr(1), b.getIndexAttr(s[0]),
                   b.getIndexAttr(s[1])};
    x = tensor::InsertSliceOp::create(b, loc, x, zeros, offsets, sizes, strides);
  }
  // Full padding minus the op's pads; output_padding extends the end.
  int64_t ekh = (KH - 1) * d[0], ekw = (KW - 1) * d[1];
  SmallVector<int64_t> lo = {ekh - p[0], ekw - p[1]};
  SmallVector<int64_t> hi = {ekh - p[2] + op_[0], ekw - p[3] + op_[1]};
  if (llvm::any_of(lo, [](int64_t v) { return v < 0; }) ||
      llvm::any_of(hi, [](int64_t v) { return v < 0; }))
    return err(op) << ("transposed convolution pads larger than the kernel");
  SmallVector<int64_t> zero4 = {0, 0, 0, 0};
  x = padSpatial(loc, x, lo, hi, cst(loc, b.getF32Type(), 0.0));
  // Lower as an ordinary convolution on the prepared operands: map the
  // prepared values to placeholders for lowerConv.
  Value bias = op.getBias();
  // lowerConv reads operands through the mapping: map the prepared values
  // for the duration of the call.
  Value xKey = op.getInput(), wKey = op.getWeight();
  Value savedX = get(xKey), savedW = map.lookupOrNull(wKey);
  map.map(xKey, x);
  map.map(wKey, w);
  LogicalResult r = lowerConv(op, xKey, wKey, bias, {1, 1}, zero4, d, groups);
  map.map(xKey, savedX);
  if (savedW)
    map.map(wKey, savedW);
  return r;
}

LogicalResult Lowering::lowerLinear(Operation *op, Value xv, Value wv,
                                    Value bv) {
  Location loc = op->getLoc();
  if (op->hasAttr("dynamic_act") &&
      isa<quant::UniformQuantizedSubChannelType>(eltOf(wv)))
    return lowerDynamicBlocks(op, xv, wv, bv);
  if (op->hasAttr("dynamic_act"))
    return lowerDynamic(op, xv, wv, bv, /*isConv=*/false, {}, {}, {}, 1);
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  ArrayRef<int64_t> xs = shapeOf(xv), ws = shapeOf(wv);
  if (ws.size() != 2)
    return err(op) << ("linear weight must be rank 2");
  int64_t N = ws[0];
  int64_t M = 1;
  for (int64_t d : xs.drop_back())
    M *= d;
  std::optional<QInfo> xq = qinfo(eltOf(xv)), wq = qinfo(eltOf(wv));
  bool integer = xq.has_value();
  if (integer && !wq)
    return err(op) << ("quantized input with a float weight");
  if (wq && !wq->perTensor() && wq->axis != 0)
    return err(op) << ("linear weight quantized along axis ")
           << wq->axis << "; only output channels (axis 0) are lowered";
  if (!integer && !eltOf(xv).isF32())
    return err(op) << ("only f32 float linear is lowered");
  Value x = get(xv), w = get(wv);
  // [..., K] -> [M, K]
  SmallVector<ReassociationIndices> collapse;
  if (xs.size() != 2) {
    ReassociationIndices lead;
    for (unsigned i = 0; i + 1 < xs.size(); ++i)
      lead.push_back(i);
    collapse = {lead, {static_cast<int64_t>(xs.size() - 1)}};
    x = tensor::CollapseShapeOp::create(b, loc, x, collapse);
  }
  // Integer form with a constant symmetric int8 weight: the packed GEMM
  // (docs/CodeGeneration.md). The weight is repacked into 16-column x 4-deep
  // tiles, and the input's zero point moves into the bias:
  //   sum_k (x - z_x) * w = sum_k x * w - z_x * sum_k w.
  std::optional<std::vector<int32_t>> biasValues;
  if (bv)
    biasValues = constantInt32(bv);
  if (integer && xq->bits == 8 && wq->bits == 8 && !weightZpOf(*wq) &&
      (!bv || biasValues)) {
    if (std::optional<std::vector<int8_t>> wv8 = constantInt8(wv)) {
      FailureOr<Value> acc =
          packedGemm(op, x, *wv8, M, N, shapeOf(xv).back(), xq->zp(),
                     biasValues ? ArrayRef<int32_t>(*biasValues) : ArrayRef<int32_t>());
      if (failed(acc))
        return failure();
      auto flatType = RankedTensorType::get({M, N}, resultType.getElementType());
      FailureOr<Value> r = finishInteger(op, *acc, *xq, *wq, flatType, 1);
      if (failed(r))
        return failure();
      Value out = *r;
      if (xs.size() != 2)
        out = tensor::ExpandShapeOp::create(b, loc, convertType(resultType), out,
                                            collapse);
      set(op->getResult(0), out);
      return success();
    }
  }
  // Float form with a constant weight: the float GEMM
  // (docs/CodeGeneration.md), the weight repacked into 16-column tiles.
  if (!integer && !wq && (!bv || eltOf(bv).isF32())) {
    if (std::optional<std::vector<float>> wf = constantF32(wv)) {
      Value out = floatGemm(loc, x, *wf, M, N, shapeOf(xv).back(), bv);
      if (xs.size() != 2)
        out = tensor::ExpandShapeOp::create(b, loc, convertType(resultType), out,
                                            collapse);
      set(op->getResult(0), out);
      return success();
    }
  }
  Type accElt = integer ? Type(b.getI32Type()) : Type(b.getF32Type());
  Value init;
  if (bv) {
    init = elementwise(loc, {}, {M, N}, accElt,
                       [&](OpBuilder &, Location, ValueRange a) { return a[0]; },
                       {{get(bv), AffineMap::get(2, 0, b.getAffineDimExpr(1),
                                                 b.getContext())}});
  } else {
    init = fill(loc, {M, N}, cst(loc, accElt, 0.0));
  }
  MLIRContext *ctx = b.getContext();
  AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
             k = getAffineDimExpr(2, ctx);
  SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {m, k}, ctx),
                                 AffineMap::get(3, 0, {n, k}, ctx),
                                 AffineMap::get(3, 0, {m, n}, ctx)};
  using utils::IteratorType;
  SmallVector<IteratorType> iters = {IteratorType::parallel,
                                     IteratorType::parallel,
                                     IteratorType::reduction};
  AffineMap channel = AffineMap::get(3, 0, {n}, ctx);
  // A constant weight of a float or weight-only layer is stored transposed,
  // [K, N], and the loops run m, k, n: the innermost loop walks a row of the
  // output and of the weight (contiguous, vectorisable); each output still
  // sums its products in k order.
  if (!integer) {
    Value wT = transposedConstant(wv);
    if (wT) {
      AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx),
                 d2 = getAffineDimExpr(2, ctx);
      w = wT;
      maps = {AffineMap::get(3, 0, {d0, d1}, ctx),
              AffineMap::get(3, 0, {d1, d2}, ctx),
              AffineMap::get(3, 0, {d0, d2}, ctx)};
      iters = {IteratorType::parallel, IteratorType::reduction,
               IteratorType::parallel};
      channel = AffineMap::get(3, 0, {d2}, ctx);
    }
  }
  Value acc = contraction(loc, x, w, init, maps, iters, channel, xq, wq);
  SmallVector<int64_t> flatShape = {M, N};
  Value out = acc;
  if (integer) {
    auto flatType = RankedTensorType::get(flatShape, resultType.getElementType());
    FailureOr<Value> r = finishInteger(op, acc, *xq, *wq, flatType, 1);
    if (failed(r))
      return failure();
    out = *r;
  }
  if (xs.size() != 2)
    out = tensor::ExpandShapeOp::create(b, loc, convertType(resultType), out,
                                        collapse);
  set(op->getResult(0), out);
  return success();
}

LogicalResult Lowering::lowerMatmul(MatMulOp op) {
  Value lhs = op.getLhs(), rhs = op.getRhs();
  if (op.getDynamicAct() &&
      isa<quant::UniformQuantizedSubChannelType>(eltOf(rhs)))
    return lowerDynamicBlocks(op, lhs, rhs, Value());
  if (qinfo(eltOf(lhs)) || qinfo(eltOf(rhs)))
    return err(op) << ("quantized qc.matmul has no CPU lowering yet");
  if (!eltOf(lhs).isF32() || !eltOf(rhs).isF32())
    return err(op) << ("only f32 matmul is lowered");
  ArrayRef<int64_t> as = shapeOf(lhs), bs = shapeOf(rhs);
  if (as.size() < 2 || bs.size() < 2)
    return err(op) << ("matmul operands of rank < 2 are not lowered");
  Location loc = op.getLoc();
  auto rt = cast<RankedTensorType>(op.getType());
  ArrayRef<int64_t> ys = rt.getShape();
  // A constant rank-2 right-hand side: the float GEMM on the left-hand side
  // seen as [rows, K].
  if (bs.size() == 2) {
    if (std::optional<std::vector<float>> rv = constantF32(rhs)) {
      int64_t K = bs[0], N = bs[1], M = 1;
      for (int64_t d : as.drop_back())
        M *= d;
      std::vector<float> w(N * K);
      for (int64_t k = 0; k < K; ++k)
        for (int64_t n = 0; n < N; ++n)
          w[n * K + k] = (*rv)[k * N + n];
      Value x = get(lhs);
      SmallVector<ReassociationIndices> collapse;
      if (as.size() != 2) {
        ReassociationIndices lead;
        for (unsigned i = 0; i + 1 < as.size(); ++i)
          lead.push_back(i);
        collapse = {lead, {static_cast<int64_t>(as.size() - 1)}};
        x = tensor::CollapseShapeOp::create(b, loc, x, collapse);
      }
      Value y = floatGemm(loc, x, w, M, N, K, Value());
      if (as.size() != 2)
        y = tensor::ExpandShapeOp::create(b, loc, rt, y, collapse);
      set(op.getResult(), y);
      return success();
    }
  }
  unsigned R = ys.size(); // batch..., m, n ; plus k
  unsigned D = R + 1;
  MLIRContext *ctx = b.getContext();
  auto operandMap = [&](ArrayRef<int64_t> s, AffineExpr r0, AffineExpr r1) {
    SmallVector<AffineExpr> e;
    unsigned batch = s.size() - 2, off = (R - 2) - batch;
    for (unsigned i = 0; i < batch; ++i)
      e.push_back(s[i] == 1 && ys[off + i] != 1 ? getAffineConstantExpr(0, ctx)
                                                : getAffineDimExpr(off + i, ctx));
    e.push_back(r0);
    e.push_back(r1);
    return AffineMap::get(D, 0, e, ctx);
  };
  AffineExpr m = getAffineDimExpr(R - 2, ctx), n = getAffineDimExpr(R - 1, ctx),
             k = getAffineDimExpr(R, ctx);
  SmallVector<AffineMap> maps = {operandMap(as, m, k), operandMap(bs, k, n),
                                 AffineMap::getMultiDimIdentityMap(R, ctx)
                                     .shiftDims(0)};
  maps[2] = AffineMap::get(D, 0,
                           llvm::to_vector(llvm::map_range(
                               llvm::seq<unsigned>(0, R),
                               [&](unsigned i) { return getAffineDimExpr(i, ctx); })),
                           ctx);
  SmallVector<utils::IteratorType> iters(R, utils::IteratorType::parallel);
  iters.push_back(utils::IteratorType::reduction);
  Value init = fill(loc, ys, cst(loc, b.getF32Type(), 0.0));
  auto g = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{get(lhs), get(rhs)},
      ValueRange{init}, maps, iters, [&](OpBuilder &bb, Location l, ValueRange a) {
        Value p = arith::MulFOp::create(bb, l, a[0], a[1]);
        linalg::YieldOp::create(bb, l, Value(arith::AddFOp::create(bb, l, a[2], p)));
      });
  set(op.getResult(), g.getResult(0));
  return success();
}

LogicalResult Lowering::lowerPool(Pool2DOp op) {
  Location loc = op.getLoc();
  Value xv = op.getInput();
  ArrayRef<int64_t> xs = shapeOf(xv);
  auto rt = cast<RankedTensorType>(op.getType());
  ArrayRef<int64_t> ys = rt.getShape();
  if (xs.size() != 4)
    return err(op) << ("only 2-D pooling (NCHW) is lowered");
  ArrayRef<int64_t> k = op.getKernel(), s = op.getStrides(),
                    d = op.getDilations(), p = op.getPads();
  bool isMax = op.getKind() == PoolKind::Max;
  std::optional<QInfo> xq = qinfo(eltOf(xv));
  Value x = get(xv);
  if (xq && !isMax) {
    if (!xq->perTensor() || !qinfo(rt.getElementType()))
      return err(op) << ("quantized average pooling needs per-tensor types");
    x = dequantize(loc, x, eltOf(xv));
  } else if (!xq && !eltOf(xv).isF32()) {
    return err(op) << ("only f32 or quantized pooling is lowered");
  }
  Type elt = cast<ShapedType>(x.getType()).getElementType();
  // Extra padding at the end for ceil mode: every window lies in the pad.
  SmallVector<int64_t> hi = {p[2], p[3]};
  for (int i = 0; i < 2; ++i) {
    int64_t need = (ys[2 + i] - 1) * s[i] + (k[i] - 1) * d[i] + 1;
    hi[i] = std::max(hi[i], need - xs[2 + i] - p[i]);
  }
  Value neutral;
  if (isMax) {
    if (xq)
      neutral = cst(loc, elt, xq->qmin);
    else
      neutral = arith::ConstantOp::create(
          b, loc, b.getF32FloatAttr(-std::numeric_limits<float>::infinity()));
  } else {
    neutral = cst(loc, elt, 0.0);
  }
  x = padSpatial(loc, x, {p[0], p[1]}, hi, neutral);
  MLIRContext *ctx = b.getContext();
  AffineExpr n = getAffineDimExpr(0, ctx), c = getAffineDimExpr(1, ctx),
             oh = getAffineDimExpr(2, ctx), ow = getAffineDimExpr(3, ctx),
             kh = getAffineDimExpr(4, ctx), kw = getAffineDimExpr(5, ctx);
  Value window = empty(loc, {k[0], k[1]}, b.getF32Type());
  SmallVector<AffineMap> maps = {
      AffineMap::get(6, 0, {n, c, oh * s[0] + kh * d[0], ow * s[1] + kw * d[1]}, ctx),
      AffineMap::get(6, 0, {kh, kw}, ctx), AffineMap::get(6, 0, {n, c, oh, ow}, ctx)};
  using utils::IteratorType;
  SmallVector<IteratorType> iters = {IteratorType::parallel,  IteratorType::parallel,
                                     IteratorType::parallel,  IteratorType::parallel,
                                     IteratorType::reduction, IteratorType::reduction};
  Value init = fill(loc, ys, neutral);
  bool isInt = isa<IntegerType>(elt);
  auto g = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{x, window}, ValueRange{init},
      maps, iters, [&](OpBuilder &bb, Location l, ValueRange a) {
        Value r;
        if (isMax && isInt)
          r = arith::MaxSIOp::create(bb, l, a[0], a[2]);
        else if (isMax)
          r = arith::MaxNumFOp::create(bb, l, a[0], a[2]);
        else
          r = arith::AddFOp::create(bb, l, a[0], a[2]);
        linalg::YieldOp::create(bb, l, r);
      });
  Value out = g.getResult(0);
  if (!isMax) {
    // Divide by the number of elements each window covers.
    std::vector<float> counts(ys[2] * ys[3]);
    for (int64_t i = 0; i < ys[2]; ++i)
      for (int64_t j = 0; j < ys[3]; ++j) {
        auto covered = [&](int64_t o, int dim, int64_t in) {
          int64_t lo = op.getCountIncludePad() ? -p[dim] : 0;
          int64_t hiB = op.getCountIncludePad() ? in + p[dim + 2] : in;
          int64_t cnt = 0;
          for (int64_t t = 0; t < k[dim]; ++t) {
            int64_t pos = o * s[dim] + t * d[dim] - p[dim];
            cnt += pos >= lo && pos < hiB;
          }
          return cnt;
        };
        counts[i * ys[3] + j] =
            static_cast<float>(covered(i, 0, xs[2]) * covered(j, 1, xs[3]));
      }
    auto ct = RankedTensorType::get({ys[2], ys[3]}, b.getF32Type());
    Value cv = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(ct, llvm::ArrayRef<float>(counts)));
    out = elementwise(loc, {out}, ys, b.getF32Type(),
                      [&](OpBuilder &bb, Location l, ValueRange a) {
                        return arith::DivFOp::create(bb, l, a[0], a[1]);
                      },
                      {{cv, AffineMap::get(4, 0, {oh, ow}, ctx)}});
    if (xq)
      out = quantize(loc, out, rt.getElementType());
  }
  set(op.getResult(), out);
  return success();
}

LogicalResult Lowering::lowerReduce(ReduceOp op) {
  Location loc = op.getLoc();
  Value xv = op.getInput();
  if (!eltOf(xv).isF32())
    return err(op) << ("only f32 reductions are lowered");
  ArrayRef<int64_t> xs = shapeOf(xv);
  unsigned rank = xs.size();
  llvm::SmallDenseSet<int64_t> axes;
  for (int64_t a : op.getAxes())
    axes.insert(a < 0 ? a + rank : a);
  ReduceKind kind = op.getKind();
  // Sums accumulate in f64 (docs/Executor.md); max/min in f32.
  bool sum = kind == ReduceKind::Sum || kind == ReduceKind::Mean ||
             kind == ReduceKind::SumSquare || kind == ReduceKind::L1 ||
             kind == ReduceKind::L2;
  if (!sum && kind != ReduceKind::Max && kind != ReduceKind::Min)
    return err(op) << ("reduction kind ")
           << stringifyReduceKind(kind) << " has no CPU lowering yet";
  Type accElt = sum ? Type(b.getF64Type()) : Type(b.getF32Type());
  SmallVector<int64_t> redShape;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iters;
  int64_t count = 1;
  for (unsigned i = 0; i < rank; ++i) {
    if (axes.contains(i)) {
      iters.push_back(utils::IteratorType::reduction);
      count *= xs[i];
    } else {
      iters.push_back(utils::IteratorType::parallel);
      redShape.push_back(xs[i]);
      outExprs.push_back(b.getAffineDimExpr(i));
    }
  }
  double initV = sum ? 0.0
                     : (kind == ReduceKind::Max ? -std::numeric_limits<double>::infinity()
                                                : std::numeric_limits<double>::infinity());
  Value init = fill(loc, redShape, cst(loc, accElt, initV));
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank),
                                 AffineMap::get(rank, 0, outExprs, b.getContext())};
  auto g = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{get(xv)}, ValueRange{init}, maps,
      iters, [&](OpBuilder &bb, Location l, ValueRange a) {
        Value v = a[0], r;
        if (sum) {
          v = arith::ExtFOp::create(bb, l, bb.getF64Type(), v);
          if (kind == ReduceKind::SumSquare || kind == ReduceKind::L2)
            v = arith::MulFOp::create(bb, l, v, v);
          else if (kind == ReduceKind::L1)
            v = math::AbsFOp::create(bb, l, v);
          r = arith::AddFOp::create(bb, l, a[1], v);
        } else if (kind == ReduceKind::Max) {
          r = arith::MaximumFOp::create(bb, l, a[1], v);
        } else {
          r = arith::MinimumFOp::create(bb, l, a[1], v);
        }
        linalg::YieldOp::create(bb, l, r);
      });
  Value out = g.getResult(0);
  out = elementwise(loc, {out}, redShape, b.getF32Type(),
                    [&](OpBuilder &bb, Location l, ValueRange a) {
                      Value v = a[0];
                      if (kind == ReduceKind::Mean)
                        v = arith::DivFOp::create(
                            bb, l, v,
                            arith::ConstantOp::create(bb, l,
                                                      bb.getF64FloatAttr(double(count))));
                      else if (kind == ReduceKind::L2)
                        v = math::SqrtOp::create(bb, l, v);
                      if (v.getType() != bb.getF32Type())
                        v = arith::TruncFOp::create(bb, l, bb.getF32Type(), v);
                      return v;
                    });
  auto rt = cast<RankedTensorType>(op.getType());
  if (rt.getShape() != ArrayRef<int64_t>(redShape)) {
    // keepdims: reinsert the reduced dimensions as size 1.
    SmallVector<ReassociationIndices> re;
    if (redShape.empty()) {
      out = tensor::ExpandShapeOp::create(b, loc, rt, out,
                                          ArrayRef<ReassociationIndices>{});
    } else {
      ReassociationIndices cur;
      unsigned seen = 0;
      for (unsigned i = 0; i < rank; ++i) {
        cur.push_back(i);
        if (!axes.contains(i)) {
          ++seen;
          if (seen == redShape.size()) {
            for (unsigned j = i + 1; j < rank; ++j)
              cur.push_back(j);
            re.push_back(cur);
            break;
          }
          re.push_back(cur);
          cur.clear();
        }
      }
      out = tensor::ExpandShapeOp::create(b, loc, rt, out, re);
    }
  }
  set(op.getResult(), out);
  return success();
}

LogicalResult Lowering::lowerResize(ResizeOp op) {
  Location loc = op.getLoc();
  Value xv = op.getInput();
  ArrayRef<int64_t> xs = shapeOf(xv);
  auto rt = cast<RankedTensorType>(op.getType());
  ArrayRef<int64_t> ys = rt.getShape();
  unsigned rank = xs.size();
  std::optional<ArrayRef<double>> scales = op.getScales();
  std::vector<resize::ResizeDim> dims;
  for (unsigned d = 0; d < rank; ++d) {
    resize::ResizeDim dim{xs[d], ys[d], 0.0};
    dim.scale = scales ? (*scales)[d] : double(dim.out) / double(dim.in);
    dims.push_back(dim);
  }
  auto identity = [](const resize::ResizeDim &d) {
    return d.in == d.out && d.scale == 1.0;
  };
  CoordinateMode mode = op.getCoordinateMode();
  Value x = get(xv);
  Type elt = cast<ShapedType>(x.getType()).getElementType();
  MLIRContext *ctx = b.getContext();
  if (op.getMode() != ResizeMode::Nearest)
    return err(op) << ("only nearest resize has a CPU lowering yet");
  // One index table per resized dimension; tensor.extract gathers.
  SmallVector<std::pair<Value, AffineMap>> tables;
  SmallVector<int> tableOf(rank, -1);
  for (unsigned d = 0; d < rank; ++d) {
    if (identity(dims[d]))
      continue;
    std::vector<int64_t> idx;
    for (int64_t o = 0; o < dims[d].out; ++o)
      idx.push_back(resize::nearestIndex(resize::sourceCoord(o, dims[d], mode),
                                         op.getNearestMode(), dims[d].in));
    tableOf[d] = tables.size();
    tables.push_back({vec<int64_t>(loc, idx, b.getI64Type()),
                      AffineMap::get(rank, 0, getAffineDimExpr(d, ctx), ctx)});
  }
  Value out = elementwise(
      loc, {}, ys, elt,
      [&](OpBuilder &bb, Location l, ValueRange a) {
        SmallVector<Value> idx;
        for (unsigned d = 0; d < rank; ++d) {
          if (tableOf[d] < 0)
            idx.push_back(linalg::IndexOp::create(bb, l, d));
          else
            idx.push_back(arith::IndexCastOp::create(bb, l, bb.getIndexType(),
                                                     a[tableOf[d]]));
        }
        return tensor::ExtractOp::create(bb, l, x, idx);
      },
      tables);
  set(op.getResult(), out);
  return success();
}

LogicalResult Lowering::lowerConcat(ConcatOp op) {
  Location loc = op.getLoc();
  auto rt = convertType(op.getType());
  int64_t rank = rt.getRank();
  int64_t axis = op.getAxis() < 0 ? op.getAxis() + rank : op.getAxis();
  for (Value in : op.getInputs())
    if (eltOf(in) != cast<RankedTensorType>(op.getType()).getElementType())
      return err(op) << ("concat of differently typed inputs is not lowered");
  Value dest = empty(loc, rt.getShape(), rt.getElementType());
  int64_t offset = 0;
  for (Value in : op.getInputs()) {
    ArrayRef<int64_t> s = shapeOf(in);
    SmallVector<OpFoldResult> offs(rank, b.getIndexAttr(0)), sizes, strides(rank, b.getIndexAttr(1));
    for (int64_t d = 0; d < rank; ++d)
      sizes.push_back(b.getIndexAttr(s[d]));
    offs[axis] = b.getIndexAttr(offset);
    offset += s[axis];
    dest = tensor::InsertSliceOp::create(b, loc, get(in), dest, offs, sizes, strides);
  }
  set(op.getResult(), dest);
  return success();
}

LogicalResult Lowering::lowerReshape(Operation *op) {
  Location loc = op->getLoc();
  Value in = get(op->getOperand(0));
  auto rt = convertType(op->getResult(0).getType());
  auto it = cast<RankedTensorType>(in.getType());
  if (it.getShape() == rt.getShape()) {
    set(op->getResult(0), in);
    return success();
  }
  auto all = [](int64_t rank) {
    ReassociationIndices r;
    for (int64_t i = 0; i < rank; ++i)
      r.push_back(i);
    return SmallVector<ReassociationIndices>{r};
  };
  auto none = SmallVector<ReassociationIndices>{};
  Value flat = in;
  if (it.getRank() != 1)
    flat = tensor::CollapseShapeOp::create(b, loc, in,
                                           it.getRank() ? all(it.getRank()) : none);
  Value out = flat;
  if (rt.getRank() != 1)
    out = tensor::ExpandShapeOp::create(b, loc, rt, flat,
                                        rt.getRank() ? all(rt.getRank()) : none);
  set(op->getResult(0), out);
  return success();
}

Value Lowering::rowReduce(
    Location loc, Value x, double initValue,
    function_ref<Value(OpBuilder &, Location, Value, Value, ValueRange)> combine,
    ValueRange rowInputs) {
  int64_t rows = shapeOf(x)[0];
  MLIRContext *ctx = b.getContext();
  Value init = fill(loc, {rows}, cst(loc, b.getF64Type(), initValue));
  SmallVector<Value> inputs = {x};
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(2)};
  for (Value v : rowInputs) {
    inputs.push_back(v);
    maps.push_back(AffineMap::get(2, 0, b.getAffineDimExpr(0), ctx));
  }
  maps.push_back(AffineMap::get(2, 0, b.getAffineDimExpr(0), ctx));
  auto g = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      {utils::IteratorType::parallel, utils::IteratorType::reduction},
      [&](OpBuilder &bb, Location l, ValueRange a) {
        linalg::YieldOp::create(
            bb, l, combine(bb, l, a[0], a.back(), a.drop_front().drop_back()));
      });
  return g.getResult(0);
}

/// Layer norm (centre = true) and RMS norm over the dimensions from `axis`
/// on, with the statistics in f64 as the executor computes them:
/// y = f32((x - mean) / sqrt(var + eps) * scale + bias).
LogicalResult Lowering::lowerNorm(Operation *op, Value input, Value scale,
                                  Value bias, int64_t axis, double epsilon,
                                  bool centre) {
  Location loc = op->getLoc();
  auto it = cast<RankedTensorType>(input.getType());
  if (!it.getElementType().isF32())
    return err(op) << "only f32 normalisation is lowered";
  ArrayRef<int64_t> shape = it.getShape();
  int64_t rows = 1, len = 1;
  for (int64_t d = 0; d < it.getRank(); ++d)
    (d < axis ? rows : len) *= shape[d];
  Value x = get(input);
  ReassociationIndices lead, tail;
  for (int64_t d = 0; d < it.getRank(); ++d)
    (d < axis ? lead : tail).push_back(d);
  SmallVector<ReassociationIndices> re;
  if (!lead.empty())
    re.push_back(lead);
  re.push_back(tail);
  Value x2 = x;
  if (lead.empty())
    x2 = tensor::ExpandShapeOp::create(b, loc, RankedTensorType::get({1, len}, b.getF32Type()),
                                       tensor::CollapseShapeOp::create(
                                           b, loc, x, SmallVector<ReassociationIndices>{tail}),
                                       SmallVector<ReassociationIndices>{{0, 1}});
  else
    x2 = tensor::CollapseShapeOp::create(b, loc, x, re);
  if (lead.empty())
    rows = 1;
  Type f64 = b.getF64Type(), f32 = b.getF32Type();
  double n = static_cast<double>(len);
  auto ext = [&](OpBuilder &bb, Location l, Value v) -> Value {
    return arith::ExtFOp::create(bb, l, f64, v);
  };
  Value mean;
  if (centre) {
    Value sum = rowReduce(loc, x2, 0.0, [&](OpBuilder &bb, Location l, Value v,
                                             Value acc, ValueRange) -> Value {
      return arith::AddFOp::create(bb, l, acc, ext(bb, l, v));
    });
    mean = elementwise(loc, {sum}, {rows}, f64, [&](OpBuilder &bb, Location l, ValueRange a) -> Value {
      return arith::DivFOp::create(bb, l, a[0], arith::ConstantOp::create(bb, l, bb.getF64FloatAttr(n)));
    });
  }
  Value sq = rowReduce(
      loc, x2, 0.0,
      [&](OpBuilder &bb, Location l, Value v, Value acc, ValueRange rowVals) -> Value {
        Value d = ext(bb, l, v);
        if (centre)
          d = arith::SubFOp::create(bb, l, d, rowVals[0]);
        return arith::AddFOp::create(bb, l, acc, arith::MulFOp::create(bb, l, d, d));
      },
      centre ? ValueRange{mean} : ValueRange{});
  Value inv = elementwise(loc, {sq}, {rows}, f64, [&](OpBuilder &bb, Location l, ValueRange a) -> Value {
    Value var = arith::DivFOp::create(bb, l, a[0], arith::ConstantOp::create(bb, l, bb.getF64FloatAttr(n)));
    Value r = math::SqrtOp::create(
        bb, l, arith::AddFOp::create(bb, l, var, arith::ConstantOp::create(bb, l, bb.getF64FloatAttr(epsilon))));
    return arith::DivFOp::create(bb, l, arith::ConstantOp::create(bb, l, bb.getF64FloatAttr(1.0)), r);
  });
  // Scale and bias broadcast to the normalised dimensions, flattened.
  MLIRContext *ctx = b.getContext();
  AffineMap rowMap = AffineMap::get(2, 0, b.getAffineDimExpr(0), ctx);
  AffineMap colMap = AffineMap::get(2, 0, b.getAffineDimExpr(1), ctx);
  SmallVector<std::pair<Value, AffineMap>> extra = {{inv, rowMap}};
  if (centre)
    extra.push_back({mean, rowMap});
  auto flatParam = [&](Value p) -> Value {
    if (!p)
      return Value();
    SmallVector<int64_t> tailShape(shape.drop_front(axis));
    Value full = elementwise(loc, {get(p)}, tailShape, f32,
                             [](OpBuilder &, Location, ValueRange a) { return a[0]; });
    if (tailShape.size() == 1)
      return full;
    ReassociationIndices all;
    for (size_t i = 0; i < tailShape.size(); ++i)
      all.push_back(i);
    return tensor::CollapseShapeOp::create(b, loc, full, SmallVector<ReassociationIndices>{all});
  };
  Value s = flatParam(scale), o = flatParam(bias);
  if (s)
    extra.push_back({s, colMap});
  if (o)
    extra.push_back({o, colMap});
  Value y = elementwise(
      loc, {x2}, {rows, len}, f32,
      [&](OpBuilder &bb, Location l, ValueRange a) -> Value {
        unsigned i = 1;
        Value invR = a[i++];
        Value v = ext(bb, l, a[0]);
        if (centre)
          v = arith::SubFOp::create(bb, l, v, a[i++]);
        v = arith::MulFOp::create(bb, l, v, invR);
        if (s)
          v = arith::MulFOp::create(bb, l, v, ext(bb, l, a[i++]));
        if (o)
          v = arith::AddFOp::create(bb, l, v, ext(bb, l, a[i++]));
        return arith::TruncFOp::create(bb, l, f32, v);
      },
      extra);
  Value out;
  if (lead.empty())
    out = tensor::ExpandShapeOp::create(
        b, loc, it,
        tensor::CollapseShapeOp::create(b, loc, y, SmallVector<ReassociationIndices>{{0, 1}}),
        SmallVector<ReassociationIndices>{tail});
  else
    out = tensor::ExpandShapeOp::create(b, loc, it, y, re);
  set(op->getResult(0), out);
  return success();
}

/// Reductions of `x` along one axis into a tensor of the other dimensions
/// (softmax, log_softmax): `reduce(elt, init, extraIn, body)` runs `body`
/// on (x, extraIn..., acc), the extra inputs being of the reduced shape.
struct AxisReduce {
  Lowering &lw;
  Location loc;
  Value x;
  SmallVector<int64_t> redShape;
  SmallVector<utils::IteratorType> iters;
  AffineMap id, red;

  AxisReduce(Lowering &lw, Location loc, Value x, int64_t axis)
      : lw(lw), loc(loc), x(x) {
    ArrayRef<int64_t> shape = cast<RankedTensorType>(x.getType()).getShape();
    int64_t rank = shape.size();
    SmallVector<AffineExpr> redExprs;
    for (int64_t d = 0; d < rank; ++d) {
      iters.push_back(d == axis ? utils::IteratorType::reduction
                                : utils::IteratorType::parallel);
      if (d != axis) {
        redShape.push_back(shape[d]);
        redExprs.push_back(lw.b.getAffineDimExpr(d));
      }
    }
    id = lw.b.getMultiDimIdentityMap(rank);
    red = AffineMap::get(rank, 0, redExprs, lw.b.getContext());
  }

  Value reduce(Type elt, double init, ValueRange extraIn,
               function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
    Value acc = lw.fill(loc, redShape, lw.cst(loc, elt, init));
    SmallVector<Value> ins = {x};
    SmallVector<AffineMap> maps = {id};
    for (Value v : extraIn) {
      ins.push_back(v);
      maps.push_back(red);
    }
    maps.push_back(red);
    return linalg::GenericOp::create(
               lw.b, loc, TypeRange{acc.getType()}, ins, ValueRange{acc}, maps, iters,
               [&](OpBuilder &bb, Location l, ValueRange a) {
                 linalg::YieldOp::create(bb, l, body(bb, l, a));
               })
        .getResult(0);
  }
};

/// softmax along one axis: m = max (NaN ignored), s = sum f64(exp(x - m)),
/// y = f32(f64(exp(x - m)) / s), as the executor computes it.
LogicalResult Lowering::lowerSoftmax(SoftmaxOp op) {
  Location loc = op.getLoc();
  auto it = cast<RankedTensorType>(op.getInput().getType());
  if (!it.getElementType().isF32())
    return err(op) << "only f32 softmax is lowered";
  ArrayRef<int64_t> shape = it.getShape();
  Value x = get(op.getInput());
  AxisReduce r(*this, loc, x, op.getNormalizedAxis());
  AffineMap red = r.red;
  Type f32 = b.getF32Type(), f64 = b.getF64Type();
  Value m = r.reduce(f32, -std::numeric_limits<double>::infinity(), {},
                   [](OpBuilder &bb, Location l, ValueRange a) -> Value {
                     return arith::MaxNumFOp::create(bb, l, a[1], a[0]);
                   });
  auto expShift = [&](OpBuilder &bb, Location l, Value v, Value mx) -> Value {
    return arith::ExtFOp::create(
        bb, l, f64, Value(math::ExpOp::create(bb, l, arith::SubFOp::create(bb, l, v, mx))));
  };
  Value sum = r.reduce(f64, 0.0, {m}, [&](OpBuilder &bb, Location l, ValueRange a) -> Value {
    return arith::AddFOp::create(bb, l, a[2], expShift(bb, l, a[0], a[1]));
  });
  Value y = elementwise(
      loc, {x}, shape, f32,
      [&](OpBuilder &bb, Location l, ValueRange a) -> Value {
        return arith::TruncFOp::create(
            bb, l, f32, arith::DivFOp::create(bb, l, expShift(bb, l, a[0], a[1]), a[2]));
      },
      {{m, red}, {sum, red}});
  set(op.getResult(), y);
  return success();
}

/// result[i..., j..., k...] = data[i..., index(indices[j...]), k...] with
/// negative indices counted from the end (out-of-range ones clamp: generated
/// code has no way to fail).
LogicalResult Lowering::lowerGather(GatherOp op) {
  Location loc = op.getLoc();
  auto dt = cast<RankedTensorType>(op.getData().getType());
  auto itype = cast<RankedTensorType>(op.getIndices().getType());
  auto rt = convertType(op.getType());
  int64_t axis = op.getAxis() < 0 ? op.getAxis() + dt.getRank() : op.getAxis();
  int64_t irank = itype.getRank(), rank = rt.getRank();
  int64_t extent = dt.getShape()[axis];
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineExpr> idxExprs;
  for (int64_t d = 0; d < irank; ++d)
    idxExprs.push_back(getAffineDimExpr(axis + d, ctx));
  Value data = get(op.getData());
  Value out = elementwise(
      loc, {}, rt.getShape(), rt.getElementType(),
      [&](OpBuilder &bb, Location l, ValueRange a) -> Value {
        Value i = arith::IndexCastOp::create(bb, l, bb.getIndexType(), a[0]);
        Value e = arith::ConstantIndexOp::create(bb, l, extent);
        Value zero = arith::ConstantIndexOp::create(bb, l, 0);
        Value neg = arith::CmpIOp::create(bb, l, arith::CmpIPredicate::slt, i, zero);
        i = arith::SelectOp::create(bb, l, neg, arith::AddIOp::create(bb, l, i, e), i);
        i = arith::MaxSIOp::create(bb, l, i, zero);
        i = arith::MinSIOp::create(
            bb, l, i, arith::ConstantIndexOp::create(bb, l, extent - 1));
        SmallVector<Value> at;
        for (int64_t d = 0; d < axis; ++d)
          at.push_back(linalg::IndexOp::create(bb, l, d));
        at.push_back(i);
        for (int64_t d = axis + irank; d < rank; ++d)
          at.push_back(linalg::IndexOp::create(bb, l, d));
        return tensor::ExtractOp::create(bb, l, data, at);
      },
      {{get(op.getIndices()), AffineMap::get(rank, 0, idxExprs, ctx)}});
  set(op.getResult(), out);
  return success();
}

//===----------------------------------------------------------------------===//
// Transformer ops (float forms; docs/CodeGeneration.md)
//===----------------------------------------------------------------------===//

/// `v` (index) clamped to [0, hi]. Generated code cannot fail a run: ids and
/// cache positions out of range, which the executor reports, are clamped.
static Value clampIndex(OpBuilder &bb, Location l, Value v, int64_t hi) {
  v = arith::MaxSIOp::create(bb, l, v, arith::ConstantIndexOp::create(bb, l, 0));
  return arith::MinSIOp::create(bb, l, v, arith::ConstantIndexOp::create(bb, l, hi));
}

/// qc.embedding with a float table: row `id` of the table per id (the id
/// clamped to the vocabulary).
LogicalResult Lowering::lowerEmbedding(EmbeddingOp op) {
  Location loc = op.getLoc();
  auto tt = cast<RankedTensorType>(op.getTable().getType());
  if (!isa<FloatType>(tt.getElementType()))
    return err(op) << "only float embedding tables are lowered";
  auto rt = convertType(op.getType());
  int64_t rank = rt.getRank(), vocab = tt.getShape()[0];
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineExpr> idExprs;
  for (int64_t d = 0; d + 1 < rank; ++d)
    idExprs.push_back(getAffineDimExpr(d, ctx));
  Value table = get(op.getTable());
  set(op.getResult(),
      elementwise(
          loc, {}, rt.getShape(), rt.getElementType(),
          [&](OpBuilder &bb, Location l, ValueRange a) -> Value {
            Value id = arith::IndexCastOp::create(bb, l, bb.getIndexType(), a[0]);
            id = clampIndex(bb, l, id, vocab - 1);
            return tensor::ExtractOp::create(
                bb, l, table, ValueRange{id, linalg::IndexOp::create(bb, l, rank - 1)});
          },
          {{get(op.getIds()), AffineMap::get(rank, 0, idExprs, ctx)}}));
  return success();
}

/// qc.rope on f32, per output element, in the executor's order:
///   inv_freq = 1 / powf(base, f32(2i) / f32(R)), theta = f32(pos) * inv_freq,
///   (cosf, sinf)(theta); first of a pair a*c - b*s, second a*s + b*c;
/// features >= R copied. Bit-exact with the executor where both use the same
/// C library (the host).
LogicalResult Lowering::lowerRoPE(RoPEOp op) {
  Location loc = op.getLoc();
  auto it = cast<RankedTensorType>(op.getInput().getType());
  if (!it.getElementType().isF32())
    return err(op) << "only f32 RoPE is lowered";
  ArrayRef<int64_t> shape = it.getShape();
  int64_t hd = shape[3], r = op.getEffectiveRotaryDim(), half = r / 2;
  bool interleaved = op.getInterleaved();
  auto pt = cast<RankedTensorType>(op.getPositions().getType());
  bool perBatch = pt.getRank() == 2;
  float base = static_cast<float>(op.getBase().convertToDouble());
  Value x = get(op.getInput()), pos = get(op.getPositions());
  set(op.getResult(),
      elementwise(loc, {}, shape, b.getF32Type(),
                  [&](OpBuilder &bb, Location l, ValueRange) -> Value {
                    Type f32 = bb.getF32Type();
                    auto ci = [&](int64_t v) { return arith::ConstantIndexOp::create(bb, l, v); };
                    auto cf = [&](float v) {
                      return arith::ConstantOp::create(bb, l, bb.getF32FloatAttr(v));
                    };
                    SmallVector<Value> at;
                    for (int64_t dd = 0; dd < 4; ++dd)
                      at.push_back(linalg::IndexOp::create(bb, l, dd));
                    Value d = at[3];
                    Value xv = tensor::ExtractOp::create(bb, l, x, at);
                    // Pair index i, and whether d is the pair's first element.
                    Value i = interleaved ? Value(arith::DivUIOp::create(bb, l, d, ci(2)))
                                          : Value(arith::RemUIOp::create(bb, l, d, ci(half)));
                    Value first = interleaved
                                      ? arith::CmpIOp::create(bb, l, arith::CmpIPredicate::eq,
                                                              arith::RemUIOp::create(bb, l, d, ci(2)),
                                                              ci(0))
                                      : arith::CmpIOp::create(bb, l, arith::CmpIPredicate::ult, d,
                                                              ci(half));
                    Value p = interleaved ? Value(arith::MulIOp::create(bb, l, i, ci(2)))
                                          : i;
                    Value q = interleaved ? Value(arith::AddIOp::create(bb, l, p, ci(1)))
                                          : Value(arith::AddIOp::create(bb, l, i, ci(half)));
                    // Read both elements of the pair (clamped in range for
                    // features past R, whose result is the copy).
                    SmallVector<Value> atP(at), atQ(at);
                    atP[3] = clampIndex(bb, l, p, hd - 1);
                    atQ[3] = clampIndex(bb, l, q, hd - 1);
                    Value av = tensor::ExtractOp::create(bb, l, x, atP);
                    Value bv = tensor::ExtractOp::create(bb, l, x, atQ);
                    SmallVector<Value> posAt;
                    if (perBatch)
                      posAt.push_back(at[0]);
                    posAt.push_back(at[1]);
                    Value pi = tensor::ExtractOp::create(bb, l, pos, posAt);
                    Value pf = arith::SIToFPOp::create(bb, l, f32, pi);
                    Value twoI = arith::UIToFPOp::create(
                        bb, l, f32,
                        arith::IndexCastUIOp::create(bb, l, bb.getI64Type(),
                                                     arith::MulIOp::create(bb, l, i, ci(2))));
                    Value expo = arith::DivFOp::create(bb, l, twoI, cf(static_cast<float>(r)));
                    Value invFreq = arith::DivFOp::create(
                        bb, l, cf(1.0f), math::PowFOp::create(bb, l, cf(base), expo));
                    Value theta = arith::MulFOp::create(bb, l, pf, invFreq);
                    Value c = math::CosOp::create(bb, l, theta);
                    Value sn = math::SinOp::create(bb, l, theta);
                    Value r1 = arith::SubFOp::create(bb, l, arith::MulFOp::create(bb, l, av, c),
                                                     arith::MulFOp::create(bb, l, bv, sn));
                    Value r2 = arith::AddFOp::create(bb, l, arith::MulFOp::create(bb, l, av, sn),
                                                     arith::MulFOp::create(bb, l, bv, c));
                    Value rot = arith::SelectOp::create(bb, l, first, r1, r2);
                    Value inRotary = arith::CmpIOp::create(bb, l, arith::CmpIPredicate::ult, d, ci(r));
                    return arith::SelectOp::create(bb, l, inRotary, rot, xv);
                  }));
  return success();
}

/// qc.kv_cache_write on a float cache: the cache with rows [position,
/// position + Sn) replaced (position clamped to [0, Smax - Sn]).
LogicalResult Lowering::lowerKVCacheWrite(KVCacheWriteOp op) {
  Location loc = op.getLoc();
  auto ct = cast<RankedTensorType>(op.getCache().getType());
  if (!isa<FloatType>(ct.getElementType()))
    return err(op) << "only float KV caches are lowered";
  ArrayRef<int64_t> cs = ct.getShape();
  int64_t smax = cs[2];
  int64_t sn = cast<RankedTensorType>(op.getUpdate().getType()).getShape()[2];
  Value cache = get(op.getCache()), update = get(op.getUpdate()),
        position = get(op.getPosition());
  set(op.getResult(),
      elementwise(loc, {cache}, cs, ct.getElementType(),
                  [&](OpBuilder &bb, Location l, ValueRange a) -> Value {
                    Value p = tensor::ExtractOp::create(bb, l, position, ValueRange{});
                    p = arith::IndexCastOp::create(bb, l, bb.getIndexType(), p);
                    p = clampIndex(bb, l, p, smax - sn);
                    SmallVector<Value> at;
                    for (int64_t d = 0; d < 4; ++d)
                      at.push_back(linalg::IndexOp::create(bb, l, d));
                    Value rel = arith::SubIOp::create(bb, l, at[2], p);
                    Value inRange = arith::AndIOp::create(
                        bb, l,
                        arith::CmpIOp::create(bb, l, arith::CmpIPredicate::sge, rel,
                                              arith::ConstantIndexOp::create(bb, l, 0)),
                        arith::CmpIOp::create(bb, l, arith::CmpIPredicate::slt, rel,
                                              arith::ConstantIndexOp::create(bb, l, sn)));
                    SmallVector<Value> uat(at);
                    uat[2] = clampIndex(bb, l, rel, sn - 1);
                    Value u = tensor::ExtractOp::create(bb, l, update, uat);
                    return arith::SelectOp::create(bb, l, inRange, u, a[0]);
                  }));
  return success();
}

/// qc.attention on f32: scores S = Q K^T (sum over d in order), then
/// s = S * scale + mask, -inf where causal masks; m = max_j s,
/// e = exp(s - m), l = sum_j e (ascending j), p = e / l; O = P V (sum over j
/// in order). The executor's GEMMs sum in another order: results agree to
/// rounding, not bit for bit.
LogicalResult Lowering::lowerAttention(AttentionOp op) {
  Location loc = op.getLoc();
  auto qt = cast<RankedTensorType>(op.getQuery().getType());
  if (!qt.getElementType().isF32())
    return err(op) << "only f32 attention is lowered";
  std::optional<double> scaleAttr = op.getEffectiveScale();
  if (!scaleAttr)
    return err(op) << "needs a static head dimension or a scale";
  ArrayRef<int64_t> qs = qt.getShape();
  ArrayRef<int64_t> ks = cast<RankedTensorType>(op.getKey().getType()).getShape();
  ArrayRef<int64_t> vs = cast<RankedTensorType>(op.getValue().getType()).getShape();
  int64_t B = qs[0], Hq = qs[1], Sq = qs[2], Skv = ks[2], Dv = vs[3];
  int64_t G = Hq / ks[1];
  bool causal = op.getCausal();
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type();
  using utils::IteratorType;
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  Value q = get(op.getQuery()), k = get(op.getKey()), v = get(op.getValue());
  // out[b, h, i, e] = sum_r lhs[b, h, i, r] * rhs(b, h / G, r, e) in r
  // order, from 0; `rhsMap` places (b, h / G, r, e) in rhs (dims: b, h, i, e, r).
  auto product = [&](Value lhs, Value rhs, AffineMap rhsMap, int64_t cols) {
    Value init = fill(loc, {B, Hq, Sq, cols}, cst(loc, f32, 0.0));
    return linalg::GenericOp::create(
               b, loc, TypeRange{init.getType()}, ValueRange{lhs, rhs}, ValueRange{init},
               SmallVector<AffineMap>{AffineMap::get(5, 0, {d(0), d(1), d(2), d(4)}, ctx),
                                      rhsMap,
                                      AffineMap::get(5, 0, {d(0), d(1), d(2), d(3)}, ctx)},
               SmallVector<IteratorType>{IteratorType::parallel, IteratorType::parallel,
                                         IteratorType::parallel, IteratorType::parallel,
                                         IteratorType::reduction},
               [&](OpBuilder &bb, Location l, ValueRange a) {
                 Value pr = arith::MulFOp::create(bb, l, a[0], a[1]);
                 linalg::YieldOp::create(bb, l, Value(arith::AddFOp::create(bb, l, a[2], pr)));
               })
        .getResult(0);
  };
  // S[b, h, i, j] = sum_d q[b, h, i, d] * k[b, h / G, j, d]
  Value S = product(q, k, AffineMap::get(5, 0, {d(0), d(1).floorDiv(G), d(3), d(4)}, ctx),
                    Skv);
  // s = S * scale (+ mask), -inf past the causal limit.
  SmallVector<Value> ins = {S};
  SmallVector<std::pair<Value, AffineMap>> extra;
  if (Value m = op.getMask())
    extra.push_back({get(m), broadcastMap(shapeOf(m), {B, Hq, Sq, Skv})});
  float scale = static_cast<float>(*scaleAttr);
  bool hasMask = static_cast<bool>(op.getMask());
  Value s = elementwise(
      loc, ins, {B, Hq, Sq, Skv}, f32,
      [&](OpBuilder &bb, Location l, ValueRange a) -> Value {
        Value r = arith::MulFOp::create(bb, l, a[0],
                                        arith::ConstantOp::create(bb, l, bb.getF32FloatAttr(scale)));
        if (hasMask)
          r = arith::AddFOp::create(bb, l, r, a[1]);
        if (causal) {
          Value i = linalg::IndexOp::create(bb, l, 2), j = linalg::IndexOp::create(bb, l, 3);
          Value limit = arith::AddIOp::create(bb, l, i,
                                              arith::ConstantIndexOp::create(bb, l, Skv - Sq));
          Value past = arith::CmpIOp::create(bb, l, arith::CmpIPredicate::sgt, j, limit);
          r = arith::SelectOp::create(
              bb, l, past,
              arith::ConstantOp::create(
                  bb, l, bb.getF32FloatAttr(-std::numeric_limits<float>::infinity())),
              r);
        }
        return r;
      },
      extra);
  // Row statistics over j.
  auto rowReduce4 = [&](Value in, ValueRange more, float init,
                        function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
    Value acc = fill(loc, {B, Hq, Sq}, cst(loc, f32, init));
    SmallVector<Value> inputs = {in};
    SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(4)};
    for (Value mv : more) {
      inputs.push_back(mv);
      maps.push_back(AffineMap::get(4, 0, {d(0), d(1), d(2)}, ctx));
    }
    maps.push_back(AffineMap::get(4, 0, {d(0), d(1), d(2)}, ctx));
    return linalg::GenericOp::create(
               b, loc, TypeRange{acc.getType()}, inputs, ValueRange{acc}, maps,
               SmallVector<IteratorType>{IteratorType::parallel, IteratorType::parallel,
                                         IteratorType::parallel, IteratorType::reduction},
               [&](OpBuilder &bb, Location l, ValueRange a) {
                 linalg::YieldOp::create(bb, l, body(bb, l, a));
               })
        .getResult(0);
  };
  Value mx = rowReduce4(s, {}, -std::numeric_limits<float>::infinity(),
                        [](OpBuilder &bb, Location l, ValueRange a) -> Value {
                          return arith::MaximumFOp::create(bb, l, a[1], a[0]);
                        });
  AffineMap row = AffineMap::get(4, 0, {d(0), d(1), d(2)}, ctx);
  Value e = elementwise(loc, {s}, {B, Hq, Sq, Skv}, f32,
                        [](OpBuilder &bb, Location l, ValueRange a) -> Value {
                          return math::ExpOp::create(bb, l, arith::SubFOp::create(bb, l, a[0], a[1]));
                        },
                        {{mx, row}});
  Value sum = rowReduce4(e, {}, 0.0f, [](OpBuilder &bb, Location l, ValueRange a) -> Value {
    return arith::AddFOp::create(bb, l, a[1], a[0]);
  });
  Value p = elementwise(loc, {e}, {B, Hq, Sq, Skv}, f32,
                        [](OpBuilder &bb, Location l, ValueRange a) -> Value {
                          return arith::DivFOp::create(bb, l, a[0], a[1]);
                        },
                        {{sum, row}});
  // O[b, h, i, e] = sum_j p[b, h, i, j] * v[b, h / G, j, e]
  Value O = product(p, v, AffineMap::get(5, 0, {d(0), d(1).floorDiv(G), d(4), d(3)}, ctx),
                    Dv);
  set(op.getResult(), O);
  return success();
}

/// qc.cast: float <-> float rounds, integers wrap (bool is != 0), float to
/// integer truncates toward zero and saturates, NaN to 0 (docs/Executor.md).
LogicalResult Lowering::lowerCast(CastOp op) {
  Location loc = op.getLoc();
  Type from = eltOf(op.getInput()), to = eltOf(op.getResult());
  if (isa<quant::QuantizedType>(from) || isa<quant::QuantizedType>(to))
    return err(op) << "quantized cast is not lowered";
  auto rt = cast<RankedTensorType>(op.getType());
  Value out = elementwise(
      loc, {get(op.getInput())}, rt.getShape(), to,
      [&](OpBuilder &bb, Location l, ValueRange a) -> Value {
        Value v = a[0];
        bool fromF = isa<FloatType>(from), toF = isa<FloatType>(to);
        if (fromF && toF) {
          unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
          if (fw == tw)
            return v;
          return fw < tw ? Value(arith::ExtFOp::create(bb, l, to, v))
                         : Value(arith::TruncFOp::create(bb, l, to, v));
        }
        if (!fromF && toF)
          return from.isInteger(1) ? Value(arith::UIToFPOp::create(bb, l, to, v))
                                   : Value(arith::SIToFPOp::create(bb, l, to, v));
        if (fromF && !toF) {
          if (to.isInteger(1))
            return arith::CmpFOp::create(
                bb, l, arith::CmpFPredicate::UNE, v,
                arith::ConstantOp::create(bb, l, bb.getFloatAttr(from, 0.0)));
          unsigned w = to.getIntOrFloatBitWidth();
          // Saturate in f64, where the bounds of every width are exact enough.
          Value d = from.isF64() ? v : Value(arith::ExtFOp::create(bb, l, bb.getF64Type(), v));
          double lo = -std::ldexp(1.0, w - 1), hi = std::ldexp(1.0, w - 1) - 1;
          Value t = math::TruncOp::create(bb, l, d);
          t = arith::MaximumFOp::create(bb, l, t, arith::ConstantOp::create(bb, l, bb.getF64FloatAttr(lo)));
          t = arith::MinimumFOp::create(bb, l, t, arith::ConstantOp::create(bb, l, bb.getF64FloatAttr(hi)));
          Value isNan = arith::CmpFOp::create(bb, l, arith::CmpFPredicate::UNO, d, d);
          t = arith::SelectOp::create(bb, l, isNan,
                                      arith::ConstantOp::create(bb, l, bb.getF64FloatAttr(0.0)), t);
          return arith::FPToSIOp::create(bb, l, to, t);
        }
        unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
        if (tw == 1)
          return arith::CmpIOp::create(bb, l, arith::CmpIPredicate::ne, v,
                                       arith::ConstantOp::create(bb, l, bb.getIntegerAttr(from, 0)));
        if (fw == tw)
          return v;
        if (fw > tw)
          return arith::TruncIOp::create(bb, l, to, v);
        return from.isInteger(1) ? Value(arith::ExtUIOp::create(bb, l, to, v))
                                 : Value(arith::ExtSIOp::create(bb, l, to, v));
      });
  set(op.getResult(), out);
  return success();
}

LogicalResult Lowering::lowerWhere(WhereOp op) {
  auto rt = convertType(op.getType());
  Value out = elementwise(op.getLoc(),
                          {get(op.getCondition()), get(op.getLhs()), get(op.getRhs())},
                          rt.getShape(), rt.getElementType(),
                          [](OpBuilder &bb, Location l, ValueRange a) -> Value {
                            return arith::SelectOp::create(bb, l, a[0], a[1], a[2]);
                          });
  set(op.getResult(), out);
  return success();
}

LogicalResult Lowering::lowerTranspose(TransposeOp op) {
  Location loc = op.getLoc();
  auto rt = convertType(op.getType());
  Value init = empty(loc, rt.getShape(), rt.getElementType());
  auto t = linalg::TransposeOp::create(b, loc, get(op.getInput()), init,
                                       op.getPerm());
  set(op.getResult(), t->getResult(0));
  return success();
}

LogicalResult Lowering::lowerClamp(Operation *op, std::optional<double> lo,
                                   std::optional<double> hi) {
  Location loc = op->getLoc();
  Value xv = op->getOperand(0);
  Type elt = eltOf(xv);
  ArrayRef<int64_t> shape = shapeOf(xv);
  if (std::optional<QInfo> q = qinfo(elt)) {
    if (!q->perTensor())
      return err(op) << ("per-axis quantized clamp is not lowered");
    int64_t l = lo ? numerics::quantize(static_cast<float>(*lo), q->scale(), q->zp(),
                                        q->qmin, q->qmax)
                   : q->qmin;
    int64_t h = hi ? numerics::quantize(static_cast<float>(*hi), q->scale(), q->zp(),
                                        q->qmin, q->qmax)
                   : q->qmax;
    Type st = storageOf(elt);
    set(op->getResult(0),
        elementwise(loc, {get(xv)}, shape, st, [&](OpBuilder &bb, Location ll, ValueRange a) {
          Value v = arith::MaxSIOp::create(bb, ll, a[0], cst(loc, st, l));
          return arith::MinSIOp::create(bb, ll, v, cst(loc, st, h));
        }));
    return success();
  }
  if (!isa<FloatType>(elt))
    return err(op) << ("integer clamp is not lowered");
  set(op->getResult(0),
      elementwise(loc, {get(xv)}, shape, elt, [&](OpBuilder &bb, Location ll, ValueRange a) {
        Value v = a[0];
        if (lo)
          v = arith::MaximumFOp::create(bb, ll, v, cst(loc, elt, *lo));
        if (hi)
          v = arith::MinimumFOp::create(bb, ll, v, cst(loc, elt, *hi));
        return v;
      }));
  return success();
}

LogicalResult Lowering::lowerUnary(Operation *op) {
  Location loc = op->getLoc();
  Value xv = op->getOperand(0);
  Type elt = eltOf(xv);
  if (!elt.isF32())
    return err(op) << ("only f32 ") << op->getName() << " is lowered";
  std::function<Value(OpBuilder &, Location, Value)> fn;
  StringRef name = op->getName().getStringRef();
  auto c = [elt](OpBuilder &bb, Location l, double v) -> Value {
    return arith::ConstantOp::create(bb, l, bb.getFloatAttr(elt, v));
  };
  auto sigmoid = [c](OpBuilder &bb, Location l, Value x) -> Value {
    Value e = math::ExpOp::create(bb, l, arith::NegFOp::create(bb, l, x));
    return arith::DivFOp::create(bb, l, c(bb, l, 1.0),
                                 arith::AddFOp::create(bb, l, c(bb, l, 1.0), e));
  };
  if (name == "qc.sigmoid")
    fn = sigmoid;
  else if (name == "qc.silu")
    fn = [sigmoid](OpBuilder &bb, Location l, Value x) -> Value {
      return arith::MulFOp::create(bb, l, x, sigmoid(bb, l, x));
    };
  else if (name == "qc.tanh")
    fn = [](OpBuilder &bb, Location l, Value x) -> Value { return math::TanhOp::create(bb, l, x); };
  else if (name == "qc.exp")
    fn = [](OpBuilder &bb, Location l, Value x) -> Value { return math::ExpOp::create(bb, l, x); };
  else if (name == "qc.log")
    fn = [](OpBuilder &bb, Location l, Value x) -> Value { return math::LogOp::create(bb, l, x); };
  else if (name == "qc.sqrt")
    fn = [](OpBuilder &bb, Location l, Value x) -> Value { return math::SqrtOp::create(bb, l, x); };
  else if (name == "qc.erf")
    fn = [](OpBuilder &bb, Location l, Value x) -> Value { return math::ErfOp::create(bb, l, x); };
  else if (name == "qc.abs")
    fn = [](OpBuilder &bb, Location l, Value x) -> Value { return math::AbsFOp::create(bb, l, x); };
  else if (name == "qc.neg")
    fn = [](OpBuilder &bb, Location l, Value x) -> Value { return arith::NegFOp::create(bb, l, x); };
  else if (name == "qc.floor")
    fn = [](OpBuilder &bb, Location l, Value x) -> Value { return math::FloorOp::create(bb, l, x); };
  else if (name == "qc.ceil")
    fn = [](OpBuilder &bb, Location l, Value x) -> Value { return math::CeilOp::create(bb, l, x); };
  else if (name == "qc.round")
    fn = [](OpBuilder &bb, Location l, Value x) -> Value { return math::RoundEvenOp::create(bb, l, x); };
  else if (name == "qc.rsqrt")
    fn = [c](OpBuilder &bb, Location l, Value x) -> Value {
      return arith::DivFOp::create(bb, l, c(bb, l, 1.0), math::SqrtOp::create(bb, l, x));
    };
  else if (name == "qc.reciprocal")
    fn = [c](OpBuilder &bb, Location l, Value x) -> Value {
      return arith::DivFOp::create(bb, l, c(bb, l, 1.0), x);
    };
  else if (name == "qc.hardswish")
    fn = [c](OpBuilder &bb, Location l, Value x) -> Value {
      Value t = arith::AddFOp::create(bb, l, arith::DivFOp::create(bb, l, x, c(bb, l, 6.0)),
                                      c(bb, l, 0.5));
      t = arith::MaximumFOp::create(bb, l, c(bb, l, 0.0),
                                    arith::MinimumFOp::create(bb, l, c(bb, l, 1.0), t));
      return arith::MulFOp::create(bb, l, x, t);
    };
  else if (auto hs = dyn_cast<HardSigmoidOp>(op)) {
    double alpha = hs.getAlpha().convertToDouble(), beta = hs.getBeta().convertToDouble();
    fn = [c, alpha, beta](OpBuilder &bb, Location l, Value x) -> Value {
      Value t = arith::AddFOp::create(bb, l, arith::MulFOp::create(bb, l, c(bb, l, alpha), x),
                                      c(bb, l, beta));
      return arith::MaximumFOp::create(bb, l, c(bb, l, 0.0),
                                       arith::MinimumFOp::create(bb, l, c(bb, l, 1.0), t));
    };
  } else if (auto lr = dyn_cast<LeakyReluOp>(op)) {
    double alpha = lr.getAlpha().convertToDouble();
    fn = [c, alpha](OpBuilder &bb, Location l, Value x) -> Value {
      Value ge = arith::CmpFOp::create(bb, l, arith::CmpFPredicate::OGE, x, c(bb, l, 0.0));
      return arith::SelectOp::create(bb, l, ge, x,
                                     arith::MulFOp::create(bb, l, c(bb, l, alpha), x));
    };
  } else {
    return err(op) << ("has no CPU lowering yet");
  }
  set(op->getResult(0),
      elementwise(loc, {get(xv)}, shapeOf(xv), elt,
                  [&](OpBuilder &bb, Location l, ValueRange a) { return fn(bb, l, a[0]); }));
  return success();
}

LogicalResult Lowering::lowerBinary(Operation *op) {
  Location loc = op->getLoc();
  Value lv = op->getOperand(0), rv = op->getOperand(1);
  auto rt = cast<RankedTensorType>(op->getResult(0).getType());
  StringRef name = op->getName().getStringRef();
  Type re = rt.getElementType();
  bool quantized = qinfo(eltOf(lv)) || qinfo(eltOf(rv)) || qinfo(re);
  Value l = get(lv), r = get(rv);
  if (quantized) {
    // Dequantize, compute in float, requantize (docs/Executor.md).
    if (qinfo(eltOf(lv)))
      l = dequantize(loc, l, eltOf(lv));
    if (qinfo(eltOf(rv)))
      r = dequantize(loc, r, eltOf(rv));
  }
  Type elt = cast<ShapedType>(l.getType()).getElementType();
  if (cast<ShapedType>(r.getType()).getElementType() != elt)
    return err(op) << ("operands of different element types");
  bool isFloat = isa<FloatType>(elt);
  if (isFloat && !elt.isF32())
    return err(op) << ("only f32 float arithmetic is lowered");
  std::function<Value(OpBuilder &, Location, Value, Value)> fn;
  if (name == "qc.add")
    fn = [isFloat](OpBuilder &bb, Location ll, Value a, Value c) -> Value {
      return isFloat ? Value(arith::AddFOp::create(bb, ll, a, c))
                     : Value(arith::AddIOp::create(bb, ll, a, c));
    };
  else if (name == "qc.sub")
    fn = [isFloat](OpBuilder &bb, Location ll, Value a, Value c) -> Value {
      return isFloat ? Value(arith::SubFOp::create(bb, ll, a, c))
                     : Value(arith::SubIOp::create(bb, ll, a, c));
    };
  else if (name == "qc.mul")
    fn = [isFloat](OpBuilder &bb, Location ll, Value a, Value c) -> Value {
      return isFloat ? Value(arith::MulFOp::create(bb, ll, a, c))
                     : Value(arith::MulIOp::create(bb, ll, a, c));
    };
  else if (name == "qc.div" && isFloat)
    fn = [](OpBuilder &bb, Location ll, Value a, Value c) -> Value {
      return arith::DivFOp::create(bb, ll, a, c);
    };
  else if (name == "qc.max" && isFloat)
    fn = [](OpBuilder &bb, Location ll, Value a, Value c) -> Value {
      return arith::MaximumFOp::create(bb, ll, a, c);
    };
  else if (name == "qc.min" && isFloat)
    fn = [](OpBuilder &bb, Location ll, Value a, Value c) -> Value {
      return arith::MinimumFOp::create(bb, ll, a, c);
    };
  else if (name == "qc.pow" && isFloat)
    fn = [](OpBuilder &bb, Location ll, Value a, Value c) -> Value {
      return math::PowFOp::create(bb, ll, a, c);
    };
  else
    return err(op) << ("on ") << elt << " has no CPU lowering yet";
  Value out = elementwise(loc, {l, r}, rt.getShape(), elt,
                          [&](OpBuilder &bb, Location ll, ValueRange a) {
                            return fn(bb, ll, a[0], a[1]);
                          });
  if (qinfo(re))
    out = quantize(loc, out, re);
  set(op->getResult(0), out);
  return success();
}

//===----------------------------------------------------------------------===//
// Further ops. Each computes what the executor's kernel computes, operation
// for operation and in the same precision (lib/Executor/NNKernels.cpp,
// ShapeKernels.cpp, ElementwiseKernels.cpp), so results are bit-exact with
// it wherever the library functions called (expf, log, sinf, ...) are the
// same.
//===----------------------------------------------------------------------===//

/// log_softmax along one axis, bit-exact with the executor:
///   m = max(x) (`x > m ? x : m` from -inf, so NaN is skipped),
///   s = sum f64(expf(x - m)) in f64, ls = f32(log(s)),
///   y = (x - m) - ls in f32.
LogicalResult Lowering::lowerLogSoftmax(LogSoftmaxOp op) {
  Location loc = op.getLoc();
  auto it = cast<RankedTensorType>(op.getInput().getType());
  if (!it.getElementType().isF32())
    return err(op) << "only f32 log_softmax is lowered";
  ArrayRef<int64_t> shape = it.getShape();
  Value x = get(op.getInput());
  AxisReduce r(*this, loc, x, op.getNormalizedAxis());
  AffineMap red = r.red;
  Type f32 = b.getF32Type(), f64 = b.getF64Type();
  Value m = r.reduce(f32, -std::numeric_limits<double>::infinity(), {},
                   [](OpBuilder &bb, Location l, ValueRange a) -> Value {
                     Value gt = arith::CmpFOp::create(bb, l, arith::CmpFPredicate::OGT,
                                                      a[0], a[1]);
                     return arith::SelectOp::create(bb, l, gt, a[0], a[1]);
                   });
  Value sum = r.reduce(f64, 0.0, {m}, [&](OpBuilder &bb, Location l, ValueRange a) -> Value {
    Value e = math::ExpOp::create(bb, l, arith::SubFOp::create(bb, l, a[0], a[1]));
    return arith::AddFOp::create(bb, l, a[2], arith::ExtFOp::create(bb, l, f64, e));
  });
  Value logSum = elementwise(loc, {sum}, r.redShape, f32,
                             [&](OpBuilder &bb, Location l, ValueRange a) -> Value {
                               return arith::TruncFOp::create(
                                   bb, l, f32, math::LogOp::create(bb, l, a[0]));
                             });
  Value y = elementwise(
      loc, {x}, shape, f32,
      [&](OpBuilder &bb, Location l, ValueRange a) -> Value {
        return arith::SubFOp::create(bb, l, arith::SubFOp::create(bb, l, a[0], a[1]),
                                     a[2]);
      },
      {{m, red}, {logSum, red}});
  set(op.getResult(), y);
  return success();
}

/// Instance norm of [N, C, D...] over D..., bit-exact with the executor:
/// the statistics of lowerNorm in f64 per (n, c) row and
/// y = f32((x - mean) * inv * f64(scale[c]) + f64(bias[c])).
LogicalResult Lowering::lowerInstanceNorm(InstanceNormOp op) {
  Location loc = op.getLoc();
  auto it = cast<RankedTensorType>(op.getInput().getType());
  if (!it.getElementType().isF32() || !eltOf(op.getScale()).isF32() ||
      !eltOf(op.getBias()).isF32())
    return err(op) << "only f32 instance norm is lowered";
  ArrayRef<int64_t> shape = it.getShape();
  int64_t N = shape[0], C = shape[1], len = 1;
  for (int64_t d = 2; d < it.getRank(); ++d)
    len *= shape[d];
  int64_t rows = N * C;
  ReassociationIndices tail;
  for (int64_t d = 2; d < it.getRank(); ++d)
    tail.push_back(d);
  SmallVector<ReassociationIndices> re = {{0, 1}, tail};
  Value x2 = tensor::CollapseShapeOp::create(b, loc, get(op.getInput()), re);
  Type f64 = b.getF64Type(), f32 = b.getF32Type();
  double n = static_cast<double>(len);
  double epsilon = op.getEpsilon().convertToDouble();
  auto ext = [&](OpBuilder &bb, Location l, Value v) -> Value {
    return arith::ExtFOp::create(bb, l, f64, v);
  };
  auto constant = [](OpBuilder &bb, Location l, double v) -> Value {
    return arith::ConstantOp::create(bb, l, bb.getF64FloatAttr(v));
  };
  Value sum = rowReduce(loc, x2, 0.0, [&](OpBuilder &bb, Location l, Value v,
                                           Value acc, ValueRange) -> Value {
    return arith::AddFOp::create(bb, l, acc, ext(bb, l, v));
  });
  Value mean = elementwise(loc, {sum}, {rows}, f64,
                           [&](OpBuilder &bb, Location l, ValueRange a) -> Value {
                             return arith::DivFOp::create(bb, l, a[0], constant(bb, l, n));
                           });
  Value sq = rowReduce(
      loc, x2, 0.0,
      [&](OpBuilder &bb, Location l, Value v, Value acc, ValueRange rowVals) -> Value {
        Value d = arith::SubFOp::create(bb, l, ext(bb, l, v), rowVals[0]);
        return arith::AddFOp::create(bb, l, acc, arith::MulFOp::create(bb, l, d, d));
      },
      ValueRange{mean});
  Value inv = elementwise(loc, {sq}, {rows}, f64, [&](OpBuilder &bb, Location l, ValueRange a) -> Value {
    Value var = arith::DivFOp::create(bb, l, a[0], constant(bb, l, n));
    Value r = math::SqrtOp::create(bb, l, arith::AddFOp::create(bb, l, var, constant(bb, l, epsilon)));
    return arith::DivFOp::create(bb, l, constant(bb, l, 1.0), r);
  });
  // Scale and bias of row n * C + c: the [C] parameters broadcast to [N, C],
  // flattened.
  auto perRow = [&](Value p) -> Value {
    Value full = elementwise(loc, {get(p)}, {N, C}, f32,
                             [](OpBuilder &, Location, ValueRange a) { return a[0]; });
    return tensor::CollapseShapeOp::create(b, loc, full,
                                           SmallVector<ReassociationIndices>{{0, 1}});
  };
  AffineMap rowMap = AffineMap::get(2, 0, b.getAffineDimExpr(0), b.getContext());
  Value y = elementwise(
      loc, {x2}, {rows, len}, f32,
      [&](OpBuilder &bb, Location l, ValueRange a) -> Value {
        Value v = arith::SubFOp::create(bb, l, ext(bb, l, a[0]), a[2]);
        v = arith::MulFOp::create(bb, l, v, a[1]);
        v = arith::MulFOp::create(bb, l, v, ext(bb, l, a[3]));
        v = arith::AddFOp::create(bb, l, v, ext(bb, l, a[4]));
        return arith::TruncFOp::create(bb, l, f32, v);
      },
      {{inv, rowMap}, {mean, rowMap}, {perRow(op.getScale()), rowMap},
       {perRow(op.getBias()), rowMap}});
  set(op.getResult(), tensor::ExpandShapeOp::create(b, loc, it, y, re));
  return success();
}

/// qc.pad (every mode, negative amounts crop): a gather from the input
/// through one compile-time source index table per dimension that is not
/// the identity (ShapeKernels.cpp padSource); -1 entries take the fill
/// value, which is the executor's (quantized per tensor or per channel with
/// numerics::quantize; converted for plain types). Exact: data movement.
LogicalResult Lowering::lowerPad(PadOp op) {
  Location loc = op.getLoc();
  Type elt = eltOf(op.getInput());
  auto rt = convertType(op.getType());
  Type st = rt.getElementType();
  ArrayRef<int64_t> xs = shapeOf(op.getInput()), ys = rt.getShape();
  int64_t rank = xs.size();
  ArrayRef<int64_t> pads = op.getPads();
  PadMode mode = op.getMode();
  double value = op.getValue().convertToDouble();
  MLIRContext *ctx = b.getContext();

  // The source index of output position i of dimension d, or -1.
  auto source = [&](int64_t j, int64_t n) -> int64_t {
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
      int64_t period = 2 * n - 2;
      int64_t m = ((j % period) + period) % period;
      return m < n ? m : period - m;
    }
    }
    return -1;
  };

  // The fill values: one, or one per channel of a per-axis quantized type.
  SmallVector<Attribute> fills;
  int64_t fillAxis = -1;
  auto intFill = [&](int64_t v) { return b.getIntegerAttr(st, v); };
  if (isa<quant::QuantizedType>(elt)) {
    std::optional<QInfo> q = qinfo(elt);
    if (!q)
      return err(op) << "pad of a sub-channel quantized tensor is not lowered";
    for (size_t g = 0; g < q->scales.size(); ++g)
      fills.push_back(intFill(numerics::quantize(static_cast<float>(value), q->scales[g],
                                                 q->zeroPoints[g], q->qmin, q->qmax)));
    if (!q->perTensor()) {
      fillAxis = q->axis;
      if (mode == PadMode::Constant &&
          (pads[fillAxis] != 0 || pads[fillAxis + rank] != 0))
        return err(op) << "padding along the quantized dimension is not lowered";
    }
  } else if (st.isInteger(1)) {
    fills.push_back(intFill(value != 0.0 ? 1 : 0));
  } else if (auto ft = dyn_cast<FloatType>(st)) {
    APFloat f(static_cast<float>(value));
    bool lost;
    f.convert(ft.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
    fills.push_back(FloatAttr::get(ft, f));
  } else {
    fills.push_back(intFill(static_cast<int64_t>(value)));
  }

  Value x = get(op.getInput());
  auto channelFills = [&]() -> std::pair<Value, AffineMap> {
    auto t = RankedTensorType::get({static_cast<int64_t>(fills.size())}, st);
    return {arith::ConstantOp::create(b, loc, DenseElementsAttr::get(t, fills)),
            AffineMap::get(rank, 0, getAffineDimExpr(fillAxis, ctx), ctx)};
  };
  if (mode == PadMode::Constant && llvm::is_contained(xs, 0)) {
    // Nothing to read: every element is the fill.
    Value out = fillAxis < 0
                    ? fill(loc, ys, arith::ConstantOp::create(b, loc, cast<TypedAttr>(fills[0])))
                    : elementwise(loc, {}, ys, st,
                                  [](OpBuilder &, Location, ValueRange a) { return a[0]; },
                                  {channelFills()});
    set(op.getResult(), out);
    return success();
  }
  SmallVector<std::pair<Value, AffineMap>> tables;
  SmallVector<int> tableOf(rank, -1);
  for (int64_t d = 0; d < rank; ++d) {
    std::vector<int64_t> idx;
    bool identity = xs[d] == ys[d];
    for (int64_t i = 0; i < ys[d]; ++i) {
      idx.push_back(source(i - pads[d], xs[d]));
      identity &= idx.back() == i;
    }
    if (identity)
      continue;
    tableOf[d] = tables.size();
    tables.push_back({vec<int64_t>(loc, idx, b.getI64Type()),
                      AffineMap::get(rank, 0, getAffineDimExpr(d, ctx), ctx)});
  }
  unsigned fillInput = tables.size();
  if (fillAxis >= 0 && mode == PadMode::Constant)
    tables.push_back(channelFills());
  Value out = elementwise(
      loc, {}, ys, st,
      [&](OpBuilder &bb, Location l, ValueRange a) -> Value {
        SmallVector<Value> at;
        Value filled, zero;
        if (mode == PadMode::Constant)
          zero = arith::ConstantOp::create(bb, l, bb.getI64IntegerAttr(0));
        for (int64_t d = 0; d < rank; ++d) {
          if (tableOf[d] < 0) {
            at.push_back(linalg::IndexOp::create(bb, l, d));
            continue;
          }
          Value s = a[tableOf[d]];
          if (mode == PadMode::Constant) {
            Value neg = arith::CmpIOp::create(bb, l, arith::CmpIPredicate::slt, s, zero);
            filled = filled ? Value(arith::OrIOp::create(bb, l, filled, neg)) : neg;
            s = arith::MaxSIOp::create(bb, l, s, zero);
          }
          at.push_back(arith::IndexCastOp::create(bb, l, bb.getIndexType(), s));
        }
        Value v = tensor::ExtractOp::create(bb, l, x, at);
        if (!filled)
          return v;
        Value f = fillAxis >= 0
                      ? a[fillInput]
                      : Value(arith::ConstantOp::create(bb, l, cast<TypedAttr>(fills[0])));
        return arith::SelectOp::create(bb, l, filled, f, v);
      },
      tables);
  set(op.getResult(), out);
  return success();
}

/// qc.tile: a copy into the result viewed as [r_0, n_0, r_1, n_1, ...]
/// (result index q * n + j reads input index j), collapsed back. Exact.
LogicalResult Lowering::lowerTile(TileOp op) {
  Location loc = op.getLoc();
  auto rt = convertType(op.getType());
  ArrayRef<int64_t> xs = shapeOf(op.getInput());
  ArrayRef<int64_t> reps = op.getRepeats();
  int64_t rank = xs.size();
  if (rank == 0) {
    set(op.getResult(), get(op.getInput()));
    return success();
  }
  SmallVector<int64_t> view;
  SmallVector<AffineExpr> inExprs;
  SmallVector<ReassociationIndices> re;
  for (int64_t d = 0; d < rank; ++d) {
    view.push_back(reps[d]);
    view.push_back(xs[d]);
    inExprs.push_back(b.getAffineDimExpr(2 * d + 1));
    re.push_back({2 * d, 2 * d + 1});
  }
  Value init = empty(loc, view, rt.getElementType());
  SmallVector<AffineMap> maps = {AffineMap::get(2 * rank, 0, inExprs, b.getContext()),
                                 b.getMultiDimIdentityMap(2 * rank)};
  SmallVector<utils::IteratorType> iters(2 * rank, utils::IteratorType::parallel);
  auto g = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{get(op.getInput())},
      ValueRange{init}, maps, iters, [](OpBuilder &bb, Location l, ValueRange a) {
        linalg::YieldOp::create(bb, l, a[0]);
      });
  set(op.getResult(),
      tensor::CollapseShapeOp::create(b, loc, rt, g.getResult(0), re));
  return success();
}

/// Whether stored values of `elt` compare as unsigned: i1 (the executor's
/// bool) and unsigned quantized storage.
static bool comparesUnsigned(Type elt) {
  if (auto q = dyn_cast<quant::QuantizedType>(elt))
    return !q.isSigned();
  return elt.isInteger(1);
}

/// arg_max / arg_min along one axis as one reduction with two results (the
/// best value so far and its i64 index). The executor starts from element
/// 0 and visits 1..n-1; starting from the identity (-inf/+inf, or the
/// integer range's end) with index 0 and visiting 0..n-1 reaches the same
/// state after element 0, so indices match exactly, NaN rules included (a
/// NaN wins; with select_last_index a later NaN replaces it). Quantized
/// inputs compare stored integers, as the executor does (per tensor only).
LogicalResult Lowering::lowerArgReduce(Operation *op, bool isMax) {
  Location loc = op->getLoc();
  Value xv = op->getOperand(0);
  Type elt = eltOf(xv);
  int64_t axis;
  bool selectLast;
  if (auto a = dyn_cast<ArgMaxOp>(op)) {
    axis = a.getNormalizedAxis();
    selectLast = a.getSelectLastIndex();
  } else {
    auto m = cast<ArgMinOp>(op);
    axis = m.getNormalizedAxis();
    selectLast = m.getSelectLastIndex();
  }
  if (isa<quant::QuantizedType>(elt)) {
    std::optional<QInfo> q = qinfo(elt);
    if (!q || !q->perTensor())
      return err(op) << "only per-tensor quantized inputs are lowered";
  }
  Type st = storageOf(elt);
  bool isFloat = isa<FloatType>(st);
  bool isUnsigned = comparesUnsigned(elt);
  ArrayRef<int64_t> xs = shapeOf(xv);
  int64_t rank = xs.size();
  SmallVector<int64_t> redShape;
  SmallVector<AffineExpr> redExprs;
  SmallVector<utils::IteratorType> iters;
  for (int64_t d = 0; d < rank; ++d) {
    iters.push_back(d == axis ? utils::IteratorType::reduction
                              : utils::IteratorType::parallel);
    if (d != axis) {
      redShape.push_back(xs[d]);
      redExprs.push_back(b.getAffineDimExpr(d));
    }
  }
  TypedAttr identity;
  if (auto ft = dyn_cast<FloatType>(st)) {
    identity = FloatAttr::get(ft, APFloat::getInf(ft.getFloatSemantics(), /*Negative=*/isMax));
  } else {
    unsigned w = st.getIntOrFloatBitWidth();
    APInt v = isUnsigned ? (isMax ? APInt::getMinValue(w) : APInt::getMaxValue(w))
                         : (isMax ? APInt::getSignedMinValue(w) : APInt::getSignedMaxValue(w));
    identity = IntegerAttr::get(st, v);
  }
  Type i64 = b.getI64Type();
  Value bestInit = fill(loc, redShape, arith::ConstantOp::create(b, loc, identity));
  Value idxInit = fill(loc, redShape, cst(loc, i64, 0));
  AffineMap red = AffineMap::get(rank, 0, redExprs, b.getContext());
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank), red, red};
  auto g = linalg::GenericOp::create(
      b, loc, TypeRange{bestInit.getType(), idxInit.getType()}, ValueRange{get(xv)},
      ValueRange{bestInit, idxInit}, maps, iters,
      [&](OpBuilder &bb, Location l, ValueRange a) {
        Value v = a[0], best = a[1], idx = a[2];
        Value better;
        if (isFloat) {
          using P = arith::CmpFPredicate;
          P p = isMax ? (selectLast ? P::OGE : P::OGT) : (selectLast ? P::OLE : P::OLT);
          Value cmp = arith::CmpFOp::create(bb, l, p, v, best);
          Value nanV = arith::CmpFOp::create(bb, l, P::UNO, v, v);
          Value nanBest = arith::CmpFOp::create(bb, l, P::UNO, best, best);
          // isnan(best) ? selectLast && isnan(v) : (isnan(v) || v cmp best)
          Value whenNan = selectLast ? nanV
                                     : Value(arith::ConstantOp::create(bb, l, bb.getBoolAttr(false)));
          better = arith::SelectOp::create(bb, l, nanBest, whenNan,
                                           arith::OrIOp::create(bb, l, nanV, cmp));
        } else {
          using P = arith::CmpIPredicate;
          P p = isUnsigned ? (isMax ? (selectLast ? P::uge : P::ugt) : (selectLast ? P::ule : P::ult))
                           : (isMax ? (selectLast ? P::sge : P::sgt) : (selectLast ? P::sle : P::slt));
          better = arith::CmpIOp::create(bb, l, p, v, best);
        }
        Value k = arith::IndexCastOp::create(bb, l, bb.getI64Type(),
                                             linalg::IndexOp::create(bb, l, axis));
        linalg::YieldOp::create(bb, l,
                                ValueRange{arith::SelectOp::create(bb, l, better, v, best),
                                           arith::SelectOp::create(bb, l, better, k, idx)});
      });
  Value out = g.getResult(1);
  auto rt = cast<RankedTensorType>(op->getResult(0).getType());
  if (rt.getShape() != ArrayRef<int64_t>(redShape)) {
    // keepdims: the reduced axis comes back with size 1, grouped with the
    // dimension after it (or, when last, the one before).
    SmallVector<ReassociationIndices> re;
    for (int64_t j = 0; j + 1 < rank; ++j)
      re.push_back({j < axis ? j : j + 1});
    if (!re.empty()) {
      if (axis + 1 < rank)
        re[axis].insert(re[axis].begin(), axis);
      else
        re.back().push_back(axis);
    }
    out = tensor::ExpandShapeOp::create(b, loc, rt, out, re);
  }
  set(op->getResult(0), out);
  return success();
}

/// equal/less/less_equal/greater/greater_equal with broadcasting, i1
/// results: floats compare ordered (NaN gives false, as C++ does), integers
/// signed, i1 unsigned (the executor's bool). Exact.
LogicalResult Lowering::lowerCompare(Operation *op) {
  Value lv = op->getOperand(0), rv = op->getOperand(1);
  Type elt = eltOf(lv);
  if (eltOf(rv) != elt)
    return err(op) << "operands of different element types";
  bool isFloat = isa<FloatType>(elt), isUnsigned = comparesUnsigned(elt);
  using F = arith::CmpFPredicate;
  using I = arith::CmpIPredicate;
  F fp;
  I ip;
  if (isa<EqualOp>(op)) {
    fp = F::OEQ;
    ip = I::eq;
  } else if (isa<LessOp>(op)) {
    fp = F::OLT;
    ip = isUnsigned ? I::ult : I::slt;
  } else if (isa<LessEqualOp>(op)) {
    fp = F::OLE;
    ip = isUnsigned ? I::ule : I::sle;
  } else if (isa<GreaterOp>(op)) {
    fp = F::OGT;
    ip = isUnsigned ? I::ugt : I::sgt;
  } else {
    fp = F::OGE;
    ip = isUnsigned ? I::uge : I::sge;
  }
  auto rt = cast<RankedTensorType>(op->getResult(0).getType());
  set(op->getResult(0),
      elementwise(op->getLoc(), {get(lv), get(rv)}, rt.getShape(), b.getI1Type(),
                  [&](OpBuilder &bb, Location l, ValueRange a) -> Value {
                    if (isFloat)
                      return arith::CmpFOp::create(bb, l, fp, a[0], a[1]);
                    return arith::CmpIOp::create(bb, l, ip, a[0], a[1]);
                  }));
  return success();
}

/// and/or/xor on i1 with broadcasting. Exact.
LogicalResult Lowering::lowerLogical(Operation *op) {
  auto rt = cast<RankedTensorType>(op->getResult(0).getType());
  set(op->getResult(0),
      elementwise(op->getLoc(), {get(op->getOperand(0)), get(op->getOperand(1))},
                  rt.getShape(), b.getI1Type(),
                  [&](OpBuilder &bb, Location l, ValueRange a) -> Value {
                    if (isa<AndOp>(op))
                      return arith::AndIOp::create(bb, l, a[0], a[1]);
                    if (isa<OrOp>(op))
                      return arith::OrIOp::create(bb, l, a[0], a[1]);
                    return arith::XOrIOp::create(bb, l, a[0], a[1]);
                  }));
  return success();
}

/// lhs mod rhs with the sign of rhs, as the executor computes it:
///   floats: r = fmod(a, b) (arith.remf, exact); r != 0 and sign(r) !=
///           sign(b) adds b; bit-exact.
///   integers: r = a % b with the same correction; b == -1 gives 0. For
///           b == 0 the executor fails the run; generated code cannot
///           fail and gives 0 (the divisor is replaced by 1).
LogicalResult Lowering::lowerMod(ModOp op) {
  Location loc = op.getLoc();
  Type elt = eltOf(op.getLhs());
  if (eltOf(op.getRhs()) != elt)
    return err(op) << "operands of different element types";
  bool isFloat = isa<FloatType>(elt);
  if (isFloat && !elt.isF32())
    return err(op) << "only f32 float arithmetic is lowered";
  if (elt.isInteger(1))
    return err(op) << "mod of i1 is not lowered";
  auto rt = cast<RankedTensorType>(op.getType());
  Value out = elementwise(
      loc, {get(op.getLhs()), get(op.getRhs())}, rt.getShape(), elt,
      [&](OpBuilder &bb, Location l, ValueRange a) -> Value {
        Value x = a[0], y = a[1];
        if (isFloat) {
          using P = arith::CmpFPredicate;
          Value zero = arith::ConstantOp::create(bb, l, bb.getFloatAttr(elt, 0.0));
          Value r = arith::RemFOp::create(bb, l, x, y);
          Value nonzero = arith::CmpFOp::create(bb, l, P::UNE, r, zero);
          Value differ = arith::XOrIOp::create(
              bb, l, arith::CmpFOp::create(bb, l, P::OLT, r, zero),
              arith::CmpFOp::create(bb, l, P::OLT, y, zero));
          return arith::SelectOp::create(bb, l,
                                         arith::AndIOp::create(bb, l, nonzero, differ),
                                         arith::AddFOp::create(bb, l, r, y), r);
        }
        using P = arith::CmpIPredicate;
        Value zero = arith::ConstantOp::create(bb, l, bb.getIntegerAttr(elt, 0));
        Value one = arith::ConstantOp::create(bb, l, bb.getIntegerAttr(elt, 1));
        Value minusOne = arith::ConstantOp::create(bb, l, bb.getIntegerAttr(elt, -1));
        Value trivial = arith::OrIOp::create(
            bb, l, arith::CmpIOp::create(bb, l, P::eq, y, zero),
            arith::CmpIOp::create(bb, l, P::eq, y, minusOne));
        Value d = arith::SelectOp::create(bb, l, trivial, one, y);
        Value r = arith::RemSIOp::create(bb, l, x, d);
        Value nonzero = arith::CmpIOp::create(bb, l, P::ne, r, zero);
        Value differ = arith::XOrIOp::create(
            bb, l, arith::CmpIOp::create(bb, l, P::slt, r, zero),
            arith::CmpIOp::create(bb, l, P::slt, d, zero));
        return arith::SelectOp::create(bb, l,
                                       arith::AndIOp::create(bb, l, nonzero, differ),
                                       arith::AddIOp::create(bb, l, r, d), r);
      });
  set(op.getResult(), out);
  return success();
}

Value Lowering::libmCall(OpBuilder &bb, Location loc, Operation *anchor,
                         StringRef name, Value x) {
  auto module = anchor->getParentOfType<ModuleOp>();
  Type t = x.getType();
  auto fnType = FunctionType::get(b.getContext(), {t}, {t});
  if (!SymbolTable::lookupSymbolIn(module, name)) {
    OpBuilder mb = OpBuilder::atBlockBegin(module.getBody());
    auto decl = func::FuncOp::create(mb, loc, name, fnType);
    decl.setPrivate();
  }
  return func::CallOp::create(bb, loc, name, TypeRange{t}, ValueRange{x}).getResult(0);
}

/// sin, cos, softplus, gelu, elu (f32) and sign, abs, neg (f32 or integer),
/// not (i1), with the executor's formulas in its order of operations:
///   softplus  x > 0 ? x + log1pf(expf(-x)) : log1pf(expf(x))
///   gelu      (0.5 * x) * (1 + erff(x / f32(sqrt 2)))
///   gelu tanh (0.5 * x) * (1 + tanhf(f32(sqrt(2/pi)) * (x + ((0.044715 * x) * x) * x)))
///   elu       x >= 0 ? x : f32(alpha) * (expf(x) - 1)
///   sign      NaN stays; 1, -1 or +0
///   abs, neg  of integers wrap (|MIN| = MIN)
/// in f32 throughout, so bit-exact given the same libm.
LogicalResult Lowering::lowerUnaryMore(Operation *op) {
  Location loc = op->getLoc();
  Value xv = op->getOperand(0);
  Type elt = eltOf(xv);
  bool isFloat = isa<FloatType>(elt);
  if (isFloat && !elt.isF32())
    return err(op) << "only f32 " << op->getName() << " is lowered";
  if (isa<NotOp>(op) != elt.isInteger(1))
    return err(op) << "on " << elt << " is not lowered";
  auto c = [elt](OpBuilder &bb, Location l, double v) -> Value {
    if (isa<FloatType>(elt))
      return arith::ConstantOp::create(bb, l, bb.getFloatAttr(elt, v));
    return arith::ConstantOp::create(bb, l, bb.getIntegerAttr(elt, static_cast<int64_t>(v)));
  };
  std::function<Value(OpBuilder &, Location, Value)> fn;
  if (isa<SinOp>(op)) {
    fn = [](OpBuilder &bb, Location l, Value x) -> Value { return math::SinOp::create(bb, l, x); };
  } else if (isa<CosOp>(op)) {
    fn = [](OpBuilder &bb, Location l, Value x) -> Value { return math::CosOp::create(bb, l, x); };
  } else if (isa<SoftplusOp>(op)) {
    fn = [&, c](OpBuilder &bb, Location l, Value x) -> Value {
      Value pos = arith::CmpFOp::create(bb, l, arith::CmpFPredicate::OGT, x, c(bb, l, 0.0));
      Value big = arith::AddFOp::create(
          bb, l, x,
          libmCall(bb, l, op, "log1pf",
                   math::ExpOp::create(bb, l, arith::NegFOp::create(bb, l, x))));
      Value small = libmCall(bb, l, op, "log1pf", math::ExpOp::create(bb, l, x));
      return arith::SelectOp::create(bb, l, pos, big, small);
    };
  } else if (auto g = dyn_cast<GeluOp>(op)) {
    bool tanhApprox = g.getApproximate() == GeluApprox::Tanh;
    fn = [c, tanhApprox](OpBuilder &bb, Location l, Value x) -> Value {
      Value half = arith::MulFOp::create(bb, l, c(bb, l, 0.5), x);
      Value inner;
      if (tanhApprox) {
        Value cube = arith::MulFOp::create(
            bb, l,
            arith::MulFOp::create(bb, l, arith::MulFOp::create(bb, l, c(bb, l, float(0.044715)), x), x),
            x);
        Value k = c(bb, l, static_cast<float>(0.79788456080286535588));
        inner = math::TanhOp::create(
            bb, l, arith::MulFOp::create(bb, l, k, arith::AddFOp::create(bb, l, x, cube)));
      } else {
        inner = math::ErfOp::create(
            bb, l,
            arith::DivFOp::create(bb, l, x, c(bb, l, static_cast<float>(1.41421356237309504880))));
      }
      return arith::MulFOp::create(bb, l, half,
                                   arith::AddFOp::create(bb, l, c(bb, l, 1.0), inner));
    };
  } else if (auto e = dyn_cast<EluOp>(op)) {
    float alpha = static_cast<float>(e.getAlpha().convertToDouble());
    fn = [c, alpha](OpBuilder &bb, Location l, Value x) -> Value {
      Value ge = arith::CmpFOp::create(bb, l, arith::CmpFPredicate::OGE, x, c(bb, l, 0.0));
      Value neg = arith::MulFOp::create(
          bb, l, c(bb, l, alpha),
          arith::SubFOp::create(bb, l, math::ExpOp::create(bb, l, x), c(bb, l, 1.0)));
      return arith::SelectOp::create(bb, l, ge, x, neg);
    };
  } else if (isa<SignOp>(op)) {
    fn = [c, isFloat](OpBuilder &bb, Location l, Value x) -> Value {
      Value gt, lt;
      if (isFloat) {
        gt = arith::CmpFOp::create(bb, l, arith::CmpFPredicate::OGT, x, c(bb, l, 0.0));
        lt = arith::CmpFOp::create(bb, l, arith::CmpFPredicate::OLT, x, c(bb, l, 0.0));
      } else {
        gt = arith::CmpIOp::create(bb, l, arith::CmpIPredicate::sgt, x, c(bb, l, 0));
        lt = arith::CmpIOp::create(bb, l, arith::CmpIPredicate::slt, x, c(bb, l, 0));
      }
      Value s = arith::SelectOp::create(
          bb, l, gt, c(bb, l, 1.0),
          arith::SelectOp::create(bb, l, lt, c(bb, l, -1.0), c(bb, l, 0.0)));
      if (!isFloat)
        return s;
      Value nan = arith::CmpFOp::create(bb, l, arith::CmpFPredicate::UNO, x, x);
      return arith::SelectOp::create(bb, l, nan, x, s);
    };
  } else if (isa<AbsOp>(op) && !isFloat) {
    fn = [c](OpBuilder &bb, Location l, Value x) -> Value {
      Value lt = arith::CmpIOp::create(bb, l, arith::CmpIPredicate::slt, x, c(bb, l, 0));
      return arith::SelectOp::create(bb, l, lt, arith::SubIOp::create(bb, l, c(bb, l, 0), x), x);
    };
  } else if (isa<NegOp>(op) && !isFloat) {
    fn = [c](OpBuilder &bb, Location l, Value x) -> Value {
      return arith::SubIOp::create(bb, l, c(bb, l, 0), x);
    };
  } else if (isa<NotOp>(op)) {
    fn = [](OpBuilder &bb, Location l, Value x) -> Value {
      return arith::XOrIOp::create(
          bb, l, x, arith::ConstantOp::create(bb, l, bb.getBoolAttr(true)));
    };
  } else {
    return err(op) << "has no CPU lowering yet";
  }
  set(op->getResult(0),
      elementwise(loc, {get(xv)}, shapeOf(xv), elt,
                  [&](OpBuilder &bb, Location l, ValueRange a) { return fn(bb, l, a[0]); }));
  return success();
}

LogicalResult Lowering::lowerOp(Operation *op) {
  b.setInsertionPoint(op);
  if (auto c = dyn_cast<qc::ConstantOp>(op))
    return lowerConstant(c);
  if (auto c = dyn_cast<arith::ConstantOp>(op)) {
    set(c.getResult(), b.clone(*op)->getResult(0));
    return success();
  }
  if (auto q = dyn_cast<quant::QuantizeCastOp>(op)) {
    if (!qinfo(eltOf(q.getResult())))
      return err(op) << ("only uniform quantized casts are lowered");
    Value in = get(q.getInput());
    if (!eltOf(in).isF32())
      return err(op) << ("only f32 values are quantized");
    set(q.getResult(), quantize(op->getLoc(), in, eltOf(q.getResult())));
    return success();
  }
  if (auto d = dyn_cast<quant::DequantizeCastOp>(op)) {
    if (!qinfo(eltOf(d.getInput())))
      return err(op) << ("only uniform quantized casts are lowered");
    set(d.getResult(), dequantize(op->getLoc(), get(d.getInput()), eltOf(d.getInput())));
    return success();
  }
  if (auto c = dyn_cast<Conv2DOp>(op))
    return lowerConv(op, c.getInput(), c.getWeight(), c.getBias(), c.getStrides(),
                     c.getPads(), c.getDilations(), c.getGroups());
  if (auto c = dyn_cast<ConvTranspose2DOp>(op))
    return lowerConvTranspose(c);
  if (auto l = dyn_cast<LinearOp>(op))
    return lowerLinear(op, l.getInput(), l.getWeight(), l.getBias());
  if (auto l = dyn_cast<BlockLinearOp>(op))
    return lowerBlockLinear(l);
  if (auto m = dyn_cast<MatMulOp>(op))
    return lowerMatmul(m);
  if (auto p = dyn_cast<Pool2DOp>(op))
    return lowerPool(p);
  if (auto r = dyn_cast<ReduceOp>(op))
    return lowerReduce(r);
  if (auto r = dyn_cast<ResizeOp>(op))
    return lowerResize(r);
  if (auto c = dyn_cast<ConcatOp>(op))
    return lowerConcat(c);
  if (isa<ReshapeOp>(op))
    return lowerReshape(op);
  if (auto t = dyn_cast<TransposeOp>(op))
    return lowerTranspose(t);
  if (auto ln = dyn_cast<LayerNormOp>(op))
    return lowerNorm(op, ln.getInput(), ln.getScale(), ln.getBias(),
                     ln.getNormalizedAxis(), ln.getEpsilon().convertToDouble(),
                     /*centre=*/true);
  if (auto rms = dyn_cast<RmsNormOp>(op))
    return lowerNorm(op, rms.getInput(), rms.getScale(), Value(),
                     rms.getNormalizedAxis(), rms.getEpsilon().convertToDouble(),
                     /*centre=*/false);
  if (auto sm = dyn_cast<SoftmaxOp>(op))
    return lowerSoftmax(sm);
  if (auto e = dyn_cast<EmbeddingOp>(op))
    return lowerEmbedding(e);
  if (auto r = dyn_cast<RoPEOp>(op))
    return lowerRoPE(r);
  if (auto kv = dyn_cast<KVCacheWriteOp>(op))
    return lowerKVCacheWrite(kv);
  if (auto a = dyn_cast<AttentionOp>(op))
    return lowerAttention(a);
  if (auto g = dyn_cast<GatherOp>(op))
    return lowerGather(g);
  if (auto c = dyn_cast<CastOp>(op))
    return lowerCast(c);
  if (auto w = dyn_cast<WhereOp>(op))
    return lowerWhere(w);
  if (isa<ExpandOp>(op)) {
    auto rt = convertType(op->getResult(0).getType());
    set(op->getResult(0),
        elementwise(op->getLoc(), {get(op->getOperand(0))}, rt.getShape(),
                    rt.getElementType(),
                    [](OpBuilder &, Location, ValueRange a) { return a[0]; }));
    return success();
  }
  if (auto sl = dyn_cast<SliceOp>(op)) {
    auto rt = convertType(sl.getType());
    set(sl.getResult(),
        tensor::ExtractSliceOp::create(b, op->getLoc(), rt, get(sl.getInput()),
                                       ValueRange{}, ValueRange{}, ValueRange{},
                                       sl.getOffsets(), sl.getSizes(), sl.getStrides()));
    return success();
  }
  if (auto sp = dyn_cast<SplitOp>(op)) {
    int64_t axis = sp.getAxis() < 0 ? sp.getAxis() + cast<RankedTensorType>(sp.getInput().getType()).getRank()
                                    : sp.getAxis();
    int64_t offset = 0;
    for (Value r : sp.getOutputs()) {
      auto rt = convertType(r.getType());
      SmallVector<int64_t> offs(rt.getRank(), 0), strides(rt.getRank(), 1);
      offs[axis] = offset;
      offset += rt.getShape()[axis];
      set(r, tensor::ExtractSliceOp::create(b, op->getLoc(), rt, get(sp.getInput()),
                                            ValueRange{}, ValueRange{}, ValueRange{},
                                            offs, rt.getShape(), strides));
    }
    return success();
  }
  if (isa<ReluOp>(op))
    return lowerClamp(op, 0.0, std::nullopt);
  if (auto c = dyn_cast<ClipOp>(op)) {
    std::optional<double> lo, hi;
    if (auto m = c.getMin())
      lo = m->convertToDouble();
    if (auto m = c.getMax())
      hi = m->convertToDouble();
    return lowerClamp(op, lo, hi);
  }
  if (isa<AddOp, SubOp, MulOp, DivOp, MaxOp, MinOp, PowOp>(op))
    return lowerBinary(op);
  if (auto ls = dyn_cast<LogSoftmaxOp>(op))
    return lowerLogSoftmax(ls);
  if (auto in = dyn_cast<InstanceNormOp>(op))
    return lowerInstanceNorm(in);
  if (auto p = dyn_cast<PadOp>(op))
    return lowerPad(p);
  if (auto t = dyn_cast<TileOp>(op))
    return lowerTile(t);
  if (isa<ArgMaxOp, ArgMinOp>(op))
    return lowerArgReduce(op, isa<ArgMaxOp>(op));
  if (isa<EqualOp, LessOp, LessEqualOp, GreaterOp, GreaterEqualOp>(op))
    return lowerCompare(op);
  if (isa<AndOp, OrOp, XorOp>(op))
    return lowerLogical(op);
  if (auto m = dyn_cast<ModOp>(op))
    return lowerMod(m);
  if (isa<SinOp, CosOp, SoftplusOp, GeluOp, EluOp, SignOp, NotOp>(op) ||
      (isa<AbsOp, NegOp>(op) && !isa<FloatType>(eltOf(op->getOperand(0)))))
    return lowerUnaryMore(op);
  if (op->getNumOperands() == 1 && op->getNumResults() == 1 &&
      op->getName().getDialectNamespace() == "qc")
    return lowerUnary(op);
  return err(op) << ("has no CPU lowering");
}

LogicalResult Lowering::run(func::FuncOp f) {
  if (!f.getBody().hasOneBlock())
    return f.emitError("only single-block functions are lowered");
  // New signature: quantized element types become their storage types.
  SmallVector<Type> argTypes, resultTypes;
  for (Type t : f.getArgumentTypes())
    argTypes.push_back(isa<RankedTensorType>(t) ? Type(convertType(t)) : t);
  for (Type t : f.getResultTypes())
    resultTypes.push_back(isa<RankedTensorType>(t) ? Type(convertType(t)) : t);
  // New arguments of the storage types next to the old ones, which keep
  // their quantized types (and so their parameters) while the body lowers.
  Block &body = f.getBody().front();
  unsigned numArgs = body.getNumArguments();
  for (unsigned i = 0; i < numArgs; ++i) {
    BlockArgument arg = body.getArgument(i);
    map.map(arg, body.addArgument(argTypes[i], arg.getLoc()));
  }
  SmallVector<Operation *> old;
  for (Operation &op : body.without_terminator())
    old.push_back(&op);
  for (Operation *op : old)
    if (failed(lowerOp(op)))
      return failure();
  Operation *ret = body.getTerminator();
  for (OpOperand &o : ret->getOpOperands())
    o.set(get(o.get()));
  for (Operation *op : llvm::reverse(old)) {
    op->dropAllUses();
    op->erase();
  }
  for (unsigned i = 0; i < numArgs; ++i)
    body.getArgument(i).replaceAllUsesWith(body.getArgument(numArgs + i));
  body.eraseArguments(0, numArgs);
  f.setFunctionType(FunctionType::get(f.getContext(), argTypes, resultTypes));
  return success();
}

struct ConvertQCToLinalg
    : public qc::impl::ConvertQCToLinalgBase<ConvertQCToLinalg> {
  void runOnOperation() override {
    for (auto f : llvm::to_vector(getOperation().getOps<func::FuncOp>())) {
      if (f.isExternal())
        continue;
      Lowering lowering(&getContext());
      if (failed(lowering.run(f)))
        return signalPassFailure();
    }
  }
};

} // namespace
