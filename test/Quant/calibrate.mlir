// RUN: rm -rf %t && mkdir -p %t/x
// RUN: %python -c "import numpy as np; np.save('%t/x/0.npy', np.array([[-1.5, 0.25, 2, 3]], np.float32)); np.save('%t/x/1.npy', np.array([0.5, -0.75, 4, 1], np.float64)); np.save('%t/all.npy', np.array([[1, 2, 3, 4], [-8, 0, 0, 16], [100, 100, 100, 100]], np.float32))"
// RUN: quant-opt %s --qc-calibrate="data=%t/x method=minmax" | FileCheck %s
// RUN: quant-opt %s --qc-calibrate="data=x=%t/all.npy max-samples=2" | FileCheck %s --check-prefix=FILE
// RUN: quant-opt %s --qc-calibrate="data=%t/x method=ema-minmax ema-constant=0.5" | FileCheck %s --check-prefix=EMA
// RUN: quant-opt %s --qc-calibrate="data=%t/x method=percentile percentile=100 bins=64 weight-method=mse" | FileCheck %s --check-prefix=PCT

// Two samples from a directory (the second without the batch dim, in f64):
// x spans [-1.5, 4], relu(x) [0, 4]; the weight observer reads the constant
// per row.
// CHECK-LABEL: func @f
// CHECK: qc.observe %arg0 {max = array<f64: 4.000000e+00>, method = "minmax", min = array<f64: -1.500000e+00>, name = "x"}
// CHECK: qc.observe %{{.*}} {max = array<f64: 4.000000e+00>, method = "minmax", min = array<f64: 0.000000e+00>, name = "relu"}
// CHECK: qc.observe %{{.*}} {axis = 0 : i64, max = array<f64: 2.000000e+00, 5.000000e-01>, method = "minmax", min = array<f64: -1.000000e+00, -3.000000e+00>, name = "w"}
// CHECK: qc.observe %{{.*}} {dynamic, name = "dyn"}

// The first two rows of one .npy file (max-samples=2): [-8, 16].
// FILE: qc.observe %arg0 {max = array<f64: 1.600000e+01>, method = "minmax", min = array<f64: -8.000000e+00>, name = "x"}

// min: 0.5 * -1.5 + 0.5 * -0.75; max: 0.5 * 3 + 0.5 * 4.
// EMA: qc.observe %arg0 {max = array<f64: 3.500000e+00>, method = "ema-minmax", min = array<f64: -1.125000e+00>, name = "x"}
// percentile=100 keeps the data's extremes; per-slice weights searched by MSE
// (none clips for these few values).
// PCT: qc.observe %arg0 {max = array<f64: 4.000000e+00>, method = "percentile", min = array<f64: -1.500000e+00>, name = "x"}
// PCT: qc.observe %{{.*}} {axis = 0 : i64, max = array<f64: 2.000000e+00, 5.000000e-01>, method = "mse", min = array<f64: -1.000000e+00, -3.000000e+00>, name = "w"}
func.func @f(%x: tensor<1x4xf32> {qc.name = "x"}) -> tensor<1x4xf32> {
  %0 = qc.observe %x {name = "x"} : tensor<1x4xf32>
  %1 = qc.relu %0 : tensor<1x4xf32>
  %2 = qc.observe %1 {name = "relu"} : tensor<1x4xf32>
  %w = qc.constant dense<[[1.0, -1.0, 2.0, 0.0], [-3.0, 0.5, 0.0, 0.25]]> : tensor<2x4xf32>
  %3 = qc.observe %w {name = "w", axis = 0 : i64} : tensor<2x4xf32>
  %4 = qc.observe %2 {name = "dyn", dynamic} : tensor<1x4xf32>
  return %4 : tensor<1x4xf32>
}
