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

{-#
  dialect_resources: {
    builtin: {
      w0: "0x040000000000803F00000040"
    }
  }
#-}
