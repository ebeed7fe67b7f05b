// RUN: quant-opt %s | quant-opt | FileCheck %s

// Round trip of the transformer ops in every accepted form.

// CHECK-LABEL: func.func @embedding_float
func.func @embedding_float(%table: tensor<32x16xf16>, %ids: tensor<1x7xi64>) -> tensor<1x7x16xf16> {
  // CHECK: qc.embedding %{{.*}}, %{{.*}} : (tensor<32x16xf16>, tensor<1x7xi64>) -> tensor<1x7x16xf16>
  %0 = qc.embedding %table, %ids : (tensor<32x16xf16>, tensor<1x7xi64>) -> tensor<1x7x16xf16>
  return %0 : tensor<1x7x16xf16>
}

// CHECK-LABEL: func.func @embedding_scalar_and_dynamic_ids
func.func @embedding_scalar_and_dynamic_ids(%table: tensor<32x16xf32>, %id: tensor<i32>,
                                            %ids: tensor<?x?xi32>) -> (tensor<16xf32>, tensor<?x?x16xf32>) {
  // CHECK: qc.embedding %{{.*}}, %{{.*}} : (tensor<32x16xf32>, tensor<i32>) -> tensor<16xf32>
  %0 = qc.embedding %table, %id : (tensor<32x16xf32>, tensor<i32>) -> tensor<16xf32>
  // CHECK: qc.embedding %{{.*}}, %{{.*}} : (tensor<32x16xf32>, tensor<?x?xi32>) -> tensor<?x?x16xf32>
  %1 = qc.embedding %table, %ids : (tensor<32x16xf32>, tensor<?x?xi32>) -> tensor<?x?x16xf32>
  return %0, %1 : tensor<16xf32>, tensor<?x?x16xf32>
}

// CHECK-LABEL: func.func @embedding_per_tensor
func.func @embedding_per_tensor(%table: tensor<32x16x!quant.uniform<i8:f32, 0.02:3>>,
                                %ids: tensor<4xi64>) -> tensor<4x16xf32> {
  // CHECK: qc.embedding %{{.*}}, %{{.*}} : (tensor<32x16x!quant.uniform<i8:f32, 2.000000e-02:3>>, tensor<4xi64>) -> tensor<4x16xf32>
  %0 = qc.embedding %table, %ids : (tensor<32x16x!quant.uniform<i8:f32, 0.02:3>>, tensor<4xi64>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// CHECK-LABEL: func.func @embedding_per_row
func.func @embedding_per_row(%table: tensor<3x8x!quant.uniform<i8:f16:0, {0.5, 0.25, 0.125}>>,
                             %ids: tensor<2x5xi32>) -> tensor<2x5x8xf16> {
  // CHECK: qc.embedding %{{.*}}, %{{.*}} : (tensor<3x8x!quant.uniform<i8:f16:0, {5.000000e-01,2.500000e-01,1.250000e-01}>>, tensor<2x5xi32>) -> tensor<2x5x8xf16>
  %0 = qc.embedding %table, %ids : (tensor<3x8x!quant.uniform<i8:f16:0, {0.5, 0.25, 0.125}>>, tensor<2x5xi32>) -> tensor<2x5x8xf16>
  return %0 : tensor<2x5x8xf16>
}

// CHECK-LABEL: func.func @embedding_sub_channel
func.func @embedding_sub_channel(%table: tensor<4x64x!quant.uniform<i4:f32:{0:1, 1:32}, {{0.1, 0.2}, {0.3, 0.4}, {0.5, 0.6}, {0.7, 0.8}}>>,
                                 %ids: tensor<1x7xi32>) -> tensor<1x7x64xf32> {
  // CHECK: qc.embedding %{{.*}}, %{{.*}} : (tensor<4x64x!quant.uniform<i4:f32:{0:1, 1:32}, {{.*}}>>, tensor<1x7xi32>) -> tensor<1x7x64xf32>
  %0 = qc.embedding %table, %ids : (tensor<4x64x!quant.uniform<i4:f32:{0:1, 1:32}, {{0.1, 0.2}, {0.3, 0.4}, {0.5, 0.6}, {0.7, 0.8}}>>, tensor<1x7xi32>) -> tensor<1x7x64xf32>
  return %0 : tensor<1x7x64xf32>
}

// Blocks only along D: every row shares the block scales.
// CHECK-LABEL: func.func @embedding_sub_channel_columns
func.func @embedding_sub_channel_columns(%table: tensor<4x64x!quant.uniform<i8:f32:{1:32}, {{0.1, 0.2}}>>,
                                         %ids: tensor<3xi64>) -> tensor<3x64xf32> {
  // CHECK: qc.embedding
  %0 = qc.embedding %table, %ids : (tensor<4x64x!quant.uniform<i8:f32:{1:32}, {{0.1, 0.2}}>>, tensor<3xi64>) -> tensor<3x64xf32>
  return %0 : tensor<3x64xf32>
}

// CHECK-LABEL: func.func @rope
func.func @rope(%x: tensor<1x7x32x128xf32>, %pos: tensor<7xi64>) -> tensor<1x7x32x128xf32> {
  // Defaults are elided when printing.
  // CHECK: qc.rope %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<1x7x32x128xf32>, tensor<7xi64>
  %0 = qc.rope %x, %pos : tensor<1x7x32x128xf32>, tensor<7xi64>
  return %0 : tensor<1x7x32x128xf32>
}

// CHECK-LABEL: func.func @rope_attrs
func.func @rope_attrs(%x: tensor<2x7x8x128xf16>, %pos: tensor<2x7xi32>,
                      %y: tensor<?x?x8x64xbf16>, %p: tensor<?xi64>) -> (tensor<2x7x8x128xf16>, tensor<?x?x8x64xbf16>) {
  // CHECK: qc.rope %{{.*}}, %{{.*}} {base = 5.000000e+05 : f64, interleaved = true, rotary_dim = 64 : i64} : tensor<2x7x8x128xf16>, tensor<2x7xi32>
  %0 = qc.rope %x, %pos {base = 500000.0 : f64, interleaved = true, rotary_dim = 64 : i64} : tensor<2x7x8x128xf16>, tensor<2x7xi32>
  // CHECK: qc.rope %{{.*}}, %{{.*}} {rotary_dim = 64 : i64} : tensor<?x?x8x64xbf16>, tensor<?xi64>
  %1 = qc.rope %y, %p {rotary_dim = 64 : i64} : tensor<?x?x8x64xbf16>, tensor<?xi64>
  return %0, %1 : tensor<2x7x8x128xf16>, tensor<?x?x8x64xbf16>
}

// Prefill with grouped-query attention (32 query heads over 8 KV heads).
// CHECK-LABEL: func.func @attention_gqa_causal
func.func @attention_gqa_causal(%q: tensor<1x32x7x128xf16>, %k: tensor<1x8x7x128xf16>,
                                %v: tensor<1x8x7x128xf16>) -> tensor<1x32x7x128xf16> {
  // CHECK: qc.attention %{{.*}}, %{{.*}}, %{{.*}} {causal = true} : (tensor<1x32x7x128xf16>, tensor<1x8x7x128xf16>, tensor<1x8x7x128xf16>) -> tensor<1x32x7x128xf16>
  %0 = qc.attention %q, %k, %v {causal = true} : (tensor<1x32x7x128xf16>, tensor<1x8x7x128xf16>, tensor<1x8x7x128xf16>) -> tensor<1x32x7x128xf16>
  return %0 : tensor<1x32x7x128xf16>
}

// Decode step against a cache prefix, with a mask and an explicit scale.
// CHECK-LABEL: func.func @attention_mask_scale
func.func @attention_mask_scale(%q: tensor<2x4x1x64xf32>, %k: tensor<2x4x16x64xf32>,
                                %v: tensor<2x4x16x32xf32>, %m: tensor<2x1x1x16xf32>,
                                %m2: tensor<16xf32>) -> (tensor<2x4x1x32xf32>, tensor<2x4x1x32xf32>) {
  // CHECK: qc.attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {causal = true, scale = 1.250000e-01 : f64} : (tensor<2x4x1x64xf32>, tensor<2x4x16x64xf32>, tensor<2x4x16x32xf32>, tensor<2x1x1x16xf32>) -> tensor<2x4x1x32xf32>
  %0 = qc.attention %q, %k, %v, %m {causal = true, scale = 0.125 : f64} : (tensor<2x4x1x64xf32>, tensor<2x4x16x64xf32>, tensor<2x4x16x32xf32>, tensor<2x1x1x16xf32>) -> tensor<2x4x1x32xf32>
  // CHECK: qc.attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x4x1x64xf32>, tensor<2x4x16x64xf32>, tensor<2x4x16x32xf32>, tensor<16xf32>) -> tensor<2x4x1x32xf32>
  %1 = qc.attention %q, %k, %v, %m2 : (tensor<2x4x1x64xf32>, tensor<2x4x16x64xf32>, tensor<2x4x16x32xf32>, tensor<16xf32>) -> tensor<2x4x1x32xf32>
  return %0, %1 : tensor<2x4x1x32xf32>, tensor<2x4x1x32xf32>
}

// Dynamic sequence lengths: checked at run time.
// CHECK-LABEL: func.func @attention_dynamic
func.func @attention_dynamic(%q: tensor<1x8x?x64xf32>, %k: tensor<1x1x?x64xf32>,
                             %v: tensor<1x1x?x64xf32>, %m: tensor<1x1x?x?xf32>) -> tensor<1x8x?x64xf32> {
  // CHECK: qc.attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {causal = true} : (tensor<1x8x?x64xf32>, tensor<1x1x?x64xf32>, tensor<1x1x?x64xf32>, tensor<1x1x?x?xf32>) -> tensor<1x8x?x64xf32>
  %0 = qc.attention %q, %k, %v, %m {causal = true} : (tensor<1x8x?x64xf32>, tensor<1x1x?x64xf32>, tensor<1x1x?x64xf32>, tensor<1x1x?x?xf32>) -> tensor<1x8x?x64xf32>
  return %0 : tensor<1x8x?x64xf32>
}

// CHECK-LABEL: func.func @kv_cache_write_float
func.func @kv_cache_write_float(%cache: tensor<1x8x2048x128xf16>, %k: tensor<1x8x1x128xf16>,
                                %pos: tensor<i64>) -> tensor<1x8x2048x128xf16> {
  // CHECK: qc.kv_cache_write %{{.*}}, %{{.*}}, %{{.*}} : tensor<1x8x2048x128xf16>, tensor<1x8x1x128xf16>, tensor<i64>
  %0 = qc.kv_cache_write %cache, %k, %pos : tensor<1x8x2048x128xf16>, tensor<1x8x1x128xf16>, tensor<i64>
  return %0 : tensor<1x8x2048x128xf16>
}

// CHECK-LABEL: func.func @kv_cache_write_int8
func.func @kv_cache_write_int8(%cache: tensor<1x8x2048x128x!quant.uniform<i8:f32, 0.05>>,
                               %k: tensor<1x8x?x128xf32>, %pos: tensor<i64>)
    -> tensor<1x8x2048x128x!quant.uniform<i8:f32, 0.05>> {
  // CHECK: qc.kv_cache_write %{{.*}}, %{{.*}}, %{{.*}} : tensor<1x8x2048x128x!quant.uniform<i8:f32, 5.000000e-02>>, tensor<1x8x?x128xf32>, tensor<i64>
  %0 = qc.kv_cache_write %cache, %k, %pos : tensor<1x8x2048x128x!quant.uniform<i8:f32, 0.05>>, tensor<1x8x?x128xf32>, tensor<i64>
  return %0 : tensor<1x8x2048x128x!quant.uniform<i8:f32, 0.05>>
}

// A decode step: append the new key to the cache, then attend over it.
// CHECK-LABEL: func.func @decode_step
func.func @decode_step(%q: tensor<1x4x1x16xf32>, %k: tensor<1x2x1x16xf32>, %at: tensor<i64>,
                       %kc: tensor<1x2x64x16xf32>, %vc: tensor<1x2x64x16xf32>)
    -> tensor<1x4x1x16xf32> {
  // CHECK: %[[KC:.*]] = qc.kv_cache_write
  // CHECK: qc.attention %{{.*}}, %[[KC]], %{{.*}} {causal = true}
  %kc2 = qc.kv_cache_write %kc, %k, %at : tensor<1x2x64x16xf32>, tensor<1x2x1x16xf32>, tensor<i64>
  %o = qc.attention %q, %kc2, %vc {causal = true} : (tensor<1x4x1x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>) -> tensor<1x4x1x16xf32>
  return %o : tensor<1x4x1x16xf32>
}
