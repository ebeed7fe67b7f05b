#!/bin/bash
# Learned (--qat-steps) vs round-to-nearest 4-bit weights on the Fashion-MNIST
# CNN: accuracy on the 10,000 test images, calibration on the first 256
# training images, and per-layer reconstruction errors.
#
#   bash bench/qat-vs-ptq.sh [BUILD_DIR] [extra qat-vs-ptq flags...]
#   bash bench/qat-vs-ptq.sh build --steps 2000
#   bash bench/qat-vs-ptq.sh build --bits 3
#   bash bench/qat-vs-ptq.sh build --per-tensor
#
# Needs Debian's dataset-fashion-mnist and numpy (/usr/bin/python3).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build}"
shift || true
python=/usr/bin/python3
data="${QC_BENCH_DATA:-${TMPDIR:-/tmp}/qc-qat-vs-ptq}"
if [ ! -f "$data/test/input.npy" ] || [ ! -f "$data/calib/input.npy" ]; then
  $python "$here/python/fixtures/fashion_mnist_npy.py" --out-dir "$data/test" >/dev/null
  $python "$here/python/fixtures/fashion_mnist_npy.py" --out-dir "$data/calib" \
    --split train --count 256 >/dev/null
fi
ninja -j2 -C "$build" qat-vs-ptq >/dev/null
exec "$build/bin/qat-vs-ptq" --model "$here/models/fashion_cnn.onnx" \
  --test-input "$data/test/input.npy" --test-labels "$data/test/labels.npy" \
  --calib-input "$data/calib/input.npy" "$@"
