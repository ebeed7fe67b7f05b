//===- Sha256Test.cpp - SHA-256 against published vectors -----------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "Sha256.h"

#include "gtest/gtest.h"

#include <cstring>
#include <string>

using namespace qcrt;

namespace {

std::string hexOf(const std::string &data) {
  uint8_t digest[kSha256Bytes];
  sha256(data.data(), data.size(), digest);
  char hex[kSha256HexBytes];
  sha256Hex(digest, hex);
  return hex;
}

TEST(QcrtSha256, FipsVectors) {
  // FIPS 180-4 examples (NIST CSRC "SHA-256" example values).
  EXPECT_EQ(hexOf(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hexOf("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hexOf("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(hexOf("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijk"
                  "lmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  EXPECT_EQ(hexOf(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// Lengths around the padding boundary: 55 bytes still fit the length in the
// last block, 56 need one more block, 64 is exactly one block.
TEST(QcrtSha256, PaddingBoundaries) {
  struct {
    size_t length;
    const char *hex;
  } cases[] = {
      {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
      {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
      {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
      {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
      {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
      {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
      {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
      {128, "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e"},
  };
  for (const auto &c : cases)
    EXPECT_EQ(hexOf(std::string(c.length, 'a')), c.hex) << c.length;
}

TEST(QcrtSha256, IncrementalEqualsOneShot) {
  std::string data(1000, '\0');
  uint32_t state = 12345;
  for (char &c : data) {
    state = state * 1103515245u + 12345u;
    c = char(state >> 24);
  }
  std::string expected = hexOf(data);
  for (size_t piece = 1; piece <= 130; ++piece) {
    Sha256 hasher;
    for (size_t at = 0; at < data.size(); at += piece)
      hasher.update(data.data() + at,
                    piece < data.size() - at ? piece : data.size() - at);
    uint8_t digest[kSha256Bytes];
    hasher.finish(digest);
    char hex[kSha256HexBytes];
    sha256Hex(digest, hex);
    EXPECT_EQ(std::string(hex), expected) << "pieces of " << piece;
  }
}

TEST(QcrtSha256, FinishResetsForReuse) {
  Sha256 hasher;
  hasher.update("xyz", 3);
  uint8_t first[kSha256Bytes];
  hasher.finish(first);
  hasher.update("abc", 3);
  uint8_t second[kSha256Bytes];
  hasher.finish(second);
  char hex[kSha256HexBytes];
  sha256Hex(second, hex);
  EXPECT_STREQ(
      hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(QcrtSha256, ParseHex) {
  const char *lower =
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  const char *upper =
      "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
  uint8_t a[kSha256Bytes], b[kSha256Bytes], abc[kSha256Bytes];
  ASSERT_TRUE(parseSha256Hex(lower, 64, a));
  ASSERT_TRUE(parseSha256Hex(upper, 64, b));
  sha256("abc", 3, abc);
  EXPECT_EQ(memcmp(a, abc, kSha256Bytes), 0);
  EXPECT_EQ(memcmp(b, abc, kSha256Bytes), 0);

  EXPECT_FALSE(parseSha256Hex(lower, 63, a));
  EXPECT_FALSE(parseSha256Hex(lower, 0, a));
  EXPECT_FALSE(parseSha256Hex(nullptr, 64, a));
  std::string bad(lower);
  bad[10] = 'g';
  EXPECT_FALSE(parseSha256Hex(bad.c_str(), 64, a));
  bad[10] = ' ';
  EXPECT_FALSE(parseSha256Hex(bad.c_str(), 64, a));
}

} // namespace
