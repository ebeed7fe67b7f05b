//===- SafetensorsTest.cpp - safetensors files, shards, Llama config.json -===//
//
// Part of quantc. Every test writes its files into a fresh temporary
// directory: the 8-byte header length, the JSON header, the data.
//
//===----------------------------------------------------------------------===//

#include "qc/Import/Safetensors/LlamaConfig.h"
#include "qc/Import/Safetensors/Safetensors.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

using namespace mlir::qc::safetensors;
using llvm::StringRef;
namespace fs = llvm::sys::fs;

namespace {

class TempDir {
public:
  TempDir() {
    EXPECT_FALSE(fs::createUniqueDirectory("qc-safetensors", root));
  }
  ~TempDir() { fs::remove_directories(root); }
  std::string path(StringRef name) const {
    llvm::SmallString<256> p(root);
    llvm::sys::path::append(p, name);
    return std::string(p);
  }
  std::string write(StringRef name, StringRef bytes) const {
    std::string p = path(name);
    std::error_code ec;
    llvm::raw_fd_ostream os(p, ec);
    EXPECT_FALSE(ec) << ec.message();
    os << bytes;
    return p;
  }
  std::string dir() const { return std::string(root); }

private:
  llvm::SmallString<256> root;
};

std::string le64(uint64_t v) {
  char b[8];
  llvm::support::endian::write64le(b, v);
  return std::string(b, 8);
}

/// A file from its header text and data bytes.
std::string fileBytes(StringRef header, StringRef data) {
  return le64(header.size()) + header.str() + data.str();
}

template <typename T> std::string bytesOf(const std::vector<T> &v) {
  return std::string(reinterpret_cast<const char *>(v.data()),
                     v.size() * sizeof(T));
}

/// A tensor to write: name, dtype, shape, raw little-endian data.
struct Spec {
  std::string name, dtype;
  std::vector<int64_t> shape;
  std::string data;
};

/// A well-formed file: tensors back to back, in the given order.
std::string makeFile(const std::vector<Spec> &specs,
                     StringRef metadata = "") {
  std::string header = "{";
  std::string data;
  bool first = true;
  if (!metadata.empty()) {
    header += "\"__metadata__\":" + metadata.str();
    first = false;
  }
  for (const Spec &s : specs) {
    if (!first)
      header += ",";
    first = false;
    header += "\"" + s.name + "\":{\"dtype\":\"" + s.dtype + "\",\"shape\":[";
    for (size_t i = 0; i < s.shape.size(); ++i)
      header += (i ? "," : "") + std::to_string(s.shape[i]);
    header += "],\"data_offsets\":[" + std::to_string(data.size()) + "," +
              std::to_string(data.size() + s.data.size()) + "]}";
    data += s.data;
  }
  header += "}";
  // Pad the header with spaces to a multiple of 8, as writers do.
  while (header.size() % 8)
    header += ' ';
  return fileBytes(header, data);
}

std::string errorText(llvm::Error e) { return llvm::toString(std::move(e)); }

template <typename T> std::string errorOf(llvm::Expected<T> v) {
  if (v)
    return "(no error)";
  return errorText(v.takeError());
}

#define EXPECT_ERROR_HAS(expr, fragment)                                       \
  do {                                                                         \
    std::string msg = errorOf(expr);                                           \
    EXPECT_NE(msg.find(fragment), std::string::npos)                           \
        << "error: " << msg << "\nexpected to contain: " << fragment;          \
  } while (0)

float refHalf(uint16_t bits) {
  llvm::APFloat f(llvm::APFloat::IEEEhalf(), llvm::APInt(16, bits));
  bool lost;
  f.convert(llvm::APFloat::IEEEsingle(), llvm::APFloat::rmNearestTiesToEven,
            &lost);
  return f.convertToFloat();
}

float refBFloat(uint16_t bits) {
  llvm::APFloat f(llvm::APFloat::BFloat(), llvm::APInt(16, bits));
  bool lost;
  f.convert(llvm::APFloat::IEEEsingle(), llvm::APFloat::rmNearestTiesToEven,
            &lost);
  return f.convertToFloat();
}

void expectSameFloat(float got, float want, uint16_t bits) {
  if (std::isnan(want)) {
    EXPECT_TRUE(std::isnan(got)) << "bits 0x" << std::hex << bits;
    EXPECT_EQ(std::signbit(got), std::signbit(want)) << std::hex << bits;
    return;
  }
  uint32_t g, w;
  std::memcpy(&g, &got, 4);
  std::memcpy(&w, &want, 4);
  EXPECT_EQ(g, w) << "bits 0x" << std::hex << bits << ": " << got << " vs "
                  << want;
}

//===----------------------------------------------------------------------===//
// Element conversion
//===----------------------------------------------------------------------===//

TEST(SafetensorsConvert, EveryHalfMatchesAPFloat) {
  for (uint32_t b = 0; b < 0x10000; ++b)
    expectSameFloat(halfToFloat(uint16_t(b)), refHalf(uint16_t(b)),
                    uint16_t(b));
}

TEST(SafetensorsConvert, EveryBFloat16MatchesAPFloat) {
  for (uint32_t b = 0; b < 0x10000; ++b)
    expectSameFloat(bfloat16ToFloat(uint16_t(b)), refBFloat(uint16_t(b)),
                    uint16_t(b));
}

TEST(SafetensorsConvert, HalfEdges) {
  EXPECT_EQ(halfToFloat(0x0001), std::ldexp(1.0f, -24)); // smallest subnormal
  EXPECT_EQ(halfToFloat(0x03ff), std::ldexp(1023.0f, -24)); // largest one
  EXPECT_EQ(halfToFloat(0x0400), std::ldexp(1.0f, -14));  // smallest normal
  EXPECT_EQ(halfToFloat(0x7bff), 65504.0f);
  EXPECT_EQ(halfToFloat(0x7c00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(halfToFloat(0xfc00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(halfToFloat(0x7e00)));
  EXPECT_TRUE(std::isnan(halfToFloat(0x7c01))); // signalling NaN stays NaN
  EXPECT_TRUE(std::signbit(halfToFloat(0x8000)));
  EXPECT_EQ(halfToFloat(0x3c00), 1.0f);
  EXPECT_EQ(halfToFloat(0xc000), -2.0f);
  EXPECT_EQ(bfloat16ToFloat(0x3f80), 1.0f);
  EXPECT_EQ(bfloat16ToFloat(0x0001), std::ldexp(1.0f, -133));
}

//===----------------------------------------------------------------------===//
// Valid files
//===----------------------------------------------------------------------===//

TEST(SafetensorsFile, RoundTripsF32F16BF16) {
  TempDir dir;
  std::vector<float> f32 = {0.0f, -1.5f, 3.25f, 1e-40f /* subnormal */,
                            std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::quiet_NaN()};
  // +0, -0, 1, smallest subnormal, a subnormal, 65504, inf, -inf, NaN
  std::vector<uint16_t> f16 = {0x0000, 0x8000, 0x3c00, 0x0001,
                               0x0234, 0x7bff, 0x7c00, 0xfc00, 0x7e00};
  std::vector<uint16_t> bf16 = {0x3f80, 0xc0a0, 0x0001, 0x7f80,
                                0xff80, 0x7fc0, 0x8000, 0x4049};
  std::vector<double> f64 = {0.1, -2.0};
  std::vector<int32_t> i32 = {-7, 1 << 30};
  std::string path = dir.write(
      "m.safetensors",
      makeFile({{"a.f32", "F32", {2, 3}, bytesOf(f32)},
                {"b.f16", "F16", {9}, bytesOf(f16)},
                {"c.bf16", "BF16", {2, 2, 2}, bytesOf(bf16)},
                {"d.f64", "F64", {2}, bytesOf(f64)},
                {"e.i32", "I32", {2, 1}, bytesOf(i32)},
                {"f.scalar", "U8", {}, std::string(1, '\x2a')},
                {"g.empty", "F32", {0, 4}, ""}},
               R"({"format":"pt","note":"hi"})"));
  auto file = SafetensorsFile::open(path);
  ASSERT_TRUE(bool(file)) << errorText(file.takeError());
  EXPECT_EQ((*file)->tensors().size(), 7u);
  EXPECT_EQ((*file)->metadata().at("format"), "pt");
  EXPECT_EQ((*file)->metadata().at("note"), "hi");

  const TensorView *a = (*file)->lookup("a.f32");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->dtype, DType::F32);
  EXPECT_EQ(a->shape, (llvm::SmallVector<int64_t, 4>{2, 3}));
  EXPECT_EQ(a->numElements(), 6u);
  EXPECT_EQ(a->numBytes(), 24u);
  EXPECT_EQ(std::memcmp(a->data, f32.data(), 24), 0);
  auto av = a->toF32();
  ASSERT_TRUE(bool(av));
  for (size_t i = 0; i < f32.size(); ++i)
    expectSameFloat((*av)[i], f32[i], uint16_t(i));

  const TensorView *b = (*file)->lookup("b.f16");
  ASSERT_TRUE(b);
  auto bv = b->toF32();
  ASSERT_TRUE(bool(bv));
  for (size_t i = 0; i < f16.size(); ++i)
    expectSameFloat((*bv)[i], refHalf(f16[i]), f16[i]);
  EXPECT_EQ((*bv)[3], std::ldexp(1.0f, -24));
  EXPECT_EQ((*bv)[4], std::ldexp(float(0x234), -24));
  EXPECT_TRUE(std::isinf((*bv)[6]) && (*bv)[6] > 0);
  EXPECT_TRUE(std::isinf((*bv)[7]) && (*bv)[7] < 0);
  EXPECT_TRUE(std::isnan((*bv)[8]));

  const TensorView *c = (*file)->lookup("c.bf16");
  ASSERT_TRUE(c);
  auto cv = c->toF32();
  ASSERT_TRUE(bool(cv));
  for (size_t i = 0; i < bf16.size(); ++i)
    expectSameFloat((*cv)[i], refBFloat(bf16[i]), bf16[i]);
  EXPECT_EQ((*cv)[1], -5.0f);

  auto dv = (*file)->lookup("d.f64")->toF32();
  ASSERT_TRUE(bool(dv));
  EXPECT_EQ((*dv)[0], 0.1f);
  EXPECT_EQ((*dv)[1], -2.0f);

  const TensorView *e = (*file)->lookup("e.i32");
  ASSERT_TRUE(e);
  int32_t e1;
  std::memcpy(&e1, e->data + 4, 4);
  EXPECT_EQ(e1, 1 << 30);
  EXPECT_NE(errorOf(e->toF32()).find("does not convert to f32"),
            std::string::npos);

  const TensorView *f = (*file)->lookup("f.scalar");
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->shape.empty());
  EXPECT_EQ(f->numElements(), 1u);
  EXPECT_EQ(f->data[0], 42);

  const TensorView *g = (*file)->lookup("g.empty");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->numElements(), 0u);
  EXPECT_EQ(g->numBytes(), 0u);
  EXPECT_FALSE((*file)->lookup("nope"));

  // Tensors come by offset.
  for (size_t i = 1; i < (*file)->tensors().size(); ++i)
    EXPECT_LE((*file)->tensors()[i - 1].begin, (*file)->tensors()[i].begin);
}

TEST(SafetensorsFile, EmptyHeaderAndOutOfOrderOffsets) {
  TempDir dir;
  auto empty = SafetensorsFile::open(dir.write("e.safetensors",
                                               fileBytes("{}", "")));
  ASSERT_TRUE(bool(empty)) << errorText(empty.takeError());
  EXPECT_TRUE((*empty)->tensors().empty());

  // Header order differs from data order; a gap between tensors is fine.
  std::string header = R"({"late":{"dtype":"U8","shape":[2],"data_offsets":[6,8]},)"
                       R"("early":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}})";
  auto file = SafetensorsFile::open(
      dir.write("o.safetensors", fileBytes(header, "abcdefgh")));
  ASSERT_TRUE(bool(file)) << errorText(file.takeError());
  ASSERT_EQ((*file)->tensors().size(), 2u);
  EXPECT_EQ((*file)->tensors()[0].name, "early");
  EXPECT_EQ(StringRef(reinterpret_cast<const char *>(
                          (*file)->lookup("late")->data),
                      2),
            "gh");
}

//===----------------------------------------------------------------------===//
// Malformed files
//===----------------------------------------------------------------------===//

struct Malformed {
  const char *what;
  std::string bytes;
  const char *fragment;
};

std::string entry(StringRef name, StringRef body) {
  return "{\"" + name.str() + "\":" + body.str() + "}";
}

TEST(SafetensorsFile, MalformedFilesAreRejectedWithClearErrors) {
  std::vector<Malformed> cases = {
      {"empty", "", "too short for the 8-byte header length"},
      {"truncated length", std::string("\x10\x00\x00", 3),
       "the file is 3 bytes, too short for the 8-byte header length"},
      {"header past the end", le64(100) + "{}",
       "header length 100 runs past the end of the file (10 bytes)"},
      {"absurd header length", le64(uint64_t(1) << 40) + "{}",
       "header length 1099511627776 exceeds the limit of 100000000 bytes"},
      {"bad JSON", fileBytes("{\"a\": {", ""),
       "the header is not valid JSON"},
      {"JSON array", fileBytes("[1, 2]", ""),
       "the header is not a JSON object"},
      {"entry not object", fileBytes(entry("w", "3"), ""),
       "tensor 'w': the header entry is not a JSON object"},
      {"missing dtype",
       fileBytes(entry("w", R"({"shape":[1],"data_offsets":[0,4]})"),
                 "abcd"),
       "tensor 'w': missing 'dtype'"},
      {"missing shape",
       fileBytes(entry("w", R"({"dtype":"F32","data_offsets":[0,4]})"),
                 "abcd"),
       "tensor 'w': missing 'shape'"},
      {"missing offsets",
       fileBytes(entry("w", R"({"dtype":"F32","shape":[1]})"), "abcd"),
       "tensor 'w': missing 'data_offsets'"},
      {"unknown dtype",
       fileBytes(entry("w", R"({"dtype":"Q4_0","shape":[1],"data_offsets":[0,4]})"),
                 "abcd"),
       "tensor 'w': unknown dtype 'Q4_0' (known: BOOL, U8, I8"},
      {"dtype not string",
       fileBytes(entry("w", R"({"dtype":7,"shape":[1],"data_offsets":[0,4]})"),
                 "abcd"),
       "tensor 'w': 'dtype' is not a string"},
      {"negative dim",
       fileBytes(entry("w", R"({"dtype":"F32","shape":[2,-1],"data_offsets":[0,4]})"),
                 "abcd"),
       "tensor 'w': shape dimension 1 is negative (-1)"},
      {"fractional dim",
       fileBytes(entry("w", R"({"dtype":"F32","shape":[1.5],"data_offsets":[0,4]})"),
                 "abcd"),
       "tensor 'w': shape dimension 0 is not an integer"},
      {"absurd shape",
       fileBytes(entry("w", R"({"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]})"),
                 "abcd"),
       "tensor 'w': shape [4294967296, 4294967296] of F32 is too large: its "
       "byte size overflows 64 bits"},
      {"absurd shape by dtype size",
       fileBytes(entry("w", R"({"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,4]})"),
                 "abcd"),
       "byte size overflows 64 bits"},
      {"size mismatch",
       fileBytes(entry("w", R"({"dtype":"F32","shape":[2],"data_offsets":[0,4]})"),
                 "abcdefgh"),
       "tensor 'w': data_offsets [0, 4] hold 4 bytes, but shape [2] of F32 "
       "needs 8"},
      {"offsets out of bounds",
       fileBytes(entry("w", R"({"dtype":"F32","shape":[2],"data_offsets":[4,12]})"),
                 "abcdefgh"),
       "tensor 'w': data_offsets [4, 12] lie outside the data section (8 "
       "bytes)"},
      {"offsets reversed",
       fileBytes(entry("w", R"({"dtype":"U8","shape":[0],"data_offsets":[4,0]})"),
                 "abcd"),
       "tensor 'w': data_offsets [4, 0] end before they begin"},
      {"offsets not a pair",
       fileBytes(entry("w", R"({"dtype":"U8","shape":[1],"data_offsets":[0]})"),
                 "abcd"),
       "tensor 'w': 'data_offsets' is not [begin, end]"},
      {"negative offset",
       fileBytes(entry("w", R"({"dtype":"U8","shape":[1],"data_offsets":[-1,0]})"),
                 "abcd"),
       "tensor 'w': 'data_offsets' is not [begin, end]"},
      {"overlap",
       fileBytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                 R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                 "abcdefgh"),
       "tensors 'a' [0, 8] and 'b' [4, 8] overlap"},
      {"overlap behind a small tensor",
       fileBytes(R"({"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},)"
                 R"("b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},)"
                 R"("c":{"dtype":"U8","shape":[1],"data_offsets":[6,7]}})",
                 "abcdefgh"),
       "tensors 'a' [0, 8] and 'b' [1, 2] overlap"},
      {"duplicate tensor",
       fileBytes(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                 R"("a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
                 "ab"),
       "the header names 'a' twice"},
      {"duplicate key inside entries is not a duplicate tensor",
       fileBytes(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                 R"("b":{"dtype":"U8","shape":[1],"data_offsets":[1,3]},)"
                 R"("c":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}, "x\"a\"":1})",
                 "ab"),
       "tensor 'b': data_offsets [1, 3] lie outside"},
      {"metadata not strings",
       fileBytes(R"({"__metadata__":{"n":3}})", ""),
       "'__metadata__' entry 'n' is not a string"},
      {"metadata not object", fileBytes(R"({"__metadata__":[]})", ""),
       "'__metadata__' is not a JSON object"},
  };
  TempDir dir;
  for (auto [i, c] : llvm::enumerate(cases)) {
    std::string name = "bad" + std::to_string(i) + ".safetensors";
    std::string path = dir.write(name, c.bytes);
    std::string msg = errorOf(SafetensorsFile::open(path));
    EXPECT_NE(msg.find(c.fragment), std::string::npos)
        << c.what << ": got '" << msg << "', expected '" << c.fragment << "'";
    // Every message starts with the file.
    EXPECT_EQ(msg.rfind(path + ": ", 0), 0u) << c.what << ": " << msg;
  }
}

TEST(SafetensorsFile, MissingFileAndDirectory) {
  TempDir dir;
  EXPECT_ERROR_HAS(SafetensorsFile::open(dir.path("none.safetensors")),
                   "none.safetensors: No such file or directory");
  EXPECT_ERROR_HAS(SafetensorsFile::open(dir.dir()), "is a directory");
}

//===----------------------------------------------------------------------===//
// Sharded models
//===----------------------------------------------------------------------===//

std::string f32Bytes(size_t n, float start) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = start + float(i);
  return bytesOf(v);
}

TEST(SafetensorsModel, ShardedIndexJoinsTheShards) {
  TempDir dir;
  dir.write("model-00001-of-00002.safetensors",
            makeFile({{"a", "F32", {2}, f32Bytes(2, 1)},
                      {"b", "F32", {3}, f32Bytes(3, 10)}}));
  dir.write("model-00002-of-00002.safetensors",
            makeFile({{"c", "F32", {1}, f32Bytes(1, 100)}}));
  dir.write("model.safetensors.index.json", R"({
    "metadata": {"total_size": 24},
    "weight_map": {"a": "model-00001-of-00002.safetensors",
                   "b": "model-00001-of-00002.safetensors",
                   "c": "model-00002-of-00002.safetensors"}})");
  // The directory finds the index.
  auto model = SafetensorsModel::open(dir.dir());
  ASSERT_TRUE(bool(model)) << errorText(model.takeError());
  EXPECT_TRUE((*model)->isSharded());
  EXPECT_EQ((*model)->shards().size(), 2u);
  EXPECT_EQ((*model)->totalBytes(), 24u);
  auto all = (*model)->tensors();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0]->name, "a");
  EXPECT_EQ(all[2]->name, "c");
  auto c = (*model)->lookup("c")->toF32();
  ASSERT_TRUE(bool(c));
  EXPECT_EQ((*c)[0], 100.0f);
  EXPECT_EQ(llvm::sys::path::filename((*model)->shardOf("b")->path()),
            "model-00001-of-00002.safetensors");
  EXPECT_FALSE((*model)->lookup("d"));

  std::string listing;
  llvm::raw_string_ostream os(listing);
  printTensorList(os, **model);
  EXPECT_NE(listing.find("3 tensors in 2 shards, 24 bytes"), std::string::npos)
      << listing;
  EXPECT_NE(listing.find("model-00002-of-00002.safetensors"), std::string::npos);
}

TEST(SafetensorsModel, SingleFileAndDirectoryWithoutWeights) {
  TempDir dir;
  dir.write("model.safetensors", makeFile({{"x", "F16", {1}, std::string("\x00\x3c", 2)}}));
  auto model = SafetensorsModel::open(dir.dir());
  ASSERT_TRUE(bool(model)) << errorText(model.takeError());
  EXPECT_FALSE((*model)->isSharded());
  EXPECT_EQ((*(*model)->lookup("x")->toF32())[0], 1.0f);

  TempDir empty;
  EXPECT_ERROR_HAS(SafetensorsModel::open(empty.dir()),
                   "holds neither model.safetensors.index.json nor "
                   "model.safetensors");
}

TEST(SafetensorsModel, BadIndexes) {
  TempDir dir;
  dir.write("s1.safetensors", makeFile({{"a", "F32", {1}, f32Bytes(1, 0)},
                                        {"b", "F32", {1}, f32Bytes(1, 0)}}));
  dir.write("s2.safetensors", makeFile({{"b", "F32", {1}, f32Bytes(1, 0)}}));
  dir.write("s3.safetensors", makeFile({{"c", "F32", {1}, f32Bytes(1, 0)}}));

  EXPECT_ERROR_HAS(
      SafetensorsModel::open(dir.write(
          "missing.json",
          R"({"weight_map":{"a":"s1.safetensors","z":"gone.safetensors"}})")),
      "missing.json: shard 'gone.safetensors' (holding 'z'): ");
  EXPECT_ERROR_HAS(
      SafetensorsModel::open(dir.write(
          "missing.json",
          R"({"weight_map":{"a":"s1.safetensors","z":"gone.safetensors"}})")),
      "gone.safetensors: No such file or directory");
  EXPECT_ERROR_HAS(
      SafetensorsModel::open(dir.write(
          "twice.json",
          R"({"weight_map":{"a":"s1.safetensors","b":"s2.safetensors"}})")),
      "twice.json: tensor 'b' is in two shards, 's1.safetensors' and "
      "'s2.safetensors'");
  EXPECT_ERROR_HAS(
      SafetensorsModel::open(dir.write(
          "absent.json",
          R"({"weight_map":{"a":"s1.safetensors","c":"s1.safetensors"}})")),
      "absent.json: tensor 'c' is mapped to shard 's1.safetensors', which "
      "does not hold it");
  EXPECT_ERROR_HAS(SafetensorsModel::open(dir.write("nomap.json", "{}")),
                   "nomap.json: missing 'weight_map'");
  EXPECT_ERROR_HAS(
      SafetensorsModel::open(dir.write("emptymap.json", R"({"weight_map":{}})")),
      "'weight_map' names no tensors");
  EXPECT_ERROR_HAS(
      SafetensorsModel::open(dir.write("num.json", R"({"weight_map":{"a":1}})")),
      "'weight_map' entry for tensor 'a' is not a string");
  EXPECT_ERROR_HAS(
      SafetensorsModel::open(
          dir.write("up.json", R"({"weight_map":{"a":"../s1.safetensors"}})")),
      "shard '../s1.safetensors' of tensor 'a' is not a path relative to the "
      "index's directory");
  EXPECT_ERROR_HAS(
      SafetensorsModel::open(
          dir.write("abs.json", R"({"weight_map":{"a":"/etc/passwd"}})")),
      "is not a path relative to the index's directory");
  EXPECT_ERROR_HAS(SafetensorsModel::open(dir.write("bad.json", "{")),
                   "bad.json: not valid JSON");
  // A broken shard reports the shard's own error.
  dir.write("broken.safetensors", le64(99));
  EXPECT_ERROR_HAS(
      SafetensorsModel::open(dir.write(
          "broken.json", R"({"weight_map":{"q":"broken.safetensors"}})")),
      "broken.safetensors: header length 99 runs past the end of the file");
}

//===----------------------------------------------------------------------===//
// config.json
//===----------------------------------------------------------------------===//

const char *kTinyLlama = R"({
  "architectures": ["LlamaForCausalLM"],
  "model_type": "llama",
  "hidden_size": 16,
  "intermediate_size": 40,
  "num_hidden_layers": 2,
  "num_attention_heads": 4,
  "num_key_value_heads": 2,
  "vocab_size": 32,
  "max_position_embeddings": 128,
  "rms_norm_eps": 1e-05,
  "rope_theta": 500000.0,
  "tie_word_embeddings": false,
  "torch_dtype": "bfloat16",
  "rope_scaling": null
})";

TEST(LlamaConfig, ParsesAndDefaults) {
  auto c = parseLlamaConfig(kTinyLlama, "config.json");
  ASSERT_TRUE(bool(c)) << errorText(c.takeError());
  EXPECT_EQ(c->hiddenSize, 16);
  EXPECT_EQ(c->intermediateSize, 40);
  EXPECT_EQ(c->numHiddenLayers, 2);
  EXPECT_EQ(c->numAttentionHeads, 4);
  EXPECT_EQ(c->numKeyValueHeads, 2);
  EXPECT_EQ(c->headDim, 4);
  EXPECT_EQ(c->vocabSize, 32);
  EXPECT_EQ(c->maxPositionEmbeddings, 128);
  EXPECT_DOUBLE_EQ(c->rmsNormEps, 1e-5);
  EXPECT_DOUBLE_EQ(c->ropeTheta, 500000.0);
  EXPECT_FALSE(c->tieWordEmbeddings);
  EXPECT_EQ(c->architectures, std::vector<std::string>{"LlamaForCausalLM"});
  EXPECT_EQ(c->torchDtype, "bfloat16");
  EXPECT_EQ(c->modelType, "llama");

  auto d = parseLlamaConfig(R"({"hidden_size": 64, "intermediate_size": 128,
      "num_hidden_layers": 1, "num_attention_heads": 8, "vocab_size": 100,
      "tie_word_embeddings": true, "num_key_value_heads": null})",
                            "d.json");
  ASSERT_TRUE(bool(d)) << errorText(d.takeError());
  EXPECT_EQ(d->numKeyValueHeads, 8);
  EXPECT_EQ(d->headDim, 8);
  EXPECT_DOUBLE_EQ(d->ropeTheta, 10000.0);
  EXPECT_TRUE(d->tieWordEmbeddings);
  EXPECT_EQ(d->maxPositionEmbeddings, 2048);
  EXPECT_TRUE(d->architectures.empty());

  // Mistral-style explicit head_dim, and the newer "dtype" key.
  auto m = parseLlamaConfig(R"({"architectures": ["MistralForCausalLM"],
      "hidden_size": 80, "intermediate_size": 128, "num_hidden_layers": 1,
      "num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 16,
      "vocab_size": 100, "dtype": "float16"})",
                            "m.json");
  ASSERT_TRUE(bool(m)) << errorText(m.takeError());
  EXPECT_EQ(m->headDim, 16);
  EXPECT_EQ(m->qDim(), 64);
  EXPECT_EQ(m->kvDim(), 16);
  EXPECT_EQ(m->torchDtype, "float16");
}

TEST(LlamaConfig, InvalidConfigs) {
  const char *base = R"("intermediate_size": 40, "num_hidden_layers": 2,
      "vocab_size": 32)";
  auto cfg = [&](const std::string &extra) {
    return "{" + std::string(base) + "," + extra + "}";
  };
  EXPECT_ERROR_HAS(parseLlamaConfig("{", "c.json"), "c.json: not valid JSON");
  EXPECT_ERROR_HAS(parseLlamaConfig("[]", "c.json"),
                   "c.json: the configuration is not a JSON object");
  EXPECT_ERROR_HAS(parseLlamaConfig(cfg(R"("num_attention_heads": 4)"),
                                    "c.json"),
                   "c.json: missing 'hidden_size'");
  EXPECT_ERROR_HAS(
      parseLlamaConfig(cfg(R"("hidden_size": 18, "num_attention_heads": 4)"),
                       "c.json"),
      "num_attention_heads (4) does not divide hidden_size (18)");
  EXPECT_ERROR_HAS(
      parseLlamaConfig(cfg(R"("hidden_size": 16, "num_attention_heads": 4,
                              "num_key_value_heads": 3)"),
                       "c.json"),
      "num_key_value_heads (3) does not divide num_attention_heads (4)");
  EXPECT_ERROR_HAS(
      parseLlamaConfig(cfg(R"("hidden_size": 0, "num_attention_heads": 4)"),
                       "c.json"),
      "'hidden_size' must be positive (got 0)");
  EXPECT_ERROR_HAS(
      parseLlamaConfig(cfg(R"("hidden_size": "16", "num_attention_heads": 4)"),
                       "c.json"),
      "'hidden_size' is not an integer");
  EXPECT_ERROR_HAS(
      parseLlamaConfig(cfg(R"("hidden_size": 16, "num_attention_heads": 4,
                              "rms_norm_eps": -1)"),
                       "c.json"),
      "'rms_norm_eps' must be positive");
  EXPECT_ERROR_HAS(
      parseLlamaConfig(cfg(R"("hidden_size": 16, "num_attention_heads": 4,
                              "tie_word_embeddings": "yes")"),
                       "c.json"),
      "'tie_word_embeddings' is not true or false");
  EXPECT_ERROR_HAS(
      parseLlamaConfig(cfg(R"("hidden_size": 16, "num_attention_heads": 4,
                              "architectures": "LlamaForCausalLM")"),
                       "c.json"),
      "'architectures' is not an array of strings");
  TempDir dir;
  EXPECT_ERROR_HAS(loadLlamaConfig(dir.path("config.json")),
                   "config.json: No such file or directory");
}

/// Writes the weights `config` calls for, F16, with one tensor optionally
/// left out or reshaped.
std::string writeLlama(const TempDir &dir, const LlamaConfig &config,
                       StringRef drop = "", StringRef reshape = "") {
  std::vector<Spec> specs;
  for (const ExpectedTensor &t : expectedLlamaTensors(config)) {
    if (t.name == drop)
      continue;
    std::vector<int64_t> shape(t.shape.begin(), t.shape.end());
    if (t.name == reshape)
      shape.back() += 1;
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    specs.push_back({t.name, "F16", shape, std::string(size_t(n) * 2, '\0')});
  }
  return dir.write("model.safetensors", makeFile(specs));
}

TEST(LlamaConfig, ChecksWeights) {
  auto c = parseLlamaConfig(kTinyLlama, "config.json");
  ASSERT_TRUE(bool(c));
  std::vector<ExpectedTensor> expected = expectedLlamaTensors(*c);
  // embed + 2 * 9 per layer + norm + lm_head
  EXPECT_EQ(expected.size(), 1u + 2 * 9 + 1 + 1);
  auto find = [&](StringRef name) -> const ExpectedTensor * {
    for (const ExpectedTensor &t : expected)
      if (t.name == name)
        return &t;
    return nullptr;
  };
  ASSERT_TRUE(find("model.layers.1.self_attn.k_proj.weight"));
  EXPECT_EQ(find("model.layers.1.self_attn.k_proj.weight")->shape,
            (llvm::SmallVector<int64_t, 2>{8, 16}));
  EXPECT_EQ(find("model.layers.0.self_attn.o_proj.weight")->shape,
            (llvm::SmallVector<int64_t, 2>{16, 16}));
  EXPECT_EQ(find("model.layers.0.mlp.down_proj.weight")->shape,
            (llvm::SmallVector<int64_t, 2>{16, 40}));
  EXPECT_EQ(find("lm_head.weight")->shape,
            (llvm::SmallVector<int64_t, 2>{32, 16}));

  {
    TempDir dir;
    auto model = SafetensorsModel::open(writeLlama(dir, *c));
    ASSERT_TRUE(bool(model)) << errorText(model.takeError());
    EXPECT_FALSE(bool(checkLlamaWeights(*c, **model)));
  }
  {
    TempDir dir;
    auto model = SafetensorsModel::open(
        writeLlama(dir, *c, "model.layers.1.mlp.up_proj.weight"));
    ASSERT_TRUE(bool(model));
    std::string msg = errorText(checkLlamaWeights(*c, **model));
    EXPECT_NE(msg.find("missing tensor 'model.layers.1.mlp.up_proj.weight' "
                       "(expected shape [40, 16])"),
              std::string::npos)
        << msg;
  }
  {
    TempDir dir;
    auto model = SafetensorsModel::open(
        writeLlama(dir, *c, "", "model.layers.0.self_attn.v_proj.weight"));
    ASSERT_TRUE(bool(model));
    std::string msg = errorText(checkLlamaWeights(*c, **model));
    EXPECT_NE(msg.find("tensor 'model.layers.0.self_attn.v_proj.weight' has "
                       "shape [8, 17], but the configuration calls for [8, 16]"),
              std::string::npos)
        << msg;
  }
  {
    // Tied embeddings: no lm_head needed.
    LlamaConfig tied = *c;
    tied.tieWordEmbeddings = true;
    TempDir dir;
    auto model = SafetensorsModel::open(writeLlama(dir, tied));
    ASSERT_TRUE(bool(model));
    EXPECT_FALSE((*model)->lookup("lm_head.weight"));
    EXPECT_FALSE(bool(checkLlamaWeights(tied, **model)));
    std::string msg = errorText(checkLlamaWeights(*c, **model));
    EXPECT_NE(msg.find("missing tensor 'lm_head.weight'"), std::string::npos)
        << msg;
  }
}

} // namespace
