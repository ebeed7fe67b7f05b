#!/usr/bin/env bash
# Sets everything up, builds quantc and runs its main job on the model the
# repository ships: quantc's own small Llama, trained on the King James Bible
# (models/kjv-llama: Hugging Face safetensors + config.json + tokenizer,
# trained by python/fixtures/train_kjv_llama.py with the Gospel of Luke held
# out). It is compiled to 4-bit weights (blocks of 32, int8 activations per
# block at run time) as a CPU artifact for the host and AArch64, the artifact
# generates text from a prompt through the runtime, and the held-out Luke
# perplexity of the 4-bit artifact is printed beside the float model's, with
# the KL divergence of its token distributions.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QC_BUILD_DIR:-$root/build}
export QC_BUILD_DIR=$build
work=${QC_QUICKSTART_DIR:-$build/quickstart}
model=$root/models/kjv-llama
prompt=${QC_PROMPT:-And it came to pass}
mkdir -p "$work"

bash "$root/scripts/setup.sh"
ninja -C "$build" quant-compile quant-run

echo
echo "== the model: $model =="
"$build/bin/quant-compile" "$model" --list-tensors | tail -12

echo
echo "== quant-compile $model --scheme w4a8-dynamic --target host,aarch64 -o $work/kjv.qc =="
"$build/bin/quant-compile" "$model" --scheme w4a8-dynamic --target host,aarch64 \
  --quiet -o "$work/kjv.qc"
find "$work/kjv.qc" -type f | sort | sed "s|$work/||"

echo
echo "== quant-run $work/kjv.qc --prompt \"$prompt\" -n 64 (generated code, greedy) =="
"$build/bin/quant-run" "$work/kjv.qc" --tokenizer "$model/tokenizer.bin" \
  --prompt "$prompt" -n 64 --time

echo
echo "== held-out perplexity (the Gospel of Luke, chunks of 256 tokens) =="
/usr/bin/python3 "$root/python/fixtures/kjv_text.py" "$work/luke.txt"
echo -n "float (f32, reference executor):     "
"$build/bin/quant-run" "$model" --perplexity "$work/luke.txt" --ctx 256 \
  --kl-divergence-base "$work/luke.kld" 2> /dev/null | head -1
"$build/bin/quant-compile" "$model" --scheme w4a8-dynamic --input-shape tokens=1x256 \
  --target host --quiet -o "$work/kjv-256.qc"
echo "4-bit artifact (generated code):"
"$build/bin/quant-run" "$work/kjv-256.qc" --tokenizer "$model/tokenizer.bin" \
  --kl-divergence-base "$work/luke.kld" --kl-divergence 2> /dev/null |
  grep -E "Mean PPL|Mean +KLD|Same top"
