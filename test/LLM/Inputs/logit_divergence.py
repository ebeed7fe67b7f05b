#!/usr/bin/python3
"""How far the logits of quantized Llama step graphs are from a reference
graph's on held-out text.

  logit_divergence.py --quant-run BIN --tokenizer TOK --text FILE --chunks N
      [--check A<B ...] BASE.mlir MODEL.mlir ...

Every graph is a step of S tokens with logits for every token (quant-compile
CHECKPOINT --input-shape tokens=1xS). The text is tokenized line by line (as
quant-compile --calib-text does) and cut into N chunks of BOS + S - 1 tokens;
quant-run runs each chunk at position 0 with empty caches. Per model it
prints the mean KL(base || model) of the next-token distributions over all
positions, the top-1 agreement with the base, and the perplexity on the
text. `--check A<B` (file names as given) fails unless A's mean KL is below
B's.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llama2c_ref  # noqa: E402


def signature(path):
    """Step length, mask shape and the cache inputs (name, shape)."""
    text = open(path).read(1 << 20)
    head = text[text.index("func.func @main("):]
    head = head[:head.index("->")]
    args = re.findall(r"tensor<([0-9x]+)x(?:f32|i64)> \{qc\.name = \"(\w+)\"\}", head)
    shapes = {name: [int(d) for d in dims.split("x")] for dims, name in args}
    caches = [(n, s) for n, s in shapes.items() if "_cache_" in n]
    return shapes["tokens"][1], shapes["mask"], caches


def log_softmax(x):
    x = x.astype(np.float64)
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quant-run", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--text", required=True)
    ap.add_argument("--chunks", type=int, default=4)
    ap.add_argument("--skip-tokens", type=int, default=0,
                    help="text tokens to leave out first (e.g. the calibration part)")
    ap.add_argument("--check", action="append", default=[])
    ap.add_argument("models", nargs="+")
    a = ap.parse_args()

    s, mask_shape, caches = signature(a.models[0])
    tok = llama2c_ref.read_tokenizer(a.tokenizer)
    ids = []
    need = a.skip_tokens + a.chunks * (s - 1)
    for line in open(a.text, encoding="utf-8"):
        line = line.strip()
        if line:
            ids += llama2c_ref.encode(tok, line)[1:]  # without BOS
        if len(ids) >= need:
            break
    ids = ids[a.skip_tokens:]
    if len(ids) < a.chunks * (s - 1):
        sys.exit("%s: %d tokens, fewer than %d chunks of %d" %
                 (a.text, len(ids), a.chunks, s - 1))

    kl = {m: [] for m in a.models}
    top1 = {m: [] for m in a.models}
    nll = {m: [] for m in a.models}
    with tempfile.TemporaryDirectory() as tmp:
        for c in range(a.chunks):
            chunk = [1] + ids[c * (s - 1):(c + 1) * (s - 1)]
            d = os.path.join(tmp, "in%d" % c)
            os.makedirs(d)
            np.save(os.path.join(d, "tokens.npy"), np.array([chunk], np.int64))
            np.save(os.path.join(d, "pos.npy"), np.array(0, np.int64))
            mask = np.full(mask_shape, -np.inf, np.float32)
            for i in range(s):
                mask[0, 0, i, :i + 1] = 0
            np.save(os.path.join(d, "mask.npy"), mask)
            args = ["--input", "tokens=" + os.path.join(d, "tokens.npy"),
                    "--input", "pos=" + os.path.join(d, "pos.npy"),
                    "--input", "mask=" + os.path.join(d, "mask.npy")]
            for name, shape in caches:
                p = os.path.join(d, name + ".npy")
                np.save(p, np.zeros(shape, np.float32))
                args += ["--input", "%s=%s" % (name, p)]
            logp = {}
            for i, m in enumerate(a.models):
                out = os.path.join(tmp, "out%d_%d" % (c, i))
                subprocess.run([a.quant_run, m] + args + ["--output-dir", out],
                               check=True, stdout=subprocess.DEVNULL)
                logp[m] = log_softmax(np.load(os.path.join(out, "logits.npy"))[0])
            base = logp[a.models[0]]
            pb = np.exp(base)
            for m in a.models:
                kl[m].append((pb * (base - logp[m])).sum(axis=-1))
                top1[m].append(base.argmax(-1) == logp[m].argmax(-1))
                nxt = np.array(chunk[1:])
                nll[m].append(-logp[m][np.arange(s - 1), nxt])

    stats = {}
    width = max([len("model")] + [len(os.path.basename(m)) for m in a.models])
    print("%-*s %12s %8s %10s" % (width, "model", "mean KL", "top-1", "perplexity"))
    for m in a.models:
        k = float(np.concatenate(kl[m]).mean())
        t = float(np.concatenate(top1[m]).mean())
        p = float(np.exp(np.concatenate(nll[m]).mean()))
        stats[os.path.basename(m)] = stats[m] = k
        print("%-*s %12.6f %8.4f %10.4f" % (width, os.path.basename(m), k, t, p))
    for c in a.check:
        lhs, rhs = c.split("<")
        if not stats[lhs] < stats[rhs]:
            sys.exit("check failed: mean KL of %s (%.6f) is not below %s's (%.6f)"
                     % (lhs, stats[lhs], rhs, stats[rhs]))
        print("ok: %s < %s" % (lhs, rhs))


if __name__ == "__main__":
    main()
