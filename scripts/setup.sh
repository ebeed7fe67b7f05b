#!/usr/bin/env bash
# Installs what quantc needs on Debian 12 (as root, or with sudo) and
# configures the build directory. Idempotent: packages already present are
# not reinstalled, and apt's index is only refreshed when something is missing.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QC_BUILD_DIR:-$root/build}

packages=(
  # compiler toolchain and the LLVM/MLIR 22 development files
  clang-22 lld-22 llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  cmake ninja-build ccache
  # ONNX import and the reference executor
  libonnx-dev libprotobuf-dev protobuf-compiler libeigen3-dev
  # calibration: image decoding (stb_image) for image calibration sets
  libstb-dev
  # generated AArch64 code: cross toolchain for the embedding example and
  # the runtime, qemu-aarch64 to run them; pkg-config for the runtime's
  # install test
  g++-aarch64-linux-gnu qemu-user pkg-config
  # tests: GoogleTest, ONNX's backend node tests, fixture scripts and data
  libgtest-dev libgmock-dev python3 python3-numpy python3-onnx python3-pil python3-torch
  libonnx-testdata dataset-fashion-mnist python3-skimage opencv-doc
  # language models: SentencePiece tokenizers, the King James Bible as
  # calibration and evaluation text
  python3-sentencepiece bible-kjv
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Node.js runs ONNX Runtime (the peer in tests); any installed node will do.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present"
fi

if [[ ! -f $build/build.ninja ]]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit
fi
