// A two-layer MLP after calibration: the observers hold the ranges they saw,
// weights and activations carry fake-quant with int8 scales. The quick start
// lowers it with the qc-decompose-activations pass and the qc-lower-fake-quant
// pipeline:
//
//   quant-opt examples/fake_quant_mlp.mlir \
//     --qc-decompose-activations --qc-lower-fake-quant

func.func @mlp(%x: tensor<1x16xf32>) -> tensor<1x4xf32> {
  %w0 = qc.constant dense<0.125> : tensor<8x16xf32>
  %b0 = qc.constant dense<0.5> : tensor<8xf32>
  %w1 = qc.constant dense<-0.25> : tensor<4x8xf32>

  %xin = qc.observe %x {name = "input", min = array<f64: -1.0>, max = array<f64: 1.0>, method = "minmax"} : tensor<1x16xf32>
  %xq = qc.fake_quant %xin {quant_type = !quant.uniform<i8:f32, 0.0078431372549019607:-1>} : tensor<1x16xf32>
  %w0q = qc.fake_quant %w0 {quant_type = !quant.uniform<i8<-127:127>:f32, 0.00098425196850393700>} : tensor<8x16xf32>
  %h = qc.linear %xq, %w0q, %b0 : (tensor<1x16xf32>, tensor<8x16xf32>, tensor<8xf32>) -> tensor<1x8xf32>
  %a = qc.silu %h : tensor<1x8xf32>

  %aobs = qc.observe %a {name = "fc0.act", min = array<f64: -0.3>, max = array<f64: 3.2>, method = "minmax"} : tensor<1x8xf32>
  %aq = qc.fake_quant %aobs {quant_type = !quant.uniform<i8:f32, 0.013725490196078431:-106>} : tensor<1x8xf32>
  %w1q = qc.fake_quant %w1 {quant_type = !quant.uniform<i8<-127:127>:f32:0, {0.0019685039370078740, 0.0019685039370078740, 0.0019685039370078740, 0.0019685039370078740}>} : tensor<4x8xf32>
  %y = qc.linear %aq, %w1q : (tensor<1x8xf32>, tensor<4x8xf32>) -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}
