#!/usr/bin/env python3
"""Summaries for the bench/ scripts, so that every one reports the same
statistic for every tool: the median of N runs with the min and the max.

  stats.py summary NAME FILE [UNIT]   one line: NAME median X (min A, max B, N runs)
  stats.py median FILE                the median alone, for a ratio
  stats.py ratio SLOW FAST [DIGITS]   median(SLOW) / median(FAST), with the
                                      spread: min(SLOW)/max(FAST) .. max(SLOW)/min(FAST)
                                      (DIGITS after the point, default 1)

FILE holds one number per line (the raw runs, which the scripts keep).
"""
import statistics
import sys


def runs(path):
    with open(path) as f:
        return [float(line.split()[0]) for line in f if line.strip()]


def main():
    cmd = sys.argv[1]
    if cmd == "summary":
        name, path = sys.argv[2], sys.argv[3]
        unit = sys.argv[4] if len(sys.argv) > 4 else "s"
        v = runs(path)
        print(f"{name:<28} median {statistics.median(v):9.2f} {unit} (min {min(v):.2f}, max {max(v):.2f}, {len(v)} runs)")
    elif cmd == "median":
        print(statistics.median(runs(sys.argv[2])))
    elif cmd == "ratio":
        slow, fast = runs(sys.argv[2]), runs(sys.argv[3])
        n = int(sys.argv[4]) if len(sys.argv) > 4 else 1
        r = statistics.median(slow) / statistics.median(fast)
        print(f"{r:.{n}f}x (range {min(slow) / max(fast):.{n}f}x to {max(slow) / min(fast):.{n}f}x)")
    else:
        sys.exit("stats.py: unknown command " + cmd)


if __name__ == "__main__":
    main()
