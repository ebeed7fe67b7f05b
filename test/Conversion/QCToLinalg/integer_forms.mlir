// RUN: quant-opt %s --convert-qc-to-linalg --split-input-file --verify-diagnostics | FileCheck %s

// The integer form of a convolution (here with a weight that is not a
// constant, so the loop form): the input is padded with its zero point,
// products of centred i32 values accumulate on top of the i32 bias, and the
// per-channel fixed-point requantization is spelled out in i64.

!x = !quant.uniform<i8:f32, 0.5:-3>
!w = !quant.uniform<i8<-127:127>:f32:0, {0.25, 0.125}>
!b = !quant.uniform<i32:f32:0, {0.125, 0.0625}>
!y = !quant.uniform<i8:f32, 1.0:5>

// CHECK-LABEL: func.func @conv_requant
// CHECK-SAME: (%[[X:.*]]: tensor<1x1x4x4xi8>, %{{.*}}: tensor<2x1x3x3xi8>) -> tensor<1x2x4x4xi8>
// CHECK-DAG: %[[ZP:.*]] = arith.constant -3 : i8
// CHECK: %[[PAD:.*]] = tensor.pad %[[X]] low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK:   tensor.yield %[[ZP]] : i8
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel"]} ins(%[[PAD]], %{{.*}} : tensor<1x1x6x6xi8>, tensor<2x1x3x3xi8>)
// CHECK: ^bb0(%[[IN:.*]]: i8, %[[WT:.*]]: i8, %[[ACC:.*]]: i32):
// CHECK:   %[[XE:.*]] = arith.extsi %[[IN]] : i8 to i32
// CHECK:   %[[XC:.*]] = arith.subi %[[XE]], %{{.*}} : i32
// CHECK:   %[[WE:.*]] = arith.extsi %[[WT]] : i8 to i32
// CHECK:   %[[P:.*]] = arith.muli %[[XC]], %[[WE]] : i32
// CHECK:   arith.addi %[[ACC]], %[[P]] : i32
// The requantization: (x * M + add) >> rshift, then a rounding shift.
// CHECK: linalg.generic
// CHECK: ^bb0(%[[A:.*]]: i32, %[[M:.*]]: i64, %[[ADD:.*]]: i64, %[[RS:.*]]: i64, %[[HALF:.*]]: i64, %[[E:.*]]: i64, %{{.*}}: i8):
// CHECK:   %[[A64:.*]] = arith.extsi %[[A]] : i32 to i64
// CHECK:   %[[MUL:.*]] = arith.muli %[[A64]], %[[M]] : i64
// CHECK:   %[[SUM:.*]] = arith.addi %[[MUL]], %[[ADD]] : i64
// CHECK:   arith.shrsi %[[SUM]], %[[RS]] : i64
// CHECK:   arith.shrsi %{{.*}}, %[[E]] : i64
// CHECK:   arith.maxsi
// CHECK:   arith.minsi
// CHECK:   arith.trunci %{{.*}} : i64 to i8
func.func @conv_requant(%x: tensor<1x1x4x4x!x>, %w: tensor<2x1x3x3x!w>) -> tensor<1x2x4x4x!y> {
  %b = qc.constant dense<[100, -100]> : tensor<2xi32> -> tensor<2x!b>
  %y = qc.conv2d %x, %w, %b {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x1x4x4x!x>, tensor<2x1x3x3x!w>, tensor<2x!b>) -> tensor<1x2x4x4x!y>
  return %y : tensor<1x2x4x4x!y>
}

// -----

// With a constant weight the convolution is an im2col gather of the padded
// input, the packed GEMM (weight repacked as [1][K4 = 4: 9 padded to 16][16][4]), the
// requantization on [pixels, channels] and a transpose back to NCHW.

!x = !quant.uniform<i8:f32, 0.5:-3>
!w = !quant.uniform<i8<-127:127>:f32:0, {0.25, 0.125}>
!y = !quant.uniform<i8:f32, 1.0:5>

// CHECK-LABEL: func.func @conv_gemm
// CHECK: %[[COL:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<1x1x6x6xi8>) outs(%{{.*}} : tensor<1x4x4x1x3x3xi8>)
// CHECK: tensor.collapse_shape %[[COL]] {{\[\[}}0, 1, 2], [3, 4, 5]] : tensor<1x4x4x1x3x3xi8> into tensor<16x9xi8>
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<16x9xi8>, tensor<1x4x16x4xi8>) {{.*}}qc.kernel = "gemm_s8"
// CHECK: arith.trunci %{{.*}} : i64 to i8
// CHECK: linalg.transpose ins(%{{.*}} : tensor<1x16x2xi8>) outs(%{{.*}} : tensor<1x2x16xi8>) permutation = [0, 2, 1]
func.func @conv_gemm(%x: tensor<1x1x4x4x!x>) -> tensor<1x2x4x4x!y> {
  %w = qc.constant dense<[[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]], [[[-1, -2, -3], [-4, -5, -6], [-7, -8, -127]]]]> : tensor<2x1x3x3xi8> -> tensor<2x1x3x3x!w>
  %y = qc.conv2d %x, %w {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x1x4x4x!x>, tensor<2x1x3x3x!w>) -> tensor<1x2x4x4x!y>
  return %y : tensor<1x2x4x4x!y>
}

// -----

// A float result scales the accumulator by f32(s_x * s_w[c]).

!x = !quant.uniform<i8:f32, 0.5:-3>
!w = !quant.uniform<i8<-127:127>:f32:0, {0.25, 0.125}>

// CHECK-LABEL: func.func @linear_float_out
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: %[[S:.*]] = arith.constant dense<[1.250000e-01, 6.250000e-02]> : tensor<2xf32>
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[S]] : tensor<1x2xi32>, tensor<2xf32>)
// CHECK:   arith.sitofp %{{.*}} : i32 to f32
// CHECK:   arith.mulf
func.func @linear_float_out(%x: tensor<1x3x!x>) -> tensor<1x2xf32> {
  %w = qc.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi8> -> tensor<2x3x!w>
  %y = qc.linear %x, %w : (tensor<1x3x!x>, tensor<2x3x!w>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// quant.qcast: f32 division, round half to even, clamp before the zero point,
// NaN to the zero point.

// CHECK-LABEL: func.func @qcast
// CHECK: linalg.generic
// CHECK:   arith.divf
// CHECK:   math.roundeven
// CHECK:   arith.maximumf
// CHECK:   arith.minimumf
// CHECK:   arith.cmpf uno
// CHECK:   arith.select
// CHECK:   arith.fptosi
// CHECK:   arith.addi
// CHECK:   arith.trunci %{{.*}} : i32 to i8
func.func @qcast(%x: tensor<8xf32>) -> tensor<8x!quant.uniform<i8:f32, 0.1:4>> {
  %q = quant.qcast %x : tensor<8xf32> to tensor<8x!quant.uniform<i8:f32, 0.1:4>>
  return %q : tensor<8x!quant.uniform<i8:f32, 0.1:4>>
}

// -----

// Max pooling and clip on the integer grid: padding with the storage minimum,
// clip bounds quantized once.

!q = !quant.uniform<i8:f32, 0.5:-10>
// CHECK-LABEL: func.func @int_pool_clip
// CHECK: tensor.pad
// CHECK:   tensor.yield %{{.*}} : i8
// CHECK: arith.maxsi
// CHECK: %[[LO:.*]] = arith.constant -10 : i8
// CHECK: arith.maxsi %{{.*}}, %[[LO]] : i8
// CHECK: %[[HI:.*]] = arith.constant 2 : i8
// CHECK: arith.minsi %{{.*}}, %[[HI]] : i8
func.func @int_pool_clip(%x: tensor<1x1x4x4x!q>) -> tensor<1x1x2x2x!q> {
  %p = qc.pool2d %x {kind = #qc<pool_kind max>, kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 0, 0>} : tensor<1x1x4x4x!q> -> tensor<1x1x2x2x!q>
  %c = qc.clip %p {min = 0.0, max = 6.0} : tensor<1x1x2x2x!q>
  return %c : tensor<1x1x2x2x!q>
}

// -----

func.func @unsupported(%x: tensor<1x2x1x4xf16>, %p: tensor<2xi64>) -> tensor<1x2x1x4xf16> {
  // expected-error @+1 {{'qc.rope' op: only f32 RoPE is lowered}}
  %y = qc.rope %x, %p : tensor<1x2x1x4xf16>, tensor<2xi64>
  return %y : tensor<1x2x1x4xf16>
}
