// RUN: quant-opt %s -split-input-file -verify-diagnostics --qc-fake-quant | FileCheck %s

// CHECK-LABEL: func @ranges_to_types
func.func @ranges_to_types(%x: tensor<2x64xf32>, %w: tensor<4x64xf32>) -> (tensor<2x64xf32>, tensor<4x64xf32>, tensor<4x64xf32>, tensor<2x64xf32>, tensor<2x64xf32>) {
  // Asymmetric int8 over [-1, 3]: scale 4/255, zero point round(-128 + 1/scale) = -64.
  // CHECK: qc.fake_quant %arg0 {quant_type = !quant.uniform<i8:f32, 0.015686275437474251:-64>}
  %0 = qc.observe %x {storage = i8, min = array<f64: -1.0>, max = array<f64: 3.0>} : tensor<2x64xf32>
  // Symmetric narrow int8 per channel: scale max|r| / 127.
  // CHECK: qc.fake_quant %arg1 {quant_type = !quant.uniform<i8<-127:127>:f32:0, {0.0078740157186985015,0.015748031437397003,0.023622047156095505,0.031496062874794006}>}
  %1 = qc.observe %w {storage = i8, symmetric, narrow_range, axis = 0 : i64, min = array<f64: -1.0, -2.0, -3.0, -4.0>, max = array<f64: 0.5, 1.0, 1.5, 2.0>} : tensor<4x64xf32>
  // Groups of 32 along dimension 1: a sub-channel type with a 4x2 scale tensor.
  // CHECK: qc.fake_quant %arg1 {quant_type = !quant.uniform<i4<-7:7>:f32:{0:1, 1:32}, {{[{][{]}}0.142857149, 0.285714298}, {0.428571433, 0.571428597}, {0.714285731, 0.857142865}, {1.000000e+00, 1.14285719{{[}][}]}}>}
  %2 = qc.observe %w {storage = i4, symmetric, narrow_range, axis = 0 : i64, block_axis = 1 : i64, block_size = 32 : i64, min = array<f64: -1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -7.0, -8.0>, max = array<f64: 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0>} : tensor<4x64xf32>
  // Dynamic observers stay for qc-fold-fake-quant; statistics-only ones go.
  // CHECK: qc.observe %arg0 {dynamic, storage = i8, symmetric}
  %3 = qc.observe %x {storage = i8, symmetric, dynamic} : tensor<2x64xf32>
  // CHECK-NOT: qc.observe
  %4 = qc.observe %x {name = "stats only", min = array<f64: 0.0>, max = array<f64: 1.0>} : tensor<2x64xf32>
  return %0, %1, %2, %3, %4 : tensor<2x64xf32>, tensor<4x64xf32>, tensor<4x64xf32>, tensor<2x64xf32>, tensor<2x64xf32>
}

// -----

func.func @uncalibrated(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{cannot fake-quantize 'act': the observer has not been calibrated}}
  %0 = qc.observe %x {name = "act", storage = i8} : tensor<4xf32>
  return %0 : tensor<4xf32>
}
