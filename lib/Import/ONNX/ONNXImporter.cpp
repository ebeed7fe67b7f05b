//===- ONNXImporter.cpp - ONNX ModelProto to a qc function ----------------===//
//
// Part of quantc. Walks the graph of an ONNX model in its (topological)
// node order and hands every node to the handler registered for its op type
// and opset. Initializers and Constant outputs stay lazy attributes until a
// handler needs them as values, so that handlers can fold them into types
// (quantization parameters) or attributes (shapes, axes, pads).
//
//===----------------------------------------------------------------------===//

#include "ONNXImporterImpl.h"

#include "qc/Dialect/QC/IR/QCDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <mutex>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::onnx_import;

//===----------------------------------------------------------------------===//
// Handler registry
//===----------------------------------------------------------------------===//

void HandlerRegistry::onOp(llvm::StringRef opType, int64_t since,
                           Handler handler) {
  auto &list = table[opType];
  list.emplace_back(since, std::move(handler));
  llvm::sort(list,
             [](const auto &a, const auto &b) { return a.first < b.first; });
}

const Handler *HandlerRegistry::lookup(llvm::StringRef opType,
                                       int64_t opset) const {
  auto it = table.find(opType);
  if (it == table.end())
    return nullptr;
  const Handler *found = nullptr;
  for (const auto &[since, handler] : it->second)
    if (since <= opset)
      found = &handler;
  return found;
}

int64_t HandlerRegistry::firstOpset(llvm::StringRef opType) const {
  auto it = table.find(opType);
  return it == table.end() || it->second.empty() ? 0 : it->second.front().first;
}

std::vector<std::string> HandlerRegistry::describe() const {
  // By op type, then by opset range (a plain string sort would put
  // "Split 13" before "Split 2-12").
  std::vector<llvm::StringRef> names;
  for (const auto &entry : table)
    names.push_back(entry.first());
  llvm::sort(names);
  std::vector<std::string> out;
  for (llvm::StringRef name : names) {
    const auto &list = table.find(name)->second;
    for (size_t i = 0; i < list.size(); ++i) {
      std::string s = name.str() + " " + std::to_string(list[i].first);
      if (i + 1 < list.size())
        s += "-" + std::to_string(list[i + 1].first - 1);
      out.push_back(std::move(s));
    }
  }
  return out;
}

const HandlerRegistry &onnx_import::getHandlerRegistry() {
  static HandlerRegistry *registry = [] {
    auto *r = new HandlerRegistry;
    populateHandlersA_F(*r);
    populateHandlersG_L(*r);
    populateHandlersM_R(*r);
    populateHandlersS_Z(*r);
    return r;
  }();
  return *registry;
}

std::vector<std::string> mlir::qc::listSupportedONNXOps() {
  return getHandlerRegistry().describe();
}

std::pair<int64_t, int64_t> onnx_import::samePadding(int64_t in, int64_t kernel,
                                                     int64_t stride,
                                                     int64_t dilation,
                                                     bool upper) {
  int64_t out = (in + stride - 1) / stride;
  int64_t total = std::max<int64_t>(0, (out - 1) * stride +
                                           (kernel - 1) * dilation + 1 - in);
  int64_t small = total / 2;
  return upper ? std::make_pair(small, total - small)
               : std::make_pair(total - small, small);
}

//===----------------------------------------------------------------------===//
// GraphImporter
//===----------------------------------------------------------------------===//

LogicalResult GraphImporter::loadModel() {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buf)
    return error("cannot open the model: " + buf.getError().message());
  llvm::StringRef data = (*buf)->getBuffer();
  if (data.size() > static_cast<size_t>(INT32_MAX))
    return error("models over 2 GiB must keep their weights as external data");
  if (!model.ParseFromArray(data.data(), static_cast<int>(data.size())))
    return error("cannot parse the file as an ONNX model (truncated or not "
                 "an onnx.ModelProto)");
  // Arbitrary bytes sometimes parse as a message with unknown fields only.
  if (!model.has_graph())
    return error("the file holds no ONNX graph (not an ONNX model?)");

  bool haveDefault = false;
  for (const auto &imp : model.opset_import()) {
    if (imp.domain().empty() || imp.domain() == "ai.onnx") {
      opset = imp.version();
      haveDefault = true;
    }
  }
  if (!haveDefault && model.ir_version() < 3)
    opset = 1; // IR v1/v2 had no opset_import: the first opset
  if (haveDefault && (opset < kMinOpset || opset > kMaxOpset))
    return error("unsupported opset " + llvm::Twine(opset) +
                 " of domain ai.onnx (supported: " + llvm::Twine(kMinOpset) +
                 " to " + llvm::Twine(kMaxOpset) + ")");
  return success();
}

bool GraphImporter::adoptArgType(Value v, Type t) {
  if (!pendingQuantArgs.erase(v))
    return false;
  v.setType(t);
  return true;
}

FailureOr<Type> GraphImporter::inputType(const onnx::ValueInfoProto &info,
                                         bool quantOnly) {
  const std::string &name = info.name();
  if (!info.type().has_tensor_type())
    return error("graph input '" + name +
                 "' is not a tensor: sequence, map and optional inputs are "
                 "unsupported");
  const auto &tt = info.type().tensor_type();
  Type elt = elementTypeFor(ctx, tt.elem_type());
  if (!elt)
    return error("graph input '" + name + "' has unsupported element type " +
                 onnxTypeName(tt.elem_type()));
  // Unsigned data that only QuantizeLinear/DequantizeLinear read is held
  // as its storage view until a DequantizeLinear gives it real parameters.
  if (elt.isUnsignedInteger() && quantOnly)
    elt = storageViewType(elt, Float32Type::get(ctx));
  if (!elt || elt.isUnsignedInteger())
    return error("graph input '" + name + "' has unsupported element type " +
                 onnxTypeName(tt.elem_type()) +
                 ": qc holds unsigned integers only as quantized data "
                 "(QuantizeLinear/DequantizeLinear)");
  if (!tt.has_shape())
    return error("graph input '" + name +
                 "' has an unknown rank: give it a shape in the model");
  llvm::SmallVector<int64_t> shape;
  for (const auto &d : tt.shape().dim())
    shape.push_back(d.has_dim_value() && d.dim_value() >= 0
                        ? d.dim_value()
                        : ShapedType::kDynamic);
  auto it = options.inputShapes.find(name);
  if (it != options.inputShapes.end()) {
    if (it->second.size() != shape.size())
      return error("--input-shape for '" + name + "' has rank " +
                   llvm::Twine(it->second.size()) + " but the input has rank " +
                   llvm::Twine(shape.size()) + " (" + shapeToString(shape) +
                   ")");
    shape.assign(it->second.begin(), it->second.end());
  }
  return Type(RankedTensorType::get(shape, elt));
}

LogicalResult GraphImporter::importNode(const onnx::NodeProto &proto,
                                        unsigned index) {
  std::string name = !proto.name().empty() ? proto.name()
                     : proto.output_size()
                         ? proto.output(0)
                         : proto.op_type() + "_" + std::to_string(index);
  Location loc = NameLoc::get(StringAttr::get(ctx, name), fileLoc);
  Node node(*this, proto, opset, loc);
  if (!proto.domain().empty() && proto.domain() != "ai.onnx")
    return node.fail("unsupported operator domain '" + proto.domain() + "'");
  const HandlerRegistry &registry = getHandlerRegistry();
  if (!registry.knows(proto.op_type()))
    return node.fail("unsupported op");
  const Handler *handler = registry.lookup(proto.op_type(), opset);
  if (!handler)
    return node.fail("unsupported opset for this op (handled from opset " +
                     llvm::Twine(registry.firstOpset(proto.op_type())) + ")");
  if (failed((*handler)(node))) {
    // Every failure should have said why; make sure one message appears.
    if (!node.diagnosed)
      return node.fail("cannot be imported");
    return failure();
  }
  // Every declared output must have been produced.
  for (int i = 0; i < proto.output_size(); ++i) {
    const std::string &out = proto.output(i);
    if (!out.empty() && !values.count(out) && !constants.count(out))
      return node.fail("output " + llvm::Twine(i) + " ('" + out +
                       "') is not supported");
  }
  return success();
}

LogicalResult GraphImporter::verifyModule(ModuleOp module) {
  // Verifier messages are rewritten to name the node, like the importer's.
  llvm::SmallVector<std::pair<Location, std::string>> found;
  LogicalResult result = success();
  {
    ScopedDiagnosticHandler handler(ctx, [&](Diagnostic &d) {
      if (d.getSeverity() == DiagnosticSeverity::Error)
        found.emplace_back(d.getLocation(), d.str());
      return success();
    });
    result = verify(module);
  }
  for (auto &[loc, msg] : found) {
    std::string where;
    if (auto nameLoc = dyn_cast<NameLoc>(loc))
      where = " node '" + nameLoc.getName().str() + "':";
    emitError(loc) << path << ":" << where << " invalid IR: " << msg;
  }
  return result;
}

OwningOpRef<ModuleOp> GraphImporter::run() {
  ctx->loadDialect<QCDialect, quant::QuantDialect, func::FuncDialect>();
  if (failed(loadModel()))
    return nullptr;
  const onnx::GraphProto &graph = model.graph();

  for (const auto &init : graph.initializer()) {
    std::string why;
    auto attr =
        convertTensorProto(ctx, init, baseDir, options.resourceThreshold, why);
    if (failed(attr)) {
      (void)error("initializer '" + init.name() + "': " + why);
      return nullptr;
    }
    constants[init.name()] = *attr;
  }
  // The attributes own copies of the payloads: drop the protobuf's.
  model.mutable_graph()->clear_initializer();
  if (graph.sparse_initializer_size()) {
    (void)error("sparse initializers are not supported");
    return nullptr;
  }

  // Which names are read only by QuantizeLinear/DequantizeLinear as data
  // or zero point (`quantOnly`), and which only as DequantizeLinear data
  // (`dqDataOnly`): graph inputs of those kinds can be quantized arguments.
  llvm::StringMap<bool> quantOnly, dqDataOnly;
  for (const auto &node : graph.node()) {
    bool defaultDomain = node.domain().empty() || node.domain() == "ai.onnx";
    bool isDQ = defaultDomain && node.op_type() == "DequantizeLinear";
    bool isQ = defaultDomain && node.op_type() == "QuantizeLinear";
    for (auto [slot, in] : llvm::enumerate(node.input())) {
      bool data = isDQ && slot == 0;
      bool zeroPoint = (isDQ || isQ) && slot == 2;
      quantOnly.try_emplace(in, true).first->second &= data || zeroPoint;
      dqDataOnly.try_emplace(in, true).first->second &= data;
    }
  }
  for (const auto &out : graph.output()) {
    quantOnly[out.name()] = false;
    dqDataOnly[out.name()] = false;
  }

  // Graph inputs that name an initializer are defaults for constants (IR < 4
  // lists every initializer as an input too): they stay constants.
  llvm::SmallVector<const onnx::ValueInfoProto *> args;
  llvm::SmallVector<Type> argTypes;
  llvm::SmallVector<bool> pendingArgs;
  for (const auto &in : graph.input()) {
    if (constants.count(in.name()))
      continue;
    FailureOr<Type> t = inputType(in, quantOnly.lookup(in.name()));
    if (failed(t))
      return nullptr;
    args.push_back(&in);
    argTypes.push_back(*t);
    Type elt = cast<RankedTensorType>(*t).getElementType();
    pendingArgs.push_back(dqDataOnly.lookup(in.name()) &&
                          (isa<IntegerType>(elt) || isStorageView(elt)));
  }
  for (const auto &entry : options.inputShapes)
    if (llvm::none_of(args, [&](const onnx::ValueInfoProto *a) {
          return a->name() == entry.first();
        })) {
      (void)error("--input-shape names '" + entry.first() +
                  "', which is not a graph input");
      return nullptr;
    }

  for (const auto &node : graph.node())
    for (const auto &in : node.input())
      ++uses[in];
  for (const auto &out : graph.output())
    ++uses[out.name()];

  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  builder.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(builder, fileLoc, options.functionName,
                                   builder.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  for (auto [i, info] : llvm::enumerate(args)) {
    values[info->name()] = entry->getArgument(i);
    func.setArgAttr(i, "qc.name", builder.getStringAttr(info->name()));
    if (pendingArgs[i])
      pendingQuantArgs.insert(entry->getArgument(i));
  }
  builder.setInsertionPointToEnd(entry);

  for (auto [i, node] : llvm::enumerate(graph.node()))
    if (failed(importNode(node, i)))
      return nullptr;

  llvm::SmallVector<Value> results;
  for (const auto &out : graph.output()) {
    Value v = values.lookup(out.name());
    if (!v) {
      auto c = constants.find(out.name());
      if (c == constants.end()) {
        (void)error("graph output '" + out.name() +
                    "' is not produced by any node");
        return nullptr;
      }
      if (cast<ShapedType>(c->second.getType())
              .getElementType()
              .isUnsignedInteger()) {
        (void)error("graph output '" + out.name() +
                    "' is an unsigned constant, which qc cannot hold");
        return nullptr;
      }
      v = ConstantOp::create(
          builder, NameLoc::get(builder.getStringAttr(out.name()), fileLoc),
          c->second);
    }
    results.push_back(v);
  }
  func::ReturnOp::create(builder, fileLoc, results);
  // Arguments may have taken quantized types from DequantizeLinear nodes.
  func.setFunctionType(builder.getFunctionType(entry->getArgumentTypes(),
                                               ValueRange(results).getTypes()));
  for (auto [i, out] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, "qc.name", builder.getStringAttr(out.name()));

  // Drop what folding and fusion left unused (replaced convolutions,
  // constants consumed only at import time).
  for (Operation &op :
       llvm::make_early_inc_range(llvm::reverse(entry->getOperations())))
    if (isOpTriviallyDead(&op))
      op.erase();

  if (failed(verifyModule(*module)))
    return nullptr;
  return module;
}

//===----------------------------------------------------------------------===//
// Node
//===----------------------------------------------------------------------===//

Node::Node(GraphImporter &importer, const onnx::NodeProto &proto, int64_t opset,
           Location loc)
    : b(importer.builder), proto(proto), opset(opset), loc(loc),
      importer(importer) {}

LogicalResult Node::fail(const llvm::Twine &msg) {
  diagnosed = true;
  std::string name = cast<NameLoc>(loc).getName().str();
  emitError(loc) << importer.path << ": node '" << name << "' ("
                 << proto.op_type() << ", opset " << opset
                 << "): " << msg.str();
  return failure();
}

Value Node::input(unsigned i) {
  if (!hasInput(i)) {
    (void)fail("missing input " + llvm::Twine(i));
    return nullptr;
  }
  const std::string &name = proto.input(i);
  if (Value v = importer.values.lookup(name))
    return v;
  auto c = importer.constants.find(name);
  if (c == importer.constants.end()) {
    (void)fail("input '" + name +
               "' is not produced by an earlier node, an initializer or a "
               "graph input");
    return nullptr;
  }
  Type elt = cast<ShapedType>(c->second.getType()).getElementType();
  if (elt.isUnsignedInteger()) {
    (void)fail("input '" + name + "' is an unsupported " + debugString(elt) +
               " tensor; qc holds unsigned integers only as quantized data "
               "(QuantizeLinear/DequantizeLinear)");
    return nullptr;
  }
  // Materialized where first needed: the function is one block in
  // topological order, so this dominates every later use.
  Value v = ConstantOp::create(
      b, NameLoc::get(b.getStringAttr(name), importer.fileLoc), c->second);
  importer.values[name] = v;
  return v;
}

std::optional<ElementsAttr> Node::constInput(unsigned i) {
  if (!hasInput(i))
    return std::nullopt;
  const std::string &name = proto.input(i);
  if (Value v = importer.values.lookup(name)) {
    Attribute attr;
    if (matchPattern(v, m_Constant(&attr)))
      if (auto e = dyn_cast<ElementsAttr>(attr))
        return e;
    return std::nullopt;
  }
  auto c = importer.constants.find(name);
  if (c == importer.constants.end())
    return std::nullopt;
  return c->second;
}

FailureOr<ElementsAttr> Node::requireConstInput(unsigned i,
                                                llvm::StringRef what) {
  if (!hasInput(i))
    return fail("missing input '" + what + "'");
  std::optional<ElementsAttr> c = constInput(i);
  if (!c && !importer.values.count(proto.input(i))) {
    (void)input(i); // not defined at all: say that instead
    return failure();
  }
  if (!c)
    return fail("input '" + what +
                "' is computed at run time: unsupported, it must be a "
                "constant (or fold to one at import)");
  return *c;
}

FailureOr<llvm::SmallVector<int64_t>> Node::constInts(unsigned i,
                                                      llvm::StringRef what) {
  FailureOr<ElementsAttr> c = requireConstInput(i, what);
  if (failed(c))
    return failure();
  auto v = getIntValues(*c);
  if (!v)
    return fail("cannot read the constant input '" + what + "'");
  return *v;
}

FailureOr<llvm::SmallVector<double>> Node::constFloats(unsigned i,
                                                       llvm::StringRef what) {
  FailureOr<ElementsAttr> c = requireConstInput(i, what);
  if (failed(c))
    return failure();
  auto v = getFloatValues(*c);
  if (!v)
    return fail("cannot read the constant input '" + what + "'");
  return *v;
}

const onnx::AttributeProto *Node::attr(llvm::StringRef name) const {
  for (const auto &a : proto.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t Node::attrInt(llvm::StringRef name, int64_t def) const {
  const auto *a = attr(name);
  return a ? a->i() : def;
}

double Node::attrFloat(llvm::StringRef name, double def) const {
  const auto *a = attr(name);
  return a ? a->f() : def;
}

std::string Node::attrString(llvm::StringRef name, llvm::StringRef def) const {
  const auto *a = attr(name);
  return a ? a->s() : def.str();
}

std::optional<llvm::SmallVector<int64_t>>
Node::attrInts(llvm::StringRef name) const {
  const auto *a = attr(name);
  if (!a)
    return std::nullopt;
  return llvm::SmallVector<int64_t>(a->ints().begin(), a->ints().end());
}

std::optional<llvm::SmallVector<double>>
Node::attrFloats(llvm::StringRef name) const {
  const auto *a = attr(name);
  if (!a)
    return std::nullopt;
  return llvm::SmallVector<double>(a->floats().begin(), a->floats().end());
}

void Node::setResult(unsigned i, Value v) {
  if (!v || !hasOutput(i))
    return;
  // Results that folded are qc.constant ops; constInput() reads them back.
  importer.values[proto.output(i)] = v;
}

void Node::setConstResult(unsigned i, ElementsAttr attr) {
  if (hasOutput(i))
    importer.constants[proto.output(i)] = attr;
}

LogicalResult Node::onlyOutputs(unsigned first) {
  for (unsigned i = first; i < numOutputs(); ++i)
    if (hasOutput(i))
      return fail("output " + llvm::Twine(i) + " ('" + proto.output(i) +
                  "') is not supported");
  return success();
}

Value Node::constFloat(RankedTensorType type, llvm::ArrayRef<double> values) {
  Type elt = type.getElementType();
  DenseElementsAttr attr;
  if (auto ft = dyn_cast<FloatType>(elt)) {
    llvm::SmallVector<APFloat> fs;
    for (double d : values) {
      APFloat f(d);
      bool lost;
      f.convert(ft.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
      fs.push_back(f);
    }
    attr = DenseElementsAttr::get(type, fs);
  } else {
    auto it = cast<IntegerType>(elt);
    llvm::SmallVector<APInt> is;
    for (double d : values)
      is.push_back(APInt(it.getWidth(), static_cast<int64_t>(d),
                         /*isSigned=*/true, /*implicitTrunc=*/true));
    attr = DenseElementsAttr::get(type, is);
  }
  return ConstantOp::create(b, loc, attr);
}

Value Node::scalar(Type elt, double v, int64_t rank) {
  return constFloat(
      RankedTensorType::get(llvm::SmallVector<int64_t>(rank, 1), elt), {v});
}

Value Node::constI64(llvm::ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                    b.getI64Type());
  return ConstantOp::create(b, loc, DenseElementsAttr::get(type, values));
}

FailureOr<int64_t> Node::axis(int64_t axis, int64_t rank,
                              llvm::StringRef what) {
  FailureOr<int64_t> a = normalizeAxis(axis, rank);
  if (failed(a))
    return fail(what + " " + llvm::Twine(axis) + " is out of range for rank " +
                llvm::Twine(rank));
  return a;
}

Value Node::reshape(Value x, llvm::ArrayRef<int64_t> shape, bool allowZero) {
  if (!x)
    return nullptr;
  std::string why;
  auto out = ReshapeOp::inferResultShape(shapeOf(x), shape, allowZero, &why);
  if (failed(out)) {
    (void)fail("cannot reshape " + shapeToString(shapeOf(x)) + ": " + why);
    return nullptr;
  }
  if (llvm::count_if(*out, ShapedType::isDynamic) > 1) {
    (void)fail("reshape to " + shapeToString(*out) +
               " leaves more than one dimension dynamic; fix the input "
               "shapes (--input-shape)");
    return nullptr;
  }
  return b.createOrFold<ReshapeOp>(loc, RankedTensorType::get(*out, eltOf(x)),
                                   x);
}

Value Node::transpose(Value x, llvm::ArrayRef<int64_t> perm) {
  if (!x)
    return nullptr;
  std::string why;
  auto out = TransposeOp::inferResultShape(shapeOf(x), perm, &why);
  if (failed(out)) {
    (void)fail("invalid permutation: " + why);
    return nullptr;
  }
  return b.createOrFold<TransposeOp>(loc, RankedTensorType::get(*out, eltOf(x)),
                                     x, b.getDenseI64ArrayAttr(perm));
}

Value Node::slice(Value x, llvm::ArrayRef<int64_t> offsets,
                  llvm::ArrayRef<int64_t> sizes,
                  llvm::ArrayRef<int64_t> strides) {
  std::string why;
  auto out =
      SliceOp::inferResultShape(shapeOf(x), offsets, sizes, strides, &why);
  if (failed(out)) {
    (void)fail("invalid slice: " + why);
    return nullptr;
  }
  return b.createOrFold<SliceOp>(loc, RankedTensorType::get(*out, eltOf(x)), x,
                                 b.getDenseI64ArrayAttr(offsets),
                                 b.getDenseI64ArrayAttr(sizes),
                                 b.getDenseI64ArrayAttr(strides));
}

Value Node::castElements(Value x, Type elt) {
  if (!x)
    return nullptr;
  if (eltOf(x) == elt)
    return x;
  if (isUniformQuantized(eltOf(x))) {
    (void)fail("cannot cast quantized data (" + debugString(eltOf(x)) + ")");
    return nullptr;
  }
  return b.createOrFold<CastOp>(loc, RankedTensorType::get(shapeOf(x), elt), x);
}

Value Node::matmul(Value a, Value c) {
  if (!a || !c)
    return nullptr;
  llvm::ArrayRef<int64_t> sa = shapeOf(a), sb = shapeOf(c);
  if (sa.empty() || sb.empty()) {
    (void)fail("matmul operands must have rank >= 1");
    return nullptr;
  }
  llvm::SmallVector<int64_t> la(sa), lb(sb);
  if (la.size() == 1)
    la.insert(la.begin(), 1);
  if (lb.size() == 1)
    lb.push_back(1);
  int64_t k1 = la.back(), k2 = lb[lb.size() - 2];
  if (!ShapedType::isDynamic(k1) && !ShapedType::isDynamic(k2) && k1 != k2) {
    (void)fail("matmul inner dimensions differ: " + shapeToString(sa) + " x " +
               shapeToString(sb));
    return nullptr;
  }
  std::string why;
  auto batch = broadcastShapes(llvm::ArrayRef(la).drop_back(2),
                               llvm::ArrayRef(lb).drop_back(2), &why);
  if (failed(batch)) {
    (void)fail("matmul batch dimensions do not broadcast: " + why);
    return nullptr;
  }
  llvm::SmallVector<int64_t> out(*batch);
  if (sa.size() > 1)
    out.push_back(la[la.size() - 2]);
  if (sb.size() > 1)
    out.push_back(lb.back());
  Type elt = eltOf(a);
  if (isUniformQuantized(elt))
    elt = getExpressedType(elt);
  return MatMulOp::create(b, loc, RankedTensorType::get(out, elt), a, c);
}

Value Node::reduce(Value x, ReduceKind kind, llvm::ArrayRef<int64_t> axes,
                   bool keepdims) {
  if (!x)
    return nullptr;
  std::string why;
  auto out = ReduceOp::inferResultShape(shapeOf(x), axes, keepdims, &why);
  if (failed(out)) {
    (void)fail("invalid reduction: " + why);
    return nullptr;
  }
  return b.createOrFold<ReduceOp>(loc, RankedTensorType::get(*out, eltOf(x)), x,
                                  ReduceKindAttr::get(ctx(), kind),
                                  b.getDenseI64ArrayAttr(axes),
                                  b.getBoolAttr(keepdims));
}

//===----------------------------------------------------------------------===//
// Entry point
//===----------------------------------------------------------------------===//

OwningOpRef<ModuleOp>
mlir::qc::importONNXModel(MLIRContext *ctx, llvm::StringRef path,
                          const ONNXImportOptions &options) {
  GraphImporter importer(ctx, path, options);
  return importer.run();
}
