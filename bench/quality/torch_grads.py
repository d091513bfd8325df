"""Gradient check against PyTorch: DIR from paired-steps.ts, DIR/grads.json from grads-dump.ts.

  npx tsx bench/quality/grads-dump.ts DIR [native|wasm|cpu] && /usr/bin/python3 bench/quality/torch_grads.py DIR
  npx tsx bench/quality/grads-dump.ts DIR --precision bf16 && /usr/bin/python3 bench/quality/torch_grads.py DIR --precision bf16

Prints, per reference parameter, the largest difference of our gradient (batch 0, train mode) from
PyTorch's in float64, relative to the largest gradient element, beside PyTorch fp32's own.

--precision bf16 reads DIR/grads-bf16.json (our mixed precision) and prints, per parameter, two
errors against PyTorch fp64 for ours-bf16 and PyTorch's CPU autocast bf16 (autocast around the
forward pass, the loss in fp32 on the logits cast back, as torch_epochs.py): the largest element
difference relative to the largest element ("max"), and the relative L2 norm ||g - g64|| / ||g64||
("l2"), then the ratio ours/autocast of the l2 errors, and the losses. fp32's errors are printed
for scale. A parameter whose ours/autocast ratio stands far above 1 is where our bf16 loses more.
"""
import argparse, json, os, sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_convert as C  # noqa: E402


def torch_grads(d, xs, ys, heads, dt, amp=False):
    m = C.reference_model(os.path.join(d, "init")).to(dt)
    if amp:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            outs = m(xs.to(dt))
        outs = [o.float() for o in outs]
    else:
        outs = m(xs.to(dt))
    loss = C.R.loss_fn(outs, ys, heads)
    loss.backward()
    return float(loss), {k: p.grad.detach().double().numpy() for k, p in m.named_parameters()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    a = ap.parse_args()
    d = a.dir
    torch.set_num_threads(1)
    meta, xs, ys = C.read_batches(d)
    b, heads = meta["batch"], meta["heads"]
    xs, ys = xs[:b], ys[:b]
    ours = json.load(open(os.path.join(d, "grads-bf16.json" if a.precision == "bf16" else "grads.json")))
    ours_loss = ours.pop("__loss", [float("nan")])[0]
    _, specs = C._read_manifest(os.path.join(d, "init"))
    shapes = {n: s for n, s, _ in specs}
    pairs = {r: (o, k) for o, r, k in C._pairs(C.head_layers(specs)[0])}
    l32, g32 = torch_grads(d, xs, ys, heads, torch.float32)
    l64, g64 = torch_grads(d, xs, ys, heads, torch.float64)

    def our_grad(k):
        o, kind = pairs[k]
        g = np.array(ours[o]).reshape(shapes[o])
        return g.transpose(3, 2, 0, 1) if kind == "conv" else g.T if kind == "dense" else g

    def err(g, r):
        return np.abs(g - r).max() / max(1e-30, np.abs(r).max()), np.linalg.norm(g - r) / max(1e-30, np.linalg.norm(r))

    if a.precision == "fp32":
        for k, r64 in g64.items():
            print("%-24s ours %.1e  torch fp32 %.1e" % (k, err(our_grad(k), r64)[0], err(g32[k], r64)[0]))
        print("loss: ours %.7f  torch fp32 %.7f  fp64 %.7f" % (ours_loss, l32, l64))
        return
    lam, gam = torch_grads(d, xs, ys, heads, torch.float32, amp=True)
    print("%-24s %17s %17s %8s %9s %13s" % ("parameter", "ours-bf16 max/l2", "autocast max/l2", "ours/ac", "fp32 l2", "slope ours/ac"))
    ratios, slopes = [], []
    slope = lambda g, r: float((g * r).sum() / max(1e-30, (r * r).sum()))  # least squares of g on r: 1 = no shrinkage
    for k, r64 in g64.items():
        om, ol = err(our_grad(k), r64)
        am, al = err(gam[k], r64)
        ratios.append((k, ol / max(al, 1e-30)))
        slopes.append((slope(our_grad(k), r64), slope(gam[k], r64)))
        print("%-24s %8.1e %8.1e %8.1e %8.1e %8.2f %9.1e %6.3f %6.3f" % (k, om, ol, am, al, ol / max(al, 1e-30), err(g32[k], r64)[1], *slopes[-1]))
    r = np.array([x for _, x in ratios])
    print("ours/autocast l2 ratio over %d parameters: median %.2f, geometric mean %.2f, max %.2f (%s)" % (
        len(r), np.median(r), np.exp(np.log(r).mean()), r.max(), ratios[int(r.argmax())][0]))
    sl = np.array(slopes)
    print("slope on fp64, median over parameters: ours-bf16 %.3f, autocast %.3f" % (np.median(sl[:, 0]), np.median(sl[:, 1])))
    print("loss: ours-bf16 %.7f  autocast %.7f  fp32 %.7f  fp64 %.7f" % (ours_loss, lam, l32, l64))


if __name__ == "__main__":
    main()
