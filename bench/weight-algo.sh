#!/bin/bash
# Calibrated weight rounding (quant-compile --weight-algo) against
# round-to-nearest on stories260K: per scheme and algorithm, the mean KL
# divergence of the next-token distributions from the float model's, the
# top-1 agreement and the perplexity, on held-out text; plus the compile
# time and the calibration-error remark of each run.
#
#   bash bench/weight-algo.sh [BUILD_DIR] [SCHEME...]
#   bash bench/weight-algo.sh build w4a16-g32 w3a16-g32
#
# Calibration: 4096 tokens of stories the float model writes itself
# (sampled at temperature 1, seeds 1-12); evaluation: 8 chunks of 128
# tokens of other such stories (seeds 101-108). With Debian's bible-kjv
# installed, also calibrated on Genesis and measured on Matthew 1-5.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build}"
shift || true
schemes=("$@")
[ ${#schemes[@]} -eq 0 ] && schemes=(w4a16-g32 w4a16-g32-asym w3a16-g32 w4a8-dynamic)
python=/usr/bin/python3
models="${QC_MODELS:-$here/../shared/models}"
ckpt="$models/stories260K/stories260K.bin"
tok="$models/stories260K/tok512.bin"
qc="$build/bin/quant-compile"
qr="$build/bin/quant-run"
inputs="$here/test/LLM/Inputs"
work="${TMPDIR:-/tmp}/qc-weight-algo"
mkdir -p "$work"

$python "$inputs/sample_stories.py" "$qr" "$ckpt" "$tok" 1 12 > "$work/calib.txt"
$python "$inputs/sample_stories.py" "$qr" "$ckpt" "$tok" 101 108 > "$work/held.txt"
texts=("stories:$work/calib.txt:$work/held.txt")
if command -v bible >/dev/null; then
  echo "Gen1:1-Gen50:26" | bible -f -l 0 | sed -n '4,$ s/^[0-9A-Za-z]*[0-9]:[0-9]* //p' > "$work/genesis.txt"
  echo "Mat1:1-Mat5:48" | bible -f -l 0 | sed -n '4,$ s/^[0-9A-Za-z]*[0-9]:[0-9]* //p' > "$work/matthew.txt"
  texts+=("kjv:$work/genesis.txt:$work/matthew.txt")
fi

"$qc" "$ckpt" --scheme float --input-shape tokens=1x128 -o "$work/float.mlir"
for entry in "${texts[@]}"; do
  IFS=: read -r name calib held <<< "$entry"
  for scheme in "${schemes[@]}"; do
    echo "== $scheme, calibrated on $name text"
    models=("$work/float.mlir")
    for algo in rtn gptq gptq-act-order awq imatrix; do
      out="$work/$name.$scheme.$algo.mlir"
      flags=(--weight-algo "${algo%-act-order}")
      [ "$algo" = gptq-act-order ] && flags+=(--gptq-act-order)
      [ "$algo" != rtn ] && flags+=(--calib-text "$calib" --calib-tokens 4096)
      start=$(date +%s.%N)
      "$qc" "$ckpt" --scheme "$scheme" "${flags[@]}" --input-shape tokens=1x128 \
        -o "$out" 2> "$work/log.txt"
      end=$(date +%s.%N)
      printf "%-16s %6.2f s  %s\n" "$algo" "$(echo "$end - $start" | bc)" \
        "$(grep -o 'calibration output error.*' "$work/log.txt" || true)"
      models+=("$out")
    done
    $python "$inputs/logit_divergence.py" --quant-run "$qr" --tokenizer "$tok" \
      --text "$held" --chunks 8 "${models[@]}"
  done
done
