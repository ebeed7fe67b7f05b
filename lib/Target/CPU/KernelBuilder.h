//===- KernelBuilder.h - building blocks of the generated kernels -*- C++ -*-===//
//
// Part of quantc. Shared by the kernel generators of lib/Target/CPU
// (Microkernels.cpp, QuantMatmul.cpp): index arithmetic, flat buffers, the
// four-way dot product of each ISA and the tile store.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_TARGET_CPU_KERNELBUILDER_H
#define QC_LIB_TARGET_CPU_KERNELBUILDER_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ArmNeon/ArmNeonDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir::qc::cpu::kb {

/// The static extent of the flat buffers kernels take: every real access is
/// inside it, so one function serves every shape.
constexpr int64_t kFlat = int64_t(1) << 40;

enum class DotKind { Generic, SDot, Vnni, Mmla };

inline Value idx(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}
inline Value add(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::AddIOp::create(b, loc, x, y);
}
inline Value mul(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::MulIOp::create(b, loc, x, y);
}
inline Value mulc(OpBuilder &b, Location loc, Value x, int64_t c) {
  return mul(b, loc, x, idx(b, loc, c));
}

/// acc[i] += sum_{j<4} bv[4i+j] * av[4*lane+j] for i < 4.
inline Value dot4(OpBuilder &b, Location loc, DotKind kind, Value acc,
                  Value bv, Value av, int64_t lane) {
  auto v4i32 = VectorType::get({4}, b.getI32Type());
  auto v16i8 = VectorType::get({16}, b.getI8Type());
  // Lane `lane` (4 bytes) of av broadcast to all four lanes.
  Value a32 = vector::BitCastOp::create(b, loc, v4i32, av);
  Value dup = vector::ShuffleOp::create(b, loc, a32, a32,
                                        ArrayRef<int64_t>{lane, lane, lane, lane});
  Value a8 = vector::BitCastOp::create(b, loc, v16i8, dup);
  if (kind == DotKind::SDot)
    return arm_neon::SdotOp::create(b, loc, v4i32, acc, bv, a8);
  auto v16i32 = VectorType::get({16}, b.getI32Type());
  Value p = arith::MulIOp::create(b, loc, arith::ExtSIOp::create(b, loc, v16i32, bv),
                                  arith::ExtSIOp::create(b, loc, v16i32, a8));
  // Sum each group of four products: lanes {4i, 4i+1, 4i+2, 4i+3}.
  Value sum = acc;
  for (int64_t j = 0; j < 4; ++j) {
    Value part = vector::ShuffleOp::create(
        b, loc, p, p, ArrayRef<int64_t>{j, 4 + j, 8 + j, 12 + j});
    sum = arith::AddIOp::create(b, loc, sum, part);
  }
  return sum;
}

inline MemRefType flatType(OpBuilder &b, Type elt) {
  return MemRefType::get({kFlat}, elt);
}

/// C[m0 + r, n0 .. n0 + width) = row r of `rows` (vectors of `lanes`
/// elements each, width / lanes per row, row-major in `rows`); rows and columns past
/// M and N (the zero padding of the packed tiles) are not written.
inline void storeTile(OpBuilder &o, Location loc, Value C, Value M, Value N,
                      Value m0, Value n0, ArrayRef<Value> rows, int64_t lanes,
                      int64_t width = 16) {
  int64_t groups = width / lanes;
  int64_t count = rows.size() / groups;
  Value c0 = idx(o, loc, 0), c1 = idx(o, loc, 1);
  auto fits = [&](Value v, int64_t extent, Value bound) {
    return arith::CmpIOp::create(o, loc, arith::CmpIPredicate::sle,
                                 add(o, loc, v, idx(o, loc, extent)), bound);
  };
  Value full = arith::AndIOp::create(o, loc, fits(m0, count, M), fits(n0, width, N));
  auto ifOp = scf::IfOp::create(o, loc, full, /*withElse=*/true);
  {
    OpBuilder t = ifOp.getThenBodyBuilder();
    for (int64_t r = 0; r < count; ++r)
      for (int64_t q = 0; q < groups; ++q) {
        Value off = add(t, loc, mul(t, loc, add(t, loc, m0, idx(t, loc, r)), N),
                        add(t, loc, n0, idx(t, loc, lanes * q)));
        vector::StoreOp::create(t, loc, rows[r * groups + q], C, ValueRange{off});
      }
  }
  {
    // A partial tile: spill to a small buffer and store what exists.
    OpBuilder e = ifOp.getElseBodyBuilder();
    auto tileType = MemRefType::get(
        {count, width}, cast<VectorType>(rows.front().getType()).getElementType());
    Value tile = memref::AllocaOp::create(e, loc, tileType);
    for (int64_t r = 0; r < count; ++r)
      for (int64_t q = 0; q < groups; ++q)
        vector::StoreOp::create(e, loc, rows[r * groups + q], tile,
                                ValueRange{idx(e, loc, r), idx(e, loc, lanes * q)});
    Value rEnd = arith::MaxSIOp::create(
        e, loc, c0,
        arith::MinSIOp::create(e, loc, idx(e, loc, count),
                               arith::SubIOp::create(e, loc, M, m0)));
    Value cEnd = arith::MaxSIOp::create(
        e, loc, c0,
        arith::MinSIOp::create(e, loc, idx(e, loc, width),
                               arith::SubIOp::create(e, loc, N, n0)));
    auto rl = scf::ForOp::create(e, loc, c0, rEnd, c1);
    OpBuilder rb = OpBuilder::atBlockBegin(rl.getBody());
    auto cl = scf::ForOp::create(rb, loc, c0, cEnd, c1);
    OpBuilder cb = OpBuilder::atBlockBegin(cl.getBody());
    Value r = rl.getInductionVar(), cc = cl.getInductionVar();
    Value off = add(cb, loc, mul(cb, loc, add(cb, loc, m0, r), N), add(cb, loc, n0, cc));
    Value v = memref::LoadOp::create(cb, loc, tile, ValueRange{r, cc});
    memref::StoreOp::create(cb, loc, v, C, ValueRange{off});
  }
}

/// `v` seen as a flat memref of kFlat elements (same pointer).
inline Value flatten(OpBuilder &b, Location loc, Value v) {
  auto t = cast<MemRefType>(v.getType());
  return memref::ReinterpretCastOp::create(b, loc, flatType(b, t.getElementType()),
                                           v, 0, ArrayRef<int64_t>{kFlat},
                                           ArrayRef<int64_t>{1});
}


/// The initialisation (tagged `qc.kernel_init`) of the buffer `out` that the
/// tagged contraction `kernel` accumulates into, which a kernel replaces:
/// the closest op before `kernel` that writes `out` with that tag, provided
/// nothing in between uses `out` (else the initial values are read by
/// someone else and must stay), and null otherwise.
inline Operation *kernelInit(Operation *kernel, Value out) {
  for (Operation *op = kernel->getPrevNode(); op; op = op->getPrevNode()) {
    if (!llvm::is_contained(op->getOperands(), out))
      continue;
    return op->hasAttr("qc.kernel_init") ? op : nullptr;
  }
  return nullptr;
}

/// Whether `v` is a memref with a static shape and the identity layout (a
/// kernel may read it as a flat row-major array).
inline bool identityLayout(Value v) {
  auto t = dyn_cast<MemRefType>(v.getType());
  return t && t.getLayout().isIdentity() && t.hasStaticShape();
}

} // namespace mlir::qc::cpu::kb

#endif // QC_LIB_TARGET_CPU_KERNELBUILDER_H
