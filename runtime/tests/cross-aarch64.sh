#!/usr/bin/env bash
# Cross-builds the runtime for AArch64 Linux (standalone CMake configure with
# the aarch64-linux-gnu toolchain), links consumer/consumer.c statically
# against the installed result with the C compiler, and runs it under qemu:
#   - default CPU (max): qcrt_cpu_isa() reports DOTPROD|I8MM, "i8mm" runs;
#   - isa mask 0 on the same CPU: "base" runs;
#   - neoverse-n1 (dot product, no i8mm): "dotprod";
#   - cortex-a72 (neither): qcrt_cpu_isa() is 0, "base".
# With GoogleTest's sources (Debian's libgtest-dev puts them in
# /usr/src/googletest; GTEST_SOURCE_DIR overrides), the whole GoogleTest
# suite is cross-built too and runs on both the max and cortex-a72 CPUs.
#
#   cross-aarch64.sh <work dir>
#
# CMAKE, AARCH64_CC, AARCH64_CXX and QEMU_AARCH64 choose the tools. Exits
# non-zero on any failure.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
runtime=$(dirname "$here")
work=${1:?usage: cross-aarch64.sh <work dir>}
cmake=${CMAKE:-cmake}
cc=${AARCH64_CC:-aarch64-linux-gnu-gcc}
cxx=${AARCH64_CXX:-aarch64-linux-gnu-g++}
qemu=${QEMU_AARCH64:-qemu-aarch64}
generator=()
if command -v ninja > /dev/null; then
  generator=(-G Ninja)
fi

fail() {
  echo "cross-aarch64: FAILED: $*" >&2
  exit 1
}

rm -rf "$work"
mkdir -p "$work"

"$cmake" "${generator[@]}" -S "$runtime" -B "$work/build" \
  -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=aarch64 \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_BUILD_TYPE=Release > "$work/configure.log" ||
  { cat "$work/configure.log"; fail "configure"; }
"$cmake" --build "$work/build" -j 2 > "$work/build.log" ||
  { cat "$work/build.log"; fail "build"; }
"$cmake" --install "$work/build" --prefix "$work/prefix" > /dev/null

pc=$(find "$work/prefix" -name quantc_runtime.pc)
[[ -n "$pc" ]] || fail "no quantc_runtime.pc installed"
flags=$(PKG_CONFIG_LIBDIR=$(dirname "$pc") pkg-config --cflags --libs quantc_runtime)
# shellcheck disable=SC2086
"$cc" -static -O2 -o "$work/consumer" "$here/consumer/consumer.c" $flags ||
  fail "static link of the consumer"
# e_machine (ELF offset 18, little-endian) is 0xb7 for AArch64.
[[ $(od -An -tx1 -j18 -N2 "$work/consumer" | tr -d ' \n') == b700 ]] ||
  fail "the consumer is not an AArch64 program"

sha=$(bash "$here/make-test-artifact.sh" "$work/model.qc")

# expect <qemu cpu or ""> <expected isa> <expected variant> [isa mask]
expect() {
  local cpu=$1 isa=$2 variant=$3 mask=${4:-}
  local args=()
  [[ -n "$cpu" ]] && args=(-cpu "$cpu")
  local out
  out=$("$qemu" "${args[@]}" "$work/consumer" "$work/model.qc" "$sha" "$variant" $mask) ||
    fail "run on ${cpu:-the default CPU}: $out"
  echo "${cpu:-default (max)}${mask:+ isa_mask $mask}: $out"
  [[ "$out" == "isa=$isa variant=$variant "* ]] ||
    fail "on ${cpu:-the default CPU} expected isa=$isa variant=$variant, got: $out"
}

expect "" 3 i8mm
expect "" 3 base 0
expect "" 3 dotprod 0x1
expect neoverse-n1 1 dotprod
expect cortex-a72 0 base
gtest=${GTEST_SOURCE_DIR:-/usr/src/googletest/googletest}
if [[ -f "$gtest/src/gtest-all.cc" ]]; then
  version=$(PKG_CONFIG_LIBDIR=$(dirname "$pc") pkg-config --modversion quantc_runtime)
  "$cxx" -std=c++17 -O1 -static -DQCRT_EXPECTED_VERSION="\"$version\"" \
    -I"$runtime/include" -I"$runtime/src" -I"$gtest/include" -I"$gtest" \
    "$runtime"/src/*.cpp "$here"/JsonTest.cpp "$here"/RuntimeTest.cpp \
    "$here"/Sha256Test.cpp "$here"/ThreadPoolTest.cpp \
    "$gtest/src/gtest-all.cc" "$gtest/src/gtest_main.cc" -lpthread \
    -o "$work/QuantcRuntimeTests" > "$work/gtest-build.log" 2>&1 ||
    { cat "$work/gtest-build.log"; fail "cross build of the GoogleTest suite"; }
  for cpu in max cortex-a72; do
    "$qemu" -cpu "$cpu" "$work/QuantcRuntimeTests" > "$work/gtest-$cpu.log" 2>&1 ||
      { cat "$work/gtest-$cpu.log"; fail "GoogleTest suite on $cpu"; }
    echo "GoogleTest suite on $cpu: $(tail -1 "$work/gtest-$cpu.log")"
  done
else
  echo "no GoogleTest sources in $gtest: the suite is not cross-built"
fi
echo "cross-aarch64: OK"
