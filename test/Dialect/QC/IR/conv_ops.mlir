// RUN: quant-opt %s | quant-opt | FileCheck %s
// RUN: quant-opt %s -mlir-print-op-generic | quant-opt | FileCheck %s

// CHECK-LABEL: func @conv2d_forms
func.func @conv2d_forms(%x: tensor<1x3x32x32xf32>, %w: tensor<8x3x3x3xf32>, %b: tensor<8xf32>, %dw: tensor<6x1x3x3xf32>, %x6: tensor<1x3x7x9xf32>) {
  // CHECK: qc.conv2d %{{.*}}, %{{.*}}, %{{.*}} {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x32x32xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<1x8x32x32xf32>
  %0 = qc.conv2d %x, %w, %b {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x32x32xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<1x8x32x32xf32>
  // CHECK: qc.conv2d %{{.*}}, %{{.*}} {strides = array<i64: 2, 2>} : (tensor<1x3x32x32xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x15x15xf32>
  %1 = qc.conv2d %x, %w {strides = array<i64: 2, 2>} : (tensor<1x3x32x32xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x15x15xf32>
  // Depthwise with a channel multiplier of 2.
  // CHECK: qc.conv2d %{{.*}}, %{{.*}} {groups = 3 : i64, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x32x32xf32>, tensor<6x1x3x3xf32>) -> tensor<1x6x32x32xf32>
  %2 = qc.conv2d %x, %dw {groups = 3 : i64, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x32x32xf32>, tensor<6x1x3x3xf32>) -> tensor<1x6x32x32xf32>
  // Dilation 2, asymmetric pads, stride 2: OH = (7+0+1-4-1)/2+1 = 2, OW = (9+2+0-4-1)/2+1 = 4.
  // CHECK: qc.conv2d {{.*}} -> tensor<1x8x2x4xf32>
  %3 = qc.conv2d %x6, %w {strides = array<i64: 2, 2>, dilations = array<i64: 2, 2>, pads = array<i64: 0, 2, 1, 0>} : (tensor<1x3x7x9xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x2x4xf32>
  return
}

// CHECK-LABEL: func @conv2d_integer
func.func @conv2d_integer(%x: tensor<1x3x8x8x!quant.uniform<i8:f32, 0.02:-128>>, %w: tensor<4x3x3x3x!quant.uniform<i8<-127:127>:f32:0, {0.1, 0.2, 0.3, 0.4}>>, %b: tensor<4x!quant.uniform<i32:f32:0, {0.002, 0.004, 0.006, 0.008}>>) -> tensor<1x4x6x6x!quant.uniform<i8:f32, 0.05:-10>> {
  // CHECK: qc.conv2d {{.*}} -> tensor<1x4x6x6x!quant.uniform<i8:f32, 5.000000e-02:-10>>
  %0 = qc.conv2d %x, %w, %b : (tensor<1x3x8x8x!quant.uniform<i8:f32, 0.02:-128>>, tensor<4x3x3x3x!quant.uniform<i8<-127:127>:f32:0, {0.1, 0.2, 0.3, 0.4}>>, tensor<4x!quant.uniform<i32:f32:0, {0.002, 0.004, 0.006, 0.008}>>) -> tensor<1x4x6x6x!quant.uniform<i8:f32, 0.05:-10>>
  return %0 : tensor<1x4x6x6x!quant.uniform<i8:f32, 0.05:-10>>
}

// CHECK-LABEL: func @conv_transpose2d
func.func @conv_transpose2d(%x: tensor<1x8x16x16xf32>, %w: tensor<8x4x2x2xf32>, %b: tensor<4xf32>, %w3: tensor<8x2x3x3xf32>) {
  // CHECK: qc.conv_transpose2d %{{.*}}, %{{.*}}, %{{.*}} {strides = array<i64: 2, 2>} : (tensor<1x8x16x16xf32>, tensor<8x4x2x2xf32>, tensor<4xf32>) -> tensor<1x4x32x32xf32>
  %0 = qc.conv_transpose2d %x, %w, %b {strides = array<i64: 2, 2>} : (tensor<1x8x16x16xf32>, tensor<8x4x2x2xf32>, tensor<4xf32>) -> tensor<1x4x32x32xf32>
  // OH = 2*(16-1) + 1 + (3-1) + 1 - 1 - 1 = 32; groups 2 doubles the output channels.
  // CHECK: qc.conv_transpose2d {{.*}} -> tensor<1x4x32x32xf32>
  %1 = qc.conv_transpose2d %x, %w3 {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, output_padding = array<i64: 1, 1>, groups = 2 : i64} : (tensor<1x8x16x16xf32>, tensor<8x2x3x3xf32>) -> tensor<1x4x32x32xf32>
  return
}

// i32 accumulators of a per-channel convolution are quantized along the
// result's channel dimension (1), with one scale per output channel.
// CHECK-LABEL: func @conv_i32_accumulators
func.func @conv_i32_accumulators(%x: tensor<1x2x4x4x!quant.uniform<i8:f32, 0.5>>, %w: tensor<3x2x1x1x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3}>>, %wt: tensor<2x2x1x1x!quant.uniform<i8:f32:1, {0.1, 0.2}>>) {
  // CHECK: qc.conv2d {{.*}} -> tensor<1x3x4x4x!quant.uniform<i32:f32:1, {5.000000e-02,1.000000e-01,1.500000e-01}>>
  %0 = qc.conv2d %x, %w : (tensor<1x2x4x4x!quant.uniform<i8:f32, 0.5>>, tensor<3x2x1x1x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3}>>) -> tensor<1x3x4x4x!quant.uniform<i32:f32:1, {0.05, 0.1, 0.15}>>
  // Two groups of one input channel each: the two weight scales repeat per group.
  // CHECK: qc.conv_transpose2d {{.*}} -> tensor<1x4x4x4x!quant.uniform<i32:f32:1, {5.000000e-02,1.000000e-01,5.000000e-02,1.000000e-01}>>
  %1 = qc.conv_transpose2d %x, %wt {groups = 2 : i64} : (tensor<1x2x4x4x!quant.uniform<i8:f32, 0.5>>, tensor<2x2x1x1x!quant.uniform<i8:f32:1, {0.1, 0.2}>>) -> tensor<1x4x4x4x!quant.uniform<i32:f32:1, {0.05, 0.1, 0.05, 0.1}>>
  return
}
