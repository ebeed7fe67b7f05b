//===- QCShapeOps.cpp - data movement and shape ops -----------------------===//
//
// Part of quantc. Shape inference shared with the importers, verifiers, and
// folds. Constant folding here exists to evaluate the shape subgraphs of
// exported models (Shape -> Gather -> Concat -> Reshape) at import time, so
// it is limited to small tensors.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Dialect/QC/IR/QCTypeUtils.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/CheckedArithmetic.h"

#include <cmath>
#include <cstdio>
#include <optional>

using namespace mlir;
using namespace mlir::qc;

/// Constant folding stops at this many result elements (splats excepted).
static constexpr int64_t kMaxFoldElements = 1 << 16;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

static bool isDyn(int64_t d) { return ShapedType::isDynamic(d); }

static std::string dimToString(int64_t d) {
  return isDyn(d) ? std::string("?") : std::to_string(d);
}

/// Shortest form of a double for messages ("0.5", not "5.000000e-01").
static std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

/// Stores `msg` for the caller and fails.
static LogicalResult fail(std::string *why, const Twine &msg) {
  if (why)
    *why = msg.str();
  return failure();
}

/// `inDim` of the input reappears, with its elements in the same order and
/// nothing else mixed in, as `outDim` of the result.
using DimPreserved = function_ref<bool(int64_t inDim, int64_t outDim)>;

static quant::UniformQuantizedPerAxisType
withAxis(quant::UniformQuantizedPerAxisType t, int32_t axis) {
  return quant::UniformQuantizedPerAxisType::get(
      t.getFlags(), t.getStorageType(), t.getExpressedType(), t.getScales(),
      t.getZeroPoints(), axis, t.getStorageTypeMin(), t.getStorageTypeMax());
}

/// Data movement keeps the element type. A per-axis type may follow its axis
/// to a new position; a sub-channel type must keep its blocked dimensions in
/// place. Either fails if the op disturbs the quantized dimension, since the
/// scales would no longer line up with the elements.
static LogicalResult verifyMovedElementType(Operation *op, Type input,
                                            Type result, DimPreserved preserved,
                                            StringRef inputName = "input") {
  auto inT = cast<RankedTensorType>(input);
  auto outT = cast<RankedTensorType>(result);
  Type in = inT.getElementType(), out = outT.getElementType();
  if (auto pa = dyn_cast<quant::UniformQuantizedPerAxisType>(in)) {
    int64_t axis = pa.getQuantizedDimension();
    std::optional<int64_t> target;
    for (int64_t b = 0; b < outT.getRank() && !target; ++b)
      if (preserved(axis, b))
        target = b;
    if (!target)
      return op->emitOpError("moves elements along dimension ")
             << axis << " of the " << inputName
             << ", its per-axis quantized dimension; dequantize first";
    auto outPa = dyn_cast<quant::UniformQuantizedPerAxisType>(out);
    if (outPa && preserved(axis, outPa.getQuantizedDimension()) &&
        outPa == withAxis(pa, outPa.getQuantizedDimension()))
      return success();
    return op->emitOpError("result element type ")
           << out << " must be " << withAxis(pa, *target) << " (dimension "
           << axis << " of the " << inputName << " becomes dimension "
           << *target << ")";
  }
  auto sc = dyn_cast<quant::UniformQuantizedSubChannelType>(in);
  if (sc) {
    for (int32_t d : sc.getQuantizedDimensions())
      if (d >= outT.getRank() || !preserved(d, d))
        return op->emitOpError("moves elements along dimension ")
               << d << " of the " << inputName
               << ", a sub-channel quantized dimension; dequantize first";
  }
  if (in != out)
    return op->emitOpError("result element type ")
           << out << " does not match the " << inputName << " element type "
           << in;
  if (sc)
    return verifyQuantTypeForShape([&] { return op->emitOpError(); }, out,
                                   outT.getShape(), "result");
  return success();
}

static int64_t linearize(ArrayRef<int64_t> coord, ArrayRef<int64_t> shape) {
  int64_t flat = 0;
  for (auto [c, n] : llvm::zip_equal(coord, shape))
    flat = flat * n + c;
  return flat;
}

/// For output coordinate `coord`, which source and which coordinate in it.
using PickFn = function_ref<unsigned(ArrayRef<int64_t> coord,
                                     SmallVectorImpl<int64_t> &srcCoord)>;

template <typename T>
static DenseElementsAttr buildFrom(ArrayRef<DenseElementsAttr> sources,
                                   RankedTensorType type, PickFn pick) {
  using Range = decltype(std::declval<DenseElementsAttr>().getValues<T>());
  SmallVector<Range> ranges;
  for (DenseElementsAttr s : sources)
    ranges.push_back(s.getValues<T>());
  ArrayRef<int64_t> shape = type.getShape();
  SmallVector<int64_t> coord(shape.size(), 0), src;
  SmallVector<T> values;
  values.reserve(type.getNumElements());
  for (int64_t i = 0, n = type.getNumElements(); i < n; ++i) {
    src.clear();
    unsigned k = pick(coord, src);
    DenseElementsAttr s = sources[k];
    int64_t idx = s.isSplat() ? 0 : linearize(src, s.getType().getShape());
    values.push_back(ranges[k][idx]);
    for (int64_t d = shape.size() - 1; d >= 0; --d) {
      if (++coord[d] < shape[d])
        break;
      coord[d] = 0;
    }
  }
  return DenseElementsAttr::get(type, values);
}

/// Builds a constant of `resultType`'s shape by picking elements of dense
/// `operands` (one per source; any other attribute gives up). The element
/// type is the sources': for a quantized op the storage integers, which is
/// what `qc.constant` and the dialect's materializer take.
static Attribute foldDataMovement(ArrayRef<Attribute> operands,
                                  RankedTensorType resultType, PickFn pick) {
  if (!resultType.hasStaticShape() || operands.empty())
    return {};
  SmallVector<DenseElementsAttr> sources;
  for (Attribute a : operands) {
    auto d = dyn_cast_or_null<DenseElementsAttr>(a);
    if (!d)
      return {};
    if (!sources.empty() &&
        d.getElementType() != sources.front().getElementType())
      return {};
    sources.push_back(d);
  }
  auto type = RankedTensorType::get(resultType.getShape(),
                                    sources.front().getElementType());
  // Equal splats move to a splat of any shape, whatever its size.
  if (type.getNumElements() > 0 && sources.front().isSplat()) {
    Attribute splat = sources.front().getSplatValue<Attribute>();
    if (llvm::all_of(sources, [&](DenseElementsAttr d) {
          return d.isSplat() && d.getSplatValue<Attribute>() == splat;
        }))
      return DenseElementsAttr::get(type, splat);
  }
  if (type.getNumElements() > kMaxFoldElements)
    return {};
  if (isa<FloatType>(type.getElementType()))
    return buildFrom<APFloat>(sources, type, pick);
  if (isa<IntegerType>(type.getElementType()))
    return buildFrom<APInt>(sources, type, pick);
  return {};
}

//===----------------------------------------------------------------------===//
// ReshapeOp
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>>
ReshapeOp::inferResultShape(ArrayRef<int64_t> input, ArrayRef<int64_t> shape,
                            bool allowZero, std::string *why) {
  SmallVector<int64_t> out;
  std::optional<size_t> inferAt;
  bool anyZero = false;
  for (auto [i, s] : llvm::enumerate(shape)) {
    if (s == -1) {
      if (inferAt)
        return fail(why, "shape has more than one -1 (at " + Twine(*inferAt) +
                             " and " + Twine(i) + ")");
      inferAt = i;
      out.push_back(ShapedType::kDynamic);
    } else if (s == 0 && !allowZero) {
      if (i >= input.size())
        return fail(why, "shape entry " + Twine(i) +
                             " is 0 (copy) but the input has rank " +
                             Twine(input.size()));
      out.push_back(input[i]);
    } else if (s < 0) {
      return fail(why, "shape entry " + Twine(i) + " is negative (" + Twine(s) +
                           ")");
    } else {
      anyZero |= s == 0;
      out.push_back(s);
    }
  }
  if (inferAt && anyZero)
    return fail(why, "shape has both -1 and a literal 0 (allowzero)");
  bool inStatic = llvm::none_of(input, isDyn);
  int64_t total = inStatic ? ShapedType::getNumElements(input) : 0;
  if (inferAt) {
    bool othersStatic = true;
    int64_t known = 1;
    for (auto [i, s] : llvm::enumerate(out))
      if (i != *inferAt) {
        othersStatic &= !isDyn(s);
        if (!isDyn(s))
          known *= s;
      }
    if (inStatic && othersStatic) {
      if (known == 0 || total % known != 0)
        return fail(why, "cannot infer the -1 entry: " + Twine(total) +
                             " elements are not a multiple of " + Twine(known));
      out[*inferAt] = total / known;
    }
    return out;
  }
  if (inStatic && llvm::none_of(out, isDyn) &&
      ShapedType::getNumElements(out) != total)
    return fail(why, "shape " + shapeToString(out) + " has " +
                         Twine(ShapedType::getNumElements(out)) +
                         " elements but the input has " + Twine(total));
  return out;
}

/// Product of the static dims, and whether every dim was static.
static std::pair<int64_t, bool> staticProduct(ArrayRef<int64_t> shape) {
  int64_t p = 1;
  bool all = true;
  for (int64_t d : shape) {
    if (isDyn(d))
      all = false;
    else
      p *= d;
  }
  return {p, all};
}

LogicalResult ReshapeOp::verify() {
  auto in = getInput().getType().getShape();
  auto out = getType().getShape();
  // There is no shape operand: only the element count can fix a dynamic dim.
  if (llvm::count_if(out, isDyn) > 1)
    return emitOpError("result shape ")
           << shapeToString(out)
           << " has more than one dynamic dimension, so its sizes are not "
              "defined";
  auto [inN, inStatic] = staticProduct(in);
  auto [outN, outStatic] = staticProduct(out);
  if (inStatic && outStatic && inN != outN)
    return emitOpError("input shape ") << shapeToString(in) << " has " << inN
                                       << " elements but result shape "
                                       << shapeToString(out) << " has " << outN;
  // With one side static, the other's static dims must divide its count.
  if (inStatic && !outStatic && outN != 0 && inN % outN != 0)
    return emitOpError("input has ")
           << inN << " elements, not a multiple of the " << outN
           << " fixed by the static dims of result shape "
           << shapeToString(out);
  if (outStatic && !inStatic && inN != 0 && outN % inN != 0)
    return emitOpError("result has ")
           << outN << " elements, not a multiple of the " << inN
           << " fixed by the static dims of input shape " << shapeToString(in);
  return verifyMovedElementType(
      *this, getInput().getType(), getType(), [&](int64_t a, int64_t b) {
        // Equal sizes behind equal static prefixes: the rows match exactly.
        if (isDyn(in[a]) || in[a] != out[b])
          return false;
        auto [pi, si] = staticProduct(in.take_front(a));
        auto [po, so] = staticProduct(out.take_front(b));
        return si && so && pi == po;
      });
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto inner = getInput().getDefiningOp<ReshapeOp>()) {
    if (inner.getInput().getType() == getType())
      return inner.getInput();
    getInputMutable().assign(inner.getInput());
    return getResult();
  }
  auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput());
  if (!dense || !getType().hasStaticShape() ||
      (!dense.isSplat() && dense.getNumElements() > kMaxFoldElements))
    return {};
  return dense.reshape(
      RankedTensorType::get(getType().getShape(), dense.getElementType()));
}

//===----------------------------------------------------------------------===//
// TransposeOp
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>>
TransposeOp::inferResultShape(ArrayRef<int64_t> input, ArrayRef<int64_t> perm,
                              std::string *why) {
  int64_t rank = input.size();
  if (static_cast<int64_t>(perm.size()) != rank)
    return fail(why, "'perm' has " + Twine(perm.size()) +
                         " entries but the input has rank " + Twine(rank));
  SmallVector<bool> seen(rank, false);
  SmallVector<int64_t> out;
  for (int64_t p : perm) {
    if (p < 0 || p >= rank)
      return fail(why, "'perm' entry " + Twine(p) +
                           " is out of range for rank " + Twine(rank));
    if (seen[p])
      return fail(why, "'perm' repeats dimension " + Twine(p));
    seen[p] = true;
    out.push_back(input[p]);
  }
  return out;
}

LogicalResult TransposeOp::verify() {
  std::string why;
  FailureOr<SmallVector<int64_t>> want =
      inferResultShape(getInput().getType().getShape(), getPerm(), &why);
  if (failed(want))
    return emitOpError(why);
  if (failed(verifyResultShape(*this, *want, getType())))
    return failure();
  ArrayRef<int64_t> perm = getPerm();
  return verifyMovedElementType(
      *this, getInput().getType(), getType(),
      [&](int64_t a, int64_t b) { return perm[b] == a; });
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  ArrayRef<int64_t> perm = getPerm();
  auto isIdentity = [](ArrayRef<int64_t> p) {
    for (auto [i, v] : llvm::enumerate(p))
      if (static_cast<int64_t>(i) != v)
        return false;
    return true;
  };
  if (isIdentity(perm) && getInput().getType() == getType())
    return getInput();
  // transpose(transpose(x, p), q) == transpose(x, p o q).
  if (auto inner = getInput().getDefiningOp<TransposeOp>()) {
    ArrayRef<int64_t> innerPerm = inner.getPerm();
    SmallVector<int64_t> composed;
    for (int64_t p : perm)
      composed.push_back(innerPerm[p]);
    if (isIdentity(composed) && inner.getInput().getType() == getType())
      return inner.getInput();
    setPerm(composed);
    getInputMutable().assign(inner.getInput());
    return getResult();
  }
  return foldDataMovement(
      adaptor.getOperands(), getType(),
      [&](ArrayRef<int64_t> c, SmallVectorImpl<int64_t> &src) {
        src.resize(c.size());
        for (auto [i, p] : llvm::enumerate(perm))
          src[p] = c[i];
        return 0u;
      });
}

//===----------------------------------------------------------------------===//
// ConcatOp
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>>
ConcatOp::inferResultShape(ArrayRef<ArrayRef<int64_t>> inputs, int64_t axis,
                           std::string *why) {
  if (inputs.empty())
    return fail(why, "needs at least one input");
  int64_t rank = inputs.front().size();
  if (axis < 0 || axis >= rank)
    return fail(why, "axis " + Twine(axis) + " is out of range for rank " +
                         Twine(rank));
  SmallVector<int64_t> out(inputs.front());
  for (auto [k, shape] : llvm::enumerate(inputs)) {
    if (static_cast<int64_t>(shape.size()) != rank)
      return fail(why, "input " + Twine(k) + " has rank " +
                           Twine(shape.size()) + " but input 0 has rank " +
                           Twine(rank));
    if (k == 0)
      continue;
    for (int64_t d = 0; d < rank; ++d) {
      if (d == axis) {
        out[d] = isDyn(out[d]) || isDyn(shape[d]) ? ShapedType::kDynamic
                                                  : out[d] + shape[d];
        continue;
      }
      if (!isDyn(out[d]) && !isDyn(shape[d]) && out[d] != shape[d])
        return fail(why, "input " + Twine(k) + " has size " + Twine(shape[d]) +
                             " in dimension " + Twine(d) +
                             " but the inputs before it have " + Twine(out[d]));
      if (isDyn(out[d]))
        out[d] = shape[d];
    }
  }
  return out;
}

LogicalResult ConcatOp::verify() {
  SmallVector<ArrayRef<int64_t>> shapes;
  for (Value v : getInputs())
    shapes.push_back(cast<RankedTensorType>(v.getType()).getShape());
  std::string why;
  int64_t axis = getAxis();
  FailureOr<SmallVector<int64_t>> want = inferResultShape(shapes, axis, &why);
  if (failed(want))
    return emitOpError(why);
  if (failed(verifyResultShape(*this, *want, getType())))
    return failure();
  for (auto [k, v] : llvm::enumerate(getInputs()))
    if (failed(verifyMovedElementType(
            *this, v.getType(), getType(),
            [&](int64_t a, int64_t b) { return a == b && a != axis; },
            ("input " + Twine(k)).str())))
      return failure();
  return success();
}

OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  if (getInputs().size() == 1 && getInputs().front().getType() == getType())
    return getInputs().front();
  int64_t axis = getAxis();
  SmallVector<int64_t> starts;
  int64_t offset = 0;
  for (Value v : getInputs()) {
    starts.push_back(offset);
    int64_t n = cast<RankedTensorType>(v.getType()).getDimSize(axis);
    if (isDyn(n))
      return {};
    offset += n;
  }
  return foldDataMovement(
      adaptor.getOperands(), getType(),
      [&](ArrayRef<int64_t> c, SmallVectorImpl<int64_t> &src) {
        // The last input starting at or before c[axis]; this skips empty
        // inputs, which share their start with the next one.
        unsigned k = llvm::upper_bound(starts, c[axis]) - starts.begin() - 1;
        src.assign(c.begin(), c.end());
        src[axis] -= starts[k];
        return k;
      });
}

//===----------------------------------------------------------------------===//
// SliceOp
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>>
SliceOp::inferResultShape(ArrayRef<int64_t> input, ArrayRef<int64_t> offsets,
                          ArrayRef<int64_t> sizes, ArrayRef<int64_t> strides,
                          std::string *why) {
  size_t rank = input.size();
  for (auto [name, list] :
       {std::pair<StringRef, ArrayRef<int64_t>>{"offsets", offsets},
        {"sizes", sizes},
        {"strides", strides}})
    if (list.size() != rank)
      return fail(why, "'" + name + "' has " + Twine(list.size()) +
                           " entries but the input has rank " + Twine(rank));
  for (size_t d = 0; d < rank; ++d) {
    int64_t n = input[d], off = offsets[d], size = sizes[d], st = strides[d];
    std::string dim = "dimension " + std::to_string(d);
    if (st == 0)
      return fail(why, "stride in " + dim + " is 0");
    if (size < 0)
      return fail(why, "size in " + dim + " is negative (" + Twine(size) + ")");
    if (size == 0) {
      if (off < 0 || (!isDyn(n) && off > n))
        return fail(why, "offset " + Twine(off) + " of the empty slice in " +
                             dim + " is outside [0, " + dimToString(n) + "]");
      continue;
    }
    std::optional<int64_t> last = llvm::checkedMulAdd(size - 1, st, off);
    if (!last)
      return fail(why, "slice in " + dim + " overflows");
    for (int64_t idx : {off, *last})
      if (idx < 0 || (!isDyn(n) && idx >= n))
        return fail(why, "slice reads index " + Twine(idx) + " in " + dim +
                             " of size " + dimToString(n));
  }
  return SmallVector<int64_t>(sizes);
}

LogicalResult SliceOp::verify() {
  std::string why;
  auto in = getInput().getType().getShape();
  FailureOr<SmallVector<int64_t>> want =
      inferResultShape(in, getOffsets(), getSizes(), getStrides(), &why);
  if (failed(want))
    return emitOpError(why);
  if (failed(verifyResultShape(*this, *want, getType())))
    return failure();
  return verifyMovedElementType(
      *this, getInput().getType(), getType(), [&](int64_t a, int64_t b) {
        return a == b && getOffsets()[a] == 0 && getStrides()[a] == 1 &&
               !isDyn(in[a]) && getSizes()[a] == in[a];
      });
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  auto in = getInput().getType().getShape();
  bool identity = true;
  for (size_t d = 0; d < in.size(); ++d)
    identity &=
        getOffsets()[d] == 0 && getStrides()[d] == 1 && getSizes()[d] == in[d];
  if (identity && getInput().getType() == getType())
    return getInput();
  ArrayRef<int64_t> offsets = getOffsets(), strides = getStrides();
  return foldDataMovement(
      adaptor.getOperands(), getType(),
      [&](ArrayRef<int64_t> c, SmallVectorImpl<int64_t> &src) {
        for (size_t d = 0; d < c.size(); ++d)
          src.push_back(offsets[d] + c[d] * strides[d]);
        return 0u;
      });
}

//===----------------------------------------------------------------------===//
// GatherOp
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>>
GatherOp::inferResultShape(ArrayRef<int64_t> data, ArrayRef<int64_t> indices,
                           int64_t axis, std::string *why) {
  int64_t rank = data.size();
  if (axis < 0 || axis >= rank)
    return fail(why, "axis " + Twine(axis) +
                         " is out of range for data of rank " + Twine(rank));
  SmallVector<int64_t> out(data.take_front(axis));
  out.append(indices.begin(), indices.end());
  out.append(data.begin() + axis + 1, data.end());
  return out;
}

LogicalResult GatherOp::verify() {
  std::string why;
  int64_t axis = getAxis();
  int64_t idxRank = getIndices().getType().getRank();
  FailureOr<SmallVector<int64_t>> want =
      inferResultShape(getData().getType().getShape(),
                       getIndices().getType().getShape(), axis, &why);
  if (failed(want))
    return emitOpError(why);
  if (failed(verifyResultShape(*this, *want, getType())))
    return failure();
  return verifyMovedElementType(
      *this, getData().getType(), getType(),
      [&](int64_t a, int64_t b) {
        if (a == axis)
          return false;
        return b == (a < axis ? a : a + idxRank - 1);
      },
      "data");
}

OpFoldResult GatherOp::fold(FoldAdaptor adaptor) {
  auto indices = dyn_cast_or_null<DenseElementsAttr>(adaptor.getIndices());
  auto data = dyn_cast_or_null<DenseElementsAttr>(adaptor.getData());
  if (!indices || !data || indices.getNumElements() > kMaxFoldElements)
    return {};
  int64_t axis = getAxis();
  int64_t n = data.getType().getDimSize(axis);
  SmallVector<int64_t> idx;
  for (const APInt &v : indices.getValues<APInt>()) {
    int64_t i = v.getSExtValue();
    if (i < -n || i >= n)
      return {}; // undefined at run time; leave it for the user to see
    idx.push_back(i < 0 ? i + n : i);
  }
  ArrayRef<int64_t> idxShape = indices.getType().getShape();
  size_t idxRank = idxShape.size();
  return foldDataMovement(
      {adaptor.getData()}, getType(),
      [&](ArrayRef<int64_t> c, SmallVectorImpl<int64_t> &src) {
        src.append(c.begin(), c.begin() + axis);
        ArrayRef<int64_t> ic = c.slice(axis, idxRank);
        src.push_back(idx[indices.isSplat() ? 0 : linearize(ic, idxShape)]);
        src.append(c.begin() + axis + idxRank, c.end());
        return 0u;
      });
}

//===----------------------------------------------------------------------===//
// PadOp
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>> PadOp::inferResultShape(ArrayRef<int64_t> input,
                                                        ArrayRef<int64_t> pads,
                                                        PadMode mode,
                                                        std::string *why) {
  int64_t rank = input.size();
  if (static_cast<int64_t>(pads.size()) != 2 * rank)
    return fail(why, "'pads' has " + Twine(pads.size()) +
                         " entries but a tensor of rank " + Twine(rank) +
                         " needs " + Twine(2 * rank) + " (begins, then ends)");
  SmallVector<int64_t> out;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t n = input[d], b = pads[d], e = pads[d + rank];
    if (isDyn(n)) {
      out.push_back(ShapedType::kDynamic);
      continue;
    }
    std::optional<int64_t> sum = llvm::checkedAdd(n, b);
    if (sum)
      sum = llvm::checkedAdd(*sum, e);
    if (!sum)
      return fail(why, "padding dimension " + Twine(d) + " overflows");
    int64_t o = *sum;
    if (o <= 0)
      return fail(why, "padding dimension " + Twine(d) + " of size " +
                           Twine(n) + " by (" + Twine(b) + ", " + Twine(e) +
                           ") leaves size " + Twine(o) +
                           "; it must be positive");
    if (mode != PadMode::Constant && n == 0)
      return fail(why, "mode " + stringifyPadMode(mode) +
                           " cannot pad the empty dimension " + Twine(d));
    if (mode == PadMode::Reflect && (b >= n || e >= n))
      return fail(why, "reflect pad " + Twine(std::max(b, e)) +
                           " in dimension " + Twine(d) +
                           " must be smaller than its size " + Twine(n));
    out.push_back(o);
  }
  return out;
}

LogicalResult PadOp::verify() {
  std::string why;
  auto in = getInput().getType().getShape();
  FailureOr<SmallVector<int64_t>> want =
      inferResultShape(in, getPads(), getMode(), &why);
  if (failed(want))
    return emitOpError(why);
  if (failed(verifyResultShape(*this, *want, getType())))
    return failure();
  Type elt = getInput().getType().getElementType();
  double v = getValue().convertToDouble();
  if (auto it = dyn_cast<IntegerType>(elt)) {
    if (!std::isfinite(v) || std::trunc(v) != v)
      return emitOpError("padding value ")
             << fmt(v) << " is not an integer but the tensor holds " << elt;
    // A signless integer may be read as signed or unsigned.
    unsigned w = it.getWidth();
    if (w < 63 && (v < -std::ldexp(1.0, w - 1) || v > std::ldexp(1.0, w) - 1))
      return emitOpError("padding value ")
             << fmt(v) << " does not fit in " << elt;
  }
  int64_t rank = in.size();
  ArrayRef<int64_t> pads = getPads();
  return verifyMovedElementType(
      *this, getInput().getType(), getType(), [&](int64_t a, int64_t b) {
        return a == b && pads[a] == 0 && pads[a + rank] == 0;
      });
}

OpFoldResult PadOp::fold(FoldAdaptor) {
  if (llvm::all_of(getPads(), [](int64_t p) { return p == 0; }) &&
      getInput().getType() == getType())
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// ResizeOp
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>>
ResizeOp::inferResultShape(ArrayRef<int64_t> input, ArrayRef<double> scales,
                           std::string *why) {
  if (scales.size() != input.size())
    return fail(why, "'scales' has " + Twine(scales.size()) +
                         " entries but the input has rank " +
                         Twine(input.size()));
  SmallVector<int64_t> out;
  for (auto [d, n, s] : llvm::enumerate(input, scales)) {
    if (!(s > 0) || !std::isfinite(s))
      return fail(why, "scale " + fmt(s) + " in dimension " + Twine(d) +
                           " must be positive and finite");
    if (isDyn(n)) {
      out.push_back(ShapedType::kDynamic);
      continue;
    }
    double o = std::floor(static_cast<double>(n) * s);
    if (o < 1)
      return fail(why, "scale " + fmt(s) + " leaves dimension " + Twine(d) +
                           " of size " + Twine(n) + " empty");
    if (o >= std::ldexp(1.0, 62))
      return fail(why, "scale " + fmt(s) + " overflows dimension " + Twine(d));
    out.push_back(static_cast<int64_t>(o));
  }
  return out;
}

LogicalResult ResizeOp::verify() {
  auto inT = getInput().getType();
  auto outT = getType();
  if (inT.getRank() != outT.getRank())
    return emitOpError("result rank ")
           << outT.getRank() << " does not match input rank " << inT.getRank();
  for (int64_t d = 0; d < inT.getRank(); ++d) {
    if (inT.getDimSize(d) == 0)
      return emitOpError("cannot resample the empty input dimension ") << d;
    if (outT.getDimSize(d) == 0)
      return emitOpError("result dimension ") << d << " is empty";
  }
  std::optional<ArrayRef<double>> scales = getScales();
  if (!scales)
    for (int64_t d = 0; d < outT.getRank(); ++d)
      if (outT.isDynamicDim(d))
        return emitOpError("result dimension ")
               << d << " is dynamic; its size is only defined with 'scales'";
  if (scales) {
    std::string why;
    FailureOr<SmallVector<int64_t>> want =
        inferResultShape(inT.getShape(), *scales, &why);
    if (failed(want))
      return emitOpError(why);
    if (failed(verifyResultShape(*this, *want, outT)))
      return failure();
  }
  if (isa<IntegerType>(inT.getElementType()) &&
      getMode() != ResizeMode::Nearest)
    return emitOpError("mode ")
           << stringifyResizeMode(getMode())
           << " interpolates and needs a float or quantized tensor, got "
           << inT.getElementType();
  auto in = inT.getShape(), out = outT.getShape();
  return verifyMovedElementType(*this, inT, outT, [&](int64_t a, int64_t b) {
    return a == b && !isDyn(in[a]) && in[a] == out[a] &&
           (!scales || (*scales)[a] == 1.0);
  });
}

OpFoldResult ResizeOp::fold(FoldAdaptor) {
  // At scale 1 every coordinate mode maps x to x, and every interpolation
  // kernel is exact at whole coordinates. Without `scales` the verifier
  // guarantees a static shape, so equal types mean scale 1.
  std::optional<ArrayRef<double>> scales = getScales();
  if (getInput().getType() == getType() &&
      (!scales || llvm::all_of(*scales, [](double s) { return s == 1.0; })))
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// ExpandOp
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>>
ExpandOp::inferResultShape(ArrayRef<int64_t> input, ArrayRef<int64_t> shape,
                           std::string *why) {
  return broadcastShapes(input, shape, why);
}

LogicalResult ExpandOp::verify() {
  auto in = getInput().getType().getShape();
  auto out = getType().getShape();
  std::string why;
  FailureOr<SmallVector<int64_t>> want = inferResultShape(in, out, &why);
  if (failed(want))
    return emitOpError("input shape ")
           << shapeToString(in) << " does not broadcast to result shape "
           << shapeToString(out) << ": " << why;
  if (!isCompatibleShape(*want, out))
    return emitOpError("result shape ")
           << shapeToString(out) << " is not the broadcast of input shape "
           << shapeToString(in) << " (expected " << shapeToString(*want) << ")";
  // There is no shape operand: a dynamic result dimension takes the size of
  // the input dimension it is aligned with, which must be dynamic too.
  int64_t shift = out.size() - in.size();
  for (int64_t b = 0; b < static_cast<int64_t>(out.size()); ++b)
    if (isDyn(out[b]) && (b < shift || !isDyn(in[b - shift])))
      return emitOpError("result dimension ")
             << b << " is dynamic but is not aligned with a dynamic input "
             << "dimension, so its size is not defined";
  return verifyMovedElementType(
      *this, getInput().getType(), getType(), [&](int64_t a, int64_t b) {
        return b == a + shift && !isDyn(in[a]) && in[a] == out[b];
      });
}

OpFoldResult ExpandOp::fold(FoldAdaptor adaptor) {
  // Dynamic result dims copy the input's (see the verifier).
  if (getInput().getType() == getType())
    return getInput();
  auto in = getInput().getType().getShape();
  int64_t shift = getType().getRank() - in.size();
  return foldDataMovement(
      adaptor.getOperands(), getType(),
      [&](ArrayRef<int64_t> c, SmallVectorImpl<int64_t> &src) {
        for (size_t d = 0; d < in.size(); ++d)
          src.push_back(in[d] == 1 ? 0 : c[d + shift]);
        return 0u;
      });
}

//===----------------------------------------------------------------------===//
// TileOp
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>>
TileOp::inferResultShape(ArrayRef<int64_t> input, ArrayRef<int64_t> repeats,
                         std::string *why) {
  if (repeats.size() != input.size())
    return fail(why, "'repeats' has " + Twine(repeats.size()) +
                         " entries but the input has rank " +
                         Twine(input.size()));
  SmallVector<int64_t> out;
  for (auto [d, n, r] : llvm::enumerate(input, repeats)) {
    if (r < 0)
      return fail(why, "repeat count " + Twine(r) + " in dimension " +
                           Twine(d) + " is negative");
    if (r == 0 || isDyn(n)) {
      out.push_back(r == 0 ? 0 : ShapedType::kDynamic);
      continue;
    }
    std::optional<int64_t> o = llvm::checkedMul(n, r);
    if (!o)
      return fail(why, "tiling dimension " + Twine(d) + " overflows");
    out.push_back(*o);
  }
  return out;
}

LogicalResult TileOp::verify() {
  std::string why;
  FailureOr<SmallVector<int64_t>> want =
      inferResultShape(getInput().getType().getShape(), getRepeats(), &why);
  if (failed(want))
    return emitOpError(why);
  if (failed(verifyResultShape(*this, *want, getType())))
    return failure();
  ArrayRef<int64_t> repeats = getRepeats();
  return verifyMovedElementType(
      *this, getInput().getType(), getType(),
      [&](int64_t a, int64_t b) { return a == b && repeats[a] == 1; });
}

OpFoldResult TileOp::fold(FoldAdaptor adaptor) {
  if (llvm::all_of(getRepeats(), [](int64_t r) { return r == 1; }) &&
      getInput().getType() == getType())
    return getInput();
  auto in = getInput().getType().getShape();
  return foldDataMovement(
      adaptor.getOperands(), getType(),
      [&](ArrayRef<int64_t> c, SmallVectorImpl<int64_t> &src) {
        for (size_t d = 0; d < in.size(); ++d)
          src.push_back(c[d] % in[d]);
        return 0u;
      });
}

//===----------------------------------------------------------------------===//
// SplitOp
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<SmallVector<int64_t>>>
SplitOp::inferResultShapes(ArrayRef<int64_t> input, int64_t axis,
                           ArrayRef<int64_t> sizes, std::string *why) {
  int64_t rank = input.size();
  if (axis < 0 || axis >= rank)
    return fail(why, "axis " + Twine(axis) + " is out of range for rank " +
                         Twine(rank));
  if (sizes.empty())
    return fail(why, "'sizes' must have at least one entry");
  int64_t sum = 0;
  SmallVector<SmallVector<int64_t>> out;
  for (auto [k, s] : llvm::enumerate(sizes)) {
    if (s < 0)
      return fail(why, "size " + Twine(s) + " of piece " + Twine(k) +
                           " is negative");
    sum += s;
    out.emplace_back(input);
    out.back()[axis] = s;
  }
  if (!isDyn(input[axis]) && sum != input[axis])
    return fail(why, "sizes sum to " + Twine(sum) + " but dimension " +
                         Twine(axis) + " has size " + Twine(input[axis]));
  return out;
}

LogicalResult SplitOp::verify() {
  std::string why;
  int64_t axis = getAxis();
  FailureOr<SmallVector<SmallVector<int64_t>>> want = inferResultShapes(
      getInput().getType().getShape(), axis, getSizes(), &why);
  if (failed(want))
    return emitOpError(why);
  if (want->size() != getNumResults())
    return emitOpError("has ") << getNumResults() << " results but 'sizes' has "
                               << want->size() << " entries";
  for (auto [k, v] : llvm::enumerate(getOutputs())) {
    std::string what = "result " + std::to_string(k);
    if (failed(verifyResultShape(*this, (*want)[k], v.getType(), what)) ||
        failed(verifyMovedElementType(
            *this, getInput().getType(), v.getType(),
            [&](int64_t a, int64_t b) { return a == b && a != axis; })))
      return failure();
  }
  return success();
}

LogicalResult SplitOp::fold(FoldAdaptor adaptor,
                            SmallVectorImpl<OpFoldResult> &results) {
  if (getNumResults() == 1 && getInput().getType() == getResult(0).getType()) {
    results.push_back(getInput());
    return success();
  }
  int64_t axis = getAxis();
  int64_t offset = 0;
  for (Value v : getOutputs()) {
    Attribute folded = foldDataMovement(
        {adaptor.getInput()}, cast<RankedTensorType>(v.getType()),
        [&](ArrayRef<int64_t> c, SmallVectorImpl<int64_t> &src) {
          src.assign(c.begin(), c.end());
          src[axis] += offset;
          return 0u;
        });
    if (!folded) {
      results.clear();
      return failure();
    }
    results.push_back(folded);
    offset += cast<RankedTensorType>(v.getType()).getDimSize(axis);
  }
  return success();
}
