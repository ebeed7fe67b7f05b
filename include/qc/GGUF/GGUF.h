//===- GGUF.h - read and write GGUF files --------------------- -*- C++ -*-===//
//
// Part of quantc. GGUF is llama.cpp's model container (docs/GGUF.md): a
// header (magic "GGUF", version, tensor and metadata counts), typed
// key/value metadata, one info record per tensor (name, dims, ggml type,
// offset), then the tensor data, every tensor aligned to
// `general.alignment` (default 32) from the start of the data section.
//
// GGUFFile maps a file read-only and validates all of it before handing
// out anything; tensor data is never copied. Errors name the file and the
// key or tensor at fault. GGUFWriter builds a file's metadata and tensor
// list in memory, takes tensor bytes either borrowed or produced one tensor
// at a time while writing, and writes through a temporary file that is
// renamed into place only once complete.
//
// Versions 2 and 3 are read (they share one little-endian layout); version
// 3 is written. This library needs LLVM's Support library only.
//
//===----------------------------------------------------------------------===//

#ifndef QC_GGUF_GGUF_H
#define QC_GGUF_GGUF_H

#include "qc/GGUF/BlockFormats.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace llvm {
class MemoryBuffer;
class raw_ostream;
} // namespace llvm

namespace mlir::qc::gguf {

inline constexpr uint32_t kMagic = 0x46554747; // "GGUF", little-endian
inline constexpr uint32_t kVersion = 3;
inline constexpr uint32_t kDefaultAlignment = 32;
/// ggml tensors have at most four dimensions.
inline constexpr unsigned kMaxDims = 4;
/// ggml keeps names in a 64-byte buffer with its terminating NUL.
inline constexpr size_t kMaxTensorName = 63;
inline constexpr llvm::StringLiteral kAlignmentKey = "general.alignment";

/// Metadata value types, with the format's numbers.
enum class ValueType : uint32_t {
  UInt8 = 0,
  Int8 = 1,
  UInt16 = 2,
  Int16 = 3,
  UInt32 = 4,
  Int32 = 5,
  Float32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
  UInt64 = 10,
  Int64 = 11,
  Float64 = 12,
};

/// "u8", "i32", "f64", "bool", "string", "array", ...
llvm::StringRef valueTypeName(ValueType type);

/// One metadata value: a scalar, a string, or an array of scalars or of
/// strings (arrays of arrays are not supported, as in ggml). Numeric arrays
/// are kept packed, little-endian, as in the file.
class Value {
public:
  Value() = default;

  static Value u8(uint8_t v) { return scalar(ValueType::UInt8, v); }
  static Value i8(int8_t v) { return scalar(ValueType::Int8, uint8_t(v)); }
  static Value u16(uint16_t v) { return scalar(ValueType::UInt16, v); }
  static Value i16(int16_t v) { return scalar(ValueType::Int16, uint16_t(v)); }
  static Value u32(uint32_t v) { return scalar(ValueType::UInt32, v); }
  static Value i32(int32_t v) { return scalar(ValueType::Int32, uint32_t(v)); }
  static Value u64(uint64_t v) { return scalar(ValueType::UInt64, v); }
  static Value i64(int64_t v) { return scalar(ValueType::Int64, uint64_t(v)); }
  static Value f32(float v);
  static Value f64(double v);
  static Value boolean(bool v) { return scalar(ValueType::Bool, v ? 1 : 0); }
  static Value string(llvm::StringRef v);

  /// An array of scalars of `elementType` from packed little-endian bytes
  /// (count * element size of them).
  static Value array(ValueType elementType, llvm::ArrayRef<uint8_t> packed);
  /// An array of numbers; T is one of the ten scalar C++ types (bool too).
  template <typename T> static Value array(llvm::ArrayRef<T> values);
  static Value stringArray(llvm::ArrayRef<std::string> values);
  static Value stringArray(llvm::ArrayRef<llvm::StringRef> values);

  ValueType type() const { return kind; }
  bool isArray() const { return kind == ValueType::Array; }
  /// The element type of an array.
  ValueType elementType() const { return elemKind; }
  /// Elements of an array (0 for a scalar).
  uint64_t size() const;

  /// The value of an integer scalar of any width or signedness, if it fits.
  std::optional<uint64_t> asUnsigned() const;
  std::optional<int64_t> asSigned() const;
  /// A Float32 or Float64 scalar.
  std::optional<double> asFloat() const;
  std::optional<bool> asBool() const;
  std::optional<llvm::StringRef> asString() const;
  /// The exact scalar type T (uint32_t for UInt32, float for Float32, ...);
  /// nullopt for any other type.
  template <typename T> std::optional<T> get() const;

  /// The elements of an array whose element type is exactly T's.
  template <typename T> std::optional<std::vector<T>> getArray() const;
  /// The elements of a string array.
  llvm::ArrayRef<std::string> strings() const { return texts; }
  /// The packed bytes of a numeric array.
  llvm::ArrayRef<uint8_t> packed() const { return raw; }

  bool operator==(const Value &other) const;
  bool operator!=(const Value &other) const { return !(*this == other); }

  /// A short rendering: the scalar, the string quoted, or an array's type,
  /// size and first few elements.
  void print(llvm::raw_ostream &os) const;

  /// Bytes per element of the fixed-size types (0 for String and Array).
  static unsigned scalarSize(ValueType type);
  /// The ValueType of a C++ scalar type.
  template <typename T> static constexpr ValueType typeOf();

private:
  static Value scalar(ValueType type, uint64_t payload) {
    Value v;
    v.kind = type;
    v.bits = payload;
    return v;
  }

  ValueType kind = ValueType::UInt8;
  ValueType elemKind = ValueType::UInt8;
  /// A scalar's little-endian bits (booleans 0 or 1).
  uint64_t bits = 0;
  /// A String's text, or a string array's elements.
  std::string text;
  std::vector<std::string> texts;
  /// A numeric array's packed elements.
  std::vector<uint8_t> raw;
};

struct KeyValue {
  std::string key;
  Value value;
};

/// One tensor of a file.
struct TensorInfo {
  std::string name;
  GGMLType type = GGMLType::F32;
  /// ggml order: shape[0] is the row length (ne[0], the contiguous
  /// dimension), shape[1] the number of rows, and so on.
  llvm::SmallVector<int64_t, 4> shape;
  /// Start relative to the data section, and size in bytes.
  uint64_t offset = 0;
  uint64_t size = 0;
  /// The first byte, inside the file's buffer. It sits at a multiple of the
  /// file's alignment from the start of the file, but small files are read
  /// rather than mapped, so read multi-byte elements with memcpy.
  const uint8_t *data = nullptr;

  int64_t numElements() const;
  int64_t rowLength() const { return shape.empty() ? 1 : shape[0]; }
  int64_t numRows() const;
  llvm::ArrayRef<uint8_t> bytes() const { return {data, size}; }
};

/// Prints a shape in ggml order: `[64, 512]`.
void printShape(llvm::raw_ostream &os, llvm::ArrayRef<int64_t> shape);

/// One mapped, validated GGUF file.
class GGUFFile {
public:
  /// Maps `path` read-only and validates everything: magic, version (2 or
  /// 3), counts against the file size, every key (non-empty, unique) and
  /// value (known type, strings and arrays inside the file, no nested
  /// arrays), `general.alignment` (a power-of-two u32), and every tensor:
  /// unique name of at most 63 bytes, 1 to 4 non-negative dims whose product
  /// fits in int64, a known type whose block divides the row, an offset that
  /// is a multiple of the alignment, a byte range inside the file, and no
  /// overlap with another tensor.
  static llvm::Expected<std::unique_ptr<GGUFFile>> open(llvm::StringRef path);
  /// Same, for bytes already in memory; errors name the buffer's identifier.
  static llvm::Expected<std::unique_ptr<GGUFFile>>
  fromBuffer(std::unique_ptr<llvm::MemoryBuffer> buffer);

  ~GGUFFile();
  GGUFFile(const GGUFFile &) = delete;
  GGUFFile &operator=(const GGUFFile &) = delete;

  llvm::StringRef path() const { return name; }
  uint32_t version() const { return formatVersion; }
  uint32_t alignment() const { return align; }
  /// Where the data section starts in the file.
  uint64_t dataOffset() const { return dataStart; }
  uint64_t fileSize() const;

  /// Metadata in file order.
  llvm::ArrayRef<KeyValue> metadata() const { return kvs; }
  const Value *lookup(llvm::StringRef key) const;
  /// Tensors in file order.
  llvm::ArrayRef<TensorInfo> tensors() const { return infos; }
  const TensorInfo *tensor(llvm::StringRef tensorName) const;

  /// A tensor's values as floats (any type canDequantize handles).
  llvm::Expected<std::vector<float>> readFloats(const TensorInfo &t) const;

private:
  GGUFFile() = default;
  friend class GGUFParser;

  std::string name;
  std::unique_ptr<llvm::MemoryBuffer> buffer;
  uint32_t formatVersion = 0;
  uint32_t align = kDefaultAlignment;
  uint64_t dataStart = 0;
  std::vector<KeyValue> kvs;
  llvm::StringMap<unsigned> kvIndex;
  std::vector<TensorInfo> infos;
  llvm::StringMap<unsigned> tensorIndex;
};

/// Builds a GGUF file in memory and writes it.
class GGUFWriter {
public:
  /// Fills a tensor's bytes (exactly out.size() of them) while the file is
  /// written; called once, after the header is out.
  using Producer = std::function<llvm::Error(llvm::MutableArrayRef<uint8_t>)>;

  GGUFWriter();
  ~GGUFWriter();

  /// Sets `key`, replacing an existing value in place (new keys go last).
  void set(llvm::StringRef key, Value value);
  /// Removes `key` if present.
  void remove(llvm::StringRef key);
  const Value *lookup(llvm::StringRef key) const;
  llvm::ArrayRef<KeyValue> metadata() const { return kvs; }
  /// Stores `general.alignment` (a u32; write() checks it is a power of 2).
  void setAlignment(uint32_t alignment) {
    set(kAlignmentKey, Value::u32(alignment));
  }

  /// Adds a tensor whose bytes the caller keeps alive until write() returns.
  /// Errors (naming the tensor) for an empty, too long or duplicate name,
  /// 0 or more than 4 dims, negative dims, a row length the type's block
  /// does not divide, or `bytes` of the wrong size.
  llvm::Error addTensor(llvm::StringRef name, GGMLType type,
                        llvm::ArrayRef<int64_t> shape,
                        llvm::ArrayRef<uint8_t> bytes);
  /// Adds a tensor whose bytes `produce` fills at write time, so a writer of
  /// many quantized tensors holds one tensor's bytes at a time.
  llvm::Error addTensor(llvm::StringRef name, GGMLType type,
                        llvm::ArrayRef<int64_t> shape, Producer produce);
  size_t numTensors() const;

  /// The size write() will produce, or an error for a bad alignment.
  llvm::Expected<uint64_t> fileSize() const;

  /// Writes version 3 to `path`: header, metadata in insertion order, tensor
  /// infos in insertion order, then each tensor's bytes padded to the
  /// alignment (the layout llama.cpp itself writes). The bytes go to a
  /// temporary file beside `path`, renamed over it at the end; on any error
  /// (a producer's included) the temporary file is removed and `path` is
  /// left as it was.
  llvm::Error write(llvm::StringRef path) const;

private:
  struct PendingTensor;
  std::vector<KeyValue> kvs;
  std::vector<std::unique_ptr<PendingTensor>> pending;
  llvm::StringMap<unsigned> tensorIndex;
};

//===----------------------------------------------------------------------===//
// Template definitions
//===----------------------------------------------------------------------===//

template <typename T> constexpr ValueType Value::typeOf() {
  if constexpr (std::is_same_v<T, bool>)
    return ValueType::Bool;
  else if constexpr (std::is_same_v<T, uint8_t>)
    return ValueType::UInt8;
  else if constexpr (std::is_same_v<T, int8_t>)
    return ValueType::Int8;
  else if constexpr (std::is_same_v<T, uint16_t>)
    return ValueType::UInt16;
  else if constexpr (std::is_same_v<T, int16_t>)
    return ValueType::Int16;
  else if constexpr (std::is_same_v<T, uint32_t>)
    return ValueType::UInt32;
  else if constexpr (std::is_same_v<T, int32_t>)
    return ValueType::Int32;
  else if constexpr (std::is_same_v<T, uint64_t>)
    return ValueType::UInt64;
  else if constexpr (std::is_same_v<T, int64_t>)
    return ValueType::Int64;
  else if constexpr (std::is_same_v<T, float>)
    return ValueType::Float32;
  else {
    static_assert(std::is_same_v<T, double>, "not a GGUF scalar type");
    return ValueType::Float64;
  }
}

template <typename T> Value Value::array(llvm::ArrayRef<T> values) {
  constexpr ValueType type = typeOf<T>();
  std::vector<uint8_t> bytes;
  bytes.reserve(values.size() * scalarSize(type));
  for (const T &v : values) {
    // Host order is little-endian on every supported target.
    if constexpr (std::is_same_v<T, bool>) {
      bytes.push_back(v ? 1 : 0);
    } else {
      const auto *p = reinterpret_cast<const uint8_t *>(&v);
      bytes.insert(bytes.end(), p, p + sizeof(T));
    }
  }
  return array(type, bytes);
}

template <typename T> std::optional<T> Value::get() const {
  if (kind != typeOf<T>())
    return std::nullopt;
  if constexpr (std::is_same_v<T, bool>) {
    return bits != 0;
  } else {
    T v;
    static_assert(sizeof(T) <= sizeof(bits));
    // bits holds the value in its low sizeof(T) bytes (little-endian host).
    std::memcpy(&v, &bits, sizeof(T));
    return v;
  }
}

template <typename T> std::optional<std::vector<T>> Value::getArray() const {
  if (kind != ValueType::Array || elemKind != typeOf<T>())
    return std::nullopt;
  std::vector<T> out(raw.size() / scalarSize(elemKind));
  if constexpr (std::is_same_v<T, bool>) {
    for (size_t i = 0; i < out.size(); ++i)
      out[i] = raw[i] != 0;
  } else if (!out.empty()) {
    std::memcpy(out.data(), raw.data(), raw.size());
  }
  return out;
}

} // namespace mlir::qc::gguf

#endif // QC_GGUF_GGUF_H
