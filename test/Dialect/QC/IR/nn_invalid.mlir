// RUN: quant-opt %s -split-input-file -verify-diagnostics

func.func @softmax_axis(%x: tensor<2x10xf32>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2 (expected [-2, 2))}}
  %0 = qc.softmax %x {axis = 2 : i64} : tensor<2x10xf32>
  return
}

// -----

func.func @log_softmax_axis(%x: tensor<2x10xf32>) {
  // expected-error @+1 {{axis -3 is out of range for rank 2 (expected [-2, 2))}}
  %0 = qc.log_softmax %x {axis = -3 : i64} : tensor<2x10xf32>
  return
}

// -----

func.func @softmax_scalar(%x: tensor<f32>) {
  // expected-error @+1 {{axis -1 is out of range for rank 0 (expected [0, 0))}}
  %0 = qc.softmax %x : tensor<f32>
  return
}

// -----

func.func @softmax_int(%x: tensor<4xi32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values}}
  %0 = qc.softmax %x : tensor<4xi32>
  return
}

// -----

func.func @layer_norm_axis(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2 (expected [-2, 2))}}
  %0 = qc.layer_norm %x {axis = 2 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @layer_norm_epsilon(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{epsilon must be finite and non-negative, got -1.000000e+00}}
  %0 = qc.layer_norm %x {epsilon = -1.0 : f64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @layer_norm_result(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{result type 'tensor<2x8xf16>' does not match input type 'tensor<2x8xf32>'}}
  %0 = qc.layer_norm %x : (tensor<2x8xf32>) -> tensor<2x8xf16>
  return
}

// -----

func.func @layer_norm_scale_type(%x: tensor<2x8xf32>, %g: tensor<8xf16>) {
  // expected-error @+1 {{scale element type 'f16' does not match input element type 'f32'}}
  %0 = qc.layer_norm %x scale %g : (tensor<2x8xf32>, tensor<8xf16>) -> tensor<2x8xf32>
  return
}

// -----

func.func @layer_norm_scale_shape(%x: tensor<2x16x64xf32>, %g: tensor<16xf32>) {
  // expected-error @+1 {{scale shape 16 does not broadcast to the normalised shape 64}}
  %0 = qc.layer_norm %x scale %g : (tensor<2x16x64xf32>, tensor<16xf32>) -> tensor<2x16x64xf32>
  return
}

// -----

func.func @layer_norm_scale_rank(%x: tensor<2x16x64xf32>, %g: tensor<16x64xf32>) {
  // expected-error @+1 {{scale shape 16x64 does not broadcast to the normalised shape 64}}
  %0 = qc.layer_norm %x scale %g : (tensor<2x16x64xf32>, tensor<16x64xf32>) -> tensor<2x16x64xf32>
  return
}

// -----

func.func @layer_norm_bias_shape(%x: tensor<2x16x64xf32>, %b: tensor<2x64xf32>) {
  // expected-error @+1 {{bias shape 2x64 does not broadcast to the normalised shape 16x64}}
  %0 = qc.layer_norm %x bias %b {axis = 1 : i64} : (tensor<2x16x64xf32>, tensor<2x64xf32>) -> tensor<2x16x64xf32>
  return
}

// -----

func.func @rms_norm_axis(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{axis -3 is out of range for rank 2 (expected [-2, 2))}}
  %0 = qc.rms_norm %x {axis = -3 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @rms_norm_epsilon_inf(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{epsilon must be finite and non-negative, got INF}}
  %0 = qc.rms_norm %x {epsilon = 0x7FF0000000000000 : f64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @rms_norm_result(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{result type 'tensor<8x2xf32>' does not match input type 'tensor<2x8xf32>'}}
  %0 = qc.rms_norm %x : (tensor<2x8xf32>) -> tensor<8x2xf32>
  return
}

// -----

func.func @rms_norm_scale_shape(%x: tensor<2x8xf32>, %g: tensor<2x8xf32>) {
  // expected-error @+1 {{scale shape 2x8 does not broadcast to the normalised shape 8}}
  %0 = qc.rms_norm %x scale %g : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @rms_norm_scale_type(%x: tensor<2x8xf32>, %g: tensor<8xbf16>) {
  // expected-error @+1 {{scale element type 'bf16' does not match input element type 'f32'}}
  %0 = qc.rms_norm %x scale %g : (tensor<2x8xf32>, tensor<8xbf16>) -> tensor<2x8xf32>
  return
}

// -----

func.func @instance_norm_rank(%x: tensor<2x8xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{input must have rank >= 3 ([N, C, D1, ...]), got rank 2}}
  %0 = qc.instance_norm %x, %g, %g : (tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @instance_norm_epsilon(%x: tensor<1x8x4x4xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{epsilon must be finite and non-negative, got -1.000000e-05}}
  %0 = qc.instance_norm %x, %g, %g {epsilon = -1.0e-05 : f64} : (tensor<1x8x4x4xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32>
  return
}

// -----

func.func @instance_norm_result(%x: tensor<1x8x4x4xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{result type 'tensor<1x8x4x2xf32>' does not match input type 'tensor<1x8x4x4xf32>'}}
  %0 = qc.instance_norm %x, %g, %g : (tensor<1x8x4x4xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x8x4x2xf32>
  return
}

// -----

func.func @instance_norm_scale_shape(%x: tensor<1x8x4x4xf32>, %g: tensor<4xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{scale must have shape 8 (one per channel), got 4}}
  %0 = qc.instance_norm %x, %g, %b : (tensor<1x8x4x4xf32>, tensor<4xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32>
  return
}

// -----

func.func @instance_norm_bias_rank(%x: tensor<1x8x4x4xf32>, %g: tensor<8xf32>, %b: tensor<1x8xf32>) {
  // expected-error @+1 {{bias must have shape 8 (one per channel), got 1x8}}
  %0 = qc.instance_norm %x, %g, %b : (tensor<1x8x4x4xf32>, tensor<8xf32>, tensor<1x8xf32>) -> tensor<1x8x4x4xf32>
  return
}

// -----

func.func @instance_norm_bias_type(%x: tensor<1x8x4x4xf32>, %g: tensor<8xf32>, %b: tensor<8xf16>) {
  // expected-error @+1 {{bias element type 'f16' does not match input element type 'f32'}}
  %0 = qc.instance_norm %x, %g, %b : (tensor<1x8x4x4xf32>, tensor<8xf32>, tensor<8xf16>) -> tensor<1x8x4x4xf32>
  return
}

// -----

func.func @reduce_empty_axes(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{axes must not be empty (list every axis to reduce all)}}
  %0 = qc.reduce %x {kind = #qc<reduce_kind sum>, axes = array<i64>} : tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @reduce_axis_range(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2 (axes must be normalised to [0, rank))}}
  %0 = qc.reduce %x {kind = #qc<reduce_kind sum>, axes = array<i64: 2>} : tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @reduce_negative_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{axis -1 is out of range for rank 2 (axes must be normalised to [0, rank))}}
  %0 = qc.reduce %x {kind = #qc<reduce_kind max>, axes = array<i64: -1>} : tensor<2x3xf32> -> tensor<2x1xf32>
  return
}

// -----

func.func @reduce_unsorted(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{axes must be strictly increasing (sorted and unique)}}
  %0 = qc.reduce %x {kind = #qc<reduce_kind min>, axes = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<1x1xf32>
  return
}

// -----

func.func @reduce_repeated(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{axes must be strictly increasing (sorted and unique)}}
  %0 = qc.reduce %x {kind = #qc<reduce_kind min>, axes = array<i64: 1, 1>} : tensor<2x3xf32> -> tensor<2x1xf32>
  return
}

// -----

func.func @reduce_element_type(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{result element type 'i64' does not match input element type 'i32'}}
  %0 = qc.reduce %x {kind = #qc<reduce_kind sum>, axes = array<i64: 1>} : tensor<2x3xi32> -> tensor<2x1xi64>
  return
}

// -----

func.func @reduce_mean_int(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{'mean' reduction requires a float element type, got 'i32'}}
  %0 = qc.reduce %x {kind = #qc<reduce_kind mean>, axes = array<i64: 1>} : tensor<2x3xi32> -> tensor<2x1xi32>
  return
}

// -----

func.func @reduce_l2_int(%x: tensor<2x3xi8>) {
  // expected-error @+1 {{'l2' reduction requires a float element type, got 'i8'}}
  %0 = qc.reduce %x {kind = #qc<reduce_kind l2>, axes = array<i64: 1>} : tensor<2x3xi8> -> tensor<2x1xi8>
  return
}

// -----

func.func @reduce_log_sum_int(%x: tensor<2x3xi8>) {
  // expected-error @+1 {{'log_sum' reduction requires a float element type, got 'i8'}}
  %0 = qc.reduce %x {kind = #qc<reduce_kind log_sum>, axes = array<i64: 1>} : tensor<2x3xi8> -> tensor<2x1xi8>
  return
}

// -----

func.func @reduce_log_sum_exp_int(%x: tensor<2x3xi64>) {
  // expected-error @+1 {{'log_sum_exp' reduction requires a float element type, got 'i64'}}
  %0 = qc.reduce %x {kind = #qc<reduce_kind log_sum_exp>, axes = array<i64: 0>} : tensor<2x3xi64> -> tensor<1x3xi64>
  return
}

// -----

func.func @reduce_keepdims_shape(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{result shape 2x1 does not match the expected 2}}
  %0 = qc.reduce %x {kind = #qc<reduce_kind sum>, axes = array<i64: 1>, keepdims = false} : tensor<2x3xf32> -> tensor<2x1xf32>
  return
}

// -----

func.func @reduce_result_shape(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{result shape 1x2 does not match the expected 1x3}}
  %0 = qc.reduce %x {kind = #qc<reduce_kind prod>, axes = array<i64: 0>} : tensor<2x3xf32> -> tensor<1x2xf32>
  return
}

// -----

func.func @arg_max_axis(%x: tensor<4x10xf32>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2 (expected [-2, 2))}}
  %0 = qc.arg_max %x {axis = 2 : i64} : tensor<4x10xf32> -> tensor<4x1xi64>
  return
}

// -----

func.func @arg_min_shape(%x: tensor<4x10xf32>) {
  // expected-error @+1 {{result shape 4x1 does not match the expected 4}}
  %0 = qc.arg_min %x {axis = -1 : i64, keepdims = false} : tensor<4x10xf32> -> tensor<4x1xi64>
  return
}

// -----

func.func @arg_max_i32(%x: tensor<4x10xf32>) {
  // expected-error @+1 {{result #0 must be ranked tensor of 64-bit signless integer values}}
  %0 = qc.arg_max %x {axis = 1 : i64} : tensor<4x10xf32> -> tensor<4x1xi32>
  return
}

// -----

func.func @arg_max_per_axis(%x: tensor<2x3x!quant.uniform<i8:f32:0, {0.1, 0.2}>>) {
  // expected-error @+1 {{a quantized input must be per-tensor quantized, got '!quant.uniform<i8:f32:0, {1.000000e-01,2.000000e-01}>'}}
  %0 = qc.arg_max %x {axis = 1 : i64} : tensor<2x3x!quant.uniform<i8:f32:0, {0.1, 0.2}>> -> tensor<2x1xi64>
  return
}

// -----

func.func @pool_rank(%x: tensor<8x8x8xf32>) {
  // expected-error @+1 {{input must have rank 4 (NCHW), got rank 3}}
  %0 = qc.pool2d %x {kind = #qc<pool_kind max>, kernel = array<i64: 2, 2>} : tensor<8x8x8xf32> -> tensor<8x4x4xf32>
  return
}

// -----

func.func @pool_kernel_size(%x: tensor<1x8x8x8xf32>) {
  // expected-error @+1 {{'kernel' must have 2 entries [kh, kw]}}
  %0 = qc.pool2d %x {kind = #qc<pool_kind max>, kernel = array<i64: 2>} : tensor<1x8x8x8xf32> -> tensor<1x8x8x8xf32>
  return
}

// -----

func.func @pool_strides_size(%x: tensor<1x8x8x8xf32>) {
  // expected-error @+1 {{'strides' must have 2 entries}}
  %0 = qc.pool2d %x {kind = #qc<pool_kind max>, kernel = array<i64: 2, 2>, strides = array<i64: 2>} : tensor<1x8x8x8xf32> -> tensor<1x8x8x8xf32>
  return
}

// -----

func.func @pool_dilations_size(%x: tensor<1x8x8x8xf32>) {
  // expected-error @+1 {{'dilations' must have 2 entries}}
  %0 = qc.pool2d %x {kind = #qc<pool_kind max>, kernel = array<i64: 2, 2>, dilations = array<i64: 1, 1, 1>} : tensor<1x8x8x8xf32> -> tensor<1x8x8x8xf32>
  return
}

// -----

func.func @pool_pads_size(%x: tensor<1x8x8x8xf32>) {
  // expected-error @+1 {{'pads' must have 4 entries [top, left, bottom, right]}}
  %0 = qc.pool2d %x {kind = #qc<pool_kind avg>, kernel = array<i64: 2, 2>, pads = array<i64: 1, 1>} : tensor<1x8x8x8xf32> -> tensor<1x8x8x8xf32>
  return
}

// -----

func.func @pool_kernel_positive(%x: tensor<1x8x8x8xf32>) {
  // expected-error @+1 {{kernel sizes must be positive}}
  %0 = qc.pool2d %x {kind = #qc<pool_kind max>, kernel = array<i64: 0, 2>} : tensor<1x8x8x8xf32> -> tensor<1x8x8x8xf32>
  return
}

// -----

func.func @pool_strides_positive(%x: tensor<1x8x8x8xf32>) {
  // expected-error @+1 {{strides must be positive}}
  %0 = qc.pool2d %x {kind = #qc<pool_kind max>, kernel = array<i64: 2, 2>, strides = array<i64: 1, 0>} : tensor<1x8x8x8xf32> -> tensor<1x8x8x8xf32>
  return
}

// -----

func.func @pool_dilations_positive(%x: tensor<1x8x8x8xf32>) {
  // expected-error @+1 {{dilations must be positive}}
  %0 = qc.pool2d %x {kind = #qc<pool_kind max>, kernel = array<i64: 2, 2>, dilations = array<i64: -1, 1>} : tensor<1x8x8x8xf32> -> tensor<1x8x8x8xf32>
  return
}

// -----

func.func @pool_pads_negative(%x: tensor<1x8x8x8xf32>) {
  // expected-error @+1 {{pads must be non-negative}}
  %0 = qc.pool2d %x {kind = #qc<pool_kind avg>, kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, -1, 0>} : tensor<1x8x8x8xf32> -> tensor<1x8x8x8xf32>
  return
}

// -----

func.func @pool_pads_too_large(%x: tensor<1x8x8x8xf32>) {
  // expected-error @+1 {{pads in spatial dimension 1 must be smaller than the kernel extent 2}}
  %0 = qc.pool2d %x {kind = #qc<pool_kind max>, kernel = array<i64: 3, 2>, pads = array<i64: 0, 2, 0, 0>} : tensor<1x8x8x8xf32> -> tensor<1x8x8x8xf32>
  return
}

// -----

func.func @pool_kernel_too_large(%x: tensor<1x8x8x8xf32>) {
  // expected-error @+1 {{kernel extent 9 exceeds padded input 8 in spatial dimension 1}}
  %0 = qc.pool2d %x {kind = #qc<pool_kind max>, kernel = array<i64: 3, 9>} : tensor<1x8x8x8xf32> -> tensor<1x8x8x8xf32>
  return
}

// -----

func.func @pool_dilated_kernel_too_large(%x: tensor<1x8x8x8xf32>) {
  // expected-error @+1 {{kernel extent 9 exceeds padded input 8 in spatial dimension 0}}
  %0 = qc.pool2d %x {kind = #qc<pool_kind max>, kernel = array<i64: 3, 3>, dilations = array<i64: 4, 1>} : tensor<1x8x8x8xf32> -> tensor<1x8x8x8xf32>
  return
}

// -----

func.func @pool_result_shape(%x: tensor<1x8x8x8xf32>) {
  // expected-error @+1 {{result shape 1x8x8x8 does not match the expected 1x8x4x4}}
  %0 = qc.pool2d %x {kind = #qc<pool_kind max>, kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : tensor<1x8x8x8xf32> -> tensor<1x8x8x8xf32>
  return
}

// -----

func.func @pool_ceil_mode_last_window(%x: tensor<1x1x5x5xf32>) {
  // expected-error @+1 {{result shape 1x1x4x4 does not match the expected 1x1x3x3}}
  %0 = qc.pool2d %x {kind = #qc<pool_kind max>, kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, ceil_mode = true} : tensor<1x1x5x5xf32> -> tensor<1x1x4x4xf32>
  return
}

// -----

func.func @pool_element_type(%x: tensor<1x8x8x8xf32>) {
  // expected-error @+1 {{result element type 'f16' does not match input element type 'f32'}}
  %0 = qc.pool2d %x {kind = #qc<pool_kind avg>, kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : tensor<1x8x8x8xf32> -> tensor<1x8x4x4xf16>
  return
}

// -----

func.func @pool_float_to_quant(%x: tensor<1x8x8x8xf32>) {
  // expected-error @+1 {{input and result must both be float or both be quantized, got 'f32' and '!quant.uniform<i8:f32, 1.000000e-01>'}}
  %0 = qc.pool2d %x {kind = #qc<pool_kind avg>, kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : tensor<1x8x8x8xf32> -> tensor<1x8x4x4x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @pool_per_axis_input(%x: tensor<1x2x8x8x!quant.uniform<i8:f32:1, {0.1, 0.2}>>) {
  // expected-error @+1 {{a quantized input must be per-tensor quantized, got '!quant.uniform<i8:f32:1, {1.000000e-01,2.000000e-01}>'}}
  %0 = qc.pool2d %x {kind = #qc<pool_kind max>, kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : tensor<1x2x8x8x!quant.uniform<i8:f32:1, {0.1, 0.2}>> -> tensor<1x2x4x4x!quant.uniform<i8:f32:1, {0.1, 0.2}>>
  return
}

// -----

func.func @pool_max_requantizes(%x: tensor<1x8x8x8x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+1 {{quantized max pooling must keep the input type '!quant.uniform<i8:f32, 1.000000e-01>', got '!quant.uniform<i8:f32, 2.000000e-01>'}}
  %0 = qc.pool2d %x {kind = #qc<pool_kind max>, kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : tensor<1x8x8x8x!quant.uniform<i8:f32, 0.1>> -> tensor<1x8x4x4x!quant.uniform<i8:f32, 0.2>>
  return
}

// -----

func.func @pool_avg_per_axis_result(%x: tensor<1x2x8x8x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+1 {{a quantized result must be per-tensor quantized, got '!quant.uniform<i8:f32:1, {1.000000e-01,2.000000e-01}>'}}
  %0 = qc.pool2d %x {kind = #qc<pool_kind avg>, kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : tensor<1x2x8x8x!quant.uniform<i8:f32, 0.1>> -> tensor<1x2x4x4x!quant.uniform<i8:f32:1, {0.1, 0.2}>>
  return
}

// -----

func.func @pool_avg_expressed(%x: tensor<1x8x8x8x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+1 {{result expresses 'f16' but the input expresses 'f32'}}
  %0 = qc.pool2d %x {kind = #qc<pool_kind avg>, kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : tensor<1x8x8x8x!quant.uniform<i8:f32, 0.1>> -> tensor<1x8x4x4x!quant.uniform<i8:f16, 0.1>>
  return
}

// -----

func.func @pool_max_count_include_pad(%x: tensor<1x8x8x8xf32>) {
  // expected-error @+1 {{count_include_pad only applies to average pooling}}
  %0 = qc.pool2d %x {kind = #qc<pool_kind max>, kernel = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, count_include_pad = true} : tensor<1x8x8x8xf32> -> tensor<1x8x9x9xf32>
  return
}
