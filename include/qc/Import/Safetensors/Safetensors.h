//===- Safetensors.h - read .safetensors files and sharded models -*- C++ -*-===//
//
// Part of quantc. The safetensors container (docs/Safetensors.md): an 8-byte
// little-endian header length N, N bytes of JSON naming every tensor's dtype,
// shape and [begin, end) byte range, then the data section those ranges index.
//
// Files are mapped read-only and never copied: a TensorView points into the
// mapping, which lives as long as its SafetensorsFile. Everything in the
// header is validated when the file is opened; errors name the file and the
// tensor.
//
// This library needs LLVM's Support library only.
//
//===----------------------------------------------------------------------===//

#ifndef QC_IMPORT_SAFETENSORS_SAFETENSORS_H
#define QC_IMPORT_SAFETENSORS_SAFETENSORS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace mlir::qc::safetensors {

/// The largest JSON header accepted (the reference implementation's limit).
inline constexpr uint64_t kMaxHeaderSize = 100'000'000;

/// Element types of the format. Every one can be listed and viewed; the
/// floating-point ones (F64, F32, F16, BF16) also convert to f32.
enum class DType {
  BOOL,
  U8,
  I8,
  F8_E4M3,
  F8_E5M2,
  I16,
  U16,
  F16,
  BF16,
  I32,
  U32,
  F32,
  I64,
  U64,
  F64,
};

/// The header spelling ("F32", "BF16", ...).
llvm::StringRef dtypeName(DType dtype);
/// Parses a header spelling; nullopt for anything unknown.
std::optional<DType> parseDType(llvm::StringRef name);
/// Bytes per element.
unsigned dtypeSize(DType dtype);
/// True for F64, F32, F16 and BF16: the dtypes toF32 converts.
bool isFloatingPoint(DType dtype);

/// IEEE binary16 and bfloat16 bit patterns to f32. Exact (every half and
/// bfloat value is an f32): subnormals are normalized, infinities stay
/// infinite, NaNs stay NaN with their sign and payload.
float halfToFloat(uint16_t bits);
float bfloat16ToFloat(uint16_t bits);

/// One tensor of a file: a view into the mapping.
struct TensorView {
  std::string name;
  DType dtype = DType::F32;
  llvm::SmallVector<int64_t, 4> shape;
  /// [begin, end) relative to the start of the data section, as in the
  /// header.
  uint64_t begin = 0, end = 0;
  /// The first byte, in the mapping; no alignment is guaranteed (the
  /// header's length is arbitrary), so read elements with memcpy.
  const uint8_t *data = nullptr;

  uint64_t numBytes() const { return end - begin; }
  /// The product of the shape (1 for a scalar).
  uint64_t numElements() const;
  llvm::ArrayRef<uint8_t> bytes() const { return {data, numBytes()}; }
  /// The values as f32 (little-endian data, as the format stores it). An
  /// error for dtypes that are not floating point.
  llvm::Expected<std::vector<float>> toF32() const;
  /// Same, into `out`, which must hold numElements() floats.
  llvm::Error toF32(llvm::MutableArrayRef<float> out) const;
};

/// Prints `[2, 3]` (`[]` for a scalar).
void printShape(llvm::raw_ostream &os, llvm::ArrayRef<int64_t> shape);

/// One mapped .safetensors file.
class SafetensorsFile {
public:
  /// Maps `path` read-only and validates its header: length within the file
  /// and at most kMaxHeaderSize, well-formed JSON object, every entry with a
  /// known `dtype`, a `shape` of non-negative dims whose byte size does not
  /// overflow, `data_offsets` [begin, end] inside the data section with
  /// end - begin equal to the shape's byte size, no two tensors overlapping;
  /// `__metadata__`, if present, a map of strings.
  static llvm::Expected<std::unique_ptr<SafetensorsFile>>
  open(llvm::StringRef path);

  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile &) = delete;
  SafetensorsFile &operator=(const SafetensorsFile &) = delete;

  llvm::StringRef path() const { return filePath; }
  /// All tensors, by increasing offset.
  llvm::ArrayRef<TensorView> tensors() const { return views; }
  /// The tensor called `name`, or null.
  const TensorView *lookup(llvm::StringRef name) const;
  /// The `__metadata__` map (empty when absent).
  const std::map<std::string, std::string> &metadata() const { return meta; }
  /// Sizes: the whole file, its JSON header.
  uint64_t fileSize() const { return size; }
  uint64_t headerSize() const { return jsonSize; }

private:
  SafetensorsFile() = default;

  std::string filePath;
  std::unique_ptr<llvm::sys::fs::mapped_file_region> mapping;
  uint64_t size = 0, jsonSize = 0;
  std::vector<TensorView> views;
  llvm::StringMap<unsigned> byName;
  std::map<std::string, std::string> meta;
};

/// A model's weights: one .safetensors file, or the shards that a
/// `model.safetensors.index.json` names, with one lookup over all of them.
class SafetensorsModel {
public:
  /// `path` is a .safetensors file, an index (a name ending in ".json" whose
  /// `weight_map` maps tensor names to shard files relative to the index's
  /// directory), or a directory holding model.safetensors.index.json or
  /// model.safetensors. For an index, every shard is opened, every mapped
  /// tensor must be in the shard it is mapped to, and no tensor may be in
  /// two shards.
  static llvm::Expected<std::unique_ptr<SafetensorsModel>>
  open(llvm::StringRef path);

  /// What was opened: the .safetensors file or the index.
  llvm::StringRef path() const { return sourcePath; }
  bool isSharded() const { return sharded; }
  llvm::ArrayRef<std::unique_ptr<SafetensorsFile>> shards() const {
    return files;
  }
  /// The tensor called `name` in any shard, or null.
  const TensorView *lookup(llvm::StringRef name) const;
  /// The shard that holds `name`, or null.
  const SafetensorsFile *shardOf(llvm::StringRef name) const;
  /// Every tensor, sorted by name.
  std::vector<const TensorView *> tensors() const;
  /// Sum of all tensors' bytes.
  uint64_t totalBytes() const;

private:
  SafetensorsModel() = default;

  std::string sourcePath;
  bool sharded = false;
  std::vector<std::unique_ptr<SafetensorsFile>> files;
  /// name -> (shard index, tensor index in that shard)
  llvm::StringMap<std::pair<unsigned, unsigned>> index;
};

/// One line per tensor, sorted by name: name, dtype, shape, bytes (and the
/// shard for a sharded model), then a total.
void printTensorList(llvm::raw_ostream &os, const SafetensorsModel &model);

} // namespace mlir::qc::safetensors

#endif // QC_IMPORT_SAFETENSORS_SAFETENSORS_H
