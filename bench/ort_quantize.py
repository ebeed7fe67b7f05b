#!/usr/bin/python3
"""ONNX Runtime's own static quantizer as a peer: quantize, then run.

Runs inside the Debian trixie chroot of scripts/bench/ort-chroot.sh (its
python3-onnxruntime), called by bench/quant-accuracy.py:

    scripts/bench/ort-chroot.sh run --bind /work/wt-bench --bind /tmp/x -- \\
        /usr/bin/python3 /work/wt-bench/bench/ort_quantize.py \\
        --model M.onnx --calib-dir CAL --eval-dir EVAL --out-dir OUT \\
        --methods MinMax,Entropy,Percentile [--float]

For each method: onnxruntime.quantization.quantize_static(model, ...) with a
CalibrationDataReader that feeds every CAL/*.npy (sorted by name; one array
per file, fed as the model's only input), in QDQ format, per-channel weights,
and ORT's defaults for everything else (printed in the JSON: activation and
weight types, symmetry, percentile, bins). The model is first put through
ORT's recommended pre-processing (quant_pre_process: symbolic shape inference
+ graph optimisation, which folds BatchNormalization into Conv) unless
--no-preprocess. Then the quantized model is run with ORT's CPU execution
provider on every EVAL/*.npy and each output is saved as
OUT/<method>/eval/<stem>/<output-name>.npy. --float does the same for the
unquantized model (OUT/float/...). OUT/report.json records versions, options,
times and failures (a method that fails is recorded, not fatal).
"""

import argparse
import inspect
import json
import os
import sys
import time
import traceback

import numpy as np
import onnx
# Before onnxruntime: Debian's onnxruntime adds its internal schemas to the
# libonnx it shares with python3-onnx, and onnx.reference (imported by
# onnxruntime.quantization) then refuses the duplicate op names.
import onnx.reference  # noqa: F401
import onnxruntime as ort
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod,
                                      QuantFormat, QuantType, quantize_static)

METHODS = {
    "minmax": "MinMax",
    "entropy": "Entropy",
    "entropy-2048": "Entropy",
    "percentile": "Percentile",
    "distribution": "Distribution",
}

# quantize_static's Entropy uses create_calibrator's defaults num_bins=128,
# num_quantized_bins=128: the KL search then has a single candidate, the full
# histogram range, so it gives exactly MinMax's ranges. quantize_static (1.21)
# does not pass num_bins through from extra_options; "entropy-2048" wraps
# create_calibrator to ask for 2048 histogram bins (TensorRT's classic
# setting) and keeps ORT's 128 quantized bins.
_ENTROPY_BINS = {"num_bins": None}


def _install_entropy_bins_hook():
    # (the package's __init__ shadows the module name with the function quantize)
    qmod = sys.modules["onnxruntime.quantization.quantize"]
    orig = qmod.create_calibrator

    def create_calibrator(*a, **kw):
        if _ENTROPY_BINS["num_bins"]:
            eo = dict(kw.get("extra_options") or {})
            eo["num_bins"] = _ENTROPY_BINS["num_bins"]
            kw["extra_options"] = eo
        return orig(*a, **kw)

    qmod.create_calibrator = create_calibrator


def npy_files(d):
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".npy"))


class NpyReader(CalibrationDataReader):
    def __init__(self, input_name, files):
        self.input_name = input_name
        self.files = files
        self.it = iter(files)

    def get_next(self):
        f = next(self.it, None)
        if f is None:
            return None
        return {self.input_name: np.load(f).astype(np.float32)}

    def rewind(self):
        self.it = iter(self.files)


def run_model(path, eval_files, out_dir, threads):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    outs = [o.name for o in sess.get_outputs()]
    t0 = time.time()
    for f in eval_files:
        stem = os.path.splitext(os.path.basename(f))[0]
        res = sess.run(outs, {name: np.load(f).astype(np.float32)})
        d = os.path.join(out_dir, stem)
        os.makedirs(d, exist_ok=True)
        for o, v in zip(outs, res):
            np.save(os.path.join(d, o + ".npy"), v)
    return time.time() - t0


def defaults():
    sig = inspect.signature(quantize_static)
    out = {}
    for k in ("quant_format", "per_channel", "activation_type", "weight_type",
              "calibrate_method", "reduce_range"):
        if k in sig.parameters:
            out[k] = str(sig.parameters[k].default)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--calib-dir", required=True)
    ap.add_argument("--eval-dir", required=True)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--methods", default="MinMax,Entropy,Percentile")
    ap.add_argument("--float", action="store_true", help="also run the float model")
    ap.add_argument("--no-preprocess", action="store_true")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()

    _install_entropy_bins_hook()
    os.makedirs(args.out_dir, exist_ok=True)
    # quant_pre_process leaves sym_shape_infer_temp.onnx in the current directory
    for a in ("model", "calib_dir", "eval_dir", "out_dir"):
        setattr(args, a, os.path.abspath(getattr(args, a)))
    os.chdir(args.out_dir)
    calib = npy_files(args.calib_dir)
    evals = npy_files(args.eval_dir)
    model = args.model
    input_name = onnx.load(model, load_external_data=False).graph.input[0].name
    report = {
        "onnxruntime": ort.__version__, "onnx": onnx.__version__, "numpy": np.__version__,
        "quantize_static_defaults": defaults(),
        "options": {"quant_format": "QDQ", "per_channel": True,
                    "activation_type": "default", "weight_type": "default",
                    "preprocess": not args.no_preprocess},
        "calib_files": len(calib), "eval_files": len(evals), "methods": {},
    }
    # Per-channel QDQ needs DequantizeLinear's axis attribute (opset 13);
    # quantize_static (1.21) does not upgrade an opset 11/12 model and writes an
    # invalid one (PP-OCRv4 det is opset 11), so upgrade first.
    opset = next((o.version for o in onnx.load(model, load_external_data=False).opset_import
                  if o.domain in ("", "ai.onnx")), 0)
    report["opset"] = opset
    if opset < 13:
        from onnx import version_converter
        up = os.path.join(args.out_dir, "opset13.onnx")
        onnx.save(version_converter.convert_version(onnx.load(model), 13), up)
        report["opset_upgrade"] = f"{opset} -> 13 (onnx.version_converter)"
        model = up
    if not args.no_preprocess:
        from onnxruntime.quantization.shape_inference import quant_pre_process
        pre = os.path.join(args.out_dir, "preprocessed.onnx")
        t0 = time.time()
        # Symbolic shape inference first (ORT's default); it gives up on some
        # CNNs (PP-OCRv4 det: "Incomplete symbolic shape inference"), then
        # ONNX shape inference + the graph optimisation alone.
        for skip in (False, True):
            try:
                quant_pre_process(model, pre, skip_symbolic_shape=skip)
                report["preprocess"] = "quant_pre_process" + (
                    "(skip_symbolic_shape=True)" if skip else "")
                model = pre
                break
            except Exception as e:  # noqa: BLE001 - recorded in the report
                report.setdefault("preprocess_errors", []).append(
                    f"skip_symbolic_shape={skip}: {type(e).__name__}: {e}")
        else:
            report["preprocess"] = "none (quant_pre_process failed)"
        report["preprocess_s"] = time.time() - t0
    if args.float:
        try:
            t = run_model(args.model, evals, os.path.join(args.out_dir, "float", "eval"), args.threads)
            report["methods"]["float"] = {"ok": True, "run_s": t}
        except Exception as e:  # noqa: BLE001 - recorded in the report
            report["methods"]["float"] = {"ok": False, "error": f"{type(e).__name__}: {e}"}
    for m in [x.strip() for x in args.methods.split(",") if x.strip()]:
        cm = getattr(CalibrationMethod, METHODS.get(m.lower(), m))
        d = os.path.join(args.out_dir, m.lower())
        os.makedirs(d, exist_ok=True)
        q = os.path.join(d, "q.onnx")
        entry = {"calibrate_method": str(cm)}
        _ENTROPY_BINS["num_bins"] = 2048 if m.lower() == "entropy-2048" else None
        if _ENTROPY_BINS["num_bins"]:
            entry["num_bins"] = _ENTROPY_BINS["num_bins"]
        try:
            t0 = time.time()
            quantize_static(model, q, NpyReader(input_name, calib),
                            quant_format=QuantFormat.QDQ, per_channel=True,
                            calibrate_method=cm)
            entry["quantize_s"] = time.time() - t0
            qm = onnx.load(q)
            types = {}
            for n in qm.graph.node:
                types[n.op_type] = types.get(n.op_type, 0) + 1
            zp_types = sorted({onnx.TensorProto.DataType.Name(i.data_type)
                               for i in qm.graph.initializer if i.name.endswith("_zero_point")})
            entry["ops"] = types
            entry["zero_point_types"] = zp_types
            entry["run_s"] = run_model(q, evals, os.path.join(d, "eval"), args.threads)
            entry["ok"] = True
        except Exception as e:  # noqa: BLE001 - recorded in the report
            entry["ok"] = False
            entry["error"] = f"{type(e).__name__}: {e}".splitlines()[0][:300]
            traceback.print_exc()
        report["methods"][m.lower()] = entry
        print(f"ort_quantize: {m}: {'ok' if entry['ok'] else entry['error']}", file=sys.stderr)
    with open(os.path.join(args.out_dir, "report.json"), "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
