#!/usr/bin/env bash
# Sets everything up, builds quantc and runs the image-model example on the model the
# repository ships: the Fashion-MNIST CNN (models/fashion_cnn.onnx) is
# quantized to W8A8 (int8 weights per channel, int8 activations calibrated on
# 256 training images) and compiled to a CPU artifact (generated x86-64 and
# AArch64 code, weights, C header); the artifact runs through the runtime on
# the 10,000 test images of Debian's dataset-fashion-mnist, beside the float
# model on the reference executor; both accuracies and a few predictions are
# printed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QC_BUILD_DIR:-$root/build}
export QC_BUILD_DIR=$build
work=${QC_QUICKSTART_DIR:-$build/quickstart-fashion}

bash "$root/scripts/setup.sh"
ninja -C "$build" quant-compile quant-run

model=$root/models/fashion_cnn.onnx
echo
echo "== Fashion-MNIST test set -> $work/input.npy, 256 training images -> $work/calib/input.npy =="
/usr/bin/python3 "$root/python/fixtures/fashion_mnist_npy.py" --out-dir "$work"
/usr/bin/python3 "$root/python/fixtures/fashion_mnist_npy.py" --out-dir "$work/calib" --split train --count 256

echo
echo "== quant-compile $model --scheme w8a8 --calib $work/calib/input.npy -o $work/model.w8a8.mlir =="
"$build/bin/quant-compile" "$model" --scheme w8a8 --calib "$work/calib/input.npy" \
  --input-shape input=10000x1x28x28 --report "$work/report.html" -o "$work/model.w8a8.mlir"
grep -E "qc\.(conv2d|linear|pool2d)" "$work/model.w8a8.mlir" | cut -c1-150
echo "(per-layer report: $work/report.html)"

echo
echo "== quant-compile $work/model.w8a8.mlir --target host,aarch64 -o $work/fashion.qc =="
"$build/bin/quant-compile" "$work/model.w8a8.mlir" --target host,aarch64 -o "$work/fashion.qc"
find "$work/fashion.qc" -type f | sort | sed "s|$work/||"

echo
echo "== quant-run $model (float, reference executor) and $work/fashion.qc (generated code) on 10,000 images =="
"$build/bin/quant-run" "$model" --input "input=$work/input.npy" --output-dir "$work/float" --time
"$build/bin/quant-run" "$work/fashion.qc" --input "input=$work/input.npy" --output-dir "$work/w8a8" --time
echo
echo -n "float: "
/usr/bin/python3 "$root/python/fixtures/accuracy.py" --labels "$work/labels.npy" \
  "$work/float/logits.npy" --expect-json "$root/models/fashion_cnn.json" | head -1
echo -n "w8a8:  "
/usr/bin/python3 "$root/python/fixtures/accuracy.py" --labels "$work/labels.npy" \
  "$work/w8a8/logits.npy" --reference "$work/float/logits.npy"
/usr/bin/python3 - "$work" "$root/models/fashion_cnn.json" <<'PY'
import json, sys
import numpy as np
work, card = sys.argv[1], json.load(open(sys.argv[2]))
logits = np.load(f"{work}/w8a8/logits.npy")
labels = np.load(f"{work}/labels.npy")
names = card["classes"]
for i in range(5):
    p = int(logits[i].argmax())
    print(f"image {i}: predicted {names[p]!r:15} (true {names[int(labels[i])]!r})")
PY
