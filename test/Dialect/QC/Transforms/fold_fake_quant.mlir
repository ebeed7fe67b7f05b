// RUN: quant-opt %S/Inputs/fake_quant_cnn.mlir --qc-fold-fake-quant | FileCheck %s
// RUN: quant-opt %s -split-input-file --qc-fold-fake-quant | FileCheck %s --check-prefix=QDQ

// CHECK-LABEL: func @main
// CHECK-NOT: qc.fake_quant
// CHECK: %[[X:.*]] = quant.qcast %arg0 : tensor<2x1x6x6xf32> to tensor<2x1x6x6x!quant.uniform<i8:f32, 2.000000e-02:-5>>
// Weights become storage integers; the bias an i32 at scale s_x * s_w.
// CHECK: %[[W:.*]] = qc.constant dense<{{\[\[\[\[}}64, -32, 16], [127, -127, 95], [38, -76, 25]]], {{\[\[\[}}14, 28, 42], [56, 71, 85], [99, 113, 127]]]]> : tensor<2x1x3x3xi8> -> tensor<2x1x3x3x!quant.uniform<i8<-127:127>:f32:0
// CHECK: %[[B:.*]] = qc.constant dense<[635, -1411]> : tensor<2xi32> -> tensor<2x!quant.uniform<i32:f32:0, {1.5748031400000001E-4,1.4173228399999999E-4}>>
// The ReLU is absorbed: the result type's zero point is its minimum.
// CHECK: %[[C:.*]] = qc.conv2d %[[X]], %[[W]], %[[B]] {{.*}} -> tensor<2x2x6x6x!quant.uniform<i8:f32, 3.000000e-02:-128>>
// CHECK-NOT: qc.relu
// CHECK: %[[P:.*]] = qc.pool2d %[[C]] {{.*}} -> tensor<2x2x3x3x!quant.uniform<i8:f32, 3.000000e-02:-128>>
// CHECK: %[[F:.*]] = qc.reshape %[[P]] : {{.*}} -> tensor<2x18x!quant.uniform<i8:f32, 3.000000e-02:-128>>
// CHECK: %[[W2:.*]] = qc.constant dense<50> : tensor<3x18xi8>
// CHECK: %[[B2:.*]] = qc.constant dense<[16667, -16667, 8333]> : tensor<3xi32> -> tensor<3x!quant.uniform<i32:f32, 3.000000e-05>>
// The output is not quantized: the integer form with a float result.
// CHECK: %[[Y:.*]] = qc.linear %[[F]], %[[W2]], %[[B2]] : {{.*}} -> tensor<2x3xf32>
// Weight-only, 4-bit groups, kept as a dense_resource blob.
// CHECK: %[[G:.*]] = qc.constant dense_resource<wo.weight.q> : tensor<4x64xi4> -> tensor<4x64x!quant.uniform<i4<-7:7>:f32:{0:1, 1:32}
// CHECK: qc.linear %arg1, %[[G]] : (tensor<3x64xf32>,
// CHECK: %[[D:.*]] = qc.constant dense_resource<dyn.weight.q> : tensor<4x64xi8>
// CHECK: qc.linear %arg1, %[[D]] {dynamic_act}
// CHECK-NOT: quant.dcast
// CHECK-NOT: qc.observe

// -----

// An imported QDQ model: quantize/dequantize pairs with a constant quantized
// weight, a ReLU whose type holds negative values (kept, on the integer
// grid), and a round trip through one type that disappears.

// QDQ-LABEL: func @qdq
func.func @qdq(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %q = quant.qcast %x : tensor<1x4xf32> to tensor<1x4x!quant.uniform<i8:f32, 0.05:3>>
  %d = quant.dcast %q : tensor<1x4x!quant.uniform<i8:f32, 0.05:3>> to tensor<1x4xf32>
  %wq = qc.constant dense<[[1, 2, 3, 4], [-4, -3, -2, -1]]> : tensor<2x4xi8> -> tensor<2x4x!quant.uniform<i8:f32:0, {0.1, 0.2}>>
  %wd = quant.dcast %wq : tensor<2x4x!quant.uniform<i8:f32:0, {0.1, 0.2}>> to tensor<2x4xf32>
  %y = qc.linear %d, %wd : (tensor<1x4xf32>, tensor<2x4xf32>) -> tensor<1x2xf32>
  %r = qc.relu %y : tensor<1x2xf32>
  %yq = quant.qcast %r : tensor<1x2xf32> to tensor<1x2x!quant.uniform<i8:f32, 0.01:-20>>
  %yd = quant.dcast %yq : tensor<1x2x!quant.uniform<i8:f32, 0.01:-20>> to tensor<1x2xf32>
  %yq2 = quant.qcast %yd : tensor<1x2xf32> to tensor<1x2x!quant.uniform<i8:f32, 0.01:-20>>
  %yd2 = quant.dcast %yq2 : tensor<1x2x!quant.uniform<i8:f32, 0.01:-20>> to tensor<1x2xf32>
  return %yd2 : tensor<1x2xf32>
}
// QDQ: %[[Q:.*]] = quant.qcast %arg0
// QDQ: %[[L:.*]] = qc.linear %[[Q]], %{{.*}} : {{.*}} -> tensor<1x2x!quant.uniform<i8:f32, 1.000000e-02:-20>>
// QDQ: %[[R:.*]] = qc.relu %[[L]] : tensor<1x2x!quant.uniform<i8:f32, 1.000000e-02:-20>>
// QDQ: %[[O:.*]] = quant.dcast %[[R]]
// QDQ-NEXT: return %[[O]]
