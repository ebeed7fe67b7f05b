#!/usr/bin/env bash
# Builds the runtime and examples/embed against an artifact, for the host or
# cross-compiled for AArch64 Linux (static, to run under qemu-aarch64):
#
#   build.sh <model.qc> <work dir> [host|aarch64] [embed|generate]
#
# Prints the path of the built program (embed.c's by default, or
# generate.c's). The runtime is configured
# standalone from runtime/ and installed into <work dir>/prefix; the example
# finds it with find_package(quantc_runtime), as an application would.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
artifact=$(cd "${1:?usage: build.sh <model.qc> <work dir> [host|aarch64]}" && pwd)
work=${2:?usage: build.sh <model.qc> <work dir> [host|aarch64]}
arch=${3:-host}
app=${4:-embed}
if [[ $app != embed && $app != generate ]]; then
  echo "build.sh: unknown program '$app' (embed or generate)" >&2
  exit 2
fi
mkdir -p "$work"
work=$(cd "$work" && pwd)

toolchain=()
if [[ $arch == aarch64 ]]; then
  toolchain=(-DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=aarch64
             -DCMAKE_C_COMPILER=aarch64-linux-gnu-gcc
             -DCMAKE_CXX_COMPILER=aarch64-linux-gnu-g++
             -DCMAKE_EXE_LINKER_FLAGS=-static)
elif [[ $arch != host ]]; then
  echo "build.sh: unknown architecture '$arch' (host or aarch64)" >&2
  exit 2
fi
generator=()
if command -v ninja > /dev/null; then generator=(-G Ninja); fi

log=$work/build.log
: > "$log"
{
  cmake "${generator[@]}" -S "$root/runtime" -B "$work/runtime" \
    -DCMAKE_BUILD_TYPE=Release "${toolchain[@]}"
  cmake --build "$work/runtime" -j 2
  cmake --install "$work/runtime" --prefix "$work/prefix"
  cmake "${generator[@]}" -S "$here" -B "$work/embed" -DCMAKE_BUILD_TYPE=Release \
    -DQC_ARTIFACT="$artifact" \
    -Dquantc_runtime_DIR="$(dirname "$(find "$work/prefix" -name quantc_runtimeConfig.cmake)")" \
    "${toolchain[@]}"
  cmake --build "$work/embed" -j 2
} >> "$log" 2>&1 || { cat "$log" >&2; echo "build.sh: build failed" >&2; exit 1; }
echo "$work/embed/$app"
