// A float model of the NN and shape ops generic_ops.test compiles: x feeds
// log_softmax, instance norm, pad (every mode, with cropping), tile, sin and
// cos; t
// (with ties, infinities and NaN) feeds arg_max and arg_min (one result
// tiled: tile of i64).
func.func @main(%x: tensor<2x3x4x5xf32> {qc.name = "x"}, %t: tensor<2x3x4x5xf32> {qc.name = "t"})
    -> (tensor<2x3x4x5xf32> {qc.name = "log_softmax"}, tensor<2x3x4x5xf32> {qc.name = "instance_norm"},
        tensor<2x3x4x1xi64> {qc.name = "arg_max"}, tensor<2x4x5xi64> {qc.name = "arg_min_last"},
        tensor<3x4x5xi64> {qc.name = "arg_max_last"}, tensor<2x3x4x5xi64> {qc.name = "arg_min"},
        tensor<2x3x7x9xf32> {qc.name = "pad_reflect"}, tensor<2x4x4x5xf32> {qc.name = "pad_constant"},
        tensor<2x3x6x7xf32> {qc.name = "pad_edge"}, tensor<2x3x4x10xf32> {qc.name = "pad_wrap"},
        tensor<2x6x4x15xf32> {qc.name = "tile"}, tensor<2x3x4x5xf32> {qc.name = "sin"},
        tensor<2x3x4x5xf32> {qc.name = "cos"}) {
  %ls = qc.log_softmax %x {axis = 1 : i64} : tensor<2x3x4x5xf32>
  %g = qc.constant dense<[1.5, -0.25, 0.75]> : tensor<3xf32> -> tensor<3xf32>
  %b = qc.constant dense<[0.0, 2.0, -1.0]> : tensor<3xf32> -> tensor<3xf32>
  %in = qc.instance_norm %x, %g, %b {epsilon = 1.0e-05 : f64}
      : (tensor<2x3x4x5xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x4x5xf32>
  %amax = qc.arg_max %t {axis = 3 : i64} : tensor<2x3x4x5xf32> -> tensor<2x3x4x1xi64>
  %aminl = qc.arg_min %t {axis = 1 : i64, keepdims = false, select_last_index = true} : tensor<2x3x4x5xf32> -> tensor<2x4x5xi64>
  %amaxl = qc.arg_max %t {axis = 0 : i64, keepdims = false, select_last_index = true} : tensor<2x3x4x5xf32> -> tensor<3x4x5xi64>
  %amin = qc.arg_min %t {axis = 2 : i64} : tensor<2x3x4x5xf32> -> tensor<2x3x1x5xi64>
  %aminb = qc.tile %amin {repeats = array<i64: 1, 1, 4, 1>} : tensor<2x3x1x5xi64> -> tensor<2x3x4x5xi64>
  %pr = qc.pad %x {pads = array<i64: 0, 0, 2, 1, 0, 0, 1, 3>, mode = #qc<pad_mode reflect>} : tensor<2x3x4x5xf32> -> tensor<2x3x7x9xf32>
  %pc = qc.pad %x {pads = array<i64: 0, 1, -1, 2, 0, 0, 1, -2>, value = 1.5 : f64} : tensor<2x3x4x5xf32> -> tensor<2x4x4x5xf32>
  %pe = qc.pad %x {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, mode = #qc<pad_mode edge>} : tensor<2x3x4x5xf32> -> tensor<2x3x6x7xf32>
  %pw = qc.pad %x {pads = array<i64: 0, 0, 0, 3, 0, 0, 0, 2>, mode = #qc<pad_mode wrap>} : tensor<2x3x4x5xf32> -> tensor<2x3x4x10xf32>
  %tl = qc.tile %x {repeats = array<i64: 1, 2, 1, 3>} : tensor<2x3x4x5xf32> -> tensor<2x6x4x15xf32>
  %sin = qc.sin %x : tensor<2x3x4x5xf32>
  %cos = qc.cos %x : tensor<2x3x4x5xf32>
  return %ls, %in, %amax, %aminl, %amaxl, %aminb, %pr, %pc, %pe, %pw, %tl, %sin, %cos
      : tensor<2x3x4x5xf32>, tensor<2x3x4x5xf32>, tensor<2x3x4x1xi64>, tensor<2x4x5xi64>,
        tensor<3x4x5xi64>, tensor<2x3x4x5xi64>, tensor<2x3x7x9xf32>, tensor<2x4x4x5xf32>,
        tensor<2x3x6x7xf32>, tensor<2x3x4x10xf32>, tensor<2x6x4x15xf32>, tensor<2x3x4x5xf32>,
        tensor<2x3x4x5xf32>
}
