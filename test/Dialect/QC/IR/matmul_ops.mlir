// RUN: quant-opt %s | quant-opt | FileCheck %s
// RUN: quant-opt %s -mlir-print-op-generic | quant-opt | FileCheck %s

// CHECK-LABEL: func @matmul_forms
func.func @matmul_forms(%a: tensor<2x4x8xf32>, %b: tensor<8x16xf32>, %v: tensor<8xf32>, %m: tensor<3x1x4x8xf32>, %n: tensor<5x8x2xf32>) {
  // CHECK: qc.matmul %{{.*}}, %{{.*}} : (tensor<2x4x8xf32>, tensor<8x16xf32>) -> tensor<2x4x16xf32>
  %0 = qc.matmul %a, %b : (tensor<2x4x8xf32>, tensor<8x16xf32>) -> tensor<2x4x16xf32>
  // CHECK: qc.matmul %{{.*}}, %{{.*}} : (tensor<8xf32>, tensor<8x16xf32>) -> tensor<16xf32>
  %1 = qc.matmul %v, %b : (tensor<8xf32>, tensor<8x16xf32>) -> tensor<16xf32>
  // CHECK: qc.matmul %{{.*}}, %{{.*}} : (tensor<2x4x8xf32>, tensor<8xf32>) -> tensor<2x4xf32>
  %2 = qc.matmul %a, %v : (tensor<2x4x8xf32>, tensor<8xf32>) -> tensor<2x4xf32>
  // CHECK: qc.matmul %{{.*}}, %{{.*}} : (tensor<8xf32>, tensor<8xf32>) -> tensor<f32>
  %3 = qc.matmul %v, %v : (tensor<8xf32>, tensor<8xf32>) -> tensor<f32>
  // CHECK: qc.matmul %{{.*}}, %{{.*}} : (tensor<3x1x4x8xf32>, tensor<5x8x2xf32>) -> tensor<3x5x4x2xf32>
  %4 = qc.matmul %m, %n : (tensor<3x1x4x8xf32>, tensor<5x8x2xf32>) -> tensor<3x5x4x2xf32>
  return
}

// CHECK-LABEL: func @matmul_dynamic
func.func @matmul_dynamic(%a: tensor<?x8xf32>, %b: tensor<8x?xf32>) -> tensor<?x?xf32> {
  // CHECK: qc.matmul %{{.*}}, %{{.*}} : (tensor<?x8xf32>, tensor<8x?xf32>) -> tensor<?x?xf32>
  %0 = qc.matmul %a, %b : (tensor<?x8xf32>, tensor<8x?xf32>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// Weight-only: float activations, 4-bit weights in blocks of 32 along K.
// CHECK-LABEL: func @matmul_weight_only
func.func @matmul_weight_only(%x: tensor<4x64xf32>, %w: tensor<64x2x!quant.uniform<i4:f32:{0:32, 1:1}, {{0.1, 0.2}, {0.3, 0.4}}>>) -> tensor<4x2xf32> {
  // CHECK: qc.matmul %{{.*}}, %{{.*}} : (tensor<4x64xf32>, tensor<64x2x!quant.uniform<i4:f32:{0:32, 1:1}
  %0 = qc.matmul %x, %w : (tensor<4x64xf32>, tensor<64x2x!quant.uniform<i4:f32:{0:32, 1:1}, {{0.1, 0.2}, {0.3, 0.4}}>>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// Integer: int8 x int8 per-channel, i32 accumulators with scale s_x * s_w.
// CHECK-LABEL: func @matmul_integer
func.func @matmul_integer(%x: tensor<4x8x!quant.uniform<i8:f32, 0.5:-3>>, %w: tensor<8x2x!quant.uniform<i8:f32:1, {0.1, 0.2}>>) -> (tensor<4x2x!quant.uniform<i32:f32:1, {0.05, 0.1}>>, tensor<4x2x!quant.uniform<i8:f32, 0.25:1>>, tensor<4x2xf32>) {
  // CHECK: qc.matmul {{.*}} -> tensor<4x2x!quant.uniform<i32:f32:1, {5.000000e-02,1.000000e-01}>>
  %0 = qc.matmul %x, %w : (tensor<4x8x!quant.uniform<i8:f32, 0.5:-3>>, tensor<8x2x!quant.uniform<i8:f32:1, {0.1, 0.2}>>) -> tensor<4x2x!quant.uniform<i32:f32:1, {0.05, 0.1}>>
  // CHECK: qc.matmul {{.*}} -> tensor<4x2x!quant.uniform<i8:f32, 2.500000e-01:1>>
  %1 = qc.matmul %x, %w : (tensor<4x8x!quant.uniform<i8:f32, 0.5:-3>>, tensor<8x2x!quant.uniform<i8:f32:1, {0.1, 0.2}>>) -> tensor<4x2x!quant.uniform<i8:f32, 0.25:1>>
  // CHECK: qc.matmul {{.*}} -> tensor<4x2xf32>
  %2 = qc.matmul %x, %w : (tensor<4x8x!quant.uniform<i8:f32, 0.5:-3>>, tensor<8x2x!quant.uniform<i8:f32:1, {0.1, 0.2}>>) -> tensor<4x2xf32>
  return %0, %1, %2 : tensor<4x2x!quant.uniform<i32:f32:1, {0.05, 0.1}>>, tensor<4x2x!quant.uniform<i8:f32, 0.25:1>>, tensor<4x2xf32>
}
