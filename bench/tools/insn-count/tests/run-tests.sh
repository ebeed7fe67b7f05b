#!/usr/bin/env bash
# Checks the instruction counter against loop.c, whose loop_kernel(n) executes
# exactly 5 * n + 3 instructions (see loop.c), through count.sh and through
# the plugin's own arguments, in both counting modes.
#
#   run-tests.sh            (env: QC_BUILD_DIR, AARCH64_CC, QEMU_AARCH64)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
count=$here/../count.sh
cc=${AARCH64_CC:-aarch64-linux-gnu-gcc}
qemu=${QEMU_AARCH64:-qemu-aarch64}
export QC_BUILD_DIR=${QC_BUILD_DIR:-./build}
work=$QC_BUILD_DIR/insn-count-test
mkdir -p "$work"

failures=0
check() {  # check WHAT EXPECTED COUNTED
  if [ "$2" = "$3" ]; then
    echo "PASS $1: expected=$2 counted=$3"
  else
    echo "FAIL $1: expected=$2 counted=$3"
    failures=$((failures + 1))
  fi
}
field() {  # field LINE-PREFIX KEY < count.sh output
  awk -v p="$1" -v k="$2" '$1 == p { for (i = 2; i <= NF; ++i) if (index($i, k "=") == 1) print substr($i, length(k) + 2) }'
}

"$cc" -static -no-pie -O2 -o "$work/loop" "$here/loop.c"
"$cc" -O2 -fPIE -pie -o "$work/loop-pie" "$here/loop.c"

nm=$(command -v llvm-nm-22 || echo /usr/lib/llvm-22/bin/llvm-nm)
sym() { "$nm" --print-size --defined-only "$work/loop" | awk -v n="$1" -v f="$2" '$4 == n { print $f }'; }
kstart=$((0x$(sym loop_kernel 1)))
ksize=$((0x$(sym loop_kernel 2)))
body=$((0x$(sym loop_kernel_body 1)))
tail=$((0x$(sym loop_kernel_tail 1)))
kend=$((kstart + ksize))
check "loop_kernel is 8 instructions long (bytes)" 32 "$ksize"
whole=$(printf '0x%x-0x%x' "$kstart" "$kend")
mid=$(printf '0x%x-0x%x' $((body + 8)) $((body + 12)))  # the eor alone

declare -A total_of
for mode in tb insn; do
  for n in 1 7 1000; do
    out=$("$count" --mode "$mode" -f loop_kernel -r "whole:$whole" \
          -r body:loop_kernel_body-loop_kernel_tail -r "tail:loop_kernel_tail-$kend" \
          -r "mid:$mid" "$work/loop" "$n" 2> "$work/stderr.txt")
    check "[$mode n=$n] function loop_kernel" $((5 * n + 3)) "$(field loop_kernel insns <<< "$out")"
    check "[$mode n=$n] address range of loop_kernel" $((5 * n + 3)) "$(field whole insns <<< "$out")"
    check "[$mode n=$n] loop body (first block straddles it)" $((5 * n)) "$(field body insns <<< "$out")"
    check "[$mode n=$n] one instruction of the body" "$n" "$(field mid insns <<< "$out")"
    check "[$mode n=$n] function tail" 2 "$(field tail insns <<< "$out")"
    total=$(field total insns <<< "$out")
    check "[$mode n=$n] total covers the kernel" 1 $((total >= 5 * n + 3))
    total_of[$mode.$n]=$total
  done
done
check "total is the same in both modes (n=1000)" "${total_of[tb.1000]}" "${total_of[insn.1000]}"

# Baseline subtraction: 4000 iterations against 1000.
out=$("$count" -f loop_kernel -b 1000 -d 3000 "$work/loop" 4000 2> "$work/stderr.txt")
check "baseline delta of loop_kernel (4000 vs 1000)" 15000 "$(field loop_kernel delta <<< "$out")"
check "delta per iteration" 5.0000 "$(field loop_kernel per <<< "$out")"

# The plugin on its own: start=/end= pairs, output file, result line format.
plugin=$QC_BUILD_DIR/insn-count/libinsn_count.so
"$qemu" -plugin "$plugin,start=$kstart,end=$kend,start=$body,end=$tail,out=$work/plugin.txt" \
  "$work/loop" 100 > /dev/null
line=$(cat "$work/plugin.txt")
[[ $line =~ ^insn-count\ total=[0-9]+\ range\[r0\]=([0-9]+)\ range\[r1\]=([0-9]+)$ ]] ||
  { echo "FAIL plugin result line: '$line'"; failures=$((failures + 1)); }
check "plugin start=/end= range r0 (whole function, n=100)" 503 "${BASH_REMATCH[1]:-}"
check "plugin start=/end= range r1 (loop body, n=100)" 500 "${BASH_REMATCH[2]:-}"

# Errors are reported, not turned into numbers.
if "$qemu" -plugin "$plugin,start=$kstart" "$work/loop" 1 > /dev/null 2>&1; then
  check "plugin rejects start= without end=" rejected accepted
else
  check "plugin rejects start= without end=" rejected rejected
fi
if "$count" -f loop_kernel "$work/loop-pie" 1 > /dev/null 2>&1; then
  check "count.sh rejects a PIE binary" rejected accepted
else
  check "count.sh rejects a PIE binary" rejected rejected
fi
if "$count" -f no_such_function "$work/loop" 1 > /dev/null 2>&1; then
  check "count.sh rejects an unknown function" rejected accepted
else
  check "count.sh rejects an unknown function" rejected rejected
fi

if [ $failures -ne 0 ]; then
  echo "insn-count: $failures check(s) failed"
  exit 1
fi
echo "insn-count: all checks passed"
