// RUN: quant-opt %s --split-input-file --qc-strip-observers | FileCheck %s
// RUN: quant-opt %s --split-input-file --qc-strip-observers=only-uncalibrated | FileCheck %s --check-prefix=UNCAL

// CHECK-LABEL: func @strip
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NOT: qc.observe
// CHECK: %[[R:.*]] = qc.relu %[[X]]
// CHECK-NOT: qc.observe
// CHECK: return %[[R]]
// UNCAL-LABEL: func @strip
// UNCAL-NOT: qc.observe
func.func @strip(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qc.observe %x {name = "in"} : tensor<4xf32>
  %1 = qc.relu %0 : tensor<4xf32>
  %2 = qc.observe %1 {name = "out"} : tensor<4xf32>
  return %2 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func @calibrated
// CHECK-NOT: qc.observe
// UNCAL-LABEL: func @calibrated
// UNCAL: qc.observe %{{.*}} {max = array<f64: 1.000000e+00>, min = array<f64: 0.000000e+00>, name = "kept"}
// UNCAL-NOT: qc.observe
func.func @calibrated(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qc.observe %x {name = "kept", min = array<f64: 0.0>, max = array<f64: 1.0>} : tensor<4xf32>
  %1 = qc.observe %0 {name = "dropped"} : tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// Ops other than observers are untouched.
// CHECK-LABEL: func @negative_no_observers
// CHECK: qc.fake_quant
// CHECK: qc.sigmoid
func.func @negative_no_observers(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qc.fake_quant %x {quant_type = !quant.uniform<i8:f32, 0.1>} : tensor<4xf32>
  %1 = qc.sigmoid %0 : tensor<4xf32>
  return %1 : tensor<4xf32>
}
