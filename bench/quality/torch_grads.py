"""Gradient check against PyTorch: DIR from paired-steps.ts, DIR/grads.json from grads-dump.ts.

  npx tsx bench/quality/grads-dump.ts DIR [native|wasm|cpu] && /usr/bin/python3 bench/quality/torch_grads.py DIR

Prints, per reference parameter, the largest difference of our gradient (batch 0, train mode) from
PyTorch's in float64, relative to the largest gradient element, beside PyTorch fp32's own.
"""
import json, os, sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_convert as C  # noqa: E402


def main():
    d = sys.argv[1]
    torch.set_num_threads(1)
    meta, xs, ys = C.read_batches(d)
    b, heads = meta["batch"], meta["heads"]
    xs, ys = xs[:b], ys[:b]
    ours = json.load(open(os.path.join(d, "grads.json")))
    _, specs = C._read_manifest(os.path.join(d, "init"))
    shapes = {n: s for n, s, _ in specs}
    pairs = {r: (o, k) for o, r, k in C._pairs(C.head_layers(specs)[0])}
    res = {}
    for dt in (torch.float32, torch.float64):
        m = C.reference_model(os.path.join(d, "init")).to(dt)
        C.R.loss_fn(m(xs.to(dt)), ys, heads).backward()
        res[dt] = {k: p.grad.detach().double().numpy() for k, p in m.named_parameters()}
    for k, r64 in res[torch.float64].items():
        o, kind = pairs[k]
        g = np.array(ours[o]).reshape(shapes[o])
        g = g.transpose(3, 2, 0, 1) if kind == "conv" else g.T if kind == "dense" else g
        sc = max(1e-30, np.abs(r64).max())
        print("%-24s ours %.1e  torch fp32 %.1e" % (k, np.abs(g - r64).max() / sc, np.abs(res[torch.float32][k] - r64).max() / sc))


if __name__ == "__main__":
    main()
