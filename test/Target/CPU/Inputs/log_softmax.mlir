func.func @main(%x: tensor<1x4xf32> {qc.name = "x"}) -> (tensor<1x4xf32> {qc.name = "y"}) {
  %y = qc.log_softmax %x {axis = 1 : i64} : tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}
