//===- BlockLayouts.h - byte layouts of the implemented block formats -----===//
//
// Part of quantc. One struct per block format, byte arrays only (alignment
// 1, so a block may start at any address), with the fields in llama.cpp's
// order. Halves are little-endian IEEE binary16. docs/GGUF.md draws them.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_GGUF_BLOCKLAYOUTS_H
#define QC_LIB_GGUF_BLOCKLAYOUTS_H

#include "qc/GGUF/BlockFormats.h"

#include <cstdint>

namespace mlir::qc::gguf::detail {

inline constexpr int kQK = 32;   // elements per block, 32-element formats
inline constexpr int kQKK = 256; // elements per super-block, K-quants

/// x = d * (q - 8), q in [0, 15]; element j in the low nibble of qs[j] for
/// j < 16, in the high nibble of qs[j - 16] otherwise. 4.5 bits per weight.
struct BlockQ4_0 {
  uint8_t d[2];
  uint8_t qs[kQK / 2];
};
/// x = d * q + m, q in [0, 15]; nibbles as Q4_0. 5 bits per weight.
struct BlockQ4_1 {
  uint8_t d[2];
  uint8_t m[2];
  uint8_t qs[kQK / 2];
};
/// x = d * (q - 16), q in [0, 31]: low 4 bits as Q4_0, bit 4 of element j
/// in bit j of the little-endian u32 qh. 5.5 bits per weight.
struct BlockQ5_0 {
  uint8_t d[2];
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};
/// x = d * q + m, q in [0, 31], bits as Q5_0. 6 bits per weight.
struct BlockQ5_1 {
  uint8_t d[2];
  uint8_t m[2];
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};
/// x = d * q, q a signed byte. 8.5 bits per weight.
struct BlockQ8_0 {
  uint8_t d[2];
  int8_t qs[kQK];
};
/// x = d * levels[q], q a nibble placed as Q4_0. 4.5 bits per weight.
struct BlockIQ4_NL {
  uint8_t d[2];
  uint8_t qs[kQK / 2];
};

/// 16 groups of 16: x = d * (scales[g] & 15) * q - dmin * (scales[g] >> 4),
/// q in [0, 3]. Element e: bits 2*((e % 128) / 32) of qs[32*(e/128) + e%32].
/// 2.625 bits per weight.
struct BlockQ2_K {
  uint8_t scales[kQKK / 16];
  uint8_t qs[kQKK / 4];
  uint8_t d[2];
  uint8_t dmin[2];
};
/// 16 groups of 16: x = d * (s[g] - 32) * (q - 4), q in [0, 7]: its low two
/// bits placed as Q2_K, its high bit in bit e/32 of hmask[e % 32]; the
/// 6-bit s[g] has its low nibble in scales[g % 8] (low nibble for g < 8,
/// high otherwise) and its top two bits in scales[8 + g%4] bits
/// 2*(g/4)..+1. 3.4375 bits per weight.
struct BlockQ3_K {
  uint8_t hmask[kQKK / 8];
  uint8_t qs[kQKK / 4];
  uint8_t scales[12];
  uint8_t d[2];
};
/// 8 groups of 32: x = d * sc[g] * q - dmin * m[g], q in [0, 15], 6-bit
/// sc/m packed in 12 bytes (see packScalesMins). Element e: nibble
/// (e % 64) / 32 of qs[32*(e/64) + e%32]. 4.5 bits per weight.
struct BlockQ4_K {
  uint8_t d[2];
  uint8_t dmin[2];
  uint8_t scales[12];
  uint8_t qs[kQKK / 2];
};
/// As Q4_K with q in [0, 31]; bit 4 of element e in bit 2*(e/64) +
/// (e%64)/32 of qh[e % 32]. 5.5 bits per weight.
struct BlockQ5_K {
  uint8_t d[2];
  uint8_t dmin[2];
  uint8_t scales[12];
  uint8_t qh[kQKK / 8];
  uint8_t qs[kQKK / 2];
};
/// 16 groups of 16: x = d * scales[g] * (q - 32), q in [0, 63], scales
/// signed bytes. Element e = 128n + 32k + r: low nibble in
/// ql[64n + 32(k&1) + r] (low half for k < 2, high half otherwise), top two
/// bits in qh[32n + r] bits 2k..2k+1. 6.5625 bits per weight.
struct BlockQ6_K {
  uint8_t ql[kQKK / 2];
  uint8_t qh[kQKK / 4];
  int8_t scales[kQKK / 16];
  uint8_t d[2];
};

static_assert(sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_1) == 20 &&
                  sizeof(BlockQ5_0) == 22 && sizeof(BlockQ5_1) == 24 &&
                  sizeof(BlockQ8_0) == 34 && sizeof(BlockIQ4_NL) == 18,
              "32-element block sizes");
static_assert(sizeof(BlockQ2_K) == 84 && sizeof(BlockQ3_K) == 110 &&
                  sizeof(BlockQ4_K) == 144 && sizeof(BlockQ5_K) == 176 &&
                  sizeof(BlockQ6_K) == 210,
              "K-quant block sizes");

inline void storeHalf(uint8_t *p, float v) {
  uint16_t h = floatToHalf(v);
  p[0] = uint8_t(h);
  p[1] = uint8_t(h >> 8);
}
inline float loadHalf(const uint8_t *p) {
  return halfToFloat(uint16_t(p[0] | (p[1] << 8)));
}

} // namespace mlir::qc::gguf::detail

#endif // QC_LIB_GGUF_BLOCKLAYOUTS_H
