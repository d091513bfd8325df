"""The small second task, built from garments the pretraining never saw (fashion.py's TASK_* sample
ranges): 32x32 "garment scenes" holding 1 or 2 distinct garments (14..20 px each, at random places,
overlaps allowed, max-blended on black), labelled multi-hot over the 10 garment classes (10 binary
heads, as the `fashion-multilabel` demo).  300 train, 100 val, 600 test images as PNG, with
train/val/test.txt and classes.json in mlc-pipe's layout.

  /usr/bin/python3 bench/pretrained/make_task.py [--out bench/pretrained/work/task]
"""
import argparse
import json
import os

import numpy as np
from PIL import Image

import fashion

SIZE = 32
SPLITS = {"train": (300, fashion.TASK_TRAIN, 11), "val": (100, fashion.TASK_TRAIN, 12), "test": (600, fashion.TASK_TEST, 13)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(fashion.WORK, "task"))
    a = ap.parse_args()
    x = fashion.load()
    os.makedirs(os.path.join(a.out, "images"), exist_ok=True)
    for split, (n, (lo, hi), seed) in SPLITS.items():
        rng = np.random.default_rng(seed)
        lines = []
        for i in range(n):
            canvas = np.zeros((SIZE, SIZE), np.uint8)
            labels = [0] * 10
            for c in rng.choice(10, size=int(rng.integers(1, 3)), replace=False):
                size = int(rng.integers(14, 21))
                fashion.stamp(canvas, x[c, int(rng.integers(lo, hi))], size, int(rng.integers(0, SIZE - size + 1)), int(rng.integers(0, SIZE - size + 1)))
                labels[c] = 1
            name = f"images/{split}-{i:04d}.png"
            Image.fromarray(fashion.to_rgb(canvas)).save(os.path.join(a.out, name))
            lines.append(f"{name} {' '.join(map(str, labels))}")
        with open(os.path.join(a.out, f"{split}.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
    with open(os.path.join(a.out, "classes.json"), "w") as f:
        json.dump({"heads": [{"name": c, "classes": [c]} for c in fashion.CLASSES]}, f, indent=2)
        f.write("\n")
    print(f"wrote {a.out}: " + ", ".join(f"{s} {n}" for s, (n, _, _) in SPLITS.items()))


if __name__ == "__main__":
    main()
