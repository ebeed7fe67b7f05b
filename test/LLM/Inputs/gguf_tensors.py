#!/usr/bin/python3
"""Reads GGUF files on its own (independently of quantc's reader).

    gguf_tensors.py list FILE            metadata keys, then "name type shape"
    gguf_tensors.py same A B [NAMES...]  the tensors of A (or NAMES) have
                                         the same type, shape and bytes in B
    gguf_tensors.py key FILE KEY         prints one metadata value
    gguf_tensors.py same-blobs A.mlir B.mlir
                                         the block weights (resources named
                                         <weight>.<FORMAT>) of two qc graphs
                                         hold the same bytes
"""
import re
import struct
import sys

TYPES = {0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0",
         10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 20: "IQ4_NL", 30: "BF16"}
# (block size, bytes per block)
SIZES = {0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24),
         8: (32, 34), 10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176),
         14: (256, 210), 20: (32, 18), 30: (1, 2)}
SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?",
           10: "<Q", 11: "<q", 12: "<d"}


def read(path):
    data = open(path, "rb").read()
    if data[:4] != b"GGUF":
        sys.exit(path + ": not a GGUF file")
    off = 4
    version, n_tensors, n_kv = struct.unpack_from("<IQQ", data, off)
    off += 20

    def string():
        nonlocal off
        (n,) = struct.unpack_from("<Q", data, off)
        off += 8
        s = data[off:off + n].decode("utf-8")
        off += n
        return s

    def value(t):
        nonlocal off
        if t == 8:
            return string()
        if t == 9:
            (et, n) = struct.unpack_from("<IQ", data, off)
            off += 12
            return [value(et) for _ in range(n)]
        fmt = SCALARS[t]
        (v,) = struct.unpack_from(fmt, data, off)
        off += struct.calcsize(fmt)
        return v

    kv = {}
    for _ in range(n_kv):
        k = string()
        (t,) = struct.unpack_from("<I", data, off)
        off += 4
        kv[k] = value(t)
    tensors = []
    for _ in range(n_tensors):
        name = string()
        (nd,) = struct.unpack_from("<I", data, off)
        off += 4
        shape = list(struct.unpack_from("<%dQ" % nd, data, off))
        off += 8 * nd
        t, o = struct.unpack_from("<IQ", data, off)
        off += 12
        tensors.append((name, t, shape, o))
    align = kv.get("general.alignment", 32)
    base = (off + align - 1) // align * align
    out = {}
    for name, t, shape, o in tensors:
        n = 1
        for d in shape:
            n *= d
        bs, bb = SIZES[t]
        size = n // bs * bb
        out[name] = (TYPES.get(t, str(t)), shape, data[base + o:base + o + size])
    return kv, out


def main():
    cmd = sys.argv[1]
    if cmd == "list":
        kv, ts = read(sys.argv[2])
        for k in kv:
            print(k)
        for name, (t, shape, _) in ts.items():
            print(name, t, "x".join(map(str, shape)))
    elif cmd == "key":
        kv, _ = read(sys.argv[2])
        v = kv[sys.argv[3]]
        print(v if not isinstance(v, list) else " ".join(map(str, v[:8])))
    elif cmd == "same":
        _, a = read(sys.argv[2])
        _, b = read(sys.argv[3])
        names = sys.argv[4:] or list(a)
        bad = 0
        for n in names:
            if n not in a or n not in b:
                print("missing", n)
                bad += 1
            elif a[n] != b[n]:
                print("differs", n, a[n][0], a[n][1], b[n][0], b[n][1])
                bad += 1
        print("%d of %d tensors identical" % (len(names) - bad, len(names)))
        sys.exit(1 if bad else 0)
    elif cmd == "same-blobs":
        blob = re.compile(r'^\s*([\w.]+\.(?:Q\d_[01K]|Q\d_K|IQ4_NL|F16|BF16)): "0x[0-9A-Fa-f]{8}([0-9A-Fa-f]*)"', re.M)
        a = dict(blob.findall(open(sys.argv[2]).read()))
        b = dict(blob.findall(open(sys.argv[3]).read()))
        bad = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        for k in bad:
            print("differs" if k in a and k in b else "missing", k)
        print("%d of %d block weights identical" % (len(set(a) | set(b)) - len(bad), len(set(a) | set(b))))
        sys.exit(1 if bad or not a else 0)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
