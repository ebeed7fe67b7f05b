//===- RuntimeTest.cpp - qcrt_create / qcrt_run on fake artifacts ---------===//
//
// Part of quantc.
//
// Each test writes an artifact directory (manifest.json and weights.bin with
// correct checksums) for a small "affine" model, y = x * scale + bias with a
// total, and a descriptor whose entries compute it the way generated code
// would: from the weights, through the arena, optionally on the pool.
//
//===----------------------------------------------------------------------===//

#include "quantc/runtime.h"
#include "Sha256.h"
#include "Weights.h"

#include "gtest/gtest.h"

#include <atomic>
#include <cstring>
#include <fstream>
#include <ftw.h>
#include <initializer_list>
#include <stdlib.h>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

constexpr int kRows = 4, kCols = 8;

std::string sha256Hex(const std::string &data) {
  uint8_t digest[qcrt::kSha256Bytes];
  qcrt::sha256(data.data(), data.size(), digest);
  char hex[qcrt::kSha256HexBytes];
  qcrt::sha256Hex(digest, hex);
  return hex;
}

void writeFile(const std::string &path, const std::string &data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), std::streamsize(data.size()));
  ASSERT_TRUE(out.good()) << path;
}

void removeTree(const std::string &path) {
  nftw(
      path.c_str(),
      [](const char *p, const struct stat *, int, struct FTW *) {
        return remove(p);
      },
      16, FTW_DEPTH | FTW_PHYS);
}

// What the entries saw on their last call.
struct Seen {
  const uint8_t *weights = nullptr;
  uint8_t *arena = nullptr;
  qcrt_pool *pool = nullptr;
  const char *variant = nullptr;
  int calls = 0;
} seen;

void computeRows(const uint8_t *weights, uint8_t *arena, const float *x,
                 float *y, int64_t begin, int64_t end) {
  const float *scale = reinterpret_cast<const float *>(weights);
  const float *bias = reinterpret_cast<const float *>(weights + 64);
  float *rowSums = reinterpret_cast<float *>(arena);
  for (int64_t r = begin; r < end; ++r) {
    float sum = 0;
    for (int c = 0; c < kCols; ++c) {
      y[r * kCols + c] = x[r * kCols + c] * scale[c] + bias[c];
      sum += y[r * kCols + c];
    }
    rowSums[r] = sum;
  }
}

void finishTotal(uint8_t *arena, float *total) {
  const float *rowSums = reinterpret_cast<const float *>(arena);
  float t = 0;
  for (int r = 0; r < kRows; ++r)
    t += rowSums[r];
  *total = t;
}

void record(const uint8_t *weights, uint8_t *arena, qcrt_pool *pool,
            const char *variant) {
  seen.weights = weights;
  seen.arena = arena;
  seen.pool = pool;
  seen.variant = variant;
  ++seen.calls;
}

void runBase(const uint8_t *weights, uint8_t *arena, void *const *inputs,
             void *const *outputs, qcrt_pool *pool) {
  record(weights, arena, pool, "base");
  computeRows(weights, arena, static_cast<const float *>(inputs[0]),
              static_cast<float *>(outputs[0]), 0, kRows);
  finishTotal(arena, static_cast<float *>(outputs[1]));
}

struct RowJob {
  const uint8_t *weights;
  uint8_t *arena;
  const float *x;
  float *y;
};

void runParallel(const uint8_t *weights, uint8_t *arena, void *const *inputs,
                 void *const *outputs, qcrt_pool *pool) {
  record(weights, arena, pool, "parallel");
  RowJob job{weights, arena, static_cast<const float *>(inputs[0]),
             static_cast<float *>(outputs[0])};
  qcrt_parallel_for(
      pool, kRows, 1,
      [](void *ctx, int64_t begin, int64_t end) {
        RowJob &j = *static_cast<RowJob *>(ctx);
        computeRows(j.weights, j.arena, j.x, j.y, begin, end);
      },
      &job);
  finishTotal(arena, static_cast<float *>(outputs[1]));
}

void runI8mm(const uint8_t *w, uint8_t *a, void *const *in, void *const *out,
             qcrt_pool *p) {
  runBase(w, a, in, out, p);
  seen.variant = "i8mm";
}

void runDotprod(const uint8_t *w, uint8_t *a, void *const *in, void *const *out,
                qcrt_pool *p) {
  runBase(w, a, in, out, p);
  seen.variant = "dotprod";
}

const qcrt_variant kBaseOnly[] = {{0, "base", runBase}};
const qcrt_variant kParallelOnly[] = {{0, "base", runParallel}};
const qcrt_variant kAllVariants[] = {
    {QCRT_ISA_I8MM | QCRT_ISA_DOTPROD, "i8mm", runI8mm},
    {QCRT_ISA_DOTPROD, "dotprod", runDotprod},
    {0, "base", runBase}};
const qcrt_variant kI8mmOnly[] = {{QCRT_ISA_I8MM, "i8mm", runI8mm}};

const char *const kManifestTemplate = R"({
  "format": "quantc-artifact",
  "format_version": 1,
  "abi_version": 1,
  "name": "affine",
  "producer": {"tool": "quant-compile", "version": "0.1.0", "llvm": "22.1.0"},
  "source": {"file": "affine.onnx", "sha256": "00"},
  "options": "--scheme w8a8 --target host",
  "inputs": [{"name": "x", "dtype": "f32", "shape": [4, 8], "bytes": 128}],
  "outputs": [
    {"name": "y", "dtype": "f32", "shape": [4, 8], "bytes": 128},
    {"name": "total", "dtype": "f32", "shape": [], "bytes": 4}
  ],
  "arena_bytes": 256,
  "weights": {"file": "weights.bin", "bytes": 128, "alignment": 64, "sha256": "@WEIGHTS_SHA@"},
  "tensors": [
    {"name": "scale", "offset": 0, "bytes": 32, "dtype": "f32", "shape": [8], "layout": "rowmajor"},
    {"name": "bias", "offset": 64, "bytes": 32, "dtype": "f32", "shape": [8], "layout": "rowmajor",
     "quant": {"scales": [0.5], "zero_points": [0], "axis": 0}}
  ],
  "targets": [{"triple": "x86_64-unknown-linux-gnu", "library": "x86_64-linux-gnu/libaffine.a", "variants": ["base"]}],
  "header": {"file": "affine.h", "sha256": "00"}
}
)";

class QcrtRuntime : public testing::Test {
protected:
  void SetUp() override {
    const char *tmp = getenv("TMPDIR");
    std::string pattern =
        std::string(tmp && *tmp ? tmp : "/tmp") + "/qcrt-test-XXXXXX";
    ASSERT_TRUE(mkdtemp(pattern.data())) << pattern;
    root = pattern;
    dir = root + "/model.qc";

    float scale[kCols], bias[kCols];
    for (int c = 0; c < kCols; ++c) {
      scale[c] = 0.5f * float(c + 1);
      bias[c] = float(c) - 3.0f;
    }
    weights.assign(128, '\0');
    memcpy(&weights[0], scale, sizeof(scale));
    memcpy(&weights[64], bias, sizeof(bias));

    manifest = kManifestTemplate;
    edit("@WEIGHTS_SHA@", sha256Hex(weights));

    desc = qcrt_model_desc{};
    desc.abi_version = QCRT_ABI_VERSION;
    desc.name = "affine";
    desc.weights_bytes = 128;
    desc.arena_bytes = 256;
    desc.num_inputs = 1;
    desc.num_outputs = 2;
    useVariants(kBaseOnly);

    for (int i = 0; i < kRows * kCols; ++i)
      x[i] = float(i % 7) - 2.5f;
    seen = Seen();
  }

  void TearDown() override {
    qcrt::setWeightsReadFallback(false);
    if (!root.empty())
      removeTree(root);
  }

  template <size_t N> void useVariants(const qcrt_variant (&variants)[N]) {
    desc.variants = variants;
    desc.num_variants = N;
  }

  // Replaces the one occurrence of `from` in the manifest text.
  void edit(const std::string &from, const std::string &to) {
    size_t at = manifest.find(from);
    ASSERT_NE(at, std::string::npos) << "not in the manifest: " << from;
    ASSERT_EQ(manifest.find(from, at + 1), std::string::npos)
        << "more than once in the manifest: " << from;
    manifest.replace(at, from.size(), to);
  }

  // Writes the artifact as it stands; the descriptor carries the checksum of
  // the manifest written, as generated code does.
  void write() {
    mkdir(dir.c_str(), 0755);
    writeFile(dir + "/manifest.json", manifest);
    writeFile(dir + "/weights.bin", weights);
    manifestSha = sha256Hex(manifest);
    desc.manifest_sha256 = manifestSha.c_str();
  }

  qcrt_model *create(const qcrt_options *options = nullptr) {
    return qcrt_create(dir.c_str(), &desc, options);
  }

  qcrt_options options(int32_t threads, uint32_t isaMask = 0xffffffffu) {
    qcrt_options o;
    qcrt_options_init(&o);
    o.num_threads = threads;
    o.isa_mask = isaMask;
    return o;
  }

  // Creation fails and the message holds every one of `words`.
  void expectFailure(const qcrt_options *opts,
                     std::initializer_list<std::string> words) {
    qcrt_model *m = create(opts);
    EXPECT_EQ(m, nullptr);
    if (m)
      qcrt_destroy(m);
    std::string error = qcrt_last_error();
    // Kept in the XML report (--gtest_output=xml), to review the wording.
    RecordProperty("error", error);
    for (const std::string &w : words)
      EXPECT_NE(error.find(w), std::string::npos)
          << "\"" << w << "\" is not in: " << error;
  }
  void expectFailure(std::initializer_list<std::string> words) {
    expectFailure(nullptr, words);
  }

  // Runs `m` and checks y and the total against the same arithmetic here.
  void expectRunComputes(qcrt_model *m) {
    float y[kRows * kCols], total = -1;
    std::vector<float> expectedY(kRows * kCols);
    const void *inputs[] = {x};
    void *outputs[] = {y, &total};
    ASSERT_EQ(qcrt_run(m, inputs, outputs), 0) << qcrt_last_error();
    EXPECT_STREQ(qcrt_last_error(), "");
    float expectedTotal = 0;
    for (int r = 0; r < kRows; ++r) {
      float sum = 0;
      for (int c = 0; c < kCols; ++c) {
        float v = x[r * kCols + c] * (0.5f * float(c + 1)) + (float(c) - 3.0f);
        EXPECT_EQ(y[r * kCols + c], v) << r << "," << c;
        sum += v;
      }
      expectedTotal += sum;
    }
    EXPECT_EQ(total, expectedTotal);
  }

  std::string root, dir, weights, manifest, manifestSha;
  qcrt_model_desc desc;
  float x[kRows * kCols];
};

TEST_F(QcrtRuntime, LoadsAndRuns) {
  write();
  qcrt_options o = options(1);
  qcrt_model *m = create(&o);
  ASSERT_TRUE(m) << qcrt_last_error();
  EXPECT_STREQ(qcrt_last_error(), "");

  ASSERT_EQ(qcrt_num_inputs(m), 1);
  ASSERT_EQ(qcrt_num_outputs(m), 2);
  const qcrt_tensor_info *in = qcrt_input_info(m, 0);
  ASSERT_TRUE(in);
  EXPECT_STREQ(in->name, "x");
  EXPECT_EQ(in->dtype, QCRT_F32);
  EXPECT_EQ(in->rank, 2);
  EXPECT_EQ(in->dims[0], 4);
  EXPECT_EQ(in->dims[1], 8);
  EXPECT_EQ(in->bytes, 128u);
  const qcrt_tensor_info *total = qcrt_output_info(m, 1);
  ASSERT_TRUE(total);
  EXPECT_STREQ(total->name, "total");
  EXPECT_EQ(total->rank, 0);
  EXPECT_EQ(total->bytes, 4u);
  EXPECT_EQ(qcrt_input_info(m, 1), nullptr);
  EXPECT_EQ(qcrt_input_info(m, -1), nullptr);
  EXPECT_EQ(qcrt_output_info(m, 2), nullptr);

  EXPECT_STREQ(qcrt_variant_name(m), "base");
  EXPECT_EQ(qcrt_num_threads(m), 1);

  expectRunComputes(m);
  EXPECT_EQ(seen.calls, 1);
  EXPECT_EQ(seen.pool, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(seen.weights) % 64, 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(seen.arena) % 64, 0u);
  // The entry read the file's bytes (mapped), not a copy of our buffer.
  EXPECT_EQ(memcmp(seen.weights, weights.data(), weights.size()), 0);

  expectRunComputes(m); // A second run on the same model.
  EXPECT_EQ(seen.calls, 2);
  qcrt_destroy(m);
}

TEST_F(QcrtRuntime, ParallelEntryOnPool) {
  useVariants(kParallelOnly);
  write();
  qcrt_options o = options(4);
  qcrt_model *m = create(&o);
  ASSERT_TRUE(m) << qcrt_last_error();
  EXPECT_EQ(qcrt_num_threads(m), 4);
  for (int i = 0; i < 50; ++i)
    expectRunComputes(m);
  EXPECT_NE(seen.pool, nullptr);
  EXPECT_STREQ(seen.variant, "parallel");
  qcrt_destroy(m);

  // The same entry without a pool.
  o = options(1);
  m = create(&o);
  ASSERT_TRUE(m) << qcrt_last_error();
  expectRunComputes(m);
  EXPECT_EQ(seen.pool, nullptr);
  qcrt_destroy(m);
}

TEST_F(QcrtRuntime, DefaultOptionsUseEveryCpu) {
  write();
  qcrt_model *m = create(nullptr);
  ASSERT_TRUE(m) << qcrt_last_error();
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  EXPECT_GE(qcrt_num_threads(m), 1);
  EXPECT_LE(qcrt_num_threads(m), cpus);
  expectRunComputes(m);
  qcrt_destroy(m);
}

TEST_F(QcrtRuntime, ReadsWhenMappingIsUnavailable) {
  write();
  qcrt::setWeightsReadFallback(true);
  qcrt_model *m = create();
  ASSERT_TRUE(m) << qcrt_last_error();
  expectRunComputes(m);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(seen.weights) % 64, 0u);
  qcrt_destroy(m);
}

TEST_F(QcrtRuntime, ManifestChecksumMismatch) {
  write();
  std::string changed = manifest;
  changed[changed.find("\"x\"") + 1] = 'z'; // Still valid JSON.
  writeFile(dir + "/manifest.json", changed);
  expectFailure({dir + "/manifest.json: ", "SHA-256", "checksum",
                 sha256Hex(changed), manifestSha});
}

TEST_F(QcrtRuntime, DescriptorOfAnotherCompile) {
  write();
  std::string other = sha256Hex("another manifest");
  desc.manifest_sha256 = other.c_str();
  expectFailure({dir + "/manifest.json: ", "checksum", other});
}

TEST_F(QcrtRuntime, WeightsChecksumMismatch) {
  write();
  std::string changed = weights;
  changed[70] ^= 0x01;
  writeFile(dir + "/weights.bin", changed);
  expectFailure({dir + "/weights.bin: ", "checksum", "\"weights.sha256\"",
                 sha256Hex(changed)});

  // verify_weights = 0 skips the checksum (and runs on the changed bytes).
  qcrt_options o = options(1);
  o.verify_weights = 0;
  qcrt_model *m = create(&o);
  ASSERT_TRUE(m) << qcrt_last_error();
  qcrt_destroy(m);
}

TEST_F(QcrtRuntime, TruncatedWeights) {
  write();
  ASSERT_EQ(truncate((dir + "/weights.bin").c_str(), 127), 0);
  expectFailure({dir + "/weights.bin: ", "127 bytes", "\"weights.bytes\"",
                 "128", "truncated"});
}

TEST_F(QcrtRuntime, LongerWeights) {
  weights += std::string(64, '\0');
  write();
  // The manifest still says 128 and the checksum is of the old bytes; the size
  // is checked first.
  expectFailure({dir + "/weights.bin: ", "192 bytes", "\"weights.bytes\""});
}

TEST_F(QcrtRuntime, MissingWeightsFile) {
  write();
  ASSERT_EQ(unlink((dir + "/weights.bin").c_str()), 0);
  expectFailure({dir + "/weights.bin: ", "cannot open", "No such file"});
}

TEST_F(QcrtRuntime, WrongFormat) {
  edit("\"format\": \"quantc-artifact\"", "\"format\": \"onnx\"");
  write();
  expectFailure({dir + "/manifest.json: ", "\"format\"", "onnx"});
}

TEST_F(QcrtRuntime, WrongFormatVersion) {
  edit("\"format_version\": 1", "\"format_version\": 2");
  write();
  expectFailure(
      {dir + "/manifest.json: ", "\"format_version\" is 2", "version 1"});
}

TEST_F(QcrtRuntime, WrongAbiInManifest) {
  edit("\"abi_version\": 1", "\"abi_version\": 7");
  write();
  expectFailure({dir + "/manifest.json: ", "\"abi_version\" is 7", "ABI 1"});
}

TEST_F(QcrtRuntime, WrongAbiInDescriptor) {
  write();
  desc.abi_version = 2;
  expectFailure({"affine", "ABI 2", "ABI 1"});
}

TEST_F(QcrtRuntime, WrongModelName) {
  edit("\"name\": \"affine\"", "\"name\": \"other\"");
  write();
  expectFailure({dir + "/manifest.json: ", "\"name\" is \"other\"", "affine"});
}

TEST_F(QcrtRuntime, InputBytesDisagreeWithShape) {
  edit("\"shape\": [4, 8], \"bytes\": 128}]",
       "\"shape\": [4, 8], \"bytes\": 100}]");
  write();
  expectFailure({dir + "/manifest.json: ", "\"inputs[0].bytes\" is 100",
                 "[4, 8]", "f32", "128"});
}

TEST_F(QcrtRuntime, OutputBytesDisagreeWithDtype) {
  edit("{\"name\": \"total\", \"dtype\": \"f32\"",
       "{\"name\": \"total\", \"dtype\": \"f64\"");
  write();
  expectFailure({"\"outputs[1].bytes\" is 4", "f64", "needs 8"});
}

TEST_F(QcrtRuntime, InputCountDisagrees) {
  write();
  desc.num_inputs = 2;
  expectFailure({dir + "/manifest.json: ", "\"inputs\" has 1 entry", "2"});
}

TEST_F(QcrtRuntime, OutputCountDisagrees) {
  write();
  desc.num_outputs = 1;
  expectFailure({"\"outputs\" has 2 entries", "compiled for 1"});
}

TEST_F(QcrtRuntime, WeightsBytesDisagreeWithDescriptor) {
  write();
  desc.weights_bytes = 2048;
  expectFailure({dir + "/manifest.json: ",
                 "\"weights.bytes\" is 128 but the library was compiled for "
                 "2048 bytes"});
}

TEST_F(QcrtRuntime, ArenaBytesDisagree) {
  write();
  desc.arena_bytes = 512;
  expectFailure({"\"arena_bytes\" is 256", "512"});
}

TEST_F(QcrtRuntime, TensorOffsetNotAligned) {
  edit("\"offset\": 64", "\"offset\": 32");
  write();
  expectFailure({dir + "/manifest.json: ", "\"tensors[1].offset\"", "bias",
                 "not a multiple of 64"});
}

TEST_F(QcrtRuntime, TensorOutsideWeights) {
  edit("\"offset\": 64", "\"offset\": 128");
  write();
  expectFailure({"\"tensors[1]\"", "offset 128 + bytes 32",
                 "past the end of the weights", "\"weights.bytes\" is 128"});
}

TEST_F(QcrtRuntime, TensorExtentOverflows) {
  // offset + bytes wraps around 2^64 to 64; it must not pass as in range.
  edit("\"offset\": 64, \"bytes\": 32",
       "\"offset\": 18446744073709551552, \"bytes\": 128");
  write();
  expectFailure({"\"tensors[1]\"", "past the end"});
}

TEST_F(QcrtRuntime, AbsurdNumbers) {
  edit("\"arena_bytes\": 256", "\"arena_bytes\": 99999999999999999999");
  write();
  expectFailure({"\"arena_bytes\" must be a non-negative integer",
                 "99999999999999999999"});
}

TEST_F(QcrtRuntime, AbsurdShape) {
  // 2^32 * 2^32 * 2^32 elements: the product must not wrap to something
  // that matches "bytes".
  edit("\"shape\": [4, 8], \"bytes\": 128}]",
       "\"shape\": [4294967296, 4294967296, 4294967296], \"bytes\": 0}]");
  write();
  expectFailure({"\"inputs[0].shape\"", "too large"});
}

TEST_F(QcrtRuntime, ZeroSizedDimension) {
  edit("\"shape\": [4, 8], \"bytes\": 128}]",
       "\"shape\": [4, 0, 4294967296], \"bytes\": 0}]");
  write();
  qcrt_options o = options(1);
  qcrt_model *m = create(&o);
  ASSERT_TRUE(m) << qcrt_last_error();
  EXPECT_EQ(qcrt_input_info(m, 0)->bytes, 0u);
  qcrt_destroy(m);
}

TEST_F(QcrtRuntime, DynamicDimension) {
  edit("[4, 8], \"bytes\": 128}]", "[-1, 8], \"bytes\": 128}]");
  write();
  expectFailure({"\"inputs[0].shape[0]\" is -1", "dynamic"});
}

TEST_F(QcrtRuntime, RankAboveMaximum) {
  edit("[4, 8], \"bytes\": 128}]",
       "[1, 1, 1, 1, 1, 1, 1, 4, 8], \"bytes\": 128}]");
  write();
  expectFailure({"\"inputs[0].shape\" has 9 dimensions", "at most 8"});
}

TEST_F(QcrtRuntime, UnknownDtype) {
  edit("{\"name\": \"x\", \"dtype\": \"f32\"",
       "{\"name\": \"x\", \"dtype\": \"f8\"");
  write();
  expectFailure({"\"inputs[0].dtype\" is \"f8\"", "expected one of"});
}

TEST_F(QcrtRuntime, MissingField) {
  edit("\"arena_bytes\": 256,", "");
  write();
  expectFailure({dir + "/manifest.json: ", "\"arena_bytes\" is missing"});
}

TEST_F(QcrtRuntime, FieldOfWrongKind) {
  edit("\"alignment\": 64", "\"alignment\": \"64\"");
  write();
  expectFailure({"\"weights.alignment\" must be a non-negative integer, not a "
                 "string"});
}

TEST_F(QcrtRuntime, WrongAlignment) {
  edit("\"alignment\": 64", "\"alignment\": 16");
  write();
  expectFailure({"\"weights.alignment\" is 16"});
}

TEST_F(QcrtRuntime, BadWeightsChecksumField) {
  edit(sha256Hex(weights), "abc");
  write();
  expectFailure({"\"weights.sha256\" is \"abc\"", "64 hex digits"});
}

TEST_F(QcrtRuntime, WeightsFileOutsideArtifact) {
  edit("\"file\": \"weights.bin\"", "\"file\": \"../weights.bin\"");
  write();
  expectFailure({"\"weights.file\" is \"../weights.bin\"",
                 "inside the artifact directory"});
}

TEST_F(QcrtRuntime, MalformedJsonNamesFileAndPosition) {
  edit("\"arena_bytes\": 256,", "\"arena_bytes\": 256,,");
  write();
  // "file:line:column: message", like a compiler.
  expectFailure({dir + "/manifest.json:14:22: ", "expected a string key"});
}

TEST_F(QcrtRuntime, TrailingGarbage) {
  manifest += "}";
  write();
  expectFailure({dir + "/manifest.json:", "after the JSON document"});
}

TEST_F(QcrtRuntime, DuplicateKey) {
  edit("\"arena_bytes\": 256,", "\"arena_bytes\": 256, \"arena_bytes\": 256,");
  write();
  expectFailure({dir + "/manifest.json:", "duplicate key \"arena_bytes\""});
}

TEST_F(QcrtRuntime, ManifestNotAnObject) {
  manifest = "[]";
  write();
  expectFailure({dir + "/manifest.json: ", "must be an object, not an array"});
}

TEST_F(QcrtRuntime, MissingDirectory) {
  write();
  std::string missing = root + "/nowhere.qc";
  qcrt_model *m = qcrt_create(missing.c_str(), &desc, nullptr);
  EXPECT_EQ(m, nullptr);
  std::string error = qcrt_last_error();
  EXPECT_NE(error.find(missing + ": "), std::string::npos) << error;
  EXPECT_NE(error.find("No such file or directory"), std::string::npos)
      << error;
}

TEST_F(QcrtRuntime, DirectoryIsAFile) {
  write();
  std::string file = dir + "/weights.bin";
  EXPECT_EQ(qcrt_create(file.c_str(), &desc, nullptr), nullptr);
  EXPECT_NE(std::string(qcrt_last_error()).find("not a directory"),
            std::string::npos)
      << qcrt_last_error();
}

TEST_F(QcrtRuntime, MissingManifest) {
  write();
  ASSERT_EQ(unlink((dir + "/manifest.json").c_str()), 0);
  expectFailure({dir + "/manifest.json: ", "cannot open"});
}

TEST_F(QcrtRuntime, TrailingSlashInDirectory) {
  write();
  std::string slashed = dir + "/";
  desc.num_inputs = 3; // To see the path in a message.
  EXPECT_EQ(qcrt_create(slashed.c_str(), &desc, nullptr), nullptr);
  EXPECT_NE(std::string(qcrt_last_error()).find(dir + "/manifest.json: "),
            std::string::npos)
      << qcrt_last_error();
}

TEST_F(QcrtRuntime, EmptyWeights) {
  edit("\"bytes\": 128, \"alignment\"", "\"bytes\": 0, \"alignment\"");
  size_t begin = manifest.find("\"tensors\": [");
  size_t end = manifest.find("],\n  \"targets\"");
  manifest.replace(begin, end + 1 - begin, "\"tensors\": []");
  edit(sha256Hex(weights), sha256Hex(""));
  weights.clear();
  desc.weights_bytes = 0;
  const qcrt_variant none[] = {
      {0, "base",
       [](const uint8_t *w, uint8_t *a, void *const *, void *const *,
          qcrt_pool *p) { record(w, a, p, "empty"); }}};
  useVariants(none);
  write();
  qcrt_model *m = create();
  ASSERT_TRUE(m) << qcrt_last_error();
  float y[kRows * kCols], total;
  const void *inputs[] = {x};
  void *outputs[] = {y, &total};
  ASSERT_EQ(qcrt_run(m, inputs, outputs), 0);
  EXPECT_NE(seen.weights, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(seen.weights) % 64, 0u);
  qcrt_destroy(m);
}

TEST_F(QcrtRuntime, VariantSelection) {
  useVariants(kAllVariants);
  write();
  // Mask 0: only the variant that needs nothing.
  qcrt_options o = options(1, 0);
  qcrt_model *m = create(&o);
  ASSERT_TRUE(m) << qcrt_last_error();
  EXPECT_STREQ(qcrt_variant_name(m), "base");
  expectRunComputes(m);
  EXPECT_STREQ(seen.variant, "base");
  qcrt_destroy(m);

  // Everything this CPU has: the first variant it can run.
  uint32_t cpu = qcrt_cpu_isa();
  const char *expected = (cpu & (QCRT_ISA_I8MM | QCRT_ISA_DOTPROD)) ==
                                 (QCRT_ISA_I8MM | QCRT_ISA_DOTPROD)
                             ? "i8mm"
                         : (cpu & QCRT_ISA_DOTPROD) ? "dotprod"
                                                    : "base";
  o = options(1);
  m = create(&o);
  ASSERT_TRUE(m) << qcrt_last_error();
  EXPECT_STREQ(qcrt_variant_name(m), expected);
  expectRunComputes(m);
  EXPECT_STREQ(seen.variant, expected);
  qcrt_destroy(m);

  // The mask removes features the CPU has; it never adds any.
  o = options(1, QCRT_ISA_DOTPROD);
  m = create(&o);
  ASSERT_TRUE(m) << qcrt_last_error();
  EXPECT_STREQ(qcrt_variant_name(m),
               (cpu & QCRT_ISA_DOTPROD) ? "dotprod" : "base");
  qcrt_destroy(m);
}

TEST_F(QcrtRuntime, NoVariantRunsHere) {
  useVariants(kI8mmOnly);
  write();
  qcrt_options o = options(1, ~uint32_t(QCRT_ISA_I8MM));
  expectFailure(&o, {"affine", "no variant can run here", "\"i8mm\" needs i8mm",
                     "isa_mask 0xfffffffd"});
}

TEST_F(QcrtRuntime, VariantIsChosenBeforeFilesAreRead) {
  useVariants(kI8mmOnly);
  qcrt_options o = options(1, 0);
  // No artifact written at all: the CPU check fails first.
  std::string sha = sha256Hex("x");
  desc.manifest_sha256 = sha.c_str();
  mkdir(dir.c_str(), 0755);
  expectFailure(&o, {"no variant can run here"});
}

TEST_F(QcrtRuntime, DescriptorChecks) {
  write();
  EXPECT_EQ(qcrt_create(dir.c_str(), nullptr, nullptr), nullptr);
  EXPECT_NE(std::string(qcrt_last_error()).find("descriptor is NULL"),
            std::string::npos);
  EXPECT_EQ(qcrt_create(nullptr, &desc, nullptr), nullptr);
  EXPECT_NE(std::string(qcrt_last_error()).find("directory is NULL"),
            std::string::npos);

  qcrt_model_desc saved = desc;
  desc.manifest_sha256 = "not-a-checksum";
  expectFailure({"manifest_sha256 is not 64 hex digits"});
  desc = saved;

  desc.num_variants = 0;
  expectFailure({"no variants"});
  desc = saved;

  const qcrt_variant noEntry[] = {{0, "base", nullptr}};
  useVariants(noEntry);
  expectFailure({"variant 0 has no entry function"});
  desc = saved;

  desc.arena_bytes = uint64_t(1) << 60;
  expectFailure({"arena_bytes is 1152921504606846976", "more than"});
  desc = saved;

  qcrt_model *m = create();
  ASSERT_TRUE(m) << qcrt_last_error();
  qcrt_destroy(m);
}

TEST_F(QcrtRuntime, OptionChecks) {
  write();
  qcrt_options o = options(1);
  o.struct_size = 0;
  expectFailure(&o, {"struct_size is 0", "qcrt_options_init"});

  o = options(-1);
  expectFailure(&o, {"num_threads is -1"});

  // An older, shorter options struct (before isa_mask): the missing fields
  // keep their defaults (every ISA, verify weights).
  o = options(1, 0);
  o.verify_weights = 0;
  o.struct_size = offsetof(qcrt_options, isa_mask);
  useVariants(kAllVariants);
  std::string changed = weights;
  changed[0] ^= 1;
  writeFile(dir + "/weights.bin", changed);
  expectFailure(&o, {"checksum"}); // verify_weights came from the defaults.
  writeFile(dir + "/weights.bin", weights);
  qcrt_model *m = create(&o);
  ASSERT_TRUE(m) << qcrt_last_error();
  EXPECT_EQ(qcrt_num_threads(m), 1);
  qcrt_destroy(m);
}

TEST_F(QcrtRuntime, RunArgumentChecks) {
  write();
  qcrt_options o = options(1);
  qcrt_model *m = create(&o);
  ASSERT_TRUE(m) << qcrt_last_error();
  float y[kRows * kCols], total;
  const void *inputs[] = {x};
  const void *noInputs[] = {nullptr};
  void *outputs[] = {y, &total};
  void *missingOutput[] = {y, nullptr};

  EXPECT_NE(qcrt_run(nullptr, inputs, outputs), 0);
  EXPECT_NE(std::string(qcrt_last_error()).find("model is NULL"),
            std::string::npos);
  EXPECT_NE(qcrt_run(m, nullptr, outputs), 0);
  EXPECT_NE(std::string(qcrt_last_error()).find("inputs array is NULL"),
            std::string::npos);
  EXPECT_NE(qcrt_run(m, noInputs, outputs), 0);
  EXPECT_NE(std::string(qcrt_last_error()).find("input 0 (\"x\") is NULL"),
            std::string::npos);
  EXPECT_NE(qcrt_run(m, inputs, missingOutput), 0);
  EXPECT_NE(std::string(qcrt_last_error()).find("output 1 (\"total\") is NULL"),
            std::string::npos);
  EXPECT_EQ(seen.calls, 0);
  expectRunComputes(m); // And the error is cleared by a good run.
  qcrt_destroy(m);
  qcrt_destroy(nullptr);
}

TEST_F(QcrtRuntime, RunsAreSerialised) {
  static std::atomic<int> inside, overlaps;
  inside = 0;
  overlaps = 0;
  const qcrt_variant watched[] = {
      {0, "base",
       [](const uint8_t *w, uint8_t *a, void *const *in, void *const *out,
          qcrt_pool *p) {
         if (inside.fetch_add(1) != 0)
           overlaps.fetch_add(1);
         std::this_thread::sleep_for(std::chrono::microseconds(50));
         runBase(w, a, in, out, p);
         inside.fetch_sub(1);
       }}};
  useVariants(watched);
  write();
  qcrt_options o = options(2);
  qcrt_model *m = create(&o);
  ASSERT_TRUE(m) << qcrt_last_error();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      float y[kRows * kCols], total;
      const void *inputs[] = {x};
      void *outputs[] = {y, &total};
      for (int i = 0; i < 50; ++i)
        if (qcrt_run(m, inputs, outputs) != 0)
          failures.fetch_add(1);
    });
  }
  for (auto &t : threads)
    t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(overlaps.load(), 0);
  qcrt_destroy(m);
}

TEST_F(QcrtRuntime, LastErrorIsPerThread) {
  EXPECT_EQ(qcrt_create(nullptr, &desc, nullptr), nullptr);
  EXPECT_STRNE(qcrt_last_error(), "");
  std::string other = "unset";
  std::thread([&] { other = qcrt_last_error(); }).join();
  EXPECT_EQ(other, "");
  EXPECT_STRNE(qcrt_last_error(), "");
}

TEST(QcrtRuntimeInfo, CpuAndVersion) {
#if defined(__x86_64__)
  EXPECT_EQ(qcrt_cpu_isa() & ~uint32_t(QCRT_ISA_AVX512VNNI), 0u);
#if defined(__linux__)
  // The kernel's own view of the CPU: both flags in /proc/cpuinfo.
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  bool vnni = false, vl = false;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) != 0)
      continue;
    vnni = line.find(" avx512_vnni") != std::string::npos;
    vl = line.find(" avx512vl") != std::string::npos;
    break;
  }
  EXPECT_EQ((qcrt_cpu_isa() & QCRT_ISA_AVX512VNNI) != 0, vnni && vl);
#endif
#else
  EXPECT_EQ(qcrt_cpu_isa() & ~uint32_t(QCRT_ISA_DOTPROD | QCRT_ISA_I8MM), 0u);
#endif
  EXPECT_STREQ(qcrt_version(), QCRT_EXPECTED_VERSION);
  qcrt_options o;
  memset(&o, 0x5a, sizeof(o));
  qcrt_options_init(&o);
  EXPECT_EQ(o.struct_size, sizeof(qcrt_options));
  EXPECT_EQ(o.num_threads, 0);
  EXPECT_EQ(o.isa_mask, 0xffffffffu);
  EXPECT_EQ(o.verify_weights, 1);
}

} // namespace
