"""Input tensors of the same files, ours vs the reference's PIL path (#29): DATA from prepare.ts.

  /usr/bin/python3 bench/quality/compare_inputs.py DATA [--split test]

Decodes DATA/raw/<split>.txt with torch_reference.load_images (PIL decode, PIL bilinear resize,
/255, per-image standardisation) and compares with DATA/<split>.bin (our loader). Prints the mean
and largest absolute difference in standardised units, and the same with no resize (PIL at the
stored size against ours prepared at the stored size, when DATA is at the stored size).
"""
import json, os, sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_convert as C  # noqa: E402


def main():
    d = sys.argv[1]
    split = sys.argv[sys.argv.index("--split") + 1] if "--split" in sys.argv else "test"
    meta = json.load(open(os.path.join(d, "meta.json")))
    h, w = meta["size"]
    raw = os.path.join(d, "raw")
    items = C.R.read_labels(os.path.join(raw, f"{split}.txt"), raw)
    theirs, _ = C.R.load_images(items, h, w)
    theirs = theirs.numpy().transpose(0, 2, 3, 1)
    ours = np.fromfile(os.path.join(d, f"{split}.bin"), np.float32).reshape(theirs.shape)
    diff = np.abs(ours - theirs)
    print(json.dumps({"images": len(items), "size": [h, w], "mean_abs": float(diff.mean()), "max_abs": float(diff.max()),
                      "p99_abs": float(np.percentile(diff, 99))}))


if __name__ == "__main__":
    main()
