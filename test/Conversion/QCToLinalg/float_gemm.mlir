// RUN: quant-opt %s --convert-qc-to-linalg --split-input-file | FileCheck %s

// The float forms with a constant weight become the tagged float GEMM the
// CPU kernels replace (`qc.kernel = "fgemm"`): the weight [N, K] repacked
// into column tiles [N/16][K][16] (zero padded), the result initialised
// with the bias (padded to whole tiles, also attached as `qc.bias`) by a
// generic tagged `qc.kernel_init`. The generic is itself the reference
// loop nest: y[m, n] += x[m, k] * wp[n / 16, k, n % 16].

// CHECK: #[[WMAP:map[0-9]*]] = affine_map<(d0, d1, d2) -> (d1 floordiv 16, d2, d1 mod 16)>
// CHECK-LABEL: func.func @linear
// CHECK-SAME: (%[[X:.*]]: tensor<3x2xf32>)
// Row n of the weight is column n % 16 of tile n / 16: w[0] = (1, 2),
// w[1] = (3, 4), w[2] = (5, 6), then zeros.
// CHECK: %[[W:.*]] = arith.constant dense<{{\[\[\[}}1.000000e+00, 3.000000e+00, 5.000000e+00, 0.000000e+00{{.*}}], [2.000000e+00, 4.000000e+00, 6.000000e+00, 0.000000e+00{{.*}}]]]> : tensor<1x2x16xf32>
// CHECK: %[[BP:.*]] = arith.constant dense<[5.000000e-01, -1.000000e+00, 2.500000e+00, 0.000000e+00{{.*}}]> : tensor<16xf32>
// CHECK: %[[BN:.*]] = tensor.extract_slice %[[BP]][0] [3] [1] : tensor<16xf32> to tensor<3xf32>
// CHECK: %[[INIT:.*]] = linalg.generic {{.*}} ins(%[[BN]] : tensor<3xf32>) outs(%{{.*}} : tensor<3x3xf32>) attrs = {qc.kernel_init = {{[0-9]+}} : i64}
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[WMAP]], #{{.*}}], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[X]], %[[W]] : tensor<3x2xf32>, tensor<1x2x16xf32>) outs(%[[INIT]] : tensor<3x3xf32>) attrs = {qc.bias = dense<[5.000000e-01, -1.000000e+00, 2.500000e+00, 0.000000e+00{{.*}}]> : tensor<16xf32>, qc.kernel = "fgemm"}
// CHECK: ^bb0(%[[A:.*]]: f32, %[[WV:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK:   %[[P:.*]] = arith.mulf %[[A]], %[[WV]] : f32
// CHECK:   arith.addf %[[ACC]], %[[P]] : f32
func.func @linear(%x: tensor<3x2xf32>) -> tensor<3x3xf32> {
  %w = qc.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %b = qc.constant dense<[0.5, -1.0, 2.5]> : tensor<3xf32>
  %y = qc.linear %x, %w, %b : (tensor<3x2xf32>, tensor<3x2xf32>, tensor<3xf32>) -> tensor<3x3xf32>
  return %y : tensor<3x3xf32>
}

// -----

// A bias that is not a constant is padded in the IR; the kernel reads the
// padded tensor the initialisation slices.
// CHECK-LABEL: func.func @linear_bias_arg
// CHECK-SAME: (%[[X:.*]]: tensor<2x4x8xf32>, %[[B:.*]]: tensor<20xf32>)
// CHECK: %[[XC:.*]] = tensor.collapse_shape %[[X]] {{\[\[}}0, 1], [2]] : tensor<2x4x8xf32> into tensor<8x8xf32>
// CHECK: %[[BP:.*]] = tensor.pad %[[B]] low[0] high[12]
// CHECK: %[[BN:.*]] = tensor.extract_slice %[[BP]][0] [20] [1] : tensor<32xf32> to tensor<20xf32>
// CHECK: %[[INIT:.*]] = linalg.generic {{.*}} ins(%[[BN]] : tensor<20xf32>) {{.*}} attrs = {qc.kernel_init = {{[0-9]+}} : i64}
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} ins(%[[XC]], %{{.*}} : tensor<8x8xf32>, tensor<2x8x16xf32>) outs(%[[INIT]] : tensor<8x20xf32>) attrs = {qc.kernel = "fgemm"}
// CHECK: tensor.expand_shape %[[Y]] {{\[\[}}0, 1], [2]] output_shape [2, 4, 20]
func.func @linear_bias_arg(%x: tensor<2x4x8xf32>, %b: tensor<20xf32>) -> tensor<2x4x20xf32> {
  %w = qc.constant dense<0.25> : tensor<20x8xf32>
  %y = qc.linear %x, %w, %b : (tensor<2x4x8xf32>, tensor<20x8xf32>, tensor<20xf32>) -> tensor<2x4x20xf32>
  return %y : tensor<2x4x20xf32>
}

// -----

// A convolution with one group: im2col ([N*OH*OW, C*KH*KW] = [4, 8]), the
// GEMM with the weight [F, C*KH*KW] repacked, back to NCHW.
// CHECK-LABEL: func.func @conv
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x3x3xf32>)
// CHECK: %[[COL:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<1x2x3x3xf32>) outs(%{{.*}} : tensor<1x2x2x2x2x2xf32>)
// CHECK: %[[COLS:.*]] = tensor.collapse_shape %[[COL]] {{\[\[}}0, 1, 2], [3, 4, 5]] : tensor<1x2x2x2x2x2xf32> into tensor<4x8xf32>
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} ins(%[[COLS]], %{{.*}} : tensor<4x8xf32>, tensor<1x8x16xf32>) outs(%{{.*}} : tensor<4x3xf32>) attrs = {qc.bias = {{.*}}, qc.kernel = "fgemm"}
// CHECK: linalg.transpose ins(%{{.*}} : tensor<1x4x3xf32>) outs(%{{.*}} : tensor<1x3x4xf32>) permutation = [0, 2, 1]
func.func @conv(%x: tensor<1x2x3x3xf32>) -> tensor<1x3x2x2xf32> {
  %w = qc.constant dense<1.0> : tensor<3x2x2x2xf32>
  %b = qc.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %y = qc.conv2d %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x2x3x3xf32>, tensor<3x2x2x2xf32>, tensor<3xf32>) -> tensor<1x3x2x2xf32>
  return %y : tensor<1x3x2x2xf32>
}

// -----

// A depthwise convolution keeps the loop form.
// CHECK-LABEL: func.func @depthwise
// CHECK-NOT: qc.kernel
// CHECK: iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel"]
// CHECK-NOT: qc.kernel
func.func @depthwise(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x2x2xf32> {
  %w = qc.constant dense<1.0> : tensor<2x1x2x2xf32>
  %y = qc.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 2 : i64} : (tensor<1x2x3x3xf32>, tensor<2x1x2x2xf32>) -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// A matmul with a constant [K, N] right-hand side: the weight transposed
// into the tiles, no bias (zeros).
// CHECK-LABEL: func.func @matmul
// CHECK: %[[W:.*]] = arith.constant dense<{{\[\[\[}}1.000000e+00, 2.000000e+00, 0.000000e+00{{.*}}], [3.000000e+00, 4.000000e+00, 0.000000e+00{{.*}}]]]> : tensor<1x2x16xf32>
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[W]] : tensor<5x2xf32>, tensor<1x2x16xf32>) outs(%{{.*}} : tensor<5x2xf32>) attrs = {qc.bias = dense<0.000000e+00> : tensor<16xf32>, qc.kernel = "fgemm"}
func.func @matmul(%x: tensor<5x2xf32>) -> tensor<5x2xf32> {
  %w = qc.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %y = qc.matmul %x, %w : (tensor<5x2xf32>, tensor<2x2xf32>) -> tensor<5x2xf32>
  return %y : tensor<5x2xf32>
}

// -----

// A matmul of two activations keeps the loop form.
// CHECK-LABEL: func.func @matmul_dynamic
// CHECK-NOT: qc.kernel
// CHECK: return
func.func @matmul_dynamic(%x: tensor<5x2xf32>, %w: tensor<2x3xf32>) -> tensor<5x3xf32> {
  %y = qc.matmul %x, %w : (tensor<5x2xf32>, tensor<2x3xf32>) -> tensor<5x3xf32>
  return %y : tensor<5x3xf32>
}

// -----

// A transposed convolution (a convolution over its stride-spread input,
// mostly zeros) keeps the loop form.
// CHECK-LABEL: func.func @conv_transpose
// CHECK-NOT: qc.kernel
// CHECK: iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel"]
// CHECK-NOT: qc.kernel
func.func @conv_transpose(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x6x6xf32> {
  %w = qc.constant dense<1.0> : tensor<2x2x2x2xf32>
  %y = qc.conv_transpose2d %x, %w {strides = array<i64: 2, 2>} : (tensor<1x2x3x3xf32>, tensor<2x2x2x2xf32>) -> tensor<1x2x6x6xf32>
  return %y : tensor<1x2x6x6xf32>
}
