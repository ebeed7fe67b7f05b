//===- Weights.h - weights.bin in memory ------------------------*- C++ -*-===//
//
// Part of quantc. weights.bin is mapped read-only: pages are shared between
// processes running the same model and only the touched ones occupy memory.
// Where mapping is unavailable the file is read into a 64-byte aligned
// buffer instead.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_RUNTIME_WEIGHTS_H
#define QUANTC_RUNTIME_WEIGHTS_H

#include <stddef.h>
#include <stdint.h>

namespace qcrt {

struct WeightsFile {
  /// 64-byte aligned (page aligned when mapped); never null, even for an
  /// empty file.
  const uint8_t *data = nullptr;
  uint64_t size = 0;
  void *mapping = nullptr; // munmap() this...
  size_t mappingBytes = 0;
  void *buffer = nullptr; // ...or free() this.
};

/// Opens `path`, checks that it is a regular file of exactly `expectedBytes`
/// (the manifest's "weights.bytes"; `manifestPath` is named in the message
/// when it is not) and maps or reads it. Returns false with the last error
/// set.
bool openWeights(const char *path, uint64_t expectedBytes,
                 const char *manifestPath, WeightsFile &out);

void closeWeights(WeightsFile &weights);

/// Makes openWeights read instead of map, as on a system without mmap; for
/// tests of that path.
void setWeightsReadFallback(bool enabled);

} // namespace qcrt

#endif // QUANTC_RUNTIME_WEIGHTS_H
