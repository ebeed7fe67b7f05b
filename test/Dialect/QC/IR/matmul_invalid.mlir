// RUN: quant-opt %s -split-input-file -verify-diagnostics

func.func @matmul_k(%a: tensor<2x3xf32>, %b: tensor<5x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{reduction dimensions differ: lhs has 3, rhs has 5}}
  %0 = qc.matmul %a, %b : (tensor<2x3xf32>, tensor<5x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @matmul_rank0(%a: tensor<f32>, %b: tensor<5x4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{operands must have rank >= 1}}
  %0 = qc.matmul %a, %b : (tensor<f32>, tensor<5x4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @matmul_batch(%a: tensor<2x4x3xf32>, %b: tensor<5x3x4xf32>) -> tensor<2x4x4xf32> {
  // expected-error @+1 {{batch dimensions do not broadcast: dimension 0 has sizes 2 and 5}}
  %0 = qc.matmul %a, %b : (tensor<2x4x3xf32>, tensor<5x3x4xf32>) -> tensor<2x4x4xf32>
  return %0 : tensor<2x4x4xf32>
}

// -----

func.func @matmul_result(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) -> tensor<2x5xf32> {
  // expected-error @+1 {{result shape 2x5 does not match the expected 2x4}}
  %0 = qc.matmul %a, %b : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @matmul_float_mismatch(%a: tensor<2x3xf32>, %b: tensor<3x4xf16>) -> tensor<2x4xf32> {
  // expected-error @+1 {{weight element type 'f16' does not match input element type 'f32'}}
  %0 = qc.matmul %a, %b : (tensor<2x3xf32>, tensor<3x4xf16>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @matmul_result_type(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) -> tensor<2x4xf16> {
  // expected-error @+1 {{result element type 'f16' does not match input element type 'f32'}}
  %0 = qc.matmul %a, %b : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf16>
  return %0 : tensor<2x4xf16>
}

// -----

func.func @weight_only_expressed(%a: tensor<2x3xf16>, %b: tensor<3x4x!quant.uniform<i8:f32, 0.1>>) -> tensor<2x4xf16> {
  // expected-error @+1 {{weight expresses 'f32' but the input is 'f16'}}
  %0 = qc.matmul %a, %b : (tensor<2x3xf16>, tensor<3x4x!quant.uniform<i8:f32, 0.1>>) -> tensor<2x4xf16>
  return %0 : tensor<2x4xf16>
}

// -----

func.func @weight_only_quant_result(%a: tensor<2x3xf32>, %b: tensor<3x4x!quant.uniform<i8:f32, 0.1>>) -> tensor<2x4x!quant.uniform<i8:f32, 0.1>> {
  // expected-error @+1 {{a float input requires a float result and bias (weight-only form)}}
  %0 = qc.matmul %a, %b : (tensor<2x3xf32>, tensor<3x4x!quant.uniform<i8:f32, 0.1>>) -> tensor<2x4x!quant.uniform<i8:f32, 0.1>>
  return %0 : tensor<2x4x!quant.uniform<i8:f32, 0.1>>
}

// -----

func.func @per_axis_wrong_axis(%a: tensor<2x3xf32>, %b: tensor<3x4x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3}>>) -> tensor<2x4xf32> {
  // expected-error @+1 {{per-axis weight quantization must be along the output channel (dimension 1)}}
  %0 = qc.matmul %a, %b : (tensor<2x3xf32>, tensor<3x4x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3}>>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @per_axis_count(%a: tensor<2x3xf32>, %b: tensor<3x4x!quant.uniform<i8:f32:1, {0.1, 0.2, 0.3}>>) -> tensor<2x4xf32> {
  // expected-error @+1 {{weight: per-axis quantization along dimension 1 has 3 scales but the dimension has size 4}}
  %0 = qc.matmul %a, %b : (tensor<2x3xf32>, tensor<3x4x!quant.uniform<i8:f32:1, {0.1, 0.2, 0.3}>>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @sub_channel_batch_dim(%a: tensor<2x4x64xf32>, %b: tensor<2x64x2x!quant.uniform<i4:f32:{0:1, 1:32}, {{{0.1}, {0.2}}, {{0.3}, {0.4}}}>>) -> tensor<2x4x2xf32> {
  // expected-error @+1 {{sub-channel weight blocks may only run along the output channel and reduction dimensions, not dimension 0}}
  %0 = qc.matmul %a, %b : (tensor<2x4x64xf32>, tensor<2x64x2x!quant.uniform<i4:f32:{0:1, 1:32}, {{{0.1}, {0.2}}, {{0.3}, {0.4}}}>>) -> tensor<2x4x2xf32>
  return %0 : tensor<2x4x2xf32>
}

// -----

func.func @integer_needs_quant_weight(%a: tensor<2x3x!quant.uniform<i8:f32, 0.1>>, %b: tensor<3x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{a quantized input requires a quantized weight}}
  %0 = qc.matmul %a, %b : (tensor<2x3x!quant.uniform<i8:f32, 0.1>>, tensor<3x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @integer_per_axis_input(%a: tensor<2x3x!quant.uniform<i8:f32:1, {0.1, 0.1, 0.1}>>, %b: tensor<3x4x!quant.uniform<i8:f32, 0.1>>) -> tensor<2x4xf32> {
  // expected-error @+1 {{a quantized input must be per-tensor quantized}}
  %0 = qc.matmul %a, %b : (tensor<2x3x!quant.uniform<i8:f32:1, {0.1, 0.1, 0.1}>>, tensor<3x4x!quant.uniform<i8:f32, 0.1>>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @integer_sub_channel(%a: tensor<2x64x!quant.uniform<i8:f32, 0.1>>, %b: tensor<64x2x!quant.uniform<i4:f32:{0:32, 1:1}, {{0.1, 0.2}, {0.3, 0.4}}>>) -> tensor<2x2xf32> {
  // expected-error @+1 {{sub-channel weights take a float input (weight-only form)}}
  %0 = qc.matmul %a, %b : (tensor<2x64x!quant.uniform<i8:f32, 0.1>>, tensor<64x2x!quant.uniform<i4:f32:{0:32, 1:1}, {{0.1, 0.2}, {0.3, 0.4}}>>) -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// -----

func.func @integer_acc_scale(%a: tensor<2x3x!quant.uniform<i8:f32, 0.5>>, %b: tensor<3x4x!quant.uniform<i8:f32, 0.1>>) -> tensor<2x4x!quant.uniform<i32:f32, 0.1>> {
  // expected-error @+1 {{i32 result scale 1.000000e-01 must equal input scale times weight scale (5.000000e-02)}}
  %0 = qc.matmul %a, %b : (tensor<2x3x!quant.uniform<i8:f32, 0.5>>, tensor<3x4x!quant.uniform<i8:f32, 0.1>>) -> tensor<2x4x!quant.uniform<i32:f32, 0.1>>
  return %0 : tensor<2x4x!quant.uniform<i32:f32, 0.1>>
}

// -----

func.func @integer_acc_zero_point(%a: tensor<2x3x!quant.uniform<i8:f32, 0.5>>, %b: tensor<3x4x!quant.uniform<i8:f32, 0.1>>) -> tensor<2x4x!quant.uniform<i32:f32, 0.05:3>> {
  // expected-error @+1 {{i32 result must have zero point 0}}
  %0 = qc.matmul %a, %b : (tensor<2x3x!quant.uniform<i8:f32, 0.5>>, tensor<3x4x!quant.uniform<i8:f32, 0.1>>) -> tensor<2x4x!quant.uniform<i32:f32, 0.05:3>>
  return %0 : tensor<2x4x!quant.uniform<i32:f32, 0.05:3>>
}

// -----

func.func @integer_acc_count(%a: tensor<2x3x!quant.uniform<i8:f32, 0.5>>, %b: tensor<3x2x!quant.uniform<i8:f32:1, {0.1, 0.2}>>) -> tensor<2x2x!quant.uniform<i32:f32, 0.05>> {
  // expected-error @+1 {{i32 result must have 2 scale(s) (input scale times weight scale), got 1}}
  %0 = qc.matmul %a, %b : (tensor<2x3x!quant.uniform<i8:f32, 0.5>>, tensor<3x2x!quant.uniform<i8:f32:1, {0.1, 0.2}>>) -> tensor<2x2x!quant.uniform<i32:f32, 0.05>>
  return %0 : tensor<2x2x!quant.uniform<i32:f32, 0.05>>
}

// -----

func.func @integer_requant_per_axis(%a: tensor<2x3x!quant.uniform<i8:f32, 0.5>>, %b: tensor<3x2x!quant.uniform<i8:f32:1, {0.1, 0.2}>>) -> tensor<2x2x!quant.uniform<i8:f32:1, {0.1, 0.2}>> {
  // expected-error @+1 {{a requantized result must be per-tensor}}
  %0 = qc.matmul %a, %b : (tensor<2x3x!quant.uniform<i8:f32, 0.5>>, tensor<3x2x!quant.uniform<i8:f32:1, {0.1, 0.2}>>) -> tensor<2x2x!quant.uniform<i8:f32:1, {0.1, 0.2}>>
  return %0 : tensor<2x2x!quant.uniform<i8:f32:1, {0.1, 0.2}>>
}

// -----

func.func @integer_float_result(%a: tensor<2x3x!quant.uniform<i8:f32, 0.5>>, %b: tensor<3x2x!quant.uniform<i8:f32, 0.1>>) -> tensor<2x2xf16> {
  // expected-error @+1 {{a float result of the integer form must be 'f32', got 'f16'}}
  %0 = qc.matmul %a, %b : (tensor<2x3x!quant.uniform<i8:f32, 0.5>>, tensor<3x2x!quant.uniform<i8:f32, 0.1>>) -> tensor<2x2xf16>
  return %0 : tensor<2x2xf16>
}
