//===- BlockFormats.h - llama.cpp's block formats ------------- -*- C++ -*-===//
//
// Part of quantc. The element types a GGUF file can hold (ggml's `ggml_type`
// numbering) and, for the ones quantc implements, row quantization and
// dequantization that are bit-identical to llama.cpp's reference (non-SIMD)
// quantizers: the bytes written for a row are the bytes `llama-quantize`
// writes for it. docs/GGUF.md gives every block layout.
//
// A row of `n` values is cut into n / blockSize(type) blocks of
// typeSize(type) bytes each; `n` must be a multiple of the block size (see
// chooseFallback for rows that are not). Quantized data is little-endian and
// has no alignment requirement.
//
// This library needs LLVM's Support library only.
//
//===----------------------------------------------------------------------===//

#ifndef QC_GGUF_BLOCKFORMATS_H
#define QC_GGUF_BLOCKFORMATS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>

namespace mlir::qc::gguf {

/// ggml's tensor element types, with ggml's numbers (they are what a GGUF
/// tensor info stores). Numbers 4, 5, 31-33 and 36-38 belonged to formats
/// ggml has removed; files using them are rejected.
enum class GGMLType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  IQ2_XXS = 16,
  IQ2_XS = 17,
  IQ3_XXS = 18,
  IQ1_S = 19,
  IQ4_NL = 20,
  IQ3_S = 21,
  IQ2_S = 22,
  IQ4_XS = 23,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  IQ1_M = 29,
  BF16 = 30,
  TQ1_0 = 34,
  TQ2_0 = 35,
  MXFP4 = 39,
  NVFP4 = 40,
};

/// The type with ggml number `id`, or nullopt for numbers that name no
/// current ggml type.
std::optional<GGMLType> ggmlTypeFromId(uint32_t id);
/// ggml's spelling: "F32", "Q4_K", "IQ4_NL", ...
llvm::StringRef typeName(GGMLType type);
/// Parses ggml's spelling (case-insensitive); nullopt if unknown.
std::optional<GGMLType> parseTypeName(llvm::StringRef name);

/// Elements per block (1 for the plain types, 32 for Q4_0..Q8_0 and IQ4_NL,
/// 256 for the K-quants).
int64_t blockSize(GGMLType type);
/// Bytes per block.
int64_t typeSize(GGMLType type);
/// True if `rowLength` is a positive multiple of blockSize(type).
bool isValidRowLength(GGMLType type, int64_t rowLength);
/// Bytes of one row of `rowLength` values; rowLength must be a multiple of
/// the block size.
uint64_t rowSize(GGMLType type, int64_t rowLength);
/// Bits per weight of the format (typeSize * 8 / blockSize).
double bitsPerWeight(GGMLType type);

/// True if quantizeRow/dequantizeRow implement `type`: F32, F16, BF16, Q8_0,
/// Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K.
bool canQuantize(GGMLType type);
bool canDequantize(GGMLType type);
/// True if the type's quantizer reads an importance vector (llama.cpp's
/// imatrix `quant_weights`): Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL and the five
/// K-quants. The others ignore it, as llama.cpp does.
bool usesImportance(GGMLType type);

/// One implemented format: its geometry and its row kernels. Each kernel
/// takes a row length that is a multiple of blockSize.
struct BlockFormat {
  GGMLType type;
  int64_t blockSize;
  int64_t typeSize;
  /// llama.cpp's reference quantizer (quantize_row_*_ref, or for IQ4_NL the
  /// search with unit weights).
  void (*quantizeRow)(const float *x, int64_t n, void *out);
  /// The importance-weighted quantizer llama.cpp uses with an imatrix
  /// (`quant_weights`, n entries); null for formats that ignore it.
  void (*quantizeRowWeighted)(const float *x, int64_t n, void *out,
                              const float *importance);
  void (*dequantizeRow)(const void *in, int64_t n, float *out);

  uint64_t rowSize(int64_t n) const {
    return uint64_t(n / blockSize) * uint64_t(typeSize);
  }
};

/// The implemented format for `type`, or null.
const BlockFormat *getBlockFormat(GGMLType type);
/// Every implemented format.
llvm::ArrayRef<BlockFormat> blockFormats();

/// Quantizes one row of `n` floats into `out` (rowSize(type, n) bytes).
/// `importance` is null, or n non-negative per-column weights (an imatrix
/// row: mean squared activation of each input column); with it the
/// importance-weighted search llama.cpp runs when given an imatrix is used.
/// Requires canQuantize(type) and isValidRowLength(type, n).
void quantizeRow(GGMLType type, const float *x, int64_t n, void *out,
                 const float *importance = nullptr);
/// Expands one row of `n` values back to floats, exactly as llama.cpp's
/// dequantize_row_* does. Requires canDequantize(type).
void dequantizeRow(GGMLType type, const void *in, int64_t n, float *out);

/// Quantizes a [numRows x rowLength] matrix of finite floats, row by row.
/// `importance`, when given, has rowLength entries shared by every row.
/// Errors (naming `what`, e.g. "model.gguf: tensor 'blk.0.attn_q.weight'")
/// for an unimplemented type, a row length that is not a multiple of the
/// block, sizes that do not match, NaN or infinite values, or negative or
/// non-finite importance.
llvm::Error quantizeMatrix(GGMLType type, llvm::ArrayRef<float> src,
                           int64_t rowLength,
                           llvm::MutableArrayRef<uint8_t> out,
                           llvm::ArrayRef<float> importance,
                           llvm::StringRef what);
/// Dequantizes `in` (whole rows of rowLength values) into `out`.
llvm::Error dequantizeMatrix(GGMLType type, llvm::ArrayRef<uint8_t> in,
                             int64_t rowLength,
                             llvm::MutableArrayRef<float> out,
                             llvm::StringRef what);

/// The partial-block rule (docs/GGUF.md): the type a tensor whose rows hold
/// `rowLength` values is stored in when `type` is asked for. `type` itself
/// if its block divides the row; otherwise the K-quants and the 256-blocks
/// of the IQ family fall back the way llama-quantize does (Q2_K, Q3_K and
/// IQ* -> IQ4_NL, Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0, TQ* -> Q4_0),
/// and whatever still does not divide the row - including the 32-blocks,
/// which llama-quantize refuses - is stored as F16. Never returns a type
/// whose block does not divide `rowLength` (for rowLength > 0).
GGMLType chooseFallback(GGMLType type, int64_t rowLength);

/// IEEE binary16 conversions. floatToHalf rounds to nearest, ties to even
/// (what ggml's GGML_FP32_TO_FP16 and F16C's vcvtps2ph do); overflow gives
/// infinity, NaN stays NaN (quiet). halfToFloat is exact.
uint16_t floatToHalf(float f);
float halfToFloat(uint16_t h);
/// bfloat16 conversions; floatToBFloat16 rounds to nearest even and keeps
/// NaN quiet, as ggml does.
uint16_t floatToBFloat16(float f);
float bfloat16ToFloat(uint16_t h);

/// The sixteen levels of IQ4_NL (non-linear 4-bit), indexed by the nibble.
llvm::ArrayRef<int8_t> iq4nlLevels();

/// The per-format row kernels, callable directly (the BlockFormat table
/// points at these). `n` is a multiple of the format's block size.
void quantizeRowF32(const float *x, int64_t n, void *out);
void quantizeRowF16(const float *x, int64_t n, void *out);
void quantizeRowBF16(const float *x, int64_t n, void *out);
void quantizeRowQ8_0(const float *x, int64_t n, void *out);
void quantizeRowQ4_0(const float *x, int64_t n, void *out);
void quantizeRowQ4_1(const float *x, int64_t n, void *out);
void quantizeRowQ5_0(const float *x, int64_t n, void *out);
void quantizeRowQ5_1(const float *x, int64_t n, void *out);
void quantizeRowIQ4_NL(const float *x, int64_t n, void *out);
void quantizeRowQ2_K(const float *x, int64_t n, void *out);
void quantizeRowQ3_K(const float *x, int64_t n, void *out);
void quantizeRowQ4_K(const float *x, int64_t n, void *out);
void quantizeRowQ5_K(const float *x, int64_t n, void *out);
void quantizeRowQ6_K(const float *x, int64_t n, void *out);

void quantizeRowQ4_0(const float *x, int64_t n, void *out, const float *imp);
void quantizeRowQ4_1(const float *x, int64_t n, void *out, const float *imp);
void quantizeRowQ5_0(const float *x, int64_t n, void *out, const float *imp);
void quantizeRowQ5_1(const float *x, int64_t n, void *out, const float *imp);
void quantizeRowIQ4_NL(const float *x, int64_t n, void *out, const float *imp);
void quantizeRowQ2_K(const float *x, int64_t n, void *out, const float *imp);
void quantizeRowQ3_K(const float *x, int64_t n, void *out, const float *imp);
void quantizeRowQ4_K(const float *x, int64_t n, void *out, const float *imp);
void quantizeRowQ5_K(const float *x, int64_t n, void *out, const float *imp);
void quantizeRowQ6_K(const float *x, int64_t n, void *out, const float *imp);

void dequantizeRowF32(const void *in, int64_t n, float *out);
void dequantizeRowF16(const void *in, int64_t n, float *out);
void dequantizeRowBF16(const void *in, int64_t n, float *out);
void dequantizeRowQ8_0(const void *in, int64_t n, float *out);
void dequantizeRowQ4_0(const void *in, int64_t n, float *out);
void dequantizeRowQ4_1(const void *in, int64_t n, float *out);
void dequantizeRowQ5_0(const void *in, int64_t n, float *out);
void dequantizeRowQ5_1(const void *in, int64_t n, float *out);
void dequantizeRowIQ4_NL(const void *in, int64_t n, float *out);
void dequantizeRowQ2_K(const void *in, int64_t n, float *out);
void dequantizeRowQ3_K(const void *in, int64_t n, float *out);
void dequantizeRowQ4_K(const void *in, int64_t n, float *out);
void dequantizeRowQ5_K(const void *in, int64_t n, float *out);
void dequantizeRowQ6_K(const void *in, int64_t n, float *out);

} // namespace mlir::qc::gguf

#endif // QC_GGUF_BLOCKFORMATS_H
