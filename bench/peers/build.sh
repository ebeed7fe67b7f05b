#!/usr/bin/env bash
# Builds ort_bench (ort_bench.c) with clang-22.
#
#   bench/peers/build.sh [OUT]      (default OUT: build/bench/peers/ort_bench)
#
# CC overrides the compiler. ort_bench links nothing of ONNX Runtime: it opens
# libonnxruntime.so at run time (--lib PATH or $QC_ORT_LIB).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:-$here/../../build/bench/peers/ort_bench}
cc=${CC:-clang-22}
mkdir -p "$(dirname "$out")"
"$cc" -std=c11 -O2 -Wall -Wextra -Werror -o "$out" "$here/ort_bench.c" -ldl
echo "$out"
