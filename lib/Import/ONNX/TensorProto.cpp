//===- TensorProto.cpp - ONNX TensorProto to attributes and host tensors --===//
//
// Part of quantc. Decodes the payload of an onnx.TensorProto (raw_data, the
// typed repeated fields or external data beside the model) into packed
// little-endian bytes, then into MLIR elements attributes or host tensors.
//
//===----------------------------------------------------------------------===//

#include "ONNXImporterImpl.h"

#include "qc/Executor/Executor.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::onnx_import;
using onnx::TensorProto;

Type onnx_import::elementTypeFor(MLIRContext *ctx, int32_t t) {
  Builder b(ctx);
  switch (t) {
  case TensorProto::FLOAT:
    return b.getF32Type();
  case TensorProto::FLOAT16:
    return b.getF16Type();
  case TensorProto::BFLOAT16:
    return b.getBF16Type();
  case TensorProto::DOUBLE:
    return b.getF64Type();
  case TensorProto::BOOL:
    return b.getI1Type();
  case TensorProto::INT8:
    return b.getIntegerType(8);
  case TensorProto::INT16:
    return b.getIntegerType(16);
  case TensorProto::INT32:
    return b.getIntegerType(32);
  case TensorProto::INT64:
    return b.getIntegerType(64);
  case TensorProto::UINT8:
    return b.getIntegerType(8, /*isSigned=*/false);
  case TensorProto::UINT16:
    return b.getIntegerType(16, /*isSigned=*/false);
  case TensorProto::UINT32:
    return b.getIntegerType(32, /*isSigned=*/false);
  case TensorProto::UINT64:
    return b.getIntegerType(64, /*isSigned=*/false);
  default:
    return nullptr;
  }
}

std::string onnx_import::onnxTypeName(int32_t t) {
  if (TensorProto::DataType_IsValid(t))
    return llvm::StringRef(TensorProto::DataType_Name(
                               static_cast<TensorProto::DataType>(t)))
        .lower();
  return "data type " + std::to_string(t);
}

std::string onnx_import::debugString(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

/// Bytes per element in the packed form (bool is one byte).
static size_t elementBytes(Type t) {
  if (t.isInteger(1))
    return 1;
  return llvm::divideCeil(t.getIntOrFloatBitWidth(), 8);
}

//===----------------------------------------------------------------------===//
// Payload decoding
//===----------------------------------------------------------------------===//

/// Narrows the int32_data / uint64_data / ... entries to `size` bytes each.
template <typename T>
static std::vector<char> packField(const google::protobuf::RepeatedField<T> &f,
                                   size_t size) {
  std::vector<char> out(f.size() * size);
  for (int i = 0; i < f.size(); ++i) {
    T v = f.Get(i);
    // Little-endian host: the low `size` bytes are the narrowed value.
    std::memcpy(out.data() + i * size, &v, size);
  }
  return out;
}

/// Reads an external-data payload, checking the location and the bounds.
static FailureOr<std::vector<char>> readExternal(const TensorProto &t,
                                                 llvm::StringRef baseDir,
                                                 size_t expected,
                                                 std::string &error) {
  std::string location;
  std::optional<uint64_t> offset, length;
  for (const auto &kv : t.external_data()) {
    uint64_t v = 0;
    if (kv.key() == "location") {
      location = kv.value();
    } else if (kv.key() == "offset" || kv.key() == "length") {
      if (llvm::StringRef(kv.value()).getAsInteger(10, v)) {
        error = "external data of '" + t.name() + "' has a malformed " +
                kv.key() + " '" + kv.value() + "'";
        return failure();
      }
      (kv.key() == "offset" ? offset : length) = v;
    }
  }
  if (location.empty()) {
    error = "external data of '" + t.name() + "' has no location";
    return failure();
  }
  // Like ONNX's checker: the file must sit beside (or below) the model.
  if (llvm::sys::path::is_absolute(location) ||
      llvm::is_contained(llvm::make_range(llvm::sys::path::begin(location),
                                          llvm::sys::path::end(location)),
                         "..")) {
    error = "external data location '" + location + "' of '" + t.name() +
            "' must be a relative path inside the model's folder";
    return failure();
  }
  llvm::SmallString<256> path(baseDir);
  llvm::sys::path::append(path, location);
  uint64_t fileSize = 0;
  if (std::error_code ec = llvm::sys::fs::file_size(path, fileSize)) {
    error = "cannot read external data file '" + std::string(path) + "' of '" +
            t.name() + "': " + ec.message();
    return failure();
  }
  uint64_t off = offset.value_or(0);
  uint64_t len = length.value_or(off <= fileSize ? fileSize - off : 0);
  if (off > fileSize || len > fileSize - off) {
    error = "external data of '" + t.name() + "' (offset " +
            std::to_string(off) + ", length " + std::to_string(len) +
            ") is out of bounds of '" + std::string(path) + "' (" +
            std::to_string(fileSize) + " bytes)";
    return failure();
  }
  if (len != expected) {
    error = "external data of '" + t.name() + "' has " + std::to_string(len) +
            " bytes but its shape and type need " + std::to_string(expected);
    return failure();
  }
  auto buf = llvm::MemoryBuffer::getFileSlice(path, len, off,
                                              /*IsVolatile=*/false);
  if (!buf) {
    error = "cannot read external data file '" + std::string(path) +
            "': " + buf.getError().message();
    return failure();
  }
  llvm::StringRef data = (*buf)->getBuffer();
  return std::vector<char>(data.begin(), data.end());
}

/// The tensor's elements as packed little-endian bytes of `elt`.
static FailureOr<std::vector<char>> tensorBytes(const TensorProto &t, Type elt,
                                                int64_t numElements,
                                                llvm::StringRef baseDir,
                                                std::string &error) {
  size_t size = elementBytes(elt);
  size_t expected = numElements * size;
  if (t.data_location() == TensorProto::EXTERNAL)
    return readExternal(t, baseDir, expected, error);

  std::vector<char> bytes;
  if (t.has_raw_data()) {
    const std::string &raw = t.raw_data();
    bytes.assign(raw.begin(), raw.end());
  } else {
    switch (t.data_type()) {
    case TensorProto::FLOAT:
      bytes = packField(t.float_data(), size);
      break;
    case TensorProto::DOUBLE:
      bytes = packField(t.double_data(), size);
      break;
    case TensorProto::INT64:
      bytes = packField(t.int64_data(), size);
      break;
    case TensorProto::UINT32:
    case TensorProto::UINT64:
      bytes = packField(t.uint64_data(), size);
      break;
    default:
      // int8/16/32, uint8/16, bool and the 16-bit float bit patterns.
      bytes = packField(t.int32_data(), size);
      break;
    }
  }
  if (bytes.size() != expected) {
    error = "tensor '" + t.name() + "' holds " + std::to_string(bytes.size()) +
            " bytes of data but its shape and type need " +
            std::to_string(expected);
    return failure();
  }
  if (elt.isInteger(1))
    for (char &c : bytes)
      c = c != 0;
  return bytes;
}

/// Shape and element type of a TensorProto, checked.
static FailureOr<std::pair<llvm::SmallVector<int64_t>, Type>>
tensorShapeAndType(MLIRContext *ctx, const TensorProto &t, std::string &error) {
  Type elt = elementTypeFor(ctx, t.data_type());
  if (!elt) {
    error = "tensor '" + t.name() + "' has unsupported element type " +
            onnxTypeName(t.data_type());
    return failure();
  }
  llvm::SmallVector<int64_t> shape;
  int64_t n = 1;
  for (int64_t d : t.dims()) {
    if (d < 0) {
      error = "tensor '" + t.name() + "' has a negative dimension";
      return failure();
    }
    std::optional<int64_t> m = llvm::checkedMul(n, d);
    if (!m || *m > (int64_t(1) << 40)) {
      error = "tensor '" + t.name() + "' is too large";
      return failure();
    }
    n = *m;
    shape.push_back(d);
  }
  return std::make_pair(shape, elt);
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

ElementsAttr onnx_import::makeElementsAttr(ShapedType type,
                                           llvm::ArrayRef<char> bytes,
                                           int64_t resourceThreshold,
                                           llvm::StringRef blobName) {
  Type elt = type.getElementType();
  if (elt.isInteger(1)) {
    llvm::SmallVector<bool> bits(bytes.begin(), bytes.end());
    return DenseElementsAttr::get(type, llvm::ArrayRef<bool>(bits));
  }
  if (type.getNumElements() < resourceThreshold || type.getNumElements() == 0)
    return DenseElementsAttr::getFromRawBuffer(type, bytes);
  return DenseResourceElementsAttr::get(
      type, mlir::qc::resourceKey(blobName),
      HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, /*align=*/64));
}

FailureOr<ElementsAttr>
onnx_import::convertTensorProto(MLIRContext *ctx, const TensorProto &t,
                                llvm::StringRef baseDir,
                                int64_t resourceThreshold, std::string &error) {
  auto st = tensorShapeAndType(ctx, t, error);
  if (failed(st))
    return failure();
  auto type = RankedTensorType::get(st->first, st->second);
  auto bytes =
      tensorBytes(t, st->second, type.getNumElements(), baseDir, error);
  if (failed(bytes))
    return failure();
  return makeElementsAttr(type, *bytes, resourceThreshold, t.name());
}

/// Calls `fn(i, double)` or `fn(i, int64)` for each raw element of `elt`.
template <typename Fn>
static bool forEachRaw(Type elt, llvm::ArrayRef<char> data, int64_t n,
                       Fn &&fn) {
  size_t size = elementBytes(elt);
  if (data.size() < n * size)
    return false;
  for (int64_t i = 0; i < n; ++i) {
    const char *p = data.data() + i * size;
    if (auto it = llvm::dyn_cast<IntegerType>(elt)) {
      uint64_t u = 0;
      std::memcpy(&u, p, size);
      if (it.getWidth() == 1 || it.isUnsigned())
        fn(i, static_cast<int64_t>(u), static_cast<double>(u));
      else {
        int64_t s = llvm::SignExtend64(u, it.getWidth());
        fn(i, s, static_cast<double>(s));
      }
      continue;
    }
    double v;
    if (elt.isF32()) {
      float f;
      std::memcpy(&f, p, 4);
      v = f;
    } else if (elt.isF64()) {
      std::memcpy(&v, p, 8);
    } else if (elt.isF16() || elt.isBF16()) {
      uint16_t h;
      std::memcpy(&h, p, 2);
      v = elt.isF16() ? halfToFloat(h) : bf16ToFloat(h);
    } else {
      return false;
    }
    fn(i, static_cast<int64_t>(v), v);
  }
  return true;
}

template <typename T>
static std::optional<llvm::SmallVector<T>> getValues(ElementsAttr attr) {
  auto type = llvm::cast<ShapedType>(attr.getType());
  Type elt = type.getElementType();
  int64_t n = type.getNumElements();
  llvm::SmallVector<T> out(n);
  auto store = [&](int64_t i, int64_t iv, double fv) {
    if constexpr (std::is_same_v<T, double>)
      out[i] = fv;
    else
      out[i] = iv;
  };
  if (auto dense = llvm::dyn_cast<DenseElementsAttr>(attr)) {
    if (auto it = llvm::dyn_cast<IntegerType>(elt)) {
      int64_t i = 0;
      for (const APInt &v : dense.getValues<APInt>()) {
        int64_t iv = it.getWidth() == 1 || it.isUnsigned()
                         ? static_cast<int64_t>(v.getZExtValue())
                         : v.getSExtValue();
        store(i++, iv, static_cast<double>(iv));
      }
      return out;
    }
    if (llvm::isa<FloatType>(elt)) {
      int64_t i = 0;
      for (APFloat v : dense.getValues<APFloat>()) {
        bool lost;
        v.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
        double d = v.convertToDouble();
        store(i++, static_cast<int64_t>(d), d);
      }
      return out;
    }
    return std::nullopt;
  }
  if (auto res = llvm::dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob || !forEachRaw(elt, blob->getData(), n, store))
      return std::nullopt;
    return out;
  }
  return std::nullopt;
}

std::optional<llvm::SmallVector<int64_t>>
onnx_import::getIntValues(ElementsAttr attr) {
  return getValues<int64_t>(attr);
}

std::optional<llvm::SmallVector<double>>
onnx_import::getFloatValues(ElementsAttr attr) {
  return getValues<double>(attr);
}

//===----------------------------------------------------------------------===//
// Host tensors
//===----------------------------------------------------------------------===//

FailureOr<Tensor> mlir::qc::readONNXTensorFile(llvm::StringRef path,
                                               std::string &name,
                                               std::string &error) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buf) {
    error = "cannot open '" + path.str() + "': " + buf.getError().message();
    return failure();
  }
  TensorProto t;
  llvm::StringRef data = (*buf)->getBuffer();
  if (data.size() > static_cast<size_t>(INT32_MAX) ||
      !t.ParseFromArray(data.data(), static_cast<int>(data.size()))) {
    error = "'" + path.str() + "' is not a serialized onnx.TensorProto";
    return failure();
  }
  name = t.name();
  MLIRContext ctx(MLIRContext::Threading::DISABLED);
  auto st = tensorShapeAndType(&ctx, t, error);
  if (failed(st))
    return failure();
  std::optional<DType> dtype = dtypeFromType(st->second);
  if (!dtype) {
    error = "tensor '" + t.name() + "' has unsupported element type " +
            onnxTypeName(t.data_type());
    return failure();
  }
  int64_t n = ShapedType::getNumElements(st->first);
  auto bytes =
      tensorBytes(t, st->second, n, llvm::sys::path::parent_path(path), error);
  if (failed(bytes))
    return failure();
  return Tensor::fromBytes(*dtype, st->first, bytes->data());
}
