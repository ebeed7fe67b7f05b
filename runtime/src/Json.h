//===- Json.h - a strict JSON (RFC 8259) reader -----------------*- C++ -*-===//
//
// Part of quantc. Reads manifest.json. Strict on purpose: a manifest is
// written by quant-compile, so anything outside RFC 8259 (comments, trailing
// commas, NaN, leading zeros, invalid UTF-8, duplicate keys, text after the
// document) is a corrupted file, and saying so beats guessing.
//
// The whole tree lives in one Document's block allocator and is freed with it.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_RUNTIME_JSON_H
#define QUANTC_RUNTIME_JSON_H

#include <stddef.h>
#include <stdint.h>

namespace qcrt {
namespace json {

enum class Kind : uint8_t { Null, Bool, Number, String, Array, Object };

struct Value {
  Kind kind;
  bool boolean;
  /// String: the decoded UTF-8 text, NUL-terminated (an escaped U+0000 may
  /// put a NUL inside, so use `length`). Number: the literal exactly as
  /// written (not NUL-terminated).
  const char *text;
  size_t length;
  /// Array / Object: the elements or members in document order.
  const Value *first;
  size_t count;
  /// The next element or member of the enclosing array or object.
  const Value *next;
  /// Object members: the decoded key.
  const char *key;
  size_t keyLength;
  /// Where the value (for object members: its key) starts in the source,
  /// for messages.
  const char *source;
};

class Document {
public:
  Document() = default;
  ~Document();
  Document(const Document &) = delete;
  Document &operator=(const Document &) = delete;

  /// Parses `text[0, length)`, which must outlive the document (numbers point
  /// into it). On failure returns false; error() then holds
  /// "line:column: message" (1-based, columns count bytes).
  bool parse(const char *text, size_t length);

  const Value *root() const { return rootValue; }
  const char *error() const { return errorText; }

  /// 1-based line and column of `where` (a pointer into the parsed text).
  void position(const char *where, unsigned &line, unsigned &column) const;

  /// Allocation from the document's blocks (8-byte aligned); null when out of
  /// memory.
  void *allocate(size_t bytes);

private:
  struct Block;
  Block *blocks = nullptr;
  const Value *rootValue = nullptr;
  const char *begin = nullptr;
  char errorText[256] = {0};
  friend class Parser;
};

/// Nesting beyond this is refused (the parser recurses).
constexpr unsigned kMaxDepth = 128;

/// The member `key` of an object, or null.
const Value *member(const Value &object, const char *key);

/// True when `value` is a string equal to `s`.
bool equals(const Value &value, const char *s);

/// Integer readings of a Number: the literal must have neither fraction nor
/// exponent and fit the type.
bool toUInt64(const Value &value, uint64_t &out);
bool toInt64(const Value &value, int64_t &out);

/// "a string", "an array", ... for messages.
const char *describe(Kind kind);

} // namespace json
} // namespace qcrt

#endif // QUANTC_RUNTIME_JSON_H
