// RUN: quant-opt %s --convert-qc-to-linalg | FileCheck %s

// arg_max/arg_min: one reduction with two results, the best value so far
// (from -inf/+inf or the end of the integer range) and its i64 index. A
// float NaN wins and, without select_last_index, stays:
// better = isnan(best) ? false : isnan(x) || x > best.

// CHECK-LABEL: func.func @arg_max_f32
// CHECK: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[BI:.*]] = linalg.fill ins(%[[NINF]] : f32) outs(%{{.*}} : tensor<2xf32>)
// CHECK: %[[ZERO:.*]] = arith.constant 0 : i64
// CHECK: %[[II:.*]] = linalg.fill ins(%[[ZERO]] : i64) outs(%{{.*}} : tensor<2xi64>)
// CHECK: %[[R:.*]]:2 = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%{{.*}} : tensor<2x5xf32>) outs(%[[BI]], %[[II]] : tensor<2xf32>, tensor<2xi64>)
// CHECK: ^bb0(%[[X:.*]]: f32, %[[B:.*]]: f32, %[[I:.*]]: i64):
// CHECK:   %[[GT:.*]] = arith.cmpf ogt, %[[X]], %[[B]] : f32
// CHECK:   %[[XN:.*]] = arith.cmpf uno, %[[X]], %[[X]] : f32
// CHECK:   %[[BN:.*]] = arith.cmpf uno, %[[B]], %[[B]] : f32
// CHECK:   %[[F:.*]] = arith.constant false
// CHECK:   %[[OR:.*]] = arith.ori %[[XN]], %[[GT]] : i1
// CHECK:   %[[BETTER:.*]] = arith.select %[[BN]], %[[F]], %[[OR]] : i1
// CHECK:   %[[K:.*]] = linalg.index 1 : index
// CHECK:   %[[K64:.*]] = arith.index_cast %[[K]] : index to i64
// CHECK:   %[[NB:.*]] = arith.select %[[BETTER]], %[[X]], %[[B]] : f32
// CHECK:   %[[NI:.*]] = arith.select %[[BETTER]], %[[K64]], %[[I]] : i64
// CHECK:   linalg.yield %[[NB]], %[[NI]] : f32, i64
// CHECK: tensor.expand_shape %[[R]]#1 {{\[\[}}0, 1]] output_shape [2, 1] : tensor<2xi64> into tensor<2x1xi64>
func.func @arg_max_f32(%x: tensor<2x5xf32>) -> tensor<2x1xi64> {
  %y = qc.arg_max %x {axis = 1 : i64} : tensor<2x5xf32> -> tensor<2x1xi64>
  return %y : tensor<2x1xi64>
}

// A later NaN replaces an earlier one with select_last_index.

// CHECK-LABEL: func.func @arg_max_last_f32
// CHECK:   %[[GE:.*]] = arith.cmpf oge, %[[X:.*]], %[[B:.*]] : f32
// CHECK:   %[[XN:.*]] = arith.cmpf uno, %[[X]], %[[X]] : f32
// CHECK:   %[[BN:.*]] = arith.cmpf uno, %[[B]], %[[B]] : f32
// CHECK:   %[[OR:.*]] = arith.ori %[[XN]], %[[GE]] : i1
// CHECK:   arith.select %[[BN]], %[[XN]], %[[OR]] : i1
func.func @arg_max_last_f32(%x: tensor<5xf32>) -> tensor<1xi64> {
  %y = qc.arg_max %x {select_last_index = true} : tensor<5xf32> -> tensor<1xi64>
  return %y : tensor<1xi64>
}

// Integers compare signed; select_last_index keeps ties (<=), and without
// keepdims the result is the reduced tensor itself.

// CHECK-LABEL: func.func @arg_min_last_i32
// CHECK: %[[MAX:.*]] = arith.constant 2147483647 : i32
// CHECK: linalg.fill ins(%[[MAX]] : i32)
// CHECK: %[[R:.*]]:2 = linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]} ins(%{{.*}} : tensor<4x3xi32>)
// CHECK:   %[[LE:.*]] = arith.cmpi sle, %{{.*}}, %{{.*}} : i32
// CHECK:   linalg.index 0 : index
// CHECK: return %[[R]]#1 : tensor<3xi64>
func.func @arg_min_last_i32(%x: tensor<4x3xi32>) -> tensor<3xi64> {
  %y = qc.arg_min %x {axis = 0 : i64, keepdims = false, select_last_index = true} : tensor<4x3xi32> -> tensor<3xi64>
  return %y : tensor<3xi64>
}

// Quantized inputs compare their stored integers: unsigned for u8, from 0.

!u = !quant.uniform<u8:f32, 0.05:128>

// CHECK-LABEL: func.func @arg_max_u8
// CHECK-SAME: (%{{.*}}: tensor<6xi8>) -> tensor<1xi64>
// CHECK: %[[Z:.*]] = arith.constant 0 : i8
// CHECK: linalg.fill ins(%[[Z]] : i8) outs(%{{.*}} : tensor<i8>)
// CHECK:   arith.cmpi ugt, %{{.*}}, %{{.*}} : i8
// CHECK: tensor.expand_shape %{{.*}} [] output_shape [1] : tensor<i64> into tensor<1xi64>
func.func @arg_max_u8(%x: tensor<6x!u>) -> tensor<1xi64> {
  %y = qc.arg_max %x {axis = 0 : i64} : tensor<6x!u> -> tensor<1xi64>
  return %y : tensor<1xi64>
}
