// RUN: quant-opt %s -verify-diagnostics -split-input-file

// One case per diagnostic of the transformer op verifiers.

//===----------------------------------------------------------------------===//
// qc.embedding
//===----------------------------------------------------------------------===//

func.func @embedding_table_rank(%t: tensor<2x32x16xf32>, %ids: tensor<4xi64>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'qc.embedding' op table must have rank 2 ([vocab, dim]), got rank 3}}
  %0 = qc.embedding %t, %ids : (tensor<2x32x16xf32>, tensor<4xi64>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

func.func @embedding_ids_type(%t: tensor<32x16xf32>, %ids: tensor<4xi16>) -> tensor<4x16xf32> {
  // expected-error @+1 {{operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values}}
  %0 = qc.embedding %t, %ids : (tensor<32x16xf32>, tensor<4xi16>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

func.func @embedding_scale_count(%t: tensor<3x8x!quant.uniform<i8:f32:0, {0.5, 0.25}>>, %ids: tensor<4xi64>) -> tensor<4x8xf32> {
  // expected-error @+1 {{table: per-axis quantization along dimension 0 has 2 scales but the dimension has size 3}}
  %0 = qc.embedding %t, %ids : (tensor<3x8x!quant.uniform<i8:f32:0, {0.5, 0.25}>>, tensor<4xi64>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @embedding_per_axis_dim(%t: tensor<3x2x!quant.uniform<i8:f32:1, {0.5, 0.25}>>, %ids: tensor<4xi64>) -> tensor<4x2xf32> {
  // expected-error @+1 {{per-axis table quantization must be along dimension 0 (one scale per row), got dimension 1}}
  %0 = qc.embedding %t, %ids : (tensor<3x2x!quant.uniform<i8:f32:1, {0.5, 0.25}>>, tensor<4xi64>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @embedding_sub_channel_dim(%t: tensor<4x8x!quant.uniform<i8:f32:{0:2}, {{0.5}, {0.25}}>>, %ids: tensor<4xi64>) -> tensor<4x8xf32> {
  // expected-error @+1 {{sub-channel table quantization must have blocks along dimension 1 (dim)}}
  %0 = qc.embedding %t, %ids : (tensor<4x8x!quant.uniform<i8:f32:{0:2}, {{0.5}, {0.25}}>>, tensor<4xi64>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @embedding_sub_channel_block(%t: tensor<4x48x!quant.uniform<i4:f32:{1:32}, {{0.5, 0.25}}>>, %ids: tensor<4xi64>) -> tensor<4x48xf32> {
  // expected-error @+1 {{table: dimension 1 of size 48 is not a multiple of its block size 32}}
  %0 = qc.embedding %t, %ids : (tensor<4x48x!quant.uniform<i4:f32:{1:32}, {{0.5, 0.25}}>>, tensor<4xi64>) -> tensor<4x48xf32>
  return %0 : tensor<4x48xf32>
}

// -----

func.func @embedding_expressed(%t: tensor<32x16x!quant.uniform<i8:f32, 0.5>>, %ids: tensor<4xi64>) -> tensor<4x16xf16> {
  // expected-error @+1 {{result element type 'f16' must be the table's expressed type 'f32'}}
  %0 = qc.embedding %t, %ids : (tensor<32x16x!quant.uniform<i8:f32, 0.5>>, tensor<4xi64>) -> tensor<4x16xf16>
  return %0 : tensor<4x16xf16>
}

// -----

func.func @embedding_float_type(%t: tensor<32x16xf32>, %ids: tensor<4xi64>) -> tensor<4x16xf16> {
  // expected-error @+1 {{result element type 'f16' does not match table element type 'f32'}}
  %0 = qc.embedding %t, %ids : (tensor<32x16xf32>, tensor<4xi64>) -> tensor<4x16xf16>
  return %0 : tensor<4x16xf16>
}

// -----

func.func @embedding_result_shape(%t: tensor<32x16xf32>, %ids: tensor<2x4xi64>) -> tensor<8x16xf32> {
  // expected-error @+1 {{result shape 8x16 does not match the expected 2x4x16}}
  %0 = qc.embedding %t, %ids : (tensor<32x16xf32>, tensor<2x4xi64>) -> tensor<8x16xf32>
  return %0 : tensor<8x16xf32>
}

// -----

//===----------------------------------------------------------------------===//
// qc.rope
//===----------------------------------------------------------------------===//

func.func @rope_input_rank(%x: tensor<7x32x128xf32>, %p: tensor<7xi64>) -> tensor<7x32x128xf32> {
  // expected-error @+1 {{input must have rank 4 ([batch, seq, heads, head_dim]), got rank 3}}
  %0 = qc.rope %x, %p : tensor<7x32x128xf32>, tensor<7xi64>
  return %0 : tensor<7x32x128xf32>
}

// -----

func.func @rope_positions_rank(%x: tensor<1x7x4x8xf32>, %p: tensor<1x1x7xi64>) -> tensor<1x7x4x8xf32> {
  // expected-error @+1 {{positions must have shape [seq] or [batch, seq], got 1x1x7}}
  %0 = qc.rope %x, %p : tensor<1x7x4x8xf32>, tensor<1x1x7xi64>
  return %0 : tensor<1x7x4x8xf32>
}

// -----

func.func @rope_positions_seq(%x: tensor<1x7x4x8xf32>, %p: tensor<6xi64>) -> tensor<1x7x4x8xf32> {
  // expected-error @+1 {{positions has 6 entries along the sequence but the input has 7 tokens}}
  %0 = qc.rope %x, %p : tensor<1x7x4x8xf32>, tensor<6xi64>
  return %0 : tensor<1x7x4x8xf32>
}

// -----

func.func @rope_positions_batch(%x: tensor<2x7x4x8xf32>, %p: tensor<3x7xi32>) -> tensor<2x7x4x8xf32> {
  // expected-error @+1 {{positions has batch size 3 but the input has 2}}
  %0 = qc.rope %x, %p : tensor<2x7x4x8xf32>, tensor<3x7xi32>
  return %0 : tensor<2x7x4x8xf32>
}

// -----

func.func @rope_positions_type(%x: tensor<1x7x4x8xf32>, %p: tensor<7xf32>) -> tensor<1x7x4x8xf32> {
  // expected-error @+1 {{operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values}}
  %0 = qc.rope %x, %p : tensor<1x7x4x8xf32>, tensor<7xf32>
  return %0 : tensor<1x7x4x8xf32>
}

// -----

func.func @rope_base(%x: tensor<1x7x4x8xf32>, %p: tensor<7xi64>) -> tensor<1x7x4x8xf32> {
  // expected-error @+1 {{base must be positive and finite, got 0.000000e+00}}
  %0 = qc.rope %x, %p {base = 0.0 : f64} : tensor<1x7x4x8xf32>, tensor<7xi64>
  return %0 : tensor<1x7x4x8xf32>
}

// -----

func.func @rope_rotary_dim_odd(%x: tensor<1x7x4x8xf32>, %p: tensor<7xi64>) -> tensor<1x7x4x8xf32> {
  // expected-error @+1 {{rotary_dim must be positive and even, got 3}}
  %0 = qc.rope %x, %p {rotary_dim = 3 : i64} : tensor<1x7x4x8xf32>, tensor<7xi64>
  return %0 : tensor<1x7x4x8xf32>
}

// -----

func.func @rope_rotary_dim_large(%x: tensor<1x7x4x8xf32>, %p: tensor<7xi64>) -> tensor<1x7x4x8xf32> {
  // expected-error @+1 {{rotary_dim 16 exceeds the head dimension 8}}
  %0 = qc.rope %x, %p {rotary_dim = 16 : i64} : tensor<1x7x4x8xf32>, tensor<7xi64>
  return %0 : tensor<1x7x4x8xf32>
}

// -----

func.func @rope_odd_head_dim(%x: tensor<1x7x4x9xf32>, %p: tensor<7xi64>) -> tensor<1x7x4x9xf32> {
  // expected-error @+1 {{head dimension 9 must be even when rotary_dim is absent}}
  %0 = qc.rope %x, %p : tensor<1x7x4x9xf32>, tensor<7xi64>
  return %0 : tensor<1x7x4x9xf32>
}

// -----

func.func @rope_result_type(%x: tensor<1x7x4x8xf32>, %p: tensor<7xi64>) -> tensor<1x7x4x8xf16> {
  // expected-error @+1 {{failed to verify that all of {input, result} have same type}}
  %0 = "qc.rope"(%x, %p) : (tensor<1x7x4x8xf32>, tensor<7xi64>) -> tensor<1x7x4x8xf16>
  return %0 : tensor<1x7x4x8xf16>
}

// -----

//===----------------------------------------------------------------------===//
// qc.attention
//===----------------------------------------------------------------------===//

func.func @attention_query_rank(%q: tensor<4x7x16xf32>, %k: tensor<1x4x7x16xf32>, %v: tensor<1x4x7x16xf32>) -> tensor<1x4x7x16xf32> {
  // expected-error @+1 {{query must have rank 4 ([batch, heads, seq, head_dim]), got rank 3}}
  %0 = qc.attention %q, %k, %v : (tensor<4x7x16xf32>, tensor<1x4x7x16xf32>, tensor<1x4x7x16xf32>) -> tensor<1x4x7x16xf32>
  return %0 : tensor<1x4x7x16xf32>
}

// -----

func.func @attention_key_rank(%q: tensor<1x4x7x16xf32>, %k: tensor<4x7x16xf32>, %v: tensor<1x4x7x16xf32>) -> tensor<1x4x7x16xf32> {
  // expected-error @+1 {{key must have rank 4 ([batch, heads, seq, head_dim]), got rank 3}}
  %0 = qc.attention %q, %k, %v : (tensor<1x4x7x16xf32>, tensor<4x7x16xf32>, tensor<1x4x7x16xf32>) -> tensor<1x4x7x16xf32>
  return %0 : tensor<1x4x7x16xf32>
}

// -----

func.func @attention_value_rank(%q: tensor<1x4x7x16xf32>, %k: tensor<1x4x7x16xf32>, %v: tensor<1x4x7x16x1xf32>) -> tensor<1x4x7x16xf32> {
  // expected-error @+1 {{value must have rank 4 ([batch, heads, seq, head_dim]), got rank 5}}
  %0 = qc.attention %q, %k, %v : (tensor<1x4x7x16xf32>, tensor<1x4x7x16xf32>, tensor<1x4x7x16x1xf32>) -> tensor<1x4x7x16xf32>
  return %0 : tensor<1x4x7x16xf32>
}

// -----

func.func @attention_key_type(%q: tensor<1x4x7x16xf32>, %k: tensor<1x4x7x16xf16>, %v: tensor<1x4x7x16xf32>) -> tensor<1x4x7x16xf32> {
  // expected-error @+1 {{key element type 'f16' does not match query element type 'f32'}}
  %0 = qc.attention %q, %k, %v : (tensor<1x4x7x16xf32>, tensor<1x4x7x16xf16>, tensor<1x4x7x16xf32>) -> tensor<1x4x7x16xf32>
  return %0 : tensor<1x4x7x16xf32>
}

// -----

func.func @attention_value_type(%q: tensor<1x4x7x16xf32>, %k: tensor<1x4x7x16xf32>, %v: tensor<1x4x7x16xbf16>) -> tensor<1x4x7x16xf32> {
  // expected-error @+1 {{value element type 'bf16' does not match query element type 'f32'}}
  %0 = qc.attention %q, %k, %v : (tensor<1x4x7x16xf32>, tensor<1x4x7x16xf32>, tensor<1x4x7x16xbf16>) -> tensor<1x4x7x16xf32>
  return %0 : tensor<1x4x7x16xf32>
}

// -----

func.func @attention_mask_type(%q: tensor<1x4x7x16xf32>, %k: tensor<1x4x7x16xf32>, %v: tensor<1x4x7x16xf32>, %m: tensor<7x7xf16>) -> tensor<1x4x7x16xf32> {
  // expected-error @+1 {{mask element type 'f16' does not match query element type 'f32'}}
  %0 = qc.attention %q, %k, %v, %m : (tensor<1x4x7x16xf32>, tensor<1x4x7x16xf32>, tensor<1x4x7x16xf32>, tensor<7x7xf16>) -> tensor<1x4x7x16xf32>
  return %0 : tensor<1x4x7x16xf32>
}

// -----

func.func @attention_result_type(%q: tensor<1x4x7x16xf32>, %k: tensor<1x4x7x16xf32>, %v: tensor<1x4x7x16xf32>) -> tensor<1x4x7x16xf16> {
  // expected-error @+1 {{result element type 'f16' does not match query element type 'f32'}}
  %0 = qc.attention %q, %k, %v : (tensor<1x4x7x16xf32>, tensor<1x4x7x16xf32>, tensor<1x4x7x16xf32>) -> tensor<1x4x7x16xf16>
  return %0 : tensor<1x4x7x16xf16>
}

// -----

func.func @attention_quantized(%q: tensor<1x4x7x16x!quant.uniform<i8:f32, 0.1>>, %k: tensor<1x4x7x16xf32>, %v: tensor<1x4x7x16xf32>) -> tensor<1x4x7x16xf32> {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values}}
  %0 = qc.attention %q, %k, %v : (tensor<1x4x7x16x!quant.uniform<i8:f32, 0.1>>, tensor<1x4x7x16xf32>, tensor<1x4x7x16xf32>) -> tensor<1x4x7x16xf32>
  return %0 : tensor<1x4x7x16xf32>
}

// -----

func.func @attention_key_batch(%q: tensor<2x4x7x16xf32>, %k: tensor<1x4x7x16xf32>, %v: tensor<2x4x7x16xf32>) -> tensor<2x4x7x16xf32> {
  // expected-error @+1 {{key batch size 1 does not match query batch size 2}}
  %0 = qc.attention %q, %k, %v : (tensor<2x4x7x16xf32>, tensor<1x4x7x16xf32>, tensor<2x4x7x16xf32>) -> tensor<2x4x7x16xf32>
  return %0 : tensor<2x4x7x16xf32>
}

// -----

func.func @attention_value_batch(%q: tensor<2x4x7x16xf32>, %k: tensor<2x4x7x16xf32>, %v: tensor<3x4x7x16xf32>) -> tensor<2x4x7x16xf32> {
  // expected-error @+1 {{value batch size 3 does not match query batch size 2}}
  %0 = qc.attention %q, %k, %v : (tensor<2x4x7x16xf32>, tensor<2x4x7x16xf32>, tensor<3x4x7x16xf32>) -> tensor<2x4x7x16xf32>
  return %0 : tensor<2x4x7x16xf32>
}

// -----

func.func @attention_kv_heads(%q: tensor<1x8x7x16xf32>, %k: tensor<1x4x7x16xf32>, %v: tensor<1x2x7x16xf32>) -> tensor<1x8x7x16xf32> {
  // expected-error @+1 {{key has 4 heads but value has 2}}
  %0 = qc.attention %q, %k, %v : (tensor<1x8x7x16xf32>, tensor<1x4x7x16xf32>, tensor<1x2x7x16xf32>) -> tensor<1x8x7x16xf32>
  return %0 : tensor<1x8x7x16xf32>
}

// -----

func.func @attention_no_kv_heads(%q: tensor<1x8x7x16xf32>, %k: tensor<1x0x7x16xf32>, %v: tensor<1x0x7x16xf32>) -> tensor<1x8x7x16xf32> {
  // expected-error @+1 {{key and value must have at least one head}}
  %0 = qc.attention %q, %k, %v : (tensor<1x8x7x16xf32>, tensor<1x0x7x16xf32>, tensor<1x0x7x16xf32>) -> tensor<1x8x7x16xf32>
  return %0 : tensor<1x8x7x16xf32>
}

// -----

func.func @attention_gqa_groups(%q: tensor<1x6x7x16xf32>, %k: tensor<1x4x7x16xf32>, %v: tensor<1x4x7x16xf32>) -> tensor<1x6x7x16xf32> {
  // expected-error @+1 {{query heads (6) must be a multiple of key/value heads (4)}}
  %0 = qc.attention %q, %k, %v : (tensor<1x6x7x16xf32>, tensor<1x4x7x16xf32>, tensor<1x4x7x16xf32>) -> tensor<1x6x7x16xf32>
  return %0 : tensor<1x6x7x16xf32>
}

// -----

func.func @attention_kv_seq(%q: tensor<1x4x7x16xf32>, %k: tensor<1x4x9x16xf32>, %v: tensor<1x4x8x16xf32>) -> tensor<1x4x7x16xf32> {
  // expected-error @+1 {{key sequence length 9 does not match value sequence length 8}}
  %0 = qc.attention %q, %k, %v : (tensor<1x4x7x16xf32>, tensor<1x4x9x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x7x16xf32>
  return %0 : tensor<1x4x7x16xf32>
}

// -----

func.func @attention_head_dim(%q: tensor<1x4x7x16xf32>, %k: tensor<1x4x7x32xf32>, %v: tensor<1x4x7x16xf32>) -> tensor<1x4x7x16xf32> {
  // expected-error @+1 {{query head dimension 16 does not match key head dimension 32}}
  %0 = qc.attention %q, %k, %v : (tensor<1x4x7x16xf32>, tensor<1x4x7x32xf32>, tensor<1x4x7x16xf32>) -> tensor<1x4x7x16xf32>
  return %0 : tensor<1x4x7x16xf32>
}

// -----

func.func @attention_causal_lengths(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x7x16xf32>, %v: tensor<1x4x7x16xf32>) -> tensor<1x4x8x16xf32> {
  // expected-error @+1 {{causal attention needs query length (8) <= key length (7): queries are the last positions of the keys}}
  %0 = qc.attention %q, %k, %v {causal = true} : (tensor<1x4x8x16xf32>, tensor<1x4x7x16xf32>, tensor<1x4x7x16xf32>) -> tensor<1x4x8x16xf32>
  return %0 : tensor<1x4x8x16xf32>
}

// -----

func.func @attention_scale(%q: tensor<1x4x7x16xf32>, %k: tensor<1x4x7x16xf32>, %v: tensor<1x4x7x16xf32>) -> tensor<1x4x7x16xf32> {
  // expected-error @+1 {{scale must be positive and finite, got -2.500000e-01}}
  %0 = qc.attention %q, %k, %v {scale = -0.25 : f64} : (tensor<1x4x7x16xf32>, tensor<1x4x7x16xf32>, tensor<1x4x7x16xf32>) -> tensor<1x4x7x16xf32>
  return %0 : tensor<1x4x7x16xf32>
}

// -----

func.func @attention_mask_rank(%q: tensor<1x4x7x16xf32>, %k: tensor<1x4x7x16xf32>, %v: tensor<1x4x7x16xf32>, %m: tensor<1x1x4x7x7xf32>) -> tensor<1x4x7x16xf32> {
  // expected-error @+1 {{mask has rank 5 but the scores [batch, q_heads, q_seq, kv_seq] have rank 4}}
  %0 = qc.attention %q, %k, %v, %m : (tensor<1x4x7x16xf32>, tensor<1x4x7x16xf32>, tensor<1x4x7x16xf32>, tensor<1x1x4x7x7xf32>) -> tensor<1x4x7x16xf32>
  return %0 : tensor<1x4x7x16xf32>
}

// -----

func.func @attention_mask_shape(%q: tensor<1x4x1x16xf32>, %k: tensor<1x4x9x16xf32>, %v: tensor<1x4x9x16xf32>, %m: tensor<1x8x9xf32>) -> tensor<1x4x1x16xf32> {
  // expected-error @+1 {{mask shape 1x8x9 does not broadcast to the scores 1x4x1x9: mask dimension 1 has size 8, expected 1}}
  %0 = qc.attention %q, %k, %v, %m : (tensor<1x4x1x16xf32>, tensor<1x4x9x16xf32>, tensor<1x4x9x16xf32>, tensor<1x8x9xf32>) -> tensor<1x4x1x16xf32>
  return %0 : tensor<1x4x1x16xf32>
}

// -----

func.func @attention_mask_kv_len(%q: tensor<1x4x1x16xf32>, %k: tensor<1x4x9x16xf32>, %v: tensor<1x4x9x16xf32>, %m: tensor<8xf32>) -> tensor<1x4x1x16xf32> {
  // expected-error @+1 {{mask shape 8 does not broadcast to the scores 1x4x1x9: mask dimension 0 has size 8, expected 1 or 9}}
  %0 = qc.attention %q, %k, %v, %m : (tensor<1x4x1x16xf32>, tensor<1x4x9x16xf32>, tensor<1x4x9x16xf32>, tensor<8xf32>) -> tensor<1x4x1x16xf32>
  return %0 : tensor<1x4x1x16xf32>
}

// -----

func.func @attention_result_shape(%q: tensor<1x4x7x16xf32>, %k: tensor<1x2x7x16xf32>, %v: tensor<1x2x7x8xf32>) -> tensor<1x2x7x8xf32> {
  // expected-error @+1 {{result shape 1x2x7x8 does not match the expected 1x4x7x8}}
  %0 = qc.attention %q, %k, %v : (tensor<1x4x7x16xf32>, tensor<1x2x7x16xf32>, tensor<1x2x7x8xf32>) -> tensor<1x2x7x8xf32>
  return %0 : tensor<1x2x7x8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// qc.kv_cache_write
//===----------------------------------------------------------------------===//

func.func @kv_cache_rank(%c: tensor<8x64x16xf32>, %u: tensor<1x8x1x16xf32>, %p: tensor<i64>) -> tensor<8x64x16xf32> {
  // expected-error @+1 {{cache must have rank 4 ([batch, kv_heads, seq, head_dim]), got rank 3}}
  %0 = qc.kv_cache_write %c, %u, %p : tensor<8x64x16xf32>, tensor<1x8x1x16xf32>, tensor<i64>
  return %0 : tensor<8x64x16xf32>
}

// -----

func.func @kv_cache_update_rank(%c: tensor<1x8x64x16xf32>, %u: tensor<8x1x16xf32>, %p: tensor<i64>) -> tensor<1x8x64x16xf32> {
  // expected-error @+1 {{update must have rank 4 ([batch, kv_heads, seq, head_dim]), got rank 3}}
  %0 = qc.kv_cache_write %c, %u, %p : tensor<1x8x64x16xf32>, tensor<8x1x16xf32>, tensor<i64>
  return %0 : tensor<1x8x64x16xf32>
}

// -----

func.func @kv_cache_batch(%c: tensor<1x8x64x16xf32>, %u: tensor<2x8x1x16xf32>, %p: tensor<i64>) -> tensor<1x8x64x16xf32> {
  // expected-error @+1 {{update batch size (dimension 0) is 2 but the cache has 1}}
  %0 = qc.kv_cache_write %c, %u, %p : tensor<1x8x64x16xf32>, tensor<2x8x1x16xf32>, tensor<i64>
  return %0 : tensor<1x8x64x16xf32>
}

// -----

func.func @kv_cache_heads(%c: tensor<1x8x64x16xf32>, %u: tensor<1x4x1x16xf32>, %p: tensor<i64>) -> tensor<1x8x64x16xf32> {
  // expected-error @+1 {{update kv_heads (dimension 1) is 4 but the cache has 8}}
  %0 = qc.kv_cache_write %c, %u, %p : tensor<1x8x64x16xf32>, tensor<1x4x1x16xf32>, tensor<i64>
  return %0 : tensor<1x8x64x16xf32>
}

// -----

func.func @kv_cache_head_dim(%c: tensor<1x8x64x16xf32>, %u: tensor<1x8x1x32xf32>, %p: tensor<i64>) -> tensor<1x8x64x16xf32> {
  // expected-error @+1 {{update head_dim (dimension 3) is 32 but the cache has 16}}
  %0 = qc.kv_cache_write %c, %u, %p : tensor<1x8x64x16xf32>, tensor<1x8x1x32xf32>, tensor<i64>
  return %0 : tensor<1x8x64x16xf32>
}

// -----

func.func @kv_cache_too_many_rows(%c: tensor<1x8x64x16xf32>, %u: tensor<1x8x65x16xf32>, %p: tensor<i64>) -> tensor<1x8x64x16xf32> {
  // expected-error @+1 {{update has 65 rows but the cache holds only 64}}
  %0 = qc.kv_cache_write %c, %u, %p : tensor<1x8x64x16xf32>, tensor<1x8x65x16xf32>, tensor<i64>
  return %0 : tensor<1x8x64x16xf32>
}

// -----

func.func @kv_cache_position_rank(%c: tensor<1x8x64x16xf32>, %u: tensor<1x8x1x16xf32>, %p: tensor<1xi64>) -> tensor<1x8x64x16xf32> {
  // expected-error @+1 {{position must be a rank-0 tensor, got shape 1}}
  %0 = qc.kv_cache_write %c, %u, %p : tensor<1x8x64x16xf32>, tensor<1x8x1x16xf32>, tensor<1xi64>
  return %0 : tensor<1x8x64x16xf32>
}

// -----

func.func @kv_cache_position_type(%c: tensor<1x8x64x16xf32>, %u: tensor<1x8x1x16xf32>, %p: tensor<i32>) -> tensor<1x8x64x16xf32> {
  // expected-error @+1 {{operand #2 must be ranked tensor of 64-bit signless integer values}}
  %0 = qc.kv_cache_write %c, %u, %p : tensor<1x8x64x16xf32>, tensor<1x8x1x16xf32>, tensor<i32>
  return %0 : tensor<1x8x64x16xf32>
}

// -----

func.func @kv_cache_float_type(%c: tensor<1x8x64x16xf16>, %u: tensor<1x8x1x16xf32>, %p: tensor<i64>) -> tensor<1x8x64x16xf16> {
  // expected-error @+1 {{update element type 'f32' does not match cache element type 'f16'}}
  %0 = qc.kv_cache_write %c, %u, %p : tensor<1x8x64x16xf16>, tensor<1x8x1x16xf32>, tensor<i64>
  return %0 : tensor<1x8x64x16xf16>
}

// -----

func.func @kv_cache_per_axis(%c: tensor<1x2x64x16x!quant.uniform<i8:f32:1, {0.5, 0.25}>>, %u: tensor<1x2x1x16xf32>, %p: tensor<i64>)
    -> tensor<1x2x64x16x!quant.uniform<i8:f32:1, {0.5, 0.25}>> {
  // expected-error @+1 {{a quantized cache must be per-tensor quantized, got '!quant.uniform<i8:f32:1, {5.000000e-01,2.500000e-01}>'}}
  %0 = qc.kv_cache_write %c, %u, %p : tensor<1x2x64x16x!quant.uniform<i8:f32:1, {0.5, 0.25}>>, tensor<1x2x1x16xf32>, tensor<i64>
  return %0 : tensor<1x2x64x16x!quant.uniform<i8:f32:1, {0.5, 0.25}>>
}

// -----

func.func @kv_cache_expressed(%c: tensor<1x8x64x16x!quant.uniform<i8:f32, 0.05>>, %u: tensor<1x8x1x16xf16>, %p: tensor<i64>)
    -> tensor<1x8x64x16x!quant.uniform<i8:f32, 0.05>> {
  // expected-error @+1 {{update element type 'f16' must be the cache's expressed type 'f32'}}
  %0 = qc.kv_cache_write %c, %u, %p : tensor<1x8x64x16x!quant.uniform<i8:f32, 0.05>>, tensor<1x8x1x16xf16>, tensor<i64>
  return %0 : tensor<1x8x64x16x!quant.uniform<i8:f32, 0.05>>
}

// -----

func.func @kv_cache_result_type(%c: tensor<1x8x64x16xf32>, %u: tensor<1x8x1x16xf32>, %p: tensor<i64>) -> tensor<1x8x65x16xf32> {
  // expected-error @+1 {{failed to verify that all of {cache, result} have same type}}
  %0 = "qc.kv_cache_write"(%c, %u, %p) : (tensor<1x8x64x16xf32>, tensor<1x8x1x16xf32>, tensor<i64>) -> tensor<1x8x65x16xf32>
  return %0 : tensor<1x8x65x16xf32>
}
