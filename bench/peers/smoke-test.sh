#!/usr/bin/env bash
# Smoke test of the ONNX Runtime peer (README.md beside this file): builds
# ort_bench, writes small versions of the bench models and checks what ONNX
# Runtime computes on them against numpy (check_outputs.py), then the random
# inputs, the thread option and the error paths.
#
#   smoke-test.sh     (env: QC_BUILD_DIR work directory, CLANG compiler,
#                      QC_ORT_LIB or QC_CACHE to find libonnxruntime.so)
# Exits 77 (skipped) when libonnxruntime.so is not there:
# scripts/fixtures/fetch-npm-models.sh puts it into the cache.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=${QC_BUILD_DIR:-./build}/ort-smoke
py=/usr/bin/python3

lib=${QC_ORT_LIB:-}
if [ -z "$lib" ]; then
  x64=${QC_CACHE:-$HOME/.cache/quantc}/npm/onnxruntime-node-1.30.0/node_modules/onnxruntime-node/bin/napi-v6/linux/x64
  for cand in "$x64/libonnxruntime.so.1" "$x64/libonnxruntime.so"; do
    if [ -e "$cand" ]; then lib=$cand; break; fi
  done
fi
if [ -z "$lib" ] || [ ! -e "$lib" ]; then
  echo "SKIP: no libonnxruntime.so (run scripts/fixtures/fetch-npm-models.sh or set QC_ORT_LIB)"
  exit 77
fi
export QC_ORT_LIB=$lib

failures=0
passes=0
pass() { echo "PASS $1"; passes=$((passes + 1)); }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }

rm -rf "$work"
mkdir -p "$work"
bench=$(CC=${CLANG:-clang-22} bash "$here/build.sh" "$work/ort_bench")

# The result line: "ort model=<file> threads=N median_ms=X min_ms=Y".
line_ok() {  # line_ok LINE MODEL_FILE THREADS
  [[ "$1" =~ ^ort\ model=([^ ]+)\ threads=([0-9]+)\ median_ms=([0-9]+\.[0-9]+)\ min_ms=([0-9]+\.[0-9]+)$ ]] &&
    [ "${BASH_REMATCH[1]}" = "$2" ] && [ "${BASH_REMATCH[2]}" = "$3" ] &&
    awk -v med="${BASH_REMATCH[3]}" -v min="${BASH_REMATCH[4]}" 'BEGIN { exit !(min > 0 && min <= med) }'
}

# 1. Small versions of every model kind, plus K not a multiple of the block.
models=$work/models
"$py" "$here/make_models.py" --out "$models" --m 1,4 --k 64 --n 32 --zero-points \
  --reduce-range > "$work/models.txt"
"$py" "$here/make_models.py" --out "$models" --m 3 --k 80 --n 24 --kinds matmulnbits \
  --zero-points >> "$work/models.txt"
"$py" "$here/make_models.py" --out "$models/zp7" --m 4 --k 64 --n 32 --kinds matmulinteger \
  --a-zero-point 7 --reduce-range >> "$work/models.txt"
count=$(wc -l < "$work/models.txt")
if [ "$count" -eq 20 ]; then pass "make_models wrote $count models"; else fail "make_models wrote $count models, expected 20"; fi

# Equal options give byte-identical files.
"$py" "$here/make_models.py" --out "$work/again" --m 4 --k 64 --n 32 --zero-points \
  --reduce-range > /dev/null
same=1
for f in "$work"/again/*.onnx; do cmp -s "$f" "$models/$(basename "$f")" || same=0; done
if [ "$same" = 1 ]; then pass "make_models is deterministic"; else fail "make_models output differs between two equal runs"; fi

while read -r model; do
  name=$(basename "$model" .onnx)
  label=${model#"$models"/}
  label=${label%.onnx}
  cdir=$work/io/$(basename "$(dirname "$model")")-$name
  mkdir -p "$cdir/out"
  "$py" "$here/check_outputs.py" inputs "$model" "$cdir/in" > /dev/null
  if ! out=$("$bench" "$model" --input "A=$cdir/in/A.npy" --warmup 0 --repeat 1 \
               --output-dir "$cdir/out" 2> "$cdir/stderr"); then
    fail "$label: ort_bench exited non-zero: $(cat "$cdir/stderr")"
    continue
  fi
  if line_ok "$out" "$name.onnx" 1; then pass "$label: result line"; else fail "$label: result line '$out'"; fi
  if "$py" "$here/check_outputs.py" check "$model" "$cdir/in" "$cdir/out"; then
    passes=$((passes + 1))
  else
    failures=$((failures + 1))
  fi
done < "$work/models.txt"

# 2. Random inputs, two threads, several runs; a positional --input.
model=$models/matmulnbits_M4_K64_N32_b32_acc4.onnx
mkdir -p "$work/random"
if out=$("$bench" "$model" --random --threads 2 --warmup 1 --repeat 5 --output-dir "$work/random") &&
   line_ok "$out" "$(basename "$model")" 2 &&
   "$py" -c 'import numpy as np, sys; y = np.load(sys.argv[1]); sys.exit(not (y.shape == (4, 32) and y.dtype == np.float32 and np.isfinite(y).all() and np.abs(y).max() > 0))' "$work/random/Y.npy"; then
  pass "random inputs with --threads 2: '$out'"
else
  fail "random inputs with --threads 2: '${out:-}'"
fi
cdir=$work/io/models-matmulinteger_M4_K64_N32
mkdir -p "$work/positional"
if "$bench" "$models/matmulinteger_M4_K64_N32.onnx" --input "$cdir/in/A.npy" --warmup 0 \
     --repeat 1 --output-dir "$work/positional" > /dev/null &&
   cmp -s "$work/positional/Y.npy" "$cdir/out/Y.npy"; then
  pass "positional --input gives the same output as a named one"
else
  fail "positional --input"
fi

if out=$("$bench" "$models/matmulinteger_M4_K64_N32.onnx" --random --threads 2 --no-spin \
           --config session.intra_op.allow_spinning=0 --warmup 0 --repeat 2) &&
   line_ok "$out" matmulinteger_M4_K64_N32.onnx 2; then
  pass "--no-spin and --config"
else
  fail "--no-spin and --config: '${out:-}'"
fi

# The dynamic-quantization chain is timed as ORT's fused DynamicQuantizeMatMul.
if "$bench" "$models/dynquant_matmul_M4_K64_N32.onnx" --random --warmup 0 --repeat 1 \
     --save-optimized "$work/dynquant.opt.onnx" > /dev/null 2> "$work/opt.stderr" &&
   nodes=$("$py" -c 'import onnx, sys; print(",".join(n.op_type for n in onnx.load(sys.argv[1]).graph.node))' \
             "$work/dynquant.opt.onnx") && [ "$nodes" = "DynamicQuantizeMatMul" ]; then
  pass "--save-optimized: the dynamic-quantization chain becomes $nodes"
else
  fail "--save-optimized: optimised graph has '${nodes:-}' ($(cat "$work/opt.stderr"))"
fi

# 3. Errors: non-zero exit and a message that says what went wrong.
expect_error() {  # expect_error WHAT PATTERN COMMAND...
  local what=$1 pattern=$2 rc=0
  shift 2
  "$@" > "$work/err.out" 2> "$work/err.txt" || rc=$?
  if [ "$rc" -ne 0 ] && grep -q -- "$pattern" "$work/err.txt"; then
    pass "$what: exit $rc, $(head -n 1 "$work/err.txt")"
  else
    fail "$what: exit $rc, stderr: $(cat "$work/err.txt")"
  fi
}
echo "not a model" > "$work/garbage.onnx"
expect_error "ORT rejects a malformed model" "CreateSession failed: \[ONNXRuntimeError INVALID_PROTOBUF\]" \
  "$bench" "$work/garbage.onnx" --random
expect_error "ORT reports a missing model" "ONNXRuntimeError NO_SUCHFILE" \
  "$bench" "$work/no-such-model.onnx" --random
expect_error "an input of the wrong type" "input 'A' is uint8 but .* holds float32" \
  "$bench" "$models/matmulinteger_M4_K64_N32.onnx" \
  --input "A=$work/io/models-matmulnbits_M4_K64_N32_b32/in/A.npy"
expect_error "an input of the wrong shape" "has shape \[4,64\] but" \
  "$bench" "$models/matmulinteger_M4_K64_N32.onnx" \
  --input "A=$work/io/models-matmulinteger_M1_K64_N32/in/A.npy"
expect_error "ORT rejects an empty session config key" \
  "AddSessionConfigEntry failed: \[ONNXRuntimeError INVALID_ARGUMENT\] Config key is empty" \
  "$bench" "$models/matmulinteger_M4_K64_N32.onnx" --random --config "=1"
expect_error "no data for an input" "no data for input 'A'" \
  "$bench" "$models/matmulinteger_M4_K64_N32.onnx"
expect_error "an unloadable library" "cannot load" \
  "$bench" "$models/matmulinteger_M4_K64_N32.onnx" --random --lib "$work/no-such-lib.so"
expect_error "a library without the ORT entry" "has no OrtGetApiBase" \
  "$bench" "$models/matmulinteger_M4_K64_N32.onnx" --random --lib libm.so.6

echo "ort peer smoke test: $passes passed, $failures failed"
[ "$failures" -eq 0 ]
