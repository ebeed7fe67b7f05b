// A tiny model for artifact_errors.test: y = relu(x * w + b) with a weight
// large enough to land in weights.bin.
func.func @main(%x: tensor<1x4xf32> {qc.name = "x"}) -> (tensor<1x4xf32> {qc.name = "y"}) {
  %w = qc.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0], [0.0, 0.0, -1.0, 0.0], [0.0, 0.0, 0.0, 3.0]]> : tensor<4x4xf32> -> tensor<4x4xf32>
  %y = qc.linear %x, %w : (tensor<1x4xf32>, tensor<4x4xf32>) -> tensor<1x4xf32>
  %r = qc.relu %y : tensor<1x4xf32>
  return %r : tensor<1x4xf32>
}
