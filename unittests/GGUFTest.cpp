//===- GGUFTest.cpp - GGUF files and llama.cpp's block formats ------------===//
//
// Part of quantc. Three kinds of checks:
//  - the block formats against llama.cpp itself: its own stories260K files
//    (every tensor requantized from the F32 file must come out byte for
//    byte, whole files too), and SHA-256 digests of llama.cpp's output for
//    the formats those files do not contain (the K-quants), recorded from
//    llama.cpp's libggml-base and recomputed here from the same inputs;
//  - layouts, rounding and error bounds worked out by hand;
//  - GGUF reading and writing: round trips of every metadata type, and one
//    malformed file per validation rule.
// The llama.cpp files are found under $QC_MODELS, else ../shared/models
// beside the source tree; tests that need them skip, saying so, when they
// are absent. QC_GGML_LIB, when set to a libggml-base.so, adds a live
// comparison against that library on many more inputs.
//
//===----------------------------------------------------------------------===//

#include "qc/GGUF/GGUF.h"
#include "qc/GGUF/BlockFormats.h"
#include "qc/GGUF/Imatrix.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/DynamicLibrary.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <vector>

using namespace mlir::qc::gguf;
using llvm::ArrayRef;
using llvm::StringRef;
namespace fs = llvm::sys::fs;
namespace path = llvm::sys::path;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

std::string tname(GGMLType t) { return typeName(t).str(); }

std::string modelsDir() {
  if (const char *env = std::getenv("QC_MODELS"))
    return env;
  llvm::SmallString<256> p(QC_SOURCE_DIR);
  path::append(p, "..", "shared", "models");
  return std::string(p);
}

std::string ggufDir() {
  llvm::SmallString<256> p(modelsDir());
  path::append(p, "stories260K", "gguf");
  return std::string(p);
}

std::string ggufPath(StringRef name) {
  llvm::SmallString<256> p(ggufDir());
  path::append(p, name);
  return std::string(p);
}

#define REQUIRE_LLAMA_FILES()                                                  \
  do {                                                                         \
    if (!fs::exists(ggufPath("stories260K-F32.gguf")) ||                       \
        !fs::exists(ggufPath("imatrix-kjv_calib.gguf")))                       \
      GTEST_SKIP() << "llama.cpp's stories260K GGUF files are not in "         \
                   << ggufDir() << " (set QC_MODELS to the models folder)";    \
  } while (0)

/// The quantized files llama-quantize wrote from stories260K-F32.gguf.
const char *const kQuantizedFiles[] = {
    "stories260K-Q8_0.gguf",        "stories260K-Q6_K.gguf",
    "stories260K-Q5_1.gguf",        "stories260K-Q5_0.gguf",
    "stories260K-Q4_K_M.gguf",      "stories260K-Q4_K_M-imat.gguf",
    "stories260K-Q4_1.gguf",        "stories260K-Q4_0.gguf",
    "stories260K-Q2_K.gguf",        "stories260K-IQ4_NL.gguf",
    "stories260K-IQ4_NL-imat.gguf",
};

std::unique_ptr<GGUFFile> openOrFail(StringRef p) {
  auto f = GGUFFile::open(p);
  if (!f) {
    ADD_FAILURE() << llvm::toString(f.takeError());
    return nullptr;
  }
  return std::move(*f);
}

class TempDir {
public:
  TempDir() { EXPECT_FALSE(fs::createUniqueDirectory("qc-gguf", root)); }
  ~TempDir() { fs::remove_directories(root); }
  std::string path(StringRef name) const {
    llvm::SmallString<256> p(root);
    path::append(p, name);
    return std::string(p);
  }
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    std::error_code ec;
    for (fs::directory_iterator it(root, ec), end; !ec && it != end;
         it.increment(ec))
      out.push_back(path::filename(it->path()).str());
    return out;
  }

private:
  llvm::SmallString<256> root;
};

std::string readWhole(StringRef p) {
  auto b = llvm::MemoryBuffer::getFile(p, /*IsText=*/false,
                                       /*RequiresNullTerminator=*/false);
  if (!b)
    return "";
  return (*b)->getBuffer().str();
}

std::string sha256(ArrayRef<uint8_t> bytes) {
  llvm::SHA256 h;
  h.update(bytes);
  std::array<uint8_t, 32> digest = h.final();
  return llvm::toHex(digest, /*LowerCase=*/true);
}

std::string sha256(ArrayRef<float> values) {
  return sha256(ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(values.data()), values.size() * 4));
}

std::vector<uint8_t> quantize(GGMLType type, ArrayRef<float> src,
                              int64_t rowLength, ArrayRef<float> imp = {}) {
  std::vector<uint8_t> out(src.size() / rowLength * rowSize(type, rowLength));
  llvm::Error e = quantizeMatrix(type, src, rowLength, out, imp, "test");
  EXPECT_FALSE(bool(e)) << llvm::toString(std::move(e));
  return out;
}

std::vector<float> dequantize(GGMLType type, ArrayRef<uint8_t> bytes,
                              int64_t rowLength) {
  std::vector<float> out(bytes.size() / rowSize(type, rowLength) * rowLength);
  llvm::Error e = dequantizeMatrix(type, bytes, rowLength, out, "test");
  EXPECT_FALSE(bool(e)) << llvm::toString(std::move(e));
  return out;
}

/// splitmix64: a fixed, documented stream, so the inputs behind the
/// recorded llama.cpp digests can be rebuilt anywhere (docs/GGUF.md).
struct SplitMix {
  uint64_t state;
  uint64_t next() {
    state += 0x9E3779B97F4A7C15ull;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, 1), exactly k / 2^24.
  float unit() { return float(next() >> 40) / 16777216.0f; }
};

/// Rows of thirteen styles, each a quantizer edge: plain, tiny, huge,
/// one-signed, outliers, sparse, bell-shaped, all zero, constant, a zero
/// first super-block, binary16-subnormal scales, and scales below the
/// K-quants' all-zero threshold.
std::vector<float> syntheticRows(int rows, int rowLength, uint64_t seed) {
  SplitMix g{seed};
  std::vector<float> out(size_t(rows) * rowLength);
  for (int r = 0; r < rows; ++r) {
    for (int i = 0; i < rowLength; ++i) {
      float v;
      switch (r % 13) {
      case 0:
        v = (g.unit() - 0.5f) * 2.0f;
        break;
      case 1:
        v = (g.unit() - 0.5f) * 0.002f;
        break;
      case 2:
        v = (g.unit() - 0.5f) * 2000.0f;
        break;
      case 3:
        v = g.unit() * 3.0f;
        break;
      case 4:
        v = -g.unit();
        break;
      case 5:
        v = g.unit() - 0.5f;
        if (i % 37 == 0)
          v = v * 50.0f;
        break;
      case 6: {
        uint64_t h = g.next();
        v = (h & 7) ? 0.0f : float(h >> 40) / 16777216.0f - 0.5f;
        break;
      }
      case 7: {
        float a = g.unit(), b = g.unit(), c = g.unit(), d = g.unit();
        v = ((a + b) + (c + d)) - 2.0f;
        break;
      }
      case 8:
        v = 0.0f;
        break;
      case 9:
        v = 0.25f;
        break;
      case 10:
        v = i < 256 ? 0.0f : g.unit() - 0.5f;
        break;
      case 11:
        v = (g.unit() - 0.5f) * 1e-4f;
        break;
      default:
        v = (g.unit() - 0.5f) * 1e-20f;
        break;
      }
      out[size_t(r) * rowLength + i] = v;
    }
  }
  return out;
}

std::vector<float> syntheticImportance(int n, uint64_t seed) {
  SplitMix g{seed};
  std::vector<float> out(n);
  for (float &v : out)
    v = 0.01f + g.unit();
  return out;
}

constexpr int kSynthRows = 26, kSynthRowLength = 512;
constexpr uint64_t kSynthSeed = 0x5EED, kImportanceSeed = 0x1A7E;

//===----------------------------------------------------------------------===//
// Binary16 and bfloat16
//===----------------------------------------------------------------------===//

uint16_t apHalf(float f, const llvm::fltSemantics &sem) {
  llvm::APFloat a(f);
  bool lost;
  a.convert(sem, llvm::APFloat::rmNearestTiesToEven, &lost);
  return uint16_t(a.bitcastToAPInt().getZExtValue());
}

TEST(GGUFHalf, EveryHalfConvertsExactlyAndBack) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    llvm::APFloat ref(llvm::APFloat::IEEEhalf(), llvm::APInt(16, h));
    bool lost;
    ref.convert(llvm::APFloat::IEEEsingle(), llvm::APFloat::rmNearestTiesToEven,
                &lost);
    float f = halfToFloat(uint16_t(h));
    if (ref.isNaN()) {
      EXPECT_TRUE(std::isnan(f)) << h;
      // NaNs come back as the canonical quiet NaN with their sign.
      EXPECT_EQ(floatToHalf(f), (h & 0x8000) | 0x7e00) << h;
      continue;
    }
    EXPECT_EQ(f, ref.convertToFloat()) << h;
    EXPECT_EQ(std::signbit(f), bool(h & 0x8000)) << h;
    EXPECT_EQ(floatToHalf(f), h) << h;
  }
}

TEST(GGUFHalf, RoundsToNearestEven) {
  // Every midpoint between neighbouring finite halves is a tie.
  for (uint32_t h = 0; h < 0x7bff; ++h) {
    double lo = halfToFloat(uint16_t(h)), hi = halfToFloat(uint16_t(h + 1));
    float mid = float((lo + hi) / 2); // exact: 12 significant bits
    uint16_t even = (h & 1) ? uint16_t(h + 1) : uint16_t(h);
    ASSERT_EQ(floatToHalf(mid), even) << h;
    ASSERT_EQ(floatToHalf(-mid), even | 0x8000) << h;
    ASSERT_EQ(floatToHalf(std::nextafter(mid, 0.0f)), h) << h;
    ASSERT_EQ(floatToHalf(std::nextafter(mid, 1e9f)), h + 1) << h;
  }
  // Overflow: 65504 is the largest half, 65520 the tie to infinity.
  EXPECT_EQ(floatToHalf(65504.0f), 0x7bff);
  EXPECT_EQ(floatToHalf(std::nextafter(65520.0f, 0.0f)), 0x7bff);
  EXPECT_EQ(floatToHalf(65520.0f), 0x7c00);
  EXPECT_EQ(floatToHalf(-1e30f), 0xfc00);
  EXPECT_EQ(floatToHalf(std::numeric_limits<float>::infinity()), 0x7c00);
  // Underflow: half the smallest subnormal ties to zero, above it to 1.
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -25)), 0x0000);
  EXPECT_EQ(floatToHalf(std::nextafter(std::ldexp(1.0f, -25), 1.0f)), 0x0001);
  EXPECT_EQ(floatToHalf(std::ldexp(3.0f, -25)), 0x0002);
  EXPECT_EQ(floatToHalf(-0.0f), 0x8000);
  // A sweep over all float bit patterns against APFloat.
  for (uint64_t u = 0; u < (1ull << 32); u += 4099) {
    uint32_t bits = uint32_t(u);
    float f;
    std::memcpy(&f, &bits, 4);
    if (std::isnan(f))
      continue;
    ASSERT_EQ(floatToHalf(f), apHalf(f, llvm::APFloat::IEEEhalf())) << f;
  }
}

TEST(GGUFHalf, BFloat16RoundsToNearestEven) {
  for (uint64_t u = 0; u < (1ull << 32); u += 65537) {
    uint32_t bits = uint32_t(u);
    float f;
    std::memcpy(&f, &bits, 4);
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(bfloat16ToFloat(floatToBFloat16(f))));
      continue;
    }
    ASSERT_EQ(floatToBFloat16(f), apHalf(f, llvm::APFloat::BFloat())) << f;
    ASSERT_EQ(bfloat16ToFloat(floatToBFloat16(f)),
              float(llvm::APFloat(llvm::APFloat::BFloat(),
                                  llvm::APInt(16, floatToBFloat16(f)))
                        .convertToDouble()));
  }
  EXPECT_EQ(floatToBFloat16(1.0f + std::ldexp(1.0f, -8)), 0x3f80); // tie down
  EXPECT_EQ(floatToBFloat16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3f82);
}

//===----------------------------------------------------------------------===//
// The type table
//===----------------------------------------------------------------------===//

TEST(GGUFTypes, Geometry) {
  struct Row {
    GGMLType type;
    int64_t block, bytes;
  } rows[] = {
      {GGMLType::F32, 1, 4},      {GGMLType::F16, 1, 2},
      {GGMLType::BF16, 1, 2},     {GGMLType::Q4_0, 32, 18},
      {GGMLType::Q4_1, 32, 20},   {GGMLType::Q5_0, 32, 22},
      {GGMLType::Q5_1, 32, 24},   {GGMLType::Q8_0, 32, 34},
      {GGMLType::IQ4_NL, 32, 18}, {GGMLType::Q2_K, 256, 84},
      {GGMLType::Q3_K, 256, 110}, {GGMLType::Q4_K, 256, 144},
      {GGMLType::Q5_K, 256, 176}, {GGMLType::Q6_K, 256, 210},
      {GGMLType::Q8_K, 256, 292}, {GGMLType::IQ4_XS, 256, 136},
      {GGMLType::MXFP4, 32, 17},
  };
  for (const Row &r : rows) {
    EXPECT_EQ(blockSize(r.type), r.block) << tname(r.type);
    EXPECT_EQ(typeSize(r.type), r.bytes) << tname(r.type);
  }
  EXPECT_EQ(bitsPerWeight(GGMLType::Q4_K), 4.5);
  EXPECT_EQ(bitsPerWeight(GGMLType::Q6_K), 6.5625);
  EXPECT_EQ(bitsPerWeight(GGMLType::Q8_0), 8.5);
  EXPECT_EQ(bitsPerWeight(GGMLType::Q2_K), 2.625);
  EXPECT_EQ(rowSize(GGMLType::Q4_0, 64), 36u);
  EXPECT_EQ(rowSize(GGMLType::Q6_K, 512), 420u);
  EXPECT_EQ(*parseTypeName("q4_k"), GGMLType::Q4_K);
  EXPECT_EQ(*parseTypeName("IQ4_NL"), GGMLType::IQ4_NL);
  EXPECT_FALSE(parseTypeName("Q4_2"));
  EXPECT_EQ(*ggmlTypeFromId(39), GGMLType::MXFP4);
  for (uint32_t removed : {4u, 5u, 31u, 32u, 33u, 36u, 37u, 38u, 1000u})
    EXPECT_FALSE(ggmlTypeFromId(removed)) << removed;
  EXPECT_FALSE(isValidRowLength(GGMLType::Q4_K, 64));
  EXPECT_TRUE(isValidRowLength(GGMLType::Q4_0, 64));
  EXPECT_FALSE(isValidRowLength(GGMLType::F32, 0));
}

TEST(GGUFTypes, ImplementedFormats) {
  std::vector<std::string> names;
  for (const BlockFormat &f : blockFormats()) {
    names.push_back(typeName(f.type).str());
    EXPECT_EQ(f.blockSize, blockSize(f.type));
    EXPECT_EQ(f.typeSize, typeSize(f.type));
    EXPECT_EQ(getBlockFormat(f.type), &f);
  }
  EXPECT_EQ(llvm::join(names, ","),
            "F32,F16,BF16,Q8_0,Q4_0,Q4_1,Q5_0,Q5_1,IQ4_NL,Q2_K,Q3_K,Q4_K,"
            "Q5_K,Q6_K");
  for (GGMLType t :
       {GGMLType::Q4_0, GGMLType::Q4_1, GGMLType::Q5_0, GGMLType::Q5_1,
        GGMLType::IQ4_NL, GGMLType::Q2_K, GGMLType::Q3_K, GGMLType::Q4_K,
        GGMLType::Q5_K, GGMLType::Q6_K})
    EXPECT_TRUE(usesImportance(t)) << tname(t);
  for (GGMLType t : {GGMLType::F32, GGMLType::F16, GGMLType::Q8_0})
    EXPECT_FALSE(usesImportance(t)) << tname(t);
  EXPECT_FALSE(canQuantize(GGMLType::Q8_K));
  EXPECT_FALSE(canQuantize(GGMLType::IQ2_XXS));
}

//===----------------------------------------------------------------------===//
// The partial-block rule
//===----------------------------------------------------------------------===//

TEST(GGUFFallback, Table) {
  EXPECT_EQ(chooseFallback(GGMLType::Q4_K, 256), GGMLType::Q4_K);
  EXPECT_EQ(chooseFallback(GGMLType::Q4_K, 64), GGMLType::Q5_0);
  EXPECT_EQ(chooseFallback(GGMLType::Q5_K, 64), GGMLType::Q5_1);
  EXPECT_EQ(chooseFallback(GGMLType::Q6_K, 64), GGMLType::Q8_0);
  EXPECT_EQ(chooseFallback(GGMLType::Q2_K, 64), GGMLType::IQ4_NL);
  EXPECT_EQ(chooseFallback(GGMLType::Q3_K, 96), GGMLType::IQ4_NL);
  EXPECT_EQ(chooseFallback(GGMLType::IQ2_XXS, 64), GGMLType::IQ4_NL);
  EXPECT_EQ(chooseFallback(GGMLType::TQ1_0, 64), GGMLType::Q4_0);
  // A row the 32-blocks do not divide either ends in F16.
  EXPECT_EQ(chooseFallback(GGMLType::Q4_K, 172), GGMLType::F16);
  EXPECT_EQ(chooseFallback(GGMLType::Q6_K, 172), GGMLType::F16);
  // llama-quantize refuses these; we store F16.
  EXPECT_EQ(chooseFallback(GGMLType::Q4_0, 172), GGMLType::F16);
  EXPECT_EQ(chooseFallback(GGMLType::Q8_0, 48), GGMLType::F16);
  EXPECT_EQ(chooseFallback(GGMLType::IQ4_NL, 20), GGMLType::F16);
  EXPECT_EQ(chooseFallback(GGMLType::Q4_0, 64), GGMLType::Q4_0);
  EXPECT_EQ(chooseFallback(GGMLType::F32, 7), GGMLType::F32);
  EXPECT_EQ(chooseFallback(GGMLType::F16, 172), GGMLType::F16);
}

TEST(GGUFFallback, AlwaysFillsWholeBlocks) {
  for (uint32_t id = 0; id < 64; ++id) {
    std::optional<GGMLType> t = ggmlTypeFromId(id);
    if (!t)
      continue;
    for (int64_t n = 1; n <= 1024; ++n) {
      GGMLType f = chooseFallback(*t, n);
      ASSERT_EQ(n % blockSize(f), 0) << tname(*t) << " " << n;
      if (n % blockSize(*t) == 0)
        ASSERT_EQ(f, *t);
      else
        ASSERT_TRUE(canQuantize(f) || f == GGMLType::F16)
            << tname(*t) << " -> " << tname(f);
    }
  }
}

TEST(GGUFFallback, AgreesWithLlamaQuantizeOnStories) {
  REQUIRE_LLAMA_FILES();
  // llama-quantize asked for Q6_K everywhere stores each 2-D tensor in the
  // type the rule picks for its row length (Q8_0 for 64, F16 for 172).
  auto q6 = openOrFail(ggufPath("stories260K-Q6_K.gguf"));
  ASSERT_TRUE(q6);
  int checked = 0;
  for (const TensorInfo &t : q6->tensors()) {
    if (t.shape.size() != 2)
      continue;
    EXPECT_EQ(t.type, chooseFallback(GGMLType::Q6_K, t.rowLength())) << t.name;
    ++checked;
  }
  EXPECT_EQ(checked, 37);
  auto q4km = openOrFail(ggufPath("stories260K-Q4_K_M.gguf"));
  ASSERT_TRUE(q4km);
  EXPECT_EQ(q4km->tensor("blk.0.ffn_down.weight")->type,
            chooseFallback(GGMLType::Q4_K, 172));
  EXPECT_EQ(q4km->tensor("blk.0.attn_q.weight")->type,
            chooseFallback(GGMLType::Q4_K, 64));
}

//===----------------------------------------------------------------------===//
// Layouts and rounding worked out by hand
//===----------------------------------------------------------------------===//

uint16_t halfAt(ArrayRef<uint8_t> b, size_t i) {
  return uint16_t(b[i] | (b[i + 1] << 8));
}

TEST(GGUFBlocks, Q8_0ByHand) {
  std::vector<float> x(32, 0.0f);
  x[0] = 127.0f; // d = 127 / 127 = 1
  x[1] = -63.5f; // roundf: ties away from zero
  x[2] = 0.5f;
  x[3] = -0.49f;
  std::vector<uint8_t> q = quantize(GGMLType::Q8_0, x, 32);
  ASSERT_EQ(q.size(), 34u);
  EXPECT_EQ(halfAt(q, 0), 0x3c00);
  EXPECT_EQ(int8_t(q[2]), 127);
  EXPECT_EQ(int8_t(q[3]), -64);
  EXPECT_EQ(int8_t(q[4]), 1);
  EXPECT_EQ(int8_t(q[5]), 0);
  std::vector<float> back = dequantize(GGMLType::Q8_0, q, 32);
  EXPECT_EQ(back[1], -64.0f);
}

TEST(GGUFBlocks, Q4_0ByHand) {
  // The largest magnitude (+8) sets d = 8 / -8 = -1; levels are
  // min(15, trunc(x / d + 8.5)), so x = -8 would need level 16 and is
  // clamped to 15, i.e. comes back as -7. Ties round up in level space.
  std::vector<float> x(32, 0.0f);
  x[0] = 8.0f;
  x[1] = -8.0f;
  x[2] = 2.5f;  // 2.5 * -1 + 8.5 = 6.0  -> 6 -> 2
  x[3] = -2.5f; // 11.0 -> 11 -> -3 ... dequant (11 - 8) * -1 = -3
  x[16] = 1.0f; // high nibble of byte 0
  std::vector<uint8_t> q = quantize(GGMLType::Q4_0, x, 32);
  ASSERT_EQ(q.size(), 18u);
  EXPECT_EQ(halfAt(q, 0), 0xbc00); // -1
  EXPECT_EQ(q[2] & 0xF, 0);
  EXPECT_EQ(q[2] >> 4, 7); // 1 * -1 + 8.5 = 7.5 -> 7
  EXPECT_EQ(q[3] & 0xF, 15);
  EXPECT_EQ(q[4] & 0xF, 6);
  EXPECT_EQ(q[5] & 0xF, 11);
  EXPECT_EQ(q[6] & 0xF, 8); // zeros sit on level 8
  std::vector<float> back = dequantize(GGMLType::Q4_0, q, 32);
  EXPECT_EQ(back[0], 8.0f);
  EXPECT_EQ(back[1], -7.0f);
  EXPECT_EQ(back[2], 2.0f);
  EXPECT_EQ(back[3], -3.0f);
  EXPECT_EQ(back[16], 1.0f);
  // An all-zero block: d = 0 / -8 = -0 (llama.cpp stores the sign too),
  // every level 8, all values back to 0.
  std::vector<uint8_t> z = quantize(GGMLType::Q4_0, std::vector<float>(32), 32);
  EXPECT_EQ(halfAt(z, 0), 0x8000);
  for (int j = 2; j < 18; ++j)
    EXPECT_EQ(z[j], 0x88);
}

TEST(GGUFBlocks, Q5BitPlacement) {
  // Q5_0: element j's fifth bit is bit j of the little-endian qh word.
  std::vector<float> x(32, 0.0f);
  x[0] = -16.0f; // d = -16 / -16 = 1; level = x + 16.5 truncated
  x[17] = 15.0f; // level 31: bit 4 set, element 17 -> qh bit 17
  x[5] = -1.0f;  // level 15: bit 4 clear
  std::vector<uint8_t> q = quantize(GGMLType::Q5_0, x, 32);
  uint32_t qh = llvm::support::endian::read32le(q.data() + 2);
  EXPECT_TRUE(qh & (1u << 17));
  EXPECT_FALSE(qh & (1u << 5));
  EXPECT_FALSE(qh & 1u); // level 0
  EXPECT_EQ(q[6 + 1] >> 4, 31 & 0xF);
  std::vector<float> back = dequantize(GGMLType::Q5_0, q, 32);
  EXPECT_EQ(back[0], -16.0f);
  EXPECT_EQ(back[17], 15.0f);
  EXPECT_EQ(back[5], -1.0f);
}

TEST(GGUFBlocks, Q6_KLayoutByHand) {
  // d = 1, every scale 1, level of element e = e % 64: the value is
  // e % 64 - 32. Packed by the documented placement, not by our packer.
  std::vector<uint8_t> b(210, 0);
  for (int e = 0; e < 256; ++e) {
    int q = e % 64, n = e / 128, k = (e % 128) / 32, r = e % 32;
    uint8_t &lo = b[64 * n + 32 * (k & 1) + r];
    lo |= uint8_t((q & 0xF) << (k < 2 ? 0 : 4));
    b[128 + 32 * n + r] |= uint8_t((q >> 4) << (2 * k));
  }
  for (int g = 0; g < 16; ++g)
    b[192 + g] = 1;
  b[208] = 0x00;
  b[209] = 0x3c; // d = 1.0
  std::vector<float> out = dequantize(GGMLType::Q6_K, b, 256);
  for (int e = 0; e < 256; ++e)
    ASSERT_EQ(out[e], float(e % 64 - 32)) << e;
}

TEST(GGUFBlocks, Q4_KLayoutByHand) {
  // d = 1, dmin = 0.5, group g has scale g + 1 and min 2g (the 12-byte
  // packing of docs/GGUF.md), level of element e = e % 16.
  std::vector<uint8_t> b(144, 0);
  b[1] = 0x3c; // d = 1
  b[3] = 0x38; // dmin = 0.5
  uint8_t sc[8], m[8];
  for (int g = 0; g < 8; ++g) {
    sc[g] = uint8_t(g + 1 + (g >= 4 ? 16 * (g - 4) : 0)); // exercise bits 4-5
    m[g] = uint8_t(2 * g + (g >= 4 ? 32 : 0));
  }
  uint8_t *s = b.data() + 4;
  for (int g = 0; g < 4; ++g) {
    s[g] = uint8_t(sc[g] | ((sc[g + 4] >> 4) << 6));
    s[g + 4] = uint8_t(m[g] | ((m[g + 4] >> 4) << 6));
    s[g + 8] = uint8_t((sc[g + 4] & 0xF) | ((m[g + 4] & 0xF) << 4));
  }
  for (int e = 0; e < 256; ++e)
    b[16 + 32 * (e / 64) + e % 32] |=
        uint8_t((e % 16) << (4 * ((e % 64) / 32)));
  std::vector<float> out = dequantize(GGMLType::Q4_K, b, 256);
  for (int e = 0; e < 256; ++e) {
    int g = e / 32;
    ASSERT_EQ(out[e], float(sc[g]) * float(e % 16) - 0.5f * float(m[g])) << e;
  }
}

TEST(GGUFBlocks, Q3_KAndQ2_KLayoutByHand) {
  // Q2_K: d = 1, dmin = 1, group g: scale (g % 15) + 1, min g % 4;
  // level of e = (e / 3) % 4.
  std::vector<uint8_t> b2(84, 0);
  for (int g = 0; g < 16; ++g)
    b2[g] = uint8_t(((g % 15) + 1) | ((g % 4) << 4));
  for (int e = 0; e < 256; ++e)
    b2[16 + 32 * (e / 128) + e % 32] |=
        uint8_t(((e / 3) % 4) << (2 * ((e % 128) / 32)));
  b2[81] = 0x3c;
  b2[83] = 0x3c;
  std::vector<float> out2 = dequantize(GGMLType::Q2_K, b2, 256);
  for (int e = 0; e < 256; ++e) {
    int g = e / 16;
    ASSERT_EQ(out2[e], float((g % 15) + 1) * float((e / 3) % 4) - float(g % 4))
        << e;
  }
  // Q3_K: d = 0.5, group g has the signed scale g - 8 (biased g + 24),
  // level of e = e % 8 (minus 4).
  std::vector<uint8_t> b3(110, 0);
  for (int e = 0; e < 256; ++e) {
    int q = e % 8;
    if (q & 4)
      b3[e % 32] |= uint8_t(1 << (e / 32));
    b3[32 + 32 * (e / 128) + e % 32] |=
        uint8_t((q & 3) << (2 * ((e % 128) / 32)));
  }
  for (int g = 0; g < 16; ++g) {
    int biased = g + 24;
    if (g < 8)
      b3[96 + g] |= uint8_t(biased & 0xF);
    else
      b3[96 + g - 8] |= uint8_t((biased & 0xF) << 4);
    b3[96 + 8 + g % 4] |= uint8_t((biased >> 4) << (2 * (g / 4)));
  }
  b3[109] = 0x38; // d = 0.5
  std::vector<float> out3 = dequantize(GGMLType::Q3_K, b3, 256);
  for (int e = 0; e < 256; ++e)
    ASSERT_EQ(out3[e], 0.5f * float(e / 16 - 8) * float(e % 8 - 4)) << e;
}

TEST(GGUFBlocks, IQ4_NLLevels) {
  ArrayRef<int8_t> levels = iq4nlLevels();
  ASSERT_EQ(levels.size(), 16u);
  EXPECT_EQ(levels.front(), -127);
  EXPECT_EQ(levels.back(), 113);
  // d = 1: each level comes back as itself.
  std::vector<uint8_t> b(18, 0);
  b[1] = 0x3c;
  for (int j = 0; j < 16; ++j)
    b[2 + j] = uint8_t(j | ((15 - j) << 4));
  std::vector<float> out = dequantize(GGMLType::IQ4_NL, b, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(out[j], float(levels[j]));
    EXPECT_EQ(out[16 + j], float(levels[15 - j]));
  }
}

//===----------------------------------------------------------------------===//
// Round trips and error bounds
//===----------------------------------------------------------------------===//

/// Largest |x - dequant(quant(x))| over each block, divided by the block's
/// largest |x| (0 for all-zero blocks).
double worstRelativeError(GGMLType type, ArrayRef<float> x, int64_t rowLength,
                          ArrayRef<float> imp = {}) {
  std::vector<float> back =
      dequantize(type, quantize(type, x, rowLength, imp), rowLength);
  int64_t block = std::max<int64_t>(blockSize(type), 32);
  double worst = 0;
  for (size_t b = 0; b < x.size(); b += block) {
    double amax = 0, err = 0;
    for (int64_t j = 0; j < block; ++j) {
      amax = std::max(amax, double(std::fabs(x[b + j])));
      err = std::max(err, double(std::fabs(x[b + j] - back[b + j])));
    }
    if (amax > 1e-15)
      worst = std::max(worst, err / amax);
  }
  return worst;
}

TEST(GGUFRoundTrip, ErrorBoundsPerFormat) {
  // The styles whose scales are normal binary16 numbers (not 1, 11, 12:
  // there the stored scale itself is coarse). Bounds are relative to the
  // block's (super-block's) largest magnitude.
  std::vector<float> x;
  {
    std::vector<float> all = syntheticRows(13, 512, 7);
    for (int r : {0, 2, 3, 4, 5, 6, 7, 8, 9, 10})
      x.insert(x.end(), all.begin() + r * 512, all.begin() + (r + 1) * 512);
  }
  std::vector<float> imp = syntheticImportance(512, 9);
  struct Bound {
    GGMLType type;
    double bound;
  } bounds[] = {
      {GGMLType::F32, 0.0},
      {GGMLType::F16, 1.0 / 2048},
      {GGMLType::BF16, 1.0 / 256},
      {GGMLType::Q8_0, 0.5 / 127 + 1e-3},
      {GGMLType::Q5_0, 1.0 / 16 + 1e-3},
      {GGMLType::Q5_1, 2.0 / 31},
      {GGMLType::Q4_0, 1.0 / 8 + 1e-3},
      {GGMLType::Q4_1, 2.0 / 15},
      {GGMLType::IQ4_NL, 0.15},
      {GGMLType::Q6_K, 0.05},
      {GGMLType::Q5_K, 0.08},
      {GGMLType::Q4_K, 0.1},
      {GGMLType::Q3_K, 0.3},
      {GGMLType::Q2_K, 0.45},
  };
  for (const Bound &b : bounds) {
    EXPECT_LE(worstRelativeError(b.type, x, 512), b.bound) << tname(b.type);
    if (usesImportance(b.type))
      EXPECT_LE(worstRelativeError(b.type, x, 512, imp), b.bound * 1.5)
          << tname(b.type) << " with importance";
  }
}

double meanSquaredError(GGMLType type, ArrayRef<float> x, ArrayRef<float> imp,
                        ArrayRef<float> weightBy) {
  std::vector<float> back = dequantize(type, quantize(type, x, 512, imp), 512);
  double sum = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    double d = double(x[i]) - back[i];
    sum += (weightBy.empty() ? 1.0 : weightBy[i % 512]) * d * d;
  }
  return sum / double(x.size());
}

TEST(GGUFRoundTrip, MoreBitsLessError) {
  // Bell-shaped rows (style 7).
  std::vector<float> all = syntheticRows(13 * 4, 512, 11), x;
  for (int r = 7; r < 13 * 4; r += 13)
    x.insert(x.end(), all.begin() + r * 512, all.begin() + (r + 1) * 512);
  GGMLType order[] = {GGMLType::Q2_K, GGMLType::Q3_K, GGMLType::Q4_K,
                      GGMLType::Q5_K, GGMLType::Q6_K, GGMLType::Q8_0,
                      GGMLType::F16};
  double previous = std::numeric_limits<double>::infinity();
  for (GGMLType t : order) {
    double e = meanSquaredError(t, x, {}, {});
    EXPECT_LT(e, previous) << tname(t);
    previous = e;
  }
  EXPECT_LT(meanSquaredError(GGMLType::Q4_K, x, {}, {}),
            meanSquaredError(GGMLType::Q4_0, x, {}, {}));
}

TEST(GGUFRoundTrip, ImportanceLowersWeightedError) {
  // Importance concentrated on a few columns: the weighted search must
  // lower the error measured with those weights.
  std::vector<float> all = syntheticRows(13 * 4, 512, 13), x;
  for (int r = 0; r < 13 * 4; r += 13)
    x.insert(x.end(), all.begin() + r * 512, all.begin() + (r + 1) * 512);
  std::vector<float> imp(512, 0.01f);
  for (int i = 0; i < 512; i += 7)
    imp[i] = 100.0f;
  for (GGMLType t :
       {GGMLType::Q4_0, GGMLType::Q4_1, GGMLType::Q5_0, GGMLType::Q5_1,
        GGMLType::IQ4_NL, GGMLType::Q2_K, GGMLType::Q3_K, GGMLType::Q4_K,
        GGMLType::Q5_K, GGMLType::Q6_K})
    EXPECT_LT(meanSquaredError(t, x, imp, imp), meanSquaredError(t, x, {}, imp))
        << tname(t);
}

//===----------------------------------------------------------------------===//
// Bit-exactness with llama.cpp: recorded digests
//===----------------------------------------------------------------------===//

// SHA-256 of llama.cpp's own output (ggml_quantize_chunk and
// dequantize_row_* of libggml-base, node-llama-cpp 3.21.1's linux-x64
// build) for the synthetic rows above (26 x 512, seed 0x5EED; importance
// seed 0x1A7E) and for every tensor of stories260K-F32.gguf laid end to end
// as rows of 256 (importance: blk.0's attn_k, attn_output, attn_q, attn_v
// entries of imatrix-kjv_calib.gguf, concatenated). Columns: synthetic,
// synthetic with importance, stories, stories with importance, and the
// dequantized synthetic output ("" where not recorded).
struct Digest {
  GGMLType type;
  const char *synthetic, *syntheticImp, *stories, *storiesImp, *dequantized;
};
const Digest kDigests[] = {
    {GGMLType::Q4_0,
     "db49e48048e02f497631554589ada059f981c31352496990221305cc8c30e7af",
     "cf8393fcdc23905bbcecc11886eb7c7f1c3e6a5b4ac13c7f63e7d8e26a8791f7",
     "c9039b29a6ff128a6d39ce25f9995ab643fa1807a73a5943f7b4dcd7539fa74c",
     "fbd8987902a816e43d49d58d015bd7b27fbd8cc56200c13445f57029de3b3bd9",
     "23e117c098a067960e15a780f60f1d90fd71ed945ea9e14ffeed9739e13eea33"},
    {GGMLType::Q4_1,
     "164ab56fb627f87f421dd55be81c1db2db6eb9f9c95b0c7837bb41315bfce463",
     "08388820ed0bf0bafe5e0dbc6d5afe26b53fb73a6e306dea77e0f67e3ef05cf2",
     "91529cecb3675abed13676b6249e84281d1c52d4f6360cf2b7f243cb1d348fe4",
     "cb2b56a766c068eb2d454e7d1771023a48b5e8ea587aec1adf2e60b042aefe4d",
     "42f91e4ece977fb4356e6af6f32674aaa09fd551ff53ad50224ff5726cd95ec1"},
    {GGMLType::Q5_0,
     "df0320814fa1b487b2f713a90e4c8fc33f256385e5bc8dca97612f5265443ffa",
     "a8a23eb09a734de61eb437c728d77dbbb8338742e822db50e38dd133ef1d373e",
     "9d14f6c161d094fa71b4eeb7522054d31e7aed2384b681a119ac6fa5bb424c12",
     "72851a9acd88176249a93dc42ee76bddb816f41ef61e87269e75824967ced69e",
     "817917a98c060ecfb9c410308e65c5d82629702ee1c71f6379aa17a7245caf6a"},
    {GGMLType::Q5_1,
     "6bf1a4660022b4ca3f79ac10c59140b1de056d7ed673eff625d950f2e0043a5e",
     "0a300fe03a59eefa1feebcd75760bb1eb27502d4f4458ab5abb50c3e42044d20",
     "fcee19e8ea89a33adc88c2f597e853cd4d30b669e2ecb92608775a038298d9d8",
     "f2bb2f5c0736e35d7ad53cca40868b939352c5348d35c31bb2fcf784cc3174ac",
     "cc52a650f14eeb2a40d3de2266f09c9df8c050c5af4373034a899b2125f29583"},
    {GGMLType::Q8_0,
     "d70886b6b1b3ce160848807bb51fc80765646ed5f99ca34a5ed1657cd39c0d2b",
     "d70886b6b1b3ce160848807bb51fc80765646ed5f99ca34a5ed1657cd39c0d2b",
     "0d6b24ab93743325074f7bafd799eb0d2ffd66b78b30c3a0df0c8442e8594ebe",
     "0d6b24ab93743325074f7bafd799eb0d2ffd66b78b30c3a0df0c8442e8594ebe",
     "32b3f675373c1325e36d3cfbc7e450dc4357f1d960d1a9d30b06ba559b32209c"},
    {GGMLType::Q2_K,
     "2c00a27b0ffe4758b029b89e28dbbbe3ce5b8fe162c27ce3b5160593aa356987",
     "7cd6596be0e394c038f43aebc99c20c2b95b4df9020faabf2301a058ed6444b0",
     "23a28446cb96f5e40d81cf1c920771b6ffc10625e1da4bd84dd2932577699807",
     "04b289049c3b023875659297cb3fc193e7dd80bf434c8d4cf29033ed68263bb6",
     "e7af27355886db7855e52e046478488e9d9cf4bc50ba5b1b6339c88f414ce575"},
    {GGMLType::Q3_K,
     "914d4858526bbee7615bd955378707b896a36c1c47a7f6a22e7ef5ae87d39b20",
     "ef64933952cab1fdf312a062f7e3d455520aa06af58f5900e9bc64e3466a94fd",
     "271acdf49feb0818b4bfaffe6b57314f4fa77fd0d7ba1f36f03535b87d75d3a5",
     "d045632415bea87e038bd40493544218cdb46e7dbb8fe51bbf408da04cc66040",
     "964b777d7782eeb3eb09c768d72d66e0fad6cacd2d1e83cc704f379639decdb6"},
    {GGMLType::Q4_K,
     "eb25a4ca627ddb1d5614be87ef08f1975b3b18276cfbccfb5a28f0f43f9bd8c3",
     "f266ec0dff76782803ab06bb08181bd05681692795f6e8f183a083bc8e4e6c93",
     "e799163b5bf8a495b6200c5bd501200c3cc453caacb312478621f21e1636f871",
     "243d705137fddd78f2e0cd36450d4c6a61f8ec9c7c0724965112083a69a0cf23",
     "d66840a828873ce9eb9003ee8f9e557bc723cf19e6896b538782f457e3792bbb"},
    {GGMLType::Q5_K,
     "0010db4b4f6cda87eedd22f3d839dd5ca5c91fadf75c4086894a1b43cb00672d",
     "3415748d5db611249b662a645f3034c55cab53974bcefbe83c265c8a53893a0f",
     "fb846d74cd291c36cbb011b19e94752a3a9efa1d83b1e215752335fa18b5799e",
     "30d796348929562f3f039f0d4a4ab719960b40811da938cf7a6fcf10200bf07d",
     "cb4fc977bfb15a2e7564c52edba7e43f568aae6305daa1026bbd8448906b636b"},
    {GGMLType::Q6_K,
     "b9161d069d34897c9f815849d10eed4cbe2a1f13165f71b1b57a57fd1632de34",
     "0e69ff50bcf302df11dac9695f042bb5564ec029872d3a05a3d427ea5d5f15d7",
     "020ebec2feb916f100fce9b0d80841b93db2efc2019fd3d6b663994eda7b0460",
     "997b5add88b66d8bdc6fe5d47348c4968ea76e94ea80340cb2a9a24b7aeb87ee",
     "900e0083b8745641acb3d696b4d5fcfb7dfb4ec9e2ed7b1cb6dea4bc5dd8b160"},
    {GGMLType::IQ4_NL,
     "7f5c14ea21f24db3ddaadc5a2f2a0528c0d320d1745e32333cb548ef8c5c06c0",
     "9814ba1970427b96f71d37a4be774ce0a2b02107bfb0a5a90200b4d9170baa33",
     "ac90e99b56fc46d8073e5a2f1385877503db3afef4a8046f0cc821602b1a4f42",
     "07c575043c787f69c73f184d81afc1e459e816d823997fd1160e907acc5bf2cc",
     "f23973c07be3048ea91cf1e3ce09305efb874db7b223727f26822b60c7f12733"},
    {GGMLType::F16,
     "2d71c48e97fe4b376554eacaa2c4014e88503383eb5f59a6b49ed5c2688fd555",
     "2d71c48e97fe4b376554eacaa2c4014e88503383eb5f59a6b49ed5c2688fd555",
     "2e02f9335ad46585959dd1d97e1570e0ee866be8bc9a63e34d7b83ca553d046d",
     "2e02f9335ad46585959dd1d97e1570e0ee866be8bc9a63e34d7b83ca553d046d", ""},
    {GGMLType::BF16,
     "107bccd2994da78fdc3d66ccd438fb586a1cf7f6c8ecfa2c31832eaee5e96a06",
     "107bccd2994da78fdc3d66ccd438fb586a1cf7f6c8ecfa2c31832eaee5e96a06",
     "e1fc02f521b8e8864ff1f8ab8051db13135cf58f34a35d581774402c5101d7e4",
     "e1fc02f521b8e8864ff1f8ab8051db13135cf58f34a35d581774402c5101d7e4", ""},
};

TEST(GGUFLlamaDigests, SyntheticInputIsTheRecordedOne) {
  std::vector<float> x = syntheticRows(kSynthRows, kSynthRowLength, kSynthSeed);
  EXPECT_EQ(sha256(x),
            "6321db636cf0e3a532765ac8a65cefb31d6e9c869c06b4b65ed58b94b159b321");
  EXPECT_EQ(sha256(syntheticImportance(kSynthRowLength, kImportanceSeed)),
            "3720aa4642cfe58ed5df2929bda4ce9496301fa96c767d54025e3c1ac97292f5");
}

TEST(GGUFLlamaDigests, SyntheticRowsMatchLlamaCpp) {
  std::vector<float> x = syntheticRows(kSynthRows, kSynthRowLength, kSynthSeed);
  std::vector<float> imp =
      syntheticImportance(kSynthRowLength, kImportanceSeed);
  for (const Digest &d : kDigests) {
    std::vector<uint8_t> q = quantize(d.type, x, kSynthRowLength);
    EXPECT_EQ(sha256(q), d.synthetic) << tname(d.type);
    EXPECT_EQ(sha256(quantize(d.type, x, kSynthRowLength, imp)), d.syntheticImp)
        << tname(d.type) << " with importance";
    if (*d.dequantized)
      EXPECT_EQ(sha256(dequantize(d.type, q, kSynthRowLength)), d.dequantized)
          << tname(d.type) << " dequantized";
  }
}

std::vector<float> importanceFor(const ImportanceMatrix &m, StringRef name) {
  const std::vector<float> *w = m.lookup(name);
  EXPECT_TRUE(w) << name.str();
  return w ? *w : std::vector<float>();
}

TEST(GGUFLlamaDigests, StoriesWeightsMatchLlamaCpp) {
  REQUIRE_LLAMA_FILES();
  auto f32 = openOrFail(ggufPath("stories260K-F32.gguf"));
  ASSERT_TRUE(f32);
  std::vector<float> x;
  for (const TensorInfo &t : f32->tensors()) {
    auto v = f32->readFloats(t);
    ASSERT_TRUE(bool(v)) << llvm::toString(v.takeError());
    x.insert(x.end(), v->begin(), v->end());
  }
  x.resize(x.size() / 256 * 256);
  ASSERT_EQ(sha256(x),
            "15ff5b8e059579d7b08237fd2f0c56dc8f2a865a94e64d6277a8a9e50ca930ef");
  auto imatrix = loadImportanceMatrix(ggufPath("imatrix-kjv_calib.gguf"));
  ASSERT_TRUE(bool(imatrix)) << llvm::toString(imatrix.takeError());
  std::vector<float> imp;
  for (const char *n : {"blk.0.attn_k.weight", "blk.0.attn_output.weight",
                        "blk.0.attn_q.weight", "blk.0.attn_v.weight"}) {
    std::vector<float> w = importanceFor(*imatrix, n);
    imp.insert(imp.end(), w.begin(), w.end());
  }
  ASSERT_EQ(imp.size(), 256u);
  for (const Digest &d : kDigests) {
    EXPECT_EQ(sha256(quantize(d.type, x, 256)), d.stories) << tname(d.type);
    EXPECT_EQ(sha256(quantize(d.type, x, 256, imp)), d.storiesImp)
        << tname(d.type) << " with importance";
  }
}

//===----------------------------------------------------------------------===//
// Bit-exactness with llama.cpp: its own files
//===----------------------------------------------------------------------===//

TEST(GGUFLlamaFiles, ParseEveryFile) {
  REQUIRE_LLAMA_FILES();
  int models = 0;
  std::error_code ec;
  for (fs::directory_iterator it(ggufDir(), ec), end; !ec && it != end;
       it.increment(ec)) {
    if (path::extension(it->path()) != ".gguf")
      continue;
    auto f = openOrFail(it->path());
    ASSERT_TRUE(f) << it->path();
    EXPECT_EQ(f->version(), 3u);
    EXPECT_EQ(f->alignment(), 32u);
    EXPECT_EQ(f->dataOffset() % 32, 0u);
    if (path::filename(it->path()).starts_with("imatrix")) {
      EXPECT_EQ(f->tensors().size(), 140u);
      EXPECT_EQ(*f->lookup("general.type")->asString(), "imatrix");
      continue;
    }
    ++models;
    EXPECT_EQ(f->tensors().size(), 48u) << it->path();
    EXPECT_EQ(*f->lookup("general.architecture")->asString(), "llama");
    EXPECT_EQ(*f->lookup("llama.embedding_length")->get<uint32_t>(), 64u);
    EXPECT_EQ(*f->lookup("llama.feed_forward_length")->asUnsigned(), 172u);
    EXPECT_EQ(*f->lookup("llama.block_count")->asSigned(), 5);
    EXPECT_NEAR(*f->lookup("llama.attention.layer_norm_rms_epsilon")->asFloat(),
                1e-5, 1e-12);
    const Value *tokens = f->lookup("tokenizer.ggml.tokens");
    ASSERT_TRUE(tokens && tokens->isArray());
    EXPECT_EQ(tokens->elementType(), ValueType::String);
    ASSERT_EQ(tokens->size(), 512u);
    EXPECT_EQ(tokens->strings()[1], "<s>");
    auto scores = f->lookup("tokenizer.ggml.scores")->getArray<float>();
    ASSERT_TRUE(scores);
    EXPECT_EQ(scores->size(), 512u);
    const TensorInfo *embd = f->tensor("token_embd.weight");
    ASSERT_TRUE(embd);
    EXPECT_EQ(embd->shape, (llvm::SmallVector<int64_t, 4>{64, 512}));
    EXPECT_EQ(embd->numRows(), 512);
    const TensorInfo *down = f->tensor("blk.4.ffn_down.weight");
    ASSERT_TRUE(down);
    EXPECT_EQ(down->rowLength(), 172);
    EXPECT_EQ(down->type, path::filename(it->path()) == "stories260K-F32.gguf"
                              ? GGMLType::F32
                              : GGMLType::F16);
    EXPECT_LE(f->dataOffset() + embd->offset + embd->size, f->fileSize());
  }
  EXPECT_EQ(models, 12);
}

struct FileCheck {
  std::map<std::string, int> matched; // type name -> tensors
  int mismatched = 0;
  int withImportance = 0;
};

/// Requantizes every tensor of llama.cpp's `fileName` from the F32 file
/// (with the imatrix for "-imat" files) and compares the bytes.
FileCheck checkFile(const GGUFFile &f32, const ImportanceMatrix &imatrix,
                    StringRef fileName) {
  FileCheck result;
  auto q = openOrFail(ggufPath(fileName));
  if (!q)
    return result;
  bool useImatrix = fileName.contains("-imat");
  for (const TensorInfo &t : q->tensors()) {
    const TensorInfo *src = f32.tensor(t.name);
    EXPECT_TRUE(src) << t.name;
    if (!src)
      continue;
    EXPECT_EQ(src->shape, t.shape) << t.name;
    EXPECT_TRUE(canQuantize(t.type))
        << fileName.str() << ": " << t.name << " is " << tname(t.type);
    auto x = f32.readFloats(*src);
    EXPECT_TRUE(bool(x)) << llvm::toString(x.takeError());
    std::vector<float> imp;
    if (useImatrix && usesImportance(t.type))
      if (const std::vector<float> *w = imatrix.lookup(t.name))
        imp = *w;
    result.withImportance += !imp.empty();
    std::vector<uint8_t> ours(t.size);
    llvm::Error e = quantizeMatrix(t.type, *x, t.rowLength(), ours, imp,
                                   fileName.str() + ": " + t.name);
    EXPECT_FALSE(bool(e)) << llvm::toString(std::move(e));
    if (ArrayRef<uint8_t>(ours) == t.bytes()) {
      ++result.matched[typeName(t.type).str()];
    } else {
      ++result.mismatched;
      size_t at = 0;
      while (at < ours.size() && ours[at] == t.bytes()[at])
        ++at;
      ADD_FAILURE() << fileName.str() << ": " << t.name << " (" << tname(t.type)
                    << ") differs from llama.cpp at byte " << at;
    }
  }
  return result;
}

TEST(GGUFLlamaFiles, EveryTensorBitIdentical) {
  REQUIRE_LLAMA_FILES();
  auto f32 = openOrFail(ggufPath("stories260K-F32.gguf"));
  ASSERT_TRUE(f32);
  auto imatrix = loadImportanceMatrix(ggufPath("imatrix-kjv_calib.gguf"));
  ASSERT_TRUE(bool(imatrix)) << llvm::toString(imatrix.takeError());

  std::map<std::string, std::map<std::string, int>> expected = {
      {"stories260K-Q8_0.gguf", {{"F32", 11}, {"F16", 5}, {"Q8_0", 32}}},
      {"stories260K-Q6_K.gguf", {{"F32", 11}, {"F16", 5}, {"Q8_0", 32}}},
      {"stories260K-Q5_1.gguf",
       {{"F32", 11}, {"F16", 5}, {"Q8_0", 1}, {"Q5_1", 31}}},
      {"stories260K-Q5_0.gguf",
       {{"F32", 11}, {"F16", 5}, {"Q8_0", 1}, {"Q5_0", 31}}},
      {"stories260K-Q4_K_M.gguf",
       {{"F32", 11}, {"F16", 5}, {"Q8_0", 3}, {"Q5_0", 29}}},
      {"stories260K-Q4_K_M-imat.gguf",
       {{"F32", 11}, {"F16", 5}, {"Q8_0", 3}, {"Q5_0", 29}}},
      {"stories260K-Q4_1.gguf",
       {{"F32", 11}, {"F16", 5}, {"Q8_0", 1}, {"Q4_1", 31}}},
      {"stories260K-Q4_0.gguf",
       {{"F32", 11}, {"F16", 5}, {"Q8_0", 1}, {"Q4_0", 31}}},
      {"stories260K-Q2_K.gguf",
       {{"F32", 11}, {"F16", 5}, {"Q8_0", 1}, {"Q4_0", 31}}},
      {"stories260K-IQ4_NL.gguf",
       {{"F32", 11}, {"F16", 5}, {"Q8_0", 1}, {"IQ4_NL", 31}}},
      {"stories260K-IQ4_NL-imat.gguf",
       {{"F32", 11}, {"F16", 5}, {"Q8_0", 1}, {"IQ4_NL", 31}}},
  };
  // Tensors quantized with the imatrix: the 7 matmuls of each of the 5
  // layers, less the F16 ffn_down ones (F16 ignores it) and, in Q4_K_M, the
  // two Q8_0 attn_v.
  std::map<std::string, int> expectedImportance = {
      {"stories260K-Q4_K_M-imat.gguf", 28},
      {"stories260K-IQ4_NL-imat.gguf", 30},
  };
  for (const char *name : kQuantizedFiles) {
    FileCheck c = checkFile(*f32, *imatrix, name);
    EXPECT_EQ(c.mismatched, 0) << name;
    EXPECT_EQ(c.matched, expected[name]) << name;
    EXPECT_EQ(c.withImportance, expectedImportance[name]) << name;
  }
}

TEST(GGUFLlamaFiles, RewrittenFilesAreByteIdentical) {
  REQUIRE_LLAMA_FILES();
  auto f32 = openOrFail(ggufPath("stories260K-F32.gguf"));
  ASSERT_TRUE(f32);
  auto imatrix = loadImportanceMatrix(ggufPath("imatrix-kjv_calib.gguf"));
  ASSERT_TRUE(bool(imatrix)) << llvm::toString(imatrix.takeError());
  TempDir dir;
  std::vector<const char *> files(std::begin(kQuantizedFiles),
                                  std::end(kQuantizedFiles));
  files.push_back("stories260K-F32.gguf");
  files.push_back("imatrix-kjv_calib.gguf");
  for (const char *name : files) {
    // llama.cpp's file supplies the metadata, tensor order and types; the
    // tensor bytes are ours, quantized from the F32 file while writing.
    auto ref = openOrFail(ggufPath(name));
    ASSERT_TRUE(ref);
    bool useImatrix = StringRef(name).contains("-imat");
    bool copyData = StringRef(name).starts_with("imatrix");
    GGUFWriter w;
    for (const KeyValue &kv : ref->metadata())
      w.set(kv.key, kv.value);
    for (const TensorInfo &t : ref->tensors()) {
      if (copyData) {
        ASSERT_FALSE(bool(w.addTensor(t.name, t.type, t.shape, t.bytes())));
        continue;
      }
      const TensorInfo *src = f32->tensor(t.name);
      ASSERT_TRUE(src);
      std::vector<float> imp;
      if (useImatrix && usesImportance(t.type))
        if (const std::vector<float> *v = imatrix->lookup(t.name))
          imp = *v;
      GGUFFile *source = f32.get();
      llvm::Error e =
          w.addTensor(t.name, t.type, t.shape,
                      [=](llvm::MutableArrayRef<uint8_t> out) -> llvm::Error {
                        auto x = source->readFloats(*src);
                        if (!x)
                          return x.takeError();
                        return quantizeMatrix(t.type, *x, src->rowLength(), out,
                                              imp, src->name);
                      });
      ASSERT_FALSE(bool(e)) << llvm::toString(std::move(e));
    }
    std::string out = dir.path(name);
    llvm::Error e = w.write(out);
    ASSERT_FALSE(bool(e)) << llvm::toString(std::move(e));
    std::string mine = readWhole(out), theirs = readWhole(ggufPath(name));
    EXPECT_EQ(mine.size(), theirs.size()) << name;
    EXPECT_TRUE(mine == theirs) << name << " differs from llama.cpp's file";
    EXPECT_EQ(*w.fileSize(), theirs.size()) << name;
  }
}

TEST(GGUFLlamaFiles, DequantizedTensorsStayClose) {
  REQUIRE_LLAMA_FILES();
  auto f32 = openOrFail(ggufPath("stories260K-F32.gguf"));
  ASSERT_TRUE(f32);
  std::map<GGMLType, double> bound = {
      {GGMLType::F16, 1.0 / 2048}, {GGMLType::Q8_0, 0.5 / 127 + 1e-3},
      {GGMLType::Q5_1, 2.0 / 31},  {GGMLType::Q5_0, 1.0 / 16 + 1e-3},
      {GGMLType::Q4_1, 2.0 / 15},  {GGMLType::Q4_0, 1.0 / 8 + 1e-3},
      {GGMLType::IQ4_NL, 0.15},    {GGMLType::F32, 0}};
  for (const char *name : kQuantizedFiles) {
    auto q = openOrFail(ggufPath(name));
    ASSERT_TRUE(q);
    // Importance trades error on unimportant columns for important ones.
    double slack = StringRef(name).contains("-imat") ? 1.5 : 1.0;
    for (const TensorInfo &t : q->tensors()) {
      auto x = f32->readFloats(*f32->tensor(t.name));
      auto y = q->readFloats(t);
      ASSERT_TRUE(x && y);
      int64_t block = std::max<int64_t>(blockSize(t.type), 32);
      if (t.rowLength() % block != 0)
        block = t.rowLength();
      for (size_t b = 0; b < x->size(); b += size_t(block)) {
        double amax = 0, err = 0;
        for (int64_t j = 0; j < block; ++j) {
          amax = std::max(amax, double(std::fabs((*x)[b + j])));
          err = std::max(err, double(std::fabs((*x)[b + j] - (*y)[b + j])));
        }
        ASSERT_LE(err, slack * bound[t.type] * amax + 1e-30)
            << name << ": " << t.name << " block at " << b;
      }
    }
  }
}

TEST(GGUFLlamaFiles, ImportanceMatrix) {
  REQUIRE_LLAMA_FILES();
  auto m = loadImportanceMatrix(ggufPath("imatrix-kjv_calib.gguf"));
  ASSERT_TRUE(bool(m)) << llvm::toString(m.takeError());
  EXPECT_EQ(m->weights.size(), 35u);
  EXPECT_EQ(m->chunkCount, 422u);
  EXPECT_EQ(m->chunkSize, 256u);
  ASSERT_EQ(m->datasets.size(), 1u);
  const std::vector<float> *down = m->lookup("blk.2.ffn_down.weight");
  ASSERT_TRUE(down);
  EXPECT_EQ(down->size(), 172u);
  EXPECT_FALSE(m->lookup("output.weight"));
  // Mean squared activation: the stored sums over the rounded count.
  auto file = openOrFail(ggufPath("imatrix-kjv_calib.gguf"));
  ASSERT_TRUE(file);
  auto sums = file->readFloats(*file->tensor("blk.2.ffn_down.weight.in_sum2"));
  auto counts = file->readFloats(*file->tensor("blk.2.ffn_down.weight.counts"));
  ASSERT_TRUE(sums && counts);
  float count = float(std::lround((*counts)[0]));
  EXPECT_GT(count, 0);
  for (size_t i = 0; i < 172; ++i)
    ASSERT_EQ((*down)[i], (*sums)[i] / count);
}

//===----------------------------------------------------------------------===//
// GGUF writing and reading
//===----------------------------------------------------------------------===//

std::vector<uint8_t> bytesOf(ArrayRef<float> v) {
  std::vector<uint8_t> out(v.size() * 4);
  std::memcpy(out.data(), v.data(), out.size());
  return out;
}

void addEveryValueType(GGUFWriter &w) {
  w.set("t.u8", Value::u8(255));
  w.set("t.i8", Value::i8(-128));
  w.set("t.u16", Value::u16(65535));
  w.set("t.i16", Value::i16(-32768));
  w.set("t.u32", Value::u32(4294967295u));
  w.set("t.i32", Value::i32(std::numeric_limits<int32_t>::min()));
  w.set("t.u64", Value::u64(std::numeric_limits<uint64_t>::max()));
  w.set("t.i64", Value::i64(std::numeric_limits<int64_t>::min()));
  w.set("t.f32", Value::f32(-1.5e-7f));
  w.set("t.f64", Value::f64(3.141592653589793));
  w.set("t.bool", Value::boolean(true));
  w.set("t.string", Value::string("h\xc3\xa9llo\n\"w\""));
  w.set("t.empty_string", Value::string(""));
  w.set("t.arr.u8", Value::array<uint8_t>({0, 1, 255}));
  w.set("t.arr.i8", Value::array<int8_t>({-128, 0, 127}));
  w.set("t.arr.u16", Value::array<uint16_t>({1, 65535}));
  w.set("t.arr.i16", Value::array<int16_t>({-2, 2}));
  w.set("t.arr.u32", Value::array<uint32_t>({7}));
  w.set("t.arr.i32", Value::array<int32_t>({-7, 7, 0}));
  w.set("t.arr.u64", Value::array<uint64_t>({1ull << 63}));
  w.set("t.arr.i64", Value::array<int64_t>({-(1ll << 62)}));
  w.set("t.arr.f32", Value::array<float>({0.5f, -0.0f, 1e30f}));
  w.set("t.arr.f64", Value::array<double>({1e-300, 2.5}));
  w.set("t.arr.bool", Value::array<bool>({true, false, true}));
  w.set("t.arr.string", Value::stringArray(std::vector<std::string>{
                            "a", "", "\xe2\x96\x81the"}));
  w.set("t.arr.empty", Value::array<float>(ArrayRef<float>()));
  w.set("t.arr.empty_strings", Value::stringArray(std::vector<std::string>{}));
}

TEST(GGUFWriter, EveryMetadataTypeRoundTrips) {
  for (uint32_t alignment : {32u, 64u, 1u}) {
    TempDir dir;
    GGUFWriter w;
    addEveryValueType(w);
    if (alignment != 32)
      w.setAlignment(alignment);
    std::vector<float> a = {1, 2, 3, 4, 5, 6};
    std::vector<uint8_t> aBytes = bytesOf(a);
    ASSERT_FALSE(bool(w.addTensor("a", GGMLType::F32, {3, 2}, aBytes)));
    std::vector<float> rows = syntheticRows(3, 256, 3);
    ASSERT_FALSE(bool(w.addTensor("b.q6k", GGMLType::Q6_K, {256, 3},
                                  [&](llvm::MutableArrayRef<uint8_t> out) {
                                    return quantizeMatrix(GGMLType::Q6_K, rows,
                                                          256, out, {},
                                                          "b.q6k");
                                  })));
    std::vector<float> four = syntheticRows(8, 32, 4);
    ASSERT_FALSE(bool(w.addTensor("c.4d", GGMLType::Q8_0, {32, 2, 2, 2},
                                  [&](llvm::MutableArrayRef<uint8_t> out) {
                                    return quantizeMatrix(GGMLType::Q8_0, four,
                                                          32, out, {}, "c.4d");
                                  })));
    std::vector<uint8_t> halfBytes(10, 0x3c);
    ASSERT_FALSE(bool(w.addTensor("d.f16", GGMLType::F16, {5}, halfBytes)));
    ASSERT_FALSE(bool(
        w.addTensor("e.empty", GGMLType::F32, {0, 4}, ArrayRef<uint8_t>())));
    std::string p = dir.path("all.gguf");
    llvm::Error e = w.write(p);
    ASSERT_FALSE(bool(e)) << llvm::toString(std::move(e));
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"all.gguf"});

    auto f = openOrFail(p);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->version(), 3u);
    EXPECT_EQ(f->alignment(), alignment);
    EXPECT_EQ(f->fileSize(), *w.fileSize());
    EXPECT_EQ(f->fileSize() % alignment, 0u);
    ASSERT_EQ(f->metadata().size(), w.metadata().size());
    for (size_t i = 0; i < w.metadata().size(); ++i) {
      EXPECT_EQ(f->metadata()[i].key, w.metadata()[i].key);
      EXPECT_TRUE(f->metadata()[i].value == w.metadata()[i].value)
          << w.metadata()[i].key;
    }
    EXPECT_EQ(*f->lookup("t.u8")->get<uint8_t>(), 255);
    EXPECT_EQ(*f->lookup("t.i8")->asSigned(), -128);
    EXPECT_FALSE(f->lookup("t.i8")->asUnsigned());
    EXPECT_EQ(*f->lookup("t.u64")->asUnsigned(),
              std::numeric_limits<uint64_t>::max());
    EXPECT_FALSE(f->lookup("t.u64")->asSigned());
    EXPECT_EQ(*f->lookup("t.i64")->get<int64_t>(),
              std::numeric_limits<int64_t>::min());
    EXPECT_EQ(*f->lookup("t.f32")->get<float>(), -1.5e-7f);
    EXPECT_EQ(*f->lookup("t.f64")->asFloat(), 3.141592653589793);
    EXPECT_EQ(*f->lookup("t.bool")->asBool(), true);
    EXPECT_EQ(*f->lookup("t.string")->asString(), "h\xc3\xa9llo\n\"w\"");
    EXPECT_FALSE(f->lookup("t.string")->get<uint32_t>());
    EXPECT_EQ(*f->lookup("t.arr.i8")->getArray<int8_t>(),
              (std::vector<int8_t>{-128, 0, 127}));
    EXPECT_EQ(*f->lookup("t.arr.f64")->getArray<double>(),
              (std::vector<double>{1e-300, 2.5}));
    EXPECT_EQ(*f->lookup("t.arr.bool")->getArray<bool>(),
              (std::vector<bool>{true, false, true}));
    EXPECT_FALSE(f->lookup("t.arr.bool")->getArray<uint8_t>());
    EXPECT_EQ(f->lookup("t.arr.string")->strings()[2], "\xe2\x96\x81the");
    EXPECT_EQ(f->lookup("t.arr.empty")->size(), 0u);
    EXPECT_EQ(f->lookup("t.arr.empty")->elementType(), ValueType::Float32);
    EXPECT_EQ(f->lookup("t.arr.empty_strings")->elementType(),
              ValueType::String);

    ASSERT_EQ(f->tensors().size(), 5u);
    for (const TensorInfo &t : f->tensors()) {
      EXPECT_EQ(t.offset % alignment, 0u) << t.name;
      EXPECT_EQ((f->dataOffset() + t.offset) % alignment, 0u) << t.name;
    }
    EXPECT_EQ(f->tensor("a")->bytes(), ArrayRef<uint8_t>(aBytes));
    EXPECT_EQ(*f->readFloats(*f->tensor("a")), a);
    EXPECT_EQ(f->tensor("b.q6k")->bytes(),
              ArrayRef<uint8_t>(quantize(GGMLType::Q6_K, rows, 256)));
    EXPECT_EQ(f->tensor("c.4d")->shape,
              (llvm::SmallVector<int64_t, 4>{32, 2, 2, 2}));
    EXPECT_EQ(f->tensor("c.4d")->numRows(), 8);
    EXPECT_EQ(*f->readFloats(*f->tensor("d.f16")),
              std::vector<float>(5, halfToFloat(0x3c3c)));
    EXPECT_EQ(f->tensor("e.empty")->size, 0u);
  }
}

TEST(GGUFWriter, ValuePrinting) {
  std::string s;
  llvm::raw_string_ostream os(s);
  Value::i16(-3).print(os);
  os << " ";
  Value::string("a\"b").print(os);
  os << " ";
  Value::array<uint32_t>({1, 2, 3, 4, 5}).print(os);
  os << " ";
  Value::stringArray(std::vector<std::string>{"x"}).print(os);
  EXPECT_EQ(s, "-3 \"a\\22b\" u32[5] {1, 2, 3, 4, ...} string[1] {\"x\"}");
}

TEST(GGUFWriter, SetReplacesInPlace) {
  GGUFWriter w;
  w.set("a", Value::u32(1));
  w.set("b", Value::u32(2));
  w.set("a", Value::string("x"));
  ASSERT_EQ(w.metadata().size(), 2u);
  EXPECT_EQ(w.metadata()[0].key, "a");
  EXPECT_EQ(*w.lookup("a")->asString(), "x");
  w.remove("a");
  EXPECT_EQ(w.metadata().size(), 1u);
  EXPECT_FALSE(w.lookup("a"));
}

TEST(GGUFWriter, ReadsVersion2) {
  TempDir dir;
  GGUFWriter w;
  w.set("k", Value::u32(7));
  std::vector<uint8_t> bytes = bytesOf({1.0f, 2.0f});
  ASSERT_FALSE(bool(w.addTensor("t", GGMLType::F32, {2}, bytes)));
  ASSERT_FALSE(bool(w.write(dir.path("v.gguf"))));
  std::string data = readWhole(dir.path("v.gguf"));
  data[4] = 2; // the version field
  auto f =
      GGUFFile::fromBuffer(llvm::MemoryBuffer::getMemBufferCopy(data, "v2"));
  ASSERT_TRUE(bool(f)) << llvm::toString(f.takeError());
  EXPECT_EQ((*f)->version(), 2u);
  EXPECT_EQ(*(*f)->readFloats(*(*f)->tensor("t")), (std::vector<float>{1, 2}));
}

std::string writeError(GGUFWriter &w, StringRef p) {
  llvm::Error e = w.write(p);
  return e ? llvm::toString(std::move(e)) : "";
}

TEST(GGUFWriter, FailedWriteLeavesNothingBehind) {
  TempDir dir;
  std::string p = dir.path("out.gguf");
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(p, ec);
    os << "old contents";
  }
  GGUFWriter w;
  w.set("general.name", Value::string("x"));
  std::vector<uint8_t> ok(64 * 4, 0);
  ASSERT_FALSE(bool(w.addTensor("first", GGMLType::F32, {64}, ok)));
  ASSERT_FALSE(bool(w.addTensor(
      "second", GGMLType::Q4_0, {64, 2}, [](llvm::MutableArrayRef<uint8_t>) {
        return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                       "source tensor unreadable");
      })));
  std::string err = writeError(w, p);
  EXPECT_NE(err.find(p), std::string::npos) << err;
  EXPECT_NE(err.find("tensor 'second': source tensor unreadable"),
            std::string::npos)
      << err;
  EXPECT_EQ(readWhole(p), "old contents");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.gguf"});

  // A directory that does not exist.
  std::string missing = dir.path("no/such/dir/x.gguf");
  GGUFWriter v;
  err = writeError(v, missing);
  EXPECT_NE(err.find(missing), std::string::npos) << err;
  EXPECT_NE(err.find("cannot create a temporary file"), std::string::npos)
      << err;
}

TEST(GGUFWriter, RejectsBadTensorsAndAlignment) {
  GGUFWriter w;
  std::vector<uint8_t> four(4 * 4);
  auto err = [](llvm::Error e) {
    return e ? llvm::toString(std::move(e)) : std::string();
  };
  EXPECT_EQ(err(w.addTensor("", GGMLType::F32, {4}, four)),
            "a tensor needs a name");
  EXPECT_NE(err(w.addTensor(std::string(64, 'n'), GGMLType::F32, {4}, four))
                .find("64 bytes long, ggml allows at most 63"),
            std::string::npos);
  EXPECT_FALSE(bool(w.addTensor("x", GGMLType::F32, {4}, four)));
  EXPECT_EQ(err(w.addTensor("x", GGMLType::F32, {4}, four)),
            "tensor 'x': added twice");
  EXPECT_EQ(err(w.addTensor("y", GGMLType::F32, {}, four)),
            "tensor 'y': has 0 dimensions, 1 to 4 are allowed");
  EXPECT_EQ(err(w.addTensor("y", GGMLType::F32, {1, 1, 1, 1, 4}, four)),
            "tensor 'y': has 5 dimensions, 1 to 4 are allowed");
  EXPECT_NE(err(w.addTensor("y", GGMLType::F32, {-4}, four))
                .find("negative dimension"),
            std::string::npos);
  EXPECT_NE(err(w.addTensor("y", GGMLType::Q4_K, {64, 4}, four))
                .find("rows of 64 values do not fill whole Q4_K blocks of 256"),
            std::string::npos);
  EXPECT_EQ(err(w.addTensor("y", GGMLType::F32, {5}, four)),
            "tensor 'y': F32 [5] takes 20 bytes, 16 were given");
  EXPECT_EQ(w.numTensors(), 1u);

  TempDir dir;
  w.setAlignment(48);
  std::string e = writeError(w, dir.path("a.gguf"));
  EXPECT_NE(e.find("general.alignment must be a power-of-two u32"),
            std::string::npos)
      << e;
  w.set(kAlignmentKey, Value::u64(32));
  e = writeError(w, dir.path("a.gguf"));
  EXPECT_NE(e.find("general.alignment must be a power-of-two u32"),
            std::string::npos)
      << e;
  EXPECT_TRUE(dir.entries().empty());
}

//===----------------------------------------------------------------------===//
// Malformed files
//===----------------------------------------------------------------------===//

/// Hand-assembled GGUF bytes, independent of GGUFWriter.
struct Bytes {
  std::string s;
  Bytes &u32(uint32_t v) {
    char b[4];
    llvm::support::endian::write32le(b, v);
    s.append(b, 4);
    return *this;
  }
  Bytes &u64(uint64_t v) {
    char b[8];
    llvm::support::endian::write64le(b, v);
    s.append(b, 8);
    return *this;
  }
  Bytes &str(StringRef v) {
    u64(v.size());
    s.append(v.data(), v.size());
    return *this;
  }
  Bytes &raw(StringRef v) {
    s.append(v.data(), v.size());
    return *this;
  }
  Bytes &pad(size_t align) {
    while (s.size() % align)
      s.push_back('\0');
    return *this;
  }
};

struct TensorSpec {
  std::string name;
  std::vector<uint64_t> dims;
  uint32_t type;
  uint64_t offset;
};

/// A file with metadata given as raw key/type/value bytes, the given
/// tensor infos, and `dataBytes` bytes of data after the aligned header.
std::string assemble(ArrayRef<std::string> kvs, ArrayRef<TensorSpec> tensors,
                     size_t dataBytes, uint32_t version = 3,
                     size_t align = 32) {
  Bytes b;
  b.raw("GGUF").u32(version).u64(tensors.size()).u64(kvs.size());
  for (const std::string &kv : kvs)
    b.raw(kv);
  for (const TensorSpec &t : tensors) {
    b.str(t.name).u32(uint32_t(t.dims.size()));
    for (uint64_t d : t.dims)
      b.u64(d);
    b.u32(t.type).u64(t.offset);
  }
  b.pad(align);
  b.s.append(dataBytes, '\x11');
  return b.s;
}

std::string kvU32(StringRef key, uint32_t v) {
  return Bytes().str(key).u32(uint32_t(ValueType::UInt32)).u32(v).s;
}

std::string parseError(const std::string &bytes) {
  auto f = GGUFFile::fromBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(bytes, "bad.gguf"));
  if (f)
    return "";
  return llvm::toString(f.takeError());
}

#define EXPECT_PARSE_ERROR(bytes, fragment)                                    \
  do {                                                                         \
    std::string msg_ = parseError(bytes);                                      \
    EXPECT_EQ(msg_.rfind("bad.gguf: ", 0), 0u) << msg_;                        \
    EXPECT_NE(msg_.find(fragment), std::string::npos) << msg_;                 \
  } while (0)

TEST(GGUFMalformed, ValidBaseline) {
  std::string ok = assemble({kvU32("general.alignment", 32)},
                            {{"w", {32, 2}, uint32_t(GGMLType::Q8_0), 0},
                             {"v", {4}, uint32_t(GGMLType::F32), 96}},
                            112);
  EXPECT_EQ(parseError(ok), "");
}

TEST(GGUFMalformed, EveryTruncationIsAnError) {
  std::string ok = assemble(
      {kvU32("general.alignment", 32), Bytes()
                                           .str("tok")
                                           .u32(uint32_t(ValueType::Array))
                                           .u32(uint32_t(ValueType::String))
                                           .u64(2)
                                           .str("ab")
                                           .str("c")
                                           .s},
      {{"w", {32, 2}, uint32_t(GGMLType::Q8_0), 0}}, 68);
  ASSERT_EQ(parseError(ok), "");
  for (size_t n = 0; n < ok.size(); ++n) {
    std::string msg = parseError(ok.substr(0, n));
    ASSERT_EQ(msg.rfind("bad.gguf: ", 0), 0u) << n << ": " << msg;
    bool named = msg.find("truncated") != std::string::npos ||
                 msg.find("not a GGUF file") != std::string::npos ||
                 msg.find("runs past the end of the file") != std::string::npos;
    ASSERT_TRUE(named) << n << ": " << msg;
  }
}

TEST(GGUFMalformed, HeaderErrors) {
  std::string ok = assemble({}, {}, 0);
  std::string bad = ok;
  bad[3] = 'X';
  EXPECT_PARSE_ERROR(bad, "not a GGUF file: it starts with 'GGUX'");
  EXPECT_PARSE_ERROR(std::string("\x89PNG\r\n", 6), "starts with '\\x89PNG'");
  EXPECT_PARSE_ERROR(assemble({}, {}, 0, 1), "version 1 is not supported");
  EXPECT_PARSE_ERROR(assemble({}, {}, 0, 4), "unsupported GGUF version 4");
  EXPECT_PARSE_ERROR(assemble({}, {}, 0, 0x03000000),
                     "big-endian GGUF files are not supported");
  Bytes huge;
  huge.raw("GGUF").u32(3).u64(0).u64(1ull << 40);
  EXPECT_PARSE_ERROR(huge.s, "claims 1099511627776 metadata entries");
  Bytes many;
  many.raw("GGUF").u32(3).u64(1000).u64(0);
  EXPECT_PARSE_ERROR(many.s, "claims 1000 tensors");
}

TEST(GGUFMalformed, MetadataErrors) {
  EXPECT_PARSE_ERROR(assemble({kvU32("a", 1), kvU32("a", 2)}, {}, 0),
                     "duplicate metadata key 'a'");
  EXPECT_PARSE_ERROR(assemble({kvU32("", 1)}, {}, 0), "has an empty key");
  EXPECT_PARSE_ERROR(assemble({Bytes().str("k").u32(13).u32(0).s}, {}, 0),
                     "type of metadata key 'k' is 13, not a GGUF value type");
  EXPECT_PARSE_ERROR(
      assemble({Bytes().str("k").u32(uint32_t(ValueType::Bool)).raw("\x02").s},
               {}, 0),
      "metadata key 'k': bool value 2 is neither 0 nor 1");
  EXPECT_PARSE_ERROR(assemble({Bytes()
                                   .str("nest")
                                   .u32(uint32_t(ValueType::Array))
                                   .u32(uint32_t(ValueType::Array))
                                   .u64(0)
                                   .s},
                              {}, 0),
                     "metadata key 'nest' is an array of arrays");
  EXPECT_PARSE_ERROR(assemble({Bytes()
                                   .str("big")
                                   .u32(uint32_t(ValueType::Array))
                                   .u32(uint32_t(ValueType::Float32))
                                   .u64(1ull << 60)
                                   .s},
                              {}, 0),
                     "metadata key 'big' claims 1152921504606846976 f32");
  EXPECT_PARSE_ERROR(
      assemble(
          {Bytes().str("s").u32(uint32_t(ValueType::String)).u64(1ull << 50).s},
          {}, 0),
      "truncated: value of metadata key 's' needs "
      "1125899906842624 bytes");
  EXPECT_PARSE_ERROR(
      assemble({kvU32("general.alignment", 48)}, {}, 0),
      "general.alignment must be a power-of-two u32, got u32 48");
  EXPECT_PARSE_ERROR(
      assemble({Bytes()
                    .str("general.alignment")
                    .u32(uint32_t(ValueType::UInt64))
                    .u64(32)
                    .s},
               {}, 0),
      "general.alignment must be a power-of-two u32, got u64 32");
}

TEST(GGUFMalformed, TensorErrors) {
  uint32_t f32 = uint32_t(GGMLType::F32), q40 = uint32_t(GGMLType::Q4_0);
  EXPECT_PARSE_ERROR(assemble({}, {{"w", {8}, f32, 0}}, 16),
                     "tensor 'w' (F32 [8], bytes [0, 32) of the data section) "
                     "runs past the end of the file: the data section holds "
                     "16 bytes");
  EXPECT_PARSE_ERROR(assemble({}, {{"w", {8}, f32, 1ull << 62}}, 64),
                     "tensor 'w' (F32 [8], bytes [4611686018427387904");
  EXPECT_PARSE_ERROR(
      assemble({}, {{"w", {8}, 4, 0}}, 64),
      "tensor 'w' has type id 4, which is not a known ggml type");
  EXPECT_PARSE_ERROR(assemble({}, {{"w", {8}, 99, 0}}, 64),
                     "tensor 'w' has type id 99");
  EXPECT_PARSE_ERROR(assemble({}, {{"w", {8}, f32, 8}}, 64),
                     "tensor 'w' starts at data offset 8, not a multiple of "
                     "the alignment 32");
  EXPECT_PARSE_ERROR(
      assemble({}, {{"a", {16}, f32, 0}, {"b", {8}, f32, 32}}, 64),
      "tensors 'a' (bytes [0, 64)) and 'b' (bytes [32, 64)) overlap");
  EXPECT_PARSE_ERROR(
      assemble({}, {{"a", {8}, f32, 0}, {"a", {8}, f32, 32}}, 64),
      "duplicate tensor 'a'");
  EXPECT_PARSE_ERROR(assemble({}, {{"w", {1, 1, 1, 1, 8}, f32, 0}}, 64),
                     "tensor 'w' has 5 dimensions, at most 4 are allowed");
  EXPECT_PARSE_ERROR(assemble({}, {{"w", {30, 2}, q40, 0}}, 64),
                     "tensor 'w' of type Q4_0: rows of 30 values do not fill "
                     "whole blocks of 32");
  EXPECT_PARSE_ERROR(assemble({}, {{"w", {1ull << 63}, f32, 0}}, 64),
                     "tensor 'w': dimension 0 is 9223372036854775808, beyond "
                     "int64");
  EXPECT_PARSE_ERROR(
      assemble({}, {{"w", {1ull << 40, 1ull << 40}, f32, 0}}, 64),
      "tensor 'w': shape [1099511627776, 1099511627776] has "
      "more elements than int64 holds");
  EXPECT_PARSE_ERROR(assemble({}, {{std::string(64, 'n'), {8}, f32, 0}}, 64),
                     "name is 64 bytes long, ggml allows at most 63");
  EXPECT_PARSE_ERROR(assemble({}, {{"", {8}, f32, 0}}, 64),
                     "tensor 0 has an empty name");
  // A custom alignment applies to offsets too.
  EXPECT_PARSE_ERROR(assemble({kvU32("general.alignment", 64)},
                              {{"w", {8}, f32, 32}}, 128, 3, 64),
                     "not a multiple of the alignment 64");
  EXPECT_EQ(parseError(assemble({kvU32("general.alignment", 64)},
                                {{"w", {8}, f32, 64}}, 128, 3, 64)),
            "");
}

TEST(GGUFMalformed, OpenNamesThePath) {
  TempDir dir;
  std::string p = dir.path("missing.gguf");
  auto f = GGUFFile::open(p);
  ASSERT_FALSE(bool(f));
  std::string msg = llvm::toString(f.takeError());
  EXPECT_EQ(msg.rfind(p + ": cannot open", 0), 0u) << msg;
}

TEST(GGUFMalformed, ReadFloatsOfAnUnimplementedType) {
  std::string bytes =
      assemble({}, {{"iq", {256}, uint32_t(GGMLType::IQ2_XXS), 0}}, 66);
  auto f = GGUFFile::fromBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(bytes, "iq.gguf"));
  ASSERT_TRUE(bool(f)) << llvm::toString(f.takeError());
  auto v = (*f)->readFloats((*f)->tensors()[0]);
  ASSERT_FALSE(bool(v));
  EXPECT_EQ(llvm::toString(v.takeError()),
            "iq.gguf: tensor 'iq' has type IQ2_XXS, which cannot be converted "
            "to floats");
}

TEST(GGUFMalformed, ImatrixErrors) {
  TempDir dir;
  auto write = [&](StringRef name, bool withCounts, bool metadata) {
    GGUFWriter w;
    if (metadata) {
      w.set("imatrix.datasets",
            Value::stringArray(std::vector<std::string>{"d"}));
      w.set("imatrix.chunk_count", Value::u32(1));
      w.set("imatrix.chunk_size", Value::u32(4));
    }
    static std::vector<uint8_t> sums = bytesOf({1, 2, 3, 4}),
                                counts = bytesOf({2});
    EXPECT_FALSE(bool(w.addTensor("w.in_sum2", GGMLType::F32, {4}, sums)));
    if (withCounts)
      EXPECT_FALSE(bool(w.addTensor("w.counts", GGMLType::F32, {1}, counts)));
    std::string p = dir.path(name);
    EXPECT_FALSE(bool(w.write(p)));
    return p;
  };
  auto good = loadImportanceMatrix(write("good.gguf", true, true));
  ASSERT_TRUE(bool(good)) << llvm::toString(good.takeError());
  EXPECT_EQ(*good->lookup("w"), (std::vector<float>{0.5f, 1, 1.5f, 2}));
  std::string p = write("nocounts.gguf", false, true);
  auto m = loadImportanceMatrix(p);
  ASSERT_FALSE(bool(m));
  EXPECT_EQ(llvm::toString(m.takeError()),
            p + ": entry 'w' has sums but no counts");
  p = write("nometa.gguf", true, false);
  m = loadImportanceMatrix(p);
  ASSERT_FALSE(bool(m));
  EXPECT_NE(llvm::toString(m.takeError()).find("not an importance matrix"),
            std::string::npos);
}

//===----------------------------------------------------------------------===//
// quantizeMatrix input checks
//===----------------------------------------------------------------------===//

TEST(GGUFQuantizeMatrix, RejectsBadInput) {
  std::vector<float> x(64, 1.0f);
  std::vector<uint8_t> out(36);
  auto err = [](llvm::Error e) {
    return e ? llvm::toString(std::move(e)) : std::string();
  };
  EXPECT_EQ(err(quantizeMatrix(GGMLType::Q4_0, x, 32, out, {}, "m.gguf: w")),
            "");
  x[35] = std::nanf("");
  EXPECT_EQ(err(quantizeMatrix(GGMLType::Q4_0, x, 32, out, {}, "m.gguf: w")),
            "m.gguf: w: value nan at row 1, column 3 is not finite");
  x[35] = 1.0f;
  EXPECT_EQ(err(quantizeMatrix(GGMLType::Q4_K, x, 64, out, {}, "w")),
            "w: rows of 64 values do not fill whole Q4_K blocks of 256 (see "
            "chooseFallback)");
  EXPECT_EQ(err(quantizeMatrix(GGMLType::Q8_K, x, 256, out, {}, "w")),
            "w: quantizing to Q8_K is not implemented");
  std::vector<uint8_t> small(10);
  EXPECT_EQ(err(quantizeMatrix(GGMLType::Q4_0, x, 32, small, {}, "w")),
            "w: output holds 10 bytes, 2 rows of Q4_0 need 36");
  std::vector<float> imp(32, 1.0f);
  imp[4] = -1;
  EXPECT_EQ(err(quantizeMatrix(GGMLType::Q4_0, x, 32, out, imp, "w")),
            "w: importance[4] = -1 is not a finite non-negative weight");
  EXPECT_EQ(err(quantizeMatrix(GGMLType::Q4_0, x, 32, out,
                               std::vector<float>(31, 1.0f), "w")),
            "w: importance has 31 entries, rows have 32");
  EXPECT_EQ(err(quantizeMatrix(GGMLType::Q4_0, x, 48, out, {}, "w")),
            "w: rows of 48 values do not fill whole Q4_0 blocks of 32 (see "
            "chooseFallback)");
}

//===----------------------------------------------------------------------===//
// Live comparison with a libggml-base.so (QC_GGML_LIB)
//===----------------------------------------------------------------------===//

TEST(GGUFLibggml, MatchesLiveLibrary) {
  const char *lib = std::getenv("QC_GGML_LIB");
  if (!lib)
    GTEST_SKIP() << "set QC_GGML_LIB to llama.cpp's libggml-base.so to "
                    "compare against it live";
  std::string error;
  auto dl = llvm::sys::DynamicLibrary::getPermanentLibrary(lib, &error);
  ASSERT_TRUE(dl.isValid()) << error;
  using QuantizeChunk = size_t (*)(int, const float *, void *, int64_t, int64_t,
                                   int64_t, const float *);
  using QuantizeInit = void (*)(int);
  using Dequantize = void (*)(const void *, float *, int64_t);
  using ToHalf = uint16_t (*)(float);
  auto chunk = reinterpret_cast<QuantizeChunk>(
      dl.getAddressOfSymbol("ggml_quantize_chunk"));
  auto init = reinterpret_cast<QuantizeInit>(
      dl.getAddressOfSymbol("ggml_quantize_init"));
  auto toHalf =
      reinterpret_cast<ToHalf>(dl.getAddressOfSymbol("ggml_fp32_to_fp16"));
  ASSERT_TRUE(chunk && init && toHalf);

  for (uint64_t u = 0; u < (1ull << 32); u += 997) {
    uint32_t bits = uint32_t(u);
    float f;
    std::memcpy(&f, &bits, 4);
    ASSERT_EQ(floatToHalf(f), toHalf(f)) << f;
  }
  const std::map<GGMLType, const char *> dequantizers = {
      {GGMLType::Q4_0, "dequantize_row_q4_0"},
      {GGMLType::Q4_1, "dequantize_row_q4_1"},
      {GGMLType::Q5_0, "dequantize_row_q5_0"},
      {GGMLType::Q5_1, "dequantize_row_q5_1"},
      {GGMLType::Q8_0, "dequantize_row_q8_0"},
      {GGMLType::IQ4_NL, "dequantize_row_iq4_nl"},
      {GGMLType::Q2_K, "dequantize_row_q2_K"},
      {GGMLType::Q3_K, "dequantize_row_q3_K"},
      {GGMLType::Q4_K, "dequantize_row_q4_K"},
      {GGMLType::Q5_K, "dequantize_row_q5_K"},
      {GGMLType::Q6_K, "dequantize_row_q6_K"},
  };
  int compared = 0;
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    int64_t rowLength = seed % 3 == 0 ? 256 : seed % 3 == 1 ? 512 : 1024;
    std::vector<float> x = syntheticRows(26, int(rowLength), seed * 7919);
    std::vector<float> imp = syntheticImportance(int(rowLength), seed);
    int64_t rows = int64_t(x.size()) / rowLength;
    for (const BlockFormat &f : blockFormats()) {
      if (f.type == GGMLType::F32)
        continue;
      init(int(f.type));
      for (bool weighted : {false, true}) {
        std::vector<uint8_t> theirs(size_t(rows) * rowSize(f.type, rowLength));
        chunk(int(f.type), x.data(), theirs.data(), 0, rows, rowLength,
              weighted ? imp.data() : nullptr);
        std::vector<uint8_t> ours =
            quantize(f.type, x, rowLength,
                     weighted ? ArrayRef<float>(imp) : ArrayRef<float>());
        ASSERT_TRUE(ours == theirs) << tname(f.type) << " seed " << seed
                                    << (weighted ? " with importance" : "");
        auto it = dequantizers.find(f.type);
        if (it == dequantizers.end())
          continue;
        auto deq =
            reinterpret_cast<Dequantize>(dl.getAddressOfSymbol(it->second));
        ASSERT_TRUE(deq) << it->second;
        std::vector<float> a(x.size());
        deq(theirs.data(), a.data(), int64_t(x.size()));
        std::vector<float> b = dequantize(f.type, ours, rowLength);
        ASSERT_EQ(std::memcmp(a.data(), b.data(), a.size() * 4), 0)
            << tname(f.type) << " dequantized, seed " << seed;
        ++compared;
      }
    }
  }
  EXPECT_EQ(compared, 12 * 11 * 2);
}

} // namespace
