//===- Microkernels.cpp - packed int8 GEMM kernels -------------------------===//
//
// Part of quantc.
//
// convert-qc-to-linalg tags the contractions that have a fast form
// (`qc.kernel = "gemm_s8"`: acc[M,N] += x[M,K] * w[N,K] with the constant
// weight packed as [N/8][K/4][8][4]). After bufferization each tagged
// linalg.generic becomes:
//
//   a call to @qc_gemm<N>(x, scratch, w, c, colsum), whose body is generated
//   here once per ISA variant (@qc_gemm<N>_base, _dotprod, _i8mm,
//   _avx512vnni) in the vector dialect. The code generator keeps the variant
//   the object is compiled for (Emit.cpp) and drops the others. Each body
//   first packs x into [M/8][K/4][8][4] tiles (zero padded) in the scratch
//   buffer, which the arena planner places like any other.
//
// The kernels compute 8x8 tiles of C with 16 vector<4xi32> accumulators. Per
// step of 4 along K they load two 16-byte rows of the packed A tile (8 rows x
// 4 bytes) and two of the packed B tile (8 columns x 4 bytes) and do 16
// four-way dot products of one B register (4 columns) with one A row's 4
// bytes broadcast to every lane:
//   - dotprod: arm_neon.intr.sdot, which LLVM folds with the broadcast into
//     the lane-indexed `sdot vd.4s, vn.16b, vm.4b[i]`;
//   - base: sign-extend, multiply and add groups of four (portable vector
//     code, for NEON without dot products and for x86-64).
//   - avx512vnni (x86-64): 8 rows x 8 columns per step, one `vpdpbusd` per
//     row on the 32-byte B tile with the row's 4 bytes broadcast. vpdpbusd
//     multiplies unsigned by signed bytes, so x is packed as x + 128 (x xor
//     0x80) and 128 * sum_k w[n,k] (colsum) is subtracted when storing.
// The i8mm variant uses the dot-product kernel for now.
//
//===----------------------------------------------------------------------===//

#include "qc/Target/CPU/CPUCodegen.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ArmNeon/ArmNeonDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::cpu;

namespace {

enum class DotKind { Generic, SDot, Vnni };

Value idx(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// acc[i] += sum_{j<4} bv[4i+j] * av[4*lane+j] for i < 4.
Value dot4(OpBuilder &b, Location loc, DotKind kind, Value acc, Value bv,
           Value av, int64_t lane) {
  auto v4i32 = VectorType::get({4}, b.getI32Type());
  auto v16i8 = VectorType::get({16}, b.getI8Type());
  // Broadcast of lane `lane` (4 bytes) of av to all four lanes.
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

/// Loops writing x[M,K] into packed [MT][K4][32] tiles (row r of a tile at
/// bytes 4r..4r+3 of each 32-byte group), zero beyond M and K.
void packRows(OpBuilder &b, Location loc, Value x, Value ap, int64_t M,
              int64_t K, bool offset128) {
  auto at = cast<MemRefType>(ap.getType());
  int64_t MT = at.getShape()[0], K4 = at.getShape()[1];
  Value c0 = idx(b, loc, 0), c1 = idx(b, loc, 1);
  auto zero = arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(0));
  auto t = scf::ForOp::create(b, loc, c0, idx(b, loc, MT), c1);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(t.getBody());
  auto r = scf::ForOp::create(b, loc, c0, idx(b, loc, 8), c1);
  b.setInsertionPointToStart(r.getBody());
  Value m = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, t.getInductionVar(), idx(b, loc, 8)),
      r.getInductionVar());
  Value mIn = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, m, idx(b, loc, M));
  auto k = scf::ForOp::create(b, loc, c0, idx(b, loc, K4 * 4), c1);
  b.setInsertionPointToStart(k.getBody());
  Value kk = k.getInductionVar();
  Value kIn = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, kk, idx(b, loc, K));
  Value in = arith::AndIOp::create(b, loc, mIn, kIn);
  // Clamp the indices so the load stays in bounds; the select drops it.
  Value mc = arith::MinSIOp::create(b, loc, m, idx(b, loc, M - 1));
  Value kc = arith::MinSIOp::create(b, loc, kk, idx(b, loc, K - 1));
  Value v = memref::LoadOp::create(b, loc, x, ValueRange{mc, kc});
  v = arith::SelectOp::create(b, loc, in, v, zero);
  if (offset128)
    v = arith::XOrIOp::create(b, loc, v,
                              arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(-128)));
  Value k4 = arith::DivUIOp::create(b, loc, kk, idx(b, loc, 4));
  Value pos = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, r.getInductionVar(), idx(b, loc, 4)),
      arith::RemUIOp::create(b, loc, kk, idx(b, loc, 4)));
  memref::StoreOp::create(b, loc, v, ap, ValueRange{t.getInductionVar(), k4, pos});
}

/// The 8x8 tile loop of the x86 kernel: returns the 8 row accumulators
/// (vector<8xi32>, columns n0..n0+8) of C tile (i, j).
SmallVector<Value> vnniTile(OpBuilder &b, Location loc, Value A, Value B,
                            Value i, Value j, int64_t K4) {
  auto v8i32 = VectorType::get({8}, b.getI32Type());
  auto v32i8 = VectorType::get({32}, b.getI8Type());
  auto v4i8 = VectorType::get({4}, b.getI8Type());
  auto v1i32 = VectorType::get({1}, b.getI32Type());
  Value c0 = idx(b, loc, 0), c1 = idx(b, loc, 1);
  Value zero = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(v8i32, b.getI32IntegerAttr(0)));
  SmallVector<Value> init(8, zero);
  auto kLoop = scf::ForOp::create(
      b, loc, c0, idx(b, loc, K4), c1, init,
      [&](OpBuilder &bb, Location l, Value k, ValueRange accs) {
        Value bv = vector::LoadOp::create(bb, l, v32i8, B, ValueRange{j, k, c0});
        SmallVector<Value> next;
        for (int64_t r = 0; r < 8; ++r) {
          Value a4 = vector::LoadOp::create(bb, l, v4i8, A,
                                            ValueRange{i, k, idx(bb, l, 4 * r)});
          Value a = vector::ExtractOp::create(
              bb, l, vector::BitCastOp::create(bb, l, v1i32, a4), ArrayRef<int64_t>{0});
          Value av = vector::BitCastOp::create(
              bb, l, v32i8, vector::BroadcastOp::create(bb, l, v8i32, a));
          next.push_back(LLVM::CallIntrinsicOp::create(
                             bb, l, v8i32, bb.getStringAttr("llvm.x86.avx512.vpdpbusd.256"),
                             ValueRange{accs[r], av, bv})
                             .getResult(0));
        }
        scf::YieldOp::create(bb, l, next);
      });
  return SmallVector<Value>(kLoop.getResults());
}

/// func.func private @<name>(%x: memref<MxKxi8>, %a: memref<MTxK4x32xi8>,
///     %b: memref<NTxK4x32xi8>, %c: memref<MxNxi32>, %colsum: memref<NT*8xi32>):
/// packs x into %a, then C += A * B^T on 8x8 tiles.
func::FuncOp buildGemmKernel(OpBuilder &mb, Location loc, StringRef name,
                             MemRefType xType, MemRefType aType,
                             MemRefType bType, MemRefType cType,
                             MemRefType sType, DotKind kind) {
  auto fnType = mb.getFunctionType({xType, aType, bType, cType, sType}, {});
  auto fn = func::FuncOp::create(mb, loc, name, fnType);
  fn.setPrivate();
  OpBuilder b(fn.getContext());
  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToStart(entry);
  Value X = entry->getArgument(0), A = entry->getArgument(1),
        B = entry->getArgument(2), C = entry->getArgument(3),
        S = entry->getArgument(4);
  int64_t MT = aType.getShape()[0], NT = bType.getShape()[0],
          K4 = aType.getShape()[1];
  int64_t M = cType.getShape()[0], N = cType.getShape()[1];
  packRows(b, loc, X, A, M, xType.getShape()[1], kind == DotKind::Vnni);
  auto v4i32 = VectorType::get({4}, b.getI32Type());
  auto v16i8 = VectorType::get({16}, b.getI8Type());
  Value c0 = idx(b, loc, 0), c1 = idx(b, loc, 1), c16 = idx(b, loc, 16);
  auto mLoop = scf::ForOp::create(b, loc, c0, idx(b, loc, MT), c1);
  b.setInsertionPointToStart(mLoop.getBody());
  Value i = mLoop.getInductionVar();
  auto nLoop = scf::ForOp::create(b, loc, c0, idx(b, loc, NT), c1);
  b.setInsertionPointToStart(nLoop.getBody());
  Value j = nLoop.getInductionVar();
  // accs[r * W + h]: row r, columns n0 + 4h .. n0 + 4h + 4 (W = 2, 4 lanes)
  // or n0 .. n0 + 8 (W = 1, 8 lanes, the x86 kernel).
  SmallVector<Value> accs;
  int64_t lanes = 4;
  if (kind == DotKind::Vnni) {
    accs = vnniTile(b, loc, A, B, i, j, K4);
    lanes = 8;
  } else {
    Value zero = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(v4i32, b.getI32IntegerAttr(0)));
    SmallVector<Value> init(16, zero);
    auto kLoop = scf::ForOp::create(
        b, loc, c0, idx(b, loc, K4), c1, init,
        [&](OpBuilder &bb, Location l, Value k, ValueRange accIn) {
          Value a0 = vector::LoadOp::create(bb, l, v16i8, A, ValueRange{i, k, c0});
          Value a1 = vector::LoadOp::create(bb, l, v16i8, A, ValueRange{i, k, c16});
          Value b0 = vector::LoadOp::create(bb, l, v16i8, B, ValueRange{j, k, c0});
          Value b1 = vector::LoadOp::create(bb, l, v16i8, B, ValueRange{j, k, c16});
          SmallVector<Value> next;
          for (int64_t r = 0; r < 8; ++r) {
            Value av = r < 4 ? a0 : a1;
            next.push_back(dot4(bb, l, kind, accIn[2 * r], b0, av, r % 4));
            next.push_back(dot4(bb, l, kind, accIn[2 * r + 1], b1, av, r % 4));
          }
          scf::YieldOp::create(bb, l, next);
        });
    accs.assign(kLoop.getResults().begin(), kLoop.getResults().end());
  }
  int64_t perRow = 8 / lanes;
  auto vType = VectorType::get({lanes}, b.getI32Type());
  // C[m0 + r, n0 + lanes*h ..] += accs[r * perRow + h] (minus 128 * colsum
  // for the x86 kernel); rows and columns past M and N (the zero padding of
  // the packed tiles) are not written.
  Value m0 = arith::MulIOp::create(b, loc, i, idx(b, loc, 8));
  Value n0 = arith::MulIOp::create(b, loc, j, idx(b, loc, 8));
  if (kind == DotKind::Vnni) {
    for (int64_t r = 0; r < 8; ++r) {
      Value s = vector::LoadOp::create(b, loc, vType, S, ValueRange{n0});
      Value s128 = arith::ShLIOp::create(
          b, loc, s,
          arith::ConstantOp::create(b, loc, DenseElementsAttr::get(vType, b.getI32IntegerAttr(7))));
      accs[r] = arith::SubIOp::create(b, loc, accs[r], s128);
    }
  }
  auto le = [&](Value v, int64_t add, int64_t bound) {
    Value e = arith::AddIOp::create(b, loc, v, idx(b, loc, add));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, e,
                                 idx(b, loc, bound));
  };
  Value full = arith::AndIOp::create(b, loc, le(m0, 8, M), le(n0, 8, N));
  auto ifOp = scf::IfOp::create(b, loc, full, /*withElse=*/true);
  {
    OpBuilder t = ifOp.getThenBodyBuilder();
    for (int64_t r = 0; r < 8; ++r)
      for (int64_t h = 0; h < perRow; ++h) {
        Value row = arith::AddIOp::create(t, loc, m0, idx(t, loc, r));
        Value col = arith::AddIOp::create(t, loc, n0, idx(t, loc, lanes * h));
        Value old = vector::LoadOp::create(t, loc, vType, C, ValueRange{row, col});
        Value sum = arith::AddIOp::create(t, loc, old, accs[r * perRow + h]);
        vector::StoreOp::create(t, loc, sum, C, ValueRange{row, col});
      }
  }
  {
    OpBuilder e = ifOp.getElseBodyBuilder();
    for (int64_t r = 0; r < 8; ++r)
      for (int64_t cc = 0; cc < 8; ++cc) {
        Value row = arith::AddIOp::create(e, loc, m0, idx(e, loc, r));
        Value col = arith::AddIOp::create(e, loc, n0, idx(e, loc, cc));
        Value inRow = arith::CmpIOp::create(e, loc, arith::CmpIPredicate::slt, row, idx(e, loc, M));
        Value inCol = arith::CmpIOp::create(e, loc, arith::CmpIPredicate::slt, col, idx(e, loc, N));
        Value in = arith::AndIOp::create(e, loc, inRow, inCol);
        auto guard = scf::IfOp::create(e, loc, in, /*withElse=*/false);
        OpBuilder g = guard.getThenBodyBuilder();
        Value lane = vector::ExtractOp::create(g, loc, accs[r * perRow + cc / lanes],
                                               ArrayRef<int64_t>{cc % lanes});
        Value old = memref::LoadOp::create(g, loc, C, ValueRange{row, col});
        memref::StoreOp::create(g, loc, arith::AddIOp::create(g, loc, old, lane), C,
                                ValueRange{row, col});
      }
  }
  b.setInsertionPointAfter(mLoop);
  func::ReturnOp::create(b, loc);
  return fn;
}

} // namespace

LogicalResult cpu::outlineMicrokernels(ModuleOp module, func::FuncOp f) {
  SmallVector<linalg::GenericOp> gemms;
  f.walk([&](linalg::GenericOp g) {
    auto kind = g->getAttrOfType<StringAttr>("qc.kernel");
    if (kind && kind.getValue() == "gemm_s8" && g.hasPureBufferSemantics())
      gemms.push_back(g);
  });
  MLIRContext *ctx = module.getContext();
  ctx->loadDialect<arm_neon::ArmNeonDialect, LLVM::LLVMDialect, scf::SCFDialect,
                   vector::VectorDialect>();
  unsigned counter = 0;
  for (linalg::GenericOp g : gemms) {
    Value x = g.getDpsInputOperand(0)->get();
    Value w = g.getDpsInputOperand(1)->get();
    Value c = g.getDpsInitOperand(0)->get();
    auto colsumAttr = g->getAttrOfType<DenseElementsAttr>("qc.colsum");
    if (!colsumAttr)
      continue;
    auto xt = cast<MemRefType>(x.getType()), wt = cast<MemRefType>(w.getType()),
         ct = cast<MemRefType>(c.getType());
    // The kernels take identity-layout buffers (bare pointers); anything
    // else keeps the loop form.
    if (!xt.getLayout().isIdentity() || !wt.getLayout().isIdentity() ||
        !ct.getLayout().isIdentity())
      continue;
    int64_t M = ct.getShape()[0], K = xt.getShape()[1];
    int64_t MT = (M + 7) / 8, NT = wt.getShape()[0], K4 = wt.getShape()[1];
    Location loc = g.getLoc();
    OpBuilder b(g);
    auto apType = MemRefType::get({MT, K4, 32}, b.getI8Type());
    Value ap = memref::AllocOp::create(b, loc, apType);
    Value bp = memref::CollapseShapeOp::create(
        b, loc, w, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
    auto bpType = cast<MemRefType>(bp.getType());
    std::string name = "qc_gemm" + std::to_string(counter++);
    auto sType = MemRefType::get(colsumAttr.getType().getShape(), b.getI32Type());
    {
      OpBuilder mb(ctx);
      mb.setInsertionPointToStart(module.getBody());
      memref::GlobalOp::create(mb, loc, name + "_colsum",
                               mb.getStringAttr("private"), sType, colsumAttr,
                               /*constant=*/true, IntegerAttr());
    }
    Value colsum = memref::GetGlobalOp::create(b, loc, sType, name + "_colsum");
    {
      OpBuilder mb(ctx);
      mb.setInsertionPointToEnd(module.getBody());
      auto decl = func::FuncOp::create(
          mb, loc, name, mb.getFunctionType({xt, apType, bpType, ct, sType}, {}));
      decl.setPrivate();
      buildGemmKernel(mb, loc, name + "_base", xt, apType, bpType, ct, sType, DotKind::Generic);
      buildGemmKernel(mb, loc, name + "_dotprod", xt, apType, bpType, ct, sType, DotKind::SDot);
      buildGemmKernel(mb, loc, name + "_i8mm", xt, apType, bpType, ct, sType, DotKind::SDot);
      buildGemmKernel(mb, loc, name + "_avx512vnni", xt, apType, bpType, ct, sType, DotKind::Vnni);
    }
    func::CallOp::create(b, loc, name, TypeRange{}, ValueRange{x, ap, bp, c, colsum});
    g.erase();
  }
  return success();
}
