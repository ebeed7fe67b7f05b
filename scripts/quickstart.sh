#!/usr/bin/env bash
# Sets everything up, builds quantc and runs its main job on the model the
# repository ships: the Fashion-MNIST CNN (models/fashion_cnn.onnx) is
# imported into the qc dialect and run by the reference executor on the
# 10,000 test images of Debian's dataset-fashion-mnist; the accuracy and a
# few predictions are printed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QC_BUILD_DIR:-$root/build}
export QC_BUILD_DIR=$build
work=${QC_QUICKSTART_DIR:-$build/quickstart}

bash "$root/scripts/setup.sh"
ninja -C "$build" quant-compile quant-run

model=$root/models/fashion_cnn.onnx
echo
echo "== quant-compile $model --compile-to=input (first lines) =="
"$build/bin/quant-compile" "$model" --compile-to=input --input-shape input=1x1x28x28 \
  | grep -E "func.func|qc\.(conv2d|linear|pool2d)" | cut -c1-160

echo
echo "== Fashion-MNIST test set -> $work/input.npy =="
/usr/bin/python3 "$root/python/fixtures/fashion_mnist_npy.py" --out-dir "$work"

echo
echo "== quant-run $model --input input=$work/input.npy --output-dir $work/out =="
"$build/bin/quant-run" "$model" --input "input=$work/input.npy" --output-dir "$work/out" --time

echo
/usr/bin/python3 "$root/python/fixtures/accuracy.py" --labels "$work/labels.npy" \
  "$work/out/logits.npy" --expect-json "$root/models/fashion_cnn.json"
/usr/bin/python3 - "$work" "$root/models/fashion_cnn.json" <<'PY'
import json, sys
import numpy as np
work, card = sys.argv[1], json.load(open(sys.argv[2]))
logits = np.load(f"{work}/out/logits.npy")
labels = np.load(f"{work}/labels.npy")
names = card["classes"]
for i in range(5):
    p = int(logits[i].argmax())
    print(f"image {i}: predicted {names[p]!r:15} (true {names[int(labels[i])]!r})")
PY
