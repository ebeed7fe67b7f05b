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

// -----

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

func.func @conv_rank(%x: tensor<3x32x32xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x30x30xf32> {
  // expected-error @+1 {{input and weight must have rank 4 (NCHW and OIHW)}}
  %0 = qc.conv2d %x, %w : (tensor<3x32x32xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x30x30xf32>
  return %0 : tensor<1x8x30x30xf32>
}

// -----

func.func @conv_channels(%x: tensor<1x4x32x32xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x30x30xf32> {
  // expected-error @+1 {{input has 4 channels but weight expects 3 x 1 groups}}
  %0 = qc.conv2d %x, %w : (tensor<1x4x32x32xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x30x30xf32>
  return %0 : tensor<1x8x30x30xf32>
}

// -----

func.func @conv_groups_divide(%x: tensor<1x6x32x32xf32>, %w: tensor<8x2x3x3xf32>) -> tensor<1x8x30x30xf32> {
  // expected-error @+1 {{output channels 8 are not divisible by groups 3}}
  %0 = qc.conv2d %x, %w {groups = 3 : i64} : (tensor<1x6x32x32xf32>, tensor<8x2x3x3xf32>) -> tensor<1x8x30x30xf32>
  return %0 : tensor<1x8x30x30xf32>
}

// -----

func.func @conv_strides_count(%x: tensor<1x3x32x32xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x30x30xf32> {
  // expected-error @+1 {{'strides' must have 2 entries}}
  %0 = qc.conv2d %x, %w {strides = array<i64: 1>} : (tensor<1x3x32x32xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x30x30xf32>
  return %0 : tensor<1x8x30x30xf32>
}

// -----

func.func @conv_pads_count(%x: tensor<1x3x32x32xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x30x30xf32> {
  // expected-error @+1 {{'pads' must have 4 entries [top, left, bottom, right]}}
  %0 = qc.conv2d %x, %w {pads = array<i64: 1, 1>} : (tensor<1x3x32x32xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x30x30xf32>
  return %0 : tensor<1x8x30x30xf32>
}

// -----

func.func @conv_dilations_count(%x: tensor<1x3x32x32xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x30x30xf32> {
  // expected-error @+1 {{'dilations' must have 2 entries}}
  %0 = qc.conv2d %x, %w {dilations = array<i64: 1, 1, 1>} : (tensor<1x3x32x32xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x30x30xf32>
  return %0 : tensor<1x8x30x30xf32>
}

// -----

func.func @conv_zero_stride(%x: tensor<1x3x32x32xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x30x30xf32> {
  // expected-error @+1 {{strides must be positive}}
  %0 = qc.conv2d %x, %w {strides = array<i64: 0, 1>} : (tensor<1x3x32x32xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x30x30xf32>
  return %0 : tensor<1x8x30x30xf32>
}

// -----

func.func @conv_zero_dilation(%x: tensor<1x3x32x32xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x30x30xf32> {
  // expected-error @+1 {{dilations must be positive}}
  %0 = qc.conv2d %x, %w {dilations = array<i64: 1, 0>} : (tensor<1x3x32x32xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x30x30xf32>
  return %0 : tensor<1x8x30x30xf32>
}

// -----

func.func @conv_negative_pad(%x: tensor<1x3x32x32xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x30x30xf32> {
  // expected-error @+1 {{pads must be non-negative}}
  %0 = qc.conv2d %x, %w {pads = array<i64: -1, 0, 0, 0>} : (tensor<1x3x32x32xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x30x30xf32>
  return %0 : tensor<1x8x30x30xf32>
}

// -----

func.func @conv_zero_groups(%x: tensor<1x3x32x32xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x30x30xf32> {
  // expected-error @+1 {{groups must be positive}}
  %0 = qc.conv2d %x, %w {groups = 0 : i64} : (tensor<1x3x32x32xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x30x30xf32>
  return %0 : tensor<1x8x30x30xf32>
}

// -----

func.func @conv_kernel_too_big(%x: tensor<1x3x2x2xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x1x1xf32> {
  // expected-error @+1 {{kernel extent 3 exceeds padded input 2 in spatial dimension 0}}
  %0 = qc.conv2d %x, %w : (tensor<1x3x2x2xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x1x1xf32>
  return %0 : tensor<1x8x1x1xf32>
}

// -----

func.func @conv_result(%x: tensor<1x3x32x32xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x32x32xf32> {
  // expected-error @+1 {{result shape 1x8x32x32 does not match the expected 1x8x30x30}}
  %0 = qc.conv2d %x, %w : (tensor<1x3x32x32xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x32x32xf32>
  return %0 : tensor<1x8x32x32xf32>
}

// -----

func.func @conv_bias(%x: tensor<1x3x32x32xf32>, %w: tensor<8x3x3x3xf32>, %b: tensor<3xf32>) -> tensor<1x8x30x30xf32> {
  // expected-error @+1 {{bias must have shape 8 (one per output channel), got 3}}
  %0 = qc.conv2d %x, %w, %b : (tensor<1x3x32x32xf32>, tensor<8x3x3x3xf32>, tensor<3xf32>) -> tensor<1x8x30x30xf32>
  return %0 : tensor<1x8x30x30xf32>
}

// -----

func.func @conv_per_axis_input_channel(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3x!quant.uniform<i8:f32:1, {0.1, 0.2, 0.3}>>) -> tensor<1x4x6x6xf32> {
  // expected-error @+1 {{per-axis weight quantization must be along the output channel (dimension 0)}}
  %0 = qc.conv2d %x, %w : (tensor<1x3x8x8xf32>, tensor<4x3x3x3x!quant.uniform<i8:f32:1, {0.1, 0.2, 0.3}>>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

func.func @conv_transpose_channels(%x: tensor<1x8x16x16xf32>, %w: tensor<4x4x2x2xf32>) -> tensor<1x4x32x32xf32> {
  // expected-error @+1 {{input has 8 channels but weight expects 4}}
  %0 = qc.conv_transpose2d %x, %w {strides = array<i64: 2, 2>} : (tensor<1x8x16x16xf32>, tensor<4x4x2x2xf32>) -> tensor<1x4x32x32xf32>
  return %0 : tensor<1x4x32x32xf32>
}

// -----

func.func @conv_transpose_output_padding(%x: tensor<1x8x16x16xf32>, %w: tensor<8x4x2x2xf32>) -> tensor<1x4x34x34xf32> {
  // expected-error @+1 {{output_padding 2 must be non-negative and smaller than the stride or the dilation}}
  %0 = qc.conv_transpose2d %x, %w {strides = array<i64: 2, 2>, output_padding = array<i64: 2, 2>} : (tensor<1x8x16x16xf32>, tensor<8x4x2x2xf32>) -> tensor<1x4x34x34xf32>
  return %0 : tensor<1x4x34x34xf32>
}

// -----

func.func @conv_transpose_output_padding_count(%x: tensor<1x8x16x16xf32>, %w: tensor<8x4x2x2xf32>) -> tensor<1x4x32x32xf32> {
  // expected-error @+1 {{'output_padding' must have 2 entries}}
  %0 = qc.conv_transpose2d %x, %w {strides = array<i64: 2, 2>, output_padding = array<i64: 0>} : (tensor<1x8x16x16xf32>, tensor<8x4x2x2xf32>) -> tensor<1x4x32x32xf32>
  return %0 : tensor<1x4x32x32xf32>
}

// -----

func.func @conv_transpose_result(%x: tensor<1x8x16x16xf32>, %w: tensor<8x4x2x2xf32>) -> tensor<1x4x16x16xf32> {
  // expected-error @+1 {{result shape 1x4x16x16 does not match the expected 1x4x32x32}}
  %0 = qc.conv_transpose2d %x, %w {strides = array<i64: 2, 2>} : (tensor<1x8x16x16xf32>, tensor<8x4x2x2xf32>) -> tensor<1x4x16x16xf32>
  return %0 : tensor<1x4x16x16xf32>
}

// -----

func.func @conv_transpose_pads(%x: tensor<1x8x1x1xf32>, %w: tensor<8x4x1x1xf32>) -> tensor<1x4x1x1xf32> {
  // expected-error @+1 {{pads leave no output in spatial dimension 0}}
  %0 = qc.conv_transpose2d %x, %w {pads = array<i64: 1, 0, 0, 0>} : (tensor<1x8x1x1xf32>, tensor<8x4x1x1xf32>) -> tensor<1x4x1x1xf32>
  return %0 : tensor<1x4x1x1xf32>
}
