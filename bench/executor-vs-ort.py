#!/usr/bin/env python3
"""Times quantc's reference executor (quant-run) beside ONNX Runtime (npm
onnxruntime-node, through scripts/fixtures/ort-run.mjs) on the same models and
inputs, with the same thread count, and prints a table. Also prints the max
abs difference of the outputs.

    bench/executor-vs-ort.py [--build build] [--threads 1] [--repeat 5]

Needs: a built tree, `scripts/fixtures/fetch-npm-models.sh` run once (it
caches PP-OCRv4 det and onnxruntime-node), Debian's dataset-fashion-mnist,
opencv-doc and python3-skimage. The executor is the numeric oracle, not the
fast path; the compiled artifacts are what later benchmarks compare.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = "/usr/bin/python3"


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def quant_run(build, model, inputs, out, threads, repeat):
    cmd = [os.path.join(build, "bin", "quant-run"), model, "--output-dir", out,
           "--time", "--repeat", str(repeat), "--num-threads", str(threads)]
    for name, path in inputs.items():
        cmd += ["--input", f"{name}={path}"]
    err = run(cmd).stderr
    ms = float(re.search(r"\(\d+ runs, ([0-9.]+) ms each\)", err).group(1))
    return ms


def ort_run(model, inputs, out, threads, repeat):
    cmd = ["node", os.path.join(ROOT, "scripts/fixtures/ort-run.mjs"), model,
           "--output-dir", out, "--threads", str(threads), "--repeat", str(repeat)]
    for name, path in inputs.items():
        cmd += ["--input", f"{name}={path}"]
    report = json.loads(run(cmd).stdout)
    return report["run_ms"]["median"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    cache = os.environ.get("QC_CACHE", os.path.expanduser("~/.cache/quantc"))
    det = os.path.join(cache, "npm/ocr-models-1.4.2/package/assets/ch_PP-OCRv4_det_infer.onnx")
    tmp = tempfile.mkdtemp(prefix="qc-bench-")
    fx = os.path.join(ROOT, "python/fixtures")
    run([PY, f"{fx}/fashion_mnist_npy.py", "--out-dir", f"{tmp}/fm1", "--count", "1"])
    run([PY, f"{fx}/fashion_mnist_npy.py", "--out-dir", f"{tmp}/fm", "--count", "1000"])
    run([PY, f"{fx}/ocr_images.py", "--out-dir", f"{tmp}/ocr"])
    run([PY, f"{fx}/export_transformer_block.py", "--out", f"{tmp}/block.onnx",
         "--inputs", f"{tmp}/block"])

    fashion = os.path.join(ROOT, "models/fashion_cnn.onnx")
    cases = [
        ("Fashion CNN, batch 1", fashion, {"input": f"{tmp}/fm1/input.npy"}),
        ("Fashion CNN, batch 1000", fashion, {"input": f"{tmp}/fm/input.npy"}),
        ("BERT-style block, 2x12 tokens", f"{tmp}/block.onnx",
         {"input_ids": f"{tmp}/block/input_ids.npy",
          "attention_mask": f"{tmp}/block/attention_mask.npy"}),
        ("PP-OCRv4 det, page 384x192", det, {"x": f"{tmp}/ocr/page.npy"}),
        ("PP-OCRv4 det, board 640x480", det, {"x": f"{tmp}/ocr/board.npy"}),
    ]
    print(f"threads: {args.threads}, repeat: {args.repeat} (median for ORT, mean for quant-run)")
    print()
    print("| model | quant-run executor (ms) | ONNX Runtime 1.30 (ms) | ratio | max abs diff |")
    print("|---|---:|---:|---:|---:|")
    for i, (label, model, inputs) in enumerate(cases):
        if not os.path.isfile(model):
            print(f"| {label} | – | – | – | (missing {model}) |")
            continue
        qo, oo = f"{tmp}/q{i}", f"{tmp}/o{i}"
        q = quant_run(args.build, model, inputs, qo, args.threads, args.repeat)
        o = ort_run(model, inputs, oo, args.threads, args.repeat)
        diff = 0.0
        for f in sorted(os.listdir(oo)):
            a, b = np.load(f"{qo}/{f}"), np.load(f"{oo}/{f}")
            diff = max(diff, float(np.abs(a.astype(np.float64) - b).max()))
        print(f"| {label} | {q:.2f} | {o:.2f} | {q / o:.1f}x | {diff:.2g} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
