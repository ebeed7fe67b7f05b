// RUN: quant-opt %s --convert-qc-to-linalg | FileCheck %s

// log_softmax in the executor's order: the max by `x > m ? x : m` from
// -inf (NaN skipped), the sum of f64(expf(x - m)) in f64, one f32 log of
// it per slice, y = (x - m) - log(sum) in f32. Here along axis 0.

// CHECK-LABEL: func.func @log_softmax
// CHECK: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[MI:.*]] = linalg.fill ins(%[[NINF]] : f32) outs(%{{.*}} : tensor<5xf32>)
// CHECK: %[[M:.*]] = linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]} ins(%{{.*}} : tensor<2x5xf32>) outs(%[[MI]] : tensor<5xf32>)
// CHECK:   %[[GT:.*]] = arith.cmpf ogt, %[[X:.*]], %[[ACC:.*]] : f32
// CHECK:   arith.select %[[GT]], %[[X]], %[[ACC]] : f32
// CHECK: %[[S:.*]] = linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]} ins(%{{.*}}, %[[M]] : tensor<2x5xf32>, tensor<5xf32>) outs(%{{.*}} : tensor<5xf64>)
// CHECK:   %[[D:.*]] = arith.subf %{{.*}}, %{{.*}} : f32
// CHECK:   %[[E:.*]] = math.exp %[[D]] : f32
// CHECK:   %[[E64:.*]] = arith.extf %[[E]] : f32 to f64
// CHECK:   arith.addf %{{.*}}, %[[E64]] : f64
// CHECK: %[[LS:.*]] = linalg.generic {{.*}} ins(%[[S]] : tensor<5xf64>) outs(%{{.*}} : tensor<5xf32>)
// CHECK:   %[[L:.*]] = math.log %{{.*}} : f64
// CHECK:   arith.truncf %[[L]] : f64 to f32
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[M]], %[[LS]] : tensor<2x5xf32>, tensor<5xf32>, tensor<5xf32>) outs(%{{.*}} : tensor<2x5xf32>)
// CHECK: ^bb0(%[[XV:.*]]: f32, %[[MV:.*]]: f32, %[[LV:.*]]: f32, %{{.*}}: f32):
// CHECK:   %[[SH:.*]] = arith.subf %[[XV]], %[[MV]] : f32
// CHECK:   %[[Y:.*]] = arith.subf %[[SH]], %[[LV]] : f32
// CHECK:   linalg.yield %[[Y]] : f32
func.func @log_softmax(%x: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %y = qc.log_softmax %x {axis = 0 : i64} : tensor<2x5xf32>
  return %y : tensor<2x5xf32>
}

// Instance norm: rows are the (n, c) slices of [N*C, D*H]; the statistics
// are lowerNorm's in f64, and row n * C + c reads scale[c] and bias[c]
// (the [C] parameters broadcast to [N, C] and flattened):
// y = f32((x - mean) * inv * scale + bias), all in f64.

// CHECK-LABEL: func.func @instance_norm
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4x5xf32>, %[[G:.*]]: tensor<3xf32>, %[[B:.*]]: tensor<3xf32>)
// CHECK: %[[X2:.*]] = tensor.collapse_shape %[[X]] {{\[\[}}0, 1], [2, 3]] : tensor<2x3x4x5xf32> into tensor<6x20xf32>
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[X2]] : tensor<6x20xf32>) outs(%{{.*}} : tensor<6xf64>)
// CHECK: %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<6xf64>)
// CHECK:   arith.constant 2.000000e+01 : f64
// CHECK: %[[SQ:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[X2]], %[[MEAN]] : tensor<6x20xf32>, tensor<6xf64>) outs(%{{.*}} : tensor<6xf64>)
// CHECK:   arith.subf
// CHECK:   arith.mulf
// CHECK: %[[INV:.*]] = linalg.generic {{.*}} ins(%[[SQ]] : tensor<6xf64>)
// CHECK:   arith.constant 1.000000e-03 : f64
// CHECK:   math.sqrt %{{.*}} : f64
// CHECK: linalg.generic {{.*}} ins(%[[G]] : tensor<3xf32>) outs(%{{.*}} : tensor<2x3xf32>)
// CHECK: %[[GR:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1]] : tensor<2x3xf32> into tensor<6xf32>
// CHECK: linalg.generic {{.*}} ins(%[[B]] : tensor<3xf32>) outs(%{{.*}} : tensor<2x3xf32>)
// CHECK: %[[BR:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1]] : tensor<2x3xf32> into tensor<6xf32>
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} ins(%[[X2]], %[[INV]], %[[MEAN]], %[[GR]], %[[BR]] : tensor<6x20xf32>, tensor<6xf64>, tensor<6xf64>, tensor<6xf32>, tensor<6xf32>)
// CHECK: ^bb0(%[[XV:.*]]: f32, %[[IV:.*]]: f64, %[[MV:.*]]: f64, %[[GV:.*]]: f32, %[[BV:.*]]: f32, %{{.*}}: f32):
// CHECK:   %[[XE:.*]] = arith.extf %[[XV]] : f32 to f64
// CHECK:   %[[C:.*]] = arith.subf %[[XE]], %[[MV]] : f64
// CHECK:   %[[N:.*]] = arith.mulf %[[C]], %[[IV]] : f64
// CHECK:   %[[GE:.*]] = arith.extf %[[GV]] : f32 to f64
// CHECK:   %[[S:.*]] = arith.mulf %[[N]], %[[GE]] : f64
// CHECK:   %[[BE:.*]] = arith.extf %[[BV]] : f32 to f64
// CHECK:   %[[O:.*]] = arith.addf %[[S]], %[[BE]] : f64
// CHECK:   arith.truncf %[[O]] : f64 to f32
// CHECK: tensor.expand_shape %[[Y]] {{\[\[}}0, 1], [2, 3]] output_shape [2, 3, 4, 5] : tensor<6x20xf32> into tensor<2x3x4x5xf32>
func.func @instance_norm(%x: tensor<2x3x4x5xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<2x3x4x5xf32> {
  %y = qc.instance_norm %x, %g, %b {epsilon = 1.0e-03 : f64} : (tensor<2x3x4x5xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x4x5xf32>
  return %y : tensor<2x3x4x5xf32>
}
