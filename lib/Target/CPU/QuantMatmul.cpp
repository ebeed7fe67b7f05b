//===- QuantMatmul.cpp - block-quantized matvec/matmul kernels ------------===//
//
// Part of quantc.
//
// convert-qc-to-linalg lowers the dynamic form with a block quantized weight
// (w4a8-dynamic: 4-bit weights in blocks of B along K, activations quantized
// to int8 per row and block at run time, the Q4_0 x Q8_0 idea) to two
// tagged linalg.generic ops: `qmm_acc` (the integer dot product of every
// block) and `qmm` (the blocks scaled and added in order, onto the bias). In
// the bufferized model both, with the bias initialisation and the per-block
// accumulator buffer, become one call
//
//   @qc_qmm_q<bits>_b<B>(xq, xs, xsum, w, ws, bias, y, M, N, K, pool, NT, grain)
//
// bound per ISA variant by the code generator to tasks of 16-row weight
// tiles on the runtime's thread pool (Emit.cpp), each running
//
//   @qc_qmm_q<bits>_b<B>_<variant>_tiles(xq .. y, M, N, K, jbegin, jend)
//
// The weight layout (QCToLinalg.cpp, lowerDynamicBlocks): per tile of 16
// output channels and per 32-deep chunk of a block, 4 groups (4-bit codes)
// or 8 groups (8-bit codes) of 64 bytes, each 16 rows x 4 bytes; a 4-bit
// group's bytes hold k = 4j + i in the low nibble and k + 16 in the high one,
// in two's complement. Weight scales are stored as they are (f32).
//
//   - NEON (`dotprod`, `i8mm`; `base` with portable dot products) walks a tile
//     as four quarters of 4 rows: per chunk and quarter, four 16-byte loads;
//     `shl #4` and `and #0xf0` turn each into the low and high nibbles times
//     16, and eight lane-indexed `sdot` against the row's 32 activation bytes
//     accumulate the 4 rows. Rows of the activation go in pairs, sharing the
//     unpacked weights. Per block and 4 rows: one shift (the products came
//     out times 16), one convert, two multiplies and one add:
//     y += f32(acc) * (s_w * s_x), the executor's f32(acc) * f32(s_x * s_w)
//     with the same two roundings, so the result is bit-exact for every
//     scale (subnormal and overflowing products included).
//   - x86-64 `avx512vnni` takes a whole tile per 64-byte load: the codes xor
//     0x88 (0x80 for 8 bits) are w + 8 (w + 128) as unsigned bytes, split into
//     nibbles with `and`/shift, and `vpdpbusd` multiplies them with the
//     broadcast activation bytes; O * sum(x_q) of the block (computed with
//     the activation) removes the offset. Four activation rows per pass.
//
//===----------------------------------------------------------------------===//

#include "qc/Target/CPU/CPUCodegen.h"

#include "KernelBuilder.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <set>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::cpu;
using namespace mlir::qc::cpu::kb;

namespace {

/// The arguments of a tiles function, by name.
struct QmmArgs {
  Block *entry;
  Value xq, xs, xsum, w, ws, bias, y, M, N, K, jBegin, jEnd;
};

/// A kernel's compile-time parameters: code width (4 or 8) and block size.
struct QmmShape {
  int64_t bits, block;
  int64_t chunks() const { return block / 32; }
  int64_t groups() const { return bits == 4 ? 4 : 8; }
  int64_t chunkBytes() const { return groups() * 64; }
};

QmmArgs qmmFunction(OpBuilder &mb, Location loc, StringRef name) {
  Type index = mb.getIndexType();
  auto i8flat = flatType(mb, mb.getI8Type());
  auto i32flat = flatType(mb, mb.getI32Type());
  auto f32flat = flatType(mb, mb.getF32Type());
  auto fn = func::FuncOp::create(
      mb, loc, (name + "_tiles").str(),
      mb.getFunctionType({i8flat, f32flat, i32flat, i8flat, f32flat, f32flat,
                          f32flat, index, index, index, index, index},
                         {}));
  fn.setPrivate();
  Block *e = fn.addEntryBlock();
  auto a = [&](unsigned i) { return e->getArgument(i); };
  return {e,    a(0), a(1), a(2), a(3), a(4),  a(5),
          a(6), a(7), a(8), a(9), a(10), a(11)};
}

Value splat(OpBuilder &b, Location loc, VectorType t, Attribute v) {
  return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(t, v));
}

/// Runs pass(m0, rows) over the activation rows [0, M): groups of `wide`
/// rows, then the rest one by one.
void forRows(OpBuilder &b, Location loc, Value M, int64_t wide,
             function_ref<void(OpBuilder &, Value, int64_t)> pass) {
  Value c0 = idx(b, loc, 0), c1 = idx(b, loc, 1);
  Value groups = arith::DivUIOp::create(b, loc, M, idx(b, loc, wide));
  auto gl = scf::ForOp::create(b, loc, c0, groups, c1);
  {
    OpBuilder gb = OpBuilder::atBlockBegin(gl.getBody());
    pass(gb, mulc(gb, loc, gl.getInductionVar(), wide), wide);
  }
  auto rl = scf::ForOp::create(b, loc, mulc(b, loc, groups, wide), M, c1);
  OpBuilder rb = OpBuilder::atBlockBegin(rl.getBody());
  pass(rb, rl.getInductionVar(), 1);
}

/// The loop over the 16-row weight tiles [jbegin, jend) of a tiles function
/// and, inside it, where tile j's codes and scales start.
struct TileLoop {
  scf::ForOp loop;
  Value nb, n0, wTile, sTile;
  /// A builder inside the loop, after the values above.
  OpBuilder body() {
    OpBuilder b(loop.getContext());
    b.setInsertionPoint(loop.getBody()->getTerminator());
    return b;
  }
};

TileLoop tileLoop(OpBuilder &b, Location loc, const QmmArgs &t, QmmShape q) {
  Value c1 = idx(b, loc, 1);
  Value nb = arith::DivUIOp::create(b, loc, t.K, idx(b, loc, q.block));
  auto jl = scf::ForOp::create(b, loc, t.jBegin, t.jEnd, c1);
  OpBuilder jb = OpBuilder::atBlockBegin(jl.getBody());
  Value j = jl.getInductionVar();
  Value tiles = mul(jb, loc, j, nb);
  return {jl, nb, mulc(jb, loc, j, 16),
          mulc(jb, loc, tiles, q.chunks() * q.chunkBytes()), mulc(jb, loc, tiles, 16)};
}

/// The NEON (and portable) tiles.
void buildNeon(OpBuilder &mb, Location loc, StringRef name, DotKind kind,
               QmmShape q) {
  QmmArgs t = qmmFunction(mb, loc, name);
  OpBuilder b = OpBuilder::atBlockBegin(t.entry);
  auto v4f32 = VectorType::get({4}, b.getF32Type());
  auto v4i32 = VectorType::get({4}, b.getI32Type());
  auto v16i8 = VectorType::get({16}, b.getI8Type());
  Value c0 = idx(b, loc, 0), c1 = idx(b, loc, 1);
  TileLoop tl = tileLoop(b, loc, t, q);
  OpBuilder jb = tl.body();
  Value nb = tl.nb, n0 = tl.n0, wTile = tl.wTile, sTile = tl.sTile;
  SmallVector<Value> bias;
  for (int64_t h = 0; h < 4; ++h)
    bias.push_back(vector::LoadOp::create(jb, loc, v4f32, t.bias,
                                          ValueRange{add(jb, loc, n0, idx(jb, loc, 4 * h))}));

  // Activation rows [m0, m0 + rows) against the 16 weight rows of tile j.
  auto pass = [&](OpBuilder &o, Value m0, int64_t rows) {
    SmallVector<Value> init;
    SmallVector<Value> xRow, sRow;
    for (int64_t r = 0; r < rows; ++r) {
      Value row = add(o, loc, m0, idx(o, loc, r));
      xRow.push_back(mul(o, loc, row, t.K));
      sRow.push_back(mul(o, loc, row, nb));
      init.append(bias.begin(), bias.end());
    }
    auto bl = scf::ForOp::create(
        o, loc, c0, nb, c1, init,
        [&](OpBuilder &bb, Location l, Value blk, ValueRange sums) {
          SmallVector<Value> xs, sw;
          for (int64_t r = 0; r < rows; ++r) {
            Value s = memref::LoadOp::create(bb, l, t.xs, ValueRange{add(bb, l, sRow[r], blk)});
            xs.push_back(vector::BroadcastOp::create(bb, l, v4f32, s));
          }
          Value sOff = add(bb, l, sTile, mulc(bb, l, blk, 16));
          for (int64_t h = 0; h < 4; ++h)
            sw.push_back(vector::LoadOp::create(bb, l, v4f32, t.ws,
                                                ValueRange{add(bb, l, sOff, idx(bb, l, 4 * h))}));
          Value zero = splat(bb, l, v4i32, bb.getI32IntegerAttr(0));
          SmallVector<Value> acc(rows * 4, zero); // [row][quarter]
          Value four = splat(bb, l, v16i8, bb.getI8IntegerAttr(4));
          Value highMask = splat(bb, l, v16i8, bb.getI8IntegerAttr(-16));
          Value kBlk = mulc(bb, l, blk, q.block);
          for (int64_t c = 0; c < q.chunks(); ++c) {
            Value chunk = add(bb, l, wTile,
                              mulc(bb, l, add(bb, l, mulc(bb, l, blk, q.chunks()), idx(bb, l, c)),
                                   q.chunkBytes()));
            SmallVector<Value> a0, a1;
            for (int64_t r = 0; r < rows; ++r) {
              Value at = add(bb, l, add(bb, l, xRow[r], kBlk), idx(bb, l, 32 * c));
              a0.push_back(vector::LoadOp::create(bb, l, v16i8, t.xq, ValueRange{at}));
              a1.push_back(vector::LoadOp::create(bb, l, v16i8, t.xq,
                                                  ValueRange{add(bb, l, at, idx(bb, l, 16))}));
            }
            for (int64_t h = 0; h < 4; ++h)
              for (int64_t g = 0; g < q.groups(); ++g) {
                Value p = vector::LoadOp::create(
                    bb, l, v16i8, t.w, ValueRange{add(bb, l, chunk, idx(bb, l, 64 * g + 16 * h))});
                if (q.bits == 4) {
                  Value lo = arith::ShLIOp::create(bb, l, p, four);
                  Value hi = arith::AndIOp::create(bb, l, p, highMask);
                  for (int64_t r = 0; r < rows; ++r) {
                    Value &s = acc[r * 4 + h];
                    s = dot4(bb, l, kind, s, lo, a0[r], g);
                    s = dot4(bb, l, kind, s, hi, a1[r], g);
                  }
                } else {
                  for (int64_t r = 0; r < rows; ++r) {
                    Value &s = acc[r * 4 + h];
                    s = dot4(bb, l, kind, s, p, g < 4 ? a0[r] : a1[r], g % 4);
                  }
                }
              }
          }
          SmallVector<Value> next;
          for (int64_t r = 0; r < rows; ++r)
            for (int64_t h = 0; h < 4; ++h) {
              // Nibbles were extracted times 16: the shift leaves the
              // exact dot product, which the scales multiply undivided.
              Value a = acc[r * 4 + h];
              if (q.bits == 4)
                a = arith::ShRSIOp::create(bb, l, a,
                                           splat(bb, l, v4i32, bb.getI32IntegerAttr(4)));
              Value f = arith::SIToFPOp::create(bb, l, v4f32, a);
              Value s = arith::MulFOp::create(bb, l, sw[h], xs[r]);
              Value term = arith::MulFOp::create(bb, l, f, s);
              next.push_back(arith::AddFOp::create(bb, l, sums[r * 4 + h], term));
            }
          scf::YieldOp::create(bb, l, next);
        });
    storeTile(o, loc, t.y, t.M, t.N, m0, n0, SmallVector<Value>(bl.getResults()), 4);
  };
  forRows(jb, loc, t.M, 2, pass);
  b.setInsertionPointAfter(tl.loop);
  func::ReturnOp::create(b, loc);
}

/// The x86-64 AVX512-VNNI tiles: a 16-row tile per zmm register.
void buildVnni(OpBuilder &mb, Location loc, StringRef name, QmmShape q) {
  QmmArgs t = qmmFunction(mb, loc, name);
  OpBuilder b = OpBuilder::atBlockBegin(t.entry);
  auto v16f32 = VectorType::get({16}, b.getF32Type());
  auto v16i32 = VectorType::get({16}, b.getI32Type());
  auto v64i8 = VectorType::get({64}, b.getI8Type());
  auto v4i8 = VectorType::get({4}, b.getI8Type());
  auto v1i32 = VectorType::get({1}, b.getI32Type());
  int64_t offset = q.bits == 4 ? 8 : 128;
  Value c0 = idx(b, loc, 0), c1 = idx(b, loc, 1);
  TileLoop tl = tileLoop(b, loc, t, q);
  OpBuilder jb = tl.body();
  Value nb = tl.nb, n0 = tl.n0, wTile = tl.wTile, sTile = tl.sTile;
  Value bias = vector::LoadOp::create(jb, loc, v16f32, t.bias, ValueRange{n0});

  auto pass = [&](OpBuilder &o, Value m0, int64_t rows) {
    SmallVector<Value> init(rows, bias), xRow, sRow;
    for (int64_t r = 0; r < rows; ++r) {
      Value row = add(o, loc, m0, idx(o, loc, r));
      xRow.push_back(mul(o, loc, row, t.K));
      sRow.push_back(mul(o, loc, row, nb));
    }
    auto bl = scf::ForOp::create(
        o, loc, c0, nb, c1, init,
        [&](OpBuilder &bb, Location l, Value blk, ValueRange sums) {
          // The 4 activation bytes at `at` in every lane.
          auto broadcast4 = [&](Value at) -> Value {
            Value a4 = vector::LoadOp::create(bb, l, v4i8, t.xq, ValueRange{at});
            Value a = vector::ExtractOp::create(
                bb, l, vector::BitCastOp::create(bb, l, v1i32, a4), ArrayRef<int64_t>{0});
            return vector::BitCastOp::create(bb, l, v64i8,
                                             vector::BroadcastOp::create(bb, l, v16i32, a));
          };
          Value zero = splat(bb, l, v16i32, bb.getI32IntegerAttr(0));
          SmallVector<Value> acc(rows, zero);
          Value flip = splat(bb, l, v64i8, bb.getI8IntegerAttr(q.bits == 4 ? 0x88 : 0x80));
          Value low = splat(bb, l, v64i8, bb.getI8IntegerAttr(0x0F));
          Value four = splat(bb, l, v64i8, bb.getI8IntegerAttr(4));
          Value kBlk = mulc(bb, l, blk, q.block);
          auto dp = [&](Value a, Value u, Value x) -> Value {
            return LLVM::CallIntrinsicOp::create(bb, l, v16i32,
                                                 bb.getStringAttr("llvm.x86.avx512.vpdpbusd.512"),
                                                 ValueRange{a, u, x})
                .getResult(0);
          };
          for (int64_t c = 0; c < q.chunks(); ++c) {
            Value chunk = add(bb, l, wTile,
                              mulc(bb, l, add(bb, l, mulc(bb, l, blk, q.chunks()), idx(bb, l, c)),
                                   q.chunkBytes()));
            for (int64_t g = 0; g < q.groups(); ++g) {
              Value p = vector::LoadOp::create(bb, l, v64i8, t.w,
                                               ValueRange{add(bb, l, chunk, idx(bb, l, 64 * g))});
              Value u = arith::XOrIOp::create(bb, l, p, flip);
              for (int64_t r = 0; r < rows; ++r) {
                Value at = add(bb, l, add(bb, l, xRow[r], kBlk), idx(bb, l, 32 * c + 4 * g));
                if (q.bits == 4) {
                  Value lo = arith::AndIOp::create(bb, l, u, low);
                  Value hi = arith::AndIOp::create(bb, l, arith::ShRUIOp::create(bb, l, u, four), low);
                  acc[r] = dp(acc[r], lo, broadcast4(at));
                  acc[r] = dp(acc[r], hi, broadcast4(add(bb, l, at, idx(bb, l, 16))));
                } else {
                  acc[r] = dp(acc[r], u, broadcast4(at));
                }
              }
            }
          }
          Value sw = vector::LoadOp::create(bb, l, v16f32, t.ws,
                                            ValueRange{add(bb, l, sTile, mulc(bb, l, blk, 16))});
          SmallVector<Value> next;
          for (int64_t r = 0; r < rows; ++r) {
            Value at = add(bb, l, sRow[r], blk);
            Value sum = memref::LoadOp::create(bb, l, t.xsum, ValueRange{at});
            Value corr = arith::MulIOp::create(
                bb, l, sum, arith::ConstantOp::create(bb, l, bb.getI32IntegerAttr(offset)));
            Value a = arith::SubIOp::create(bb, l, acc[r],
                                            vector::BroadcastOp::create(bb, l, v16i32, corr));
            Value xs = vector::BroadcastOp::create(
                bb, l, v16f32, memref::LoadOp::create(bb, l, t.xs, ValueRange{at}));
            Value term = arith::MulFOp::create(bb, l, arith::SIToFPOp::create(bb, l, v16f32, a),
                                               arith::MulFOp::create(bb, l, sw, xs));
            next.push_back(arith::AddFOp::create(bb, l, sums[r], term));
          }
          scf::YieldOp::create(bb, l, next);
        });
    storeTile(o, loc, t.y, t.M, t.N, m0, n0, SmallVector<Value>(bl.getResults()), 16);
  };
  forRows(jb, loc, t.M, 4, pass);
  b.setInsertionPointAfter(tl.loop);
  func::ReturnOp::create(b, loc);
}

/// The op writing `buffer` as its output, searched backwards from `from`.
Operation *writerOf(Operation *from, Value buffer, function_ref<bool(Operation *)> is) {
  for (Operation *op = from->getPrevNode(); op; op = op->getPrevNode())
    if (is(op) && llvm::is_contained(op->getOperands(), buffer))
      return op;
  return nullptr;
}


} // namespace

LogicalResult cpu::outlineQuantMatmuls(ModuleOp module, func::FuncOp f, Value pool) {
  SmallVector<linalg::GenericOp> matmuls;
  f.walk([&](linalg::GenericOp g) {
    auto kind = g->getAttrOfType<StringAttr>("qc.kernel");
    if (kind && kind.getValue() == "qmm" && g.hasPureBufferSemantics())
      matmuls.push_back(g);
  });
  if (matmuls.empty())
    return success();
  MLIRContext *ctx = module.getContext();
  ctx->loadDialect<arm_neon::ArmNeonDialect, LLVM::LLVMDialect, scf::SCFDialect,
                   vector::VectorDialect>();
  Location loc = module.getLoc();
  std::set<std::string> built;
  for (linalg::GenericOp g : matmuls) {
    auto bitsAttr = g->getAttrOfType<IntegerAttr>("qc.bits");
    auto blockAttr = g->getAttrOfType<IntegerAttr>("qc.block");
    if (!bitsAttr || !blockAttr || g.getNumDpsInputs() != 4)
      continue;
    QmmShape q{bitsAttr.getInt(), blockAttr.getInt()};
    Value acc = g.getDpsInputOperand(0)->get(), xs = g.getDpsInputOperand(1)->get(),
          ws = g.getDpsInputOperand(2)->get(), xsum = g.getDpsInputOperand(3)->get(),
          y = g.getDpsInitOperand(0)->get();
    Operation *accOp = writerOf(g, acc, [](Operation *op) {
      auto k = op->getAttrOfType<StringAttr>("qc.kernel");
      return k && k.getValue() == "qmm_acc";
    });
    Operation *init = kernelInit(g, y);
    if (!accOp || !init || init->getNumOperands() != 2)
      continue;
    auto accGeneric = cast<linalg::GenericOp>(accOp);
    Value xq = accGeneric.getDpsInputOperand(0)->get();
    Value w = accGeneric.getDpsInputOperand(1)->get();
    // The initialisation reads the first N values of the padded bias.
    Value bias = init->getOperand(0);
    if (auto view = bias.getDefiningOp<memref::SubViewOp>())
      bias = view.getSource();
    if (!llvm::all_of(ValueRange{xq, xs, xsum, w, ws, bias, y}, identityLayout))
      continue;
    ArrayRef<int64_t> ys = cast<MemRefType>(y.getType()).getShape();
    ArrayRef<int64_t> ss = cast<MemRefType>(xs.getType()).getShape();
    int64_t M = ys[0], N = ys[1], K = ss[1] * q.block, NT = (N + 15) / 16;

    std::string name = "qc_qmm_q" + std::to_string(q.bits) + "_b" + std::to_string(q.block);
    if (built.insert(name).second) {
      OpBuilder mb(ctx);
      mb.setInsertionPointToEnd(module.getBody());
      Type index = mb.getIndexType();
      auto i8flat = flatType(mb, mb.getI8Type());
      auto i32flat = flatType(mb, mb.getI32Type());
      auto f32flat = flatType(mb, mb.getF32Type());
      // Bound per variant by the code generator (Emit.cpp).
      auto decl = func::FuncOp::create(
          mb, loc, name,
          mb.getFunctionType({i8flat, f32flat, i32flat, i8flat, f32flat, f32flat, f32flat,
                              index, index, index, pool.getType(), index, index},
                             {}));
      decl.setPrivate();
      buildNeon(mb, loc, name + "_base", DotKind::Generic, q);
      buildNeon(mb, loc, name + "_dotprod", DotKind::SDot, q);
      buildNeon(mb, loc, name + "_i8mm", DotKind::SDot, q);
      buildVnni(mb, loc, name + "_avx512vnni", q);
    }
    Location gloc = g.getLoc();
    OpBuilder b(g);
    // At least ~64K multiply-accumulates per task.
    int64_t grain = std::max<int64_t>(1, 65536 / std::max<int64_t>(1, 16 * M * K));
    SmallVector<Value> args;
    for (Value v : {xq, xs, xsum, w, ws, bias, y})
      args.push_back(flatten(b, gloc, v));
    for (int64_t v : {M, N, K})
      args.push_back(idx(b, gloc, v));
    args.push_back(pool);
    args.push_back(idx(b, gloc, NT));
    args.push_back(idx(b, gloc, grain));
    func::CallOp::create(b, gloc, name, TypeRange{}, args);
    g.erase();
    accOp->erase();
    init->erase();
    // The per-block accumulators are not needed any more.
    if (Operation *alloc = acc.getDefiningOp(); alloc && isa<memref::AllocOp>(alloc)) {
      for (Operation *user : llvm::make_early_inc_range(acc.getUsers()))
        if (isa<linalg::FillOp, memref::DeallocOp>(user))
          user->erase();
      if (acc.use_empty())
        alloc->erase();
    }
  }
  return success();
}
