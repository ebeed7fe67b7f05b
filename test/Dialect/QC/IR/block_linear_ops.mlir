// RUN: quant-opt %s | quant-opt | FileCheck %s
// RUN: quant-opt %s -mlir-print-op-generic | quant-opt | FileCheck %s

// Q4_0: 64 values per row are 2 blocks of 18 bytes; Q6_K: 256 values are one
// block of 210 bytes; F16 rows of 172 values are 344 bytes.
// CHECK-LABEL: func @block_linear_forms
func.func @block_linear_forms(%x: tensor<1x3x64xf32>, %w: tensor<10x36xi8>, %b: tensor<10xf32>,
                              %x2: tensor<2x256xf32>, %w2: tensor<5x210xui8>,
                              %x3: tensor<4x172xf32>, %w3: tensor<64x344xi8>) {
  // CHECK: qc.block_linear %{{.*}}, %{{.*}}, %{{.*}} {dynamic_act, format = "Q4_0"} : (tensor<1x3x64xf32>, tensor<10x36xi8>, tensor<10xf32>) -> tensor<1x3x10xf32>
  %0 = qc.block_linear %x, %w, %b {format = "Q4_0", dynamic_act} : (tensor<1x3x64xf32>, tensor<10x36xi8>, tensor<10xf32>) -> tensor<1x3x10xf32>
  // CHECK: qc.block_linear %{{.*}}, %{{.*}} {format = "Q4_0"} : (tensor<1x3x64xf32>, tensor<10x36xi8>) -> tensor<1x3x10xf32>
  %1 = qc.block_linear %x, %w {format = "Q4_0"} : (tensor<1x3x64xf32>, tensor<10x36xi8>) -> tensor<1x3x10xf32>
  // CHECK: qc.block_linear %{{.*}}, %{{.*}} {format = "Q6_K"} : (tensor<2x256xf32>, tensor<5x210xui8>) -> tensor<2x5xf32>
  %2 = qc.block_linear %x2, %w2 {format = "Q6_K"} : (tensor<2x256xf32>, tensor<5x210xui8>) -> tensor<2x5xf32>
  // CHECK: qc.block_linear %{{.*}}, %{{.*}} {format = "F16"} : (tensor<4x172xf32>, tensor<64x344xi8>) -> tensor<4x64xf32>
  %3 = qc.block_linear %x3, %w3 {format = "F16"} : (tensor<4x172xf32>, tensor<64x344xi8>) -> tensor<4x64xf32>
  return
}

// CHECK-LABEL: func @block_linear_constant
func.func @block_linear_constant(%x: tensor<1x32xf32>) -> tensor<1x2xf32> {
  // CHECK: qc.constant dense_resource<w> : tensor<2x34xi8>
  %w = qc.constant dense_resource<w> : tensor<2x34xi8>
  // CHECK: qc.block_linear %{{.*}}, %{{.*}} {dynamic_act, format = "Q8_0"}
  %y = qc.block_linear %x, %w {format = "Q8_0", dynamic_act} : (tensor<1x32xf32>, tensor<2x34xi8>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
