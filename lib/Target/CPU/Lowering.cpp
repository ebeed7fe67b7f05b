//===- Lowering.cpp - qc model to the LLVM dialect ------------------------===//
//
// Part of quantc.
//
// The target-independent half of CPU code generation:
//
//   convert-qc-to-linalg           qc on quantized tensors -> linalg on ints
//   outline weights                large constants -> views of `weights`
//   one-shot-bufferize             tensors -> memrefs, results -> out params
//   plan the arena                 every allocation -> a view of `arena`
//   linalg -> loops -> LLVM        upstream conversions, bare-pointer ABI
//
// The generated function never allocates: its buffers are the caller's
// inputs and outputs, the mapped weights and one scratch arena whose layout
// is decided here from the liveness of each buffer.
//
//===----------------------------------------------------------------------===//

#include "qc/Target/CPU/CPUCodegen.h"

#include "qc/Conversion/Passes.h"
#include "qc/Dialect/QC/IR/QCDialect.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/ArmNeon/ArmNeonToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"

#include "llvm/Support/raw_ostream.h"

#include <map>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <mutex>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::cpu;

void cpu::registerCodegenDialects(DialectRegistry &registry) {
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerArmNeonDialectTranslation(registry);
}

static void registerPassesOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    mlir::registerAllPasses();
    qc::registerQCConversionPasses();
  });
}

static LogicalResult runPipeline(ModuleOp module, StringRef pipeline) {
  registerPassesOnce();
  PassManager pm(module.getContext());
  std::string error;
  llvm::raw_string_ostream os(error);
  if (failed(parsePassPipeline(pipeline, pm, os)))
    return module.emitError("internal pipeline '") << pipeline << "': " << error;
  return pm.run(module);
}

/// The single public function with a body: the model.
static FailureOr<func::FuncOp> modelFunction(ModuleOp module) {
  func::FuncOp found;
  for (auto f : module.getOps<func::FuncOp>()) {
    // Kernels and outlined loops the code generator adds are private.
    if (f.isExternal() || f.isPrivate())
      continue;
    if (found)
      return module.emitError("the module holds more than one function; the "
                              "CPU target compiles one model function");
    found = f;
  }
  if (!found)
    return module.emitError("the module holds no function to compile");
  return found;
}

/// Whether `op` is a contraction tagged for a generated kernel (or its
/// initialisation): those keep their form for the kernel outliners.
static bool isKernelOp(Operation *op) {
  return op && (op->hasAttr("qc.kernel") || op->hasAttr("qc.kernel_init"));
}

namespace {
/// Fuses an elementwise linalg.generic producer with one use into its
/// consumer (upstream's fuseElementwiseOps; not the rest of its pattern set,
/// which would also fold constants into the tagged kernel ops).
struct FuseElementwise : public OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp consumer,
                                PatternRewriter &rewriter) const override {
    if (isKernelOp(consumer))
      return failure();
    for (OpOperand &operand : consumer->getOpOperands()) {
      Operation *producer = operand.get().getDefiningOp();
      if (!producer || !producer->hasOneUse() || isKernelOp(producer) ||
          !linalg::areElementwiseOpsFusable(&operand))
        continue;
      FailureOr<linalg::ElementwiseOpFusionResult> fused =
          linalg::fuseElementwiseOps(rewriter, &operand);
      if (failed(fused))
        continue;
      for (auto [from, to] : fused->replacements)
        rewriter.replaceUsesWithIf(from, to, [&](OpOperand &use) {
          return use.getOwner() != fused->fusedOp;
        });
      return success();
    }
    return failure();
  }
};
} // namespace

LogicalResult cpu::lowerToLinalg(ModuleOp module) {
  if (failed(runPipeline(module, "convert-qc-to-linalg,canonicalize,cse")))
    return failure();
  // Chains of elementwise ops (dequantize, activation, residual add,
  // requantize, ...) become one loop nest each: one pass over memory instead
  // of one per op. Per element the arithmetic is unchanged, so results stay
  // bit-exact. A producer used more than once is not fused (its values
  // would be computed twice), nor are the tagged kernel contractions.
  RewritePatternSet patterns(module.getContext());
  patterns.add<FuseElementwise>(module.getContext());
  if (failed(applyPatternsGreedily(module, std::move(patterns))))
    return failure();
  return runPipeline(module, "canonicalize,cse");
}

//===----------------------------------------------------------------------===//
// Inputs, outputs and weights
//===----------------------------------------------------------------------===//

static std::string dtypeName(Type t) {
  if (t.isF32())
    return "f32";
  if (t.isF16())
    return "f16";
  if (t.isBF16())
    return "bf16";
  if (t.isF64())
    return "f64";
  if (t.isInteger(1))
    return "bool";
  if (auto i = dyn_cast<IntegerType>(t)) {
    if (i.isUnsigned())
      return "u" + std::to_string(i.getWidth());
    return "i" + std::to_string(i.getWidth());
  }
  return "";
}

static uint64_t elementBytes(Type t) {
  if (isa<IndexType>(t))
    return 8;
  return std::max<uint64_t>(1, (t.getIntOrFloatBitWidth() + 7) / 8);
}

static FailureOr<IOSpec> ioSpec(Operation *where, Type type, std::string name,
                                StringRef what) {
  auto rt = dyn_cast<RankedTensorType>(type);
  if (!rt || !rt.hasStaticShape())
    return where->emitError() << what << " '" << name << "' has type " << type
                              << "; the CPU target needs static shapes "
                                 "(fix dynamic dimensions with --input-shape)";
  IOSpec s;
  s.name = std::move(name);
  Type elt = rt.getElementType();
  // Quantized inputs and outputs are exchanged as their stored integers.
  if (auto q = dyn_cast<quant::QuantizedType>(elt))
    elt = IntegerType::get(elt.getContext(), q.getStorageTypeIntegralWidth(),
                           q.isSigned() ? IntegerType::Signless
                                        : IntegerType::Unsigned);
  s.dtype = dtypeName(elt);
  if (s.dtype.empty() || s.dtype == "i4")
    return where->emitError() << what << " '" << s.name << "' has element type "
                              << rt.getElementType()
                              << ", which the runtime cannot exchange";
  s.shape.assign(rt.getShape().begin(), rt.getShape().end());
  s.bytes = rt.getNumElements() * elementBytes(elt);
  return s;
}

static std::string ioName(func::FuncOp f, unsigned i, bool result) {
  auto attr = result ? f.getResultAttrOfType<StringAttr>(i, "qc.name")
                     : f.getArgAttrOfType<StringAttr>(i, "qc.name");
  if (attr)
    return attr.str();
  return (result ? "output" : "input") + std::to_string(i);
}

/// Returns freed heap pages to the system. Weight blobs released during
/// lowering are mostly below glibc's adaptive mmap threshold, so their pages
/// would otherwise stay resident and a large model's weights count twice.
static void releaseFreedMemory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

/// Little-endian bytes of a constant, one byte per element for widths below 8
/// (the in-memory layout LLVM gives i4 arrays).
static LogicalResult constantBytes(ElementsAttr attr, std::vector<uint8_t> &out) {
  auto type = cast<ShapedType>(attr.getType());
  Type et = type.getElementType();
  int64_t n = type.getNumElements();
  uint64_t eb = elementBytes(et);
  out.assign(n * eb, 0);
  if (auto r = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = r.getRawHandle().getBlob();
    if (!blob || et.getIntOrFloatBitWidth() % 8 != 0)
      return failure();
    ArrayRef<char> data = blob->getData();
    if (data.size() != out.size())
      return failure();
    std::memcpy(out.data(), data.data(), data.size());
    return success();
  }
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  if (!dense)
    return failure();
  if (isa<IntegerType>(et)) {
    int64_t i = 0;
    for (const APInt &v : dense.getValues<APInt>()) {
      uint64_t bits = et.isInteger(1) ? v.getZExtValue() : v.getSExtValue();
      std::memcpy(out.data() + i * eb, &bits, eb);
      ++i;
    }
    return success();
  }
  if (isa<FloatType>(et)) {
    int64_t i = 0;
    for (const APFloat &v : dense.getValues<APFloat>()) {
      uint64_t bits = v.bitcastToAPInt().getZExtValue();
      std::memcpy(out.data() + i * eb, &bits, eb);
      ++i;
    }
    return success();
  }
  return failure();
}

/// Moves every constant tensor of at least `threshold` bytes into the weights
/// blob and reads it through a view of a new leading `weights` argument.
static LogicalResult outlineWeights(func::FuncOp f, LoweredModel &model,
                                    uint64_t threshold) {
  struct Pending {
    arith::ConstantOp op;
    uint64_t offset;
  };
  std::vector<Pending> pending;
  unsigned unnamed = 0;
  // Sized once: a large model's weights are not copied again while growing.
  uint64_t total = 0;
  f.walk([&](arith::ConstantOp c) {
    auto rt = dyn_cast<RankedTensorType>(c.getType());
    if (!rt || c->use_empty())
      return;
    uint64_t bytes = rt.getNumElements() * elementBytes(rt.getElementType());
    if (bytes >= threshold)
      total += llvm::alignTo(bytes, artifact::kWeightsAlignment);
  });
  model.weights.reserve(model.weights.size() + total);
  // How many ops refer to each resource blob: a blob only one constant uses
  // is released once copied, so the model's weights exist once in memory.
  DenseMap<void *, int> blobRefs;
  f->getParentOfType<ModuleOp>().walk([&](Operation *op) {
    for (NamedAttribute a : op->getAttrs())
      if (auto r = dyn_cast<DenseResourceElementsAttr>(a.getValue()))
        ++blobRefs[r.getRawHandle().getResource()];
  });
  WalkResult wr = f.walk([&](arith::ConstantOp c) {
    auto rt = dyn_cast<RankedTensorType>(c.getType());
    if (!rt)
      return WalkResult::advance();
    uint64_t bytes = rt.getNumElements() * elementBytes(rt.getElementType());
    if (bytes < threshold)
      return WalkResult::advance();
    if (c->use_empty()) {
      pending.push_back({c, ~uint64_t(0)});
      return WalkResult::advance();
    }
    // A resource blob of whole bytes is copied straight from its data.
    std::vector<uint8_t> data;
    ArrayRef<uint8_t> bytesRef;
    auto res = dyn_cast<DenseResourceElementsAttr>(c.getValue());
    AsmResourceBlob *blob = res ? res.getRawHandle().getBlob() : nullptr;
    if (blob && rt.getElementType().getIntOrFloatBitWidth() % 8 == 0 &&
        blob->getData().size() == bytes) {
      ArrayRef<char> d = blob->getData();
      bytesRef = ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(d.data()), d.size());
    } else if (failed(constantBytes(cast<ElementsAttr>(c.getValue()), data))) {
      c.emitError("cannot serialise constant of type ") << c.getType();
      return WalkResult::interrupt();
    } else {
      bytesRef = data;
    }
    artifact::TensorRecord rec;
    if (auto r = dyn_cast<DenseResourceElementsAttr>(c.getValue()))
      rec.name = r.getRawHandle().getKey().str();
    else
      rec.name = "const" + std::to_string(unnamed++);
    rec.dtype = dtypeName(rt.getElementType());
    if (rec.dtype == "i4")
      rec.dtype = "i8"; // one sign-extended value per byte
    rec.shape.assign(rt.getShape().begin(), rt.getShape().end());
    pending.push_back({c, model.weights.add(rec, bytesRef)});
    data = {};
    if (auto r = dyn_cast<DenseResourceElementsAttr>(c.getValue()))
      if (blobRefs[r.getRawHandle().getResource()] == 1) {
        r.getRawHandle().getResource()->setBlob(HeapAsmResourceBlob::allocate(0, 64));
        if (bytes >= (1u << 20))
          releaseFreedMemory();
      }
    return WalkResult::advance();
  });
  if (wr.wasInterrupted())
    return failure();
  releaseFreedMemory();
  uint64_t size = model.weights.size();

  OpBuilder b(f.getContext());
  auto blobType = MemRefType::get({static_cast<int64_t>(size)}, b.getI8Type());
  if (failed(f.insertArgument(0, blobType, {}, f.getLoc())))
    return failure();
  Value weights = f.getArgument(0);
  for (Pending &p : pending) {
    if (p.offset == ~uint64_t(0)) {
      p.op.erase();
      continue;
    }
    b.setInsertionPoint(p.op);
    auto rt = cast<RankedTensorType>(p.op.getType());
    Location loc = p.op.getLoc();
    Value off = arith::ConstantIndexOp::create(b, loc, p.offset);
    auto mt = MemRefType::get(rt.getShape(), rt.getElementType());
    Value view = memref::ViewOp::create(b, loc, mt, weights, off, ValueRange{});
    Value t = bufferization::ToTensorOp::create(b, loc, rt, view,
                                                /*restrict=*/true,
                                                /*writable=*/false);
    p.op.replaceAllUsesWith(t);
    p.op.erase();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// The arena
//===----------------------------------------------------------------------===//

/// Assigns every memref.alloc of `f` an offset in one arena, so that buffers
/// whose live ranges overlap never share bytes, and replaces it with a view
/// of a new `arena` argument at position `argIndex`.
static LogicalResult planArena(func::FuncOp f, unsigned argIndex,
                               uint64_t &arenaBytes) {
  Block &body = f.getBody().front();
  DenseMap<Operation *, unsigned> index;
  unsigned i = 0;
  for (Operation &op : body)
    index[&op] = i++;
  struct Buffer {
    memref::AllocOp op;
    unsigned start, end;
    uint64_t bytes, offset = 0;
  };
  std::vector<Buffer> buffers;
  WalkResult wr = f.walk([&](memref::AllocOp a) {
    if (a->getBlock() != &body) {
      a.emitError("allocation inside a loop cannot be planned statically");
      return WalkResult::interrupt();
    }
    MemRefType t = a.getType();
    if (!t.hasStaticShape() || !t.getLayout().isIdentity()) {
      a.emitError("allocation of ") << t << " cannot be planned statically";
      return WalkResult::interrupt();
    }
    Buffer buf{a, index[a], index[a], 0};
    buf.bytes = std::max<uint64_t>(1, t.getNumElements() * elementBytes(t.getElementType()));
    SmallVector<Value> work = {a.getResult()};
    while (!work.empty()) {
      Value v = work.pop_back_val();
      for (Operation *user : v.getUsers()) {
        Operation *top = body.findAncestorOpInBlock(*user);
        if (top)
          buf.end = std::max(buf.end, index[top]);
        if (isa<ViewLikeOpInterface>(user) || isa<memref::CastOp>(user))
          for (Value r : user->getResults())
            work.push_back(r);
      }
    }
    buffers.push_back(buf);
    return WalkResult::advance();
  });
  if (wr.wasInterrupted())
    return failure();

  // Greedy: largest first, lowest offset that fits among overlapping ranges.
  std::vector<Buffer *> order;
  for (Buffer &buf : buffers)
    order.push_back(&buf);
  llvm::stable_sort(order, [](Buffer *a, Buffer *b) { return a->bytes > b->bytes; });
  std::vector<Buffer *> placed;
  uint64_t total = 0;
  for (Buffer *buf : order) {
    std::vector<std::pair<uint64_t, uint64_t>> busy;
    for (Buffer *o : placed)
      if (!(o->end < buf->start || buf->end < o->start))
        busy.push_back({o->offset, o->offset + o->bytes});
    llvm::sort(busy);
    uint64_t off = 0;
    for (auto &[lo, hi] : busy) {
      if (off + buf->bytes <= lo)
        break;
      off = std::max(off, (hi + 63) & ~uint64_t(63));
    }
    buf->offset = off;
    total = std::max(total, off + buf->bytes);
    placed.push_back(buf);
  }
  arenaBytes = std::max<uint64_t>(64, (total + 63) & ~uint64_t(63));

  OpBuilder b(f.getContext());
  auto arenaType =
      MemRefType::get({static_cast<int64_t>(arenaBytes)}, b.getI8Type());
  if (failed(f.insertArgument(argIndex, arenaType, {}, f.getLoc())))
    return failure();
  Value arena = f.getArgument(argIndex);
  for (Buffer &buf : buffers) {
    b.setInsertionPoint(buf.op);
    Location loc = buf.op.getLoc();
    Value off = arith::ConstantIndexOp::create(b, loc, buf.offset);
    Value view = memref::ViewOp::create(b, loc, buf.op.getType(), arena, off,
                                        ValueRange{});
    for (Operation *user : llvm::to_vector(buf.op->getUsers()))
      if (isa<memref::DeallocOp>(user))
        user->erase();
    buf.op.replaceAllUsesWith(view);
    buf.op.erase();
  }
  return success();
}

/// memref.copy between strided views would lower to a call into MLIR's C
/// runner utilities, which an artifact does not link: copy with loops.
static void copiesToLinalg(func::FuncOp f) {
  OpBuilder b(f.getContext());
  f.walk([&](memref::CopyOp c) {
    b.setInsertionPoint(c);
    linalg::CopyOp::create(b, c.getLoc(), c.getSource(), c.getTarget());
    c.erase();
  });
}

LogicalResult cpu::lowerToBuffers(ModuleOp module, LoweredModel &model,
                                  const LowerOptions &options) {
  FailureOr<func::FuncOp> fOr = modelFunction(module);
  if (failed(fOr))
    return failure();
  func::FuncOp f = *fOr;
  MLIRContext *ctx = module.getContext();
  ctx->loadDialect<arith::ArithDialect, bufferization::BufferizationDialect,
                   linalg::LinalgDialect, LLVM::LLVMDialect,
                   memref::MemRefDialect>();
  model.entry = f.getName().str();
  model.inputs.clear();
  model.outputs.clear();
  for (unsigned i = 0; i < f.getNumArguments(); ++i) {
    FailureOr<IOSpec> s = ioSpec(f, f.getArgumentTypes()[i], ioName(f, i, false), "input");
    if (failed(s))
      return failure();
    model.inputs.push_back(*s);
  }
  for (unsigned i = 0; i < f.getNumResults(); ++i) {
    FailureOr<IOSpec> s = ioSpec(f, f.getResultTypes()[i], ioName(f, i, true), "output");
    if (failed(s))
      return failure();
    model.outputs.push_back(*s);
  }
  if (failed(lowerToLinalg(module)))
    return failure();
  releaseFreedMemory();
  f = *modelFunction(module);
  if (failed(outlineWeights(f, model, options.outlineThreshold)))
    return failure();
  if (failed(runPipeline(
          module,
          "one-shot-bufferize{bufferize-function-boundaries "
          "function-boundary-type-conversion=identity-layout-map "
          "unknown-type-conversion=identity-layout-map},"
          "buffer-results-to-out-params{hoist-static-allocs modify-public-functions},"
          "canonicalize,cse")))
    return failure();
  f = *modelFunction(module);
  // The runtime's thread pool, the last argument (qcrt_entry_fn's `pool`).
  if (failed(f.insertArgument(f.getNumArguments(),
                              LLVM::LLVMPointerType::get(ctx), {}, f.getLoc())))
    return failure();
  if (failed(outlineQuantMatmuls(module, f, f.getArguments().back())))
    return failure();
  if (failed(outlineMicrokernels(module, f, f.getArguments().back())))
    return failure();
  if (failed(outlineFloatGemms(module, f, f.getArguments().back())))
    return failure();
  copiesToLinalg(f);
  if (failed(planArena(f, 1, model.arenaBytes)))
    return failure();
  // Drop argument attributes the LLVM lowering does not need.
  for (unsigned i = 0; i < f.getNumArguments(); ++i)
    f.setArgAttrs(i, DictionaryAttr::get(f.getContext()));
  return success();
}

FailureOr<LoweredModel> cpu::lowerToLLVMDialect(ModuleOp module,
                                                const LowerOptions &options) {
  LoweredModel model;
  if (failed(lowerToBuffers(module, model, options)))
    return failure();
  if (failed(runPipeline(module,
                         "func.func(convert-linalg-to-parallel-loops,canonicalize)")))
    return failure();
  if (failed(outlineParallelLoops(module, *modelFunction(module), 32768)))
    return failure();
  if (failed(runPipeline(
          module,
          "func.func(convert-linalg-to-loops,lower-affine,canonicalize),"
          "convert-vector-to-scf,convert-scf-to-cf,expand-strided-metadata,lower-affine,"
          "convert-vector-to-llvm{enable-arm-neon},"
          "finalize-memref-to-llvm,convert-math-to-llvm,convert-math-to-libm,"
          "convert-arith-to-llvm,convert-index-to-llvm,"
          "convert-func-to-llvm{use-bare-ptr-memref-call-conv},"
          "convert-cf-to-llvm,convert-ub-to-llvm,reconcile-unrealized-casts")))
    return failure();
  return model;
}
