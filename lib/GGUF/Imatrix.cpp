//===- Imatrix.cpp - llama.cpp importance matrices ------------------------===//
//
// Part of quantc. See include/qc/GGUF/Imatrix.h.
//
//===----------------------------------------------------------------------===//

#include "qc/GGUF/Imatrix.h"
#include "qc/GGUF/GGUF.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <cstdio>
#include <map>

using namespace llvm;
using namespace mlir::qc::gguf;

namespace {

Error fail(const Twine &msg) {
  return createStringError(inconvertibleErrorCode(), msg);
}

std::string shortFloat(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

constexpr StringLiteral kSumsSuffix = ".in_sum2";
constexpr StringLiteral kCountsSuffix = ".counts";

} // namespace

const std::vector<float> *ImportanceMatrix::lookup(StringRef tensorName) const {
  auto it = weights.find(tensorName);
  return it == weights.end() ? nullptr : &it->second;
}

Expected<ImportanceMatrix>
mlir::qc::gguf::importanceMatrixFrom(const GGUFFile &file) {
  auto bad = [&](const Twine &msg) { return fail(file.path() + ": " + msg); };
  ImportanceMatrix m;

  const Value *datasets = file.lookup("imatrix.datasets");
  const Value *chunkCount = file.lookup("imatrix.chunk_count");
  const Value *chunkSize = file.lookup("imatrix.chunk_size");
  if (!datasets || !chunkCount || !chunkSize)
    return bad("not an importance matrix: imatrix.datasets, "
               "imatrix.chunk_count and imatrix.chunk_size are required");
  if (!datasets->isArray() || datasets->elementType() != ValueType::String)
    return bad("imatrix.datasets must be an array of strings");
  m.datasets.assign(datasets->strings().begin(), datasets->strings().end());
  std::optional<uint32_t> cc = chunkCount->get<uint32_t>();
  std::optional<uint32_t> cs = chunkSize->get<uint32_t>();
  if (!cc || !cs)
    return bad("imatrix.chunk_count and imatrix.chunk_size must be u32");
  m.chunkCount = *cc;
  m.chunkSize = *cs;

  // Pair the sums with the counts; an ordered map gives a stable order of
  // errors.
  std::map<std::string, std::pair<const TensorInfo *, const TensorInfo *>>
      pairs;
  for (const TensorInfo &t : file.tensors()) {
    StringRef name = t.name;
    if (name.consume_back(kSumsSuffix))
      pairs[name.str()].first = &t;
    else if (name.consume_back(kCountsSuffix))
      pairs[name.str()].second = &t;
  }
  if (pairs.empty())
    return bad("no '<tensor>.in_sum2' / '<tensor>.counts' entries");

  for (const auto &[name, pair] : pairs) {
    auto [sums, counts] = pair;
    if (!sums || !counts)
      return bad("entry '" + name + "' has " +
                 (sums ? "sums but no counts" : "counts but no sums"));
    for (const TensorInfo *t : {sums, counts})
      if (t->type != GGMLType::F32)
        return bad("tensor '" + t->name + "' is " + typeName(t->type) +
                   ", imatrix entries must be F32");
    Expected<std::vector<float>> s = file.readFloats(*sums);
    if (!s)
      return s.takeError();
    Expected<std::vector<float>> c = file.readFloats(*counts);
    if (!c)
      return c.takeError();
    if (c->empty() || s->size() % c->size() != 0)
      return bad(formatv("entry '{0}': {1} sums are not whole rows for {2} "
                         "counts",
                         name, s->size(), c->size())
                     .str());
    for (float v : *s)
      if (!std::isfinite(v) || v < 0)
        return bad(formatv("entry '{0}': sum of squares {1} is not a finite "
                           "non-negative number",
                           name, shortFloat(v))
                       .str());
    size_t columns = s->size() / c->size();
    std::vector<float> w(s->size());
    std::vector<int64_t> rounded(c->size());
    for (size_t e = 0; e < c->size(); ++e) {
      float raw = (*c)[e];
      if (!std::isfinite(raw) || raw < 0)
        return bad(formatv("entry '{0}': count {1} is not a finite "
                           "non-negative number",
                           name, shortFloat(raw))
                       .str());
      rounded[e] = std::lround(raw);
      float count = float(rounded[e]);
      for (size_t i = 0; i < columns; ++i)
        w[e * columns + i] = count > 0.0f ? (*s)[e * columns + i] / count : 1;
    }
    m.weights[name] = std::move(w);
    m.counts[name] = std::move(rounded);
  }
  return std::move(m);
}

Expected<ImportanceMatrix>
mlir::qc::gguf::loadImportanceMatrix(StringRef path) {
  Expected<std::unique_ptr<GGUFFile>> file = GGUFFile::open(path);
  if (!file)
    return file.takeError();
  return importanceMatrixFrom(**file);
}
