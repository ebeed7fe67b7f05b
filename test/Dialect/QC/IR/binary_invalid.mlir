// RUN: quant-opt %s -split-input-file -verify-diagnostics

func.func @no_broadcast(%a: tensor<2x3xf32>, %b: tensor<4xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{operand shapes do not broadcast: dimension 1 has sizes 3 and 4}}
  %0 = qc.add %a, %b : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @wrong_result_shape(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<3x3xf32> {
  // expected-error @+1 {{result shape 3x3 does not match the broadcast shape 2x3}}
  %0 = qc.mul %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<3x3xf32>
  return %0 : tensor<3x3xf32>
}

// -----

func.func @mixed_elements(%a: tensor<3xf32>, %b: tensor<3xf16>) -> tensor<3xf32> {
  // expected-error @+1 {{element types must match, got 'f32' and 'f16'}}
  %0 = qc.sub %a, %b : (tensor<3xf32>, tensor<3xf16>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @mixed_quant_float(%a: tensor<3x!quant.uniform<i8:f32, 0.1>>, %b: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{quantized operands and result must all be per-tensor !quant.uniform, got 'f32'}}
  %0 = qc.add %a, %b : (tensor<3x!quant.uniform<i8:f32, 0.1>>, tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @quant_per_axis(%a: tensor<3x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3}>>, %b: tensor<3x!quant.uniform<i8:f32, 0.1>>) -> tensor<3x!quant.uniform<i8:f32, 0.1>> {
  // expected-error @+1 {{quantized operands and result must all be per-tensor !quant.uniform}}
  %0 = qc.mul %a, %b : (tensor<3x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3}>>, tensor<3x!quant.uniform<i8:f32, 0.1>>) -> tensor<3x!quant.uniform<i8:f32, 0.1>>
  return %0 : tensor<3x!quant.uniform<i8:f32, 0.1>>
}

// -----

func.func @quant_expressed(%a: tensor<3x!quant.uniform<i8:f32, 0.1>>, %b: tensor<3x!quant.uniform<i8:f16, 0.1>>) -> tensor<3x!quant.uniform<i8:f32, 0.1>> {
  // expected-error @+1 {{quantized types must express the same float type}}
  %0 = qc.max %a, %b : (tensor<3x!quant.uniform<i8:f32, 0.1>>, tensor<3x!quant.uniform<i8:f16, 0.1>>) -> tensor<3x!quant.uniform<i8:f32, 0.1>>
  return %0 : tensor<3x!quant.uniform<i8:f32, 0.1>>
}

// -----

func.func @div_quantized(%a: tensor<3x!quant.uniform<i8:f32, 0.1>>) -> tensor<3x!quant.uniform<i8:f32, 0.1>> {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point or signless integer values}}
  %0 = qc.div %a, %a : (tensor<3x!quant.uniform<i8:f32, 0.1>>, tensor<3x!quant.uniform<i8:f32, 0.1>>) -> tensor<3x!quant.uniform<i8:f32, 0.1>>
  return %0 : tensor<3x!quant.uniform<i8:f32, 0.1>>
}

// -----

func.func @compare_result_not_bool(%a: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{result #0 must be ranked tensor of 1-bit signless integer values}}
  %0 = qc.less %a, %a : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @compare_mixed(%a: tensor<3xf32>, %b: tensor<3xi32>) -> tensor<3xi1> {
  // expected-error @+1 {{element types must match, got 'f32' and 'i32'}}
  %0 = qc.equal %a, %b : (tensor<3xf32>, tensor<3xi32>) -> tensor<3xi1>
  return %0 : tensor<3xi1>
}

// -----

func.func @pow_int(%a: tensor<3xi32>) -> tensor<3xi32> {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values}}
  %0 = qc.pow %a, %a : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi32>
  return %0 : tensor<3xi32>
}

// -----

func.func @where_condition(%c: tensor<5xi1>, %a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{condition shape 5 does not broadcast to the result shape 4}}
  %0 = qc.where %c, %a, %a : (tensor<5xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @where_mixed(%c: tensor<4xi1>, %a: tensor<4xf32>, %b: tensor<4xf16>) -> tensor<4xf32> {
  // expected-error @+1 {{element types must match, got 'f32' and 'f16'}}
  %0 = qc.where %c, %a, %b : (tensor<4xi1>, tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
