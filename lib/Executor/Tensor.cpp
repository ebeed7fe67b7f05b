//===- Tensor.cpp - host tensors ------------------------------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Executor/Tensor.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

using namespace mlir;
using namespace mlir::qc;

size_t qc::dtypeSize(DType t) {
  switch (t) {
  case DType::Bool:
  case DType::I8:
  case DType::U8:
    return 1;
  case DType::F16:
  case DType::BF16:
  case DType::I16:
  case DType::U16:
    return 2;
  case DType::F32:
  case DType::I32:
  case DType::U32:
    return 4;
  case DType::F64:
  case DType::I64:
  case DType::U64:
    return 8;
  }
  llvm_unreachable("unknown dtype");
}

StringRef qc::dtypeName(DType t) {
  switch (t) {
  case DType::F32: return "f32";
  case DType::F16: return "f16";
  case DType::BF16: return "bf16";
  case DType::F64: return "f64";
  case DType::Bool: return "bool";
  case DType::I8: return "i8";
  case DType::U8: return "u8";
  case DType::I16: return "i16";
  case DType::U16: return "u16";
  case DType::I32: return "i32";
  case DType::U32: return "u32";
  case DType::I64: return "i64";
  case DType::U64: return "u64";
  }
  llvm_unreachable("unknown dtype");
}

bool qc::isFloatDType(DType t) {
  return t == DType::F32 || t == DType::F16 || t == DType::BF16 ||
         t == DType::F64;
}

static DType intDType(unsigned width, bool isSigned) {
  if (width <= 8)
    return isSigned ? DType::I8 : DType::U8;
  if (width <= 16)
    return isSigned ? DType::I16 : DType::U16;
  if (width <= 32)
    return isSigned ? DType::I32 : DType::U32;
  return isSigned ? DType::I64 : DType::U64;
}

std::optional<DType> qc::dtypeFromType(Type t) {
  if (t.isF32())
    return DType::F32;
  if (t.isF16())
    return DType::F16;
  if (t.isBF16())
    return DType::BF16;
  if (t.isF64())
    return DType::F64;
  if (auto q = dyn_cast<quant::QuantizedType>(t))
    return intDType(q.getStorageTypeIntegralWidth(), q.isSigned());
  if (auto i = dyn_cast<IntegerType>(t)) {
    if (i.getWidth() == 1)
      return DType::Bool;
    if (i.getWidth() > 64)
      return std::nullopt;
    return intDType(i.getWidth(), !i.isUnsigned());
  }
  return std::nullopt;
}

static std::shared_ptr<void> allocateAligned(size_t bytes) {
  // At least one byte so that an empty tensor still has storage.
  size_t rounded = (std::max<size_t>(bytes, 1) + 63) / 64 * 64;
  void *p = std::aligned_alloc(64, rounded);
  if (!p)
    llvm::report_fatal_error("quantc: out of memory allocating a tensor");
  std::memset(p, 0, rounded);
  return std::shared_ptr<void>(p, [](void *q) { std::free(q); });
}

Tensor::Tensor(DType dtype, ArrayRef<int64_t> shape)
    : type(dtype), dims(shape.begin(), shape.end()) {
  std::shared_ptr<void> mem = allocateAligned(byteSize());
  ptr = mem.get();
  storage = std::move(mem);
}

Tensor Tensor::fromBytes(DType dtype, ArrayRef<int64_t> shape,
                         const void *data) {
  Tensor t(dtype, shape);
  if (t.byteSize())
    std::memcpy(t.ptr, data, t.byteSize());
  return t;
}

Tensor Tensor::view(DType dtype, ArrayRef<int64_t> shape,
                    std::shared_ptr<const void> owner, const void *data) {
  Tensor t;
  t.type = dtype;
  t.dims.assign(shape.begin(), shape.end());
  t.storage = std::move(owner);
  t.ptr = const_cast<void *>(data);
  return t;
}

int64_t Tensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

Tensor Tensor::reshaped(ArrayRef<int64_t> newShape) const {
  Tensor t = *this;
  t.dims.assign(newShape.begin(), newShape.end());
  assert(t.numElements() == numElements() && "reshape changes element count");
  return t;
}

Tensor Tensor::clone() const { return fromBytes(type, dims, ptr); }

double Tensor::getAsDouble(int64_t i) const {
  switch (type) {
  case DType::F32: return data<float>()[i];
  case DType::F16: return halfToFloat(data<uint16_t>()[i]);
  case DType::BF16: return bf16ToFloat(data<uint16_t>()[i]);
  case DType::F64: return data<double>()[i];
  case DType::Bool: return data<uint8_t>()[i] ? 1.0 : 0.0;
  case DType::I8: return data<int8_t>()[i];
  case DType::U8: return data<uint8_t>()[i];
  case DType::I16: return data<int16_t>()[i];
  case DType::U16: return data<uint16_t>()[i];
  case DType::I32: return data<int32_t>()[i];
  case DType::U32: return data<uint32_t>()[i];
  case DType::I64: return static_cast<double>(data<int64_t>()[i]);
  case DType::U64: return static_cast<double>(data<uint64_t>()[i]);
  }
  llvm_unreachable("unknown dtype");
}

void Tensor::setFromDouble(int64_t i, double v) {
  switch (type) {
  case DType::F32: data<float>()[i] = static_cast<float>(v); return;
  // Straight from the double: going through float could round twice.
  case DType::F16: data<uint16_t>()[i] = doubleToHalf(v); return;
  case DType::BF16: data<uint16_t>()[i] = doubleToBf16(v); return;
  case DType::F64: data<double>()[i] = v; return;
  case DType::Bool: data<uint8_t>()[i] = v != 0.0; return;
  case DType::I8: data<int8_t>()[i] = static_cast<int8_t>(v); return;
  case DType::U8: data<uint8_t>()[i] = static_cast<uint8_t>(v); return;
  case DType::I16: data<int16_t>()[i] = static_cast<int16_t>(v); return;
  case DType::U16: data<uint16_t>()[i] = static_cast<uint16_t>(v); return;
  case DType::I32: data<int32_t>()[i] = static_cast<int32_t>(v); return;
  case DType::U32: data<uint32_t>()[i] = static_cast<uint32_t>(v); return;
  case DType::I64: data<int64_t>()[i] = static_cast<int64_t>(v); return;
  case DType::U64: data<uint64_t>()[i] = static_cast<uint64_t>(v); return;
  }
  llvm_unreachable("unknown dtype");
}

std::string Tensor::describe() const {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << dtypeName(type) << '[';
  llvm::interleave(dims, os, "x");
  os << ']';
  return s;
}
