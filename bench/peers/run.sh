#!/usr/bin/env bash
# Times the bench models (make_models.py) in ONNX Runtime, one ort_bench line
# per model and thread count.
#
#   bench/peers/run.sh [--threads "1 2"] [--warmup 5] [--repeat 50]
#                      [--work DIR] [-- MAKE_MODELS_OPTIONS...]
#
# MAKE_MODELS_OPTIONS go to make_models.py (default: K=N=4096, M=1 and 128,
# every kind). --work (default build/bench/peers/run) holds ort_bench and the
# models. libonnxruntime.so: $QC_ORT_LIB, else the onnxruntime-node 1.30.0 that
# scripts/fixtures/fetch-npm-models.sh caches under ${QC_CACHE:-~/.cache/quantc}.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
threads="1 2"
warmup=5
repeat=50
work=$here/../../build/bench/peers/run
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

if [ -z "${QC_ORT_LIB:-}" ]; then
  x64=${QC_CACHE:-$HOME/.cache/quantc}/npm/onnxruntime-node-1.30.0/node_modules/onnxruntime-node/bin/napi-v6/linux/x64
  export QC_ORT_LIB=$x64/libonnxruntime.so.1
fi
if [ ! -e "$QC_ORT_LIB" ]; then
  echo "run.sh: no $QC_ORT_LIB: run scripts/fixtures/fetch-npm-models.sh or set QC_ORT_LIB" >&2
  exit 1
fi

mkdir -p "$work/models"
bench=$(bash "$here/build.sh" "$work/ort_bench")
# Equal options give byte-identical models, so rewriting them is harmless.
mapfile -t models < <(/usr/bin/python3 "$here/make_models.py" --out "$work/models" "$@")
for model in "${models[@]}"; do
  for t in $threads; do
    "$bench" "$model" --random --threads "$t" --warmup "$warmup" --repeat "$repeat"
  done
done
