#!/usr/bin/env bash
# Static throughput of a function's hot loop with llvm-mca.
#
#   mca.sh [options] FILE FUNCTION [-- LLVM-MCA-ARGS...]
#
# FILE is an aarch64 object file or executable. The function is
# disassembled with llvm-objdump; a branch to an address at or before itself,
# inside the function, closes a loop [target, branch] if control can flow
# from the target to it within that range. The loop analysed is the
# innermost one (no other loop inside it) with the most instructions; ties go
# to the lowest address. Its body, branch included, is fed to llvm-mca as a
# block that repeats.
#
#   --mcpu CPU        llvm-mca -mcpu (default neoverse-v2)
#   --loop 0xADDR     analyse the loop closed by the branch at 0xADDR
#   --list            list the loops and exit
#   --asm             print the extracted loop as llvm-mca reads it
#   -v, --verbose     also print llvm-mca's full report
#   --iterations N    llvm-mca -iterations (default 100)
#
# Prints one line on stdout:
#   mca func=F loop=0xTARGET-0xBRANCH insns_per_iter=N cycles_per_iter=C
#       block_rthroughput=R ipc=I uops_per_iter=U cpu=CPU
# where cycles_per_iter = Total Cycles / Iterations (steady state as llvm-mca
# simulates it) and block_rthroughput is llvm-mca's throughput bound.
set -euo pipefail

die() { echo "mca.sh: $*" >&2; exit 2; }
find_tool() {
  local t
  for t in "$@"; do
    if command -v "$t" > /dev/null 2>&1; then command -v "$t"; return 0; fi
  done
  return 1
}

mcpu=neoverse-v2 loop_addr='' list=0 show_asm=0 verbose=0 iterations=100
pos=()
while [ $# -gt 0 ]; do
  case $1 in
    --mcpu) mcpu=$2; shift 2 ;;
    --loop) loop_addr=$2; shift 2 ;;
    --list) list=1; shift ;;
    --asm) show_asm=1; shift ;;
    -v|--verbose) verbose=1; shift ;;
    --iterations) iterations=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    --) shift; break ;;
    -*) die "unknown option $1" ;;
    *) pos+=("$1"); shift ;;
  esac
done
[ ${#pos[@]} = 2 ] || die "usage: mca.sh [options] FILE FUNCTION [-- LLVM-MCA-ARGS...] (--help)"
file=${pos[0]} func=${pos[1]}
[ -f "$file" ] || die "no such file: $file"
[[ $iterations =~ ^[1-9][0-9]*$ ]] || die "--iterations needs a positive integer"

objdump=$(find_tool llvm-objdump-22 /usr/lib/llvm-22/bin/llvm-objdump llvm-objdump) ||
  die "llvm-objdump not found"
mca=$(find_tool llvm-mca-22 /usr/lib/llvm-22/bin/llvm-mca llvm-mca) || die "llvm-mca not found"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The function's symbol: section, address, size. With a size, disassemble
# [address, address + size) of its section, so labels inside the function
# do not cut it short; without one, up to the next symbol.
"$objdump" -t "$file" | awk -F'\t' -v n="$func" '
  NF == 2 {
    split($2, r, " "); if (r[2] != n) next
    k = split($1, l, " "); if (l[k] == "*UND*") next
    print l[1] "\t" l[k] "\t" r[1]
  }' > "$work/sym.tsv"
[ -s "$work/sym.tsv" ] || die "no symbol '$func' in $file"
[ "$(wc -l < "$work/sym.tsv")" = 1 ] || die "symbol '$func' is defined more than once in $file"
IFS=$'\t' read -r faddr fsec fsize < "$work/sym.tsv"
if [ $((0x$fsize)) -gt 0 ]; then
  sel=(--section="$fsec" --start-address="0x$faddr"
       --stop-address="$(printf '0x%x' $((0x$faddr + 0x$fsize)))")
else
  sel=(--disassemble-symbols="$func")
fi
# Symbols of that section, to resolve branches that still carry a relocation
# in an object file (branches to global labels).
"$objdump" -t "$file" | awk -F'\t' -v s="$fsec" '
  NF == 2 { split($2, r, " "); k = split($1, l, " "); if (l[k] == s && r[2] != "") print r[2] "\t" l[1] }' \
  > "$work/secsyms.tsv"

# One instruction a line: ADDR<TAB>MNEMONIC<TAB>OPERANDS<TAB>BRANCH-TARGET
# (hex without 0x; the target is empty for other instructions or targets
# outside the section).
"$objdump" -d -r --no-show-raw-insn "${sel[@]}" "$file" |
  awk -F'\t' -v OFS='\t' '
    function hex(s,   i, v) {
      s = tolower(s); sub(/^0x/, "", s); v = 0
      for (i = 1; i <= length(s); ++i) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
      return v
    }
    function flush() { if (have) print addr, mn, ops, tgt; have = 0 }
    FILENAME == symfile { sym[$1] = hex($2); next }
    /^\t\t[0-9a-f]+: +R_AARCH64_/ {  # relocation of the instruction above
      if (have && mn ~ branch) {
        ra = $3; sub(/:.*/, "", ra)
        target = $4; off = 0
        if (match(target, /[+-]0x[0-9a-f]+$/)) {
          off = hex(substr(target, RSTART + 1)); if (substr(target, RSTART, 1) == "-") off = -off
          target = substr(target, 1, RSTART - 1)
        }
        if (hex(ra) == hex(addr)) tgt = (target in sym) ? sprintf("%x", sym[target] + off) : ""
      }
      next
    }
    /^ *[0-9a-f]+:/ {
      flush()
      addr = $1; sub(/^ */, "", addr); sub(/:.*/, "", addr)
      mn = $2; ops = $3
      for (i = 4; i <= NF; ++i) ops = ops "\t" $i
      sub(/[ \t]*\/\/.*$/, "", ops)      # objdump comments (// =32)
      sub(/[ \t]+$/, "", mn)
      if (mn == "") next
      tgt = ""
      if (mn ~ branch) {
        t = ops; sub(/[ \t]*<[^>]*>[ \t]*$/, "", t)
        n = split(t, parts, /[ ,]+/)
        if (parts[n] ~ /^0x[0-9a-f]+$/) tgt = sprintf("%x", hex(parts[n]))
      }
      have = 1
    }
    END { flush() }' branch='^(b|b[.][a-z]+|bc[.][a-z]+|cbz|cbnz|tbz|tbnz)$' symfile="$work/secsyms.tsv" "$work/secsyms.tsv" - > "$work/insns.tsv"
[ -s "$work/insns.tsv" ] || die "no instructions for function '$func' in $file"

# Loops: a branch whose target lies in [function start, branch address].
awk -F'\t' '
  function hex(s,   i, v) {
    v = 0
    for (i = 1; i <= length(s); ++i) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
    return v
  }
  NR == 1 { first = hex($1) }
  $4 != "" {
    a = hex($1); t = hex($4)
    if (t >= first && t <= a) printf "%x\t%x\n", t, a
  }' "$work/insns.tsv" > "$work/loops.tsv"

# Keep a candidate only if its branch is reachable from its target through
# the instructions in between (a backward jump to a shared epilogue that
# returns is no loop); then count its instructions and mark whether another
# loop nests inside it.
awk -F'\t' '
  function hex(s,   i, v) {
    v = 0
    for (i = 1; i <= length(s); ++i) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
    return v
  }
  FILENAME == insnfile { ni++; addr[ni] = hex($1); mn[ni] = $2; tg[ni] = ($4 == "" ? -1 : hex($4)); idx[addr[ni]] = ni; next }
  { t[++nc] = hex($1); b[nc] = hex($2) }
  END {
    for (c = 1; c <= nc; ++c) {
      lo = idx[t[c]]; hi = idx[b[c]]
      if (lo == "" || hi == "") continue
      split("", seen); top = 0; stack[++top] = lo; seen[lo] = 1
      while (top > 0) {
        i = stack[top--]
        m = mn[i]
        if (m ~ /^(ret|reta[ab]|br|bra[ab]|braaz|brabz|eret)$/) continue
        if (m != "b" && i + 1 <= hi && !((i + 1) in seen)) { seen[i + 1] = 1; stack[++top] = i + 1 }
        if (tg[i] >= 0 && (tg[i] in idx)) {
          j = idx[tg[i]]
          if (j >= lo && j <= hi && !(j in seen)) { seen[j] = 1; stack[++top] = j }
        }
      }
      if (hi in seen) { nl++; lt[nl] = t[c]; lb[nl] = b[c]; ln[nl] = hi - lo + 1 }
    }
    for (l = 1; l <= nl; ++l) {
      inner = 1
      for (m = 1; m <= nl; ++m)
        if (m != l && lt[m] >= lt[l] && lb[m] <= lb[l] && !(lt[m] == lt[l] && lb[m] == lb[l])) inner = 0
      printf "%x\t%x\t%d\t%d\n", lt[l], lb[l], ln[l], inner
    }
  }' insnfile="$work/insns.tsv" "$work/insns.tsv" "$work/loops.tsv" > "$work/cands.tsv"

if [ $list = 1 ]; then
  echo "# target branch insns innermost"
  awk -F'\t' '{ printf "0x%s 0x%s %d %s\n", $1, $2, $3, $4 ? "yes" : "no" }' "$work/cands.tsv"
  exit 0
fi
[ -s "$work/cands.tsv" ] || die "function '$func' has no loop (no reachable backward branch)"

if [ -n "$loop_addr" ]; then
  want=$(printf '%x' "$loop_addr") || die "--loop needs a hex address"
  pick=$(awk -F'\t' -v w="$want" '$2 == w' "$work/cands.tsv" | head -n1)
  [ -n "$pick" ] || die "no backward branch at 0x$want in '$func' (see --list)"
else
  # innermost first, then most instructions, then lowest address
  pick=$(sort -t$'\t' -k4,4nr -k3,3nr -k1,1 "$work/cands.tsv" | head -n1)
fi
IFS=$'\t' read -r lstart lend ninsns _ <<< "$pick"

# The loop as assembly: branch targets and other PC-relative operands
# (shown as "0x... <sym+off>") become a label so the text assembles.
awk -F'\t' -v s="$lstart" -v e="$lend" '
  function hex(x,   i, v) {
    v = 0
    for (i = 1; i <= length(x); ++i) v = v * 16 + index("0123456789abcdef", substr(x, i, 1)) - 1
    return v
  }
  BEGIN { S = hex(s); E = hex(e); print ".Lmca_loop:" }
  {
    a = hex($1)
    if (a >= S && a <= E) {
      ops = $3
      gsub(/0x[0-9a-f]+ <[^>]*>/, ".Lmca_loop", ops)
      if ($2 ~ /^(b|b\.[a-z]+|bc\.[a-z]+|cbz|cbnz|tbz|tbnz|bl|adr|adrp)$/)
        sub(/0x[0-9a-f]+$/, ".Lmca_loop", ops)
      print "  " $2 (ops != "" ? " " ops : "")
    }
  }' "$work/insns.tsv" > "$work/loop.s"

if [ $show_asm = 1 ]; then
  echo "# $func: loop 0x$lstart-0x$lend, $ninsns instructions"
  cat "$work/loop.s"
fi

"$mca" -mtriple=aarch64-linux-gnu -mcpu="$mcpu" -iterations="$iterations" "$@" \
  "$work/loop.s" > "$work/mca.txt" 2> "$work/mca.err" ||
  { cat "$work/mca.err" >&2; die "llvm-mca failed on the extracted loop (--asm shows it)"; }
[ $verbose = 0 ] || cat "$work/mca.txt"

awk -v f="$func" -v s="$lstart" -v e="$lend" -v cpu="$mcpu" '
  /^Iterations:/ { it = $2 }
  /^Instructions:/ { ins = $2 }
  /^Total Cycles:/ { cyc = $3 }
  /^Total uOps:/ { uops = $3 }
  /^IPC:/ { ipc = $2 }
  /^Block RThroughput:/ { rt = $3 }
  END {
    if (it == "" || cyc == "" || rt == "") { print "mca.sh: cannot read the llvm-mca summary" > "/dev/stderr"; exit 2 }
    printf "mca func=%s loop=0x%s-0x%s insns_per_iter=%d cycles_per_iter=%.2f block_rthroughput=%s ipc=%s uops_per_iter=%.2f cpu=%s\n",
      f, s, e, ins / it, cyc / it, rt, ipc, uops / it, cpu
  }' "$work/mca.txt"
