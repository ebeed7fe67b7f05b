//===- Passes.td - quantization passes -------------------------*- tablegen -*-===//
//
// Part of quantc. One pass = one .cpp = one test file of the same name.
//
//===----------------------------------------------------------------------===//

#ifndef QC_QUANT_PASSES_TD
#define QC_QUANT_PASSES_TD

include "mlir/Pass/PassBase.td"

def Calibrate : Pass<"qc-calibrate", "::mlir::ModuleOp"> {
  let summary = "Fills qc.observe ranges by running calibration data";
  let description = [{
    Runs every `func.func` of the module on calibration data with the
    reference executor and writes the range each non-dynamic `qc.observe`
    found into its `min`, `max` and `method` attributes (one entry per tensor,
    per slice or per block, laid out as the op describes). Functions need
    static argument types; the data is matched to the arguments by their
    `qc.name` attributes (else `input0`, `input1`, ...).

    - Weight observers (whose operand is a `qc.constant`) are computed from
      the constant, with `weight-method` (`minmax` or `mse`); they need no
      data, so a function with only weight observers may be calibrated
      without `data`.
    - Activation observers use `method`: `minmax`, `ema-minmax`,
      `percentile`, `mse` or `entropy` (the histogram methods keep `bins`
      bins per observer; per-slice activation observers use per-slice
      `minmax` instead).

    `data` is a list of sources: a directory of `.npy` files (one sample per
    file, sorted by name), one `.npy` file whose leading dimension holds the
    samples, or `NAME=DIR|FILE` per input of a multi-input function. With
    `preprocess` (e.g. `resize=224x224;mean=0.485:0.456:0.406;std=0.229:0.224:0.225`,
    `;` or `,` separated) directories hold images. See docs/Quantization.md.

    Before (`--qc-calibrate="data=samples/ method=minmax"`):
    ```mlir
    func.func @f(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
      %0 = qc.observe %x {name = "x"} : tensor<1x4xf32>
      %1 = qc.relu %0 : tensor<1x4xf32>
      return %1 : tensor<1x4xf32>
    }
    ```
    After:
    ```mlir
    func.func @f(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
      %0 = qc.observe %x {max = array<f64: 3.5>, method = "minmax",
                          min = array<f64: -1.25>, name = "x"} : tensor<1x4xf32>
      %1 = qc.relu %0 : tensor<1x4xf32>
      return %1 : tensor<1x4xf32>
    }
    ```
  }];
  let options = [
    ListOption<"data", "data", "std::string",
               "Calibration data: DIR, FILE.npy or NAME=DIR|FILE per input">,
    Option<"preprocess", "preprocess", "std::string", "\"\"",
           "Image preprocessing (resize=WxH;mean=a:b:c;std=a:b:c;scale=S;"
           "layout=nchw|nhwc;color=rgb|bgr|gray); directories hold images "
           "when set">,
    Option<"method", "method", "std::string", "\"minmax\"",
           "Activation range: minmax, ema-minmax, percentile, mse or entropy">,
    Option<"weightMethod", "weight-method", "std::string", "\"minmax\"",
           "Weight range: minmax or mse">,
    Option<"percentile", "percentile", "double", "99.99",
           "percentile: the percentage of |x| kept inside the range">,
    Option<"bins", "bins", "unsigned", "2048",
           "Histogram bins for percentile, mse and entropy">,
    Option<"emaConstant", "ema-constant", "double", "0.01",
           "ema-minmax: weight of the newest sample">,
    Option<"maxSamples", "max-samples", "unsigned", "0",
           "Use at most this many samples (0 = all)">,
    Option<"numThreads", "num-threads", "unsigned", "0",
           "Executor threads (0 = one per hardware thread)">
  ];
}

#endif // QC_QUANT_PASSES_TD
