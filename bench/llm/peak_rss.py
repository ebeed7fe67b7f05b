#!/usr/bin/python3
"""Runs a command and reports its wall time and peak anonymous memory.

    peak_rss.py COMMAND ARGS...

Samples /proc/PID/status (RssAnon, the process's anonymous resident memory:
heap and private mappings, not file pages such as a mapped model) every
20 ms over the command's whole process tree, and prints
"wall S s, peak RssAnon M MB, peak RSS M MB" on stderr; exits with the
command's status.
"""
import os
import subprocess
import sys
import time


def tree(pid):
    out = [pid]
    try:
        for child in open(f"/proc/{pid}/task/{pid}/children").read().split():
            out += tree(int(child))
    except OSError:
        pass
    return out


def field(pid, name):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith(name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    start = time.time()
    p = subprocess.Popen(sys.argv[1:])
    anon = rss = 0
    while p.poll() is None:
        pids = tree(p.pid)
        anon = max(anon, sum(field(q, "RssAnon") for q in pids))
        rss = max(rss, sum(field(q, "VmRSS") for q in pids))
        time.sleep(0.02)
    wall = time.time() - start
    print(f"wall {wall:.1f} s, peak RssAnon {anon / 1024:.0f} MB, "
          f"peak RSS {rss / 1024:.0f} MB", file=sys.stderr)
    sys.exit(p.returncode)


if __name__ == "__main__":
    main()
