func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qc.clip %a {min = 2.0 : f64, max = 1.0 : f64} : tensor<4xf32>
  return %0 : tensor<4xf32>
}
