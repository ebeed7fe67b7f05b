// RUN: quant-opt %s -split-input-file -verify-diagnostics

func.func @clip_inverted(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{min 6.000000e+00 is greater than max 0.000000e+00}}
  %0 = qc.clip %a {min = 6.0 : f64, max = 0.0 : f64} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @unary_type_change(%a: tensor<4xf32>) -> tensor<4xf16> {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "qc.relu"(%a) : (tensor<4xf32>) -> tensor<4xf16>
  return %0 : tensor<4xf16>
}

// -----

func.func @unary_int_sigmoid(%a: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values}}
  %0 = qc.sigmoid %a : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @cast_shape(%a: tensor<4xf32>) -> tensor<5xi32> {
  // expected-error @+1 {{requires the same shape for all operands and results}}
  %0 = qc.cast %a : tensor<4xf32> -> tensor<5xi32>
  return %0 : tensor<5xi32>
}

// -----

func.func @cast_quant(%a: tensor<4x!quant.uniform<i8:f32, 0.1>>) -> tensor<4xf32> {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point or signless integer values}}
  %0 = qc.cast %a : tensor<4x!quant.uniform<i8:f32, 0.1>> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @unranked(%a: tensor<*xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{operand #0 must be ranked tensor}}
  %0 = "qc.exp"(%a) : (tensor<*xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}
