//===- Passes.td - qc dialect passes ---------------------------*- tablegen -*-===//
//
// Part of quantc. One pass = one .cpp = one test file of the same name.
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_QC_TRANSFORMS_PASSES_TD
#define QC_DIALECT_QC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def StripObservers : Pass<"qc-strip-observers"> {
  let summary = "Removes qc.observe ops, forwarding their operands";
  let description = [{
    Observers only matter while calibrating. Once their ranges have been
    turned into `qc.fake_quant` (or when a float model is wanted back) they are
    dropped. With `only-uncalibrated`, observers that hold a range are kept.

    Before:
    ```mlir
    %0 = qc.observe %x {name = "a"} : tensor<4xf32>
    %1 = qc.relu %0 : tensor<4xf32>
    ```
    After:
    ```mlir
    %1 = qc.relu %x : tensor<4xf32>
    ```
  }];
  let options = [
    Option<"onlyUncalibrated", "only-uncalibrated", "bool", "false",
           "Remove only observers that carry no calibrated range">
  ];
}

def ExpandFakeQuant : Pass<"qc-expand-fake-quant"> {
  let summary = "Rewrites qc.fake_quant as quant.qcast followed by quant.dcast";
  let description = [{
    Makes the quantized type visible in the IR so that later rewrites can
    fold the `quant.dcast` into a consumer's quantized operand. Upstream's
    canonicalizer folds `quant.dcast(quant.qcast(x))` back to `x`, dropping
    the rounding: do not run `-canonicalize` between this pass and the
    rewrite that consumes the casts.

    Before:
    ```mlir
    %y = qc.fake_quant %x {quant_type = !quant.uniform<i8:f32, 0.5:3>} : tensor<4xf32>
    ```
    After:
    ```mlir
    %q = quant.qcast %x : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 5.000000e-01:3>>
    %y = quant.dcast %q : tensor<4x!quant.uniform<i8:f32, 5.000000e-01:3>> to tensor<4xf32>
    ```
  }];
  let dependentDialects = ["::mlir::quant::QuantDialect"];
}

def DecomposeActivations : Pass<"qc-decompose-activations"> {
  let summary = "Expands composite activations into simpler qc ops";
  let description = [{
    For targets without a fused kernel, rewrites:

    - `qc.silu x` as `x * sigmoid(x)`;
    - `qc.hardswish x` as `x * hardsigmoid(x)` with `alpha = 1/6, beta = 1/2`;
    - `qc.gelu x` (exact) as `0.5 * x * (1 + erf(x * 1/sqrt(2)))`; the `tanh`
      approximation as `0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))`.

    Constants are rank-0 `qc.constant` splats that broadcast. `ops` limits
    the rewrite to the named activations.

    Before:
    ```mlir
    %y = qc.silu %x : tensor<8xf32>
    ```
    After:
    ```mlir
    %s = qc.sigmoid %x : tensor<8xf32>
    %y = qc.mul %x, %s : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
    ```
  }];
  let options = [
    ListOption<"ops", "ops", "std::string",
               "Activations to expand (silu, hardswish, gelu); all when empty">
  ];
}

#endif // QC_DIALECT_QC_TRANSFORMS_PASSES_TD
