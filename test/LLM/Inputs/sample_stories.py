#!/usr/bin/python3
"""Text written by a model itself: `quant-run MODEL --prompt P --temperature
1` with seeds FIRST .. LAST, one story per seed, each on its own line
(newlines inside a story become spaces). A calibration or evaluation text
in the model's own domain, made without third-party data.

  sample_stories.py QUANT_RUN MODEL TOKENIZER FIRST LAST [PROMPT]
"""
import subprocess
import sys

quant_run, model, tokenizer, first, last = sys.argv[1:6]
prompt = sys.argv[6] if len(sys.argv) > 6 else "Once upon a time"
for seed in range(int(first), int(last) + 1):
    out = subprocess.run([quant_run, model, "--tokenizer", tokenizer,
                          "--prompt", prompt, "-n", "400", "--temperature",
                          "1.0", "--seed", str(seed)],
                         check=True, capture_output=True, text=True).stdout
    print(" ".join(out.split()))
