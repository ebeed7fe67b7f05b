// RUN: quant-opt %s | quant-opt | FileCheck %s
// RUN: quant-opt %s -mlir-print-op-generic | quant-opt | FileCheck %s

// CHECK-LABEL: func @constants
func.func @constants() -> (tensor<2xf32>, tensor<1x2x!quant.uniform<i8:f32, 5.000000e-01>>, tensor<2x2x!quant.uniform<i4:f32:0, {1.000000e-01,2.000000e-01}>>) {
  // CHECK: qc.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
  %0 = qc.constant dense<[1.0, 2.0]> : tensor<2xf32>
  // CHECK: qc.constant dense<{{\[\[}}-3, 7]]> : tensor<1x2xi8> -> tensor<1x2x!quant.uniform<i8:f32, 5.000000e-01>>
  %1 = qc.constant dense<[[-3, 7]]> : tensor<1x2xi8> -> tensor<1x2x!quant.uniform<i8:f32, 0.5>>
  // CHECK: qc.constant dense<{{\[\[}}-8, 7], [0, 1]]> : tensor<2x2xi4> -> tensor<2x2x!quant.uniform<i4:f32:0, {1.000000e-01,2.000000e-01}>>
  %2 = qc.constant dense<[[-8, 7], [0, 1]]> : tensor<2x2xi4> -> tensor<2x2x!quant.uniform<i4:f32:0, {0.1, 0.2}>>
  return %0, %1, %2 : tensor<2xf32>, tensor<1x2x!quant.uniform<i8:f32, 5.000000e-01>>, tensor<2x2x!quant.uniform<i4:f32:0, {1.000000e-01,2.000000e-01}>>
}

// CHECK-LABEL: func @resource_constant
func.func @resource_constant() -> tensor<2xf32> {
  // CHECK: qc.constant dense_resource<w0> : tensor<2xf32>
  %0 = qc.constant dense_resource<w0> : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// CHECK-LABEL: func @observe
func.func @observe(%x: tensor<1x8xf32>, %w: tensor<2x16xf32>) -> (tensor<1x8xf32>, tensor<2x16xf32>) {
  // CHECK: qc.observe %{{.*}} {name = "act"} : tensor<1x8xf32>
  %0 = qc.observe %x {name = "act"} : tensor<1x8xf32>
  // CHECK: qc.observe %{{.*}} {axis = 0 : i64, max = array<f64: 1.000000e+00, 2.500000e-01>, method = "minmax", min = array<f64: -1.000000e+00, -5.000000e-01>, name = "fc.w"} : tensor<2x16xf32>
  %1 = qc.observe %w {name = "fc.w", axis = 0 : i64, min = array<f64: -1.0, -0.5>, max = array<f64: 1.0, 0.25>, method = "minmax"} : tensor<2x16xf32>
  return %0, %1 : tensor<1x8xf32>, tensor<2x16xf32>
}

// CHECK-LABEL: func @fake_quant
func.func @fake_quant(%x: tensor<4x8xf32>, %v: tensor<2x8xf32>, %u: tensor<2x64xf32>) -> (tensor<4x8xf32>, tensor<2x8xf32>, tensor<2x64xf32>) {
  // CHECK: qc.fake_quant %{{.*}} {quant_type = !quant.uniform<i8:f32, 1.000000e-01:-3>} : tensor<4x8xf32>
  %0 = qc.fake_quant %x {quant_type = !quant.uniform<i8:f32, 0.1:-3>} : tensor<4x8xf32>
  // CHECK: qc.fake_quant %{{.*}} {quant_type = !quant.uniform<i8<-127:127>:f32:0, {1.000000e-01,2.000000e-01}>} : tensor<2x8xf32>
  %1 = qc.fake_quant %v {quant_type = !quant.uniform<i8<-127:127>:f32:0, {0.1, 0.2}>} : tensor<2x8xf32>
  // CHECK: qc.fake_quant %{{.*}} {quant_type = !quant.uniform<i4:f32:{0:1, 1:32}, {{\{\{}}1.000000e-01, 2.000000e-01}, {3.000000e-01, 4.000000e-01}}>} : tensor<2x64xf32>
  %2 = qc.fake_quant %u {quant_type = !quant.uniform<i4:f32:{0:1, 1:32}, {{0.1, 0.2}, {0.3, 0.4}}>} : tensor<2x64xf32>
  return %0, %1, %2 : tensor<4x8xf32>, tensor<2x8xf32>, tensor<2x64xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w0: "0x040000000000803F00000040"
    }
  }
#-}
