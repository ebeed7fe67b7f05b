// An op form without a CPU lowering (f16 RoPE), for artifact_errors.test.
func.func @main(%x: tensor<1x3x2x8xf16> {qc.name = "x"}, %p: tensor<3xi64> {qc.name = "pos"}) -> (tensor<1x3x2x8xf16> {qc.name = "y"}) {
  %y = qc.rope %x, %p : tensor<1x3x2x8xf16>, tensor<3xi64>
  return %y : tensor<1x3x2x8xf16>
}
