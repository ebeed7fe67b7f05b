//===- Write.cpp - writing the artifact directory -------------------------===//
//
// Part of quantc. An artifact is either complete or absent: every file goes
// into a fresh sibling directory that is renamed over the destination at the
// end, so a failed or interrupted compile never leaves a half-written
// artifact, and never one whose manifest and code disagree. Only a directory
// that is empty or holds a previous artifact is replaced; anything else at
// the destination is the user's and is left alone.
//
//===----------------------------------------------------------------------===//

#include "ArtifactInternal.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Errc.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir::qc::artifact;
using namespace mlir::qc::artifact::detail;
using llvm::StringRef;
using llvm::Twine;
namespace fs = llvm::sys::fs;

namespace {

enum class Destination { Absent, EmptyDir, Artifact };

bool holdsArtifactManifest(StringRef dir) {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, "manifest.json");
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return false;
  llvm::Expected<llvm::json::Value> value =
      llvm::json::parse((*buffer)->getBuffer());
  if (!value) {
    llvm::consumeError(value.takeError());
    return false;
  }
  const llvm::json::Object *object = value->getAsObject();
  if (!object)
    return false;
  std::optional<StringRef> format = object->getString("format");
  return format && *format == kFormatName;
}

/// What is at `out` now, or why it must not be replaced.
llvm::Expected<Destination> inspectDestination(StringRef out) {
  fs::file_status status;
  std::error_code ec = fs::status(out, status, /*Follow=*/false);
  if (ec == llvm::errc::no_such_file_or_directory)
    return Destination::Absent;
  if (ec)
    return makeError("cannot inspect '" + out + "': " + ec.message());
  if (status.type() == fs::file_type::symlink_file)
    return makeError("refusing to replace '" + out +
                     "': it is a symbolic link (give the directory it "
                     "points to instead)");
  if (status.type() != fs::file_type::directory_file)
    return makeError("refusing to overwrite '" + out +
                     "': it exists and is not a directory");
  fs::directory_iterator it(out, ec), end;
  if (ec)
    return makeError("cannot list '" + out + "': " + ec.message());
  if (it == end)
    return Destination::EmptyDir;
  if (holdsArtifactManifest(out))
    return Destination::Artifact;
  return makeError("refusing to replace '" + out +
                   "': it is a non-empty directory that is not a quantc "
                   "artifact (it has no manifest.json with \"format\": \"" +
                   kFormatName + "\")");
}

/// A path next to `out` that does not exist yet: `<out><tag>XXXXXX`. Only the
/// suffix is random, so '%' in `out` stays as it is.
std::string siblingPath(StringRef out, StringRef tag) {
  llvm::SmallString<16> suffix;
  fs::createUniquePath("%%%%%%", suffix, /*MakeAbsolute=*/false);
  return (out + tag + suffix).str();
}

/// Creates a new directory `<out><tag>XXXXXX` (mode 0777 less the umask, as
/// the final artifact directory should be).
llvm::Expected<std::string> createSiblingDirectory(StringRef out,
                                                   StringRef tag) {
  for (int attempt = 0; attempt < 64; ++attempt) {
    std::string path = siblingPath(out, tag);
    std::error_code ec =
        fs::create_directory(path, /*IgnoreExisting=*/false, fs::all_all);
    if (!ec)
      return path;
    if (ec != llvm::errc::file_exists)
      return makeError("cannot create '" + path + "': " + ec.message());
  }
  return makeError("cannot find an unused temporary name next to '" + out +
                   "'");
}

llvm::Error writeFileIn(StringRef dir, StringRef name, StringRef bytes) {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, name);
  return writeFileBytes(path, bytes);
}

/// Moves the finished directory `tmp` to `out`, setting aside a previous
/// artifact first (a directory cannot be renamed over a non-empty one) and
/// deleting it once the new one is in place.
llvm::Error moveIntoPlace(StringRef tmp, StringRef out) {
  llvm::Expected<Destination> destination = inspectDestination(out);
  if (!destination)
    return destination.takeError();
  if (*destination != Destination::Artifact) {
    if (std::error_code ec = fs::rename(tmp, out))
      return makeError("cannot rename '" + tmp + "' to '" + out +
                       "': " + ec.message());
    return llvm::Error::success();
  }

  std::string old = siblingPath(out, ".old-");
  if (fs::exists(old))
    return makeError("temporary name '" + old + "' is taken");
  if (std::error_code ec = fs::rename(out, old))
    return makeError("cannot move the previous artifact '" + out +
                     "' aside: " + ec.message());
  if (std::error_code ec = fs::rename(tmp, out)) {
    std::error_code restore = fs::rename(old, out);
    return makeError("cannot rename '" + tmp + "' to '" + out +
                     "': " + ec.message() +
                     (restore ? "; the previous artifact is now '" + old + "'"
                              : std::string()));
  }
  if (std::error_code ec = fs::remove_directories(old, /*IgnoreErrors=*/false))
    return makeError("wrote '" + out + "', but cannot remove the previous " +
                     "artifact moved to '" + old + "': " + ec.message());
  return llvm::Error::success();
}

} // namespace

llvm::Error mlir::qc::artifact::detail::writeFileBytes(const Twine &path,
                                                       StringRef bytes) {
  llvm::SmallString<256> p;
  path.toVector(p);
  std::error_code ec;
  llvm::raw_fd_ostream os(p, ec, fs::OF_None);
  if (ec)
    return makeError("cannot write '" + p + "': " + ec.message());
  os << bytes;
  os.close();
  if (os.has_error()) {
    ec = os.error();
    os.clear_error();
    return makeError("cannot write '" + p + "': " + ec.message());
  }
  return llvm::Error::success();
}

llvm::Error mlir::qc::artifact::writeArtifact(const ArtifactDescription &d,
                                              StringRef manifestText,
                                              StringRef headerText,
                                              StringRef outDir) {
  if (llvm::Error e = verifyDescription(d))
    return e;
  // The code carries the hash of manifestText: writing a manifest that says
  // something else than the description would ship weights or shapes the
  // code was not compiled for.
  if (manifestText != renderManifest(d))
    return makeError("artifact '" + d.name +
                     "': the manifest text is not the one this description "
                     "renders (was the description changed after the "
                     "manifest was hashed?)");
  if (headerText != renderHeader(d))
    return makeError("artifact '" + d.name +
                     "': the header text is not the one this description "
                     "renders");

  // "model.qc/" names the same directory as "model.qc"; the temporary
  // directory must be its sibling, not its child.
  llvm::SmallString<256> out(outDir);
  while (out.size() > 1 && llvm::sys::path::is_separator(out.back()))
    out.pop_back();
  StringRef base = llvm::sys::path::filename(out);
  if (out.empty() || base == "." || base == ".." ||
      llvm::sys::path::is_separator(base.back()))
    return makeError("'" + outDir + "' cannot be an artifact directory");
  llvm::SmallString<256> parent(llvm::sys::path::parent_path(out));
  if (parent.empty())
    parent = ".";
  if (!fs::is_directory(parent))
    return makeError("cannot write '" + out + "': the directory '" + parent +
                     "' does not exist");

  // Fail before writing gigabytes of weights if the destination is taken.
  if (llvm::Expected<Destination> destination = inspectDestination(out);
      !destination)
    return destination.takeError();

  llvm::Expected<std::string> tmp = createSiblingDirectory(out, ".tmp-");
  if (!tmp)
    return tmp.takeError();
  llvm::scope_exit removeTmp(
      [&] { fs::remove_directories(*tmp, /*IgnoreErrors=*/true); });

  if (llvm::Error e = writeFileIn(*tmp, "manifest.json", manifestText))
    return e;
  if (llvm::Error e =
          writeFileIn(*tmp, "weights.bin", llvm::toStringRef(d.weights.data())))
    return e;
  if (llvm::Error e = writeFileIn(*tmp, d.name + ".h", headerText))
    return e;
  for (const TargetLibrary &target : d.targets)
    if (llvm::Error e = writeTargetArchive(target, d.name, *tmp))
      return e;

  if (llvm::Error e = moveIntoPlace(*tmp, out))
    return e;
  removeTmp.release();
  return llvm::Error::success();
}
