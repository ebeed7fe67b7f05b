//===- Microkernels.cpp - packed int8 GEMM kernels -------------------------===//
//
// Part of quantc.
//
// convert-qc-to-linalg tags the contractions that have a fast form
// (`qc.kernel = "gemm_s8"`: acc[M,N] += x[M,K] * w[N,K] with the constant
// weight packed as [N/16][K/4][16][4] and its column sums in `qc.colsum`).
// After bufferization each tagged linalg.generic becomes a call
//
//   @qc_gemm_s8(x, scratch, w, acc, colsum, pool, tiles, grain, M, N, K, MT, K4)
//
// (with one more buffer, the bias after `colsum`) whose operands are the
// buffers seen as flat memrefs. The kernel bodies are
// generated here once per module and ISA variant, shape-generic (sizes are
// arguments), in the vector dialect:
//
//   @qc_gemm_s8_<variant>_pack   x -> [M/8][K/4][8][4] tiles in the scratch
//                                buffer (zero padded; +128 for vpdpbusd)
//   @qc_gemm_s8_<variant>_tiles  C += A * B^T over column tiles [jb, je)
//
// The code generator gives the declaration its body for the variant an
// object is compiled for (Emit.cpp): pack, then the column tiles on the
// runtime's thread pool. The scratch buffer is planned into the arena like
// any other buffer.
//
// Tiles are 8 rows x 16 columns, 4 deep per step of K:
//   - NEON walks a tile in two passes of 4 rows with 16 vector<4xi32>
//     accumulators: per step one 16-byte load of A (4 rows x 4 bytes), four
//     of B (4 columns x 4 bytes each) and 16 four-way dot products of a B
//     register with one A row broadcast to every lane. `dotprod` uses
//     arm_neon.intr.sdot, which LLVM folds with the broadcast into the
//     lane-indexed `sdot vd.4s, vn.16b, vm.4b[i]`; `base` sign-extends,
//     multiplies and adds groups of four (portable vector code).
//   - AArch64 `i8mm` packs A as row pairs x 8 bytes and computes 8x8 blocks
//     per pass with 16 `smmla` (2x2 blocks, 8 deep) per step of 8, on B
//     column pairs zipped from two 4-deep chunks (K4 is even).
//   - x86-64 `avx512vnni` computes 8 rows x 3 column tiles per block (24
//     vector<16xi32> accumulators): per step three 64-byte loads of B, 8
//     broadcasts of a row's 4 bytes and 24 `vpdpbusd`. vpdpbusd multiplies
//     unsigned by signed bytes, so x is packed as x + 128 (x xor 0x80) and
//     128 * colsum[n] is subtracted. `base` on x86-64 is the portable kernel.
//
//===----------------------------------------------------------------------===//

#include "qc/Target/CPU/CPUCodegen.h"

#include "KernelBuilder.h"

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
using namespace mlir::qc::cpu::kb;

namespace {

/// func.func private @<name>_pack(%x, %a: memref<?xi8>, %M, %K, %MT, %K4,
/// %tbegin, %tend): the row tiles [tbegin, tend) of x in tiles of 8 rows, D deep (D = 4 for the dot-product kernels, 8 for
/// i8mm, whose operands are row pairs of 8 bytes):
///   a[((t * K4 * 4 / D + kd) * 8 + r) * D + j] = x[8t + r, D * kd + j],
/// zero outside [M, K] (x + 128 for the x86 kernel). K4 is even, so the
/// scratch buffer holds both layouts.
void buildPack(OpBuilder &mb, Location loc, StringRef name, DotKind kind) {
  Type index = mb.getIndexType();
  auto i8flat = flatType(mb, mb.getI8Type());
  auto fn = func::FuncOp::create(
      mb, loc, (name + "_pack").str(),
      mb.getFunctionType({i8flat, i8flat, index, index, index, index, index, index},
                         {}));
  fn.setPrivate();
  OpBuilder b(fn.getContext());
  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToStart(entry);
  Value X = entry->getArgument(0), A = entry->getArgument(1);
  Value M = entry->getArgument(2), K = entry->getArgument(3),
        K4 = entry->getArgument(5);
  Value tBegin = entry->getArgument(6), tEnd = entry->getArgument(7);
  int64_t D = kind == DotKind::Mmla ? 8 : 4;
  Value c0 = idx(b, loc, 0), c1 = idx(b, loc, 1);
  Value KD = arith::DivUIOp::create(b, loc, mulc(b, loc, K4, 4), idx(b, loc, D));
  auto offset128 = [&](OpBuilder &o, Value v) -> Value {
    if (kind != DotKind::Vnni)
      return v;
    Type t = v.getType();
    Attribute c = o.getI8IntegerAttr(-128);
    if (auto vt = dyn_cast<VectorType>(t))
      c = DenseElementsAttr::get(vt, o.getI8IntegerAttr(-128));
    return arith::XOrIOp::create(o, loc, v,
                                 arith::ConstantOp::create(o, loc, cast<TypedAttr>(c)));
  };
  // Whole tiles (M a multiple of 8, K of D): copy D-byte groups.
  Value whole = arith::AndIOp::create(
      b, loc,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                            arith::RemUIOp::create(b, loc, M, idx(b, loc, 8)), c0),
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                            arith::RemUIOp::create(b, loc, K, idx(b, loc, D)), c0));
  auto split = scf::IfOp::create(b, loc, whole, /*withElse=*/true);
  // The loops over tiles and depth groups; `body` fills one (t, kd) group.
  auto loops = [&](OpBuilder &o,
                   function_ref<void(OpBuilder &, Value t, Value kd, Value base)> body) {
    auto t = scf::ForOp::create(o, loc, tBegin, tEnd, c1);
    OpBuilder ob = OpBuilder::atBlockBegin(t.getBody());
    auto kd = scf::ForOp::create(ob, loc, c0, KD, c1);
    OpBuilder ib = OpBuilder::atBlockBegin(kd.getBody());
    Value base = mulc(ib, loc, add(ib, loc, mul(ib, loc, t.getInductionVar(), KD),
                                   kd.getInductionVar()),
                      8 * D);
    body(ib, t.getInductionVar(), kd.getInductionVar(), base);
  };
  {
    OpBuilder f = split.getThenBodyBuilder();
    auto group = VectorType::get({D}, f.getI8Type());
    loops(f, [&](OpBuilder &ib, Value t, Value kd, Value base) {
      Value k = mulc(ib, loc, kd, D);
      for (int64_t r = 0; r < 8; ++r) {
        Value m = add(ib, loc, mulc(ib, loc, t, 8), idx(ib, loc, r));
        Value v = vector::LoadOp::create(ib, loc, group, X,
                                         ValueRange{add(ib, loc, mul(ib, loc, m, K), k)});
        vector::StoreOp::create(ib, loc, offset128(ib, v), A,
                                ValueRange{add(ib, loc, base, idx(ib, loc, D * r))});
      }
    });
  }
  {
    OpBuilder e = OpBuilder::atBlockBegin(&split.getElseRegion().front());
    Value zero = arith::ConstantOp::create(e, loc, e.getI8IntegerAttr(0));
    Value mLast = arith::SubIOp::create(e, loc, M, c1);
    Value kLast = arith::SubIOp::create(e, loc, K, c1);
    loops(e, [&](OpBuilder &ib, Value t, Value kd, Value base) {
      for (int64_t r = 0; r < 8; ++r) {
        Value m = add(ib, loc, mulc(ib, loc, t, 8), idx(ib, loc, r));
        Value mIn = arith::CmpIOp::create(ib, loc, arith::CmpIPredicate::slt, m, M);
        Value mc = arith::MinSIOp::create(ib, loc, m, mLast);
        for (int64_t j = 0; j < D; ++j) {
          Value k = add(ib, loc, mulc(ib, loc, kd, D), idx(ib, loc, j));
          Value in = arith::AndIOp::create(
              ib, loc, mIn, arith::CmpIOp::create(ib, loc, arith::CmpIPredicate::slt, k, K));
          // Clamped indices keep the load in bounds; the select drops it.
          Value kc = arith::MinSIOp::create(ib, loc, k, kLast);
          Value v = memref::LoadOp::create(
              ib, loc, X, ValueRange{add(ib, loc, mul(ib, loc, mc, K), kc)});
          v = arith::SelectOp::create(ib, loc, in, v, zero);
          memref::StoreOp::create(ib, loc, offset128(ib, v), A,
                                  ValueRange{add(ib, loc, base, idx(ib, loc, D * r + j))});
        }
      }
    });
  }
  func::ReturnOp::create(b, loc);
}

/// The arguments of a tiles function, by name.
struct TilesArgs {
  Block *entry;
  Value A, B, C, colsum, bias, M, N, MT, K4, jBegin, jEnd;
};

/// func.func private @<name>_tiles(%a, %b: memref<?xi8>, %c, %colsum, %bias:
///     memref<?xi32>, %M, %N, %MT, %K4, %jbegin, %jend): a new kernel body
/// computing the column tiles [jbegin, jend), and its arguments.
TilesArgs tilesFunction(OpBuilder &mb, Location loc, StringRef name) {
  Type index = mb.getIndexType();
  auto i8flat = flatType(mb, mb.getI8Type());
  auto i32flat = flatType(mb, mb.getI32Type());
  auto fn = func::FuncOp::create(
      mb, loc, (name + "_tiles").str(),
      mb.getFunctionType({i8flat, i8flat, i32flat, i32flat, i32flat, index,
                          index, index, index, index, index},
                         {}));
  fn.setPrivate();
  Block *e = fn.addEntryBlock();
  auto a = [&](unsigned i) { return e->getArgument(i); };
  return {e,    a(0), a(1), a(2), a(3), a(4), a(5),
          a(6), a(7), a(8), a(9), a(10)};
}

/// The x86-64 AVX512-VNNI tiles: 8 rows x up to 3 column tiles (48
/// columns) per block, 24 vector<16xi32> accumulators. Per step of 4 along
/// K: one 64-byte load per column tile, 8 broadcasts of a row's 4 bytes and
/// 24 `vpdpbusd`, so each broadcast feeds three multiply-accumulates. The
/// activations are packed as x + 128 (vpdpbusd multiplies unsigned by signed
/// bytes); 128 * colsum[n] is subtracted when storing.
void buildTilesVnni(OpBuilder &mb, Location loc, StringRef name) {
  TilesArgs t = tilesFunction(mb, loc, name);
  OpBuilder b = OpBuilder::atBlockBegin(t.entry);
  Value A = t.A, B = t.B, C = t.C, S = t.colsum, Bias = t.bias, M = t.M,
        N = t.N, MT = t.MT, K4 = t.K4, jBegin = t.jBegin, jEnd = t.jEnd;
  auto accType = VectorType::get({16}, b.getI32Type());
  auto v64i8 = VectorType::get({64}, b.getI8Type());
  auto v4i8 = VectorType::get({4}, b.getI8Type());
  auto v1i32 = VectorType::get({1}, b.getI32Type());
  Value c0 = idx(b, loc, 0), c1 = idx(b, loc, 1);

  // Column tiles [j, j + width) for every row tile, its first `rows` rows
  // (8, or 1 for a matrix-vector product).
  auto columns = [&](OpBuilder &o, Value j, int64_t width, int64_t rows) {
    SmallVector<Value> n0, bTile, start;
    for (int64_t c = 0; c < width; ++c) {
      Value jc = add(o, loc, j, idx(o, loc, c));
      n0.push_back(mulc(o, loc, jc, 16));
      bTile.push_back(mulc(o, loc, mul(o, loc, jc, K4), 64));
      Value bias = vector::LoadOp::create(o, loc, accType, Bias, ValueRange{n0.back()});
      Value sum = vector::LoadOp::create(o, loc, accType, S, ValueRange{n0.back()});
      start.push_back(arith::SubIOp::create(
          o, loc, bias,
          arith::ShLIOp::create(
              o, loc, sum,
              arith::ConstantOp::create(
                  o, loc, DenseElementsAttr::get(accType, o.getI32IntegerAttr(7))))));
    }
    auto rowLoop = scf::ForOp::create(o, loc, c0, MT, c1);
    OpBuilder rb = OpBuilder::atBlockBegin(rowLoop.getBody());
    Value i = rowLoop.getInductionVar();
    Value aTile = mulc(rb, loc, mul(rb, loc, i, K4), 32);
    Value zero = arith::ConstantOp::create(
        rb, loc, DenseElementsAttr::get(accType, rb.getI32IntegerAttr(0)));
    SmallVector<Value> init(rows * width, zero); // [row][column tile]
    auto kLoop = scf::ForOp::create(
        rb, loc, c0, K4, c1, init,
        [&](OpBuilder &bb, Location l, Value k, ValueRange accIn) {
          Value aOff = add(bb, l, aTile, mulc(bb, l, k, 32));
          SmallVector<Value> bv;
          for (int64_t c = 0; c < width; ++c)
            bv.push_back(vector::LoadOp::create(
                bb, l, v64i8, B, ValueRange{add(bb, l, bTile[c], mulc(bb, l, k, 64))}));
          SmallVector<Value> next;
          for (int64_t r = 0; r < rows; ++r) {
            Value a4 = vector::LoadOp::create(bb, l, v4i8, A,
                                              ValueRange{add(bb, l, aOff, idx(bb, l, 4 * r))});
            Value a = vector::ExtractOp::create(
                bb, l, vector::BitCastOp::create(bb, l, v1i32, a4), ArrayRef<int64_t>{0});
            Value av = vector::BitCastOp::create(
                bb, l, v64i8, vector::BroadcastOp::create(bb, l, accType, a));
            for (int64_t c = 0; c < width; ++c)
              next.push_back(LLVM::CallIntrinsicOp::create(
                                 bb, l, accType,
                                 bb.getStringAttr("llvm.x86.avx512.vpdpbusd.512"),
                                 ValueRange{accIn[r * width + c], av, bv[c]})
                                 .getResult(0));
          }
          scf::YieldOp::create(bb, l, next);
        });
    Value m0 = mulc(rb, loc, i, 8);
    for (int64_t c = 0; c < width; ++c) {
      SmallVector<Value> out;
      for (int64_t r = 0; r < rows; ++r)
        out.push_back(arith::AddIOp::create(rb, loc, kLoop.getResult(r * width + c), start[c]));
      storeTile(rb, loc, C, M, N, m0, n0[c], out, 16);
    }
  };

  // Whole groups of three column tiles, then the one or two left.
  auto sweep = [&](OpBuilder &o, int64_t rows) {
    Value count = arith::SubIOp::create(o, loc, jEnd, jBegin);
    Value groups = arith::DivUIOp::create(o, loc, count, idx(o, loc, 3));
    auto gl = scf::ForOp::create(o, loc, c0, groups, c1);
    {
      OpBuilder gb = OpBuilder::atBlockBegin(gl.getBody());
      columns(gb, add(gb, loc, jBegin, mulc(gb, loc, gl.getInductionVar(), 3)), 3,
              rows);
    }
    Value rest = arith::RemUIOp::create(o, loc, count, idx(o, loc, 3));
    Value jRest = add(o, loc, jBegin, mulc(o, loc, groups, 3));
    for (int64_t width : {2, 1}) {
      Value is = arith::CmpIOp::create(o, loc, arith::CmpIPredicate::eq, rest,
                                       idx(o, loc, width));
      auto ifOp = scf::IfOp::create(o, loc, is, /*withElse=*/false);
      OpBuilder tb = ifOp.getThenBodyBuilder();
      columns(tb, jRest, width, rows);
    }
  };
  // A matrix-vector product (M = 1) computes only its row, not the tile's 8.
  Value vectorCase = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, M, c1);
  auto split = scf::IfOp::create(b, loc, vectorCase, /*withElse=*/true);
  {
    OpBuilder tb = split.getThenBodyBuilder();
    sweep(tb, 1);
  }
  {
    OpBuilder eb = split.getElseBodyBuilder();
    sweep(eb, 8);
  }
  func::ReturnOp::create(b, loc);
}


/// The i8mm tiles: 8 rows x 16 columns in two passes of 8 columns. Per step
/// of 8 along K, four 16-byte loads of A (row pairs x 8 bytes), two of each
/// of the two 4-deep B chunks, zipped into column pairs x 8 bytes, and 16
/// `smmla` into 2x2 blocks of the result.
void buildTilesMmla(OpBuilder &mb, Location loc, StringRef name) {
  TilesArgs t = tilesFunction(mb, loc, name);
  OpBuilder b = OpBuilder::atBlockBegin(t.entry);
  Value A = t.A, B = t.B, C = t.C, Bias = t.bias, M = t.M, N = t.N, MT = t.MT,
        K4 = t.K4;
  auto v4i32 = VectorType::get({4}, b.getI32Type());
  auto v16i8 = VectorType::get({16}, b.getI8Type());
  Value c0 = idx(b, loc, 0), c1 = idx(b, loc, 1);
  Value K8 = arith::DivUIOp::create(b, loc, K4, idx(b, loc, 2));
  auto nLoop = scf::ForOp::create(b, loc, t.jBegin, t.jEnd, c1);
  b.setInsertionPointToStart(nLoop.getBody());
  Value j = nLoop.getInductionVar();
  Value n0 = mulc(b, loc, j, 16);
  Value bTile = mulc(b, loc, mul(b, loc, j, K4), 64);
  auto mLoop = scf::ForOp::create(b, loc, c0, MT, c1);
  b.setInsertionPointToStart(mLoop.getBody());
  Value i = mLoop.getInductionVar();
  Value aTile = mulc(b, loc, mul(b, loc, i, K8), 64);
  for (int64_t pass = 0; pass < 2; ++pass) {
    Value zero = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(v4i32, b.getI32IntegerAttr(0)));
    SmallVector<Value> init(16, zero); // [row pair p][column pair q]
    auto kLoop = scf::ForOp::create(
        b, loc, c0, K8, c1, init,
        [&](OpBuilder &bb, Location l, Value k, ValueRange accIn) {
          Value aOff = add(bb, l, aTile, mulc(bb, l, k, 64));
          // Chunks 2k and 2k+1 of the column tile, this pass's 8 columns.
          Value b0Off = add(bb, l, add(bb, l, bTile, mulc(bb, l, k, 128)),
                            idx(bb, l, 32 * pass));
          Value b1Off = add(bb, l, b0Off, idx(bb, l, 64));
          SmallVector<Value> av, bv;
          for (int64_t p = 0; p < 4; ++p)
            av.push_back(vector::LoadOp::create(
                bb, l, v16i8, A, ValueRange{add(bb, l, aOff, idx(bb, l, 16 * p))}));
          for (int64_t g = 0; g < 2; ++g) {
            Value lo = vector::BitCastOp::create(
                bb, l, v4i32,
                vector::LoadOp::create(bb, l, v16i8, B,
                                       ValueRange{add(bb, l, b0Off, idx(bb, l, 16 * g))}));
            Value hi = vector::BitCastOp::create(
                bb, l, v4i32,
                vector::LoadOp::create(bb, l, v16i8, B,
                                       ValueRange{add(bb, l, b1Off, idx(bb, l, 16 * g))}));
            // zip1/zip2 of 32-bit lanes: column (k0-3, k4-7) pairs.
            static const int64_t zips[2][4] = {{0, 4, 1, 5}, {2, 6, 3, 7}};
            for (const auto &lanes : zips)
              bv.push_back(vector::BitCastOp::create(
                  bb, l, v16i8,
                  vector::ShuffleOp::create(bb, l, lo, hi, ArrayRef<int64_t>(lanes))));
          }
          SmallVector<Value> next;
          for (int64_t p = 0; p < 4; ++p)
            for (int64_t q = 0; q < 4; ++q)
              next.push_back(arm_neon::SmmlaOp::create(bb, l, v4i32, accIn[p * 4 + q],
                                                       av[p], bv[q]));
          scf::YieldOp::create(bb, l, next);
        });
    // Rows of the 8x8 block: row 2p (2p + 1) of columns 4s .. 4s + 3 is
    // lanes 0-1 (2-3) of blocks (p, 2s) and (p, 2s + 1).
    Value colBase = add(b, loc, n0, idx(b, loc, 8 * pass));
    SmallVector<Value> start;
    for (int64_t sgm = 0; sgm < 2; ++sgm)
      start.push_back(vector::LoadOp::create(
          b, loc, v4i32, Bias, ValueRange{add(b, loc, colBase, idx(b, loc, 4 * sgm))}));
    SmallVector<Value> rowsOut; // [row][segment]
    for (int64_t r = 0; r < 8; ++r)
      for (int64_t sgm = 0; sgm < 2; ++sgm) {
        int64_t p = r / 2, h = r % 2;
        Value x = kLoop.getResult(p * 4 + 2 * sgm), y = kLoop.getResult(p * 4 + 2 * sgm + 1);
        Value row = vector::ShuffleOp::create(
            b, loc, x, y,
            h == 0 ? ArrayRef<int64_t>{0, 1, 4, 5} : ArrayRef<int64_t>{2, 3, 6, 7});
        rowsOut.push_back(arith::AddIOp::create(b, loc, row, start[sgm]));
      }
    storeTile(b, loc, C, M, N, mulc(b, loc, i, 8), colBase, rowsOut, 4, 8);
  }
  b.setInsertionPointAfter(nLoop);
  func::ReturnOp::create(b, loc);
}

/// The dot-product tiles (dotprod, base): C = bias' + A * B^T on
/// the 8x16 tiles of the column tiles [jbegin, jend) (one task of
/// qcrt_parallel_for). Column tiles outside, row tiles inside: a B tile is
/// reused by every row tile while it is in cache.
void buildTiles(OpBuilder &mb, Location loc, StringRef name, DotKind kind) {
  TilesArgs t = tilesFunction(mb, loc, name);
  OpBuilder b = OpBuilder::atBlockBegin(t.entry);
  Value A = t.A, B = t.B, C = t.C, Bias = t.bias, M = t.M, N = t.N, MT = t.MT,
        K4 = t.K4;
  auto accType = VectorType::get({4}, b.getI32Type());
  Value c0 = idx(b, loc, 0), c1 = idx(b, loc, 1);
  auto nLoop = scf::ForOp::create(b, loc, t.jBegin, t.jEnd, c1);
  b.setInsertionPointToStart(nLoop.getBody());
  Value j = nLoop.getInductionVar();
  Value n0 = mulc(b, loc, j, 16);
  Value bTile = mulc(b, loc, mul(b, loc, j, K4), 64);
  // Every row of the tile starts from bias'[n] (the bias with the input's
  // zero point folded in).
  SmallVector<Value> start;
  for (int64_t q = 0; q < 4; ++q)
    start.push_back(vector::LoadOp::create(
        b, loc, accType, Bias, ValueRange{add(b, loc, n0, idx(b, loc, 4 * q))}));

  // Rows [8i + first, 8i + first + 4): one k loop, then the store.
  auto block = [&](OpBuilder &o, Value i, int64_t first) {
    Value zero = arith::ConstantOp::create(
        o, loc, DenseElementsAttr::get(accType, o.getI32IntegerAttr(0)));
    SmallVector<Value> init(16, zero); // [row][group of 4 columns]
    Value aTile = mulc(o, loc, mul(o, loc, i, K4), 32);
    auto kLoop = scf::ForOp::create(
        o, loc, c0, K4, c1, init,
        [&](OpBuilder &bb, Location l, Value k, ValueRange accIn) {
          auto v16i8 = VectorType::get({16}, bb.getI8Type());
          Value aOff = add(bb, l, aTile, mulc(bb, l, k, 32));
          Value bOff = add(bb, l, bTile, mulc(bb, l, k, 64));
          Value av = vector::LoadOp::create(
              bb, l, v16i8, A, ValueRange{add(bb, l, aOff, idx(bb, l, 4 * first))});
          SmallVector<Value> bv;
          for (int64_t q = 0; q < 4; ++q)
            bv.push_back(vector::LoadOp::create(
                bb, l, v16i8, B, ValueRange{add(bb, l, bOff, idx(bb, l, 16 * q))}));
          SmallVector<Value> next;
          for (int64_t r = 0; r < 4; ++r)
            for (int64_t q = 0; q < 4; ++q)
              next.push_back(dot4(bb, l, kind, accIn[r * 4 + q], bv[q], av, r));
          scf::YieldOp::create(bb, l, next);
        });
    SmallVector<Value> rows;
    for (int64_t k = 0; k < 16; ++k)
      rows.push_back(arith::AddIOp::create(o, loc, kLoop.getResult(k), start[k % 4]));
    Value m0 = add(o, loc, mulc(o, loc, i, 8), idx(o, loc, first));
    storeTile(o, loc, C, M, N, m0, n0, rows, 4);
  };

  // Each row tile in two passes of 4 rows; column tiles outside, row tiles
  // inside, so a B tile is reused by every row tile while it is in cache.
  auto ml = scf::ForOp::create(b, loc, c0, MT, c1);
  OpBuilder pb = OpBuilder::atBlockBegin(ml.getBody());
  block(pb, ml.getInductionVar(), 0);
  block(pb, ml.getInductionVar(), 4);
  b.setInsertionPointAfter(nLoop);
  func::ReturnOp::create(b, loc);
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
  if (gemms.empty())
    return success();
  MLIRContext *ctx = module.getContext();
  ctx->loadDialect<arm_neon::ArmNeonDialect, LLVM::LLVMDialect, scf::SCFDialect,
                   vector::VectorDialect>();
  const StringRef name = "qc_gemm_s8";
  Location loc = module.getLoc();
  {
    OpBuilder mb(ctx);
    mb.setInsertionPointToEnd(module.getBody());
    Type index = mb.getIndexType();
    auto i8flat = flatType(mb, mb.getI8Type());
    auto i32flat = flatType(mb, mb.getI32Type());
    // Bound per variant by the code generator (Emit.cpp).
    auto decl = func::FuncOp::create(
        mb, loc, name,
        mb.getFunctionType({i8flat, i8flat, i8flat, i32flat, i32flat, i32flat,
                            pool.getType(), index, index, index, index, index,
                            index, index},
                           {}));
    decl.setPrivate();
    for (auto [suffix, kind] :
         {std::pair<StringRef, DotKind>{"_base", DotKind::Generic},
          {"_dotprod", DotKind::SDot},
          {"_i8mm", DotKind::Mmla},
          {"_avx512vnni", DotKind::Vnni}}) {
      buildPack(mb, loc, (name + suffix).str(), kind);
      if (kind == DotKind::Mmla)
        buildTilesMmla(mb, loc, (name + suffix).str());
      else if (kind == DotKind::Vnni)
        buildTilesVnni(mb, loc, (name + suffix).str());
      else
        buildTiles(mb, loc, (name + suffix).str(), kind);
    }
  }
  unsigned counter = 0;
  for (linalg::GenericOp g : gemms) {
    Value x = g.getDpsInputOperand(0)->get();
    Value w = g.getDpsInputOperand(1)->get();
    Value c = g.getDpsInitOperand(0)->get();
    auto colsumAttr = g->getAttrOfType<DenseElementsAttr>("qc.colsum");
    auto biasAttr = g->getAttrOfType<DenseElementsAttr>("qc.bias");
    auto xt = cast<MemRefType>(x.getType()), wt = cast<MemRefType>(w.getType()),
         ct = cast<MemRefType>(c.getType());
    // The kernels read the buffers as flat row-major arrays; any other
    // layout keeps the loop form.
    if (!colsumAttr || !biasAttr || !xt.getLayout().isIdentity() ||
        !wt.getLayout().isIdentity() || !ct.getLayout().isIdentity())
      continue;
    // The kernel writes bias' + products: the initialisation of the
    // accumulator (tagged qc.kernel_init) is not needed.
    Operation *init = kernelInit(g, c);
    if (!init)
      continue;
    init->erase();
    int64_t M = ct.getShape()[0], N = ct.getShape()[1], K = xt.getShape()[1];
    int64_t MT = (M + 7) / 8, NT = wt.getShape()[0], K4 = wt.getShape()[1];
    Location gloc = g.getLoc();
    OpBuilder b(g);
    Value ap = memref::AllocOp::create(
        b, gloc, MemRefType::get({MT, K4, 32}, b.getI8Type()));
    auto global = [&](DenseElementsAttr value, StringRef what) -> Value {
      std::string sym = (name + "_" + what + Twine(counter)).str();
      auto t = MemRefType::get(value.getType().getShape(), b.getI32Type());
      OpBuilder mb(ctx);
      mb.setInsertionPointToStart(module.getBody());
      memref::GlobalOp::create(mb, gloc, sym, mb.getStringAttr("private"), t,
                               value, /*constant=*/true, IntegerAttr());
      return memref::GetGlobalOp::create(b, gloc, t, sym);
    };
    Value colsum = global(colsumAttr, "colsum");
    Value bias = global(biasAttr, "bias");
    ++counter;
    // At least ~64K multiply-accumulates per task, and whole groups of
    // three column tiles (the x86 kernel's block).
    int64_t grain = std::max<int64_t>(1, 65536 / std::max<int64_t>(1, 16 * M * K));
    grain = 3 * ((grain + 2) / 3);
    SmallVector<Value> args = {flatten(b, gloc, x),      flatten(b, gloc, ap),
                               flatten(b, gloc, w),      flatten(b, gloc, c),
                               flatten(b, gloc, colsum), flatten(b, gloc, bias),
                               pool};
    for (int64_t v : {NT, grain, M, N, K, MT, K4})
      args.push_back(idx(b, gloc, v));
    func::CallOp::create(b, gloc, name, TypeRange{}, args);
    g.erase();
  }
  return success();
}
