// RUN: quant-opt %s -split-input-file -verify-diagnostics

func.func @linear_weight_rank(%x: tensor<2x8xf32>, %w: tensor<8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{weight must have rank 2 ([out_features, in_features]), got rank 1}}
  %0 = qc.linear %x, %w : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @linear_features(%x: tensor<2x8xf32>, %w: tensor<4x6xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{input has 8 features but the weight expects 6}}
  %0 = qc.linear %x, %w : (tensor<2x8xf32>, tensor<4x6xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @linear_bias_shape(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>, %b: tensor<5xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{bias must have shape 4, got 5}}
  %0 = qc.linear %x, %w, %b : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<5xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @linear_bias_type(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>, %b: tensor<4xf16>) -> tensor<2x4xf32> {
  // expected-error @+1 {{bias element type 'f16' does not match input element type 'f32'}}
  %0 = qc.linear %x, %w, %b : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf16>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @linear_integer_float_bias(%x: tensor<2x8x!quant.uniform<i8:f32, 0.5>>, %w: tensor<4x8x!quant.uniform<i8:f32, 0.1>>, %b: tensor<4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{the integer form needs an i32 quantized bias, got 'f32'}}
  %0 = qc.linear %x, %w, %b : (tensor<2x8x!quant.uniform<i8:f32, 0.5>>, tensor<4x8x!quant.uniform<i8:f32, 0.1>>, tensor<4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @linear_integer_bias_scale(%x: tensor<2x8x!quant.uniform<i8:f32, 0.5>>, %w: tensor<4x8x!quant.uniform<i8:f32, 0.1>>, %b: tensor<4x!quant.uniform<i32:f32, 0.5>>) -> tensor<2x4xf32> {
  // expected-error @+1 {{bias scale 5.000000e-01 must equal input scale times weight scale (5.000000e-02)}}
  %0 = qc.linear %x, %w, %b : (tensor<2x8x!quant.uniform<i8:f32, 0.5>>, tensor<4x8x!quant.uniform<i8:f32, 0.1>>, tensor<4x!quant.uniform<i32:f32, 0.5>>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @linear_integer_bias_width(%x: tensor<2x8x!quant.uniform<i8:f32, 0.5>>, %w: tensor<4x8x!quant.uniform<i8:f32, 0.1>>, %b: tensor<4x!quant.uniform<i8:f32, 0.05>>) -> tensor<2x4xf32> {
  // expected-error @+1 {{bias must be i32-stored in the integer form}}
  %0 = qc.linear %x, %w, %b : (tensor<2x8x!quant.uniform<i8:f32, 0.5>>, tensor<4x8x!quant.uniform<i8:f32, 0.1>>, tensor<4x!quant.uniform<i8:f32, 0.05>>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @dynamic_float_weight(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'dynamic_act' needs a per-tensor, per-axis or block quantized weight}}
  %0 = qc.linear %x, %w {dynamic_act} : (tensor<2x8xf32>, tensor<4x8xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @dynamic_zero_point(%x: tensor<2x8xf32>, %w: tensor<4x8x!quant.uniform<i8:f32, 0.5:3>>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'dynamic_act' needs weight zero points 0}}
  %0 = qc.linear %x, %w {dynamic_act} : (tensor<2x8xf32>, tensor<4x8x!quant.uniform<i8:f32, 0.5:3>>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @dynamic_blocks_along_channel(%x: tensor<2x8xf32>, %w: tensor<4x8x!quant.uniform<i4:f32:{0:2}, {{0.1}, {0.2}}>>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'dynamic_act' with a block quantized weight needs a rank-2 matmul or linear weight with blocks along the reduction dimension}}
  %0 = qc.linear %x, %w {dynamic_act} : (tensor<2x8xf32>, tensor<4x8x!quant.uniform<i4:f32:{0:2}, {{0.1}, {0.2}}>>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}
