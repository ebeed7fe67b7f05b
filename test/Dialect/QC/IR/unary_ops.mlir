// RUN: quant-opt %s | quant-opt | FileCheck %s
// RUN: quant-opt %s -mlir-print-op-generic | quant-opt | FileCheck %s

// CHECK-LABEL: func @unary
func.func @unary(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // CHECK: qc.relu %{{.*}} : tensor<2x8xf32>
  %0 = qc.relu %x : tensor<2x8xf32>
  // CHECK: qc.sigmoid %{{.*}} : tensor<2x8xf32>
  %1 = qc.sigmoid %0 : tensor<2x8xf32>
  // CHECK: qc.tanh %{{.*}} : tensor<2x8xf32>
  %2 = qc.tanh %1 : tensor<2x8xf32>
  // CHECK: qc.silu %{{.*}} : tensor<2x8xf32>
  %3 = qc.silu %2 : tensor<2x8xf32>
  // CHECK: qc.hardswish %{{.*}} : tensor<2x8xf32>
  %4 = qc.hardswish %3 : tensor<2x8xf32>
  // CHECK: qc.softplus %{{.*}} : tensor<2x8xf32>
  %5 = qc.softplus %4 : tensor<2x8xf32>
  // CHECK: qc.exp %{{.*}} : tensor<2x8xf32>
  %6 = qc.exp %5 : tensor<2x8xf32>
  // CHECK: qc.log %{{.*}} : tensor<2x8xf32>
  %7 = qc.log %6 : tensor<2x8xf32>
  // CHECK: qc.sqrt %{{.*}} : tensor<2x8xf32>
  %8 = qc.sqrt %7 : tensor<2x8xf32>
  // CHECK: qc.rsqrt %{{.*}} : tensor<2x8xf32>
  %9 = qc.rsqrt %8 : tensor<2x8xf32>
  // CHECK: qc.reciprocal %{{.*}} : tensor<2x8xf32>
  %10 = qc.reciprocal %9 : tensor<2x8xf32>
  // CHECK: qc.erf %{{.*}} : tensor<2x8xf32>
  %11 = qc.erf %10 : tensor<2x8xf32>
  // CHECK: qc.sin %{{.*}} : tensor<2x8xf32>
  %12 = qc.sin %11 : tensor<2x8xf32>
  // CHECK: qc.cos %{{.*}} : tensor<2x8xf32>
  %13 = qc.cos %12 : tensor<2x8xf32>
  // CHECK: qc.floor %{{.*}} : tensor<2x8xf32>
  %14 = qc.floor %13 : tensor<2x8xf32>
  // CHECK: qc.ceil %{{.*}} : tensor<2x8xf32>
  %15 = qc.ceil %14 : tensor<2x8xf32>
  // CHECK: qc.round %{{.*}} : tensor<2x8xf32>
  %16 = qc.round %15 : tensor<2x8xf32>
  // CHECK: qc.neg %{{.*}} : tensor<2x8xf32>
  %17 = qc.neg %16 : tensor<2x8xf32>
  // CHECK: qc.abs %{{.*}} : tensor<2x8xf32>
  %18 = qc.abs %17 : tensor<2x8xf32>
  // CHECK: qc.sign %{{.*}} : tensor<2x8xf32>
  %19 = qc.sign %18 : tensor<2x8xf32>
  return %19 : tensor<2x8xf32>
}

// CHECK-LABEL: func @int_unary
func.func @int_unary(%x: tensor<4xi64>, %b: tensor<4xi1>) -> (tensor<4xi64>, tensor<4xi1>) {
  // CHECK: qc.neg %{{.*}} : tensor<4xi64>
  %0 = qc.neg %x : tensor<4xi64>
  // CHECK: qc.abs %{{.*}} : tensor<4xi64>
  %1 = qc.abs %0 : tensor<4xi64>
  // CHECK: qc.relu %{{.*}} : tensor<4xi64>
  %2 = qc.relu %1 : tensor<4xi64>
  // CHECK: qc.not %{{.*}} : tensor<4xi1>
  %3 = qc.not %b : tensor<4xi1>
  return %2, %3 : tensor<4xi64>, tensor<4xi1>
}

// CHECK-LABEL: func @activations_with_attrs
func.func @activations_with_attrs(%x: tensor<8xf32>) -> tensor<8xf32> {
  // CHECK: qc.gelu %{{.*}} : tensor<8xf32>
  %0 = qc.gelu %x : tensor<8xf32>
  // CHECK: qc.gelu %{{.*}} {approximate = #qc<gelu_approx tanh>} : tensor<8xf32>
  %1 = qc.gelu %0 {approximate = #qc<gelu_approx tanh>} : tensor<8xf32>
  // CHECK: qc.leaky_relu %{{.*}} {alpha = 1.000000e-01 : f64} : tensor<8xf32>
  %2 = qc.leaky_relu %1 {alpha = 0.1 : f64} : tensor<8xf32>
  // CHECK: qc.elu %{{.*}} : tensor<8xf32>
  %3 = qc.elu %2 : tensor<8xf32>
  // CHECK: qc.hardsigmoid %{{.*}} {alpha = 0.16666666666666666 : f64} : tensor<8xf32>
  %4 = qc.hardsigmoid %3 {alpha = 0.16666666666666666 : f64, beta = 0.5 : f64} : tensor<8xf32>
  // CHECK: qc.clip %{{.*}} {max = 6.000000e+00 : f64, min = 0.000000e+00 : f64} : tensor<8xf32>
  %5 = qc.clip %4 {min = 0.0 : f64, max = 6.0 : f64} : tensor<8xf32>
  // CHECK: qc.clip %{{.*}} {max = 1.000000e+00 : f64} : tensor<8xf32>
  %6 = qc.clip %5 {max = 1.0 : f64} : tensor<8xf32>
  return %6 : tensor<8xf32>
}

// CHECK-LABEL: func @cast
func.func @cast(%x: tensor<4xi64>) -> tensor<4xi1> {
  // CHECK: qc.cast %{{.*}} : tensor<4xi64> -> tensor<4xf32>
  %0 = qc.cast %x : tensor<4xi64> -> tensor<4xf32>
  // CHECK: qc.cast %{{.*}} : tensor<4xf32> -> tensor<4xi1>
  %1 = qc.cast %0 : tensor<4xf32> -> tensor<4xi1>
  return %1 : tensor<4xi1>
}
