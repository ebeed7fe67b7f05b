// Integer and quantized forms for generic_ops.test: i32 mod (sign of the
// divisor, -1 and INT_MIN included), comparisons, abs/neg/sign (wrapping),
// arg_max, pad and tile of integers; a per-tensor quantized tensor padded
// with a quantized value, tiled and arg-reduced on its stored integers, and
// a per-channel quantized one padded with each channel's value.
!q = !quant.uniform<i8:f32, 0.1:3>
!u = !quant.uniform<u8:f32, 0.05:128>
!c = !quant.uniform<i8:f32:1, {0.1:0, 0.2:-5, 0.05:7}>
func.func @main(%i: tensor<3x6xi32> {qc.name = "i"}, %j: tensor<6xi32> {qc.name = "j"},
                %x: tensor<1x3x2x4xf32> {qc.name = "x"})
    -> (tensor<3x6xi32> {qc.name = "mod"}, tensor<3x6xi1> {qc.name = "less"},
        tensor<3x6xi1> {qc.name = "greater_equal"}, tensor<3x6xi32> {qc.name = "abs"},
        tensor<3x6xi32> {qc.name = "neg"}, tensor<3x6xi32> {qc.name = "sign"},
        tensor<1x6xi64> {qc.name = "arg_max"}, tensor<5x7xi32> {qc.name = "pad_edge"},
        tensor<6x12xi32> {qc.name = "tile"}, tensor<1x3x4x6xf32> {qc.name = "qpad"},
        tensor<1x3x2x8xf32> {qc.name = "qtile"}, tensor<1x3x1x4xi64> {qc.name = "qarg_min"},
        tensor<1x3x2x1xi64> {qc.name = "uarg_max"}, tensor<1x3x3x4xf32> {qc.name = "cpad"}) {
  %mod = qc.mod %i, %j : (tensor<3x6xi32>, tensor<6xi32>) -> tensor<3x6xi32>
  %lt = qc.less %i, %j : (tensor<3x6xi32>, tensor<6xi32>) -> tensor<3x6xi1>
  %ge = qc.greater_equal %i, %j : (tensor<3x6xi32>, tensor<6xi32>) -> tensor<3x6xi1>
  %abs = qc.abs %i : tensor<3x6xi32>
  %neg = qc.neg %i : tensor<3x6xi32>
  %sign = qc.sign %i : tensor<3x6xi32>
  %am = qc.arg_max %i {axis = 0 : i64} : tensor<3x6xi32> -> tensor<1x6xi64>
  %pe = qc.pad %i {pads = array<i64: 1, 0, 1, 1>, mode = #qc<pad_mode edge>} : tensor<3x6xi32> -> tensor<5x7xi32>
  %tl = qc.tile %i {repeats = array<i64: 2, 2>} : tensor<3x6xi32> -> tensor<6x12xi32>
  %xq = quant.qcast %x : tensor<1x3x2x4xf32> to tensor<1x3x2x4x!q>
  %qp = qc.pad %xq {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 0.25 : f64} : tensor<1x3x2x4x!q> -> tensor<1x3x4x6x!q>
  %qpf = quant.dcast %qp : tensor<1x3x4x6x!q> to tensor<1x3x4x6xf32>
  %qt = qc.tile %xq {repeats = array<i64: 1, 1, 1, 2>} : tensor<1x3x2x4x!q> -> tensor<1x3x2x8x!q>
  %qtf = quant.dcast %qt : tensor<1x3x2x8x!q> to tensor<1x3x2x8xf32>
  %qa = qc.arg_min %xq {axis = 2 : i64} : tensor<1x3x2x4x!q> -> tensor<1x3x1x4xi64>
  %xu = quant.qcast %x : tensor<1x3x2x4xf32> to tensor<1x3x2x4x!u>
  %ua = qc.arg_max %xu {axis = 3 : i64} : tensor<1x3x2x4x!u> -> tensor<1x3x2x1xi64>
  %xc = quant.qcast %x : tensor<1x3x2x4xf32> to tensor<1x3x2x4x!c>
  %cp = qc.pad %xc {pads = array<i64: 0, 0, 0, 0, 0, 0, 1, 0>, value = -0.5 : f64} : tensor<1x3x2x4x!c> -> tensor<1x3x3x4x!c>
  %cpf = quant.dcast %cp : tensor<1x3x3x4x!c> to tensor<1x3x3x4xf32>
  return %mod, %lt, %ge, %abs, %neg, %sign, %am, %pe, %tl, %qpf, %qtf, %qa, %ua, %cpf
      : tensor<3x6xi32>, tensor<3x6xi1>, tensor<3x6xi1>, tensor<3x6xi32>, tensor<3x6xi32>,
        tensor<3x6xi32>, tensor<1x6xi64>, tensor<5x7xi32>, tensor<6x12xi32>,
        tensor<1x3x4x6xf32>, tensor<1x3x2x8xf32>, tensor<1x3x1x4xi64>, tensor<1x3x2x1xi64>,
        tensor<1x3x3x4xf32>
}
