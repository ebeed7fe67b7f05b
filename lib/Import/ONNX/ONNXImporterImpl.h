//===- ONNXImporterImpl.h - internals shared by the ONNX handlers -*- C++
//-*-===//
//
// Part of quantc. The graph importer hands each ONNX node to a handler as a
// `Node`: a view of the NodeProto with typed accessors for inputs and
// attributes, constant lookup (initializers, Constant nodes and anything that
// folded), diagnostics that name the file/node/op/opset, and builders that
// compute result types with the ops' own shape inference.
//
// Handlers are registered per op type and first opset version; a handler
// serves every opset from its version up to the next registration of the
// same op type.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_IMPORT_ONNX_ONNXIMPORTERIMPL_H
#define QC_LIB_IMPORT_ONNX_ONNXIMPORTERIMPL_H

#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Dialect/QC/IR/QCTypeUtils.h"
#include "qc/Import/ONNX/ONNXImporter.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Path.h"

#include <onnx/onnx_pb.h>

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Location.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mlir::qc::onnx_import {

class GraphImporter;
class Node;

/// Lowest and highest default-domain opset the importer accepts. Below
/// opset 7 the arithmetic ops had no numpy-style broadcasting (and took a
/// `broadcast` attribute instead); ops are registered from the first
/// version whose semantics their handler implements, so an op whose form
/// at an accepted opset differs is reported per node.
constexpr int64_t kMinOpset = 7;
constexpr int64_t kMaxOpset = 21;

/// A type printed for messages.
std::string debugString(Type t);

using Handler = std::function<LogicalResult(Node &)>;

/// The handler table: op type -> handlers sorted by first opset.
class HandlerRegistry {
public:
  /// Registers `handler` for `opType` from opset `since` on.
  void onOp(llvm::StringRef opType, int64_t since, Handler handler);
  /// The handler serving `opType` at `opset`, or null.
  const Handler *lookup(llvm::StringRef opType, int64_t opset) const;
  /// True when some handler exists for `opType`, whatever the opset.
  bool knows(llvm::StringRef opType) const { return table.count(opType); }
  /// The first opset any handler of `opType` serves (0 when unknown).
  int64_t firstOpset(llvm::StringRef opType) const;
  /// "Conv 1-10", "Conv 11+"-style entries for --list-ops.
  std::vector<std::string> describe() const;

private:
  llvm::StringMap<std::vector<std::pair<int64_t, Handler>>> table;
};

/// The process-wide table, populated on first use.
const HandlerRegistry &getHandlerRegistry();

void populateHandlersA_F(HandlerRegistry &r);
void populateHandlersG_L(HandlerRegistry &r);
void populateHandlersM_R(HandlerRegistry &r);
void populateHandlersS_Z(HandlerRegistry &r);

//===----------------------------------------------------------------------===//
// Tensor protos
//===----------------------------------------------------------------------===//

/// The MLIR element type of an ONNX TensorProto data type (`ui8` etc. for
/// unsigned, `i1` for bool); null for types qc cannot hold (string,
/// complex, float8, 4-bit).
Type elementTypeFor(MLIRContext *ctx, int32_t onnxType);
/// "float", "uint8", ... for messages.
std::string onnxTypeName(int32_t onnxType);

/// Converts a TensorProto to an elements attribute. Tensors with at least
/// `resourceThreshold` elements become dense_resource blobs. External data
/// is read relative to `baseDir`. Failure explains itself in `error`.
FailureOr<ElementsAttr> convertTensorProto(MLIRContext *ctx,
                                           const onnx::TensorProto &tensor,
                                           llvm::StringRef baseDir,
                                           int64_t resourceThreshold,
                                           std::string &error);

/// Builds an elements attribute of `type` from little-endian raw bytes,
/// as a dense_resource blob when it has at least `resourceThreshold`
/// elements (never for i1, which dense attributes bit-pack).
ElementsAttr makeElementsAttr(ShapedType type, llvm::ArrayRef<char> bytes,
                              int64_t resourceThreshold,
                              llvm::StringRef blobName);

/// Every element of a constant as int64 (sign- or zero-extended by the
/// element type's signedness; floats truncated) or as double.
std::optional<llvm::SmallVector<int64_t>> getIntValues(ElementsAttr attr);
std::optional<llvm::SmallVector<double>> getFloatValues(ElementsAttr attr);

//===----------------------------------------------------------------------===//
// Node
//===----------------------------------------------------------------------===//

class Node {
public:
  Node(GraphImporter &importer, const onnx::NodeProto &proto, int64_t opset,
       Location loc);

  OpBuilder &b;
  const onnx::NodeProto &proto;
  const int64_t opset;
  const Location loc;

  MLIRContext *ctx() const { return b.getContext(); }
  llvm::StringRef opType() const { return proto.op_type(); }

  //--- Diagnostics -------------------------------------------------------//

  /// Emits "<file>: node '<name>' (<Op>, opset <n>): <msg>" and fails.
  LogicalResult fail(const llvm::Twine &msg);

  //--- Inputs ------------------------------------------------------------//

  unsigned numInputs() const { return proto.input_size(); }
  /// True when input `i` exists and is not the empty (omitted) name.
  bool hasInput(unsigned i) const {
    return static_cast<int>(i) < proto.input_size() && !proto.input(i).empty();
  }
  /// The value of input `i`, materializing constants; null (after a
  /// diagnostic) when it is missing or cannot be represented.
  Value input(unsigned i);
  /// Binds the first inputs; fails when one is missing.
  template <typename... Vs> LogicalResult inputs(Vs &...vs) {
    unsigned i = 0;
    bool ok = true;
    ((ok = ok && (vs = input(i++))), ...);
    return success(ok);
  }
  /// The constant behind input `i` without materializing it (initializer,
  /// Constant node or folded op result); nullopt when not constant.
  std::optional<ElementsAttr> constInput(unsigned i);
  /// The constant input `i` as integers / doubles; diagnoses a missing or
  /// non-constant input, naming it `what`.
  FailureOr<llvm::SmallVector<int64_t>> constInts(unsigned i,
                                                  llvm::StringRef what);
  FailureOr<llvm::SmallVector<double>> constFloats(unsigned i,
                                                   llvm::StringRef what);
  /// The constant input `i`; diagnoses a missing or non-constant input.
  FailureOr<ElementsAttr> requireConstInput(unsigned i, llvm::StringRef what);

  //--- Attributes --------------------------------------------------------//

  const onnx::AttributeProto *attr(llvm::StringRef name) const;
  bool hasAttr(llvm::StringRef name) const { return attr(name); }
  int64_t attrInt(llvm::StringRef name, int64_t def) const;
  double attrFloat(llvm::StringRef name, double def) const;
  std::string attrString(llvm::StringRef name, llvm::StringRef def) const;
  std::optional<llvm::SmallVector<int64_t>>
  attrInts(llvm::StringRef name) const;
  std::optional<llvm::SmallVector<double>>
  attrFloats(llvm::StringRef name) const;

  //--- Outputs -----------------------------------------------------------//

  unsigned numOutputs() const { return proto.output_size(); }
  /// True when output `i` is declared (a non-empty name).
  bool hasOutput(unsigned i) const {
    return static_cast<int>(i) < proto.output_size() &&
           !proto.output(i).empty();
  }
  /// Binds output `i` to `v`.
  void setResult(unsigned i, Value v);
  /// Binds output 0; fails when `v` is null (a builder already diagnosed).
  LogicalResult setResult(Value v) {
    setResult(0, v);
    return success(v != nullptr);
  }
  /// Binds output `i` to a constant that stays lazy (it is materialized only
  /// where a handler needs it as a value).
  void setConstResult(unsigned i, ElementsAttr attr);
  /// Fails unless outputs from `first` on are all omitted.
  LogicalResult onlyOutputs(unsigned first);

  //--- Builders ----------------------------------------------------------//

  static RankedTensorType typeOf(Value v) {
    return llvm::cast<RankedTensorType>(v.getType());
  }
  static llvm::ArrayRef<int64_t> shapeOf(Value v) {
    return typeOf(v).getShape();
  }
  static Type eltOf(Value v) { return typeOf(v).getElementType(); }
  static int64_t rankOf(Value v) { return typeOf(v).getRank(); }

  /// A qc.constant of `type` with `values` converted to its element type.
  Value constFloat(RankedTensorType type, llvm::ArrayRef<double> values);
  /// A float constant of `elt` shaped `[n]` (or a scalar for rank 0).
  Value scalar(Type elt, double v, int64_t rank = 0);
  Value constI64(llvm::ArrayRef<int64_t> values);

  /// Normalizes `axis` against `rank` or diagnoses it.
  FailureOr<int64_t> axis(int64_t axis, int64_t rank,
                          llvm::StringRef what = "axis");

  /// Ops whose result type follows from the operands, created with
  /// createOrFold so that constant shape arithmetic folds; null after a
  /// diagnostic when shapes do not match.
  Value reshape(Value x, llvm::ArrayRef<int64_t> shape, bool allowZero = false);
  Value transpose(Value x, llvm::ArrayRef<int64_t> perm);
  Value slice(Value x, llvm::ArrayRef<int64_t> offsets,
              llvm::ArrayRef<int64_t> sizes, llvm::ArrayRef<int64_t> strides);
  Value castElements(Value x, Type elt);
  Value matmul(Value a, Value c);
  Value reduce(Value x, ReduceKind kind, llvm::ArrayRef<int64_t> axes,
               bool keepdims);
  template <typename OpTy>
  Value binary(Value l, Value r, bool boolResult = false);
  template <typename OpTy> Value unary(Value x) {
    return b.createOrFold<OpTy>(loc, x.getType(), x);
  }

  GraphImporter &importer;
  /// Set once fail() has reported something for this node.
  bool diagnosed = false;
};

/// Broadcast result shape of a binary op, with a diagnostic on mismatch.
template <typename OpTy> Value Node::binary(Value l, Value r, bool boolResult) {
  if (!l || !r)
    return nullptr;
  if (eltOf(l) != eltOf(r)) {
    (void)fail("operand element types differ (" +
               llvm::Twine(debugString(eltOf(l))) + " vs " +
               debugString(eltOf(r)) + ")");
    return nullptr;
  }
  std::string why;
  auto shape = broadcastShapes(shapeOf(l), shapeOf(r), &why);
  if (failed(shape)) {
    (void)fail("operands do not broadcast: " + llvm::Twine(why));
    return nullptr;
  }
  Type elt = boolResult ? b.getI1Type() : eltOf(l);
  return b.createOrFold<OpTy>(loc, RankedTensorType::get(*shape, elt), l, r);
}

//===----------------------------------------------------------------------===//
// GraphImporter
//===----------------------------------------------------------------------===//

class GraphImporter {
public:
  GraphImporter(MLIRContext *ctx, llvm::StringRef path,
                const ONNXImportOptions &options)
      : ctx(ctx), path(path.str()),
        baseDir(llvm::sys::path::parent_path(path).str()), options(options),
        builder(ctx), fileLoc(FileLineColLoc::get(ctx, path, 0, 0)) {}

  OwningOpRef<ModuleOp> run();

  /// "<file>: <msg>" on the file location.
  LogicalResult error(const llvm::Twine &msg) {
    emitError(fileLoc) << path << ": " << msg.str();
    return failure();
  }

  MLIRContext *ctx;
  std::string path;
  std::string baseDir;
  const ONNXImportOptions &options;
  OpBuilder builder;
  Location fileLoc;
  onnx::ModelProto model;

  /// Values of the ONNX names defined so far.
  llvm::StringMap<Value> values;
  /// Constants (initializers, Constant nodes, import-time folds) not yet
  /// turned into values.
  llvm::StringMap<ElementsAttr> constants;
  /// How often each name is consumed (node inputs and graph outputs).
  llvm::StringMap<unsigned> uses;

  /// Integer graph inputs consumed only as the data of DequantizeLinear
  /// nodes whose parameters have not been seen yet. The first such node
  /// with constant parameters gives the argument its quantized type, so
  /// that the function takes the quantized data itself.
  llvm::DenseSet<Value> pendingQuantArgs;

  /// Gives the pending quantized argument `v` the type `t` and returns true;
  /// false when `v` is not (or no longer) pending.
  bool adoptArgType(Value v, Type t);
  /// Ends the pending state of `v` with the type it has.
  void settleArgType(Value v) { pendingQuantArgs.erase(v); }

private:
  LogicalResult loadModel();
  FailureOr<Type> inputType(const onnx::ValueInfoProto &info, bool quantOnly);
  LogicalResult importNode(const onnx::NodeProto &node, unsigned index);
  LogicalResult verifyModule(ModuleOp module);

  int64_t opset = 0;
};

//===----------------------------------------------------------------------===//
// Small shared helpers
//===----------------------------------------------------------------------===//

/// Resolves ONNX auto_pad for one spatial dimension into [begin, end] pads.
/// `mode` is "SAME_UPPER" or "SAME_LOWER".
std::pair<int64_t, int64_t> samePadding(int64_t in, int64_t kernel,
                                        int64_t stride, int64_t dilation,
                                        bool upper);

//===----------------------------------------------------------------------===//
// Handler building blocks
//===----------------------------------------------------------------------===//

/// Fails unless `x` has a float element type.
LogicalResult requireFloat(Node &n, Value x, llvm::StringRef what = "input");

/// One-input float op with the operand's type.
template <typename OpTy> Handler unaryFloatHandler() {
  return [](Node &n) -> LogicalResult {
    Value x = n.input(0);
    if (!x || failed(requireFloat(n, x)))
      return failure();
    return n.setResult(n.unary<OpTy>(x));
  };
}

/// Broadcasting two-input op; `boolResult` for comparisons.
template <typename OpTy> Handler binaryHandler(bool boolResult = false) {
  return [boolResult](Node &n) -> LogicalResult {
    Value l, r;
    if (failed(n.inputs(l, r)))
      return failure();
    Value v = n.binary<OpTy>(l, r, boolResult);
    if (!v)
      return failure();
    return n.setResult(v);
  };
}

/// Strides, pads ([top, left, bottom, right]) and dilations of a 2-D window
/// with ONNX auto_pad resolved against the (static) input size.
struct Window2D {
  llvm::SmallVector<int64_t> strides, pads, dilations;
};
FailureOr<Window2D> resolveWindow2D(Node &n, llvm::ArrayRef<int64_t> nchw,
                                    llvm::ArrayRef<int64_t> kernel);

/// Softmax / LogSoftmax with the pre-13 "flatten to 2-D" semantics below
/// opset 13 and the single-axis semantics from 13 on.
LogicalResult softmax(Node &n, bool log);

/// Resize (opset 10 and later) and Upsample; `legacy` selects the opset-10
/// behaviour (asymmetric coordinates, floor rounding, no sizes input).
/// `scalesIdx` kScalesAttribute reads the `scales` attribute instead of an
/// input (Upsample before opset 9).
constexpr unsigned kScalesAttribute = ~0u;
LogicalResult resizeImpl(Node &n, unsigned scalesIdx, unsigned sizesIdx,
                         bool legacy);

/// Max, Min, Mean and Sum broadcast their inputs from opset 8 on; before,
/// every input must have the same shape.
LogicalResult requireEqualShapesBeforeOpset8(Node &n);

/// MaxPool / AveragePool on a rank-4 input.
LogicalResult pool2D(Node &n, PoolKind kind);

/// The quantized element type described by constant scale / zero-point
/// inputs of QuantizeLinear / DequantizeLinear for data of `shape`.
/// `storage` is the storage integer type (signedness included) when there
/// is no zero point to take it from.
FailureOr<Type> quantTypeFromParams(Node &n, unsigned scaleIdx, unsigned zpIdx,
                                    llvm::ArrayRef<int64_t> shape,
                                    Type storage);

/// The "storage view" of an integer type: a per-tensor uniform type with
/// scale 1 and zero point 0 over the full range of `storage` (`ui8`, `i8`,
/// ...), whose dequantized values are the stored integers themselves. It
/// carries unsigned data whose quantization parameters are only known at
/// run time (qc has no unsigned integer tensors). Null for storage types qc
/// cannot quantize to.
Type storageViewType(Type storage, Type expressed);
/// True for a storage-view type.
bool isStorageView(Type t);

/// Input `i` of a QuantizeLinear / DequantizeLinear (data, scale or zero
/// point; constant, integer, float or storage view) as f32 values.
Value quantParamAsF32(Node &n, unsigned i);
/// A run-time scale or zero point shaped to broadcast against data of rank
/// `rank`: scalars stay, one-element tensors become scalars, and per-axis
/// vectors are laid along the node's `axis` attribute.
Value broadcastQuantParam(Node &n, Value p, int64_t rank);

} // namespace mlir::qc::onnx_import

#endif // QC_LIB_IMPORT_ONNX_ONNXIMPORTERIMPL_H
