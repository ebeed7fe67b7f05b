// RUN: quant-opt %s -split-input-file -verify-diagnostics

func.func @fake_quant_not_quant(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'quant_type' must be a !quant.uniform type, got 'i8'}}
  %0 = qc.fake_quant %x {quant_type = i8} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @fake_quant_expressed(%x: tensor<4xf16>) -> tensor<4xf16> {
  // expected-error @+1 {{quantized type expresses 'f32' but the operand holds 'f16'}}
  %0 = qc.fake_quant %x {quant_type = !quant.uniform<i8:f32, 0.1>} : tensor<4xf16>
  return %0 : tensor<4xf16>
}

// -----

func.func @fake_quant_axis_range(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{quant_type: per-axis quantized dimension 1 is out of range for a tensor of rank 1}}
  %0 = qc.fake_quant %x {quant_type = !quant.uniform<i8:f32:1, {0.1, 0.2}>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @fake_quant_block_ragged(%x: tensor<2x40xf32>) -> tensor<2x40xf32> {
  // expected-error @+1 {{quant_type: dimension 1 of size 40 is not a multiple of its block size 32}}
  %0 = qc.fake_quant %x {quant_type = !quant.uniform<i4:f32:{1:32}, {{0.1, 0.2}}>} : tensor<2x40xf32>
  return %0 : tensor<2x40xf32>
}

// -----

func.func @fake_quant_block_scales(%x: tensor<2x64xf32>) -> tensor<2x64xf32> {
  // expected-error @+1 {{quant_type: dimension 0 of size 2 in blocks of 2 needs 1 scales, the type has 2}}
  %0 = qc.fake_quant %x {quant_type = !quant.uniform<i4:f32:{1:32}, {{0.1, 0.2}, {0.3, 0.4}}>} : tensor<2x64xf32>
  return %0 : tensor<2x64xf32>
}

// -----

func.func @fake_quant_block_rank(%x: tensor<2x2x64xf32>) -> tensor<2x2x64xf32> {
  // expected-error @+1 {{quant_type: sub-channel scales have rank 2 but the tensor has rank 3}}
  %0 = qc.fake_quant %x {quant_type = !quant.uniform<i4:f32:{1:1}, {{0.1, 0.2}}>} : tensor<2x2x64xf32>
  return %0 : tensor<2x2x64xf32>
}

// -----

func.func @fake_quant_type_change(%x: tensor<4xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{all of {input, result} have same type}}
  %0 = "qc.fake_quant"(%x) {quant_type = !quant.uniform<i8:f32, 0.1>} : (tensor<4xf32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}
