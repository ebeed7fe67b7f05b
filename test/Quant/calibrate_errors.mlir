// RUN: rm -rf %t && mkdir -p %t/empty
// RUN: not quant-opt %s --split-input-file --qc-calibrate="data=%t/missing" 2>&1 | FileCheck %s --check-prefixes=MISSING,DYN
// RUN: not quant-opt %s --qc-calibrate="data=%t/empty" 2>&1 | FileCheck %s --check-prefix=EMPTY
// RUN: not quant-opt %s --qc-calibrate 2>&1 | FileCheck %s --check-prefix=NODATA
// RUN: not quant-opt %s --qc-calibrate="data=%t/empty method=median" 2>&1 | FileCheck %s --check-prefix=METHOD
// RUN: not quant-opt %s --qc-calibrate="data=y=%t/empty" 2>&1 | FileCheck %s --check-prefix=NAME
// RUN: %python -c "import numpy as np; np.save('%t/bad.npy', np.zeros((3, 5), np.float32))"
// RUN: not quant-opt %s --qc-calibrate="data=%t/bad.npy" 2>&1 | FileCheck %s --check-prefix=SHAPE

// MISSING: error: qc-calibrate: {{.*}}missing: no such file or directory
// EMPTY: error: qc-calibrate: {{.*}}empty: no .npy files
// NODATA: error: qc-calibrate: function 'f' has activation observers: give calibration data
// METHOD: error: qc-calibrate: unknown method 'median' (expected minmax, ema-minmax, percentile, mse or entropy)
// NAME: error: qc-calibrate: calibration source 'y={{.*}}': the model has no input 'y' (inputs: x)
// DYN: error: qc-calibrate: input 'x' has type tensor<?x4xf32>: calibration needs a statically shaped tensor
// SHAPE: error: qc-calibrate: {{.*}}bad.npy: shape 3x5 does not match input 'x' (1x4)
func.func @f(%x: tensor<1x4xf32> {qc.name = "x"}) -> tensor<1x4xf32> {
  %0 = qc.observe %x {name = "x"} : tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}

// -----

func.func @dynamic(%x: tensor<?x4xf32> {qc.name = "x"}) -> tensor<?x4xf32> {
  %0 = qc.observe %x {name = "x"} : tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}
