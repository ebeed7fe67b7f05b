#!/usr/bin/python3
"""A small random Hugging Face Llama model, and its logits from PyTorch.

    hf_llama_ref.py make DIR TOKENIZER [--untied] [--dtype F32|F16|BF16] [--vocab N]
        Writes DIR/config.json, DIR/model.safetensors (random weights, N(0, 0.1))
        and copies TOKENIZER (llama2.c format, 512 tokens) to DIR/tokenizer.bin
        (TOKENIZER "-": none).
    hf_llama_ref.py spm TEXT DIR VOCAB
        Trains a SentencePiece BPE tokenizer (byte fallback) on TEXT and
        writes it as DIR/tokenizer.model, DIR/tokenizer.json and, in
        llama2.c's format, DIR/tokenizer.bin (the training script's code).
    hf_llama_ref.py encode MODEL TEXT...
        SentencePiece's own encoding of each TEXT, BOS first.
    hf_llama_ref.py logits DIR IDS OUT.npy
        The last position's logits for the token ids IDS ("1 403 407"), from
        the PyTorch model of python/fixtures/train_kjv_llama.py (rotate-half
        RoPE, grouped-query attention, SwiGLU) loaded with DIR's weights.
    hf_llama_ref.py compare A.npy B.npy TOL
"""
import json
import os
import shutil
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "python", "fixtures"))
import train_kjv_llama as kjv  # noqa: E402

CFG = {"architectures": ["LlamaForCausalLM"], "model_type": "llama",
       "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2,
       "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 512,
       "max_position_embeddings": 48, "rms_norm_eps": 1e-5, "rope_theta": 500.0,
       "tie_word_embeddings": True, "hidden_act": "silu"}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        raw = data[a:b]
        if info["dtype"] == "F32":
            v = np.frombuffer(raw, "<f4")
        elif info["dtype"] == "F16":
            v = np.frombuffer(raw, "<f2").astype(np.float32)
        elif info["dtype"] == "BF16":
            v = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            sys.exit("unexpected dtype " + info["dtype"])
        out[name] = v.reshape(info["shape"]).copy()
    return out


def make(out, tokenizer, untied, dtype, vocab):
    import torch
    torch.manual_seed(3)
    cfg = dict(CFG, tie_word_embeddings=not untied, vocab_size=vocab)
    model = kjv.build_model(torch, cfg)
    state = kjv.hf_state(model)
    with torch.no_grad():
        for t in state.values():
            t.normal_(0.0, 0.1)
        for n, t in state.items():
            if n.endswith("norm.weight"):
                t.uniform_(0.5, 1.5)
    if untied:
        state["lm_head.weight"] = torch.randn(cfg["vocab_size"], cfg["hidden_size"]) * 0.1
    os.makedirs(out, exist_ok=True)
    header, blobs, offset = {}, [], 0
    for name in sorted(state):
        a = state[name].detach().numpy().astype(np.float32)
        if dtype == "F16":
            raw = a.astype("<f2").tobytes()
        elif dtype == "BF16":
            raw = (a.view(np.uint32) >> 16).astype("<u2").tobytes()
        else:
            raw = a.astype("<f4").tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(os.path.join(out, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    if tokenizer != "-":
        shutil.copy(tokenizer, os.path.join(out, "tokenizer.bin"))


def spm_tokenizer(text, out, vocab):
    import sentencepiece as spm
    os.makedirs(out, exist_ok=True)
    prefix = os.path.join(out, "tokenizer")
    spm.SentencePieceTrainer.train(
        input=text, model_prefix=prefix, model_type="bpe", vocab_size=vocab,
        byte_fallback=True, character_coverage=1.0, num_threads=1,
        bos_id=1, eos_id=2, unk_id=0, pad_id=-1, minloglevel=2)
    os.remove(prefix + ".vocab")
    sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
    pieces = [sp.id_to_piece(i).replace("\u2581", " ").encode() for i in range(sp.get_piece_size())]
    with open(prefix + ".bin", "wb") as f:
        f.write(struct.pack("<i", max(len(p) for p in pieces)))
        for i, p in enumerate(pieces):
            f.write(struct.pack("<fi", sp.get_score(i), len(p)) + p)
    kjv.write_hf_tokenizer(prefix + ".model", prefix + ".json")


def logits(model_dir, ids, out):
    import torch
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    weights = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    model = kjv.build_model(torch, cfg)
    state = kjv.hf_state(model)
    with torch.no_grad():
        for n, t in state.items():
            t.copy_(torch.from_numpy(weights[n]))
        x = torch.tensor([[int(i) for i in ids.split()]])
        s = x.shape[1]
        # The training model's forward, with an untied classifier if any.
        t = torch.arange(s, dtype=torch.float32)
        freqs = torch.outer(t, model.inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        mask = torch.full((s, s), float("-inf")).triu(1)
        h = model.embed_tokens(x)
        for layer in model.layers:
            h = layer(h, cos, sin, mask)
        h = model.norm(h)
        w = (torch.from_numpy(weights["lm_head.weight"]) if "lm_head.weight" in weights
             else model.embed_tokens.weight)
        np.save(out, (h @ w.T)[0, -1:].numpy().astype(np.float32))


def compare(a, b, tol):
    x, y = np.load(a).reshape(-1), np.load(b).reshape(-1)
    err = float(np.max(np.abs(x - y)))
    if x.shape != y.shape or not err <= tol:
        sys.exit(f"max |a - b| = {err} > {tol} (shapes {x.shape}, {y.shape})")
    print(f"max |a - b| = {err:.3g} <= {tol}")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "make":
        dtype = sys.argv[sys.argv.index("--dtype") + 1] if "--dtype" in sys.argv else "F32"
        vocab = int(sys.argv[sys.argv.index("--vocab") + 1]) if "--vocab" in sys.argv else 512
        make(sys.argv[2], sys.argv[3], "--untied" in sys.argv, dtype, vocab)
    elif cmd == "spm":
        spm_tokenizer(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif cmd == "encode":
        import sentencepiece as spm
        sp = spm.SentencePieceProcessor(model_file=sys.argv[2])
        for t in sys.argv[3:]:
            print(" ".join(map(str, [1] + sp.encode(t))))
    elif cmd == "logits":
        logits(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "compare":
        compare(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    else:
        sys.exit(__doc__)
