//===- HandlersS_Z.cpp - ONNX ops Selu .. Xor -----------------------------===//
//
// Part of quantc. Handlers for ONNX op types starting with S to Z.
//
//===----------------------------------------------------------------------===//

#include "ONNXImporterImpl.h"

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::onnx_import;

/// Reshape to `shape`, whose dynamic entries (at most one) are inferred.
static Value reshapeTo(Node &n, Value x, llvm::ArrayRef<int64_t> shape) {
  llvm::SmallVector<int64_t> s(shape);
  for (int64_t &d : s)
    if (ShapedType::isDynamic(d))
      d = -1;
  return n.reshape(x, s, /*allowZero=*/true);
}

static LogicalResult selu(Node &n) {
  Value x = n.input(0);
  if (!x || failed(requireFloat(n, x)))
    return failure();
  double alpha = n.attrFloat("alpha", 1.67326319217681884765625);
  double gamma = n.attrFloat("gamma", 1.05070102214813232421875);
  Value e = EluOp::create(n.b, n.loc, x.getType(), x, APFloat(alpha));
  return n.setResult(n.binary<MulOp>(e, n.scalar(n.eltOf(x), gamma)));
}

/// Shape folds to a constant: qc has no run-time shape values, so the
/// requested dimensions must be static.
static LogicalResult shape(Node &n) {
  if (!n.hasInput(0))
    return n.fail("missing input 0");
  llvm::SmallVector<int64_t> dims;
  if (Value v = n.importer.values.lookup(n.proto.input(0)))
    dims.assign(n.shapeOf(v).begin(), n.shapeOf(v).end());
  else if (auto c = n.constInput(0))
    dims.assign(cast<ShapedType>(c->getType()).getShape().begin(),
                cast<ShapedType>(c->getType()).getShape().end());
  else {
    (void)n.input(0); // diagnoses the undefined name
    return failure();
  }
  int64_t rank = dims.size();
  auto clampIdx = [&](int64_t i) {
    if (i < 0)
      i += rank;
    return std::clamp<int64_t>(i, 0, rank);
  };
  int64_t start = clampIdx(n.attrInt("start", 0));
  int64_t end = clampIdx(n.attrInt("end", rank));
  llvm::SmallVector<int64_t> out;
  for (int64_t i = start; i < end; ++i) {
    if (ShapedType::isDynamic(dims[i]))
      return n.fail("dimension " + llvm::Twine(i) +
                    " is dynamic; shape computations must fold at import "
                    "(fix the input shapes with --input-shape)");
    out.push_back(dims[i]);
  }
  auto type = RankedTensorType::get({static_cast<int64_t>(out.size())},
                                    n.b.getI64Type());
  n.setConstResult(0, DenseElementsAttr::get(type, llvm::ArrayRef(out)));
  return success();
}

static LogicalResult size(Node &n) {
  Value x = n.input(0);
  if (!x)
    return failure();
  if (!n.typeOf(x).hasStaticShape())
    return n.fail("the input shape is dynamic; Size must fold at import");
  auto type = RankedTensorType::get({}, n.b.getI64Type());
  n.setConstResult(0,
                   DenseElementsAttr::get(type, n.typeOf(x).getNumElements()));
  return success();
}

static LogicalResult slice(Node &n) {
  Value x = n.input(0);
  if (!x)
    return failure();
  llvm::SmallVector<int64_t> starts, ends, axes, steps;
  if (n.opset < 10) {
    starts = n.attrInts("starts").value_or(llvm::SmallVector<int64_t>{});
    ends = n.attrInts("ends").value_or(llvm::SmallVector<int64_t>{});
    axes = n.attrInts("axes").value_or(llvm::SmallVector<int64_t>{});
  } else {
    auto s = n.constInts(1, "starts");
    auto e = n.constInts(2, "ends");
    if (failed(s) || failed(e))
      return failure();
    starts = *s;
    ends = *e;
    if (n.hasInput(3)) {
      auto a = n.constInts(3, "axes");
      if (failed(a))
        return failure();
      axes = *a;
    }
    if (n.hasInput(4)) {
      auto st = n.constInts(4, "steps");
      if (failed(st))
        return failure();
      steps = *st;
    }
  }
  int64_t rank = n.rankOf(x);
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (starts.size() != ends.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return n.fail("starts, ends, axes and steps must have the same length");
  auto in = n.shapeOf(x);
  if (!n.typeOf(x).hasStaticShape())
    return n.fail("Slice needs a static input shape (use --input-shape)");
  llvm::SmallVector<int64_t> offsets(rank, 0), sizes(in), strides(rank, 1);
  for (size_t i = 0; i < axes.size(); ++i) {
    auto axis = n.axis(axes[i], rank);
    if (failed(axis))
      return failure();
    int64_t dim = in[*axis], step = steps[i];
    if (step == 0)
      return n.fail("step is 0");
    auto norm = [&](int64_t v) { return v < 0 ? v + dim : v; };
    int64_t start = norm(starts[i]), end = norm(ends[i]), count;
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
      count = end > start ? (end - start + step - 1) / step : 0;
    } else {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
      count = start > end ? (start - end - step - 1) / -step : 0;
    }
    offsets[*axis] = count ? start : 0;
    sizes[*axis] = count;
    strides[*axis] = step;
  }
  Value r = n.slice(x, offsets, sizes, strides);
  if (!r)
    return failure();
  return n.setResult(r);
}

LogicalResult onnx_import::softmax(Node &n, bool log) {
  Value x = n.input(0);
  if (!x || failed(requireFloat(n, x)))
    return failure();
  auto build = [&](Value v, int64_t axis) -> Value {
    auto a = n.b.getI64IntegerAttr(axis);
    if (log)
      return LogSoftmaxOp::create(n.b, n.loc, v.getType(), v, a);
    return SoftmaxOp::create(n.b, n.loc, v.getType(), v, a);
  };
  int64_t rank = n.rankOf(x);
  if (n.opset >= 13) {
    auto axis = n.axis(n.attrInt("axis", -1), rank);
    if (failed(axis))
      return failure();
    return n.setResult(build(x, *axis));
  }
  // Before opset 13 the input is flattened to 2-D at `axis` and the op
  // normalizes each row of that matrix. On the last axis that is the
  // one-axis op; otherwise reshape around it.
  if (rank == 0)
    return n.fail("input must have rank >= 1");
  auto axis = n.axis(n.attrInt("axis", 1), rank);
  if (failed(axis))
    return failure();
  if (*axis == rank - 1)
    return n.setResult(build(x, rank - 1));
  auto s = n.shapeOf(x);
  auto prod = [](llvm::ArrayRef<int64_t> d) -> int64_t {
    return llvm::any_of(d, ShapedType::isDynamic)
               ? -1
               : ShapedType::getNumElements(d);
  };
  int64_t inner = prod(s.drop_front(*axis));
  if (inner == -1)
    return n.fail("softmax below opset 13 over dynamic dimensions is not "
                  "supported (use --input-shape)");
  Value flat = n.reshape(x, {prod(s.take_front(*axis)), inner});
  if (!flat)
    return failure();
  Value y = reshapeTo(n, build(flat, 1), s);
  if (!y)
    return failure();
  return n.setResult(y);
}

static LogicalResult softsign(Node &n) {
  Value x = n.input(0);
  if (!x || failed(requireFloat(n, x)))
    return failure();
  Value abs = n.unary<AbsOp>(x);
  Value den = n.binary<AddOp>(abs, n.scalar(n.eltOf(x), 1.0));
  return n.setResult(n.binary<DivOp>(x, den));
}

static LogicalResult spaceToDepth(Node &n) {
  Value x = n.input(0);
  if (!x)
    return failure();
  auto s = n.shapeOf(x);
  int64_t bs = n.attrInt("blocksize", 0);
  if (s.size() != 4 || llvm::any_of(s, ShapedType::isDynamic) || bs <= 0 ||
      s[2] % bs != 0 || s[3] % bs != 0)
    return n.fail("needs a static 4-D input with H and W divisible by "
                  "blocksize");
  Value r = n.reshape(x, {s[0], s[1], s[2] / bs, bs, s[3] / bs, bs});
  r = n.transpose(r, {0, 3, 5, 1, 2, 4});
  r = n.reshape(r, {s[0], s[1] * bs * bs, s[2] / bs, s[3] / bs});
  if (!r)
    return failure();
  return n.setResult(r);
}

static LogicalResult split(Node &n) {
  Value x = n.input(0);
  if (!x)
    return failure();
  auto axis = n.axis(n.attrInt("axis", 0), n.rankOf(x));
  if (failed(axis))
    return failure();
  int64_t dim = n.shapeOf(x)[*axis];
  llvm::SmallVector<int64_t> sizes;
  if (n.opset < 13) {
    sizes = n.attrInts("split").value_or(llvm::SmallVector<int64_t>{});
  } else if (n.hasInput(1)) {
    auto s = n.constInts(1, "split");
    if (failed(s))
      return failure();
    sizes = *s;
  }
  if (sizes.empty()) {
    int64_t parts = n.attrInt("num_outputs", n.numOutputs());
    if (ShapedType::isDynamic(dim))
      return n.fail("splitting a dynamic dimension needs explicit sizes");
    if (parts <= 0)
      return n.fail("needs at least one output");
    // Opset 18's num_outputs allows a smaller last chunk.
    int64_t chunk = (dim + parts - 1) / parts;
    if (!n.hasAttr("num_outputs") && dim % parts != 0)
      return n.fail("dimension " + llvm::Twine(dim) +
                    " does not split evenly into " + llvm::Twine(parts));
    for (int64_t i = 0, left = dim; i < parts; ++i, left -= chunk)
      sizes.push_back(std::max<int64_t>(0, std::min(chunk, left)));
  }
  if (static_cast<int64_t>(sizes.size()) != n.numOutputs())
    return n.fail("split has " + llvm::Twine(sizes.size()) + " sizes for " +
                  llvm::Twine(n.numOutputs()) + " outputs");
  std::string why;
  auto shapes = SplitOp::inferResultShapes(n.shapeOf(x), *axis, sizes, &why);
  if (failed(shapes))
    return n.fail(why);
  llvm::SmallVector<Type> types;
  for (auto &s : *shapes)
    types.push_back(RankedTensorType::get(s, n.eltOf(x)));
  llvm::SmallVector<Value> outs;
  n.b.createOrFold<SplitOp>(outs, n.loc, types, x, n.b.getI64IntegerAttr(*axis),
                            n.b.getDenseI64ArrayAttr(sizes));
  for (auto [i, v] : llvm::enumerate(outs))
    n.setResult(i, v);
  return success();
}

/// Squeeze / Unsqueeze axes: attribute before opset 13, input from 13.
static FailureOr<llvm::SmallVector<int64_t>> axesOf(Node &n) {
  if (n.opset < 13)
    return n.attrInts("axes").value_or(llvm::SmallVector<int64_t>{});
  if (!n.hasInput(1))
    return llvm::SmallVector<int64_t>{};
  return n.constInts(1, "axes");
}

static LogicalResult squeeze(Node &n) {
  Value x = n.input(0);
  auto axes = axesOf(n);
  if (!x || failed(axes))
    return failure();
  auto in = n.shapeOf(x);
  int64_t rank = in.size();
  llvm::SmallVector<bool> drop(rank, false);
  if (axes->empty()) {
    for (int64_t i = 0; i < rank; ++i)
      drop[i] = in[i] == 1;
  }
  for (int64_t a : *axes) {
    auto axis = n.axis(a, rank);
    if (failed(axis))
      return failure();
    if (in[*axis] != 1 && !ShapedType::isDynamic(in[*axis]))
      return n.fail("cannot squeeze dimension " + llvm::Twine(*axis) +
                    " of size " + llvm::Twine(in[*axis]));
    drop[*axis] = true;
  }
  llvm::SmallVector<int64_t> out;
  for (int64_t i = 0; i < rank; ++i)
    if (!drop[i])
      out.push_back(in[i]);
  Value r = reshapeTo(n, x, out);
  if (!r)
    return failure();
  return n.setResult(r);
}

static LogicalResult unsqueeze(Node &n) {
  Value x = n.input(0);
  auto axes = axesOf(n);
  if (!x || failed(axes))
    return failure();
  auto in = n.shapeOf(x);
  int64_t outRank = in.size() + axes->size();
  llvm::SmallVector<bool> added(outRank, false);
  for (int64_t a : *axes) {
    auto axis = n.axis(a, outRank);
    if (failed(axis))
      return failure();
    if (added[*axis])
      return n.fail("repeated axis " + llvm::Twine(*axis));
    added[*axis] = true;
  }
  llvm::SmallVector<int64_t> out;
  for (int64_t i = 0, j = 0; i < outRank; ++i)
    out.push_back(added[i] ? 1 : in[j++]);
  Value r = reshapeTo(n, x, out);
  if (!r)
    return failure();
  return n.setResult(r);
}

static LogicalResult sum(Node &n) {
  if (failed(requireEqualShapesBeforeOpset8(n)))
    return failure();
  Value acc = n.input(0);
  for (unsigned i = 1; acc && i < n.numInputs(); ++i)
    acc = n.binary<AddOp>(acc, n.input(i));
  if (!acc)
    return failure();
  return n.setResult(acc);
}

/// Shrink: x < -lambd ? x + bias : (x > lambd ? x - bias : 0).
static LogicalResult shrink(Node &n) {
  Value x = n.input(0);
  if (!x || failed(requireFloat(n, x)))
    return failure();
  Type elt = n.eltOf(x);
  double lambd = n.attrFloat("lambd", 0.5), bias = n.attrFloat("bias", 0.0);
  Value low = n.binary<LessOp>(x, n.scalar(elt, -lambd), true);
  Value high = n.binary<GreaterOp>(x, n.scalar(elt, lambd), true);
  Value plus = n.binary<AddOp>(x, n.scalar(elt, bias));
  Value minus = n.binary<SubOp>(x, n.scalar(elt, bias));
  Value zero = n.scalar(elt, 0.0);
  if (!low || !high || !plus || !minus)
    return failure();
  auto type = n.typeOf(x);
  Value inner = n.b.createOrFold<WhereOp>(n.loc, type, high, minus, zero);
  return n.setResult(n.b.createOrFold<WhereOp>(n.loc, type, low, plus, inner));
}

/// Trilu: keeps the elements on and above (upper) or on and below (lower)
/// the k-th diagonal of the last two dimensions. The column-minus-row
/// offsets are a constant; k may be computed at run time.
static LogicalResult trilu(Node &n) {
  Value x = n.input(0);
  if (!x)
    return failure();
  if (n.eltOf(x).isInteger(1))
    return n.fail("unsupported bool input");
  int64_t rank = n.rankOf(x);
  if (rank < 2)
    return n.fail("input must have rank >= 2");
  auto s = n.shapeOf(x);
  int64_t rows = s[rank - 2], cols = s[rank - 1];
  if (ShapedType::isDynamic(rows) || ShapedType::isDynamic(cols))
    return n.fail("unsupported dynamic matrix dimensions (use --input-shape)");
  bool upper = n.attrInt("upper", 1) != 0;
  auto maskType = RankedTensorType::get({rows, cols}, n.b.getI1Type());
  Value mask;
  std::optional<ElementsAttr> ck =
      n.hasInput(1) ? n.constInput(1) : std::optional<ElementsAttr>();
  if (!n.hasInput(1) || ck) {
    int64_t k = 0;
    if (ck) {
      auto v = getIntValues(*ck);
      if (!v || v->size() != 1)
        return n.fail("k must be a scalar");
      k = v->front();
    }
    llvm::SmallVector<bool> keep;
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        keep.push_back(upper ? j - i >= k : j - i <= k);
    mask =
        ConstantOp::create(n.b, n.loc, DenseElementsAttr::get(maskType, keep));
  } else {
    Value k = n.input(1);
    if (!k)
      return failure();
    if (!n.eltOf(k).isInteger(64) || n.typeOf(k).getNumElements() != 1)
      return n.fail("k must be an int64 scalar");
    llvm::SmallVector<int64_t> offsets;
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        offsets.push_back(j - i);
    Value d = ConstantOp::create(
        n.b, n.loc,
        DenseElementsAttr::get(
            RankedTensorType::get({rows, cols}, n.b.getI64Type()),
            llvm::ArrayRef<int64_t>(offsets)));
    if (n.rankOf(k) != 0)
      k = n.reshape(k, {});
    mask = upper ? n.binary<GreaterEqualOp>(d, k, true)
                 : n.binary<LessEqualOp>(d, k, true);
    if (!mask)
      return failure();
  }
  Value zero = n.scalar(n.eltOf(x), 0.0);
  return n.setResult(
      n.b.createOrFold<WhereOp>(n.loc, n.typeOf(x), mask, x, zero));
}

/// y = x > alpha ? x : 0.
static LogicalResult thresholdedRelu(Node &n) {
  Value x = n.input(0);
  if (!x || failed(requireFloat(n, x)))
    return failure();
  Type elt = n.eltOf(x);
  Value cond = n.binary<GreaterOp>(x, n.scalar(elt, n.attrFloat("alpha", 1.0)),
                                   /*boolResult=*/true);
  if (!cond)
    return failure();
  return n.setResult(
      WhereOp::create(n.b, n.loc, x.getType(), cond, x, n.scalar(elt, 0.0)));
}

static LogicalResult tile(Node &n) {
  Value x = n.input(0);
  auto repeats = n.constInts(1, "repeats");
  if (!x || failed(repeats))
    return failure();
  std::string why;
  auto shape = TileOp::inferResultShape(n.shapeOf(x), *repeats, &why);
  if (failed(shape))
    return n.fail(why);
  return n.setResult(
      n.b.createOrFold<TileOp>(n.loc, RankedTensorType::get(*shape, n.eltOf(x)),
                               x, n.b.getDenseI64ArrayAttr(*repeats)));
}

static LogicalResult transpose(Node &n) {
  Value x = n.input(0);
  if (!x)
    return failure();
  llvm::SmallVector<int64_t> perm;
  for (int64_t i = n.rankOf(x) - 1; i >= 0; --i)
    perm.push_back(i);
  perm = n.attrInts("perm").value_or(perm);
  Value r = n.transpose(x, perm);
  if (!r)
    return failure();
  return n.setResult(r);
}

static LogicalResult where(Node &n) {
  Value c, a, b;
  if (failed(n.inputs(c, a, b)))
    return failure();
  if (!n.eltOf(c).isInteger(1))
    return n.fail("condition must be bool");
  if (n.eltOf(a) != n.eltOf(b))
    return n.fail("X and Y have different element types");
  std::string why;
  auto s1 = broadcastShapes(n.shapeOf(c), n.shapeOf(a), &why);
  if (failed(s1))
    return n.fail("operands do not broadcast: " + why);
  auto s2 = broadcastShapes(*s1, n.shapeOf(b), &why);
  if (failed(s2))
    return n.fail("operands do not broadcast: " + why);
  return n.setResult(n.b.createOrFold<WhereOp>(
      n.loc, RankedTensorType::get(*s2, n.eltOf(a)), c, a, b));
}

void onnx_import::populateHandlersS_Z(HandlerRegistry &r) {
  r.onOp("Selu", 6, selu);
  r.onOp("Shape", 1, shape);
  r.onOp("Shrink", 9, shrink);
  r.onOp("Sigmoid", 6, unaryFloatHandler<SigmoidOp>());
  r.onOp("Sign", 9, [](Node &n) -> LogicalResult {
    Value x = n.input(0);
    if (!x)
      return failure();
    return n.setResult(n.unary<SignOp>(x));
  });
  r.onOp("Sin", 7, unaryFloatHandler<SinOp>());
  r.onOp("Size", 1, size);
  r.onOp("Slice", 1, slice);
  r.onOp("Slice", 10, slice);
  r.onOp("Softmax", 1, [](Node &n) { return softmax(n, /*log=*/false); });
  r.onOp("Softmax", 13, [](Node &n) { return softmax(n, /*log=*/false); });
  r.onOp("Softplus", 1, unaryFloatHandler<SoftplusOp>());
  r.onOp("Softsign", 1, softsign);
  r.onOp("SpaceToDepth", 1, spaceToDepth);
  r.onOp("Split", 2, split);
  r.onOp("Split", 13, split);
  r.onOp("Sqrt", 6, unaryFloatHandler<SqrtOp>());
  r.onOp("Squeeze", 1, squeeze);
  r.onOp("Squeeze", 13, squeeze);
  r.onOp("Sub", 7, binaryHandler<SubOp>());
  r.onOp("Sum", 6, sum);
  r.onOp("Tanh", 6, unaryFloatHandler<TanhOp>());
  r.onOp("ThresholdedRelu", 10, thresholdedRelu);
  r.onOp("Tile", 6, tile);
  r.onOp("Transpose", 1, transpose);
  r.onOp("Trilu", 14, trilu);
  r.onOp("Unsqueeze", 1, unsqueeze);
  r.onOp("Unsqueeze", 13, unsqueeze);
  // Upsample-7 takes its scales as an attribute, Upsample-9 as an input.
  r.onOp("Upsample", 7, [](Node &n) {
    return resizeImpl(n, kScalesAttribute, /*sizesIdx=*/~0u,
                      /*legacy=*/true);
  });
  r.onOp("Upsample", 9, [](Node &n) {
    return resizeImpl(n, 1, /*sizesIdx=*/~0u, /*legacy=*/true);
  });
  r.onOp("Where", 9, where);
  r.onOp("Xor", 7, binaryHandler<XorOp>(true));
}
