// qc ops are side-effect free: unused ones are erased and identical ones
// merged, while observers of different tensors stay distinct.
// RUN: quant-opt %s -cse -canonicalize | FileCheck %s

// CHECK-LABEL: func @cse_dce
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NEXT: %[[S:.*]] = qc.sigmoid %[[X]]
// CHECK-NEXT: %[[A:.*]] = qc.observe %[[S]] {name = "a"}
// CHECK-NEXT: %[[B:.*]] = qc.observe %[[S]] {name = "b"}
// CHECK-NEXT: %[[M:.*]] = qc.mul %[[A]], %[[B]]
// CHECK-NEXT: %[[D:.*]] = qc.add %[[M]], %[[M]]
// CHECK-NEXT: return %[[D]]
func.func @cse_dce(%x: tensor<4xf32>) -> tensor<4xf32> {
  %unused = qc.exp %x : tensor<4xf32>
  %s0 = qc.sigmoid %x : tensor<4xf32>
  %s1 = qc.sigmoid %x : tensor<4xf32>
  %a = qc.observe %s0 {name = "a"} : tensor<4xf32>
  %b = qc.observe %s1 {name = "b"} : tensor<4xf32>
  %m0 = qc.mul %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %m1 = qc.mul %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %d = qc.add %m0, %m1 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %d : tensor<4xf32>
}
