//===- CName.cpp - C identifiers for model names --------------------------===//
//
// Part of quantc. The model name prefixes the symbols and macros of the
// generated code and header (`<name>_desc`, `<name>_create`, `<NAME>_...`),
// so it must be an identifier in both C and C++ that is not reserved and does
// not collide with the runtime's `qcrt_` API.
//
//===----------------------------------------------------------------------===//

#include "ArtifactInternal.h"

#include "llvm/ADT/StringExtras.h"

#include <algorithm>
#include <iterator>

using namespace mlir::qc::artifact;

namespace {

// C23 and C++23 keywords and C++'s alternative operator spellings. The
// underscore-capital keywords of C need no entry: cName drops leading '_'.
constexpr llvm::StringLiteral kKeywords[] = {"alignas",
                                             "alignof",
                                             "and",
                                             "and_eq",
                                             "asm",
                                             "auto",
                                             "bitand",
                                             "bitor",
                                             "bool",
                                             "break",
                                             "case",
                                             "catch",
                                             "char",
                                             "char16_t",
                                             "char32_t",
                                             "char8_t",
                                             "class",
                                             "co_await",
                                             "co_return",
                                             "co_yield",
                                             "compl",
                                             "concept",
                                             "const",
                                             "const_cast",
                                             "consteval",
                                             "constexpr",
                                             "constinit",
                                             "continue",
                                             "decltype",
                                             "default",
                                             "delete",
                                             "do",
                                             "double",
                                             "dynamic_cast",
                                             "else",
                                             "enum",
                                             "explicit",
                                             "export",
                                             "extern",
                                             "false",
                                             "float",
                                             "for",
                                             "friend",
                                             "goto",
                                             "if",
                                             "inline",
                                             "int",
                                             "long",
                                             "mutable",
                                             "namespace",
                                             "new",
                                             "noexcept",
                                             "not",
                                             "not_eq",
                                             "nullptr",
                                             "operator",
                                             "or",
                                             "or_eq",
                                             "private",
                                             "protected",
                                             "public",
                                             "register",
                                             "reinterpret_cast",
                                             "requires",
                                             "restrict",
                                             "return",
                                             "short",
                                             "signed",
                                             "sizeof",
                                             "static",
                                             "static_assert",
                                             "static_cast",
                                             "struct",
                                             "switch",
                                             "template",
                                             "this",
                                             "thread_local",
                                             "throw",
                                             "true",
                                             "try",
                                             "typedef",
                                             "typeid",
                                             "typename",
                                             "typeof",
                                             "typeof_unqual",
                                             "union",
                                             "unsigned",
                                             "using",
                                             "virtual",
                                             "void",
                                             "volatile",
                                             "wchar_t",
                                             "while",
                                             "xor",
                                             "xor_eq"};

bool isKeyword(llvm::StringRef s) {
  return std::find(std::begin(kKeywords), std::end(kKeywords), s) !=
         std::end(kKeywords);
}

} // namespace

std::string mlir::qc::artifact::detail::identifierStem(llvm::StringRef s) {
  std::string out;
  out.reserve(s.size());
  bool pendingUnderscore = false;
  for (char c : s) {
    if (!llvm::isAlnum(c)) {
      pendingUnderscore = true;
      continue;
    }
    // Separators between two kept characters become a single '_'; leading
    // and trailing ones are dropped.
    if (pendingUnderscore && !out.empty())
      out += '_';
    pendingUnderscore = false;
    out += c;
  }
  return out;
}

std::string mlir::qc::artifact::cName(llvm::StringRef name) {
  std::string out = detail::identifierStem(name);
  if (out.empty())
    return "model";
  // `qcrt` itself would make `qcrt_create`; any `qcrt...` name is kept away
  // from the runtime's namespace (case-insensitively, for the macros).
  if (llvm::isDigit(out.front()) || isKeyword(out) ||
      llvm::StringRef(out).starts_with_insensitive("qcrt"))
    out.insert(0, "m_");
  return out;
}
