func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qc.observe %a {name = "a"} : tensor<4xf32>
  %1 = qc.relu %0 : tensor<4xf32>
  return %1 : tensor<4xf32>
}
