// A float model of the comparisons, logical ops, mod and the unary ops
// generic_ops.test compiles; b broadcasts against a. (sin and cos are in
// generic_nn.mlir: examples/embed takes at most 16 outputs.)
func.func @main(%a: tensor<4x8xf32> {qc.name = "a"}, %b: tensor<8xf32> {qc.name = "b"})
    -> (tensor<4x8xi1> {qc.name = "equal"}, tensor<4x8xi1> {qc.name = "less"},
        tensor<4x8xi1> {qc.name = "less_equal"}, tensor<4x8xi1> {qc.name = "greater"},
        tensor<4x8xi1> {qc.name = "greater_equal"}, tensor<4x8xi1> {qc.name = "and"},
        tensor<4x8xi1> {qc.name = "or"}, tensor<4x8xi1> {qc.name = "xor"},
        tensor<4x8xi1> {qc.name = "not"}, tensor<4x8xf32> {qc.name = "mod"},
        tensor<4x8xf32> {qc.name = "sign"}, tensor<4x8xf32> {qc.name = "softplus"},
        tensor<4x8xf32> {qc.name = "gelu"}, tensor<4x8xf32> {qc.name = "gelu_tanh"},
        tensor<4x8xf32> {qc.name = "elu"}) {
  %eq = qc.equal %a, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xi1>
  %lt = qc.less %a, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xi1>
  %le = qc.less_equal %a, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xi1>
  %gt = qc.greater %a, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xi1>
  %ge = qc.greater_equal %a, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xi1>
  %row = qc.slice %gt {offsets = array<i64: 1, 0>, sizes = array<i64: 1, 8>, strides = array<i64: 1, 1>} : tensor<4x8xi1> -> tensor<1x8xi1>
  %and = qc.and %le, %row : (tensor<4x8xi1>, tensor<1x8xi1>) -> tensor<4x8xi1>
  %or = qc.or %lt, %eq : (tensor<4x8xi1>, tensor<4x8xi1>) -> tensor<4x8xi1>
  %xor = qc.xor %ge, %row : (tensor<4x8xi1>, tensor<1x8xi1>) -> tensor<4x8xi1>
  %not = qc.not %le : tensor<4x8xi1>
  %mod = qc.mod %a, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %sign = qc.sign %a : tensor<4x8xf32>
  %sp = qc.softplus %a : tensor<4x8xf32>
  %ge0 = qc.gelu %a : tensor<4x8xf32>
  %ge1 = qc.gelu %a {approximate = #qc<gelu_approx tanh>} : tensor<4x8xf32>
  %elu = qc.elu %a {alpha = 0.5 : f64} : tensor<4x8xf32>
  return %eq, %lt, %le, %gt, %ge, %and, %or, %xor, %not, %mod, %sign, %sp, %ge0, %ge1, %elu
      : tensor<4x8xi1>, tensor<4x8xi1>, tensor<4x8xi1>, tensor<4x8xi1>, tensor<4x8xi1>,
        tensor<4x8xi1>, tensor<4x8xi1>, tensor<4x8xi1>, tensor<4x8xi1>, tensor<4x8xf32>,
        tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}
