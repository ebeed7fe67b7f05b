//===- Weights.cpp - weights.bin in memory --------------------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "Weights.h"

#include "Error.h"

#include <atomic>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if !defined(_WIN32)
#include <sys/mman.h>
#define QCRT_HAVE_MMAP 1
#endif

#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

using namespace qcrt;

namespace {

std::atomic<bool> forceRead{false};

// What an empty weights.bin maps to: entries still get an aligned, non-null
// pointer.
alignas(64) const uint8_t kEmpty[64] = {0};

bool readAll(int fd, uint8_t *out, uint64_t bytes, const char *path) {
  uint64_t done = 0;
  while (done < bytes) {
    uint64_t want = bytes - done;
    // Some systems refuse single reads above 2 GiB.
    if (want > (1u << 30))
      want = 1u << 30;
    ssize_t n = read(fd, out + done, size_t(want));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      char text[128];
      return fail("%s: cannot read: %s", path,
                  errnoText(errno, text, sizeof(text)));
    }
    if (n == 0)
      return fail("%s: the file shrank while it was read (%" PRIu64
                  " of %" PRIu64 " bytes)",
                  path, done, bytes);
    done += uint64_t(n);
  }
  return true;
}

} // namespace

void qcrt::setWeightsReadFallback(bool enabled) { forceRead.store(enabled); }

bool qcrt::openWeights(const char *path, uint64_t expectedBytes,
                       const char *manifestPath, WeightsFile &out) {
  out = WeightsFile();
  char text[128];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail("%s: cannot open: %s", path,
                errnoText(errno, text, sizeof(text)));

  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return fail("%s: cannot stat: %s", path, errnoText(e, text, sizeof(text)));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return fail("%s: not a regular file", path);
  }
  uint64_t size = uint64_t(st.st_size);
  if (size != expectedBytes) {
    close(fd);
    return fail("%s: the file is %" PRIu64 " bytes but \"weights.bytes\" in "
                "%s is %" PRIu64 "%s",
                path, size, manifestPath, expectedBytes,
                size < expectedBytes ? " (truncated?)" : "");
  }
  if (size > SIZE_MAX / 2) {
    close(fd);
    return fail("%s: %" PRIu64 " bytes do not fit this process's address "
                "space",
                path, size);
  }

  out.size = size;
  if (size == 0) {
    close(fd);
    out.data = kEmpty;
    return true;
  }

#if QCRT_HAVE_MMAP
  if (!forceRead.load()) {
    void *p = mmap(nullptr, size_t(size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED) {
      close(fd);
      out.mapping = p;
      out.mappingBytes = size_t(size);
      out.data = static_cast<const uint8_t *>(p);
      return true;
    }
    // Not every file system maps files (ENODEV); read the file instead.
  }
#endif

  void *buffer = nullptr;
  // Rounded up to whole 64-byte lines, so vector code that reads a full line
  // at the end of a tensor stays inside the allocation.
  size_t bytes = (size_t(size) + 63) & ~size_t(63);
  if (posix_memalign(&buffer, 64, bytes) != 0) {
    close(fd);
    return fail("%s: cannot allocate %" PRIu64 " bytes to read it into", path,
                size);
  }
  memset(static_cast<uint8_t *>(buffer) + size, 0, bytes - size_t(size));
  bool ok = readAll(fd, static_cast<uint8_t *>(buffer), size, path);
  close(fd);
  if (!ok) {
    free(buffer);
    return false;
  }
  out.buffer = buffer;
  out.data = static_cast<const uint8_t *>(buffer);
  return true;
}

void qcrt::closeWeights(WeightsFile &weights) {
#if QCRT_HAVE_MMAP
  if (weights.mapping)
    munmap(weights.mapping, weights.mappingBytes);
#endif
  free(weights.buffer);
  weights = WeightsFile();
}
