// One Llama decoder step in qc: embedding from a 4-bit blocked table,
// RMSNorm, weight-only 4-bit projections, rotate-half RoPE, a KV-cache write,
// causal GQA attention and a SwiGLU MLP.
// RUN: quant-opt %s | quant-opt | FileCheck %s

!w4 = !quant.uniform<i4:f32:{0:1, 1:32}, {{0.1, 0.1}, {0.1, 0.1}, {0.1, 0.1}, {0.1, 0.1}, {0.1, 0.1}, {0.1, 0.1}, {0.1, 0.1}, {0.1, 0.1}}>

// CHECK-LABEL: func @llama_step
func.func @llama_step(%ids: tensor<1x3xi64>, %pos: tensor<3xi64>, %start: tensor<i64>,
                      %table: tensor<8x64x!w4>, %wq: tensor<64x64xf32>, %wk: tensor<32x64xf32>,
                      %wv: tensor<32x64xf32>, %kc: tensor<1x2x16x16xf32>, %vc: tensor<1x2x16x16xf32>,
                      %norm: tensor<64xf32>, %w1: tensor<8x64x!w4>, %w3: tensor<8x64x!w4>) -> tensor<1x3x8xf32> {
  // CHECK: qc.embedding
  %h = qc.embedding %table, %ids : (tensor<8x64x!w4>, tensor<1x3xi64>) -> tensor<1x3x64xf32>
  // CHECK: qc.rms_norm
  %n = qc.rms_norm %h scale %norm {epsilon = 1.0e-05 : f64} : (tensor<1x3x64xf32>, tensor<64xf32>) -> tensor<1x3x64xf32>
  %q = qc.linear %n, %wq : (tensor<1x3x64xf32>, tensor<64x64xf32>) -> tensor<1x3x64xf32>
  %k = qc.linear %n, %wk : (tensor<1x3x64xf32>, tensor<32x64xf32>) -> tensor<1x3x32xf32>
  %v = qc.linear %n, %wv : (tensor<1x3x64xf32>, tensor<32x64xf32>) -> tensor<1x3x32xf32>
  %q4 = qc.reshape %q : tensor<1x3x64xf32> -> tensor<1x3x4x16xf32>
  %k4 = qc.reshape %k : tensor<1x3x32xf32> -> tensor<1x3x2x16xf32>
  %v4 = qc.reshape %v : tensor<1x3x32xf32> -> tensor<1x3x2x16xf32>
  // CHECK: qc.rope
  %qr = qc.rope %q4, %pos : tensor<1x3x4x16xf32>, tensor<3xi64>
  %kr = qc.rope %k4, %pos : tensor<1x3x2x16xf32>, tensor<3xi64>
  %qt = qc.transpose %qr {perm = array<i64: 0, 2, 1, 3>} : tensor<1x3x4x16xf32> -> tensor<1x4x3x16xf32>
  %kt = qc.transpose %kr {perm = array<i64: 0, 2, 1, 3>} : tensor<1x3x2x16xf32> -> tensor<1x2x3x16xf32>
  %vt = qc.transpose %v4 {perm = array<i64: 0, 2, 1, 3>} : tensor<1x3x2x16xf32> -> tensor<1x2x3x16xf32>
  // CHECK: qc.kv_cache_write
  %kc1 = qc.kv_cache_write %kc, %kt, %start : tensor<1x2x16x16xf32>, tensor<1x2x3x16xf32>, tensor<i64>
  %vc1 = qc.kv_cache_write %vc, %vt, %start : tensor<1x2x16x16xf32>, tensor<1x2x3x16xf32>, tensor<i64>
  // CHECK: qc.attention {{.*}} {causal = true}
  %o = qc.attention %qt, %kc1, %vc1 {causal = true} : (tensor<1x4x3x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>) -> tensor<1x4x3x16xf32>
  %ot = qc.transpose %o {perm = array<i64: 0, 2, 1, 3>} : tensor<1x4x3x16xf32> -> tensor<1x3x4x16xf32>
  %of = qc.reshape %ot : tensor<1x3x4x16xf32> -> tensor<1x3x64xf32>
  %r = qc.add %h, %of : (tensor<1x3x64xf32>, tensor<1x3x64xf32>) -> tensor<1x3x64xf32>
  // CHECK: qc.silu
  %g = qc.linear %r, %w1 : (tensor<1x3x64xf32>, tensor<8x64x!w4>) -> tensor<1x3x8xf32>
  %u = qc.linear %r, %w3 : (tensor<1x3x64xf32>, tensor<8x64x!w4>) -> tensor<1x3x8xf32>
  %a = qc.silu %g : tensor<1x3x8xf32>
  %m = qc.mul %a, %u : (tensor<1x3x8xf32>, tensor<1x3x8xf32>) -> tensor<1x3x8xf32>
  return %m : tensor<1x3x8xf32>
}
