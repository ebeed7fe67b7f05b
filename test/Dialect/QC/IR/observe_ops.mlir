// RUN: quant-opt %s | quant-opt | FileCheck %s
// RUN: quant-opt %s -mlir-print-op-generic | quant-opt | FileCheck %s

// CHECK-LABEL: func @observe
func.func @observe(%x: tensor<1x8xf32>, %w: tensor<2x16xf32>) -> (tensor<1x8xf32>, tensor<2x16xf32>) {
  // CHECK: qc.observe %{{.*}} {name = "act"} : tensor<1x8xf32>
  %0 = qc.observe %x {name = "act"} : tensor<1x8xf32>
  // CHECK: qc.observe %{{.*}} {axis = 0 : i64, max = array<f64: 1.000000e+00, 2.500000e-01>, method = "minmax", min = array<f64: -1.000000e+00, -5.000000e-01>, name = "fc.w"} : tensor<2x16xf32>
  %1 = qc.observe %w {name = "fc.w", axis = 0 : i64, min = array<f64: -1.0, -0.5>, max = array<f64: 1.0, 0.25>, method = "minmax"} : tensor<2x16xf32>
  return %0, %1 : tensor<1x8xf32>, tensor<2x16xf32>
}

// CHECK-LABEL: func @observe_targets
// CHECK: qc.observe %{{.*}} {axis = 0 : i64, block_axis = 1 : i64, block_size = 32 : i64, max = array<f64: 1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00>, min = array<f64: -1.000000e+00, -2.000000e+00, -3.000000e+00, -4.000000e+00>, name = "w", narrow_range, storage = i4, symmetric}
// CHECK: qc.observe %{{.*}} {axis = 0 : i64, dynamic, storage = i8, symmetric}
func.func @observe_targets(%w: tensor<2x64xf32>, %x: tensor<3x64xf32>) -> (tensor<2x64xf32>, tensor<3x64xf32>) {
  %0 = qc.observe %w {name = "w", storage = i4, symmetric, narrow_range, axis = 0 : i64, block_axis = 1 : i64, block_size = 32 : i64, min = array<f64: -1.0, -2.0, -3.0, -4.0>, max = array<f64: 1.0, 2.0, 3.0, 4.0>} : tensor<2x64xf32>
  %1 = qc.observe %x {storage = i8, symmetric, axis = 0 : i64, dynamic} : tensor<3x64xf32>
  return %0, %1 : tensor<2x64xf32>, tensor<3x64xf32>
}
