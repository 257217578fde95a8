#!/usr/bin/env python3
"""Issue 27: medians of bench/search_turns.sh's output, per binary: p50 and
p99 per query and backend, the PostgreSQL/SQLite ratios (a Markdown table),
then every round's figures.

  bench/search_medians.py turns.log [more logs...]
"""
import re
import statistics
import sys

KINDS = ["common", "rare", "two_words", "prefix", "long_prefix", "adversarial"]
runs = {}
label = step = None
for name in sys.argv[1:]:
    for line in open(name):
        header = re.match(r"### round \d+ bin (\S+) step (\S+)", line)
        if header:
            label, step = header.groups()
            continue
        result = re.match(r"(\w+) '.*' results=\d+ p50=([\d.]+) p99=([\d.]+)", line)
        if result and label:
            kind, p50, p99 = result.group(1), float(result.group(2)), float(result.group(3))
            runs.setdefault((label, step, kind), []).append((p50, p99))

labels = list(dict.fromkeys(key[0] for key in runs))
for label in labels:
    print(f"## {label}\n")
    print("| query | SQLite | PostgreSQL | PostgreSQL / SQLite (p50, p99) |")
    print("|---|---|---|---|")
    for kind in KINDS:
        sqlite, pg = runs.get((label, "sqlite", kind)), runs.get((label, "pg", kind))
        if not sqlite or not pg:
            continue
        s50, s99 = (statistics.median(r[i] for r in sqlite) for i in (0, 1))
        p50, p99 = (statistics.median(r[i] for r in pg) for i in (0, 1))
        print(f"| {kind} | {s50:.2f} / {s99:.2f} | {p50:.2f} / {p99:.2f} "
              f"| {p50 / s50:.1f}x, {p99 / s99:.1f}x |")
    print()
    for kind in KINDS:
        for step in ["sqlite", "pg"]:
            rounds = runs.get((label, step, kind), [])
            print(f"- {kind} {step}: p50 " + " ".join(f"{r[0]:.2f}" for r in rounds)
                  + " / p99 " + " ".join(f"{r[1]:.2f}" for r in rounds))
    print()
