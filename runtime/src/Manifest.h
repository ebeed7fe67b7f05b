//===- Manifest.h - manifest.json, read and checked -------------*- C++ -*-===//
//
// Part of quantc. docs/Artifact.md defines manifest.json (format version 1).
// The runtime reads what it needs to run the model (tensor descriptions,
// weights.bin and its checksum, the arena size) and checks everything the
// generated code relies on against the descriptor it was compiled with.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_RUNTIME_MANIFEST_H
#define QUANTC_RUNTIME_MANIFEST_H

#include "Sha256.h"
#include "quantc/runtime.h"

namespace qcrt {

/// The format_version this runtime reads.
constexpr uint64_t kFormatVersion = 1;

/// Sizes and offsets above this (256 TiB) are corrupt, whatever they say;
/// refusing them up front means nothing absurd is ever allocated or mapped.
constexpr uint64_t kMaxBytes =
    sizeof(size_t) >= 8 ? uint64_t(1) << 48 : uint64_t(1) << 31;

/// Largest manifest.json read (it is parsed in memory).
constexpr uint64_t kMaxManifestBytes = uint64_t(256) << 20;

struct Manifest {
  qcrt_tensor_info *inputs = nullptr;
  int32_t numInputs = 0;
  qcrt_tensor_info *outputs = nullptr;
  int32_t numOutputs = 0;
  uint64_t arenaBytes = 0;
  char *weightsFile = nullptr; // A file name inside the artifact directory.
  uint64_t weightsBytes = 0;
  uint8_t weightsSha256[kSha256Bytes] = {0};
};

/// Parses manifest.json (`path` is only used in messages) and checks it
/// against `desc`: format, format_version, abi_version, name, input and
/// output counts, every tensor's bytes against its shape and dtype,
/// arena_bytes, weights, and every weights tensor's offset and extent.
/// Returns false with the last error set ("<path>: ...").
bool readManifest(const char *path, const char *text, size_t length,
                  const qcrt_model_desc &desc, Manifest &out);

void freeManifest(Manifest &manifest);

/// Bytes of one element; 0 for a value outside qcrt_dtype.
size_t dtypeSize(qcrt_dtype dtype);

/// The manifest spelling ("f32", ...); "?" for a value outside qcrt_dtype.
const char *dtypeName(qcrt_dtype dtype);

} // namespace qcrt

#endif // QUANTC_RUNTIME_MANIFEST_H
