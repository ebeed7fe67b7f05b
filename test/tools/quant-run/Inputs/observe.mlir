func.func @main(%x: tensor<2x3xf32> {qc.name = "x"}, %b: tensor<3xi64> {qc.name = "ids"})
    -> (tensor<2x3xf32> {qc.name = "y"}, tensor<3xi64> {qc.name = "ids/out"}, tensor<2xf32> {qc.name = "c"}) {
  %0 = qc.observe %x {name = "x"} : tensor<2x3xf32>
  %c = qc.constant dense<[1.5, -2.0]> : tensor<2xf32>
  return %0, %b, %c : tensor<2x3xf32>, tensor<3xi64>, tensor<2xf32>
}
