// RUN: quant-opt %s -canonicalize -split-input-file | FileCheck %s

// CHECK-LABEL: func @add_zero
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NEXT: return %[[X]]
func.func @add_zero(%x: tensor<4xf32>) -> tensor<4xf32> {
  %z = qc.constant dense<0.0> : tensor<4xf32>
  %0 = qc.add %x, %z : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// The constant is moved to the right-hand side of a commutative op first.
// CHECK-LABEL: func @zero_add
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NEXT: return %[[X]]
func.func @zero_add(%x: tensor<4xf32>) -> tensor<4xf32> {
  %z = qc.constant dense<0.0> : tensor<f32>
  %0 = qc.add %z, %x : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Adding a zero of a larger shape broadcasts: not an identity.
// CHECK-LABEL: func @negative_add_zero_broadcasts
// CHECK: qc.add
func.func @negative_add_zero_broadcasts(%x: tensor<4xf32>) -> tensor<2x4xf32> {
  %z = qc.constant dense<0.0> : tensor<2x4xf32>
  %0 = qc.add %x, %z : (tensor<4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// CHECK-LABEL: func @mul_one_div_one_sub_zero
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NEXT: return %[[X]]
func.func @mul_one_div_one_sub_zero(%x: tensor<4xf32>) -> tensor<4xf32> {
  %one = qc.constant dense<1.0> : tensor<1xf32>
  %zero = qc.constant dense<0.0> : tensor<f32>
  %0 = qc.mul %x, %one : (tensor<4xf32>, tensor<1xf32>) -> tensor<4xf32>
  %1 = qc.div %0, %one : (tensor<4xf32>, tensor<1xf32>) -> tensor<4xf32>
  %2 = qc.sub %1, %zero : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %2 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func @negative_mul_two
// CHECK: qc.mul
func.func @negative_mul_two(%x: tensor<4xf32>) -> tensor<4xf32> {
  %two = qc.constant dense<2.0> : tensor<f32>
  %0 = qc.mul %x, %two : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Static shape arithmetic, as found in exported models, folds to one constant.
// CHECK-LABEL: func @int_shape_arith
// CHECK-NEXT: %[[C:.*]] = qc.constant dense<[2, 18]> : tensor<2xi64>
// CHECK-NEXT: return %[[C]]
func.func @int_shape_arith() -> tensor<2xi64> {
  %a = qc.constant dense<[4, 12]> : tensor<2xi64>
  %b = qc.constant dense<2> : tensor<i64>
  %c = qc.constant dense<[1, 3]> : tensor<2xi64>
  %0 = qc.div %a, %b : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  %1 = qc.mul %0, %c : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %2 = qc.sub %1, %c : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %3 = qc.add %2, %c : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  return %3 : tensor<2xi64>
}

// -----

// CHECK-LABEL: func @float_broadcast_fold
// CHECK-NEXT: %[[C:.*]] = qc.constant dense<{{\[\[}}1.100000e+01, 2.200000e+01], [1.300000e+01, 2.400000e+01]]> : tensor<2x2xf32>
func.func @float_broadcast_fold() -> tensor<2x2xf32> {
  %a = qc.constant dense<[[1.0], [3.0]]> : tensor<2x1xf32>
  %b = qc.constant dense<[10.0, 21.0]> : tensor<2xf32>
  %0 = qc.add %a, %b : (tensor<2x1xf32>, tensor<2xf32>) -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// -----

// Integer division by zero is left for run time.
// CHECK-LABEL: func @negative_div_by_zero
// CHECK: qc.div
func.func @negative_div_by_zero() -> tensor<2xi64> {
  %a = qc.constant dense<[4, 12]> : tensor<2xi64>
  %b = qc.constant dense<[2, 0]> : tensor<2xi64>
  %0 = qc.div %a, %b : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  return %0 : tensor<2xi64>
}

// -----

// CHECK-LABEL: func @mod_sign_of_divisor
// CHECK-NEXT: qc.constant dense<[1, -1, 0]> : tensor<3xi64>
func.func @mod_sign_of_divisor() -> tensor<3xi64> {
  %a = qc.constant dense<[-5, 5, 6]> : tensor<3xi64>
  %b = qc.constant dense<[3, -3, 3]> : tensor<3xi64>
  %0 = qc.mod %a, %b : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  return %0 : tensor<3xi64>
}

// -----

// CHECK-LABEL: func @compare_fold
// CHECK-NEXT: qc.constant dense<[true, false, false]> : tensor<3xi1>
func.func @compare_fold() -> tensor<3xi1> {
  %a = qc.constant dense<[1, 5, 3]> : tensor<3xi64>
  %b = qc.constant dense<3> : tensor<i64>
  %0 = qc.less %a, %b : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  return %0 : tensor<3xi1>
}

// -----

// CHECK-LABEL: func @float_compare_fold
// CHECK-NEXT: qc.constant dense<[false, true]> : tensor<2xi1>
func.func @float_compare_fold() -> tensor<2xi1> {
  %a = qc.constant dense<[1.0, 5.0]> : tensor<2xf32>
  %b = qc.constant dense<3.0> : tensor<f32>
  %0 = qc.greater_equal %a, %b : (tensor<2xf32>, tensor<f32>) -> tensor<2xi1>
  return %0 : tensor<2xi1>
}

// -----

// CHECK-LABEL: func @max_self
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NEXT: return %[[X]]
func.func @max_self(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qc.max %x, %x : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func @relu_relu
// CHECK-NEXT: %[[R:.*]] = qc.relu
// CHECK-NEXT: return %[[R]]
func.func @relu_relu(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qc.relu %x : tensor<4xf32>
  %1 = qc.relu %0 : tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func @neg_neg
// CHECK-SAME: (%[[X:.*]]: tensor<4xi32>)
// CHECK-NEXT: return %[[X]]
func.func @neg_neg(%x: tensor<4xi32>) -> tensor<4xi32> {
  %0 = qc.neg %x : tensor<4xi32>
  %1 = qc.neg %0 : tensor<4xi32>
  return %1 : tensor<4xi32>
}

// -----

// CHECK-LABEL: func @neg_constant
// CHECK-NEXT: qc.constant dense<[-1.000000e+00, 2.000000e+00]> : tensor<2xf32>
func.func @neg_constant() -> tensor<2xf32> {
  %a = qc.constant dense<[1.0, -2.0]> : tensor<2xf32>
  %0 = qc.neg %a : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// CHECK-LABEL: func @clip_unbounded
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NEXT: return %[[X]]
func.func @clip_unbounded(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qc.clip %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func @clip_inside_clip
// CHECK-NEXT: %[[C:.*]] = qc.clip %{{.*}} {max = 6.000000e+00 : f64, min = 0.000000e+00 : f64}
// CHECK-NEXT: return %[[C]]
func.func @clip_inside_clip(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qc.clip %x {min = 0.0 : f64, max = 6.0 : f64} : tensor<4xf32>
  %1 = qc.clip %0 {min = -1.0 : f64, max = 8.0 : f64} : tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func @negative_clip_tighter
// CHECK: qc.clip
// CHECK: qc.clip
func.func @negative_clip_tighter(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qc.clip %x {min = 0.0 : f64, max = 6.0 : f64} : tensor<4xf32>
  %1 = qc.clip %0 {max = 1.0 : f64} : tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func @cast_fold
// CHECK-NEXT: qc.constant dense<[1.000000e+00, -2.000000e+00]> : tensor<2xf32>
// CHECK-NEXT: qc.constant dense<[2, -1]> : tensor<2xi32>
// CHECK-NEXT: qc.constant dense<[true, false]> : tensor<2xi1>
func.func @cast_fold() -> (tensor<2xf32>, tensor<2xi32>, tensor<2xi1>) {
  %a = qc.constant dense<[1, -2]> : tensor<2xi64>
  %0 = qc.cast %a : tensor<2xi64> -> tensor<2xf32>
  %f = qc.constant dense<[2.7, -1.9]> : tensor<2xf32>
  %1 = qc.cast %f : tensor<2xf32> -> tensor<2xi32>
  %z = qc.constant dense<[3.0, 0.0]> : tensor<2xf32>
  %2 = qc.cast %z : tensor<2xf32> -> tensor<2xi1>
  return %0, %1, %2 : tensor<2xf32>, tensor<2xi32>, tensor<2xi1>
}

// -----

// CHECK-LABEL: func @negative_cast_out_of_range
// CHECK: qc.cast
func.func @negative_cast_out_of_range() -> tensor<1xi8> {
  %f = qc.constant dense<[300.0]> : tensor<1xf32>
  %0 = qc.cast %f : tensor<1xf32> -> tensor<1xi8>
  return %0 : tensor<1xi8>
}

// -----

// CHECK-LABEL: func @where_splat
// CHECK-SAME: (%[[A:.*]]: tensor<4xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK-NEXT: return %[[B]]
func.func @where_splat(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %c = qc.constant dense<false> : tensor<4xi1>
  %0 = qc.where %c, %a, %b : (tensor<4xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
