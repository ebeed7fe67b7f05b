#!/usr/bin/python3
"""Accuracy of quantc's LLM weight formats on held-out text: perplexity and
KL divergence from the float model, as llama.cpp's llama-perplexity reports
them, with llama.cpp's own quantized files beside ours where they exist.

    /usr/bin/python3 bench/llm/accuracy.py [--model stories260K|kjv|PATH]...
        [--build-dir build] [--ctx 256] [--chunks N] [--work DIR]
        [--extra NAME=ARGS]...

Text: the Gospel of Luke from Debian's bible-kjv (held out from the KJV
model's training; stories260K never saw the Bible). Each model is scored by
`quant-run MODEL --perplexity luke.txt --ctx 256` (llama-perplexity's
method: chunks of 256 tokens from BOS, the second half of each scored), its
distributions saved, and every variant compared with them:

  - quantc schemes (`quant-compile MODEL --scheme S --input-shape
    tokens=1x256`, run on the reference executor): weight-only RTN groups,
    8-bit, and the dynamic-activation integer forms the CPU kernels run;
  - GGUF files quantc writes (`--emit=gguf --gguf-type T`), read back and run
    on the executor;
  - llama.cpp's own files for stories260K (../shared/models/stories260K/gguf,
    written by llama-quantize), run the same way;
  - --extra NAME=ARGS: more quant-compile argument sets (e.g.
    "gptq=--scheme w4a16-g32 --weight-algo gptq --calib-text FILE").

Columns: PPL ± its standard error, the change from float, mean KL divergence
± its error, and how often the top token agrees with the float model's.
"""
import argparse
import os
import re
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python", "fixtures"))

SCHEMES = ["w8a16-g32", "w8a8-dynamic-g32", "w4a16-g32", "w4a16-g32-asym", "w4a8-dynamic"]
GGUF_TYPES = ["Q8_0", "Q6_K", "Q5_0", "Q4_K", "Q4_1", "Q4_0", "IQ4_NL"]


def luke(path):
    import train_kjv_llama as kjv
    verses = kjv.kjv_verses()
    with open(path, "w") as f:
        f.write("\n".join(t for b, _, t in verses if b == "Luke") + "\n")


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode:
        sys.exit("failed: " + " ".join(map(shlex.quote, cmd)) + "\n" + r.stderr[-2000:])
    return r.stdout


def parse_kld(out):
    num = r"(-?[0-9.]+)"
    ppl = re.search(r"Mean PPL\(Q\) *: *" + num + r" \+/- *" + num, out)
    kld = re.search(r"Mean +KLD: *" + num + r" \+/- *" + num, out)
    top = re.search(r"Same top p: *" + num, out)
    return (float(ppl.group(1)), float(ppl.group(2)), float(kld.group(1)),
            float(kld.group(2)), float(top.group(1)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", action="append")
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--ctx", type=int, default=256)
    ap.add_argument("--chunks", type=int, default=0)
    ap.add_argument("--work", default="/tmp/quantc-llm-accuracy")
    ap.add_argument("--extra", action="append", default=[])
    ap.add_argument("--no-schemes", action="store_true")
    ap.add_argument("--no-gguf", action="store_true")
    a = ap.parse_args()
    models_dir = os.environ.get("QC_MODELS", os.path.join(ROOT, "..", "shared", "models"))
    known = {"stories260K": os.path.join(models_dir, "stories260K", "stories260K.bin"),
             "kjv": os.path.join(ROOT, "models", "kjv-llama")}
    qc = os.path.join(a.build_dir, "bin", "quant-compile")
    qr = os.path.join(a.build_dir, "bin", "quant-run")
    os.makedirs(a.work, exist_ok=True)
    text = os.path.join(a.work, "luke.txt")
    if not os.path.exists(text):
        luke(text)
    chunks = ["--chunks", str(a.chunks)] if a.chunks else []
    for name in a.model or ["stories260K", "kjv"]:
        model = known.get(name, name)
        if not os.path.exists(model):
            print(f"{name}: {model} does not exist, skipped\n")
            continue
        tag = os.path.basename(model.rstrip("/")).replace(".", "_")
        work = os.path.join(a.work, tag)
        os.makedirs(work, exist_ok=True)
        base = os.path.join(work, "base.kld")
        out = run([qr, model, "--perplexity", text, "--ctx", str(a.ctx),
                   "--kl-divergence-base", base] + chunks)
        m = re.search(r"PPL = ([0-9.]+) \+/- ([0-9.]+)", out)
        fppl, ferr = float(m.group(1)), float(m.group(2))
        # The tokenizer the model was scored with, for step graphs.
        tok = None
        for cand in ("tokenizer.bin", "tok512.bin"):
            p = os.path.join(model if os.path.isdir(model) else os.path.dirname(model), cand)
            if os.path.exists(p):
                tok = p
                break
        rows = [("float (f32)", fppl, ferr, 0.0, 0.0, 100.0)]

        def compare(label, path, extra_args=()):
            o = run([qr, path, "--kl-divergence-base", base, "--kl-divergence"] + list(extra_args))
            ppl, err, kld, kerr, top = parse_kld(o)
            rows.append((label, ppl, err, kld, kerr, top))
            print(f"  {label}: PPL {ppl:.3f}, KLD {kld:.5f}", file=sys.stderr)

        variants = [] if a.no_schemes else [(s, ["--scheme", s]) for s in SCHEMES]
        for e in a.extra:
            label, args = e.split("=", 1)
            variants.append((label, shlex.split(args)))
        for label, args in variants:
            graph = os.path.join(work, re.sub(r"[^A-Za-z0-9_.-]", "_", label) + ".mlir")
            run([qc, model, "--input-shape", f"tokens=1x{a.ctx}", "--quiet", "-o", graph] + args)
            compare("quantc " + label, graph, ["--tokenizer", tok])
        if not a.no_gguf:
            for t in GGUF_TYPES:
                g = os.path.join(work, f"{t}.gguf")
                run([qc, model, "--emit=gguf", "--gguf-type", t, "--quiet", "-o", g])
                compare(f"quantc GGUF {t}", g)
            ref = os.path.join(os.path.dirname(model), "gguf")
            if name == "stories260K" and os.path.isdir(ref):
                for t in ["Q8_0", "Q6_K", "Q5_0", "Q4_K_M", "Q4_1", "Q4_0", "IQ4_NL", "IQ4_NL-imat"]:
                    f = os.path.join(ref, f"stories260K-{t}.gguf")
                    if os.path.exists(f):
                        compare(f"llama.cpp {t}", f)
        print(f"\n{name} ({model}), Luke, context {a.ctx}"
              + (f", {a.chunks} chunks" if a.chunks else "") + "\n")
        print("| variant | PPL | vs float | mean KLD | same top |")
        print("|---|---|---|---|---|")
        for label, ppl, err, kld, kerr, top in rows:
            print(f"| {label} | {ppl:.3f} ± {err:.3f} | {100 * (ppl / fppl - 1):+.2f}% "
                  f"| {kld:.5f} ± {kerr:.5f} | {top:.2f}% |")
        print()


if __name__ == "__main__":
    main()
