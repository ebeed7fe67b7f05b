// RUN: quant-opt %s --convert-qc-to-linalg --split-input-file --verify-diagnostics

// Ops and forms the CPU lowering still leaves out are errors naming the op.

func.func @rope(%x: tensor<1x3x2x8xf16>, %p: tensor<3xi64>) -> tensor<1x3x2x8xf16> {
  // expected-error @below {{'qc.rope' op: only f32 RoPE is lowered}}
  %y = qc.rope %x, %p : tensor<1x3x2x8xf16>, tensor<3xi64>
  return %y : tensor<1x3x2x8xf16>
}

// -----

!kv = !quant.uniform<i8:f32, 0.05>
func.func @kv_int8(%c: tensor<1x2x8x4x!kv>, %u: tensor<1x2x1x4xf32>, %p: tensor<i64>) -> tensor<1x2x8x4x!kv> {
  // expected-error @below {{'qc.kv_cache_write' op: only float KV caches are lowered}}
  %r = qc.kv_cache_write %c, %u, %p : tensor<1x2x8x4x!kv>, tensor<1x2x1x4xf32>, tensor<i64>
  return %r : tensor<1x2x8x4x!kv>
}

// -----

func.func @log_softmax_f16(%x: tensor<2x5xf16>) -> tensor<2x5xf16> {
  // expected-error @below {{'qc.log_softmax' op: only f32 log_softmax is lowered}}
  %y = qc.log_softmax %x : tensor<2x5xf16>
  return %y : tensor<2x5xf16>
}

// -----

func.func @instance_norm_f16(%x: tensor<1x2x4xf16>, %g: tensor<2xf16>, %b: tensor<2xf16>) -> tensor<1x2x4xf16> {
  // expected-error @below {{'qc.instance_norm' op: only f32 instance norm is lowered}}
  %y = qc.instance_norm %x, %g, %b : (tensor<1x2x4xf16>, tensor<2xf16>, tensor<2xf16>) -> tensor<1x2x4xf16>
  return %y : tensor<1x2x4xf16>
}

// -----

func.func @mod_i1(%a: tensor<4xi1>, %b: tensor<4xi1>) -> tensor<4xi1> {
  // expected-error @below {{'qc.mod' op: mod of i1 is not lowered}}
  %y = qc.mod %a, %b : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  return %y : tensor<4xi1>
}

// -----

func.func @mod_f64(%a: tensor<4xf64>, %b: tensor<4xf64>) -> tensor<4xf64> {
  // expected-error @below {{'qc.mod' op: only f32 float arithmetic is lowered}}
  %y = qc.mod %a, %b : (tensor<4xf64>, tensor<4xf64>) -> tensor<4xf64>
  return %y : tensor<4xf64>
}

// -----

func.func @sin_f16(%a: tensor<4xf16>) -> tensor<4xf16> {
  // expected-error @below {{'qc.sin' op: only f32 qc.sin is lowered}}
  %y = qc.sin %a : tensor<4xf16>
  return %y : tensor<4xf16>
}
