//===- QCTransformerOps.td - embedding, RoPE, attention, KV cache -*- tablegen -*-===//
//
// Part of quantc. The building blocks of decoder-only (Llama-family) language
// models that do not decompose well into the generic ops: keeping them whole
// lets the back ends use fused kernels and lets the quantizer keep the
// embedding table and the KV cache in integer form.
//
// Layouts: activations entering RoPE are [batch, seq, heads, head_dim] (the
// layout the QKV projection produces); attention and the KV cache work on
// [batch, heads, seq, head_dim].
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_QC_IR_QCTRANSFORMEROPS_TD
#define QC_DIALECT_QC_IR_QCTRANSFORMEROPS_TD

include "qc/Dialect/QC/IR/QCBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def QC_EmbeddingOp : QC_Op<"embedding", [Pure]> {
  let summary = "token embedding lookup (row gather from a possibly quantized table)";
  let description = [{
    For `table : [V, D]` and `ids : [d0, ..., dn]` (`i32` or `i64`, any rank,
    rank 0 included) the result is `[d0, ..., dn, D]` with

    ```
    result[i0, ..., in, d] = dequantize(table)[ids[i0, ..., in], d]
    ```

    An id outside `[0, V)` is a run-time error: the op has no defined result
    for it, and executors report it rather than clamp or wrap (negative ids
    are not counted from the end).

    The table is either float, with the result element type equal to it, or
    `!quant.uniform` whose expressed type is the result element type:

    - per-tensor: one scale and zero point for the whole table;
    - per-axis along dimension 0: one scale and zero point per row (token);
    - sub-channel with blocks along `D` (dimension 1), optionally also along
      dimension 0, e.g. `{0:1, 1:32}` for one scale per 32 values of a row.

    Dequantization is `scale * (q - zero_point)` with the scale and zero point
    of the element's axis entry or block, evaluated in the result type.

    ```mlir
    %h = qc.embedding %table, %ids : (tensor<32000x4096xf16>, tensor<1x7xi64>) -> tensor<1x7x4096xf16>
    %g = qc.embedding %tq, %ids
           : (tensor<4x64x!quant.uniform<i4:f32:{0:1, 1:32}, {{0.1, 0.2}, {0.3, 0.4}, {0.5, 0.6}, {0.7, 0.8}}>>,
              tensor<1x7xi32>) -> tensor<1x7x64xf32>
    ```
  }];
  let arguments = (ins QC_FloatOrQuantTensor:$table, QC_IndexTensor:$ids);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat =
      "$table `,` $ids attr-dict `:` `(` type($table) `,` type($ids) `)` `->` type($result)";
  let hasVerifier = 1;
}

def QC_RoPEOp : QC_Op<"rope", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "rotary position embedding";
  let description = [{
    Rotates pairs of features of `input : [B, S, H, Dh]` by angles that grow
    with the token's position. `positions` is `[S]` (shared by the batch) or
    `[B, S]`, `i32` or `i64`; `pos` below is `positions[s]` or
    `positions[n, s]`. With `R = rotary_dim` (default `Dh`; even and
    `<= Dh`), for every pair `i` in `[0, R/2)`:

    ```
    theta = pos * base^(-2i / R)
    (a, b) = (input[n, s, h, p], input[n, s, h, q])
    (result[n, s, h, p], result[n, s, h, q]) = (a * cos(theta) - b * sin(theta),
                                                a * sin(theta) + b * cos(theta))
    ```

    where the pair `(p, q)` is `(2i, 2i + 1)` when `interleaved = true`
    (llama2.c, Meta's reference, GPT-J) and `(i, i + R/2)` otherwise
    ("rotate half", Hugging Face Llama, GPT-NeoX). Features `>= R` are copied
    unchanged (partial rotary embedding). `theta`, `cos(theta)` and
    `sin(theta)` are computed in `f32` (in the element type if it is wider),
    as llama2.c and Hugging Face do, since a 16-bit angle loses large
    positions; `cos` and `sin` are then rounded to the element type and the
    rotation is evaluated in it. The result has the type of `input`.

    ```mlir
    %q = qc.rope %x, %pos : tensor<1x7x32x128xf32>, tensor<7xi64>
    %k = qc.rope %x, %pos {base = 500000.0 : f64, interleaved = true, rotary_dim = 64 : i64}
           : tensor<2x7x8x128xf16>, tensor<2x7xi32>
    ```
  }];
  let arguments = (ins QC_FloatTensor:$input, QC_IndexTensor:$positions,
                       DefaultValuedAttr<F64Attr, "10000.0">:$base,
                       DefaultValuedAttr<BoolAttr, "false">:$interleaved,
                       OptionalAttr<I64Attr>:$rotary_dim);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat =
      "$input `,` $positions attr-dict `:` type($input) `,` type($positions)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// `rotary_dim` if set, otherwise the (possibly dynamic) head dimension.
    int64_t getEffectiveRotaryDim();
  }];
}

def QC_AttentionOp : QC_Op<"attention", [Pure]> {
  let summary = "scaled dot-product attention with grouped KV heads";
  let description = [{
    `query : [B, Hq, Sq, D]`, `key : [B, Hkv, Skv, D]`,
    `value : [B, Hkv, Skv, Dv]`, optional additive `mask` broadcastable (NumPy
    rules) to `[B, Hq, Sq, Skv]`; the result is `[B, Hq, Sq, Dv]`. `Hq` must be
    a multiple of `Hkv`: with `G = Hq / Hkv`, query head `h` reads key/value
    head `h / G` (grouped-query attention; `G = 1` is multi-head, `Hkv = 1`
    multi-query attention).

    ```
    s[b, h, i, j] = scale * sum_d query[b, h, i, d] * key[b, h / G, j, d]
                    + mask[b, h, i, j]                  (if present)
    s[b, h, i, j] = -inf  if causal and j > Skv - Sq + i
    p[b, h, i, :] = softmax_j(s[b, h, i, :])
                  = exp(s - max_j s) / sum_j exp(s - max_j s)
    result[b, h, i, e] = sum_j p[b, h, i, j] * value[b, h / G, j, e]
    ```

    `scale` defaults to `1 / sqrt(D)`. With `causal = true`, query `i` sits at
    absolute position `Skv - Sq + i`: the keys are a KV-cache prefix followed
    by the `Sq` new tokens, so prefill (`Sq = Skv`) gets the usual lower
    triangle and a decode step (`Sq = 1`) sees every key. This needs
    `Sq <= Skv`. A row whose scores are all `-inf` (possible only through
    `mask`) has no defined softmax and yields NaN, as PyTorch does.

    All operands and the result share one float element type, and the scores,
    the softmax and the weighted sum are computed in it.

    ```mlir
    %o = qc.attention %q, %k, %v {causal = true}
           : (tensor<1x32x7x128xf16>, tensor<1x8x7x128xf16>, tensor<1x8x7x128xf16>) -> tensor<1x32x7x128xf16>
    %p = qc.attention %q, %k, %v, %m {scale = 0.125 : f64}
           : (tensor<2x4x1x64xf32>, tensor<2x4x16x64xf32>, tensor<2x4x16x64xf32>, tensor<2x1x1x16xf32>)
             -> tensor<2x4x1x64xf32>
    ```
  }];
  let arguments = (ins QC_FloatTensor:$query, QC_FloatTensor:$key,
                       QC_FloatTensor:$value, Optional<QC_FloatTensor>:$mask,
                       DefaultValuedAttr<BoolAttr, "false">:$causal,
                       OptionalAttr<F64Attr>:$scale);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat =
      "$query `,` $key `,` $value (`,` $mask^)? attr-dict `:` `(` type($query) `,` "
      "type($key) `,` type($value) (`,` type($mask)^)? `)` `->` type($result)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// `scale` if set, otherwise 1 / sqrt(head_dim); nullopt when the head
    /// dimension is dynamic and no scale is given.
    std::optional<double> getEffectiveScale();
  }];
}

def QC_KVCacheWriteOp : QC_Op<"kv_cache_write", [Pure, AllTypesMatch<["cache", "result"]>]> {
  let summary = "writes new key or value rows into a KV cache (value semantics)";
  let description = [{
    `cache : [B, Hkv, Smax, D]`, `update : [B, Hkv, Sn, D]`, `position` a
    rank-0 `i64` tensor. The result is `cache` with the rows
    `[position, position + Sn)` of dimension 2 replaced:

    ```
    result[b, h, s, d] = update[b, h, s - position, d]  if position <= s < position + Sn
                       = cache[b, h, s, d]              otherwise
    ```

    A `position` with `position < 0` or `position + Sn > Smax` is a run-time
    error (no wrap-around, no clamping). The op has value semantics;
    bufferization can make it an in-place update when `cache` has no other
    use. The result has the type of `cache`.

    The cache is float, with `update` of the same element type, or per-tensor
    `!quant.uniform` (an int8 KV cache), with `update` of its expressed float
    type. In the quantized form the new rows are quantized on write:
    `q = clamp(round_half_to_even(x / scale) + zero_point, qmin, qmax)` with
    the storage type's range (saturating, as `quant.qcast`); the old rows keep
    their stored integers.

    ```mlir
    %c1 = qc.kv_cache_write %c0, %k, %pos
            : tensor<1x8x2048x128xf16>, tensor<1x8x1x128xf16>, tensor<i64>
    %q1 = qc.kv_cache_write %q0, %k, %pos
            : tensor<1x8x2048x128x!quant.uniform<i8:f32, 0.05>>, tensor<1x8x7x128xf32>, tensor<i64>
    ```
  }];
  let arguments = (ins QC_FloatOrQuantTensor:$cache, QC_FloatTensor:$update,
                       RankedTensorOf<[I64]>:$position);
  let results = (outs QC_FloatOrQuantTensor:$result);
  let assemblyFormat =
      "$cache `,` $update `,` $position attr-dict `:` type($cache) `,` "
      "type($update) `,` type($position)";
  let hasVerifier = 1;
}

#endif // QC_DIALECT_QC_IR_QCTRANSFORMEROPS_TD
