//===- Json.cpp - a strict JSON (RFC 8259) reader -------------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "Json.h"
#include "Sha256.h"

#include "Error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

namespace qcrt {
namespace json {

struct Document::Block {
  Block *next;
  size_t capacity;
  size_t used;
  // The block's bytes follow the header.
  unsigned char *data() { return reinterpret_cast<unsigned char *>(this + 1); }
};

Document::~Document() {
  while (blocks) {
    Block *next = blocks->next;
    free(blocks);
    blocks = next;
  }
}

void *Document::allocate(size_t bytes) {
  constexpr size_t kAlign = 8, kBlockBytes = 64 * 1024;
  if (bytes > SIZE_MAX / 2)
    return nullptr;
  bytes = (bytes + kAlign - 1) & ~(kAlign - 1);
  if (!blocks || blocks->capacity - blocks->used < bytes) {
    size_t capacity = bytes > kBlockBytes ? bytes : kBlockBytes;
    Block *block = static_cast<Block *>(malloc(sizeof(Block) + capacity));
    if (!block)
      return nullptr;
    block->capacity = capacity;
    block->used = 0;
    block->next = blocks;
    blocks = block;
  }
  void *result = blocks->data() + blocks->used;
  blocks->used += bytes;
  return result;
}

void Document::position(const char *where, unsigned &line,
                        unsigned &column) const {
  line = 1;
  column = 1;
  for (const char *p = begin; p && p < where; ++p) {
    if (*p == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
}

class Parser {
public:
  Parser(Document &document, const char *text, size_t length)
      : doc(document), cur(text), end(text + length) {}

  const Value *run() {
    skipSpace();
    const Value *root = parseValue();
    if (!root)
      return nullptr;
    skipSpace();
    if (cur != end)
      return fail(cur, "unexpected %s after the JSON document", found(cur));
    return root;
  }

private:
  Document &doc;
  const char *cur;
  const char *end;
  unsigned depth = 0;
  char foundText[32];

  // Converts to false or to a null pointer, so every parse function can
  // `return fail(...)`.
  struct Failure {
    operator bool() const { return false; }
    template <typename T> operator T *() const { return nullptr; }
  };

  QCRT_PRINTF(3, 4) Failure fail(const char *where, const char *format, ...) {
    if (doc.errorText[0])
      return Failure(); // Keep the first (innermost) error.
    unsigned line, column;
    doc.position(where, line, column);
    size_t n = size_t(snprintf(doc.errorText, sizeof(doc.errorText),
                               "%u:%u: ", line, column));
    va_list args;
    va_start(args, format);
    vsnprintf(doc.errorText + n, sizeof(doc.errorText) - n, format, args);
    va_end(args);
    return Failure();
  }

  // What sits at `p`, for "expected X, found Y" messages.
  const char *found(const char *p) {
    if (p >= end)
      return "end of text";
    unsigned char c = static_cast<unsigned char>(*p);
    if (c >= 0x20 && c < 0x7f)
      snprintf(foundText, sizeof(foundText), "'%c'", c);
    else
      snprintf(foundText, sizeof(foundText), "byte 0x%02x", c);
    return foundText;
  }

  void skipSpace() {
    while (cur < end &&
           (*cur == ' ' || *cur == '\t' || *cur == '\n' || *cur == '\r'))
      ++cur;
  }

  Value *newValue(Kind kind, const char *source) {
    Value *v = static_cast<Value *>(doc.allocate(sizeof(Value)));
    if (!v)
      return fail(source, "out of memory");
    memset(v, 0, sizeof(Value));
    v->kind = kind;
    v->source = source;
    return v;
  }

  const Value *parseValue() {
    if (cur >= end)
      return fail(cur, "expected a value, found the end of text");
    switch (*cur) {
    case '{':
    case '[': {
      if (++depth > kMaxDepth)
        return fail(cur, "nesting deeper than %u levels", kMaxDepth);
      const Value *v = *cur == '{' ? parseObject() : parseArray();
      --depth;
      return v;
    }
    case '"': {
      Value *v = newValue(Kind::String, cur);
      if (!v || !parseString(v->text, v->length))
        return nullptr;
      return v;
    }
    case 't':
      return parseLiteral("true", Kind::Bool, true);
    case 'f':
      return parseLiteral("false", Kind::Bool, false);
    case 'n':
      return parseLiteral("null", Kind::Null, false);
    default:
      if (*cur == '-' || (*cur >= '0' && *cur <= '9'))
        return parseNumber();
      return fail(cur, "expected a value, found %s", found(cur));
    }
  }

  const Value *parseLiteral(const char *word, Kind kind, bool boolean) {
    size_t n = strlen(word);
    if (static_cast<size_t>(end - cur) < n || memcmp(cur, word, n) != 0)
      return fail(cur, "expected a value, found %s", found(cur));
    Value *v = newValue(kind, cur);
    if (!v)
      return nullptr;
    v->boolean = boolean;
    cur += n;
    return v;
  }

  static bool isDigit(char c) { return c >= '0' && c <= '9'; }

  // number = [ "-" ] ( "0" / 1-9 *DIGIT ) [ "." 1*DIGIT ]
  //          [ ( "e" / "E" ) [ "+" / "-" ] 1*DIGIT ]
  const Value *parseNumber() {
    const char *start = cur;
    if (*cur == '-')
      ++cur;
    if (cur >= end || !isDigit(*cur))
      return fail(cur, "invalid number: expected a digit, found %s",
                  found(cur));
    if (*cur == '0') {
      ++cur;
      if (cur < end && isDigit(*cur))
        return fail(start, "invalid number: leading zero");
    } else {
      while (cur < end && isDigit(*cur))
        ++cur;
    }
    if (cur < end && *cur == '.') {
      ++cur;
      if (cur >= end || !isDigit(*cur))
        return fail(cur, "invalid number: expected a digit after '.', found %s",
                    found(cur));
      while (cur < end && isDigit(*cur))
        ++cur;
    }
    if (cur < end && (*cur == 'e' || *cur == 'E')) {
      ++cur;
      if (cur < end && (*cur == '+' || *cur == '-'))
        ++cur;
      if (cur >= end || !isDigit(*cur))
        return fail(cur,
                    "invalid number: expected a digit in the exponent, found "
                    "%s",
                    found(cur));
      while (cur < end && isDigit(*cur))
        ++cur;
    }
    Value *v = newValue(Kind::Number, start);
    if (!v)
      return nullptr;
    v->text = start;
    v->length = static_cast<size_t>(cur - start);
    return v;
  }

  // Four hex digits after "\u" at `p`; -1 when malformed.
  long readHex4(const char *p) {
    if (end - p < 4)
      return -1;
    long v = 0;
    for (int i = 0; i < 4; ++i) {
      int d = qcrt::hexDigitValue(p[i]);
      if (d < 0)
        return -1;
      v = v * 16 + d;
    }
    return v;
  }

  // Length of the valid UTF-8 sequence at `p` (RFC 3629: no overlong forms,
  // no surrogates, nothing above U+10FFFF), or 0.
  size_t utf8Length(const char *p) {
    const unsigned char *s = reinterpret_cast<const unsigned char *>(p);
    size_t avail = static_cast<size_t>(end - p);
    auto cont = [&](size_t i, unsigned lo = 0x80, unsigned hi = 0xbf) {
      return i < avail && s[i] >= lo && s[i] <= hi;
    };
    unsigned char c = s[0];
    if (c < 0x80)
      return 1;
    if (c >= 0xc2 && c <= 0xdf)
      return cont(1) ? 2 : 0;
    if (c == 0xe0)
      return cont(1, 0xa0) && cont(2) ? 3 : 0;
    if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef)
      return cont(1) && cont(2) ? 3 : 0;
    if (c == 0xed)
      return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
    if (c == 0xf0)
      return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
    if (c >= 0xf1 && c <= 0xf3)
      return cont(1) && cont(2) && cont(3) ? 4 : 0;
    if (c == 0xf4)
      return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
    return 0;
  }

  static char *putUtf8(char *out, unsigned long cp) {
    if (cp < 0x80) {
      *out++ = char(cp);
    } else if (cp < 0x800) {
      *out++ = char(0xc0 | (cp >> 6));
      *out++ = char(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      *out++ = char(0xe0 | (cp >> 12));
      *out++ = char(0x80 | ((cp >> 6) & 0x3f));
      *out++ = char(0x80 | (cp & 0x3f));
    } else {
      *out++ = char(0xf0 | (cp >> 18));
      *out++ = char(0x80 | ((cp >> 12) & 0x3f));
      *out++ = char(0x80 | ((cp >> 6) & 0x3f));
      *out++ = char(0x80 | (cp & 0x3f));
    }
    return out;
  }

  // A string at `cur` (on the opening quote). The decoded text never exceeds
  // the source span, so one allocation of that size holds it.
  bool parseString(const char *&text, size_t &length) {
    const char *open = cur++;
    const char *scan = cur;
    while (scan < end && *scan != '"') {
      if (*scan == '\\' && scan + 1 < end)
        ++scan;
      ++scan;
    }
    if (scan >= end)
      return fail(open, "unterminated string");
    char *out =
        static_cast<char *>(doc.allocate(static_cast<size_t>(scan - cur) + 1));
    if (!out)
      return fail(open, "out of memory");
    text = out;
    while (*cur != '"') {
      unsigned char c = static_cast<unsigned char>(*cur);
      if (c < 0x20)
        return fail(cur,
                    "control character 0x%02x in a string (write it as "
                    "an escape)",
                    c);
      if (c != '\\') {
        size_t n = utf8Length(cur);
        if (n == 0)
          return fail(cur, "invalid UTF-8 in a string");
        memcpy(out, cur, n);
        out += n;
        cur += n;
        continue;
      }
      const char *escape = cur++;
      switch (*cur++) {
      case '"':
        *out++ = '"';
        break;
      case '\\':
        *out++ = '\\';
        break;
      case '/':
        *out++ = '/';
        break;
      case 'b':
        *out++ = '\b';
        break;
      case 'f':
        *out++ = '\f';
        break;
      case 'n':
        *out++ = '\n';
        break;
      case 'r':
        *out++ = '\r';
        break;
      case 't':
        *out++ = '\t';
        break;
      case 'u': {
        long cp = readHex4(cur);
        if (cp < 0)
          return fail(escape, "invalid \\u escape (four hex digits needed)");
        cur += 4;
        if (cp >= 0xdc00 && cp <= 0xdfff)
          return fail(escape, "unpaired low surrogate in a \\u escape");
        if (cp >= 0xd800 && cp <= 0xdbff) {
          long low = end - cur >= 2 && cur[0] == '\\' && cur[1] == 'u'
                         ? readHex4(cur + 2)
                         : -1;
          if (low < 0xdc00 || low > 0xdfff)
            return fail(escape, "unpaired high surrogate in a \\u escape");
          cur += 6;
          cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        }
        out = putUtf8(out, static_cast<unsigned long>(cp));
        break;
      }
      default:
        return fail(escape, "invalid escape '\\%c'", cur[-1]);
      }
    }
    ++cur; // The closing quote.
    *out = '\0';
    length = static_cast<size_t>(out - text);
    return true;
  }

  static int compareKeys(const void *a, const void *b) {
    const Value *x = *static_cast<const Value *const *>(a);
    const Value *y = *static_cast<const Value *const *>(b);
    size_t n = x->keyLength < y->keyLength ? x->keyLength : y->keyLength;
    int c = memcmp(x->key, y->key, n);
    if (c != 0)
      return c;
    return x->keyLength < y->keyLength ? -1 : x->keyLength > y->keyLength;
  }

  // Sorting the members finds duplicates in n log n, so a hostile object
  // with many keys cannot make the check quadratic.
  bool checkDuplicateKeys(const Value &object) {
    if (object.count < 2)
      return true;
    const Value **sorted = static_cast<const Value **>(
        doc.allocate(object.count * sizeof(const Value *)));
    if (!sorted)
      return fail(object.source, "out of memory");
    size_t i = 0;
    for (const Value *m = object.first; m; m = m->next)
      sorted[i++] = m;
    qsort(sorted, object.count, sizeof(const Value *), compareKeys);
    for (i = 1; i < object.count; ++i) {
      if (compareKeys(&sorted[i - 1], &sorted[i]) == 0) {
        const Value *later = sorted[i - 1]->source > sorted[i]->source
                                 ? sorted[i - 1]
                                 : sorted[i];
        return fail(later->source, "duplicate key \"%s\"", later->key);
      }
    }
    return true;
  }

  const Value *parseObject() {
    Value *object = newValue(Kind::Object, cur);
    if (!object)
      return nullptr;
    ++cur;
    skipSpace();
    if (cur < end && *cur == '}') {
      ++cur;
      return object;
    }
    const Value **tail = &object->first;
    for (;;) {
      if (cur >= end || *cur != '"')
        return fail(cur, "expected a string key, found %s", found(cur));
      const char *keySource = cur;
      const char *key;
      size_t keyLength;
      if (!parseString(key, keyLength))
        return nullptr;
      skipSpace();
      if (cur >= end || *cur != ':')
        return fail(cur, "expected ':' after an object key, found %s",
                    found(cur));
      ++cur;
      skipSpace();
      Value *value = const_cast<Value *>(parseValue());
      if (!value)
        return nullptr;
      value->key = key;
      value->keyLength = keyLength;
      value->source = keySource;
      *tail = value;
      tail = &value->next;
      ++object->count;
      skipSpace();
      if (cur < end && *cur == ',') {
        ++cur;
        skipSpace();
        continue;
      }
      if (cur < end && *cur == '}') {
        ++cur;
        break;
      }
      return fail(cur, "expected ',' or '}' after an object member, found %s",
                  found(cur));
    }
    if (!checkDuplicateKeys(*object))
      return nullptr;
    return object;
  }

  const Value *parseArray() {
    Value *array = newValue(Kind::Array, cur);
    if (!array)
      return nullptr;
    ++cur;
    skipSpace();
    if (cur < end && *cur == ']') {
      ++cur;
      return array;
    }
    const Value **tail = &array->first;
    for (;;) {
      Value *element = const_cast<Value *>(parseValue());
      if (!element)
        return nullptr;
      *tail = element;
      tail = &element->next;
      ++array->count;
      skipSpace();
      if (cur < end && *cur == ',') {
        ++cur;
        skipSpace();
        continue;
      }
      if (cur < end && *cur == ']') {
        ++cur;
        return array;
      }
      return fail(cur, "expected ',' or ']' after an array element, found %s",
                  found(cur));
    }
  }
};

bool Document::parse(const char *text, size_t length) {
  begin = text;
  errorText[0] = '\0';
  Parser parser(*this, text, length);
  rootValue = parser.run();
  return rootValue != nullptr;
}

const Value *member(const Value &object, const char *key) {
  if (object.kind != Kind::Object)
    return nullptr;
  size_t n = strlen(key);
  for (const Value *m = object.first; m; m = m->next)
    if (m->keyLength == n && memcmp(m->key, key, n) == 0)
      return m;
  return nullptr;
}

bool equals(const Value &value, const char *s) {
  size_t n = strlen(s);
  return value.kind == Kind::String && value.length == n &&
         memcmp(value.text, s, n) == 0;
}

bool toUInt64(const Value &value, uint64_t &out) {
  if (value.kind != Kind::Number || value.length == 0)
    return false;
  uint64_t v = 0;
  for (size_t i = 0; i < value.length; ++i) {
    char c = value.text[i];
    if (c < '0' || c > '9')
      return false; // '-', '.', 'e': not a non-negative integer literal.
    unsigned digit = unsigned(c - '0');
    if (v > (UINT64_MAX - digit) / 10)
      return false;
    v = v * 10 + digit;
  }
  out = v;
  return true;
}

bool toInt64(const Value &value, int64_t &out) {
  if (value.kind != Kind::Number || value.length == 0)
    return false;
  bool negative = value.text[0] == '-';
  Value magnitude = value;
  if (negative) {
    ++magnitude.text;
    --magnitude.length;
  }
  uint64_t v;
  if (!toUInt64(magnitude, v))
    return false;
  uint64_t limit = negative ? uint64_t(INT64_MAX) + 1 : uint64_t(INT64_MAX);
  if (v > limit)
    return false;
  out = negative ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return true;
}

const char *describe(Kind kind) {
  switch (kind) {
  case Kind::Null:
    return "null";
  case Kind::Bool:
    return "a boolean";
  case Kind::Number:
    return "a number";
  case Kind::String:
    return "a string";
  case Kind::Array:
    return "an array";
  case Kind::Object:
    return "an object";
  }
  return "a value";
}

} // namespace json
} // namespace qcrt
