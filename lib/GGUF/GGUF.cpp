//===- GGUF.cpp - read and write GGUF files -------------------------------===//
//
// Part of quantc. See include/qc/GGUF/GGUF.h and docs/GGUF.md.
//
//===----------------------------------------------------------------------===//

#include "qc/GGUF/GGUF.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <numeric>

using namespace llvm;
using namespace mlir::qc::gguf;

namespace {

Error fail(const Twine &msg) {
  return createStringError(inconvertibleErrorCode(), msg);
}

[[maybe_unused]] bool isScalarType(ValueType t) {
  return t != ValueType::String && t != ValueType::Array;
}

bool isKnownValueType(uint32_t id) {
  return id <= uint32_t(ValueType::Float64);
}

/// The signed value of `bits` read as a two's-complement integer of `bytes`
/// bytes.
int64_t signExtend(uint64_t bits, unsigned bytes) {
  return llvm::SignExtend64(bits, bytes * 8);
}

bool isSignedInt(ValueType t) {
  return t == ValueType::Int8 || t == ValueType::Int16 ||
         t == ValueType::Int32 || t == ValueType::Int64;
}

bool isUnsignedInt(ValueType t) {
  return t == ValueType::UInt8 || t == ValueType::UInt16 ||
         t == ValueType::UInt32 || t == ValueType::UInt64;
}

std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s;
  raw_string_ostream os(s);
  printShape(os, shape);
  return s;
}

/// Elements of a shape, or nullopt if a dim is negative or the product
/// overflows int64.
std::optional<int64_t> elementCount(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return std::nullopt;
    int64_t next;
    if (MulOverflow(n, d, next))
      return std::nullopt;
    n = next;
  }
  return n;
}

/// Bytes of a tensor; nullopt on overflow. The row length must be a
/// multiple of the type's block.
std::optional<uint64_t> tensorBytes(GGMLType type, ArrayRef<int64_t> shape,
                                    int64_t elements) {
  int64_t rowLength = shape.empty() ? 1 : shape[0];
  if (elements == 0)
    return 0;
  uint64_t rows = uint64_t(elements / rowLength);
  uint64_t perRow = rowSize(type, rowLength);
  if (perRow != 0 && rows > std::numeric_limits<uint64_t>::max() / perRow)
    return std::nullopt;
  return rows * perRow;
}

} // namespace

//===----------------------------------------------------------------------===//
// Value
//===----------------------------------------------------------------------===//

StringRef mlir::qc::gguf::valueTypeName(ValueType type) {
  switch (type) {
  case ValueType::UInt8:
    return "u8";
  case ValueType::Int8:
    return "i8";
  case ValueType::UInt16:
    return "u16";
  case ValueType::Int16:
    return "i16";
  case ValueType::UInt32:
    return "u32";
  case ValueType::Int32:
    return "i32";
  case ValueType::Float32:
    return "f32";
  case ValueType::Bool:
    return "bool";
  case ValueType::String:
    return "string";
  case ValueType::Array:
    return "array";
  case ValueType::UInt64:
    return "u64";
  case ValueType::Int64:
    return "i64";
  case ValueType::Float64:
    return "f64";
  }
  return "unknown";
}

unsigned Value::scalarSize(ValueType type) {
  switch (type) {
  case ValueType::UInt8:
  case ValueType::Int8:
  case ValueType::Bool:
    return 1;
  case ValueType::UInt16:
  case ValueType::Int16:
    return 2;
  case ValueType::UInt32:
  case ValueType::Int32:
  case ValueType::Float32:
    return 4;
  case ValueType::UInt64:
  case ValueType::Int64:
  case ValueType::Float64:
    return 8;
  case ValueType::String:
  case ValueType::Array:
    return 0;
  }
  return 0;
}

Value Value::f32(float v) {
  uint32_t u;
  std::memcpy(&u, &v, sizeof u);
  return scalar(ValueType::Float32, u);
}

Value Value::f64(double v) {
  uint64_t u;
  std::memcpy(&u, &v, sizeof u);
  return scalar(ValueType::Float64, u);
}

Value Value::string(StringRef v) {
  Value out;
  out.kind = ValueType::String;
  out.text = v.str();
  return out;
}

Value Value::array(ValueType elementType, ArrayRef<uint8_t> packed) {
  assert(isScalarType(elementType) && "numeric array of a non-scalar type");
  assert(packed.size() % scalarSize(elementType) == 0 && "partial element");
  Value out;
  out.kind = ValueType::Array;
  out.elemKind = elementType;
  out.raw.assign(packed.begin(), packed.end());
  return out;
}

Value Value::stringArray(ArrayRef<std::string> values) {
  Value out;
  out.kind = ValueType::Array;
  out.elemKind = ValueType::String;
  out.texts.assign(values.begin(), values.end());
  return out;
}

Value Value::stringArray(ArrayRef<StringRef> values) {
  Value out;
  out.kind = ValueType::Array;
  out.elemKind = ValueType::String;
  for (StringRef s : values)
    out.texts.push_back(s.str());
  return out;
}

uint64_t Value::size() const {
  if (kind != ValueType::Array)
    return 0;
  if (elemKind == ValueType::String)
    return texts.size();
  return raw.size() / scalarSize(elemKind);
}

std::optional<uint64_t> Value::asUnsigned() const {
  if (isUnsignedInt(kind))
    return bits;
  if (isSignedInt(kind)) {
    int64_t v = signExtend(bits, scalarSize(kind));
    if (v >= 0)
      return uint64_t(v);
  }
  return std::nullopt;
}

std::optional<int64_t> Value::asSigned() const {
  if (isSignedInt(kind))
    return signExtend(bits, scalarSize(kind));
  if (isUnsignedInt(kind) &&
      bits <= uint64_t(std::numeric_limits<int64_t>::max()))
    return int64_t(bits);
  return std::nullopt;
}

std::optional<double> Value::asFloat() const {
  if (kind == ValueType::Float32)
    return double(*get<float>());
  if (kind == ValueType::Float64)
    return *get<double>();
  return std::nullopt;
}

std::optional<bool> Value::asBool() const {
  if (kind != ValueType::Bool)
    return std::nullopt;
  return bits != 0;
}

std::optional<StringRef> Value::asString() const {
  if (kind != ValueType::String)
    return std::nullopt;
  return StringRef(text);
}

bool Value::operator==(const Value &other) const {
  if (kind != other.kind)
    return false;
  if (kind == ValueType::Array)
    return elemKind == other.elemKind && raw == other.raw &&
           texts == other.texts;
  return bits == other.bits && text == other.text;
}

namespace {

/// A float as printf's %g writes it with `digits` significant digits
/// (enough to read the value back exactly).
std::string shortFloat(double v, int digits = 9) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

void printScalar(raw_ostream &os, ValueType type, uint64_t bits) {
  switch (type) {
  case ValueType::Float32: {
    float f;
    uint32_t u = uint32_t(bits);
    std::memcpy(&f, &u, sizeof f);
    os << shortFloat(f);
    return;
  }
  case ValueType::Float64: {
    double d;
    std::memcpy(&d, &bits, sizeof d);
    os << shortFloat(d, 17);
    return;
  }
  case ValueType::Bool:
    os << (bits ? "true" : "false");
    return;
  default:
    if (isSignedInt(type))
      os << signExtend(bits, Value::scalarSize(type));
    else
      os << bits;
    return;
  }
}

uint64_t loadLE(const uint8_t *p, unsigned bytes) {
  uint64_t v = 0;
  for (unsigned i = 0; i < bytes; ++i)
    v |= uint64_t(p[i]) << (8 * i);
  return v;
}

} // namespace

void Value::print(raw_ostream &os) const {
  if (kind == ValueType::String) {
    os << '"';
    printEscapedString(text, os);
    os << '"';
    return;
  }
  if (kind != ValueType::Array) {
    printScalar(os, kind, bits);
    return;
  }
  constexpr uint64_t kShown = 4;
  os << valueTypeName(elemKind) << "[" << size() << "]";
  if (size() == 0)
    return;
  os << " {";
  for (uint64_t i = 0; i < std::min(size(), kShown); ++i) {
    if (i)
      os << ", ";
    if (elemKind == ValueType::String) {
      os << '"';
      printEscapedString(texts[i], os);
      os << '"';
    } else {
      unsigned w = scalarSize(elemKind);
      printScalar(os, elemKind, loadLE(raw.data() + i * w, w));
    }
  }
  if (size() > kShown)
    os << ", ...";
  os << "}";
}

//===----------------------------------------------------------------------===//
// TensorInfo
//===----------------------------------------------------------------------===//

int64_t TensorInfo::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

int64_t TensorInfo::numRows() const {
  int64_t row = rowLength();
  return row == 0 ? 0 : numElements() / row;
}

void mlir::qc::gguf::printShape(raw_ostream &os, ArrayRef<int64_t> shape) {
  os << "[";
  interleaveComma(shape, os);
  os << "]";
}

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//

namespace mlir::qc::gguf {

/// Reads the header, metadata and tensor infos of one buffer into a
/// GGUFFile, checking each field as it goes.
class GGUFParser {
public:
  explicit GGUFParser(GGUFFile &file)
      : file(file), bytes(file.buffer->getBuffer()) {}

  Error parse();

private:
  Error error(const Twine &msg) const { return fail(file.name + ": " + msg); }

  /// Checks that `n` more bytes exist for `what`.
  Error need(uint64_t n, const Twine &what) const {
    if (n > bytes.size() - pos)
      return error(formatv("truncated: {0} needs {1} bytes at offset {2}, "
                           "the file has {3}",
                           what, n, pos, bytes.size())
                       .str());
    return Error::success();
  }

  Error readU32(uint32_t &v, const Twine &what) {
    if (Error e = need(4, what))
      return e;
    v = support::endian::read32le(bytes.data() + pos);
    pos += 4;
    return Error::success();
  }

  Error readU64(uint64_t &v, const Twine &what) {
    if (Error e = need(8, what))
      return e;
    v = support::endian::read64le(bytes.data() + pos);
    pos += 8;
    return Error::success();
  }

  Error readString(std::string &s, const Twine &what) {
    uint64_t length;
    if (Error e = readU64(length, what + " length"))
      return e;
    if (Error e = need(length, what))
      return e;
    s.assign(bytes.data() + pos, size_t(length));
    pos += length;
    return Error::success();
  }

  Error readValueType(ValueType &t, const Twine &what) {
    uint32_t id;
    if (Error e = readU32(id, what))
      return e;
    if (!isKnownValueType(id))
      return error(what + " is " + Twine(id) +
                   ", not a GGUF value type (0-12)");
    t = ValueType(id);
    return Error::success();
  }

  Error readValue(ValueType type, Value &value, StringRef key);
  Error readMetadata(uint64_t count);
  Error readTensorInfos(uint64_t count);
  Error placeTensors();

  GGUFFile &file;
  StringRef bytes;
  uint64_t pos = 0;
};

} // namespace mlir::qc::gguf

Error GGUFParser::readValue(ValueType type, Value &value, StringRef key) {
  std::string what = ("value of metadata key '" + key + "'").str();
  if (type == ValueType::String) {
    std::string s;
    if (Error e = readString(s, what))
      return e;
    value = Value::string(s);
    return Error::success();
  }
  if (type != ValueType::Array) {
    unsigned w = Value::scalarSize(type);
    if (Error e = need(w, what))
      return e;
    uint64_t bits = loadLE(bytes.bytes_begin() + pos, w);
    pos += w;
    switch (type) {
    case ValueType::UInt8:
      value = Value::u8(uint8_t(bits));
      break;
    case ValueType::Int8:
      value = Value::i8(int8_t(bits));
      break;
    case ValueType::UInt16:
      value = Value::u16(uint16_t(bits));
      break;
    case ValueType::Int16:
      value = Value::i16(int16_t(bits));
      break;
    case ValueType::UInt32:
      value = Value::u32(uint32_t(bits));
      break;
    case ValueType::Int32:
      value = Value::i32(int32_t(bits));
      break;
    case ValueType::UInt64:
      value = Value::u64(bits);
      break;
    case ValueType::Int64:
      value = Value::i64(int64_t(bits));
      break;
    case ValueType::Float32: {
      float f;
      uint32_t u = uint32_t(bits);
      std::memcpy(&f, &u, sizeof f);
      value = Value::f32(f);
      break;
    }
    case ValueType::Float64: {
      double d;
      std::memcpy(&d, &bits, sizeof d);
      value = Value::f64(d);
      break;
    }
    case ValueType::Bool:
      if (bits > 1)
        return error(formatv("metadata key '{0}': bool value {1} is neither "
                             "0 nor 1",
                             key, bits)
                         .str());
      value = Value::boolean(bits != 0);
      break;
    default:
      llvm_unreachable("not a scalar");
    }
    return Error::success();
  }

  ValueType elem;
  if (Error e =
          readValueType(elem, "element type of metadata key '" + key + "'"))
    return e;
  if (elem == ValueType::Array)
    return error("metadata key '" + key +
                 "' is an array of arrays, which GGUF readers do not support");
  uint64_t count;
  if (Error e = readU64(count, "element count of metadata key '" + key + "'"))
    return e;
  uint64_t left = bytes.size() - pos;
  if (elem == ValueType::String) {
    // Every string costs at least its 8-byte length.
    if (count > left / 8)
      return error(formatv("truncated: metadata key '{0}' claims {1} strings "
                           "but only {2} bytes are left",
                           key, count, left)
                       .str());
    std::vector<std::string> items(count);
    for (uint64_t i = 0; i < count; ++i)
      if (Error e = readString(items[i], "element " + Twine(i) +
                                             " of metadata key '" + key + "'"))
        return e;
    value = Value::stringArray(items);
    return Error::success();
  }
  unsigned w = Value::scalarSize(elem);
  if (count > left / w)
    return error(formatv("truncated: metadata key '{0}' claims {1} {2} "
                         "elements but only {3} bytes are left",
                         key, count, valueTypeName(elem), left)
                     .str());
  ArrayRef<uint8_t> packed(bytes.bytes_begin() + pos, size_t(count * w));
  if (elem == ValueType::Bool)
    for (uint64_t i = 0; i < count; ++i)
      if (packed[i] > 1)
        return error(formatv("metadata key '{0}': bool element {1} is {2}, "
                             "neither 0 nor 1",
                             key, i, packed[i])
                         .str());
  value = Value::array(elem, packed);
  pos += count * w;
  return Error::success();
}

Error GGUFParser::readMetadata(uint64_t count) {
  for (uint64_t i = 0; i < count; ++i) {
    KeyValue kv;
    if (Error e = readString(kv.key, "key of metadata entry " + Twine(i)))
      return e;
    if (kv.key.empty())
      return error("metadata entry " + Twine(i) + " has an empty key");
    if (file.kvIndex.count(kv.key))
      return error("duplicate metadata key '" + kv.key + "'");
    ValueType type;
    if (Error e = readValueType(type, "type of metadata key '" + kv.key + "'"))
      return e;
    if (Error e = readValue(type, kv.value, kv.key))
      return e;
    file.kvIndex[kv.key] = unsigned(file.kvs.size());
    file.kvs.push_back(std::move(kv));
  }

  if (const Value *a = file.lookup(kAlignmentKey)) {
    std::optional<uint32_t> align = a->get<uint32_t>();
    if (!align || *align == 0 || !isPowerOf2_32(*align)) {
      std::string shown;
      raw_string_ostream os(shown);
      a->print(os);
      return error(formatv("{0} must be a power-of-two u32, got {1} {2}",
                           kAlignmentKey, valueTypeName(a->type()), shown)
                       .str());
    }
    file.align = *align;
  }
  return Error::success();
}

Error GGUFParser::readTensorInfos(uint64_t count) {
  for (uint64_t i = 0; i < count; ++i) {
    TensorInfo t;
    if (Error e = readString(t.name, "name of tensor " + Twine(i)))
      return e;
    if (t.name.empty())
      return error("tensor " + Twine(i) + " has an empty name");
    if (t.name.size() > kMaxTensorName)
      return error(formatv("tensor '{0}': name is {1} bytes long, ggml allows "
                           "at most {2}",
                           t.name, t.name.size(), kMaxTensorName)
                       .str());
    if (file.tensorIndex.count(t.name))
      return error("duplicate tensor '" + t.name + "'");
    std::string where = "tensor '" + t.name + "'";
    uint32_t nDims;
    if (Error e = readU32(nDims, "dimension count of " + where))
      return e;
    if (nDims > kMaxDims)
      return error(formatv("tensor '{0}' has {1} dimensions, at most {2} are "
                           "allowed",
                           t.name, nDims, kMaxDims)
                       .str());
    for (uint32_t d = 0; d < nDims; ++d) {
      uint64_t dim;
      if (Error e = readU64(dim, "dimensions of " + where))
        return e;
      if (dim > uint64_t(std::numeric_limits<int64_t>::max()))
        return error(formatv("tensor '{0}': dimension {1} is {2}, beyond "
                             "int64",
                             t.name, d, dim)
                         .str());
      t.shape.push_back(int64_t(dim));
    }
    std::optional<int64_t> elements = elementCount(t.shape);
    if (!elements)
      return error("tensor '" + t.name + "': shape " + shapeString(t.shape) +
                   " has more elements than int64 holds");
    uint32_t typeId;
    if (Error e = readU32(typeId, "type of " + where))
      return e;
    std::optional<GGMLType> type = ggmlTypeFromId(typeId);
    if (!type)
      return error(formatv("tensor '{0}' has type id {1}, which is not a "
                           "known ggml type",
                           t.name, typeId)
                       .str());
    t.type = *type;
    if (t.rowLength() % blockSize(t.type) != 0)
      return error(formatv("tensor '{0}' of type {1}: rows of {2} values do "
                           "not fill whole blocks of {3}",
                           t.name, typeName(t.type), t.rowLength(),
                           blockSize(t.type))
                       .str());
    std::optional<uint64_t> size = tensorBytes(t.type, t.shape, *elements);
    if (!size)
      return error("tensor '" + t.name + "': byte size of shape " +
                   shapeString(t.shape) + " overflows");
    t.size = *size;
    if (Error e = readU64(t.offset, "offset of " + where))
      return e;
    if (t.offset % file.align != 0)
      return error(formatv("tensor '{0}' starts at data offset {1}, not a "
                           "multiple of the alignment {2}",
                           t.name, t.offset, file.align)
                       .str());
    file.tensorIndex[t.name] = unsigned(file.infos.size());
    file.infos.push_back(std::move(t));
  }
  return Error::success();
}

Error GGUFParser::placeTensors() {
  file.dataStart = alignTo(pos, file.align);
  uint64_t fileSize = bytes.size();
  uint64_t dataBytes =
      file.dataStart <= fileSize ? fileSize - file.dataStart : 0;
  for (TensorInfo &t : file.infos) {
    if (t.offset > dataBytes || t.size > dataBytes - t.offset)
      return error(formatv("tensor '{0}' ({1} {2}, bytes [{3}, {4}) of the "
                           "data section) runs past the end of the file: the "
                           "data section holds {5} bytes",
                           t.name, typeName(t.type), shapeString(t.shape),
                           t.offset, t.offset + t.size, dataBytes)
                       .str());
    t.data = bytes.bytes_begin() + file.dataStart + t.offset;
  }
  std::vector<unsigned> order(file.infos.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](unsigned a, unsigned b) {
    const TensorInfo &x = file.infos[a], &y = file.infos[b];
    return x.offset != y.offset ? x.offset < y.offset : a < b;
  });
  for (size_t i = 1; i < order.size(); ++i) {
    const TensorInfo &a = file.infos[order[i - 1]];
    const TensorInfo &b = file.infos[order[i]];
    if (a.size != 0 && b.size != 0 && a.offset + a.size > b.offset)
      return error(formatv("tensors '{0}' (bytes [{1}, {2})) and '{3}' "
                           "(bytes [{4}, {5})) overlap",
                           a.name, a.offset, a.offset + a.size, b.name,
                           b.offset, b.offset + b.size)
                       .str());
  }
  return Error::success();
}

Error GGUFParser::parse() {
  if (bytes.size() < 4 || support::endian::read32le(bytes.data()) != kMagic) {
    std::string magic;
    for (char c : bytes.take_front(4))
      magic += isPrint(c) ? std::string(1, c)
                          : formatv("\\x{0:x-2}", unsigned(uint8_t(c))).str();
    return error("not a GGUF file: it starts with '" + magic +
                 "', not the magic 'GGUF'");
  }
  pos = 4;
  uint32_t version;
  if (Error e = readU32(version, "header"))
    return e;
  if (version == 1)
    return error("GGUF version 1 is not supported (versions 2 and 3 are)");
  if (version != 2 && version != 3) {
    uint32_t swapped = byteswap(version);
    if (swapped == 2 || swapped == 3)
      return error("big-endian GGUF files are not supported");
    return error(formatv("unsupported GGUF version {0} (versions 2 and 3 are "
                         "supported)",
                         version)
                     .str());
  }
  file.formatVersion = version;
  uint64_t nTensors, nKV;
  if (Error e = readU64(nTensors, "header"))
    return e;
  if (Error e = readU64(nKV, "header"))
    return e;
  // Bound the counts by the bytes left before allocating anything: a
  // metadata entry takes at least 13 bytes, a tensor info at least 25.
  uint64_t left = bytes.size() - pos;
  if (nKV > left / 13)
    return error(formatv("truncated: the header claims {0} metadata entries "
                         "but only {1} bytes follow it",
                         nKV, left)
                     .str());
  if (nTensors > left / 25)
    return error(formatv("truncated: the header claims {0} tensors but only "
                         "{1} bytes follow it",
                         nTensors, left)
                     .str());
  if (Error e = readMetadata(nKV))
    return e;
  if (Error e = readTensorInfos(nTensors))
    return e;
  return placeTensors();
}

GGUFFile::~GGUFFile() = default;

Expected<std::unique_ptr<GGUFFile>>
GGUFFile::fromBuffer(std::unique_ptr<MemoryBuffer> buffer) {
  std::unique_ptr<GGUFFile> file(new GGUFFile());
  file->name = buffer->getBufferIdentifier().str();
  file->buffer = std::move(buffer);
  GGUFParser parser(*file);
  if (Error e = parser.parse())
    return std::move(e);
  return std::move(file);
}

Expected<std::unique_ptr<GGUFFile>> GGUFFile::open(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer = MemoryBuffer::getFile(
      path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!buffer)
    return fail(path + ": cannot open: " + buffer.getError().message());
  return fromBuffer(std::move(*buffer));
}

uint64_t GGUFFile::fileSize() const { return buffer->getBufferSize(); }

const Value *GGUFFile::lookup(StringRef key) const {
  auto it = kvIndex.find(key);
  return it == kvIndex.end() ? nullptr : &kvs[it->second].value;
}

const TensorInfo *GGUFFile::tensor(StringRef tensorName) const {
  auto it = tensorIndex.find(tensorName);
  return it == tensorIndex.end() ? nullptr : &infos[it->second];
}

Expected<std::vector<float>> GGUFFile::readFloats(const TensorInfo &t) const {
  std::string what = name + ": tensor '" + t.name + "'";
  if (!canDequantize(t.type))
    return fail(what + " has type " + typeName(t.type) +
                ", which cannot be converted to floats");
  std::vector<float> out(size_t(t.numElements()));
  if (out.empty())
    return out;
  if (Error e = dequantizeMatrix(t.type, t.bytes(), t.rowLength(), out, what))
    return std::move(e);
  return out;
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

struct GGUFWriter::PendingTensor {
  std::string name;
  GGMLType type;
  SmallVector<int64_t, 4> shape;
  uint64_t size = 0;
  ArrayRef<uint8_t> bytes;
  Producer produce;
};

GGUFWriter::GGUFWriter() = default;
GGUFWriter::~GGUFWriter() = default;

void GGUFWriter::set(StringRef key, Value value) {
  for (KeyValue &kv : kvs)
    if (kv.key == key) {
      kv.value = std::move(value);
      return;
    }
  kvs.push_back({key.str(), std::move(value)});
}

void GGUFWriter::remove(StringRef key) {
  llvm::erase_if(kvs, [&](const KeyValue &kv) { return kv.key == key; });
}

const Value *GGUFWriter::lookup(StringRef key) const {
  for (const KeyValue &kv : kvs)
    if (kv.key == key)
      return &kv.value;
  return nullptr;
}

size_t GGUFWriter::numTensors() const { return pending.size(); }

namespace {

Error checkNewTensor(StringRef name, GGMLType type, ArrayRef<int64_t> shape,
                     const StringMap<unsigned> &existing, uint64_t &size) {
  auto bad = [&](const Twine &msg) {
    return fail("tensor '" + name + "': " + msg);
  };
  if (name.empty())
    return fail("a tensor needs a name");
  if (name.size() > kMaxTensorName)
    return bad(formatv("name is {0} bytes long, ggml allows at most {1}",
                       name.size(), kMaxTensorName)
                   .str());
  if (existing.count(name))
    return bad("added twice");
  if (shape.empty() || shape.size() > kMaxDims)
    return bad(formatv("has {0} dimensions, 1 to {1} are allowed", shape.size(),
                       kMaxDims)
                   .str());
  std::optional<int64_t> elements = elementCount(shape);
  if (!elements)
    return bad("shape " + shapeString(shape) +
               " has a negative dimension or too many elements");
  if (shape[0] % blockSize(type) != 0)
    return bad(formatv("rows of {0} values do not fill whole {1} blocks of "
                       "{2} (see chooseFallback)",
                       shape[0], typeName(type), blockSize(type))
                   .str());
  std::optional<uint64_t> bytes = tensorBytes(type, shape, *elements);
  if (!bytes)
    return bad("byte size of shape " + shapeString(shape) + " overflows");
  size = *bytes;
  return Error::success();
}

Expected<uint32_t> writerAlignment(const GGUFWriter &w) {
  const Value *v = w.lookup(kAlignmentKey);
  if (!v)
    return kDefaultAlignment;
  std::optional<uint32_t> a = v->get<uint32_t>();
  if (!a || *a == 0 || !isPowerOf2_32(*a))
    return fail(Twine(kAlignmentKey) + " must be a power-of-two u32");
  return *a;
}

} // namespace

Error GGUFWriter::addTensor(StringRef name, GGMLType type,
                            ArrayRef<int64_t> shape, ArrayRef<uint8_t> bytes) {
  uint64_t size;
  if (Error e = checkNewTensor(name, type, shape, tensorIndex, size))
    return e;
  if (bytes.size() != size)
    return fail(formatv("tensor '{0}': {1} {2} takes {3} bytes, {4} were "
                        "given",
                        name, typeName(type), shapeString(shape), size,
                        bytes.size())
                    .str());
  auto t = std::make_unique<PendingTensor>();
  t->name = name.str();
  t->type = type;
  t->shape.assign(shape.begin(), shape.end());
  t->size = size;
  t->bytes = bytes;
  tensorIndex[name] = unsigned(pending.size());
  pending.push_back(std::move(t));
  return Error::success();
}

Error GGUFWriter::addTensor(StringRef name, GGMLType type,
                            ArrayRef<int64_t> shape, Producer produce) {
  uint64_t size;
  if (Error e = checkNewTensor(name, type, shape, tensorIndex, size))
    return e;
  if (!produce)
    return fail("tensor '" + name + "': no producer given");
  auto t = std::make_unique<PendingTensor>();
  t->name = name.str();
  t->type = type;
  t->shape.assign(shape.begin(), shape.end());
  t->size = size;
  t->produce = std::move(produce);
  tensorIndex[name] = unsigned(pending.size());
  pending.push_back(std::move(t));
  return Error::success();
}

namespace {

/// Little-endian emitters over a raw_ostream.
struct Emitter {
  raw_ostream &os;
  uint64_t written = 0;

  void bytes(const void *p, size_t n) {
    os.write(static_cast<const char *>(p), n);
    written += n;
  }
  void u32(uint32_t v) {
    char b[4];
    support::endian::write32le(b, v);
    bytes(b, 4);
  }
  void u64(uint64_t v) {
    char b[8];
    support::endian::write64le(b, v);
    bytes(b, 8);
  }
  void string(StringRef s) {
    u64(s.size());
    bytes(s.data(), s.size());
  }
  void zeros(uint64_t n) {
    static const char kZeros[64] = {};
    while (n) {
      size_t chunk = size_t(std::min<uint64_t>(n, sizeof kZeros));
      bytes(kZeros, chunk);
      n -= chunk;
    }
  }
  void value(const Value &v) {
    u32(uint32_t(v.type()));
    if (v.type() == ValueType::String) {
      string(*v.asString());
    } else if (v.type() == ValueType::Array) {
      u32(uint32_t(v.elementType()));
      u64(v.size());
      if (v.elementType() == ValueType::String)
        for (const std::string &s : v.strings())
          string(s);
      else
        bytes(v.packed().data(), v.packed().size());
    } else {
      unsigned w = Value::scalarSize(v.type());
      uint64_t bits = 0;
      switch (v.type()) {
      case ValueType::Float32: {
        float f = *v.get<float>();
        std::memcpy(&bits, &f, 4);
        break;
      }
      case ValueType::Float64: {
        double d = *v.get<double>();
        std::memcpy(&bits, &d, 8);
        break;
      }
      case ValueType::Bool:
        bits = *v.asBool() ? 1 : 0;
        break;
      default:
        bits =
            isSignedInt(v.type()) ? uint64_t(*v.asSigned()) : *v.asUnsigned();
        break;
      }
      char b[8];
      support::endian::write64le(b, bits);
      bytes(b, w);
    }
  }
};

/// Bytes one value takes in the file (its type id included).
uint64_t encodedSize(const Value &v) {
  uint64_t n = 4;
  if (v.type() == ValueType::String)
    return n + 8 + v.asString()->size();
  if (v.type() != ValueType::Array)
    return n + Value::scalarSize(v.type());
  n += 4 + 8;
  if (v.elementType() == ValueType::String) {
    for (const std::string &s : v.strings())
      n += 8 + s.size();
    return n;
  }
  return n + v.packed().size();
}

} // namespace

Expected<uint64_t> GGUFWriter::fileSize() const {
  Expected<uint32_t> align = writerAlignment(*this);
  if (!align)
    return align.takeError();
  uint64_t n = 4 + 4 + 8 + 8;
  for (const KeyValue &kv : kvs)
    n += 8 + kv.key.size() + encodedSize(kv.value);
  for (const auto &t : pending)
    n += 8 + t->name.size() + 4 + 8 * t->shape.size() + 4 + 8;
  n = alignTo(n, *align);
  for (const auto &t : pending)
    n += alignTo(t->size, *align);
  return n;
}

Error GGUFWriter::write(StringRef path) const {
  auto bad = [&](const Twine &msg) { return fail(path + ": " + msg); };
  Expected<uint32_t> alignOr = writerAlignment(*this);
  if (!alignOr)
    return bad(toString(alignOr.takeError()));
  uint32_t align = *alignOr;
  for (const KeyValue &kv : kvs)
    if (kv.key.empty())
      return bad("a metadata key is empty");

  Expected<sys::fs::TempFile> temp =
      sys::fs::TempFile::create(path + ".tmp-%%%%%%%%");
  if (!temp)
    return bad("cannot create a temporary file: " + toString(temp.takeError()));
  auto abandon = [&](Error e) {
    consumeError(temp->discard());
    return e;
  };

  // Everything goes out through one stream that is flushed and destroyed
  // before the temporary file is kept or discarded.
  auto writeAll = [&](raw_ostream &os) -> Error {
    Emitter out{os};
    out.u32(kMagic);
    out.u32(kVersion);
    out.u64(pending.size());
    out.u64(kvs.size());
    for (const KeyValue &kv : kvs) {
      out.string(kv.key);
      out.value(kv.value);
    }
    uint64_t offset = 0;
    for (const auto &t : pending) {
      out.string(t->name);
      out.u32(uint32_t(t->shape.size()));
      for (int64_t d : t->shape)
        out.u64(uint64_t(d));
      out.u32(uint32_t(t->type));
      out.u64(offset);
      offset += alignTo(t->size, align);
    }
    out.zeros(alignTo(out.written, align) - out.written);

    std::vector<uint8_t> scratch;
    for (const auto &t : pending) {
      if (t->produce) {
        scratch.assign(size_t(t->size), 0);
        if (Error e = t->produce(scratch))
          return bad("tensor '" + t->name + "': " + toString(std::move(e)));
        out.bytes(scratch.data(), scratch.size());
        scratch.clear();
        scratch.shrink_to_fit();
      } else {
        out.bytes(t->bytes.data(), t->bytes.size());
      }
      out.zeros(alignTo(t->size, align) - t->size);
    }
    return Error::success();
  };
  Error result = [&]() -> Error {
    raw_fd_ostream os(temp->FD, /*shouldClose=*/false);
    Error e = writeAll(os);
    os.flush();
    if (!e && os.has_error())
      e = bad("write failed: " + os.error().message());
    os.clear_error();
    return e;
  }();
  if (result)
    return abandon(std::move(result));
  if (Error e = temp->keep(path))
    return abandon(bad("cannot rename the temporary file into place: " +
                       toString(std::move(e))));
  return Error::success();
}
