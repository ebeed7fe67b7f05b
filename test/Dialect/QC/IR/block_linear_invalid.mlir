// RUN: quant-opt %s -split-input-file -verify-diagnostics

func.func @unknown_format(%x: tensor<1x32xf32>, %w: tensor<2x18xi8>) -> tensor<1x2xf32> {
  // expected-error @+1 {{format 'Q4_9' is not a block format quantc implements}}
  %0 = qc.block_linear %x, %w {format = "Q4_9"} : (tensor<1x32xf32>, tensor<2x18xi8>) -> tensor<1x2xf32>
  return %0 : tensor<1x2xf32>
}

// -----

func.func @lower_case_format(%x: tensor<1x32xf32>, %w: tensor<2x18xi8>) -> tensor<1x2xf32> {
  // expected-error @+1 {{format 'q4_0' is not a block format quantc implements}}
  %0 = qc.block_linear %x, %w {format = "q4_0"} : (tensor<1x32xf32>, tensor<2x18xi8>) -> tensor<1x2xf32>
  return %0 : tensor<1x2xf32>
}

// -----

func.func @not_runnable_format(%x: tensor<1x256xf32>, %w: tensor<2x66xi8>) -> tensor<1x2xf32> {
  // expected-error @+1 {{format 'IQ2_XXS' is not a block format quantc implements}}
  %0 = qc.block_linear %x, %w {format = "IQ2_XXS"} : (tensor<1x256xf32>, tensor<2x66xi8>) -> tensor<1x2xf32>
  return %0 : tensor<1x2xf32>
}

// -----

func.func @partial_block(%x: tensor<1x48xf32>, %w: tensor<2x27xi8>) -> tensor<1x2xf32> {
  // expected-error @+1 {{rows of 48 values do not fill whole Q4_0 blocks of 32}}
  %0 = qc.block_linear %x, %w {format = "Q4_0"} : (tensor<1x48xf32>, tensor<2x27xi8>) -> tensor<1x2xf32>
  return %0 : tensor<1x2xf32>
}

// -----

func.func @k_quant_partial_block(%x: tensor<1x64xf32>, %w: tensor<2x36xi8>) -> tensor<1x2xf32> {
  // expected-error @+1 {{rows of 64 values do not fill whole Q4_K blocks of 256}}
  %0 = qc.block_linear %x, %w {format = "Q4_K"} : (tensor<1x64xf32>, tensor<2x36xi8>) -> tensor<1x2xf32>
  return %0 : tensor<1x2xf32>
}

// -----

func.func @row_bytes(%x: tensor<1x64xf32>, %w: tensor<2x32xi8>) -> tensor<1x2xf32> {
  // expected-error @+1 {{weight rows hold 32 bytes, but 64 values in Q4_0 take 36}}
  %0 = qc.block_linear %x, %w {format = "Q4_0"} : (tensor<1x64xf32>, tensor<2x32xi8>) -> tensor<1x2xf32>
  return %0 : tensor<1x2xf32>
}

// -----

func.func @weight_rank(%x: tensor<1x32xf32>, %w: tensor<36xi8>) -> tensor<1x2xf32> {
  // expected-error @+1 {{weight must be a static [rows, bytes per row] tensor of i8 or ui8}}
  %0 = qc.block_linear %x, %w {format = "Q4_0"} : (tensor<1x32xf32>, tensor<36xi8>) -> tensor<1x2xf32>
  return %0 : tensor<1x2xf32>
}

// -----

func.func @weight_type(%x: tensor<1x32xf32>, %w: tensor<2x9xi16>) -> tensor<1x2xf32> {
  // expected-error @+1 {{operand #1 must be ranked tensor of 8-bit signless integer or 8-bit unsigned integer values}}
  %0 = qc.block_linear %x, %w {format = "Q4_0"} : (tensor<1x32xf32>, tensor<2x9xi16>) -> tensor<1x2xf32>
  return %0 : tensor<1x2xf32>
}

// -----

func.func @input_type(%x: tensor<1x32xf16>, %w: tensor<2x18xi8>) -> tensor<1x2xf32> {
  // expected-error @+1 {{input and result must be f32, got 'f16' and 'f32'}}
  %0 = qc.block_linear %x, %w {format = "Q4_0"} : (tensor<1x32xf16>, tensor<2x18xi8>) -> tensor<1x2xf32>
  return %0 : tensor<1x2xf32>
}

// -----

func.func @result_shape(%x: tensor<3x32xf32>, %w: tensor<2x18xi8>) -> tensor<3x4xf32> {
  // expected-error @+1 {{result shape must be [3, 2], got 'tensor<3x4xf32>'}}
  %0 = qc.block_linear %x, %w {format = "Q4_0"} : (tensor<3x32xf32>, tensor<2x18xi8>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

func.func @bias_shape(%x: tensor<1x32xf32>, %w: tensor<2x18xi8>, %b: tensor<3xf32>) -> tensor<1x2xf32> {
  // expected-error @+1 {{bias must be f32 [2], got 'tensor<3xf32>'}}
  %0 = qc.block_linear %x, %w, %b {format = "Q4_0"} : (tensor<1x32xf32>, tensor<2x18xi8>, tensor<3xf32>) -> tensor<1x2xf32>
  return %0 : tensor<1x2xf32>
}

// -----

func.func @dynamic_k_quant(%x: tensor<1x256xf32>, %w: tensor<2x210xi8>) -> tensor<1x2xf32> {
  // expected-error @+1 {{'dynamic_act' (int8 activations) is defined for Q4_0 and Q8_0 weights, not Q6_K}}
  %0 = qc.block_linear %x, %w {format = "Q6_K", dynamic_act} : (tensor<1x256xf32>, tensor<2x210xi8>) -> tensor<1x2xf32>
  return %0 : tensor<1x2xf32>
}

// -----

func.func @missing_format(%x: tensor<1x32xf32>, %w: tensor<2x18xi8>) -> tensor<1x2xf32> {
  // expected-error @+1 {{requires attribute 'format'}}
  %0 = qc.block_linear %x, %w : (tensor<1x32xf32>, tensor<2x18xi8>) -> tensor<1x2xf32>
  return %0 : tensor<1x2xf32>
}
