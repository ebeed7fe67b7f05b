// RUN: quant-opt %s -split-input-file -verify-diagnostics

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

// -----

func.func @conv_i32_accumulator_axis(%x: tensor<1x2x4x4x!quant.uniform<i8:f32, 0.5>>, %w: tensor<3x2x1x1x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3}>>) -> tensor<1x3x4x4x!quant.uniform<i32:f32:3, {0.05, 0.1, 0.15, 0.2}>> {
  // expected-error @+1 {{i32 result must be quantized along dimension 1}}
  %0 = qc.conv2d %x, %w {pads = array<i64: 0, 0, 0, 0>} : (tensor<1x2x4x4x!quant.uniform<i8:f32, 0.5>>, tensor<3x2x1x1x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3}>>) -> tensor<1x3x4x4x!quant.uniform<i32:f32:3, {0.05, 0.1, 0.15, 0.2}>>
  return %0 : tensor<1x3x4x4x!quant.uniform<i32:f32:3, {0.05, 0.1, 0.15, 0.2}>>
}
