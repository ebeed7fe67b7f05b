#!/usr/bin/python3
"""A synthetic Llama-shaped model with random f16 weights, as a Hugging Face
directory (config.json + model.safetensors + a made-up tokenizer.bin), for scale
benchmarks.

    make_synthetic_llama.py OUT_DIR [--hidden 2048] [--layers 22] [--ffn 5632]
        [--vocab 32000] [--heads 32] [--kv-heads 4] [--ctx 2048] [--seed 0]

The defaults are TinyLlama-1.1B's shapes (1.1 billion parameters, 2.2 GB of
f16). Weights are N(0, 0.02) (norms 1), generated and written one tensor at
a time so the script itself stays small in memory; the same seed gives the
same file.
"""
import argparse
import json
import os
import struct

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--hidden", type=int, default=2048)
    ap.add_argument("--layers", type=int, default=22)
    ap.add_argument("--ffn", type=int, default=5632)
    ap.add_argument("--vocab", type=int, default=32000)
    ap.add_argument("--heads", type=int, default=32)
    ap.add_argument("--kv-heads", type=int, default=4)
    ap.add_argument("--ctx", type=int, default=2048)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    h, f, v, hd = a.hidden, a.ffn, a.vocab, a.hidden // a.heads
    kv = a.kv_heads * hd
    shapes = {"model.embed_tokens.weight": (v, h), "model.norm.weight": (h,),
              "lm_head.weight": (v, h)}
    for i in range(a.layers):
        p = f"model.layers.{i}."
        shapes.update({
            p + "input_layernorm.weight": (h,), p + "post_attention_layernorm.weight": (h,),
            p + "self_attn.q_proj.weight": (h, h), p + "self_attn.k_proj.weight": (kv, h),
            p + "self_attn.v_proj.weight": (kv, h), p + "self_attn.o_proj.weight": (h, h),
            p + "mlp.gate_proj.weight": (f, h), p + "mlp.up_proj.weight": (f, h),
            p + "mlp.down_proj.weight": (h, f)})
    header, offset = {}, 0
    names = sorted(shapes)
    for n in names:
        size = 2 * int(np.prod(shapes[n]))
        header[n] = {"dtype": "F16", "shape": list(shapes[n]),
                     "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    os.makedirs(a.out, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    with open(os.path.join(a.out, "model.safetensors"), "wb") as out:
        out.write(struct.pack("<Q", len(text)) + text)
        for n in names:
            if n.endswith("norm.weight"):
                w = np.ones(shapes[n], np.float16)
            else:
                w = (rng.standard_normal(shapes[n], dtype=np.float32) * 0.02).astype(np.float16)
            out.write(w.tobytes())
    cfg = {"architectures": ["LlamaForCausalLM"], "model_type": "llama",
           "hidden_size": h, "intermediate_size": f, "num_hidden_layers": a.layers,
           "num_attention_heads": a.heads, "num_key_value_heads": a.kv_heads,
           "vocab_size": v, "max_position_embeddings": a.ctx, "rms_norm_eps": 1e-5,
           "rope_theta": 10000.0, "tie_word_embeddings": False, "hidden_act": "silu",
           "torch_dtype": "float16"}
    with open(os.path.join(a.out, "config.json"), "w") as fo:
        json.dump(cfg, fo, indent=2)
    # A tokenizer of the vocabulary's size in llama2.c's format: <unk>, <s>,
    # </s>, the 256 byte pieces, then made-up pieces.
    pieces = [b"<unk>", b"<s>", b"</s>"] + [b"<0x%02X>" % i for i in range(256)]
    pieces += [b" t%d" % i for i in range(v - len(pieces))]
    with open(os.path.join(a.out, "tokenizer.bin"), "wb") as fo:
        fo.write(struct.pack("<i", max(len(p) for p in pieces)))
        for i, p in enumerate(pieces):
            fo.write(struct.pack("<fi", -float(i), len(p)) + p)
    n_params = sum(int(np.prod(s)) for s in shapes.values())
    print(f"wrote {a.out}: {n_params / 1e9:.3f}B parameters, {offset / 1e9:.2f} GB of f16")


if __name__ == "__main__":
    main()
