#!/usr/bin/env bash
# Checks mca.sh on loop_kernel from insn-count/tests/loop.c, whose loop is 5
# hand-written instructions; on an int8 dot product built with the
# dot-product extension, whose hot loop must be the one with the 16-byte sdot
# instructions; and on the control-flow shapes of loops.s.
#
#   mca-test.sh             (env: QC_BUILD_DIR, CLANG)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mca=$here/../mca.sh
clang=${CLANG:-clang-22}
work=${QC_BUILD_DIR:-./build}/mca-test
mkdir -p "$work"

failures=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }
check() {  # check WHAT EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then pass "$1: expected=$2 got=$3"; else fail "$1: expected=$2 got=$3"; fi
}
in_range() {  # in_range WHAT VALUE LOW HIGH  (LOW < VALUE <= HIGH)
  if awk -v v="$2" -v l="$3" -v h="$4" 'BEGIN { exit !(v > l && v <= h) }'; then
    pass "$1: $2 in ($3, $4]"
  else
    fail "$1: $2 not in ($3, $4]"
  fi
}
field() { tr ' ' '\n' | awk -v k="$1" 'index($0, k "=") == 1 { print substr($0, length(k) + 2) }'; }

flags=(--target=aarch64-linux-gnu -O2 -march=armv8.2-a+dotprod)

# 1. Hand-written loop: exactly 5 instructions, closed by b.ne.
"$clang" "${flags[@]}" -c -o "$work/loop.o" "$here/../insn-count/tests/loop.c"
out=$("$mca" "$work/loop.o" loop_kernel)
echo "$out"
check "loop_kernel instructions per iteration" 5 "$(field insns_per_iter <<< "$out")"
range=$(field loop <<< "$out")
check "loop_kernel loop spans 4 instructions to its branch (bytes)" 16 \
  $(($(cut -d- -f2 <<< "$range") - $(cut -d- -f1 <<< "$range")))
# One dependent subs per iteration bounds it from below at 1 cycle.
in_range "loop_kernel cycles per iteration" "$(field cycles_per_iter <<< "$out")" 0.99 3

# 2. Dot product: the hot loop is the innermost one with the most
# instructions, the 32-byte step with two 16-byte sdot.
"$clang" "${flags[@]}" -c -o "$work/dot_s8.o" "$here/dot_s8.c"
"$mca" --list "$work/dot_s8.o" dot_s8
asm=$("$mca" --asm "$work/dot_s8.o" dot_s8)
echo "$asm"
check "sdot .16b instructions in the chosen loop" 2 "$(grep -c 'sdot.*16b' <<< "$asm" || true)"
out=$(tail -n1 <<< "$asm")
in_range "dot_s8 instructions per iteration" "$(field insns_per_iter <<< "$out")" 3 16
# Two 32-byte loads and two sdot need at least ~1.5 cycles on neoverse-v2,
# and a sane schedule far fewer than 10.
in_range "dot_s8 cycles per iteration" "$(field cycles_per_iter <<< "$out")" 1 10
in_range "dot_s8 block reciprocal throughput" "$(field block_rthroughput <<< "$out")" 0.5 10
largest=$("$mca" --list "$work/dot_s8.o" dot_s8 | awk '$4 == "yes" && $3 > m { m = $3 } END { print m }')
check "the chosen loop is the largest innermost one" "$largest" "$(field insns_per_iter <<< "$out")"

# 3. Nested loops: the inner one, not the larger outer one.
"$clang" --target=aarch64-linux-gnu -c -o "$work/loops.o" "$here/loops.s"
out=$("$mca" "$work/loops.o" nested)
echo "$out"
check "nested: instructions per iteration of the inner loop" 4 "$(field insns_per_iter <<< "$out")"

# 4. Functions without a loop are an error, not a number: straight-line
# code, and a backward jump to a shared return.
printf 'int f(int x) { return x + 1; }\n' > "$work/noloop.c"
"$clang" "${flags[@]}" -c -o "$work/noloop.o" "$work/noloop.c"
for f in "$work/noloop.o f" "$work/loops.o shared_exit"; do
  # shellcheck disable=SC2086  # FILE FUNCTION
  if "$mca" $f > /dev/null 2>&1; then
    fail "mca.sh rejects $f (no loop)"
  else
    pass "mca.sh rejects $f (no loop)"
  fi
done

if [ $failures -ne 0 ]; then
  echo "mca: $failures check(s) failed"
  exit 1
fi
echo "mca: all checks passed"
