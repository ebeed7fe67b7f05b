#!/bin/bash
# Compiles a 1.1B-parameter Llama (TinyLlama's shapes, f16 safetensors) to
# an artifact with 4-bit block weights and prints the wall time and the
# peak anonymous memory (RssAnon: heap and private pages, not the mapped
# model) of quant-compile.
#
#   bench/llm/scale.sh [BUILD_DIR] [MODEL_DIR] [FORMAT]
#
# Defaults: build, /tmp/synth11b (made with make_synthetic_llama.py when
# missing: 2.2 GB of f16), Q4_0. The target is 120 s and 1.5 GB on 2 cores.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
model=${2:-/tmp/synth11b}
format=${3:-Q4_0}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if [ ! -f "$model/model.safetensors" ]; then
  echo "making $model (TinyLlama's shapes, random f16 weights)" >&2
  /usr/bin/python3 "$here/make_synthetic_llama.py" "$model"
fi
/usr/bin/python3 "$here/peak_rss.py" "$build/bin/quant-compile" "$model" \
  --weight-format "$format" --target host --quiet -o "$out/x.qc" 2> "$out/log" || {
  cat "$out/log" >&2
  exit 1
}
stats=$(grep -E '^wall ' "$out/log" | tail -1)
weights=$(stat -c %s "$out/x.qc/weights.bin")
echo "quant-compile $(basename "$model") --weight-format $format --target host"
echo "  $stats"
echo "  weights.bin $((weights / 1000000)) MB"
