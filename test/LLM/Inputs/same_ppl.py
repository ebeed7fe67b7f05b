"""Checks that two perplexities agree: same_ppl.py TOL A B.

A and B are outputs of llama-perplexity or quant-run --perplexity (the line
"Final estimate: PPL = X +/- E"); |Xa - Xb| <= TOL * Xb must hold (TOL 0:
the printed values are equal). Exit status 1, with both values, otherwise."""
import re
import sys

if len(sys.argv) != 4:
    sys.exit("usage: same_ppl.py TOL A B")
tol = float(sys.argv[1])
ppl = []
for path in sys.argv[2:]:
    with open(path, encoding="utf-8", errors="replace") as f:
        m = re.search(r"Final estimate: PPL = ([0-9.]+) \+/- ([0-9.]+)", f.read())
    if not m:
        sys.exit(f"same_ppl: no 'Final estimate: PPL = ...' line in {path}")
    ppl.append((m.group(1), m.group(2)))
(a, ea), (b, eb) = ppl
print(f"{sys.argv[2]}: {a} +/- {ea}\n{sys.argv[3]}: {b} +/- {eb}")
if abs(float(a) - float(b)) > tol * float(b):
    sys.exit(f"same_ppl: {a} and {b} differ by more than {tol} relative")
