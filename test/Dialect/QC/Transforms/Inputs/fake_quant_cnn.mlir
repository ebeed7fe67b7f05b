// A small fake-quantized CNN: conv -> relu -> max pool -> reshape -> linear,
// plus a weight-only group-quantized branch and a dynamic branch. Used by
// fold_fake_quant.mlir (structure) and fold_fake_quant_numerics.test (the
// folded model computes what the fake-quant model computes).
func.func @main(%x: tensor<2x1x6x6xf32> {qc.name = "x"}, %t: tensor<3x64xf32> {qc.name = "t"}) -> (tensor<2x3xf32> {qc.name = "y"}, tensor<3x4xf32> {qc.name = "g"}, tensor<3x4xf32> {qc.name = "d"}) {
  %w1 = qc.constant dense<[[[[0.5, -0.25, 0.125], [1.0, -1.0, 0.75], [0.3, -0.6, 0.2]]], [[[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]]]]> : tensor<2x1x3x3xf32> loc("conv.weight")
  %b1 = qc.constant dense<[0.1, -0.2]> : tensor<2xf32>
  %x0 = qc.fake_quant %x {quant_type = !quant.uniform<i8:f32, 0.02:-5>} : tensor<2x1x6x6xf32>
  %w10 = qc.fake_quant %w1 {quant_type = !quant.uniform<i8<-127:127>:f32:0, {0.0078740157, 0.0070866142}>} : tensor<2x1x3x3xf32>
  %c = qc.conv2d %x0, %w10, %b1 {pads = array<i64: 1, 1, 1, 1>} : (tensor<2x1x6x6xf32>, tensor<2x1x3x3xf32>, tensor<2xf32>) -> tensor<2x2x6x6xf32> loc("conv")
  %r = qc.relu %c : tensor<2x2x6x6xf32>
  %r0 = qc.fake_quant %r {quant_type = !quant.uniform<i8:f32, 0.03:-128>} : tensor<2x2x6x6xf32>
  %p = qc.pool2d %r0 {kernel = array<i64: 2, 2>, kind = #qc<pool_kind max>, strides = array<i64: 2, 2>} : tensor<2x2x6x6xf32> -> tensor<2x2x3x3xf32>
  %f = qc.reshape %p : tensor<2x2x3x3xf32> -> tensor<2x18xf32>
  %w2 = qc.constant dense<0.05> : tensor<3x18xf32> loc("fc.weight")
  %w20 = qc.fake_quant %w2 {quant_type = !quant.uniform<i8<-127:127>:f32, 0.001>} : tensor<3x18xf32>
  %b2 = qc.constant dense<[0.5, -0.5, 0.25]> : tensor<3xf32>
  %y = qc.linear %f, %w20, %b2 : (tensor<2x18xf32>, tensor<3x18xf32>, tensor<3xf32>) -> tensor<2x3xf32> loc("fc")
  %w3 = qc.constant dense<0.75> : tensor<4x64xf32> loc("wo.weight")
  %w30 = qc.fake_quant %w3 {quant_type = !quant.uniform<i4<-7:7>:f32:{0:1, 1:32}, {{0.11, 0.12}, {0.13, 0.14}, {0.15, 0.16}, {0.17, 0.18}}>} : tensor<4x64xf32>
  %g = qc.linear %t, %w30 : (tensor<3x64xf32>, tensor<4x64xf32>) -> tensor<3x4xf32> loc("wo")
  %td = qc.observe %t {storage = i8, symmetric, narrow_range, dynamic} : tensor<3x64xf32>
  %w4 = qc.constant dense<-0.5> : tensor<4x64xf32> loc("dyn.weight")
  %w40 = qc.fake_quant %w4 {quant_type = !quant.uniform<i8<-127:127>:f32:0, {0.004, 0.005, 0.006, 0.007}>} : tensor<4x64xf32>
  %d = qc.linear %td, %w40 : (tensor<3x64xf32>, tensor<4x64xf32>) -> tensor<3x4xf32> loc("dyn")
  return %y, %g, %d : tensor<2x3xf32>, tensor<3x4xf32>, tensor<3x4xf32>
}
