// RUN: quant-opt %s --qc-lower-fake-quant | FileCheck %s
// RUN: quant-opt %s --qc-lower-fake-quant=keep-observers=true | FileCheck %s --check-prefix=KEEP
// RUN: quant-opt %s --pass-pipeline='builtin.module(qc-lower-fake-quant)' | FileCheck %s

// Observers go, fake-quant becomes casts, and the pipeline's CSE merges the
// two identical fake-quants of %x. No canonicalizer runs: it would fold
// quant.dcast(quant.qcast(x)) back to x and lose the rounding.
// CHECK-LABEL: func @pipeline
// CHECK-NOT: qc.observe
// CHECK: %[[Q:.*]] = quant.qcast
// CHECK-NEXT: %[[D:.*]] = quant.dcast %[[Q]]
// CHECK-NEXT: %[[A:.*]] = qc.add %[[D]], %[[D]]
// CHECK-NEXT: return %[[A]]
// KEEP-LABEL: func @pipeline
// KEEP: qc.observe
func.func @pipeline(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qc.observe %x {name = "x"} : tensor<4xf32>
  %1 = qc.fake_quant %0 {quant_type = !quant.uniform<i8:f32, 0.1>} : tensor<4xf32>
  %2 = qc.fake_quant %0 {quant_type = !quant.uniform<i8:f32, 0.1>} : tensor<4xf32>
  %3 = qc.add %1, %2 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %3 : tensor<4xf32>
}
