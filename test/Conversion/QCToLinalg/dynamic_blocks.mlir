// RUN: quant-opt %s --convert-qc-to-linalg | FileCheck %s

// The dynamic form with a block quantized weight (w4a8-dynamic, Q4_0 x
// Q8_0): the f32 input is quantized per row and block of 32 at run time
// (6 = 3 rows x 2 blocks), the weight codes are repacked as nibbles in
// 16-row tiles ([N/16][K/32][1][4][16][4]: low nibble k = 4j + i, high
// nibble k + 16), the scales as [N/16][K/32][16] f32 as they are (both in
// resource blobs, not uniqued attributes), and the blocks are added in
// order onto the (padded) bias by the tagged `qmm` generic the CPU kernels
// replace.

!w = !quant.uniform<i4<-7:7>:f32:{0:1, 1:32}, {{0.5, 0.25}, {0.125, 1.0}}>
func.func @linear_blocks(%x: tensor<3x64xf32>, %b: tensor<2xf32>) -> tensor<3x2xf32> {
  %w = qc.constant dense<[[1, -2, 3, -4, 5, -6, 7, -7, 0, 1, 2, 3, 4, 5, 6, 7, 1, -2, 3, -4, 5, -6, 7, -7, 0, 1, 2, 3, 4, 5, 6, 7, 1, -2, 3, -4, 5, -6, 7, -7, 0, 1, 2, 3, 4, 5, 6, 7, 1, -2, 3, -4, 5, -6, 7, -7, 0, 1, 2, 3, 4, 5, 6, 7], [-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]]> : tensor<2x64xi4> -> tensor<2x64x!w>
  %y = qc.linear %x, %w, %b {dynamic_act} : (tensor<3x64xf32>, tensor<2x64x!w>, tensor<2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// CHECK-LABEL: func.func @linear_blocks
// Row 0, k = 0..3 and 16..19: codes 1, -2, 3, -4 in both nibbles.
// CHECK-DAG: %[[W:.*]] = arith.constant dense_resource<qc_qmm_weight> : tensor<1x2x1x4x16x4xi8>
// CHECK-DAG: %[[S:.*]] = arith.constant dense_resource<qc_qmm_scales> : tensor<1x2x16xf32>
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1]] output_shape [6, 32] : tensor<192xf32> into tensor<6x32xf32>
// CHECK: arith.divf %{{.*}}, %{{.*}} : f64
// CHECK: math.roundeven
// The sums of the activation codes per block (the unsigned offset's correction).
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<6x32xi8>) outs(%{{.*}} : tensor<6xi32>)
// CHECK: %[[XQ:.*]] = tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2, 3, 4, 5]] output_shape [3, 2, 1, 2, 4, 4]
// CHECK: %[[ACC:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "reduction"]} ins(%[[XQ]], %[[W]] : tensor<3x2x1x2x4x4xi8>, tensor<1x2x1x4x16x4xi8>) outs(%{{.*}} : tensor<3x2x2xi32>) attrs = {qc.kernel = "qmm_acc"}
// CHECK:   arith.shli
// CHECK:   linalg.index 4
// CHECK:   arith.constant 8 : i32
// CHECK: %[[BIAS:.*]] = tensor.pad %{{.*}} low[0] high[14]
// CHECK: %[[INIT:.*]] = linalg.generic {{.*}} attrs = {qc.kernel_init = {{[0-9]+}} : i64}
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[ACC]], %{{.*}}, %[[S]], %{{.*}} : tensor<3x2x2xi32>, tensor<3x2xf32>, tensor<1x2x16xf32>, tensor<3x2xi32>) outs(%[[INIT]] : tensor<3x2xf32>) attrs = {qc.bits = 4 : i64, qc.block = 32 : i64, qc.kernel = "qmm"}
// CHECK:   arith.subi
// CHECK-NOT: arith.muli
// CHECK:   %[[SC:.*]] = arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK:   %[[F:.*]] = arith.sitofp %{{.*}} : i32 to f32
// CHECK:   %[[T:.*]] = arith.mulf %[[F]], %[[SC]] : f32
// CHECK:   arith.addf %{{.*}}, %[[T]] : f32
// Scales 0.5 and 0.125 (rows 0 and 1, block 0), then 0.25 and 1.0 (block 1).
// CHECK: qc_qmm_weight: "0x4000000011EE33CC
// CHECK: qc_qmm_scales: "0x400000000000003F0000003E{{(0{8})+}}0000803E0000803F
