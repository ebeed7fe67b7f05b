//===- HandlersA_F.cpp - ONNX ops Abs .. Floor ----------------------------===//
//
// Part of quantc. Handlers for ONNX op types starting with A to F, plus the
// window and quantization-parameter helpers the other files share.
//
//===----------------------------------------------------------------------===//

#include "ONNXImporterImpl.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::onnx_import;

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

LogicalResult onnx_import::requireFloat(Node &n, Value x,
                                        llvm::StringRef what) {
  if (isa<FloatType>(Node::eltOf(x)))
    return success();
  return n.fail("unsupported " + what + " of type " +
                debugString(x.getType()) + ": a float tensor is required");
}

FailureOr<Window2D>
onnx_import::resolveWindow2D(Node &n, llvm::ArrayRef<int64_t> nchw,
                             llvm::ArrayRef<int64_t> kernel) {
  Window2D w;
  w.strides = n.attrInts("strides").value_or(llvm::SmallVector<int64_t>{1, 1});
  w.dilations =
      n.attrInts("dilations").value_or(llvm::SmallVector<int64_t>{1, 1});
  w.pads = n.attrInts("pads").value_or(llvm::SmallVector<int64_t>{0, 0, 0, 0});
  if (w.strides.size() != 2 || w.dilations.size() != 2 || w.pads.size() != 4)
    return n.fail("expected 2 strides, 2 dilations and 4 pads for a 2-D "
                  "window");
  std::string autoPad = n.attrString("auto_pad", "NOTSET");
  if (autoPad == "NOTSET")
    return w;
  if (autoPad == "VALID") {
    w.pads.assign(4, 0);
    return w;
  }
  if (autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER")
    return n.fail("unsupported auto_pad '" + autoPad + "'");
  for (int i = 0; i < 2; ++i) {
    if (ShapedType::isDynamic(nchw[2 + i]))
      return n.fail("auto_pad " + autoPad +
                    " needs static spatial dimensions (use --input-shape)");
    auto [begin, end] = samePadding(nchw[2 + i], kernel[i], w.strides[i],
                                    w.dilations[i], autoPad == "SAME_UPPER");
    w.pads[i] = begin;
    w.pads[i + 2] = end;
  }
  return w;
}

/// The storage integer type (signless, with signedness separately) and range.
static FailureOr<std::tuple<IntegerType, bool, int64_t, int64_t>>
storageOf(Node &n, Type t) {
  auto it = dyn_cast<IntegerType>(t);
  if (!it || !llvm::is_contained({8u, 16u, 32u}, it.getWidth()))
    return n.fail("unsupported quantized storage type " + debugString(t) +
                  " (int8, uint8, int16, uint16 and int32 are supported)");
  bool isSigned = !it.isUnsigned();
  unsigned w = it.getWidth();
  if (!isSigned && w == 32)
    return n.fail("unsupported quantized storage type uint32");
  int64_t lo = isSigned ? -(int64_t(1) << (w - 1)) : 0;
  int64_t hi = isSigned ? (int64_t(1) << (w - 1)) - 1 : (int64_t(1) << w) - 1;
  return std::make_tuple(IntegerType::get(n.ctx(), w), isSigned, lo, hi);
}

Type onnx_import::storageViewType(Type storage, Type expressed) {
  auto it = dyn_cast<IntegerType>(storage);
  if (!it || !llvm::is_contained({8u, 16u, 32u}, it.getWidth()) ||
      (it.isUnsigned() && it.getWidth() == 32))
    return nullptr;
  bool isSigned = !it.isUnsigned();
  unsigned w = it.getWidth();
  int64_t lo = isSigned ? -(int64_t(1) << (w - 1)) : 0;
  int64_t hi = isSigned ? (int64_t(1) << (w - 1)) - 1 : (int64_t(1) << w) - 1;
  return quant::UniformQuantizedType::get(
      isSigned ? quant::QuantizationFlags::Signed : 0,
      IntegerType::get(storage.getContext(), w), expressed, /*scale=*/1.0,
      /*zeroPoint=*/0, lo, hi);
}

bool onnx_import::isStorageView(Type t) {
  auto q = dyn_cast<quant::UniformQuantizedType>(t);
  return q && q.getScale() == 1.0 && q.getZeroPoint() == 0 &&
         q.getStorageTypeMin() ==
             q.getDefaultMinimumForInteger(q.isSigned(),
                                           q.getStorageTypeIntegralWidth()) &&
         q.getStorageTypeMax() ==
             q.getDefaultMaximumForInteger(q.isSigned(),
                                           q.getStorageTypeIntegralWidth());
}

FailureOr<Type> onnx_import::quantTypeFromParams(Node &n, unsigned scaleIdx,
                                                 unsigned zpIdx,
                                                 llvm::ArrayRef<int64_t> shape,
                                                 Type storage) {
  if (n.attrInt("block_size", 0) != 0)
    return n.fail("blocked quantization (block_size) is not supported");
  std::optional<ElementsAttr> scaleAttr = n.constInput(scaleIdx);
  if (!scaleAttr)
    return n.fail("the scale must be a constant");
  Type expressed = cast<ShapedType>(scaleAttr->getType()).getElementType();
  if (!isa<FloatType>(expressed))
    return n.fail("the scale must be a float tensor");
  auto scales = getFloatValues(*scaleAttr);
  llvm::SmallVector<int64_t> zps;
  if (n.hasInput(zpIdx)) {
    std::optional<ElementsAttr> zpAttr = n.constInput(zpIdx);
    if (!zpAttr)
      return n.fail("the zero point must be a constant");
    storage = cast<ShapedType>(zpAttr->getType()).getElementType();
    auto v = getIntValues(*zpAttr);
    if (!v)
      return n.fail("cannot read the zero point");
    zps = *v;
  }
  if (!scales || scales->empty())
    return n.fail("cannot read the scale");
  if (zps.empty())
    zps.assign(scales->size(), 0);
  if (zps.size() != scales->size())
    return n.fail("scale and zero point have different sizes");
  auto st = storageOf(n, storage);
  if (failed(st))
    return failure();
  auto [storageType, isSigned, lo, hi] = *st;
  for (auto [s, z] : llvm::zip(*scales, zps)) {
    if (!(s > 0) || !std::isfinite(s))
      return n.fail("scale " + std::to_string(s) +
                    " is not a positive finite number");
    if (z < lo || z > hi)
      return n.fail("zero point " + llvm::Twine(z) +
                    " is outside the storage range");
  }
  unsigned flags = isSigned ? quant::QuantizationFlags::Signed : 0;
  bool perTensor = cast<ShapedType>(scaleAttr->getType()).getRank() == 0 ||
                   scales->size() == 1;
  if (perTensor)
    return Type(quant::UniformQuantizedType::get(
        flags, storageType, expressed, scales->front(), zps.front(), lo, hi));
  FailureOr<int64_t> axis =
      n.axis(n.attrInt("axis", 1), shape.size(), "quantization axis");
  if (failed(axis))
    return failure();
  if (!ShapedType::isDynamic(shape[*axis]) &&
      shape[*axis] != static_cast<int64_t>(scales->size()))
    return n.fail("per-axis scale has " + llvm::Twine(scales->size()) +
                  " entries but dimension " + llvm::Twine(*axis) + " has " +
                  llvm::Twine(shape[*axis]));
  return Type(quant::UniformQuantizedPerAxisType::get(
      flags, storageType, expressed, *scales, zps, *axis, lo, hi));
}

//===----------------------------------------------------------------------===//
// Handlers
//===----------------------------------------------------------------------===//

static LogicalResult argReduce(Node &n, bool isMax) {
  Value x = n.input(0);
  if (!x)
    return failure();
  int64_t axis = n.attrInt("axis", 0);
  bool keep = n.attrInt("keepdims", 1) != 0;
  bool last = n.attrInt("select_last_index", 0) != 0;
  std::string why;
  auto shape = ArgMaxOp::inferResultShape(n.shapeOf(x), axis, keep, &why);
  if (failed(shape))
    return n.fail(why);
  auto type = RankedTensorType::get(*shape, n.b.getI64Type());
  auto axisAttr = n.b.getI64IntegerAttr(axis);
  Value r = isMax ? n.b.createOrFold<ArgMaxOp>(n.loc, type, x, axisAttr,
                                               n.b.getBoolAttr(keep),
                                               n.b.getBoolAttr(last))
                  : n.b.createOrFold<ArgMinOp>(n.loc, type, x, axisAttr,
                                               n.b.getBoolAttr(keep),
                                               n.b.getBoolAttr(last));
  return n.setResult(r);
}

/// MaxPool / AveragePool on a 4-D input.
LogicalResult onnx_import::pool2D(Node &n, PoolKind kind) {
  Value x = n.input(0);
  if (!x)
    return failure();
  if (n.rankOf(x) != 4)
    return n.fail("unsupported pooling rank: only 2-D pooling (rank-4 input) is handled");
  if (n.attrInt("storage_order", 0) != 0)
    return n.fail("unsupported storage_order 1");
  auto kernel = n.attrInts("kernel_shape");
  if (!kernel || kernel->size() != 2)
    return n.fail("kernel_shape must have 2 entries");
  auto w = resolveWindow2D(n, n.shapeOf(x), *kernel);
  if (failed(w))
    return failure();
  bool ceil = n.attrInt("ceil_mode", 0) != 0;
  bool countPad = n.attrInt("count_include_pad", 0) != 0;
  std::string why;
  auto shape = Pool2DOp::inferResultShape(n.shapeOf(x), *kernel, w->strides,
                                          w->pads, w->dilations, ceil, &why);
  if (failed(shape))
    return n.fail(why);
  return n.setResult(Pool2DOp::create(
      n.b, n.loc, RankedTensorType::get(*shape, n.eltOf(x)), x, kind, *kernel,
      w->strides, w->pads, w->dilations, ceil, countPad));
}

/// Per-channel scale and shift of an inference BatchNormalization.
static LogicalResult batchNorm(Node &n) {
  if (n.attrInt("training_mode", 0) != 0)
    return n.fail("training_mode is not supported");
  // Before opset 9, spatial = 0 normalized per activation (statistics of
  // shape C x D1 x ...) instead of per channel.
  if (n.opset < 9 && n.attrInt("spatial", 1) != 1)
    return n.fail("spatial = 0 (per-activation statistics) is not supported");
  if (failed(n.onlyOutputs(1)))
    return failure();
  Value x = n.input(0);
  if (!x || failed(requireFloat(n, x)))
    return failure();
  if (n.rankOf(x) < 2)
    return n.fail("input must have rank >= 2");
  double eps = n.attrFloat("epsilon", 1e-5);
  auto gamma = n.constFloats(1, "scale");
  auto beta = n.constFloats(2, "B");
  auto mean = n.constFloats(3, "input_mean");
  auto var = n.constFloats(4, "input_var");
  if (failed(gamma) || failed(beta) || failed(mean) || failed(var))
    return failure();
  size_t c = gamma->size();
  if (beta->size() != c || mean->size() != c || var->size() != c)
    return n.fail("scale, B, mean and var must have the same size");
  llvm::SmallVector<double> scale(c), shift(c);
  for (size_t i = 0; i < c; ++i) {
    scale[i] = (*gamma)[i] / std::sqrt((*var)[i] + eps);
    shift[i] = (*beta)[i] - (*mean)[i] * scale[i];
  }

  // Fold into a convolution whose only consumer is this node: the
  // convolution's weight and bias absorb the affine map (w' = w * scale,
  // b' = b * scale + shift), which is what quantization wants to see.
  auto conv = x.getDefiningOp<Conv2DOp>();
  Attribute wAttr;
  if (conv && n.importer.uses.lookup(n.proto.input(0)) == 1 && x.use_empty() &&
      n.eltOf(x).isF32() && n.eltOf(conv.getWeight()).isF32() &&
      matchPattern(conv.getWeight(), m_Constant(&wAttr))) {
    auto wType = cast<RankedTensorType>(conv.getWeight().getType());
    auto wv = getFloatValues(cast<ElementsAttr>(wAttr));
    std::optional<llvm::SmallVector<double>> bv;
    Attribute bAttr;
    if (conv.getBias() && matchPattern(conv.getBias(), m_Constant(&bAttr)))
      bv = getFloatValues(cast<ElementsAttr>(bAttr));
    bool biasOk = !conv.getBias() || bv;
    if (wv && biasOk && wType.getDimSize(0) == static_cast<int64_t>(c)) {
      int64_t per = wType.getNumElements() / c;
      std::vector<float> nw(wv->size());
      for (size_t i = 0; i < nw.size(); ++i)
        nw[i] = static_cast<float>((*wv)[i] * scale[i / per]);
      std::vector<float> nb(c);
      for (size_t i = 0; i < c; ++i)
        nb[i] = static_cast<float>((bv ? (*bv)[i] : 0.0) * scale[i] + shift[i]);
      auto toBytes = [](const std::vector<float> &v) {
        return llvm::ArrayRef<char>(reinterpret_cast<const char *>(v.data()),
                                    v.size() * sizeof(float));
      };
      int64_t threshold = n.importer.options.resourceThreshold;
      Value w = ConstantOp::create(
          n.b, conv.getWeight().getLoc(),
          makeElementsAttr(wType, toBytes(nw), threshold,
                           n.proto.input(1) + "_folded_weight"));
      Value bias = ConstantOp::create(
          n.b, n.loc,
          makeElementsAttr(RankedTensorType::get({static_cast<int64_t>(c)},
                                                 n.b.getF32Type()),
                           toBytes(nb), threshold,
                           n.proto.input(2) + "_folded_bias"));
      Value folded =
          Conv2DOp::create(n.b, conv.getLoc(), conv.getType(), conv.getInput(),
                           w, bias, conv.getStrides(), conv.getPads(),
                           conv.getDilations(), conv.getGroups());
      n.importer.values.erase(n.proto.input(0));
      conv.erase();
      return n.setResult(folded);
    }
  }

  // Otherwise y = x * scale + shift with [C, 1, ..., 1] constants.
  llvm::SmallVector<int64_t> shape{static_cast<int64_t>(c)};
  shape.append(n.rankOf(x) - 2, 1);
  auto type = RankedTensorType::get(shape, n.eltOf(x));
  Value mul = n.binary<MulOp>(x, n.constFloat(type, scale));
  Value add = n.binary<AddOp>(mul, n.constFloat(type, shift));
  if (!add)
    return failure();
  return n.setResult(add);
}

static LogicalResult castTo(Node &n, Type elt) {
  Value x = n.input(0);
  if (!x)
    return failure();
  Value r = n.castElements(x, elt);
  if (!r)
    return failure();
  return n.setResult(r);
}

static LogicalResult castHandler(Node &n) {
  int64_t to = n.attrInt("to", 0);
  Type elt = elementTypeFor(n.ctx(), to);
  if (!elt || elt.isUnsignedInteger())
    return n.fail("unsupported target type " + onnxTypeName(to));
  return castTo(n, elt);
}

static LogicalResult castLike(Node &n) {
  Type elt;
  if (Value v = n.importer.values.lookup(n.proto.input(1)))
    elt = n.eltOf(v);
  else if (auto c = n.constInput(1))
    elt = cast<ShapedType>(c->getType()).getElementType();
  if (!elt || elt.isUnsignedInteger())
    return n.fail("unsupported target type");
  return castTo(n, elt);
}

static LogicalResult clip(Node &n) {
  Value x = n.input(0);
  if (!x)
    return failure();
  std::optional<double> lo, hi;
  if (n.opset < 11) {
    if (n.hasAttr("min"))
      lo = n.attrFloat("min", 0);
    if (n.hasAttr("max"))
      hi = n.attrFloat("max", 0);
  } else {
    for (unsigned i : {1u, 2u}) {
      if (!n.hasInput(i))
        continue;
      auto v = n.constFloats(i, i == 1 ? "min" : "max");
      if (failed(v))
        return failure();
      if (v->size() != 1)
        return n.fail("min and max must be scalars");
      (i == 1 ? lo : hi) = v->front();
    }
  }
  if (lo && hi && *lo > *hi)
    return n.fail("min is greater than max");
  auto f = [&](std::optional<double> v) {
    return v ? n.b.getF64FloatAttr(*v) : FloatAttr();
  };
  return n.setResult(
      n.b.createOrFold<ClipOp>(n.loc, x.getType(), x, f(lo), f(hi)));
}

static LogicalResult concat(Node &n) {
  llvm::SmallVector<Value> ins;
  llvm::SmallVector<llvm::ArrayRef<int64_t>> shapes;
  for (unsigned i = 0; i < n.numInputs(); ++i) {
    Value v = n.input(i);
    if (!v)
      return failure();
    if (!ins.empty() && n.eltOf(v) != n.eltOf(ins.front()))
      return n.fail("inputs have different element types");
    ins.push_back(v);
    shapes.push_back(n.shapeOf(v));
  }
  if (ins.empty())
    return n.fail("needs at least one input");
  auto axis = n.axis(n.attrInt("axis", 0), n.rankOf(ins.front()));
  if (failed(axis))
    return failure();
  std::string why;
  auto shape = ConcatOp::inferResultShape(shapes, *axis, &why);
  if (failed(shape))
    return n.fail(why);
  return n.setResult(n.b.createOrFold<ConcatOp>(
      n.loc, RankedTensorType::get(*shape, n.eltOf(ins.front())), ins,
      n.b.getI64IntegerAttr(*axis)));
}

/// A Constant's value_float(s) / value_int(s): a scalar (rank 0) for the
/// singular attribute, a vector for the plural one.
template <typename T, typename List>
static DenseElementsAttr listConstant(Type elt, bool isList, const List &list,
                                      T scalar) {
  llvm::SmallVector<T> v(list.begin(), list.end());
  if (!isList)
    v = {scalar};
  llvm::SmallVector<int64_t> shape;
  if (isList)
    shape.push_back(v.size());
  return DenseElementsAttr::get(RankedTensorType::get(shape, elt),
                                llvm::ArrayRef<T>(v));
}

static LogicalResult constant(Node &n) {
  auto *a = n.proto.attribute_size() == 1 ? &n.proto.attribute(0) : nullptr;
  if (!a)
    return n.fail("expects exactly one attribute");
  llvm::StringRef name = a->name();
  Builder &b = n.b;
  if (name == "value") {
    std::string why;
    auto attr = convertTensorProto(n.ctx(), a->t(), n.importer.baseDir,
                                   n.importer.options.resourceThreshold, why);
    if (failed(attr))
      return n.fail(why);
    n.setConstResult(0, *attr);
    return success();
  }
  if (name == "value_float" || name == "value_floats") {
    n.setConstResult(0, listConstant<float>(b.getF32Type(),
                                            name == "value_floats",
                                            a->floats(), a->f()));
    return success();
  }
  if (name == "value_int" || name == "value_ints") {
    n.setConstResult(0, listConstant<int64_t>(b.getI64Type(),
                                              name == "value_ints", a->ints(),
                                              a->i()));
    return success();
  }
  return n.fail("unsupported attribute '" + name + "'");
}

static LogicalResult constantOfShape(Node &n) {
  auto shape = n.constInts(0, "input");
  if (failed(shape))
    return failure();
  if (llvm::any_of(*shape, [](int64_t d) { return d < 0; }))
    return n.fail("shape has a negative dimension");
  Attribute value;
  Type elt = n.b.getF32Type();
  if (const auto *a = n.attr("value")) {
    std::string why;
    auto attr = convertTensorProto(n.ctx(), a->t(), n.importer.baseDir,
                                   /*resourceThreshold=*/INT64_MAX, why);
    if (failed(attr))
      return n.fail(why);
    auto dense = cast<DenseElementsAttr>(*attr);
    if (dense.getNumElements() != 1)
      return n.fail("value must hold one element");
    elt = dense.getElementType();
    value = dense.getValues<Attribute>()[0];
  } else {
    value = n.b.getF32FloatAttr(0);
  }
  auto type = RankedTensorType::get(*shape, elt);
  n.setConstResult(0, DenseElementsAttr::get(type, value));
  return success();
}

/// Conv with 1-D inputs handled as 2-D with a unit height.
static LogicalResult conv(Node &n) {
  Value x, w;
  if (failed(n.inputs(x, w)))
    return failure();
  Value bias = n.hasInput(2) ? n.input(2) : Value();
  if (n.hasInput(2) && !bias)
    return failure();
  bool is1D = n.rankOf(x) == 3 && n.rankOf(w) == 3;
  if (!is1D && (n.rankOf(x) != 4 || n.rankOf(w) != 4))
    return n.fail("only 1-D and 2-D convolutions are supported");
  if (is1D) {
    llvm::SmallVector<int64_t> xs(n.shapeOf(x)), ws(n.shapeOf(w));
    x = n.reshape(x, {xs[0], xs[1], 1, xs[2]});
    w = n.reshape(w, {ws[0], ws[1], 1, ws[2]});
    if (!x || !w)
      return failure();
  }
  auto ws = n.shapeOf(w);
  llvm::SmallVector<int64_t> kernel{ws[2], ws[3]};
  if (ShapedType::isDynamic(ws[2]) || ShapedType::isDynamic(ws[3]))
    return n.fail("the weight must have a static kernel size");
  Window2D win;
  if (is1D) {
    // Lift the 1-D attributes to 2-D with a neutral height dimension.
    auto lift = [&](llvm::StringRef name, int64_t def, size_t count) {
      auto v =
          n.attrInts(name).value_or(llvm::SmallVector<int64_t>(count, def));
      return v;
    };
    auto s = lift("strides", 1, 1), d = lift("dilations", 1, 1),
         p = lift("pads", 0, 2);
    if (s.size() != 1 || d.size() != 1 || p.size() != 2)
      return n.fail("expected 1 stride, 1 dilation and 2 pads");
    win.strides = {1, s[0]};
    win.dilations = {1, d[0]};
    win.pads = {0, p[0], 0, p[1]};
    std::string autoPad = n.attrString("auto_pad", "NOTSET");
    if (autoPad == "VALID") {
      win.pads = {0, 0, 0, 0};
    } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      int64_t in = n.shapeOf(x)[3];
      if (ShapedType::isDynamic(in))
        return n.fail("auto_pad needs a static input size");
      auto [bgn, end] =
          samePadding(in, ws[3], s[0], d[0], autoPad == "SAME_UPPER");
      win.pads = {0, bgn, 0, end};
    } else if (autoPad != "NOTSET") {
      return n.fail("unsupported auto_pad '" + autoPad + "'");
    }
  } else {
    auto r = resolveWindow2D(n, n.shapeOf(x), kernel);
    if (failed(r))
      return failure();
    win = *r;
  }
  int64_t groups = n.attrInt("group", 1);
  std::string why;
  auto shape = Conv2DOp::inferResultShape(
      n.shapeOf(x), ws, win.strides, win.pads, win.dilations, groups, &why);
  if (failed(shape))
    return n.fail(why);
  Type elt = getExpressedType(n.eltOf(x));
  Value y =
      Conv2DOp::create(n.b, n.loc, RankedTensorType::get(*shape, elt), x, w,
                       bias, win.strides, win.pads, win.dilations, groups);
  if (is1D)
    y = n.reshape(y, {(*shape)[0], (*shape)[1], (*shape)[3]});
  if (!y)
    return failure();
  return n.setResult(y);
}

static LogicalResult convTranspose(Node &n) {
  Value x, w;
  if (failed(n.inputs(x, w)))
    return failure();
  Value bias = n.hasInput(2) ? n.input(2) : Value();
  if (n.hasInput(2) && !bias)
    return failure();
  if (n.rankOf(x) != 4 || n.rankOf(w) != 4)
    return n.fail("unsupported rank: only 2-D transposed convolutions are handled");
  auto xs = n.shapeOf(x), ws = n.shapeOf(w);
  int64_t groups = n.attrInt("group", 1);
  auto strides =
      n.attrInts("strides").value_or(llvm::SmallVector<int64_t>{1, 1});
  auto dil = n.attrInts("dilations").value_or(llvm::SmallVector<int64_t>{1, 1});
  auto pads =
      n.attrInts("pads").value_or(llvm::SmallVector<int64_t>{0, 0, 0, 0});
  auto outPad =
      n.attrInts("output_padding").value_or(llvm::SmallVector<int64_t>{0, 0});
  if (strides.size() != 2 || dil.size() != 2 || pads.size() != 4 ||
      outPad.size() != 2)
    return n.fail("expected 2 strides, dilations and output_padding, 4 pads");
  if (llvm::any_of(ws.drop_front(2), ShapedType::isDynamic))
    return n.fail("the weight must have a static kernel size");
  std::string autoPad = n.attrString("auto_pad", "NOTSET");
  auto outputShape = n.attrInts("output_shape");
  if (autoPad != "NOTSET" && autoPad != "VALID" && autoPad != "SAME_UPPER" &&
      autoPad != "SAME_LOWER")
    return n.fail("unsupported auto_pad '" + autoPad + "'");
  if (autoPad == "VALID")
    pads.assign(4, 0);
  if (outputShape || autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    // Pads follow from the requested output size (ONNX's equations).
    llvm::SmallVector<int64_t> want(2);
    for (int i = 0; i < 2; ++i) {
      if (ShapedType::isDynamic(xs[2 + i]))
        return n.fail("output_shape/auto_pad need static spatial dims");
      want[i] = xs[2 + i] * strides[i];
    }
    if (outputShape) {
      if (outputShape->size() < 2)
        return n.fail("output_shape must have 2 spatial entries");
      want.assign(outputShape->end() - 2, outputShape->end());
    }
    for (int i = 0; i < 2; ++i) {
      int64_t total = strides[i] * (xs[2 + i] - 1) + outPad[i] +
                      (ws[2 + i] - 1) * dil[i] + 1 - want[i];
      if (total < 0)
        return n.fail("output_shape larger than the full transposed "
                      "convolution is not supported");
      bool upper = autoPad == "SAME_UPPER";
      pads[i] = upper ? total / 2 : total - total / 2;
      pads[i + 2] = total - pads[i];
    }
  }
  llvm::SmallVector<int64_t> shape{xs[0], ShapedType::isDynamic(ws[1])
                                              ? ShapedType::kDynamic
                                              : ws[1] * groups};
  for (int i = 0; i < 2; ++i) {
    if (ShapedType::isDynamic(xs[2 + i])) {
      shape.push_back(ShapedType::kDynamic);
      continue;
    }
    int64_t o = strides[i] * (xs[2 + i] - 1) + outPad[i] +
                dil[i] * (ws[2 + i] - 1) + 1 - pads[i] - pads[i + 2];
    if (o <= 0)
      return n.fail("the output would be empty");
    shape.push_back(o);
  }
  Type elt = getExpressedType(n.eltOf(x));
  return n.setResult(ConvTranspose2DOp::create(
      n.b, n.loc, RankedTensorType::get(shape, elt), x, w, bias, strides, pads,
      dil, outPad, groups));
}

static LogicalResult depthToSpace(Node &n) {
  Value x = n.input(0);
  if (!x)
    return failure();
  auto s = n.shapeOf(x);
  int64_t bs = n.attrInt("blocksize", 0);
  if (s.size() != 4 || llvm::any_of(s, ShapedType::isDynamic) || bs <= 0 ||
      s[1] % (bs * bs) != 0)
    return n.fail("needs a static 4-D input with channels divisible by "
                  "blocksize^2");
  int64_t c = s[1] / (bs * bs);
  bool crd = n.attrString("mode", "DCR") == "CRD";
  Value r = crd ? n.reshape(x, {s[0], c, bs, bs, s[2], s[3]})
                : n.reshape(x, {s[0], bs, bs, c, s[2], s[3]});
  r = crd ? n.transpose(r, {0, 1, 4, 2, 5, 3})
          : n.transpose(r, {0, 3, 4, 1, 5, 2});
  r = n.reshape(r, {s[0], c, s[2] * bs, s[3] * bs});
  if (!r)
    return failure();
  return n.setResult(r);
}

/// A constant of the storage integers behind `attr` (signless, as
/// qc.constant holds quantized values).
static ElementsAttr toSignless(ElementsAttr attr) {
  auto type = cast<ShapedType>(attr.getType());
  auto it = cast<IntegerType>(type.getElementType());
  if (it.isSignless())
    return attr;
  auto signless = type.clone(IntegerType::get(it.getContext(), it.getWidth()));
  if (auto dense = dyn_cast<DenseElementsAttr>(attr))
    return dense.bitcast(signless.getElementType());
  auto res = cast<DenseResourceElementsAttr>(attr);
  AsmResourceBlob *blob = res.getRawHandle().getBlob();
  return makeElementsAttr(signless, blob ? blob->getData() : ArrayRef<char>(),
                          /*resourceThreshold=*/0, res.getRawHandle().getKey());
}

/// The storage integer type (signedness included) of integer or quantized
/// data.
static Type storageTypeOf(Type elt) {
  if (auto q = dyn_cast<quant::QuantizedType>(elt))
    return IntegerType::get(elt.getContext(), q.getStorageTypeIntegralWidth(),
                            q.isSigned() ? IntegerType::Signless
                                         : IntegerType::Unsigned);
  return elt;
}

Value onnx_import::quantParamAsF32(Node &n, unsigned i) {
  Type f32 = n.b.getF32Type();
  if (std::optional<ElementsAttr> c = n.constInput(i)) {
    // Read directly: unsigned constants cannot be materialized as values.
    auto values = getFloatValues(*c);
    if (!values) {
      (void)n.fail("cannot read the constant input " + llvm::Twine(i));
      return nullptr;
    }
    auto shape = cast<ShapedType>(c->getType()).getShape();
    return n.constFloat(RankedTensorType::get(shape, f32), *values);
  }
  Value v = n.input(i);
  if (!v)
    return nullptr;
  Type elt = Node::eltOf(v);
  if (isUniformQuantized(elt)) {
    if (!isStorageView(elt)) {
      (void)n.fail("unsupported: input " + llvm::Twine(i) +
                   " holds quantized data (" + debugString(elt) +
                   ") but the quantization parameters are computed at run "
                   "time");
      return nullptr;
    }
    // The storage view dequantizes to the stored integers.
    v = quant::DequantizeCastOp::create(
        n.b, n.loc,
        RankedTensorType::get(Node::shapeOf(v), getExpressedType(elt)), v);
  }
  return n.castElements(v, f32);
}

Value onnx_import::broadcastQuantParam(Node &n, Value p, int64_t rank) {
  if (!p)
    return nullptr;
  auto shape = Node::shapeOf(p);
  int64_t count = ShapedType::getNumElements(shape);
  if (Node::rankOf(p) == 0)
    return p;
  if (Node::rankOf(p) != 1) {
    (void)n.fail("unsupported quantization parameters of rank " +
                 llvm::Twine(Node::rankOf(p)) +
                 " (blocked quantization is not supported)");
    return nullptr;
  }
  if (count == 1)
    return n.reshape(p, {});
  // Per-axis: one value per index along `axis`, broadcast over the rest.
  FailureOr<int64_t> axis =
      n.axis(n.attrInt("axis", 1), rank, "quantization axis");
  if (failed(axis))
    return nullptr;
  llvm::SmallVector<int64_t> target(rank - *axis, 1);
  target[0] = ShapedType::isDynamic(shape[0]) ? -1 : shape[0];
  return n.reshape(p, target);
}

/// DequantizeLinear whose scale or zero point is only known at run time:
/// y = (x - zero_point) * scale in float, which is exact for the integer
/// difference as ONNX computes it.
static LogicalResult dequantizeAtRunTime(Node &n) {
  if (n.attrInt("block_size", 0) != 0)
    return n.fail("blocked quantization (block_size) is not supported");
  Value xf = quantParamAsF32(n, 0);
  if (!xf)
    return failure();
  std::optional<ElementsAttr> cs = n.constInput(1);
  Type scaleElt = cs ? cast<ShapedType>(cs->getType()).getElementType()
                     : (n.input(1) ? n.eltOf(n.input(1)) : Type());
  if (!scaleElt)
    return failure();
  if (!isa<FloatType>(scaleElt))
    return n.fail("the scale must be a float tensor");
  int64_t rank = n.rankOf(xf);
  Value scale = broadcastQuantParam(n, quantParamAsF32(n, 1), rank);
  if (!scale)
    return failure();
  Value d = xf;
  if (n.hasInput(2)) {
    Value zp = broadcastQuantParam(n, quantParamAsF32(n, 2), rank);
    d = n.binary<SubOp>(xf, zp);
  }
  Value y = n.binary<MulOp>(d, scale);
  if (!y)
    return failure();
  if (n.shapeOf(y) != n.shapeOf(xf))
    return n.fail("the scale and zero point do not match the input shape " +
                  shapeToString(n.shapeOf(xf)));
  return n.setResult(n.castElements(y, scaleElt));
}

static LogicalResult dequantize(Node &n) {
  if (!n.hasInput(0))
    return n.fail("missing input 0");
  std::optional<ElementsAttr> cx = n.constInput(0);
  Value x = cx ? Value() : n.input(0);
  if (!cx && !x)
    return failure();
  bool constParams =
      n.constInput(1) && (!n.hasInput(2) || n.constInput(2).has_value());
  Type xElt =
      cx ? cast<ShapedType>(cx->getType()).getElementType() : n.eltOf(x);
  if (!isa<IntegerType>(xElt) && !isUniformQuantized(xElt))
    return n.fail("input must be integer or quantized data, got " +
                  debugString(xElt));
  if (!constParams) {
    if (x)
      n.importer.settleArgType(x);
    return dequantizeAtRunTime(n);
  }
  llvm::SmallVector<int64_t> shape(
      cx ? cast<ShapedType>(cx->getType()).getShape() : n.shapeOf(x));
  Type storage = storageTypeOf(xElt);
  auto qt = quantTypeFromParams(n, 1, 2, shape, storage);
  if (failed(qt))
    return failure();
  auto qType = RankedTensorType::get(shape, *qt);
  Value q;
  if (cx) {
    q = ConstantOp::create(n.b, n.loc, qType, toSignless(*cx));
  } else if (n.importer.pendingQuantArgs.count(x)) {
    // A graph input read only by DequantizeLinear: the function takes the
    // quantized data itself.
    if (storageTypeOf(*qt) != storage)
      return n.fail("the zero point's type " + debugString(storageTypeOf(*qt)) +
                    " differs from the input's " + debugString(storage));
    (void)n.importer.adoptArgType(x, qType);
    q = x;
  } else if (isUniformQuantized(xElt)) {
    if (xElt != *qt) {
      // Raw storage integers (an unsigned graph input) dequantize exactly
      // with arithmetic.
      if (isStorageView(xElt) && storageTypeOf(*qt) == storage)
        return dequantizeAtRunTime(n);
      return n.fail("unsupported: the parameters " + debugString(*qt) +
                    " differ from the input's " + debugString(xElt));
    }
    q = x;
  } else {
    q = quant::StorageCastOp::create(n.b, n.loc, qType, x);
  }
  Type expressed = getExpressedType(*qt);
  return n.setResult(quant::DequantizeCastOp::create(
      n.b, n.loc, RankedTensorType::get(shape, expressed), q));
}

static LogicalResult dropout(Node &n) {
  Value x = n.input(0);
  if (!x)
    return failure();
  if (n.opset >= 12 && n.hasInput(2)) {
    auto training = n.constInts(2, "training_mode");
    if (failed(training))
      return failure();
    if (!training->empty() && training->front() != 0)
      return n.fail("training_mode is not supported");
  }
  if (n.hasOutput(1)) {
    // The inference mask keeps everything. It is boolean from opset 10 on
    // and had the data's type before.
    if (!n.typeOf(x).hasStaticShape())
      return n.fail("the mask output needs a static shape");
    if (n.opset >= 10) {
      auto type = RankedTensorType::get(n.shapeOf(x), n.b.getI1Type());
      n.setConstResult(1, DenseElementsAttr::get(type, true));
    } else {
      if (failed(requireFloat(n, x)))
        return failure();
      auto type = RankedTensorType::get(n.shapeOf(x), n.eltOf(x));
      n.setConstResult(
          1, DenseElementsAttr::get(
                 type, APFloat::getOne(
                           cast<FloatType>(n.eltOf(x)).getFloatSemantics())));
    }
  }
  return n.setResult(x);
}

/// EyeLike depends only on the input's (static) shape: a constant.
static LogicalResult eyeLike(Node &n) {
  Value x = n.input(0);
  if (!x)
    return failure();
  if (n.rankOf(x) != 2 || !n.typeOf(x).hasStaticShape())
    return n.fail("input must be a 2-D tensor of static shape");
  Type elt = n.eltOf(x);
  if (int64_t dt = n.attrInt("dtype", 0)) {
    elt = elementTypeFor(n.ctx(), dt);
    if (!elt || elt.isUnsignedInteger())
      return n.fail("unsupported dtype " + onnxTypeName(dt));
  }
  if (isUniformQuantized(elt))
    return n.fail("unsupported quantized input");
  int64_t rows = n.shapeOf(x)[0], cols = n.shapeOf(x)[1];
  int64_t k = n.attrInt("k", 0);
  llvm::SmallVector<double> values;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      values.push_back(j - i == k ? 1.0 : 0.0);
  return n.setResult(
      n.constFloat(RankedTensorType::get({rows, cols}, elt), values));
}

static LogicalResult elu(Node &n) {
  Value x = n.input(0);
  if (!x || failed(requireFloat(n, x)))
    return failure();
  return n.setResult(EluOp::create(n.b, n.loc, x.getType(), x,
                                   APFloat(n.attrFloat("alpha", 1.0))));
}

static LogicalResult expand(Node &n) {
  Value x = n.input(0);
  auto shape = n.constInts(1, "shape");
  if (!x || failed(shape))
    return failure();
  std::string why;
  auto out = ExpandOp::inferResultShape(n.shapeOf(x), *shape, &why);
  if (failed(out))
    return n.fail(why);
  return n.setResult(n.b.createOrFold<ExpandOp>(
      n.loc, RankedTensorType::get(*out, n.eltOf(x)), x));
}

static LogicalResult flatten(Node &n) {
  Value x = n.input(0);
  if (!x)
    return failure();
  auto s = n.shapeOf(x);
  int64_t axis = n.attrInt("axis", 1);
  if (axis < 0)
    axis += s.size();
  if (axis < 0 || axis > static_cast<int64_t>(s.size()))
    return n.fail("axis out of range");
  auto prod = [](llvm::ArrayRef<int64_t> d) -> int64_t {
    if (llvm::any_of(d, ShapedType::isDynamic))
      return -1;
    return ShapedType::getNumElements(d);
  };
  int64_t outer = prod(s.take_front(axis)), inner = prod(s.drop_front(axis));
  if (outer == -1 && inner == -1)
    return n.fail("both flattened halves have dynamic dimensions");
  Value r = n.reshape(x, {outer, inner}, /*allowZero=*/true);
  if (!r)
    return failure();
  return n.setResult(r);
}

void onnx_import::populateHandlersA_F(HandlerRegistry &r) {
  r.onOp("Abs", 6, [](Node &n) -> LogicalResult {
    Value x = n.input(0);
    if (!x)
      return failure();
    return n.setResult(n.unary<AbsOp>(x));
  });
  r.onOp("Add", 7, binaryHandler<AddOp>());
  r.onOp("And", 7, binaryHandler<AndOp>(true));
  r.onOp("ArgMax", 1, [](Node &n) { return argReduce(n, true); });
  r.onOp("ArgMin", 1, [](Node &n) { return argReduce(n, false); });
  r.onOp("AveragePool", 7, [](Node &n) {
    if (n.hasAttr("dilations") && n.opset < 19)
      return n.fail("dilations need opset 19");
    return pool2D(n, PoolKind::Avg);
  });
  r.onOp("BatchNormalization", 7, batchNorm);
  r.onOp("Cast", 6, castHandler);
  r.onOp("CastLike", 15, castLike);
  r.onOp("Ceil", 6, unaryFloatHandler<CeilOp>());
  r.onOp("Clip", 6, clip);
  r.onOp("Concat", 4, concat);
  r.onOp("Constant", 1, constant);
  r.onOp("ConstantOfShape", 9, constantOfShape);
  r.onOp("Conv", 1, conv);
  r.onOp("ConvTranspose", 1, convTranspose);
  r.onOp("Cos", 7, unaryFloatHandler<CosOp>());
  r.onOp("DepthToSpace", 1, depthToSpace);
  r.onOp("DequantizeLinear", 10, dequantize);
  r.onOp("Div", 7, binaryHandler<DivOp>());
  r.onOp("Dropout", 7, dropout);
  r.onOp("Elu", 6, elu);
  r.onOp("Equal", 7, binaryHandler<EqualOp>(true));
  r.onOp("Erf", 9, unaryFloatHandler<ErfOp>());
  r.onOp("Exp", 6, unaryFloatHandler<ExpOp>());
  r.onOp("Expand", 8, expand);
  r.onOp("EyeLike", 9, eyeLike);
  r.onOp("Flatten", 1, flatten);
  r.onOp("Floor", 6, unaryFloatHandler<FloorOp>());
}
