// RUN: quant-opt %s --convert-qc-to-linalg | FileCheck %s

// Comparisons broadcast like the other binary ops and give i1: floats
// compare ordered (NaN is false, as in C++), integers signed, i1 (the
// executor's bool) unsigned. The logical ops are and/or/xor on i1, not is
// xor with true.

// CHECK-DAG: #[[ID2:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[ID1:.*]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[BC:.*]] = affine_map<(d0) -> (0)>

// CHECK-LABEL: func.func @compare
// CHECK: linalg.generic {indexing_maps = [#[[ID2]], #[[COL]], #[[ID2]]], {{.*}} outs(%{{.*}} : tensor<2x4xi1>)
// CHECK:   arith.cmpf ole, %{{.*}}, %{{.*}} : f32
// CHECK: %[[GT:.*]] = linalg.generic
// CHECK:   arith.cmpi sgt, %{{.*}}, %{{.*}} : i32
// CHECK: linalg.generic {indexing_maps = [#[[ID1]], #[[BC]], #[[ID1]]]
// CHECK:   arith.cmpi ult, %{{.*}}, %{{.*}} : i1
// CHECK: linalg.generic {indexing_maps = [#[[ID1]], #[[BC]], #[[ID1]]]
// CHECK:   arith.andi %{{.*}}, %{{.*}} : i1
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[GT]] : tensor<4xi1>, tensor<4xi1>)
// CHECK:   arith.xori %{{.*}}, %{{.*}} : i1
// CHECK: linalg.generic
// CHECK:   arith.cmpi eq, %{{.*}}, %{{.*}} : i32
// CHECK: linalg.generic
// CHECK:   arith.ori %{{.*}}, %{{.*}} : i1
// CHECK: linalg.generic
// CHECK:   %[[T:.*]] = arith.constant true
// CHECK:   arith.xori %{{.*}}, %[[T]] : i1
func.func @compare(%a: tensor<2x4xf32>, %b: tensor<4xf32>, %i: tensor<4xi32>, %j: tensor<4xi32>, %p: tensor<4xi1>, %q: tensor<1xi1>)
    -> (tensor<2x4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>) {
  %0 = qc.less_equal %a, %b : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xi1>
  %1 = qc.greater %i, %j : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi1>
  %2 = qc.less %p, %q : (tensor<4xi1>, tensor<1xi1>) -> tensor<4xi1>
  %3 = qc.and %p, %q : (tensor<4xi1>, tensor<1xi1>) -> tensor<4xi1>
  %4 = qc.xor %p, %1 : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  %5 = qc.equal %i, %j : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi1>
  %6 = qc.or %4, %5 : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  %7 = qc.not %6 : tensor<4xi1>
  return %0, %1, %2, %3, %4, %5, %6, %7 : tensor<2x4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>
}

// Float mod: r = fmod(a, b) (arith.remf, exact), plus b when r != 0 and
// the signs of r and b differ (sign of the divisor, as Python).

// CHECK-LABEL: func.func @mod_f32
// CHECK: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %{{.*}}: f32):
// CHECK:   %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:   %[[R:.*]] = arith.remf %[[A]], %[[B]] : f32
// CHECK:   %[[NZ:.*]] = arith.cmpf une, %[[R]], %[[Z]] : f32
// CHECK:   %[[RN:.*]] = arith.cmpf olt, %[[R]], %[[Z]] : f32
// CHECK:   %[[BN:.*]] = arith.cmpf olt, %[[B]], %[[Z]] : f32
// CHECK:   %[[D:.*]] = arith.xori %[[RN]], %[[BN]] : i1
// CHECK:   %[[FIX:.*]] = arith.andi %[[NZ]], %[[D]] : i1
// CHECK:   %[[S:.*]] = arith.addf %[[R]], %[[B]] : f32
// CHECK:   arith.select %[[FIX]], %[[S]], %[[R]] : f32
func.func @mod_f32(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %y = qc.mod %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// Integer mod: the same correction on arith.remsi; a divisor of -1 gives 0
// (MIN % -1 would trap) and so does 0, which the executor reports as an
// error and generated code cannot: both divide by 1 instead.

// CHECK-LABEL: func.func @mod_i8
// CHECK: ^bb0(%[[A:.*]]: i8, %[[B:.*]]: i8, %{{.*}}: i8):
// CHECK-DAG:   %[[Z:.*]] = arith.constant 0 : i8
// CHECK-DAG:   %[[ONE:.*]] = arith.constant 1 : i8
// CHECK-DAG:   %[[M1:.*]] = arith.constant -1 : i8
// CHECK:   %[[E0:.*]] = arith.cmpi eq, %[[B]], %[[Z]] : i8
// CHECK:   %[[E1:.*]] = arith.cmpi eq, %[[B]], %[[M1]] : i8
// CHECK:   %[[TRIV:.*]] = arith.ori %[[E0]], %[[E1]] : i1
// CHECK:   %[[D:.*]] = arith.select %[[TRIV]], %[[ONE]], %[[B]] : i8
// CHECK:   %[[R:.*]] = arith.remsi %[[A]], %[[D]] : i8
// CHECK:   %[[NZ:.*]] = arith.cmpi ne, %[[R]], %[[Z]] : i8
// CHECK:   %[[RN:.*]] = arith.cmpi slt, %[[R]], %[[Z]] : i8
// CHECK:   %[[DN:.*]] = arith.cmpi slt, %[[D]], %[[Z]] : i8
// CHECK:   %[[X:.*]] = arith.xori %[[RN]], %[[DN]] : i1
// CHECK:   %[[FIX:.*]] = arith.andi %[[NZ]], %[[X]] : i1
// CHECK:   %[[S:.*]] = arith.addi %[[R]], %[[D]] : i8
// CHECK:   arith.select %[[FIX]], %[[S]], %[[R]] : i8
func.func @mod_i8(%a: tensor<4xi8>, %b: tensor<4xi8>) -> tensor<4xi8> {
  %y = qc.mod %a, %b : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
  return %y : tensor<4xi8>
}
