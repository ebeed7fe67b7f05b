//===- JsonTest.cpp - the strict JSON reader ------------------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "Json.h"

#include "gtest/gtest.h"

#include <cstring>
#include <string>

using namespace qcrt::json;

namespace {

// Parses `text`; returns "" on success or the error.
std::string errorOf(const std::string &text) {
  Document doc;
  if (doc.parse(text.data(), text.size()))
    return "";
  return doc.error();
}

std::string stringOf(const Value &v) { return std::string(v.text, v.length); }

TEST(QcrtJson, NestedDocument) {
  std::string text =
      R"({"a": [1, {"b": null}, true, false, "s"], "c": {}, "d": []})";
  Document doc;
  ASSERT_TRUE(doc.parse(text.data(), text.size())) << doc.error();
  const Value *root = doc.root();
  ASSERT_EQ(root->kind, Kind::Object);
  EXPECT_EQ(root->count, 3u);
  const Value *a = member(*root, "a");
  ASSERT_TRUE(a);
  ASSERT_EQ(a->kind, Kind::Array);
  ASSERT_EQ(a->count, 5u);
  const Value *e = a->first;
  EXPECT_EQ(e->kind, Kind::Number);
  EXPECT_EQ(stringOf(*e), "1");
  e = e->next;
  ASSERT_EQ(e->kind, Kind::Object);
  ASSERT_TRUE(member(*e, "b"));
  EXPECT_EQ(member(*e, "b")->kind, Kind::Null);
  e = e->next;
  EXPECT_EQ(e->kind, Kind::Bool);
  EXPECT_TRUE(e->boolean);
  e = e->next;
  EXPECT_EQ(e->kind, Kind::Bool);
  EXPECT_FALSE(e->boolean);
  e = e->next;
  EXPECT_TRUE(equals(*e, "s"));
  EXPECT_EQ(e->next, nullptr);
  EXPECT_EQ(member(*root, "c")->count, 0u);
  EXPECT_EQ(member(*root, "d")->kind, Kind::Array);
  EXPECT_EQ(member(*root, "missing"), nullptr);
  // Members keep document order.
  EXPECT_EQ(std::string(root->first->key, root->first->keyLength), "a");
  EXPECT_EQ(std::string(root->first->next->next->key), "d");
}

TEST(QcrtJson, ScalarsAndWhitespace) {
  EXPECT_EQ(errorOf("1"), "");
  EXPECT_EQ(errorOf("\"x\""), "");
  EXPECT_EQ(errorOf("null"), "");
  EXPECT_EQ(errorOf(" \t\r\n[ 1 , 2 ]\n"), "");
  EXPECT_EQ(errorOf("{ \"a\" : 1 }"), "");
}

TEST(QcrtJson, StringEscapes) {
  std::string text =
      R"(["\"\\\/\b\f\n\r\t", "\u00e9\u20AC", "\ud83d\ude00", "a\u0000b", "é€😀"])";
  Document doc;
  ASSERT_TRUE(doc.parse(text.data(), text.size())) << doc.error();
  const Value *s = doc.root()->first;
  EXPECT_EQ(stringOf(*s), "\"\\/\b\f\n\r\t");
  s = s->next;
  EXPECT_EQ(stringOf(*s), "\xc3\xa9\xe2\x82\xac");
  s = s->next;
  EXPECT_EQ(stringOf(*s), "\xf0\x9f\x98\x80");
  s = s->next;
  EXPECT_EQ(s->length, 3u);
  EXPECT_EQ(stringOf(*s), std::string("a\0b", 3));
  EXPECT_FALSE(equals(*s, "a"));
  s = s->next;
  EXPECT_EQ(stringOf(*s), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  EXPECT_EQ(s->text[s->length], '\0');
}

TEST(QcrtJson, EscapedKeys) {
  std::string text = R"({"a\"b": 1, "\u0041": 2})";
  Document doc;
  ASSERT_TRUE(doc.parse(text.data(), text.size())) << doc.error();
  EXPECT_TRUE(member(*doc.root(), "a\"b"));
  EXPECT_TRUE(member(*doc.root(), "A"));
}

TEST(QcrtJson, RejectsBadStrings) {
  EXPECT_NE(errorOf("\"abc"), "");
  EXPECT_NE(errorOf("\"a\\\""), "");  // Escaped quote, no close.
  EXPECT_NE(errorOf("\"a\nb\""), ""); // Raw control character.
  EXPECT_NE(errorOf("\"a\tb\""), "");
  EXPECT_NE(errorOf("\"\\x\""), "");   // Unknown escape.
  EXPECT_NE(errorOf("\"\\u12\""), ""); // Short \u.
  EXPECT_NE(errorOf("\"\\u12g4\""), "");
  EXPECT_NE(errorOf("\"\\ud800\""), "");        // Lone high surrogate.
  EXPECT_NE(errorOf("\"\\udc00\""), "");        // Lone low surrogate.
  EXPECT_NE(errorOf("\"\\ud800\\u0041\""), ""); // High + non-surrogate.
  EXPECT_NE(errorOf("'a'"), "");
  EXPECT_NE(errorOf("\"\xc0\x80\""), "");         // Overlong NUL.
  EXPECT_NE(errorOf("\"\xe0\x80\xaf\""), "");     // Overlong '/'.
  EXPECT_NE(errorOf("\"\xed\xa0\x80\""), "");     // Encoded surrogate.
  EXPECT_NE(errorOf("\"\xf4\x90\x80\x80\""), ""); // Above U+10FFFF.
  EXPECT_NE(errorOf("\"\xe2\x82\""), "");         // Cut sequence.
  EXPECT_NE(errorOf("\"\xff\""), "");
  EXPECT_NE(errorOf("\"\x80\""), "");       // Stray continuation.
  EXPECT_NE(errorOf("\xef\xbb\xbf{}"), ""); // Byte order mark.
}

TEST(QcrtJson, Numbers) {
  for (const char *ok : {"0", "-0", "7", "-12", "1.5", "1.5e-3", "1E+2", "2e10",
                         "123456789012345678901234567890", "0.0"})
    EXPECT_EQ(errorOf(ok), "") << ok;
  for (const char *bad :
       {"01", "-01", "1.", ".5", "+1", "1e", "1e+", "-", "1.e3", "0x10", "NaN",
        "Infinity", "-Infinity", "1 2", "- 1"})
    EXPECT_NE(errorOf(bad), "") << bad;
}

TEST(QcrtJson, IntegerReadings) {
  auto number = [](const char *text, Document &doc) -> const Value & {
    EXPECT_TRUE(doc.parse(text, strlen(text))) << text;
    return *doc.root();
  };
  uint64_t u = 0;
  int64_t s = 0;
  {
    Document d;
    EXPECT_TRUE(toUInt64(number("18446744073709551615", d), u));
    EXPECT_EQ(u, UINT64_MAX);
  }
  {
    Document d;
    EXPECT_FALSE(toUInt64(number("18446744073709551616", d), u));
  }
  {
    Document d;
    EXPECT_FALSE(toUInt64(number("-1", d), u));
    EXPECT_TRUE(toInt64(*d.root(), s));
    EXPECT_EQ(s, -1);
  }
  {
    Document d;
    EXPECT_FALSE(toUInt64(number("1.0", d), u));
    EXPECT_FALSE(toInt64(*d.root(), s));
  }
  {
    Document d;
    EXPECT_FALSE(toUInt64(number("1e3", d), u));
  }
  {
    Document d;
    EXPECT_TRUE(toInt64(number("-9223372036854775808", d), s));
    EXPECT_EQ(s, INT64_MIN);
  }
  {
    Document d;
    EXPECT_FALSE(toInt64(number("-9223372036854775809", d), s));
  }
  {
    Document d;
    EXPECT_TRUE(toInt64(number("9223372036854775807", d), s));
    EXPECT_EQ(s, INT64_MAX);
  }
  {
    Document d;
    EXPECT_FALSE(toInt64(number("9223372036854775808", d), s));
  }
  {
    Document d;
    EXPECT_TRUE(toInt64(number("-0", d), s));
    EXPECT_EQ(s, 0);
  }
  {
    Document d;
    EXPECT_FALSE(toUInt64(number("\"5\"", d), u)); // A string, not a number.
  }
}

TEST(QcrtJson, RejectsStructureErrors) {
  for (const char *bad : {"",           "   ",
                          "[1,]",       "[,1]",
                          "[1 2]",      "[",
                          "]",          "{",
                          "{\"a\":1,}", "{\"a\" 1}",
                          "{\"a\":}",   "{a:1}",
                          "{1:1}",      "{\"a\":1 \"b\":2}",
                          "tru",        "nul",
                          "falsey",     "true false",
                          "{} x",       "[]]",
                          "{}{}",       "// c\n{}",
                          "{/* c */}",  "[1]\n,"})
    EXPECT_NE(errorOf(bad), "") << "accepted: " << bad;
}

TEST(QcrtJson, RejectsDuplicateKeys) {
  EXPECT_NE(errorOf(R"({"a": 1, "a": 2})").find("duplicate key \"a\""),
            std::string::npos);
  // Also in objects large enough to be sorted rather than scanned.
  std::string many = "{";
  for (int i = 0; i < 100; ++i)
    many += "\"k" + std::to_string(i) + "\": " + std::to_string(i) + ", ";
  EXPECT_EQ(errorOf(many + "\"z\": 0}"), "");
  std::string error = errorOf(many + "\"k42\": 0}");
  EXPECT_NE(error.find("duplicate key \"k42\""), std::string::npos) << error;
  // Same key in different objects is fine.
  EXPECT_EQ(errorOf(R"({"a": {"a": 1}, "b": {"a": 2}})"), "");
}

TEST(QcrtJson, NestingLimit) {
  std::string ok = std::string(kMaxDepth, '[') + std::string(kMaxDepth, ']');
  EXPECT_EQ(errorOf(ok), "");
  std::string deep =
      std::string(kMaxDepth + 1, '[') + std::string(kMaxDepth + 1, ']');
  EXPECT_NE(errorOf(deep).find("nesting deeper than"), std::string::npos);
  // Far deeper than any stack would allow when recursing unchecked.
  std::string hostile(1000000, '[');
  EXPECT_NE(errorOf(hostile), "");
}

TEST(QcrtJson, ErrorPositions) {
  std::string error = errorOf("{\n  \"a\": tru\n}");
  EXPECT_EQ(error.rfind("2:8: ", 0), 0u) << error;
  error = errorOf("[1, 2] x");
  EXPECT_EQ(error, "1:8: unexpected 'x' after the JSON document");
  error = errorOf("[1,\n");
  EXPECT_EQ(error.rfind("2:1: ", 0), 0u) << error;
  EXPECT_NE(error.find("end of text"), std::string::npos) << error;
}

TEST(QcrtJson, LargeDocument) {
  // More than one allocation block of values and strings.
  std::string text = "[";
  for (int i = 0; i < 20000; ++i)
    text += std::string(i ? "," : "") + "{\"name\": \"tensor" +
            std::to_string(i) + "\", \"offset\": " + std::to_string(i * 64) +
            "}";
  text += "]";
  Document doc;
  ASSERT_TRUE(doc.parse(text.data(), text.size())) << doc.error();
  ASSERT_EQ(doc.root()->count, 20000u);
  const Value *last = doc.root()->first;
  while (last->next)
    last = last->next;
  uint64_t offset = 0;
  ASSERT_TRUE(toUInt64(*member(*last, "offset"), offset));
  EXPECT_EQ(offset, 19999u * 64);
  EXPECT_TRUE(equals(*member(*last, "name"), "tensor19999"));
}

} // namespace
