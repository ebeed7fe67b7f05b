//===- Manifest.cpp - manifest.json ---------------------------------------===//
//
// Part of quantc. The manifest's bytes are hashed into the generated code, so
// its text is fully determined by the description: keys in the order of
// docs/Artifact.md (llvm::json::Object would sort them), numbers in one
// spelling, no locale. Objects are spread over lines; arrays of scalars stay
// on one line so shapes and scale lists read like the documentation.
//
//===----------------------------------------------------------------------===//

#include "ArtifactInternal.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <charconv>
#include <cmath>

using namespace mlir::qc::artifact;
using namespace mlir::qc::artifact::detail;
using llvm::StringRef;

namespace {

/// A JSON value whose objects keep their insertion order.
class Node {
public:
  static Node string(StringRef s) {
    Node n(Kind::Scalar);
    n.text = quote(s);
    return n;
  }
  static Node integer(int64_t v) {
    Node n(Kind::Scalar);
    n.text = std::to_string(v);
    return n;
  }
  static Node unsignedInteger(uint64_t v) {
    Node n(Kind::Scalar);
    n.text = std::to_string(v);
    return n;
  }
  /// Shortest text that reads back as the same double. JSON has no
  /// infinities or NaNs (verifyDescription rejects them): null.
  static Node number(double v) {
    if (!std::isfinite(v)) {
      Node n(Kind::Scalar);
      n.text = "null";
      return n;
    }
    char buf[64];
    std::to_chars_result r = std::to_chars(buf, buf + sizeof(buf), v);
    Node n(Kind::Scalar);
    n.text.assign(buf, r.ptr);
    return n;
  }
  static Node array() { return Node(Kind::Array); }
  static Node object() { return Node(Kind::Object); }

  template <typename Range, typename F>
  static Node arrayOf(const Range &values, F &&make) {
    Node n = array();
    for (const auto &v : values)
      n.push(make(v));
    return n;
  }

  Node &set(StringRef key, Node value) {
    members.emplace_back(quote(key), std::move(value));
    return *this;
  }
  Node &push(Node value) {
    elements.push_back(std::move(value));
    return *this;
  }

  void print(llvm::raw_ostream &os, unsigned indent) const {
    switch (kind) {
    case Kind::Scalar:
      os << text;
      return;
    case Kind::Array: {
      if (elements.empty()) {
        os << "[]";
        return;
      }
      bool flat = llvm::all_of(
          elements, [](const Node &e) { return e.kind == Kind::Scalar; });
      if (flat) {
        os << '[';
        llvm::interleave(
            elements, os, [&](const Node &e) { os << e.text; }, ", ");
        os << ']';
        return;
      }
      os << "[\n";
      for (size_t i = 0; i < elements.size(); ++i) {
        os.indent(indent + 2);
        elements[i].print(os, indent + 2);
        os << (i + 1 < elements.size() ? ",\n" : "\n");
      }
      os.indent(indent) << ']';
      return;
    }
    case Kind::Object: {
      if (members.empty()) {
        os << "{}";
        return;
      }
      os << "{\n";
      for (size_t i = 0; i < members.size(); ++i) {
        os.indent(indent + 2) << members[i].first << ": ";
        members[i].second.print(os, indent + 2);
        os << (i + 1 < members.size() ? ",\n" : "\n");
      }
      os.indent(indent) << '}';
      return;
    }
    }
  }

private:
  enum class Kind { Scalar, Array, Object };
  explicit Node(Kind kind) : kind(kind) {}

  /// A JSON string literal. Invalid UTF-8 (which verifyDescription rejects)
  /// is replaced rather than written, so the output is always JSON.
  static std::string quote(StringRef raw) {
    std::string fixed;
    if (!llvm::json::isUTF8(raw)) {
      fixed = llvm::json::fixUTF8(raw);
      raw = fixed;
    }
    std::string out = "\"";
    for (char c : raw) {
      switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out += llvm::hexdigit((c >> 4) & 0xf, /*LowerCase=*/true);
          out += llvm::hexdigit(c & 0xf, /*LowerCase=*/true);
        } else {
          out += c;
        }
      }
    }
    out += '"';
    return out;
  }

  Kind kind;
  std::string text;
  std::vector<std::pair<std::string, Node>> members;
  std::vector<Node> elements;
};

Node shapeNode(const std::vector<int64_t> &shape) {
  return Node::arrayOf(shape, Node::integer);
}

Node ioNode(const IoTensor &t) {
  Node n = Node::object();
  n.set("name", Node::string(t.name))
      .set("dtype", Node::string(t.dtype))
      .set("shape", shapeNode(t.shape))
      .set("bytes", Node::unsignedInteger(t.bytes()));
  return n;
}

Node tensorNode(const TensorRecord &t) {
  Node n = Node::object();
  n.set("name", Node::string(t.name))
      .set("offset", Node::unsignedInteger(t.offset))
      .set("bytes", Node::unsignedInteger(t.bytes))
      .set("dtype", Node::string(t.dtype))
      .set("shape", shapeNode(t.shape))
      .set("layout", Node::string(t.layout));
  if (t.quant) {
    const TensorQuant &q = *t.quant;
    Node quant = Node::object();
    quant.set("scales", Node::arrayOf(q.scales, Node::number))
        .set("zero_points", Node::arrayOf(q.zeroPoints, Node::integer));
    if (q.axis)
      quant.set("axis", Node::integer(*q.axis));
    if (q.blockSize)
      quant.set("block_size", Node::integer(*q.blockSize));
    n.set("quant", std::move(quant));
  }
  return n;
}

Node targetNode(const TargetLibrary &t, StringRef modelName) {
  Node n = Node::object();
  n.set("triple", Node::string(t.triple))
      .set("library", Node::string(libraryPath(t, modelName)))
      .set("variants", Node::arrayOf(t.variants, [](const std::string &v) {
             return Node::string(v);
           }));
  return n;
}

} // namespace

std::string mlir::qc::artifact::renderManifest(const ArtifactDescription &d) {
  Node producer = Node::object();
  producer.set("tool", Node::string(d.producer.tool))
      .set("version", Node::string(d.producer.version))
      .set("llvm", Node::string(d.producer.llvm));

  Node source = Node::object();
  source.set("file", Node::string(d.source.file))
      .set("sha256", Node::string(d.source.sha256));

  Node weights = Node::object();
  weights.set("file", Node::string("weights.bin"))
      .set("bytes", Node::unsignedInteger(d.weights.size()))
      .set("alignment", Node::unsignedInteger(kWeightsAlignment))
      .set("sha256", Node::string(sha256Hex(d.weights.data())));

  Node header = Node::object();
  header.set("file", Node::string(d.name + ".h"))
      .set("sha256", Node::string(sha256Hex(renderHeader(d))));

  Node root = Node::object();
  root.set("format", Node::string(kFormatName))
      .set("format_version", Node::unsignedInteger(kFormatVersion))
      .set("abi_version", Node::unsignedInteger(kAbiVersion))
      .set("name", Node::string(d.name))
      .set("producer", std::move(producer))
      .set("source", std::move(source))
      .set("options", Node::string(d.options))
      .set("inputs", Node::arrayOf(d.inputs, ioNode))
      .set("outputs", Node::arrayOf(d.outputs, ioNode))
      .set("arena_bytes", Node::unsignedInteger(d.arenaBytes))
      .set("weights", std::move(weights))
      .set("tensors", Node::arrayOf(d.weights.tensors(), tensorNode))
      .set("targets", Node::arrayOf(d.targets,
                                    [&](const TargetLibrary &t) {
                                      return targetNode(t, d.name);
                                    }))
      .set("header", std::move(header));

  std::string text;
  llvm::raw_string_ostream os(text);
  root.print(os, 0);
  os << '\n';
  return text;
}
