// RUN: quant-opt %s -split-input-file -verify-diagnostics

func.func @unknown_gelu_approx(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+2 {{expected ::mlir::qc::GeluApprox to be one of: none, tanh}}
  // expected-error @+1 {{failed to parse QC_GeluApproxAttr parameter 'value'}}
  %0 = qc.gelu %x {approximate = #qc<gelu_approx erf>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @unknown_qc_attribute(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{unknown attribute `frobnicate` in dialect `qc`}}
  %0 = qc.gelu %x {approximate = #qc<frobnicate tanh>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @wrong_attribute_kind(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{attribute 'alpha' failed to satisfy constraint: 64-bit float attribute}}
  %0 = qc.leaky_relu %x {alpha = 1 : i64} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @bad_quant_type(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{illegal storage type size: 65}}
  %0 = qc.fake_quant %x {quant_type = !quant.uniform<i65:f32, 0.1>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}
