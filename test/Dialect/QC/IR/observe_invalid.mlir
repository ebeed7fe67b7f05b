// RUN: quant-opt %s -split-input-file -verify-diagnostics

func.func @observe_min_without_max(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'min' and 'max' must be given together}}
  %0 = qc.observe %x {min = array<f64: 0.0>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @observe_axis_range(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{axis 1 is out of range for rank 1}}
  %0 = qc.observe %x {axis = 1 : i64} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @observe_unknown_method(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{unknown calibration method 'median'}}
  %0 = qc.observe %x {method = "median"} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @observe_length_mismatch(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'min' has 2 entries but 'max' has 1}}
  %0 = qc.observe %x {min = array<f64: 0.0, 1.0>, max = array<f64: 1.0>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @observe_per_tensor_count(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{expected 1 range entries (per tensor), got 2}}
  %0 = qc.observe %x {min = array<f64: 0.0, 1.0>, max = array<f64: 1.0, 2.0>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @observe_per_axis_count(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{expected 3 range entries (one per slice along the axis), got 1}}
  %0 = qc.observe %x {axis = 0 : i64, min = array<f64: 0.0>, max = array<f64: 1.0>} : tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

func.func @observe_inverted(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{range entry 0 has min 2.000000e+00 > max 1.000000e+00}}
  %0 = qc.observe %x {min = array<f64: 2.0>, max = array<f64: 1.0>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @observe_nan(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{range entry 0 is not finite}}
  %0 = qc.observe %x {min = array<f64: 0x7FF8000000000000>, max = array<f64: 1.0>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @observe_int(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values}}
  %0 = qc.observe %x : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @observe_block_without_axis(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  // expected-error @+1 {{block quantization needs a channel 'axis'}}
  %0 = qc.observe %x {block_axis = 1 : i64, block_size = 32 : i64} : tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}

// -----

func.func @observe_block_size_divides(%x: tensor<4x48xf32>) -> tensor<4x48xf32> {
  // expected-error @+1 {{block_size 32 does not divide dimension 1 (48)}}
  %0 = qc.observe %x {axis = 0 : i64, block_axis = 1 : i64, block_size = 32 : i64} : tensor<4x48xf32>
  return %0 : tensor<4x48xf32>
}

// -----

func.func @observe_block_count(%x: tensor<2x64xf32>) -> tensor<2x64xf32> {
  // expected-error @+1 {{expected 4 range entries (one per block), got 2}}
  %0 = qc.observe %x {axis = 0 : i64, block_axis = 1 : i64, block_size = 32 : i64, min = array<f64: 0.0, 0.0>, max = array<f64: 1.0, 1.0>} : tensor<2x64xf32>
  return %0 : tensor<2x64xf32>
}

// -----

func.func @observe_symmetric_unsigned(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{symmetric quantization needs a signed storage type, got 'ui8'}}
  %0 = qc.observe %x {storage = ui8, symmetric} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @observe_symmetric_without_storage(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'symmetric' and 'narrow_range' need a 'storage' type}}
  %0 = qc.observe %x {symmetric} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @observe_storage_width(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{storage type must be 2 to 16 bits wide, got 'i32'}}
  %0 = qc.observe %x {storage = i32} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @observe_dynamic_with_range(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{a dynamic observer has no calibrated range and no blocks}}
  %0 = qc.observe %x {storage = i8, dynamic, min = array<f64: 0.0>, max = array<f64: 1.0>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}
