// RUN: quant-opt %s | quant-opt | FileCheck %s
// RUN: quant-opt %s -mlir-print-op-generic | quant-opt | FileCheck %s

// CHECK-LABEL: func @fake_quant
func.func @fake_quant(%x: tensor<4x8xf32>, %v: tensor<2x8xf32>, %u: tensor<2x64xf32>) -> (tensor<4x8xf32>, tensor<2x8xf32>, tensor<2x64xf32>) {
  // CHECK: qc.fake_quant %{{.*}} {quant_type = !quant.uniform<i8:f32, 1.000000e-01:-3>} : tensor<4x8xf32>
  %0 = qc.fake_quant %x {quant_type = !quant.uniform<i8:f32, 0.1:-3>} : tensor<4x8xf32>
  // CHECK: qc.fake_quant %{{.*}} {quant_type = !quant.uniform<i8<-127:127>:f32:0, {1.000000e-01,2.000000e-01}>} : tensor<2x8xf32>
  %1 = qc.fake_quant %v {quant_type = !quant.uniform<i8<-127:127>:f32:0, {0.1, 0.2}>} : tensor<2x8xf32>
  // CHECK: qc.fake_quant %{{.*}} {quant_type = !quant.uniform<i4:f32:{0:1, 1:32}, {{\{\{}}1.000000e-01, 2.000000e-01}, {3.000000e-01, 4.000000e-01}}>} : tensor<2x64xf32>
  %2 = qc.fake_quant %u {quant_type = !quant.uniform<i4:f32:{0:1, 1:32}, {{0.1, 0.2}, {0.3, 0.4}}>} : tensor<2x64xf32>
  return %0, %1, %2 : tensor<4x8xf32>, tensor<2x8xf32>, tensor<2x64xf32>
}
