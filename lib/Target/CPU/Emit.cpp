//===- Emit.cpp - LLVM IR and object code for each CPU target -------------===//
//
// Part of quantc.
//
// Translates the lowered model to LLVM IR, wraps it in the C entry point of
// the runtime ABI (qcrt_entry_fn in runtime/include/quantc/runtime.h), and
// compiles one object per ISA variant with LLVM's own backends: the variant's
// CPU and features are set on every function, the module is optimised at -O3
// by the new pass manager with that target's cost model, and the object is
// emitted in memory.
//
//===----------------------------------------------------------------------===//

#include "qc/Target/CPU/CPUCodegen.h"

#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"
#include "llvm/Transforms/Utils/Cloning.h"

#include <mutex>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::cpu;

// QCRT_ISA_* of runtime/include/quantc/runtime.h.
static constexpr uint32_t kIsaDotProd = 1u << 0;
static constexpr uint32_t kIsaI8MM = 1u << 1;
static constexpr uint32_t kIsaAvx512Vnni = 1u << 8;

static TargetSpec linuxX86() {
  return {"x86_64-linux-gnu",
          "x86_64-unknown-linux-gnu",
          false,
          {{"avx512vnni", kIsaAvx512Vnni, "x86-64-v4", "+avx512vnni"},
           {"base", 0, "x86-64-v3", ""}}};
}

static TargetSpec linuxAArch64() {
  return {"aarch64-linux-gnu",
          "aarch64-unknown-linux-gnu",
          false,
          {{"i8mm", kIsaDotProd | kIsaI8MM, "generic", "+neon,+dotprod,+i8mm"},
           {"dotprod", kIsaDotProd, "generic", "+neon,+dotprod"},
           {"base", 0, "generic", "+neon"}}};
}

static TargetSpec darwinAArch64() {
  // Every Apple M-series core has FEAT_DotProd; M2 and later add FEAT_I8MM.
  return {"aarch64-apple-darwin",
          "arm64-apple-macosx13.0.0",
          true,
          {{"i8mm", kIsaDotProd | kIsaI8MM, "apple-m2", "+neon,+dotprod,+i8mm"},
           {"dotprod", kIsaDotProd, "apple-m1", "+neon,+dotprod"},
           {"base", 0, "apple-m1", "+neon"}}};
}

FailureOr<std::vector<TargetSpec>> cpu::parseTargets(llvm::StringRef list,
                                                     std::string &error) {
  std::vector<TargetSpec> out;
  auto add = [&](TargetSpec t) {
    for (const TargetSpec &o : out)
      if (o.name == t.name)
        return;
    out.push_back(std::move(t));
  };
  llvm::SmallVector<llvm::StringRef> parts;
  list.split(parts, ',', -1, false);
  llvm::Triple host(llvm::sys::getProcessTriple());
  for (llvm::StringRef p : parts) {
    p = p.trim();
    if (p == "host") {
      if (host.getArch() == llvm::Triple::x86_64 && host.isOSLinux())
        add(linuxX86());
      else if (host.getArch() == llvm::Triple::aarch64 && host.isOSLinux())
        add(linuxAArch64());
      else if (host.isOSDarwin() && host.getArch() == llvm::Triple::aarch64)
        add(darwinAArch64());
      else {
        error = "the host '" + host.str() + "' is not a supported target";
        return failure();
      }
    } else if (p == "x86_64" || p == "x86_64-linux-gnu") {
      add(linuxX86());
    } else if (p == "aarch64" || p == "aarch64-linux-gnu") {
      add(linuxAArch64());
    } else if (p == "aarch64-apple-darwin" || p == "arm64-apple-darwin" ||
               p == "darwin") {
      add(darwinAArch64());
    } else if (p == "all") {
      add(linuxX86());
      add(linuxAArch64());
      add(darwinAArch64());
    } else {
      error = "unknown target '" + p.str() +
              "' (expected host, x86_64, aarch64, aarch64-apple-darwin or all)";
      return failure();
    }
  }
  if (out.empty()) {
    error = "no target given";
    return failure();
  }
  return out;
}

std::string cpu::entrySymbol(llvm::StringRef name, llvm::StringRef variant) {
  return (name + "_run_" + variant).str();
}

static void initTargetsOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
  });
}

static std::unique_ptr<llvm::TargetMachine>
makeTargetMachine(const TargetSpec &target, const TargetSpec::Variant &v,
                  std::string &error) {
  initTargetsOnce();
  llvm::Triple triple(target.triple);
  const llvm::Target *t = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!t)
    return nullptr;
  llvm::TargetOptions opts;
  std::unique_ptr<llvm::TargetMachine> tm(t->createTargetMachine(
      triple, v.cpu, v.features, opts, llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
  if (!tm)
    error = "cannot create a target machine for " + target.triple;
  return tm;
}

static const char *const kVariants[] = {"base", "dotprod", "i8mm", "avx512vnni"};

/// Emits, at `b`, a call of `callee(fields..., begin, end)` over [0, n) on the
/// runtime's thread pool: the fields go into a frame on the stack, and a
/// task `taskName(frame, begin, end)` unpacks them (qcrt_parallel_for).
static void callOnPool(llvm::Module &m, llvm::IRBuilder<> &b,
                       const llvm::Twine &taskName, llvm::Function *callee,
                       llvm::ArrayRef<llvm::Value *> fields, llvm::Value *pool,
                       llvm::Value *n, llvm::Value *grain) {
  llvm::LLVMContext &ctx = m.getContext();
  llvm::Type *ptr = llvm::PointerType::getUnqual(ctx);
  llvm::Type *i64 = llvm::Type::getInt64Ty(ctx);
  llvm::Type *voidTy = llvm::Type::getVoidTy(ctx);
  llvm::SmallVector<llvm::Type *> types;
  for (llvm::Value *f : fields)
    types.push_back(f->getType());
  auto *frameType = llvm::StructType::get(ctx, types);
  auto *task = llvm::Function::Create(
      llvm::FunctionType::get(voidTy, {ptr, i64, i64}, false),
      llvm::GlobalValue::InternalLinkage, taskName, m);
  {
    llvm::IRBuilder<> tb(llvm::BasicBlock::Create(ctx, "entry", task));
    llvm::SmallVector<llvm::Value *> args;
    for (unsigned i = 0; i < fields.size(); ++i)
      args.push_back(tb.CreateLoad(types[i],
                                   tb.CreateStructGEP(frameType, task->getArg(0), i)));
    args.push_back(task->getArg(1));
    args.push_back(task->getArg(2));
    tb.CreateCall(callee, args);
    tb.CreateRetVoid();
  }
  llvm::FunctionCallee parallelFor = m.getOrInsertFunction(
      "qcrt_parallel_for",
      llvm::FunctionType::get(voidTy, {ptr, i64, i64, ptr, ptr}, false));
  llvm::Value *frame = b.CreateAlloca(frameType);
  for (unsigned i = 0; i < fields.size(); ++i)
    b.CreateStore(fields[i], b.CreateStructGEP(frameType, frame, i));
  b.CreateCall(parallelFor, {pool, n, grain, task, frame});
}

/// The generated kernels (Microkernels.cpp) exist once per variant,
/// <kernel>_<variant>_pack and _tiles; the model calls the declaration
///   <kernel>(x, a, b, c, colsum, bias, pool, tiles, grain, M, N, K, MT, K4)
/// which is given its body here: this variant's packing, then the column
/// tiles on the runtime's thread pool (qcrt_parallel_for with a task that
/// unpacks its arguments). The other variants' bodies are dropped.
/// Gives `decl(fields..., pool, n, grain)` the body that runs
/// `body(fields..., begin, end)` over [0, n) on the runtime's pool, and
/// names it for `variant`.
static void bindOnPool(llvm::Module &m, llvm::Function *decl,
                       llvm::Function *body, llvm::StringRef variant) {
  std::string name = (decl->getName() + "_" + variant).str();
  decl->setName(name);
  decl->setLinkage(llvm::GlobalValue::InternalLinkage);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(m.getContext(), "entry", decl));
  unsigned fields = decl->arg_size() - 3;
  llvm::SmallVector<llvm::Value *> args;
  for (unsigned i = 0; i < fields; ++i)
    args.push_back(decl->getArg(i));
  callOnPool(m, b, name + "_task", body, args, decl->getArg(fields),
             decl->getArg(fields + 1), decl->getArg(fields + 2));
  b.CreateRetVoid();
}

static LogicalResult bindKernels(llvm::Module &m, llvm::StringRef variant,
                                 std::string &error) {
  llvm::SmallVector<llvm::Function *> decls;
  for (llvm::Function &f : m)
    if (f.isDeclaration() && m.getFunction((f.getName() + "_base_tiles").str()))
      decls.push_back(&f);
  llvm::LLVMContext &ctx = m.getContext();
  for (llvm::Function *decl : decls) {
    std::string base = decl->getName().str();
    llvm::Function *pack = m.getFunction(base + "_" + variant.str() + "_pack");
    llvm::Function *tiles = m.getFunction(base + "_" + variant.str() + "_tiles");
    if (tiles && !pack && !m.getFunction(base + "_base_pack") &&
        decl->arg_size() == tiles->arg_size() + 1) {
      // A kernel without packing (QuantMatmul.cpp):
      //   <kernel>(fields..., pool, tiles, grain) runs
      //   <kernel>_<variant>_tiles(fields..., begin, end) on the pool.
      bindOnPool(m, decl, tiles, variant);
      for (const char *v : kVariants)
        if (variant != v)
          if (llvm::Function *other = m.getFunction(base + "_" + v + "_tiles"))
            other->eraseFromParent();
      continue;
    }
    if (!pack || !tiles || decl->arg_size() != 14) {
      error = "no " + variant.str() + " body for kernel " + base;
      return failure();
    }
    // Symbols stay distinct across the variant objects of one library.
    decl->setName(base + "_" + variant);
    decl->setLinkage(llvm::GlobalValue::InternalLinkage);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", decl));
    auto arg = [&](unsigned i) -> llvm::Value * { return decl->getArg(i); };
    // x, a, M, K, MT, K4 on the pool, over the row tiles [0, MT).
    callOnPool(m, b, base + "_" + variant + "_pack_task", pack,
               {arg(0), arg(1), arg(9), arg(11), arg(12), arg(13)}, arg(6),
               arg(12), b.getInt64(1));
    // The tiles' arguments: a, b, c, colsum, bias, M, N, MT, K4.
    callOnPool(m, b, base + "_" + variant + "_task", tiles,
               {arg(1), arg(2), arg(3), arg(4), arg(5), arg(9), arg(10), arg(12),
                arg(13)},
               arg(6), arg(7), arg(8));
    b.CreateRetVoid();
    for (const char *v : kVariants)
      if (variant != v)
        for (const char *part : {"_pack", "_tiles"})
          if (llvm::Function *other = m.getFunction(base + "_" + v + part))
            other->eraseFromParent();
  }
  return success();
}

/// Loop nests outlined by outlineParallelLoops: the declaration
///   <loop>(buffers..., pool, iterations, grain)
/// gets a body that runs <loop>_body(buffers..., begin, end) on the pool.
static void bindParallelLoops(llvm::Module &m, llvm::StringRef variant) {
  llvm::SmallVector<llvm::Function *> decls;
  for (llvm::Function &f : m)
    if (f.isDeclaration() && m.getFunction((f.getName() + "_body").str()))
      decls.push_back(&f);
  for (llvm::Function *decl : decls) {
    llvm::Function *body = m.getFunction((decl->getName() + "_body").str());
    body->setName(decl->getName() + "_" + variant + "_body");
    bindOnPool(m, decl, body, variant);
  }
}

/// Adds `void <name>_run_<variant>(weights, arena, inputs, outputs, pool)`
/// calling the model function, and makes everything else internal.
static LogicalResult addEntry(llvm::Module &m, const LoweredModel &model,
                              llvm::StringRef symbol, llvm::StringRef variant,
                              std::string &error) {
  llvm::Function *fn = m.getFunction(model.entry);
  if (!fn) {
    error = "the lowered module has no function '" + model.entry + "'";
    return failure();
  }
  size_t expected = 3 + model.inputs.size() + model.outputs.size();
  if (fn->arg_size() != expected) {
    error = "the model function takes " + std::to_string(fn->arg_size()) +
            " pointers, expected " + std::to_string(expected);
    return failure();
  }
  for (llvm::Function &f : m)
    if (!f.isDeclaration())
      f.setLinkage(llvm::GlobalValue::InternalLinkage);
  if (failed(bindKernels(m, variant, error)))
    return failure();
  bindParallelLoops(m, variant);
  llvm::LLVMContext &ctx = m.getContext();
  llvm::Type *ptr = llvm::PointerType::getUnqual(ctx);
  auto *type = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx),
                                       {ptr, ptr, ptr, ptr, ptr}, false);
  auto *entry = llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage,
                                       symbol, m);
  const char *names[] = {"weights", "arena", "inputs", "outputs", "pool"};
  for (unsigned i = 0; i < 5; ++i)
    entry->getArg(i)->setName(names[i]);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", entry));
  llvm::SmallVector<llvm::Value *> args = {entry->getArg(0), entry->getArg(1)};
  auto load = [&](llvm::Value *array, size_t i) {
    llvm::Value *slot = b.CreateConstInBoundsGEP1_64(ptr, array, i);
    return b.CreateLoad(ptr, slot);
  };
  for (size_t i = 0; i < model.inputs.size(); ++i)
    args.push_back(load(entry->getArg(2), i));
  for (size_t i = 0; i < model.outputs.size(); ++i)
    args.push_back(load(entry->getArg(3), i));
  args.push_back(entry->getArg(4));
  b.CreateCall(fn, args);
  b.CreateRetVoid();
  return success();
}

static void optimize(llvm::Module &m, llvm::TargetMachine &tm) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions pto;
  pto.LoopVectorization = true;
  pto.SLPVectorization = true;
  llvm::PassBuilder pb(&tm, pto);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager mpm =
      pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2);
  mpm.run(m, mam);
}

/// The optimised LLVM module of one variant.
/// The lowered model translated to LLVM IR once, for every variant to copy.
static std::unique_ptr<llvm::Module> translate(ModuleOp lowered,
                                               llvm::LLVMContext &ctx,
                                               std::string &error) {
  std::unique_ptr<llvm::Module> m = translateModuleToLLVMIR(lowered, ctx);
  if (!m)
    error = "translation to LLVM IR failed";
  return m;
}

/// A copy of `source` made into variant `v` of `target`: entry point,
/// kernels bound, CPU and features set, verified and optimised.
static std::unique_ptr<llvm::Module>
buildVariant(const llvm::Module &source, const LoweredModel &model,
             llvm::StringRef name, const TargetSpec &target,
             const TargetSpec::Variant &v,
             std::unique_ptr<llvm::TargetMachine> &tm, std::string &error) {
  tm = makeTargetMachine(target, v, error);
  if (!tm)
    return nullptr;
  std::unique_ptr<llvm::Module> m = llvm::CloneModule(source);
  m->setModuleIdentifier((name + "_" + v.name).str());
  m->setTargetTriple(llvm::Triple(target.triple));
  m->setDataLayout(tm->createDataLayout());
  if (failed(addEntry(*m, model, entrySymbol(name, v.name), v.name, error)))
    return nullptr;
  for (llvm::Function &f : *m) {
    if (f.isDeclaration())
      continue;
    f.addFnAttr("target-cpu", v.cpu);
    if (!v.features.empty())
      f.addFnAttr("target-features", v.features);
    f.addFnAttr(llvm::Attribute::NoUnwind);
  }
  std::string verifyError;
  llvm::raw_string_ostream vos(verifyError);
  if (llvm::verifyModule(*m, &vos)) {
    error = "generated LLVM IR does not verify: " + verifyError;
    return nullptr;
  }
  optimize(*m, *tm);
  return m;
}

/// `m` compiled to an object file named `member`.
static FailureOr<ObjectFile> emitObject(llvm::Module &m,
                                        llvm::TargetMachine &tm,
                                        std::string member,
                                        std::string &error) {
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager pm;
  if (tm.addPassesToEmitFile(pm, os, nullptr, llvm::CodeGenFileType::ObjectFile)) {
    error = "the " + tm.getTargetTriple().str() +
            " backend cannot emit object files";
    return failure();
  }
  pm.run(m);
  ObjectFile obj;
  obj.member = std::move(member);
  obj.bytes.assign(buffer.begin(), buffer.end());
  return obj;
}

FailureOr<std::vector<ObjectFile>>
cpu::emitObjects(ModuleOp lowered, const LoweredModel &model,
                 llvm::StringRef name, const TargetSpec &target,
                 std::string &error) {
  std::vector<ObjectFile> objects;
  llvm::LLVMContext ctx;
  std::unique_ptr<llvm::Module> source = translate(lowered, ctx, error);
  if (!source)
    return failure();
  for (const TargetSpec::Variant &v : target.variants) {
    std::unique_ptr<llvm::TargetMachine> tm;
    std::unique_ptr<llvm::Module> m =
        buildVariant(*source, model, name, target, v, tm, error);
    if (!m)
      return failure();
    FailureOr<ObjectFile> obj =
        emitObject(*m, *tm, (name + "_" + v.name + ".o").str(), error);
    if (failed(obj))
      return failure();
    objects.push_back(std::move(*obj));
  }
  return objects;
}

FailureOr<std::string> cpu::emitLLVMIR(ModuleOp lowered,
                                       const LoweredModel &model,
                                       llvm::StringRef name,
                                       const TargetSpec &target,
                                       std::string &error) {
  llvm::LLVMContext ctx;
  std::unique_ptr<llvm::Module> source = translate(lowered, ctx, error);
  if (!source)
    return failure();
  std::unique_ptr<llvm::TargetMachine> tm;
  std::unique_ptr<llvm::Module> m = buildVariant(
      *source, model, name, target, target.variants.back(), tm, error);
  if (!m)
    return failure();
  std::string text;
  llvm::raw_string_ostream os(text);
  m->print(os, nullptr);
  return text;
}

FailureOr<ObjectFile>
cpu::emitDescriptorObject(const artifact::DescriptorInfo &info,
                          const TargetSpec &target, std::string &error) {
  const TargetSpec::Variant &base = target.variants.back();
  std::unique_ptr<llvm::TargetMachine> tm = makeTargetMachine(target, base, error);
  if (!tm)
    return failure();
  llvm::LLVMContext ctx;
  llvm::Module m(info.name + "_desc", ctx);
  m.setTargetTriple(llvm::Triple(target.triple));
  m.setDataLayout(tm->createDataLayout());
  if (llvm::Error e = artifact::emitModelDescriptor(m, info)) {
    error = llvm::toString(std::move(e));
    return failure();
  }
  return emitObject(m, *tm, info.name + "_desc.o", error);
}
