//===- BlockFormats.cpp - ggml type table, halves, row dispatch -----------===//
//
// Part of quantc. See include/qc/GGUF/BlockFormats.h and docs/GGUF.md.
//
//===----------------------------------------------------------------------===//

#include "qc/GGUF/BlockFormats.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/FormatVariadic.h"

#include <cassert>
#include <cmath>
#include <cstdio>
#include <cstring>

using namespace llvm;
using namespace mlir::qc::gguf;

namespace {

struct TypeInfo {
  GGMLType type;
  StringLiteral name;
  int64_t blockSize;
  int64_t typeSize;
};

// Geometry of every current ggml type (ggml-common.h's block structs).
constexpr TypeInfo kTypes[] = {
    {GGMLType::F32, "F32", 1, 4},
    {GGMLType::F16, "F16", 1, 2},
    {GGMLType::Q4_0, "Q4_0", 32, 18},
    {GGMLType::Q4_1, "Q4_1", 32, 20},
    {GGMLType::Q5_0, "Q5_0", 32, 22},
    {GGMLType::Q5_1, "Q5_1", 32, 24},
    {GGMLType::Q8_0, "Q8_0", 32, 34},
    {GGMLType::Q8_1, "Q8_1", 32, 36},
    {GGMLType::Q2_K, "Q2_K", 256, 84},
    {GGMLType::Q3_K, "Q3_K", 256, 110},
    {GGMLType::Q4_K, "Q4_K", 256, 144},
    {GGMLType::Q5_K, "Q5_K", 256, 176},
    {GGMLType::Q6_K, "Q6_K", 256, 210},
    {GGMLType::Q8_K, "Q8_K", 256, 292},
    {GGMLType::IQ2_XXS, "IQ2_XXS", 256, 66},
    {GGMLType::IQ2_XS, "IQ2_XS", 256, 74},
    {GGMLType::IQ3_XXS, "IQ3_XXS", 256, 98},
    {GGMLType::IQ1_S, "IQ1_S", 256, 50},
    {GGMLType::IQ4_NL, "IQ4_NL", 32, 18},
    {GGMLType::IQ3_S, "IQ3_S", 256, 110},
    {GGMLType::IQ2_S, "IQ2_S", 256, 82},
    {GGMLType::IQ4_XS, "IQ4_XS", 256, 136},
    {GGMLType::I8, "I8", 1, 1},
    {GGMLType::I16, "I16", 1, 2},
    {GGMLType::I32, "I32", 1, 4},
    {GGMLType::I64, "I64", 1, 8},
    {GGMLType::F64, "F64", 1, 8},
    {GGMLType::IQ1_M, "IQ1_M", 256, 56},
    {GGMLType::BF16, "BF16", 1, 2},
    {GGMLType::TQ1_0, "TQ1_0", 256, 54},
    {GGMLType::TQ2_0, "TQ2_0", 256, 66},
    {GGMLType::MXFP4, "MXFP4", 32, 17},
    {GGMLType::NVFP4, "NVFP4", 64, 36},
};

const TypeInfo &info(GGMLType type) {
  for (const TypeInfo &i : kTypes)
    if (i.type == type)
      return i;
  llvm_unreachable("GGMLType outside the type table");
}

Error fail(const Twine &msg) {
  return createStringError(inconvertibleErrorCode(), msg);
}

/// A float as printf's %.9g writes it: "-1", "0.25", "nan", "inf".
std::string shortFloat(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

uint32_t bitsOf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

float floatOf(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

const BlockFormat kFormats[] = {
    {GGMLType::F32, 1, 4, quantizeRowF32, nullptr, dequantizeRowF32},
    {GGMLType::F16, 1, 2, quantizeRowF16, nullptr, dequantizeRowF16},
    {GGMLType::BF16, 1, 2, quantizeRowBF16, nullptr, dequantizeRowBF16},
    {GGMLType::Q8_0, 32, 34, quantizeRowQ8_0, nullptr, dequantizeRowQ8_0},
    {GGMLType::Q4_0, 32, 18, quantizeRowQ4_0, quantizeRowQ4_0,
     dequantizeRowQ4_0},
    {GGMLType::Q4_1, 32, 20, quantizeRowQ4_1, quantizeRowQ4_1,
     dequantizeRowQ4_1},
    {GGMLType::Q5_0, 32, 22, quantizeRowQ5_0, quantizeRowQ5_0,
     dequantizeRowQ5_0},
    {GGMLType::Q5_1, 32, 24, quantizeRowQ5_1, quantizeRowQ5_1,
     dequantizeRowQ5_1},
    {GGMLType::IQ4_NL, 32, 18, quantizeRowIQ4_NL, quantizeRowIQ4_NL,
     dequantizeRowIQ4_NL},
    {GGMLType::Q2_K, 256, 84, quantizeRowQ2_K, quantizeRowQ2_K,
     dequantizeRowQ2_K},
    {GGMLType::Q3_K, 256, 110, quantizeRowQ3_K, quantizeRowQ3_K,
     dequantizeRowQ3_K},
    {GGMLType::Q4_K, 256, 144, quantizeRowQ4_K, quantizeRowQ4_K,
     dequantizeRowQ4_K},
    {GGMLType::Q5_K, 256, 176, quantizeRowQ5_K, quantizeRowQ5_K,
     dequantizeRowQ5_K},
    {GGMLType::Q6_K, 256, 210, quantizeRowQ6_K, quantizeRowQ6_K,
     dequantizeRowQ6_K},
};

} // namespace

//===----------------------------------------------------------------------===//
// Type table
//===----------------------------------------------------------------------===//

std::optional<GGMLType> mlir::qc::gguf::ggmlTypeFromId(uint32_t id) {
  for (const TypeInfo &i : kTypes)
    if (uint32_t(i.type) == id)
      return i.type;
  return std::nullopt;
}

StringRef mlir::qc::gguf::typeName(GGMLType type) { return info(type).name; }

std::optional<GGMLType> mlir::qc::gguf::parseTypeName(StringRef name) {
  for (const TypeInfo &i : kTypes)
    if (i.name.equals_insensitive(name))
      return i.type;
  return std::nullopt;
}

int64_t mlir::qc::gguf::blockSize(GGMLType type) {
  return info(type).blockSize;
}

int64_t mlir::qc::gguf::typeSize(GGMLType type) { return info(type).typeSize; }

bool mlir::qc::gguf::isValidRowLength(GGMLType type, int64_t rowLength) {
  return rowLength > 0 && rowLength % blockSize(type) == 0;
}

uint64_t mlir::qc::gguf::rowSize(GGMLType type, int64_t rowLength) {
  assert(rowLength % blockSize(type) == 0 && "partial block");
  return uint64_t(rowLength / blockSize(type)) * uint64_t(typeSize(type));
}

double mlir::qc::gguf::bitsPerWeight(GGMLType type) {
  return double(typeSize(type)) * 8.0 / double(blockSize(type));
}

const BlockFormat *mlir::qc::gguf::getBlockFormat(GGMLType type) {
  for (const BlockFormat &f : kFormats)
    if (f.type == type)
      return &f;
  return nullptr;
}

ArrayRef<BlockFormat> mlir::qc::gguf::blockFormats() { return kFormats; }

bool mlir::qc::gguf::canQuantize(GGMLType type) {
  return getBlockFormat(type) != nullptr;
}

bool mlir::qc::gguf::canDequantize(GGMLType type) {
  return getBlockFormat(type) != nullptr;
}

bool mlir::qc::gguf::usesImportance(GGMLType type) {
  const BlockFormat *f = getBlockFormat(type);
  return f && f->quantizeRowWeighted;
}

void mlir::qc::gguf::quantizeRow(GGMLType type, const float *x, int64_t n,
                                 void *out, const float *importance) {
  const BlockFormat *f = getBlockFormat(type);
  assert(f && "quantizeRow of an unimplemented type");
  assert(n % f->blockSize == 0 && "partial block");
  if (importance && f->quantizeRowWeighted)
    f->quantizeRowWeighted(x, n, out, importance);
  else
    f->quantizeRow(x, n, out);
}

void mlir::qc::gguf::dequantizeRow(GGMLType type, const void *in, int64_t n,
                                   float *out) {
  const BlockFormat *f = getBlockFormat(type);
  assert(f && "dequantizeRow of an unimplemented type");
  assert(n % f->blockSize == 0 && "partial block");
  f->dequantizeRow(in, n, out);
}

//===----------------------------------------------------------------------===//
// Whole matrices
//===----------------------------------------------------------------------===//

Error mlir::qc::gguf::quantizeMatrix(GGMLType type, ArrayRef<float> src,
                                     int64_t rowLength,
                                     MutableArrayRef<uint8_t> out,
                                     ArrayRef<float> importance,
                                     StringRef what) {
  const BlockFormat *f = getBlockFormat(type);
  if (!f)
    return fail(what + ": quantizing to " + typeName(type) +
                " is not implemented");
  if (!isValidRowLength(type, rowLength))
    return fail(formatv("{0}: rows of {1} values do not fill whole {2} "
                        "blocks of {3} (see chooseFallback)",
                        what, rowLength, typeName(type), f->blockSize));
  if (src.size() % uint64_t(rowLength) != 0)
    return fail(formatv("{0}: {1} values are not whole rows of {2}", what,
                        src.size(), rowLength));
  uint64_t rows = src.size() / uint64_t(rowLength);
  uint64_t bytes = rows * rowSize(type, rowLength);
  if (out.size() != bytes)
    return fail(formatv("{0}: output holds {1} bytes, {2} rows of {3} need "
                        "{4}",
                        what, out.size(), rows, typeName(type), bytes));
  if (!importance.empty() && importance.size() != uint64_t(rowLength))
    return fail(formatv("{0}: importance has {1} entries, rows have {2}", what,
                        importance.size(), rowLength));
  for (size_t i = 0; i < importance.size(); ++i)
    if (!std::isfinite(importance[i]) || importance[i] < 0)
      return fail(formatv("{0}: importance[{1}] = {2} is not a finite "
                          "non-negative weight",
                          what, i, shortFloat(importance[i])));
  for (size_t i = 0; i < src.size(); ++i)
    if (!std::isfinite(src[i]))
      return fail(formatv("{0}: value {1} at row {2}, column {3} is not "
                          "finite",
                          what, shortFloat(src[i]), i / uint64_t(rowLength),
                          i % uint64_t(rowLength)));
  const float *imp = importance.empty() ? nullptr : importance.data();
  uint64_t stride = rowSize(type, rowLength);
  for (uint64_t r = 0; r < rows; ++r)
    quantizeRow(type, src.data() + r * uint64_t(rowLength), rowLength,
                out.data() + r * stride, imp);
  return Error::success();
}

Error mlir::qc::gguf::dequantizeMatrix(GGMLType type, ArrayRef<uint8_t> in,
                                       int64_t rowLength,
                                       MutableArrayRef<float> out,
                                       StringRef what) {
  const BlockFormat *f = getBlockFormat(type);
  if (!f)
    return fail(what + ": dequantizing " + typeName(type) +
                " is not implemented");
  if (!isValidRowLength(type, rowLength))
    return fail(formatv("{0}: rows of {1} values do not fill whole {2} "
                        "blocks of {3}",
                        what, rowLength, typeName(type), f->blockSize));
  uint64_t stride = rowSize(type, rowLength);
  if (in.size() % stride != 0)
    return fail(formatv("{0}: {1} bytes are not whole {2} rows of {3} bytes",
                        what, in.size(), typeName(type), stride));
  uint64_t rows = in.size() / stride;
  if (out.size() != rows * uint64_t(rowLength))
    return fail(formatv("{0}: output holds {1} values, {2} rows of {3} need "
                        "{4}",
                        what, out.size(), rows, rowLength,
                        rows * uint64_t(rowLength)));
  for (uint64_t r = 0; r < rows; ++r)
    dequantizeRow(type, in.data() + r * stride, rowLength,
                  out.data() + r * uint64_t(rowLength));
  return Error::success();
}

//===----------------------------------------------------------------------===//
// The partial-block rule
//===----------------------------------------------------------------------===//

GGMLType mlir::qc::gguf::chooseFallback(GGMLType type, int64_t rowLength) {
  if (rowLength > 0 && rowLength % blockSize(type) == 0)
    return type;
  GGMLType next;
  switch (type) {
  case GGMLType::TQ1_0:
  case GGMLType::TQ2_0:
    next = GGMLType::Q4_0;
    break;
  case GGMLType::IQ2_XXS:
  case GGMLType::IQ2_XS:
  case GGMLType::IQ2_S:
  case GGMLType::IQ3_XXS:
  case GGMLType::IQ3_S:
  case GGMLType::IQ1_S:
  case GGMLType::IQ1_M:
  case GGMLType::IQ4_XS:
  case GGMLType::Q2_K:
  case GGMLType::Q3_K:
    next = GGMLType::IQ4_NL;
    break;
  case GGMLType::Q4_K:
    next = GGMLType::Q5_0;
    break;
  case GGMLType::Q5_K:
    next = GGMLType::Q5_1;
    break;
  case GGMLType::Q6_K:
  case GGMLType::Q8_K:
    next = GGMLType::Q8_0;
    break;
  default:
    // The 32- and 64-element blocks have no smaller quantized neighbour.
    return GGMLType::F16;
  }
  if (rowLength > 0 && rowLength % blockSize(next) == 0)
    return next;
  return GGMLType::F16;
}

//===----------------------------------------------------------------------===//
// Halves and the plain types
//===----------------------------------------------------------------------===//

uint16_t mlir::qc::gguf::floatToHalf(float f) {
  uint32_t x = bitsOf(f);
  uint16_t sign = uint16_t((x >> 16) & 0x8000);
  uint32_t mag = x & 0x7fffffffu;
  if (mag > 0x7f800000u) // NaN: the canonical quiet NaN, as ggml's generic path
    return sign | 0x7e00;
  if (mag >= 0x477ff000u) // 65520 and up round to infinity
    return sign | 0x7c00;
  if (mag < 0x38800000u) {
    // Below 2^-14: a subnormal half holds round(|f| * 2^24). Scaling by a
    // power of two is exact, nearbyint rounds ties to even; 1024 is the
    // smallest normal, which is the right encoding too.
    float scaled = floatOf(mag) * 16777216.0f;
    return sign | uint16_t(std::nearbyint(scaled));
  }
  uint32_t exponent = (mag >> 23) - 127 + 15;
  uint32_t mantissa = mag & 0x7fffffu;
  uint32_t h = (exponent << 10) | (mantissa >> 13);
  uint32_t rest = mantissa & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1)))
    ++h; // a carry into the exponent is the right rounding too
  return sign | uint16_t(h);
}

float mlir::qc::gguf::halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1f;
  uint32_t mantissa = h & 0x3ff;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in float.
    float v = float(mantissa) * (1.0f / 16777216.0f);
    return sign ? -v : v;
  }
  if (exponent == 31)
    return floatOf(sign | 0x7f800000u | (mantissa << 13));
  return floatOf(sign | ((exponent + 127 - 15) << 23) | (mantissa << 13));
}

uint16_t mlir::qc::gguf::floatToBFloat16(float f) {
  uint32_t x = bitsOf(f);
  if ((x & 0x7fffffffu) > 0x7f800000u)
    return uint16_t((x >> 16) | 64); // NaN, made quiet
  return uint16_t((x + 0x7fffu + ((x >> 16) & 1)) >> 16);
}

float mlir::qc::gguf::bfloat16ToFloat(uint16_t h) {
  return floatOf(uint32_t(h) << 16);
}

void mlir::qc::gguf::quantizeRowF32(const float *x, int64_t n, void *out) {
  std::memcpy(out, x, size_t(n) * sizeof(float));
}

void mlir::qc::gguf::dequantizeRowF32(const void *in, int64_t n, float *out) {
  std::memcpy(out, in, size_t(n) * sizeof(float));
}

void mlir::qc::gguf::quantizeRowF16(const float *x, int64_t n, void *out) {
  auto *bytes = static_cast<uint8_t *>(out);
  for (int64_t i = 0; i < n; ++i) {
    uint16_t h = floatToHalf(x[i]);
    bytes[2 * i] = uint8_t(h);
    bytes[2 * i + 1] = uint8_t(h >> 8);
  }
}

void mlir::qc::gguf::dequantizeRowF16(const void *in, int64_t n, float *out) {
  const auto *bytes = static_cast<const uint8_t *>(in);
  for (int64_t i = 0; i < n; ++i)
    out[i] = halfToFloat(uint16_t(bytes[2 * i] | (bytes[2 * i + 1] << 8)));
}

void mlir::qc::gguf::quantizeRowBF16(const float *x, int64_t n, void *out) {
  auto *bytes = static_cast<uint8_t *>(out);
  for (int64_t i = 0; i < n; ++i) {
    uint16_t h = floatToBFloat16(x[i]);
    bytes[2 * i] = uint8_t(h);
    bytes[2 * i + 1] = uint8_t(h >> 8);
  }
}

void mlir::qc::gguf::dequantizeRowBF16(const void *in, int64_t n, float *out) {
  const auto *bytes = static_cast<const uint8_t *>(in);
  for (int64_t i = 0; i < n; ++i)
    out[i] = bfloat16ToFloat(uint16_t(bytes[2 * i] | (bytes[2 * i + 1] << 8)));
}
