// RUN: quant-opt %s -split-input-file -verify-diagnostics

func.func @constant_shape_mismatch() -> tensor<3xf32> {
  // expected-error @+1 {{value shape 2 does not match result shape 3}}
  %0 = qc.constant dense<[1.0, 2.0]> : tensor<2xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @constant_element_mismatch() -> tensor<2xf16> {
  // expected-error @+1 {{value element type 'f32' does not match result element type 'f16'}}
  %0 = qc.constant dense<[1.0, 2.0]> : tensor<2xf32> -> tensor<2xf16>
  return %0 : tensor<2xf16>
}

// -----

func.func @constant_quant_storage() -> tensor<2x!quant.uniform<i8:f32, 0.5>> {
  // expected-error @+1 {{value of a quantized constant must hold the i8 storage integers, got 'f32'}}
  %0 = qc.constant dense<[1.0, 2.0]> : tensor<2xf32> -> tensor<2x!quant.uniform<i8:f32, 0.5>>
  return %0 : tensor<2x!quant.uniform<i8:f32, 0.5>>
}

// -----

func.func @constant_quant_width() -> tensor<2x!quant.uniform<i8:f32, 0.5>> {
  // expected-error @+1 {{must hold the i8 storage integers, got 'i4'}}
  %0 = qc.constant dense<[1, 2]> : tensor<2xi4> -> tensor<2x!quant.uniform<i8:f32, 0.5>>
  return %0 : tensor<2x!quant.uniform<i8:f32, 0.5>>
}

// -----

func.func @constant_per_axis_count() -> tensor<3x2x!quant.uniform<i8:f32:0, {0.1, 0.2}>> {
  // expected-error @+1 {{result: per-axis quantization along dimension 0 has 2 scales but the dimension has size 3}}
  %0 = qc.constant dense<0> : tensor<3x2xi8> -> tensor<3x2x!quant.uniform<i8:f32:0, {0.1, 0.2}>>
  return %0 : tensor<3x2x!quant.uniform<i8:f32:0, {0.1, 0.2}>>
}

// -----

func.func @constant_not_elements() -> tensor<2xf32> {
  // expected-error @+1 {{expected an elements attribute}}
  %0 = qc.constant 1.0 : f32
  return %0 : tensor<2xf32>
}

// -----

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

func.func @fake_quant_not_quant(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'quant_type' must be a !quant.uniform type, got 'i8'}}
  %0 = qc.fake_quant %x {quant_type = i8} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @fake_quant_expressed(%x: tensor<4xf16>) -> tensor<4xf16> {
  // expected-error @+1 {{quantized type expresses 'f32' but the operand holds 'f16'}}
  %0 = qc.fake_quant %x {quant_type = !quant.uniform<i8:f32, 0.1>} : tensor<4xf16>
  return %0 : tensor<4xf16>
}

// -----

func.func @fake_quant_axis_range(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{quant_type: per-axis quantized dimension 1 is out of range for a tensor of rank 1}}
  %0 = qc.fake_quant %x {quant_type = !quant.uniform<i8:f32:1, {0.1, 0.2}>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @fake_quant_block_ragged(%x: tensor<2x40xf32>) -> tensor<2x40xf32> {
  // expected-error @+1 {{quant_type: dimension 1 of size 40 is not a multiple of its block size 32}}
  %0 = qc.fake_quant %x {quant_type = !quant.uniform<i4:f32:{1:32}, {{0.1, 0.2}}>} : tensor<2x40xf32>
  return %0 : tensor<2x40xf32>
}

// -----

func.func @fake_quant_block_scales(%x: tensor<2x64xf32>) -> tensor<2x64xf32> {
  // expected-error @+1 {{quant_type: dimension 0 of size 2 in blocks of 2 needs 1 scales, the type has 2}}
  %0 = qc.fake_quant %x {quant_type = !quant.uniform<i4:f32:{1:32}, {{0.1, 0.2}, {0.3, 0.4}}>} : tensor<2x64xf32>
  return %0 : tensor<2x64xf32>
}

// -----

func.func @fake_quant_block_rank(%x: tensor<2x2x64xf32>) -> tensor<2x2x64xf32> {
  // expected-error @+1 {{quant_type: sub-channel scales have rank 2 but the tensor has rank 3}}
  %0 = qc.fake_quant %x {quant_type = !quant.uniform<i4:f32:{1:1}, {{0.1, 0.2}}>} : tensor<2x2x64xf32>
  return %0 : tensor<2x2x64xf32>
}

// -----

func.func @fake_quant_type_change(%x: tensor<4xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{all of {input, result} have same type}}
  %0 = "qc.fake_quant"(%x) {quant_type = !quant.uniform<i8:f32, 0.1>} : (tensor<4xf32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}
