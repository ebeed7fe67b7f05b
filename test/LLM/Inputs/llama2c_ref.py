#!/usr/bin/env python3
"""An independent NumPy reference for llama2.c checkpoints and tokenizers.

Written from the llama2.c format and run.c's forward pass (float32, one
token at a time, a KV cache), for the lit tests of quant-run's text
generation. Subcommands:

  encode TOK TEXT...                 token ids of each TEXT (BOS first), one line each
  generate CKPT TOK PROMPT N [--logits OUT.npy]
                                     greedy tokens, printed as quant-run --print-tokens does
  step CKPT DIR TOKEN...             .npy inputs of one step graph (S tokens at
                                     position 0, empty caches) and ref_logits.npy
  compare A.npy B.npy TOL            max |a - b| <= TOL (relative to max |b|)
  truncate SRC DST NBYTES            first NBYTES of SRC
  header SRC DST i=v ...             SRC with header int32 number i set to v
"""
import struct
import sys

import numpy as np


def read_checkpoint(path):
    raw = open(path, "rb").read()
    dim, hidden, n_layers, n_heads, n_kv, vocab, seq_len = struct.unpack("<7i", raw[:28])
    shared = vocab > 0
    vocab = abs(vocab)
    data = np.frombuffer(raw, dtype="<f4", offset=28)
    hs = dim // n_heads
    kv_dim = n_kv * hs
    off = 0

    def take(*shape):
        nonlocal off
        n = int(np.prod(shape))
        t = data[off:off + n].reshape(shape)
        off += n
        return t

    w = {}
    w["emb"] = take(vocab, dim)
    w["rms_att"] = take(n_layers, dim)
    w["wq"] = take(n_layers, dim, dim)
    w["wk"] = take(n_layers, kv_dim, dim)
    w["wv"] = take(n_layers, kv_dim, dim)
    w["wo"] = take(n_layers, dim, dim)
    w["rms_ffn"] = take(n_layers, dim)
    w["w1"] = take(n_layers, hidden, dim)
    w["w2"] = take(n_layers, dim, hidden)
    w["w3"] = take(n_layers, hidden, dim)
    w["rms_final"] = take(dim)
    take(seq_len * hs // 2)
    take(seq_len * hs // 2)
    w["cls"] = w["emb"] if shared else take(vocab, dim)
    cfg = dict(dim=dim, hidden=hidden, n_layers=n_layers, n_heads=n_heads,
               n_kv=n_kv, vocab=vocab, seq_len=seq_len, hs=hs, kv_dim=kv_dim)
    return cfg, w


def rmsnorm(x, g):
    ss = np.float32(np.mean(x.astype(np.float32) ** 2) + np.float32(1e-5))
    return (g * (x * np.float32(1.0 / np.sqrt(ss)))).astype(np.float32)


class Model:
    def __init__(self, path):
        self.cfg, self.w = read_checkpoint(path)
        c = self.cfg
        self.kc = np.zeros((c["n_layers"], c["seq_len"], c["kv_dim"]), np.float32)
        self.vc = np.zeros_like(self.kc)

    def rope(self, v, pos, n):
        hs = self.cfg["hs"]
        out = v.copy()
        for i in range(0, n, 2):
            freq = np.float32(1.0) / np.float32(10000.0) ** np.float32((i % hs) / hs)
            val = np.float32(pos) * freq
            fcr, fci = np.float32(np.cos(val)), np.float32(np.sin(val))
            a, b = v[i], v[i + 1]
            out[i] = a * fcr - b * fci
            out[i + 1] = a * fci + b * fcr
        return out

    def forward(self, token, pos):
        c, w = self.cfg, self.w
        hs, kvmul = c["hs"], c["n_heads"] // c["n_kv"]
        x = w["emb"][token].copy()
        for l in range(c["n_layers"]):
            xb = rmsnorm(x, w["rms_att"][l])
            q = w["wq"][l] @ xb
            k = w["wk"][l] @ xb
            v = w["wv"][l] @ xb
            q = self.rope(q, pos, c["dim"])
            k = self.rope(k, pos, c["kv_dim"])
            self.kc[l, pos] = k
            self.vc[l, pos] = v
            att_out = np.zeros(c["dim"], np.float32)
            for h in range(c["n_heads"]):
                qh = q[h * hs:(h + 1) * hs]
                kvh = h // kvmul
                keys = self.kc[l, :pos + 1, kvh * hs:(kvh + 1) * hs]
                vals = self.vc[l, :pos + 1, kvh * hs:(kvh + 1) * hs]
                s = (keys @ qh) / np.float32(np.sqrt(hs))
                s = np.exp(s - s.max())
                s = s / s.sum()
                att_out[h * hs:(h + 1) * hs] = s @ vals
            x = x + w["wo"][l] @ att_out
            xb = rmsnorm(x, w["rms_ffn"][l])
            h1 = w["w1"][l] @ xb
            h3 = w["w3"][l] @ xb
            h1 = h1 * (np.float32(1.0) / (np.float32(1.0) + np.exp(-h1)))
            x = x + w["w2"][l] @ (h1 * h3)
        x = rmsnorm(x, w["rms_final"])
        return (w["cls"] @ x).astype(np.float32)


def read_tokenizer(path):
    raw = open(path, "rb").read()
    (max_len,) = struct.unpack_from("<i", raw, 0)
    off = 4
    pieces, scores = [], []
    while off < len(raw):
        score, n = struct.unpack_from("<fi", raw, off)
        off += 8
        pieces.append(raw[off:off + n])
        scores.append(score)
        off += n
    return pieces, scores


def encode(tok, text):
    pieces, scores = tok
    index = {}
    for i, p in enumerate(pieces):
        index.setdefault(p, i)
    data = text.encode("utf-8")
    ids = []
    if data:
        ids.append(index[b" "])
    # Split into UTF-8 characters (a lead byte plus up to 3 continuations).
    i = 0
    while i < len(data):
        j = i + 1
        while j < len(data) and j - i < 4 and (data[j] & 0xC0) == 0x80:
            j += 1
        ch = data[i:j]
        if ch in index:
            ids.append(index[ch])
        else:
            ids.extend(index[b"<0x%02X>" % b] for b in ch)
        i = j
    while True:
        best = None
        for k in range(len(ids) - 1):
            m = pieces[ids[k]] + pieces[ids[k + 1]]
            if m in index:
                cand = index[m]
                if best is None or scores[cand] > scores[best[0]]:
                    best = (cand, k)
        if best is None:
            break
        ids[best[1]:best[1] + 2] = [best[0]]
    return [1] + ids


def main(argv):
    cmd = argv[1]
    if cmd == "encode":
        tok = read_tokenizer(argv[2])
        for text in argv[3:]:
            print(" ".join(str(t) for t in encode(tok, text)))
    elif cmd == "generate":
        model = Model(argv[2])
        tok = read_tokenizer(argv[3])
        prompt = encode(tok, argv[4])
        n = int(argv[5])
        logits_out = argv[7] if len(argv) > 7 and argv[6] == "--logits" else None
        for pos, t in enumerate(prompt):
            logits = model.forward(t, pos)
        if logits_out:
            np.save(logits_out, logits.reshape(1, -1))
        out = []
        pos = len(prompt)
        while len(out) < n:
            nxt = int(np.argmax(logits))
            if nxt in (1, 2):
                break
            out.append(nxt)
            if len(out) == n or pos >= model.cfg["seq_len"]:
                break
            logits = model.forward(nxt, pos)
            pos += 1
        print("prompt tokens: " + " ".join(map(str, prompt)))
        print("generated tokens: " + " ".join(map(str, out)))
    elif cmd == "step":
        import os
        model = Model(argv[2])
        c = model.cfg
        out = argv[3]
        toks = [int(t) for t in argv[4:]]
        s, smax = len(toks), c["seq_len"]
        os.makedirs(out, exist_ok=True)
        np.save(os.path.join(out, "tokens.npy"), np.array([toks], np.int64))
        np.save(os.path.join(out, "pos.npy"), np.array(0, np.int64))
        mask = np.full((1, 1, s, smax), -np.inf, np.float32)
        for i in range(s):
            mask[0, 0, i, :i + 1] = 0
        np.save(os.path.join(out, "mask.npy"), mask)
        cache = np.zeros((1, c["n_kv"], smax, c["hs"]), np.float32)
        np.save(os.path.join(out, "cache.npy"), cache)
        logits = np.stack([model.forward(t, p) for p, t in enumerate(toks)])
        np.save(os.path.join(out, "ref_logits.npy"), logits.reshape(1, s, -1))
    elif cmd == "compare":
        a, b, tol = np.load(argv[2]), np.load(argv[3]), float(argv[4])
        if a.shape != b.shape:
            sys.exit("shape %s != %s" % (a.shape, b.shape))
        err = float(np.max(np.abs(a.astype(np.float64) - b)))
        rel = err / max(float(np.max(np.abs(b))), 1e-30)
        print("max abs diff %.3g (relative %.3g)" % (err, rel))
        if not rel <= tol:
            sys.exit("logits differ: relative %.3g > %g" % (rel, tol))
    elif cmd == "perplexity":
        # llama-perplexity's scoring: chunks of ctx tokens with BOS first,
        # each from an empty cache, the second half scored.
        model = Model(argv[2])
        tok = read_tokenizer(argv[3])
        ids = encode(tok, open(argv[4], encoding="utf-8").read())
        ctx = int(argv[5])
        nll, count = 0.0, 0
        for c in range(len(ids) // ctx):
            chunk = ids[c * ctx:(c + 1) * ctx]
            chunk[0] = 1
            model.kc[:] = 0
            model.vc[:] = 0
            for pos in range(ctx - 1):
                logits = model.forward(chunk[pos], pos).astype(np.float64)
                if pos >= ctx // 2:
                    m = logits.max()
                    lse = m + np.log(np.sum(np.exp(logits - m)))
                    nll += lse - logits[chunk[pos + 1]]
                    count += 1
        print("PPL = %.4f" % np.exp(nll / count))
    elif cmd == "truncate":
        open(argv[3], "wb").write(open(argv[2], "rb").read()[:int(argv[4])])
    elif cmd == "header":
        raw = bytearray(open(argv[2], "rb").read())
        for kv in argv[4:]:
            i, v = kv.split("=")
            struct.pack_into("<i", raw, 4 * int(i), int(v))
        open(argv[3], "wb").write(bytes(raw))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
