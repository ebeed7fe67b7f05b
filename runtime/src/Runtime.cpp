//===- Runtime.cpp - the C API of <quantc/runtime.h> ----------------------===//
//
// Part of quantc.
//
// qcrt_create performs the load steps of docs/Artifact.md, "The runtime",
// after checking the descriptor and picking the variant (which needs no file,
// so a model that cannot run on this CPU fails before anything is read).
// Every failure releases what was acquired so far and leaves one message
// naming the file and the field in qcrt_last_error().
//
//===----------------------------------------------------------------------===//

#include "quantc/runtime.h"

#include "Error.h"
#include "Manifest.h"
#include "Sha256.h"
#include "ThreadPool.h"
#include "Weights.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <new>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

#ifndef QCRT_VERSION_STRING
#define QCRT_VERSION_STRING "0.1.0"
#endif

using namespace qcrt;

struct qcrt_model {
  const qcrt_model_desc *desc;
  const qcrt_variant *variant;
  Manifest manifest;
  WeightsFile weights;
  void *arenaMemory;
  uint8_t *arena;
  qcrt_pool *pool;
  pthread_mutex_t runLock;
  bool runLockReady;
};

namespace {

// The arena of a model that needs none: entries still get an aligned,
// non-null pointer (they never write through it).
alignas(64) uint8_t emptyArena[64];

const char *modelName(const qcrt_model_desc &desc) {
  return desc.name ? desc.name : "(unnamed)";
}

// "dotprod+i8mm", or "none".
const char *isaText(uint32_t isa, char *out, size_t size) {
  out[0] = '\0';
  size_t used = 0;
  auto add = [&](const char *name) {
    if (used < size)
      used += size_t(
          snprintf(out + used, size - used, "%s%s", used ? "+" : "", name));
  };
  if (isa & QCRT_ISA_DOTPROD)
    add("dotprod");
  if (isa & QCRT_ISA_I8MM)
    add("i8mm");
  if (uint32_t rest = isa & ~uint32_t(QCRT_ISA_DOTPROD | QCRT_ISA_I8MM)) {
    char bits[32];
    snprintf(bits, sizeof(bits), "0x%x", unsigned(rest));
    add(bits);
  }
  if (used == 0)
    snprintf(out, size, "none");
  return out;
}

bool checkDescriptor(const qcrt_model_desc *desc,
                     uint8_t manifestSha256[kSha256Bytes]) {
  if (!desc)
    return fail("qcrt_create: the model descriptor is NULL");
  const char *name = modelName(*desc);
  if (!desc->name)
    return fail("model descriptor: \"name\" is NULL");
  if (desc->abi_version != QCRT_ABI_VERSION)
    return fail("model \"%s\": the library was compiled for runtime ABI %u "
                "but this runtime implements ABI %u; rebuild the model with "
                "a matching quant-compile",
                name, unsigned(desc->abi_version), QCRT_ABI_VERSION);
  const char *sha = desc->manifest_sha256;
  if (!sha || !parseSha256Hex(sha, strlen(sha), manifestSha256))
    return fail("model \"%s\": the descriptor's manifest_sha256 is not 64 "
                "hex digits",
                name);
  if (desc->weights_bytes > kMaxBytes)
    return fail("model \"%s\": the descriptor's weights_bytes is %" PRIu64
                ", more than the runtime accepts (%" PRIu64 ")",
                name, desc->weights_bytes, kMaxBytes);
  if (desc->arena_bytes > kMaxBytes)
    return fail("model \"%s\": the descriptor's arena_bytes is %" PRIu64
                ", more than the runtime accepts (%" PRIu64 ")",
                name, desc->arena_bytes, kMaxBytes);
  if (desc->num_inputs > uint32_t(INT32_MAX) ||
      desc->num_outputs > uint32_t(INT32_MAX))
    return fail("model \"%s\": the descriptor declares %u inputs and %u "
                "outputs",
                name, unsigned(desc->num_inputs), unsigned(desc->num_outputs));
  if (desc->num_variants == 0 || !desc->variants)
    return fail("model \"%s\": the descriptor has no variants", name);
  for (uint32_t i = 0; i < desc->num_variants; ++i) {
    const qcrt_variant &v = desc->variants[i];
    if (!v.name || !v.run)
      return fail("model \"%s\": variant %u has no %s", name, unsigned(i),
                  v.name ? "entry function" : "name");
  }
  return true;
}

const qcrt_variant *pickVariant(const qcrt_model_desc &desc, uint32_t isaMask) {
  uint32_t cpu = qcrt_cpu_isa();
  uint32_t usable = cpu & isaMask;
  for (uint32_t i = 0; i < desc.num_variants; ++i)
    if ((desc.variants[i].isa & ~usable) == 0)
      return &desc.variants[i];

  char needs[512] = "";
  size_t used = 0;
  for (uint32_t i = 0; i < desc.num_variants && used < sizeof(needs); ++i) {
    char isa[64];
    used +=
        size_t(snprintf(needs + used, sizeof(needs) - used, "%s\"%s\" needs %s",
                        i ? ", " : "", desc.variants[i].name,
                        isaText(desc.variants[i].isa, isa, sizeof(isa))));
  }
  char cpuText[64], usableText[64];
  fail("model \"%s\": no variant can run here: %s; this CPU has %s, and "
       "with isa_mask 0x%x the usable features are %s",
       modelName(desc), needs, isaText(cpu, cpuText, sizeof(cpuText)),
       unsigned(isaMask), isaText(usable, usableText, sizeof(usableText)));
  return nullptr;
}

// "<dir>/<name>" in a new allocation; a trailing '/' on dir is not doubled.
char *joinPath(const char *dir, const char *name) {
  size_t dirLength = strlen(dir), nameLength = strlen(name);
  while (dirLength > 1 && dir[dirLength - 1] == '/')
    --dirLength;
  char *path = static_cast<char *>(malloc(dirLength + nameLength + 2));
  if (!path)
    return nullptr;
  memcpy(path, dir, dirLength);
  path[dirLength] = '/';
  memcpy(path + dirLength + 1, name, nameLength + 1);
  return path;
}

// Reads all of a small file (manifest.json) into a new NUL-terminated buffer.
bool readSmallFile(const char *path, uint64_t maxBytes, char *&data,
                   size_t &size) {
  char text[128];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail("%s: cannot open: %s", path,
                errnoText(errno, text, sizeof(text)));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return fail("%s: not a regular file", path);
  }
  if (uint64_t(st.st_size) > maxBytes) {
    close(fd);
    return fail("%s: the file is %" PRIu64
                " bytes; a manifest is at most %" PRIu64,
                path, uint64_t(st.st_size), maxBytes);
  }
  size = size_t(st.st_size);
  data = static_cast<char *>(malloc(size + 1));
  if (!data) {
    close(fd);
    return fail("%s: out of memory", path);
  }
  size_t done = 0;
  while (done < size) {
    ssize_t n = read(fd, data + done, size - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int e = errno;
      close(fd);
      free(data);
      data = nullptr;
      return n == 0 ? fail("%s: the file shrank while it was read", path)
                    : fail("%s: cannot read: %s", path,
                           errnoText(e, text, sizeof(text)));
    }
    done += size_t(n);
  }
  close(fd);
  data[size] = '\0';
  return true;
}

bool resolveOptions(const qcrt_options *given, qcrt_options &out) {
  qcrt_options_init(&out);
  if (!given)
    return true;
  // A caller built against an older header passes a shorter struct: the
  // fields it does not know keep their defaults.
  constexpr size_t kMinimum =
      offsetof(qcrt_options, num_threads) + sizeof(given->num_threads);
  if (given->struct_size < kMinimum)
    return fail("qcrt_create: options->struct_size is %u; fill the options "
                "with qcrt_options_init first",
                unsigned(given->struct_size));
  size_t bytes = given->struct_size < sizeof(qcrt_options)
                     ? given->struct_size
                     : sizeof(qcrt_options);
  memcpy(&out, given, bytes);
  out.struct_size = sizeof(qcrt_options);
  if (out.num_threads < 0 || out.num_threads > kMaxThreads)
    return fail("qcrt_create: options->num_threads is %d; expected 0 (all "
                "CPUs) to %d",
                int(out.num_threads), kMaxThreads);
  return true;
}

void destroyModel(qcrt_model *m) {
  if (!m)
    return;
  destroyPool(m->pool);
  if (m->runLockReady)
    pthread_mutex_destroy(&m->runLock);
  free(m->arenaMemory);
  closeWeights(m->weights);
  freeManifest(m->manifest);
  m->~qcrt_model();
  free(m);
}

// Steps 1 to 4 of docs/Artifact.md on a zeroed model.
bool load(qcrt_model &m, const char *dir, const qcrt_model_desc &desc,
          const uint8_t expectedSha[kSha256Bytes],
          const qcrt_options &options) {
  char text[128];
  struct stat st;
  if (stat(dir, &st) != 0)
    return fail("%s: cannot open the artifact directory: %s", dir,
                errnoText(errno, text, sizeof(text)));
  if (!S_ISDIR(st.st_mode))
    return fail("%s: not a directory (expected the artifact directory "
                "quant-compile wrote)",
                dir);

  // 1. manifest.json is the one the code was compiled with.
  char *manifestPath = joinPath(dir, "manifest.json");
  if (!manifestPath)
    return fail("qcrt_create: out of memory");
  char *manifestText = nullptr;
  size_t manifestBytes = 0;
  bool ok = readSmallFile(manifestPath, kMaxManifestBytes, manifestText,
                          manifestBytes);
  if (ok) {
    uint8_t actual[kSha256Bytes];
    sha256(manifestText, manifestBytes, actual);
    if (memcmp(actual, expectedSha, kSha256Bytes) != 0) {
      char actualHex[kSha256HexBytes], expectedHex[kSha256HexBytes];
      sha256Hex(actual, actualHex);
      sha256Hex(expectedSha, expectedHex);
      ok = fail("%s: SHA-256 checksum mismatch: the file hashes to %s but "
                "model \"%s\" was compiled with a manifest hashing to %s (the "
                "manifest was changed, or the library belongs to another "
                "compile)",
                manifestPath, actualHex, desc.name, expectedHex);
    }
  }
  // 2. Parsed and checked against the descriptor.
  if (ok)
    ok = readManifest(manifestPath, manifestText, manifestBytes, desc,
                      m.manifest);
  free(manifestText);
  if (!ok) {
    free(manifestPath);
    return false;
  }

  // 3. weights.bin: size, mapping, checksum.
  char *weightsPath = joinPath(dir, m.manifest.weightsFile);
  if (!weightsPath) {
    free(manifestPath);
    return fail("qcrt_create: out of memory");
  }
  ok = openWeights(weightsPath, m.manifest.weightsBytes, manifestPath,
                   m.weights);
  if (ok && options.verify_weights) {
    uint8_t actual[kSha256Bytes];
    sha256(m.weights.data, size_t(m.weights.size), actual);
    if (memcmp(actual, m.manifest.weightsSha256, kSha256Bytes) != 0) {
      char actualHex[kSha256HexBytes], expectedHex[kSha256HexBytes];
      sha256Hex(actual, actualHex);
      sha256Hex(m.manifest.weightsSha256, expectedHex);
      ok = fail("%s: SHA-256 checksum mismatch: the file hashes to %s but "
                "\"weights.sha256\" in %s is %s (the file is corrupt or "
                "belongs to another compile)",
                weightsPath, actualHex, manifestPath, expectedHex);
    }
  }
  free(weightsPath);
  free(manifestPath);
  if (!ok)
    return false;

  // 4. Arena and threads.
  if (desc.arena_bytes == 0) {
    m.arena = emptyArena;
  } else {
    size_t bytes = (size_t(desc.arena_bytes) + 63) & ~size_t(63);
    if (posix_memalign(&m.arenaMemory, 64, bytes) != 0) {
      m.arenaMemory = nullptr;
      return fail("model \"%s\": cannot allocate the arena of %" PRIu64
                  " bytes",
                  desc.name, desc.arena_bytes);
    }
    // Zeroed so that a run never depends on what the allocator left there.
    memset(m.arenaMemory, 0, bytes);
    m.arena = static_cast<uint8_t *>(m.arenaMemory);
  }

  int threads =
      options.num_threads == 0 ? availableCpus() : int(options.num_threads);
  if (threads > 1) {
    m.pool = createPool(threads);
    if (!m.pool)
      return false;
  }
  if (pthread_mutex_init(&m.runLock, nullptr) != 0)
    return fail("model \"%s\": cannot create the run lock", desc.name);
  m.runLockReady = true;
  return true;
}

} // namespace

extern "C" {

void qcrt_options_init(qcrt_options *options) {
  if (!options)
    return;
  memset(options, 0, sizeof(*options));
  options->struct_size = sizeof(qcrt_options);
  options->num_threads = 0;
  options->isa_mask = 0xffffffffu;
  options->verify_weights = 1;
}

qcrt_model *qcrt_create(const char *artifact_dir, const qcrt_model_desc *desc,
                        const qcrt_options *options) {
  clearError();
  uint8_t manifestSha[kSha256Bytes];
  qcrt_options resolved;
  if (!artifact_dir || !*artifact_dir) {
    fail("qcrt_create: the artifact directory is %s",
         artifact_dir ? "empty" : "NULL");
    return nullptr;
  }
  if (!checkDescriptor(desc, manifestSha) || !resolveOptions(options, resolved))
    return nullptr;
  const qcrt_variant *variant = pickVariant(*desc, resolved.isa_mask);
  if (!variant)
    return nullptr;

  void *memory = calloc(1, sizeof(qcrt_model));
  if (!memory) {
    fail("qcrt_create: out of memory");
    return nullptr;
  }
  qcrt_model *m = new (memory) qcrt_model();
  m->desc = desc;
  m->variant = variant;
  if (!load(*m, artifact_dir, *desc, manifestSha, resolved)) {
    destroyModel(m);
    return nullptr;
  }
  return m;
}

int qcrt_run(qcrt_model *model, const void *const *inputs,
             void *const *outputs) {
  if (!model) {
    fail("qcrt_run: the model is NULL");
    return -1;
  }
  clearError();
  const Manifest &mf = model->manifest;
  if ((mf.numInputs > 0 && !inputs) || (mf.numOutputs > 0 && !outputs)) {
    fail("qcrt_run: model \"%s\": the %s array is NULL", model->desc->name,
         inputs || mf.numInputs == 0 ? "outputs" : "inputs");
    return -1;
  }
  for (int32_t i = 0; i < mf.numInputs; ++i) {
    if (!inputs[i]) {
      fail("qcrt_run: model \"%s\": input %d (\"%s\") is NULL",
           model->desc->name, int(i), mf.inputs[i].name);
      return -1;
    }
  }
  for (int32_t i = 0; i < mf.numOutputs; ++i) {
    if (!outputs[i]) {
      fail("qcrt_run: model \"%s\": output %d (\"%s\") is NULL",
           model->desc->name, int(i), mf.outputs[i].name);
      return -1;
    }
  }
  // Entries take `void *const *inputs` although they only read the inputs.
  pthread_mutex_lock(&model->runLock);
  model->variant->run(model->weights.data, model->arena,
                      const_cast<void *const *>(inputs), outputs, model->pool);
  pthread_mutex_unlock(&model->runLock);
  return 0;
}

void qcrt_destroy(qcrt_model *model) { destroyModel(model); }

int32_t qcrt_num_inputs(const qcrt_model *model) {
  return model ? model->manifest.numInputs : 0;
}

int32_t qcrt_num_outputs(const qcrt_model *model) {
  return model ? model->manifest.numOutputs : 0;
}

const qcrt_tensor_info *qcrt_input_info(const qcrt_model *model, int32_t i) {
  if (!model || i < 0 || i >= model->manifest.numInputs) {
    fail("qcrt_input_info: no input %d", int(i));
    return nullptr;
  }
  return &model->manifest.inputs[i];
}

const qcrt_tensor_info *qcrt_output_info(const qcrt_model *model, int32_t i) {
  if (!model || i < 0 || i >= model->manifest.numOutputs) {
    fail("qcrt_output_info: no output %d", int(i));
    return nullptr;
  }
  return &model->manifest.outputs[i];
}

const char *qcrt_variant_name(const qcrt_model *model) {
  return model ? model->variant->name : "";
}

int32_t qcrt_num_threads(const qcrt_model *model) {
  return model ? poolThreads(model->pool) : 0;
}

const char *qcrt_last_error(void) { return lastError(); }

const char *qcrt_version(void) { return QCRT_VERSION_STRING; }

} // extern "C"
