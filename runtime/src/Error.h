//===- Error.h - the runtime's thread-local last error ----------*- C++ -*-===//
//
// Part of quantc. Every public entry point reports failure through one
// thread-local message (qcrt_last_error()); the helpers here format it.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_RUNTIME_ERROR_H
#define QUANTC_RUNTIME_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#if defined(__GNUC__)
#define QCRT_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define QCRT_PRINTF(fmt, args)
#endif

namespace qcrt {

/// Replaces this thread's last error. Messages longer than the buffer are cut
/// and end in "...". Always returns false so callers can `return fail(...)`.
bool fail(const char *format, ...) QCRT_PRINTF(1, 2);
bool failV(const char *format, va_list args);

/// Makes qcrt_last_error() return "" again.
void clearError();

/// This thread's last error ("" when none).
const char *lastError();

/// strerror(errnum) without the thread-safety problem of strerror; `buffer`
/// holds the text when the C library needs somewhere to put it.
const char *errnoText(int errnum, char *buffer, size_t size);

} // namespace qcrt

#endif // QUANTC_RUNTIME_ERROR_H
