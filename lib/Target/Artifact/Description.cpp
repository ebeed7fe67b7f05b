//===- Description.cpp - weights, dtypes and checks of an artifact --------===//
//
// Part of quantc. verifyDescription is the single place that decides what the
// format accepts: the renderers assume it passed, and writeArtifact runs it
// before anything touches the disk.
//
//===----------------------------------------------------------------------===//

#include "ArtifactInternal.h"
#include "Sha256.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/BinaryFormat/Magic.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/SHA256.h"
#include "llvm/TargetParser/Triple.h"

#include <array>
#include <cerrno>
#include <unistd.h>
#include <cmath>

using namespace mlir::qc::artifact;
using namespace mlir::qc::artifact::detail;
using llvm::StringRef;
using llvm::Twine;

namespace {

struct DTypeInfo {
  llvm::StringLiteral name;
  uint64_t size;
  llvm::StringLiteral runtimeName;
};

constexpr DTypeInfo kDTypes[] = {
    {"f32", 4, "QCRT_F32"},  {"f16", 2, "QCRT_F16"}, {"bf16", 2, "QCRT_BF16"},
    {"f64", 8, "QCRT_F64"},  {"i8", 1, "QCRT_I8"},   {"u8", 1, "QCRT_U8"},
    {"i16", 2, "QCRT_I16"},  {"i32", 4, "QCRT_I32"}, {"i64", 8, "QCRT_I64"},
    {"bool", 1, "QCRT_BOOL"}};

const DTypeInfo *lookupDType(StringRef dtype) {
  for (const DTypeInfo &info : kDTypes)
    if (info.name == dtype)
      return &info;
  return nullptr;
}

constexpr StringRef kDTypeList = "f32 f16 bf16 f64 i8 u8 i16 i32 i64 bool";

std::string quoted(StringRef s) { return "'" + s.str() + "'"; }

llvm::Error checkUtf8(StringRef s, const Twine &what) {
  if (llvm::json::isUTF8(s))
    return llvm::Error::success();
  return makeError(what + " is not valid UTF-8");
}

llvm::Error checkShape(llvm::ArrayRef<int64_t> shape, const Twine &what) {
  for (auto [i, d] : llvm::enumerate(shape))
    if (d < 0)
      return makeError(what + ": dimension " + Twine(i) + " is " + Twine(d) +
                       " (shapes must be static and non-negative)");
  if (!elementCount(shape))
    return makeError(what + ": the element count overflows 64 bits");
  return llvm::Error::success();
}

llvm::Error checkIo(llvm::ArrayRef<IoTensor> list, StringRef kind) {
  llvm::StringSet<> seen;
  for (auto [i, t] : llvm::enumerate(list)) {
    std::string what =
        (kind + " " + Twine(i) + " (" + quoted(t.name) + ")").str();
    if (t.name.empty())
      return makeError(kind + " " + Twine(i) + " has no name");
    if (llvm::Error e = checkUtf8(t.name, kind + " " + Twine(i) + " name"))
      return e;
    if (!seen.insert(t.name).second)
      return makeError(what + ": the name is used by an earlier " + kind);
    if (!dtypeSize(t.dtype))
      return makeError(what + ": unknown dtype " + quoted(t.dtype) +
                       " (expected one of " + kDTypeList + ")");
    if (t.shape.size() > kMaxRank)
      return makeError(what + ": rank " + Twine(t.shape.size()) +
                       " exceeds the runtime's limit of " + Twine(kMaxRank));
    if (llvm::Error e = checkShape(t.shape, what))
      return e;
    if (!denseBytes(t.dtype, t.shape))
      return makeError(what + ": the byte size overflows 64 bits");
  }
  return llvm::Error::success();
}

llvm::Error checkQuant(const TensorRecord &t, const TensorQuant &q,
                       const Twine &what) {
  if (q.scales.empty())
    return makeError(what + ": quantized without scales");
  for (auto [i, s] : llvm::enumerate(q.scales))
    if (!std::isfinite(s))
      return makeError(what + ": scale " + Twine(i) + " is not finite");
  if (q.zeroPoints.size() != q.scales.size())
    return makeError(what + ": " + Twine(q.scales.size()) + " scales but " +
                     Twine(q.zeroPoints.size()) + " zero points");
  if (q.blockSize && *q.blockSize <= 0)
    return makeError(what + ": block size " + Twine(*q.blockSize) +
                     " is not positive");
  if (q.axis) {
    int64_t rank = t.shape.size();
    if (*q.axis < 0 || *q.axis >= rank)
      return makeError(what + ": quantization axis " + Twine(*q.axis) +
                       " is outside the rank " + Twine(rank));
    uint64_t dim = t.shape[*q.axis];
    if (!q.blockSize && q.scales.size() != dim)
      return makeError(what + ": " + Twine(q.scales.size()) +
                       " scales for axis " + Twine(*q.axis) + " of size " +
                       Twine(dim));
  } else if (!q.blockSize && q.scales.size() != 1) {
    return makeError(what + ": " + Twine(q.scales.size()) +
                     " scales but no axis (per-tensor takes one)");
  }
  return llvm::Error::success();
}

llvm::Error checkTensors(const WeightsBuilder &w) {
  llvm::StringSet<> seen;
  for (auto [i, t] : llvm::enumerate(w.tensors())) {
    std::string what =
        ("tensor " + Twine(i) + " (" + quoted(t.name) + ")").str();
    if (t.name.empty())
      return makeError("tensor " + Twine(i) + " has no name");
    if (llvm::Error e = checkUtf8(t.name, "tensor " + Twine(i) + " name"))
      return e;
    if (!seen.insert(t.name).second)
      return makeError(what + ": the name is used by an earlier tensor");
    if (!dtypeSize(t.dtype))
      return makeError(what + ": unknown dtype " + quoted(t.dtype) +
                       " (expected one of " + kDTypeList + ")");
    if (llvm::Error e = checkShape(t.shape, what))
      return e;
    if (t.layout.empty())
      return makeError(what + ": no layout");
    if (llvm::Error e = checkUtf8(t.layout, what + " layout"))
      return e;
    // The plain layouts are dense; repacked ones may pad.
    if (t.layout == "rowmajor" || t.layout == "oihw") {
      std::optional<uint64_t> dense = denseBytes(t.dtype, t.shape);
      if (!dense || *dense != t.bytes)
        return makeError(what + ": " + Twine(t.bytes) + " bytes, but a dense " +
                         t.layout + " " + t.dtype + " tensor of this shape " +
                         "has " + (dense ? std::to_string(*dense) : "more"));
    }
    if (t.offset % kWeightsAlignment || t.offset + t.bytes > w.size())
      return makeError(what + ": offset " + Twine(t.offset) +
                       " is not a 64-byte aligned place inside weights.bin");
    if (t.quant)
      if (llvm::Error e = checkQuant(t, *t.quant, what))
        return e;
  }
  return llvm::Error::success();
}

/// A directory name that is the same on every file system: no separators,
/// no leading dot (the writer's temporary names start with one).
bool isPlainDirName(StringRef s) {
  if (s.empty() || s.front() == '.')
    return false;
  return llvm::all_of(s, [](char c) {
    return llvm::isAlnum(c) || c == '_' || c == '-' || c == '.' || c == '+';
  });
}

llvm::Error checkTargets(const ArtifactDescription &d) {
  if (d.targets.empty())
    return makeError("no targets: an artifact needs at least one library");
  // Compared case-insensitively: artifacts are copied to macOS too.
  llvm::StringSet<> dirs;
  dirs.insert("manifest.json");
  dirs.insert("weights.bin");
  dirs.insert(StringRef(d.name + ".h").lower());
  for (auto [i, t] : llvm::enumerate(d.targets)) {
    std::string what =
        ("target " + Twine(i) + " (" + quoted(t.triple) + ")").str();
    llvm::Triple triple(t.triple);
    if (t.triple.empty() || triple.getArch() == llvm::Triple::UnknownArch)
      return makeError(what + ": not a target triple with a known CPU");
    if (triple.isOSBinFormatMachO() != t.darwin)
      return makeError(
          what + ": marked " + (t.darwin ? "Darwin" : "not Darwin") +
          ", but the triple's object format is " +
          llvm::Triple::getObjectFormatTypeName(triple.getObjectFormat()));
    if (!t.darwin && !triple.isOSBinFormatELF())
      return makeError(what + ": only ELF and Mach-O targets are supported");
    if (!isPlainDirName(t.dir))
      return makeError(what + ": directory " + quoted(t.dir) +
                       " is not a plain name ([A-Za-z0-9_.+-], no leading "
                       "dot)");
    if (!dirs.insert(StringRef(t.dir).lower()).second)
      return makeError(what + ": directory " + quoted(t.dir) +
                       " is already used in the artifact");
    if (t.variants.empty())
      return makeError(what + ": no variants");
    llvm::StringSet<> variants;
    for (const std::string &v : t.variants) {
      if (v.empty())
        return makeError(what + ": a variant has no name");
      if (llvm::Error e = checkUtf8(v, what + " variant"))
        return e;
      if (!variants.insert(v).second)
        return makeError(what + ": variant " + quoted(v) + " listed twice");
    }
    if (t.objects.empty())
      return makeError(what + ": no object files");
    llvm::StringSet<> members;
    for (const auto &[member, bytes] : t.objects) {
      if (member.empty() ||
          StringRef(member).find_first_of("/\\") != StringRef::npos ||
          StringRef(member).contains('\0'))
        return makeError(what + ": archive member name " + quoted(member) +
                         " is empty or contains a path separator");
      if (!members.insert(member).second)
        return makeError(what + ": archive member " + quoted(member) +
                         " listed twice");
      llvm::file_magic magic =
          llvm::identify_magic(StringRef(bytes.data(), bytes.size()));
      llvm::file_magic expected = t.darwin ? llvm::file_magic::macho_object
                                           : llvm::file_magic::elf_relocatable;
      if (magic != expected)
        return makeError(what + ": member " + quoted(member) + " is not " +
                         (t.darwin ? "a Mach-O" : "an ELF relocatable") +
                         " object file");
    }
  }
  return llvm::Error::success();
}

} // namespace

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

std::optional<uint64_t> mlir::qc::artifact::dtypeSize(StringRef dtype) {
  if (const DTypeInfo *info = lookupDType(dtype))
    return info->size;
  return std::nullopt;
}

std::string mlir::qc::artifact::detail::runtimeDTypeName(StringRef dtype) {
  const DTypeInfo *info = lookupDType(dtype);
  return info ? info->runtimeName.str() : std::string();
}

std::optional<uint64_t>
mlir::qc::artifact::detail::elementCount(llvm::ArrayRef<int64_t> shape) {
  uint64_t count = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return std::nullopt;
    bool overflow = false;
    count = llvm::SaturatingMultiply(count, uint64_t(d), &overflow);
    if (overflow)
      return std::nullopt;
  }
  return count;
}

std::optional<uint64_t>
mlir::qc::artifact::detail::denseBytes(StringRef dtype,
                                       llvm::ArrayRef<int64_t> shape) {
  std::optional<uint64_t> size = dtypeSize(dtype);
  std::optional<uint64_t> count = elementCount(shape);
  if (!size || !count)
    return std::nullopt;
  bool overflow = false;
  uint64_t bytes = llvm::SaturatingMultiply(*count, *size, &overflow);
  if (overflow)
    return std::nullopt;
  return bytes;
}

bool mlir::qc::artifact::detail::isLowerHexSha256(StringRef s) {
  return s.size() == 64 && llvm::all_of(s, [](char c) {
           return llvm::isDigit(c) || (c >= 'a' && c <= 'f');
         });
}

std::string mlir::qc::artifact::sha256Hex(llvm::ArrayRef<uint8_t> bytes) {
  // The runtime's implementation: llvm::SHA256 keeps a 32-bit byte count
  // and hashes inputs of 512 MB or more wrongly.
  uint8_t digest[qcrt::kSha256Bytes];
  char hex[qcrt::kSha256HexBytes];
  qcrt::sha256(bytes.data(), bytes.size(), digest);
  qcrt::sha256Hex(digest, hex);
  return hex;
}

std::string mlir::qc::artifact::sha256Hex(StringRef bytes) {
  return sha256Hex(llvm::arrayRefFromStringRef(bytes));
}

std::string mlir::qc::artifact::manifestSha256Hex(StringRef manifestText) {
  return sha256Hex(manifestText);
}

uint64_t IoTensor::bytes() const {
  return denseBytes(dtype, shape).value_or(0);
}

std::string mlir::qc::artifact::libraryPath(const TargetLibrary &target,
                                            StringRef modelName) {
  return (target.dir + "/lib" + modelName + ".a").str();
}

ProducerInfo ProducerInfo::current() {
  return ProducerInfo{"quant-compile", QC_VERSION_STRING, LLVM_VERSION_STRING};
}

//===----------------------------------------------------------------------===//
// WeightsBuilder
//===----------------------------------------------------------------------===//

/// The temporary file of a spilled builder: unlinked as soon as it is
/// created, so nothing is left behind whatever happens to the process.
struct WeightsBuilder::Spill {
  int fd = -1;
  bool failed = false;
  std::unique_ptr<llvm::sys::fs::mapped_file_region> map;
  uint64_t mapped = 0;
  ~Spill() {
    map.reset();
    if (fd >= 0)
      llvm::sys::Process::SafelyCloseFileDescriptor(fd);
  }
  void write(const uint8_t *p, size_t n) {
    while (n && !failed) {
      ssize_t w = ::write(fd, p, n);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0) {
        failed = true;
        break;
      }
      p += w;
      n -= size_t(w);
    }
  }
};

void WeightsBuilder::reserve(uint64_t bytes) {
  if (bytes < spillThreshold || spill) {
    if (!spill)
      blob.reserve(bytes);
    return;
  }
  int fd;
  llvm::SmallString<128> path;
  if (llvm::sys::fs::createTemporaryFile("qc-weights", "bin", fd, path)) {
    blob.reserve(bytes); // no temporary file: stay in memory
    return;
  }
  llvm::sys::fs::remove(path);
  spill = std::make_shared<Spill>();
  spill->fd = fd;
  spill->write(blob.data(), blob.size());
  blob = {};
}

uint64_t WeightsBuilder::add(TensorRecord meta, llvm::ArrayRef<uint8_t> bytes) {
  // The size is kept a multiple of the alignment, so the next blob starts
  // right at the end and the padding after it is written now.
  uint64_t offset = total;
  uint64_t padded = llvm::alignTo(bytes.size(), kWeightsAlignment);
  if (spill) {
    static const uint8_t zeros[kWeightsAlignment] = {};
    spill->map.reset();
    spill->write(bytes.data(), bytes.size());
    spill->write(zeros, padded - bytes.size());
  } else {
    if (blob.capacity() < offset + padded)
      blob.reserve(std::max<uint64_t>(offset + padded, 2 * blob.capacity()));
    blob.insert(blob.end(), bytes.begin(), bytes.end());
    blob.resize(offset + padded, 0);
  }
  total = offset + padded;
  meta.offset = offset;
  meta.bytes = bytes.size();
  records.push_back(std::move(meta));
  return offset;
}

llvm::ArrayRef<uint8_t> WeightsBuilder::data() const {
  if (!spill)
    return blob;
  if (spill->failed)
    llvm::report_fatal_error("cannot write the temporary weights file");
  if (total == 0)
    return {};
  if (!spill->map || spill->mapped != total) {
    std::error_code ec;
    spill->map = std::make_unique<llvm::sys::fs::mapped_file_region>(
        llvm::sys::fs::convertFDToNativeFile(spill->fd),
        llvm::sys::fs::mapped_file_region::readonly, total, 0, ec);
    if (ec)
      llvm::report_fatal_error(llvm::Twine("cannot map the temporary weights "
                                           "file: ") + ec.message());
    spill->mapped = total;
  }
  return {reinterpret_cast<const uint8_t *>(spill->map->const_data()), total};
}

//===----------------------------------------------------------------------===//
// verifyDescription
//===----------------------------------------------------------------------===//

llvm::Error
mlir::qc::artifact::verifyDescription(const ArtifactDescription &d) {
  auto wrap = [&](llvm::Error e) -> llvm::Error {
    if (!e)
      return e;
    return makeError("artifact " + quoted(d.name) + ": " +
                     llvm::toString(std::move(e)));
  };
  if (d.name.empty() || cName(d.name) != d.name)
    return makeError("artifact name " + quoted(d.name) +
                     " is not a usable C name (cName gives " +
                     quoted(cName(d.name)) + ")");
  for (auto [s, what] :
       {std::pair<StringRef, StringRef>{d.producer.tool, "producer tool"},
        {d.producer.version, "producer version"},
        {d.producer.llvm, "producer llvm version"},
        {d.source.file, "source file name"},
        {d.options, "options"}})
    if (llvm::Error e = checkUtf8(s, what))
      return wrap(std::move(e));
  if (!d.source.sha256.empty() && !isLowerHexSha256(d.source.sha256))
    return wrap(makeError("source sha256 " + quoted(d.source.sha256) +
                          " is not 64 lowercase hex digits"));
  if (llvm::Error e = checkIo(d.inputs, "input"))
    return wrap(std::move(e));
  if (llvm::Error e = checkIo(d.outputs, "output"))
    return wrap(std::move(e));
  if (llvm::Error e = checkTensors(d.weights))
    return wrap(std::move(e));
  return wrap(checkTargets(d));
}
