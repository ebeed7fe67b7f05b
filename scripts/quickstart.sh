#!/usr/bin/env bash
# Sets everything up, builds quant-opt and runs it on the bundled example:
# a calibrated, fake-quantized MLP lowered by qc passes.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QC_BUILD_DIR:-$root/build}
export QC_BUILD_DIR=$build

bash "$root/scripts/setup.sh"
ninja -C "$build" quant-opt

echo "== quant-opt --qc-decompose-activations --qc-lower-fake-quant examples/fake_quant_mlp.mlir =="
"$build/bin/quant-opt" "$root/examples/fake_quant_mlp.mlir" \
  --qc-decompose-activations --qc-lower-fake-quant
