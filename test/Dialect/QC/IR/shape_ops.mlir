// RUN: quant-opt %s | quant-opt | FileCheck %s
// RUN: quant-opt %s -mlir-print-op-generic | quant-opt | FileCheck %s

// Round trip of every shape op, with float, integer, quantized (per-tensor
// and per-axis) and dynamic forms.

// CHECK-LABEL: func @reshape
func.func @reshape(%x: tensor<2x3x4xf32>, %d: tensor<?x4xf32>,
                   %q: tensor<2x3x!quant.uniform<i8:f32, 0.5:3>>,
                   %p: tensor<4x2x3x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3, 0.4}>>) {
  // CHECK: qc.reshape %{{.*}} : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %0 = qc.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  // CHECK: qc.reshape %{{.*}} : tensor<2x3x4xf32> -> tensor<24xf32>
  %1 = qc.reshape %x : tensor<2x3x4xf32> -> tensor<24xf32>
  // CHECK: qc.reshape %{{.*}} : tensor<?x4xf32> -> tensor<?x2x2xf32>
  %2 = qc.reshape %d : tensor<?x4xf32> -> tensor<?x2x2xf32>
  // CHECK: qc.reshape %{{.*}} : tensor<2x3x!quant.uniform<i8:f32, 5.000000e-01:3>> -> tensor<6x!quant.uniform<i8:f32, 5.000000e-01:3>>
  %3 = qc.reshape %q : tensor<2x3x!quant.uniform<i8:f32, 0.5:3>> -> tensor<6x!quant.uniform<i8:f32, 0.5:3>>
  // The per-axis dimension survives a reshape of the other dimensions.
  // CHECK: qc.reshape %{{.*}} : tensor<4x2x3x!quant.uniform<i8:f32:0, {{.*}}>> -> tensor<1x4x6x!quant.uniform<i8:f32:1, {{.*}}>>
  %4 = qc.reshape %p : tensor<4x2x3x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3, 0.4}>> -> tensor<1x4x6x!quant.uniform<i8:f32:1, {0.1, 0.2, 0.3, 0.4}>>
  return
}

// CHECK-LABEL: func @reshape_scalar
func.func @reshape_scalar(%x: tensor<1x1xi64>) -> tensor<i64> {
  // CHECK: qc.reshape %{{.*}} : tensor<1x1xi64> -> tensor<i64>
  %0 = qc.reshape %x : tensor<1x1xi64> -> tensor<i64>
  return %0 : tensor<i64>
}

// CHECK-LABEL: func @transpose
func.func @transpose(%x: tensor<1x8x4x5xf32>, %d: tensor<?x3xi32>,
                     %p: tensor<4x2x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3, 0.4}>>) {
  // CHECK: qc.transpose %{{.*}} {perm = array<i64: 0, 2, 3, 1>} : tensor<1x8x4x5xf32> -> tensor<1x4x5x8xf32>
  %0 = qc.transpose %x {perm = array<i64: 0, 2, 3, 1>} : tensor<1x8x4x5xf32> -> tensor<1x4x5x8xf32>
  // CHECK: qc.transpose %{{.*}} {perm = array<i64: 1, 0>} : tensor<?x3xi32> -> tensor<3x?xi32>
  %1 = qc.transpose %d {perm = array<i64: 1, 0>} : tensor<?x3xi32> -> tensor<3x?xi32>
  // The per-axis quantized dimension follows the permutation.
  // CHECK: qc.transpose %{{.*}} {perm = array<i64: 1, 0>} : tensor<4x2x!quant.uniform<i8:f32:0, {{.*}}>> -> tensor<2x4x!quant.uniform<i8:f32:1, {{.*}}>>
  %2 = qc.transpose %p {perm = array<i64: 1, 0>} : tensor<4x2x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3, 0.4}>> -> tensor<2x4x!quant.uniform<i8:f32:1, {0.1, 0.2, 0.3, 0.4}>>
  return
}

// CHECK-LABEL: func @concat
func.func @concat(%a: tensor<2x3xf32>, %b: tensor<2x5xf32>, %c: tensor<?x3xf32>,
                  %q: tensor<4x!quant.uniform<u8:f32, 0.1:128>>) {
  // CHECK: qc.concat %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x5xf32>) -> tensor<2x8xf32>
  %0 = qc.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x5xf32>) -> tensor<2x8xf32>
  // CHECK: qc.concat %{{.*}}, %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<2x3xf32>, tensor<?x3xf32>, tensor<2x3xf32>) -> tensor<?x3xf32>
  %1 = qc.concat %a, %c, %a {axis = 0 : i64} : (tensor<2x3xf32>, tensor<?x3xf32>, tensor<2x3xf32>) -> tensor<?x3xf32>
  // CHECK: qc.concat %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<4x!quant.uniform<u8:f32, {{.*}}>>, tensor<4x!quant.uniform<u8:f32, {{.*}}>>) -> tensor<8x!quant.uniform<u8:f32, {{.*}}>>
  %2 = qc.concat %q, %q {axis = 0 : i64} : (tensor<4x!quant.uniform<u8:f32, 0.1:128>>, tensor<4x!quant.uniform<u8:f32, 0.1:128>>) -> tensor<8x!quant.uniform<u8:f32, 0.1:128>>
  // CHECK: qc.concat %{{.*}} {axis = 1 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %3 = qc.concat %a {axis = 1 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// CHECK-LABEL: func @slice
func.func @slice(%x: tensor<2x6xf32>, %v: tensor<4xi64>, %d: tensor<?x8xf32>) {
  // CHECK: qc.slice %{{.*}} {offsets = array<i64: 0, 1>, sizes = array<i64: 2, 2>, strides = array<i64: 1, 2>} : tensor<2x6xf32> -> tensor<2x2xf32>
  %0 = qc.slice %x {offsets = array<i64: 0, 1>, sizes = array<i64: 2, 2>, strides = array<i64: 1, 2>} : tensor<2x6xf32> -> tensor<2x2xf32>
  // CHECK: qc.slice %{{.*}} {offsets = array<i64: 3>, sizes = array<i64: 4>, strides = array<i64: -1>} : tensor<4xi64> -> tensor<4xi64>
  %1 = qc.slice %v {offsets = array<i64: 3>, sizes = array<i64: 4>, strides = array<i64: -1>} : tensor<4xi64> -> tensor<4xi64>
  // CHECK: qc.slice %{{.*}} {offsets = array<i64: 0, 2>, sizes = array<i64: 1, 0>, strides = array<i64: 1, 1>} : tensor<?x8xf32> -> tensor<1x0xf32>
  %2 = qc.slice %d {offsets = array<i64: 0, 2>, sizes = array<i64: 1, 0>, strides = array<i64: 1, 1>} : tensor<?x8xf32> -> tensor<1x0xf32>
  return
}

// CHECK-LABEL: func @gather
func.func @gather(%table: tensor<1000x64xf32>, %ids: tensor<2x7xi64>,
                  %shape: tensor<4xi64>, %i: tensor<i32>,
                  %p: tensor<10x4x!quant.uniform<i8:f32:1, {0.1, 0.2, 0.3, 0.4}>>) {
  // CHECK: qc.gather %{{.*}}, %{{.*}} : (tensor<1000x64xf32>, tensor<2x7xi64>) -> tensor<2x7x64xf32>
  %0 = qc.gather %table, %ids {axis = 0 : i64} : (tensor<1000x64xf32>, tensor<2x7xi64>) -> tensor<2x7x64xf32>
  // The axis defaults to 0 and is not printed then.
  // CHECK: qc.gather %{{.*}}, %{{.*}} : (tensor<4xi64>, tensor<i32>) -> tensor<i64>
  %1 = qc.gather %shape, %i : (tensor<4xi64>, tensor<i32>) -> tensor<i64>
  // CHECK: qc.gather %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<1000x64xf32>, tensor<i32>) -> tensor<1000xf32>
  %2 = qc.gather %table, %i {axis = 1 : i64} : (tensor<1000x64xf32>, tensor<i32>) -> tensor<1000xf32>
  // Gathering rows keeps per-channel quantization along the columns.
  // CHECK: qc.gather %{{.*}}, %{{.*}} : (tensor<10x4x!quant.uniform<i8:f32:1, {{.*}}>>, tensor<2x7xi64>) -> tensor<2x7x4x!quant.uniform<i8:f32:2, {{.*}}>>
  %3 = qc.gather %p, %ids : (tensor<10x4x!quant.uniform<i8:f32:1, {0.1, 0.2, 0.3, 0.4}>>, tensor<2x7xi64>) -> tensor<2x7x4x!quant.uniform<i8:f32:2, {0.1, 0.2, 0.3, 0.4}>>
  return
}

// CHECK-LABEL: func @pad
func.func @pad(%x: tensor<1x3x8x8xf32>, %i: tensor<4xi8>, %q: tensor<4x!quant.uniform<i8:f32, 0.5:-3>>) {
  // CHECK: qc.pad %{{.*}} {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>} : tensor<1x3x8x8xf32> -> tensor<1x3x10x10xf32>
  %0 = qc.pad %x {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>} : tensor<1x3x8x8xf32> -> tensor<1x3x10x10xf32>
  // CHECK: qc.pad %{{.*}} {mode = #qc<pad_mode reflect>, pads = array<i64: 0, 0, 2, 2, 0, 0, 2, 2>} : tensor<1x3x8x8xf32> -> tensor<1x3x12x12xf32>
  %1 = qc.pad %x {pads = array<i64: 0, 0, 2, 2, 0, 0, 2, 2>, mode = #qc<pad_mode reflect>} : tensor<1x3x8x8xf32> -> tensor<1x3x12x12xf32>
  // Negative pads crop.
  // CHECK: qc.pad %{{.*}} {mode = #qc<pad_mode edge>, pads = array<i64: 0, 0, -1, 3, 0, 0, 2, -2>} : tensor<1x3x8x8xf32> -> tensor<1x3x9x9xf32>
  %2 = qc.pad %x {pads = array<i64: 0, 0, -1, 3, 0, 0, 2, -2>, mode = #qc<pad_mode edge>} : tensor<1x3x8x8xf32> -> tensor<1x3x9x9xf32>
  // CHECK: qc.pad %{{.*}} {mode = #qc<pad_mode wrap>, pads = array<i64: 9, 1>} : tensor<4xi8> -> tensor<14xi8>
  %3 = qc.pad %i {pads = array<i64: 9, 1>, mode = #qc<pad_mode wrap>} : tensor<4xi8> -> tensor<14xi8>
  // CHECK: qc.pad %{{.*}} {pads = array<i64: 1, 0>, value = -1.000000e+00 : f64} : tensor<4xi8> -> tensor<5xi8>
  %4 = qc.pad %i {pads = array<i64: 1, 0>, value = -1.0 : f64} : tensor<4xi8> -> tensor<5xi8>
  // CHECK: qc.pad %{{.*}} {pads = array<i64: 2, 2>} : tensor<4x!quant.uniform<i8:f32, {{.*}}>> -> tensor<8x!quant.uniform<i8:f32, {{.*}}>>
  %5 = qc.pad %q {pads = array<i64: 2, 2>} : tensor<4x!quant.uniform<i8:f32, 0.5:-3>> -> tensor<8x!quant.uniform<i8:f32, 0.5:-3>>
  return
}

// CHECK-LABEL: func @resize
func.func @resize(%x: tensor<1x3x8x8xf32>, %i: tensor<1x1x3x3xi32>, %d: tensor<?x3x8x8xf32>,
                  %q: tensor<1x3x8x8x!quant.uniform<u8:f32, 0.02:128>>) {
  // CHECK: qc.resize %{{.*}} {coordinate_mode = #qc<coordinate_mode asymmetric>, nearest_mode = #qc<nearest_mode floor>, scales = array<f64: 1.000000e+00, 1.000000e+00, 2.000000e+00, 2.000000e+00>} : tensor<1x3x8x8xf32> -> tensor<1x3x16x16xf32>
  %0 = qc.resize %x {mode = #qc<resize_mode nearest>, coordinate_mode = #qc<coordinate_mode asymmetric>, nearest_mode = #qc<nearest_mode floor>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>} : tensor<1x3x8x8xf32> -> tensor<1x3x16x16xf32>
  // CHECK: qc.resize %{{.*}} {mode = #qc<resize_mode linear>} : tensor<1x3x8x8xf32> -> tensor<1x3x12x12xf32>
  %1 = qc.resize %x {mode = #qc<resize_mode linear>} : tensor<1x3x8x8xf32> -> tensor<1x3x12x12xf32>
  // CHECK: qc.resize %{{.*}} {coordinate_mode = #qc<coordinate_mode align_corners>, cubic_coeff_a = -5.000000e-01 : f64, exclude_outside = true, mode = #qc<resize_mode cubic>} : tensor<1x3x8x8xf32> -> tensor<1x3x5x20xf32>
  %2 = qc.resize %x {mode = #qc<resize_mode cubic>, coordinate_mode = #qc<coordinate_mode align_corners>, cubic_coeff_a = -0.5 : f64, exclude_outside = true} : tensor<1x3x8x8xf32> -> tensor<1x3x5x20xf32>
  // floor(3 * 1.5) = 4.
  // CHECK: qc.resize %{{.*}} {scales = array<f64: 1.000000e+00, 1.000000e+00, 1.500000e+00, 1.500000e+00>} : tensor<1x1x3x3xi32> -> tensor<1x1x4x4xi32>
  %3 = qc.resize %i {scales = array<f64: 1.0, 1.0, 1.5, 1.5>} : tensor<1x1x3x3xi32> -> tensor<1x1x4x4xi32>
  // CHECK: qc.resize %{{.*}} {coordinate_mode = #qc<coordinate_mode pytorch_half_pixel>, mode = #qc<resize_mode linear>, scales = {{.*}}} : tensor<?x3x8x8xf32> -> tensor<?x3x4x4xf32>
  %4 = qc.resize %d {mode = #qc<resize_mode linear>, coordinate_mode = #qc<coordinate_mode pytorch_half_pixel>, scales = array<f64: 1.0, 1.0, 0.5, 0.5>} : tensor<?x3x8x8xf32> -> tensor<?x3x4x4xf32>
  // CHECK: qc.resize %{{.*}} {coordinate_mode = #qc<coordinate_mode half_pixel_symmetric>, mode = #qc<resize_mode linear>} : tensor<1x3x8x8x!quant.uniform<u8:f32, {{.*}}>> -> tensor<1x3x16x16x!quant.uniform<u8:f32, {{.*}}>>
  %5 = qc.resize %q {mode = #qc<resize_mode linear>, coordinate_mode = #qc<coordinate_mode half_pixel_symmetric>} : tensor<1x3x8x8x!quant.uniform<u8:f32, 0.02:128>> -> tensor<1x3x16x16x!quant.uniform<u8:f32, 0.02:128>>
  // CHECK: qc.resize %{{.*}} {nearest_mode = #qc<nearest_mode round_prefer_ceil>} : tensor<1x3x8x8xf32> -> tensor<1x3x3x3xf32>
  %6 = qc.resize %x {nearest_mode = #qc<nearest_mode round_prefer_ceil>} : tensor<1x3x8x8xf32> -> tensor<1x3x3x3xf32>
  return
}

// CHECK-LABEL: func @expand
func.func @expand(%x: tensor<3x1xf32>, %s: tensor<i64>, %d: tensor<?x1xf32>,
                  %p: tensor<4x1x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3, 0.4}>>) {
  // CHECK: qc.expand %{{.*}} : tensor<3x1xf32> -> tensor<2x3x4xf32>
  %0 = qc.expand %x : tensor<3x1xf32> -> tensor<2x3x4xf32>
  // CHECK: qc.expand %{{.*}} : tensor<i64> -> tensor<5xi64>
  %1 = qc.expand %s : tensor<i64> -> tensor<5xi64>
  // CHECK: qc.expand %{{.*}} : tensor<?x1xf32> -> tensor<?x6xf32>
  %2 = qc.expand %d : tensor<?x1xf32> -> tensor<?x6xf32>
  // CHECK: qc.expand %{{.*}} : tensor<4x1x!quant.uniform<i8:f32:0, {{.*}}>> -> tensor<2x4x3x!quant.uniform<i8:f32:1, {{.*}}>>
  %3 = qc.expand %p : tensor<4x1x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3, 0.4}>> -> tensor<2x4x3x!quant.uniform<i8:f32:1, {0.1, 0.2, 0.3, 0.4}>>
  return
}

// CHECK-LABEL: func @tile
func.func @tile(%x: tensor<2x3xf32>, %d: tensor<?x3xi64>) {
  // CHECK: qc.tile %{{.*}} {repeats = array<i64: 1, 2>} : tensor<2x3xf32> -> tensor<2x6xf32>
  %0 = qc.tile %x {repeats = array<i64: 1, 2>} : tensor<2x3xf32> -> tensor<2x6xf32>
  // CHECK: qc.tile %{{.*}} {repeats = array<i64: 3, 0>} : tensor<?x3xi64> -> tensor<?x0xi64>
  %1 = qc.tile %d {repeats = array<i64: 3, 0>} : tensor<?x3xi64> -> tensor<?x0xi64>
  return
}

// CHECK-LABEL: func @split
func.func @split(%x: tensor<1x16x192xf32>, %d: tensor<?x10xi8>) {
  // CHECK: %{{.*}}:3 = qc.split %{{.*}} {axis = 2 : i64, sizes = array<i64: 64, 64, 64>} : tensor<1x16x192xf32> -> tensor<1x16x64xf32>, tensor<1x16x64xf32>, tensor<1x16x64xf32>
  %q, %k, %v = qc.split %x {axis = 2 : i64, sizes = array<i64: 64, 64, 64>} : tensor<1x16x192xf32> -> tensor<1x16x64xf32>, tensor<1x16x64xf32>, tensor<1x16x64xf32>
  // CHECK: %{{.*}}:2 = qc.split %{{.*}} {axis = 1 : i64, sizes = array<i64: 3, 7>} : tensor<?x10xi8> -> tensor<?x3xi8>, tensor<?x7xi8>
  %a, %b = qc.split %d {axis = 1 : i64, sizes = array<i64: 3, 7>} : tensor<?x10xi8> -> tensor<?x3xi8>, tensor<?x7xi8>
  // CHECK: qc.split %{{.*}} {axis = 0 : i64, sizes = array<i64: 1>} : tensor<1x16x192xf32> -> tensor<1x16x192xf32>
  %c = qc.split %x {axis = 0 : i64, sizes = array<i64: 1>} : tensor<1x16x192xf32> -> tensor<1x16x192xf32>
  return
}
