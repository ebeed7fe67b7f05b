// RUN: quant-opt %s | quant-opt | FileCheck %s

// Default attributes (axis = -1, epsilon = 1e-5, keepdims = true, ...) are
// elided when printed.

// CHECK-LABEL: func @softmax
// CHECK-SAME: (%[[X:.*]]: tensor<2x10xf32>)
// CHECK: %[[A:.*]] = qc.softmax %[[X]] : tensor<2x10xf32>
// CHECK: %[[B:.*]] = qc.softmax %[[A]] {axis = 0 : i64} : tensor<2x10xf32>
// CHECK: %[[C:.*]] = qc.log_softmax %[[B]] {axis = -2 : i64} : tensor<2x10xf32>
// CHECK: qc.log_softmax %[[C]] : tensor<2x10xf32>
func.func @softmax(%x: tensor<2x10xf32>) -> tensor<2x10xf32> {
  %0 = qc.softmax %x {axis = -1 : i64} : tensor<2x10xf32>
  %1 = qc.softmax %0 {axis = 0 : i64} : tensor<2x10xf32>
  %2 = qc.log_softmax %1 {axis = -2 : i64} : tensor<2x10xf32>
  %3 = qc.log_softmax %2 : tensor<2x10xf32>
  return %3 : tensor<2x10xf32>
}

// CHECK-LABEL: func @softmax_dynamic
// CHECK: qc.softmax %{{.*}} {axis = 1 : i64} : tensor<?x?xbf16>
func.func @softmax_dynamic(%x: tensor<?x?xbf16>) -> tensor<?x?xbf16> {
  %0 = qc.softmax %x {axis = 1 : i64} : tensor<?x?xbf16>
  return %0 : tensor<?x?xbf16>
}

// CHECK-LABEL: func @layer_norm
// CHECK-SAME: (%[[X:.*]]: tensor<2x16x64xf32>, %[[G:.*]]: tensor<64xf32>, %[[B:.*]]: tensor<64xf32>, %[[G2:.*]]: tensor<16x1xf32>)
// CHECK: %[[A:.*]] = qc.layer_norm %[[X]] scale %[[G]] bias %[[B]] : (tensor<2x16x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
// CHECK: %[[C:.*]] = qc.layer_norm %[[A]] scale %[[G]] {epsilon = 9.9999999999999995E-7 : f64} : (tensor<2x16x64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
// CHECK: %[[D:.*]] = qc.layer_norm %[[C]] bias %[[B]] : (tensor<2x16x64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
// CHECK: %[[E:.*]] = qc.layer_norm %[[D]] {axis = 1 : i64} : (tensor<2x16x64xf32>) -> tensor<2x16x64xf32>
// CHECK: qc.layer_norm %[[E]] scale %[[G2]] {axis = -2 : i64} : (tensor<2x16x64xf32>, tensor<16x1xf32>) -> tensor<2x16x64xf32>
func.func @layer_norm(%x: tensor<2x16x64xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>,
                      %g2: tensor<16x1xf32>) -> tensor<2x16x64xf32> {
  %0 = qc.layer_norm %x scale %g bias %b {axis = -1 : i64, epsilon = 1.0e-05 : f64}
       : (tensor<2x16x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
  %1 = qc.layer_norm %0 scale %g {epsilon = 1.0e-06 : f64}
       : (tensor<2x16x64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
  %2 = qc.layer_norm %1 bias %b : (tensor<2x16x64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
  %3 = qc.layer_norm %2 {axis = 1 : i64} : (tensor<2x16x64xf32>) -> tensor<2x16x64xf32>
  %4 = qc.layer_norm %3 scale %g2 {axis = -2 : i64}
       : (tensor<2x16x64xf32>, tensor<16x1xf32>) -> tensor<2x16x64xf32>
  return %4 : tensor<2x16x64xf32>
}

// CHECK-LABEL: func @rms_norm
// CHECK-SAME: (%[[X:.*]]: tensor<1x32x4096xf16>, %[[G:.*]]: tensor<4096xf16>)
// CHECK: %[[A:.*]] = qc.rms_norm %[[X]] scale %[[G]] {epsilon = 9.9999999999999995E-7 : f64} : (tensor<1x32x4096xf16>, tensor<4096xf16>) -> tensor<1x32x4096xf16>
// CHECK: qc.rms_norm %[[A]] {axis = 1 : i64} : (tensor<1x32x4096xf16>) -> tensor<1x32x4096xf16>
func.func @rms_norm(%x: tensor<1x32x4096xf16>, %g: tensor<4096xf16>) -> tensor<1x32x4096xf16> {
  %0 = qc.rms_norm %x scale %g {epsilon = 1.0e-06 : f64}
       : (tensor<1x32x4096xf16>, tensor<4096xf16>) -> tensor<1x32x4096xf16>
  %1 = qc.rms_norm %0 {axis = 1 : i64} : (tensor<1x32x4096xf16>) -> tensor<1x32x4096xf16>
  return %1 : tensor<1x32x4096xf16>
}

// CHECK-LABEL: func @instance_norm
// CHECK-SAME: (%[[X:.*]]: tensor<1x8x32x32xf32>, %[[G:.*]]: tensor<8xf32>, %[[B:.*]]: tensor<8xf32>, %[[Y:.*]]: tensor<?x?x?xf32>, %[[H:.*]]: tensor<?xf32>)
// CHECK: qc.instance_norm %[[X]], %[[G]], %[[B]] : (tensor<1x8x32x32xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x8x32x32xf32>
// CHECK: qc.instance_norm %[[Y]], %[[H]], %[[H]] {epsilon = 1.000000e-03 : f64} : (tensor<?x?x?xf32>, tensor<?xf32>, tensor<?xf32>) -> tensor<?x?x?xf32>
func.func @instance_norm(%x: tensor<1x8x32x32xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>,
                         %y: tensor<?x?x?xf32>, %h: tensor<?xf32>)
    -> (tensor<1x8x32x32xf32>, tensor<?x?x?xf32>) {
  %0 = qc.instance_norm %x, %g, %b {epsilon = 1.0e-05 : f64}
       : (tensor<1x8x32x32xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x8x32x32xf32>
  %1 = qc.instance_norm %y, %h, %h {epsilon = 1.0e-03 : f64}
       : (tensor<?x?x?xf32>, tensor<?xf32>, tensor<?xf32>) -> tensor<?x?x?xf32>
  return %0, %1 : tensor<1x8x32x32xf32>, tensor<?x?x?xf32>
}

// CHECK-LABEL: func @reduce
// CHECK-SAME: (%[[X:.*]]: tensor<1x8x7x7xf32>, %[[I:.*]]: tensor<3xi64>, %[[D:.*]]: tensor<?x4xi32>)
// CHECK: qc.reduce %[[X]] {axes = array<i64: 2, 3>, kind = #qc<reduce_kind mean>} : tensor<1x8x7x7xf32> -> tensor<1x8x1x1xf32>
// CHECK: qc.reduce %[[X]] {axes = array<i64: 1>, keepdims = false, kind = #qc<reduce_kind log_sum_exp>} : tensor<1x8x7x7xf32> -> tensor<1x7x7xf32>
// CHECK: qc.reduce %[[X]] {axes = array<i64: 0, 1, 2, 3>, keepdims = false, kind = #qc<reduce_kind l2>} : tensor<1x8x7x7xf32> -> tensor<f32>
// CHECK: qc.reduce %[[I]] {axes = array<i64: 0>, keepdims = false, kind = #qc<reduce_kind prod>} : tensor<3xi64> -> tensor<i64>
// CHECK: qc.reduce %[[D]] {axes = array<i64: 0>, kind = #qc<reduce_kind sum_square>} : tensor<?x4xi32> -> tensor<1x4xi32>
// CHECK: qc.reduce %[[D]] {axes = array<i64: 1>, keepdims = false, kind = #qc<reduce_kind l1>} : tensor<?x4xi32> -> tensor<?xi32>
// CHECK: qc.reduce %[[X]] {axes = array<i64: 3>, kind = #qc<reduce_kind log_sum>} : tensor<1x8x7x7xf32> -> tensor<1x8x7x1xf32>
// CHECK: qc.reduce %[[I]] {axes = array<i64: 0>, kind = #qc<reduce_kind max>} : tensor<3xi64> -> tensor<1xi64>
// CHECK: qc.reduce %[[I]] {axes = array<i64: 0>, kind = #qc<reduce_kind min>} : tensor<3xi64> -> tensor<1xi64>
// CHECK: qc.reduce %[[I]] {axes = array<i64: 0>, kind = #qc<reduce_kind sum>} : tensor<3xi64> -> tensor<1xi64>
func.func @reduce(%x: tensor<1x8x7x7xf32>, %i: tensor<3xi64>, %d: tensor<?x4xi32>) {
  %0 = qc.reduce %x {kind = #qc<reduce_kind mean>, axes = array<i64: 2, 3>}
       : tensor<1x8x7x7xf32> -> tensor<1x8x1x1xf32>
  %1 = qc.reduce %x {kind = #qc<reduce_kind log_sum_exp>, axes = array<i64: 1>, keepdims = false}
       : tensor<1x8x7x7xf32> -> tensor<1x7x7xf32>
  %2 = qc.reduce %x {kind = #qc<reduce_kind l2>, axes = array<i64: 0, 1, 2, 3>, keepdims = false}
       : tensor<1x8x7x7xf32> -> tensor<f32>
  %3 = qc.reduce %i {kind = #qc<reduce_kind prod>, axes = array<i64: 0>, keepdims = false}
       : tensor<3xi64> -> tensor<i64>
  %4 = qc.reduce %d {kind = #qc<reduce_kind sum_square>, axes = array<i64: 0>, keepdims = true}
       : tensor<?x4xi32> -> tensor<1x4xi32>
  %5 = qc.reduce %d {kind = #qc<reduce_kind l1>, axes = array<i64: 1>, keepdims = false}
       : tensor<?x4xi32> -> tensor<?xi32>
  %6 = qc.reduce %x {kind = #qc<reduce_kind log_sum>, axes = array<i64: 3>}
       : tensor<1x8x7x7xf32> -> tensor<1x8x7x1xf32>
  %7 = qc.reduce %i {kind = #qc<reduce_kind max>, axes = array<i64: 0>} : tensor<3xi64> -> tensor<1xi64>
  %8 = qc.reduce %i {kind = #qc<reduce_kind min>, axes = array<i64: 0>} : tensor<3xi64> -> tensor<1xi64>
  %9 = qc.reduce %i {kind = #qc<reduce_kind sum>, axes = array<i64: 0>} : tensor<3xi64> -> tensor<1xi64>
  return
}

// CHECK-LABEL: func @arg_reduce
// CHECK-SAME: (%[[X:.*]]: tensor<4x1000xf32>, %[[Q:.*]]: tensor<2x5x!quant.uniform<i8:f32, 1.000000e-01:-3>>)
// CHECK: qc.arg_max %[[X]] {axis = 1 : i64, keepdims = false} : tensor<4x1000xf32> -> tensor<4xi64>
// CHECK: qc.arg_min %[[X]] {axis = -1 : i64, select_last_index = true} : tensor<4x1000xf32> -> tensor<4x1xi64>
// CHECK: qc.arg_max %[[X]] : tensor<4x1000xf32> -> tensor<1x1000xi64>
// CHECK: qc.arg_max %[[Q]] {axis = 1 : i64} : tensor<2x5x!quant.uniform<i8:f32, 1.000000e-01:-3>> -> tensor<2x1xi64>
func.func @arg_reduce(%x: tensor<4x1000xf32>, %q: tensor<2x5x!quant.uniform<i8:f32, 0.1:-3>>) {
  %0 = qc.arg_max %x {axis = 1 : i64, keepdims = false} : tensor<4x1000xf32> -> tensor<4xi64>
  %1 = qc.arg_min %x {axis = -1 : i64, select_last_index = true} : tensor<4x1000xf32> -> tensor<4x1xi64>
  %2 = qc.arg_max %x {axis = 0 : i64, keepdims = true, select_last_index = false}
       : tensor<4x1000xf32> -> tensor<1x1000xi64>
  %3 = qc.arg_max %q {axis = 1 : i64} : tensor<2x5x!quant.uniform<i8:f32, 0.1:-3>> -> tensor<2x1xi64>
  return
}

// CHECK-LABEL: func @pool2d
// CHECK-SAME: (%[[X:.*]]: tensor<1x64x112x112xf32>, %[[Y:.*]]: tensor<1x8x7x7xf32>, %[[D:.*]]: tensor<?x8x?x9xf32>)
// CHECK: qc.pool2d %[[X]] {kernel = array<i64: 3, 3>, kind = #qc<pool_kind max>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : tensor<1x64x112x112xf32> -> tensor<1x64x56x56xf32>
// CHECK: qc.pool2d %[[Y]] {ceil_mode = true, kernel = array<i64: 2, 2>, kind = #qc<pool_kind avg>, strides = array<i64: 2, 2>} : tensor<1x8x7x7xf32> -> tensor<1x8x4x4xf32>
// CHECK: qc.pool2d %[[Y]] {ceil_mode = true, count_include_pad = true, kernel = array<i64: 3, 3>, kind = #qc<pool_kind avg>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 3, 3>} : tensor<1x8x7x7xf32> -> tensor<1x8x3x3xf32>
// CHECK: qc.pool2d %[[Y]] {dilations = array<i64: 2, 1>, kernel = array<i64: 2, 3>, kind = #qc<pool_kind max>} : tensor<1x8x7x7xf32> -> tensor<1x8x5x5xf32>
// CHECK: qc.pool2d %[[D]] {kernel = array<i64: 3, 3>, kind = #qc<pool_kind max>} : tensor<?x8x?x9xf32> -> tensor<?x8x?x7xf32>
// CHECK: qc.pool2d %[[Y]] {kernel = array<i64: 7, 7>, kind = #qc<pool_kind avg>} : tensor<1x8x7x7xf32> -> tensor<1x8x1x1xf32>
func.func @pool2d(%x: tensor<1x64x112x112xf32>, %y: tensor<1x8x7x7xf32>, %d: tensor<?x8x?x9xf32>) {
  %0 = qc.pool2d %x {kind = #qc<pool_kind max>, kernel = array<i64: 3, 3>,
                     strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>}
       : tensor<1x64x112x112xf32> -> tensor<1x64x56x56xf32>
  // ceil((7 - 2) / 2) + 1 = 4 (floor mode: 3); the last window starts at 6,
  // inside the input.
  %1 = qc.pool2d %y {kind = #qc<pool_kind avg>, kernel = array<i64: 2, 2>,
                     strides = array<i64: 2, 2>, ceil_mode = true}
       : tensor<1x8x7x7xf32> -> tensor<1x8x4x4xf32>
  // (7 + 2 - 3) / 3 is exact: ceil_mode adds no window here.
  %2 = qc.pool2d %y {kind = #qc<pool_kind avg>, kernel = array<i64: 3, 3>,
                     strides = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>,
                     ceil_mode = true, count_include_pad = true}
       : tensor<1x8x7x7xf32> -> tensor<1x8x3x3xf32>
  %3 = qc.pool2d %y {kind = #qc<pool_kind max>, kernel = array<i64: 2, 3>,
                     dilations = array<i64: 2, 1>, strides = array<i64: 1, 1>,
                     pads = array<i64: 0, 0, 0, 0>, ceil_mode = false}
       : tensor<1x8x7x7xf32> -> tensor<1x8x5x5xf32>
  %4 = qc.pool2d %d {kind = #qc<pool_kind max>, kernel = array<i64: 3, 3>}
       : tensor<?x8x?x9xf32> -> tensor<?x8x?x7xf32>
  %5 = qc.pool2d %y {kind = #qc<pool_kind avg>, kernel = array<i64: 7, 7>}
       : tensor<1x8x7x7xf32> -> tensor<1x8x1x1xf32>
  return
}

// CHECK-LABEL: func @pool2d_ceil_mode_drops_last_window
// CHECK: qc.pool2d %{{.*}} {ceil_mode = true, kernel = array<i64: 2, 2>, kind = #qc<pool_kind max>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : tensor<1x1x5x5xf32> -> tensor<1x1x3x3xf32>
func.func @pool2d_ceil_mode_drops_last_window(%x: tensor<1x1x5x5xf32>) -> tensor<1x1x3x3xf32> {
  // ceil((5 + 2 - 2) / 2) + 1 = 4, but window 3 would start at 3 * 2 - 1 = 5,
  // past the input and the leading padding: 3 windows remain.
  %0 = qc.pool2d %x {kind = #qc<pool_kind max>, kernel = array<i64: 2, 2>,
                     strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>,
                     ceil_mode = true}
       : tensor<1x1x5x5xf32> -> tensor<1x1x3x3xf32>
  return %0 : tensor<1x1x3x3xf32>
}

!qx = !quant.uniform<i8:f32, 0.1:-3>
!qy = !quant.uniform<i8:f32, 0.05:-3>

// CHECK-LABEL: func @pool2d_quantized
// CHECK: qc.pool2d %{{.*}} {kernel = array<i64: 2, 2>, kind = #qc<pool_kind max>, strides = array<i64: 2, 2>} : tensor<1x8x8x8x!quant.uniform<i8:f32, 1.000000e-01:-3>> -> tensor<1x8x4x4x!quant.uniform<i8:f32, 1.000000e-01:-3>>
// CHECK: qc.pool2d %{{.*}} {kernel = array<i64: 2, 2>, kind = #qc<pool_kind avg>, strides = array<i64: 2, 2>} : tensor<1x8x8x8x!quant.uniform<i8:f32, 1.000000e-01:-3>> -> tensor<1x8x4x4x!quant.uniform<i8:f32, 5.000000e-02:-3>>
func.func @pool2d_quantized(%x: tensor<1x8x8x8x!qx>) {
  %0 = qc.pool2d %x {kind = #qc<pool_kind max>, kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>}
       : tensor<1x8x8x8x!qx> -> tensor<1x8x4x4x!qx>
  %1 = qc.pool2d %x {kind = #qc<pool_kind avg>, kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>}
       : tensor<1x8x8x8x!qx> -> tensor<1x8x4x4x!qy>
  return
}
