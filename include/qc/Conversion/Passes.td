//===- Passes.td - conversions out of qc -----------------------*- tablegen -*-===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#ifndef QC_CONVERSION_PASSES_TD
#define QC_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertQCToLinalg : Pass<"convert-qc-to-linalg", "ModuleOp"> {
  let summary = "Lowers qc ops on (quantized) tensors to linalg, tensor and arith";
  let description = [{
    Rewrites every function of a compiled model (float, or quantized by
    `qc-lower-fake-quant`/`qc-fold-fake-quant`) into upstream dialects on
    tensors. Quantized element types become their storage integers
    (`!quant.uniform<i8:f32, ...>` -> `i8`); the scales and zero points move
    into the arithmetic:

    - `quant.qcast` / `quant.dcast` become elementwise `linalg.generic`s that
      compute `numerics::quantize` (f32 division, round half to even, clamp,
      NaN to the zero point) and `numerics::dequantize`;
    - the integer forms of `qc.conv2d` and `qc.linear` accumulate
      `(x_q - z_x) * (w_q - z_w[c])` in `i32` on top of the `i32` bias and
      requantize with the per-channel fixed-point multiplier and shift as
      branch-free `i64` arithmetic (`x * M + add >> rshift`, then a rounding
      shift), bit-exact with `numerics::requantize`; a float result is
      `f32(acc) * f32(f64(s_x) * f64(s_w[c]))`;
    - weight-only forms dequantize the weight inside the contraction;
    - data movement on quantized tensors (max pooling, clip/ReLU on the
      integer grid, reshape, transpose, concat, nearest resize) runs on the
      stored integers, and arithmetic on quantized tensors dequantizes,
      computes in f32 and quantizes.

    Padding of an integer convolution uses the input's zero point, so padded
    positions contribute `x_c = 0`. An op without a lowering is an error that
    names it.
  }];
  let dependentDialects = [
    "arith::ArithDialect", "linalg::LinalgDialect", "math::MathDialect",
    "tensor::TensorDialect"
  ];
}

#endif // QC_CONVERSION_PASSES_TD
