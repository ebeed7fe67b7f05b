// RUN: quant-opt %s --split-input-file --qc-decompose-activations | FileCheck %s
// RUN: quant-opt %s --split-input-file --qc-decompose-activations=ops=silu | FileCheck %s --check-prefix=SILU
// RUN: not quant-opt %s --qc-decompose-activations=ops=swish 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: unknown activation 'swish' (expected silu, hardswish or gelu)

// CHECK-LABEL: func @silu
// CHECK-SAME: (%[[X:.*]]: tensor<8xf32>)
// CHECK: %[[S:.*]] = qc.sigmoid %[[X]] : tensor<8xf32>
// CHECK: %[[M:.*]] = qc.mul %[[X]], %[[S]] : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
// CHECK: return %[[M]]
// SILU-LABEL: func @silu
// SILU: qc.sigmoid
func.func @silu(%x: tensor<8xf32>) -> tensor<8xf32> {
  %0 = qc.silu %x : tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// CHECK-LABEL: func @hardswish
// CHECK-SAME: (%[[X:.*]]: tensor<8xf16>)
// CHECK: %[[H:.*]] = qc.hardsigmoid %[[X]] {alpha = 0.16666666666666666 : f64} : tensor<8xf16>
// CHECK: qc.mul %[[X]], %[[H]]
// SILU-LABEL: func @hardswish
// SILU: qc.hardswish
func.func @hardswish(%x: tensor<8xf16>) -> tensor<8xf16> {
  %0 = qc.hardswish %x : tensor<8xf16>
  return %0 : tensor<8xf16>
}

// -----

// CHECK-LABEL: func @gelu_exact
// CHECK-SAME: (%[[X:.*]]: tensor<2x8xf32>)
// CHECK-DAG: %[[RS2:.*]] = qc.constant dense<0.707106769> : tensor<f32>
// CHECK-DAG: %[[ONE:.*]] = qc.constant dense<1.000000e+00> : tensor<f32>
// CHECK-DAG: %[[HALF:.*]] = qc.constant dense<5.000000e-01> : tensor<f32>
// CHECK: %[[S:.*]] = qc.mul %[[X]], %[[RS2]]
// CHECK: %[[E:.*]] = qc.erf %[[S]]
// CHECK: %[[P:.*]] = qc.add %[[E]], %[[ONE]]
// CHECK: %[[H:.*]] = qc.mul %[[X]], %[[HALF]]
// CHECK: %[[R:.*]] = qc.mul %[[H]], %[[P]]
// CHECK: return %[[R]]
// SILU-LABEL: func @gelu_exact
// SILU: qc.gelu
func.func @gelu_exact(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %0 = qc.gelu %x : tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// CHECK-LABEL: func @gelu_tanh
// CHECK-DAG: qc.constant dense<4.471500e-02> : tensor<f32>
// CHECK-DAG: qc.constant dense<0.797884583> : tensor<f32>
// CHECK: qc.tanh
// CHECK-NOT: qc.gelu
func.func @gelu_tanh(%x: tensor<8xf32>) -> tensor<8xf32> {
  %0 = qc.gelu %x {approximate = #qc<gelu_approx tanh>} : tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// CHECK-LABEL: func @negative_other_ops
// CHECK-NEXT: qc.sigmoid
// CHECK-NEXT: qc.relu
// CHECK-NEXT: return
func.func @negative_other_ops(%x: tensor<8xf32>) -> tensor<8xf32> {
  %0 = qc.sigmoid %x : tensor<8xf32>
  %1 = qc.relu %0 : tensor<8xf32>
  return %1 : tensor<8xf32>
}
