//===- ArtifactTest.cpp - the artifact directory writer -------------------===//
//
// Part of quantc. Object files come from real code generation for x86-64 and
// AArch64 ELF and arm64 Mach-O; the descriptor is checked through the C
// struct of runtime.h, both in the JIT and by linking a C program against a
// written artifact; the header is compiled by clang as C and C++.
//
//===----------------------------------------------------------------------===//

#include "qc/Target/Artifact/Artifact.h"

#include "quantc/runtime.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/AsmParser/Parser.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/IR/DataLayout.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Object/Archive.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstddef>
#include <cstring>
#include <functional>
#include <map>
#include <set>

using namespace mlir::qc::artifact;
using llvm::StringRef;
namespace fs = llvm::sys::fs;
namespace json = llvm::json;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

void initTargets() {
  static bool done = [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    return true;
  }();
  (void)done;
}

std::string errorText(llvm::Error e) {
  return e ? llvm::toString(std::move(e)) : std::string();
}

// out = in * 2 through the arena (variant "fast"); out = in + weights[0]
// (signed byte) through the arena (every other variant).
constexpr const char *kEntryIR = R"(
define void @ENTRY_fast(ptr %w, ptr %arena, ptr %in, ptr %out, ptr %pool) {
  %in0 = load ptr, ptr %in
  %x = load float, ptr %in0
  %y = fmul float %x, 2.0
  store float %y, ptr %arena
  %z = load float, ptr %arena
  %out0 = load ptr, ptr %out
  store float %z, ptr %out0
  ret void
}

define void @ENTRY_base(ptr %w, ptr %arena, ptr %in, ptr %out, ptr %pool) {
  %in0 = load ptr, ptr %in
  %x = load float, ptr %in0
  %b = load i8, ptr %w
  %bf = sitofp i8 %b to float
  %y = fadd float %x, %bf
  %slot = getelementptr i8, ptr %arena, i64 60
  store float %y, ptr %slot
  %z = load float, ptr %slot
  %out0 = load ptr, ptr %out
  store float %z, ptr %out0
  ret void
}
)";

/// A module defining `<name>_fast` and `<name>_base` (entry functions).
std::unique_ptr<llvm::Module> entryModule(llvm::LLVMContext &ctx,
                                          StringRef name) {
  std::string ir = kEntryIR;
  size_t pos;
  while ((pos = ir.find("ENTRY")) != std::string::npos)
    ir.replace(pos, 5, name.str());
  llvm::SMDiagnostic diag;
  std::unique_ptr<llvm::Module> m = llvm::parseAssemblyString(ir, diag, ctx);
  EXPECT_TRUE(m) << diag.getMessage().str();
  return m;
}

std::unique_ptr<llvm::TargetMachine> targetMachine(StringRef tripleText) {
  initTargets();
  llvm::Triple triple(tripleText);
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  EXPECT_TRUE(target) << error;
  if (!target)
    return nullptr;
  return std::unique_ptr<llvm::TargetMachine>(target->createTargetMachine(
      triple, "generic", "", llvm::TargetOptions(), llvm::Reloc::PIC_));
}

std::vector<char> compileToObject(llvm::Module &m, StringRef tripleText) {
  std::unique_ptr<llvm::TargetMachine> tm = targetMachine(tripleText);
  if (!tm)
    return {};
  m.setTargetTriple(llvm::Triple(tripleText));
  m.setDataLayout(tm->createDataLayout());
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager pm;
  bool cannotEmit = tm->addPassesToEmitFile(pm, os, nullptr,
                                            llvm::CodeGenFileType::ObjectFile);
  EXPECT_FALSE(cannotEmit) << tripleText.str();
  if (cannotEmit)
    return {};
  pm.run(m);
  return std::vector<char>(buffer.begin(), buffer.end());
}

/// An object defining one function `symbol`.
std::vector<char> helperObject(StringRef tripleText, StringRef symbol) {
  llvm::LLVMContext ctx;
  llvm::SMDiagnostic diag;
  std::unique_ptr<llvm::Module> m = llvm::parseAssemblyString(
      ("define i32 @" + symbol + "() {\n  ret i32 7\n}\n").str(), diag, ctx);
  EXPECT_TRUE(m) << diag.getMessage().str();
  return compileToObject(*m, tripleText);
}

struct TargetSpec {
  const char *triple;
  const char *dir;
  bool darwin;
  std::vector<std::string> variants;
};

const std::vector<TargetSpec> &targetSpecs() {
  static const std::vector<TargetSpec> specs = {
      {"x86_64-unknown-linux-gnu", "x86_64-linux-gnu", false, {"base"}},
      {"aarch64-unknown-linux-gnu",
       "aarch64-linux-gnu",
       false,
       {"i8mm", "dotprod", "base"}},
      {"arm64-apple-macosx11.0.0",
       "aarch64-apple-darwin",
       true,
       {"dotprod", "base"}}};
  return specs;
}

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = uint8_t(seed + 31 * i) | 1; // never zero: padding must be
  return v;
}

/// A description like fashion_cnn's, targets without objects yet.
ArtifactDescription sampleDescription(StringRef name = "fashion_cnn",
                                      uint8_t weightSeed = 5) {
  ArtifactDescription d;
  d.name = name.str();
  d.producer = {"quant-compile", "0.1.0", "22.1.0"};
  d.source = {"fashion-cnn.onnx", sha256Hex(StringRef("model bytes"))};
  d.options = "--scheme w8a8 --target host,aarch64";
  d.inputs = {{"input", "f32", {1, 1, 28, 28}}};
  d.outputs = {{"logits", "f32", {1, 10}}, {"probs", "f16", {1, 10}}};
  d.arenaBytes = 65536;

  TensorRecord conv;
  conv.name = "features.0.weight";
  conv.dtype = "i8";
  conv.shape = {16, 1, 3, 3};
  conv.layout = "oihw";
  TensorQuant q;
  q.scales.assign(16, 0.0039);
  q.scales[1] = 1.0 / 3.0;
  q.zeroPoints.assign(16, 0);
  q.zeroPoints[2] = -3;
  q.axis = 0;
  conv.quant = q;
  std::vector<uint8_t> convBytes = pattern(144, weightSeed);
  convBytes[0] = 3; // the entry adds weights[0]
  d.weights.add(conv, convBytes);

  TensorRecord bias;
  bias.name = "features.0.bias";
  bias.dtype = "i32";
  bias.shape = {16};
  d.weights.add(bias, pattern(64, weightSeed + 1));

  TensorRecord fc;
  fc.name = "classifier.weight";
  fc.dtype = "i8";
  fc.shape = {10, 64};
  fc.layout = "packed_4x16";
  TensorQuant blocks;
  blocks.scales = {0.5, 0.25};
  blocks.zeroPoints = {0, 0};
  blocks.axis = 1;
  blocks.blockSize = 32;
  fc.quant = blocks;
  d.weights.add(fc, pattern(700, weightSeed + 2));

  for (const TargetSpec &spec : targetSpecs()) {
    TargetLibrary t;
    t.triple = spec.triple;
    t.dir = spec.dir;
    t.variants = spec.variants;
    t.darwin = spec.darwin;
    d.targets.push_back(std::move(t));
  }
  return d;
}

struct Rendered {
  std::string manifest;
  std::string header;
};

/// The compile flow: render, hash, generate code with the descriptor for
/// every target, add the objects.
Rendered completeArtifact(ArtifactDescription &d) {
  Rendered r;
  r.header = renderHeader(d);
  r.manifest = renderManifest(d);
  std::string hash = manifestSha256Hex(r.manifest);
  for (TargetLibrary &t : d.targets) {
    llvm::LLVMContext ctx;
    std::unique_ptr<llvm::Module> m = entryModule(ctx, d.name);
    std::vector<DescriptorInfo::Variant> variants;
    for (const std::string &v : t.variants)
      variants.push_back({v == "base" ? 0u : uint32_t(kIsaDotProd), v,
                          d.name + (v == "base" ? "_base" : "_fast")});
    llvm::Error e =
        emitModelDescriptor(*m, makeDescriptorInfo(d, hash, variants));
    EXPECT_FALSE(e) << errorText(std::move(e));
    t.objects.clear();
    t.objects.emplace_back("model.o", compileToObject(*m, t.triple));
    t.objects.emplace_back("helpers_with_a_long_member_name.o",
                           helperObject(t.triple, d.name + "_helper"));
  }
  return r;
}

std::string readFile(const llvm::Twine &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return "<missing: " + path.str() + ">";
  return (*buffer)->getBuffer().str();
}

/// Every file under `dir`, relative path -> bytes.
std::map<std::string, std::string> readTree(StringRef dir) {
  std::map<std::string, std::string> files;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec)) {
    if (fs::is_directory(it->path()))
      continue;
    StringRef rel = StringRef(it->path()).drop_front(dir.size() + 1);
    files[rel.str()] = readFile(it->path());
  }
  EXPECT_FALSE(ec) << ec.message();
  return files;
}

std::set<std::string> listDir(StringRef dir) {
  std::set<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec))
    names.insert(llvm::sys::path::filename(it->path()).str());
  EXPECT_FALSE(ec) << ec.message();
  return names;
}

/// Runs `program args...`; returns the exit code, stdout+stderr in `output`.
int run(StringRef program, llvm::ArrayRef<std::string> args,
        std::string &output) {
  llvm::SmallString<128> outPath;
  fs::createTemporaryFile("qc-artifact-tool", "txt", outPath);
  std::vector<StringRef> argv = {program};
  for (const std::string &a : args)
    argv.push_back(a);
  std::optional<StringRef> redirects[] = {StringRef(""), StringRef(outPath),
                                          StringRef(outPath)};
  std::string error;
  int rc = llvm::sys::ExecuteAndWait(program, argv, std::nullopt, redirects,
                                     /*SecondsToWait=*/120, 0, &error);
  output = readFile(outPath) + error;
  fs::remove(outPath);
  return rc;
}

llvm::Error writeText(const std::string &file, StringRef text) {
  std::error_code ec;
  llvm::raw_fd_ostream os(file, ec);
  if (ec)
    return llvm::errorCodeToError(ec);
  os << text;
  os.close();
  ec = os.error();
  os.clear_error();
  return llvm::errorCodeToError(ec);
}

std::optional<std::string> findTool(StringRef name) {
  llvm::ErrorOr<std::string> path = llvm::sys::findProgramByName(name);
  if (!path)
    return std::nullopt;
  return *path;
}

class ArtifactDirTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(fs::createUniqueDirectory("qc-artifact-test", root));
  }
  void TearDown() override { fs::remove_directories(root); }

  std::string path(StringRef name) const {
    llvm::SmallString<256> p(root);
    llvm::sys::path::append(p, name);
    return p.str().str();
  }

  llvm::SmallString<256> root;
};

//===----------------------------------------------------------------------===//
// cName
//===----------------------------------------------------------------------===//

TEST(ArtifactCName, Cases) {
  EXPECT_EQ(cName("fashion-cnn.v2"), "fashion_cnn_v2");
  EXPECT_EQ(cName("fashion_cnn"), "fashion_cnn");
  EXPECT_EQ(cName("3d-unet"), "m_3d_unet");
  EXPECT_EQ(cName("int"), "m_int");
  EXPECT_EQ(cName("class"), "m_class");
  EXPECT_EQ(cName("typeof"), "m_typeof");
  EXPECT_EQ(cName("qcrt"), "m_qcrt");
  EXPECT_EQ(cName("QCRT_net"), "m_QCRT_net");
  EXPECT_EQ(cName(""), "model");
  EXPECT_EQ(cName("--"), "model");
  EXPECT_EQ(cName("__init__"), "init");
  EXPECT_EQ(cName("a__b"), "a_b");
  EXPECT_EQ(cName("a - b"), "a_b");
  EXPECT_EQ(cName("model.qc/"), "model_qc");
  EXPECT_EQ(cName("r\xc3\xa9sum\xc3\xa9"), "r_sum");
  EXPECT_EQ(cName("MobileNetV2"), "MobileNetV2");
  EXPECT_EQ(cName("interior"), "interior");
}

TEST(ArtifactCName, ResultsAreUsableAndStable) {
  for (StringRef s : {"fashion-cnn.v2", "3d", "int", "qcrt", "", "_x_", "a..b",
                      "\xff\xfe", "9", "do", "m_int"}) {
    std::string c = cName(s);
    ASSERT_FALSE(c.empty());
    EXPECT_FALSE(llvm::isDigit(c.front())) << c;
    EXPECT_NE(c.front(), '_') << c;
    EXPECT_NE(c.back(), '_') << c;
    EXPECT_EQ(c.find("__"), std::string::npos) << c;
    for (char ch : c)
      EXPECT_TRUE(llvm::isAlnum(ch) || ch == '_') << c;
    EXPECT_EQ(cName(c), c) << "not idempotent for '" << s.str() << "'";
  }
}

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

TEST(ArtifactWeights, OffsetsAlignedAndPaddingZero) {
  WeightsBuilder w;
  std::vector<size_t> sizes = {3, 64, 0, 65, 1, 128};
  std::vector<std::vector<uint8_t>> blobs;
  std::vector<uint64_t> offsets;
  for (size_t i = 0; i < sizes.size(); ++i) {
    blobs.push_back(pattern(sizes[i], uint8_t(i * 17)));
    TensorRecord r;
    r.name = "t" + std::to_string(i);
    r.dtype = "u8";
    r.shape = {int64_t(sizes[i])};
    r.offset = 12345; // overwritten
    offsets.push_back(w.add(r, blobs.back()));
  }
  EXPECT_EQ(offsets, (std::vector<uint64_t>{0, 64, 128, 128, 256, 320}));
  EXPECT_EQ(w.size(), 448u);
  ASSERT_EQ(w.data().size(), w.size());
  ASSERT_EQ(w.tensors().size(), sizes.size());

  std::vector<bool> covered(w.size(), false);
  for (size_t i = 0; i < sizes.size(); ++i) {
    const TensorRecord &r = w.tensors()[i];
    EXPECT_EQ(r.offset, offsets[i]);
    EXPECT_EQ(r.offset % kWeightsAlignment, 0u);
    EXPECT_EQ(r.bytes, sizes[i]);
    EXPECT_EQ(r.name, "t" + std::to_string(i));
    for (size_t j = 0; j < sizes[i]; ++j) {
      EXPECT_EQ(w.data()[r.offset + j], blobs[i][j]);
      covered[r.offset + j] = true;
    }
  }
  for (size_t b = 0; b < w.size(); ++b) {
    if (!covered[b]) {
      EXPECT_EQ(w.data()[b], 0) << "padding byte " << b;
    }
  }
}

TEST(ArtifactWeights, OffsetsDoNotMoveAsMoreIsAdded) {
  WeightsBuilder w;
  TensorRecord r;
  r.dtype = "u8";
  r.name = "a";
  uint64_t a = w.add(r, pattern(100, 1));
  std::vector<uint8_t> first(w.data().begin(), w.data().begin() + 100);
  for (int i = 0; i < 50; ++i) {
    r.name = "b" + std::to_string(i);
    w.add(r, pattern(1000, 2));
  }
  EXPECT_EQ(a, 0u);
  EXPECT_EQ(w.tensors()[0].offset, 0u);
  EXPECT_TRUE(std::equal(first.begin(), first.end(), w.data().begin()));
  EXPECT_EQ(w.size() % kWeightsAlignment, 0u);
}

// A builder told to expect much spills its bytes to a temporary file; what
// it hands out is byte for byte what the in-memory builder holds, before
// and after the announcement, and across more adds after data().
TEST(ArtifactWeights, SpilledBuilderHoldsTheSameBytes) {
  WeightsBuilder memory, spilled;
  spilled.setSpillThreshold(1000);
  TensorRecord r;
  r.dtype = "u8";
  r.name = "before";
  EXPECT_EQ(memory.add(r, pattern(70, 5)), spilled.add(r, pattern(70, 5)));
  memory.reserve(5000);
  spilled.reserve(5000);
  EXPECT_FALSE(memory.spilled());
  ASSERT_TRUE(spilled.spilled());
  for (int i = 0; i < 20; ++i) {
    r.name = "t" + std::to_string(i);
    EXPECT_EQ(memory.add(r, pattern(37 * i, uint8_t(i))),
              spilled.add(r, pattern(37 * i, uint8_t(i))));
    if (i == 10) {
      ASSERT_EQ(spilled.data().size(), memory.size());
      EXPECT_TRUE(std::equal(memory.data().begin(), memory.data().end(),
                             spilled.data().begin()));
    }
  }
  EXPECT_EQ(spilled.size(), memory.size());
  ASSERT_EQ(spilled.data().size(), memory.data().size());
  EXPECT_TRUE(std::equal(memory.data().begin(), memory.data().end(),
                         spilled.data().begin()));
  EXPECT_EQ(sha256Hex(llvm::toStringRef(spilled.data())),
            sha256Hex(llvm::toStringRef(memory.data())));
  // Moved into a description, as compileArtifact does, it keeps its bytes.
  WeightsBuilder moved = std::move(spilled);
  EXPECT_EQ(sha256Hex(llvm::toStringRef(moved.data())),
            sha256Hex(llvm::toStringRef(memory.data())));
}

//===----------------------------------------------------------------------===//
// Manifest
//===----------------------------------------------------------------------===//

// weights.bin of a 1B-parameter model is past 512 MB, where a 32-bit count
// of bits wraps (LLVM 22's SHA256 does): the digest must be FIPS 180-4's,
// the one the runtime checks at load.
TEST(ArtifactSha256, PastHalfAGigabyte) {
  std::vector<uint8_t> big((size_t(1) << 29) + 1);
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = uint8_t(i * 7);
  EXPECT_EQ(sha256Hex(llvm::ArrayRef<uint8_t>(big)),
            "84799f27354465daba6e8ffd0f6b364c46b6dceffcc895a06ebce8879470a11f");
}

TEST(ArtifactSha256, KnownVectors) {
  EXPECT_EQ(sha256Hex(StringRef("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256Hex(StringRef("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(manifestSha256Hex("abc"), sha256Hex(StringRef("abc")));
}

std::vector<int64_t> intArray(const json::Array *a) {
  std::vector<int64_t> out;
  if (!a)
    return {-999};
  for (const json::Value &v : *a)
    out.push_back(v.getAsInteger().value_or(-999));
  return out;
}

TEST(ArtifactManifest, ParsesBackWithTheDocumentedValues) {
  ArtifactDescription d = sampleDescription();
  std::string text = renderManifest(d);
  llvm::Expected<json::Value> parsed = json::parse(text);
  ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError()) << text;
  const json::Object *root = parsed->getAsObject();
  ASSERT_TRUE(root);

  EXPECT_EQ(root->getString("format"), StringRef("quantc-artifact"));
  EXPECT_EQ(root->getInteger("format_version"), 1);
  EXPECT_EQ(root->getInteger("abi_version"), int64_t(QCRT_ABI_VERSION));
  EXPECT_EQ(root->getString("name"), StringRef("fashion_cnn"));

  const json::Object *producer = root->getObject("producer");
  ASSERT_TRUE(producer);
  EXPECT_EQ(producer->getString("tool"), StringRef("quant-compile"));
  EXPECT_EQ(producer->getString("version"), StringRef("0.1.0"));
  EXPECT_EQ(producer->getString("llvm"), StringRef("22.1.0"));

  const json::Object *source = root->getObject("source");
  ASSERT_TRUE(source);
  EXPECT_EQ(source->getString("file"), StringRef("fashion-cnn.onnx"));
  EXPECT_EQ(source->getString("sha256"),
            StringRef(sha256Hex(StringRef("model bytes"))));
  EXPECT_EQ(root->getString("options"),
            StringRef("--scheme w8a8 --target host,aarch64"));

  const json::Array *inputs = root->getArray("inputs");
  ASSERT_TRUE(inputs);
  ASSERT_EQ(inputs->size(), 1u);
  const json::Object *in0 = (*inputs)[0].getAsObject();
  ASSERT_TRUE(in0);
  EXPECT_EQ(in0->getString("name"), StringRef("input"));
  EXPECT_EQ(in0->getString("dtype"), StringRef("f32"));
  EXPECT_EQ(intArray(in0->getArray("shape")),
            (std::vector<int64_t>{1, 1, 28, 28}));
  EXPECT_EQ(in0->getInteger("bytes"), 3136);

  const json::Array *outputs = root->getArray("outputs");
  ASSERT_TRUE(outputs);
  ASSERT_EQ(outputs->size(), 2u);
  EXPECT_EQ((*outputs)[1].getAsObject()->getString("dtype"), StringRef("f16"));
  EXPECT_EQ((*outputs)[1].getAsObject()->getInteger("bytes"), 20);
  EXPECT_EQ(root->getInteger("arena_bytes"), 65536);

  const json::Object *weights = root->getObject("weights");
  ASSERT_TRUE(weights);
  EXPECT_EQ(weights->getString("file"), StringRef("weights.bin"));
  EXPECT_EQ(weights->getInteger("bytes"), int64_t(d.weights.size()));
  EXPECT_EQ(weights->getInteger("alignment"), 64);
  EXPECT_EQ(weights->getString("sha256"),
            StringRef(sha256Hex(d.weights.data())));

  const json::Array *tensors = root->getArray("tensors");
  ASSERT_TRUE(tensors);
  ASSERT_EQ(tensors->size(), 3u);
  const json::Object *conv = (*tensors)[0].getAsObject();
  ASSERT_TRUE(conv);
  EXPECT_EQ(conv->getString("name"), StringRef("features.0.weight"));
  EXPECT_EQ(conv->getInteger("offset"), 0);
  EXPECT_EQ(conv->getInteger("bytes"), 144);
  EXPECT_EQ(conv->getString("dtype"), StringRef("i8"));
  EXPECT_EQ(intArray(conv->getArray("shape")),
            (std::vector<int64_t>{16, 1, 3, 3}));
  EXPECT_EQ(conv->getString("layout"), StringRef("oihw"));
  const json::Object *quant = conv->getObject("quant");
  ASSERT_TRUE(quant);
  const json::Array *scales = quant->getArray("scales");
  ASSERT_TRUE(scales);
  ASSERT_EQ(scales->size(), 16u);
  EXPECT_EQ((*scales)[0].getAsNumber(), 0.0039);
  EXPECT_EQ((*scales)[1].getAsNumber(), 1.0 / 3.0);
  std::vector<int64_t> zp(16, 0);
  zp[2] = -3;
  EXPECT_EQ(intArray(quant->getArray("zero_points")), zp);
  EXPECT_EQ(quant->getInteger("axis"), 0);
  EXPECT_FALSE(quant->get("block_size"));

  const json::Object *bias = (*tensors)[1].getAsObject();
  ASSERT_TRUE(bias);
  EXPECT_EQ(bias->getInteger("offset"), 192);
  EXPECT_EQ(bias->getString("layout"), StringRef("rowmajor"));
  EXPECT_FALSE(bias->get("quant"));

  const json::Object *fc = (*tensors)[2].getAsObject();
  ASSERT_TRUE(fc);
  EXPECT_EQ(fc->getInteger("offset"), 256);
  EXPECT_EQ(fc->getInteger("bytes"), 700);
  EXPECT_EQ(fc->getObject("quant")->getInteger("block_size"), 32);
  EXPECT_EQ(fc->getObject("quant")->getInteger("axis"), 1);
  for (const json::Value &t : *tensors) {
    int64_t offset = *t.getAsObject()->getInteger("offset");
    int64_t bytes = *t.getAsObject()->getInteger("bytes");
    EXPECT_EQ(offset % 64, 0);
    EXPECT_LE(offset + bytes, *weights->getInteger("bytes"));
  }

  const json::Array *targets = root->getArray("targets");
  ASSERT_TRUE(targets);
  ASSERT_EQ(targets->size(), 3u);
  const json::Object *arm = (*targets)[1].getAsObject();
  ASSERT_TRUE(arm);
  EXPECT_EQ(arm->getString("triple"), StringRef("aarch64-unknown-linux-gnu"));
  EXPECT_EQ(arm->getString("library"),
            StringRef("aarch64-linux-gnu/libfashion_cnn.a"));
  const json::Array *variants = arm->getArray("variants");
  ASSERT_TRUE(variants);
  ASSERT_EQ(variants->size(), 3u);
  EXPECT_EQ((*variants)[0].getAsString(), StringRef("i8mm"));
  EXPECT_EQ((*variants)[2].getAsString(), StringRef("base"));
  EXPECT_EQ((*targets)[2].getAsObject()->getString("library"),
            StringRef("aarch64-apple-darwin/libfashion_cnn.a"));

  const json::Object *header = root->getObject("header");
  ASSERT_TRUE(header);
  EXPECT_EQ(header->getString("file"), StringRef("fashion_cnn.h"));
  EXPECT_EQ(header->getString("sha256"),
            StringRef(sha256Hex(StringRef(renderHeader(d)))));
  EXPECT_EQ(root->size(), 14u) << "unexpected extra or missing keys";
}

TEST(ArtifactManifest, TextLayout) {
  ArtifactDescription d = sampleDescription();
  std::string text = renderManifest(d);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  EXPECT_FALSE(StringRef(text).ends_with("\n\n"));
  EXPECT_TRUE(StringRef(text).starts_with(
      "{\n  \"format\": \"quantc-artifact\",\n  \"format_version\": 1,\n"))
      << text;
  EXPECT_NE(text.find("      \"shape\": [1, 1, 28, 28],\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("\"variants\": [\"i8mm\", \"dotprod\", \"base\"]"),
            std::string::npos);
  EXPECT_EQ(text.find('\t'), std::string::npos);

  // Top-level keys in the order of docs/Artifact.md.
  std::vector<std::string> keys;
  llvm::SmallVector<StringRef> lines;
  StringRef(text).split(lines, '\n');
  for (StringRef line : lines)
    if (line.starts_with("  \"") && !line.starts_with("   "))
      keys.push_back(line.drop_front(3).split('"').first.str());
  EXPECT_EQ(keys, (std::vector<std::string>{"format", "format_version",
                                            "abi_version", "name", "producer",
                                            "source", "options", "inputs",
                                            "outputs", "arena_bytes", "weights",
                                            "tensors", "targets", "header"}));
  // Keys inside a tensor, in documented order.
  size_t tensor = text.find("\"name\": \"features.0.weight\"");
  ASSERT_NE(tensor, std::string::npos);
  size_t last = tensor;
  for (StringRef key :
       {"\"offset\"", "\"bytes\"", "\"dtype\"", "\"shape\"", "\"layout\"",
        "\"quant\"", "\"scales\"", "\"zero_points\"", "\"axis\""}) {
    size_t at = text.find(key, last);
    ASSERT_NE(at, std::string::npos) << key.str();
    EXPECT_LT(last, at) << key.str();
    last = at;
  }
  EXPECT_EQ(renderManifest(d), text) << "not deterministic";
}

TEST(ArtifactManifest, FloatsRoundTripInShortestForm) {
  std::vector<double> values = {0.0039,
                                0.1,
                                1.0 / 3.0,
                                1e-7,
                                123456789.125,
                                4.9406564584124654e-324,
                                1.7976931348623157e308,
                                double(0.0039f),
                                2.0,
                                -0.5};
  ArtifactDescription d = sampleDescription();
  TensorRecord r;
  r.name = "scales";
  r.dtype = "i8";
  r.shape = {int64_t(values.size())};
  TensorQuant q;
  q.scales = values;
  q.zeroPoints.assign(values.size(), 0);
  q.axis = 0;
  r.quant = q;
  d.weights.add(r, pattern(values.size(), 9));
  std::string text = renderManifest(d);
  EXPECT_NE(text.find("\"scales\": [0.0039, 0.1, 0.3333333333333333, 1e-07, "
                      "123456789.125, 5e-324, 1.7976931348623157e+308, "
                      "0.0038999998942017555, 2, -0.5]"),
            std::string::npos)
      << text;

  llvm::Expected<json::Value> parsed = json::parse(text);
  ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
  const json::Array *tensors = parsed->getAsObject()->getArray("tensors");
  const json::Array *scales =
      tensors->back().getAsObject()->getObject("quant")->getArray("scales");
  ASSERT_EQ(scales->size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    std::optional<double> v = (*scales)[i].getAsNumber();
    ASSERT_TRUE(v);
    uint64_t got, want;
    std::memcpy(&got, &*v, 8);
    std::memcpy(&want, &values[i], 8);
    EXPECT_EQ(got, want) << "scale " << i << " = " << values[i];
  }
}

TEST(ArtifactManifest, EscapesStrings) {
  ArtifactDescription d = sampleDescription();
  std::string odd = "in \"put\" \\ with\nnewline\ttab\x01 and \xc3\xa9";
  d.inputs[0].name = odd;
  d.options = "--calib \"my dir\"\\";
  std::string text = renderManifest(d);
  llvm::Expected<json::Value> parsed = json::parse(text);
  ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError()) << text;
  const json::Object *root = parsed->getAsObject();
  EXPECT_EQ((*root->getArray("inputs"))[0].getAsObject()->getString("name"),
            StringRef(odd));
  EXPECT_EQ(root->getString("options"), StringRef(d.options));
  EXPECT_NE(text.find("\\u0001"), std::string::npos);
}

//===----------------------------------------------------------------------===//
// verifyDescription
//===----------------------------------------------------------------------===//

/// A description that passes verification (with object files).
ArtifactDescription validDescription() {
  ArtifactDescription d = sampleDescription();
  completeArtifact(d);
  return d;
}

TEST(ArtifactVerify, AcceptsTheSample) {
  ArtifactDescription d = validDescription();
  EXPECT_EQ(errorText(verifyDescription(d)), "");
}

TEST(ArtifactVerify, RejectsMalformedDescriptions) {
  const ArtifactDescription valid = validDescription();
  struct Case {
    const char *expected;
    std::function<void(ArtifactDescription &)> mutate;
  };
  auto addTensor = [](ArtifactDescription &d, TensorRecord r, size_t n) {
    d.weights.add(std::move(r), pattern(n, 3));
  };
  std::vector<Case> cases = {
      {"is not a usable C name",
       [](ArtifactDescription &d) { d.name = "fashion-cnn"; }},
      {"unknown dtype 'f8'",
       [](ArtifactDescription &d) { d.inputs[0].dtype = "f8"; }},
      {"dimension 2 is -1",
       [](ArtifactDescription &d) {
         d.outputs[1].shape = {1, 2, -1};
       }},
      {"rank 9 exceeds",
       [](ArtifactDescription &d) { d.inputs[0].shape.assign(9, 1); }},
      {"overflows",
       [](ArtifactDescription &d) {
         d.inputs[0].shape = {int64_t(1) << 40, int64_t(1) << 30};
       }},
      {"output 1 ('logits'): the name is used by an earlier output",
       [](ArtifactDescription &d) { d.outputs[1].name = "logits"; }},
      {"input 0 name is not valid UTF-8",
       [](ArtifactDescription &d) { d.inputs[0].name = "bad\xff"; }},
      {"source sha256",
       [](ArtifactDescription &d) { d.source.sha256 = "ABC"; }},
      {"the name is used by an earlier tensor",
       [&](ArtifactDescription &d) {
         TensorRecord r;
         r.name = "features.0.bias";
         r.dtype = "u8";
         r.shape = {4};
         addTensor(d, r, 4);
       }},
      {"3 scales for axis 0 of size 4",
       [&](ArtifactDescription &d) {
         TensorRecord r;
         r.name = "w";
         r.dtype = "i8";
         r.shape = {4};
         r.quant = TensorQuant{{1, 2, 3}, {0, 0, 0}, 0, std::nullopt};
         addTensor(d, r, 4);
       }},
      {"2 scales but 1 zero points",
       [&](ArtifactDescription &d) {
         TensorRecord r;
         r.name = "w";
         r.dtype = "i8";
         r.shape = {2};
         r.quant = TensorQuant{{1, 2}, {0}, 0, std::nullopt};
         addTensor(d, r, 2);
       }},
      {"scale 0 is not finite",
       [&](ArtifactDescription &d) {
         TensorRecord r;
         r.name = "w";
         r.dtype = "i8";
         r.shape = {1};
         r.quant = TensorQuant{{NAN}, {0}, std::nullopt, std::nullopt};
         addTensor(d, r, 1);
       }},
      {"quantization axis 1 is outside the rank 1",
       [&](ArtifactDescription &d) {
         TensorRecord r;
         r.name = "w";
         r.dtype = "i8";
         r.shape = {1};
         r.quant = TensorQuant{{1}, {0}, 1, std::nullopt};
         addTensor(d, r, 1);
       }},
      {"7 bytes, but a dense rowmajor i32 tensor of this shape has 8",
       [&](ArtifactDescription &d) {
         TensorRecord r;
         r.name = "w";
         r.dtype = "i32";
         r.shape = {2};
         addTensor(d, r, 7);
       }},
      {"no targets", [](ArtifactDescription &d) { d.targets.clear(); }},
      {"marked Darwin, but the triple's object format is elf",
       [](ArtifactDescription &d) { d.targets[0].darwin = true; }},
      {"member 'model.o' is not an ELF relocatable object file",
       [&](ArtifactDescription &d) {
         d.targets[0].objects[0].second = valid.targets[2].objects[0].second;
       }},
      {"member 'model.o' is not a Mach-O object file",
       [&](ArtifactDescription &d) {
         d.targets[2].objects[0].second = valid.targets[0].objects[0].second;
       }},
      {"directory '../x86' is not a plain name",
       [](ArtifactDescription &d) { d.targets[0].dir = "../x86"; }},
      {"directory 'Weights.bin' is already used",
       [](ArtifactDescription &d) { d.targets[0].dir = "Weights.bin"; }},
      {"directory 'fashion_cnn.h' is already used",
       [](ArtifactDescription &d) { d.targets[0].dir = "fashion_cnn.h"; }},
      {"directory 'X86_64-linux-gnu' is already used",
       [](ArtifactDescription &d) { d.targets[1].dir = "X86_64-linux-gnu"; }},
      {"no variants",
       [](ArtifactDescription &d) { d.targets[1].variants.clear(); }},
      {"variant 'base' listed twice",
       [](ArtifactDescription &d) { d.targets[0].variants.push_back("base"); }},
      {"no object files",
       [](ArtifactDescription &d) { d.targets[0].objects.clear(); }},
      {"archive member 'model.o' listed twice",
       [](ArtifactDescription &d) {
         d.targets[0].objects[1].first = "model.o";
       }},
      {"archive member name 'a/b.o'",
       [](ArtifactDescription &d) { d.targets[0].objects[1].first = "a/b.o"; }},
      {"not a target triple",
       [](ArtifactDescription &d) { d.targets[0].triple = "nonsense"; }},
  };
  for (const Case &c : cases) {
    ArtifactDescription d = valid;
    c.mutate(d);
    std::string message = errorText(verifyDescription(d));
    EXPECT_NE(message.find(c.expected), std::string::npos)
        << "expected '" << c.expected << "', got '" << message << "'";
  }
}

//===----------------------------------------------------------------------===//
// Header
//===----------------------------------------------------------------------===//

TEST(ArtifactHeader, Declarations) {
  ArtifactDescription d = sampleDescription();
  std::string h = renderHeader(d);
  for (StringRef expected :
       {"#ifndef QUANTC_MODEL_FASHION_CNN_H\n", "#include <quantc/runtime.h>\n",
        "#ifdef __cplusplus\nextern \"C\" {\n#endif\n",
        "extern const qcrt_model_desc fashion_cnn_desc;\n",
        "static inline qcrt_model *fashion_cnn_create(const char "
        "*artifact_dir,\n    const qcrt_options *options) {\n  return "
        "qcrt_create(artifact_dir, &fashion_cnn_desc, options);\n}\n",
        "#define FASHION_CNN_NUM_INPUTS 1\n",
        "#define FASHION_CNN_NUM_OUTPUTS 2\n",
        "/* input 0 \"input\": f32 [1, 1, 28, 28] */\n"
        "#define FASHION_CNN_INPUT_INPUT 0\n"
        "#define FASHION_CNN_INPUT_INPUT_BYTES UINT64_C(3136)\n"
        "#define FASHION_CNN_INPUT_INPUT_DTYPE QCRT_F32\n",
        "/* output 1 \"probs\": f16 [1, 10] */\n"
        "#define FASHION_CNN_OUTPUT_PROBS 1\n"
        "#define FASHION_CNN_OUTPUT_PROBS_BYTES UINT64_C(20)\n"
        "#define FASHION_CNN_OUTPUT_PROBS_DTYPE QCRT_F16\n"})
    EXPECT_NE(h.find(expected.str()), std::string::npos)
        << "missing:\n"
        << expected.str() << "\nin:\n"
        << h;
  EXPECT_TRUE(
      StringRef(h).ends_with("#endif /* QUANTC_MODEL_FASHION_CNN_H */\n"));
  EXPECT_EQ(renderHeader(d), h);
}

/// A description whose input names clash after conversion and carry comment
/// terminators.
ArtifactDescription awkwardDescription() {
  ArtifactDescription d = sampleDescription("awk");
  d.source.file = "evil */ #error no /* name.onnx";
  d.inputs = {{"x", "f32", {2, 3}}, {"x_bytes", "u8", {5}},
              {"X", "i16", {7}},    {"weird */ name", "bool", {3}},
              {"1st", "i64", {}},   {"--", "bf16", {4}}};
  d.outputs = {{"x", "f64", {2}}};
  return d;
}

bool compileWithClang(StringRef clang, llvm::ArrayRef<std::string> flags,
                      StringRef file, std::string &output) {
  std::vector<std::string> args = flags;
  args.push_back("-I" + std::string(QC_RUNTIME_INCLUDE_DIR));
  args.push_back(file.str());
  return run(clang, args, output) == 0;
}

TEST_F(ArtifactDirTest, HeaderCompilesAsCAndCxx) {
  std::optional<std::string> clang = findTool("clang-22");
  if (!clang)
    GTEST_SKIP() << "clang-22 not found";
  for (const ArtifactDescription &d :
       {sampleDescription(), awkwardDescription()}) {
    std::string header = path(d.name + ".h");
    std::error_code ec;
    {
      llvm::raw_fd_ostream os(header, ec);
      ASSERT_FALSE(ec);
      os << renderHeader(d);
    }
    std::vector<std::pair<std::vector<std::string>, std::string>> modes = {
        {{"-x", "c", "-std=c99"}, "C99"},
        {{"-x", "c", "-std=c11"}, "C11"},
        {{"-x", "c++", "-std=c++11"}, "C++11"},
        {{"-x", "c++", "-std=c++17"}, "C++17"}};
    std::string includer = path("include_" + d.name + ".c");
    ASSERT_EQ(errorText(writeText(includer, "#include \"" + d.name +
                                                ".h\"\nint use_it;\n")),
              "");
    for (auto &[flags, what] : modes) {
      std::vector<std::string> args = {"-fsyntax-only", "-Wall", "-Wextra",
                                       "-pedantic", "-Werror"};
      args.insert(args.end(), flags.begin(), flags.end());
      std::string output;
      // As its own main file, where the static inline create function is
      // unused by construction.
      std::vector<std::string> alone = args;
      alone.push_back("-Wno-unused-function");
      EXPECT_TRUE(compileWithClang(*clang, alone, header, output))
          << d.name << ".h as " << what << ":\n"
          << output << "\n"
          << renderHeader(d);
      // Included, with every warning.
      EXPECT_TRUE(compileWithClang(*clang, args, includer, output))
          << d.name << ".h included as " << what << ":\n"
          << output << "\n"
          << renderHeader(d);
    }
  }
}

TEST_F(ArtifactDirTest, HeaderMacrosHaveTheirValues) {
  std::optional<std::string> clang = findTool("clang-22");
  if (!clang)
    GTEST_SKIP() << "clang-22 not found";
  ArtifactDescription d = awkwardDescription();
  std::error_code ec;
  {
    llvm::raw_fd_ostream os(path("awk.h"), ec);
    ASSERT_FALSE(ec);
    os << renderHeader(d);
  }
  std::string weights = std::to_string(d.weights.size());
  std::string source = R"(#include "awk.h"
#define CHECK(c) _Static_assert(c, #c)
CHECK(AWK_NUM_INPUTS == 6);
CHECK(AWK_NUM_OUTPUTS == 1);
CHECK(AWK_WEIGHTS_BYTES == )" +
                       weights + R"();
CHECK(AWK_ARENA_BYTES == 65536);
CHECK(AWK_INPUT_X == 0);
CHECK(AWK_INPUT_X_BYTES == 24);
CHECK(AWK_INPUT_X_DTYPE == QCRT_F32);
CHECK(AWK_INPUT_X_BYTES_1 == 1);
CHECK(AWK_INPUT_X_BYTES_1_BYTES == 5);
CHECK(AWK_INPUT_X_BYTES_1_DTYPE == QCRT_U8);
CHECK(AWK_INPUT_X_2 == 2);
CHECK(AWK_INPUT_X_2_BYTES == 14);
CHECK(AWK_INPUT_X_2_DTYPE == QCRT_I16);
CHECK(AWK_INPUT_WEIRD_NAME == 3);
CHECK(AWK_INPUT_WEIRD_NAME_BYTES == 3);
CHECK(AWK_INPUT_WEIRD_NAME_DTYPE == QCRT_BOOL);
CHECK(AWK_INPUT_1ST == 4);
CHECK(AWK_INPUT_1ST_BYTES == 8);
CHECK(AWK_INPUT_5 == 5);
CHECK(AWK_INPUT_5_BYTES == 8);
CHECK(AWK_INPUT_5_DTYPE == QCRT_BF16);
CHECK(AWK_OUTPUT_X == 0);
CHECK(AWK_OUTPUT_X_BYTES == 16);
CHECK(AWK_OUTPUT_X_DTYPE == QCRT_F64);
const qcrt_model_desc *desc_address(void) { return &awk_desc; }
qcrt_model *open_it(const char *dir) { return awk_create(dir, NULL); }
)";
  {
    llvm::raw_fd_ostream os(path("use.c"), ec);
    ASSERT_FALSE(ec);
    os << source;
  }
  std::string output;
  EXPECT_TRUE(compileWithClang(
      *clang,
      {"-fsyntax-only", "-std=c11", "-Wall", "-Wextra", "-pedantic", "-Werror"},
      path("use.c"), output))
      << output << "\n"
      << renderHeader(d);
}

//===----------------------------------------------------------------------===//
// Archives
//===----------------------------------------------------------------------===//

std::set<std::string> archiveSymbols(const llvm::object::Archive &a) {
  std::set<std::string> names;
  for (const llvm::object::Archive::Symbol &s : a.symbols())
    names.insert(s.getName().str());
  return names;
}

TEST_F(ArtifactDirTest, ArchivesForElfAndMachO) {
  ArtifactDescription d = sampleDescription();
  completeArtifact(d);
  std::optional<std::string> nm = findTool("llvm-nm-22");
  std::optional<std::string> llvmAr = findTool("llvm-ar-22");
  std::optional<std::string> gnuAr = findTool("ar");

  for (const TargetLibrary &t : d.targets) {
    SCOPED_TRACE(t.triple);
    auto buffer = renderArchive(t);
    ASSERT_TRUE(bool(buffer)) << llvm::toString(buffer.takeError());
    auto again = renderArchive(t);
    ASSERT_TRUE(bool(again));
    EXPECT_EQ((*buffer)->getBuffer(), (*again)->getBuffer())
        << "not deterministic";

    llvm::Error err = llvm::Error::success();
    llvm::object::Archive archive((*buffer)->getMemBufferRef(), err);
    ASSERT_FALSE(err) << llvm::toString(std::move(err));
    // The reader reports Darwin archives as BSD ones; the symbol table
    // member tells them from GNU archives.
    StringRef bytes = (*buffer)->getBuffer();
    if (t.darwin) {
      EXPECT_EQ(archive.kind(), llvm::object::Archive::K_BSD);
      EXPECT_NE(bytes.find("__.SYMDEF"), StringRef::npos);
    } else {
      EXPECT_EQ(archive.kind(), llvm::object::Archive::K_GNU);
      EXPECT_EQ(bytes.find("__.SYMDEF"), StringRef::npos);
      EXPECT_TRUE(bytes.drop_front(8).starts_with("/ ")) << "no GNU symtab";
    }
    EXPECT_TRUE(archive.hasSymbolTable());

    std::vector<std::string> members;
    size_t index = 0;
    for (const llvm::object::Archive::Child &c : archive.children(err)) {
      llvm::Expected<StringRef> name = c.getName();
      ASSERT_TRUE(bool(name)) << llvm::toString(name.takeError());
      members.push_back(name->str());
      llvm::Expected<StringRef> bytes = c.getBuffer();
      ASSERT_TRUE(bool(bytes));
      ASSERT_LT(index, t.objects.size());
      EXPECT_EQ(*bytes, StringRef(t.objects[index].second.data(),
                                  t.objects[index].second.size()));
      auto modTime = c.getLastModified();
      ASSERT_TRUE(bool(modTime));
      EXPECT_EQ(modTime->time_since_epoch().count(), 0);
      auto uid = c.getUID();
      ASSERT_TRUE(bool(uid));
      EXPECT_EQ(*uid, 0u);
      ++index;
    }
    ASSERT_FALSE(err) << llvm::toString(std::move(err));
    EXPECT_EQ(members, (std::vector<std::string>{
                           "model.o", "helpers_with_a_long_member_name.o"}));

    std::string prefix = t.darwin ? "_" : "";
    std::set<std::string> symbols = archiveSymbols(archive);
    for (StringRef s : {"fashion_cnn_desc", "fashion_cnn_base",
                        "fashion_cnn_fast", "fashion_cnn_helper"})
      EXPECT_TRUE(symbols.count(prefix + s.str()))
          << "symbol table lacks " << prefix << s.str();

    ASSERT_EQ(errorText(writeTargetArchive(t, d.name, root)), "");
    std::string lib = path(t.dir + "/libfashion_cnn.a");
    EXPECT_EQ(readFile(lib), (*buffer)->getBuffer());

    std::string output;
    if (nm) {
      ASSERT_EQ(run(*nm, {"--defined-only", lib}, output), 0) << output;
      for (StringRef s :
           {"fashion_cnn_desc", "fashion_cnn_base", "fashion_cnn_helper"})
        EXPECT_NE(output.find(" " + prefix + s.str() + "\n"), std::string::npos)
            << output;
      ASSERT_EQ(run(*nm, {"--print-armap", lib}, output), 0) << output;
      EXPECT_NE(output.find(prefix + "fashion_cnn_desc in model.o"),
                std::string::npos)
          << output;
    }
    if (llvmAr) {
      ASSERT_EQ(run(*llvmAr, {"t", lib}, output), 0) << output;
      EXPECT_EQ(output, "model.o\nhelpers_with_a_long_member_name.o\n");
    }
    if (gnuAr && !t.darwin) {
      ASSERT_EQ(run(*gnuAr, {"t", lib}, output), 0) << output;
      EXPECT_EQ(output, "model.o\nhelpers_with_a_long_member_name.o\n");
    }
  }
  if (!nm || !llvmAr || !gnuAr)
    GTEST_SKIP() << "llvm-nm-22, llvm-ar-22 or ar missing: listed with "
                    "llvm::object only";
}

TEST(ArtifactArchive, BrokenObjectIsAnError) {
  TargetLibrary t;
  t.triple = "x86_64-unknown-linux-gnu";
  t.dir = "x86_64-linux-gnu";
  t.variants = {"base"};
  std::vector<char> broken = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
  broken.resize(40, '\x55');
  t.objects.emplace_back("broken.o", broken);
  auto buffer = renderArchive(t);
  ASSERT_FALSE(bool(buffer));
  std::string message = llvm::toString(buffer.takeError());
  EXPECT_NE(message.find("library for x86_64-unknown-linux-gnu"),
            std::string::npos)
      << message;
}

//===----------------------------------------------------------------------===//
// Descriptor
//===----------------------------------------------------------------------===//

TEST(ArtifactDescriptor, LayoutMatchesRuntimeHeader) {
  // Every supported target is LP64 with natural alignment, as the host
  // compiling this test is: the host's offsetof is every target's.
  static_assert(sizeof(void *) == 8, "the test assumes an LP64 host");
  llvm::LLVMContext ctx;
  for (const TargetSpec &spec : targetSpecs()) {
    SCOPED_TRACE(spec.triple);
    std::unique_ptr<llvm::TargetMachine> tm = targetMachine(spec.triple);
    ASSERT_TRUE(tm);
    llvm::DataLayout dl = tm->createDataLayout();
    const llvm::StructLayout *desc = dl.getStructLayout(getModelDescType(ctx));
    size_t expected[] = {offsetof(qcrt_model_desc, abi_version),
                         offsetof(qcrt_model_desc, name),
                         offsetof(qcrt_model_desc, manifest_sha256),
                         offsetof(qcrt_model_desc, weights_bytes),
                         offsetof(qcrt_model_desc, arena_bytes),
                         offsetof(qcrt_model_desc, num_inputs),
                         offsetof(qcrt_model_desc, num_outputs),
                         offsetof(qcrt_model_desc, num_variants),
                         offsetof(qcrt_model_desc, variants)};
    for (unsigned i = 0; i < std::size(expected); ++i)
      EXPECT_EQ(desc->getElementOffset(i), expected[i]) << "field " << i;
    EXPECT_EQ(desc->getSizeInBytes(), sizeof(qcrt_model_desc));
    EXPECT_EQ(desc->getAlignment().value(), alignof(qcrt_model_desc));

    const llvm::StructLayout *variant = dl.getStructLayout(getVariantType(ctx));
    EXPECT_EQ(variant->getElementOffset(0), offsetof(qcrt_variant, isa));
    EXPECT_EQ(variant->getElementOffset(1), offsetof(qcrt_variant, name));
    EXPECT_EQ(variant->getElementOffset(2), offsetof(qcrt_variant, run));
    EXPECT_EQ(variant->getSizeInBytes(), sizeof(qcrt_variant));
  }
}

TEST(ArtifactDescriptor, JitReadsItThroughTheCStruct) {
  initTargets();
  auto jit = llvm::orc::LLJITBuilder().create();
  ASSERT_TRUE(bool(jit)) << llvm::toString(jit.takeError());

  auto ctx = std::make_unique<llvm::LLVMContext>();
  std::unique_ptr<llvm::Module> m = entryModule(*ctx, "jit_model");
  ASSERT_TRUE(m);
  m->setDataLayout((*jit)->getDataLayout());
  m->setTargetTriple((*jit)->getTargetTriple());

  DescriptorInfo info;
  info.name = "jit_model";
  info.manifestSha256 = sha256Hex(StringRef("manifest"));
  info.weightsBytes = 4096;
  info.arenaBytes = 64;
  info.numInputs = 1;
  info.numOutputs = 1;
  info.variants = {{kIsaDotProd | kIsaI8MM, "i8mm", "jit_model_fast"},
                   {0, "base", "jit_model_base"}};
  llvm::Error e = emitModelDescriptor(*m, info);
  ASSERT_FALSE(e) << llvm::toString(std::move(e));
  std::string verifierOutput;
  llvm::raw_string_ostream vos(verifierOutput);
  ASSERT_FALSE(llvm::verifyModule(*m, &vos)) << verifierOutput;

  // Only the descriptor is visible outside the module.
  llvm::GlobalVariable *desc = m->getGlobalVariable("jit_model_desc");
  ASSERT_TRUE(desc);
  EXPECT_TRUE(desc->isConstant());
  EXPECT_TRUE(desc->hasExternalLinkage());
  for (const llvm::GlobalVariable &g : m->globals()) {
    if (&g != desc) {
      EXPECT_TRUE(g.hasPrivateLinkage()) << g.getName().str();
    }
  }

  llvm::Error added = (*jit)->addIRModule(
      llvm::orc::ThreadSafeModule(std::move(m), std::move(ctx)));
  ASSERT_FALSE(added) << llvm::toString(std::move(added));
  auto address = (*jit)->lookup("jit_model_desc");
  ASSERT_TRUE(bool(address)) << llvm::toString(address.takeError());
  const auto *d = address->toPtr<const qcrt_model_desc *>();

  EXPECT_EQ(d->abi_version, QCRT_ABI_VERSION);
  EXPECT_STREQ(d->name, "jit_model");
  EXPECT_STREQ(d->manifest_sha256, info.manifestSha256.c_str());
  EXPECT_EQ(d->weights_bytes, 4096u);
  EXPECT_EQ(d->arena_bytes, 64u);
  EXPECT_EQ(d->num_inputs, 1u);
  EXPECT_EQ(d->num_outputs, 1u);
  ASSERT_EQ(d->num_variants, 2u);
  EXPECT_EQ(d->variants[0].isa, uint32_t(QCRT_ISA_DOTPROD | QCRT_ISA_I8MM));
  EXPECT_STREQ(d->variants[0].name, "i8mm");
  EXPECT_EQ(d->variants[1].isa, 0u);
  EXPECT_STREQ(d->variants[1].name, "base");

  alignas(64) uint8_t weights[64] = {uint8_t(-5)};
  alignas(64) uint8_t arena[64] = {};
  float x = 1.5f, y = 0;
  void *inputs[] = {&x};
  void *outputs[] = {&y};
  d->variants[0].run(weights, arena, inputs, outputs, nullptr);
  EXPECT_EQ(y, 3.0f);
  d->variants[1].run(weights, arena, inputs, outputs, nullptr);
  EXPECT_EQ(y, -3.5f);
  float slot;
  std::memcpy(&slot, arena + 60, 4);
  EXPECT_EQ(slot, -3.5f) << "the entry wrote its arena";
}

TEST(ArtifactDescriptor, DeclaresMissingEntries) {
  llvm::LLVMContext ctx;
  llvm::Module m("m", ctx);
  DescriptorInfo info;
  info.name = "decl";
  info.manifestSha256 = sha256Hex(StringRef("x"));
  info.variants = {{0, "base", "decl_entry"}};
  llvm::Error e = emitModelDescriptor(m, info);
  ASSERT_FALSE(e) << llvm::toString(std::move(e));
  llvm::Function *f = m.getFunction("decl_entry");
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->isDeclaration());
  EXPECT_EQ(f->getFunctionType(), getEntryFunctionType(ctx));
  EXPECT_FALSE(llvm::verifyModule(m, &llvm::errs()));

  // Its initializer, field by field.
  llvm::GlobalVariable *desc = m.getGlobalVariable("decl_desc");
  ASSERT_TRUE(desc && desc->hasInitializer());
  auto *init = llvm::cast<llvm::ConstantStruct>(desc->getInitializer());
  EXPECT_EQ(init->getType(), getModelDescType(ctx));
  EXPECT_EQ(llvm::cast<llvm::ConstantInt>(init->getOperand(7))->getZExtValue(),
            1u);
  auto *sha = llvm::cast<llvm::GlobalVariable>(init->getOperand(2));
  EXPECT_EQ(llvm::cast<llvm::ConstantDataArray>(sha->getInitializer())
                ->getAsCString(),
            StringRef(info.manifestSha256));
}

TEST(ArtifactDescriptor, RejectsConflicts) {
  llvm::LLVMContext ctx;
  DescriptorInfo info;
  info.name = "c";
  info.manifestSha256 = sha256Hex(StringRef("x"));
  info.variants = {{0, "base", "c_entry"}};

  auto expectError = [&](llvm::Module &m, const DescriptorInfo &i,
                         StringRef expected) {
    size_t globals = m.global_size(), functions = m.size();
    std::string message = errorText(emitModelDescriptor(m, i));
    EXPECT_NE(message.find(expected.str()), std::string::npos)
        << "expected '" << expected.str() << "', got '" << message << "'";
    EXPECT_EQ(m.global_size(), globals) << "module changed on error";
    EXPECT_EQ(m.size(), functions) << "module changed on error";
  };

  {
    llvm::Module m("m", ctx);
    new llvm::GlobalVariable(m, llvm::Type::getInt32Ty(ctx), false,
                             llvm::GlobalValue::ExternalLinkage, nullptr,
                             "c_desc");
    expectError(m, info, "already has a symbol");
  }
  {
    llvm::Module m("m", ctx);
    new llvm::GlobalVariable(m, llvm::Type::getInt32Ty(ctx), false,
                             llvm::GlobalValue::ExternalLinkage, nullptr,
                             "c_entry");
    expectError(m, info, "entry 'c_entry' is not a function");
  }
  {
    llvm::Module m("m", ctx);
    llvm::Function::Create(
        llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), false),
        llvm::GlobalValue::ExternalLinkage, "c_entry", m);
    expectError(m, info, "entry 'c_entry' is not a function");
  }
  {
    llvm::Module m("m", ctx);
    DescriptorInfo bad = info;
    bad.manifestSha256 = "XYZ";
    expectError(m, bad, "is not 64 lowercase hex digits");
    bad = info;
    bad.variants.clear();
    expectError(m, bad, "no variants");
    bad = info;
    bad.name = "1c";
    expectError(m, bad, "not a usable C name");
  }
}

//===----------------------------------------------------------------------===//
// writeArtifact
//===----------------------------------------------------------------------===//

TEST_F(ArtifactDirTest, WritesEveryFile) {
  ArtifactDescription d = sampleDescription();
  Rendered r = completeArtifact(d);
  std::string out = path("fashion_cnn.qc");
  llvm::Error e = writeArtifact(d, r.manifest, r.header, out);
  ASSERT_FALSE(e) << llvm::toString(std::move(e));

  std::map<std::string, std::string> files = readTree(out);
  std::set<std::string> names;
  for (auto &[name, bytes] : files)
    names.insert(name);
  EXPECT_EQ(names, (std::set<std::string>{
                       "manifest.json", "weights.bin", "fashion_cnn.h",
                       "x86_64-linux-gnu/libfashion_cnn.a",
                       "aarch64-linux-gnu/libfashion_cnn.a",
                       "aarch64-apple-darwin/libfashion_cnn.a"}));
  EXPECT_EQ(files["manifest.json"], r.manifest);
  EXPECT_EQ(files["fashion_cnn.h"], r.header);
  EXPECT_EQ(files["weights.bin"], llvm::toStringRef(d.weights.data()));
  for (const TargetLibrary &t : d.targets) {
    auto archive = renderArchive(t);
    ASSERT_TRUE(bool(archive));
    EXPECT_EQ(files[libraryPath(t, d.name)], (*archive)->getBuffer());
  }
  // The manifest names the weights and header by their hashes.
  json::Value manifest = llvm::cantFail(json::parse(files["manifest.json"]));
  EXPECT_EQ(manifest.getAsObject()->getObject("weights")->getString("sha256"),
            StringRef(sha256Hex(StringRef(files["weights.bin"]))));
  EXPECT_EQ(manifest.getAsObject()->getObject("header")->getString("sha256"),
            StringRef(sha256Hex(StringRef(files["fashion_cnn.h"]))));
  EXPECT_EQ(listDir(root), std::set<std::string>{"fashion_cnn.qc"});

  // Readable by others, as a shipped directory should be (umask allowing).
  fs::file_status status;
  ASSERT_FALSE(fs::status(out, status));
  EXPECT_TRUE(status.permissions() & fs::owner_all);
}

TEST_F(ArtifactDirTest, DeterministicOutput) {
  std::map<std::string, std::string> trees[2];
  for (int i = 0; i < 2; ++i) {
    ArtifactDescription d = sampleDescription();
    Rendered r = completeArtifact(d);
    std::string out = path("run" + std::to_string(i) + ".qc");
    llvm::Error e = writeArtifact(d, r.manifest, r.header, out);
    ASSERT_FALSE(e) << llvm::toString(std::move(e));
    trees[i] = readTree(out);
  }
  ASSERT_EQ(trees[0].size(), 6u);
  EXPECT_TRUE(trees[0] == trees[1]) << "two writes differ";
}

TEST_F(ArtifactDirTest, ReplacesAnOlderArtifact) {
  std::string out = path("model.qc");
  ArtifactDescription first = sampleDescription("fashion_cnn", 1);
  Rendered r1 = completeArtifact(first);
  ASSERT_EQ(errorText(writeArtifact(first, r1.manifest, r1.header, out)), "");
  ArtifactDescription second = sampleDescription("fashion_cnn", 2);
  Rendered r2 = completeArtifact(second);
  ASSERT_NE(r1.manifest, r2.manifest);
  // Trailing separators name the same directory.
  std::string message =
      errorText(writeArtifact(second, r2.manifest, r2.header, out + "//"));
  EXPECT_EQ(message, "");
  EXPECT_EQ(readFile(out + "/manifest.json"), r2.manifest);
  EXPECT_EQ(readFile(out + "/weights.bin"),
            llvm::toStringRef(second.weights.data()));
  EXPECT_EQ(listDir(root), std::set<std::string>{"model.qc"})
      << "temporary or previous directories left behind";

  // An empty directory is replaced too.
  std::string empty = path("empty.qc");
  ASSERT_FALSE(fs::create_directory(empty));
  EXPECT_EQ(errorText(writeArtifact(second, r2.manifest, r2.header, empty)),
            "");
  EXPECT_EQ(readFile(empty + "/manifest.json"), r2.manifest);
}

TEST_F(ArtifactDirTest, RefusesAnotherDirectory) {
  ArtifactDescription d = sampleDescription();
  Rendered r = completeArtifact(d);

  std::string mine = path("mine");
  ASSERT_FALSE(fs::create_directory(mine));
  ASSERT_EQ(errorText(writeText(mine + "/notes.txt", "keep me")), "");
  std::string message = errorText(writeArtifact(d, r.manifest, r.header, mine));
  EXPECT_NE(message.find("refusing to replace '" + mine + "'"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("not a quantc artifact"), std::string::npos)
      << message;
  EXPECT_EQ(readFile(mine + "/notes.txt"), "keep me");
  EXPECT_EQ(listDir(mine), std::set<std::string>{"notes.txt"});

  // A manifest.json of something else does not make it an artifact.
  std::string other = path("other");
  ASSERT_FALSE(fs::create_directory(other));
  ASSERT_EQ(errorText(writeText(other + "/manifest.json",
                                "{\"format\": \"something-else\"}")),
            "");
  message = errorText(writeArtifact(d, r.manifest, r.header, other));
  EXPECT_NE(message.find("refusing to replace '" + other + "'"),
            std::string::npos)
      << message;
  ASSERT_EQ(errorText(writeText(other + "/manifest.json", "{not json")), "");
  EXPECT_NE(errorText(writeArtifact(d, r.manifest, r.header, other)), "");
  EXPECT_EQ(listDir(root), (std::set<std::string>{"mine", "other"}));
}

TEST_F(ArtifactDirTest, RefusesAFileAndLeavesNothing) {
  ArtifactDescription d = sampleDescription();
  Rendered r = completeArtifact(d);
  std::string file = path("model.qc");
  ASSERT_EQ(errorText(writeText(file, "a file")), "");
  std::string message = errorText(writeArtifact(d, r.manifest, r.header, file));
  EXPECT_NE(message.find("refusing to overwrite '" + file +
                         "': it exists and is not a directory"),
            std::string::npos)
      << message;
  EXPECT_EQ(readFile(file), "a file");
  EXPECT_EQ(listDir(root), std::set<std::string>{"model.qc"});
}

TEST_F(ArtifactDirTest, RefusesASymlink) {
  ArtifactDescription d = sampleDescription();
  Rendered r = completeArtifact(d);
  std::string target = path("real.qc");
  ASSERT_EQ(errorText(writeArtifact(d, r.manifest, r.header, target)), "");
  std::string link = path("link.qc");
  ASSERT_FALSE(fs::create_link(target, link));
  std::string message = errorText(writeArtifact(d, r.manifest, r.header, link));
  EXPECT_NE(message.find("'" + link + "': it is a symbolic link"),
            std::string::npos)
      << message;
  EXPECT_EQ(listDir(root), (std::set<std::string>{"real.qc", "link.qc"}));
}

TEST_F(ArtifactDirTest, MissingParentIsAnError) {
  ArtifactDescription d = sampleDescription();
  Rendered r = completeArtifact(d);
  std::string out = path("no/such/dir/model.qc");
  std::string message = errorText(writeArtifact(d, r.manifest, r.header, out));
  EXPECT_NE(message.find("does not exist"), std::string::npos) << message;
  EXPECT_TRUE(listDir(root).empty());
}

TEST_F(ArtifactDirTest, FailureWhileWritingLeavesNoTrace) {
  std::string out = path("model.qc");
  // First a good artifact, which a failing write must leave as it is.
  ArtifactDescription good = sampleDescription();
  Rendered rg = completeArtifact(good);
  ASSERT_EQ(errorText(writeArtifact(good, rg.manifest, rg.header, out)), "");
  std::map<std::string, std::string> before = readTree(out);

  // The last library cannot be built: the manifest, weights, header and the
  // first libraries are already in the temporary directory by then.
  ArtifactDescription bad = sampleDescription("fashion_cnn", 9);
  Rendered rb = completeArtifact(bad);
  // A relocatable ELF header cut short: passes the magic check, fails to
  // parse.
  std::vector<char> broken = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
  broken.resize(40, '\0');
  broken[16] = 1;
  bad.targets[1].objects[0].second = broken;
  ASSERT_EQ(errorText(verifyDescription(bad)), "");
  std::string message =
      errorText(writeArtifact(bad, rb.manifest, rb.header, out));
  EXPECT_NE(message.find("library for aarch64-unknown-linux-gnu"),
            std::string::npos)
      << message;
  EXPECT_EQ(listDir(root), std::set<std::string>{"model.qc"})
      << "temporary directory left behind";
  EXPECT_TRUE(readTree(out) == before) << "the previous artifact changed";

  // Same without a previous artifact: nothing at all afterwards.
  std::string fresh = path("fresh.qc");
  EXPECT_NE(errorText(writeArtifact(bad, rb.manifest, rb.header, fresh)), "");
  EXPECT_EQ(listDir(root), std::set<std::string>{"model.qc"});
}

TEST_F(ArtifactDirTest, RefusesTextsThatDoNotMatchTheDescription) {
  ArtifactDescription d = sampleDescription();
  Rendered r = completeArtifact(d);
  TensorRecord late;
  late.name = "late";
  late.dtype = "u8";
  late.shape = {8};
  d.weights.add(late, pattern(8, 1));
  std::string out = path("model.qc");
  std::string message = errorText(writeArtifact(d, r.manifest, r.header, out));
  EXPECT_NE(message.find("changed after the manifest was hashed"),
            std::string::npos)
      << message;

  ArtifactDescription d2 = sampleDescription();
  Rendered r2 = completeArtifact(d2);
  message = errorText(writeArtifact(d2, r2.manifest, r2.header + " ", out));
  EXPECT_NE(message.find("header text"), std::string::npos) << message;

  ArtifactDescription d3 = sampleDescription();
  Rendered r3 = completeArtifact(d3);
  d3.inputs[0].dtype = "f99";
  message = errorText(writeArtifact(d3, r3.manifest, r3.header, out));
  EXPECT_NE(message.find("unknown dtype 'f99'"), std::string::npos) << message;
  EXPECT_TRUE(listDir(root).empty());
}

//===----------------------------------------------------------------------===//
// End to end: a C program linked against a written artifact
//===----------------------------------------------------------------------===//

// Stands in for the runtime: checks the descriptor, reads weights.bin from
// the artifact and runs the first variant.
constexpr const char *kMainC = R"(#include "e2e.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct qcrt_model { int unused; };
static qcrt_model the_model;
static uint8_t weights[4096] __attribute__((aligned(64)));
static uint8_t arena[64] __attribute__((aligned(64)));
static const qcrt_model_desc *picked;

qcrt_model *qcrt_create(const char *dir, const qcrt_model_desc *desc,
                        const qcrt_options *options) {
  char path[4096];
  FILE *f;
  size_t n;
  (void)options;
  if (desc->abi_version != QCRT_ABI_VERSION) return NULL;
  if (strcmp(desc->name, "e2e") != 0) return NULL;
  if (strcmp(desc->manifest_sha256, EXPECTED_SHA) != 0) return NULL;
  if (desc->weights_bytes != E2E_WEIGHTS_BYTES) return NULL;
  if (desc->arena_bytes != E2E_ARENA_BYTES) return NULL;
  if (desc->num_inputs != E2E_NUM_INPUTS) return NULL;
  if (desc->num_outputs != E2E_NUM_OUTPUTS) return NULL;
  if (desc->num_variants != 1 || strcmp(desc->variants[0].name, "base") != 0)
    return NULL;
  snprintf(path, sizeof path, "%s/weights.bin", dir);
  f = fopen(path, "rb");
  if (!f) return NULL;
  n = fread(weights, 1, sizeof weights, f);
  fclose(f);
  if (n != desc->weights_bytes) return NULL;
  picked = desc;
  return &the_model;
}

int main(int argc, char **argv) {
  float x = 2.25f, y = 0;
  void *inputs[E2E_NUM_INPUTS];
  void *outputs[E2E_NUM_OUTPUTS];
  qcrt_model *m;
  if (argc != 2) return 2;
  m = e2e_create(argv[1], NULL);
  if (!m) { fprintf(stderr, "create failed\n"); return 3; }
  inputs[E2E_INPUT_INPUT] = &x;
  outputs[E2E_OUTPUT_LOGITS] = &y;
  picked->variants[0].run(weights, arena, inputs, outputs, NULL);
  printf("%g\n", y);
  return 0;
}
)";

TEST_F(ArtifactDirTest, CProgramLinksAgainstTheArtifact) {
  llvm::Triple host(llvm::sys::getProcessTriple());
  if (host.getArch() != llvm::Triple::x86_64 || !host.isOSLinux())
    GTEST_SKIP() << "links for x86_64 Linux only";
  std::optional<std::string> clang = findTool("clang-22");
  if (!clang)
    GTEST_SKIP() << "clang-22 not found";

  ArtifactDescription d = sampleDescription("e2e");
  d.outputs.resize(1);
  d.targets.resize(1); // x86_64-unknown-linux-gnu, variant "base"
  Rendered r = completeArtifact(d);
  std::string out = path("e2e.qc");
  llvm::Error e = writeArtifact(d, r.manifest, r.header, out);
  ASSERT_FALSE(e) << llvm::toString(std::move(e));

  std::error_code ec;
  {
    llvm::raw_fd_ostream os(path("main.c"), ec);
    ASSERT_FALSE(ec);
    os << kMainC;
  }
  std::string exe = path("e2e-main");
  std::string output;
  int rc = run(*clang,
               {"-std=c99", "-Wall", "-Werror", "-I" + out,
                "-I" + std::string(QC_RUNTIME_INCLUDE_DIR),
                "-DEXPECTED_SHA=\"" + manifestSha256Hex(r.manifest) + "\"",
                path("main.c"), "-L" + out + "/x86_64-linux-gnu", "-le2e", "-o",
                exe},
               output);
  ASSERT_EQ(rc, 0) << output;
  rc = run(exe, {out}, output);
  EXPECT_EQ(rc, 0) << output;
  // The base entry adds weights[0] (3) through the arena.
  EXPECT_EQ(output, "5.25\n");
}

} // namespace
