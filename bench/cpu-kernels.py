#!/usr/bin/python3
"""CPU kernels and models of quantc's compiled artifacts beside ONNX Runtime,
one Markdown table per section, every peer measured in the same run.

    /usr/bin/python3 bench/cpu-kernels.py [--build-dir build] [--repeat 20]
        [--threads 1,2] [--quick] [--only SECTION] [--smoke] [--work DIR]

Sections (--only NAME runs one):

  aarch64   executed AArch64 instructions per multiply-accumulate of the int8
            GEMM kernels and per weight of the 4-bit block-32 matvec kernel
            (qemu-aarch64 + the TCG plugin of bench/tools, on the static
            program examples/embed/build.sh builds), and llvm-mca
            (neoverse-v2) of the hot inner loop of each tiles function
  x86       host timing of the int8 GEMM artifact (quant-run --time) against
            ONNX Runtime MatMulInteger u8 x s8, and of the 4-bit block-32
            matvec/matmul (w4a8-dynamic) against ONNX Runtime MatMulNBits
            (bench/peers/ort_bench)
  models    Fashion-MNIST CNN and PP-OCRv4 det: quantc float and W8A8
            artifacts against ONNX Runtime on the float model (and on a QDQ
            model from ONNX Runtime's quantizer when its chroot is cached)
  compile   wall time and peak memory of every quant-compile of this run

Standard output carries only the tables; progress goes to standard error.
Exit status: 0 on success, 1 when a step fails, 2 when a tool or input is
missing, 77 in --smoke mode when qemu-aarch64 or ONNX Runtime is not there
(the ctest is then reported as skipped).
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = "/usr/bin/python3"
SECTIONS = ("aarch64", "x86", "models", "compile")
CACHE = os.environ.get("QC_CACHE", os.path.expanduser("~/.cache/quantc"))
ORT_LIB_DIR = os.path.join(
    CACHE, "npm/onnxruntime-node-1.30.0/node_modules/onnxruntime-node/bin/napi-v6/linux/x64")
OCR_DET = os.path.join(CACHE, "npm/ocr-models-1.4.2/package/assets/ch_PP-OCRv4_det_infer.onnx")
CHROOT = os.environ.get("QC_CHROOT", os.path.join(CACHE, "trixie-chroot"))

# The assumed peak of an Apple M3 performance core: 4 SDOT (128-bit, 16 int8
# multiply-accumulates each) issued per cycle.
M3_SDOT_PER_CYCLE = 4
MACS_PER_SDOT = 16

# The 4-bit block-32 matvec target (executed instructions per weight) and
# llama.cpp's counts for its Q4_0 x Q8_0 kernels, as references.
Q4_TARGET = 0.30
Q4_LLAMA_REPACKED = 0.31
Q4_LLAMA_PLAIN = 0.60


class Missing(Exception):
    """A tool or an input the run needs is not there (exit 2)."""


class Failed(Exception):
    """A step ran and failed (exit 1)."""


def log(msg):
    print(f"cpu-kernels: {msg}", file=sys.stderr, flush=True)


def run(cmd, what=None, env=None, cwd=None):
    """Runs cmd; raises Failed with its output when it exits non-zero."""
    cmd = [str(c) for c in cmd]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd)
    except FileNotFoundError as e:
        raise Missing(f"cannot run {cmd[0]}: {e}") from e
    if res.returncode != 0:
        tail = "\n".join((res.stdout + res.stderr).strip().splitlines()[-25:])
        raise Failed(f"{what or os.path.basename(cmd[0])} failed (exit {res.returncode}):\n"
                     f"  $ {' '.join(cmd)}\n{tail}")
    return res


def which(*names):
    for n in names:
        p = shutil.which(n)
        if p:
            return p
    return None


def need(what, *names, hint=""):
    p = which(*names)
    if not p:
        raise Missing(f"{what} not found (looked for {', '.join(names)})" + (f"; {hint}" if hint else ""))
    return p


def fmt(v, digits=3):
    if v is None:
        return "–"
    if abs(v) >= 100:
        return f"{v:.1f}"
    if abs(v) >= 10:
        return f"{v:.2f}"
    return f"{v:.{digits}f}"


def table(title, header, rows, notes=()):
    print(f"### {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for r in rows:
        print("| " + " | ".join(str(c) for c in r) + " |")
    for n in notes:
        print(f"\n{n}")
    print(flush=True)


def ratio(a, b):
    """a / b to two decimals; "–" when b rounds to nothing (tiny --smoke shapes)."""
    return fmt(a / b, 2) if b > 0 else "–"


def median(xs):
    return statistics.median(xs)


def parse_mlir_weight(path, k, n):
    """The int8 weight [N, K] of a make_kernel_models.py GEMM (its dense_resource blob)."""
    import numpy as np
    with open(path) as f:
        text = f.read()
    m = re.search(r'\bw: "0x([0-9a-fA-F]+)"', text)
    if not m:
        raise Failed(f"{path}: no weight blob 'w'")
    raw = bytes.fromhex(m.group(1))[4:]  # 4-byte alignment header first
    return np.frombuffer(raw, dtype=np.int8).reshape(n, k)


class Bench:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build_dir)
        self.work = os.path.abspath(args.work or os.path.join(self.build, "bench", "cpu-kernels"
                                                               + ("-smoke" if args.smoke else "")))
        os.makedirs(self.work, exist_ok=True)
        self.qc = os.path.join(self.build, "bin", "quant-compile")
        self.qrun = os.path.join(self.build, "bin", "quant-run")
        for tool in (self.qc, self.qrun):
            if not os.access(tool, os.X_OK):
                raise Missing(f"{tool} not found: build it (ninja -C {self.build} quant-compile quant-run)"
                              " or pass --build-dir")
        self.time_v = "/usr/bin/time"
        if not os.access(self.time_v, os.X_OK):
            raise Missing("/usr/bin/time not found (Debian package 'time')")
        self.repeat = args.repeat
        # Untimed runs before the timed ones, the same for quantc and ORT.
        self.warmup = 1 if args.smoke else 3
        self.procs = args.processes
        self.threads = args.threads
        self.compiles = []       # rows of the compile section
        self.artifacts = {}      # key -> artifact dir
        self.ort_bench = None
        self.ort_lib = None
        self.embeds = {}

    # --- tools ---------------------------------------------------------------
    def need_ort(self):
        if self.ort_lib:
            return
        lib = os.environ.get("QC_ORT_LIB")
        if not lib:
            for cand in ("libonnxruntime.so.1", "libonnxruntime.so"):
                if os.path.exists(os.path.join(ORT_LIB_DIR, cand)):
                    lib = os.path.join(ORT_LIB_DIR, cand)
                    break
        if not lib or not os.path.exists(lib):
            raise Missing("libonnxruntime.so not found: run scripts/fixtures/fetch-npm-models.sh "
                          "(caches onnxruntime-node 1.30.0) or set QC_ORT_LIB")
        cc = need("clang-22 (builds ort_bench)", os.environ.get("CC") or "clang-22")
        out = os.path.join(self.work, "ort_bench")
        log("building ort_bench")
        run(["bash", os.path.join(ROOT, "bench/peers/build.sh"), out], "bench/peers/build.sh",
            env=dict(os.environ, CC=cc))
        self.ort_lib, self.ort_bench = lib, out

    def need_aarch64_tools(self):
        need("qemu-aarch64", os.environ.get("QEMU_AARCH64") or "qemu-aarch64",
             hint="apt-get install qemu-user")
        need("aarch64 cross compiler", "aarch64-linux-gnu-gcc",
             hint="apt-get install gcc-aarch64-linux-gnu g++-aarch64-linux-gnu")
        need("aarch64 C++ cross compiler", "aarch64-linux-gnu-g++",
             hint="apt-get install g++-aarch64-linux-gnu")
        need("cmake", "cmake")
        need("a host C compiler (qemu plugin)", "gcc", "clang-22", "cc")
        need("taskset", "taskset")
        self.nm = need("llvm-nm", "llvm-nm-22", "/usr/lib/llvm-22/bin/llvm-nm", "llvm-nm")
        self.objdump = need("llvm-objdump", "llvm-objdump-22", "/usr/lib/llvm-22/bin/llvm-objdump",
                            "llvm-objdump")
        need("llvm-mca", "llvm-mca-22", "/usr/lib/llvm-22/bin/llvm-mca", "llvm-mca")

    def preflight(self, sections):
        """Every tool and input the chosen sections need, before any work."""
        if "aarch64" in sections:
            self.need_aarch64_tools()
        if "x86" in sections or "models" in sections:
            self.need_ort()
        if "models" in sections or ("compile" in sections and len(sections) == 1 and not self.args.smoke):
            if not os.path.exists(OCR_DET):
                raise Missing(f"{OCR_DET} not found: run scripts/fixtures/fetch-npm-models.sh")

    # --- compiling -----------------------------------------------------------
    def compile(self, key, label, src, extra, section):
        """quant-compile SRC EXTRA --target host,aarch64 under /usr/bin/time -v."""
        if key in self.artifacts:
            return self.artifacts[key]
        out = os.path.join(self.work, "artifacts", key + ".qc")
        os.makedirs(os.path.dirname(out), exist_ok=True)
        tfile = os.path.join(self.work, "artifacts", key + ".time.txt")
        cmd = [self.time_v, "-v", "-o", tfile, self.qc, src, *extra,
               "--target", "host,aarch64", "-o", out]
        log(f"compiling {label}")
        run(cmd, f"quant-compile ({label})")
        with open(tfile) as f:
            tv = f.read()
        m_wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([0-9:.]+)", tv)
        m_rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", tv)
        m_cpu = re.search(r"Percent of CPU this job got: (\d+)%", tv)
        if not (m_wall and m_rss):
            raise Failed(f"cannot read /usr/bin/time -v output {tfile}")
        wall = 0.0
        for part in m_wall.group(1).split(":"):
            wall = wall * 60 + float(part)
        size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(out) for f in fs)
        self.compiles.append({
            "label": label, "section": section,
            "cmd": "quant-compile " + " ".join(
                [os.path.basename(src)] + [os.path.relpath(a, self.work) if a.startswith(self.work + os.sep)
                                           else a for a in extra]),
            "wall": wall, "rss_mb": int(m_rss.group(1)) / 1024.0,
            "cpu": m_cpu.group(1) + "%" if m_cpu else "–", "size_mb": size / 1e6})
        self.artifacts[key] = out
        return out

    def gemm_sources(self, shapes):
        d = os.path.join(self.work, "kernel-models")
        spec = []
        for (m, k, n) in shapes:
            spec += ["--gemm", f"{m}x{k}x{n}"]
        run([PY, os.path.join(ROOT, "bench/cpu/make_kernel_models.py"), "--out-dir", d, *spec],
            "bench/cpu/make_kernel_models.py")
        return {s: os.path.join(d, f"gemm_s8_i32_M{s[0]}_K{s[1]}_N{s[2]}.mlir") for s in shapes}

    def gemm_artifact(self, shape, section):
        m, k, n = shape
        src = self.gemm_sources([shape])[shape]
        key = f"gemm_s8_i32_M{m}_K{k}_N{n}"
        return src, self.compile(key, f"gemm_s8_i32 {m}x{k}x{n}", src, [], section)

    def gemm_input(self, shape):
        import numpy as np
        m, k, _ = shape
        path = os.path.join(self.work, "inputs", f"x_s8_{m}x{k}.npy")
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            rng = np.random.default_rng(1)
            np.save(path, rng.integers(-128, 128, size=(m, k), dtype=np.int8))
        return path

    def check_gemm(self, src, shape, x_path, y_path, who):
        """y == (x - 3) @ W^T exactly (zero point 3 of the model's input)."""
        import numpy as np
        m, k, n = shape
        w = parse_mlir_weight(src, k, n).astype(np.float64)
        x = np.load(x_path).astype(np.float64)
        ref = ((x - 3.0) @ w.T).astype(np.int64)
        y = np.load(y_path)
        if y.shape != (m, n) or not np.array_equal(y.astype(np.int64), ref):
            bad = int(np.count_nonzero(y.astype(np.int64) != ref)) if y.shape == (m, n) else -1
            raise Failed(f"{who}: the GEMM output differs from numpy ({bad} of {m * n} elements)")

    # --- the 4-bit block-32 kernel (w4a8-dynamic) ------------------------------
    def qmm_artifact(self, shape, section):
        m, k, n = shape
        d = os.path.join(self.work, "kernel-models")
        run([PY, os.path.join(ROOT, "bench/cpu/make_kernel_models.py"), "--out-dir", d,
             "--qmm", f"{m}x{k}x{n}:4:32"], "bench/cpu/make_kernel_models.py")
        src = os.path.join(d, f"qmm_q4_b32_M{m}_K{k}_N{n}.mlir")
        key = f"qmm_q4_b32_M{m}_K{k}_N{n}"
        return src, self.compile(key, f"qmm_q4_b32 {m}x{k}x{n}", src, [], section)

    def qmm_input(self, shape):
        import numpy as np
        m, k, _ = shape
        path = os.path.join(self.work, "inputs", f"x_f32_{m}x{k}.npy")
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            np.save(path, np.random.default_rng(2).standard_normal((m, k)).astype(np.float32))
        return path

    def check_qmm(self, src, x_path, y_path, who):
        """y equals, bit for bit, numpy's f32 evaluation of the dynamic block
        form: x quantized per row and block of 32 (s = f32(max|x| / 127),
        round half to even), then y = bias, y += f32(acc_b) * f32(s_x * s_w)
        block by block."""
        import numpy as np
        ref = np.load(src[:-len(".mlir")] + ".npz")
        w, sw = ref["w"].astype(np.int64), ref["scales"]
        x = np.load(x_path)
        m, k = x.shape
        n, nb = sw.shape
        blocks = x.reshape(m, nb, 32)
        amax = np.abs(blocks).max(axis=2).astype(np.float64)
        sx = (amax / 127.0).astype(np.float32)
        sx[~(sx >= np.finfo(np.float32).tiny)] = np.float32(1.0)
        xq = np.clip(np.rint(blocks / sx[:, :, None]), -127, 127).astype(np.int64)
        y = np.zeros((m, n), np.float32)
        if ref["bias"].size:
            y += ref["bias"][None, :]
        wb = w.reshape(n, nb, 32)
        for b in range(nb):
            acc = (xq[:, b, :] @ wb[:, b, :].T).astype(np.float32)
            s = (sx[:, b][:, None].astype(np.float64) * sw[:, b][None, :].astype(np.float64)).astype(np.float32)
            y = (y + (acc * s).astype(np.float32)).astype(np.float32)
        out = np.load(y_path)
        if out.shape != y.shape or not np.array_equal(out, y):
            bad = int(np.count_nonzero(out != y)) if out.shape == y.shape else -1
            raise Failed(f"{who}: the 4-bit matmul output differs from numpy ({bad} of {m * n} elements)")

    # --- timing --------------------------------------------------------------
    def qc_time(self, artifact, inputs, threads, isa=None):
        """quant-run --time --warmup W --repeat R: the median run of one
        process (after the same warm-up runs as ort_bench), median over
        --processes processes."""
        vals, variants = [], set()
        for _ in range(self.procs):
            cmd = [self.qrun, artifact, "--time", "--repeat", self.repeat,
                   "--warmup", self.warmup, "--num-threads", threads]
            for name, path in inputs.items():
                cmd += ["--input", f"{name}={path}"]
            if isa:
                cmd += ["--isa", isa]
            err = run(cmd, "quant-run").stderr
            m = re.search(r"load: [0-9.]+ s, run: [0-9.]+ s \((\d+) runs, ([0-9.]+) ms each, "
                          r"variant (\S+)\)", err)
            med = re.search(r"run times: median ([0-9.]+) ms, min [0-9.]+ ms over (\d+) runs", err)
            if not m or not med or int(med.group(2)) != self.repeat:
                raise Failed(f"quant-run printed no timing line for {self.repeat} runs:\n{err}")
            vals.append(float(med.group(1)))
            variants.add(m.group(3))
        if len(variants) != 1:
            raise Failed(f"quant-run picked different variants: {sorted(variants)}")
        return median(vals), variants.pop()

    def ort_time(self, model, threads, inputs=None, random=False, shapes=None):
        self.need_ort()
        cmd = [self.ort_bench, model, "--lib", self.ort_lib, "--threads", threads,
               "--warmup", self.warmup, "--repeat", self.repeat]
        for name, path in (inputs or {}).items():
            cmd += ["--input", f"{name}={path}"]
        if random:
            cmd += ["--random"]
        for name, dims in (shapes or {}).items():
            cmd += ["--shape", f"{name}={dims}"]
        out = run(cmd, "ort_bench").stdout
        m = re.search(r"^ort model=\S+ threads=(\d+) median_ms=([0-9.]+) min_ms=([0-9.]+)$", out, re.M)
        if not m or int(m.group(1)) != threads:
            raise Failed(f"ort_bench printed no result line:\n{out}")
        return float(m.group(2))

    # --- section 1: aarch64 --------------------------------------------------
    def embed_program(self, key, artifact):
        if key not in self.embeds:
            log(f"cross-building examples/embed for {key} (aarch64, static)")
            out = run(["bash", os.path.join(ROOT, "examples/embed/build.sh"), artifact,
                       os.path.join(self.work, "embed", key), "aarch64"],
                      "examples/embed/build.sh").stdout.strip().splitlines()
            if not out or not os.path.isfile(out[-1]):
                raise Failed("examples/embed/build.sh printed no program path")
            self.embeds[key] = out[-1]
        return self.embeds[key]

    def symbols(self, prog):
        """{name: [(addr, size)]} of the program's sized symbols."""
        syms = {}
        for line in run([self.nm, "--print-size", "--defined-only", prog], "llvm-nm").stdout.splitlines():
            f = line.split()
            if len(f) == 4:
                syms.setdefault(f[3], []).append((int(f[0], 16), int(f[1], 16)))
        return syms

    def disasm(self, prog, func):
        """[(addr, mnemonic, operands)] of one function."""
        res = run([self.objdump, "-d", "--no-show-raw-insn", f"--disassemble-symbols={func}", prog],
                  "llvm-objdump")
        insns = []
        for line in res.stdout.splitlines():
            m = re.match(r"^\s*([0-9a-f]+):\s+(\S+)\s*(.*)$", line)
            if m:
                insns.append((int(m.group(1), 16), m.group(2), m.group(3)))
        return insns

    @staticmethod
    def macs_of(mn, ops):
        """int8 multiply-accumulates one AArch64 SIMD instruction performs."""
        dest = re.match(r"\s*v\d+\.(\d+)([bhsd])", ops)
        if not dest:
            return 0
        lanes = int(dest.group(1))
        if mn in ("sdot", "udot", "usdot", "sudot"):
            return lanes * 4
        if mn in ("smmla", "ummla", "usmmla"):
            return 32
        if re.fullmatch(r"(s|u)(mull|mlal|mlsl)2?|mul|mla|mls", mn):
            return lanes
        return 0

    def loops(self, prog, func, insns):
        """Innermost loops of func with their MACs per iteration (static)."""
        out = run(["bash", os.path.join(ROOT, "bench/tools/mca.sh"), "--list", prog, func], "mca.sh --list")
        found = []
        for line in out.stdout.splitlines():
            f = line.split()
            if len(f) == 4 and f[3] == "yes":
                lo, hi = int(f[0], 16), int(f[1], 16)
                body = [i for i in insns if lo <= i[0] <= hi]
                macs = sum(self.macs_of(mn, ops) for _, mn, ops in body)
                if macs:
                    found.append({"lo": lo, "hi": hi, "insns": len(body), "macs": macs,
                                  "dots": sum(1 for _, mn, _ in body if mn in ("sdot", "udot", "usdot", "sudot", "smmla", "ummla", "usmmla"))})
        return found

    def count(self, prog, artifact, x_path, variant, cpu, isa, macs, hot_loops, out_dir,
              prefix="qc_gemm_s8", model_fn=None):
        """Executed instructions per MAC inside the kernel functions whose names
        start with `prefix` (one thread); with model_fn, also inside that
        function (the model code around the kernels)."""
        syms = self.symbols(prog)
        ranges, kinds = [], {}
        if model_fn:
            for addr, size in syms.get(model_fn, []):
                ranges += ["-r", f"model@{addr:x}:0x{addr:x}-0x{addr + size:x}"]
                kinds[f"model@{addr:x}"] = "model"
        for name, defs in syms.items():
            if not name.startswith(prefix):
                continue
            for addr, size in defs:
                if size == 0:
                    continue
                rname = f"{name}@{addr:x}"
                ranges += ["-r", f"{rname}:0x{addr:x}-0x{addr + size:x}"]
                if re.match(rf"{prefix}_{variant}_tiles", name):
                    kinds[rname] = "tiles"
                elif re.match(rf"{prefix}_{variant}_pack", name):
                    kinds[rname] = "pack"
                else:
                    kinds[rname] = "other"
        if "tiles" not in kinds.values():
            raise Failed(f"no {prefix}_{variant}_tiles* symbol in {prog}")
        for lp in hot_loops:
            rname = f"loop@{lp['lo']:x}-{lp['hi']:x}"
            ranges += ["-r", f"{rname}:0x{lp['lo']:x}-0x{lp['hi'] + 4:x}"]
            kinds[rname] = "loop"
        shutil.rmtree(out_dir, ignore_errors=True)
        os.makedirs(os.path.dirname(out_dir), exist_ok=True)  # embed makes only the last level
        cmd = ["taskset", "-c", "0", "bash", os.path.join(ROOT, "bench/tools/insn-count/count.sh"),
               "-c", cpu, *ranges, prog, artifact, x_path, "-o", out_dir]
        if isa:
            cmd += ["--isa", isa]
        env = dict(os.environ, QC_BUILD_DIR=self.work)
        res = run(cmd, f"count.sh ({variant})", env=env)
        m = re.search(r"variant: (\S+), threads: (\d+)", res.stderr)
        if not m:
            raise Failed(f"the embed program printed no variant line:\n{res.stderr}")
        if m.group(1) != variant:
            raise Failed(f"qemu -cpu {cpu} {'--isa ' + isa if isa else ''} ran variant {m.group(1)}, "
                         f"expected {variant}")
        if m.group(2) != "1":
            raise Failed(f"the embed program ran {m.group(2)} threads under taskset -c 0; "
                         "counts of concurrent threads may be lost")
        counts = {}
        for line in res.stdout.splitlines():
            mm = re.match(r"^(\S+) insns=(\d+)", line)
            if mm:
                counts[mm.group(1)] = int(mm.group(2))
        if "total" not in counts:
            raise Failed(f"count.sh printed no total:\n{res.stdout}")
        agg = {"total": counts["total"], "tiles": 0, "pack": 0, "all": 0, "model": 0, "loops": {},
               "npack": sum(1 for v in kinds.values() if v == "pack")}
        for rname, kind in kinds.items():
            if rname not in counts:
                raise Failed(f"count.sh printed no count for {rname}")
            if kind == "loop":
                lo, hi = (int(v, 16) for v in rname.split("@")[1].split("-"))
                agg["loops"][(lo, hi)] = counts[rname]
                continue
            if kind == "model":
                agg["model"] += counts[rname]
                continue
            agg["all"] += counts[rname]
            if kind in ("tiles", "pack"):
                agg[kind] += counts[rname]
        if agg["tiles"] == 0:
            raise Failed(f"{prefix}_{variant}_tiles executed no instruction")
        agg["per"] = {k: agg[k] / macs for k in ("tiles", "pack", "all", "total", "model")}
        return agg

    def mca(self, prog, func, loop):
        res = run(["bash", os.path.join(ROOT, "bench/tools/mca.sh"), "--loop", f"0x{loop['hi']:x}",
                   prog, func], "mca.sh")
        m = re.search(r"^mca func=\S+ loop=(\S+) insns_per_iter=(\d+) cycles_per_iter=([0-9.]+) "
                      r"block_rthroughput=([0-9.]+) ipc=([0-9.]+) uops_per_iter=([0-9.]+) cpu=(\S+)",
                      res.stdout, re.M)
        if not m:
            raise Failed(f"mca.sh printed no result line:\n{res.stdout}")
        return {"loop": m.group(1), "insns": int(m.group(2)), "cycles": float(m.group(3)),
                "rthroughput": float(m.group(4)), "ipc": float(m.group(5)), "cpu": m.group(7)}

    def section_aarch64(self):
        self.need_aarch64_tools()
        shape = self.args.gemm_shape
        m, k, n = shape
        macs = m * k * n
        src, art = self.gemm_artifact(shape, "aarch64")
        x = self.gemm_input(shape)
        prog = self.embed_program(f"gemm_M{m}_K{k}_N{n}", art)
        # (variant, qemu -cpu, --isa)
        runs = [("dotprod", "max", "dotprod"), ("i8mm", "max", None), ("base", "cortex-a72", "base")]
        results, mcas = {}, {}
        for variant, cpu, isa in runs:
            func = next((s for s in sorted(self.symbols(prog))
                         if re.match(rf"qc_gemm_s8_{variant}_tiles", s)), None)
            if not func:
                raise Failed(f"no qc_gemm_s8_{variant}_tiles* function in {prog}")
            insns = self.disasm(prog, func)
            loops = self.loops(prog, func, insns)
            if not loops:
                raise Failed(f"{func}: no innermost loop with multiply instructions")
            skip = self.args.quick and variant == "base"
            agg = None
            if not skip:
                log(f"qemu: counting {variant} (-cpu {cpu}{', --isa ' + isa if isa else ''})")
                agg = self.count(prog, art, x, variant, cpu, isa, macs, loops,
                                 os.path.join(self.work, "qemu-out", variant))
                self.check_gemm(src, shape, x, os.path.join(self.work, "qemu-out", variant, "y.npy"),
                                f"aarch64 {variant} under qemu")
                # The hot loop: the innermost multiply loop that executed the most.
                hot = max(loops, key=lambda lp: (agg["loops"][(lp["lo"], lp["hi"])], lp["macs"], -lp["lo"]))
                how = "most executed"
            else:
                hot = max(loops, key=lambda lp: (lp["macs"], lp["insns"], -lp["lo"]))
                how = "most MACs (not counted: --quick)"
            results[variant] = (func, cpu, isa, agg, skip)
            log(f"llvm-mca: {func} loop 0x{hot['lo']:x}-0x{hot['hi']:x}")
            mcas[variant] = (func, hot, how, self.mca(prog, func, hot),
                             agg["loops"][(hot["lo"], hot["hi"])] / agg["tiles"] if agg else None)

        # The 4-bit block-32 matrix-vector product (w4a8-dynamic, M = 1).
        qshape = self.args.qmm_shape
        qm, qk, qn = qshape
        weights = qk * qn
        qsrc, qart = self.qmm_artifact(qshape, "aarch64")
        qx = self.qmm_input(qshape)
        qprog = self.embed_program(f"qmm_M{qm}_K{qk}_N{qn}", qart)
        with open(os.path.join(qart, "manifest.json")) as f:
            import json
            qname = json.load(f)["name"]
        prefix = "qc_qmm_q4_b32"
        qresults = {}
        for variant, cpu, isa in runs:
            func = next((s for s in sorted(self.symbols(qprog))
                         if re.match(rf"{prefix}_{variant}_tiles", s)), None)
            if not func:
                raise Failed(f"no {prefix}_{variant}_tiles* function in {qprog}")
            insns = self.disasm(qprog, func)
            loops = self.loops(qprog, func, insns)
            if not loops:
                raise Failed(f"{func}: no innermost loop with multiply instructions")
            skip = self.args.quick and variant == "base"
            agg = None
            if not skip:
                log(f"qemu: counting the 4-bit matvec, {variant}")
                out = os.path.join(self.work, "qemu-out", "qmm-" + variant)
                agg = self.count(qprog, qart, qx, variant, cpu, isa, weights, loops, out,
                                 prefix=prefix, model_fn=f"{qname}_run_{variant}")
                self.check_qmm(qsrc, qx, os.path.join(out, "y.npy"), f"aarch64 {variant} under qemu")
                hot = max(loops, key=lambda lp: (agg["loops"][(lp["lo"], lp["hi"])], lp["macs"], -lp["lo"]))
                how = "most executed"
            else:
                hot = max(loops, key=lambda lp: (lp["macs"], lp["insns"], -lp["lo"]))
                how = "most MACs (not counted: --quick)"
            qresults[variant] = (func, cpu, isa, agg, skip)
            log(f"llvm-mca: {func} loop 0x{hot['lo']:x}-0x{hot['hi']:x}")
            mcas["q4 " + variant] = (func, hot, how, self.mca(qprog, func, hot),
                                     agg["loops"][(hot["lo"], hot["hi"])] / agg["tiles"] if agg else None)

        rows = []
        for variant, (func, cpu, isa, agg, skip) in results.items():
            target = "≤ 0.10 (sdot)" if variant in ("dotprod", "i8mm") else "–"
            run_how = f"`-cpu {cpu}`" + (f" `--isa {isa}`" if isa else " (default)")
            if skip:
                rows.append([f"int8 GEMM {m}x{k}x{n}", variant, run_how, func] +
                            ["skipped (--quick)"] * 5 + [target, "–"])
                continue
            p = agg["per"]
            pack = fmt(p["pack"], 4) if agg["npack"] else "no `_pack` symbol"
            met = "–" if target == "–" else ("yes" if p["tiles"] <= 0.10 else "NO")
            rows.append([f"int8 GEMM {m}x{k}x{n}", variant, run_how, func, fmt(p["tiles"], 4), pack,
                         fmt(p["tiles"] + p["pack"], 4), fmt(p["all"], 4), fmt(p["total"], 4),
                         target, met])
        for variant, (func, cpu, isa, agg, skip) in qresults.items():
            target = (f"≤ {Q4_TARGET:.2f} (llama.cpp: {Q4_LLAMA_REPACKED:.2f} repacked, "
                      f"{Q4_LLAMA_PLAIN:.2f} plain)") if variant in ("dotprod", "i8mm") else "–"
            run_how = f"`-cpu {cpu}`" + (f" `--isa {isa}`" if isa else " (default)")
            label = f"4-bit b32 matvec {qk}x{qn} (per weight)"
            if skip:
                rows.append([label, variant, run_how, func] + ["skipped (--quick)"] * 5 + [target, "–"])
                continue
            p = agg["per"]
            met = "–" if target == "–" else ("yes" if p["tiles"] <= Q4_TARGET else "NO")
            rows.append([label, variant, run_how, func, fmt(p["tiles"], 4), fmt(p["model"], 4),
                         fmt(p["tiles"] + p["model"], 4), fmt(p["all"], 4), fmt(p["total"], 4),
                         target, met])
        table(f"AArch64 executed instructions per multiply-accumulate (qemu-aarch64 TCG plugin, "
              f"int8 GEMM M={m}, K={k}, N={n}, {macs} MACs; 4-bit matvec {qk}x{qn})",
              ["kernel", "variant", "qemu", "function", "tiles", "pack", "tiles+pack",
               "all kernel functions", "whole program", "target", "met"], rows,
              notes=["Instructions executed inside each function's `[address, address + size)` "
                     "divided by M·K·N, one run of the `gemm_s8_i32` artifact through "
                     "`examples/embed` (static AArch64, `taskset -c 0`: one runtime thread). "
                     "*all kernel functions* adds the GEMM driver and task functions of the variant; "
                     "*whole program* is every instruction of the process (loading and the SHA-256 "
                     "check of weights.bin included). Every output was checked against numpy. "
                     f"The 4-bit rows divide by the K·N = {weights} weights of a `w4a8-dynamic` "
                     "linear layer (M = 1, blocks of 32, bench/cpu/make_kernel_models.py --qmm): "
                     "*tiles* is `qc_qmm_q4_b32_<variant>_tiles`, *pack* is the model function "
                     "around it (the activation quantized per block of 32, once per product), *all* "
                     "adds the kernel's driver and task functions; their outputs equal numpy's f32 "
                     "evaluation bit for bit. llama.cpp's counts beside the target are references "
                     "from its Q4_0 x Q8_0 kernels, not measured here."])

        rows = []
        for variant, (func, hot, how, r, share) in mcas.items():
            rows.append([func, f"{r['loop']} ({how})", r["insns"], fmt(r["cycles"], 2),
                         fmt(r["rthroughput"], 2), fmt(r["ipc"], 2), hot["macs"],
                         f"{hot['dots']}" if hot["dots"] else "0 (smull)",
                         fmt(r["insns"] / hot["macs"], 4), fmt(hot["macs"] / r["cycles"], 1),
                         f"{100 * share:.1f}%" if share is not None else "not counted"])

        roof = M3_SDOT_PER_CYCLE * MACS_PER_SDOT
        rows.append(["Apple M3 P-core roofline (assumed, not measured)",
                     f"{M3_SDOT_PER_CYCLE} x 128-bit SDOT per cycle", "–", fmt(256 / roof, 2), "–", "–",
                     256, 16, "–", f"**{roof}**", "–"])
        table(f"llvm-mca of the hot inner loop ({mcas['dotprod'][3]['cpu']})",
              ["function", "loop", "instr/iter", "cycles/iter", "block rthroughput", "IPC",
               "MACs/iter", "sdot/smmla per iter", "instr/MAC", "MAC/cycle", "share of tiles instructions"],
              rows,
              notes=["instr/iter, cycles/iter, block rthroughput and IPC are what `bench/tools/mca.sh "
                     "--loop` reports. MACs/iter is counted from the loop's multiply instructions "
                     "(sdot 16, smmla 32, smull/smull2 on .8h 8); the dotprod loop is a tile of 4 rows "
                     "x 16 columns x 4 (k) = 256 MACs; a `q4` loop is one block of 32 weights of a "
                     "16-row tile (512 MACs, 32 sdot). MAC/cycle = MACs/iter / cycles/iter. The loop is the "
                     "innermost one with multiplies that executed the most under qemu (the last column: "
                     "its share of the tiles function's executed instructions); mca.sh's own default "
                     "(the innermost loop with the most instructions) can land on loop bookkeeping.",
                     f"Roofline row (an assumption, not a measurement): an Apple M3 P-core issuing "
                     f"{M3_SDOT_PER_CYCLE} x 128-bit SDOT per cycle, each {MACS_PER_SDOT} int8 MACs "
                     f"(4 int32 lanes x 4 bytes), is {M3_SDOT_PER_CYCLE} x {MACS_PER_SDOT} = {roof} "
                     f"MAC/cycle; 256 MACs are one dotprod iteration (16 sdot), which takes "
                     f"{256 // roof} cycles at that rate. Neoverse-V2, the llvm-mca model, also has "
                     f"4 x 128-bit SIMD pipes, so MAC/cycle / {roof} is the loop's share of either peak."])

    # --- section 2: x86 ------------------------------------------------------
    def section_x86(self):
        self.need_ort()
        rows = []
        models = os.path.join(self.work, "ort-models")
        for shape in self.args.x86_shapes:
            m, k, n = shape
            src, art = self.gemm_artifact(shape, "x86")
            x = self.gemm_input(shape)
            out = os.path.join(self.work, "x86-out", f"M{m}")
            run([self.qrun, art, "--input", f"x={x}", "--output-dir", out], "quant-run")
            self.check_gemm(src, shape, x, os.path.join(out, "y.npy"), f"quant-run {m}x{k}x{n}")
            onnx = run([PY, os.path.join(ROOT, "bench/peers/make_models.py"), "--out", models,
                        "--m", m, "--k", k, "--n", n, "--kinds", "matmulinteger"],
                       "bench/peers/make_models.py").stdout.split()
            onnx = [p for p in onnx if os.path.basename(p) == f"matmulinteger_M{m}_K{k}_N{n}.onnx"]
            if not onnx:
                raise Failed("make_models.py wrote no matmulinteger_M*_K*_N*.onnx")
            for t in self.threads:
                log(f"timing {m}x{k}x{n} at {t} thread(s)")
                ort = self.ort_time(onnx[0], t, random=True)
                for isa in (None, "base"):
                    ms, variant = self.qc_time(art, {"x": x}, t, isa)
                    rows.append([f"{m}x{k}x{n}", t, variant + (" (`--isa base`)" if isa else ""),
                                 fmt(ms), fmt(ort), ratio(ort, ms)])
        table("x86-64: int8 GEMM, quantc artifact vs ONNX Runtime MatMulInteger",
              ["M×K×N", "threads", "quantc variant", "quantc ms", "ORT 1.30 ms (u8×s8)", "ORT / quantc"],
              rows,
              notes=[f"quantc: `quant-run gemm_s8_i32_M*.qc --time --warmup {self.warmup} --repeat "
                     f"{self.repeat}` on a random int8 input (zero point 3, int32 output): the median "
                     f"of the timed runs of one process, and of that over {self.procs} process(es). Its time is the whole runtime call: qcrt_run plus "
                     f"quant-run allocating the output tensor on every run. Outputs were checked "
                     f"against numpy. ORT: `bench/peers/ort_bench` on MatMulInteger (A uint8 with "
                     f"a_zero_point 128, B int8), `--random`, median of {self.repeat} runs after "
                     f"{self.warmup} warm-up runs. Ratio > 1: quantc is faster."])

        rows = []
        for shape in self.args.x86_qmm_shapes:
            m, k, n = shape
            src, art = self.qmm_artifact(shape, "x86")
            x = self.qmm_input(shape)
            out = os.path.join(self.work, "x86-out", f"qmm-M{m}")
            run([self.qrun, art, "--input", f"x={x}", "--output-dir", out], "quant-run")
            self.check_qmm(src, x, os.path.join(out, "y.npy"), f"quant-run 4-bit {m}x{k}x{n}")
            onnx = run([PY, os.path.join(ROOT, "bench/peers/make_models.py"), "--out", models,
                        "--m", m, "--k", k, "--n", n, "--kinds", "matmulnbits", "--block-size", 32,
                        "--accuracy-levels", "0,4"],
                       "bench/peers/make_models.py").stdout.split()
            peers = {}
            for level, suffix in ((0, ""), (4, "_acc4")):
                want = f"matmulnbits_M{m}_K{k}_N{n}_b32{suffix}.onnx"
                found = [p for p in onnx if os.path.basename(p) == want]
                if not found:
                    raise Failed(f"make_models.py wrote no {want}")
                peers[level] = found[0]
            for t in self.threads:
                log(f"timing 4-bit {m}x{k}x{n} at {t} thread(s)")
                ort = {level: self.ort_time(path, t, random=True) for level, path in peers.items()}
                for isa in (None, "base"):
                    ms, variant = self.qc_time(art, {"x": x}, t, isa)
                    rows.append([f"{m}x{k}x{n}", t, variant + (" (`--isa base`)" if isa else ""),
                                 fmt(ms), fmt(ort[0]), fmt(ort[4]), ratio(ort[0], ms),
                                 ratio(ort[4], ms)])
        table("x86-64: 4-bit block-32 matvec/matmul, quantc `w4a8-dynamic` artifact vs ONNX Runtime "
              "MatMulNBits",
              ["M×K×N", "threads", "quantc variant", "quantc ms", "ORT ms (fp32 compute)",
               "ORT ms (accuracy_level 4: int8 compute)", "ORT fp32 / quantc", "ORT int8 / quantc"],
              rows,
              notes=["quantc: a linear layer with 4-bit symmetric weights in blocks of 32 along K "
                     "(a scale per block) and the f32 input quantized to int8 per row and block "
                     "at run time (Q4_0 x Q8_0), `quant-run qmm_q4_b32_M*.qc --time`, timed as "
                     "the int8 GEMM above; outputs equal numpy's f32 evaluation bit for bit. "
                     "ORT: MatMulNBits (com.microsoft, bits 4, block_size 32, symmetric: no zero "
                     "points) at accuracy_level 0 (weights dequantized, f32 GEMM) and 4 (its int8 "
                     "kernels, activations quantized per block), random input. Ratio > 1: quantc "
                     "is faster."])

    # --- section 3: models ---------------------------------------------------
    def fixtures(self):
        d = os.path.join(self.work, "data")
        fm = os.path.join(d, "fashion")
        if not os.path.exists(os.path.join(fm, "input.npy")):
            run([PY, os.path.join(ROOT, "python/fixtures/fashion_mnist_npy.py"), "--out-dir", fm,
                 "--count", 1000], "fashion_mnist_npy.py (needs Debian's dataset-fashion-mnist)")
        if not os.path.exists(os.path.join(fm, "calib", "input.npy")):
            run([PY, os.path.join(ROOT, "python/fixtures/fashion_mnist_npy.py"), "--out-dir",
                 os.path.join(fm, "calib"), "--split", "train", "--count", 256],
                "fashion_mnist_npy.py --split train")
        ocr = os.path.join(d, "ocr")
        if not os.path.exists(os.path.join(ocr, "page.npy")):
            run([PY, os.path.join(ROOT, "python/fixtures/ocr_images.py"), "--size", "480x640",
                 "--out-dir", ocr], "ocr_images.py (needs opencv-doc, python3-skimage, python3-pil)")
        # One directory per use, holding only the files meant for it.
        dirs = {"fm_eval": [os.path.join(fm, "input.npy")],
                "fm_calib": [os.path.join(fm, "calib", "input.npy")],
                "ocr_calib": [os.path.join(ocr, "board.npy"), os.path.join(ocr, "messi5.npy")],
                "ocr_eval": [os.path.join(ocr, "page.npy")]}
        out = {}
        for name, files in dirs.items():
            dd = os.path.join(d, name)
            os.makedirs(dd, exist_ok=True)
            for f in files:
                if not os.path.exists(f):
                    raise Missing(f"fixture {f} was not written")
                dst = os.path.join(dd, os.path.basename(f))
                if not os.path.exists(dst):
                    shutil.copyfile(f, dst)
            out[name] = dd
        out["fm_input"] = os.path.join(fm, "input.npy")
        out["fm_calib_file"] = os.path.join(fm, "calib", "input.npy")
        out["ocr_page"] = os.path.join(ocr, "page.npy")
        return out

    def model_specs(self, fx):
        if not os.path.exists(OCR_DET):
            raise Missing(f"{OCR_DET} not found: run scripts/fixtures/fetch-npm-models.sh")
        fashion = os.path.join(ROOT, "models", "fashion_cnn.onnx")
        return [
            {"key": "fashion", "label": "Fashion-MNIST CNN", "onnx": fashion, "input": "input",
             "file": fx["fm_input"], "desc": "batch 1000 (1000x1x28x28)",
             "shape": ["--input-shape", "input=1000x1x28x28"],
             "calib": ["--calib", fx["fm_calib_file"]], "calib_dir": fx["fm_calib"],
             "eval_dir": fx["fm_eval"]},
            {"key": "ppocr_det", "label": "PP-OCRv4 det", "onnx": OCR_DET, "input": "x",
             "file": fx["ocr_page"], "desc": "page, 1x3x480x640",
             "shape": ["--input-shape", "x=1x3x480x640"],
             "calib": ["--calib", fx["ocr_calib"]], "calib_dir": fx["ocr_calib"],
             "eval_dir": fx["ocr_eval"]},
        ]

    def model_artifacts(self, spec, section):
        fl = self.compile(f"{spec['key']}_float", f"{spec['label']} float", spec["onnx"],
                          ["--scheme", "float", *spec["shape"]], section)
        q = self.compile(f"{spec['key']}_w8a8", f"{spec['label']} W8A8", spec["onnx"],
                         ["--scheme", "w8a8", *spec["calib"], *spec["shape"]], section)
        return fl, q

    def qdq_model(self, spec):
        """ONNX Runtime's quantize_static (QDQ, MinMax) through bench/ort_quantize.py in the
        cached trixie chroot; None and a reason when it cannot run here."""
        if not (os.path.exists(os.path.join(CHROOT, ".qc-bootstrap-done"))
                and os.path.exists(os.path.join(CHROOT, ".qc-packages"))):
            return None, f"not run (no cached chroot at {CHROOT}; scripts/bench/ort-chroot.sh setup makes one)"
        if os.geteuid() != 0:
            return None, "not run (the chroot needs root)"
        out = os.path.join(self.work, "qdq", spec["key"])
        shutil.rmtree(out, ignore_errors=True)
        binds = []
        for d in (ROOT, self.work, os.path.dirname(os.path.abspath(spec["onnx"]))):
            d = os.path.realpath(d)
            if not any(d == b or d.startswith(b + os.sep) for b in binds):
                binds.append(d)
        cmd = ["bash", os.path.join(ROOT, "scripts/bench/ort-chroot.sh"), "run"]
        for b in binds:
            cmd += ["--bind", b]
        cmd += ["--", "/usr/bin/python3", os.path.join(ROOT, "bench/ort_quantize.py"),
                "--model", os.path.abspath(spec["onnx"]), "--calib-dir", spec["calib_dir"],
                "--eval-dir", spec["eval_dir"], "--out-dir", out, "--methods", "MinMax"]
        log(f"ORT quantize_static (QDQ, MinMax) of {spec['label']} in the trixie chroot")
        run(cmd, "bench/ort_quantize.py in the trixie chroot")
        q = os.path.join(out, "minmax", "q.onnx")
        if not os.path.exists(q):
            raise Failed(f"bench/ort_quantize.py wrote no {q} (see {out}/report.json)")
        return q, "quantize_static MinMax, QDQ, per-channel (ORT 1.21 in the trixie chroot)"

    def section_models(self):
        self.need_ort()
        fx = self.fixtures()
        rows, notes = [], []
        for spec in self.model_specs(fx):
            fl, q = self.model_artifacts(spec, "models")
            qdq, qdq_note = self.qdq_model(spec)
            notes.append(f"{spec['label']} ORT QDQ: {qdq_note}.")
            inp = {spec["input"]: spec["file"]}
            for t in self.threads:
                log(f"timing {spec['label']} at {t} thread(s)")
                ms_f, v_f = self.qc_time(fl, inp, t)
                ms_q, v_q = self.qc_time(q, inp, t)
                ort_f = self.ort_time(spec["onnx"], t, inputs=inp)
                ort_q = self.ort_time(qdq, t, inputs=inp) if qdq else None
                rows.append([spec["label"], spec["desc"], t, f"{fmt(ms_f)} ({v_f})", f"{fmt(ms_q)} ({v_q})",
                             fmt(ort_f), fmt(ort_q) if qdq else "not run",
                             fmt(ort_f / ms_f, 3), fmt(ort_f / ms_q, 3),
                             fmt(ort_q / ms_q, 3) if qdq else "–"])
        table("Models on x86-64: quantc artifacts vs ONNX Runtime",
              ["model", "input", "threads", "quantc float ms (variant)", "quantc W8A8 ms (variant)",
               "ORT float ms", "ORT QDQ W8A8 ms", "ORT float / quantc float", "ORT float / quantc W8A8",
               "ORT QDQ / quantc W8A8"],
              rows,
              notes=[f"quantc: `quant-run MODEL.qc --time --warmup {self.warmup} --repeat "
                     f"{self.repeat} --num-threads T` (median run, median over {self.procs} "
                     f"process(es); the whole runtime call). Artifacts: `--scheme float` and `--scheme w8a8` (Fashion: "
                     f"`--calib` on train[0:256]; PP-OCRv4 det: `--calib` on board and messi5, 480x640). "
                     f"ORT 1.30 (npm onnxruntime-node) through `bench/peers/ort_bench --input`, median of "
                     f"{self.repeat} runs after {self.warmup} warm-up runs, on the float ONNX model and, where "
                     f"available, the QDQ model of ORT's own quantizer. Ratio > 1: quantc is faster.",
                     *notes])

    # --- section 4: compile ---------------------------------------------------
    def section_compile(self, only):
        if only:
            # Compile what the other sections would, without running anything.
            for shape in ([self.args.gemm_shape] + list(self.args.x86_shapes)):
                self.gemm_artifact(shape, "compile")
            if not self.args.smoke:
                for spec in self.model_specs(self.fixtures()):
                    self.model_artifacts(spec, "compile")
        rows = [[c["label"], f"`{c['cmd']}`", fmt(c["wall"], 2), f"{c['rss_mb']:.0f}", c["cpu"],
                 fmt(c["size_mb"], 2)] for c in self.compiles]
        table("quant-compile: wall time and peak memory (targets host,aarch64)",
              ["artifact", "command (`--target host,aarch64 -o X.qc` added)", "wall s",
               "max RSS MB", "CPU", "artifact MB"],
              rows,
              notes=["`/usr/bin/time -v`: *Elapsed (wall clock) time* and *Maximum resident set size* "
                     "(MB = 1024 KiB); one compile per artifact, in the order this run made them; paths "
                     "are relative to the work directory. "
                     "W8A8 compiles include calibration (running the float model on the calibration "
                     "data)."])


def parse_shape(s):
    try:
        m, k, n = (int(v) for v in s.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected MxKxN, not {s!r}")
    return (m, k, n)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n", 2)[2])
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"),
                    help="build tree with bin/quant-compile and bin/quant-run (default: build)")
    ap.add_argument("--work", help="work directory (default BUILD/bench/cpu-kernels)")
    ap.add_argument("--repeat", type=int, help="timed runs per measurement (default 20; --quick 5)")
    ap.add_argument("--processes", type=int,
                    help="quant-run processes per measurement, median taken (default 3; --quick 1)")
    ap.add_argument("--threads", default="1,2", help="thread counts (default 1,2)")
    ap.add_argument("--quick", action="store_true",
                    help="fewer repeats, one quant-run process, no qemu count of the base variant")
    ap.add_argument("--only", choices=SECTIONS, help="run one section")
    ap.add_argument("--smoke", action="store_true",
                    help="tiny shapes, 1 repeat, no models (the ctest bench-cpu-kernels)")
    args = ap.parse_args()

    if args.smoke:
        args.quick = False
        args.repeat = args.repeat or 1
        args.processes = args.processes or 1
        args.gemm_shape = (8, 128, 64)
        args.x86_shapes = [(8, 128, 64), (1, 128, 64)]
        args.qmm_shape = (1, 256, 128)
        args.x86_qmm_shapes = [(3, 256, 128)]
        if args.only == "models":
            ap.error("--smoke has no models section")
    else:
        args.repeat = args.repeat or (5 if args.quick else 20)
        args.processes = args.processes or (1 if args.quick else 3)
        args.gemm_shape = (128, 4096, 4096)
        args.x86_shapes = [(128, 4096, 4096), (1, 4096, 4096)]
        args.qmm_shape = (1, 4096, 4096)
        args.x86_qmm_shapes = [(1, 4096, 4096), (32, 4096, 4096)]
    if args.repeat < 1 or args.processes < 1:
        ap.error("--repeat and --processes must be at least 1")
    try:
        args.threads = [int(t) for t in args.threads.split(",") if t.strip()]
    except ValueError:
        ap.error("--threads needs a comma-separated list of integers")
    if not args.threads or min(args.threads) < 1:
        ap.error("--threads needs positive integers")

    sections = [args.only] if args.only else [s for s in SECTIONS if not (args.smoke and s == "models")]
    if args.smoke:
        # The ctest is skipped (77) where the peers are not installed.
        if not which(os.environ.get("QEMU_AARCH64") or "qemu-aarch64"):
            print("SKIP: qemu-aarch64 not found (apt-get install qemu-user)")
            return 77
        lib = os.environ.get("QC_ORT_LIB") or os.path.join(ORT_LIB_DIR, "libonnxruntime.so.1")
        if ("x86" in sections) and not os.path.exists(lib):
            print("SKIP: no libonnxruntime.so (run scripts/fixtures/fetch-npm-models.sh or set QC_ORT_LIB)")
            return 77

    start = time.time()
    try:
        bench = Bench(args)
        bench.preflight(sections)
        print(f"## bench/cpu-kernels.py{' --smoke' if args.smoke else ''}{' --quick' if args.quick else ''}"
              f"\n\nrepeat {args.repeat}, quant-run processes {args.processes}, threads "
              f"{','.join(map(str, args.threads))}; host: {host_cpu()}; load average at the start: "
              f"{loadavg()}\n", flush=True)
        for s in sections:
            if s == "aarch64":
                bench.section_aarch64()
            elif s == "x86":
                bench.section_x86()
            elif s == "models":
                bench.section_models()
            elif s == "compile":
                bench.section_compile(only=args.only == "compile")
    except Missing as e:
        print(f"cpu-kernels: missing: {e}", file=sys.stderr)
        return 2
    except Failed as e:
        print(f"cpu-kernels: {e}", file=sys.stderr)
        return 1
    print(f"Load average at the end: {loadavg()} (other jobs on this machine share its cores); "
          f"{time.time() - start:.0f} s in all.")
    log(f"done in {time.time() - start:.0f} s")
    return 0


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "unknown"


def host_cpu():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    return f"{name}, {os.cpu_count()} CPUs"
    except OSError:
        pass
    return "unknown"


if __name__ == "__main__":
    sys.exit(main())
