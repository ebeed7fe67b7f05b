#!/usr/bin/env bash
# Runs llama.cpp's own tools (Debian sid's packages) from a minimal Debian sid
# chroot, so that GGUF files written by quantc can be checked in llama.cpp and
# its perplexity / KL divergence printed beside ours. The host's apt sources
# are never touched: sid lives only inside the chroot.
#
#   scripts/llamacpp-chroot.sh setup           create or verify the chroot, print llama.cpp's version
#   scripts/llamacpp-chroot.sh run TOOL ARGS…  run a llama.cpp tool inside the chroot
#   scripts/llamacpp-chroot.sh path            print the chroot's directory
#   scripts/llamacpp-chroot.sh tools           list the llama.cpp tools in the chroot
#
# The chroot is ${QC_LLAMACPP_CHROOT:-${QC_CACHE:-$HOME/.cache/quantc}/sid-llamacpp};
# the mirror is ${QC_DEBIAN_MIRROR:-http://deb.debian.org/debian}. Needs root.
#
# `run` works in a private mount namespace (unshare): it bind-mounts /dev,
# /proc, /sys, the current directory and the directory of every argument that
# names an existing host path at the same path inside the chroot (plus the
# colon-separated directories in QC_LLAMACPP_BIND), then runs TOOL there from
# the same working directory. The mounts vanish with the namespace; where
# unshare is not allowed they are made in the host's namespace and a trap
# unmounts them on exit (QC_LLAMACPP_NO_UNSHARE=1 forces that way). The
# tool's exit status is returned. The tool runs with a clean environment and
# with scripts/llamacpp-exit-drain.c preloaded (built by `setup` with the
# host's cc): llama.cpp's log thread is not waited for at exit, and without it
# the last lines of output (llama-perplexity's final statistics) are often lost.
set -euo pipefail

die() { echo "llamacpp-chroot: $*" >&2; exit 1; }

cache=${QC_CACHE:-$HOME/.cache/quantc}
dir=$(realpath -m "${QC_LLAMACPP_CHROOT:-$cache/sid-llamacpp}")
mirror=${QC_DEBIAN_MIRROR:-http://deb.debian.org/debian}
marker=.quantc-llamacpp-ready
# libggml0 (pulled in) carries the CPU backend; no BLAS, Vulkan or GPU backends.
packages=(llama.cpp-tools llama.cpp-tools-extra llama.cpp-examples)

usage() {
  local rc=${1:-2}
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}" >&2
  exit "$rc"
}

need_root() {
  [[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap, chroot and mount need it)"
}

# Lists the mount points at or under $1 (deepest first).
mounts_under() {
  local d=$1
  awk -v d="$d" '{ gsub(/\\040/, " ", $2); if ($2 == d || index($2, d "/") == 1) print $2 }' \
    /proc/self/mounts | sort -r
}

in_chroot() {
  # Minimal environment: the host's PATH or LD_LIBRARY_PATH must not leak in.
  chroot "$dir" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
    HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

# The exit-drain library (scripts/llamacpp-exit-drain.c: waits at exit for
# llama.cpp's log thread, which otherwise loses the last lines of output),
# built with the host's C compiler into the chroot and preloaded by `run`.
drain_src=$(dirname "$(realpath "${BASH_SOURCE[0]}")")/llamacpp-exit-drain.c
drain_lib=/usr/local/lib/libqc-exit-drain.so

build_drain() {
  local root=$1 cc
  [[ -f $drain_src ]] || return 0
  [[ $root$drain_lib -nt $drain_src ]] && return 0
  cc=$(command -v cc || command -v gcc || command -v clang || true)
  if [[ -z $cc ]]; then
    echo "llamacpp-chroot: no C compiler on the host: $drain_lib not built, so llama.cpp's last output lines may be lost" >&2
    return 0
  fi
  mkdir -p "$root/usr/local/lib"
  "$cc" -O2 -shared -fPIC -o "$root$drain_lib.tmp" "$drain_src" &&
    mv "$root$drain_lib.tmp" "$root$drain_lib" ||
    die "building $drain_lib from $drain_src failed"
}

llamacpp_version() {
  in_chroot dpkg-query -W -f='${Package} ${Version}\n' "${packages[@]}" libllama0 libggml0 2>/dev/null || true
  in_chroot llama-cli --version 2>&1 | grep -E '^(version|built with)' || true
}

cmd_setup() {
  need_root
  local t0=$SECONDS
  mkdir -p "$(dirname "$dir")"
  exec 8>"$dir.setup-lock"
  flock 8
  if [[ -f $dir/$marker ]]; then
    build_drain "$dir"
    echo "llamacpp-chroot: $dir is ready"
    llamacpp_version
    return
  fi
  if ! command -v debootstrap >/dev/null; then
    echo "llamacpp-chroot: installing debootstrap"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap
  fi
  if [[ -e $dir ]]; then
    # A chroot without the marker is an interrupted setup: start again, but
    # never delete through a live bind mount.
    [[ -z $(mounts_under "$dir") ]] || die "$dir has mounts under it; unmount them first: $(mounts_under "$dir" | tr '\n' ' ')"
    echo "llamacpp-chroot: removing the incomplete $dir"
    rm -rf --one-file-system "$dir"
  fi
  mkdir -p "$(dirname "$dir")"
  # Built in $dir.partial and renamed when complete; a finished debootstrap
  # is kept (.debootstrap-done) so that a failed package step resumes there.
  local final=$dir tmp=$dir.partial
  if [[ -e $tmp && ! -f $tmp/.debootstrap-done ]]; then
    [[ -z $(mounts_under "$tmp") ]] || die "$tmp has mounts under it; unmount them first"
    rm -rf --one-file-system "$tmp"
  fi
  if [[ ! -e $tmp ]]; then
    echo "llamacpp-chroot: debootstrap --variant=minbase sid $tmp $mirror"
    debootstrap --variant=minbase sid "$tmp" "$mirror" >"$tmp.log" 2>&1 ||
      { tail -20 "$tmp.log" >&2; die "debootstrap failed (full log: $tmp.log)"; }
    rm -f "$tmp.log"
    printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\nDpkg::Use-Pty "0";\n' \
      >"$tmp/etc/apt/apt.conf.d/90quantc-no-recommends"
    # Documentation and translations are never read in the chroot.
    printf 'path-exclude /usr/share/doc/*\npath-exclude /usr/share/man/*\npath-exclude /usr/share/locale/*\n' \
      >"$tmp/etc/dpkg/dpkg.cfg.d/90quantc-nodoc"
    touch "$tmp/.debootstrap-done"
    echo "llamacpp-chroot: debootstrap done in $((SECONDS - t0)) s"
  fi
  cp /etc/resolv.conf "$tmp/etc/resolv.conf" 2>/dev/null || true
  # The mirror reachable here may serve a sid index older than its
  # Valid-Until date (apt then refuses it as expired); the signatures are
  # still checked.
  printf 'Acquire::Check-Valid-Until "false";\n' >"$tmp/etc/apt/apt.conf.d/90quantc-valid-until"
  dir=$tmp
  in_chroot apt-get update -qq
  echo "llamacpp-chroot: apt-get install ${packages[*]}"
  in_chroot apt-get install -y -qq "${packages[@]}" >/dev/null ||
    die "apt-get install ${packages[*]} failed in $tmp (find the current names with: chroot $tmp apt-cache search llama)"
  in_chroot apt-get clean
  # The package lists (about 100 MB for sid) are not needed to run the tools.
  rm -rf "$tmp"/var/lib/apt/lists/*
  build_drain "$tmp"
  dir=$final
  rm -f "$tmp/.debootstrap-done"
  date -u +%FT%TZ >"$tmp/$marker"
  mv "$tmp" "$dir"
  echo "llamacpp-chroot: ready in $((SECONDS - t0)) s, $(du -sh --one-file-system "$dir" | cut -f1) at $dir"
  llamacpp_version
}

# Directories to bind into the chroot for `run`: the working directory, the
# directory of every argument naming an existing host path (also in
# --opt=PATH form), and QC_LLAMACPP_BIND. Nested ones collapse into their
# outermost existing ancestor in the list.
bind_dirs() {
  local -a cands=("$PWD")
  local a v
  for a in "$@"; do
    v=$a
    [[ $v == --*=* ]] && v=${v#*=}
    [[ $v == */* || -e $v ]] || continue
    if [[ -d $v ]]; then
      cands+=("$(realpath -m "$v")")
    elif [[ -d $(dirname "$v") ]]; then
      cands+=("$(realpath -m "$(dirname "$v")")")
    fi
  done
  if [[ -n ${QC_LLAMACPP_BIND:-} ]]; then
    local IFS=:
    for v in $QC_LLAMACPP_BIND; do [[ -d $v ]] && cands+=("$(realpath "$v")"); done
  fi
  printf '%s\n' "${cands[@]}" | sort -u | awk -v root="$dir" '
    $0 == "/" || $0 == root || index($0, root "/") == 1 { next }
    { for (i = 1; i <= n; i++) if (index($0, kept[i] "/") == 1) next; kept[++n] = $0; print }'
}

do_mounts() {
  local d t
  for d in /dev /proc /sys; do
    mount --rbind "$d" "$dir$d"
    mount --make-rslave "$dir$d"
  done
  while IFS= read -r d; do
    [[ -n $d ]] || continue
    t=$dir$d
    # Only directories that the chroot does not have as system directories.
    case $d in /dev|/dev/*|/proc|/proc/*|/sys|/sys/*) continue ;; esac
    mkdir -p "$t"
    mount --rbind "$d" "$t"
    # Unmounting under it later must not propagate back to the host's tree.
    mount --make-rslave "$t"
  done < <(bind_dirs "$@")
}

cleanup_mounts() {
  local m
  while IFS= read -r m; do
    [[ $m == "$dir" ]] && continue
    umount -l "$m" 2>/dev/null || true
  done < <(mounts_under "$dir")
}

# The tool's whole environment: nothing of the host's (its PATH or
# LD_LIBRARY_PATH would not fit the chroot).
set_tool_env() {
  tool_env=(PATH=/usr/local/bin:/usr/bin:/bin HOME=/root LANG=C.UTF-8)
  [[ -n ${TERM:-} ]] && tool_env+=("TERM=$TERM")
  [[ -f $dir$drain_lib ]] && tool_env+=("LD_PRELOAD=$drain_lib")
  return 0
}

# Inside the private mount namespace: mount, then exec the tool.
cmd_inner() {
  set_tool_env
  do_mounts "$@"
  exec chroot "$dir" /usr/bin/env -i -C "$PWD" "${tool_env[@]}" "$@"
}

cmd_run() {
  need_root
  (($#)) || die "run: name a tool, e.g. run llama-cli --version"
  [[ -f $dir/$marker ]] || die "no chroot at $dir: run '$0 setup' first"
  local tool=$1
  if ! in_chroot sh -c 'command -v "$1" >/dev/null' sh "$tool"; then
    die "run: no tool '$tool' in the chroot (see '$0 tools')"
  fi
  if [[ -z ${QC_LLAMACPP_NO_UNSHARE:-} ]] && unshare --mount --propagation private true 2>/dev/null; then
    exec unshare --mount --propagation private bash "$(realpath "${BASH_SOURCE[0]}")" __inner "$@"
  fi
  # No mount namespace: mount in the host's, one run at a time, and undo it
  # on every exit.
  exec 9>"$dir.lock"
  flock 9
  [[ -z $(mounts_under "$dir") ]] || die "stale mounts under $dir: $(mounts_under "$dir" | tr '\n' ' ')"
  trap cleanup_mounts EXIT
  trap 'exit 130' INT TERM
  set_tool_env
  do_mounts "$@"
  local rc=0
  chroot "$dir" /usr/bin/env -i -C "$PWD" "${tool_env[@]}" "$@" || rc=$?
  exit $rc
}

cmd_tools() {
  [[ -f $dir/$marker ]] || die "no chroot at $dir: run '$0 setup' first"
  in_chroot sh -c 'ls /usr/bin | grep -E "^(llama-|gguf)" || true'
}

(($#)) || usage
sub=$1
shift
case $sub in
  setup) (($# == 0)) || die "setup takes no arguments"; cmd_setup ;;
  run) cmd_run "$@" ;;
  path) echo "$dir" ;;
  tools) cmd_tools ;;
  __inner) cmd_inner "$@" ;;
  -h|--help|help) usage 0 ;;
  *) die "unknown subcommand '$sub' (setup, run, path, tools)" ;;
esac
