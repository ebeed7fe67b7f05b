#!/usr/bin/env bash
# Sets everything up, builds quantc and runs every test: the lit suite and
# the GoogleTest unit tests. Exits non-zero when any test fails.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QC_BUILD_DIR:-$root/build}
export QC_BUILD_DIR=$build

bash "$root/scripts/setup.sh"
ninja -C "$build"

status=0
results=$build/test-results
mkdir -p "$results"

echo "== lit =="
/usr/lib/llvm-22/bin/lit -sv --xunit-xml-output "$results/lit.xml" "$build/test" || status=1

echo "== unit tests =="
(cd "$build" && ctest --output-on-failure --output-junit "$results/unit.xml") || status=1

# One closing line over both suites.
python3 "$root/scripts/summarize-tests.py" "$results/lit.xml" "$results/unit.xml" || status=1
exit $status
