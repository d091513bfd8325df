"""The table of README.md: test scores of effect.yaml's runs (work/reports/<arm>-<seed>/metrics.json),
per arm the mean ± sample standard deviation over the seeds, and each seed's numbers.

  /usr/bin/python3 bench/pretrained/summarize.py
"""
import glob
import json
import os
import statistics

import fashion

SCORES = [
    ("exact-match accuracy (all 10 heads right)", lambda m: m["allHeads"]["accuracy"]),
    ("mean per-head accuracy", lambda m: statistics.mean(h["accuracy"] for h in m["heads"].values())),
    ("mAP", lambda m: m["multilabel"]["mAP"]),
]


def main():
    runs = {}
    for f in sorted(glob.glob(os.path.join(fashion.WORK, "reports", "*", "metrics.json"))):
        arm, seed = os.path.basename(os.path.dirname(f)).rsplit("-", 1)
        with open(f) as fh:
            runs.setdefault(arm, {})[int(seed)] = json.load(fh)
    print("| arm | seeds | " + " | ".join(name for name, _ in SCORES) + " |")
    print("|---|---|" + "---|" * len(SCORES))
    for arm in sorted(runs):
        ms = [runs[arm][s] for s in sorted(runs[arm])]
        cells = []
        for _, score in SCORES:
            v = [score(m) for m in ms]
            sd = statistics.stdev(v) if len(v) > 1 else float("nan")
            cells.append(f"{statistics.mean(v):.4f} ± {sd:.4f}")
        print(f"| {arm} | {len(ms)} | " + " | ".join(cells) + " |")
    print()
    print("| run | " + " | ".join(name for name, _ in SCORES) + " |")
    print("|---|" + "---|" * len(SCORES))
    for arm in sorted(runs):
        for s in sorted(runs[arm]):
            print(f"| {arm}-{s} | " + " | ".join(f"{score(runs[arm][s]):.4f}" for _, score in SCORES) + " |")


if __name__ == "__main__":
    main()
