//===- QCTransformerOps.cpp - embedding, RoPE, attention, KV cache --------===//
//
// Part of quantc. Verifiers for the transformer ops. Dynamic dimensions are
// accepted wherever a static one would be checked; the checks then happen at
// run time.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Dialect/QC/IR/QCTypeUtils.h"

#include <cmath>
#include <optional>

using namespace mlir;
using namespace mlir::qc;

static bool isStatic(int64_t d) { return !ShapedType::isDynamic(d); }

static bool dimsDiffer(int64_t a, int64_t b) {
  return isStatic(a) && isStatic(b) && a != b;
}

static LogicalResult checkRank(Operation *op, StringRef what, Type type,
                               int64_t rank, StringRef layout) {
  int64_t have = cast<RankedTensorType>(type).getRank();
  if (have != rank)
    return op->emitOpError() << what << " must have rank " << rank << " ("
                             << layout << "), got rank " << have;
  return success();
}

//===----------------------------------------------------------------------===//
// EmbeddingOp
//===----------------------------------------------------------------------===//

LogicalResult EmbeddingOp::verify() {
  RankedTensorType tableType = getTable().getType();
  if (failed(checkRank(*this, "table", tableType, 2, "[vocab, dim]")))
    return failure();
  ArrayRef<int64_t> table = tableType.getShape();
  Type te = tableType.getElementType();
  Type re = getType().getElementType();

  if (isUniformQuantized(te)) {
    if (failed(verifyQuantTypeForShape([&] { return emitOpError(); }, te, table,
                                       "table")))
      return failure();
    // A lookup dequantizes whole rows, so scales may vary per row or per
    // block of a row, never along a granularity that mixes rows and columns
    // arbitrarily.
    if (auto pa = dyn_cast<quant::UniformQuantizedPerAxisType>(te)) {
      if (pa.getQuantizedDimension() != 0)
        return emitOpError("per-axis table quantization must be along "
                           "dimension 0 (one scale per row), got dimension ")
               << pa.getQuantizedDimension();
    }
    if (auto sc = dyn_cast<quant::UniformQuantizedSubChannelType>(te)) {
      if (!llvm::is_contained(sc.getQuantizedDimensions(), 1))
        return emitOpError("sub-channel table quantization must have blocks "
                           "along dimension 1 (dim)");
    }
    if (getExpressedType(te) != re)
      return emitOpError("result element type ")
             << re << " must be the table's expressed type "
             << getExpressedType(te);
  } else if (te != re) {
    return emitOpError("result element type ")
           << re << " does not match table element type " << te;
  }

  SmallVector<int64_t> want(getIds().getType().getShape());
  want.push_back(table[1]);
  return verifyResultShape(*this, want, getType());
}

//===----------------------------------------------------------------------===//
// RoPEOp
//===----------------------------------------------------------------------===//

int64_t RoPEOp::getEffectiveRotaryDim() {
  if (std::optional<int64_t> r = getRotaryDim())
    return *r;
  return getInput().getType().getDimSize(3);
}

LogicalResult RoPEOp::verify() {
  if (failed(checkRank(*this, "input", getInput().getType(), 4,
                       "[batch, seq, heads, head_dim]")))
    return failure();
  ArrayRef<int64_t> x = getInput().getType().getShape();
  ArrayRef<int64_t> pos = getPositions().getType().getShape();

  if (pos.size() != 1 && pos.size() != 2)
    return emitOpError("positions must have shape [seq] or [batch, seq], got ")
           << shapeToString(pos);
  if (dimsDiffer(pos.back(), x[1]))
    return emitOpError("positions has ")
           << pos.back() << " entries along the sequence but the input has "
           << x[1] << " tokens";
  if (pos.size() == 2 && dimsDiffer(pos[0], x[0]))
    return emitOpError("positions has batch size ")
           << pos[0] << " but the input has " << x[0];

  double base = getBase().convertToDouble();
  if (!(base > 0.0) || !std::isfinite(base))
    return emitOpError("base must be positive and finite, got ") << base;

  int64_t headDim = x[3];
  if (std::optional<int64_t> r = getRotaryDim()) {
    if (*r <= 0 || *r % 2 != 0)
      return emitOpError("rotary_dim must be positive and even, got ") << *r;
    if (isStatic(headDim) && *r > headDim)
      return emitOpError("rotary_dim ")
             << *r << " exceeds the head dimension " << headDim;
  } else if (isStatic(headDim) && headDim % 2 != 0) {
    return emitOpError("head dimension ")
           << headDim << " must be even when rotary_dim is absent";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

std::optional<double> AttentionOp::getEffectiveScale() {
  if (std::optional<APFloat> s = getScale())
    return s->convertToDouble();
  int64_t d = getQuery().getType().getDimSize(3);
  if (ShapedType::isDynamic(d) || d <= 0)
    return std::nullopt;
  return 1.0 / std::sqrt(static_cast<double>(d));
}

LogicalResult AttentionOp::verify() {
  static constexpr StringLiteral kLayout = "[batch, heads, seq, head_dim]";
  if (failed(checkRank(*this, "query", getQuery().getType(), 4, kLayout)) ||
      failed(checkRank(*this, "key", getKey().getType(), 4, kLayout)) ||
      failed(checkRank(*this, "value", getValue().getType(), 4, kLayout)))
    return failure();

  Type elt = getQuery().getType().getElementType();
  auto checkElt = [&](StringRef what, Type t) -> LogicalResult {
    Type e = cast<RankedTensorType>(t).getElementType();
    if (e != elt)
      return emitOpError() << what << " element type " << e
                           << " does not match query element type " << elt;
    return success();
  };
  if (failed(checkElt("key", getKey().getType())) ||
      failed(checkElt("value", getValue().getType())) ||
      (getMask() && failed(checkElt("mask", getMask().getType()))) ||
      failed(checkElt("result", getType())))
    return failure();

  ArrayRef<int64_t> q = getQuery().getType().getShape();
  ArrayRef<int64_t> k = getKey().getType().getShape();
  ArrayRef<int64_t> v = getValue().getType().getShape();
  if (dimsDiffer(k[0], q[0]))
    return emitOpError("key batch size ")
           << k[0] << " does not match query batch size " << q[0];
  if (dimsDiffer(v[0], q[0]))
    return emitOpError("value batch size ")
           << v[0] << " does not match query batch size " << q[0];
  if (dimsDiffer(k[1], v[1]))
    return emitOpError("key has ") << k[1] << " heads but value has " << v[1];
  int64_t hkv = isStatic(k[1]) ? k[1] : v[1];
  if (hkv == 0)
    return emitOpError("key and value must have at least one head");
  if (isStatic(q[1]) && isStatic(hkv) && q[1] % hkv != 0)
    return emitOpError("query heads (")
           << q[1] << ") must be a multiple of key/value heads (" << hkv << ")";
  if (dimsDiffer(k[2], v[2]))
    return emitOpError("key sequence length ")
           << k[2] << " does not match value sequence length " << v[2];
  if (dimsDiffer(q[3], k[3]))
    return emitOpError("query head dimension ")
           << q[3] << " does not match key head dimension " << k[3];
  int64_t skv = isStatic(k[2]) ? k[2] : v[2];
  if (getCausal() && isStatic(q[2]) && isStatic(skv) && q[2] > skv)
    return emitOpError("causal attention needs query length (")
           << q[2] << ") <= key length (" << skv
           << "): queries are the last positions of the keys";

  if (std::optional<APFloat> s = getScale()) {
    double scale = s->convertToDouble();
    if (!(scale > 0.0) || !std::isfinite(scale))
      return emitOpError("scale must be positive and finite, got ") << scale;
  }

  SmallVector<int64_t> scores{q[0], q[1], q[2], skv};
  if (Value mask = getMask()) {
    ArrayRef<int64_t> m = cast<RankedTensorType>(mask.getType()).getShape();
    if (m.size() > scores.size())
      return emitOpError("mask has rank ")
             << m.size() << " but the scores [batch, q_heads, q_seq, kv_seq] "
             << "have rank 4";
    // The mask must stretch to the scores without enlarging them.
    size_t lead = scores.size() - m.size();
    for (auto [i, md] : llvm::enumerate(m)) {
      int64_t sd = scores[lead + i];
      if (md != 1 && dimsDiffer(md, sd))
        return emitOpError("mask shape ")
               << shapeToString(m) << " does not broadcast to the scores "
               << shapeToString(scores) << ": mask dimension " << i
               << " has size " << md << ", expected "
               << (sd == 1 ? std::string("1")
                           : "1 or " + std::to_string(sd));
    }
  }

  return verifyResultShape(*this, {q[0], q[1], q[2], v[3]}, getType());
}

//===----------------------------------------------------------------------===//
// KVCacheWriteOp
//===----------------------------------------------------------------------===//

LogicalResult KVCacheWriteOp::verify() {
  static constexpr StringLiteral kLayout = "[batch, kv_heads, seq, head_dim]";
  if (failed(checkRank(*this, "cache", getCache().getType(), 4, kLayout)) ||
      failed(checkRank(*this, "update", getUpdate().getType(), 4, kLayout)))
    return failure();
  ArrayRef<int64_t> c = getCache().getType().getShape();
  ArrayRef<int64_t> u = getUpdate().getType().getShape();

  static constexpr StringLiteral kNames[] = {"batch size", "kv_heads", "seq",
                                             "head_dim"};
  for (int d : {0, 1, 3})
    if (dimsDiffer(u[d], c[d]))
      return emitOpError("update ")
             << kNames[d] << " (dimension " << d << ") is " << u[d]
             << " but the cache has " << c[d];
  if (isStatic(u[2]) && isStatic(c[2]) && u[2] > c[2])
    return emitOpError("update has ")
           << u[2] << " rows but the cache holds only " << c[2];

  ArrayRef<int64_t> p = getPosition().getType().getShape();
  if (!p.empty())
    return emitOpError("position must be a rank-0 tensor, got shape ")
           << shapeToString(p);

  Type ce = getCache().getType().getElementType();
  Type ue = getUpdate().getType().getElementType();
  if (!isUniformQuantized(ce)) {
    if (ue != ce)
      return emitOpError("update element type ")
             << ue << " does not match cache element type " << ce;
    return success();
  }
  // One scale for the whole cache: rows written at different steps must be
  // comparable without knowing when they were written.
  if (!isa<quant::UniformQuantizedType>(ce))
    return emitOpError("a quantized cache must be per-tensor quantized, got ")
           << ce;
  if (ue != getExpressedType(ce))
    return emitOpError("update element type ")
           << ue << " must be the cache's expressed type "
           << getExpressedType(ce);
  return success();
}
