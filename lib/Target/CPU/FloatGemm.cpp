//===- FloatGemm.cpp - f32 GEMM kernels ------------------------------------===//
//
// Part of quantc.
//
// convert-qc-to-linalg lowers the float form of a linear layer, of a
// convolution with one group (through im2col) and of a matmul with a
// constant rank-2 right-hand side to a tagged linalg.generic
// (`qc.kernel = "fgemm"`): y[M,N] = bias[n] + sum_k x[m,k] * w[n,k], with
// the constant weight repacked into column tiles [N/16][K][16] (zero
// padded) and the bias, padded to whole tiles, in `qc.bias` (or read from
// the padded tensor the initialisation slices). In the bufferized model the
// generic and its bias initialisation become one call
//
//   @qc_fgemm(x, w, bias, y, M, N, K, MC, pool, count, grain)
//
// bound per ISA variant by the code generator (Emit.cpp) to tasks on the
// runtime's thread pool, each running
//
//   @qc_fgemm_<variant>_tiles(x, w, bias, y, M, N, K, MC, begin, end)
//
// A task unit is a (row chunk, column tile) pair, u = chunk * NT + tile:
// MC rows (a compile-time multiple of every kernel's row block, chosen so a
// chunk of x stays in cache while the tiles of its row sweep over it) by 16
// columns. Consecutive units share the chunk. Each output element is
// computed by one unit, in k order from the bias, so the result does not
// depend on the thread count.
//
// The activations are read in place (row-major, one broadcast per row and
// step of k); the weights a tile row (16 floats) per step. The register
// blocks, all with fused multiply-adds (math.fma):
//   - NEON (`base`, `dotprod`, `i8mm` on AArch64 share the f32 code): 6 rows
//     x 16 columns, 24 vector<4xf32> accumulators, four 16-byte weight loads
//     per step. On x86-64 `base` (AVX2 + FMA) the same function is 6 rows x
//     2 vector<8xf32> (12 ymm accumulators): it is written with
//     vector<8xf32>, which the AArch64 backend splits into q registers.
//   - x86-64 `avx512vnni` (AVX-512F): 12 rows x 2 column tiles, 24
//     vector<16xf32> (zmm) accumulators; per step two 64-byte weight loads
//     and 12 broadcasts, each feeding two FMAs.
// Rows left over in a chunk go in passes of 4, then 1.
//
//===----------------------------------------------------------------------===//

#include "qc/Target/CPU/CPUCodegen.h"

#include "KernelBuilder.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::cpu;
using namespace mlir::qc::cpu::kb;

namespace {

/// A variant's register block: `lanes` per vector, `rows` activation rows by
/// `width` column tiles of 16.
struct RegBlock {
  int64_t lanes, rows, width;
};

/// Every row block divides this: chunk sizes are multiples of it.
constexpr int64_t kRowQuantum = 12;

/// func.func private @<name>_tiles(%x, %w, %bias, %y: memref<?xf32>, %M, %N,
///     %K, %MC, %begin, %end): the units [begin, end).
void buildTiles(OpBuilder &mb, Location loc, StringRef name, RegBlock blk) {
  Type index = mb.getIndexType();
  auto f32flat = flatType(mb, mb.getF32Type());
  auto fn = func::FuncOp::create(
      mb, loc, (name + "_tiles").str(),
      mb.getFunctionType({f32flat, f32flat, f32flat, f32flat, index, index, index,
                          index, index, index},
                         {}));
  fn.setPrivate();
  Block *entry = fn.addEntryBlock();
  auto arg = [&](unsigned i) { return entry->getArgument(i); };
  Value X = arg(0), W = arg(1), Bias = arg(2), Y = arg(3), M = arg(4), N = arg(5),
        K = arg(6), MC = arg(7), uBegin = arg(8), uEnd = arg(9);
  OpBuilder b = OpBuilder::atBlockBegin(entry);
  auto vt = VectorType::get({blk.lanes}, b.getF32Type());
  int64_t perTile = 16 / blk.lanes;
  Value c0 = idx(b, loc, 0), c1 = idx(b, loc, 1);
  Value NT = arith::DivUIOp::create(b, loc, add(b, loc, N, idx(b, loc, 15)),
                                    idx(b, loc, 16));
  Value K16 = mulc(b, loc, K, 16);

  // Rows [m0, m0 + rows) x column tiles [j, j + width).
  auto pass = [&](OpBuilder &o, Value m0, int64_t rows, Value j, int64_t width) {
    SmallVector<Value> n0, wTile, init;
    for (int64_t c = 0; c < width; ++c) {
      Value jc = add(o, loc, j, idx(o, loc, c));
      n0.push_back(mulc(o, loc, jc, 16));
      wTile.push_back(mul(o, loc, jc, K16));
    }
    SmallVector<Value> bias; // [c][q]
    for (int64_t c = 0; c < width; ++c)
      for (int64_t q = 0; q < perTile; ++q)
        bias.push_back(vector::LoadOp::create(
            o, loc, vt, Bias, ValueRange{add(o, loc, n0[c], idx(o, loc, blk.lanes * q))}));
    SmallVector<Value> xRow;
    for (int64_t r = 0; r < rows; ++r) {
      xRow.push_back(mul(o, loc, add(o, loc, m0, idx(o, loc, r)), K));
      init.append(bias.begin(), bias.end()); // [r][c][q]
    }
    auto kl = scf::ForOp::create(
        o, loc, c0, K, c1, init,
        [&](OpBuilder &bb, Location l, Value k, ValueRange acc) {
          Value k16 = mulc(bb, l, k, 16);
          SmallVector<Value> wv;
          for (int64_t c = 0; c < width; ++c)
            for (int64_t q = 0; q < perTile; ++q)
              wv.push_back(vector::LoadOp::create(
                  bb, l, vt, W,
                  ValueRange{add(bb, l, add(bb, l, wTile[c], k16), idx(bb, l, blk.lanes * q))}));
          SmallVector<Value> next;
          for (int64_t r = 0; r < rows; ++r) {
            Value a = memref::LoadOp::create(bb, l, X, ValueRange{add(bb, l, xRow[r], k)});
            Value av = vector::BroadcastOp::create(bb, l, vt, a);
            for (int64_t i = 0; i < width * perTile; ++i)
              next.push_back(math::FmaOp::create(bb, l, wv[i], av,
                                                 acc[r * width * perTile + i]));
          }
          scf::YieldOp::create(bb, l, next);
        });
    for (int64_t c = 0; c < width; ++c) {
      SmallVector<Value> out;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t q = 0; q < perTile; ++q)
          out.push_back(kl.getResult((r * width + c) * perTile + q));
      storeTile(o, loc, Y, M, N, m0, n0[c], out, blk.lanes);
    }
  };

  // Rows [mBegin, mEnd): blocks of `rows`, then passes of 4 and 1.
  auto sweepRows = [&](OpBuilder &o, Value mBegin, Value mEnd, Value j, int64_t width) {
    SmallVector<int64_t> sizes = {blk.rows};
    for (int64_t s : {4, 1})
      if (s < blk.rows)
        sizes.push_back(s);
    Value m = mBegin;
    for (int64_t s : sizes) {
      Value count = arith::DivUIOp::create(o, loc, arith::SubIOp::create(o, loc, mEnd, m),
                                           idx(o, loc, s));
      auto rl = scf::ForOp::create(o, loc, c0, count, c1);
      OpBuilder rb = OpBuilder::atBlockBegin(rl.getBody());
      pass(rb, add(rb, loc, m, mulc(rb, loc, rl.getInductionVar(), s)), s, j, width);
      m = add(o, loc, m, mulc(o, loc, count, s));
    }
  };

  // The row chunks the units touch; in each, the column tiles [lo, hi).
  Value chBegin = arith::DivUIOp::create(b, loc, uBegin, NT);
  Value chEnd = arith::DivUIOp::create(
      b, loc, arith::SubIOp::create(b, loc, add(b, loc, uEnd, NT), c1), NT);
  auto cl = scf::ForOp::create(b, loc, chBegin, chEnd, c1);
  {
    OpBuilder o = OpBuilder::atBlockBegin(cl.getBody());
    Value ch = cl.getInductionVar();
    Value first = mul(o, loc, ch, NT);
    Value lo = arith::MaxSIOp::create(o, loc, arith::SubIOp::create(o, loc, uBegin, first), c0);
    Value hi = arith::MinSIOp::create(o, loc, arith::SubIOp::create(o, loc, uEnd, first), NT);
    Value mBegin = mul(o, loc, ch, MC);
    Value mEnd = arith::MinSIOp::create(o, loc, add(o, loc, mBegin, MC), M);
    Value count = arith::SubIOp::create(o, loc, hi, lo);
    Value groups = arith::DivUIOp::create(o, loc, count, idx(o, loc, blk.width));
    auto gl = scf::ForOp::create(o, loc, c0, groups, c1);
    {
      OpBuilder gb = OpBuilder::atBlockBegin(gl.getBody());
      sweepRows(gb, mBegin, mEnd, add(gb, loc, lo, mulc(gb, loc, gl.getInductionVar(), blk.width)),
                blk.width);
    }
    // Column tiles left over (fewer than the block's width): one at a time.
    if (blk.width > 1) {
      auto rest = scf::ForOp::create(o, loc, add(o, loc, lo, mulc(o, loc, groups, blk.width)),
                                     hi, c1);
      OpBuilder rb = OpBuilder::atBlockBegin(rest.getBody());
      sweepRows(rb, mBegin, mEnd, rest.getInductionVar(), 1);
    }
  }
  b.setInsertionPointAfter(cl);
  func::ReturnOp::create(b, loc);
}


} // namespace

LogicalResult cpu::outlineFloatGemms(ModuleOp module, func::FuncOp f, Value pool) {
  SmallVector<linalg::GenericOp> gemms;
  f.walk([&](linalg::GenericOp g) {
    auto kind = g->getAttrOfType<StringAttr>("qc.kernel");
    if (kind && kind.getValue() == "fgemm" && g.hasPureBufferSemantics() &&
        g.getNumDpsInputs() == 2 && g.getNumDpsInits() == 1)
      gemms.push_back(g);
  });
  if (gemms.empty())
    return success();
  MLIRContext *ctx = module.getContext();
  ctx->loadDialect<LLVM::LLVMDialect, math::MathDialect, scf::SCFDialect,
                   vector::VectorDialect>();
  const StringRef name = "qc_fgemm";
  Location loc = module.getLoc();
  bool built = false;
  unsigned counter = 0;
  for (linalg::GenericOp g : gemms) {
    Value x = g.getDpsInputOperand(0)->get(), w = g.getDpsInputOperand(1)->get(),
          y = g.getDpsInitOperand(0)->get();
    Operation *init = kernelInit(g, y);
    if (!init || init->getNumOperands() != 2 ||
        !llvm::all_of(ValueRange{x, w, y}, identityLayout))
      continue;
    ArrayRef<int64_t> ys = cast<MemRefType>(y.getType()).getShape();
    ArrayRef<int64_t> xs = cast<MemRefType>(x.getType()).getShape();
    ArrayRef<int64_t> wshape = cast<MemRefType>(w.getType()).getShape();
    if (ys.size() != 2 || xs.size() != 2 || wshape.size() != 3)
      continue;
    int64_t M = ys[0], N = ys[1], K = xs[1], NT = (N + 15) / 16;
    if (xs[0] != M || wshape[0] != NT || wshape[1] != K || wshape[2] != 16)
      continue;
    Location gloc = g.getLoc();
    OpBuilder b(g);
    // The bias padded to whole tiles: the constant, or the padded tensor the
    // initialisation reads the first N values of.
    Value bias;
    if (auto attr = g->getAttrOfType<DenseElementsAttr>("qc.bias")) {
      std::string sym = (name + "_bias" + Twine(counter++)).str();
      auto t = MemRefType::get({NT * 16}, b.getF32Type());
      OpBuilder mb(ctx);
      mb.setInsertionPointToStart(module.getBody());
      memref::GlobalOp::create(mb, gloc, sym, mb.getStringAttr("private"), t, attr,
                               /*constant=*/true, IntegerAttr());
      bias = memref::GetGlobalOp::create(b, gloc, t, sym);
    } else {
      bias = init->getOperand(0);
      if (auto view = bias.getDefiningOp<memref::SubViewOp>())
        bias = view.getSource();
      if (!identityLayout(bias) ||
          cast<MemRefType>(bias.getType()).getNumElements() != NT * 16)
        continue;
    }
    if (!built) {
      built = true;
      OpBuilder mb(ctx);
      mb.setInsertionPointToEnd(module.getBody());
      Type index = mb.getIndexType();
      auto f32flat = flatType(mb, mb.getF32Type());
      // Bound per variant by the code generator (Emit.cpp).
      auto decl = func::FuncOp::create(
          mb, loc, name,
          mb.getFunctionType({f32flat, f32flat, f32flat, f32flat, index, index, index,
                              index, pool.getType(), index, index},
                             {}));
      decl.setPrivate();
      buildTiles(mb, loc, (name + "_base").str(), {8, 6, 1});
      buildTiles(mb, loc, (name + "_dotprod").str(), {4, 6, 1});
      buildTiles(mb, loc, (name + "_i8mm").str(), {4, 6, 1});
      buildTiles(mb, loc, (name + "_avx512vnni").str(), {16, 12, 2});
    }
    // Row chunks of about 64 KiB of activations (at least one row block,
    // at most 384 rows), so a chunk stays in cache while its column tiles
    // sweep it.
    int64_t MC = std::clamp<int64_t>((16384 / std::max<int64_t>(K, 1)) / kRowQuantum *
                                         kRowQuantum,
                                     kRowQuantum, 384);
    MC = std::min(MC, (M + kRowQuantum - 1) / kRowQuantum * kRowQuantum);
    int64_t chunks = (M + MC - 1) / MC;
    // At least ~64K multiply-adds per task.
    int64_t grain = std::max<int64_t>(1, 65536 / std::max<int64_t>(1, 16 * MC * K));
    SmallVector<Value> args;
    for (Value v : {x, w, bias, y})
      args.push_back(flatten(b, gloc, v));
    for (int64_t v : {M, N, K, MC})
      args.push_back(idx(b, gloc, v));
    args.push_back(pool);
    args.push_back(idx(b, gloc, chunks * NT));
    args.push_back(idx(b, gloc, grain));
    func::CallOp::create(b, gloc, name, TypeRange{}, args);
    g.erase();
    init->erase();
  }
  return success();
}
