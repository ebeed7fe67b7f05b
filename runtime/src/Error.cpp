//===- Error.cpp - the runtime's thread-local last error ------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "Error.h"

#include <stdio.h>
#include <string.h>

namespace {

// Large enough for two full paths and a sentence. A trivially constructible
// thread_local needs no TLS initialiser, which keeps the runtime free of the
// C++ support library.
constexpr size_t kErrorBytes = 8192;
thread_local char errorText[kErrorBytes];

// strerror_r is the GNU variant (returns the text) with _GNU_SOURCE and the
// XSI one (returns 0 and fills the buffer) elsewhere; overloading on the
// return type picks the right reading without preprocessor guesses.
[[maybe_unused]] const char *strerrorResult(int result, const char *buffer) {
  return result == 0 ? buffer : "unknown error";
}
[[maybe_unused]] const char *strerrorResult(const char *result, const char *) {
  return result;
}

} // namespace

bool qcrt::failV(const char *format, va_list args) {
  int n = vsnprintf(errorText, kErrorBytes, format, args);
  if (n < 0) {
    snprintf(errorText, kErrorBytes, "(unprintable error message)");
  } else if (static_cast<size_t>(n) >= kErrorBytes) {
    memcpy(errorText + kErrorBytes - 4, "...", 4);
  }
  return false;
}

bool qcrt::fail(const char *format, ...) {
  va_list args;
  va_start(args, format);
  failV(format, args);
  va_end(args);
  return false;
}

void qcrt::clearError() { errorText[0] = '\0'; }

const char *qcrt::lastError() { return errorText; }

const char *qcrt::errnoText(int errnum, char *buffer, size_t size) {
  buffer[0] = '\0';
  return strerrorResult(strerror_r(errnum, buffer, size), buffer);
}
