// RUN: quant-opt %s | quant-opt | FileCheck %s
// RUN: quant-opt %s -mlir-print-op-generic | quant-opt | FileCheck %s

// CHECK-LABEL: func @linear_forms
func.func @linear_forms(%x: tensor<2x3x64xf32>, %w: tensor<10x64xf32>, %b: tensor<10xf32>,
                        %wq: tensor<10x64x!quant.uniform<i4:f32:{0:1, 1:32}, {{0.1, 0.1}, {0.1, 0.1}, {0.1, 0.1}, {0.1, 0.1}, {0.1, 0.1}, {0.1, 0.1}, {0.1, 0.1}, {0.1, 0.1}, {0.1, 0.1}, {0.1, 0.1}}>>) {
  // CHECK: qc.linear %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x3x64xf32>, tensor<10x64xf32>, tensor<10xf32>) -> tensor<2x3x10xf32>
  %0 = qc.linear %x, %w, %b : (tensor<2x3x64xf32>, tensor<10x64xf32>, tensor<10xf32>) -> tensor<2x3x10xf32>
  // CHECK: qc.linear %{{.*}}, %{{.*}} : (tensor<2x3x64xf32>, tensor<10x64xf32>) -> tensor<2x3x10xf32>
  %1 = qc.linear %x, %w : (tensor<2x3x64xf32>, tensor<10x64xf32>) -> tensor<2x3x10xf32>
  // CHECK: qc.linear %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x3x64xf32>, tensor<10x64x!quant.uniform<i4:f32:{0:1, 1:32}
  %2 = qc.linear %x, %wq, %b : (tensor<2x3x64xf32>, tensor<10x64x!quant.uniform<i4:f32:{0:1, 1:32}, {{0.1, 0.1}, {0.1, 0.1}, {0.1, 0.1}, {0.1, 0.1}, {0.1, 0.1}, {0.1, 0.1}, {0.1, 0.1}, {0.1, 0.1}, {0.1, 0.1}, {0.1, 0.1}}>>, tensor<10xf32>) -> tensor<2x3x10xf32>
  return
}

// CHECK-LABEL: func @linear_integer_bias
func.func @linear_integer_bias(%x: tensor<4x8x!quant.uniform<u8:f32, 0.5:128>>, %w: tensor<2x8x!quant.uniform<i8<-127:127>:f32:0, {0.1, 0.2}>>, %b: tensor<2x!quant.uniform<i32:f32:0, {0.05, 0.1}>>) -> tensor<4x2x!quant.uniform<u8:f32, 0.25:100>> {
  // CHECK: qc.linear %{{.*}}, %{{.*}}, %{{.*}} : (tensor<4x8x!quant.uniform<u8:f32, 5.000000e-01:128>>
  %0 = qc.linear %x, %w, %b : (tensor<4x8x!quant.uniform<u8:f32, 0.5:128>>, tensor<2x8x!quant.uniform<i8<-127:127>:f32:0, {0.1, 0.2}>>, tensor<2x!quant.uniform<i32:f32:0, {0.05, 0.1}>>) -> tensor<4x2x!quant.uniform<u8:f32, 0.25:100>>
  return %0 : tensor<4x2x!quant.uniform<u8:f32, 0.25:100>>
}
