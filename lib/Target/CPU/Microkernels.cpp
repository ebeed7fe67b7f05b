//===- Microkernels.cpp - packed int8 GEMM kernels -------------------------===//
//
// Part of quantc.
//
// convert-qc-to-linalg tags the contractions that have a fast form
// (`qc.kernel = "gemm_s8"`: acc[M,N] += x[M,K] * w[N,K] with the constant
// weight packed as [N/16][K/4][16][4]). After bufferization each tagged
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

/// func.func private @<name>_pack(%x: memref<MxKxi8>, %a: memref<MTxK4x32xi8>)
void buildPack(OpBuilder &mb, Location loc, StringRef name, MemRefType xType,
               MemRefType aType, DotKind kind) {
  auto fn = func::FuncOp::create(mb, loc, (name + "_pack").str(),
                                 mb.getFunctionType({xType, aType}, {}));
  fn.setPrivate();
  OpBuilder b(fn.getContext());
  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToStart(entry);
  packRows(b, loc, entry->getArgument(0), entry->getArgument(1),
           xType.getShape()[0], xType.getShape()[1], kind == DotKind::Vnni);
  func::ReturnOp::create(b, loc);
}

/// func.func private @<name>_tiles(%a: memref<MTxK4x32xi8>,
///     %b: memref<NTxK4x64xi8>, %c: memref<MxNxi32>, %colsum: memref<NT*16xi32>,
///     %jbegin: index, %jend: index): C += A * B^T on the 8x16 tiles of the
/// column tiles [jbegin, jend) (one task of qcrt_parallel_for).
///
/// A row tile holds 8 rows and a column tile 16 columns, both 4 deep per
/// step of K. NEON kernels walk an 8x16 tile in two passes of 4 rows, each
/// with 16 vector<4xi32> accumulators (rows x 4 groups of 4 columns): per
/// step, one 16-byte load of A (4 rows x 4 bytes), four of B, 16 dot
/// products. The x86 kernel keeps 8 vector<16xi32> accumulators (one per
/// row): per step one 64-byte load of B, 8 broadcasts of a row's 4 bytes and
/// 8 `vpdpbusd`.
func::FuncOp buildGemmKernel(OpBuilder &mb, Location loc, StringRef name,
                             MemRefType aType, MemRefType bType,
                             MemRefType cType, MemRefType sType,
                             DotKind kind) {
  Type index = mb.getIndexType();
  auto fnType =
      mb.getFunctionType({aType, bType, cType, sType, index, index}, {});
  auto fn = func::FuncOp::create(mb, loc, (name + "_tiles").str(), fnType);
  fn.setPrivate();
  OpBuilder b(fn.getContext());
  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToStart(entry);
  Value A = entry->getArgument(0), B = entry->getArgument(1),
        C = entry->getArgument(2), S = entry->getArgument(3);
  int64_t MT = aType.getShape()[0], K4 = aType.getShape()[1];
  int64_t M = cType.getShape()[0], N = cType.getShape()[1];
  bool x86 = kind == DotKind::Vnni;
  int64_t lanes = x86 ? 16 : 4, rows = x86 ? 8 : 4, passes = 8 / rows;
  int64_t groups = 16 / lanes; // accumulators per row
  auto accType = VectorType::get({lanes}, b.getI32Type());
  Value c0 = idx(b, loc, 0), c1 = idx(b, loc, 1);
  // Column tiles outside, row tiles inside: a B tile is reused by every row
  // tile while it is in cache.
  auto nLoop = scf::ForOp::create(b, loc, entry->getArgument(4),
                                  entry->getArgument(5), c1);
  b.setInsertionPointToStart(nLoop.getBody());
  Value j = nLoop.getInductionVar();
  Value n0 = arith::MulIOp::create(b, loc, j, idx(b, loc, 16));
  // 128 * colsum for the offset activations of the x86 kernel.
  Value corr;
  if (x86) {
    Value s = vector::LoadOp::create(b, loc, accType, S, ValueRange{n0});
    corr = arith::ShLIOp::create(
        b, loc, s,
        arith::ConstantOp::create(b, loc, DenseElementsAttr::get(accType, b.getI32IntegerAttr(7))));
  }
  auto mLoop = scf::ForOp::create(b, loc, c0, idx(b, loc, MT), c1);
  b.setInsertionPointToStart(mLoop.getBody());
  Value i = mLoop.getInductionVar();
  for (int64_t pass = 0; pass < passes; ++pass) {
    Value zero = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(accType, b.getI32IntegerAttr(0)));
    SmallVector<Value> init(rows * groups, zero);
    auto kLoop = scf::ForOp::create(
        b, loc, c0, idx(b, loc, K4), c1, init,
        [&](OpBuilder &bb, Location l, Value k, ValueRange accIn) {
          SmallVector<Value> next;
          if (x86) {
            auto v64i8 = VectorType::get({64}, bb.getI8Type());
            auto v4i8 = VectorType::get({4}, bb.getI8Type());
            auto v1i32 = VectorType::get({1}, bb.getI32Type());
            Value bv = vector::LoadOp::create(bb, l, v64i8, B, ValueRange{j, k, c0});
            for (int64_t r = 0; r < 8; ++r) {
              Value a4 = vector::LoadOp::create(bb, l, v4i8, A,
                                                ValueRange{i, k, idx(bb, l, 4 * r)});
              Value a = vector::ExtractOp::create(
                  bb, l, vector::BitCastOp::create(bb, l, v1i32, a4),
                  ArrayRef<int64_t>{0});
              Value av = vector::BitCastOp::create(
                  bb, l, v64i8, vector::BroadcastOp::create(bb, l, accType, a));
              next.push_back(LLVM::CallIntrinsicOp::create(
                                 bb, l, accType,
                                 bb.getStringAttr("llvm.x86.avx512.vpdpbusd.512"),
                                 ValueRange{accIn[r], av, bv})
                                 .getResult(0));
            }
          } else {
            auto v16i8 = VectorType::get({16}, bb.getI8Type());
            Value av = vector::LoadOp::create(bb, l, v16i8, A,
                                              ValueRange{i, k, idx(bb, l, 16 * pass)});
            SmallVector<Value> bv;
            for (int64_t q = 0; q < 4; ++q)
              bv.push_back(vector::LoadOp::create(bb, l, v16i8, B,
                                                  ValueRange{j, k, idx(bb, l, 16 * q)}));
            for (int64_t r = 0; r < 4; ++r)
              for (int64_t q = 0; q < 4; ++q)
                next.push_back(dot4(bb, l, kind, accIn[r * 4 + q], bv[q], av, r));
          }
          scf::YieldOp::create(bb, l, next);
        });
    SmallVector<Value> accs(kLoop.getResults());
    if (x86)
      for (Value &acc : accs)
        acc = arith::SubIOp::create(b, loc, acc, corr);
    // C[m0 + r, n0 + lanes * q ..] += accs[r * groups + q]; rows and columns
    // past M and N (the zero padding of the packed tiles) are not written.
    Value m0 = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, i, idx(b, loc, 8)),
        idx(b, loc, rows * pass));
    auto le = [&](Value v, int64_t add, int64_t bound) {
      Value e = arith::AddIOp::create(b, loc, v, idx(b, loc, add));
      return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, e,
                                   idx(b, loc, bound));
    };
    Value full = arith::AndIOp::create(b, loc, le(m0, rows, M), le(n0, 16, N));
    auto ifOp = scf::IfOp::create(b, loc, full, /*withElse=*/true);
    {
      OpBuilder t = ifOp.getThenBodyBuilder();
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t q = 0; q < groups; ++q) {
          Value row = arith::AddIOp::create(t, loc, m0, idx(t, loc, r));
          Value col = arith::AddIOp::create(t, loc, n0, idx(t, loc, lanes * q));
          Value old = vector::LoadOp::create(t, loc, accType, C, ValueRange{row, col});
          Value sum = arith::AddIOp::create(t, loc, old, accs[r * groups + q]);
          vector::StoreOp::create(t, loc, sum, C, ValueRange{row, col});
        }
    }
    {
      OpBuilder e = ifOp.getElseBodyBuilder();
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t cc = 0; cc < 16; ++cc) {
          Value row = arith::AddIOp::create(e, loc, m0, idx(e, loc, r));
          Value col = arith::AddIOp::create(e, loc, n0, idx(e, loc, cc));
          Value inRow = arith::CmpIOp::create(e, loc, arith::CmpIPredicate::slt, row, idx(e, loc, M));
          Value inCol = arith::CmpIOp::create(e, loc, arith::CmpIPredicate::slt, col, idx(e, loc, N));
          Value in = arith::AndIOp::create(e, loc, inRow, inCol);
          auto guard = scf::IfOp::create(e, loc, in, /*withElse=*/false);
          OpBuilder g = guard.getThenBodyBuilder();
          Value lane = vector::ExtractOp::create(g, loc, accs[r * groups + cc / lanes],
                                                 ArrayRef<int64_t>{cc % lanes});
          Value old = memref::LoadOp::create(g, loc, C, ValueRange{row, col});
          memref::StoreOp::create(g, loc, arith::AddIOp::create(g, loc, old, lane), C,
                                  ValueRange{row, col});
        }
    }
  }
  b.setInsertionPointAfter(nLoop);
  func::ReturnOp::create(b, loc);
  return fn;
}

} // namespace

LogicalResult cpu::outlineMicrokernels(ModuleOp module, func::FuncOp f,
                                       Value pool) {
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
    Type index = b.getIndexType();
    {
      OpBuilder mb(ctx);
      mb.setInsertionPointToEnd(module.getBody());
      // Bound per variant by the code generator (Emit.cpp): packs, then
      // runs the tiles on the runtime's thread pool.
      auto decl = func::FuncOp::create(
          mb, loc, name,
          mb.getFunctionType({xt, apType, bpType, ct, sType, pool.getType(),
                              index, index},
                             {}));
      decl.setPrivate();
      for (auto [suffix, kind] :
           {std::pair<StringRef, DotKind>{"_base", DotKind::Generic},
            {"_dotprod", DotKind::SDot},
            {"_i8mm", DotKind::SDot},
            {"_avx512vnni", DotKind::Vnni}}) {
        buildPack(mb, loc, name + suffix.str(), xt, apType, kind);
        buildGemmKernel(mb, loc, name + suffix.str(), apType, bpType, ct, sType, kind);
      }
    }
    // At least ~64K multiply-accumulates per task.
    int64_t grain = std::max<int64_t>(1, 65536 / std::max<int64_t>(1, 16 * M * K));
    func::CallOp::create(b, loc, name, TypeRange{},
                         ValueRange{x, ap, bp, c, colsum, pool,
                                    idx(b, loc, NT), idx(b, loc, grain)});
    g.erase();
  }
  return success();
}
