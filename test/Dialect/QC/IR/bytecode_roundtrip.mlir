// Properties (enums, dense arrays, type attributes holding quantized types)
// survive MLIR bytecode.
// RUN: quant-opt %s -emit-bytecode | quant-opt | FileCheck %s

// CHECK-LABEL: func @bytecode
func.func @bytecode(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %v: tensor<2x64xf32>) -> (tensor<1x4x6x6xf32>, tensor<2x64xf32>) {
  // CHECK: qc.conv2d %{{.*}}, %{{.*}} {dilations = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>} : {{.*}} -> tensor<1x4x6x6xf32>
  %0 = qc.conv2d %x, %w {pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 2, 2>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  // CHECK: qc.gelu %{{.*}} {approximate = #qc<gelu_approx tanh>}
  %1 = qc.gelu %0 {approximate = #qc<gelu_approx tanh>} : tensor<1x4x6x6xf32>
  // CHECK: qc.observe %{{.*}} {axis = 1 : i64, max = array<f64: 1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00>, method = "percentile", min = array<f64: 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00>, name = "conv.out"}
  %2 = qc.observe %1 {name = "conv.out", axis = 1 : i64, min = array<f64: 0.0, 0.0, 0.0, 0.0>, max = array<f64: 1.0, 2.0, 3.0, 4.0>, method = "percentile"} : tensor<1x4x6x6xf32>
  // CHECK: qc.fake_quant %{{.*}} {quant_type = !quant.uniform<i4:f32:{0:1, 1:32}, {{\{\{}}1.000000e-01, 2.000000e-01}, {3.000000e-01, 4.000000e-01}}>}
  %3 = qc.fake_quant %v {quant_type = !quant.uniform<i4:f32:{0:1, 1:32}, {{0.1, 0.2}, {0.3, 0.4}}>} : tensor<2x64xf32>
  return %2, %3 : tensor<1x4x6x6xf32>, tensor<2x64xf32>
}
