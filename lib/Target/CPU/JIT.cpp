//===- JIT.cpp - run generated host objects in-process --------------------===//
//
// Part of quantc.
//
// quant-run executes an artifact's host code through the same runtime an
// application links; the code itself is the artifact's lib<name>.a, linked
// into the process by ORC (JITLink) instead of a system linker.
//
//===----------------------------------------------------------------------===//

#include "qc/Target/CPU/CPUCodegen.h"

#include "llvm/ExecutionEngine/Orc/AbsoluteSymbols.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/Object/Archive.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"

#include <mutex>

using namespace mlir;
using namespace mlir::qc::cpu;

struct JITCode::Impl {
  std::unique_ptr<llvm::orc::LLJIT> jit;
};

JITCode::JITCode() : impl(std::make_unique<Impl>()) {}
JITCode::~JITCode() = default;

FailureOr<std::unique_ptr<JITCode>>
JITCode::load(std::vector<ObjectFile> objects,
              llvm::ArrayRef<std::pair<std::string, void *>> symbols,
              std::string &error) {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
  auto fail = [&](llvm::Error e) -> FailureOr<std::unique_ptr<JITCode>> {
    error = llvm::toString(std::move(e));
    return failure();
  };
  std::unique_ptr<JITCode> code(new JITCode());
  auto jit = llvm::orc::LLJITBuilder().create();
  if (!jit)
    return fail(jit.takeError());
  code->impl->jit = std::move(*jit);
  llvm::orc::LLJIT &j = *code->impl->jit;
  llvm::orc::JITDylib &jd = j.getMainJITDylib();
  llvm::orc::SymbolMap map;
  for (auto &[name, address] : symbols)
    map[j.mangleAndIntern(name)] = {llvm::orc::ExecutorAddr::fromPtr(address),
                                    llvm::JITSymbolFlags::Exported};
  if (!map.empty())
    if (llvm::Error e = jd.define(llvm::orc::absoluteSymbols(std::move(map))))
      return fail(std::move(e));
  auto process = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      j.getDataLayout().getGlobalPrefix());
  if (!process)
    return fail(process.takeError());
  jd.addGenerator(std::move(*process));
  for (ObjectFile &obj : objects) {
    auto buffer = llvm::MemoryBuffer::getMemBufferCopy(
        llvm::StringRef(obj.bytes.data(), obj.bytes.size()), obj.member);
    if (llvm::Error e = j.addObjectFile(std::move(buffer)))
      return fail(std::move(e));
  }
  return code;
}

FailureOr<std::unique_ptr<JITCode>>
JITCode::loadArchive(llvm::StringRef path,
                     llvm::ArrayRef<std::pair<std::string, void *>> symbols,
                     std::string &error) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer) {
    error = path.str() + ": " + buffer.getError().message();
    return failure();
  }
  auto archive = llvm::object::Archive::create((*buffer)->getMemBufferRef());
  if (!archive) {
    error = path.str() + ": not a static library: " +
            llvm::toString(archive.takeError());
    return failure();
  }
  std::vector<ObjectFile> objects;
  llvm::Error err = llvm::Error::success();
  for (const llvm::object::Archive::Child &child : (*archive)->children(err)) {
    auto name = child.getName();
    auto data = child.getBuffer();
    if (!name || !data) {
      if (!name)
        llvm::consumeError(name.takeError());
      if (!data)
        llvm::consumeError(data.takeError());
      error = path.str() + ": unreadable archive member";
      return failure();
    }
    ObjectFile obj;
    obj.member = name->str();
    obj.bytes.assign(data->begin(), data->end());
    objects.push_back(std::move(obj));
  }
  if (err) {
    error = path.str() + ": " + llvm::toString(std::move(err));
    return failure();
  }
  return load(std::move(objects), symbols, error);
}

void *JITCode::lookup(llvm::StringRef symbol, std::string &error) {
  auto addr = impl->jit->lookup(symbol);
  if (!addr) {
    error = llvm::toString(addr.takeError());
    return nullptr;
  }
  return addr->toPtr<void *>();
}
