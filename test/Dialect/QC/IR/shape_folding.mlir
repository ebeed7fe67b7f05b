// RUN: quant-opt %s -canonicalize -split-input-file | FileCheck %s

// CHECK-LABEL: func @reshape_same_type
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @reshape_same_type(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = qc.reshape %x : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @reshape_reshape
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NEXT: %[[R:.*]] = qc.reshape %[[X]] : tensor<2x3x4xf32> -> tensor<4x6xf32>
// CHECK-NEXT: return %[[R]]
func.func @reshape_reshape(%x: tensor<2x3x4xf32>) -> tensor<4x6xf32> {
  %0 = qc.reshape %x : tensor<2x3x4xf32> -> tensor<24xf32>
  %1 = qc.reshape %0 : tensor<24xf32> -> tensor<4x6xf32>
  return %1 : tensor<4x6xf32>
}

// -----

// CHECK-LABEL: func @reshape_roundtrip
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @reshape_roundtrip(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = qc.reshape %x : tensor<2x3xf32> -> tensor<6xf32>
  %1 = qc.reshape %0 : tensor<6xf32> -> tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @reshape_constant
// CHECK-NEXT: %[[C:.*]] = qc.constant dense<{{\[}}[1, 2], [3, 4]]> : tensor<2x2xi64>
// CHECK-NEXT: return %[[C]]
func.func @reshape_constant() -> tensor<2x2xi64> {
  %c = qc.constant dense<[1, 2, 3, 4]> : tensor<4xi64>
  %0 = qc.reshape %c : tensor<4xi64> -> tensor<2x2xi64>
  return %0 : tensor<2x2xi64>
}

// -----

// The stored integers move; the quantized type stays.
// CHECK-LABEL: func @reshape_quant_constant
// CHECK-NEXT: %[[C:.*]] = qc.constant dense<{{\[}}[1, -2], [3, -4]]> : tensor<2x2xi8> -> tensor<2x2x!quant.uniform<i8:f32, 5.000000e-01>>
// CHECK-NEXT: return %[[C]]
func.func @reshape_quant_constant() -> tensor<2x2x!quant.uniform<i8:f32, 0.5>> {
  %c = qc.constant dense<[1, -2, 3, -4]> : tensor<4xi8> -> tensor<4x!quant.uniform<i8:f32, 0.5>>
  %0 = qc.reshape %c : tensor<4x!quant.uniform<i8:f32, 0.5>> -> tensor<2x2x!quant.uniform<i8:f32, 0.5>>
  return %0 : tensor<2x2x!quant.uniform<i8:f32, 0.5>>
}

// -----

// CHECK-LABEL: func @negative_reshape
// CHECK: qc.reshape
func.func @negative_reshape(%x: tensor<2x3xf32>) -> tensor<6xf32> {
  %0 = qc.reshape %x : tensor<2x3xf32> -> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// -----

// CHECK-LABEL: func @transpose_identity
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @transpose_identity(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = qc.transpose %x {perm = array<i64: 0, 1>} : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @transpose_transpose
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NEXT: %[[T:.*]] = qc.transpose %[[X]] {perm = array<i64: 1, 0, 2>} : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
// CHECK-NEXT: return %[[T]]
func.func @transpose_transpose(%x: tensor<2x3x4xf32>) -> tensor<3x2x4xf32> {
  %0 = qc.transpose %x {perm = array<i64: 1, 2, 0>} : tensor<2x3x4xf32> -> tensor<3x4x2xf32>
  %1 = qc.transpose %0 {perm = array<i64: 0, 2, 1>} : tensor<3x4x2xf32> -> tensor<3x2x4xf32>
  return %1 : tensor<3x2x4xf32>
}

// -----

// CHECK-LABEL: func @transpose_inverse
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NEXT: return %[[X]]
func.func @transpose_inverse(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = qc.transpose %x {perm = array<i64: 1, 2, 0>} : tensor<2x3x4xf32> -> tensor<3x4x2xf32>
  %1 = qc.transpose %0 {perm = array<i64: 2, 0, 1>} : tensor<3x4x2xf32> -> tensor<2x3x4xf32>
  return %1 : tensor<2x3x4xf32>
}

// -----

// CHECK-LABEL: func @transpose_constant
// CHECK-NEXT: %[[C:.*]] = qc.constant dense<{{\[}}[1.000000e+00, 4.000000e+00], [2.000000e+00, 5.000000e+00], [3.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>
// CHECK-NEXT: return %[[C]]
func.func @transpose_constant() -> tensor<3x2xf32> {
  %c = qc.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %0 = qc.transpose %c {perm = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// CHECK-LABEL: func @transpose_per_axis_constant
// CHECK-NEXT: %[[C:.*]] = qc.constant dense<{{\[}}[1, 4], [2, 5], [3, 6]]> : tensor<3x2xi8> -> tensor<3x2x!quant.uniform<i8:f32:1, {{.*}}>>
// CHECK-NEXT: return %[[C]]
func.func @transpose_per_axis_constant() -> tensor<3x2x!quant.uniform<i8:f32:1, {0.1, 0.2}>> {
  %c = qc.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi8> -> tensor<2x3x!quant.uniform<i8:f32:0, {0.1, 0.2}>>
  %0 = qc.transpose %c {perm = array<i64: 1, 0>} : tensor<2x3x!quant.uniform<i8:f32:0, {0.1, 0.2}>> -> tensor<3x2x!quant.uniform<i8:f32:1, {0.1, 0.2}>>
  return %0 : tensor<3x2x!quant.uniform<i8:f32:1, {0.1, 0.2}>>
}

// -----

// CHECK-LABEL: func @negative_transpose
// CHECK: qc.transpose
func.func @negative_transpose(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %0 = qc.transpose %x {perm = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// CHECK-LABEL: func @concat_single
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @concat_single(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = qc.concat %x {axis = 1 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// A Shape subgraph: the empty input contributes nothing.
// CHECK-LABEL: func @concat_constants
// CHECK-NEXT: %[[C:.*]] = qc.constant dense<[1, 2, -1, 7, 8]> : tensor<5xi64>
// CHECK-NEXT: return %[[C]]
func.func @concat_constants() -> tensor<5xi64> {
  %a = qc.constant dense<[1, 2]> : tensor<2xi64>
  %b = qc.constant dense<-1> : tensor<1xi64>
  %e = qc.constant dense<> : tensor<0xi64>
  %c = qc.constant dense<[7, 8]> : tensor<2xi64>
  %0 = qc.concat %a, %b, %e, %c {axis = 0 : i64} : (tensor<2xi64>, tensor<1xi64>, tensor<0xi64>, tensor<2xi64>) -> tensor<5xi64>
  return %0 : tensor<5xi64>
}

// -----

// CHECK-LABEL: func @concat_constants_axis1
// CHECK-NEXT: %[[C:.*]] = qc.constant dense<{{\[}}[1.000000e+00, 5.000000e-01, 5.000000e-01], [2.000000e+00, 5.000000e-01, 5.000000e-01]]> : tensor<2x3xf32>
// CHECK-NEXT: return %[[C]]
func.func @concat_constants_axis1() -> tensor<2x3xf32> {
  %a = qc.constant dense<[[1.0], [2.0]]> : tensor<2x1xf32>
  %b = qc.constant dense<0.5> : tensor<2x2xf32>
  %0 = qc.concat %a, %b {axis = 1 : i64} : (tensor<2x1xf32>, tensor<2x2xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @negative_concat
// CHECK-SAME: (%[[X:.*]]: tensor<2xi64>)
// CHECK: %[[A:.*]] = qc.constant dense<1> : tensor<1xi64>
// CHECK: qc.concat %[[A]], %[[X]]
func.func @negative_concat(%x: tensor<2xi64>) -> tensor<3xi64> {
  %a = qc.constant dense<1> : tensor<1xi64>
  %0 = qc.concat %a, %x {axis = 0 : i64} : (tensor<1xi64>, tensor<2xi64>) -> tensor<3xi64>
  return %0 : tensor<3xi64>
}

// -----

// CHECK-LABEL: func @slice_identity
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @slice_identity(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = qc.slice %x {offsets = array<i64: 0, 0>, sizes = array<i64: 2, 3>, strides = array<i64: 1, 1>} : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Negative strides walk backwards from the offset.
// CHECK-LABEL: func @slice_constant
// CHECK-NEXT: %[[C:.*]] = qc.constant dense<{{\[}}[11, 9], [3, 1]]> : tensor<2x2xi32>
// CHECK-NEXT: return %[[C]]
func.func @slice_constant() -> tensor<2x2xi32> {
  %c = qc.constant dense<[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]> : tensor<3x4xi32>
  %0 = qc.slice %c {offsets = array<i64: 2, 3>, sizes = array<i64: 2, 2>, strides = array<i64: -2, -2>} : tensor<3x4xi32> -> tensor<2x2xi32>
  return %0 : tensor<2x2xi32>
}

// -----

// CHECK-LABEL: func @negative_slice
// CHECK: qc.slice
func.func @negative_slice(%x: tensor<4xf32>) -> tensor<2xf32> {
  %0 = qc.slice %x {offsets = array<i64: 1>, sizes = array<i64: 2>, strides = array<i64: 1>} : tensor<4xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// Shape -> Gather at import: a negative index counts from the end.
// CHECK-LABEL: func @gather_shape_dim
// CHECK-NEXT: %[[C:.*]] = qc.constant dense<3> : tensor<i64>
// CHECK-NEXT: return %[[C]]
func.func @gather_shape_dim() -> tensor<i64> {
  %shape = qc.constant dense<[1, 3, 224, 224]> : tensor<4xi64>
  %i = qc.constant dense<-3> : tensor<i64>
  %0 = qc.gather %shape, %i : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  return %0 : tensor<i64>
}

// -----

// CHECK-LABEL: func @gather_rows
// CHECK-NEXT: %[[C:.*]] = qc.constant dense<{{\[}}{{\[}}[5.000000e+00, 6.000000e+00], [1.000000e+00, 2.000000e+00]], {{\[}}[3.000000e+00, 4.000000e+00], [3.000000e+00, 4.000000e+00]]]> : tensor<2x2x2xf32>
// CHECK-NEXT: return %[[C]]
func.func @gather_rows() -> tensor<2x2x2xf32> {
  %d = qc.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %i = qc.constant dense<[[2, 0], [1, 1]]> : tensor<2x2xi32>
  %0 = qc.gather %d, %i : (tensor<3x2xf32>, tensor<2x2xi32>) -> tensor<2x2x2xf32>
  return %0 : tensor<2x2x2xf32>
}

// -----

// CHECK-LABEL: func @gather_axis1
// CHECK-NEXT: %[[C:.*]] = qc.constant dense<{{\[}}[2], [4], [6]]> : tensor<3x1xi64>
// CHECK-NEXT: return %[[C]]
func.func @gather_axis1() -> tensor<3x1xi64> {
  %d = qc.constant dense<[[1, 2], [3, 4], [5, 6]]> : tensor<3x2xi64>
  %i = qc.constant dense<[1]> : tensor<1xi64>
  %0 = qc.gather %d, %i {axis = 1 : i64} : (tensor<3x2xi64>, tensor<1xi64>) -> tensor<3x1xi64>
  return %0 : tensor<3x1xi64>
}

// -----

// Out-of-range indices are undefined at run time: leave them visible.
// CHECK-LABEL: func @negative_gather_out_of_range
// CHECK: qc.gather
func.func @negative_gather_out_of_range() -> tensor<i64> {
  %shape = qc.constant dense<[1, 3, 224, 224]> : tensor<4xi64>
  %i = qc.constant dense<4> : tensor<i64>
  %0 = qc.gather %shape, %i : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  return %0 : tensor<i64>
}

// -----

// CHECK-LABEL: func @negative_gather
// CHECK: qc.gather
func.func @negative_gather(%d: tensor<4xi64>) -> tensor<i64> {
  %i = qc.constant dense<1> : tensor<i64>
  %0 = qc.gather %d, %i : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  return %0 : tensor<i64>
}

// -----

// CHECK-LABEL: func @pad_zero
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @pad_zero(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = qc.pad %x {pads = array<i64: 0, 0, 0, 0>, mode = #qc<pad_mode reflect>} : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Same shape, but the data shifts by one.
// CHECK-LABEL: func @negative_pad
// CHECK: qc.pad
func.func @negative_pad(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = qc.pad %x {pads = array<i64: 0, 1, 0, -1>} : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @resize_identity
// CHECK-SAME: (%[[X:.*]]: tensor<1x3x8x8xf32>)
// CHECK-NEXT: return %[[X]]
func.func @resize_identity(%x: tensor<1x3x8x8xf32>) -> tensor<1x3x8x8xf32> {
  %0 = qc.resize %x {mode = #qc<resize_mode cubic>} : tensor<1x3x8x8xf32> -> tensor<1x3x8x8xf32>
  return %0 : tensor<1x3x8x8xf32>
}

// -----

// CHECK-LABEL: func @negative_resize_scale
// CHECK: qc.resize
func.func @negative_resize_scale(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  // floor(4 * 1.1) = 4, but the mapping uses 1.1: not the identity.
  %0 = qc.resize %x {mode = #qc<resize_mode linear>, scales = array<f64: 1.0, 1.1>} : tensor<1x4xf32> -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}

// -----

// CHECK-LABEL: func @resize_dynamic_unit_scales
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>)
// CHECK-NEXT: return %[[X]]
func.func @resize_dynamic_unit_scales(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = qc.resize %x {mode = #qc<resize_mode linear>, scales = array<f64: 1.0, 1.0>} : tensor<?x4xf32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func @expand_identity
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @expand_identity(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = qc.expand %x : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Splats fold whatever their size.
// CHECK-LABEL: func @expand_splat
// CHECK-NEXT: %[[C:.*]] = qc.constant dense<2.000000e+00> : tensor<64x64xf32>
// CHECK-NEXT: return %[[C]]
func.func @expand_splat() -> tensor<64x64xf32> {
  %c = qc.constant dense<2.0> : tensor<1xf32>
  %0 = qc.expand %c : tensor<1xf32> -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

// CHECK-LABEL: func @expand_constant
// CHECK-NEXT: %[[C:.*]] = qc.constant dense<{{\[}}{{\[}}[1, 1], [2, 2], [3, 3]], {{\[}}[1, 1], [2, 2], [3, 3]]]> : tensor<2x3x2xi64>
// CHECK-NEXT: return %[[C]]
func.func @expand_constant() -> tensor<2x3x2xi64> {
  %c = qc.constant dense<[[1], [2], [3]]> : tensor<3x1xi64>
  %0 = qc.expand %c : tensor<3x1xi64> -> tensor<2x3x2xi64>
  return %0 : tensor<2x3x2xi64>
}

// -----

// A dynamic result dimension copies the input's.
// CHECK-LABEL: func @expand_dynamic_identity
// CHECK-SAME: (%[[X:.*]]: tensor<?x3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @expand_dynamic_identity(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %0 = qc.expand %x : tensor<?x3xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// CHECK-LABEL: func @negative_expand
// CHECK: qc.expand
func.func @negative_expand(%x: tensor<3x1xf32>) -> tensor<3x4xf32> {
  %0 = qc.expand %x : tensor<3x1xf32> -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

// CHECK-LABEL: func @tile_ones
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @tile_ones(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = qc.tile %x {repeats = array<i64: 1, 1>} : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @tile_constant
// CHECK-NEXT: %[[C:.*]] = qc.constant dense<{{\[}}[1, 2, 1, 2], [1, 2, 1, 2]]> : tensor<2x4xi32>
// CHECK-NEXT: return %[[C]]
func.func @tile_constant() -> tensor<2x4xi32> {
  %c = qc.constant dense<[[1, 2]]> : tensor<1x2xi32>
  %0 = qc.tile %c {repeats = array<i64: 2, 2>} : tensor<1x2xi32> -> tensor<2x4xi32>
  return %0 : tensor<2x4xi32>
}

// -----

// CHECK-LABEL: func @negative_tile
// CHECK: qc.tile
func.func @negative_tile(%x: tensor<2x3xf32>) -> tensor<2x6xf32> {
  %0 = qc.tile %x {repeats = array<i64: 1, 2>} : tensor<2x3xf32> -> tensor<2x6xf32>
  return %0 : tensor<2x6xf32>
}

// -----

// CHECK-LABEL: func @split_single
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @split_single(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = qc.split %x {axis = 1 : i64, sizes = array<i64: 3>} : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @split_constant
// CHECK-DAG: %[[A:.*]] = qc.constant dense<{{\[}}[1.000000e+00], [4.000000e+00]]> : tensor<2x1xf32>
// CHECK-DAG: %[[B:.*]] = qc.constant dense<{{\[}}[2.000000e+00, 3.000000e+00], [5.000000e+00, 6.000000e+00]]> : tensor<2x2xf32>
// CHECK: return %[[A]], %[[B]]
func.func @split_constant() -> (tensor<2x1xf32>, tensor<2x2xf32>) {
  %c = qc.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %0, %1 = qc.split %c {axis = 1 : i64, sizes = array<i64: 1, 2>} : tensor<2x3xf32> -> tensor<2x1xf32>, tensor<2x2xf32>
  return %0, %1 : tensor<2x1xf32>, tensor<2x2xf32>
}

// -----

// CHECK-LABEL: func @negative_split
// CHECK: qc.split
func.func @negative_split(%x: tensor<4xf32>) -> (tensor<1xf32>, tensor<3xf32>) {
  %0, %1 = qc.split %x {axis = 0 : i64, sizes = array<i64: 1, 3>} : tensor<4xf32> -> tensor<1xf32>, tensor<3xf32>
  return %0, %1 : tensor<1xf32>, tensor<3xf32>
}

// -----

// Weights in resource blobs are never folded.
// CHECK-LABEL: func @negative_transpose_resource
// CHECK: qc.transpose
func.func @negative_transpose_resource() -> tensor<2x1xi32> {
  %c = qc.constant dense_resource<w0> : tensor<1x2xi32>
  %0 = qc.transpose %c {perm = array<i64: 1, 0>} : tensor<1x2xi32> -> tensor<2x1xi32>
  return %0 : tensor<2x1xi32>
}

{-#
  dialect_resources: {
    builtin: {
      w0: "0x040000000100000002000000"
    }
  }
#-}
