//===- Archive.cpp - one static library per CPU target --------------------===//
//
// Part of quantc. GNU archives for ELF targets and Darwin (BSD) ones for
// Mach-O, each with a symbol table so that linkers (and Apple's ld, which
// wants the Darwin table) resolve `<name>_desc` without ranlib. Written
// deterministically: the artifact of a compile is reproducible byte for byte.
//
//===----------------------------------------------------------------------===//

#include "ArtifactInternal.h"

#include "llvm/Object/ArchiveWriter.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir::qc::artifact;
using namespace mlir::qc::artifact::detail;
using llvm::StringRef;

llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
mlir::qc::artifact::renderArchive(const TargetLibrary &target) {
  std::vector<llvm::NewArchiveMember> members;
  members.reserve(target.objects.size());
  for (const auto &[name, bytes] : target.objects) {
    llvm::NewArchiveMember member(
        llvm::MemoryBufferRef(StringRef(bytes.data(), bytes.size()), name));
    member.MemberName = name;
    member.UID = member.GID = 0;
    member.Perms = 0644;
    members.push_back(std::move(member));
  }

  // A member the symbol table cannot read is a broken object: fail instead
  // of writing a library whose symbols the linker would not see.
  llvm::Error warning = llvm::Error::success();
  auto warn = [&](llvm::Error e) {
    if (warning)
      llvm::consumeError(std::move(e));
    else
      warning = std::move(e);
  };
  llvm::object::Archive::Kind kind = target.darwin
                                         ? llvm::object::Archive::K_DARWIN
                                         : llvm::object::Archive::K_GNU;
  auto buffer = llvm::writeArchiveToBuffer(
      members, llvm::SymtabWritingMode::NormalSymtab, kind,
      /*Deterministic=*/true, /*Thin=*/false, warn);
  if (!buffer) {
    llvm::consumeError(std::move(warning));
    return makeError("library for " + target.triple + ": " +
                     llvm::toString(buffer.takeError()));
  }
  if (warning)
    return makeError("library for " + target.triple + ": " +
                     llvm::toString(std::move(warning)));
  return buffer;
}

llvm::Error mlir::qc::artifact::writeTargetArchive(const TargetLibrary &target,
                                                   StringRef modelName,
                                                   StringRef artifactDir) {
  auto buffer = renderArchive(target);
  if (!buffer)
    return buffer.takeError();
  llvm::SmallString<256> dir(artifactDir);
  llvm::sys::path::append(dir, target.dir);
  if (std::error_code ec = llvm::sys::fs::create_directories(
          dir, /*IgnoreExisting=*/true, llvm::sys::fs::all_all))
    return makeError("cannot create directory '" + dir + "': " + ec.message());
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, "lib" + modelName + ".a");
  return writeFileBytes(path, (*buffer)->getBuffer());
}
