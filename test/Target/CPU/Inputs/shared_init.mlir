// Two float linear layers with equal biases and a residual: their bias
// initialisations are equal ops, which must stay apart (each kernel
// replaces its own), and the second product reads the first.
func.func @main(%x: tensor<3x32xf32> {qc.name = "x"}) -> (tensor<3x32xf32> {qc.name = "y"}) {
  %w1 = qc.constant dense<0.03125> : tensor<32x32xf32> -> tensor<32x32xf32>
  %w2 = qc.constant dense<-0.0625> : tensor<32x32xf32> -> tensor<32x32xf32>
  %b = qc.constant dense<0.5> : tensor<32xf32> -> tensor<32xf32>
  %b2 = qc.constant dense<0.5> : tensor<32xf32> -> tensor<32xf32>
  %h = qc.linear %x, %w1, %b : (tensor<3x32xf32>, tensor<32x32xf32>, tensor<32xf32>) -> tensor<3x32xf32>
  %r = qc.relu %h : tensor<3x32xf32>
  %o = qc.linear %r, %w2, %b2 : (tensor<3x32xf32>, tensor<32x32xf32>, tensor<32xf32>) -> tensor<3x32xf32>
  %y = qc.add %o, %h : (tensor<3x32xf32>, tensor<3x32xf32>) -> tensor<3x32xf32>
  return %y : tensor<3x32xf32>
}
