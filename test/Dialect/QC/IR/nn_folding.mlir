// RUN: quant-opt %s -canonicalize -split-input-file | FileCheck %s

// Every slice along a size-1 axis has one element: softmax is 1 there.
// CHECK-LABEL: func @softmax_unit_axis
// CHECK-NEXT: %[[C:.*]] = qc.constant dense<1.000000e+00> : tensor<4x1xf32>
// CHECK-NEXT: return %[[C]]
func.func @softmax_unit_axis(%x: tensor<4x1xf32>) -> tensor<4x1xf32> {
  %0 = qc.softmax %x : tensor<4x1xf32>
  return %0 : tensor<4x1xf32>
}

// -----

// CHECK-LABEL: func @log_softmax_unit_axis
// CHECK-NEXT: %[[C:.*]] = qc.constant dense<0.000000e+00> : tensor<1x4xf16>
// CHECK-NEXT: return %[[C]]
func.func @log_softmax_unit_axis(%x: tensor<1x4xf16>) -> tensor<1x4xf16> {
  %0 = qc.log_softmax %x {axis = -2 : i64} : tensor<1x4xf16>
  return %0 : tensor<1x4xf16>
}

// -----

// CHECK-LABEL: func @negative_softmax_wide_axis
// CHECK: qc.softmax
func.func @negative_softmax_wide_axis(%x: tensor<4x1xf32>) -> tensor<4x1xf32> {
  %0 = qc.softmax %x {axis = 0 : i64} : tensor<4x1xf32>
  return %0 : tensor<4x1xf32>
}

// -----

// A splat constant needs a static shape.
// CHECK-LABEL: func @negative_softmax_dynamic
// CHECK: qc.softmax
func.func @negative_softmax_dynamic(%x: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %0 = qc.softmax %x : tensor<?x1xf32>
  return %0 : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func @reduce_unit_axes
// CHECK-SAME: (%[[X:.*]]: tensor<2x1x3x1xf32>)
// CHECK-NEXT: return %[[X]], %[[X]], %[[X]]
func.func @reduce_unit_axes(%x: tensor<2x1x3x1xf32>)
    -> (tensor<2x1x3x1xf32>, tensor<2x1x3x1xf32>, tensor<2x1x3x1xf32>) {
  %0 = qc.reduce %x {kind = #qc<reduce_kind sum>, axes = array<i64: 1>}
       : tensor<2x1x3x1xf32> -> tensor<2x1x3x1xf32>
  %1 = qc.reduce %x {kind = #qc<reduce_kind mean>, axes = array<i64: 1, 3>}
       : tensor<2x1x3x1xf32> -> tensor<2x1x3x1xf32>
  %2 = qc.reduce %x {kind = #qc<reduce_kind max>, axes = array<i64: 3>}
       : tensor<2x1x3x1xf32> -> tensor<2x1x3x1xf32>
  return %0, %1, %2 : tensor<2x1x3x1xf32>, tensor<2x1x3x1xf32>, tensor<2x1x3x1xf32>
}

// -----

// CHECK-LABEL: func @reduce_unit_axes_int
// CHECK-SAME: (%[[X:.*]]: tensor<1x?xi32>)
// CHECK-NEXT: return %[[X]], %[[X]]
func.func @reduce_unit_axes_int(%x: tensor<1x?xi32>) -> (tensor<1x?xi32>, tensor<1x?xi32>) {
  %0 = qc.reduce %x {kind = #qc<reduce_kind min>, axes = array<i64: 0>}
       : tensor<1x?xi32> -> tensor<1x?xi32>
  %1 = qc.reduce %x {kind = #qc<reduce_kind prod>, axes = array<i64: 0>}
       : tensor<1x?xi32> -> tensor<1x?xi32>
  return %0, %1 : tensor<1x?xi32>, tensor<1x?xi32>
}

// -----

// Without keepdims the rank changes: a reshape, not an identity.
// CHECK-LABEL: func @negative_reduce_unit_axis_dropped
// CHECK: qc.reduce
func.func @negative_reduce_unit_axis_dropped(%x: tensor<2x1xf32>) -> tensor<2xf32> {
  %0 = qc.reduce %x {kind = #qc<reduce_kind sum>, axes = array<i64: 1>, keepdims = false}
       : tensor<2x1xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// l2 of one element is |x|, not x.
// CHECK-LABEL: func @negative_reduce_unit_axis_l2
// CHECK: qc.reduce
func.func @negative_reduce_unit_axis_l2(%x: tensor<2x1xf32>) -> tensor<2x1xf32> {
  %0 = qc.reduce %x {kind = #qc<reduce_kind l2>, axes = array<i64: 1>}
       : tensor<2x1xf32> -> tensor<2x1xf32>
  return %0 : tensor<2x1xf32>
}

// -----

// A dynamic dimension may be larger than 1.
// CHECK-LABEL: func @negative_reduce_dynamic_axis
// CHECK: qc.reduce
func.func @negative_reduce_dynamic_axis(%x: tensor<2x?xf32>) -> tensor<2x1xf32> {
  %0 = qc.reduce %x {kind = #qc<reduce_kind max>, axes = array<i64: 1>}
       : tensor<2x?xf32> -> tensor<2x1xf32>
  return %0 : tensor<2x1xf32>
}

// -----

// CHECK-LABEL: func @reduce_constant_int
// CHECK-DAG: %[[S:.*]] = qc.constant dense<[6, 15]> : tensor<2xi64>
// CHECK-DAG: %[[P:.*]] = qc.constant dense<720> : tensor<i64>
// CHECK-DAG: %[[M:.*]] = qc.constant dense<{{\[\[}}4, 5, 6]]> : tensor<1x3xi64>
// CHECK-DAG: %[[N:.*]] = qc.constant dense<{{\[\[}}1], [4]]> : tensor<2x1xi64>
// CHECK: return %[[S]], %[[P]], %[[M]], %[[N]]
func.func @reduce_constant_int() -> (tensor<2xi64>, tensor<i64>, tensor<1x3xi64>, tensor<2x1xi64>) {
  %c = qc.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi64>
  %0 = qc.reduce %c {kind = #qc<reduce_kind sum>, axes = array<i64: 1>, keepdims = false}
       : tensor<2x3xi64> -> tensor<2xi64>
  %1 = qc.reduce %c {kind = #qc<reduce_kind prod>, axes = array<i64: 0, 1>, keepdims = false}
       : tensor<2x3xi64> -> tensor<i64>
  %2 = qc.reduce %c {kind = #qc<reduce_kind max>, axes = array<i64: 0>}
       : tensor<2x3xi64> -> tensor<1x3xi64>
  %3 = qc.reduce %c {kind = #qc<reduce_kind min>, axes = array<i64: 1>}
       : tensor<2x3xi64> -> tensor<2x1xi64>
  return %0, %1, %2, %3 : tensor<2xi64>, tensor<i64>, tensor<1x3xi64>, tensor<2x1xi64>
}

// -----

// Integer sums wrap at the element width; a splat folds like its expansion.
// CHECK-LABEL: func @reduce_constant_wraps
// CHECK-NEXT: %[[C:.*]] = qc.constant dense<-56> : tensor<1xi8>
// CHECK-NEXT: return %[[C]]
func.func @reduce_constant_wraps() -> tensor<1xi8> {
  %c = qc.constant dense<100> : tensor<2xi8>
  %0 = qc.reduce %c {kind = #qc<reduce_kind sum>, axes = array<i64: 0>}
       : tensor<2xi8> -> tensor<1xi8>
  return %0 : tensor<1xi8>
}

// -----

// Reducing a zero-sized dimension yields the identity of the reduction.
// CHECK-LABEL: func @reduce_constant_empty
// CHECK-DAG: %[[S:.*]] = qc.constant dense<0> : tensor<2xi32>
// CHECK-DAG: %[[M:.*]] = qc.constant dense<-2147483648> : tensor<2xi32>
// CHECK: return %[[S]], %[[M]]
func.func @reduce_constant_empty() -> (tensor<2xi32>, tensor<2xi32>) {
  %c = qc.constant dense<> : tensor<2x0xi32>
  %0 = qc.reduce %c {kind = #qc<reduce_kind sum>, axes = array<i64: 1>, keepdims = false}
       : tensor<2x0xi32> -> tensor<2xi32>
  %1 = qc.reduce %c {kind = #qc<reduce_kind max>, axes = array<i64: 1>, keepdims = false}
       : tensor<2x0xi32> -> tensor<2xi32>
  return %0, %1 : tensor<2xi32>, tensor<2xi32>
}

// -----

// CHECK-LABEL: func @reduce_constant_float_max
// CHECK-NEXT: %[[C:.*]] = qc.constant dense<[2.500000e+00, -1.000000e+00]> : tensor<2xf32>
// CHECK-NEXT: return %[[C]]
func.func @reduce_constant_float_max() -> tensor<2xf32> {
  %c = qc.constant dense<[[0.5, 2.5], [-1.0, -3.0]]> : tensor<2x2xf32>
  %0 = qc.reduce %c {kind = #qc<reduce_kind max>, axes = array<i64: 1>, keepdims = false}
       : tensor<2x2xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// Float sums depend on the evaluation order: left to run time.
// CHECK-LABEL: func @negative_reduce_constant_float_sum
// CHECK: qc.reduce
func.func @negative_reduce_constant_float_sum() -> tensor<1xf32> {
  %c = qc.constant dense<[0.5, 2.5]> : tensor<2xf32>
  %0 = qc.reduce %c {kind = #qc<reduce_kind sum>, axes = array<i64: 0>}
       : tensor<2xf32> -> tensor<1xf32>
  return %0 : tensor<1xf32>
}

// -----

// CHECK-LABEL: func @negative_reduce_constant_int_l1
// CHECK: qc.reduce
func.func @negative_reduce_constant_int_l1() -> tensor<1xi32> {
  %c = qc.constant dense<[-1, 2]> : tensor<2xi32>
  %0 = qc.reduce %c {kind = #qc<reduce_kind l1>, axes = array<i64: 0>}
       : tensor<2xi32> -> tensor<1xi32>
  return %0 : tensor<1xi32>
}

// -----

// CHECK-LABEL: func @arg_reduce_unit_axis
// CHECK-DAG: %[[A:.*]] = qc.constant dense<0> : tensor<4x1xi64>
// CHECK-DAG: %[[B:.*]] = qc.constant dense<0> : tensor<4xi64>
// CHECK: return %[[A]], %[[B]]
func.func @arg_reduce_unit_axis(%x: tensor<4x1xf32>) -> (tensor<4x1xi64>, tensor<4xi64>) {
  %0 = qc.arg_max %x {axis = 1 : i64} : tensor<4x1xf32> -> tensor<4x1xi64>
  %1 = qc.arg_min %x {axis = -1 : i64, keepdims = false, select_last_index = true}
       : tensor<4x1xf32> -> tensor<4xi64>
  return %0, %1 : tensor<4x1xi64>, tensor<4xi64>
}

// -----

// CHECK-LABEL: func @negative_arg_max_wide_axis
// CHECK: qc.arg_max
func.func @negative_arg_max_wide_axis(%x: tensor<4x1xf32>) -> tensor<1x1xi64> {
  %0 = qc.arg_max %x {axis = 0 : i64} : tensor<4x1xf32> -> tensor<1x1xi64>
  return %0 : tensor<1x1xi64>
}

// -----

// CHECK-LABEL: func @negative_arg_max_dynamic
// CHECK: qc.arg_max
func.func @negative_arg_max_dynamic(%x: tensor<?x1xf32>) -> tensor<?x1xi64> {
  %0 = qc.arg_max %x {axis = 1 : i64} : tensor<?x1xf32> -> tensor<?x1xi64>
  return %0 : tensor<?x1xi64>
}

// -----

// CHECK-LABEL: func @pool2d_unit_window
// CHECK-SAME: (%[[X:.*]]: tensor<1x8x7x7xf32>, %[[Q:.*]]: tensor<1x8x7x7x!quant.uniform<i8:f32, 1.000000e-01>>)
// CHECK-NEXT: return %[[X]], %[[Q]]
func.func @pool2d_unit_window(%x: tensor<1x8x7x7xf32>, %q: tensor<1x8x7x7x!quant.uniform<i8:f32, 0.1>>)
    -> (tensor<1x8x7x7xf32>, tensor<1x8x7x7x!quant.uniform<i8:f32, 0.1>>) {
  %0 = qc.pool2d %x {kind = #qc<pool_kind avg>, kernel = array<i64: 1, 1>, count_include_pad = true}
       : tensor<1x8x7x7xf32> -> tensor<1x8x7x7xf32>
  %1 = qc.pool2d %q {kind = #qc<pool_kind max>, kernel = array<i64: 1, 1>, ceil_mode = true}
       : tensor<1x8x7x7x!quant.uniform<i8:f32, 0.1>> -> tensor<1x8x7x7x!quant.uniform<i8:f32, 0.1>>
  return %0, %1 : tensor<1x8x7x7xf32>, tensor<1x8x7x7x!quant.uniform<i8:f32, 0.1>>
}

// -----

// CHECK-LABEL: func @negative_pool2d_unit_window_strided
// CHECK: qc.pool2d
func.func @negative_pool2d_unit_window_strided(%x: tensor<1x8x8x8xf32>) -> tensor<1x8x4x4xf32> {
  %0 = qc.pool2d %x {kind = #qc<pool_kind max>, kernel = array<i64: 1, 1>, strides = array<i64: 2, 2>}
       : tensor<1x8x8x8xf32> -> tensor<1x8x4x4xf32>
  return %0 : tensor<1x8x4x4xf32>
}

// -----

// Averaging one element still requantizes to the result's scale.
// CHECK-LABEL: func @negative_pool2d_unit_window_requantizes
// CHECK: qc.pool2d
func.func @negative_pool2d_unit_window_requantizes(%q: tensor<1x8x7x7x!quant.uniform<i8:f32, 0.1>>)
    -> tensor<1x8x7x7x!quant.uniform<i8:f32, 0.2>> {
  %0 = qc.pool2d %q {kind = #qc<pool_kind avg>, kernel = array<i64: 1, 1>}
       : tensor<1x8x7x7x!quant.uniform<i8:f32, 0.1>> -> tensor<1x8x7x7x!quant.uniform<i8:f32, 0.2>>
  return %0 : tensor<1x8x7x7x!quant.uniform<i8:f32, 0.2>>
}
