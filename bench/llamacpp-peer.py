#!/usr/bin/python3
"""llama.cpp's own perplexity and KL divergence for GGUF files, as a table.

    /usr/bin/python3 bench/llamacpp-peer.py [--base F32.gguf] [--text FILE]
        [--ctx 256] [--threads N] [--f32-kv] [--quantc MODEL] GGUF...

Runs Debian sid's llama.cpp (scripts/llamacpp-chroot.sh, set up on first use;
needs root) on each GGUF:

- the base (--base, or else the one input whose tensors are all F32):
  `llama-perplexity -m BASE -f TEXT -c CTX --kl-divergence-base BASE.kld`;
- every other model:
  `llama-perplexity -m X -c CTX --kl-divergence-base BASE.kld --kl-divergence`,
  which scores the same tokens and compares each position's distribution with
  the base's.

Columns: file; its type (general.file_type, as llama-quantize names it); its
size; the tensor types in the file (count of each); PPL ± its standard error; mean KL
divergence from the base ± error; the share of positions whose most likely
token is the base's ("same top"). llama.cpp stores the base's log-probabilities
as 16-bit values in BASE.kld, so the base PPL it prints in --kl-divergence mode
is slightly off the exact one; the table gives the exact one.

TEXT defaults to the held-out slice of quantc's KJV language model: the Gospel
of Luke from Debian's bible-kjv, one verse a line without references (the same
parsing as python/fixtures/train_kjv_llama.py, imported from it).

--f32-kv runs llama.cpp with an F32 KV cache and without flash attention
(`-ctk f32 -ctv f32 -fa off`); its default is an F16 cache, which moves the
last digits. --quantc MODEL adds a row with quant-run's own perplexity of
MODEL (e.g. the llama2.c checkpoint the F32 GGUF was made from) on the same
text and context, computed the same way (BOS at the start of every chunk, the
second half of each chunk scored).

A GGUF that holds no model (no general.architecture, e.g. an importance
matrix) is listed as skipped. Exit status 1 if llama.cpp failed on a model.
"""

import argparse
import os
import re
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROOT = os.path.join(ROOT, "scripts", "llamacpp-chroot.sh")

# ggml type ids (ggml.h) for the tensor-type column.
GGML_TYPES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0",
    9: "Q8_1", 10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K",
    15: "Q8_K", 16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S",
    20: "IQ4_NL", 21: "IQ3_S", 22: "IQ2_S", 23: "IQ4_XS", 24: "I8", 25: "I16",
    26: "I32", 27: "I64", 28: "F64", 29: "IQ1_M", 30: "BF16", 34: "TQ1_0",
    35: "TQ2_0", 39: "MXFP4",
}


# llama_ftype (llama.h): general.file_type as llama-quantize names it.
LLAMA_FTYPES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
    10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S",
    15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS",
    20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S",
    25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S", 29: "IQ2_M",
    30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0", 38: "MXFP4_MOE",
}


class BadInput(Exception):
    pass


def read_gguf_header(path):
    """Returns (metadata dict of scalar/string values, [(tensor, type name)])."""
    scalar = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f",
              7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
    try:
        f = open(path, "rb")
    except OSError as e:
        raise BadInput(f"{path}: {e.strerror}")
    with f:
        def read(n):
            b = f.read(n)
            if len(b) != n:
                raise BadInput(f"{path}: truncated GGUF header")
            return b

        def unpack(fmt):
            return struct.unpack(fmt, read(struct.calcsize(fmt)))[0]

        def string():
            n = unpack("<Q")
            if n > 1 << 24:
                raise BadInput(f"{path}: a string of {n} bytes in the header")
            return read(n).decode("utf-8", "replace")

        def value(t):
            if t in scalar:
                return unpack(scalar[t])
            if t == 8:
                return string()
            if t == 9:
                et, n = unpack("<I"), unpack("<Q")
                if et == 9:
                    raise BadInput(f"{path}: nested arrays in the header")
                if et in scalar:
                    f.seek(n * struct.calcsize(scalar[et]), os.SEEK_CUR)
                else:
                    for _ in range(n):
                        value(et)
                return None
            raise BadInput(f"{path}: metadata value type {t} is not a GGUF type")

        magic = f.read(4)
        if magic != b"GGUF":
            raise BadInput(f"{path}: not a GGUF file (it starts with {magic!r})")
        version = unpack("<I")
        if version not in (2, 3):
            raise BadInput(f"{path}: GGUF version {version} is not supported")
        n_tensors, n_kv = unpack("<Q"), unpack("<Q")
        meta = {}
        for _ in range(n_kv):
            key = string()
            meta[key] = value(unpack("<I"))
        tensors = []
        for _ in range(n_tensors):
            name = string()
            n_dims = unpack("<I")
            if n_dims > 4:
                raise BadInput(f"{path}: tensor '{name}' has {n_dims} dimensions")
            read(8 * n_dims)
            t = unpack("<I")
            read(8)
            tensors.append((name, GGML_TYPES.get(t, f"type{t}")))
        return meta, tensors


def type_summary(tensors):
    counts = {}
    for _, t in tensors:
        counts[t] = counts.get(t, 0) + 1
    return ", ".join(f"{t}×{n}" for t, n in sorted(counts.items(), key=lambda kv: -kv[1]))


def luke_text():
    sys.path.insert(0, os.path.join(ROOT, "python", "fixtures"))
    from train_kjv_llama import kjv_verses, split_text
    _, held = split_text(kjv_verses())
    return held


def llama(args, log, done):
    """Runs a llama.cpp tool in the chroot; returns (rc, stdout+stderr).

    llama.cpp's tools print through a log thread that nothing waits for at
    exit, so the last lines (the final statistics) can be lost; the wrapper
    preloads scripts/llamacpp-exit-drain.c against that, and a run whose
    output lacks the regex `done` all the same is repeated (3 tries)."""
    for attempt in range(3):
        with open(log, "w") as out:
            rc = subprocess.run([CHROOT, "run", *args], stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL).returncode
        with open(log, errors="replace") as f:
            text = f.read()
        if rc != 0 or re.search(done, text, re.M):
            return rc, text
        print(f"  {os.path.basename(log)}: output cut short, running again", file=sys.stderr)
    return 1, text + "\nllamacpp-peer: error: no final statistics in 3 runs\n"


def first(pattern, text, cast=str):
    m = re.search(pattern, text, re.M)
    return tuple(cast(g) for g in m.groups()) if m else None


def llama_error(text):
    errs = [l for l in text.splitlines() if re.search(r"\bE\b|error|failed", l)]
    return (errs[-1] if errs else text.strip().splitlines()[-1:] or ["(no output)"])[0].strip()


def file_type(meta, tensors):
    ft = meta.get("general.file_type")
    if isinstance(ft, int):
        return LLAMA_FTYPES.get(ft, f"ftype {ft}")
    kinds = {t for _, t in tensors}
    return f"{kinds.pop()} (no general.file_type)" if len(kinds) == 1 else "? (no general.file_type)"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("gguf", nargs="+", help="GGUF files (the base among them or via --base)")
    ap.add_argument("--base", help="the reference model for KL divergence (default: the all-F32 input)")
    ap.add_argument("--text", help="text to score (default: the Gospel of Luke, KJV)")
    ap.add_argument("--ctx", type=int, default=256, help="tokens per chunk (default 256)")
    ap.add_argument("--threads", type=int, help="llama.cpp threads (-t; default: its own)")
    ap.add_argument("--f32-kv", action="store_true", help="F32 KV cache, no flash attention")
    ap.add_argument("--quantc", metavar="MODEL", help="add quant-run's perplexity of MODEL")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"), help="quantc build dir (for --quantc)")
    ap.add_argument("--keep", metavar="DIR", help="keep the logs and the base .kld in DIR")
    a = ap.parse_args()
    if a.ctx < 8:
        ap.error(f"--ctx {a.ctx}: at least 8 tokens")
    if a.threads is not None and a.threads < 1:
        ap.error(f"--threads {a.threads}: at least 1")

    files = [os.path.abspath(p) for p in a.gguf]
    if a.base:
        base = os.path.abspath(a.base)
        if base not in files:
            files.insert(0, base)
    models, skipped = {}, []
    try:
        for p in files:
            meta, tensors = read_gguf_header(p)
            if not meta.get("general.architecture"):
                skipped.append((p, "no general.architecture: not a model"
                                   + (" (an importance matrix)" if any(k.startswith("imatrix.") for k in meta) else "")))
            else:
                models[p] = (meta, tensors)
        if not a.base:
            f32 = [p for p, (_, t) in models.items() if t and all(ty == "F32" for _, ty in t)]
            if len(f32) != 1:
                raise BadInput(f"{len(f32)} inputs have only F32 tensors"
                               f"{': ' + ', '.join(map(os.path.basename, f32)) if f32 else ''}; "
                               "name the reference model with --base")
            base = f32[0]
        elif base not in models:
            raise BadInput(f"--base {base}: not a model GGUF")
        if a.text and not os.path.isfile(a.text):
            raise BadInput(f"--text {a.text}: no such file")
        if a.quantc and not os.path.exists(a.quantc):
            raise BadInput(f"--quantc {a.quantc}: no such file")
    except BadInput as e:
        sys.exit(f"llamacpp-peer: {e}")

    setup = subprocess.run([CHROOT, "setup"], capture_output=True, text=True)
    if setup.returncode != 0:
        sys.exit(f"llamacpp-peer: {CHROOT} setup failed:\n{setup.stderr}{setup.stdout}")
    version = first(r"^version: (.+)$", setup.stdout)
    pkg = first(r"^llama\.cpp-tools (\S+)$", setup.stdout)

    work = a.keep or tempfile.mkdtemp(prefix="llamacpp-peer-")
    os.makedirs(work, exist_ok=True)
    if a.text:
        text_path, text_name = os.path.abspath(a.text), a.text
    else:
        text_path, text_name = os.path.join(work, "luke.txt"), "KJV Luke 1:1-24:53 (held out)"
        with open(text_path, "w") as f:
            f.write(luke_text())
    kld = os.path.join(work, "base.kld")
    common = ["-c", str(a.ctx)]
    if a.threads:
        common += ["-t", str(a.threads)]
    if a.f32_kv:
        common += ["-ctk", "f32", "-ctv", "f32", "-fa", "off"]

    rows, failed = [], False
    t0 = time.time()
    order = [base] + [p for p in models if p != base]
    for p in order:
        name = os.path.basename(p)
        log = os.path.join(work, name + ".log")
        if p == base:
            rc, out = llama(["llama-perplexity", "-m", p, "-f", text_path,
                             "--kl-divergence-base", kld, *common], log, r"^.*Final estimate: PPL")
        else:
            rc, out = llama(["llama-perplexity", "-m", p, "--kl-divergence-base", kld,
                             "--kl-divergence", *common], log, r"^Same top p:")
        meta, tensors = models[p]
        row = {"file": name, "type": file_type(meta, tensors),
               "kib": f"{os.path.getsize(p) / 1024:.0f}", "tensors": type_summary(tensors)}
        if rc != 0:
            row["error"] = llama_error(out)
            failed = True
            if p == base:
                rows.append(row)
                break
        elif p == base:
            ppl = first(r"Final estimate: PPL = ([\d.]+) \+/- ([\d.]+)", out)
            chunks = first(r"calculating perplexity over (\d+) chunks", out)
            row.update(ppl=ppl, kld=("0", "0"), top="100")
            row["chunks"] = chunks[0] if chunks else "?"
        else:
            row.update(ppl=first(r"^Mean PPL\(Q\)\s*:\s*([\d.]+) ±\s*([\d.]+)", out),
                       kld=first(r"^Mean\s+KLD:\s*([\d.]+) ±\s*([\d.]+)", out),
                       top=(first(r"^Same top p:\s*([\d.]+) ±", out) or ("?",))[0])
        rows.append(row)
        print(f"  {name}: {time.time() - t0:.0f} s", file=sys.stderr)

    quantc_row = None
    if a.quantc and rows and "error" not in rows[0]:
        qrun = os.path.join(a.build, "bin", "quant-run")
        r = subprocess.run([qrun, a.quantc, "--perplexity", text_path, "--ctx", str(a.ctx)],
                           capture_output=True, text=True)
        got = first(r"Final estimate: PPL = ([\d.]+) \+/- ([\d.]+)", r.stdout + r.stderr)
        quantc_row = got or ("failed: " + (r.stderr.strip().splitlines() or ["?"])[-1],)
        if not got:
            failed = True

    chunks = rows[0].get("chunks", "?") if rows else "?"
    kv = "F32 KV cache, no flash attention" if a.f32_kv else "llama.cpp defaults (F16 KV cache)"
    print(f"llama.cpp {version[0] if version else '?'} (Debian sid llama.cpp-tools "
          f"{pkg[0] if pkg else '?'}), llama-perplexity -c {a.ctx}, {kv}")
    print(f"text: {text_name}, {os.path.getsize(text_path)} bytes, {chunks} chunks; "
          f"KL divergence against {os.path.basename(base)}")
    print()
    print("| file | type | KiB | tensors | PPL | mean KLD | same top |")
    print("|---|---|---:|---|---:|---:|---:|")
    for r in rows:
        if "error" in r:
            print(f"| {r['file']} | {r['type']} | {r['kib']} | {r['tensors']} | failed: {r['error']} | | |")
            continue
        ppl = f"{float(r['ppl'][0]):.4f} ± {float(r['ppl'][1]):.4f}" if r.get("ppl") else "?"
        kl = f"{float(r['kld'][0]):.5f} ± {float(r['kld'][1]):.5f}" if r.get("kld") else "?"
        top = f"{float(r['top']):.2f} %" if r.get("top") not in (None, "?") else "?"
        if r["file"] == os.path.basename(base):
            kl, top = "(base)", "(base)"
        print(f"| {r['file']} | {r['type']} | {r['kib']} | {r['tensors']} | {ppl} | {kl} | {top} |")
    if quantc_row:
        ppl = (f"{float(quantc_row[0]):.4f} ± {float(quantc_row[1]):.4f}"
               if len(quantc_row) == 2 else quantc_row[0])
        print(f"| quant-run {os.path.basename(a.quantc)} | (quantc, F32) | | | {ppl} | | |")
    for p, why in skipped:
        print(f"\nskipped {os.path.basename(p)}: {why}")
    if not a.keep:
        import shutil
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
