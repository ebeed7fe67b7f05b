#!/usr/bin/env bash
# A Debian trixie chroot with ONNX Runtime's Python package, for benches that
# put ONNX Runtime's own quantizer (onnxruntime.quantization.quantize_static)
# beside quantc. The host's apt sources are never touched: trixie lives only
# inside the chroot, made by debootstrap.
#
#   scripts/bench/ort-chroot.sh setup                 build it (idempotent)
#   scripts/bench/ort-chroot.sh version               print onnxruntime's version
#   scripts/bench/ort-chroot.sh run [--bind DIR]... -- CMD [ARG...]
#                                                     run CMD inside it
#   scripts/bench/ort-chroot.sh path                  print the chroot's directory
#
# The chroot is ${QC_CHROOT:-${QC_CACHE:-$HOME/.cache/quantc}/trixie-chroot}
# (--root DIR overrides; it goes before the command). `setup` installs
# debootstrap on the host with apt-get when it is missing, runs
#   debootstrap --variant=minbase trixie ROOT $MIRROR
# (MIRROR: $QC_TRIXIE_MIRROR, default http://deb.debian.org/debian), then
# apt-get installs $PACKAGES inside it and checks that
# `from onnxruntime.quantization import quantize_static` works. Stamp files
# (ROOT/.qc-bootstrap-done, ROOT/.qc-packages) make a second call a no-op.
#
# `run` bind-mounts /proc, /sys (read-only), /dev and every --bind DIR at the
# same path inside the chroot (so file names mean the same thing on both
# sides), runs CMD as root with cwd / (or the first --bind DIR), and unmounts
# everything again on exit, including on errors and signals (trap). Runs are
# serialised with flock on ROOT.lock. Needs root.
set -euo pipefail

PACKAGES="python3-onnxruntime python3-numpy python3-onnx python3-sympy python3-packaging"
SUITE=trixie
MIRROR="${QC_TRIXIE_MIRROR:-http://deb.debian.org/debian}"
root="${QC_CHROOT:-${QC_CACHE:-$HOME/.cache/quantc}/trixie-chroot}"

log() { echo "ort-chroot: $*" >&2; }
die() { log "$*"; exit 1; }

if [ "${1:-}" = "--root" ]; then root="$2"; shift 2; fi
cmd="${1:-}"; [ $# -gt 0 ] && shift
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot and mount do)"
root="$(realpath -m "$root")"

# Any mount point at or below ROOT (as listed by the kernel).
mounts_under_root() {
  awk -v r="$root" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/self/mounts
}

setup() {
  if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap on the host"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >&2 || {
      apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >&2; }
  fi
  if [ -n "$(mounts_under_root)" ]; then
    die "mounts are active under $root (another run?): $(mounts_under_root | tr '\n' ' ')"
  fi
  if [ ! -f "$root/.qc-bootstrap-done" ]; then
    # A half-made tree from an interrupted run is removed first; it has no mounts (checked above).
    if [ -e "$root" ]; then log "removing incomplete $root"; rm -rf --one-file-system "$root"; fi
    mkdir -p "$root"
    log "debootstrap $SUITE into $root from $MIRROR (minbase; takes a few minutes)"
    debootstrap --variant=minbase "$SUITE" "$root" "$MIRROR" >&2
    touch "$root/.qc-bootstrap-done"
  fi
  if [ "$(cat "$root/.qc-packages" 2>/dev/null || true)" != "$PACKAGES" ]; then
    log "apt-get install $PACKAGES (inside the chroot)"
    cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
    with_mounts chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
      DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 \
      sh -c "apt-get update -q && apt-get install -y -q --no-install-recommends $PACKAGES && apt-get clean" >&2
    check_import
    echo "$PACKAGES" > "$root/.qc-packages"
  fi
  log "ready: $root (onnxruntime $(ort_version))"
}

# Debian's onnxruntime registers its internal op schemas (e.g. LRN in
# com.ms.internal.nhwc) in the libonnx it shares with python3-onnx; when
# onnx.reference is imported after that (onnxruntime.quantization imports it),
# its schema table refuses the duplicate names (NotImplementedError: "assumes
# every operator has a unique name 'LRN'"). Importing onnx.reference before
# onnxruntime avoids it; bench/ort_quantize.py does the same.
check_import() {
  with_mounts chroot "$root" /usr/bin/env -i PATH=/usr/bin:/bin LANG=C.UTF-8 /usr/bin/python3 -c \
    "import onnx.reference; from onnxruntime.quantization import quantize_static, CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType" \
    || die "onnxruntime.quantization.quantize_static does not import inside $root"
}

ort_version() {
  local py deb
  py="$(with_mounts chroot "$root" /usr/bin/env -i PATH=/usr/bin:/bin LANG=C.UTF-8 /usr/bin/python3 -c \
    "import onnx.reference, onnxruntime, numpy, onnx; print(onnxruntime.__version__, 'numpy', numpy.__version__, 'onnx', onnx.__version__)" 2>/dev/null)" \
    || py="unknown"
  deb="$(chroot "$root" dpkg-query -W -f '${Version}' python3-onnxruntime 2>/dev/null)" || deb="?"
  set -- $py
  echo "${1:-unknown} (Debian trixie python3-onnxruntime $deb; numpy ${3:-?}, onnx ${5:-?})"
}

# with_mounts [--bind DIR]... CMD...: mount, run CMD, unmount (also on error/signal).
mounted=()
cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount "${mounted[$i]}" 2>/dev/null || umount -l "${mounted[$i]}" 2>/dev/null \
      || log "could not unmount ${mounted[$i]}"
  done
  mounted=()
}
mount_at() {  # mount_at TARGET MOUNT-ARGS...
  local target="$1"; shift
  mkdir -p "$target"
  mount "$@" "$target"
  mounted+=("$target")
}
with_mounts() {
  local binds=()
  while [ "${1:-}" = "--bind" ]; do binds+=("$(realpath "$2")"); shift 2; done
  trap cleanup EXIT
  trap 'cleanup; exit 130' INT TERM HUP
  mount_at "$root/proc" -t proc proc
  mount_at "$root/sys" --bind /sys
  mount -o remount,bind,ro "$root/sys" 2>/dev/null || true
  mount_at "$root/dev" --bind /dev
  local d
  for d in "${binds[@]}"; do
    [ -d "$d" ] || die "--bind $d: not a directory"
    case "$d/" in "$root"/*) die "--bind $d: inside the chroot" ;; esac
    case "$root/" in "$d"/*) die "--bind $d: contains the chroot" ;; esac
    mount_at "$root$d" --bind "$d"
  done
  local rc=0
  "$@" || rc=$?
  cleanup
  trap - EXIT INT TERM HUP
  return $rc
}

case "$cmd" in
  setup)
    mkdir -p "$(dirname "$root")"
    exec 9>"$root.lock"; flock 9
    setup ;;
  version)
    [ -f "$root/.qc-packages" ] || die "not set up: run '$0 setup' first"
    exec 9>"$root.lock"; flock 9
    ort_version ;;
  path)
    echo "$root" ;;
  run)
    binds=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
      case "$1" in
        --bind) binds+=(--bind "$2"); shift 2 ;;
        *) die "run: unknown option $1 (options go before --)" ;;
      esac
    done
    [ "${1:-}" = "--" ] && shift
    [ $# -gt 0 ] || die "run: no command given"
    [ -f "$root/.qc-packages" ] || die "not set up: run '$0 setup' first"
    mkdir -p "$(dirname "$root")"
    exec 9>"$root.lock"; flock 9
    [ -z "$(mounts_under_root)" ] || die "stale mounts under $root: $(mounts_under_root | tr '\n' ' ')"
    wd=/
    [ ${#binds[@]} -gt 0 ] && wd="$(realpath "${binds[1]}")"
    with_mounts "${binds[@]}" chroot "$root" /usr/bin/env -i PATH=/usr/bin:/bin LANG=C.UTF-8 \
      HOME=/root OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" sh -c 'cd "$1" && shift && exec "$@"' sh "$wd" "$@" ;;
  -h|--help|"")
    sed -n '2,27p' "$0" ;;
  *)
    die "unknown command: $cmd (setup, version, run, path)" ;;
esac
