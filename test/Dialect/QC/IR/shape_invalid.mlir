// RUN: quant-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// reshape
//===----------------------------------------------------------------------===//

func.func @reshape_count(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{input shape 2x3 has 6 elements but result shape 7 has 7}}
  %0 = qc.reshape %x : tensor<2x3xf32> -> tensor<7xf32>
  return
}

// -----

func.func @reshape_dynamic_result(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{input has 6 elements, not a multiple of the 4 fixed by the static dims of result shape ?x4}}
  %0 = qc.reshape %x : tensor<2x3xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @reshape_dynamic_input(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{result has 6 elements, not a multiple of the 4 fixed by the static dims of input shape ?x4}}
  %0 = qc.reshape %x : tensor<?x4xf32> -> tensor<6xf32>
  return
}

// -----

func.func @reshape_two_dynamic(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{result shape ?x? has more than one dynamic dimension, so its sizes are not defined}}
  %0 = qc.reshape %x : tensor<?x4xf32> -> tensor<?x?xf32>
  return
}

// -----

func.func @reshape_element(%x: tensor<6xf32>) {
  // expected-error @+1 {{result element type 'f16' does not match the input element type 'f32'}}
  %0 = qc.reshape %x : tensor<6xf32> -> tensor<2x3xf16>
  return
}

// -----

func.func @reshape_merges_axis(%x: tensor<2x2x!quant.uniform<i8:f32:1, {0.1, 0.2}>>) {
  // expected-error @+1 {{moves elements along dimension 1 of the input, its per-axis quantized dimension; dequantize first}}
  %0 = qc.reshape %x : tensor<2x2x!quant.uniform<i8:f32:1, {0.1, 0.2}>> -> tensor<4x!quant.uniform<i8:f32:0, {0.1, 0.2}>>
  return
}

// -----

func.func @reshape_wrong_axis(%x: tensor<2x3x!quant.uniform<i8:f32:0, {0.1, 0.2}>>) {
  // expected-error @+1 {{must be '!quant.uniform<i8:f32:1, {1.000000e-01,2.000000e-01}>' (dimension 0 of the input becomes dimension 1)}}
  %0 = qc.reshape %x : tensor<2x3x!quant.uniform<i8:f32:0, {0.1, 0.2}>> -> tensor<1x2x3x!quant.uniform<i8:f32:0, {0.1}>>
  return
}

// -----

//===----------------------------------------------------------------------===//
// transpose
//===----------------------------------------------------------------------===//

func.func @transpose_perm_size(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'perm' has 3 entries but the input has rank 2}}
  %0 = qc.transpose %x {perm = array<i64: 0, 1, 2>} : tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @transpose_perm_range(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'perm' entry 2 is out of range for rank 2}}
  %0 = qc.transpose %x {perm = array<i64: 2, 0>} : tensor<2x3xf32> -> tensor<3x2xf32>
  return
}

// -----

func.func @transpose_perm_repeat(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'perm' repeats dimension 1}}
  %0 = qc.transpose %x {perm = array<i64: 1, 1>} : tensor<2x3xf32> -> tensor<3x3xf32>
  return
}

// -----

func.func @transpose_result(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{result shape 2x3 does not match the expected 3x2}}
  %0 = qc.transpose %x {perm = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @transpose_element(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{result element type 'i64' does not match the input element type 'i32'}}
  %0 = qc.transpose %x {perm = array<i64: 1, 0>} : tensor<2x3xi32> -> tensor<3x2xi64>
  return
}

// -----

func.func @transpose_axis_not_followed(%x: tensor<2x3x!quant.uniform<i8:f32:0, {0.1, 0.2}>>) {
  // expected-error @+1 {{(dimension 0 of the input becomes dimension 1)}}
  %0 = qc.transpose %x {perm = array<i64: 1, 0>} : tensor<2x3x!quant.uniform<i8:f32:0, {0.1, 0.2}>> -> tensor<3x2x!quant.uniform<i8:f32:0, {0.1, 0.2}>>
  return
}

// -----

func.func @transpose_sub_channel(%x: tensor<64x2x!quant.uniform<i4:f32:{0:32, 1:1}, {{0.1, 0.2}, {0.3, 0.4}}>>) {
  // expected-error @+1 {{moves elements along dimension 0 of the input, a sub-channel quantized dimension; dequantize first}}
  %0 = qc.transpose %x {perm = array<i64: 1, 0>} : tensor<64x2x!quant.uniform<i4:f32:{0:32, 1:1}, {{0.1, 0.2}, {0.3, 0.4}}>> -> tensor<2x64x!quant.uniform<i4:f32:{0:32, 1:1}, {{0.1, 0.2}, {0.3, 0.4}}>>
  return
}

// -----

//===----------------------------------------------------------------------===//
// concat
//===----------------------------------------------------------------------===//

func.func @concat_empty() {
  // expected-error @+1 {{needs at least one input}}
  %0 = "qc.concat"() <{axis = 0 : i64}> : () -> tensor<2xf32>
  return
}

// -----

func.func @concat_axis(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = qc.concat %a, %a {axis = 2 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  return
}

// -----

func.func @concat_negative_axis(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{axis -1 is out of range for rank 2}}
  %0 = qc.concat %a, %a {axis = -1 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  return
}

// -----

func.func @concat_rank(%a: tensor<2x3xf32>, %b: tensor<2x3x1xf32>) {
  // expected-error @+1 {{input 1 has rank 3 but input 0 has rank 2}}
  %0 = qc.concat %a, %b {axis = 0 : i64} : (tensor<2x3xf32>, tensor<2x3x1xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @concat_dim(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) {
  // expected-error @+1 {{input 1 has size 4 in dimension 1 but the inputs before it have 3}}
  %0 = qc.concat %a, %b {axis = 0 : i64} : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @concat_result(%a: tensor<2x3xf32>, %b: tensor<2x5xf32>) {
  // expected-error @+1 {{result shape 2x9 does not match the expected 2x8}}
  %0 = qc.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x5xf32>) -> tensor<2x9xf32>
  return
}

// -----

func.func @concat_element(%a: tensor<2xf32>, %b: tensor<2xf16>) {
  // expected-error @+1 {{result element type 'f32' does not match the input 1 element type 'f16'}}
  %0 = qc.concat %a, %b {axis = 0 : i64} : (tensor<2xf32>, tensor<2xf16>) -> tensor<4xf32>
  return
}

// -----

func.func @concat_quant_mismatch(%a: tensor<2x!quant.uniform<i8:f32, 0.5>>, %b: tensor<2x!quant.uniform<i8:f32, 0.25>>) {
  // expected-error @+1 {{does not match the input 1 element type '!quant.uniform<i8:f32, 2.500000e-01>'}}
  %0 = qc.concat %a, %b {axis = 0 : i64} : (tensor<2x!quant.uniform<i8:f32, 0.5>>, tensor<2x!quant.uniform<i8:f32, 0.25>>) -> tensor<4x!quant.uniform<i8:f32, 0.5>>
  return
}

// -----

func.func @concat_per_axis_along_axis(%a: tensor<2x!quant.uniform<i8:f32:0, {0.1, 0.2}>>) {
  // expected-error @+1 {{moves elements along dimension 0 of the input 0, its per-axis quantized dimension}}
  %0 = qc.concat %a, %a {axis = 0 : i64} : (tensor<2x!quant.uniform<i8:f32:0, {0.1, 0.2}>>, tensor<2x!quant.uniform<i8:f32:0, {0.1, 0.2}>>) -> tensor<4x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.1, 0.2}>>
  return
}

// -----

//===----------------------------------------------------------------------===//
// slice
//===----------------------------------------------------------------------===//

func.func @slice_entries(%x: tensor<4x4xf32>) {
  // expected-error @+1 {{'sizes' has 1 entries but the input has rank 2}}
  %0 = qc.slice %x {offsets = array<i64: 0, 0>, sizes = array<i64: 2>, strides = array<i64: 1, 1>} : tensor<4x4xf32> -> tensor<2xf32>
  return
}

// -----

func.func @slice_zero_stride(%x: tensor<4xf32>) {
  // expected-error @+1 {{stride in dimension 0 is 0}}
  %0 = qc.slice %x {offsets = array<i64: 0>, sizes = array<i64: 2>, strides = array<i64: 0>} : tensor<4xf32> -> tensor<2xf32>
  return
}

// -----

func.func @slice_negative_size(%x: tensor<4xf32>) {
  // expected-error @+1 {{size in dimension 0 is negative (-1)}}
  %0 = qc.slice %x {offsets = array<i64: 0>, sizes = array<i64: -1>, strides = array<i64: 1>} : tensor<4xf32> -> tensor<?xf32>
  return
}

// -----

func.func @slice_empty_offset(%x: tensor<4xf32>) {
  // expected-error @+1 {{offset 5 of the empty slice in dimension 0 is outside [0, 4]}}
  %0 = qc.slice %x {offsets = array<i64: 5>, sizes = array<i64: 0>, strides = array<i64: 1>} : tensor<4xf32> -> tensor<0xf32>
  return
}

// -----

func.func @slice_past_end(%x: tensor<4x6xf32>) {
  // expected-error @+1 {{slice reads index 7 in dimension 1 of size 6}}
  %0 = qc.slice %x {offsets = array<i64: 0, 1>, sizes = array<i64: 4, 4>, strides = array<i64: 1, 2>} : tensor<4x6xf32> -> tensor<4x4xf32>
  return
}

// -----

func.func @slice_before_start(%x: tensor<?xf32>) {
  // expected-error @+1 {{slice reads index -1 in dimension 0 of size ?}}
  %0 = qc.slice %x {offsets = array<i64: 2>, sizes = array<i64: 4>, strides = array<i64: -1>} : tensor<?xf32> -> tensor<4xf32>
  return
}

// -----

func.func @slice_overflow(%x: tensor<4xf32>) {
  // expected-error @+1 {{slice in dimension 0 overflows}}
  %0 = qc.slice %x {offsets = array<i64: 0>, sizes = array<i64: 3>, strides = array<i64: 9223372036854775807>} : tensor<4xf32> -> tensor<3xf32>
  return
}

// -----

func.func @slice_result(%x: tensor<4xf32>) {
  // expected-error @+1 {{result shape 3 does not match the expected 2}}
  %0 = qc.slice %x {offsets = array<i64: 0>, sizes = array<i64: 2>, strides = array<i64: 1>} : tensor<4xf32> -> tensor<3xf32>
  return
}

// -----

func.func @slice_per_axis(%x: tensor<2x3x!quant.uniform<i8:f32:0, {0.1, 0.2}>>) {
  // expected-error @+1 {{moves elements along dimension 0 of the input, its per-axis quantized dimension}}
  %0 = qc.slice %x {offsets = array<i64: 1, 0>, sizes = array<i64: 1, 3>, strides = array<i64: 1, 1>} : tensor<2x3x!quant.uniform<i8:f32:0, {0.1, 0.2}>> -> tensor<1x3x!quant.uniform<i8:f32:0, {0.2}>>
  return
}

// -----

//===----------------------------------------------------------------------===//
// gather
//===----------------------------------------------------------------------===//

func.func @gather_axis(%d: tensor<4x5xf32>, %i: tensor<3xi64>) {
  // expected-error @+1 {{axis 2 is out of range for data of rank 2}}
  %0 = qc.gather %d, %i {axis = 2 : i64} : (tensor<4x5xf32>, tensor<3xi64>) -> tensor<4x5x3xf32>
  return
}

// -----

func.func @gather_result(%d: tensor<4x5xf32>, %i: tensor<3xi64>) {
  // expected-error @+1 {{result shape 3x4 does not match the expected 4x3}}
  %0 = qc.gather %d, %i {axis = 1 : i64} : (tensor<4x5xf32>, tensor<3xi64>) -> tensor<3x4xf32>
  return
}

// -----

func.func @gather_element(%d: tensor<4xi64>, %i: tensor<i64>) {
  // expected-error @+1 {{result element type 'i32' does not match the data element type 'i64'}}
  %0 = qc.gather %d, %i : (tensor<4xi64>, tensor<i64>) -> tensor<i32>
  return
}

// -----

func.func @gather_per_axis(%d: tensor<2x3x!quant.uniform<i8:f32:0, {0.1, 0.2}>>, %i: tensor<1xi32>) {
  // expected-error @+1 {{moves elements along dimension 0 of the data, its per-axis quantized dimension}}
  %0 = qc.gather %d, %i : (tensor<2x3x!quant.uniform<i8:f32:0, {0.1, 0.2}>>, tensor<1xi32>) -> tensor<1x3x!quant.uniform<i8:f32:0, {0.1}>>
  return
}

// -----

func.func @gather_float_indices(%d: tensor<4xf32>, %i: tensor<2xf32>) {
  // expected-error @+1 {{operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values}}
  %0 = qc.gather %d, %i : (tensor<4xf32>, tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// pad
//===----------------------------------------------------------------------===//

func.func @pad_entries(%x: tensor<4x4xf32>) {
  // expected-error @+1 {{'pads' has 2 entries but a tensor of rank 2 needs 4 (begins, then ends)}}
  %0 = qc.pad %x {pads = array<i64: 1, 1>} : tensor<4x4xf32> -> tensor<6x4xf32>
  return
}

// -----

func.func @pad_nothing_left(%x: tensor<4xf32>) {
  // expected-error @+1 {{padding dimension 0 of size 4 by (-2, -2) leaves size 0; it must be positive}}
  %0 = qc.pad %x {pads = array<i64: -2, -2>} : tensor<4xf32> -> tensor<0xf32>
  return
}

// -----

func.func @pad_overflow(%x: tensor<4xf32>) {
  // expected-error @+1 {{padding dimension 0 overflows}}
  %0 = qc.pad %x {pads = array<i64: 9223372036854775807, 0>} : tensor<4xf32> -> tensor<?xf32>
  return
}

// -----

func.func @pad_edge_empty(%x: tensor<0xf32>) {
  // expected-error @+1 {{mode edge cannot pad the empty dimension 0}}
  %0 = qc.pad %x {pads = array<i64: 1, 1>, mode = #qc<pad_mode edge>} : tensor<0xf32> -> tensor<2xf32>
  return
}

// -----

func.func @pad_reflect_too_far(%x: tensor<3xf32>) {
  // expected-error @+1 {{reflect pad 3 in dimension 0 must be smaller than its size 3}}
  %0 = qc.pad %x {pads = array<i64: 1, 3>, mode = #qc<pad_mode reflect>} : tensor<3xf32> -> tensor<7xf32>
  return
}

// -----

func.func @pad_result(%x: tensor<4xf32>) {
  // expected-error @+1 {{result shape 5 does not match the expected 6}}
  %0 = qc.pad %x {pads = array<i64: 1, 1>} : tensor<4xf32> -> tensor<5xf32>
  return
}

// -----

func.func @pad_fractional_int(%x: tensor<4xi32>) {
  // expected-error @+1 {{padding value 0.5 is not an integer but the tensor holds 'i32'}}
  %0 = qc.pad %x {pads = array<i64: 1, 1>, value = 0.5 : f64} : tensor<4xi32> -> tensor<6xi32>
  return
}

// -----

func.func @pad_value_range(%x: tensor<4xi8>) {
  // expected-error @+1 {{padding value 256 does not fit in 'i8'}}
  %0 = qc.pad %x {pads = array<i64: 1, 1>, value = 256.0 : f64} : tensor<4xi8> -> tensor<6xi8>
  return
}

// -----

func.func @pad_per_axis(%x: tensor<2x3x!quant.uniform<i8:f32:0, {0.1, 0.2}>>) {
  // expected-error @+1 {{moves elements along dimension 0 of the input, its per-axis quantized dimension}}
  %0 = qc.pad %x {pads = array<i64: 1, 0, 0, 0>} : tensor<2x3x!quant.uniform<i8:f32:0, {0.1, 0.2}>> -> tensor<3x3x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3}>>
  return
}

// -----

//===----------------------------------------------------------------------===//
// resize
//===----------------------------------------------------------------------===//

func.func @resize_rank(%x: tensor<1x3x8x8xf32>) {
  // expected-error @+1 {{result rank 3 does not match input rank 4}}
  %0 = qc.resize %x : tensor<1x3x8x8xf32> -> tensor<3x16x16xf32>
  return
}

// -----

func.func @resize_empty_input(%x: tensor<1x0xf32>) {
  // expected-error @+1 {{cannot resample the empty input dimension 1}}
  %0 = qc.resize %x : tensor<1x0xf32> -> tensor<1x4xf32>
  return
}

// -----

func.func @resize_empty_result(%x: tensor<1x4xf32>) {
  // expected-error @+1 {{result dimension 1 is empty}}
  %0 = qc.resize %x : tensor<1x4xf32> -> tensor<1x0xf32>
  return
}

// -----

func.func @resize_dynamic_without_scales(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{result dimension 0 is dynamic; its size is only defined with 'scales'}}
  %0 = qc.resize %x : tensor<?x4xf32> -> tensor<?x8xf32>
  return
}

// -----

func.func @resize_scales_count(%x: tensor<1x3x8x8xf32>) {
  // expected-error @+1 {{'scales' has 2 entries but the input has rank 4}}
  %0 = qc.resize %x {scales = array<f64: 2.0, 2.0>} : tensor<1x3x8x8xf32> -> tensor<1x3x16x16xf32>
  return
}

// -----

func.func @resize_scale_positive(%x: tensor<1x8xf32>) {
  // expected-error @+1 {{scale 0 in dimension 1 must be positive and finite}}
  %0 = qc.resize %x {scales = array<f64: 1.0, 0.0>} : tensor<1x8xf32> -> tensor<1x8xf32>
  return
}

// -----

func.func @resize_scale_empty(%x: tensor<1x8xf32>) {
  // expected-error @+1 {{scale 0.1 leaves dimension 1 of size 8 empty}}
  %0 = qc.resize %x {scales = array<f64: 1.0, 0.1>} : tensor<1x8xf32> -> tensor<1x1xf32>
  return
}

// -----

func.func @resize_scale_overflow(%x: tensor<8xf32>) {
  // expected-error @+1 {{scale 1e+300 overflows dimension 0}}
  %0 = qc.resize %x {scales = array<f64: 1.0e300>} : tensor<8xf32> -> tensor<8xf32>
  return
}

// -----

func.func @resize_scale_shape(%x: tensor<1x3xf32>) {
  // floor(3 * 1.5) = 4, not 5.
  // expected-error @+1 {{result shape 1x5 does not match the expected 1x4}}
  %0 = qc.resize %x {scales = array<f64: 1.0, 1.5>} : tensor<1x3xf32> -> tensor<1x5xf32>
  return
}

// -----

func.func @resize_int_linear(%x: tensor<1x4xi32>) {
  // expected-error @+1 {{mode linear interpolates and needs a float or quantized tensor, got 'i32'}}
  %0 = qc.resize %x {mode = #qc<resize_mode linear>} : tensor<1x4xi32> -> tensor<1x8xi32>
  return
}

// -----

func.func @resize_element(%x: tensor<1x4xf32>) {
  // expected-error @+1 {{result element type 'f16' does not match the input element type 'f32'}}
  %0 = qc.resize %x : tensor<1x4xf32> -> tensor<1x8xf16>
  return
}

// -----

func.func @resize_per_axis(%x: tensor<2x4x!quant.uniform<i8:f32:1, {0.1, 0.2, 0.3, 0.4}>>) {
  // expected-error @+1 {{moves elements along dimension 1 of the input, its per-axis quantized dimension}}
  %0 = qc.resize %x : tensor<2x4x!quant.uniform<i8:f32:1, {0.1, 0.2, 0.3, 0.4}>> -> tensor<2x8x!quant.uniform<i8:f32:1, {0.1, 0.2, 0.3, 0.4, 0.1, 0.2, 0.3, 0.4}>>
  return
}

// -----

//===----------------------------------------------------------------------===//
// expand
//===----------------------------------------------------------------------===//

func.func @expand_incompatible(%x: tensor<3xf32>) {
  // expected-error @+1 {{input shape 3 does not broadcast to result shape 2x4: dimension 1 has sizes 3 and 4}}
  %0 = qc.expand %x : tensor<3xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @expand_not_fixed_point(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{result shape 1x3 is not the broadcast of input shape 2x3 (expected 2x3)}}
  %0 = qc.expand %x : tensor<2x3xf32> -> tensor<1x3xf32>
  return
}

// -----

func.func @expand_rank(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{result shape 3 is not the broadcast of input shape 2x3 (expected 2x3)}}
  %0 = qc.expand %x : tensor<2x3xf32> -> tensor<3xf32>
  return
}

// -----

func.func @expand_dynamic_new_dim(%x: tensor<3xf32>) {
  // expected-error @+1 {{result dimension 0 is dynamic but is not aligned with a dynamic input dimension, so its size is not defined}}
  %0 = qc.expand %x : tensor<3xf32> -> tensor<?x3xf32>
  return
}

// -----

func.func @expand_dynamic_from_static(%x: tensor<2x1xf32>) {
  // expected-error @+1 {{result dimension 1 is dynamic but is not aligned with a dynamic input dimension}}
  %0 = qc.expand %x : tensor<2x1xf32> -> tensor<2x?xf32>
  return
}

// -----

func.func @expand_per_axis(%x: tensor<1x3x!quant.uniform<i8:f32:0, {0.1}>>) {
  // expected-error @+1 {{moves elements along dimension 0 of the input, its per-axis quantized dimension}}
  %0 = qc.expand %x : tensor<1x3x!quant.uniform<i8:f32:0, {0.1}>> -> tensor<2x3x!quant.uniform<i8:f32:0, {0.1, 0.1}>>
  return
}

// -----

//===----------------------------------------------------------------------===//
// tile
//===----------------------------------------------------------------------===//

func.func @tile_entries(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'repeats' has 1 entries but the input has rank 2}}
  %0 = qc.tile %x {repeats = array<i64: 2>} : tensor<2x3xf32> -> tensor<4x3xf32>
  return
}

// -----

func.func @tile_negative(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{repeat count -1 in dimension 1 is negative}}
  %0 = qc.tile %x {repeats = array<i64: 1, -1>} : tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @tile_overflow(%x: tensor<4xf32>) {
  // expected-error @+1 {{tiling dimension 0 overflows}}
  %0 = qc.tile %x {repeats = array<i64: 4611686018427387904>} : tensor<4xf32> -> tensor<?xf32>
  return
}

// -----

func.func @tile_result(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{result shape 2x3 does not match the expected 4x3}}
  %0 = qc.tile %x {repeats = array<i64: 2, 1>} : tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @tile_per_axis(%x: tensor<2x!quant.uniform<i8:f32:0, {0.1, 0.2}>>) {
  // expected-error @+1 {{moves elements along dimension 0 of the input, its per-axis quantized dimension}}
  %0 = qc.tile %x {repeats = array<i64: 2>} : tensor<2x!quant.uniform<i8:f32:0, {0.1, 0.2}>> -> tensor<4x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.1, 0.2}>>
  return
}

// -----

//===----------------------------------------------------------------------===//
// split
//===----------------------------------------------------------------------===//

func.func @split_axis(%x: tensor<4xf32>) {
  // expected-error @+1 {{axis 1 is out of range for rank 1}}
  %0, %1 = qc.split %x {axis = 1 : i64, sizes = array<i64: 2, 2>} : tensor<4xf32> -> tensor<2xf32>, tensor<2xf32>
  return
}

// -----

func.func @split_no_sizes(%x: tensor<4xf32>) {
  // expected-error @+1 {{'sizes' must have at least one entry}}
  "qc.split"(%x) <{axis = 0 : i64, sizes = array<i64>}> : (tensor<4xf32>) -> ()
  return
}

// -----

func.func @split_negative(%x: tensor<4xf32>) {
  // expected-error @+1 {{size -1 of piece 1 is negative}}
  %0, %1 = qc.split %x {axis = 0 : i64, sizes = array<i64: 5, -1>} : tensor<4xf32> -> tensor<5xf32>, tensor<?xf32>
  return
}

// -----

func.func @split_sum(%x: tensor<4x6xf32>) {
  // expected-error @+1 {{sizes sum to 5 but dimension 1 has size 6}}
  %0, %1 = qc.split %x {axis = 1 : i64, sizes = array<i64: 2, 3>} : tensor<4x6xf32> -> tensor<4x2xf32>, tensor<4x3xf32>
  return
}

// -----

func.func @split_count(%x: tensor<6xf32>) {
  // expected-error @+1 {{has 2 results but 'sizes' has 3 entries}}
  %0, %1 = qc.split %x {axis = 0 : i64, sizes = array<i64: 2, 2, 2>} : tensor<6xf32> -> tensor<2xf32>, tensor<4xf32>
  return
}

// -----

func.func @split_result(%x: tensor<6xf32>) {
  // expected-error @+1 {{result 1 shape 2 does not match the expected 4}}
  %0, %1 = qc.split %x {axis = 0 : i64, sizes = array<i64: 2, 4>} : tensor<6xf32> -> tensor<2xf32>, tensor<2xf32>
  return
}

// -----

func.func @split_element(%x: tensor<6xf32>) {
  // expected-error @+1 {{result element type 'bf16' does not match the input element type 'f32'}}
  %0, %1 = qc.split %x {axis = 0 : i64, sizes = array<i64: 2, 4>} : tensor<6xf32> -> tensor<2xf32>, tensor<4xbf16>
  return
}

// -----

func.func @split_per_axis(%x: tensor<2x!quant.uniform<i8:f32:0, {0.1, 0.2}>>) {
  // expected-error @+1 {{moves elements along dimension 0 of the input, its per-axis quantized dimension}}
  %0, %1 = qc.split %x {axis = 0 : i64, sizes = array<i64: 1, 1>} : tensor<2x!quant.uniform<i8:f32:0, {0.1, 0.2}>> -> tensor<1x!quant.uniform<i8:f32:0, {0.1}>>, tensor<1x!quant.uniform<i8:f32:0, {0.2}>>
  return
}
