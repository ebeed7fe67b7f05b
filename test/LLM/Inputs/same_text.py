"""Checks that two generated texts are the same: same_text.py A B.

Either may start with the BOS token as a tool rendered it (llama-simple
prints "<s> "; a GGUF whose BOS text is llama2.c's "\n<s>\n" prints that),
and trailing whitespace does not count. Exit status 1, with both texts, if
they differ."""
import re
import sys


def body(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    return re.sub(r"^\s*<s>\s*", "", text).rstrip()


if len(sys.argv) != 3:
    sys.exit("usage: same_text.py A B")
a, b = body(sys.argv[1]), body(sys.argv[2])
if not a:
    sys.exit(f"same_text: {sys.argv[1]} holds no text")
if a != b:
    sys.exit(f"same_text: the texts differ\n  {sys.argv[1]}: {a!r}\n  {sys.argv[2]}: {b!r}")
print(a)
