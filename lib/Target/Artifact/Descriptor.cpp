//===- Descriptor.cpp - `const qcrt_model_desc <name>_desc` in LLVM IR ----===//
//
// Part of quantc. The runtime reads this constant through the C struct of
// runtime/include/quantc/runtime.h; the IR struct below has the same fields in
// the same order with C's natural alignment, so the target's DataLayout
// gives it the C layout on every target.
//
//===----------------------------------------------------------------------===//

#include "ArtifactInternal.h"

#include "quantc/runtime.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/Module.h"

using namespace mlir::qc::artifact;
using namespace mlir::qc::artifact::detail;
using llvm::StringRef;

static_assert(QCRT_ABI_VERSION == kAbiVersion, "ABI version mismatch");
static_assert(uint32_t(QCRT_ISA_DOTPROD) == uint32_t(kIsaDotProd) &&
                  uint32_t(QCRT_ISA_I8MM) == uint32_t(kIsaI8MM) &&
                  uint32_t(QCRT_ISA_AVX512VNNI) == uint32_t(kIsaAvx512Vnni),
              "ISA bits differ from the runtime's");
static_assert(QCRT_MAX_RANK == kMaxRank, "rank limit differs from runtime's");

llvm::StructType *mlir::qc::artifact::getModelDescType(llvm::LLVMContext &ctx) {
  llvm::Type *i32 = llvm::Type::getInt32Ty(ctx);
  llvm::Type *i64 = llvm::Type::getInt64Ty(ctx);
  llvm::Type *ptr = llvm::PointerType::getUnqual(ctx);
  return llvm::StructType::get(ctx,
                               {i32, ptr, ptr, i64, i64, i32, i32, i32, ptr});
}

llvm::StructType *mlir::qc::artifact::getVariantType(llvm::LLVMContext &ctx) {
  llvm::Type *i32 = llvm::Type::getInt32Ty(ctx);
  llvm::Type *ptr = llvm::PointerType::getUnqual(ctx);
  return llvm::StructType::get(ctx, {i32, ptr, ptr});
}

llvm::FunctionType *
mlir::qc::artifact::getEntryFunctionType(llvm::LLVMContext &ctx) {
  llvm::Type *ptr = llvm::PointerType::getUnqual(ctx);
  return llvm::FunctionType::get(llvm::Type::getVoidTy(ctx),
                                 {ptr, ptr, ptr, ptr, ptr}, /*isVarArg=*/false);
}

DescriptorInfo mlir::qc::artifact::makeDescriptorInfo(
    const ArtifactDescription &d, StringRef manifestSha256,
    std::vector<DescriptorInfo::Variant> variants) {
  DescriptorInfo info;
  info.name = d.name;
  info.manifestSha256 = manifestSha256.str();
  info.weightsBytes = d.weights.size();
  info.arenaBytes = d.arenaBytes;
  info.numInputs = d.inputs.size();
  info.numOutputs = d.outputs.size();
  info.variants = std::move(variants);
  return info;
}

namespace {

llvm::Constant *privateString(llvm::Module &module, StringRef value,
                              const llvm::Twine &name) {
  llvm::Constant *init =
      llvm::ConstantDataArray::getString(module.getContext(), value);
  auto *global =
      new llvm::GlobalVariable(module, init->getType(), /*isConstant=*/true,
                               llvm::GlobalValue::PrivateLinkage, init, name);
  global->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
  global->setAlignment(llvm::Align(1));
  return global;
}

} // namespace

llvm::Error
mlir::qc::artifact::emitModelDescriptor(llvm::Module &module,
                                        const DescriptorInfo &info) {
  if (info.name.empty() || cName(info.name) != info.name)
    return makeError("descriptor name '" + info.name +
                     "' is not a usable C name");
  std::string descName = info.name + "_desc";
  if (!isLowerHexSha256(info.manifestSha256))
    return makeError(descName + ": manifest hash '" + info.manifestSha256 +
                     "' is not 64 lowercase hex digits");
  if (info.variants.empty())
    return makeError(descName + ": no variants");
  if (module.getNamedValue(descName))
    return makeError(descName + ": the module already has a symbol of this "
                                "name");

  llvm::LLVMContext &ctx = module.getContext();
  llvm::FunctionType *entryType = getEntryFunctionType(ctx);
  llvm::StructType *variantType = getVariantType(ctx);
  llvm::StructType *descType = getModelDescType(ctx);
  llvm::Type *i32 = llvm::Type::getInt32Ty(ctx);
  llvm::Type *i64 = llvm::Type::getInt64Ty(ctx);

  // Resolve every entry before adding anything, so a failure leaves the
  // module as it was.
  std::vector<llvm::Function *> entries;
  for (const DescriptorInfo::Variant &v : info.variants) {
    if (v.name.empty() || v.entry.empty())
      return makeError(descName + ": a variant lacks a name or an entry");
    llvm::GlobalValue *existing = module.getNamedValue(v.entry);
    auto *fn = llvm::dyn_cast_or_null<llvm::Function>(existing);
    if (existing && (!fn || fn->getFunctionType() != entryType))
      return makeError(descName + ": entry '" + v.entry +
                       "' is not a function of type void(ptr, ptr, ptr, "
                       "ptr, ptr)");
    entries.push_back(fn);
  }
  for (auto [i, v] : llvm::enumerate(info.variants))
    if (!entries[i])
      entries[i] = llvm::Function::Create(
          entryType, llvm::GlobalValue::ExternalLinkage, v.entry, module);

  std::vector<llvm::Constant *> variants;
  for (auto [i, v] : llvm::enumerate(info.variants)) {
    llvm::Constant *name =
        privateString(module, v.name, descName + ".variant." + v.name);
    variants.push_back(llvm::ConstantStruct::get(
        variantType, {llvm::ConstantInt::get(i32, v.isa), name, entries[i]}));
  }
  auto *variantsArrayType =
      llvm::ArrayType::get(variantType, info.variants.size());
  auto *variantsArray = new llvm::GlobalVariable(
      module, variantsArrayType, /*isConstant=*/true,
      llvm::GlobalValue::PrivateLinkage,
      llvm::ConstantArray::get(variantsArrayType, variants),
      descName + ".variants");

  llvm::Constant *fields[] = {
      llvm::ConstantInt::get(i32, kAbiVersion),
      privateString(module, info.name, descName + ".name"),
      privateString(module, info.manifestSha256, descName + ".manifest_sha256"),
      llvm::ConstantInt::get(i64, info.weightsBytes),
      llvm::ConstantInt::get(i64, info.arenaBytes),
      llvm::ConstantInt::get(i32, info.numInputs),
      llvm::ConstantInt::get(i32, info.numOutputs),
      llvm::ConstantInt::get(i32, info.variants.size()),
      variantsArray};
  new llvm::GlobalVariable(
      module, descType, /*isConstant=*/true, llvm::GlobalValue::ExternalLinkage,
      llvm::ConstantStruct::get(descType, fields), descName);
  return llvm::Error::success();
}
