//===- Npy.cpp - NumPy .npy files -----------------------------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Executor/Npy.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace mlir;
using namespace mlir::qc;

static constexpr char kMagic[] = "\x93NUMPY";
static constexpr size_t kMagicLen = 6;

static std::optional<DType> dtypeFromDescr(StringRef d) {
  // Byte order: '<' little, '|' not applicable, '=' native (little here).
  if (d.size() < 3 || (d[0] != '<' && d[0] != '|' && d[0] != '='))
    return std::nullopt;
  StringRef code = d.drop_front();
  return llvm::StringSwitch<std::optional<DType>>(code)
      .Case("f4", DType::F32)
      .Case("f8", DType::F64)
      .Case("f2", DType::F16)
      .Case("b1", DType::Bool)
      .Case("i1", DType::I8)
      .Case("u1", DType::U8)
      .Case("i2", DType::I16)
      .Case("u2", DType::U16)
      .Case("i4", DType::I32)
      .Case("u4", DType::U32)
      .Case("i8", DType::I64)
      .Case("u8", DType::U64)
      .Default(std::nullopt);
}

static std::optional<StringRef> descrFromDType(DType t) {
  switch (t) {
  case DType::F32: return StringRef("<f4");
  case DType::F64: return StringRef("<f8");
  case DType::F16: return StringRef("<f2");
  case DType::Bool: return StringRef("|b1");
  case DType::I8: return StringRef("|i1");
  case DType::U8: return StringRef("|u1");
  case DType::I16: return StringRef("<i2");
  case DType::U16: return StringRef("<u2");
  case DType::I32: return StringRef("<i4");
  case DType::U32: return StringRef("<u4");
  case DType::I64: return StringRef("<i8");
  case DType::U64: return StringRef("<u8");
  case DType::BF16: return std::nullopt; // NumPy has no bfloat16
  }
  return std::nullopt;
}

/// Finds `'key':` in the header dict and returns the text after it.
static std::optional<StringRef> findKey(StringRef header, StringRef key) {
  std::string quoted = "'" + key.str() + "'";
  size_t pos = header.find(quoted);
  if (pos == StringRef::npos)
    return std::nullopt;
  StringRef rest = header.drop_front(pos + quoted.size()).ltrim();
  if (!rest.consume_front(":"))
    return std::nullopt;
  return rest.ltrim();
}

FailureOr<NpyHeader> qc::parseNpyHeader(StringRef bytes, StringRef what,
                                        std::string &error) {
  auto fail = [&](const Twine &msg) -> FailureOr<NpyHeader> {
    error = (what + ": " + msg).str();
    return failure();
  };
  if (bytes.size() < kMagicLen + 4 || !bytes.starts_with(StringRef(kMagic, kMagicLen)))
    return fail("not a .npy file (bad magic)");
  uint8_t major = bytes[6];
  size_t headerLen, headerStart;
  if (major == 1) {
    headerLen = static_cast<uint8_t>(bytes[8]) |
                (static_cast<size_t>(static_cast<uint8_t>(bytes[9])) << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return fail("truncated header");
    headerLen = 0;
    for (int i = 0; i < 4; ++i)
      headerLen |= static_cast<size_t>(static_cast<uint8_t>(bytes[8 + i])) << (8 * i);
    headerStart = 12;
  } else {
    return fail("unsupported .npy version " + Twine(static_cast<unsigned>(major)));
  }
  if (headerLen > bytes.size() - headerStart)
    return fail("header length " + Twine(headerLen) + " exceeds the file size");
  StringRef header = bytes.substr(headerStart, headerLen);

  std::optional<StringRef> descr = findKey(header, "descr");
  if (!descr || !descr->consume_front("'"))
    return fail("header has no 'descr'");
  StringRef descrText = descr->take_until([](char c) { return c == '\''; });
  std::optional<DType> dtype = dtypeFromDescr(descrText);
  if (!dtype)
    return fail("unsupported dtype '" + descrText +
                "' (little-endian bool, int, uint and float only)");

  std::optional<StringRef> order = findKey(header, "fortran_order");
  if (!order)
    return fail("header has no 'fortran_order'");
  if (order->starts_with("True"))
    return fail("Fortran-ordered arrays are not supported; save with C order");
  if (!order->starts_with("False"))
    return fail("malformed 'fortran_order'");

  std::optional<StringRef> shapeText = findKey(header, "shape");
  if (!shapeText || !shapeText->consume_front("("))
    return fail("header has no 'shape' tuple");
  StringRef dims = shapeText->take_until([](char c) { return c == ')'; });
  if (dims.size() == shapeText->size())
    return fail("unterminated 'shape' tuple");
  NpyHeader h;
  h.dtype = *dtype;
  uint64_t count = 1;
  SmallVector<StringRef> parts;
  dims.split(parts, ',', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
  for (StringRef p : parts) {
    p = p.trim();
    if (p.empty())
      continue;
    uint64_t d;
    if (p.getAsInteger(10, d))
      return fail("bad dimension '" + p + "' in 'shape'");
    // Refuse sizes whose byte count overflows; the file-size check of the
    // caller then bounds every allocation by the file actually read.
    if (d != 0 && count > (UINT64_MAX / 16) / d)
      return fail("shape is too large");
    count *= d;
    h.shape.push_back(static_cast<int64_t>(d));
  }
  h.dataOffset = headerStart + headerLen;
  h.dataBytes = count * dtypeSize(*dtype);
  return h;
}

FailureOr<Tensor> qc::parseNpy(StringRef bytes, StringRef what,
                               std::string &error) {
  auto fail = [&](const Twine &msg) -> FailureOr<Tensor> {
    error = (what + ": " + msg).str();
    return failure();
  };
  FailureOr<NpyHeader> h = parseNpyHeader(bytes, what, error);
  if (failed(h))
    return failure();
  StringRef payload = bytes.drop_front(h->dataOffset);
  uint64_t want = h->dataBytes;
  if (payload.size() != want)
    return fail("data holds " + Twine(payload.size()) + " bytes, shape and dtype need " +
                Twine(want));
  Tensor t = Tensor::fromBytes(h->dtype, h->shape, payload.data());
  if (h->dtype == DType::Bool)
    for (int64_t i = 0, e = t.numElements(); i < e; ++i)
      if (t.data<uint8_t>()[i] > 1)
        return fail("bool element " + Twine(i) + " is neither 0 nor 1");
  return t;
}

FailureOr<Tensor> qc::readNpyFile(StringRef path, std::string &error) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    error = (path + ": " + buffer.getError().message()).str();
    return failure();
  }
  return parseNpy((*buffer)->getBuffer(), path, error);
}

std::string qc::writeNpy(const Tensor &t) {
  std::string header;
  llvm::raw_string_ostream os(header);
  os << "{'descr': '" << *descrFromDType(t.dtype())
     << "', 'fortran_order': False, 'shape': (";
  for (int64_t d : t.shape())
    os << d << ", ";
  if (t.rank() > 1)
    header.erase(header.size() - 2); // "(2, 3)" rather than "(2, 3, )"
  else if (t.rank() == 1)
    header.pop_back(); // "(5,)"
  os << "), }";
  // Pad with spaces so the data starts 64-byte aligned; end with '\n'.
  size_t prefix = 10;
  bool v2 = false;
  size_t total = (prefix + header.size() + 1 + 63) / 64 * 64;
  if (total - prefix > 0xffff) {
    v2 = true;
    prefix = 12;
    total = (prefix + header.size() + 1 + 63) / 64 * 64;
  }
  header.append(total - prefix - header.size() - 1, ' ');
  header.push_back('\n');
  std::string out(kMagic, kMagicLen);
  out.push_back(v2 ? 2 : 1);
  out.push_back(0);
  size_t len = header.size();
  for (int i = 0; i < (v2 ? 4 : 2); ++i)
    out.push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  out += header;
  out.append(static_cast<const char *>(t.raw()), t.byteSize());
  return out;
}

LogicalResult qc::writeNpyFile(StringRef path, const Tensor &t,
                               std::string &error) {
  if (!descrFromDType(t.dtype())) {
    error = (path + ": cannot write a " + dtypeName(t.dtype()) +
             " tensor as .npy (NumPy has no such dtype)")
                .str();
    return failure();
  }
  std::string bytes = writeNpy(t);
  SmallString<256> tmp(path);
  tmp += ".tmp";
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(tmp, ec, llvm::sys::fs::OF_None);
    if (ec) {
      error = (path + ": " + ec.message()).str();
      return failure();
    }
    os << bytes;
    os.close();
    if (os.has_error()) {
      error = (path + ": " + os.error().message()).str();
      os.clear_error();
      llvm::sys::fs::remove(tmp);
      return failure();
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(tmp, path)) {
    llvm::sys::fs::remove(tmp);
    error = (path + ": " + ec.message()).str();
    return failure();
  }
  return success();
}
