//===- Safetensors.cpp - read .safetensors files and sharded models -------===//
//
// Part of quantc. See include/qc/Import/Safetensors/Safetensors.h and
// docs/Safetensors.md.
//
//===----------------------------------------------------------------------===//

#include "qc/Import/Safetensors/Safetensors.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstring>
#include <limits>

using namespace llvm;
using namespace mlir::qc::safetensors;

namespace {

struct DTypeInfo {
  DType dtype;
  StringLiteral name;
  unsigned size;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::BOOL, "BOOL", 1},       {DType::U8, "U8", 1},
    {DType::I8, "I8", 1},           {DType::F8_E4M3, "F8_E4M3", 1},
    {DType::F8_E5M2, "F8_E5M2", 1}, {DType::I16, "I16", 2},
    {DType::U16, "U16", 2},         {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2},       {DType::I32, "I32", 4},
    {DType::U32, "U32", 4},         {DType::F32, "F32", 4},
    {DType::I64, "I64", 8},         {DType::U64, "U64", 8},
    {DType::F64, "F64", 8},
};

const DTypeInfo &info(DType dtype) {
  for (const DTypeInfo &i : kDTypes)
    if (i.dtype == dtype)
      return i;
  llvm_unreachable("unknown dtype");
}

Error fail(const Twine &msg) {
  return createStringError(inconvertibleErrorCode(), msg);
}

std::string knownDTypes() {
  std::string s;
  for (const DTypeInfo &i : kDTypes)
    s += (s.empty() ? "" : ", ") + i.name.str();
  return s;
}

std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s;
  raw_string_ostream os(s);
  printShape(os, shape);
  return s;
}

} // namespace

StringRef mlir::qc::safetensors::dtypeName(DType dtype) {
  return info(dtype).name;
}

std::optional<DType> mlir::qc::safetensors::parseDType(StringRef name) {
  for (const DTypeInfo &i : kDTypes)
    if (i.name == name)
      return i.dtype;
  return std::nullopt;
}

unsigned mlir::qc::safetensors::dtypeSize(DType dtype) {
  return info(dtype).size;
}

bool mlir::qc::safetensors::isFloatingPoint(DType dtype) {
  return dtype == DType::F64 || dtype == DType::F32 || dtype == DType::F16 ||
         dtype == DType::BF16;
}

float mlir::qc::safetensors::halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign; // +-0
    } else {
      // Subnormal: mant * 2^-24. Shift the leading one into the implicit
      // bit; each shift lowers the exponent by one.
      uint32_t e = 127 - 15 + 1;
      while (!(mant & 0x400)) {
        mant <<= 1;
        --e;
      }
      bits = sign | (e << 23) | ((mant & 0x3ff) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13); // inf, or NaN with its payload
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

float mlir::qc::safetensors::bfloat16ToFloat(uint16_t h) {
  uint32_t bits = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

void mlir::qc::safetensors::printShape(raw_ostream &os,
                                       ArrayRef<int64_t> shape) {
  os << '[';
  llvm::interleave(shape, os, ", ");
  os << ']';
}

//===----------------------------------------------------------------------===//
// TensorView
//===----------------------------------------------------------------------===//

uint64_t TensorView::numElements() const {
  uint64_t n = 1;
  for (int64_t d : shape)
    n *= uint64_t(d);
  return n;
}

Error TensorView::toF32(MutableArrayRef<float> out) const {
  uint64_t n = numElements();
  if (!isFloatingPoint(dtype))
    return fail("tensor '" + name + "': dtype " + dtypeName(dtype) +
                " does not convert to f32");
  if (out.size() != n)
    return fail("tensor '" + name + "': " + Twine(n) +
                " elements, but the destination holds " + Twine(out.size()));
  const uint8_t *p = data;
  switch (dtype) {
  case DType::F32:
    for (uint64_t i = 0; i < n; ++i)
      out[i] = bit_cast<float>(support::endian::read32le(p + 4 * i));
    break;
  case DType::F64:
    for (uint64_t i = 0; i < n; ++i)
      out[i] = float(bit_cast<double>(support::endian::read64le(p + 8 * i)));
    break;
  case DType::F16:
    for (uint64_t i = 0; i < n; ++i)
      out[i] = halfToFloat(support::endian::read16le(p + 2 * i));
    break;
  case DType::BF16:
    for (uint64_t i = 0; i < n; ++i)
      out[i] = bfloat16ToFloat(support::endian::read16le(p + 2 * i));
    break;
  default:
    llvm_unreachable("not a floating-point dtype");
  }
  return Error::success();
}

Expected<std::vector<float>> TensorView::toF32() const {
  if (!isFloatingPoint(dtype))
    return fail("tensor '" + name + "': dtype " + dtypeName(dtype) +
                " does not convert to f32");
  std::vector<float> out(numElements());
  if (Error e = toF32(out))
    return std::move(e);
  return out;
}

//===----------------------------------------------------------------------===//
// SafetensorsFile
//===----------------------------------------------------------------------===//

SafetensorsFile::~SafetensorsFile() = default;

namespace {

/// Validates one header entry and fills `view` (all but `data`).
Error parseEntry(StringRef key, const json::Value &value, uint64_t dataSize,
                 TensorView &view) {
  auto err = [&](const Twine &msg) {
    return fail("tensor '" + key + "': " + msg);
  };
  const json::Object *entry = value.getAsObject();
  if (!entry)
    return err("the header entry is not a JSON object");
  view.name = key.str();

  const json::Value *dtypeValue = entry->get("dtype");
  if (!dtypeValue)
    return err("missing 'dtype'");
  std::optional<StringRef> dtypeString = dtypeValue->getAsString();
  if (!dtypeString)
    return err("'dtype' is not a string");
  std::optional<DType> dtype = parseDType(*dtypeString);
  if (!dtype)
    return err("unknown dtype '" + *dtypeString + "' (known: " +
               knownDTypes() + ")");
  view.dtype = *dtype;

  const json::Value *shapeValue = entry->get("shape");
  if (!shapeValue)
    return err("missing 'shape'");
  const json::Array *shape = shapeValue->getAsArray();
  if (!shape)
    return err("'shape' is not an array");
  // The element count and byte size in 64 bits, checked at every step.
  uint64_t numel = 1;
  bool overflow = false;
  for (auto [i, dim] : llvm::enumerate(*shape)) {
    std::optional<int64_t> d = dim.getAsInteger();
    if (!d) {
      std::optional<uint64_t> u = dim.getAsUINT64();
      if (u)
        return err("shape dimension " + Twine(i) + " (" + Twine(*u) +
                   ") is too large");
      return err("shape dimension " + Twine(i) + " is not an integer");
    }
    if (*d < 0)
      return err("shape dimension " + Twine(i) + " is negative (" + Twine(*d) +
                 ")");
    view.shape.push_back(*d);
    if (*d != 0 && numel > std::numeric_limits<uint64_t>::max() / uint64_t(*d))
      overflow = true;
    numel *= uint64_t(*d);
  }
  unsigned elemSize = dtypeSize(*dtype);
  bool hasZero = llvm::is_contained(view.shape, 0);
  if (!hasZero &&
      (overflow || numel > std::numeric_limits<uint64_t>::max() / elemSize))
    return err("shape " + shapeString(view.shape) + " of " +
               dtypeName(*dtype) + " is too large: its byte size overflows " +
               "64 bits");
  uint64_t numBytes = hasZero ? 0 : numel * elemSize;

  const json::Value *offsetsValue = entry->get("data_offsets");
  if (!offsetsValue)
    return err("missing 'data_offsets'");
  const json::Array *offsets = offsetsValue->getAsArray();
  std::optional<uint64_t> begin, end;
  if (offsets && offsets->size() == 2) {
    begin = (*offsets)[0].getAsUINT64();
    end = (*offsets)[1].getAsUINT64();
  }
  if (!begin || !end)
    return err("'data_offsets' is not [begin, end] with non-negative integers");
  std::string range =
      formatv("data_offsets [{0}, {1}]", *begin, *end).str();
  if (*begin > *end)
    return err(range + " end before they begin");
  if (*end > dataSize)
    return err(range + " lie outside the data section (" + Twine(dataSize) +
               " bytes)");
  if (*end - *begin != numBytes)
    return err(range + " hold " + Twine(*end - *begin) + " bytes, but shape " +
               shapeString(view.shape) + " of " + dtypeName(*dtype) +
               " needs " + Twine(numBytes));
  view.begin = *begin;
  view.end = *end;
  return Error::success();
}

/// llvm::json keeps one of two equal keys silently; the header's top-level
/// keys are scanned here to report a name given twice. `text` has parsed
/// as a JSON object already.
std::optional<std::string> duplicateTopLevelKey(StringRef text) {
  StringSet<> seen;
  int depth = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      --depth;
    } else if (c == '"') {
      // A string: find its end, skipping escapes.
      size_t j = i + 1;
      while (j < text.size() && text[j] != '"')
        j += text[j] == '\\' ? 2 : 1;
      StringRef raw = text.slice(i + 1, j);
      i = j;
      if (depth != 1)
        continue;
      size_t k = text.find_first_not_of(" \t\r\n", j + 1);
      if (k == StringRef::npos || text[k] != ':')
        continue;
      // Keys are compared as written; escapes are rare in tensor names.
      if (!seen.insert(raw).second)
        return raw.str();
    }
  }
  return std::nullopt;
}

} // namespace

Expected<std::unique_ptr<SafetensorsFile>>
SafetensorsFile::open(StringRef path) {
  auto err = [&](const Twine &msg) { return fail(path + ": " + msg); };
  sys::fs::file_status status;
  if (std::error_code ec = sys::fs::status(path, status))
    return err(ec.message());
  if (sys::fs::is_directory(status))
    return err("is a directory, not a .safetensors file");
  uint64_t size = status.getSize();
  if (size < 8)
    return err("the file is " + Twine(size) +
               " bytes, too short for the 8-byte header length");

  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->filePath = path.str();
  file->size = size;
  {
    Expected<sys::fs::file_t> fd = sys::fs::openNativeFileForRead(path);
    if (!fd)
      return err(toString(fd.takeError()));
    std::error_code ec;
    file->mapping = std::make_unique<sys::fs::mapped_file_region>(
        *fd, sys::fs::mapped_file_region::readonly, size, 0, ec);
    sys::fs::file_t handle = *fd;
    sys::fs::closeFile(handle);
    if (ec)
      return err("cannot map the file: " + ec.message());
  }
  const uint8_t *base =
      reinterpret_cast<const uint8_t *>(file->mapping->const_data());

  uint64_t headerLen = support::endian::read64le(base);
  if (headerLen > kMaxHeaderSize)
    return err("header length " + Twine(headerLen) + " exceeds the limit of " +
               Twine(kMaxHeaderSize) + " bytes");
  if (headerLen > size - 8)
    return err("header length " + Twine(headerLen) +
               " runs past the end of the file (" + Twine(size) + " bytes)");
  file->jsonSize = headerLen;
  StringRef text(reinterpret_cast<const char *>(base + 8), headerLen);
  Expected<json::Value> header = json::parse(text);
  if (!header)
    return err("the header is not valid JSON: " +
               toString(header.takeError()));
  const json::Object *root = header->getAsObject();
  if (!root)
    return err("the header is not a JSON object");
  if (std::optional<std::string> dup = duplicateTopLevelKey(text))
    return err("the header names '" + *dup + "' twice");

  uint64_t dataStart = 8 + headerLen;
  uint64_t dataSize = size - dataStart;
  // Keys in sorted order: errors do not depend on hash order.
  std::vector<StringRef> keys;
  for (const auto &kv : *root)
    keys.push_back(kv.first);
  llvm::sort(keys);
  for (StringRef key : keys) {
    const json::Value &value = *root->get(key);
    if (key == "__metadata__") {
      const json::Object *meta = value.getAsObject();
      if (!meta)
        return err("'__metadata__' is not a JSON object");
      for (const auto &kv : *meta) {
        std::optional<StringRef> s = kv.second.getAsString();
        if (!s)
          return err("'__metadata__' entry '" + StringRef(kv.first) +
                     "' is not a string");
        file->meta[kv.first.str()] = s->str();
      }
      continue;
    }
    TensorView view;
    if (Error e = parseEntry(key, value, dataSize, view))
      return err(toString(std::move(e)));
    view.data = base + dataStart + view.begin;
    file->views.push_back(std::move(view));
  }

  // By offset; then no non-empty tensor may start before the furthest end
  // seen so far.
  llvm::sort(file->views, [](const TensorView &a, const TensorView &b) {
    return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
  });
  const TensorView *furthest = nullptr;
  for (const TensorView &v : file->views) {
    if (v.numBytes() == 0)
      continue;
    if (furthest && v.begin < furthest->end)
      return err(formatv("tensors '{0}' [{1}, {2}] and '{3}' [{4}, {5}] "
                         "overlap",
                         furthest->name, furthest->begin, furthest->end,
                         v.name, v.begin, v.end)
                     .str());
    if (!furthest || v.end > furthest->end)
      furthest = &v;
  }
  for (auto [i, v] : llvm::enumerate(file->views))
    file->byName[v.name] = i;
  return file;
}

const TensorView *SafetensorsFile::lookup(StringRef name) const {
  auto it = byName.find(name);
  return it == byName.end() ? nullptr : &views[it->second];
}

//===----------------------------------------------------------------------===//
// SafetensorsModel
//===----------------------------------------------------------------------===//

namespace {

/// Reads a whole small file (an index, a config).
Expected<std::unique_ptr<MemoryBuffer>> readFile(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer =
      MemoryBuffer::getFile(path, /*IsText=*/false,
                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return fail(path + ": " + buffer.getError().message());
  return std::move(*buffer);
}

bool isPlainRelative(StringRef p) {
  if (p.empty() || sys::path::is_absolute(p) ||
      sys::path::is_absolute(p, sys::path::Style::windows))
    return false;
  for (auto it = sys::path::begin(p), e = sys::path::end(p); it != e; ++it)
    if (*it == "..")
      return false;
  return true;
}

} // namespace

Expected<std::unique_ptr<SafetensorsModel>>
SafetensorsModel::open(StringRef path) {
  std::unique_ptr<SafetensorsModel> model(new SafetensorsModel());

  SmallString<256> target(path);
  if (sys::fs::is_directory(path)) {
    SmallString<256> indexPath(path), singlePath(path);
    sys::path::append(indexPath, "model.safetensors.index.json");
    sys::path::append(singlePath, "model.safetensors");
    if (sys::fs::exists(indexPath))
      target = indexPath;
    else if (sys::fs::exists(singlePath))
      target = singlePath;
    else
      return fail(path + ": the directory holds neither "
                         "model.safetensors.index.json nor model.safetensors");
  }
  model->sourcePath = target.str().str();

  if (!StringRef(target).ends_with(".json")) {
    Expected<std::unique_ptr<SafetensorsFile>> file =
        SafetensorsFile::open(target);
    if (!file)
      return file.takeError();
    model->files.push_back(std::move(*file));
    for (auto [i, v] : llvm::enumerate(model->files[0]->tensors()))
      model->index[v.name] = {0u, unsigned(i)};
    return model;
  }

  // An index: {"metadata": {...}, "weight_map": {tensor: shard file}}.
  model->sharded = true;
  StringRef indexPath = model->sourcePath;
  auto err = [&](const Twine &msg) { return fail(indexPath + ": " + msg); };
  Expected<std::unique_ptr<MemoryBuffer>> buffer = readFile(indexPath);
  if (!buffer)
    return buffer.takeError();
  Expected<json::Value> root = json::parse((*buffer)->getBuffer());
  if (!root)
    return err("not valid JSON: " + toString(root.takeError()));
  const json::Object *rootObject = root->getAsObject();
  if (!rootObject)
    return err("the index is not a JSON object");
  const json::Value *weightMapValue = rootObject->get("weight_map");
  if (!weightMapValue)
    return err("missing 'weight_map'");
  const json::Object *weightMap = weightMapValue->getAsObject();
  if (!weightMap)
    return err("'weight_map' is not a JSON object");
  if (weightMap->empty())
    return err("'weight_map' names no tensors");

  // shard file -> the tensors mapped to it, both sorted.
  std::map<std::string, std::vector<std::string>> byShard;
  for (const auto &kv : *weightMap) {
    std::optional<StringRef> shard = kv.second.getAsString();
    if (!shard)
      return err("'weight_map' entry for tensor '" + StringRef(kv.first) +
                 "' is not a string");
    if (!isPlainRelative(*shard))
      return err("shard '" + *shard + "' of tensor '" + StringRef(kv.first) +
                 "' is not a path relative to the index's directory");
    byShard[shard->str()].push_back(kv.first.str());
  }
  for (auto &kv : byShard)
    llvm::sort(kv.second);

  StringRef dir = sys::path::parent_path(indexPath);
  std::vector<std::string> shardNames;
  for (const auto &kv : byShard) {
    SmallString<256> shardPath(dir);
    sys::path::append(shardPath, kv.first);
    Expected<std::unique_ptr<SafetensorsFile>> file =
        SafetensorsFile::open(shardPath);
    if (!file) {
      std::string holding = "'" + kv.second.front() + "'";
      if (kv.second.size() > 1)
        holding += " and " + std::to_string(kv.second.size() - 1) + " more";
      return err("shard '" + kv.first + "' (holding " + holding +
                 "): " + toString(file.takeError()));
    }
    model->files.push_back(std::move(*file));
    shardNames.push_back(kv.first);
  }

  for (auto [s, file] : llvm::enumerate(model->files)) {
    for (auto [i, v] : llvm::enumerate(file->tensors())) {
      auto [it, inserted] =
          model->index.try_emplace(v.name, unsigned(s), unsigned(i));
      if (!inserted)
        return err("tensor '" + v.name + "' is in two shards, '" +
                   shardNames[it->second.first] + "' and '" + shardNames[s] +
                   "'");
    }
  }
  for (const auto &[s, kv] : llvm::enumerate(byShard)) {
    for (const std::string &name : kv.second)
      if (!model->files[s]->lookup(name))
        return err("tensor '" + name + "' is mapped to shard '" + kv.first +
                   "', which does not hold it");
  }
  return model;
}

const TensorView *SafetensorsModel::lookup(StringRef name) const {
  auto it = index.find(name);
  if (it == index.end())
    return nullptr;
  return &files[it->second.first]->tensors()[it->second.second];
}

const SafetensorsFile *SafetensorsModel::shardOf(StringRef name) const {
  auto it = index.find(name);
  return it == index.end() ? nullptr : files[it->second.first].get();
}

std::vector<const TensorView *> SafetensorsModel::tensors() const {
  std::vector<const TensorView *> all;
  for (const auto &file : files)
    for (const TensorView &v : file->tensors())
      all.push_back(&v);
  llvm::sort(all, [](const TensorView *a, const TensorView *b) {
    return a->name < b->name;
  });
  return all;
}

uint64_t SafetensorsModel::totalBytes() const {
  uint64_t total = 0;
  for (const auto &file : files)
    for (const TensorView &v : file->tensors())
      total += v.numBytes();
  return total;
}

void mlir::qc::safetensors::printTensorList(raw_ostream &os,
                                            const SafetensorsModel &model) {
  std::vector<const TensorView *> all = model.tensors();
  size_t nameWidth = 0, shapeWidth = 0;
  std::vector<std::string> shapes;
  for (const TensorView *v : all) {
    nameWidth = std::max(nameWidth, v->name.size());
    shapes.push_back(shapeString(v->shape));
    shapeWidth = std::max(shapeWidth, shapes.back().size());
  }
  os << model.path() << ": " << all.size()
     << (all.size() == 1 ? " tensor" : " tensors");
  if (model.isSharded())
    os << " in " << model.shards().size()
       << (model.shards().size() == 1 ? " shard" : " shards");
  os << ", " << model.totalBytes() << " bytes\n";
  for (auto [i, v] : llvm::enumerate(all)) {
    os << "  " << left_justify(v->name, nameWidth) << "  "
       << left_justify(dtypeName(v->dtype), 7) << " "
       << left_justify(shapes[i], shapeWidth) << "  "
       << right_justify(std::to_string(v->numBytes()), 12) << " bytes";
    if (model.isSharded())
      os << "  " << sys::path::filename(model.shardOf(v->name)->path());
    os << "\n";
  }
}
