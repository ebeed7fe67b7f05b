//===- Sha256.h - SHA-256 (FIPS 180-4) --------------------------*- C++ -*-===//
//
// Part of quantc. The runtime checks manifest.json against the digest the
// generated code carries and weights.bin against the manifest; both need a
// SHA-256 that depends on nothing but libc.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_RUNTIME_SHA256_H
#define QUANTC_RUNTIME_SHA256_H

#include <stddef.h>
#include <stdint.h>

namespace qcrt {

constexpr size_t kSha256Bytes = 32;
/// 64 hex digits and a terminating NUL.
constexpr size_t kSha256HexBytes = 2 * kSha256Bytes + 1;

/// Incremental SHA-256: update() any number of times, then finish() once.
class Sha256 {
public:
  Sha256() { reset(); }
  void reset();
  void update(const void *data, size_t length);
  void finish(uint8_t digest[kSha256Bytes]);

private:
  void compress(const uint8_t *block);

  uint32_t state[8];
  uint64_t totalBytes;
  uint8_t pending[64];
  size_t pendingBytes;
};

void sha256(const void *data, size_t length, uint8_t digest[kSha256Bytes]);

/// Lower-case hex of a digest.
void sha256Hex(const uint8_t digest[kSha256Bytes], char hex[kSha256HexBytes]);

/// Reads exactly 64 hex digits (either case); false on anything else.
bool parseSha256Hex(const char *text, size_t length,
                    uint8_t digest[kSha256Bytes]);

/// The value of hexadecimal digit `c` (either case), or -1.
int hexDigitValue(char c);

} // namespace qcrt

#endif // QUANTC_RUNTIME_SHA256_H
