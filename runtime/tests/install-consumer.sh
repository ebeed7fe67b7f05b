#!/usr/bin/env bash
# Installs the runtime into temporary prefixes and builds a C application
# against each, through find_package(quantc_runtime) and through pkg-config,
# then runs it on a test artifact.
#
#   install-consumer.sh <work dir> [<quantc build dir>]
#
# The runtime is always configured and built standalone (cmake -S runtime)
# and installed; with a quantc build directory, its quantc_runtime component
# is installed too (build the quantc_runtime target there first). CMAKE, CC
# and CXX choose the tools. Exits non-zero on any failure.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
runtime=$(dirname "$here")
work=${1:?usage: install-consumer.sh <work dir> [<quantc build dir>]}
project_build=${2:-}
cmake=${CMAKE:-cmake}
cc=${CC:-cc}
cxx=${CXX:-c++}
generator=()
if command -v ninja > /dev/null; then
  generator=(-G Ninja)
fi

fail() {
  echo "install-consumer: FAILED: $*" >&2
  exit 1
}

rm -rf "$work"
mkdir -p "$work"

echo "== standalone configure, build and install of $runtime"
"$cmake" "${generator[@]}" -S "$runtime" -B "$work/build" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_INSTALL_PREFIX="$work/not-used" \
  > "$work/configure.log" || { cat "$work/configure.log"; fail "configure"; }
"$cmake" --build "$work/build" -j 2 > "$work/build.log" ||
  { cat "$work/build.log"; fail "build"; }
"$cmake" --install "$work/build" --prefix "$work/prefix-standalone" > /dev/null
prefixes=("$work/prefix-standalone")

if [[ -n "$project_build" ]]; then
  echo "== quantc_runtime component of $project_build"
  [[ -f "$project_build/runtime/libquantc_runtime.a" ]] ||
    fail "$project_build/runtime/libquantc_runtime.a is missing: build the quantc_runtime target first"
  "$cmake" --install "$project_build" --component quantc_runtime \
    --prefix "$work/prefix-project" > /dev/null
  prefixes+=("$work/prefix-project")
fi

sha=$(bash "$here/make-test-artifact.sh" "$work/model.qc")

n=0
for prefix in "${prefixes[@]}"; do
  n=$((n + 1))
  echo "== consumers of $prefix"
  [[ -f "$prefix/include/quantc/runtime.h" ]] || fail "no include/quantc/runtime.h in $prefix"
  lib=$(find "$prefix" -name libquantc_runtime.a)
  [[ -n "$lib" ]] || fail "no libquantc_runtime.a in $prefix"
  [[ -n "$(find "$prefix" -name quantc_runtimeConfig.cmake)" ]] || fail "no CMake package in $prefix"
  pc=$(find "$prefix" -name quantc_runtime.pc)
  [[ -n "$pc" ]] || fail "no quantc_runtime.pc in $prefix"
  # Nothing the C++ support library provides may be needed: C programs link
  # the archive with a C compiler.
  if nm -u "$lib" | grep -E ' (_Znw|_Zna|_Zdl|_Zda|__cxa_|__gxx_personality|_ZSt|_ZNSt|_ZTV|_ZTI)'; then
    fail "$lib needs the C++ runtime"
  fi

  # find_package from a C-only project.
  "$cmake" "${generator[@]}" -S "$here/consumer" -B "$work/consumer-cmake-$n" \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_PREFIX_PATH="$prefix" \
    > "$work/consumer-cmake-$n.log" || { cat "$work/consumer-cmake-$n.log"; fail "consumer configure"; }
  "$cmake" --build "$work/consumer-cmake-$n" >> "$work/consumer-cmake-$n.log" ||
    { cat "$work/consumer-cmake-$n.log"; fail "consumer build (find_package)"; }
  "$work/consumer-cmake-$n/consumer" "$work/model.qc" "$sha" auto ||
    fail "consumer (find_package) run"
  "$work/consumer-cmake-$n/consumer" "$work/model.qc" "$sha" base 0 ||
    fail "consumer (find_package) run with isa mask 0"

  # pkg-config, with the .pc file found from its own directory.
  libs=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --libs quantc_runtime)
  cflags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags quantc_runtime)
  echo "pkg-config: $cflags $libs"
  [[ " $libs " == *" -lpthread "* && " $libs " == *" -lm "* ]] ||
    fail "pkg-config --libs lacks -lpthread or -lm: $libs"
  # shellcheck disable=SC2086
  "$cc" -o "$work/consumer-pc-$n" "$here/consumer/consumer.c" $cflags $libs ||
    fail "consumer build (pkg-config)"
  "$work/consumer-pc-$n" "$work/model.qc" "$sha" auto || fail "consumer (pkg-config) run"
done
echo "install-consumer: OK"
