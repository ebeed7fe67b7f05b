// RUN: rm -rf %t && mkdir -p %t/img
// RUN: %python -c "from PIL import Image; import numpy as np; Image.fromarray((np.arange(48).reshape(4, 4, 3) * 5).astype(np.uint8)).save('%t/img/a.png'); Image.fromarray(np.full((4, 4, 3), 255, np.uint8)).save('%t/img/b.bmp')"
// RUN: quant-opt %s --qc-calibrate="data=%t/img preprocess=resize=2x2;scale=255" | FileCheck %s
// RUN: quant-opt %s --qc-calibrate="data=%t/img preprocess='resize=2x2,mean=0.5,std=0.5'" | FileCheck %s --check-prefix=NORM
// RUN: not quant-opt %s --qc-calibrate="data=%t/img preprocess=resize=2x2;flip=1" 2>&1 | FileCheck %s --check-prefix=KEY
// RUN: not quant-opt %s --qc-calibrate="data=%t/img" 2>&1 | FileCheck %s --check-prefix=NOPRE

// Pixel (y, x, c) = 5 * ((4 y + x) * 3 + c); a 4x4 -> 2x2 bilinear resize
// averages 2x2 blocks: the smallest output is 5 * (0 + 3 + 12 + 15) / 4.
// The white BMP gives 255.
// CHECK: qc.observe %arg0 {max = array<f64: 2.550000e+02>, method = "minmax", min = array<f64: 3.750000e+01>, name = "x"}
// (37.5 / 255 - 0.5) / 0.5 and (1 - 0.5) / 0.5
// NORM: qc.observe %arg0 {max = array<f64: 1.000000e+00>, method = "minmax", min = array<f64: -0.705882{{[0-9]*}}>, name = "x"}
// KEY: error: qc-calibrate: invalid preprocess 'resize=2x2;flip=1': unknown key 'flip' (expected resize, mean, std, scale, layout or color)
// NOPRE: error: qc-calibrate: {{.*}}img: no .npy files (it holds images: give a preprocess option to decode them)
func.func @f(%x: tensor<1x3x2x2xf32>) -> tensor<1x3x2x2xf32> {
  %0 = qc.observe %x {name = "x"} : tensor<1x3x2x2xf32>
  return %0 : tensor<1x3x2x2xf32>
}
