//===- Manifest.cpp - manifest.json, read and checked ---------------------===//
//
// Part of quantc.
//
// Messages name the file and the field with a path into the document
// ("inputs[0].bytes"), and say what was found and what was expected.
//
//===----------------------------------------------------------------------===//

#include "Manifest.h"

#include "Error.h"
#include "Json.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

using namespace qcrt;
using json::Kind;
using json::Value;

namespace {

struct DtypeEntry {
  const char *name;
  qcrt_dtype dtype;
  size_t size;
};

constexpr DtypeEntry kDtypes[] = {
    {"f32", QCRT_F32, 4},   {"f16", QCRT_F16, 2}, {"bf16", QCRT_BF16, 2},
    {"f64", QCRT_F64, 8},   {"i8", QCRT_I8, 1},   {"u8", QCRT_U8, 1},
    {"i16", QCRT_I16, 2},   {"i32", QCRT_I32, 4}, {"i64", QCRT_I64, 8},
    {"bool", QCRT_BOOL, 1},
};

constexpr uint64_t kWeightsAlignment = 64;
constexpr size_t kPathBytes = 256;

// Fits a document string into a message: at most 64 bytes of it.
struct Quoted {
  int length;
  const char *text;
  const char *ellipsis;
  explicit Quoted(const Value &v)
      : length(v.length > 64 ? 64 : int(v.length)), text(v.text),
        ellipsis(v.length > 64 ? "..." : "") {}
};

char *copyString(const Value &v) {
  char *s = static_cast<char *>(malloc(v.length + 1));
  if (s) {
    memcpy(s, v.text, v.length);
    s[v.length] = '\0';
  }
  return s;
}

void formatShape(const qcrt_tensor_info &t, char *out, size_t size) {
  size_t used = 0;
  used += size_t(snprintf(out, size, "["));
  for (int32_t d = 0; d < t.rank && used < size; ++d)
    used += size_t(snprintf(out + used, size - used, "%s%" PRId64,
                            d ? ", " : "", t.dims[d]));
  if (used < size)
    snprintf(out + used, size - used, "]");
}

class Checker {
public:
  Checker(const char *manifestPath, const qcrt_model_desc &descriptor)
      : path(manifestPath), desc(descriptor) {}

  bool run(const Value &root, Manifest &out);

private:
  const char *path;
  const qcrt_model_desc &desc;

  QCRT_PRINTF(2, 3) bool error(const char *format, ...) {
    char message[2048];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof(message), format, args);
    va_end(args);
    return fail("%s: %s", path, message);
  }

  // Field paths are short; one cut at kPathBytes still names the field.
  static void join(char *out, const char *parent, const char *key) {
    if (snprintf(out, kPathBytes, "%s%s%s", parent, *parent ? "." : "", key) <
        0)
      out[0] = '\0';
  }

  // The member `key` of `object` (at `parent`), of kind `kind`.
  const Value *need(const Value &object, const char *parent, const char *key,
                    Kind kind) {
    char field[kPathBytes];
    join(field, parent, key);
    const Value *v = json::member(object, key);
    if (!v) {
      error("\"%s\" is missing", field);
      return nullptr;
    }
    if (v->kind != kind) {
      error("\"%s\" must be %s, not %s", field, json::describe(kind),
            json::describe(v->kind));
      return nullptr;
    }
    return v;
  }

  bool needUInt(const Value &object, const char *parent, const char *key,
                uint64_t &out) {
    char field[kPathBytes];
    join(field, parent, key);
    const Value *v = json::member(object, key);
    if (!v)
      return error("\"%s\" is missing", field);
    if (v->kind != Kind::Number)
      return error("\"%s\" must be a non-negative integer, not %s", field,
                   json::describe(v->kind));
    if (!json::toUInt64(*v, out))
      return error("\"%s\" must be a non-negative integer below 2^64, not "
                   "%.*s",
                   field, int(v->length > 64 ? 64 : v->length), v->text);
    return true;
  }

  // A name or file name the runtime keeps as a C string.
  bool needCString(const Value &object, const char *parent, const char *key,
                   const Value *&out) {
    out = need(object, parent, key, Kind::String);
    if (!out)
      return false;
    if (memchr(out->text, '\0', out->length)) {
      char field[kPathBytes];
      join(field, parent, key);
      return error("\"%s\" contains a NUL character", field);
    }
    return true;
  }

  bool checkVersions(const Value &root);
  bool readTensors(const Value &root, const char *key, uint32_t expected,
                   qcrt_tensor_info *&infos, int32_t &count);
  bool readTensor(const Value &entry, const char *field,
                  qcrt_tensor_info &info);
  bool readWeights(const Value &root, Manifest &out);
  bool checkWeightTensors(const Value &root, uint64_t weightsBytes);
};

bool Checker::checkVersions(const Value &root) {
  const Value *format = need(root, "", "format", Kind::String);
  if (!format)
    return false;
  if (!json::equals(*format, "quantc-artifact")) {
    Quoted q(*format);
    return error("\"format\" is \"%.*s%s\" but this runtime reads "
                 "\"quantc-artifact\"",
                 q.length, q.text, q.ellipsis);
  }
  uint64_t version;
  if (!needUInt(root, "", "format_version", version))
    return false;
  if (version != kFormatVersion)
    return error("\"format_version\" is %" PRIu64
                 " but this runtime reads format version %" PRIu64,
                 version, kFormatVersion);
  uint64_t abi;
  if (!needUInt(root, "", "abi_version", abi))
    return false;
  if (abi != desc.abi_version)
    return error("\"abi_version\" is %" PRIu64
                 " but the library was compiled for ABI %u",
                 abi, unsigned(desc.abi_version));
  const Value *name;
  if (!needCString(root, "", "name", name))
    return false;
  if (!json::equals(*name, desc.name)) {
    Quoted q(*name);
    return error("\"name\" is \"%.*s%s\" but the library was compiled for "
                 "model \"%s\"",
                 q.length, q.text, q.ellipsis, desc.name);
  }
  return true;
}

bool Checker::readTensor(const Value &entry, const char *field,
                         qcrt_tensor_info &info) {
  if (entry.kind != Kind::Object)
    return error("\"%s\" must be an object, not %s", field,
                 json::describe(entry.kind));
  const Value *name;
  if (!needCString(entry, field, "name", name))
    return false;

  const Value *dtype = need(entry, field, "dtype", Kind::String);
  if (!dtype)
    return false;
  size_t elementBytes = 0;
  for (const DtypeEntry &d : kDtypes) {
    if (json::equals(*dtype, d.name)) {
      info.dtype = d.dtype;
      elementBytes = d.size;
    }
  }
  if (elementBytes == 0) {
    Quoted q(*dtype);
    return error("\"%s.dtype\" is \"%.*s%s\"; expected one of f32 f16 bf16 "
                 "f64 i8 u8 i16 i32 i64 bool",
                 field, q.length, q.text, q.ellipsis);
  }

  const Value *shape = need(entry, field, "shape", Kind::Array);
  if (!shape)
    return false;
  if (shape->count > QCRT_MAX_RANK)
    return error("\"%s.shape\" has %zu dimensions; at most %d are supported",
                 field, shape->count, QCRT_MAX_RANK);
  info.rank = int32_t(shape->count);
  // Elements so far, kept at or below kMaxBytes so the product never
  // overflows.
  uint64_t elements = 1;
  bool tooLarge = false;
  int32_t d = 0;
  for (const Value *dim = shape->first; dim; dim = dim->next, ++d) {
    int64_t extent;
    if (dim->kind != Kind::Number || !json::toInt64(*dim, extent))
      return error("\"%s.shape[%d]\" must be an integer", field, d);
    if (extent < 0)
      return error("\"%s.shape[%d]\" is %" PRId64
                   ": dynamic dimensions are not supported",
                   field, d, extent);
    info.dims[d] = extent;
    if (uint64_t(extent) > kMaxBytes ||
        (extent != 0 && elements > kMaxBytes / uint64_t(extent)))
      tooLarge = true;
    else
      elements *= uint64_t(extent);
  }
  char shapeText[256];
  formatShape(info, shapeText, sizeof(shapeText));
  if (tooLarge || elements > kMaxBytes / elementBytes)
    return error("\"%s.shape\" %s is too large (more than %" PRIu64 " bytes)",
                 field, shapeText, kMaxBytes);

  if (!needUInt(entry, field, "bytes", info.bytes))
    return false;
  uint64_t expected = elements * elementBytes;
  if (info.bytes != expected) {
    Quoted q(*dtype);
    return error("\"%s.bytes\" is %" PRIu64
                 " but shape %s of %.*s needs %" PRIu64 " bytes",
                 field, info.bytes, shapeText, q.length, q.text, expected);
  }

  // Last, so that a failure above leaves nothing to free in this entry.
  char *copy = copyString(*name);
  if (!copy)
    return error("out of memory");
  info.name = copy;
  return true;
}

bool Checker::readTensors(const Value &root, const char *key, uint32_t expected,
                          qcrt_tensor_info *&infos, int32_t &count) {
  const Value *list = need(root, "", key, Kind::Array);
  if (!list)
    return false;
  if (list->count != expected)
    return error("\"%s\" has %zu %s but the library was compiled for %u", key,
                 list->count, list->count == 1 ? "entry" : "entries",
                 unsigned(expected));
  infos = static_cast<qcrt_tensor_info *>(
      calloc(list->count ? list->count : 1, sizeof(qcrt_tensor_info)));
  if (!infos)
    return error("out of memory");
  size_t i = 0;
  for (const Value *entry = list->first; entry; entry = entry->next, ++i) {
    char field[kPathBytes];
    snprintf(field, sizeof(field), "%s[%zu]", key, i);
    if (!readTensor(*entry, field, infos[i]))
      return false;
    // Counted as they complete, so freeManifest frees exactly these names.
    count = int32_t(i + 1);
  }
  return true;
}

bool Checker::readWeights(const Value &root, Manifest &out) {
  const Value *weights = need(root, "", "weights", Kind::Object);
  if (!weights)
    return false;

  const Value *file;
  if (!needCString(*weights, "weights", "file", file))
    return false;
  // A plain name: the weights live inside the artifact directory.
  if (file->length == 0 || memchr(file->text, '/', file->length) ||
      memchr(file->text, '\\', file->length) || json::equals(*file, ".") ||
      json::equals(*file, "..")) {
    Quoted q(*file);
    return error("\"weights.file\" is \"%.*s%s\"; expected a file name inside "
                 "the artifact directory",
                 q.length, q.text, q.ellipsis);
  }

  if (!needUInt(*weights, "weights", "bytes", out.weightsBytes))
    return false;
  if (out.weightsBytes != desc.weights_bytes)
    return error("\"weights.bytes\" is %" PRIu64
                 " but the library was compiled for %" PRIu64 " bytes",
                 out.weightsBytes, desc.weights_bytes);

  uint64_t alignment;
  if (!needUInt(*weights, "weights", "alignment", alignment))
    return false;
  if (alignment != kWeightsAlignment)
    return error("\"weights.alignment\" is %" PRIu64
                 " but format version 1 aligns weights to %" PRIu64 " bytes",
                 alignment, kWeightsAlignment);

  const Value *sha = need(*weights, "weights", "sha256", Kind::String);
  if (!sha)
    return false;
  if (!parseSha256Hex(sha->text, sha->length, out.weightsSha256)) {
    Quoted q(*sha);
    return error("\"weights.sha256\" is \"%.*s%s\"; expected 64 hex digits",
                 q.length, q.text, q.ellipsis);
  }

  out.weightsFile = copyString(*file);
  if (!out.weightsFile)
    return error("out of memory");
  return true;
}

bool Checker::checkWeightTensors(const Value &root, uint64_t weightsBytes) {
  const Value *tensors = need(root, "", "tensors", Kind::Array);
  if (!tensors)
    return false;
  size_t i = 0;
  for (const Value *t = tensors->first; t; t = t->next, ++i) {
    char field[kPathBytes];
    snprintf(field, sizeof(field), "tensors[%zu]", i);
    if (t->kind != Kind::Object)
      return error("\"%s\" must be an object, not %s", field,
                   json::describe(t->kind));
    // The name only makes messages clearer; the runtime does not need it.
    const Value *name = json::member(*t, "name");
    char label[128] = "";
    if (name && name->kind == Kind::String) {
      Quoted q(*name);
      snprintf(label, sizeof(label), " (\"%.*s%s\")", q.length, q.text,
               q.ellipsis);
    }
    uint64_t offset, bytes;
    if (!needUInt(*t, field, "offset", offset) ||
        !needUInt(*t, field, "bytes", bytes))
      return false;
    if (offset % kWeightsAlignment != 0)
      return error("\"%s.offset\"%s is %" PRIu64 ", not a multiple of %" PRIu64,
                   field, label, offset, kWeightsAlignment);
    if (bytes > weightsBytes || offset > weightsBytes - bytes)
      return error("\"%s\"%s: offset %" PRIu64 " + bytes %" PRIu64
                   " runs past the end of the weights (\"weights.bytes\" is "
                   "%" PRIu64 ")",
                   field, label, offset, bytes, weightsBytes);
  }
  return true;
}

bool Checker::run(const Value &root, Manifest &out) {
  if (root.kind != Kind::Object)
    return error("the manifest must be an object, not %s",
                 json::describe(root.kind));
  if (!checkVersions(root) ||
      !readTensors(root, "inputs", desc.num_inputs, out.inputs,
                   out.numInputs) ||
      !readTensors(root, "outputs", desc.num_outputs, out.outputs,
                   out.numOutputs))
    return false;

  if (!needUInt(root, "", "arena_bytes", out.arenaBytes))
    return false;
  if (out.arenaBytes != desc.arena_bytes)
    return error("\"arena_bytes\" is %" PRIu64
                 " but the library was compiled for %" PRIu64 " bytes",
                 out.arenaBytes, desc.arena_bytes);

  return readWeights(root, out) && checkWeightTensors(root, out.weightsBytes);
}

void freeTensors(qcrt_tensor_info *infos, int32_t count) {
  for (int32_t i = 0; infos && i < count; ++i)
    free(const_cast<char *>(infos[i].name));
  free(infos);
}

} // namespace

bool qcrt::readManifest(const char *path, const char *text, size_t length,
                        const qcrt_model_desc &desc, Manifest &out) {
  json::Document doc;
  if (!doc.parse(text, length))
    return fail("%s:%s", path, doc.error());
  Checker checker(path, desc);
  if (checker.run(*doc.root(), out))
    return true;
  freeManifest(out);
  return false;
}

void qcrt::freeManifest(Manifest &manifest) {
  freeTensors(manifest.inputs, manifest.numInputs);
  freeTensors(manifest.outputs, manifest.numOutputs);
  free(manifest.weightsFile);
  manifest = Manifest();
}

size_t qcrt::dtypeSize(qcrt_dtype dtype) {
  for (const DtypeEntry &d : kDtypes)
    if (d.dtype == dtype)
      return d.size;
  return 0;
}

const char *qcrt::dtypeName(qcrt_dtype dtype) {
  for (const DtypeEntry &d : kDtypes)
    if (d.dtype == dtype)
      return d.name;
  return "?";
}
