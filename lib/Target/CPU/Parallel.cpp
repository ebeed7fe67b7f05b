//===- Parallel.cpp - loop nests on the runtime's thread pool -------------===//
//
// Part of quantc.
//
// Every op of the model that became a parallel loop nest (scf.parallel, from
// convert-linalg-to-parallel-loops) and does enough work is outlined into
//
//   func.func private @qc_par<N>_body(<model buffers>..., %begin, %end)
//
// which runs the outermost parallel dimension over [begin, end), and the
// loop is replaced by a call to the declaration
//
//   @qc_par<N>(<model buffers>..., %pool, %iterations, %grain)
//
// that the code generator binds (Emit.cpp) to qcrt_parallel_for with a task
// calling the body. The body receives the model's own buffer arguments
// (weights, arena, inputs, outputs: bare pointers) and recomputes from them
// whatever the loop reads (views into the arena, constants, globals), so no
// captured value has to cross the call.
//
// Each iteration writes its own elements (the loops come from parallel
// iterator dimensions), so results do not depend on how the runtime splits
// the range.
//
//===----------------------------------------------------------------------===//

#include "qc/Target/CPU/CPUCodegen.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::cpu;

namespace {

std::optional<int64_t> constIndex(Value v) {
  if (auto c = v.getDefiningOp<arith::ConstantIndexOp>())
    return c.value();
  return std::nullopt;
}

/// Iterations of the innermost bodies of `op` per iteration of its own
/// region (the product of the constant trip counts of nested loops).
int64_t nestedWork(Operation *op) {
  int64_t best = 1;
  op->walk([&](Operation *inner) {
    if (inner == op)
      return;
    int64_t w = 1;
    for (Operation *p = inner; p && p != op; p = p->getParentOp()) {
      if (auto f = dyn_cast<scf::ForOp>(p)) {
        auto lb = constIndex(f.getLowerBound()), ub = constIndex(f.getUpperBound()),
             st = constIndex(f.getStep());
        if (lb && ub && st && *st > 0)
          w *= std::max<int64_t>(1, (*ub - *lb + *st - 1) / *st);
      }
    }
    best = std::max(best, w);
  });
  return best;
}

/// Collects, in order, the ops of `block` that compute `v` from the block's
/// arguments without side effects; false if `v` depends on anything else.
bool collectRecomputable(Value v, Block &block, llvm::SetVector<Operation *> &ops) {
  if (auto arg = dyn_cast<BlockArgument>(v))
    return arg.getOwner() == &block;
  Operation *def = v.getDefiningOp();
  if (!def || def->getBlock() != &block || def->getNumRegions() != 0 ||
      !isMemoryEffectFree(def))
    return false;
  if (ops.contains(def))
    return true;
  for (Value operand : def->getOperands())
    if (!collectRecomputable(operand, block, ops))
      return false;
  ops.insert(def);
  return true;
}

} // namespace

LogicalResult cpu::outlineParallelLoops(ModuleOp module, func::FuncOp f,
                                        int64_t minWork) {
  Block &body = f.getBody().front();
  MLIRContext *ctx = module.getContext();
  Value pool = body.getArguments().back();
  SmallVector<scf::ParallelOp> loops;
  for (Operation &op : body)
    if (auto p = dyn_cast<scf::ParallelOp>(op))
      loops.push_back(p);
  // The buffer arguments every body takes (all but the pool).
  SmallVector<Type> bufferTypes;
  for (BlockArgument a : body.getArguments().drop_back())
    bufferTypes.push_back(a.getType());
  unsigned counter = 0;
  for (scf::ParallelOp p : loops) {
    if (p.getNumResults() != 0)
      continue;
    SmallVector<int64_t> trips;
    bool constant = true;
    for (auto [lb, ub, st] :
         llvm::zip(p.getLowerBound(), p.getUpperBound(), p.getStep())) {
      auto l = constIndex(lb), u = constIndex(ub), s = constIndex(st);
      if (!l || !u || !s || *s <= 0) {
        constant = false;
        break;
      }
      trips.push_back((*u - *l + *s - 1) / *s);
    }
    if (!constant || trips.empty() || trips[0] < 2)
      continue;
    int64_t perOuter = nestedWork(p);
    for (int64_t t : ArrayRef<int64_t>(trips).drop_front())
      perOuter *= t;
    if (trips[0] * perOuter < minWork)
      continue;
    // Everything the loop reads from outside must be recomputable from the
    // model's arguments.
    llvm::SetVector<Value> captured;
    getUsedValuesDefinedAbove(p.getRegion(), captured);
    llvm::SetVector<Operation *> recompute;
    bool ok = true;
    for (Value v : p->getOperands())
      captured.insert(v);
    for (Value v : captured)
      if (v == pool || !collectRecomputable(v, body, recompute)) {
        ok = false;
        break;
      }
    if (!ok)
      continue;

    std::string name = "qc_par" + std::to_string(counter++);
    Location loc = p.getLoc();
    OpBuilder mb(ctx);
    mb.setInsertionPointToEnd(module.getBody());
    Type index = mb.getIndexType();
    SmallVector<Type> bodyArgs(bufferTypes);
    bodyArgs.push_back(index);
    bodyArgs.push_back(index);
    auto bodyFn = func::FuncOp::create(mb, loc, name + "_body",
                                       mb.getFunctionType(bodyArgs, {}));
    bodyFn.setPrivate();
    Block *entry = bodyFn.addEntryBlock();
    OpBuilder b = OpBuilder::atBlockBegin(entry);
    IRMapping map;
    for (auto [from, to] : llvm::zip(body.getArguments().drop_back(),
                                     entry->getArguments().drop_back(2)))
      map.map(from, to);
    // Recompute in the original order.
    SmallVector<Operation *> ordered(recompute.begin(), recompute.end());
    llvm::sort(ordered, [](Operation *a, Operation *c) { return a->isBeforeInBlock(c); });
    for (Operation *op : ordered)
      b.clone(*op, map);
    auto clone = cast<scf::ParallelOp>(b.clone(*p, map));
    // Outermost dimension: [lb + begin * step, lb + end * step).
    Value lb = clone.getLowerBound()[0], st = clone.getStep()[0];
    b.setInsertionPoint(clone);
    Value begin = entry->getArgument(entry->getNumArguments() - 2);
    Value end = entry->getArgument(entry->getNumArguments() - 1);
    Value nlb = arith::AddIOp::create(b, loc, lb, arith::MulIOp::create(b, loc, begin, st));
    Value nub = arith::AddIOp::create(b, loc, lb, arith::MulIOp::create(b, loc, end, st));
    clone.getLowerBoundMutable().slice(0, 1).assign(nlb);
    clone.getUpperBoundMutable().slice(0, 1).assign(nub);
    b.setInsertionPointToEnd(entry);
    func::ReturnOp::create(b, loc);

    SmallVector<Type> declArgs(bufferTypes);
    declArgs.push_back(pool.getType());
    declArgs.push_back(index);
    declArgs.push_back(index);
    auto decl = func::FuncOp::create(mb, loc, name, mb.getFunctionType(declArgs, {}));
    decl.setPrivate();

    OpBuilder cb(p);
    SmallVector<Value> args(body.getArguments().drop_back());
    args.push_back(pool);
    args.push_back(arith::ConstantIndexOp::create(cb, loc, trips[0]));
    int64_t grain = std::max<int64_t>(1, minWork / std::max<int64_t>(1, perOuter));
    args.push_back(arith::ConstantIndexOp::create(cb, loc, grain));
    func::CallOp::create(cb, loc, name, TypeRange{}, args);
    p.erase();
  }
  return success();
}
