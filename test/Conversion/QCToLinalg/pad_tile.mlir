// RUN: quant-opt %s --convert-qc-to-linalg | FileCheck %s

// The per-channel fill's map (below) and tile's input map.
// CHECK-DAG: #[[CH:.*]] = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-DAG: #[[TIN:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d3)>

// qc.pad gathers through one compile-time source index table per dimension
// that is not the identity (ShapeKernels.cpp padSource); in constant mode a
// -1 entry selects the fill value. Cropping (a negative amount) shifts the
// table: row 0 is fill, rows 1-2 read input rows 0-1; columns drop the
// first element and read 1, 2, then fill.

// CHECK-LABEL: func.func @pad_constant
// CHECK-DAG: %[[ROWS:.*]] = arith.constant dense<[-1, 0, 1]> : tensor<3xi64>
// CHECK-DAG: %[[COLS:.*]] = arith.constant dense<[1, 2, -1]> : tensor<3xi64>
// CHECK: linalg.generic {{.*}} ins(%[[ROWS]], %[[COLS]] : tensor<3xi64>, tensor<3xi64>) outs(%{{.*}} : tensor<3x3xf32>)
// CHECK: ^bb0(%[[R:.*]]: i64, %[[C:.*]]: i64, %{{.*}}: f32):
// CHECK:   %[[RF:.*]] = arith.cmpi slt, %[[R]], %[[ZERO:.*]] : i64
// CHECK:   %[[RI:.*]] = arith.maxsi %[[R]], %[[ZERO]] : i64
// CHECK:   %[[CF:.*]] = arith.cmpi slt, %[[C]], %[[ZERO]] : i64
// CHECK:   %[[F:.*]] = arith.ori %[[RF]], %[[CF]] : i1
// CHECK:   %[[V:.*]] = tensor.extract %{{.*}}[%{{.*}}, %{{.*}}] : tensor<2x3xf32>
// CHECK:   %[[FILL:.*]] = arith.constant 2.500000e+00 : f32
// CHECK:   arith.select %[[F]], %[[FILL]], %[[V]] : f32
func.func @pad_constant(%x: tensor<2x3xf32>) -> tensor<3x3xf32> {
  %y = qc.pad %x {pads = array<i64: 1, -1, 0, 1>, value = 2.5 : f64} : tensor<2x3xf32> -> tensor<3x3xf32>
  return %y : tensor<3x3xf32>
}

// Reflect (mirror without repeating the border): only the padded
// dimension has a table, and nothing is filled.

// CHECK-LABEL: func.func @pad_reflect
// CHECK: %[[T:.*]] = arith.constant dense<[2, 1, 0, 1, 2, 1, 0]> : tensor<7xi64>
// CHECK: linalg.generic {{.*}} ins(%[[T]] : tensor<7xi64>) outs(%{{.*}} : tensor<2x7xi32>)
// CHECK-NOT: arith.select
// CHECK: tensor.extract
// CHECK-NOT: arith.select
// CHECK: linalg.yield
func.func @pad_reflect(%x: tensor<2x3xi32>) -> tensor<2x7xi32> {
  %y = qc.pad %x {pads = array<i64: 0, 2, 0, 2>, mode = #qc<pad_mode reflect>} : tensor<2x3xi32> -> tensor<2x7xi32>
  return %y : tensor<2x7xi32>
}

// Quantized tensors pad with the quantized value, as the executor does:
// 1.0 at scale 0.5, zero point -3 is -1; per channel, -0.5 is -5 at
// (0.1, 0) and -7 at (0.2, -5) (round half to even), read by channel.

!q = !quant.uniform<i8:f32, 0.5:-3>
!c = !quant.uniform<i8:f32:1, {0.1:0, 0.2:-5}>

// CHECK-LABEL: func.func @pad_quant
// CHECK: arith.constant dense<[-1, 0, 1, 2, 3, -1]> : tensor<6xi64>
// CHECK: arith.constant -1 : i8
// CHECK: arith.select
// CHECK: %[[FILLS:.*]] = arith.constant dense<[-5, -7]> : tensor<2xi8>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[CH]], #{{.*}}], {{.*}} ins(%{{.*}}, %[[FILLS]] : tensor<4xi64>, tensor<2xi8>) outs(%{{.*}} : tensor<1x2x4xi8>)
// CHECK: ^bb0(%{{.*}}: i64, %[[FV:.*]]: i8, %{{.*}}: i8):
// CHECK:   arith.select %{{.*}}, %[[FV]], %{{.*}} : i8
func.func @pad_quant(%x: tensor<1x4x!q>, %c: tensor<1x2x3x!c>) -> (tensor<1x6x!q>, tensor<1x2x4x!c>) {
  %y = qc.pad %x {pads = array<i64: 0, 1, 0, 1>, value = 1.0 : f64} : tensor<1x4x!q> -> tensor<1x6x!q>
  %z = qc.pad %c {pads = array<i64: 0, 0, 1, 0, 0, 0>, value = -0.5 : f64} : tensor<1x2x3x!c> -> tensor<1x2x4x!c>
  return %y, %z : tensor<1x6x!q>, tensor<1x2x4x!c>
}

// qc.tile copies into the result viewed as [r0, n0, r1, n1] (input index
// (d1, d3)) and collapses it; quantized values move as stored integers.

// CHECK-LABEL: func.func @tile
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xi8>) -> tensor<4x9xi8>
// CHECK: %[[T:.*]] = linalg.generic {indexing_maps = [#[[TIN]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[X]] : tensor<2x3xi8>) outs(%{{.*}} : tensor<2x2x3x3xi8>)
// CHECK: tensor.collapse_shape %[[T]] {{\[\[}}0, 1], [2, 3]] : tensor<2x2x3x3xi8> into tensor<4x9xi8>
func.func @tile(%x: tensor<2x3x!q>) -> tensor<4x9x!q> {
  %y = qc.tile %x {repeats = array<i64: 2, 3>} : tensor<2x3x!q> -> tensor<4x9x!q>
  return %y : tensor<4x9x!q>
}
