// RUN: quant-opt %s --convert-qc-to-linalg | FileCheck %s

// The unary ops with the executor's formulas, operation for operation in
// f32. softplus calls the C library's log1pf, declared in the module
// (math.log1p would become log(1 + x), which loses small arguments).

// CHECK: func.func private @log1pf(f32) -> f32

// CHECK-LABEL: func.func @softplus
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK:   %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:   %[[POS:.*]] = arith.cmpf ogt, %[[X]], %[[Z]] : f32
// CHECK:   %[[NX:.*]] = arith.negf %[[X]] : f32
// CHECK:   %[[E1:.*]] = math.exp %[[NX]] : f32
// CHECK:   %[[L1:.*]] = func.call @log1pf(%[[E1]]) : (f32) -> f32
// CHECK:   %[[BIG:.*]] = arith.addf %[[X]], %[[L1]] : f32
// CHECK:   %[[E2:.*]] = math.exp %[[X]] : f32
// CHECK:   %[[SMALL:.*]] = func.call @log1pf(%[[E2]]) : (f32) -> f32
// CHECK:   arith.select %[[POS]], %[[BIG]], %[[SMALL]] : f32
func.func @softplus(%x: tensor<8xf32>) -> tensor<8xf32> {
  %y = qc.softplus %x : tensor<8xf32>
  return %y : tensor<8xf32>
}

// gelu: (0.5 * x) * (1 + erf(x / f32(sqrt 2))); the tanh form
// (0.5 * x) * (1 + tanh(f32(sqrt(2 / pi)) * (x + ((0.044715 * x) * x) * x))).

// CHECK-LABEL: func.func @gelu
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK:   %[[H:.*]] = arith.mulf %{{.*}}, %[[X]] : f32
// CHECK:   %[[R2:.*]] = arith.constant 1.41421354 : f32
// CHECK:   %[[D:.*]] = arith.divf %[[X]], %[[R2]] : f32
// CHECK:   %[[E:.*]] = math.erf %[[D]] : f32
// CHECK:   %[[P:.*]] = arith.addf %{{.*}}, %[[E]] : f32
// CHECK:   arith.mulf %[[H]], %[[P]] : f32
// CHECK: ^bb0(%[[T:.*]]: f32, %{{.*}}: f32):
// CHECK:   %[[HT:.*]] = arith.mulf %{{.*}}, %[[T]] : f32
// CHECK:   %[[C:.*]] = arith.constant 4.471500e-02 : f32
// CHECK:   %[[M1:.*]] = arith.mulf %[[C]], %[[T]] : f32
// CHECK:   %[[M2:.*]] = arith.mulf %[[M1]], %[[T]] : f32
// CHECK:   %[[M3:.*]] = arith.mulf %[[M2]], %[[T]] : f32
// CHECK:   %[[K:.*]] = arith.constant 0.797884583 : f32
// CHECK:   %[[S:.*]] = arith.addf %[[T]], %[[M3]] : f32
// CHECK:   %[[KS:.*]] = arith.mulf %[[K]], %[[S]] : f32
// CHECK:   %[[TH:.*]] = math.tanh %[[KS]] : f32
// CHECK:   %[[PT:.*]] = arith.addf %{{.*}}, %[[TH]] : f32
// CHECK:   arith.mulf %[[HT]], %[[PT]] : f32
func.func @gelu(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %y = qc.gelu %x : tensor<8xf32>
  %z = qc.gelu %x {approximate = #qc<gelu_approx tanh>} : tensor<8xf32>
  return %y, %z : tensor<8xf32>, tensor<8xf32>
}

// elu: x >= 0 ? x : f32(alpha) * (exp(x) - 1); sin and cos are math ops.

// CHECK-LABEL: func.func @elu_sin_cos
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK:   %[[GE:.*]] = arith.cmpf oge, %[[X]], %{{.*}} : f32
// CHECK:   %[[A:.*]] = arith.constant 3.000000e-01 : f32
// CHECK:   %[[E:.*]] = math.exp %[[X]] : f32
// CHECK:   %[[EM:.*]] = arith.subf %[[E]], %{{.*}} : f32
// CHECK:   %[[N:.*]] = arith.mulf %[[A]], %[[EM]] : f32
// CHECK:   arith.select %[[GE]], %[[X]], %[[N]] : f32
// CHECK: math.sin
// CHECK: math.cos
func.func @elu_sin_cos(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %y = qc.elu %x {alpha = 0.3 : f64} : tensor<8xf32>
  %s = qc.sin %x : tensor<8xf32>
  %c = qc.cos %x : tensor<8xf32>
  return %y, %s, %c : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// sign keeps NaN and maps -0 to +0; on integers it compares signed.

// CHECK-LABEL: func.func @sign
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK:   %[[GT:.*]] = arith.cmpf ogt, %[[X]], %{{.*}} : f32
// CHECK:   %[[LT:.*]] = arith.cmpf olt, %[[X]], %{{.*}} : f32
// CHECK:   %[[M:.*]] = arith.select %[[LT]], %{{.*}}, %{{.*}} : f32
// CHECK:   %[[S:.*]] = arith.select %[[GT]], %{{.*}}, %[[M]] : f32
// CHECK:   %[[NAN:.*]] = arith.cmpf uno, %[[X]], %[[X]] : f32
// CHECK:   arith.select %[[NAN]], %[[X]], %[[S]] : f32
// CHECK: ^bb0(%[[I:.*]]: i16, %{{.*}}: i16):
// CHECK:   arith.cmpi sgt, %[[I]], %{{.*}} : i16
// CHECK:   arith.cmpi slt, %[[I]], %{{.*}} : i16
// CHECK-NOT: cmpf
// CHECK: linalg.yield
func.func @sign(%x: tensor<8xf32>, %i: tensor<8xi16>) -> (tensor<8xf32>, tensor<8xi16>) {
  %y = qc.sign %x : tensor<8xf32>
  %z = qc.sign %i : tensor<8xi16>
  return %y, %z : tensor<8xf32>, tensor<8xi16>
}

// abs and neg of integers wrap: |MIN| = -MIN = MIN.

// CHECK-LABEL: func.func @abs_neg_int
// CHECK: ^bb0(%[[X:.*]]: i32, %{{.*}}: i32):
// CHECK:   %[[Z:.*]] = arith.constant 0 : i32
// CHECK:   %[[LT:.*]] = arith.cmpi slt, %[[X]], %[[Z]] : i32
// CHECK:   %[[N:.*]] = arith.subi %{{.*}}, %[[X]] : i32
// CHECK:   arith.select %[[LT]], %[[N]], %[[X]] : i32
// CHECK: ^bb0(%[[Y:.*]]: i32, %{{.*}}: i32):
// CHECK:   arith.subi %{{.*}}, %[[Y]] : i32
func.func @abs_neg_int(%x: tensor<8xi32>) -> (tensor<8xi32>, tensor<8xi32>) {
  %a = qc.abs %x : tensor<8xi32>
  %n = qc.neg %x : tensor<8xi32>
  return %a, %n : tensor<8xi32>, tensor<8xi32>
}
