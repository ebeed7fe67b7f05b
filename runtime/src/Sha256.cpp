//===- Sha256.cpp - SHA-256 (FIPS 180-4) ----------------------------------===//
//
// Part of quantc. A portable implementation: hashing weights.bin once at load
// runs at a few hundred MB/s, which is small next to reading the file.
//
//===----------------------------------------------------------------------===//

#include "Sha256.h"

#include <string.h>

using namespace qcrt;

namespace {

// First 32 bits of the fractional parts of the cube roots of the first 64
// primes (FIPS 180-4, 4.2.2).
constexpr uint32_t kRound[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

// First 32 bits of the fractional parts of the square roots of the first 8
// primes (FIPS 180-4, 5.3.3).
constexpr uint32_t kInitial[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372,
                                  0xa54ff53a, 0x510e527f, 0x9b05688c,
                                  0x1f83d9ab, 0x5be0cd19};

inline uint32_t rotr(uint32_t x, unsigned n) {
  return (x >> n) | (x << (32 - n));
}

inline uint32_t loadBigEndian32(const uint8_t *p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) |
         (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

inline void storeBigEndian32(uint8_t *p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}


} // namespace

void Sha256::reset() {
  memcpy(state, kInitial, sizeof(state));
  totalBytes = 0;
  pendingBytes = 0;
}

void Sha256::compress(const uint8_t *block) {
  uint32_t w[64];
  for (int i = 0; i < 16; ++i)
    w[i] = loadBigEndian32(block + 4 * i);
  for (int i = 16; i < 64; ++i) {
    uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }

  uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
  uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
  for (int i = 0; i < 64; ++i) {
    uint32_t s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
    uint32_t choose = (e & f) ^ (~e & g);
    uint32_t t1 = h + s1 + choose + kRound[i] + w[i];
    uint32_t s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
    uint32_t majority = (a & b) ^ (a & c) ^ (b & c);
    uint32_t t2 = s0 + majority;
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  state[0] += a;
  state[1] += b;
  state[2] += c;
  state[3] += d;
  state[4] += e;
  state[5] += f;
  state[6] += g;
  state[7] += h;
}

void Sha256::update(const void *data, size_t length) {
  const uint8_t *p = static_cast<const uint8_t *>(data);
  totalBytes += length;
  if (pendingBytes > 0) {
    size_t take = 64 - pendingBytes;
    if (take > length)
      take = length;
    memcpy(pending + pendingBytes, p, take);
    pendingBytes += take;
    p += take;
    length -= take;
    if (pendingBytes < 64)
      return;
    compress(pending);
    pendingBytes = 0;
  }
  // Whole blocks straight from the caller's buffer: no copy for the bulk of
  // a large file.
  for (; length >= 64; p += 64, length -= 64)
    compress(p);
  if (length > 0) {
    memcpy(pending, p, length);
    pendingBytes = length;
  }
}

void Sha256::finish(uint8_t digest[kSha256Bytes]) {
  uint64_t bits = totalBytes * 8;
  // Padding: 0x80, zeros up to 56 mod 64, then the bit length big-endian.
  pending[pendingBytes++] = 0x80;
  if (pendingBytes > 56) {
    memset(pending + pendingBytes, 0, 64 - pendingBytes);
    compress(pending);
    pendingBytes = 0;
  }
  memset(pending + pendingBytes, 0, 56 - pendingBytes);
  storeBigEndian32(pending + 56, uint32_t(bits >> 32));
  storeBigEndian32(pending + 60, uint32_t(bits));
  compress(pending);
  for (int i = 0; i < 8; ++i)
    storeBigEndian32(digest + 4 * i, state[i]);
  reset();
}

void qcrt::sha256(const void *data, size_t length,
                  uint8_t digest[kSha256Bytes]) {
  Sha256 hasher;
  hasher.update(data, length);
  hasher.finish(digest);
}

void qcrt::sha256Hex(const uint8_t digest[kSha256Bytes],
                     char hex[kSha256HexBytes]) {
  static const char kDigits[] = "0123456789abcdef";
  for (size_t i = 0; i < kSha256Bytes; ++i) {
    hex[2 * i] = kDigits[digest[i] >> 4];
    hex[2 * i + 1] = kDigits[digest[i] & 15];
  }
  hex[2 * kSha256Bytes] = '\0';
}

bool qcrt::parseSha256Hex(const char *text, size_t length,
                          uint8_t digest[kSha256Bytes]) {
  if (!text || length != 2 * kSha256Bytes)
    return false;
  for (size_t i = 0; i < kSha256Bytes; ++i) {
    int hi = qcrt::hexDigitValue(text[2 * i]), lo = qcrt::hexDigitValue(text[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return false;
    digest[i] = uint8_t(hi << 4 | lo);
  }
  return true;
}

int qcrt::hexDigitValue(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}
