// RUN: quant-opt %s | quant-opt | FileCheck %s
// RUN: quant-opt %s -mlir-print-op-generic | quant-opt | FileCheck %s

// CHECK-LABEL: func @binary
func.func @binary(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  // CHECK: qc.add %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %0 = qc.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: qc.sub %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %1 = qc.sub %0, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: qc.mul %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %2 = qc.mul %1, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: qc.div %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %3 = qc.div %2, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: qc.pow %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %4 = qc.pow %3, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: qc.max %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %5 = qc.max %4, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: qc.min %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %6 = qc.min %5, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %6 : tensor<2x3xf32>
}

// CHECK-LABEL: func @broadcast_both
func.func @broadcast_both(%a: tensor<4x1xf32>, %b: tensor<1x5xf32>, %c: tensor<f32>) -> tensor<4x5xf32> {
  // CHECK: qc.add %{{.*}}, %{{.*}} : (tensor<4x1xf32>, tensor<1x5xf32>) -> tensor<4x5xf32>
  %0 = qc.add %a, %b : (tensor<4x1xf32>, tensor<1x5xf32>) -> tensor<4x5xf32>
  // CHECK: qc.mul %{{.*}}, %{{.*}} : (tensor<4x5xf32>, tensor<f32>) -> tensor<4x5xf32>
  %1 = qc.mul %0, %c : (tensor<4x5xf32>, tensor<f32>) -> tensor<4x5xf32>
  return %1 : tensor<4x5xf32>
}

// CHECK-LABEL: func @dynamic
func.func @dynamic(%a: tensor<?x3xf32>, %b: tensor<1x3xf32>) -> tensor<?x3xf32> {
  // CHECK: qc.sub %{{.*}}, %{{.*}} : (tensor<?x3xf32>, tensor<1x3xf32>) -> tensor<?x3xf32>
  %0 = qc.sub %a, %b : (tensor<?x3xf32>, tensor<1x3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// CHECK-LABEL: func @integer_arith
func.func @integer_arith(%a: tensor<4xi64>, %b: tensor<1xi64>) -> tensor<4xi64> {
  // CHECK: qc.div %{{.*}}, %{{.*}} : (tensor<4xi64>, tensor<1xi64>) -> tensor<4xi64>
  %0 = qc.div %a, %b : (tensor<4xi64>, tensor<1xi64>) -> tensor<4xi64>
  // CHECK: qc.mod %{{.*}}, %{{.*}} : (tensor<4xi64>, tensor<1xi64>) -> tensor<4xi64>
  %1 = qc.mod %0, %b : (tensor<4xi64>, tensor<1xi64>) -> tensor<4xi64>
  return %1 : tensor<4xi64>
}

// CHECK-LABEL: func @quantized_add
func.func @quantized_add(%a: tensor<4x!quant.uniform<i8:f32, 0.1:3>>, %b: tensor<4x!quant.uniform<i8:f32, 0.2>>) -> tensor<4x!quant.uniform<i8:f32, 0.3:-1>> {
  // CHECK: qc.add %{{.*}}, %{{.*}} : (tensor<4x!quant.uniform<i8:f32, 1.000000e-01:3>>, tensor<4x!quant.uniform<i8:f32, 2.000000e-01>>) -> tensor<4x!quant.uniform<i8:f32, 3.000000e-01:-1>>
  %0 = qc.add %a, %b : (tensor<4x!quant.uniform<i8:f32, 0.1:3>>, tensor<4x!quant.uniform<i8:f32, 0.2>>) -> tensor<4x!quant.uniform<i8:f32, 0.3:-1>>
  // CHECK: qc.relu %{{.*}} : tensor<4x!quant.uniform<i8:f32, 3.000000e-01:-1>>
  %1 = qc.relu %0 : tensor<4x!quant.uniform<i8:f32, 0.3:-1>>
  // CHECK: qc.clip %{{.*}} {max = 6.000000e+00 : f64, min = 0.000000e+00 : f64} : tensor<4x!quant.uniform<i8:f32, 3.000000e-01:-1>>
  %2 = qc.clip %1 {min = 0.0 : f64, max = 6.0 : f64} : tensor<4x!quant.uniform<i8:f32, 0.3:-1>>
  return %2 : tensor<4x!quant.uniform<i8:f32, 0.3:-1>>
}

// CHECK-LABEL: func @compare
func.func @compare(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %p: tensor<2x3xi1>) -> tensor<2x3xi1> {
  // CHECK: qc.equal %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  %c0 = qc.equal %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  // CHECK: qc.and %{{.*}}, %{{.*}} : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  %l0 = qc.and %p, %c0 : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  // CHECK: qc.less %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  %c1 = qc.less %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  // CHECK: qc.or %{{.*}}, %{{.*}} : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  %l1 = qc.or %l0, %c1 : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  // CHECK: qc.less_equal %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  %c2 = qc.less_equal %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  // CHECK: qc.xor %{{.*}}, %{{.*}} : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  %l2 = qc.xor %l1, %c2 : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  // CHECK: qc.greater %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  %c3 = qc.greater %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  // CHECK: qc.and %{{.*}}, %{{.*}} : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  %l3 = qc.and %l2, %c3 : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  // CHECK: qc.greater_equal %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  %c4 = qc.greater_equal %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  // CHECK: qc.or %{{.*}}, %{{.*}} : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  %l4 = qc.or %l3, %c4 : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  return %l4 : tensor<2x3xi1>
}

// CHECK-LABEL: func @where
func.func @where(%c: tensor<4xi1>, %a: tensor<4xf32>, %b: tensor<1xf32>) -> tensor<4xf32> {
  // CHECK: qc.where %{{.*}}, %{{.*}}, %{{.*}} : (tensor<4xi1>, tensor<4xf32>, tensor<1xf32>) -> tensor<4xf32>
  %0 = qc.where %c, %a, %b : (tensor<4xi1>, tensor<4xf32>, tensor<1xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
