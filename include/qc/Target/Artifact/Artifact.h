//===- Artifact.h - the compiled artifact directory (model.qc/) -*- C++ -*-===//
//
// Part of quantc. Assembles the directory quant-compile ships
// (docs/Artifact.md, format version 1): manifest.json, weights.bin, <name>.h
// and one static library per CPU target, plus the `<name>_desc` descriptor
// the generated code exports for the runtime (runtime/include/quantc/
// runtime.h).
//
// The generated code carries the SHA-256 of the manifest, so the steps run
// in this order:
//   1. fill an ArtifactDescription: weights (their offsets are baked into the
//      code), inputs/outputs, arena size, and each target's triple, directory
//      and variant names;
//   2. header = renderHeader(d); manifest = renderManifest(d);
//   3. emitModelDescriptor(module, makeDescriptorInfo(d,
//      manifestSha256Hex(manifest), variants)) for every target's module;
//   4. compile the modules and put the object files into d.targets;
//   5. writeArtifact(d, manifest, header, outDir).
// Nothing the manifest shows may change after step 2: writeArtifact renders
// both texts again and refuses to write when they differ.
//
//===----------------------------------------------------------------------===//

#ifndef QC_TARGET_ARTIFACT_ARTIFACT_H
#define QC_TARGET_ARTIFACT_ARTIFACT_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace llvm {
class FunctionType;
class LLVMContext;
class MemoryBuffer;
class Module;
class StructType;
} // namespace llvm

namespace mlir::qc::artifact {

/// manifest.json "format" / "format_version" and the runtime ABI version
/// (QCRT_ABI_VERSION) this library writes.
inline constexpr llvm::StringLiteral kFormatName = "quantc-artifact";
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr uint32_t kAbiVersion = 1;
/// Every tensor in weights.bin starts at a multiple of this, and the file's
/// size is one too.
inline constexpr uint64_t kWeightsAlignment = 64;
/// The runtime's limit on input/output rank (QCRT_MAX_RANK).
inline constexpr unsigned kMaxRank = 8;

/// CPU features a variant needs (QCRT_ISA_*).
enum IsaBits : uint32_t {
  kIsaDotProd = 1u << 0,
  kIsaI8MM = 1u << 1,
  kIsaAvx512Vnni = 1u << 8,
};

/// Element size in bytes of a manifest dtype (`f32 f16 bf16 f64 i8 u8 i16
/// i32 i64 bool`), or nullopt for anything else.
std::optional<uint64_t> dtypeSize(llvm::StringRef dtype);

/// A C identifier for a model or file name: bytes other than [A-Za-z0-9_]
/// become '_', runs of '_' collapse and leading/trailing ones go (so that
/// `<name>_desc` is never a reserved identifier); an empty result is
/// "model"; a leading digit, a C or C++ keyword, or a name the runtime's own
/// `qcrt_` prefix could clash with gets an `m_` prefix.
/// "fashion-cnn.v2" -> "fashion_cnn_v2", "3d-unet" -> "m_3d_unet".
std::string cName(llvm::StringRef name);

/// Lowercase hex SHA-256.
std::string sha256Hex(llvm::ArrayRef<uint8_t> bytes);
std::string sha256Hex(llvm::StringRef bytes);
/// The hash the generated code embeds (qcrt_model_desc.manifest_sha256):
/// the SHA-256 of the exact manifest.json text.
std::string manifestSha256Hex(llvm::StringRef manifestText);

//===----------------------------------------------------------------------===//
// weights.bin
//===----------------------------------------------------------------------===//

/// How a stored tensor is quantized. Per-tensor: one scale and zero point,
/// no axis. Per-axis: one per index of `axis`. Blocked: `blockSize` set.
struct TensorQuant {
  std::vector<double> scales;
  std::vector<int64_t> zeroPoints;
  std::optional<int64_t> axis;
  std::optional<int64_t> blockSize;
};

/// One entry of the manifest's "tensors".
struct TensorRecord {
  std::string name;
  /// Set by WeightsBuilder::add.
  uint64_t offset = 0;
  uint64_t bytes = 0;
  std::string dtype;
  std::vector<int64_t> shape;
  /// "oihw", "rowmajor", or the name of a repacked kernel layout.
  std::string layout = "rowmajor";
  std::optional<TensorQuant> quant;
};

/// Packs constants into weights.bin. Each blob starts at the next multiple of
/// kWeightsAlignment and is followed by zero bytes up to the next one (the
/// last blob too), so kernels may read whole 64-byte lines.
///
/// Small weights are kept in memory. Once reserve() announces at least
/// kSpillBytes, the bytes go to an unlinked temporary file instead and
/// data() maps it read-only: a large model's weights then live in the page
/// cache (which the kernel can write back and evict), not in the
/// compiler's anonymous memory.
class WeightsBuilder {
public:
  static constexpr uint64_t kSpillBytes = uint64_t(256) << 20;

  /// Appends `bytes` and records `meta` with its offset and size. Returns the
  /// offset, which never changes afterwards.
  uint64_t add(TensorRecord meta, llvm::ArrayRef<uint8_t> bytes);
  /// Announces `bytes` in all: room is made in memory, or, from the spill
  /// threshold on (kSpillBytes unless set), the weights move to a temporary
  /// file.
  void reserve(uint64_t bytes);
  void setSpillThreshold(uint64_t bytes) { spillThreshold = bytes; }
  bool spilled() const { return spill != nullptr; }

  /// Size of weights.bin (a multiple of kWeightsAlignment).
  uint64_t size() const { return total; }
  /// All bytes (for a spilled builder, a read-only mapping made on first
  /// use; add() after data() invalidates earlier views).
  llvm::ArrayRef<uint8_t> data() const;
  llvm::ArrayRef<TensorRecord> tensors() const { return records; }

private:
  struct Spill;
  std::vector<uint8_t> blob;
  std::shared_ptr<Spill> spill;
  uint64_t spillThreshold = kSpillBytes;
  uint64_t total = 0;
  std::vector<TensorRecord> records;
};

//===----------------------------------------------------------------------===//
// The description of an artifact
//===----------------------------------------------------------------------===//

/// A model input or output: dense, row-major, static shape.
struct IoTensor {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;

  /// Element count times element size (0 for an unknown dtype or a negative
  /// dimension, which verifyDescription rejects).
  uint64_t bytes() const;
};

/// One CPU target: a static library `<dir>/lib<name>.a` of `objects`.
struct TargetLibrary {
  /// "x86_64-unknown-linux-gnu", "aarch64-apple-darwin".
  std::string triple;
  /// Directory inside the artifact: "x86_64-linux-gnu".
  std::string dir;
  /// Manifest order, most capable first: {"i8mm", "dotprod", "base"}.
  std::vector<std::string> variants;
  /// Archive member name and object file bytes, in archive order.
  std::vector<std::pair<std::string, std::vector<char>>> objects;
  /// Mach-O objects and a Darwin (BSD) archive; otherwise ELF objects and a
  /// GNU archive. Must agree with the triple and the objects.
  bool darwin = false;
};

/// "<dir>/lib<modelName>.a", with '/' on every host (the manifest's
/// "library").
std::string libraryPath(const TargetLibrary &target, llvm::StringRef modelName);

/// The archive for `target`: members in order, a symbol table, zero
/// timestamps, owners and modes 0644, so equal inputs give equal bytes.
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
renderArchive(const TargetLibrary &target);

/// Writes renderArchive(target) to `<artifactDir>/<target.dir>/lib<modelName>
/// .a`, creating the target directory.
llvm::Error writeTargetArchive(const TargetLibrary &target,
                               llvm::StringRef modelName,
                               llvm::StringRef artifactDir);

struct ProducerInfo {
  std::string tool;
  std::string version;
  std::string llvm;

  /// quant-compile, this build's version and the LLVM it was built with.
  static ProducerInfo current();
};

struct SourceInfo {
  /// The model file as named on the command line (or its base name).
  std::string file;
  /// Lowercase hex SHA-256 of its bytes.
  std::string sha256;
};

struct ArtifactDescription {
  /// The model's C name (cName of the model or output name).
  std::string name;
  ProducerInfo producer = ProducerInfo::current();
  SourceInfo source;
  /// The compile options as the user gave them.
  std::string options;
  std::vector<IoTensor> inputs;
  std::vector<IoTensor> outputs;
  uint64_t arenaBytes = 0;
  WeightsBuilder weights;
  std::vector<TargetLibrary> targets;
};

/// Checks everything the format and the C header need: `name` is its own
/// cName; strings are UTF-8; dtypes are known; shapes are static, ranks at
/// most kMaxRank, sizes do not overflow; input, output and tensor names are
/// unique; quantization parameters agree with the shapes; at least one
/// target, each with a plain unique directory name, variants and objects
/// whose format matches `darwin` and the triple.
llvm::Error verifyDescription(const ArtifactDescription &d);

/// `<name>.h`: includes <quantc/runtime.h>, declares `<name>_desc` and
/// `<name>_create(artifact_dir, options)`, and defines `<NAME>_NUM_INPUTS`,
/// `<NAME>_NUM_OUTPUTS`, `<NAME>_WEIGHTS_BYTES`, `<NAME>_ARENA_BYTES` and,
/// per input/output X, `<NAME>_INPUT_X` (its index), `<NAME>_INPUT_X_BYTES`
/// and `<NAME>_INPUT_X_DTYPE` (OUTPUT for outputs), with a comment giving
/// its dtype and shape. Names whose macros would clash get `_<index>`
/// appended. Expects a description verifyDescription accepts.
std::string renderHeader(const ArtifactDescription &d);

/// manifest.json, byte for byte: keys in the documented order, two-space
/// indentation, arrays of numbers or strings on one line, floating-point
/// numbers in their shortest round-tripping form, a trailing newline. It
/// includes the SHA-256 of weights.bin and of renderHeader(d). Expects a
/// description verifyDescription accepts.
std::string renderManifest(const ArtifactDescription &d);

/// Writes the artifact directory `outDir`: manifest.json (manifestText),
/// weights.bin, `<name>.h` (headerText) and every target's library. The
/// files go to a new sibling directory `<outDir>.tmp-XXXXXX` that is renamed
/// to `outDir` once all are written. An existing `outDir` is replaced only
/// if it is empty or a previous artifact (its manifest.json has "format":
/// "quantc-artifact"); any other directory, a file or a symbolic link there
/// is an error, as is a missing parent directory. On every error nothing is
/// left behind and an existing `outDir` is untouched.
llvm::Error writeArtifact(const ArtifactDescription &d,
                          llvm::StringRef manifestText,
                          llvm::StringRef headerText, llvm::StringRef outDir);

//===----------------------------------------------------------------------===//
// The descriptor in generated code
//===----------------------------------------------------------------------===//

/// The contents of `const qcrt_model_desc <name>_desc`.
struct DescriptorInfo {
  struct Variant {
    /// kIsa* bits the entry needs.
    uint32_t isa = 0;
    /// "base", "dotprod", "i8mm".
    std::string name;
    /// Symbol of the entry function (void(ptr weights, ptr arena, ptr
    /// inputs, ptr outputs, ptr pool)).
    std::string entry;
  };

  std::string name;
  /// manifestSha256Hex of the manifest this code belongs to.
  std::string manifestSha256;
  uint64_t weightsBytes = 0;
  uint64_t arenaBytes = 0;
  uint32_t numInputs = 0;
  uint32_t numOutputs = 0;
  /// Most capable first.
  std::vector<Variant> variants;
};

DescriptorInfo
makeDescriptorInfo(const ArtifactDescription &d, llvm::StringRef manifestSha256,
                   std::vector<DescriptorInfo::Variant> variants);

/// {i32 abi_version, ptr name, ptr manifest_sha256, i64 weights_bytes,
///  i64 arena_bytes, i32 num_inputs, i32 num_outputs, i32 num_variants,
///  ptr variants}: with the target's DataLayout this is qcrt_model_desc.
llvm::StructType *getModelDescType(llvm::LLVMContext &ctx);
/// {i32 isa, ptr name, ptr run}: qcrt_variant.
llvm::StructType *getVariantType(llvm::LLVMContext &ctx);
/// void(ptr, ptr, ptr, ptr, ptr): qcrt_entry_fn.
llvm::FunctionType *getEntryFunctionType(llvm::LLVMContext &ctx);

/// Adds the external constant `<name>_desc` to `module`, with a private
/// variants array and private strings. Entry functions are referenced by
/// name and declared when the module does not have them. Fails if
/// `<name>_desc` exists, an entry name belongs to something that is not a
/// function of type getEntryFunctionType, or `info` is malformed (name not a
/// C name, hash not 64 lowercase hex digits, no variants).
llvm::Error emitModelDescriptor(llvm::Module &module,
                                const DescriptorInfo &info);

} // namespace mlir::qc::artifact

#endif // QC_TARGET_ARTIFACT_ARTIFACT_H
