#!/usr/bin/env python3
"""Writes safetensors fixtures by hand (no safetensors package needed).

The format: an 8-byte little-endian header length, the JSON header
({name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__"?}),
then the data the offsets index.

  make_safetensors.py llama DIR [--sharded] [--drop NAME] [--reshape NAME]
                                [--kv-heads N] [--tie] [--dtype F16|BF16|F32]
      a tiny Llama model: DIR/config.json and DIR/model.safetensors (or two
      shards and model.safetensors.index.json)
  make_safetensors.py bad KIND FILE
      a malformed .safetensors file (KIND: see BAD below)
  make_safetensors.py index KIND DIR
      a sharded model whose index is wrong (KIND: missing-shard, two-shards)
"""

import argparse
import json
import os
import struct
import sys

import numpy as np

HIDDEN, INTER, LAYERS, HEADS, KV_HEADS, VOCAB = 16, 40, 2, 4, 2, 32


def raw(arr, dtype):
    arr = np.asarray(arr, dtype=np.float32)
    if dtype == "F32":
        return arr.astype("<f4").tobytes()
    if dtype == "F16":
        return arr.astype("<f2").tobytes()
    if dtype == "BF16":
        bits = arr.view(np.uint32).astype(np.uint64)
        # round to nearest even
        bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
        return bits.astype("<u2").tobytes()
    raise ValueError(dtype)


def header_bytes(header):
    h = json.dumps(header, separators=(",", ":")).encode()
    return h + b" " * (-len(h) % 8)


def write_file(path, tensors, metadata=None):
    """tensors: list of (name, dtype, shape, bytes)."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset = 0
    for name, dtype, shape, data in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    h = header_bytes(header)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for t in tensors:
            f.write(t[3])


def write_raw(path, header_text, data=b""):
    h = header_text.encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data)


def llama_tensors(kv_heads, tie):
    hd = HIDDEN // HEADS
    q, kv = HEADS * hd, kv_heads * hd
    out = [("model.embed_tokens.weight", [VOCAB, HIDDEN])]
    for i in range(LAYERS):
        p = "model.layers.%d." % i
        out += [(p + "input_layernorm.weight", [HIDDEN]),
                (p + "self_attn.q_proj.weight", [q, HIDDEN]),
                (p + "self_attn.k_proj.weight", [kv, HIDDEN]),
                (p + "self_attn.v_proj.weight", [kv, HIDDEN]),
                (p + "self_attn.o_proj.weight", [HIDDEN, q]),
                (p + "post_attention_layernorm.weight", [HIDDEN]),
                (p + "mlp.gate_proj.weight", [INTER, HIDDEN]),
                (p + "mlp.up_proj.weight", [INTER, HIDDEN]),
                (p + "mlp.down_proj.weight", [HIDDEN, INTER])]
    out.append(("model.norm.weight", [HIDDEN]))
    if not tie:
        out.append(("lm_head.weight", [VOCAB, HIDDEN]))
    return out


def config(kv_heads, tie, dtype):
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": HIDDEN,
        "intermediate_size": INTER,
        "num_hidden_layers": LAYERS,
        "num_attention_heads": HEADS,
        "num_key_value_heads": kv_heads,
        "vocab_size": VOCAB,
        "max_position_embeddings": 256,
        "rms_norm_eps": 1e-05,
        "rope_theta": 500000.0,
        "tie_word_embeddings": tie,
        "torch_dtype": {"F16": "float16", "BF16": "bfloat16",
                        "F32": "float32"}[dtype],
        "hidden_act": "silu",
    }


def make_llama(args):
    os.makedirs(args.dir, exist_ok=True)
    # The configuration may be invalid (--kv-heads 3); the weights then follow
    # a valid one.
    kv = args.kv_heads if HEADS % args.kv_heads == 0 else KV_HEADS
    rng = np.random.default_rng(0)
    tensors = []
    for name, shape in llama_tensors(kv, args.tie):
        if name == args.drop:
            continue
        if name == args.reshape:
            shape = shape[:-1] + [shape[-1] + 1]
        data = rng.standard_normal(shape).astype(np.float32) * 0.1
        tensors.append((name, args.dtype, shape, raw(data, args.dtype)))
    with open(os.path.join(args.dir, "config.json"), "w") as f:
        json.dump(config(args.kv_heads, args.tie, args.dtype), f, indent=2)
    if not args.sharded:
        write_file(os.path.join(args.dir, "model.safetensors"), tensors,
                   {"format": "pt"})
        return
    half = len(tensors) // 2
    shards = {"model-00001-of-00002.safetensors": tensors[:half],
              "model-00002-of-00002.safetensors": tensors[half:]}
    weight_map = {}
    for shard, ts in shards.items():
        write_file(os.path.join(args.dir, shard), ts, {"format": "pt"})
        for t in ts:
            weight_map[t[0]] = shard
    total = sum(len(t[3]) for t in tensors)
    with open(os.path.join(args.dir, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total},
                   "weight_map": weight_map}, f, indent=2)


def entry(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


BAD = {
    "truncated": lambda p: open(p, "wb").write(b"\x10\x00\x00"),
    "header-past-end": lambda p: open(p, "wb").write(
        struct.pack("<Q", 1000) + b"{}"),
    "header-too-long": lambda p: open(p, "wb").write(
        struct.pack("<Q", 1 << 40) + b"{}"),
    "bad-json": lambda p: write_raw(p, '{"w": {"dtype": "F32",'),
    "unknown-dtype": lambda p: write_raw(
        p, json.dumps({"w": entry("Q4_K", [2], 0, 8)}), b"\0" * 8),
    "size-mismatch": lambda p: write_raw(
        p, json.dumps({"w": entry("F16", [3], 0, 8)}), b"\0" * 8),
    "out-of-bounds": lambda p: write_raw(
        p, json.dumps({"w": entry("F32", [2], 8, 16)}), b"\0" * 8),
    "overlap": lambda p: write_raw(
        p, json.dumps({"a": entry("F32", [2], 0, 8),
                       "b": entry("F32", [2], 4, 12)}), b"\0" * 12),
    "absurd-shape": lambda p: write_raw(
        p, json.dumps({"w": entry("BF16", [1 << 40, 1 << 40], 0, 8)}),
        b"\0" * 8),
    "negative-dim": lambda p: write_raw(
        p, json.dumps({"w": entry("F32", [-2], 0, 8)}), b"\0" * 8),
}


def make_bad(args):
    BAD[args.kind](args.file)


def make_bad_index(args):
    os.makedirs(args.dir, exist_ok=True)
    one = [("a", "F32", [2], raw([1, 2], "F32"))]
    two = [("b", "F32", [1], raw([3], "F32"))]
    if args.kind == "two-shards":
        two.append(("a", "F32", [2], raw([1, 2], "F32")))
    write_file(os.path.join(args.dir, "s1.safetensors"), one)
    if args.kind != "missing-shard":
        write_file(os.path.join(args.dir, "s2.safetensors"), two)
    with open(os.path.join(args.dir, "model.safetensors.index.json"), "w") as f:
        json.dump({"weight_map": {"a": "s1.safetensors",
                                  "b": "s2.safetensors"}}, f)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("llama")
    p.add_argument("dir")
    p.add_argument("--sharded", action="store_true")
    p.add_argument("--drop", default="")
    p.add_argument("--reshape", default="")
    p.add_argument("--kv-heads", type=int, default=KV_HEADS)
    p.add_argument("--tie", action="store_true")
    p.add_argument("--dtype", default="F16", choices=["F16", "BF16", "F32"])
    p.set_defaults(fn=make_llama)
    p = sub.add_parser("bad")
    p.add_argument("kind", choices=sorted(BAD))
    p.add_argument("file")
    p.set_defaults(fn=make_bad)
    p = sub.add_parser("index")
    p.add_argument("kind", choices=["missing-shard", "two-shards"])
    p.add_argument("dir")
    p.set_defaults(fn=make_bad_index)
    args = ap.parse_args()
    args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
