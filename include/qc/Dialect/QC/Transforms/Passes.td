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

def InsertObservers : Pass<"qc-insert-observers", "::mlir::func::FuncOp"> {
  let summary = "Places qc.observe ops by a quantization recipe";
  let description = [{
    Decides, op by op, what gets quantized and how, and records the decision
    as `qc.observe` targets that `qc-calibrate` fills and `qc-fake-quant`
    turns into quantized types. The contraction ops (`qc.conv2d`,
    `qc.linear`, `qc.matmul` with a constant right-hand side) are quantized;
    everything else (softmax, norms, elementwise ops) stays float and only
    carries quantized values through when the data-movement ops in between
    allow it (reshape, transpose, max pooling, slice, ReLU).

    For each quantized op, by its scheme (`scheme`, see
    docs/Quantization.md; `w8a8`, `w8a8-dynamic`, `w4a8-dynamic`, `w8a16`, `w4a16`, `w4a8`,
    `w3a16`, `w2a16` with `-pt`/`-pc`/`-g<N>` and `-sym`/`-asym`):

    - the weight gets an observer with its storage type, symmetry, and
      granularity (per tensor, per output channel, or groups along the
      reduction dimension; a group size that does not divide the reduction
      dimension falls back to per channel, and one remark lists these ops);
    - with static activations (`a8`), the input gets an observer unless it
      already flows, through data movement only, from an observed value, and
      the output gets one after the op or, when the op's only user is a
      `qc.relu`/`qc.clip`, after that activation (which then runs on the
      integer grid), but only when the value reaches, through data movement,
      the input of another contraction with static activations; a value that
      only float ops read (a residual add, an activation function, the
      model's output) is not observed and stays float, the integer op
      scaling its i32 accumulator straight to f32;
    - with dynamic activations, the input gets a `dynamic` observer.

    Policy: `keep-float` regexes (matched, with search semantics, against
    the op's name, i.e. its ONNX node name, and its weight's name) keep an op
    float; `layer-scheme` entries `REGEX=SCHEME` give matching ops another
    scheme (the first matching entry wins). With `protect-first-last` (the
    default), the first and the last quantized op keep 8-bit weights when
    the scheme has fewer bits.

    Before:
    ```mlir
    %w1 = qc.constant dense<...> : tensor<16x64xf32>
    %h = qc.linear %x, %w1 : (tensor<4x64xf32>, tensor<16x64xf32>) -> tensor<4x16xf32>
    %r = qc.relu %h : tensor<4x16xf32>
    %w2 = qc.constant dense<...> : tensor<10x16xf32>
    %y = qc.linear %r, %w2 : (tensor<4x16xf32>, tensor<10x16xf32>) -> tensor<4x10xf32>
    ```
    After (`scheme=w8a8`):
    ```mlir
    %0 = qc.observe %x {name = "x", storage = i8} : tensor<4x64xf32>
    %1 = qc.observe %w1 {axis = 0 : i64, name = "fc1.weight", narrow_range, storage = i8, symmetric} : tensor<16x64xf32>
    %h = qc.linear %0, %1 : (tensor<4x64xf32>, tensor<16x64xf32>) -> tensor<4x16xf32>
    %r = qc.relu %h : tensor<4x16xf32>
    %2 = qc.observe %r {name = "relu", storage = i8} : tensor<4x16xf32>
    %3 = qc.observe %w2 {axis = 0 : i64, name = "fc2.weight", narrow_range, storage = i8, symmetric} : tensor<10x16xf32>
    %y = qc.linear %2, %3 : (tensor<4x16xf32>, tensor<10x16xf32>) -> tensor<4x10xf32>
    ```
    (`%r` feeds fc2's int8 input; `%y`, the model's output, stays float.)
  }];
  let options = [
    Option<"scheme", "scheme", "std::string", "\"w8a8\"",
           "Default quantization scheme">,
    ListOption<"keepFloat", "keep-float", "std::string",
               "Regexes of op/weight names that stay float">,
    ListOption<"layerScheme", "layer-scheme", "std::string",
               "REGEX=SCHEME overrides, first match wins">,
    Option<"protectFirstLast", "protect-first-last", "bool", "true",
           "Keep 8-bit weights on the first and last quantized op">
  ];
}

def FakeQuant : Pass<"qc-fake-quant"> {
  let summary = "Turns calibrated qc.observe ops into qc.fake_quant";
  let description = [{
    Each calibrated observer becomes a `qc.fake_quant` whose `quant_type`
    is chosen from its range and target (docs/Numerics.md: the range is
    widened to contain 0; symmetric targets use zero point 0). The result is
    a float model that rounds exactly like the quantized model will: the
    model to evaluate, to fine-tune (`--qat-steps`), or to fold.
    Observers without a target (`storage`) are removed, `dynamic` observers
    are kept for `qc-fold-fake-quant`; an observer that has a target but no
    range is an error.

    Before:
    ```mlir
    %0 = qc.observe %x {name = "x", storage = i8, min = array<f64: -1.0>, max = array<f64: 3.0>} : tensor<4xf32>
    ```
    After:
    ```mlir
    %0 = qc.fake_quant %x {quant_type = !quant.uniform<i8:f32, 0.015686274509803921:-64>} : tensor<4xf32>
    ```
  }];
  let dependentDialects = ["::mlir::quant::QuantDialect"];
}

def FoldFakeQuant : Pass<"qc-fold-fake-quant"> {
  let summary = "Rewrites fake-quant patterns into quantized compute";
  let description = [{
    Turns the quantize-dequantize patterns of a fake-quantized model (from
    `qc-fake-quant` or an imported QDQ model) into ops on `!quant.uniform`
    types that the executor and the code generators run in integers:

    - a fake-quantized constant becomes a quantized `qc.constant` holding the
      storage integers;
    - data movement (reshape, transpose, max pooling, slice) and ReLU/clip
      on a dequantized per-tensor value run on the stored integers;
    - a contraction whose input and weight are quantized becomes the integer
      form: `i32` accumulation with the bias quantized to `i32` at scale
      `s_x * s_w`, requantized with a fixed-point multiplier into the
      quantized type of its output (or to float when its output is not
      quantized); a ReLU whose result type starts at zero is absorbed by the
      requantization's clamp;
    - a contraction with a quantized weight and a float input becomes the
      weight-only form, or the dynamic form (`dynamic_act`) when its input
      has a `dynamic` observer;
    - `quant.qcast(quant.dcast(x))` of one type is `x`.

    Before:
    ```mlir
    %x0 = qc.fake_quant %x {quant_type = !quant.uniform<i8:f32, 0.02:-5>} : tensor<4x64xf32>
    %w0 = qc.fake_quant %w {quant_type = !quant.uniform<i8<-127:127>:f32:0, {...}>} : tensor<10x64xf32>
    %y = qc.linear %x0, %w0, %b : (tensor<4x64xf32>, tensor<10x64xf32>, tensor<10xf32>) -> tensor<4x10xf32>
    %y0 = qc.fake_quant %y {quant_type = !quant.uniform<i8:f32, 0.1:3>} : tensor<4x10xf32>
    ```
    After:
    ```mlir
    %xq = quant.qcast %x : tensor<4x64xf32> to tensor<4x64x!quant.uniform<i8:f32, 0.02:-5>>
    %wq = qc.constant dense<...> : tensor<10x64xi8> -> tensor<10x64x!quant.uniform<i8<-127:127>:f32:0, {...}>>
    %bq = qc.constant dense<...> : tensor<10xi32> -> tensor<10x!quant.uniform<i32:f32:0, {...}>>
    %yq = qc.linear %xq, %wq, %bq : (...) -> tensor<4x10x!quant.uniform<i8:f32, 0.1:3>>
    %y0 = quant.dcast %yq : tensor<4x10x!quant.uniform<i8:f32, 0.1:3>> to tensor<4x10xf32>
    ```
  }];
  let options = [
    Option<"resourceThreshold", "resource-threshold", "int64_t", "64",
           "Quantized constants with at least this many elements become dense_resource blobs">
  ];
  let dependentDialects = ["::mlir::quant::QuantDialect"];
}

#endif // QC_DIALECT_QC_TRANSFORMS_PASSES_TD
