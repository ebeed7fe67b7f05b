// A whole W8A8 CNN in qc: quantized ops compose across families (conv with
// i32 bias and requantized output, quantized relu and max pooling, reshape of
// a quantized tensor, a linear layer with a float result).
// RUN: quant-opt %s | quant-opt | FileCheck %s

!xq = !quant.uniform<i8:f32, 0.0078125:-128>
!cq = !quant.uniform<i8:f32, 0.05:-20>

// CHECK-LABEL: func @int8_cnn
func.func @int8_cnn(%img: tensor<1x1x28x28xf32>) -> tensor<1x10xf32> {
  %w0 = qc.constant dense<1> : tensor<4x1x3x3xi8> -> tensor<4x1x3x3x!quant.uniform<i8<-127:127>:f32:0, {0.01, 0.02, 0.03, 0.04}>>
  %b0 = qc.constant dense<5> : tensor<4xi32> -> tensor<4x!quant.uniform<i32:f32:0, {7.8125e-05, 1.5625e-04, 2.34375e-04, 3.125e-04}>>
  %w1 = qc.constant dense<1> : tensor<10x784xi8> -> tensor<10x784x!quant.uniform<i8<-127:127>:f32, 0.001>>
  // CHECK: quant.qcast
  %xq = quant.qcast %img : tensor<1x1x28x28xf32> to tensor<1x1x28x28x!xq>
  // CHECK: qc.conv2d {{.*}} -> tensor<1x4x28x28x!quant.uniform<i8:f32, 5.000000e-02:-20>>
  %c = qc.conv2d %xq, %w0, %b0 {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x1x28x28x!xq>, tensor<4x1x3x3x!quant.uniform<i8<-127:127>:f32:0, {0.01, 0.02, 0.03, 0.04}>>, tensor<4x!quant.uniform<i32:f32:0, {7.8125e-05, 1.5625e-04, 2.34375e-04, 3.125e-04}>>) -> tensor<1x4x28x28x!cq>
  // CHECK: qc.relu {{.*}} : tensor<1x4x28x28x!quant.uniform<i8:f32, 5.000000e-02:-20>>
  %r = qc.relu %c : tensor<1x4x28x28x!cq>
  // CHECK: qc.pool2d {{.*}} -> tensor<1x4x14x14x!quant.uniform<i8:f32, 5.000000e-02:-20>>
  %p = qc.pool2d %r {kind = #qc<pool_kind max>, kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : tensor<1x4x28x28x!cq> -> tensor<1x4x14x14x!cq>
  // CHECK: qc.reshape {{.*}} -> tensor<1x784x!quant.uniform<i8:f32, 5.000000e-02:-20>>
  %f = qc.reshape %p : tensor<1x4x14x14x!cq> -> tensor<1x784x!cq>
  // CHECK: qc.linear {{.*}} -> tensor<1x10xf32>
  %y = qc.linear %f, %w1 : (tensor<1x784x!cq>, tensor<10x784x!quant.uniform<i8<-127:127>:f32, 0.001>>) -> tensor<1x10xf32>
  // CHECK: qc.softmax
  %s = qc.softmax %y : tensor<1x10xf32>
  return %s : tensor<1x10xf32>
}
