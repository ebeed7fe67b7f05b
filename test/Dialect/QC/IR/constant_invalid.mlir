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
