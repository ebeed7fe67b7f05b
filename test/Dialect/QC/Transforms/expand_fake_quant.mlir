// RUN: quant-opt %s --split-input-file --qc-expand-fake-quant | FileCheck %s

// CHECK-LABEL: func @per_tensor
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[Q:.*]] = quant.qcast %[[X]] : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 5.000000e-01:3>>
// CHECK: %[[D:.*]] = quant.dcast %[[Q]] : tensor<4x!quant.uniform<i8:f32, 5.000000e-01:3>> to tensor<4xf32>
// CHECK: return %[[D]]
func.func @per_tensor(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qc.fake_quant %x {quant_type = !quant.uniform<i8:f32, 0.5:3>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func @per_axis_and_blocked
// CHECK: quant.qcast %{{.*}} : tensor<2x8xf32> to tensor<2x8x!quant.uniform<i8<-127:127>:f32:0, {1.000000e-01,2.000000e-01}>>
// CHECK: quant.dcast
// CHECK: quant.qcast %{{.*}} : tensor<2x64xf32> to tensor<2x64x!quant.uniform<i4:f32:{0:1, 1:32}
// CHECK: quant.dcast
// CHECK-NOT: qc.fake_quant
func.func @per_axis_and_blocked(%v: tensor<2x8xf32>, %u: tensor<2x64xf32>) -> (tensor<2x8xf32>, tensor<2x64xf32>) {
  %0 = qc.fake_quant %v {quant_type = !quant.uniform<i8<-127:127>:f32:0, {0.1, 0.2}>} : tensor<2x8xf32>
  %1 = qc.fake_quant %u {quant_type = !quant.uniform<i4:f32:{0:1, 1:32}, {{0.1, 0.2}, {0.3, 0.4}}>} : tensor<2x64xf32>
  return %0, %1 : tensor<2x8xf32>, tensor<2x64xf32>
}

// -----

// CHECK-LABEL: func @negative_observers_stay
// CHECK: qc.observe
// CHECK-NOT: quant.qcast
func.func @negative_observers_stay(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qc.observe %x {name = "x"} : tensor<4xf32>
  return %0 : tensor<4xf32>
}
