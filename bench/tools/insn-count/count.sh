#!/usr/bin/env bash
# Counts executed aarch64 instructions of a static binary under qemu-aarch64,
# in total and inside named functions (ranges from the symbol table).
#
#   count.sh [options] BINARY [ARGS...]
#
#   -f, --func NAME        count instructions inside function NAME (its
#                          [address, address + size) from llvm-nm); repeatable
#   -r, --range NAME:A-B   count inside [A, B); A and B are addresses
#                          (0x.../decimal) or symbol names; repeatable
#   -b, --baseline ARGS    also run BINARY with ARGS (one string, split on
#                          spaces) and report the difference to it, e.g. the
#                          same program with 0 iterations
#   -d, --div N            also report (difference or count) / N, e.g. the
#                          number of weights or multiply-accumulates
#   -c, --cpu CPU          qemu -cpu CPU (e.g. max, neoverse-n1, cortex-a76)
#   -m, --mode tb|insn     plugin counting mode (see insn_count.c); default tb
#   -k, --keep-going       do not fail when the program exits non-zero
#
# Prints one line per counter on stdout:
#   total insns=N [baseline=B delta=N-B] [per=X]
#   NAME  insns=N [baseline=B delta=N-B] [per=X]
# The program's own stdout goes to stderr.
#
# Environment: QC_BUILD_DIR (default ./build) holds the plugin, built on
# demand into $QC_BUILD_DIR/insn-count/; QC_HOST_CC picks the host C compiler
# (default gcc, then clang-22, cc); QEMU_AARCH64 the emulator (qemu-aarch64).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { echo "count.sh: $*" >&2; exit 2; }

funcs=() ranges=() baseline='' have_baseline=0 div='' cpu='' mode=tb keep_going=0
while [ $# -gt 0 ]; do
  case $1 in
    -f|--func) funcs+=("$2"); shift 2 ;;
    -r|--range) ranges+=("$2"); shift 2 ;;
    -b|--baseline) baseline=$2; have_baseline=1; shift 2 ;;
    -d|--div) div=$2; shift 2 ;;
    -c|--cpu) cpu=$2; shift 2 ;;
    -m|--mode) mode=$2; shift 2 ;;
    -k|--keep-going) keep_going=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    --) shift; break ;;
    -*) die "unknown option $1" ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || die "usage: count.sh [options] BINARY [ARGS...] (--help)"
binary=$1; shift
[ -f "$binary" ] || die "no such file: $binary"
case $mode in tb|insn) ;; *) die "--mode must be tb or insn" ;; esac
if [ -n "$div" ] && { ! [[ $div =~ ^[0-9]+([.][0-9]+)?$ ]] || ! awk -v d="$div" 'BEGIN { exit !(d > 0) }'; }; then
  die "--div needs a positive number, not '$div'"
fi

find_tool() {  # first of the given names that exists
  local t
  for t in "$@"; do
    if command -v "$t" > /dev/null 2>&1; then command -v "$t"; return 0; fi
  done
  return 1
}

qemu=${QEMU_AARCH64:-qemu-aarch64}
command -v "$qemu" > /dev/null || die "$qemu not found"

# Addresses from the symbol table are the run-time addresses only in a
# non-PIE executable.
elf_type=$(od -An -tu2 -j16 -N2 "$binary" | tr -d ' ')
if [ $((${#funcs[@]} + ${#ranges[@]})) -gt 0 ] && [ "$elf_type" != 2 ]; then
  die "$binary is not a non-PIE executable (ELF type $elf_type); link it with -static -no-pie"
fi

# --- the plugin -------------------------------------------------------------
build=${QC_BUILD_DIR:-./build}/insn-count
plugin=$build/libinsn_count.so
if [ ! -f "$plugin" ] || [ "$here/insn_count.c" -nt "$plugin" ] ||
   [ "$here/qemu_plugin_api.h" -nt "$plugin" ]; then
  cc=${QC_HOST_CC:-$(find_tool gcc clang-22 clang cc)} || die "no host C compiler"
  mkdir -p "$build"
  tmp_so=$(mktemp "$build/.libinsn_count.XXXXXX")
  "$cc" -shared -fPIC -O2 -fvisibility=hidden -std=c11 -Wall -Wextra -Werror \
    -o "$tmp_so" "$here/insn_count.c" || { rm -f "$tmp_so"; die "building the plugin failed"; }
  mv -f "$tmp_so" "$plugin"  # atomic: concurrent runs never see half a file
fi

# --- ranges -----------------------------------------------------------------
plugin_args=("mode=$mode")
names=(total)
if [ $((${#funcs[@]} + ${#ranges[@]})) -gt 0 ]; then
  nm=$(find_tool llvm-nm-22 /usr/lib/llvm-22/bin/llvm-nm llvm-nm) || die "llvm-nm not found"
  symtab=$("$nm" --print-size --defined-only "$binary")
  # sym_field NAME FIELD: address (1) or size (2) of the unique symbol NAME
  sym_field() {
    local hits
    hits=$(awk -v n="$1" 'NF == 4 && $4 == n' <<< "$symtab")
    [ -n "$hits" ] || die "no symbol '$1' in $binary"
    [ "$(wc -l <<< "$hits")" = 1 ] || die "symbol '$1' is defined more than once in $binary"
    printf '%d' "0x$(awk -v f="$2" '{print $f}' <<< "$hits")"
  }
  addr_of() {  # number or symbol name -> decimal address
    if [[ $1 =~ ^(0x[0-9a-fA-F]+|[0-9]+)$ ]]; then printf '%d' "$1"
    else sym_field "$1" 1; fi
  }
  check_name() {
    local re='^[A-Za-z0-9_.$@+-]+$'
    [[ $1 =~ $re ]] || die "bad counter name '$1'"
    local n; for n in "${names[@]}"; do [ "$n" != "$1" ] || die "counter '$1' given twice"; done
  }
  for f in ${funcs[@]+"${funcs[@]}"}; do
    check_name "$f"
    start=$(sym_field "$f" 1); size=$(sym_field "$f" 2)
    [ "$size" -gt 0 ] || die "symbol '$f' has size 0 (not a sized function); use --range"
    plugin_args+=("range=$f:$(printf '0x%x-0x%x' "$start" $((start + size)))")
    names+=("$f")
  done
  for r in ${ranges[@]+"${ranges[@]}"}; do
    [[ $r =~ ^([^:]+):([^-]+)-([^-]+)$ ]] || die "--range needs NAME:START-END, not '$r'"
    name=${BASH_REMATCH[1]}; a=${BASH_REMATCH[2]}; b=${BASH_REMATCH[3]}
    check_name "$name"
    start=$(addr_of "$a"); end=$(addr_of "$b")
    [ "$end" -gt "$start" ] || die "range '$r' is empty"
    plugin_args+=("range=$name:$(printf '0x%x-0x%x' "$start" "$end")")
    names+=("$name")
  done
fi

# --- runs -------------------------------------------------------------------
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() {  # run OUTFILE ARGS... : one emulated run, result line into OUTFILE
  local out=$1; shift
  local opts=() joined status=0
  joined=$(IFS=,; echo "${plugin_args[*]},out=$out")
  [ -z "$cpu" ] || opts+=(-cpu "$cpu")
  "$qemu" ${opts[@]+"${opts[@]}"} -plugin "$plugin,$joined" "$binary" "$@" >&2 || status=$?
  if [ $status -ne 0 ] && [ $keep_going = 0 ]; then
    die "$binary $* exited with status $status (use --keep-going to accept)"
  fi
  [ -s "$out" ] || die "the plugin wrote no result for: $binary $*"
}

value() {  # value FILE NAME: the counter NAME from a plugin result line
  local key
  if [ "$2" = total ]; then key=total; else key="range[$2]"; fi
  tr ' ' '\n' < "$1" | awk -v k="$key" 'index($0, k "=") == 1 { print substr($0, length(k) + 2) }'
}

run "$work/main.txt" "$@"
if [ $have_baseline = 1 ]; then
  # shellcheck disable=SC2086  # the baseline arguments are split on purpose
  run "$work/base.txt" $baseline
fi

for name in "${names[@]}"; do
  n=$(value "$work/main.txt" "$name")
  [ -n "$n" ] || die "no count for '$name' in: $(cat "$work/main.txt")"
  line="$name insns=$n"
  measured=$n
  if [ $have_baseline = 1 ]; then
    b=$(value "$work/base.txt" "$name")
    measured=$((n - b))
    line+=" baseline=$b delta=$measured"
  fi
  if [ -n "$div" ]; then
    line+=" per=$(awk -v m="$measured" -v d="$div" 'BEGIN { printf "%.4f", m / d }')"
  fi
  echo "$line"
done
